// gr_conv_resize: two's-complement resize, IW -> OW bits: sign extension when widening,
// dropping the upper bits (arithmetic mod 2^OW) when narrowing.
`default_nettype none

module gr_conv_resize #(
  parameter integer IW = 8,  // input width (signed)
  parameter integer OW = 8   // output width
) (
  input  wire [IW-1:0] in_data,
  output wire [OW-1:0] out_data
);
  generate
    if (IW < 1 || OW < 1) begin : g_bad_param
      gr_error_resize_widths_must_be_positive u_err ();
    end
    if (OW > IW) begin : g_ext
      assign out_data = {{(OW-IW){in_data[IW-1]}}, in_data};
    end else if (OW == IW) begin : g_same
      assign out_data = in_data;
    end else begin : g_cut
      assign out_data = in_data[OW-1:0];
      wire unused_hi = ^in_data[IW-1:OW];   // mod 2^OW: the caller's sum fits OW bits
    end
  endgenerate
endmodule

`default_nettype wire

// gr_zero: a constant zero of any width. Verilator warns (WIDTHCONCAT) on replications wider than
// 8 Kib, which wide stages reach ({PE*SIMD*8{1'b0}}, and '0 alike); 1 Kib chunks avoid it.
`default_nettype none

module gr_zero #(
  parameter integer W = 8  // width of q
) (
  output wire [W-1:0] q
);
  localparam integer CHUNK = 1024;
  localparam integer FULL = W / CHUNK;
  localparam integer REM = W % CHUNK;
  genvar i;
  generate
    for (i = 0; i < FULL; i = i + 1) begin : g_chunk
      assign q[i*CHUNK +: CHUNK] = {CHUNK{1'b0}};
    end
    if (REM > 0) begin : g_rem
      assign q[W-1 -: REM] = {REM{1'b0}};
    end
  endgenerate
endmodule

`default_nettype wire

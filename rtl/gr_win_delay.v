// gr_win_delay: D register stages of DW bits, all enabled by en (D = 0: a wire). Aligns a shorter
// adder tree with a longer one in gr_conv_window_stage (the PRB 1 x 1 term).
`default_nettype none

module gr_win_delay #(
  parameter integer DW = 8,  // bits
  parameter integer D  = 1   // register stages (>= 0)
) (
  input  wire          clk,
  input  wire          en,
  input  wire [DW-1:0] in_data,
  output wire [DW-1:0] out_data
);
  generate
    if (DW < 1 || D < 0) begin : g_bad_param
      gr_error_win_delay_dw_positive_and_d_not_negative u_err ();
    end
  endgenerate

  genvar i;
  generate
    if (D == 0) begin : g_wire
      assign out_data = in_data;
      wire unused_clk = ^{clk, en};
    end else begin : g_regs
      for (i = 0; i < D; i = i + 1) begin : g_stage
        reg [DW-1:0] r;
        if (i == 0) begin : g_first
          always @(posedge clk) begin
            if (en) r <= in_data;
          end
        end else begin : g_next
          always @(posedge clk) begin
            if (en) r <= g_stage[i-1].r;
          end
        end
      end
      assign out_data = g_stage[D-1].r;
    end
  endgenerate
endmodule

`default_nettype wire

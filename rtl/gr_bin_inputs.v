// gr_bin_inputs: what the binary lanes of a conv stage share (docs/rtl-architecture.md, "Binary
// lanes"): the step's N inputs registered, sign-extended to IN_W+1 bits, the sums of their pairs
// registered, and sum x, the all-ones gr_bin_lane, for term = 2 * sum (b ? x : 0) - sum x.
//
//   x[j]  = in[j] extended (sign when IN_SIGNED, zero otherwise)     1 cycle of en after in
//   s[i]  = x[2i] + x[2i+1], i = 0 .. N/2 - 1 (0 when N = 1)       1 cycle of en after in
//   sum   = sum_j x[j]                                             1 + ceil(log2 N) cycles of en
//
// The lanes (gr_bin_lane on x, s and their own registered pattern bits) finish with sum.
`default_nettype none

module gr_bin_inputs #(
  parameter integer N         = 4,  // inputs (>= 1)
  parameter integer IN_W      = 8,  // input width
  parameter integer IN_SIGNED = 0   // 1: inputs are two's complement
) (
  input  wire                                                clk,
  input  wire                                                en,
  input  wire [N*IN_W-1:0]                                   in,   // input j at [j*IN_W +: IN_W]
  output wire [N*(IN_W+1)-1:0]                               x,
  output wire [((N / 2 > 0) ? N / 2 : 1)*(IN_W+2)-1:0]       s,
  output wire [IN_W+1+((N > 1) ? $clog2(N) : 0)-1:0]         sum
);
  localparam integer XW  = IN_W + 1;
  localparam integer NPS = (N / 2 > 0) ? N / 2 : 1;   // pair sums (one, held 0, when N = 1)

  generate
    if (N < 1 || IN_W < 1 || (IN_SIGNED != 0 && IN_SIGNED != 1)) begin : g_bad_param
      gr_error_bin_inputs_bad_parameters u_err ();
    end
  endgenerate

  reg [N*XW-1:0] xr;
  genvar gk;
  generate
    for (gk = 0; gk < N; gk = gk + 1) begin : g_in
      wire [IN_W-1:0] v = in[gk*IN_W +: IN_W];
      always @(posedge clk) begin
        if (en) xr[gk*XW +: XW] <= {(IN_SIGNED != 0) ? v[IN_W-1] : 1'b0, v};
      end
    end
    for (gk = 0; gk < NPS; gk = gk + 1) begin : g_pair
      if (2*gk + 1 < N) begin : g_sum
        wire [IN_W-1:0] va = in[(2*gk)*IN_W +: IN_W];
        wire [IN_W-1:0] vb = in[(2*gk+1)*IN_W +: IN_W];
        wire [XW:0]     ea = {{2{(IN_SIGNED != 0) ? va[IN_W-1] : 1'b0}}, va};
        wire [XW:0]     eb = {{2{(IN_SIGNED != 0) ? vb[IN_W-1] : 1'b0}}, vb};
        reg  [XW:0]     sr;
        always @(posedge clk) begin
          if (en) sr <= ea + eb;
        end
        assign s[gk*(XW+1) +: XW+1] = sr;
      end else begin : g_none   // N = 1: no pair
        assign s[gk*(XW+1) +: XW+1] = {(XW+1){1'b0}};
      end
    end
  endgenerate
  assign x = xr;

  gr_bin_lane #(.N(N), .IW(XW)) u_sum (.clk(clk), .en(en), .x(x), .s(s), .b({N{1'b1}}), .out(sum));
endmodule

`default_nettype wire

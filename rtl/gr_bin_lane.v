// gr_bin_lane: the sum of a binary lane's selected inputs, out = sum_{j : b[j] = 1} x[j], with the
// inputs taken in pairs (docs/rtl-architecture.md, "Binary lanes").
//
// The caller registers, once for all its lanes, the N signed IW-bit inputs x and the sums of
// their pairs s[i] = x[2i] + x[2i+1] (IW+1 bits, i = 0 .. N/2-1); each lane brings its own N
// pattern bits b. For N >= 2 the first level selects, per pair, 0, x[2i], x[2i+1] or s[i] by the
// pair's two pattern bits (one LUT per bit, where an adder with gated operands would take two)
// into a register, and a gr_conv_addtree sums the ceil(N/2) selections. A lane whose bits are
// constants selects by wires (no logic at all; zero selections vanish in synthesis), so the
// all-ones lane is the plain sum of the inputs.
//
//   latency: N = 1: 0 (out = b ? x : 0, combinational); N >= 2: 1 + ceil(log2 ceil(N/2))
//            = ceil(log2 N) cycles of en, the same as a gr_conv_addtree of N inputs.
//   out:     IW + ceil(log2 N) bits, signed, exact.
`default_nettype none

module gr_bin_lane #(
  parameter integer N  = 4,  // inputs (>= 1)
  parameter integer IW = 9   // signed width of each input
) (
  input  wire                                    clk,
  input  wire                                    en,
  input  wire [N*IW-1:0]                         x,   // input j at [j*IW +: IW]
  input  wire [((N / 2 > 0) ? N / 2 : 1)*(IW+1)-1:0] s,  // pair sum i at [i*(IW+1) +: IW+1] (unused for N = 1)
  input  wire [N-1:0]                            b,   // 1: input j is summed
  output wire [IW+((N > 1) ? $clog2(N) : 0)-1:0] out
);
  localparam integer NP = (N + 1) / 2;   // selections (pairs, and a last single input when N is odd)
  localparam integer SW = IW + 1;        // width of a selection

  generate
    if (N < 1 || IW < 1) begin : g_bad_param
      gr_error_bin_lane_n_and_iw_must_be_positive u_err ();
    end
  endgenerate

  genvar gk;
  generate
    if (N == 1) begin : g_one
      assign out = b[0] ? x : {IW{1'b0}};
      wire unused = ^{clk, en, s};
    end else begin : g_pairs
      reg [NP*SW-1:0] sel;
      for (gk = 0; gk < NP; gk = gk + 1) begin : g_sel
        wire [SW-1:0] xa = {x[2*gk*IW+IW-1], x[2*gk*IW +: IW]};
        if (2*gk + 1 < N) begin : g_pair
          wire [SW-1:0] xb = {x[(2*gk+1)*IW+IW-1], x[(2*gk+1)*IW +: IW]};
          always @(posedge clk) begin
            if (en) begin
              case (b[2*gk +: 2])
                2'b00:   sel[gk*SW +: SW] <= {SW{1'b0}};
                2'b01:   sel[gk*SW +: SW] <= xa;
                2'b10:   sel[gk*SW +: SW] <= xb;
                default: sel[gk*SW +: SW] <= s[gk*SW +: SW];
              endcase
            end
          end
        end else begin : g_single
          always @(posedge clk) begin
            if (en) sel[gk*SW +: SW] <= b[2*gk] ? xa : {SW{1'b0}};
          end
        end
      end
      gr_conv_addtree #(.N(NP), .IW(SW)) u_tree (.clk(clk), .en(en), .in_data(sel), .out_data(out));
    end
  endgenerate
endmodule

`default_nettype wire

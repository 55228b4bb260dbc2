// gr_conv_addtree: balanced, registered adder tree of N signed IW-bit inputs.
//
//   out = sum_{i=0}^{N-1} in[i*IW +: IW]   (exact: OUT width IW + ceil(log2 N))
//
// One register level per tree level, all enabled by en: latency ceil(log2 N) cycles of en
// (0 for N = 1: out = in, combinational). Level l holds ceil(N / 2^l) nodes of IW + l bits.
`default_nettype none

module gr_conv_addtree #(
  parameter integer N  = 4,  // number of inputs (>= 1)
  parameter integer IW = 8   // signed width of each input
) (
  input  wire                                              clk,
  input  wire                                              en,
  input  wire [N*IW-1:0]                                   in_data,
  output wire [IW+((N > 1) ? $clog2(N) : 0)-1:0]           out_data
);
  localparam integer LV = (N > 1) ? $clog2(N) : 0;   // levels = latency

  function integer nodes(input integer l);  // nodes on level l
    nodes = (N + (1 << l) - 1) >> l;
  endfunction

  function integer off(input integer l);    // bit offset of level l in the flat vector
    integer i;
    begin
      off = 0;
      for (i = 0; i < l; i = i + 1) off = off + nodes(i) * (IW + i);
    end
  endfunction

  generate
    if (N < 1 || IW < 1) begin : g_bad_param
      gr_error_addtree_n_and_iw_must_be_positive u_err ();
    end
  endgenerate

  wire [off(LV+1)-1:0] t;   // every level, level 0 = the inputs
  assign t[N*IW-1:0] = in_data;

  genvar l, i;
  generate
    if (LV == 0) begin : g_wire
      wire unused_clk = ^{clk, en};   // a single input needs no register
    end
    for (l = 1; l <= LV; l = l + 1) begin : g_lvl
      for (i = 0; i < nodes(l); i = i + 1) begin : g_node
        localparam integer WI = IW + l - 1;             // input width on this level
        localparam integer A  = off(l-1) + 2*i*WI;      // first operand
        reg [WI:0] r;
        if (2*i + 1 < nodes(l-1)) begin : g_add
          always @(posedge clk) begin
            if (en) r <= {t[A+WI-1], t[A +: WI]} + {t[A+2*WI-1], t[A+WI +: WI]};
          end
        end else begin : g_pass
          always @(posedge clk) begin
            if (en) r <= {t[A+WI-1], t[A +: WI]};
          end
        end
        assign t[off(l) + i*(WI+1) +: WI+1] = r;
      end
    end
  endgenerate

  assign out_data = t[off(LV) +: IW+LV];
endmodule

`default_nettype wire

// gr_broadcast: one stream to N consumers (a tensor read by several layers).
//
// Every consumer takes every beat exactly once, each at its own pace; the input beat is released
// (s_tready) in the cycle in which the last consumer still owing it takes it. A per-output "taken"
// flag remembers who already has the current beat, so m_tvalid[i] = s_tvalid & ~taken[i] depends on
// no m_tready: there is no combinational path from one consumer's ready to another's valid.
// Combinational paths: s_tvalid -> m_tvalid, m_tready -> s_tready, s_tdata -> m_tdata (shared).
// Throughput: one beat per cycle when every consumer is ready.
`default_nettype none

module gr_broadcast #(
  parameter integer N  = 2,  // number of consumers (>= 1)
  parameter integer DW = 8   // tdata width in bits (>= 1)
) (
  input  wire          clk,
  input  wire          rst_n,
  input  wire [DW-1:0] s_tdata,
  input  wire          s_tvalid,
  output wire          s_tready,
  output wire [DW-1:0] m_tdata,
  output wire [N-1:0]  m_tvalid,
  input  wire [N-1:0]  m_tready
);
  generate
    if (N < 1) begin : g_bad_n
      gr_error_broadcast_n_must_be_at_least_1 u_err ();
    end
    if (DW < 1) begin : g_bad_dw
      gr_error_broadcast_dw_must_be_positive u_err ();
    end
  endgenerate

  reg [N-1:0] taken;  // consumer i already took the current input beat

  assign m_tdata = s_tdata;
  assign m_tvalid = {N{s_tvalid}} & ~taken;
  assign s_tready = &(taken | m_tready);

  always @(posedge clk) begin
    if (!rst_n) taken <= {N{1'b0}};
    else if (s_tvalid && s_tready) taken <= {N{1'b0}};
    else taken <= taken | (m_tvalid & m_tready);
  end
endmodule

`default_nettype wire

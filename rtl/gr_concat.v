// gr_concat: channel concatenation of two pixel streams (a join of two branches).
//
//   m_tdata = {b_tdata, a_tdata}   (a in the low bits: a's channels first)
//
// A beat moves on all three streams together, when a and b are both valid and m is ready. Purely
// combinational (no storage, no latency); clk and rst_n exist only for the uniform stage interface.
// More inputs chain: concat(concat(x0, x1), x2).
`default_nettype none

module gr_concat #(
  parameter integer A_BITS = 8,  // a_tdata width (the low part of m_tdata, >= 1)
  parameter integer B_BITS = 8   // b_tdata width (the high part of m_tdata, >= 1)
) (
  input  wire                     clk,
  input  wire                     rst_n,
  input  wire [A_BITS-1:0]        a_tdata,
  input  wire                     a_tvalid,
  output wire                     a_tready,
  input  wire [B_BITS-1:0]        b_tdata,
  input  wire                     b_tvalid,
  output wire                     b_tready,
  output wire [A_BITS+B_BITS-1:0] m_tdata,
  output wire                     m_tvalid,
  input  wire                     m_tready
);
  generate
    if (A_BITS < 1 || B_BITS < 1) begin : g_bad_bits
      gr_error_concat_a_bits_and_b_bits_must_be_positive u_err ();
    end
  endgenerate

  wire unused_clock = clk ^ rst_n;

  assign m_tdata = {b_tdata, a_tdata};
  assign m_tvalid = a_tvalid && b_tvalid;
  assign a_tready = m_tready && b_tvalid;
  assign b_tready = m_tready && a_tvalid;
endmodule

`default_nettype wire

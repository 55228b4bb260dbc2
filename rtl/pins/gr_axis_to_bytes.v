// gr_axis_to_bytes: a W-bit stream as a byte stream, for devices with too few pins for the
// design's ports (the iCE40 flow's pin wrapper, generator/synth/ice40.ts).
//
// Every input beat becomes W/8 output beats, least significant byte first; m_tlast is set on the
// last byte of an input beat that had s_tlast. One byte per cycle, sustained across beats (the next
// word is taken in the cycle its predecessor's last byte moves).
// Combinational paths: m_tready -> s_tready only.
`default_nettype none

module gr_axis_to_bytes #(
  parameter integer W = 32  // input tdata width in bits (a multiple of 8, >= 8)
) (
  input  wire         clk,
  input  wire         rst_n,
  input  wire [W-1:0] s_tdata,
  input  wire         s_tvalid,
  output wire         s_tready,
  input  wire         s_tlast,
  output wire [7:0]   m_tdata,
  output wire         m_tvalid,
  input  wire         m_tready,
  output wire         m_tlast
);
  localparam integer N = W / 8;                     // bytes per input beat
  localparam integer CW = (N > 1) ? $clog2(N) : 1;  // byte index width
  localparam integer LAST_I = N - 1;
  localparam [CW-1:0] LAST_BYTE = LAST_I[CW-1:0];

  generate
    if (W < 8 || W % 8 != 0) begin : g_bad_w
      gr_error_axis_to_bytes_w_must_be_a_multiple_of_8 u_err ();
    end
  endgenerate

  reg [W-1:0]  word;
  reg          word_last;
  reg          full;   // word holds bytes still to send
  reg [CW-1:0] idx;    // the byte on m_tdata

  wire done = full && m_tready && idx == LAST_BYTE;  // the word's last byte moves now
  assign s_tready = !full || done;
  assign m_tvalid = full;
  assign m_tdata = word[8*idx +: 8];
  assign m_tlast = word_last && idx == LAST_BYTE;

  always @(posedge clk) begin
    if (!rst_n) begin
      full <= 1'b0;
      idx <= {CW{1'b0}};
    end else begin
      if (full && m_tready) idx <= done ? {CW{1'b0}} : idx + 1'b1;
      if (s_tvalid && s_tready) full <= 1'b1;
      else if (done) full <= 1'b0;
    end
  end

  always @(posedge clk) begin
    if (s_tvalid && s_tready) begin
      word <= s_tdata;
      word_last <= s_tlast;
    end
  end
endmodule

`default_nettype wire

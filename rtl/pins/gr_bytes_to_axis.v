// gr_bytes_to_axis: a byte stream as a W-bit stream, for devices with too few pins for the design's
// ports (the iCE40 flow's pin wrapper, generator/synth/ice40.ts).
//
// Every W/8 input bytes, least significant first, become one output beat; its m_tlast is the
// s_tlast of its last byte. The last byte passes straight through (no register), so one byte moves
// per cycle and W = 8 is a plain wire.
// Combinational paths: s_tvalid -> m_tvalid, s_tdata -> m_tdata, s_tlast -> m_tlast,
// m_tready -> s_tready (on the last byte of a beat).
`default_nettype none

module gr_bytes_to_axis #(
  parameter integer W = 8  // output tdata width in bits (a multiple of 8, >= 8)
) (
  input  wire         clk,
  input  wire         rst_n,
  input  wire [7:0]   s_tdata,
  input  wire         s_tvalid,
  output wire         s_tready,
  input  wire         s_tlast,
  output wire [W-1:0] m_tdata,
  output wire         m_tvalid,
  input  wire         m_tready,
  output wire         m_tlast
);
  localparam integer N = W / 8;  // bytes per output beat

  generate
    if (W < 8 || W % 8 != 0) begin : g_bad_w
      gr_error_bytes_to_axis_w_must_be_a_multiple_of_8 u_err ();
    end
    if (N == 1) begin : g_wire
      assign m_tdata = s_tdata;
      assign m_tvalid = s_tvalid;
      assign s_tready = m_tready;
      assign m_tlast = s_tlast;
      wire unused = &{1'b0, clk, rst_n};
    end else begin : g_collect
      localparam integer CW = $clog2(N);
      localparam integer LAST_I = N - 1;
      localparam [CW-1:0] LAST_BYTE = LAST_I[CW-1:0];
      reg [W-9:0]  low;  // the bytes before the last one
      reg [CW-1:0] idx;  // the byte on s_tdata
      wire at_last = idx == LAST_BYTE;
      assign m_tdata = {s_tdata, low};
      assign m_tvalid = s_tvalid && at_last;
      assign s_tready = !at_last || m_tready;
      assign m_tlast = s_tlast;
      always @(posedge clk) begin
        if (!rst_n) idx <= {CW{1'b0}};
        else if (s_tvalid && s_tready) idx <= at_last ? {CW{1'b0}} : idx + 1'b1;
      end
      always @(posedge clk) begin
        if (s_tvalid && s_tready && !at_last) low[8*idx +: 8] <= s_tdata;
      end
    end
  endgenerate
endmodule

`default_nettype wire

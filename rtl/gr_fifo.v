// gr_fifo: stream FIFO for the short branch of a fork-join (residual add, concat), so that the
// branch that runs ahead never stalls the fork and deadlocks it.
//
// Storage: a DEPTH-entry memory (synchronous write, synchronous read with enable, no read of the
// address being written: block RAM or LUT RAM) followed by the output register, which is the RAM's
// read register. Capacity: DEPTH + 1 beats (DEPTH in the memory, one in the output register).
// Throughput: one beat in and one beat out per cycle, sustained for any DEPTH >= 2 (s_tready only
// falls when the memory holds DEPTH beats).
// Latency: a beat accepted into an empty FIFO at rising edge t is loaded into the output register
// at edge t + 1 and can move on m_* at edge t + 2.
// s_tready and m_tvalid are registers: no combinational path from any input to any output.
`default_nettype none

module gr_fifo #(
  parameter integer DW    = 8,  // tdata width in bits (>= 1)
  parameter integer DEPTH = 16, // memory entries (>= 2); capacity is DEPTH + 1 beats
  parameter integer LUTRAM = 0  // 1: the memory in LUT RAM (gr_sdp_ram); 0: the tool's choice
) (
  input  wire          clk,
  input  wire          rst_n,
  input  wire [DW-1:0] s_tdata,
  input  wire          s_tvalid,
  output wire          s_tready,
  output wire [DW-1:0] m_tdata,
  output wire          m_tvalid,
  input  wire          m_tready
);
  localparam integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;  // memory address width
  localparam integer CW = $clog2(DEPTH + 1);                 // occupancy width (0 .. DEPTH)
  localparam integer LAST_I = DEPTH - 1;                     // the address after which pointers wrap
  localparam [AW-1:0] LAST_ADDR = LAST_I[AW-1:0];
  localparam [CW-1:0] FULL = DEPTH[CW-1:0];                  // occupancy of a full memory

  generate
    if (DEPTH < 2) begin : g_bad_depth
      gr_error_fifo_depth_must_be_at_least_2 u_err ();
    end
    if (DW < 1) begin : g_bad_dw
      gr_error_fifo_dw_must_be_positive u_err ();
    end
  endgenerate

  wire [DW-1:0] q;            // output register (the memory's read register)
  reg          q_valid;
  reg          ready_r;
  reg [AW-1:0] wr_ptr;
  reg [AW-1:0] rd_ptr;
  reg [CW-1:0] count;         // beats in the memory (not counting the output register)

  wire push = s_tvalid && ready_r;
  // Move the oldest memory entry to the output register when that register is empty or being read.
  wire pop = (count != {CW{1'b0}}) && (!q_valid || m_tready);

  reg [CW-1:0] count_next;
  always @* begin
    count_next = count;
    if (push && !pop) count_next = count + 1'b1;
    else if (pop && !push) count_next = count - 1'b1;
  end

  // Data: not reset. With count in 1 .. DEPTH - 1, rd_ptr != wr_ptr; at 0 there is no pop and at
  // DEPTH no push, so a read never hits the address being written.
  gr_sdp_ram #(.DW(DW), .DEPTH(DEPTH), .LUTRAM(LUTRAM)) u_mem (
    .clk(clk), .we(push), .waddr(wr_ptr), .wdata(s_tdata), .re(pop), .raddr(rd_ptr), .q(q)
  );

  always @(posedge clk) begin
    if (!rst_n) begin
      wr_ptr <= {AW{1'b0}};
      rd_ptr <= {AW{1'b0}};
      count <= {CW{1'b0}};
      ready_r <= 1'b0;
      q_valid <= 1'b0;
    end else begin
      if (push) wr_ptr <= (wr_ptr == LAST_ADDR) ? {AW{1'b0}} : wr_ptr + 1'b1;
      if (pop) rd_ptr <= (rd_ptr == LAST_ADDR) ? {AW{1'b0}} : rd_ptr + 1'b1;
      count <= count_next;
      ready_r <= (count_next != FULL);
      if (pop) q_valid <= 1'b1;
      else if (m_tready) q_valid <= 1'b0;
    end
  end

  assign s_tready = ready_r;
  assign m_tdata = q;
  assign m_tvalid = q_valid;
endmodule

`default_nettype wire

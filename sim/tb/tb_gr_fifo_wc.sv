// Self-checking testbench for rtl/gr_fifo_wc.v (the width-converting FIFO: NW = ceil(DW / WW) memory
// words per beat, or one word when DW <= WW).
//
// One source and one sink, both following the stream rules (valid never waits for ready, data holds
// until the beat moves). Beat i carries pattern(i); the sink checks every beat in order, so a lost,
// duplicated or reordered beat fails. Phases:
//   1. fill: source always valid, sink never ready; the FIFO must take exactly DEPTH + 2 beats;
//   2. drain from full with both sides always active: exactly one beat in and one out every NW
//      cycles (checked when DEPTH >= 1 + ceil(3 / NW); printed either way as THROUGHPUT lines);
//   3. from empty, both sides always active: the same, after the latency; the latency from the
//      first acceptance to the first output beat moving is printed (LATENCY) and checked;
//   4. random stalls (~30 %) on s_tvalid and m_tready, then random bursts of stalls and activity
//      long enough to fill and empty the FIFO many times, until NBEATS beats have passed.
// Prints PASS or FAIL <details> and calls $finish. Runs under Verilator (--binary --timing) and
// Icarus (-g2012).
`default_nettype none

module tb_gr_fifo_wc;
  parameter integer DW     = 12;    // tdata width
  parameter integer DEPTH  = 4;     // FIFO depth under test (beats in the memory side)
  parameter integer WW     = 5;     // memory word width
  parameter integer NBEATS = 6000;  // beats through the FIFO in total
  parameter integer SEED   = 1;     // stall and data seed

  localparam integer NW = (DW <= WW) ? 1 : (DW + WW - 1) / WW;  // memory words per beat
  localparam integer CAP = DEPTH + 2;                          // capacity in beats
  localparam integer BEATS = 32;                               // beats per throughput window
  localparam integer WINDOW = BEATS * NW;                      // cycles of the throughput measurements
  // The documented sustained rate holds when DEPTH slots cover a slot's life of NW + 3 cycles.
  localparam integer THRU = (DEPTH * NW >= NW + 3) ? 1 : 0;

  reg clk = 1'b0;
  always #5 clk = ~clk;
  integer cyc = 0;
  always @(posedge clk) cyc <= cyc + 1;
  reg rst_n = 1'b0;
  always @(posedge clk) rst_n <= (cyc >= 3);
  reg failed = 1'b0;  // set with every FAIL line: PASS is printed only without one

  function automatic [31:0] xs32(input [31:0] x);
    reg [31:0] y;
    begin
      y = (x == 32'd0) ? 32'h1234_5678 : x;
      y = y ^ (y << 13);
      y = y ^ (y >> 17);
      y = y ^ (y << 5);
      xs32 = y;
    end
  endfunction

  function automatic [DW-1:0] pattern(input integer i);
    reg [31:0] h;
    integer k;
    begin
      h = xs32(i * 32'h9E37_79B9 + SEED);
      for (k = 0; k < DW; k = k + 1) begin
        if (k % 32 == 0 && k > 0) h = xs32(h);
        pattern[k] = h[k % 32];
      end
    end
  endfunction

  // Activity modes of each side: 0 idle, 1 always, 2 random (~30 % stalls), 3 random bursts.
  integer src_mode = 0;
  integer snk_mode = 0;

  reg  [DW-1:0] s_tdata;
  reg           s_tvalid;
  wire          s_tready;
  wire [DW-1:0] m_tdata;
  wire          m_tvalid;
  reg           m_tready;

  gr_fifo_wc #(
    .DW(DW),
    .DEPTH(DEPTH),
    .WW(WW)
  ) dut (
    .clk(clk),
    .rst_n(rst_n),
    .s_tdata(s_tdata),
    .s_tvalid(s_tvalid),
    .s_tready(s_tready),
    .m_tdata(m_tdata),
    .m_tvalid(m_tvalid),
    .m_tready(m_tready)
  );

  // Source.
  integer in_count = 0;
  reg [31:0] src_rng = 32'd0;
  integer src_burst = 0;
  reg src_burst_on = 1'b0;
  reg src_go;
  integer src_next;
  always @(posedge clk) begin
    if (!rst_n) begin
      s_tvalid <= 1'b0;
      src_rng = xs32(SEED * 7 + 1);
    end else begin
      src_rng = xs32(src_rng);
      case (src_mode)
        1: src_go = 1'b1;
        2: src_go = (src_rng % 100) >= 30;
        3: begin
          if (src_burst == 0) begin
            src_burst_on = src_rng[31];
            src_rng = xs32(src_rng);
            src_burst = 1 + (src_rng % (2 * DEPTH + 8) * NW);
          end
          src_burst = src_burst - 1;
          src_go = src_burst_on;
        end
        default: src_go = 1'b0;
      endcase
      src_next = in_count + ((s_tvalid && s_tready) ? 1 : 0);
      in_count <= src_next;
      if (!s_tvalid || s_tready) begin
        if (src_go && src_next < NBEATS) begin
          s_tvalid <= 1'b1;
          s_tdata <= pattern(src_next);
        end else begin
          s_tvalid <= 1'b0;
        end
      end
    end
  end

  // Sink and checker.
  integer out_count = 0;
  reg [31:0] snk_rng = 32'd0;
  integer snk_burst = 0;
  reg snk_burst_on = 1'b0;
  reg held = 1'b0;          // last cycle had m_tvalid without m_tready
  reg [DW-1:0] held_data;
  always @(posedge clk) begin
    if (!rst_n) begin
      m_tready <= 1'b0;
      snk_rng = xs32(SEED * 13 + 5);
    end else begin
      if (held && (!m_tvalid || m_tdata !== held_data)) begin
        $display("FAIL fifo: m_tvalid/m_tdata changed before the beat moved (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      held <= m_tvalid && !m_tready;
      held_data <= m_tdata;
      if (m_tvalid && m_tready) begin
        if (out_count >= NBEATS || m_tdata !== pattern(out_count)) begin
          $display("FAIL fifo: beat %0d is %h, expected %h (cycle %0d)", out_count, m_tdata, pattern(out_count), cyc);
          failed = 1'b1;
          $finish;
        end
        out_count <= out_count + 1;
      end
      snk_rng = xs32(snk_rng);
      case (snk_mode)
        1: m_tready <= 1'b1;
        2: m_tready <= (snk_rng % 100) >= 30;
        3: begin
          if (snk_burst == 0) begin
            snk_burst_on = snk_rng[31];
            snk_rng = xs32(snk_rng);
            snk_burst = 1 + (snk_rng % (2 * DEPTH + 8) * NW);
          end
          snk_burst = snk_burst - 1;
          m_tready <= snk_burst_on;
        end
        default: m_tready <= 1'b0;
      endcase
    end
  end

  // Occupancy never exceeds the capacity.
  always @(posedge clk) begin
    if (rst_n && in_count - out_count > CAP) begin
      $display("FAIL fifo: %0d beats inside, capacity is %0d", in_count - out_count, CAP);
      failed = 1'b1;
      $finish;
    end
  end

  integer low_run;
  integer in0;
  integer out0;
  integer lat0;
  initial begin
    while (!rst_n) @(posedge clk);

    // 1. Fill.
    src_mode = 1;
    low_run = 0;
    while (low_run < 8 * NW + 8) begin
      @(posedge clk);
      low_run = s_tready ? 0 : low_run + 1;
      if (cyc > 1000 + 4 * CAP * NW) begin
        $display("FAIL fifo: never filled");
        failed = 1'b1;
        $finish;
      end
    end
    $display("CAPACITY %0d", in_count);
    if (in_count != CAP || out_count != 0) begin
      $display("FAIL fifo: filled with %0d beats, expected capacity %0d", in_count, CAP);
      failed = 1'b1;
      $finish;
    end

    // 2. Both sides always active, starting full.
    snk_mode = 1;
    repeat (4 * NW + 8) @(posedge clk);
    in0 = in_count;
    out0 = out_count;
    repeat (WINDOW) @(posedge clk);
    $display("THROUGHPUT full %0d in %0d out in %0d cycles", in_count - in0, out_count - out0, WINDOW);
    if (THRU == 1 && (in_count - in0 != BEATS || out_count - out0 != BEATS)) begin
      $display("FAIL fifo: from full, %0d in and %0d out in %0d cycles", in_count - in0, out_count - out0, WINDOW);
      failed = 1'b1;
      $finish;
    end

    // 3. Drain, then both sides always active, starting empty.
    src_mode = 0;
    while (out_count != in_count || m_tvalid) @(posedge clk);
    out0 = out_count;
    src_mode = 1;
    in0 = in_count;
    lat0 = cyc;
    while (in_count == in0) @(posedge clk);
    lat0 = cyc;
    while (out_count == out0) @(posedge clk);
    $display("LATENCY %0d", cyc - lat0);
    if (cyc - lat0 != NW + 4) begin
      $display("FAIL fifo: latency %0d cycles, expected NW + 4 = %0d", cyc - lat0, NW + 4);
      failed = 1'b1;
      $finish;
    end
    repeat (4 * NW + 8) @(posedge clk);
    in0 = in_count;
    out0 = out_count;
    repeat (WINDOW) @(posedge clk);
    $display("THROUGHPUT empty %0d in %0d out in %0d cycles", in_count - in0, out_count - out0, WINDOW);
    if (THRU == 1 && (in_count - in0 != BEATS || out_count - out0 != BEATS)) begin
      $display("FAIL fifo: from empty, %0d in and %0d out in %0d cycles", in_count - in0, out_count - out0, WINDOW);
      failed = 1'b1;
      $finish;
    end

    // 4. Random stalls, then random bursts.
    src_mode = 2;
    snk_mode = 2;
    while (in_count < NBEATS / 2) @(posedge clk);
    src_mode = 3;
    snk_mode = 3;
    while (out_count < NBEATS) begin
      @(posedge clk);
      if (cyc > 40 * NBEATS * NW + 10000) begin
        $display("FAIL fifo: timeout with %0d of %0d beats out", out_count, NBEATS);
        failed = 1'b1;
        $finish;
      end
    end
    snk_mode = 1;
    repeat (20) @(posedge clk);
    if (out_count != NBEATS || m_tvalid) begin
      $display("FAIL fifo: %0d beats out, expected %0d", out_count, NBEATS);
      failed = 1'b1;
      $finish;
    end
    if (!failed) $display("PASS");
    $finish;
  end
endmodule

`default_nettype wire

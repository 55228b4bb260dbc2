// Self-checking testbench for rtl/gr_broadcast.v.
//
// One source, N sinks with independent stalls. Beat i carries pattern(i); every sink checks that it
// receives every beat exactly once and in order. After every edge, the source's beat count must lie
// between the slowest and the fastest sink: the input is released only when every consumer has its
// copy, and no consumer gets a beat twice or ahead of the input. Phases: all sides always active (one
// beat per cycle), ~30 % random stalls everywhere, then long random bursts of stalls and activity.
// Prints PASS or FAIL <details> and calls $finish. Runs under Verilator (--binary --timing) and
// Icarus (-g2012).
`default_nettype none

module tb_gr_broadcast;
  parameter integer N      = 3;     // consumers
  parameter integer DW     = 10;    // tdata width
  parameter integer NBEATS = 5000;  // beats in total
  parameter integer SEED   = 1;     // stall and data seed

  localparam integer WINDOW = 64;   // cycles of the throughput measurement

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

  // Activity mode of every side: 1 always, 2 random (~30 % stalls), 3 random bursts.
  integer mode = 1;

  reg  [DW-1:0] s_tdata;
  reg           s_tvalid;
  wire          s_tready;
  wire [DW-1:0] m_tdata;
  wire [N-1:0]  m_tvalid;
  reg  [N-1:0]  m_tready;

  gr_broadcast #(
    .N(N),
    .DW(DW)
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

  // One activity decision per cycle for side `id` (0 = source, 1 + i = sink i).
  reg [31:0] rng [0:N];
  integer burst [0:N];
  reg burst_on [0:N];
  task automatic decide(input integer id, output reg go);
    begin
      rng[id] = xs32(rng[id]);
      case (mode)
        1: go = 1'b1;
        2: go = (rng[id] % 100) >= 30;
        default: begin
          if (burst[id] == 0) begin
            burst_on[id] = rng[id][31];
            rng[id] = xs32(rng[id]);
            burst[id] = 1 + (rng[id] % 24);
          end
          burst[id] = burst[id] - 1;
          go = burst_on[id];
        end
      endcase
    end
  endtask

  integer id;
  initial begin
    for (id = 0; id <= N; id = id + 1) begin
      rng[id] = xs32(SEED * 31 + id * 977 + 1);
      burst[id] = 0;
      burst_on[id] = 1'b0;
    end
  end

  // Source.
  integer in_count = 0;
  integer src_next;
  reg src_go;
  always @(posedge clk) begin
    if (!rst_n) begin
      s_tvalid <= 1'b0;
    end else begin
      decide(0, src_go);
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

  // Sinks and checkers.
  integer out_count [0:N-1];
  reg [N-1:0] held = {N{1'b0}};
  reg [DW-1:0] held_data;
  integer i;
  integer lo;
  integer hi;
  integer released;
  reg snk_go;
  initial for (j = 0; j < N; j = j + 1) out_count[j] = 0;
  always @(posedge clk) begin
    if (!rst_n) begin
      m_tready <= {N{1'b0}};
    end else begin
      for (i = 0; i < N; i = i + 1) begin
        if (held[i] && (!m_tvalid[i] || m_tdata !== held_data)) begin
          $display("FAIL broadcast: output %0d dropped valid or changed data before its beat moved (cycle %0d)", i, cyc);
          failed = 1'b1;
          $finish;
        end
        if (m_tvalid[i] && m_tready[i]) begin
          if (out_count[i] >= NBEATS || m_tdata !== pattern(out_count[i])) begin
            $display("FAIL broadcast: output %0d beat %0d is %h, expected %h (cycle %0d)", i, out_count[i], m_tdata,
                     pattern(out_count[i]), cyc);
            failed = 1'b1;
            $finish;
          end
          out_count[i] = out_count[i] + 1;
        end
        decide(1 + i, snk_go);
        m_tready[i] <= snk_go;
      end
      held <= m_tvalid & ~m_tready;
      held_data <= m_tdata;
      // The source's count after this edge against the sinks' counts after this edge.
      lo = out_count[0];
      hi = out_count[0];
      for (i = 1; i < N; i = i + 1) begin
        if (out_count[i] < lo) lo = out_count[i];
        if (out_count[i] > hi) hi = out_count[i];
      end
      released = in_count + ((s_tvalid && s_tready) ? 1 : 0);
      if (released > lo || hi > released + 1) begin
        $display("FAIL broadcast: input released %0d beats, consumers hold %0d .. %0d (cycle %0d)", released, lo, hi, cyc);
        failed = 1'b1;
        $finish;
      end
    end
  end

  integer in0;
  reg done;
  integer j;
  initial begin
    while (!rst_n) @(posedge clk);
    repeat (8) @(posedge clk);
    in0 = in_count;
    repeat (WINDOW) @(posedge clk);
    if (in_count - in0 != WINDOW) begin
      $display("FAIL broadcast: %0d beats in %0d cycles with every side always active", in_count - in0, WINDOW);
      failed = 1'b1;
      $finish;
    end
    mode = 2;
    while (in_count < NBEATS / 2) @(posedge clk);
    mode = 3;
    done = 1'b0;
    while (!done) begin
      @(posedge clk);
      done = 1'b1;
      for (j = 0; j < N; j = j + 1) if (out_count[j] < NBEATS) done = 1'b0;
      if (cyc > 40 * NBEATS + 10000) begin
        $display("FAIL broadcast: timeout with %0d of %0d beats in", in_count, NBEATS);
        failed = 1'b1;
        $finish;
      end
    end
    mode = 1;
    repeat (20) @(posedge clk);
    for (j = 0; j < N; j = j + 1) begin
      if (out_count[j] != NBEATS || m_tvalid[j]) begin
        $display("FAIL broadcast: output %0d took %0d beats, expected %0d", j, out_count[j], NBEATS);
        failed = 1'b1;
        $finish;
      end
    end
    if (in_count != NBEATS) begin
      $display("FAIL broadcast: %0d input beats, expected %0d", in_count, NBEATS);
      failed = 1'b1;
      $finish;
    end
    if (!failed) $display("PASS");
    $finish;
  end
endmodule

`default_nettype wire

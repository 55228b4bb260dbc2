// Self-checking testbench for rtl/gr_concat.v.
//
// Two sources a and b and one sink, each with its own stalls. Beat i of a carries pattern(i, 1), of
// b pattern(i, 2); output beat i must be {b_i, a_i}, every beat exactly once and in order, and a and b
// must move only together with m. Phases: every side always active (one beat per cycle), ~30 % random
// stalls everywhere, then random bursts. Prints PASS or FAIL <details> and calls $finish.
// Simulators: Verilator (--binary --timing) and Icarus (-g2012).
`default_nettype none

module tb_gr_concat;
  parameter integer A_BITS = 12;    // a_tdata width
  parameter integer B_BITS = 20;    // b_tdata width
  parameter integer NBEATS = 3000;  // beats in total
  parameter integer SEED   = 1;     // stall and data seed

  localparam integer M_BITS = A_BITS + B_BITS;
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

  function automatic [M_BITS-1:0] pattern(input integer i, input integer salt);
    reg [31:0] h;
    integer k;
    begin
      h = xs32(i * 32'h9E37_79B9 + SEED * 3 + salt);
      for (k = 0; k < M_BITS; k = k + 1) begin
        if (k % 32 == 0 && k > 0) h = xs32(h);
        pattern[k] = h[k % 32];
      end
    end
  endfunction

  // Activity mode of every side: 1 always, 2 random (~30 % stalls), 3 random bursts.
  integer mode = 1;
  reg [31:0] rng [0:2];
  integer burst [0:2];
  reg burst_on [0:2];
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
    for (id = 0; id < 3; id = id + 1) begin
      rng[id] = xs32(SEED * 17 + id * 101 + 1);
      burst[id] = 0;
      burst_on[id] = 1'b0;
    end
  end

  reg  [A_BITS-1:0] a_tdata;
  reg               a_tvalid;
  wire              a_tready;
  reg  [B_BITS-1:0] b_tdata;
  reg               b_tvalid;
  wire              b_tready;
  wire [M_BITS-1:0] m_tdata;
  wire              m_tvalid;
  reg               m_tready;

  gr_concat #(
    .A_BITS(A_BITS),
    .B_BITS(B_BITS)
  ) dut (
    .clk(clk),
    .rst_n(rst_n),
    .a_tdata(a_tdata),
    .a_tvalid(a_tvalid),
    .a_tready(a_tready),
    .b_tdata(b_tdata),
    .b_tvalid(b_tvalid),
    .b_tready(b_tready),
    .m_tdata(m_tdata),
    .m_tvalid(m_tvalid),
    .m_tready(m_tready)
  );

  function automatic [A_BITS-1:0] a_of(input integer i);
    reg [M_BITS-1:0] t;
    begin
      t = pattern(i, 1);
      a_of = t[A_BITS-1:0];
    end
  endfunction

  function automatic [B_BITS-1:0] b_of(input integer i);
    reg [M_BITS-1:0] t;
    begin
      t = pattern(i, 2);
      b_of = t[B_BITS-1:0];
    end
  endfunction

  // Sources.
  integer a_count = 0;
  integer b_count = 0;
  integer a_next;
  integer b_next;
  reg a_go;
  reg b_go;
  always @(posedge clk) begin
    if (!rst_n) begin
      a_tvalid <= 1'b0;
      b_tvalid <= 1'b0;
    end else begin
      decide(0, a_go);
      decide(1, b_go);
      a_next = a_count + ((a_tvalid && a_tready) ? 1 : 0);
      b_next = b_count + ((b_tvalid && b_tready) ? 1 : 0);
      a_count <= a_next;
      b_count <= b_next;
      if (!a_tvalid || a_tready) begin
        a_tvalid <= a_go && a_next < NBEATS;
        a_tdata <= a_of(a_next);
      end
      if (!b_tvalid || b_tready) begin
        b_tvalid <= b_go && b_next < NBEATS;
        b_tdata <= b_of(b_next);
      end
    end
  end

  // Sink and checker.
  integer out_count = 0;
  reg held = 1'b0;
  reg [M_BITS-1:0] held_data;
  reg snk_go;
  always @(posedge clk) begin
    if (!rst_n) begin
      m_tready <= 1'b0;
    end else begin
      if (held && (!m_tvalid || m_tdata !== held_data)) begin
        $display("FAIL concat: m_tvalid/m_tdata changed before the beat moved (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      held <= m_tvalid && !m_tready;
      held_data <= m_tdata;
      if ((a_tvalid && a_tready) != (m_tvalid && m_tready) || (b_tvalid && b_tready) != (m_tvalid && m_tready)) begin
        $display("FAIL concat: a, b and m beats do not move together (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      if (m_tvalid && m_tready) begin
        if (out_count >= NBEATS || m_tdata !== {b_of(out_count), a_of(out_count)}) begin
          $display("FAIL concat: beat %0d is %h, expected %h (cycle %0d)", out_count, m_tdata,
                   {b_of(out_count), a_of(out_count)}, cyc);
          failed = 1'b1;
          $finish;
        end
        out_count <= out_count + 1;
      end
      decide(2, snk_go);
      m_tready <= snk_go;
    end
  end

  integer out0;
  initial begin
    while (!rst_n) @(posedge clk);
    repeat (8) @(posedge clk);
    out0 = out_count;
    repeat (WINDOW) @(posedge clk);
    if (out_count - out0 != WINDOW) begin
      $display("FAIL concat: %0d beats in %0d cycles with every side always active", out_count - out0, WINDOW);
      failed = 1'b1;
      $finish;
    end
    mode = 2;
    while (out_count < NBEATS / 2) @(posedge clk);
    mode = 3;
    while (out_count < NBEATS) begin
      @(posedge clk);
      if (cyc > 40 * NBEATS + 10000) begin
        $display("FAIL concat: timeout with %0d of %0d beats out", out_count, NBEATS);
        failed = 1'b1;
        $finish;
      end
    end
    mode = 1;
    repeat (20) @(posedge clk);
    if (out_count != NBEATS || a_count != NBEATS || b_count != NBEATS || m_tvalid) begin
      $display("FAIL concat: %0d beats out, %0d a, %0d b, expected %0d each", out_count, a_count, b_count, NBEATS);
      failed = 1'b1;
      $finish;
    end
    if (!failed) $display("PASS");
    $finish;
  end
endmodule

`default_nettype wire

// Self-checking testbench for rtl/pins/gr_axis_to_bytes.v and rtl/pins/gr_bytes_to_axis.v (the iCE40
// pin wrapper's byte streams).
//
// A W-bit source feeds gr_axis_to_bytes, whose byte stream feeds gr_bytes_to_axis back to W bits,
// into a sink. Word i carries pattern(i) and tlast = last(i). The byte stream must carry every word's
// bytes least significant first, with tlast only on the last byte of a word that had it; the sink
// must receive every word once, in order, with its tlast. With source and sink always active, the
// byte stream must move a byte in every cycle (after the first word). Phases: always active, ~30 %
// random stalls on both ends, then random bursts of stalls and activity. Prints PASS or
// FAIL <details> and calls $finish. Runs under Verilator (--binary --timing) and Icarus (-g2012).
`default_nettype none

module tb_gr_axis_bytes;
  parameter integer W      = 32;    // word width (a multiple of 8)
  parameter integer NWORDS = 3000;  // words in total
  parameter integer SEED   = 1;     // stall and data seed

  localparam integer N = W / 8;     // bytes per word
  localparam integer PHASE = NWORDS / 3;

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

  function automatic [W-1:0] pattern(input integer i);
    reg [31:0] h;
    integer k;
    begin
      h = xs32(i * 32'h9E37_79B9 + SEED);
      for (k = 0; k < W; k = k + 1) begin
        if (k % 32 == 0 && k > 0) h = xs32(h);
        pattern[k] = h[k % 32];
      end
    end
  endfunction

  function automatic last_of(input integer i);
    last_of = (xs32(i + 7 * SEED) % 5) == 0;
  endfunction

  // Activity mode of both ends: 1 always, 2 random (~30 % stalls), 3 random bursts.
  integer mode = 1;

  reg  [W-1:0] s_tdata;
  reg          s_tvalid;
  wire         s_tready;
  reg          s_tlast;
  wire [7:0]   b_tdata;
  wire         b_tvalid;
  wire         b_tready;
  wire         b_tlast;
  wire [W-1:0] m_tdata;
  wire         m_tvalid;
  reg          m_tready;
  wire         m_tlast;

  gr_axis_to_bytes #(
    .W(W)
  ) u_down (
    .clk(clk),
    .rst_n(rst_n),
    .s_tdata(s_tdata),
    .s_tvalid(s_tvalid),
    .s_tready(s_tready),
    .s_tlast(s_tlast),
    .m_tdata(b_tdata),
    .m_tvalid(b_tvalid),
    .m_tready(b_tready),
    .m_tlast(b_tlast)
  );

  gr_bytes_to_axis #(
    .W(W)
  ) u_up (
    .clk(clk),
    .rst_n(rst_n),
    .s_tdata(b_tdata),
    .s_tvalid(b_tvalid),
    .s_tready(b_tready),
    .s_tlast(b_tlast),
    .m_tdata(m_tdata),
    .m_tvalid(m_tvalid),
    .m_tready(m_tready),
    .m_tlast(m_tlast)
  );

  // One activity decision per cycle for side `id` (0 = source, 1 = sink).
  reg [31:0] rng [0:1];
  integer burst [0:1];
  reg burst_on [0:1];
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

  initial begin
    rng[0] = xs32(SEED * 31 + 1);
    rng[1] = xs32(SEED * 31 + 978);
    burst[0] = 0;
    burst[1] = 0;
    burst_on[0] = 1'b0;
    burst_on[1] = 1'b0;
  end

  // Source.
  integer in_count = 0;
  integer src_next;
  reg src_go;
  always @(posedge clk) begin
    if (!rst_n) begin
      s_tvalid <= 1'b0;
      s_tdata <= {W{1'b0}};
      s_tlast <= 1'b0;
    end else begin
      decide(0, src_go);
      src_next = in_count + ((s_tvalid && s_tready) ? 1 : 0);
      in_count <= src_next;
      if (!s_tvalid || s_tready) begin
        if (src_go && src_next < NWORDS) begin
          s_tvalid <= 1'b1;
          s_tdata <= pattern(src_next);
          s_tlast <= last_of(src_next);
        end else begin
          s_tvalid <= 1'b0;
        end
      end
    end
  end

  // Sink.
  reg sink_go;
  always @(posedge clk) begin
    if (!rst_n) m_tready <= 1'b0;
    else begin
      decide(1, sink_go);
      m_tready <= sink_go;
    end
  end

  // Byte-stream checker: byte k of word j is pattern(j)[8k+7:8k]; tlast only on k = N-1 of a last word.
  integer byte_count = 0;
  integer bj, bk;
  reg [W-1:0] bword;
  reg [7:0] bexp;
  reg blast;
  always @(posedge clk) begin
    if (rst_n && b_tvalid && b_tready) begin
      bj = byte_count / N;
      bk = byte_count % N;
      bword = pattern(bj);
      bexp = bword[8*bk +: 8];
      blast = (bk == N - 1) && last_of(bj);
      if (b_tdata !== bexp || b_tlast !== blast) begin
        $display("FAIL byte %0d (word %0d byte %0d): got %h last %b, expected %h last %b", byte_count, bj, bk, b_tdata, b_tlast, bexp, blast);
        failed = 1'b1;
      end
      byte_count <= byte_count + 1;
    end
  end

  // Word checker and phase control.
  integer out_count = 0;
  always @(posedge clk) begin
    if (rst_n && m_tvalid && m_tready) begin
      if (m_tdata !== pattern(out_count) || m_tlast !== last_of(out_count)) begin
        $display("FAIL word %0d: got %h last %b, expected %h last %b", out_count, m_tdata, m_tlast, pattern(out_count), last_of(out_count));
        failed = 1'b1;
      end
      out_count <= out_count + 1;
      if (out_count + 1 == PHASE) mode <= 2;
      if (out_count + 1 == 2 * PHASE) mode <= 3;
    end
  end

  // Throughput while everything is active: a byte in every cycle from the first one until the
  // phase ends (measured over the first half of phase 1).
  integer first_byte_cyc = -1;
  always @(posedge clk) begin
    if (rst_n && b_tvalid && b_tready && first_byte_cyc < 0) first_byte_cyc <= cyc;
    if (mode == 1 && first_byte_cyc >= 0 && cyc == first_byte_cyc + N * PHASE / 2) begin
      if (byte_count != N * PHASE / 2) begin
        $display("FAIL throughput: %0d bytes in %0d always-active cycles, expected %0d", byte_count, N * PHASE / 2, N * PHASE / 2);
        failed = 1'b1;
      end
    end
  end

  initial begin
    if (W < 8 || W % 8 != 0) begin
      $display("FAIL W must be a multiple of 8");
      $finish;
    end
    wait (out_count == NWORDS);
    repeat (20) @(posedge clk);
    if (byte_count != N * NWORDS) begin
      $display("FAIL %0d bytes moved, expected %0d", byte_count, N * NWORDS);
      failed = 1'b1;
    end
    if (!failed) $display("PASS");
    $finish;
  end

  initial begin
    #(10 * (200 + 40 * N * NWORDS));
    $display("FAIL timeout: %0d of %0d words", out_count, NWORDS);
    $finish;
  end
endmodule

`default_nettype wire

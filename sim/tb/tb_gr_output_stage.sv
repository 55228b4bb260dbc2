// Self-checking testbench for rtl/gr_output_stage.v.
//
// NIMG pixels of CLASSES logits (LW-bit signed) go in; the sink checks CLASSES + 1 beats per image:
// the logits sign-extended to 32 bits (class 0 first, tlast = 0), then the index of the first maximum
// (tlast = 1). Images: random full-range logits, small ranges with many ties, all equal, all at the
// minimum, mixtures of both extremes. The first three images run without stalls and must stream one
// beat per cycle, the first beat one cycle after s_tvalid; the rest run with ~30 % random stalls on
// s_tvalid and m_axis_tready. Prints PASS or FAIL <details> and calls $finish.
// Simulators: Verilator (--binary --timing) and Icarus (-g2012).
`default_nettype none

module tb_gr_output_stage;
  parameter integer CLASSES = 10;  // logits per image
  parameter integer LW      = 32;  // logit width
  parameter integer NIMG    = 40;  // images
  parameter integer SEED    = 1;   // data and stall seed

  localparam integer BEATS   = CLASSES + 1;  // output beats per image
  localparam integer NBEATS  = NIMG * BEATS;
  localparam integer CALM    = 3;            // images without stalls, timed

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

  // Stimulus and expected beats.
  reg [CLASSES*LW-1:0] img [0:NIMG-1];
  reg [31:0] exp_data [0:NBEATS-1];
  reg        exp_last [0:NBEATS-1];
  reg [31:0] gen_rng;
  reg [31:0] t32;
  integer iv;
  integer best;
  integer lo_v;
  integer hi_v;
  integer best_i;
  integer n;
  integer c;
  integer kind;
  // The low LW bits of x as a signed number.
  function automatic integer sext(input [31:0] x);
    sext = $signed(x << (32 - LW)) >>> (32 - LW);
  endfunction
  initial begin
    gen_rng = xs32(SEED * 1009 + 7);
    lo_v = sext(32'h8000_0000 >> (32 - LW));
    hi_v = sext(32'h7FFF_FFFF >> (32 - LW));
    for (n = 0; n < NIMG; n = n + 1) begin
      kind = (n < CALM) ? 0 : n % 6;
      gen_rng = xs32(gen_rng);
      for (c = 0; c < CLASSES; c = c + 1) begin
        gen_rng = xs32(gen_rng);
        case (kind)
          1: t32 = (gen_rng % 5) - 2;                      // ties
          2: t32 = xs32(n + SEED);                         // all equal
          3: t32 = lo_v;                                   // all at the minimum
          4: t32 = gen_rng[0] ? lo_v : hi_v;               // both extremes
          5: t32 = (c == CLASSES - 1) ? hi_v : gen_rng;    // maximum at the end
          default: t32 = gen_rng;                          // anything
        endcase
        img[n][c*LW +: LW] = t32[LW-1:0];
        iv = sext(t32);
        exp_data[n * BEATS + c] = iv;
        exp_last[n * BEATS + c] = 1'b0;
        if (c == 0 || iv > best) begin
          best = iv;
          best_i = c;
        end
      end
      exp_data[n * BEATS + CLASSES] = best_i;
      exp_last[n * BEATS + CLASSES] = 1'b1;
    end
  end

  reg  [CLASSES*LW-1:0] s_tdata;
  reg                   s_tvalid;
  wire                  s_tready;
  wire [31:0]           m_axis_tdata;
  wire                  m_axis_tvalid;
  reg                   m_axis_tready;
  wire                  m_axis_tlast;

  gr_output_stage #(
    .CLASSES(CLASSES),
    .LW(LW)
  ) dut (
    .clk(clk),
    .rst_n(rst_n),
    .s_tdata(s_tdata),
    .s_tvalid(s_tvalid),
    .s_tready(s_tready),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
  );

  // Source.
  integer in_count = 0;
  integer in_next;
  integer first_edge = -1;  // cycle stamp of the edge at which s_tvalid was first seen
  reg [31:0] src_rng = 32'd0;
  always @(posedge clk) begin
    if (!rst_n) begin
      s_tvalid <= 1'b0;
      src_rng = xs32(SEED * 7 + 3);
    end else begin
      if (s_tvalid && first_edge < 0) first_edge = cyc;
      src_rng = xs32(src_rng);
      in_next = in_count + ((s_tvalid && s_tready) ? 1 : 0);
      in_count <= in_next;
      if (!s_tvalid || s_tready) begin
        s_tvalid <= in_next < NIMG && (in_next < CALM || (src_rng % 100) >= 30);
        if (in_next < NIMG) s_tdata <= img[in_next];
      end
    end
  end

  // Sink and checker.
  integer out_count = 0;
  integer out_next;
  reg [31:0] snk_rng = 32'd0;
  reg held = 1'b0;
  reg [32:0] held_beat;
  always @(posedge clk) begin
    if (!rst_n) begin
      m_axis_tready <= 1'b0;
      snk_rng = xs32(SEED * 13 + 5);
    end else begin
      if (held && (!m_axis_tvalid || {m_axis_tlast, m_axis_tdata} !== held_beat)) begin
        $display("FAIL output: m_axis_* changed before the beat moved (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      held <= m_axis_tvalid && !m_axis_tready;
      held_beat <= {m_axis_tlast, m_axis_tdata};
      out_next = out_count;
      if (m_axis_tvalid && m_axis_tready) begin
        if (out_count >= NBEATS || m_axis_tdata !== exp_data[out_count] || m_axis_tlast !== exp_last[out_count]) begin
          $display("FAIL output: image %0d beat %0d is %h (tlast %b), expected %h (tlast %b)", out_count / BEATS,
                   out_count % BEATS, m_axis_tdata, m_axis_tlast, exp_data[out_count], exp_last[out_count]);
          failed = 1'b1;
          $finish;
        end
        if (out_count < CALM * BEATS && cyc != first_edge + 1 + out_count) begin
          $display("FAIL output: beat %0d moved at edge %0d, expected %0d (one beat per cycle)", out_count,
                   cyc - first_edge, 1 + out_count);
          failed = 1'b1;
          $finish;
        end
        out_next = out_count + 1;
      end
      out_count <= out_next;
      snk_rng = xs32(snk_rng);
      m_axis_tready <= out_next < CALM * BEATS || (snk_rng % 100) >= 30;
    end
  end

  initial begin
    while (out_count < NBEATS) begin
      @(posedge clk);
      if (cyc > 20 * NBEATS + 1000) begin
        $display("FAIL output: timeout with %0d of %0d beats out", out_count, NBEATS);
        failed = 1'b1;
        $finish;
      end
    end
    repeat (20) @(posedge clk);
    if (out_count != NBEATS || in_count != NIMG || m_axis_tvalid) begin
      $display("FAIL output: %0d beats out of %0d, %0d images in of %0d", out_count, NBEATS, in_count, NIMG);
      failed = 1'b1;
      $finish;
    end
    if (!failed) $display("PASS");
    $finish;
  end
endmodule

`default_nettype wire

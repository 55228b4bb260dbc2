// Self-checking testbench for rtl/gr_avgpool_stage.v.
//
// The requantization ROMs (M0_FILE, BIAS_FILE, SHIFT_FILE, layout as in the core's header) must
// exist in the working directory; test/rtl/stream-cores.test.ts writes random ones (multipliers up
// to +-131071 including negatives, biases up to int32, shifts 0..20 including 0). This bench reads
// the same files, unpacks them per channel and computes every output with a behavioural model of
// docs/integer-semantics.md section 3 (kind avgpool) in 64-bit integers:
//   sum = the sum over the H*W pixels,  y = sat((sum*M0 + bias + (s > 0 ? 2^(s-1) : 0)) >>> s)
// Images: random pixels biased towards both ends of the input range, and images entirely at the
// maximum or at the minimum (the accumulator's worst cases). The first CALM images run back to back
// without stalls and are timed against the core's cycle formula (image i's output moves at edge
// E + H*W*C/PE + 6 + i*H*W*C/PE, E = the edge of the first pixel; every input pixel moves exactly
// C/PE cycles after the one before: no bubble between pixels or images); the rest run with ~30 %
// random stalls on s_tvalid and m_tready, plus occasional long m_tready stalls that back up the
// whole core (the last pass of an image then waits for the output register). The run fails unless outputs saturated at the top, at the bottom and in range all
// occurred, and some channel has shift 0. Prints PASS or FAIL <details> and calls $finish.
// Simulators: Verilator (--binary --timing) and Icarus (-g2012).
`default_nettype none

module tb_gr_avgpool_stage;
  parameter integer H          = 3;
  parameter integer W          = 3;
  parameter integer C          = 8;
  parameter integer IN_W       = 8;
  parameter integer IN_SIGNED  = 0;
  parameter integer ACC0_W     = 13;
  parameter integer PE         = 2;
  parameter integer MULT_W     = 18;
  parameter integer BIAS_W     = 32;
  parameter integer SHIFT_W    = 6;
  parameter integer SUM_W      = 40;
  parameter integer OUT_W      = 8;
  parameter integer OUT_SIGNED = 0;
  parameter        M0_FILE    = "avg_m0.hex";
  parameter        BIAS_FILE  = "avg_bias.hex";
  parameter        SHIFT_FILE = "avg_shift.hex";
  parameter integer NIMG       = 12;  // images
  parameter integer SEED       = 1;   // data and stall seed

  localparam integer NS     = C / PE;                    // cycles per input pixel
  localparam integer NPIX   = H * W;                     // pixels per image
  localparam integer PERIOD = NPIX * NS;                 // cycles per image, steady state
  localparam integer LAT    = 6;                         // first image out at edge E + PERIOD + LAT
  localparam integer CALM   = 3;                         // images without stalls, timed
  localparam integer NIN    = NIMG * NPIX;               // input pixels in total

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

  // The low w bits of x, sign-extended.
  function automatic longint sx(input [63:0] x, input integer w);
    sx = $signed(x << (64 - w)) >>> (64 - w);
  endfunction

  reg [PE*MULT_W-1:0]  rom_m0    [0:NS-1];
  reg [PE*BIAS_W-1:0]  rom_bias  [0:NS-1];
  reg [PE*SHIFT_W-1:0] rom_shift [0:NS-1];
  longint m0 [0:C-1];
  longint bias [0:C-1];
  integer shift [0:C-1];

  reg [C*IN_W-1:0]  in_mem [0:NIN-1];
  reg [C*OUT_W-1:0] exp_m [0:NIMG-1];
  longint sum [0:C-1];
  integer n_hi = 0;
  integer n_lo = 0;
  integer n_mid = 0;
  integer n_s0 = 0;

  reg [31:0] gen_rng;
  longint in_lo;
  longint in_hi;
  reg [63:0] t64;
  longint xv;
  longint v;
  longint lo_out;
  longint hi_out;
  integer n;
  integer k;
  integer c;
  integer kind;
  initial begin
    $readmemh(M0_FILE, rom_m0);
    $readmemh(BIAS_FILE, rom_bias);
    $readmemh(SHIFT_FILE, rom_shift);
    for (c = 0; c < C; c = c + 1) begin
      t64 = 64'd0;
      t64[MULT_W-1:0] = rom_m0[c / PE][(c % PE)*MULT_W +: MULT_W];
      m0[c] = sx(t64, MULT_W);
      t64 = 64'd0;
      t64[BIAS_W-1:0] = rom_bias[c / PE][(c % PE)*BIAS_W +: BIAS_W];
      bias[c] = sx(t64, BIAS_W);
      t64 = 64'd0;
      t64[SHIFT_W-1:0] = rom_shift[c / PE][(c % PE)*SHIFT_W +: SHIFT_W];
      shift[c] = t64[31:0];
      if (shift[c] == 0) n_s0 = n_s0 + 1;
    end
    in_lo = (IN_SIGNED != 0) ? -(64'sd1 <<< (IN_W - 1)) : 64'sd0;
    in_hi = (IN_SIGNED != 0) ? (64'sd1 <<< (IN_W - 1)) - 64'sd1 : (64'sd1 <<< IN_W) - 64'sd1;
    lo_out = (OUT_SIGNED != 0) ? -(64'sd1 <<< (OUT_W - 1)) : 64'sd0;
    hi_out = (OUT_SIGNED != 0) ? (64'sd1 <<< (OUT_W - 1)) - 64'sd1 : (64'sd1 <<< OUT_W) - 64'sd1;
    gen_rng = xs32(SEED * 2654435 + 17);
    for (n = 0; n < NIMG; n = n + 1) begin
      kind = (n < CALM) ? 0 : n % 4;
      for (c = 0; c < C; c = c + 1) sum[c] = 64'sd0;
      for (k = 0; k < NPIX; k = k + 1) begin
        for (c = 0; c < C; c = c + 1) begin
          gen_rng = xs32(gen_rng);
          case (kind)
            1: xv = in_hi;
            2: xv = in_lo;
            default: begin
              if (gen_rng % 8 == 0) xv = in_lo;
              else if (gen_rng % 8 == 1) xv = in_hi;
              else begin
                gen_rng = xs32(gen_rng);
                xv = in_lo + $signed({32'd0, gen_rng} % (in_hi - in_lo + 64'sd1));
              end
            end
          endcase
          t64 = xv;
          in_mem[n * NPIX + k][c*IN_W +: IN_W] = t64[IN_W-1:0];
          sum[c] = sum[c] + xv;
        end
      end
      for (c = 0; c < C; c = c + 1) begin
        // The model: one product, the bias, half up rounding, floor shift, saturation.
        v = sum[c] * m0[c] + bias[c];
        if (shift[c] > 0) v = v + (64'sd1 <<< (shift[c] - 1));
        v = v >>> shift[c];
        if (v > hi_out) begin
          v = hi_out;
          n_hi = n_hi + 1;
        end else if (v < lo_out) begin
          v = lo_out;
          n_lo = n_lo + 1;
        end else begin
          n_mid = n_mid + 1;
        end
        t64 = v;
        exp_m[n][c*OUT_W +: OUT_W] = t64[OUT_W-1:0];
      end
    end
  end

  reg  [C*IN_W-1:0]  s_tdata;
  reg                s_tvalid;
  wire               s_tready;
  wire [C*OUT_W-1:0] m_tdata;
  wire               m_tvalid;
  reg                m_tready;

  gr_avgpool_stage #(
    .H(H),
    .W(W),
    .C(C),
    .IN_W(IN_W),
    .IN_SIGNED(IN_SIGNED),
    .ACC0_W(ACC0_W),
    .PE(PE),
    .MULT_W(MULT_W),
    .BIAS_W(BIAS_W),
    .SHIFT_W(SHIFT_W),
    .SUM_W(SUM_W),
    .OUT_W(OUT_W),
    .OUT_SIGNED(OUT_SIGNED),
    .M0_FILE(M0_FILE),
    .BIAS_FILE(BIAS_FILE),
    .SHIFT_FILE(SHIFT_FILE)
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

  // Source: the first CALM images without stalls, the rest with ~30 % stalls.
  integer in_count = 0;
  integer in_next;
  integer first_edge = -1;
  reg [31:0] src_rng = 32'd0;
  always @(posedge clk) begin
    if (!rst_n) begin
      s_tvalid <= 1'b0;
      src_rng = xs32(SEED * 7 + 1);
    end else begin
      if (s_tvalid && s_tready && first_edge < 0) first_edge = cyc;
      // Without stalls, pixel k of the calm images moves at edge E + k*C/PE.
      if (s_tvalid && s_tready && in_count < CALM * NPIX && cyc != first_edge + in_count * NS) begin
        $display("FAIL avgpool: input pixel %0d moved at edge E+%0d, expected E+%0d", in_count,
                 cyc - first_edge, in_count * NS);
        failed = 1'b1;
        $finish;
      end
      src_rng = xs32(src_rng);
      in_next = in_count + ((s_tvalid && s_tready) ? 1 : 0);
      in_count <= in_next;
      if (!s_tvalid || s_tready) begin
        s_tvalid <= in_next < NIN && (in_next < CALM * NPIX || (src_rng % 100) >= 30);
        if (in_next < NIN) s_tdata <= in_mem[in_next];
      end
    end
  end

  // Sink and checker.
  integer out_count = 0;
  integer out_next;
  reg [31:0] snk_rng = 32'd0;
  integer snk_pause = 0;
  reg held = 1'b0;
  reg [C*OUT_W-1:0] held_data;
  always @(posedge clk) begin
    if (!rst_n) begin
      m_tready <= 1'b0;
      snk_rng = xs32(SEED * 13 + 5);
    end else begin
      if (held && (!m_tvalid || m_tdata !== held_data)) begin
        $display("FAIL avgpool: m_tvalid/m_tdata changed before the beat moved (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      held <= m_tvalid && !m_tready;
      held_data <= m_tdata;
      out_next = out_count;
      if (m_tvalid && m_tready) begin
        if (out_count >= NIMG || m_tdata !== exp_m[out_count]) begin
          $display("FAIL avgpool: image %0d gave %h, expected %h", out_count, m_tdata, exp_m[out_count]);
          failed = 1'b1;
          $finish;
        end
        if (out_count < CALM && cyc != first_edge + PERIOD + LAT + out_count * PERIOD) begin
          $display("FAIL avgpool: image %0d output moved at edge E+%0d, expected E+%0d", out_count,
                   cyc - first_edge, PERIOD + LAT + out_count * PERIOD);
          failed = 1'b1;
          $finish;
        end
        out_next = out_count + 1;
      end
      out_count <= out_next;
      // ~30 % single-cycle stalls, and now and then a long one that backs up the whole core.
      snk_rng = xs32(snk_rng);
      if (snk_pause > 0) snk_pause = snk_pause - 1;
      else if (out_next >= CALM && snk_rng % 64 == 0) snk_pause = 2 * (PERIOD + LAT + 2);
      snk_rng = xs32(snk_rng);
      m_tready <= out_next < CALM || (snk_pause == 0 && (snk_rng % 100) >= 30);
    end
  end

  initial begin
    while (out_count < NIMG) begin
      @(posedge clk);
      if (cyc > 20 * NIMG * (PERIOD + LAT) + 1000) begin
        $display("FAIL avgpool: timeout with %0d of %0d images out", out_count, NIMG);
        failed = 1'b1;
        $finish;
      end
    end
    repeat (20) @(posedge clk);
    if (out_count != NIMG || in_count != NIN || m_tvalid) begin
      $display("FAIL avgpool: %0d images out, %0d pixels in, expected %0d and %0d", out_count, in_count, NIMG, NIN);
      failed = 1'b1;
      $finish;
    end
    if (n_hi == 0 || n_lo == 0 || n_mid == 0 || n_s0 == 0) begin
      $display("FAIL avgpool: weak stimulus: %0d saturated high, %0d low, %0d in range, %0d channels with shift 0",
               n_hi, n_lo, n_mid, n_s0);
      failed = 1'b1;
      $finish;
    end
    $display("avgpool: %0d images, outputs %0d saturated high, %0d low, %0d in range", NIMG, n_hi, n_lo, n_mid);
    if (!failed) $display("PASS");
    $finish;
  end
endmodule

`default_nettype wire

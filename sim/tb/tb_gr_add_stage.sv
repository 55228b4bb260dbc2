// Self-checking testbench for rtl/gr_add_stage.v.
//
// The requantization ROMs (M0_FILE, M1_FILE, BIAS_FILE, SHIFT_FILE, layout as in the core's header)
// must exist in the working directory; test/rtl/stream-cores.test.ts writes random ones (multipliers
// up to +-131071 including negatives, biases up to int32, shifts 0..20 including 0). This bench reads
// the same files, unpacks them per channel and computes every output with a behavioural model of
// docs/integer-semantics.md section 3 in 64-bit integers:
//   y = sat((a*M0 + b*M1 + bias + (s > 0 ? 2^(s-1) : 0)) >>> s)
// Inputs are random with a bias towards both ends of their range (int8 -128/127, uint8 0/255).
// NIMG images of NPIX_IMG pixels stream back to back. The first image runs without stalls and is
// timed against the core's cycle formula (output k moves at edge E + C/PE + 3 + k*C/PE, E = the edge
// at which both inputs are first valid); the others run with ~30 % random stalls on a_tvalid,
// b_tvalid and m_tready, plus occasional long m_tready stalls that back up the whole core. The run
// fails unless outputs saturated at the top, at the bottom and in range all occurred, and some
// channel has shift 0. Prints PASS or FAIL <details> and calls $finish.
// Simulators: Verilator (--binary --timing) and Icarus (-g2012).
`default_nettype none

module tb_gr_add_stage;
  parameter integer C          = 8;
  parameter integer A_W        = 8;
  parameter integer A_SIGNED   = 0;
  parameter integer B_W        = 8;
  parameter integer B_SIGNED   = 1;
  parameter integer PE         = 2;
  parameter integer MULT_W     = 18;
  parameter integer BIAS_W     = 32;
  parameter integer SHIFT_W    = 6;
  parameter integer SUM_W      = 40;
  parameter integer OUT_W      = 8;
  parameter integer OUT_SIGNED = 0;
  parameter        M0_FILE    = "add_m0.hex";
  parameter        M1_FILE    = "add_m1.hex";
  parameter        BIAS_FILE  = "add_bias.hex";
  parameter        SHIFT_FILE = "add_shift.hex";
  parameter integer NPIX_IMG   = 12;  // pixels per image
  parameter integer NIMG       = 4;   // images
  parameter integer SEED       = 1;   // data and stall seed

  localparam integer NS   = C / PE;
  localparam integer NPIX = NPIX_IMG * NIMG;

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

  // The low w bits of x, sign- or zero-extended.
  function automatic longint sx(input [63:0] x, input integer w);
    sx = $signed(x << (64 - w)) >>> (64 - w);
  endfunction
  function automatic longint zx(input [63:0] x, input integer w);
    zx = $signed((x << (64 - w)) >> (64 - w));
  endfunction

  // ROM contents as the core sees them, unpacked per channel.
  reg [PE*MULT_W-1:0]  rom_m0    [0:NS-1];
  reg [PE*MULT_W-1:0]  rom_m1    [0:NS-1];
  reg [PE*BIAS_W-1:0]  rom_bias  [0:NS-1];
  reg [PE*SHIFT_W-1:0] rom_shift [0:NS-1];
  longint m0 [0:C-1];
  longint m1 [0:C-1];
  longint bias [0:C-1];
  integer shift [0:C-1];

  // Stimulus and expected outputs.
  reg [C*A_W-1:0]   a_mem [0:NPIX-1];
  reg [C*B_W-1:0]   b_mem [0:NPIX-1];
  reg [C*OUT_W-1:0] exp_m [0:NPIX-1];
  integer n_hi = 0;
  integer n_lo = 0;
  integer n_mid = 0;
  integer n_s0 = 0;

  reg [31:0] gen_rng;
  // A random element of a w-bit (un)signed type, one in four at an end of the range.
  function automatic longint rand_elem(input integer w, input integer sgn);
    longint lo;
    longint hi;
    begin
      lo = (sgn != 0) ? -(64'sd1 <<< (w - 1)) : 64'sd0;
      hi = (sgn != 0) ? (64'sd1 <<< (w - 1)) - 64'sd1 : (64'sd1 <<< w) - 64'sd1;
      gen_rng = xs32(gen_rng);
      case (gen_rng % 8)
        0: rand_elem = lo;
        1: rand_elem = hi;
        default: begin
          gen_rng = xs32(gen_rng);
          rand_elem = lo + $signed({32'd0, gen_rng} % (hi - lo + 64'sd1));
        end
      endcase
    end
  endfunction

  reg [63:0] t64;
  longint av;
  longint bv;
  longint v;
  longint lo_out;
  longint hi_out;
  integer i;
  integer c;
  initial begin
    $readmemh(M0_FILE, rom_m0);
    $readmemh(M1_FILE, rom_m1);
    $readmemh(BIAS_FILE, rom_bias);
    $readmemh(SHIFT_FILE, rom_shift);
    for (c = 0; c < C; c = c + 1) begin
      t64 = 64'd0;
      t64[MULT_W-1:0] = rom_m0[c / PE][(c % PE)*MULT_W +: MULT_W];
      m0[c] = sx(t64, MULT_W);
      t64[MULT_W-1:0] = rom_m1[c / PE][(c % PE)*MULT_W +: MULT_W];
      m1[c] = sx(t64, MULT_W);
      t64 = 64'd0;
      t64[BIAS_W-1:0] = rom_bias[c / PE][(c % PE)*BIAS_W +: BIAS_W];
      bias[c] = sx(t64, BIAS_W);
      t64 = 64'd0;
      t64[SHIFT_W-1:0] = rom_shift[c / PE][(c % PE)*SHIFT_W +: SHIFT_W];
      shift[c] = t64[31:0];
      if (shift[c] == 0) n_s0 = n_s0 + 1;
    end
    lo_out = (OUT_SIGNED != 0) ? -(64'sd1 <<< (OUT_W - 1)) : 64'sd0;
    hi_out = (OUT_SIGNED != 0) ? (64'sd1 <<< (OUT_W - 1)) - 64'sd1 : (64'sd1 <<< OUT_W) - 64'sd1;
    gen_rng = xs32(SEED * 2654435 + 11);
    for (i = 0; i < NPIX; i = i + 1) begin
      for (c = 0; c < C; c = c + 1) begin
        av = rand_elem(A_W, A_SIGNED);
        bv = rand_elem(B_W, B_SIGNED);
        t64 = av;
        a_mem[i][c*A_W +: A_W] = t64[A_W-1:0];
        t64 = bv;
        b_mem[i][c*B_W +: B_W] = t64[B_W-1:0];
        // The model: two products, the bias, half up rounding, floor shift, saturation.
        v = av * m0[c] + bv * m1[c] + bias[c];
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
        exp_m[i][c*OUT_W +: OUT_W] = t64[OUT_W-1:0];
      end
    end
  end

  reg  [C*A_W-1:0]   a_tdata;
  reg                a_tvalid;
  wire               a_tready;
  reg  [C*B_W-1:0]   b_tdata;
  reg                b_tvalid;
  wire               b_tready;
  wire [C*OUT_W-1:0] m_tdata;
  wire               m_tvalid;
  reg                m_tready;

  gr_add_stage #(
    .C(C),
    .A_W(A_W),
    .A_SIGNED(A_SIGNED),
    .B_W(B_W),
    .B_SIGNED(B_SIGNED),
    .PE(PE),
    .MULT_W(MULT_W),
    .BIAS_W(BIAS_W),
    .SHIFT_W(SHIFT_W),
    .SUM_W(SUM_W),
    .OUT_W(OUT_W),
    .OUT_SIGNED(OUT_SIGNED),
    .M0_FILE(M0_FILE),
    .M1_FILE(M1_FILE),
    .BIAS_FILE(BIAS_FILE),
    .SHIFT_FILE(SHIFT_FILE)
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

  // Sources: the first image without stalls, the rest with ~30 % stalls.
  integer a_count = 0;
  integer b_count = 0;
  integer a_next;
  integer b_next;
  integer first_edge = -1;
  reg [31:0] a_rng = 32'd0;
  reg [31:0] b_rng = 32'd0;
  always @(posedge clk) begin
    if (!rst_n) begin
      a_tvalid <= 1'b0;
      b_tvalid <= 1'b0;
      a_rng = xs32(SEED * 7 + 1);
      b_rng = xs32(SEED * 11 + 2);
    end else begin
      if (a_tvalid && b_tvalid && first_edge < 0) first_edge = cyc;
      a_rng = xs32(a_rng);
      b_rng = xs32(b_rng);
      a_next = a_count + ((a_tvalid && a_tready) ? 1 : 0);
      b_next = b_count + ((b_tvalid && b_tready) ? 1 : 0);
      a_count <= a_next;
      b_count <= b_next;
      if (!a_tvalid || a_tready) begin
        a_tvalid <= a_next < NPIX && (a_next < NPIX_IMG || (a_rng % 100) >= 30);
        if (a_next < NPIX) a_tdata <= a_mem[a_next];
      end
      if (!b_tvalid || b_tready) begin
        b_tvalid <= b_next < NPIX && (b_next < NPIX_IMG || (b_rng % 100) >= 30);
        if (b_next < NPIX) b_tdata <= b_mem[b_next];
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
        $display("FAIL add: m_tvalid/m_tdata changed before the beat moved (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      held <= m_tvalid && !m_tready;
      held_data <= m_tdata;
      if ((a_tvalid && a_tready) != (b_tvalid && b_tready)) begin
        $display("FAIL add: a and b beats do not move together (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      out_next = out_count;
      if (m_tvalid && m_tready) begin
        if (out_count >= NPIX || m_tdata !== exp_m[out_count]) begin
          $display("FAIL add: pixel %0d is %h, expected %h", out_count, m_tdata, exp_m[out_count]);
          failed = 1'b1;
          $finish;
        end
        if (out_count < NPIX_IMG && cyc != first_edge + NS + 3 + out_count * NS) begin
          $display("FAIL add: pixel %0d moved at edge E+%0d, expected E+%0d", out_count, cyc - first_edge,
                   NS + 3 + out_count * NS);
          failed = 1'b1;
          $finish;
        end
        out_next = out_count + 1;
      end
      out_count <= out_next;
      // ~30 % single-cycle stalls, and now and then a long one that backs up the whole core.
      snk_rng = xs32(snk_rng);
      if (snk_pause > 0) snk_pause = snk_pause - 1;
      else if (out_next >= NPIX_IMG && snk_rng % 64 == 0) snk_pause = 2 * (NS + 4);
      snk_rng = xs32(snk_rng);
      m_tready <= out_next < NPIX_IMG || (snk_pause == 0 && (snk_rng % 100) >= 30);
    end
  end

  initial begin
    while (out_count < NPIX) begin
      @(posedge clk);
      if (cyc > 20 * NPIX * NS + 1000) begin
        $display("FAIL add: timeout with %0d of %0d pixels out", out_count, NPIX);
        failed = 1'b1;
        $finish;
      end
    end
    repeat (20) @(posedge clk);
    if (out_count != NPIX || a_count != NPIX || b_count != NPIX || m_tvalid) begin
      $display("FAIL add: %0d pixels out, %0d a and %0d b in, expected %0d", out_count, a_count, b_count, NPIX);
      failed = 1'b1;
      $finish;
    end
    if (n_hi == 0 || n_lo == 0 || n_mid == 0 || n_s0 == 0) begin
      $display("FAIL add: weak stimulus: %0d saturated high, %0d low, %0d in range, %0d channels with shift 0",
               n_hi, n_lo, n_mid, n_s0);
      failed = 1'b1;
      $finish;
    end
    $display("add: %0d pixels, outputs %0d saturated high, %0d low, %0d in range", NPIX, n_hi, n_lo, n_mid);
    if (!failed) $display("PASS");
    $finish;
  end
endmodule

`default_nettype wire

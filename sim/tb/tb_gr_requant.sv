// Self-checking testbench for rtl/gr_requant.v.
//
// Every expected output comes from a behavioural model of docs/integer-semantics.md section 3 in
// 128-bit signed arithmetic that shares nothing with the core's structure: the exact sum
//   v = acc0*M0 (+ acc1*M1 when TERMS = 2) + bias
// is divided by 2^s with a floor division (quotient and remainder from / and %), rounded half up by
// comparing twice the remainder with 2^s, then clamped to the output type. The model checks itself
// against the documented examples (-2.5 -> -2, 2.5 -> 3, -3.5 -> -3, -1.5 -> -1, ...) before use,
// and every directed vector is built from an intended result that the model must reproduce.
//
// Vectors (all legal: operands within their widths, v + rounding term within SUM_W signed bits, the
// core's contract; vectors that would not fit are skipped and counted; shifts 0..SMAX where
// SMAX = min(2^SHIFT_W - 1, SUM_W - 1), i.e. SUM_W >= s + 1):
//   1. directed, streamed back to back with no stalls (timed, see below):
//      - every shift 0..SMAX, at output values 0, +-1, +-2, +-3 and both ends of the output type
//        (and one past them), each exact, at the ties t - 1/2 and t + 1/2 (half up), just below
//        the ties and +-1 LSB: saturation at both ends, ReLU clamp of negative sums (unsigned out);
//      - the ends of int8, uint8, int16, int32 and uint32 (and one past) at a few shifts, whatever
//        the output type is (saturating or passing);
//      - the ends of the SUM_W register itself (v + rounding = -2^(SUM_W-1), 2^(SUM_W-1) - 1);
//      - every combination of extreme accumulators, multipliers (-2^(MULT_W-1), 2^(MULT_W-1) - 1,
//        1) and biases (both ends, 0) at shifts 0, 1, around the output range, SMAX - 1 and SMAX.
//      Target sums are decomposed into operands by the bench (power-of-two multipliers of both signs,
//      the remainder and any excess in the bias, the accumulators split across both terms).
//   2. NRAND random vectors with ~30 % in_valid gaps and ~30 % out_ready stalls, plus occasional
//      long pauses on either side that drain or back up the whole pipeline. Operands are drawn
//      from the ends of their ranges, 0, +-1 and log-uniform magnitudes; the shift is either uniform
//      or chosen from the sum's magnitude so that results land in, near and beyond the output range.
//   3. NTAIL random vectors, again back to back without stalls, after the pipeline has drained.
// With TERMS = 1, acc1 and mult1 carry random garbage (the core must ignore them). Data inputs also
// carry garbage while in_valid is 0.
//
// Checks: every result in order with its tag; exactly one result per accepted input (no result
// without an input, none missing at the end); out_valid/y/tag_out hold while stalled; in_ready is
// !out_valid || out_ready (docs/rtl-architecture.md: the pipeline advances when its last stage is
// empty or accepted); each result leaves at least 3 edges after its input; in the unstalled segments
// every input is accepted on consecutive edges and its result moves exactly 3 edges later (one
// result per cycle, latency 3). The run fails on weak stimulus (a shift in 0..SMAX never used, no
// positive or negative tie, no saturation at an end the operands can reach, no in-range result, no
// ReLU clamp when unsigned, an extreme operand never used).
// The vectors depend only on SEED and the parameters, and both simulators draw the same ones: random
// draws are whole statements, never inside ?:, a case selector or another call's argument (which
// the Verilator build may evaluate more than once). Operand widths up to 64 (SUM_W's own limit).
// Prints PASS or FAIL <details> and calls $finish.
// Simulators: Verilator (--binary or --main, --timing) and Icarus (-g2012).
`default_nettype none

module tb_gr_requant;
  parameter integer TERMS      = 2;
  parameter integer ACC0_W     = 16;
  parameter integer ACC1_W     = 12;
  parameter integer MULT_W     = 18;
  parameter integer BIAS_W     = 32;
  parameter integer SHIFT_W    = 6;
  parameter integer SUM_W      = 48;
  parameter integer OUT_W      = 8;
  parameter integer OUT_SIGNED = 1;
  parameter integer TAG_W      = 8;
  parameter integer NRAND      = 20000;  // random vectors with stalls
  parameter integer NTAIL      = 500;    // random vectors without stalls, at the end
  parameter integer SEED       = 1;      // data and stall seed

  localparam integer ND_MAX     = 16384;  // room for the directed vectors
  localparam integer NMAX       = ND_MAX + NRAND + NTAIL;
  localparam integer SHIFT_TOP  = (1 << SHIFT_W) - 1;
  localparam integer SMAX       = (SHIFT_TOP < SUM_W - 1) ? SHIFT_TOP : SUM_W - 1;
  localparam integer LATENCY    = 3;

  localparam signed [127:0] Z128 = 128'sd0;
  localparam signed [127:0] O128 = 128'sd1;
  // Operand and sum ranges.
  localparam signed [127:0] A0_MIN = -(O128 <<< (ACC0_W - 1));
  localparam signed [127:0] A0_MAX = (O128 <<< (ACC0_W - 1)) - O128;
  localparam signed [127:0] A1_MIN = -(O128 <<< (ACC1_W - 1));
  localparam signed [127:0] A1_MAX = (O128 <<< (ACC1_W - 1)) - O128;
  localparam signed [127:0] M_MIN = -(O128 <<< (MULT_W - 1));
  localparam signed [127:0] M_MAX = (O128 <<< (MULT_W - 1)) - O128;
  localparam signed [127:0] B_MIN = -(O128 <<< (BIAS_W - 1));
  localparam signed [127:0] B_MAX = (O128 <<< (BIAS_W - 1)) - O128;
  localparam signed [127:0] SUM_MIN = -(O128 <<< (SUM_W - 1));
  localparam signed [127:0] SUM_MAX = (O128 <<< (SUM_W - 1)) - O128;

  reg clk = 1'b0;
  always #5 clk = ~clk;
  integer cyc = 0;
  always @(posedge clk) cyc <= cyc + 1;
  reg rst_n = 1'b0;
  always @(posedge clk) rst_n <= (cyc >= 3);
  reg failed = 1'b0;  // set with every FAIL line: PASS is printed only without one

  // ---------------------------------------------------------------------------------------------
  // Helpers in 128-bit signed arithmetic.

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

  function automatic signed [127:0] w128(input integer x);
    w128 = {{96{x[31]}}, x};
  endfunction
  function automatic signed [127:0] pow2(input integer k);
    pow2 = O128 <<< k;
  endfunction
  function automatic signed [127:0] smin(input integer w);
    smin = -(O128 <<< (w - 1));
  endfunction
  function automatic signed [127:0] smax(input integer w);
    smax = (O128 <<< (w - 1)) - O128;
  endfunction
  function automatic fits(input signed [127:0] x, input signed [127:0] lo, input signed [127:0] hi);
    fits = (x >= lo) && (x <= hi);
  endfunction
  // The low w bits of x, sign-extended.
  function automatic signed [127:0] sxw(input [127:0] x, input integer w);
    sxw = $signed(x << (128 - w)) >>> (128 - w);
  endfunction
  function automatic signed [127:0] min128(input signed [127:0] a, input signed [127:0] b);
    min128 = (a < b) ? a : b;
  endfunction
  function automatic signed [127:0] max128(input signed [127:0] a, input signed [127:0] b);
    max128 = (a > b) ? a : b;
  endfunction
  // Number of bits of |x| (0 for 0).
  function automatic integer bitlen(input signed [127:0] x);
    reg signed [127:0] m;
    integer n;
    integer b;
    begin
      m = (x < Z128) ? -x : x;
      n = 0;
      for (b = 64; b > 0; b = b / 2) begin  // binary search
        if ((m >>> b) != Z128) begin
          m = m >>> b;
          n = n + b;
        end
      end
      bitlen = (m != Z128) ? n + 1 : n;
    end
  endfunction

  // The model: round half up of v / 2^s (floor division, then +1 when the remainder is at least
  // half of 2^s), before saturation.
  function automatic signed [127:0] ref_unsat(input signed [127:0] v, input integer s);
    reg signed [127:0] d;
    reg signed [127:0] q;
    reg signed [127:0] r;
    begin
      d = pow2(s);
      q = v / d;  // truncates towards zero
      r = v % d;  // takes the sign of v
      if (r < Z128) begin
        q = q - O128;
        r = r + d;
      end
      if (s > 0 && (r + r) >= d) q = q + O128;
      ref_unsat = q;
    end
  endfunction

  reg signed [127:0] lo_out;
  reg signed [127:0] hi_out;
  function automatic signed [127:0] sat(input signed [127:0] q);
    sat = (q > hi_out) ? hi_out : (q < lo_out) ? lo_out : q;
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Vector store.

  reg [63:0]      va0  [0:NMAX-1];
  reg [63:0]      va1  [0:NMAX-1];
  reg [63:0]      vm0  [0:NMAX-1];
  reg [63:0]      vm1  [0:NMAX-1];
  reg [63:0]      vb   [0:NMAX-1];
  reg [7:0]       vs   [0:NMAX-1];
  reg [63:0]      vtag [0:NMAX-1];
  reg [OUT_W-1:0] vexp [0:NMAX-1];
  integer         in_edge [0:NMAX-1];
  integer nvec = 0;  // vectors stored
  integer nd = 0;    // of which directed (indices 0..nd-1)

  // Coverage.
  integer shift_hits [0:63];
  integer n_hi = 0;
  integer n_lo = 0;
  integer n_mid = 0;
  integer n_relu = 0;      // unsigned output, negative result clamped to 0
  integer n_tie_pos = 0;   // s > 0, v = (k + 1/2) * 2^s, v > 0
  integer n_tie_neg = 0;   // same, v < 0
  integer n_tie_pos_in = 0;  // ... with the result in range
  integer n_tie_neg_in = 0;
  integer n_sum_lo = 0;    // v + rounding at the ends of SUM_W
  integer n_sum_hi = 0;
  integer n_m_min = 0;
  integer n_m_max = 0;
  integer n_a0_min = 0;
  integer n_a0_max = 0;
  integer n_a1_min = 0;
  integer n_a1_max = 0;
  integer n_b_min = 0;
  integer n_b_max = 0;
  integer n_skip = 0;      // candidate vectors outside the contract (operand or SUM_W overflow)
  integer n_unreach = 0;   // directed target sums no operands reach

  reg [31:0] gen_rng;
  function automatic [63:0] rand64(input integer dummy);
    reg [31:0] h;
    begin
      gen_rng = xs32(gen_rng);
      h = gen_rng;
      gen_rng = xs32(gen_rng);
      rand64 = {h, gen_rng} ^ {32'd0, dummy};
    end
  endfunction
  function automatic integer rand_below(input integer n);
    reg [63:0] r;
    begin
      r = rand64(0);
      rand_below = r[31:0] % n;
    end
  endfunction

  // Store one vector when it is legal; last_ok tells the caller.
  reg last_ok;
  task automatic add_vec(input signed [127:0] a0, input signed [127:0] a1, input signed [127:0] m0,
                         input signed [127:0] m1, input signed [127:0] b, input integer s,
                         input integer check_want, input signed [127:0] want);
    reg signed [127:0] v;
    reg signed [127:0] vt;
    reg signed [127:0] q;
    reg signed [127:0] y;
    reg signed [127:0] fr;
    begin
      last_ok = 1'b0;
      if (!fits(a0, A0_MIN, A0_MAX) || !fits(a1, A1_MIN, A1_MAX) || !fits(m0, M_MIN, M_MAX) || !fits(m1, M_MIN, M_MAX) ||
          !fits(b, B_MIN, B_MAX) ||
          s < 0 || s > SMAX) begin
        n_skip = n_skip + 1;
      end else begin
        v = a0 * m0 + b;
        if (TERMS == 2) v = v + a1 * m1;
        vt = (s > 0) ? v + pow2(s - 1) : v;
        if (!fits(vt, SUM_MIN, SUM_MAX)) begin
          n_skip = n_skip + 1;
        end else if (nvec >= NMAX) begin
          $display("FAIL requant: more than %0d vectors (raise ND_MAX)", NMAX);
          failed = 1'b1;
          $finish;
        end else begin
          q = ref_unsat(v, s);
          if (check_want != 0 && q !== want) begin
            $display("FAIL requant: model gives %0d for v = %0d, s = %0d, intended %0d", q, v, s, want);
            failed = 1'b1;
          end
          y = sat(q);
          va0[nvec] = a0[63:0];
          va1[nvec] = a1[63:0];
          vm0[nvec] = m0[63:0];
          vm1[nvec] = m1[63:0];
          vb[nvec] = b[63:0];
          vs[nvec] = s[7:0];
          vtag[nvec] = rand64(nvec);
          vexp[nvec] = y[OUT_W-1:0];
          nvec = nvec + 1;
          last_ok = 1'b1;
          // coverage
          shift_hits[s] = shift_hits[s] + 1;
          if (q > hi_out) n_hi = n_hi + 1;
          else if (q < lo_out) n_lo = n_lo + 1;
          else n_mid = n_mid + 1;
          if (OUT_SIGNED == 0 && q < Z128) n_relu = n_relu + 1;
          if (s > 0) begin
            fr = v & (pow2(s) - O128);  // floor remainder (two's complement)
            if (fr == pow2(s - 1)) begin
              if (v > Z128) begin
                n_tie_pos = n_tie_pos + 1;
                if (q <= hi_out && q >= lo_out) n_tie_pos_in = n_tie_pos_in + 1;
              end
              if (v < Z128) begin
                n_tie_neg = n_tie_neg + 1;
                if (q <= hi_out && q >= lo_out && (OUT_SIGNED != 0 || q > Z128)) n_tie_neg_in = n_tie_neg_in + 1;
              end
            end
          end
          if (vt == SUM_MIN) n_sum_lo = n_sum_lo + 1;
          if (vt == SUM_MAX) n_sum_hi = n_sum_hi + 1;
          if (m0 == M_MIN || (TERMS == 2 && m1 == M_MIN)) n_m_min = n_m_min + 1;
          if (m0 == M_MAX || (TERMS == 2 && m1 == M_MAX)) n_m_max = n_m_max + 1;
          if (a0 == A0_MIN) n_a0_min = n_a0_min + 1;
          if (a0 == A0_MAX) n_a0_max = n_a0_max + 1;
          if (a1 == A1_MIN) n_a1_min = n_a1_min + 1;
          if (a1 == A1_MAX) n_a1_max = n_a1_max + 1;
          if (b == B_MIN) n_b_min = n_b_min + 1;
          if (b == B_MAX) n_b_max = n_b_max + 1;
        end
      end
    end
  endtask

  // Operands of term 1 when TERMS = 1: garbage the core must ignore.
  function automatic signed [127:0] garbage(input integer w);
    reg [63:0] r;
    begin
      r = rand64(0);
      garbage = sxw({64'd0, r}, w);
    end
  endfunction

  // A directed vector whose sum is v, decomposed into operands: multipliers +-2^k (k from the top,
  // -2^(MULT_W-1) first), the remainder v mod 2^k plus some multiple of 2^k in the bias, the
  // accumulators (split over both terms when TERMS = 2) carrying the rest. want: the intended
  // result before saturation.
  task automatic add_target(input signed [127:0] v, input integer s, input signed [127:0] want);
    integer k;
    reg done;
    reg neg;
    reg signed [127:0] mm;
    reg signed [127:0] a;
    reg signed [127:0] r;
    reg signed [127:0] sa_lo;
    reg signed [127:0] sa_hi;
    reg signed [127:0] u_lo;
    reg signed [127:0] u_hi;
    reg signed [127:0] j_lo;
    reg signed [127:0] j_hi;
    reg signed [127:0] j;
    reg signed [127:0] sa;
    reg signed [127:0] a0;
    reg signed [127:0] a1;
    reg signed [127:0] m0;
    reg signed [127:0] m1;
    reg signed [127:0] span;
    reg [63:0] r64;
    reg signed [127:0] g_a1;
    reg signed [127:0] g_m0;
    reg signed [127:0] g_m1;
    begin
      g_a1 = garbage(ACC1_W);
      g_m0 = garbage(MULT_W);
      g_m1 = garbage(MULT_W);
      done = 1'b0;
      sa_lo = A0_MIN;
      sa_hi = A0_MAX;
      if (TERMS == 2) begin
        sa_lo = sa_lo + A1_MIN;
        sa_hi = sa_hi + A1_MAX;
      end
      for (k = MULT_W - 1; k >= 0 && !done; k = k - 1) begin
        neg = (rand_below(2) == 1);
        if (k == MULT_W - 1) neg = 1'b1;
        mm = neg ? -pow2(k) : pow2(k);
        a = v >>> k;
        r = v - (a <<< k);  // 0 <= r < 2^k
        // bias = r + j*2^k within BIAS_W; accumulator units u = a - j within the (negated) sum range
        j_lo = -((-(B_MIN - r)) >>> k);  // ceil
        j_hi = (B_MAX - r) >>> k;        // floor
        u_lo = neg ? -sa_hi : sa_lo;
        u_hi = neg ? -sa_lo : sa_hi;
        j_lo = max128(j_lo, a - u_hi);
        j_hi = min128(j_hi, a - u_lo);
        if (j_lo <= j_hi) begin
          if (rand_below(2) == 0) begin
            j = max128(j_lo, min128(j_hi, Z128));  // the smallest bias
          end else begin
            span = j_hi - j_lo + O128;
            r64 = rand64(0);
            j = j_lo + ($signed({64'd0, r64}) % span);
          end
          sa = neg ? -(a - j) : (a - j);
          if (TERMS == 2) begin
            if (rand_below(2) == 0) begin
              a0 = max128(A0_MIN, min128(A0_MAX, sa));
              a1 = sa - a0;
            end else begin
              a1 = max128(A1_MIN, min128(A1_MAX, sa));
              a0 = sa - a1;
            end
            m1 = (a1 == Z128) ? g_m1 : mm;
          end else begin
            a0 = sa;
            a1 = g_a1;
            m1 = g_m1;
          end
          m0 = (a0 == Z128) ? g_m0 : mm;
          add_vec(a0, a1, m0, m1, r + (j <<< k), s, 1, want);
          done = 1'b1;
        end
      end
      if (!done) n_unreach = n_unreach + 1;
    end
  endtask

  // Sums around t*2^s, each with its intended result (before saturation); with exact = 1 only the sum
  // t itself (want from the model). Every heavy task has a single call site (Verilator inlines each
  // call; many call sites make the C++ slow to compile).
  task automatic around(input signed [127:0] t, input integer s, input integer exact);
    integer f;
    reg signed [127:0] base;
    reg signed [127:0] h;
    reg signed [127:0] v;
    reg signed [127:0] want;
    begin
      base = (exact != 0) ? t : t <<< s;
      h = (s > 0) ? pow2(s - 1) : Z128;
      for (f = 0; f < ((s > 0 && exact == 0) ? 7 : 1); f = f + 1) begin
        case (f)
          0: begin v = base; want = (exact != 0) ? ref_unsat(t, s) : t; end  // exact
          1: begin v = base + h; want = t + O128; end                // t + 1/2 -> t + 1 (tie, half up)
          2: begin v = base - h; want = t; end                       // t - 1/2 -> t     (tie, half up)
          3: begin v = base + h - O128; want = t; end                // just below t + 1/2
          4: begin v = base - h - O128; want = t - O128; end         // just below t - 1/2
          5: begin v = base + O128; want = (s == 1) ? t + O128 : t; end  // t + 2^-s
          default: begin v = base - O128; want = t; end              // t - 2^-s
        endcase
        add_target(v, s, want);
      end
    end
  endtask

  // Extreme operand combinations at a few shifts.
  function automatic signed [127:0] ext_acc(input integer i, input integer w);
    case (i)
      0: ext_acc = smin(w);
      1: ext_acc = smax(w);
      2: ext_acc = -O128;
      default: ext_acc = O128;
    endcase
  endfunction
  function automatic signed [127:0] ext_mult(input integer i);
    case (i)
      0: ext_mult = M_MIN;
      1: ext_mult = M_MAX;
      default: ext_mult = O128;
    endcase
  endfunction
  function automatic signed [127:0] ext_bias(input integer i);
    case (i)
      0: ext_bias = B_MIN;
      1: ext_bias = B_MAX;
      default: ext_bias = Z128;
    endcase
  endfunction
  function automatic integer clamp_shift(input integer s);
    clamp_shift = (s < 0) ? 0 : (s > SMAX) ? SMAX : s;
  endfunction
  // A shift that brings |v| into (or right to the edge of) the output range.
  function automatic integer auto_shift(input signed [127:0] v);
    auto_shift = clamp_shift(bitlen(v) - ((OUT_SIGNED != 0) ? OUT_W - 1 : OUT_W));
  endfunction

  // One flat loop (Verilator unrolls loops of up to --unroll-count iterations, copying the body).
  localparam integer NEXT_T = (TERMS == 2) ? 12 : 1;  // term-1 combinations
  task automatic extremes;
    integer n;
    integer c;
    integer is;
    integer s;
    integer sa;
    reg signed [127:0] a0;
    reg signed [127:0] a1;
    reg signed [127:0] m0;
    reg signed [127:0] m1;
    reg signed [127:0] b;
    reg signed [127:0] v;
    begin
      for (n = 0; n < 12 * NEXT_T * 3 * 7; n = n + 1) begin
        is = n % 7;
        c = n / 7;
        b = ext_bias(c % 3);
        c = c / 3;
        if (TERMS == 2) begin
          a1 = ext_acc(c % 4, ACC1_W);
          m1 = ext_mult((c / 4) % 3);
          c = c / 12;
        end else begin
          a1 = garbage(ACC1_W);
          m1 = garbage(MULT_W);
        end
        a0 = ext_acc(c % 4, ACC0_W);
        m0 = ext_mult(c / 4);
        v = a0 * m0 + b;
        if (TERMS == 2) v = v + a1 * m1;
        sa = auto_shift(v);
        case (is)
          0: s = 0;
          1: s = 1;
          2: s = sa - 1;
          3: s = sa;
          4: s = sa + 1;
          5: s = SMAX - 1;
          default: s = SMAX;
        endcase
        s = clamp_shift(s);
        add_vec(a0, a1, m0, m1, b, s, 0, Z128);
      end
    end
  endtask

  // A random operand of a w-bit signed type.
  function automatic signed [127:0] rand_op(input integer w);
    integer k;
    integer c;
    reg signed [127:0] m;
    reg [63:0] r64;
    begin
      c = rand_below(16);
      case (c)
        0: rand_op = smin(w);
        1: rand_op = smax(w);
        2: rand_op = Z128;
        3: rand_op = O128;
        4: rand_op = -O128;
        5: rand_op = smin(w) + O128;
        6: rand_op = smax(w) - O128;
        7, 8, 9: begin
          r64 = rand64(0);
          rand_op = sxw({64'd0, r64}, w);
        end
        default: begin  // log-uniform magnitude, either sign
          k = rand_below(w);
          r64 = rand64(0);
          m = $signed({64'd0, r64}) & (pow2(k) - O128);
          if (rand_below(2) == 0) m = -m;
          rand_op = m;
        end
      endcase
    end
  endfunction

  task automatic add_random;
    integer tries;
    integer f;
    integer w;
    reg signed [127:0] x;
    integer s;
    reg signed [127:0] a0;
    reg signed [127:0] a1;
    reg signed [127:0] m0;
    reg signed [127:0] m1;
    reg signed [127:0] b;
    reg signed [127:0] v;
    begin
      last_ok = 1'b0;
      for (tries = 0; tries < 202 && !last_ok; tries = tries + 1) begin
        if (tries < 200) begin
          for (f = 0; f < 5; f = f + 1) begin  // one rand_op call site (5 > --unroll-count 4)
            case (f)
              0: w = ACC0_W;
              1: w = ACC1_W;
              2: w = MULT_W;
              3: w = MULT_W;
              default: w = BIAS_W;
            endcase
            x = rand_op(w);
            case (f)
              0: a0 = x;
              1: a1 = x;
              2: m0 = x;
              3: m1 = x;
              default: b = x;
            endcase
          end
          if (rand_below(4) == 0) b = Z128;
          v = a0 * m0 + b;
          if (TERMS == 2) v = v + a1 * m1;
          if (rand_below(5) < 2) begin
            s = rand_below(SMAX + 1);
          end else begin
            s = rand_below(9) - 4;
            s = clamp_shift(auto_shift(v) + s);
          end
        end else begin  // rarely (narrow SUM_W): the last draw without bias and shift, then term 0 alone
          b = Z128;
          s = 0;
          if (tries == 201 && TERMS == 2) a1 = Z128;
        end
        add_vec(a0, a1, m0, m1, b, s, 0, Z128);
      end
      if (!last_ok) begin
        $display("FAIL requant: cannot draw a legal random vector (SUM_W too narrow?)");
        failed = 1'b1;
        $finish;
      end
    end
  endtask

  // The model against docs/integer-semantics.md: -2.5 -> -2, -3.5 -> -3, -1.5 -> -1, 2.5 -> 3, ...
  task automatic check_model;
    integer c;
    integer v;
    integer s;
    integer want;
    reg signed [127:0] q;
    begin
      for (c = 0; c < 18; c = c + 1) begin
        case (c)
          0: begin v = -5; s = 1; want = -2; end      // -2.5
          1: begin v = -7; s = 1; want = -3; end      // -3.5
          2: begin v = -3; s = 1; want = -1; end      // -1.5
          3: begin v = 5; s = 1; want = 3; end        // 2.5
          4: begin v = -1; s = 1; want = 0; end       // -0.5
          5: begin v = 1; s = 1; want = 1; end        // 0.5
          6: begin v = -10; s = 2; want = -2; end     // -2.5
          7: begin v = 10; s = 2; want = 3; end       // 2.5
          8: begin v = -2; s = 2; want = 0; end       // -0.5
          9: begin v = -3; s = 2; want = -1; end      // -0.75
          10: begin v = 7; s = 2; want = 2; end       // 1.75
          11: begin v = 5; s = 2; want = 1; end       // 1.25
          12: begin v = -5; s = 0; want = -5; end
          13: begin v = 5; s = 0; want = 5; end
          14: begin v = -1; s = 0; want = -1; end
          15: begin v = -6; s = 3; want = -1; end     // -0.75
          16: begin v = -4; s = 3; want = 0; end      // -0.5
          default: begin v = -1000; s = 5; want = -31; end  // -31.25
        endcase
        q = ref_unsat(w128(v), s);
        if (q !== w128(want)) begin
          $display("FAIL requant: model self-test: %0d / 2^%0d gives %0d, expected %0d", v, s, q, want);
          failed = 1'b1;
        end
      end
    end
  endtask

  // Directed item n of NDIR: every shift around 0, +-1, +-2, +-3, the output type's ends (and one
  // past) and the ends of the SUM_W register; then the ends of int8, uint8, int16, int32, uint32 (and
  // one past) at shifts 0, 1, 2, 5, 13, 20, 31 and SMAX.
  localparam integer NDIR_A = 15 * (SMAX + 1);
  localparam integer NDIR = NDIR_A + 16 * 8;
  task automatic directed(input integer n);
    integer s;
    integer ti;
    reg signed [127:0] t;
    begin
      if (n < NDIR_A) begin
        s = n / 15;
        ti = n % 15;
      end else begin
        ti = (n - NDIR_A) % 16;
        case ((n - NDIR_A) / 16)
          0: s = 0;
          1: s = 1;
          2: s = 2;
          3: s = 5;
          4: s = 13;
          5: s = 20;
          6: s = 31;
          default: s = SMAX;
        endcase
        ti = ti + 15;
      end
      case (ti)
        0: t = Z128;
        1: t = O128;
        2: t = -O128;
        3: t = w128(2);
        4: t = w128(-2);
        5: t = w128(3);
        6: t = w128(-3);
        7: t = hi_out;
        8: t = hi_out - O128;
        9: t = hi_out + O128;
        10: t = (OUT_SIGNED != 0) ? lo_out : w128(-1000);
        11: t = lo_out + O128;
        12: t = lo_out - O128;
        13: t = SUM_MIN;  // the ends of the SUM_W register: sums, not results
        14: t = SUM_MAX - ((s > 0) ? pow2(s - 1) : Z128);
        15: t = w128(127);
        16: t = w128(128);
        17: t = w128(-128);
        18: t = w128(-129);
        19: t = w128(255);
        20: t = w128(256);
        21: t = w128(32767);
        22: t = w128(32768);
        23: t = w128(-32768);
        24: t = w128(-32769);
        25: t = smax(32);
        26: t = pow2(31);
        27: t = smin(32);
        28: t = smin(32) - O128;
        29: t = pow2(32) - O128;
        default: t = pow2(32);
      endcase
      if (s <= SMAX) around(t, s, (ti == 13 || ti == 14) ? 1 : 0);
    end
  endtask

  // ---------------------------------------------------------------------------------------------
  // Building the vectors (at time 0).

  integer i;
  initial begin
    gen_rng = xs32(SEED * 2654435 + 17);
    for (i = 0; i < 64; i = i + 1) shift_hits[i] = 0;
    lo_out = (OUT_SIGNED != 0) ? smin(OUT_W) : Z128;
    hi_out = (OUT_SIGNED != 0) ? smax(OUT_W) : pow2(OUT_W) - O128;
    check_model();
    // 1. Directed.
    for (i = 0; i < NDIR; i = i + 1) directed(i);
    extremes();
    nd = nvec;
    // 2 and 3. Random.
    for (i = 0; i < NRAND + NTAIL; i = i + 1) add_random();
  end

  // ---------------------------------------------------------------------------------------------
  // The DUT.

  reg                in_valid;
  wire               in_ready;
  reg  [ACC0_W-1:0]  acc0;
  reg  [ACC1_W-1:0]  acc1;
  reg  [MULT_W-1:0]  mult0;
  reg  [MULT_W-1:0]  mult1;
  reg  [BIAS_W-1:0]  bias;
  reg  [SHIFT_W-1:0] shift;
  reg  [TAG_W-1:0]   tag_in;
  wire               out_valid;
  reg                out_ready;
  wire [OUT_W-1:0]   y;
  wire [TAG_W-1:0]   tag_out;

  gr_requant #(
    .TERMS(TERMS),
    .ACC0_W(ACC0_W),
    .ACC1_W(ACC1_W),
    .MULT_W(MULT_W),
    .BIAS_W(BIAS_W),
    .SHIFT_W(SHIFT_W),
    .SUM_W(SUM_W),
    .OUT_W(OUT_W),
    .OUT_SIGNED(OUT_SIGNED),
    .TAG_W(TAG_W)
  ) dut (
    .clk(clk),
    .rst_n(rst_n),
    .in_valid(in_valid),
    .in_ready(in_ready),
    .acc0(acc0),
    .acc1(acc1),
    .mult0(mult0),
    .mult1(mult1),
    .bias(bias),
    .shift(shift),
    .tag_in(tag_in),
    .out_valid(out_valid),
    .out_ready(out_ready),
    .y(y),
    .tag_out(tag_out)
  );

  // Unstalled segments: the directed vectors and the tail.
  function automatic nostall(input integer k);
    nostall = (k < nd) || (k >= nd + NRAND);
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Source.

  integer in_count = 0;
  integer out_count = 0;
  integer in_next;
  integer src_pause = 0;
  reg present;
  reg [31:0] src_rng = 32'd0;
  reg [63:0] g0;
  reg [63:0] g1;
  always @(posedge clk) begin
    if (!rst_n) begin
      in_valid <= 1'b0;
      src_rng = xs32(SEED * 7 + 1);
    end else begin
      in_next = in_count;
      if (in_valid && in_ready) begin
        in_edge[in_count] = cyc;
        in_next = in_count + 1;
      end
      in_count <= in_next;
      if (!in_valid || in_ready) begin
        src_rng = xs32(src_rng);
        if (src_pause > 0) src_pause = src_pause - 1;
        else if (!nostall(in_next) && src_rng % 100 == 0) src_pause = 6 + (src_rng >> 16) % 8;  // drains the pipeline
        src_rng = xs32(src_rng);
        if (in_next >= nvec) present = 1'b0;
        else if (in_next == nd + NRAND) present = (out_count == in_next);  // the tail starts drained
        else if (nostall(in_next)) present = 1'b1;
        else present = (src_pause == 0) && (src_rng % 100 >= 30);
        in_valid <= present;
        if (present) begin
          acc0 <= va0[in_next][ACC0_W-1:0];
          acc1 <= va1[in_next][ACC1_W-1:0];
          mult0 <= vm0[in_next][MULT_W-1:0];
          mult1 <= vm1[in_next][MULT_W-1:0];
          bias <= vb[in_next][BIAS_W-1:0];
          shift <= vs[in_next][SHIFT_W-1:0];
          tag_in <= vtag[in_next][TAG_W-1:0];
        end else begin  // garbage while in_valid is 0
          g0 = {xs32(src_rng + 1), xs32(src_rng + 2)};
          g1 = {xs32(src_rng + 3), xs32(src_rng + 4)};
          acc0 <= g0[ACC0_W-1:0];
          acc1 <= g1[ACC1_W-1:0];
          mult0 <= g0[63:64-MULT_W];
          mult1 <= g1[63:64-MULT_W];
          bias <= g0[BIAS_W-1:0] ^ g1[BIAS_W-1:0];
          shift <= g1[SHIFT_W-1:0];
          tag_in <= g0[TAG_W-1:0];
        end
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Sink and checker.

  integer out_next;
  integer k;
  integer snk_pause = 0;
  reg [31:0] snk_rng = 32'd0;
  reg held = 1'b0;
  reg [OUT_W-1:0] held_y;
  reg [TAG_W-1:0] held_tag;
  always @(posedge clk) begin
    if (!rst_n) begin
      out_ready <= 1'b0;
      snk_rng = xs32(SEED * 13 + 5);
    end else begin
      if (out_valid !== 1'b0 && out_valid !== 1'b1 || in_ready !== 1'b0 && in_ready !== 1'b1) begin
        $display("FAIL requant: out_valid %b or in_ready %b unknown after reset (cycle %0d)", out_valid, in_ready, cyc);
        failed = 1'b1;
        $finish;
      end
      if (in_ready !== (!out_valid || out_ready)) begin
        $display("FAIL requant: in_ready %b with out_valid %b, out_ready %b (cycle %0d)", in_ready, out_valid, out_ready, cyc);
        failed = 1'b1;
        $finish;
      end
      if (held && (!out_valid || y !== held_y || tag_out !== held_tag)) begin
        $display("FAIL requant: out_valid/y/tag_out changed before the result moved (cycle %0d)", cyc);
        failed = 1'b1;
        $finish;
      end
      held <= out_valid && !out_ready;
      held_y <= y;
      held_tag <= tag_out;
      out_next = out_count;
      if (out_valid && out_ready) begin
        k = out_count;
        if (k >= in_count) begin
          $display("FAIL requant: result %0d (y %h, tag %h) without an accepted input (%0d accepted, cycle %0d)",
                   k, y, tag_out, in_count, cyc);
          failed = 1'b1;
          $finish;
        end
        if (y !== vexp[k] || tag_out !== vtag[k][TAG_W-1:0]) begin
          $display("FAIL requant: result %0d is y %h tag %h, expected y %h tag %h: acc0 %0d acc1 %0d mult0 %0d mult1 %0d bias %0d shift %0d (TERMS %0d, cycle %0d)",
                   k, y, tag_out, vexp[k], vtag[k][TAG_W-1:0], sxw({64'd0, va0[k]}, ACC0_W), sxw({64'd0, va1[k]}, ACC1_W),
                   sxw({64'd0, vm0[k]}, MULT_W), sxw({64'd0, vm1[k]}, MULT_W), sxw({64'd0, vb[k]}, BIAS_W), vs[k], TERMS, cyc);
          failed = 1'b1;
          $finish;
        end
        if (cyc < in_edge[k] + LATENCY) begin
          $display("FAIL requant: result %0d moved %0d edges after its input, expected at least %0d", k, cyc - in_edge[k], LATENCY);
          failed = 1'b1;
          $finish;
        end
        if (nostall(k) && cyc != in_edge[k] + LATENCY) begin
          $display("FAIL requant: unstalled result %0d moved %0d edges after its input, expected %0d", k, cyc - in_edge[k], LATENCY);
          failed = 1'b1;
          $finish;
        end
        if (nostall(k) && k != 0 && k != nd + NRAND && in_edge[k] != in_edge[k - 1] + 1) begin
          $display("FAIL requant: unstalled input %0d accepted %0d edges after the previous one, expected 1", k, in_edge[k] - in_edge[k - 1]);
          failed = 1'b1;
          $finish;
        end
        out_next = out_count + 1;
      end
      out_count <= out_next;
      // ~30 % single-cycle stalls, now and then a long one that backs up the whole pipeline.
      snk_rng = xs32(snk_rng);
      if (snk_pause > 0) snk_pause = snk_pause - 1;
      else if (!nostall(out_next) && snk_rng % 64 == 0) snk_pause = 4 + (snk_rng >> 16) % 8;
      snk_rng = xs32(snk_rng);
      out_ready <= nostall(out_next) || (snk_pause == 0 && (snk_rng % 100) >= 30);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // End of the run.

  integer miss;
  reg signed [127:0] reach_lo;
  reg signed [127:0] reach_hi;
  initial begin
    #1;
    while (out_count < nvec) begin
      @(posedge clk);
      if (cyc > 10 * nvec + 1000) begin
        $display("FAIL requant: timeout with %0d of %0d results out, %0d inputs accepted", out_count, nvec, in_count);
        failed = 1'b1;
        $finish;
      end
    end
    repeat (20) @(posedge clk);
    if (out_count != nvec || in_count != nvec || out_valid) begin
      $display("FAIL requant: %0d results out, %0d inputs accepted, expected %0d each (out_valid %b)", out_count, in_count, nvec, out_valid);
      failed = 1'b1;
      $finish;
    end
    miss = -1;
    for (i = SMAX; i >= 0; i = i - 1) if (shift_hits[i] == 0) miss = i;
    // Saturation is required only at an end the operands can reach (within SUM_W, shift 0).
    reach_lo = max128(SUM_MIN, min128(A0_MIN * M_MAX, A0_MAX * M_MIN) + B_MIN +
                               ((TERMS == 2) ? min128(A1_MIN * M_MAX, A1_MAX * M_MIN) : Z128));
    reach_hi = min128(SUM_MAX, A0_MIN * M_MIN + B_MAX + ((TERMS == 2) ? A1_MIN * M_MIN : Z128));
    if (miss >= 0 || (n_hi == 0 && reach_hi > hi_out) || (n_lo == 0 && reach_lo < lo_out) || n_mid == 0 ||
        n_tie_pos_in == 0 || n_tie_neg == 0 ||
        (OUT_SIGNED != 0 && n_tie_neg_in == 0) || (OUT_SIGNED == 0 && n_relu == 0) || n_m_min == 0 || n_m_max == 0 ||
        n_a0_min == 0 || n_a0_max == 0 || n_b_min == 0 || n_b_max == 0 ||
        (TERMS == 2 && (n_a1_min == 0 || n_a1_max == 0)) || nd == 0 || nvec != nd + NRAND + NTAIL) begin
      $display("FAIL requant: weak stimulus: shift %0d unused (-1: none), saturated %0d high %0d low, %0d in range, ties %0d+ (%0d in range) %0d- (%0d in range), relu %0d, mult min/max %0d/%0d, acc0 %0d/%0d, acc1 %0d/%0d, bias %0d/%0d, %0d directed, %0d vectors",
               miss, n_hi, n_lo, n_mid, n_tie_pos, n_tie_pos_in, n_tie_neg, n_tie_neg_in, n_relu, n_m_min, n_m_max,
               n_a0_min, n_a0_max, n_a1_min, n_a1_max, n_b_min, n_b_max, nd, nvec);
      failed = 1'b1;
      $finish;
    end
    $display("requant: %0d vectors (%0d directed, %0d random stalled, %0d random unstalled), shifts 0..%0d, %0d cycles",
             nvec, nd, NRAND, NTAIL, SMAX, cyc);
    $display("requant: results %0d saturated high, %0d low (%0d ReLU), %0d in range; ties %0d positive, %0d negative; SUM_W ends %0d/%0d; %0d candidates skipped, %0d targets unreachable",
             n_hi, n_lo, n_relu, n_mid, n_tie_pos, n_tie_neg, n_sum_lo, n_sum_hi, n_skip, n_unreach);
    if (!failed) $display("PASS");
    $finish;
  end
endmodule

`default_nettype wire

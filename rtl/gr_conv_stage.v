// gr_conv_stage: one convolution layer (binary k x k, int8 k x k, pattern residual block, fully
// connected, input layer) as a streaming stage: line buffer, step scheduler, PE multiply-accumulate
// lanes of SIMD inputs each, PE gr_requant lanes (docs/rtl-architecture.md, gr_conv_stage).
//
// Arithmetic (docs/integer-semantics.md §3; reference: convolve() and requantize() in
// generator/reference/kernels.ts), per output pixel (oy, ox) and output channel co in group
// g = co / (COUT/G), over taps (ky, kx) and ci in 0..C/G-1, x = input(oy*S-P+ky, ox*S-P+kx,
// g*(C/G)+ci), 0 in the padding:
//   MODE 0 (binary): acc0 = sum (b ? x : -x)     b = pattern bit, 1 = +1
//   MODE 1 (int8):   acc0 = sum w * x            w signed 8-bit; x signed or unsigned (IN_SIGNED)
//   MODE 2 (PRB):    acc0 as MODE 0, acc1 = sum_ci w1 * x at the centre tap ky = kx = (K-1)/2
//   y[co] = sat_OUT((acc0*M0[co] + acc1*M1[co] + bias[co] + (s > 0 ? 2^(s-1) : 0)) >>> s[co])
// Accumulators are ACC0_W / ACC1_W bits; the generator guarantees the exact sums fit (partial
// sums are computed mod 2^ACC_W, which is exact for a final value that fits).
// Binary terms are computed as 2 * sum (b ? x : 0) - sum x: per lane a gr_bin_lane (the inputs in
// pairs: a select of 0, x, x' or x + x' per pair, then an adder tree), and sum x once for all
// lanes; a padded tap (x = 0) adds 0 to both.
// The int8 products are registered (DSP48 A/B/M registers).
// SPREAD (MODE 2): with SPREAD = 1 the 1 x 1 branch multiplies the SIMD centre-tap inputs of a step
// by PE*SIMD int8 weights, so its multipliers idle on the other K*K-1 taps. With SPREAD = R > 1 the
// centre tap's CIS chunks are kept in a buffer as they pass, and from the step after the first one
// the branch takes SIMD/R of them per step over the next CIS*R steps of the co_step, so PE*SIMD/R
// multipliers suffice (R <= (K*K-1)/2 keeps the last of those steps inside the co_step: the centre
// tap starts at step CENTRE*CIS of the co_step's K*K*CIS; the result is the same sum).
//
// Work order and ROM layouts exactly as docs/rtl-architecture.md (WB = 1 in MODE 0/2, 8 in MODE 1):
//   W0_FILE row (co_step*K*K + t)*((C/G)/SIMD) + ci_step, PE*SIMD*WB bits, lane p input j at
//           [(p*SIMD + j)*WB +: WB];  W1_FILE (MODE 2) row (co_step*((C/G)/SIMD) + ci_step)*SPREAD + r,
//           PE*(SIMD/SPREAD)*8 bits, lane p input j at [(p*(SIMD/SPREAD) + j)*8 +: 8]: the weight of
//           input channel ci_step*SIMD + r*(SIMD/SPREAD) + j;
//   M0_FILE, M1_FILE (MODE 2), BIAS_FILE, SHIFT_FILE row co_step, lane p at [p*X_W +: X_W].
//
// Timing. STEPS = (COUT/PE) * K*K * ((C/G)/SIMD) steps per output pixel, one per cycle: no bubble
// between steps, co_steps, pixels, rows or images, and the requantization (latency 3) overlaps the
// next co_step. With the input always valid and m_tready always 1, an image takes exactly
//   cycles/image = max(H*W, OH*OW*STEPS)      OH = (H+2P-K)/S + 1, OW = (W+2P-K)/S + 1 (floor)
// in steady state (images back to back): OH*OW*STEPS when compute-bound, H*W when input-bound
// (the stage accepts at most one input pixel per cycle); there is no per-pixel or per-image
// overhead. Latency (idle stage, no stalls): m_tvalid rises 7 + ceil(log2 SIMD) + STEPS cycles
// after the edge that accepts the window's last pixel (STEPS edges issuing the steps into the
// line-buffer read register, then channel select, products, ceil(log2 SIMD) adder-tree levels,
// accumulate, the 3 requant stages, the output register).
// Line buffer: R = max(K+S, H + min(H-1, K-1-P) - max(0, (OH-1)*S-P) + 1) rows of W pixels of
// C*IN_W bits (see gr_linebuf); when H >= K-P and (OH-1)*S >= P that is
// max(K+S, 2K - 2P + ((H+2P-K) mod S)), i.e. K+S unless P < (K-1)/2 or bottom rows go unused.
// Full backpressure on both streams.
`default_nettype none

module gr_conv_stage #(
  parameter integer MODE       = 0,   // 0 binary k x k, 1 int8, 2 PRB (binary k x k + int8 1 x 1 on the centre tap)
  parameter integer H          = 8,   // input height
  parameter integer W          = 8,   // input width
  parameter integer C          = 8,   // input channels
  parameter integer COUT       = 8,   // output channels
  parameter integer K          = 3,   // kernel size
  parameter integer S          = 1,   // stride (1..4)
  parameter integer P          = 1,   // padding, 0 <= P < K
  parameter integer G          = 1,   // groups, divides C and COUT
  parameter integer IN_W       = 8,   // input element width
  parameter integer IN_SIGNED  = 0,   // 1: input elements are two's complement, 0: unsigned
  parameter integer PE         = 1,   // output channels per step, divides COUT/G
  parameter integer SIMD       = 1,   // input channels per step, divides C/G
  parameter integer ACC0_W     = 20,  // signed width of accumulator 0 (from the generator)
  parameter integer ACC1_W     = 20,  // signed width of accumulator 1 (PRB only)
  parameter integer MULT_W     = 18,  // signed width of the requant multipliers
  parameter integer BIAS_W     = 32,  // signed width of the requant bias
  parameter integer SHIFT_W    = 6,   // unsigned width of the requant shift
  parameter integer SUM_W      = 48,  // signed width of the requant sum (from the generator)
  parameter integer OUT_W      = 8,   // output element width
  parameter integer OUT_SIGNED = 0,   // 1: signed output, 0: unsigned (fused ReLU)
  parameter         W0_FILE    = "",  // term-0 weights: patterns (MODE 0/2) or int8 (MODE 1)
  parameter         W1_FILE    = "",  // PRB 1 x 1 int8 weights ("" unless MODE 2)
  parameter         M0_FILE    = "",  // term-0 multipliers
  parameter         M1_FILE    = "",  // term-1 multipliers ("" unless MODE 2)
  parameter         BIAS_FILE  = "",  // biases
  parameter         SHIFT_FILE = "",  // shifts
  parameter integer LB_LUTRAM  = 0,   // 1: the line buffer's memory in LUT RAM (the mapper's choice)
  parameter integer LB_URAM    = 0,   // 1: the line buffer's memory in UltraRAM (the mapper's choice)
  parameter integer PACK       = 0,   // 1: lanes 2q and 2q+1 share one multiplier per int8 product (PE even, MODE 1/2)
  parameter integer SPREAD     = 1    // MODE 2: the 1 x 1 branch over SPREAD steps per chunk, SIMD/SPREAD multipliers a lane
) (
  input  wire                  clk,
  input  wire                  rst_n,
  input  wire [C*IN_W-1:0]     s_tdata,
  input  wire                  s_tvalid,
  output wire                  s_tready,
  output wire [COUT*OUT_W-1:0] m_tdata,
  output reg                   m_tvalid,
  input  wire                  m_tready
);
  function integer cw(input integer n);  // counter width for values 0..n-1 (at least 1)
    cw = (n > 1) ? $clog2(n) : 1;
  endfunction

  // Guarded copies keep the divisions defined while a bad combination is being reported.
  localparam integer GG     = (G > 0) ? G : 1;
  localparam integer PEE    = (PE > 0) ? PE : 1;
  localparam integer SIMDD  = (SIMD > 0) ? SIMD : 1;
  localparam integer CG     = (C / GG > 0) ? C / GG : 1;            // input channels per group
  localparam integer COG    = (COUT / GG > 0) ? COUT / GG : 1;      // output channels per group
  localparam integer CIS    = (CG / SIMDD > 0) ? CG / SIMDD : 1;    // input steps per tap
  localparam integer OPG    = (COG / PEE > 0) ? COG / PEE : 1;      // output steps per group
  localparam integer COS    = GG * OPG;                             // output steps per pixel
  localparam integer KK     = K * K;
  localparam integer STEPS  = COS * KK * CIS;
  localparam integer NCH    = GG * CIS;                             // SIMD-channel chunks per pixel
  localparam integer WB     = (MODE == 1) ? 8 : 1;                  // bits per W0 weight
  localparam integer TERMS  = (MODE == 2) ? 2 : 1;
  localparam integer XW     = IN_W + 1;                             // x extended to signed
  localparam integer PW8    = XW + 8;                               // int8 product width
  localparam integer LV     = (SIMDD > 1) ? $clog2(SIMDD) : 0;      // adder-tree levels
  localparam integer CENTRE = (KK - 1) / 2;                         // centre tap (odd K)
  localparam integer COS_M1 = COS - 1;
  localparam integer SPR    = (MODE == 2 && SPREAD > 1 && SIMDD % SPREAD == 0) ? SPREAD : 1;
  localparam integer SIMDI  = SIMDD / SPR;                          // int8 products per step and lane
  localparam integer LVI    = (SIMDI > 1) ? $clog2(SIMDI) : 0;      // their adder-tree levels
  localparam integer W1D    = COS * CIS * SPR;                      // W1 rows

  localparam integer SW  = cw(STEPS);
  localparam integer OUW = cw(COS);
  localparam integer TPW = cw(KK);
  localparam integer ISW = cw(NCH);
  localparam integer IRW = cw(COS * CIS);
  localparam integer CTW = OUW + 3;                                 // {outer, centre, last, first}

  localparam [TPW-1:0] CENTRE_T = CENTRE[TPW-1:0];
  localparam [OUW-1:0] COS_LAST = COS_M1[OUW-1:0];

  // ---------------------------------------------------------------- parameter checks
  generate
    if (MODE < 0 || MODE > 2) begin : g_bad_mode
      gr_error_conv_mode_must_be_0_1_or_2 u_err ();
    end
    if (G < 1 || C % GG != 0 || COUT % GG != 0) begin : g_bad_groups
      gr_error_groups_must_divide_c_and_cout u_err ();
    end
    if (PE < 1 || (COUT / GG) % PEE != 0) begin : g_bad_pe
      gr_error_pe_must_divide_cout_per_group u_err ();
    end
    if (SIMD < 1 || (C / GG) % SIMDD != 0) begin : g_bad_simd
      gr_error_simd_must_divide_c_per_group u_err ();
    end
    if (K < 1 || S < 1 || H < 1 || W < 1 || C < 1 || COUT < 1) begin : g_bad_size
      gr_error_conv_sizes_must_be_positive u_err ();
    end
    if (P < 0 || P >= K) begin : g_bad_pad
      gr_error_conv_pad_must_be_less_than_k u_err ();
    end
    if (H + 2*P < K || W + 2*P < K) begin : g_bad_out
      gr_error_conv_output_size_must_be_at_least_1 u_err ();
    end
    if (MODE == 2 && (K % 2 == 0 || P != (K - 1) / 2)) begin : g_bad_prb
      gr_error_prb_needs_odd_k_and_pad_k_minus_1_over_2 u_err ();
    end
    if (IN_W < 1 || (IN_SIGNED != 0 && IN_SIGNED != 1)) begin : g_bad_in
      gr_error_conv_in_w_positive_and_in_signed_0_or_1 u_err ();
    end
    if (ACC0_W < 2 || ACC1_W < 2) begin : g_bad_acc
      gr_error_conv_acc_widths_must_be_at_least_2 u_err ();
    end
    if ((PACK != 0 && PACK != 1) || (PACK == 1 && (MODE == 0 || PE % 2 != 0))) begin : g_bad_pack
      gr_error_pack_needs_int8_products_and_even_pe u_err ();
    end
    if (SPREAD < 1 || (SPREAD > 1 && (MODE != 2 || SIMDD % SPREAD != 0 || SPREAD > (KK - 1) / 2))) begin : g_bad_spread
      gr_error_spread_needs_prb_a_divisor_of_simd_at_most_kk_minus_1_over_2 u_err ();
    end
  endgenerate

  // ---------------------------------------------------------------- pipeline control
  // Every stage from the line-buffer output to the accumulators advances together on adv; the
  // accumulator's result register hands over to the requantizers (which stall only when the
  // output pixel cannot be delivered).
  wire adv;
  reg  res_valid;
  wire [PEE-1:0] rq_in_ready;
  wire rq_ready = &rq_in_ready;
  assign adv = !res_valid || rq_ready;

  // ---------------------------------------------------------------- line buffer + scheduler (L1)
  wire                st_valid, st_pad, st_first, st_last;
  wire [C*IN_W-1:0]   st_data;
  wire [SW-1:0]       st_step;
  wire [OUW-1:0]      st_outer;
  wire [TPW-1:0]      st_tap;
  wire [ISW-1:0]      st_isel;
  wire [IRW-1:0]      st_irow;

  gr_linebuf #(
    .H(H), .W(W), .K(K), .S(S), .P(P), .DW(C*IN_W), .OG(GG), .OPG(OPG), .INNER(CIS), .LUTRAM(LB_LUTRAM), .URAM(LB_URAM)
  ) u_linebuf (
    .clk(clk), .rst_n(rst_n),
    .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .st_valid(st_valid), .st_ready(adv), .st_data(st_data), .st_pad(st_pad),
    .st_first(st_first), .st_last(st_last), .st_step(st_step), .st_outer(st_outer),
    .st_tap(st_tap), .st_isel(st_isel), .st_irow(st_irow)
  );

  // ---------------------------------------------------------------- E2: channel select, weights
  wire [SIMDD*IN_W-1:0] chunk [0:NCH-1];
  genvar gi, gp, gj, gq;
  generate
    for (gi = 0; gi < NCH; gi = gi + 1) begin : g_chunk
      assign chunk[gi] = st_data[gi*SIMDD*IN_W +: SIMDD*IN_W];
    end
  endgenerate

  reg                   v2;
  reg [CTW-1:0]         c2;
  reg [SIMDD*IN_W-1:0]  x2;       // the SIMD input channels of this step, 0 in the padding
  wire [PEE*SIMDD*WB-1:0] w0q;    // W0 row of this step
  wire                  t1_on;    // term 1 (the PRB's 1 x 1 branch) takes part in this step
  wire [SIMDI*IN_W-1:0] xi2;      // the int8 products' inputs of this step (x2 unless SPREAD > 1)

  always @(posedge clk) begin
    if (!rst_n) v2 <= 1'b0;
    else if (adv) v2 <= st_valid;
  end
  always @(posedge clk) begin
    if (adv) begin
      c2 <= {st_outer, t1_on, st_last, st_first};
      x2 <= st_pad ? '0 : chunk[st_isel];
    end
  end

  gr_conv_rom #(.DEPTH(STEPS), .WIDTH(PEE*SIMDD*WB), .FILE(W0_FILE)) u_w0 (
    .clk(clk), .en(adv), .addr(st_step), .q(w0q)
  );

  // Int8 weights of this step: W0 in MODE 1, W1 (the PRB's 1 x 1 branch) in MODE 2.
  wire [PEE*SIMDI*8-1:0] wi;
  generate
    if (MODE == 2 && SPR == 1) begin : g_w1
      assign t1_on = (st_tap == CENTRE_T);
      assign xi2 = x2;
      gr_conv_rom #(.DEPTH(W1D), .WIDTH(PEE*SIMDI*8), .FILE(W1_FILE)) u_w1 (
        .clk(clk), .en(adv), .addr(st_irow), .q(wi)
      );
    end else if (MODE == 2) begin : g_w1s
      // SPREAD > 1: the centre tap's chunks into cbuf as they pass (slot cap_i); from the step
      // after the first, chunk ec's part er (SIMDI channels) per step, W1 row erow.
      localparam integer CPW = cw(CIS);
      localparam integer RW  = cw(SPR);
      localparam integer EAW = cw(W1D);
      localparam integer EK  = CIS * SPR;                           // engine steps per co_step
      localparam [CPW-1:0] CAP_LAST = CIS[CPW-1:0] - 1'b1;
      localparam [RW-1:0]  R_LAST   = SPR[RW-1:0] - 1'b1;
      localparam [EAW-1:0] EKA      = EK[EAW-1:0];
      reg  [SIMDD*IN_W-1:0] cbuf [0:CIS-1];
      reg  [CPW-1:0] cap_i;
      reg            eact;
      reg  [CPW-1:0] ec;
      reg  [RW-1:0]  er;
      reg  [EAW-1:0] erow;
      reg  [SIMDI*IN_W-1:0] e2;
      wire step    = adv && st_valid;
      wire centre  = (st_tap == CENTRE_T);
      wire start   = step && centre && cap_i == {CPW{1'b0}};        // the co_step's first centre step
      wire [SIMDD*IN_W-1:0] cur = cbuf[ec];
      always @(posedge clk) begin
        if (!rst_n) begin
          cap_i <= {CPW{1'b0}};
          eact <= 1'b0;
        end else if (step) begin
          if (centre) cap_i <= (cap_i == CAP_LAST) ? {CPW{1'b0}} : cap_i + 1'b1;
          if (start) eact <= 1'b1;
          else if (eact && ec == CAP_LAST && er == R_LAST) eact <= 1'b0;
        end
      end
      always @(posedge clk) begin
        if (step && centre) cbuf[cap_i] <= st_pad ? '0 : chunk[st_isel];
        if (step) begin
          if (start) begin
            ec <= {CPW{1'b0}};
            er <= {RW{1'b0}};
            erow <= EAW'(st_outer) * EKA;
          end else if (eact) begin
            er <= (er == R_LAST) ? {RW{1'b0}} : er + 1'b1;
            if (er == R_LAST) ec <= ec + 1'b1;
            erow <= erow + 1'b1;
          end
        end
        if (adv) e2 <= cur[er*SIMDI*IN_W +: SIMDI*IN_W];
      end
      assign t1_on = eact;
      assign xi2 = e2;
      gr_conv_rom #(.DEPTH(W1D), .WIDTH(PEE*SIMDI*8), .FILE(W1_FILE)) u_w1 (
        .clk(clk), .en(adv), .addr(erow), .q(wi)
      );
      wire unused_irow = ^st_irow;
    end else begin : g_no_w1
      assign t1_on = 1'b0;
      assign xi2 = x2;
      if (MODE == 1) begin : g_wi
        assign wi = w0q;
      end else begin : g_wi0
        gr_zero #(.W(PEE*SIMDI*8)) u_zero_wi (.q(wi));
        wire unused_wi = ^{wi, xi2};
      end
      wire [7:0] unused_w1 = W1_FILE[7:0] ^ M1_FILE[7:0];
      wire unused_irow = ^{st_irow, st_tap};
    end
  endgenerate

  // ---------------------------------------------------------------- control delay to the accumulators
  reg [LV:0]         vpipe;
  reg [(LV+1)*CTW-1:0] cpipe;
  generate
    if (LV == 0) begin : g_cd0
      always @(posedge clk) begin
        if (!rst_n) vpipe <= 1'b0;
        else if (adv) vpipe <= v2;
      end
      always @(posedge clk) begin
        if (adv) cpipe <= c2;
      end
    end else begin : g_cd
      always @(posedge clk) begin
        if (!rst_n) vpipe <= {(LV+1){1'b0}};
        else if (adv) vpipe <= {vpipe[LV-1:0], v2};
      end
      always @(posedge clk) begin
        if (adv) cpipe <= {cpipe[LV*CTW-1:0], c2};
      end
    end
  endgenerate

  wire           va       = vpipe[LV];
  wire [CTW-1:0] ca       = cpipe[LV*CTW +: CTW];
  wire           a_first  = ca[0];
  wire           a_last   = ca[1];
  wire           a_centre = ca[2];
  wire [OUW-1:0] a_outer  = ca[3 +: OUW];
  wire           a_take   = adv && va;             // a step enters the accumulators
  wire           a_done   = a_take && a_last;      // ... and completes a co_step

  // ---------------------------------------------------------------- requant parameter ROMs (row co_step)
  wire [PEE*MULT_W-1:0]  m0q;
  wire [PEE*MULT_W-1:0]  m1q;
  wire [PEE*BIAS_W-1:0]  biasq;
  wire [PEE*SHIFT_W-1:0] shiftq;
  gr_conv_rom #(.DEPTH(COS), .WIDTH(PEE*MULT_W), .FILE(M0_FILE)) u_m0 (
    .clk(clk), .en(a_done), .addr(a_outer), .q(m0q)
  );
  gr_conv_rom #(.DEPTH(COS), .WIDTH(PEE*BIAS_W), .FILE(BIAS_FILE)) u_bias (
    .clk(clk), .en(a_done), .addr(a_outer), .q(biasq)
  );
  gr_conv_rom #(.DEPTH(COS), .WIDTH(PEE*SHIFT_W), .FILE(SHIFT_FILE)) u_shift (
    .clk(clk), .en(a_done), .addr(a_outer), .q(shiftq)
  );
  generate
    if (MODE == 2) begin : g_m1
      gr_conv_rom #(.DEPTH(COS), .WIDTH(PEE*MULT_W), .FILE(M1_FILE)) u_m1 (
        .clk(clk), .en(a_done), .addr(a_outer), .q(m1q)
      );
    end else begin : g_no_m1
      gr_zero #(.W(PEE*MULT_W)) u_zero_m1q (.q(m1q));
    end
  endgenerate

  reg rtag;   // the result completes the output pixel
  always @(posedge clk) begin
    if (!rst_n) res_valid <= 1'b0;
    else if (adv) res_valid <= va && a_last;
  end
  always @(posedge clk) begin
    if (a_done) rtag <= (a_outer == COS_LAST);
  end

  // ---------------------------------------------------------------- packed int8 products (PACK = 1)
  // Lanes 2q and 2q+1 multiply the same x by their weights wl (lane 2q) and wh (lane 2q+1): one
  // multiplier forms p = (wh * 2^SP + wl) * x = wh*x * 2^SP + wl*x. |wl*x| < 2^(SP-1) for any
  // IN_W-bit x (at most 128 * (2^IN_W - 1), or 2^(IN_W+6) when signed), so the low SP bits of p,
  // read as signed, are wl*x exactly, and wh*x = (p >>> SP) + (wl*x < 0). With IN_W = 8 the
  // multiplicand is 25 bits and x 9: one DSP48E1 (25 x 18) or DSP48E2 (27 x 18) for two products.
  localparam integer SP  = IN_W + 8;        // bits of the low product field (= PW8 - 1)
  localparam integer PAW = SP + 9;          // packed multiplicand: wh * 2^SP + wl, signed
  localparam integer PPW = PAW + XW;        // packed product
  wire [PEE*SIMDI*PW8-1:0] pprod;           // lane p input j at [(p*SIMDI + j)*PW8 +: PW8]: w*x, registered
  generate
    if (PACK == 1 && MODE != 0) begin : g_pack
      for (gq = 0; gq < PEE / 2; gq = gq + 1) begin : g_pair
        for (gj = 0; gj < SIMDI; gj = gj + 1) begin : g_in
          wire [IN_W-1:0] xr = xi2[gj*IN_W +: IN_W];
          wire [XW-1:0]   xe = {(IN_SIGNED != 0) ? xr[IN_W-1] : 1'b0, xr};
          wire [7:0]      wl = wi[((2*gq)*SIMDI + gj)*8 +: 8];
          wire [7:0]      wh = wi[((2*gq+1)*SIMDI + gj)*8 +: 8];
          wire [PAW-1:0]  a  = {wh[7], wh, {SP{1'b0}}} + {{(PAW-8){wl[7]}}, wl};
          reg  [PPW-1:0]  p;
          always @(posedge clk) begin
            if (adv) p <= $signed(a) * $signed(xe);
          end
          assign pprod[((2*gq)*SIMDI + gj)*PW8 +: PW8]   = {p[SP-1], p[SP-1:0]};
          assign pprod[((2*gq+1)*SIMDI + gj)*PW8 +: PW8] = p[SP +: PW8] + {{(PW8-1){1'b0}}, p[SP-1]};
        end
      end
    end else begin : g_no_pack
      gr_zero #(.W(PEE*SIMDI*PW8)) u_zero_pprod (.q(pprod));
      wire unused_pprod = ^pprod;
    end
  endgenerate

  // ---------------------------------------------------------------- E3: the step's inputs, shared by the binary lanes
  // sum (b ? x : -x) = 2 * sum (b ? x : 0) - sum x: gr_bin_inputs registers the SIMD inputs and their
  // pair sums once for all lanes (gr_bin_lane selects from them) and sums them, in step with the lanes.
  localparam integer NPS = (SIMDD / 2 > 0) ? SIMDD / 2 : 1;   // pair sums (one, held 0, when SIMD = 1)
  wire [SIMDD*XW-1:0]   xe3;
  wire [NPS*(XW+1)-1:0] sp3;
  wire [ACC0_W-1:0]     sx_r;
  generate
    if (MODE == 0 || MODE == 2) begin : g_sx
      wire [XW+LV-1:0] sx;
      gr_bin_inputs #(.N(SIMDD), .IN_W(IN_W), .IN_SIGNED(IN_SIGNED)) u_in (
        .clk(clk), .en(adv), .in(x2), .x(xe3), .s(sp3), .sum(sx)
      );
      gr_conv_resize #(.IW(XW+LV), .OW(ACC0_W)) u_sx_r (.in_data(sx), .out_data(sx_r));
    end else begin : g_no_sx
      gr_zero #(.W(SIMDD*XW)) u_zero_xe3 (.q(xe3));
      gr_zero #(.W(NPS*(XW+1))) u_zero_sp3 (.q(sp3));
      gr_zero #(.W(ACC0_W)) u_zero_sx (.q(sx_r));
      wire unused_sx = ^{xe3, sp3, sx_r};
    end
  endgenerate

  // ---------------------------------------------------------------- lanes
  wire [PEE*OUT_W-1:0] y_all;
  wire [PEE-1:0]       rq_out_valid;
  wire                 rq_out_ready;
  wire [PEE-1:0]       rq_tag;

  generate
    for (gp = 0; gp < PEE; gp = gp + 1) begin : g_lane
      wire [ACC0_W-1:0] term0;
      wire [ACC1_W-1:0] term1;

      // Binary term: E3 registers the lane's pattern bits, gr_bin_lane sums the selected inputs,
      // and term0 = 2 * sum (b ? x : 0) - sum x (g_sx).
      if (MODE == 0 || MODE == 2) begin : g_bin
        reg [SIMDD-1:0] b3;
        always @(posedge clk) begin
          if (adv) b3 <= w0q[gp*SIMDD +: SIMDD];
        end
        wire [XW+LV-1:0]  bt;
        wire [ACC0_W-2:0] bt_r;   // doubled below: the top bit drops out mod 2^ACC0_W
        gr_bin_lane #(.N(SIMDD), .IW(XW)) u_bt (.clk(clk), .en(adv), .x(xe3), .s(sp3), .b(b3), .out(bt));
        gr_conv_resize #(.IW(XW+LV), .OW(ACC0_W-1)) u_bt_r (.in_data(bt), .out_data(bt_r));
        assign term0 = {bt_r, 1'b0} - sx_r;
      end

      // Int8 term: E3 products w * x (DSP; shared by a lane pair with PACK), then an adder tree
      // (SIMDI inputs; with SPREAD > 1 its LV - LVI levels fewer are made up by registers).
      if (MODE == 1 || MODE == 2) begin : g_int
        localparam integer TERM_W = (MODE == 1) ? ACC0_W : ACC1_W;
        wire [SIMDI*PW8-1:0] li;
        if (PACK == 1) begin : g_packed
          assign li = pprod[gp*SIMDI*PW8 +: SIMDI*PW8];
        end else begin : g_own
          reg [SIMDI*PW8-1:0] lr;
          for (gj = 0; gj < SIMDI; gj = gj + 1) begin : g_in
            wire [IN_W-1:0] xr = xi2[gj*IN_W +: IN_W];
            wire [XW-1:0]   xe = {(IN_SIGNED != 0) ? xr[IN_W-1] : 1'b0, xr};
            wire [7:0]      w  = wi[(gp*SIMDI + gj)*8 +: 8];
            always @(posedge clk) begin
              if (adv) lr[gj*PW8 +: PW8] <= $signed(w) * $signed(xe);
            end
          end
          assign li = lr;
        end
        wire [PW8+LVI-1:0] itn;
        wire [PW8+LVI-1:0] it;
        wire [TERM_W-1:0] it_r;
        gr_conv_addtree #(.N(SIMDI), .IW(PW8)) u_it (.clk(clk), .en(adv), .in_data(li), .out_data(itn));
        if (LV > LVI) begin : g_pad
          reg [(LV-LVI)*(PW8+LVI)-1:0] d;
          if (LV - LVI == 1) begin : g_one
            always @(posedge clk) begin
              if (adv) d <= itn;
            end
          end else begin : g_more
            always @(posedge clk) begin
              if (adv) d <= {d[(LV-LVI-1)*(PW8+LVI)-1:0], itn};
            end
          end
          assign it = d[(LV-LVI-1)*(PW8+LVI) +: PW8+LVI];
        end else begin : g_nopad
          assign it = itn;
        end
        gr_conv_resize #(.IW(PW8+LVI), .OW(TERM_W)) u_it_r (.in_data(it), .out_data(it_r));
        if (MODE == 1) begin : g_t0
          assign term0 = it_r;
        end else begin : g_t1
          assign term1 = a_centre ? it_r : {ACC1_W{1'b0}};   // the 1 x 1 branch reads the centre tap
        end
      end
      if (MODE != 2) begin : g_no_t1
        assign term1 = {ACC1_W{1'b0}};
        wire unused_centre = a_centre;
      end

      reg  [ACC0_W-1:0] acc0, res0;
      reg  [ACC1_W-1:0] acc1, res1;
      wire [ACC0_W-1:0] acc0_next = (a_first ? {ACC0_W{1'b0}} : acc0) + term0;
      wire [ACC1_W-1:0] acc1_next = (a_first ? {ACC1_W{1'b0}} : acc1) + term1;
      always @(posedge clk) begin
        if (a_take) begin
          acc0 <= acc0_next;
          acc1 <= acc1_next;
        end
        if (a_done) begin
          res0 <= acc0_next;
          res1 <= acc1_next;
        end
      end

      gr_requant #(
        .TERMS(TERMS), .ACC0_W(ACC0_W), .ACC1_W(ACC1_W), .MULT_W(MULT_W), .BIAS_W(BIAS_W),
        .SHIFT_W(SHIFT_W), .SUM_W(SUM_W), .OUT_W(OUT_W), .OUT_SIGNED(OUT_SIGNED), .TAG_W(1)
      ) u_rq (
        .clk(clk), .rst_n(rst_n),
        .in_valid(res_valid), .in_ready(rq_in_ready[gp]),
        .acc0(res0), .acc1(res1),
        .mult0(m0q[gp*MULT_W +: MULT_W]), .mult1(m1q[gp*MULT_W +: MULT_W]),
        .bias(biasq[gp*BIAS_W +: BIAS_W]), .shift(shiftq[gp*SHIFT_W +: SHIFT_W]),
        .tag_in(rtag),
        .out_valid(rq_out_valid[gp]), .out_ready(rq_out_ready),
        .y(y_all[gp*OUT_W +: OUT_W]), .tag_out(rq_tag[gp])
      );
    end
  endgenerate

  // ---------------------------------------------------------------- output pixel assembly
  // co_step results shift in from the top, so co_step 0 ends in the low bits after COUT/PE shifts.
  reg [COUT*OUT_W-1:0] out_sr;
  assign m_tdata = out_sr;
  assign rq_out_ready = !m_tvalid || m_tready;
  wire rq_fire = rq_out_valid[0] && rq_out_ready;

  generate
    if (COUT > PEE) begin : g_shift
      always @(posedge clk) begin
        if (rq_fire) out_sr <= {y_all, out_sr[COUT*OUT_W-1:PEE*OUT_W]};
      end
    end else begin : g_whole
      always @(posedge clk) begin
        if (rq_fire) out_sr <= y_all;
      end
    end
    if (PEE > 1) begin : g_unused_lanes
      wire unused_lanes = ^{rq_out_valid[PEE-1:1], rq_tag[PEE-1:1]};
    end
  endgenerate

  always @(posedge clk) begin
    if (!rst_n) m_tvalid <= 1'b0;
    else if (rq_fire && rq_tag[0]) m_tvalid <= 1'b1;
    else if (m_tready) m_tvalid <= 1'b0;
  end
endmodule

`default_nettype wire

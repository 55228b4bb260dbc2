// gr_conv_window_stage: tap-parallel variant of gr_conv_stage (same parameters, ports, arithmetic
// and requantization). All K*K taps of a window are read and summed in ONE step: a sliding-window
// generator (gr_win_linebuf: R row slots x K column banks, the whole K x K x C window per cycle,
// zero padding, any stride), then PE lanes that each sum K*K*SIMD terms per step in a pipelined
// adder tree, then PE gr_requant lanes.
//
// Arithmetic (docs/integer-semantics.md §3; reference: convolve() and requantize() in
// generator/reference/kernels.ts), per output pixel (oy, ox) and output channel co in group
// g = co / (COUT/G), over taps (ky, kx) and ci in 0..C/G-1, x = input(oy*S-P+ky, ox*S-P+kx,
// g*(C/G)+ci), 0 in the padding:
//   MODE 0 (binary): acc0 = sum (b ? x : -x)     b = pattern bit, 1 = +1
//   MODE 1 (int8):   acc0 = sum w * x            w signed 8-bit; x signed or unsigned (IN_SIGNED)
//   MODE 2 (PRB):    acc0 as MODE 0, acc1 = sum_ci w1 * x at the centre tap ky = kx = (K-1)/2
//                    (taken from the same window as the binary term)
//   y[co] = sat_OUT((acc0*M0[co] + acc1*M1[co] + bias[co] + (s > 0 ? 2^(s-1) : 0)) >>> s[co])
// Accumulators are ACC0_W / ACC1_W bits (partial sums mod 2^ACC_W, exact for a final value that
// fits). Binary terms are 2 * sum (b ? x : 0) - sum x (gr_bin_lane; a padded tap adds 0 to both).
//
// Work order. For each output pixel (raster order), for each co_step in 0..COUT/PE-1 (lanes p
// compute co = co_step*PE + p, all in group g = co_step*PE / (COUT/G)), for each ci_step in
// 0..(C/G)/SIMD-1: ONE step reads the whole window and, per lane, adds the K*K*SIMD terms of
// channels g*(C/G) + ci_step*SIMD + j (j = 0..SIMD-1) at every tap (and, in MODE 2, the SIMD
// int8 products of the centre tap). After the last ci_step of a co_step the PE accumulators go to
// the requantizers; when all COUT/PE co_steps are requantized the output pixel is emitted.
//
// ROM layouts (WB = 1 in MODE 0/2, 8 in MODE 1; CIS = (C/G)/SIMD, COS = COUT/PE):
//   W0_FILE  row co_step*CIS + ci_step (COS*CIS rows), PE*K*K*SIMD*WB bits per row:
//            lane p, tap t = ky*K + kx, input j at bits [((p*K*K + t)*SIMD + j)*WB +: WB]
//            (binary: 1 = +1; int8: two's complement).
//   W0_BITS  (CONST_W = 1 and COS*CIS = 1: the fully unrolled stage) the single W0 row as a
//            packed constant with the same bit layout; W0_FILE is then not read. With CONST_W = 1
//            and more than one row the weights come from W0_FILE (W0_BITS ignored).
//   W1_FILE  (MODE 2) row co_step*CIS + ci_step, PE*SIMD*8 bits, lane p input j at [(p*SIMD + j)*8 +: 8].
//   M0_FILE, M1_FILE (MODE 2), BIAS_FILE, SHIFT_FILE row co_step, lane p at [p*X_W +: X_W].
//   (W1, M*, BIAS, SHIFT exactly as gr_conv_stage.)
//
// Timing. STEPS = (COUT/PE) * ((C/G)/SIMD) steps per output pixel, one per cycle, no bubble between
// steps, co_steps, pixels, rows or images; requantization (latency 3) overlaps the next co_step.
// With the input always valid and m_tready always 1, in steady state (images back to back):
//   cycles/image = max(H*W, OH*OW*STEPS)      OH = (H+2P-K)/S + 1, OW = (W+2P-K)/S + 1 (floor)
// Latency (idle stage, no stalls): m_tvalid rises 7 + LV + STEPS cycles after the edge that
// accepts the window's last pixel, LV = ceil(log2(K*K*SIMD)) (STEPS edges issuing the steps into
// the bank read registers, then tap/channel select, the term register (x / products), LV
// adder-tree levels, accumulate, the 3 requant stages, the output register).
// Line buffer: R = max(K+S, H + min(H-1, K-1-P) - max(0, (OH-1)*S-P) + 1) rows (as gr_conv_stage),
// stored as R*K banks of ceil(W/K) words of C*IN_W bits. Full backpressure on both streams.
`default_nettype none

module gr_conv_window_stage #(
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
  parameter integer CONST_W    = 0,   // 1: W0 from W0_BITS when the W0 ROM has a single row
  parameter integer LB_LUTRAM  = 0,   // 1: the line buffer's banks in LUT RAM (the mapper's choice)
  parameter integer LB_URAM    = 0,   // 1: the line buffer's banks in UltraRAM (the mapper's choice)
  // the single W0 row as a constant (CONST_W = 1), PE*K*K*SIMD*WB bits, layout as W0_FILE
  parameter [((PE > 0 && SIMD > 0 && K > 0) ? PE*K*K*SIMD*((MODE == 1) ? 8 : 1) : 1)-1:0] W0_BITS = 0
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
  localparam integer KE     = (K > 0) ? K : 1;
  localparam integer CG     = (C / GG > 0) ? C / GG : 1;            // input channels per group
  localparam integer COG    = (COUT / GG > 0) ? COUT / GG : 1;      // output channels per group
  localparam integer CIS    = (CG / SIMDD > 0) ? CG / SIMDD : 1;    // input steps
  localparam integer OPG    = (COG / PEE > 0) ? COG / PEE : 1;      // output steps per group
  localparam integer COS    = GG * OPG;                             // output steps per pixel
  localparam integer KK     = KE * KE;
  localparam integer STEPS  = COS * CIS;                            // W0 rows, steps per pixel
  localparam integer NCH    = GG * CIS;                             // SIMD-channel chunks per pixel
  localparam integer WB     = (MODE == 1) ? 8 : 1;                  // bits per W0 weight
  localparam integer TERMS  = (MODE == 2) ? 2 : 1;
  localparam integer XW     = IN_W + 1;                             // x extended to signed
  localparam integer PW8    = XW + 8;                               // int8 product width
  localparam integer NT     = KK * SIMDD;                           // terms per lane per step
  localparam integer LV     = (NT > 1) ? $clog2(NT) : 0;            // adder-tree levels (term 0)
  localparam integer LV1    = (SIMDD > 1) ? $clog2(SIMDD) : 0;      // adder-tree levels (PRB term 1)
  localparam integer CENTRE = (KK - 1) / 2;                         // centre tap (odd K)
  localparam integer COS_M1 = COS - 1;
  localparam integer LWB    = NT * WB;                              // W0 bits per lane
  localparam integer W0W    = PEE * LWB;                            // W0 row width
  localparam integer USE_CONST = (CONST_W == 1 && STEPS == 1) ? 1 : 0;

  localparam integer OUW = cw(COS);
  localparam integer ISW = cw(NCH);
  localparam integer IRW = cw(STEPS);
  localparam integer CTW = OUW + 2;                                 // {outer, last, first}

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
    if (S > 4) begin : g_bad_stride
      gr_error_conv_window_stride_must_be_1_to_4 u_err ();
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
    if (CONST_W != 0 && CONST_W != 1) begin : g_bad_const
      gr_error_conv_window_const_w_must_be_0_or_1 u_err ();
    end
  endgenerate

  // ---------------------------------------------------------------- pipeline control
  // Every stage from the window registers to the accumulators advances together on adv; the
  // accumulator's result register hands over to the requantizers.
  wire adv;
  reg  res_valid;
  wire [PEE-1:0] rq_in_ready;
  wire rq_ready = &rq_in_ready;
  assign adv = !res_valid || rq_ready;

  // ---------------------------------------------------------------- window generator + scheduler
  wire                st_valid, st_first, st_last;
  wire [KK*C*IN_W-1:0] st_win;
  wire [OUW-1:0]      st_outer;
  wire [ISW-1:0]      st_isel;
  wire [IRW-1:0]      st_irow;

  gr_win_linebuf #(
    .H(H), .W(W), .K(K), .S(S), .P(P), .DW(C*IN_W), .OG(GG), .OPG(OPG), .INNER(CIS), .LUTRAM(LB_LUTRAM), .URAM(LB_URAM)
  ) u_win (
    .clk(clk), .rst_n(rst_n),
    .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .st_valid(st_valid), .st_ready(adv), .st_win(st_win),
    .st_first(st_first), .st_last(st_last), .st_outer(st_outer),
    .st_isel(st_isel), .st_irow(st_irow)
  );

  // ---------------------------------------------------------------- E2: channel select, weights
  // x2: tap t, input j at [(t*SIMD + j)*IN_W +: IN_W] (channels st_isel*SIMD + j of tap t).
  reg                   v2;
  reg [CTW-1:0]         c2;
  reg [NT*IN_W-1:0]     x2;
  wire [W0W-1:0]        w0q;      // W0 row of this step

  genvar gi, gt, gp, gj;
  generate
    for (gt = 0; gt < KK; gt = gt + 1) begin : g_tap
      wire [C*IN_W-1:0]     px = st_win[gt*C*IN_W +: C*IN_W];
      wire [SIMDD*IN_W-1:0] chunk [0:NCH-1];
      for (gi = 0; gi < NCH; gi = gi + 1) begin : g_chunk
        assign chunk[gi] = px[gi*SIMDD*IN_W +: SIMDD*IN_W];
      end
      always @(posedge clk) begin
        if (adv) x2[gt*SIMDD*IN_W +: SIMDD*IN_W] <= chunk[st_isel];
      end
    end
  endgenerate

  always @(posedge clk) begin
    if (!rst_n) v2 <= 1'b0;
    else if (adv) v2 <= st_valid;
  end
  always @(posedge clk) begin
    if (adv) c2 <= {st_outer, st_last, st_first};
  end

  generate
    if (USE_CONST == 1) begin : g_w0_const
      assign w0q = W0_BITS;
      wire [7:0] unused_w0 = W0_FILE[7:0];
      if (MODE != 2) begin : g_unused_irow
        wire unused_irow = ^st_irow;   // single row: no weight ROM address
      end
    end else begin : g_w0_rom
      gr_conv_rom #(.DEPTH(STEPS), .WIDTH(W0W), .FILE(W0_FILE)) u_w0 (
        .clk(clk), .en(adv), .addr(st_irow), .q(w0q)
      );
      wire unused_w0 = ^W0_BITS;
    end
  endgenerate

  // Int8 weights of this step: W0 in MODE 1 (K*K*SIMD per lane); W1 in MODE 2 (SIMD per lane).
  wire [PEE*SIMDD*8-1:0] w1q;
  generate
    if (MODE == 2) begin : g_w1
      gr_conv_rom #(.DEPTH(STEPS), .WIDTH(PEE*SIMDD*8), .FILE(W1_FILE)) u_w1 (
        .clk(clk), .en(adv), .addr(st_irow), .q(w1q)
      );
    end else begin : g_no_w1
      gr_zero #(.W(PEE*SIMDD*8)) u_zero_w1q (.q(w1q));
      wire unused_w1q = ^w1q;
      wire [7:0] unused_w1 = W1_FILE[7:0] ^ M1_FILE[7:0];
    end
  endgenerate

  // ---------------------------------------------------------------- control delay to the accumulators
  reg [LV:0]           vpipe;
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
  wire [OUW-1:0] a_outer  = ca[2 +: OUW];
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

  // ---------------------------------------------------------------- E3: the window's inputs, shared by the binary lanes
  // sum (b ? x : -x) = 2 * sum (b ? x : 0) - sum x: gr_bin_inputs registers the K*K*SIMD inputs and
  // their pair sums once for all lanes (gr_bin_lane selects from them) and sums them, in step with
  // the lanes.
  localparam integer NPS = (NT / 2 > 0) ? NT / 2 : 1;   // pair sums (one, held 0, when NT = 1)
  wire [NT*XW-1:0]      xe3;
  wire [NPS*(XW+1)-1:0] sp3;
  wire [ACC0_W-1:0]     sx_r;
  generate
    if (MODE == 0 || MODE == 2) begin : g_xe3
      wire [XW+LV-1:0] sx;
      gr_bin_inputs #(.N(NT), .IN_W(IN_W), .IN_SIGNED(IN_SIGNED)) u_in (
        .clk(clk), .en(adv), .in(x2), .x(xe3), .s(sp3), .sum(sx)
      );
      gr_conv_resize #(.IW(XW+LV), .OW(ACC0_W)) u_sx_r (.in_data(sx), .out_data(sx_r));
    end else begin : g_no_xe3
      gr_zero #(.W(NT*XW)) u_zero_xe3 (.q(xe3));
      gr_zero #(.W(NPS*(XW+1))) u_zero_sp3 (.q(sp3));
      gr_zero #(.W(ACC0_W)) u_zero_sx (.q(sx_r));
      wire unused_xe3 = ^{xe3, sp3, sx_r};
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
      wire [LWB-1:0]    wl = w0q[gp*LWB +: LWB];   // this lane's K*K*SIMD weights

      // Binary term: gr_bin_lane sums the selected K*K*SIMD inputs (the ROM path registers the
      // lane's pattern bits at E3; with constant patterns the selects are wires and the zero
      // selections vanish), then term0 = 2 * sum (b ? x : 0) - sum x (g_xe3).
      if (MODE == 0 || MODE == 2) begin : g_bin
        wire [NT-1:0] b3;
        if (USE_CONST == 1) begin : g_b_const
          assign b3 = wl;
        end else begin : g_b_rom
          reg [NT-1:0] br;
          always @(posedge clk) begin
            if (adv) br <= wl;
          end
          assign b3 = br;
        end
        wire [XW+LV-1:0]  bt;
        wire [ACC0_W-2:0] bt_r;   // doubled below: the top bit drops out mod 2^ACC0_W
        gr_bin_lane #(.N(NT), .IW(XW)) u_bt (.clk(clk), .en(adv), .x(xe3), .s(sp3), .b(b3), .out(bt));
        gr_conv_resize #(.IW(XW+LV), .OW(ACC0_W-1)) u_bt_r (.in_data(bt), .out_data(bt_r));
        assign term0 = {bt_r, 1'b0} - sx_r;
      end

      // Int8 term (MODE 1): E3 products w * x (K*K*SIMD per lane), then an adder tree.
      if (MODE == 1) begin : g_int
        reg [NT*PW8-1:0] li;
        for (gj = 0; gj < NT; gj = gj + 1) begin : g_in
          wire [IN_W-1:0] xr = x2[gj*IN_W +: IN_W];
          wire [XW-1:0]   xe = {(IN_SIGNED != 0) ? xr[IN_W-1] : 1'b0, xr};
          wire [7:0]      w  = wl[gj*8 +: 8];
          always @(posedge clk) begin
            if (adv) li[gj*PW8 +: PW8] <= $signed(w) * $signed(xe);
          end
        end
        wire [PW8+LV-1:0] it;
        gr_conv_addtree #(.N(NT), .IW(PW8)) u_it (.clk(clk), .en(adv), .in_data(li), .out_data(it));
        gr_conv_resize #(.IW(PW8+LV), .OW(ACC0_W)) u_it_r (.in_data(it), .out_data(term0));
      end

      // PRB 1 x 1 term (MODE 2): SIMD products on the centre tap, a SIMD adder tree, then
      // LV - LV1 delay stages to line up with the binary tree.
      if (MODE == 2) begin : g_prb
        reg [SIMDD*PW8-1:0] li;
        for (gj = 0; gj < SIMDD; gj = gj + 1) begin : g_in
          wire [IN_W-1:0] xr = x2[(CENTRE*SIMDD + gj)*IN_W +: IN_W];
          wire [XW-1:0]   xe = {(IN_SIGNED != 0) ? xr[IN_W-1] : 1'b0, xr};
          wire [7:0]      w  = w1q[(gp*SIMDD + gj)*8 +: 8];
          always @(posedge clk) begin
            if (adv) li[gj*PW8 +: PW8] <= $signed(w) * $signed(xe);
          end
        end
        wire [PW8+LV1-1:0] it, itd;
        gr_conv_addtree #(.N(SIMDD), .IW(PW8)) u_it (.clk(clk), .en(adv), .in_data(li), .out_data(it));
        gr_win_delay #(.DW(PW8+LV1), .D(LV-LV1)) u_dly (.clk(clk), .en(adv), .in_data(it), .out_data(itd));
        gr_conv_resize #(.IW(PW8+LV1), .OW(ACC1_W)) u_it_r (.in_data(itd), .out_data(term1));
      end else begin : g_no_t1
        assign term1 = {ACC1_W{1'b0}};
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

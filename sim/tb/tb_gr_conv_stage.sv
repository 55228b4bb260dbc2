// tb_gr_conv_stage: self-checking testbench of gr_conv_stage (Verilator 5.006 --binary and
// Icarus 11 -g2012).
//
// The ROM files (w0.hex, m0.hex, bias.hex, shift.hex, and w1.hex, m1.hex for MODE 2) are made by
// `node sim/tb/gen_conv_data.mjs` with the same MODE/C/COUT/K/G/PE/SIMD/IN_SIGNED/OUT_W in the
// simulator's working directory; this testbench reads them too and decodes them with the layouts of
// docs/rtl-architecture.md. It streams NIMG random images back to back with STALL % random stalls on
// s_tvalid and m_tready, then NPERF images without stalls, compares every output value with a
// behavioural model of docs/integer-semantics.md, checks the stream rules (valid and data hold
// until ready), measures the steady-state cycles per image on the unstalled images and compares
// them with max(H*W, OH*OW*STEPS). Prints PASS or FAIL <details>, then $finish.
//
// Overrides: Verilator -GNAME=value, Icarus -Ptb_gr_conv_stage.NAME=value. By hand, in an empty
// directory (REPO = the repository root):
//   node $REPO/sim/tb/gen_conv_data.mjs --out . MODE=2 C=8 COUT=8 K=3 G=2 PE=2 SIMD=2
//   iverilog -g2012 -s tb_gr_conv_stage -Ptb_gr_conv_stage.MODE=2 -Ptb_gr_conv_stage.C=8 \
//     -Ptb_gr_conv_stage.COUT=8 -Ptb_gr_conv_stage.G=2 -o sim.vvp $REPO/sim/tb/tb_gr_conv_stage.sv \
//     $REPO/rtl/gr_requant.v $REPO/rtl/gr_linebuf.v $REPO/rtl/gr_conv_*.v && vvp -n sim.vvp
// (test/rtl/conv-stage.test.ts does this for a set of configurations, also under Verilator.)
`timescale 1ns / 1ps
`default_nettype none

module tb_gr_conv_stage;
  parameter integer MODE       = 0;   // 0 binary, 1 int8, 2 PRB
  parameter integer H          = 6;   // input height
  parameter integer W          = 5;   // input width
  parameter integer C          = 4;   // input channels
  parameter integer COUT       = 4;   // output channels
  parameter integer K          = 3;   // kernel
  parameter integer S          = 1;   // stride
  parameter integer P          = 1;   // padding
  parameter integer G          = 1;   // groups
  parameter integer PE         = 2;   // output channels per step
  parameter integer SIMD       = 2;   // input channels per step
  parameter integer IN_SIGNED  = 0;   // input signedness
  parameter integer OUT_W      = 8;   // output width
  parameter integer OUT_SIGNED = 0;   // output signedness
  parameter integer NIMG       = 3;   // images with random stalls
  parameter integer NPERF      = 4;   // images without stalls (cycle measurement), >= 3
  parameter integer STALL      = 30;  // stall probability in percent
  parameter integer SEED       = 1;   // image and stall seed
  parameter integer LB_LUTRAM  = 0;   // DUT line-buffer memory style (behaviour must not depend on it)
  parameter integer LB_URAM    = 0;   // DUT line-buffer memory style (behaviour must not depend on it)
  parameter integer PACK       = 0;   // DUT shares one multiplier per lane pair (behaviour must not depend on it)
  parameter integer SPREAD     = 1;   // DUT's PRB 1 x 1 branch over SPREAD steps a chunk (W1 layout; behaviour must not depend on it)
  parameter integer EXTREME_X  = 0;   // 1: image values only 0x00, 0x7F, 0x80, 0xFF (the products' extremes)

  localparam integer IN_W    = 8;
  localparam integer MULT_W  = 18;
  localparam integer BIAS_W  = 32;
  localparam integer SHIFT_W = 6;
  localparam integer CG      = C / G;
  localparam integer COG     = COUT / G;
  localparam integer CIS     = CG / SIMD;
  localparam integer COS     = COUT / PE;
  localparam integer KK      = K * K;
  localparam integer STEPS   = COS * KK * CIS;
  localparam integer OH      = (H + 2*P - K) / S + 1;
  localparam integer OW      = (W + 2*P - K) / S + 1;
  localparam integer WB      = (MODE == 1) ? 8 : 1;
  localparam integer SIMD1   = SIMD / SPREAD;                      // W1 weights per lane and row
  localparam integer NTOT    = NIMG + NPERF;
  localparam integer NPIX_IN = NTOT * H * W;
  localparam integer NPIX_OUT = NTOT * OH * OW;
  // Accumulator widths from worst-case bounds (docs/integer-semantics.md §5).
  localparam integer XMAX    = (IN_SIGNED != 0) ? 128 : 255;
  localparam integer PMAX    = (IN_SIGNED != 0) ? 16384 : 32640;
  localparam integer BOUND0  = (MODE == 1) ? CG * KK * PMAX : CG * KK * XMAX;
  localparam integer BOUND1  = CG * PMAX;
  localparam integer ACC0_W  = $clog2(BOUND0 + 1) + 1;
  localparam integer ACC1_W  = (MODE == 2) ? $clog2(BOUND1 + 1) + 1 : 2;
  localparam integer SW0     = ACC0_W + MULT_W;
  localparam integer SW1     = (MODE == 2) ? ACC1_W + MULT_W : 0;
  localparam integer SWM     = (SW0 > SW1) ? SW0 : SW1;
  localparam integer SUM_W   = ((SWM > 49) ? SWM : 49) + 2;   // holds shifts up to 47 too
  localparam integer IMG_CYC = (H * W > OH * OW * STEPS) ? H * W : OH * OW * STEPS;

  reg clk = 1'b0;
  reg rst_n = 1'b0;
  always #5 clk = ~clk;

  reg  [C*IN_W-1:0]     s_tdata;
  reg                   s_tvalid;
  wire                  s_tready;
  wire [COUT*OUT_W-1:0] m_tdata;
  wire                  m_tvalid;
  reg                   m_tready;

  gr_conv_stage #(
    .MODE(MODE), .H(H), .W(W), .C(C), .COUT(COUT), .K(K), .S(S), .P(P), .G(G),
    .IN_W(IN_W), .IN_SIGNED(IN_SIGNED), .PE(PE), .SIMD(SIMD), .ACC0_W(ACC0_W), .ACC1_W(ACC1_W),
    .MULT_W(MULT_W), .BIAS_W(BIAS_W), .SHIFT_W(SHIFT_W), .SUM_W(SUM_W), .OUT_W(OUT_W),
    .OUT_SIGNED(OUT_SIGNED),
    .W0_FILE("w0.hex"), .W1_FILE((MODE == 2) ? "w1.hex" : ""), .M0_FILE("m0.hex"),
    .M1_FILE((MODE == 2) ? "m1.hex" : ""), .BIAS_FILE("bias.hex"), .SHIFT_FILE("shift.hex"),
    .LB_LUTRAM(LB_LUTRAM), .LB_URAM(LB_URAM), .PACK(PACK), .SPREAD(SPREAD)
  ) dut (
    .clk(clk), .rst_n(rst_n),
    .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
  );

  // ---------------------------------------------------------------- data
  reg [IN_W-1:0]           img  [0:NPIX_IN*C-1];
  reg [PE*SIMD*WB-1:0]     w0r  [0:COS*KK*CIS-1];
  reg [PE*SIMD1*8-1:0]     w1r  [0:COS*CIS*SPREAD-1];
  reg [PE*MULT_W-1:0]      m0r  [0:COS-1];
  reg [PE*MULT_W-1:0]      m1r  [0:COS-1];
  reg [PE*BIAS_W-1:0]      br   [0:COS-1];
  reg [PE*SHIFT_W-1:0]     sr   [0:COS-1];
  reg [OUT_W-1:0]          expv [0:NPIX_OUT*COUT-1];

  function automatic [31:0] xorshift(input [31:0] s);
    reg [31:0] t;
    begin
      t = s ^ (s << 13);
      t = t ^ (t >> 17);
      xorshift = t ^ (t << 5);
    end
  endfunction

  // Sign-extend the low w bits of v.
  function automatic longint sx(input [63:0] v, input integer w);
    sx = $signed(v << (64 - w)) >>> (64 - w);
  endfunction

  integer n, oy, ox, co, ky, kx, ci, iy, ix, cs, lp, grp, row, i, c;
  integer nlo = 0, nhi = 0;
  longint a0, a1, xv, m0, m1, bv, sv, v, lo, hi;
  reg [WB-1:0]      wb;
  reg [7:0]         w8;
  reg [MULT_W-1:0]  mf;
  reg [BIAS_W-1:0]  bf;
  reg [SHIFT_W-1:0] sf;
  reg [31:0] rs;

  initial begin
    $readmemh("w0.hex", w0r);
    $readmemh("m0.hex", m0r);
    $readmemh("bias.hex", br);
    $readmemh("shift.hex", sr);
    if (MODE == 2) begin
      $readmemh("w1.hex", w1r);
      $readmemh("m1.hex", m1r);
    end
    rs = 32'h1234_5678 ^ SEED;
    for (i = 0; i < 8; i = i + 1) rs = xorshift(rs);
    for (i = 0; i < NPIX_IN * C; i = i + 1) begin
      rs = xorshift(rs);
      img[i] = (EXTREME_X != 0) ? {rs[9], {7{rs[8]}}} : rs[15:8];
    end
    lo = (OUT_SIGNED != 0) ? -(64'sd1 <<< (OUT_W - 1)) : 64'sd0;
    hi = (OUT_SIGNED != 0) ? (64'sd1 <<< (OUT_W - 1)) - 64'sd1 : (64'sd1 <<< OUT_W) - 64'sd1;
    // Behavioural model: the loops of convolve() and requantize() (generator/reference/kernels.ts).
    for (n = 0; n < NTOT; n = n + 1)
      for (oy = 0; oy < OH; oy = oy + 1)
        for (ox = 0; ox < OW; ox = ox + 1)
          for (co = 0; co < COUT; co = co + 1) begin
            cs = co / PE;
            lp = co % PE;
            grp = co / COG;
            a0 = 0;
            a1 = 0;
            for (ky = 0; ky < K; ky = ky + 1)
              for (kx = 0; kx < K; kx = kx + 1) begin
                iy = oy * S - P + ky;
                ix = ox * S - P + kx;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                  for (ci = 0; ci < CG; ci = ci + 1) begin
                    i = ((n * H + iy) * W + ix) * C + grp * CG + ci;
                    xv = (IN_SIGNED != 0) ? sx({56'd0, img[i]}, 8) : longint'({56'd0, img[i]});
                    row = (cs * KK + ky * K + kx) * CIS + ci / SIMD;
                    wb = w0r[row][(lp * SIMD + ci % SIMD) * WB +: WB];
                    if (MODE == 1) begin
                      a0 = a0 + sx({{(64-WB){1'b0}}, wb}, WB) * xv;     // int8 weight
                    end else begin
                      a0 = (wb != {WB{1'b0}}) ? a0 + xv : a0 - xv;     // pattern bit, 1 = +1
                    end
                    if (MODE == 2 && ky == (K - 1) / 2 && kx == (K - 1) / 2) begin
                      w8 = w1r[(cs * CIS + ci / SIMD) * SPREAD + (ci % SIMD) / SIMD1][(lp * SIMD1 + ci % SIMD1) * 8 +: 8];
                      a1 = a1 + sx({56'd0, w8}, 8) * xv;
                    end
                  end
              end
            mf = m0r[cs][lp * MULT_W +: MULT_W];
            m0 = sx({{(64-MULT_W){1'b0}}, mf}, MULT_W);
            mf = m1r[cs][lp * MULT_W +: MULT_W];
            m1 = (MODE == 2) ? sx({{(64-MULT_W){1'b0}}, mf}, MULT_W) : 64'sd0;
            bf = br[cs][lp * BIAS_W +: BIAS_W];
            bv = sx({{(64-BIAS_W){1'b0}}, bf}, BIAS_W);
            sf = sr[cs][lp * SHIFT_W +: SHIFT_W];
            sv = {{(64-SHIFT_W){1'b0}}, sf};
            v = a0 * m0 + a1 * m1 + bv + ((sv > 0) ? (64'sd1 <<< (sv - 1)) : 64'sd0);
            v = v >>> sv;
            if (v < lo) v = lo;
            if (v > hi) v = hi;
            expv[((n * OH + oy) * OW + ox) * COUT + co] = v[OUT_W-1:0];
            if (v == lo) nlo = nlo + 1;
            if (v == hi) nhi = nhi + 1;
          end
    $display("model: %0d output values, %0d at the lower and %0d at the upper saturation bound",
             NPIX_OUT * COUT, nlo, nhi);
    repeat (4) @(negedge clk);
    rst_n = 1'b1;
  end

  // ---------------------------------------------------------------- driver (random s_tvalid stalls)
  integer sent = 0;      // pixels accepted by the DUT
  integer nxt;
  reg [31:0] rin = 32'hcafe_f00d;
  reg [C*IN_W-1:0] pix;
  always @(posedge clk) begin
    if (!rst_n) begin
      s_tvalid <= 1'b0;
    end else begin
      nxt = sent + ((s_tvalid && s_tready) ? 1 : 0);
      sent <= nxt;
      rin = xorshift(rin ^ SEED);
      if (s_tvalid && !s_tready) begin
        // hold
      end else if (nxt < NPIX_IN && (nxt / (H * W) >= NIMG || (rin % 100) >= STALL)) begin
        for (c = 0; c < C; c = c + 1) pix[c*IN_W +: IN_W] = img[nxt * C + c];
        s_tvalid <= 1'b1;
        s_tdata  <= pix;
      end else begin
        s_tvalid <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------- sink (random m_tready stalls) and checker
  integer got = 0;       // output pixels received
  integer errors = 0;
  longint cyc = 0;
  longint t_img [0:NTOT-1];
  reg [31:0] rout = 32'h0bad_beef;
  reg prev_stall = 1'b0;
  reg [COUT*OUT_W-1:0] prev_data;
  integer oc, gotn;
  reg [OUT_W-1:0] yv, ye;

  always @(posedge clk) begin
    cyc <= cyc + 1;
    rout = xorshift(rout ^ (SEED << 3));
    if (!rst_n) begin
      m_tready <= 1'b0;
    end else begin
      gotn = got + ((m_tvalid && m_tready) ? 1 : 0);
      m_tready <= (gotn / (OH * OW) >= NIMG) || ((rout % 100) >= STALL);
      // stream rules: once valid, valid and data hold until the beat moves
      if (prev_stall && (!m_tvalid || m_tdata !== prev_data)) begin
        if (errors < 10) $display("FAIL m_tvalid/m_tdata changed while stalled at output pixel %0d", got);
        errors = errors + 1;
      end
      prev_stall <= m_tvalid && !m_tready;
      prev_data  <= m_tdata;
      if (m_tvalid && m_tready) begin
        if (got >= NPIX_OUT) begin
          if (errors < 10) $display("FAIL extra output pixel");
          errors = errors + 1;
        end else begin
          for (oc = 0; oc < COUT; oc = oc + 1) begin
            yv = m_tdata[oc*OUT_W +: OUT_W];
            ye = expv[got * COUT + oc];
            if (yv !== ye) begin
              if (errors < 10)
                $display("FAIL image %0d pixel (%0d,%0d) channel %0d: got %0d expected %0d", got / (OH * OW),
                         (got % (OH * OW)) / OW, got % OW, oc, yv, ye);
              errors = errors + 1;
            end
          end
          if (got % (OH * OW) == OH * OW - 1) t_img[got / (OH * OW)] = cyc;
        end
        got <= got + 1;
      end
    end
  end

  // ---------------------------------------------------------------- end
  integer d1, d2;
  initial begin
    wait (rst_n);
    while (got < NPIX_OUT && cyc < 64'd200 * (NTOT * (H * W + OH * OW * STEPS) + 2000)) @(posedge clk);
    repeat (20) @(posedge clk);
    if (got < NPIX_OUT) begin
      $display("FAIL timeout: %0d of %0d output pixels after %0d cycles", got, NPIX_OUT, cyc);
    end else begin
      d1 = 32'(t_img[NTOT-1] - t_img[NTOT-2]);
      d2 = 32'(t_img[NTOT-2] - t_img[NTOT-3]);
      $display("cycles/image without stalls: %0d %0d, formula max(H*W, OH*OW*STEPS) = %0d (STEPS = %0d)",
               d2, d1, IMG_CYC, STEPS);
      if (d1 != IMG_CYC || d2 != IMG_CYC) begin
        $display("FAIL cycles per image %0d/%0d, expected %0d", d2, d1, IMG_CYC);
        errors = errors + 1;
      end
      if (errors == 0) $display("PASS");
      else $display("FAIL %0d errors", errors);
    end
    $finish;
  end
endmodule

`default_nettype wire

// tb_gr_maxpool_stage: self-checking testbench of gr_maxpool_stage (Verilator 5.006 --binary and
// Icarus 11 -g2012).
//
// Streams NIMG random images back to back with STALL % random stalls on s_tvalid and m_tready,
// then NPERF images without stalls; compares every output with a behavioural model of maxPool()
// (generator/reference/kernels.ts: padded taps are skipped), checks the stream rules (valid and
// data hold until ready), and compares the steady-state cycles per image of the unstalled images
// with max(H*W, OH*OW*K*K). Prints PASS or FAIL <details>, then $finish.
//
// Overrides: Verilator -GNAME=value, Icarus -Ptb_gr_maxpool_stage.NAME=value, e.g.
//   iverilog -g2012 -s tb_gr_maxpool_stage -Ptb_gr_maxpool_stage.K=2 -Ptb_gr_maxpool_stage.S=2 \
//     -Ptb_gr_maxpool_stage.P=0 -o sim.vvp sim/tb/tb_gr_maxpool_stage.sv rtl/gr_linebuf.v \
//     rtl/gr_maxpool_stage.v && vvp -n sim.vvp
`timescale 1ns / 1ps
`default_nettype none

module tb_gr_maxpool_stage;
  parameter integer H      = 7;   // input height
  parameter integer W      = 6;   // input width
  parameter integer C      = 3;   // channels
  parameter integer K      = 3;   // kernel
  parameter integer S      = 2;   // stride
  parameter integer P      = 1;   // padding (<= K/2)
  parameter integer SIGNED = 1;   // element signedness
  parameter integer NIMG   = 3;   // images with random stalls
  parameter integer NPERF  = 4;   // images without stalls (cycle measurement), >= 3
  parameter integer STALL  = 30;  // stall probability in percent
  parameter integer SEED   = 1;   // image and stall seed
  parameter integer LB_LUTRAM = 0; // DUT line-buffer memory style (behaviour must not depend on it)
  parameter integer LB_URAM   = 0; // DUT line-buffer memory style (behaviour must not depend on it)

  localparam integer DW       = 8;
  localparam integer OH       = (H + 2*P - K) / S + 1;
  localparam integer OW       = (W + 2*P - K) / S + 1;
  localparam integer NTOT     = NIMG + NPERF;
  localparam integer NPIX_IN  = NTOT * H * W;
  localparam integer NPIX_OUT = NTOT * OH * OW;
  localparam integer IMG_CYC  = (H * W > OH * OW * K * K) ? H * W : OH * OW * K * K;

  reg clk = 1'b0;
  reg rst_n = 1'b0;
  always #5 clk = ~clk;

  reg  [C*DW-1:0] s_tdata;
  reg             s_tvalid;
  wire            s_tready;
  wire [C*DW-1:0] m_tdata;
  wire            m_tvalid;
  reg             m_tready;

  gr_maxpool_stage #(
    .H(H), .W(W), .C(C), .K(K), .S(S), .P(P), .DW(DW), .SIGNED(SIGNED), .LB_LUTRAM(LB_LUTRAM), .LB_URAM(LB_URAM)
  ) dut (
    .clk(clk), .rst_n(rst_n),
    .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
  );

  reg [DW-1:0] img  [0:NPIX_IN*C-1];
  reg [DW-1:0] expv [0:NPIX_OUT*C-1];

  function automatic [31:0] xorshift(input [31:0] s);
    reg [31:0] t;
    begin
      t = s ^ (s << 13);
      t = t ^ (t >> 17);
      xorshift = t ^ (t << 5);
    end
  endfunction

  // Element value as a signed integer.
  function automatic integer val(input [DW-1:0] e);
    val = (SIGNED != 0) ? {{(32-DW){e[DW-1]}}, e} : {{(32-DW){1'b0}}, e};
  endfunction

  integer n, oy, ox, c, ky, kx, iy, ix, i, best, nreal;
  reg [DW-1:0] bestv;
  reg [31:0] rs;

  initial begin
    rs = 32'h8765_4321 ^ SEED;
    for (i = 0; i < 8; i = i + 1) rs = xorshift(rs);
    for (i = 0; i < NPIX_IN * C; i = i + 1) begin
      rs = xorshift(rs);
      img[i] = rs[19:12];
    end
    for (n = 0; n < NTOT; n = n + 1)
      for (oy = 0; oy < OH; oy = oy + 1)
        for (ox = 0; ox < OW; ox = ox + 1)
          for (c = 0; c < C; c = c + 1) begin
            nreal = 0;
            best = 0;
            bestv = {DW{1'b0}};
            for (ky = 0; ky < K; ky = ky + 1)
              for (kx = 0; kx < K; kx = kx + 1) begin
                iy = oy * S - P + ky;
                ix = ox * S - P + kx;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) begin
                  i = ((n * H + iy) * W + ix) * C + c;
                  if (nreal == 0 || val(img[i]) > best) begin
                    best = val(img[i]);
                    bestv = img[i];
                  end
                  nreal = nreal + 1;
                end
              end
            expv[((n * OH + oy) * OW + ox) * C + c] = bestv;
          end
    repeat (4) @(negedge clk);
    rst_n = 1'b1;
  end

  // ---------------------------------------------------------------- driver
  integer sent = 0;
  integer nxt, ch;
  reg [31:0] rin = 32'h1357_9bdf;
  reg [C*DW-1:0] pix;
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
        for (ch = 0; ch < C; ch = ch + 1) pix[ch*DW +: DW] = img[nxt * C + ch];
        s_tvalid <= 1'b1;
        s_tdata  <= pix;
      end else begin
        s_tvalid <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------- sink and checker
  integer got = 0;
  integer errors = 0;
  longint cyc = 0;
  longint t_img [0:NTOT-1];
  reg [31:0] rout = 32'h2468_ace0;
  reg prev_stall = 1'b0;
  reg [C*DW-1:0] prev_data;
  integer oc, gotn;
  reg [DW-1:0] yv, ye;

  always @(posedge clk) begin
    cyc <= cyc + 1;
    rout = xorshift(rout ^ (SEED << 3));
    if (!rst_n) begin
      m_tready <= 1'b0;
    end else begin
      gotn = got + ((m_tvalid && m_tready) ? 1 : 0);
      m_tready <= (gotn / (OH * OW) >= NIMG) || ((rout % 100) >= STALL);
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
          for (oc = 0; oc < C; oc = oc + 1) begin
            yv = m_tdata[oc*DW +: DW];
            ye = expv[got * C + oc];
            if (yv !== ye) begin
              if (errors < 10)
                $display("FAIL image %0d pixel (%0d,%0d) channel %0d: got %0d expected %0d", got / (OH * OW),
                         (got % (OH * OW)) / OW, got % OW, oc, val(yv), val(ye));
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
    while (got < NPIX_OUT && cyc < 64'd200 * (NTOT * (H * W + OH * OW * K * K) + 2000)) @(posedge clk);
    repeat (20) @(posedge clk);
    if (got < NPIX_OUT) begin
      $display("FAIL timeout: %0d of %0d output pixels after %0d cycles", got, NPIX_OUT, cyc);
    end else begin
      d1 = 32'(t_img[NTOT-1] - t_img[NTOT-2]);
      d2 = 32'(t_img[NTOT-2] - t_img[NTOT-3]);
      $display("cycles/image without stalls: %0d %0d, formula max(H*W, OH*OW*K*K) = %0d", d2, d1, IMG_CYC);
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

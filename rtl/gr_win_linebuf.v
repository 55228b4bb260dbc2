// gr_win_linebuf: sliding-window generator of gr_conv_window_stage. Like gr_linebuf (same row
// count R, same acceptance and readiness rules, same cross-image row counting), but every step
// delivers the WHOLE K x K window of the output pixel instead of one tap.
//
// For every output pixel (oy, ox) of an OH x OW output (OH = (H + 2P - K)/S + 1, OW likewise) it
// walks the loop nest
//
//   for outer = g*OPG + o   (g in 0..OG-1, o in 0..OPG-1)
//     for inner in 0..INNER-1
//
// emitting one step per cycle: st_win holds the K*K input pixels (oy*S - P + ky, ox*S - P + kx),
// tap t = ky*K + kx at st_win[t*DW +: DW], zeros where the tap lies in the padding, plus
//   st_outer = outer,  st_isel = g*INNER + inner,  st_irow = outer*INNER + inner,
//   st_first / st_last: first / last step of an outer iteration (inner = 0 / INNER-1).
//
// Storage: R x K banks; row slot r = (input row counted across images) mod R, column x goes to
// bank x mod K, word x / K (NWD = ceil(W/K) words of DW bits per bank, one write and one
// synchronous read port each). The K columns hcol .. hcol+K-1 of a window lie in K distinct
// banks and its K rows in K distinct slots (R >= K), so every bank is read once per step: the
// read registers of all R*K banks are loaded on the issuing edge, and a slot (R:1) and bank (K:1)
// rotation selects each tap combinationally behind them (st_win is a function of registers only).
//
// R = max(K + S, H + min(H-1, K-1-P) - max(0, (OH-1)*S - P) + 1), exactly as gr_linebuf; with
// it, in steady state (input always valid, consumer always ready) an image takes exactly
// max(H*W, OH*OW*STEPS) cycles, STEPS = OG*OPG*INNER steps per output pixel.
//
// Output timing: a step is taken on a rising edge with st_valid && st_ready; st_ready may be 0
// for any time (everything holds). Reset: control state only.
`default_nettype none

module gr_win_linebuf #(
  parameter integer H     = 8,  // input height
  parameter integer W     = 8,  // input width
  parameter integer K     = 3,  // kernel size (K x K window)
  parameter integer S     = 1,  // stride
  parameter integer P     = 1,  // zero padding on every side, 0 <= P < K
  parameter integer DW    = 8,  // bits per pixel (all channels)
  parameter integer OG    = 1,  // outer loop, upper part (groups)
  parameter integer OPG   = 1,  // outer loop, lower part (output steps per group)
  parameter integer INNER = 1,  // inner loop count (input steps)
  parameter integer LUTRAM = 0, // 1: the row banks in LUT RAM (gr_sdp_ram); 0: the tool's choice
  parameter integer URAM   = 0  // 1: the row banks in UltraRAM (gr_sdp_ram; UltraScale+); not with LUTRAM
) (
  input  wire                                                       clk,
  input  wire                                                       rst_n,
  // input pixel stream, raster order, images back to back
  input  wire [DW-1:0]                                              s_tdata,
  input  wire                                                       s_tvalid,
  output wire                                                       s_tready,
  // step stream
  output reg                                                        st_valid,
  input  wire                                                       st_ready,
  output wire [K*K*DW-1:0]                                          st_win,
  output reg                                                        st_first,
  output reg                                                        st_last,
  output reg  [((OG*OPG > 1) ? $clog2(OG*OPG) : 1)-1:0]             st_outer,
  output reg  [((OG*INNER > 1) ? $clog2(OG*INNER) : 1)-1:0]         st_isel,
  output reg  [((OG*OPG*INNER > 1) ? $clog2(OG*OPG*INNER) : 1)-1:0] st_irow
);
  // ---------------------------------------------------------------- geometry
  function integer cw(input integer n);  // counter width for values 0..n-1 (at least 1)
    cw = (n > 1) ? $clog2(n) : 1;
  endfunction

  localparam integer SS        = (S > 0) ? S : 1;
  localparam integer KS        = (K > 0) ? K : 1;
  localparam integer OH        = (H + 2*P - K >= 0) ? (H + 2*P - K) / SS + 1 : 1;
  localparam integer OW        = (W + 2*P - K >= 0) ? (W + 2*P - K) / SS + 1 : 1;
  localparam integer LROW      = ((OH-1)*SS - P > 0) ? (OH-1)*SS - P : 0;  // first row of the last window row
  localparam integer NEXT_LAST = (H-1 < K-1-P) ? H-1 : K-1-P;            // last row the first window row needs
  localparam integer R_IMG     = H + NEXT_LAST - LROW + 1;
  localparam integer R         = (K + SS > R_IMG) ? K + SS : R_IMG;     // rows stored
  localparam integer NWD       = (W + KS - 1) / KS;                     // words per bank
  localparam integer DBASE_IMG = H - LROW;                              // first-needed-row jump at an image change
  localparam integer DVIRT_IMG = ((H - (OH-1)*SS) % R + R) % R;         // window-row slot jump at an image change
  localparam integer OUTER     = OG * OPG;
  localparam integer VLAST     = (OH-1)*SS - P;                         // vrow of the last window row
  localparam integer HLAST     = (OW-1)*SS - P;                         // hcol of the last window column

  localparam integer PW   = cw(H + W + K + 2*P + 2*SS + 2) + 1;         // signed row / column positions
  localparam integer LW   = cw(2*R + 2) + 1;                            // signed lag
  localparam integer CW   = cw(W);
  localparam integer IW   = cw(INNER);
  localparam integer OPW  = cw(OPG);
  localparam integer GW   = cw(OG);
  localparam integer OUW  = cw(OUTER);
  localparam integer ISW  = cw(OG*INNER);
  localparam integer IRW  = cw(OUTER*INNER);
  localparam integer SLW  = cw(R);                                      // row slot
  localparam integer BKW  = cw(K);                                      // bank (column mod K)
  localparam integer WDW  = cw(NWD);                                    // word in a bank

  generate
    if (H < 1 || W < 1 || K < 1 || S < 1 || DW < 1 || OG < 1 || OPG < 1 || INNER < 1) begin : g_bad_size
      gr_error_win_linebuf_sizes_must_be_positive u_err ();
    end
    if (P < 0 || P >= K) begin : g_bad_pad
      gr_error_win_linebuf_pad_must_be_less_than_k u_err ();
    end
    if (H + 2*P < K || W + 2*P < K) begin : g_bad_out
      gr_error_win_linebuf_output_size_must_be_at_least_1 u_err ();
    end
    if (PW >= 31 || cw(R*W) >= 31) begin : g_bad_big
      gr_error_win_linebuf_image_too_large u_err ();
    end
  endgenerate

  // Sized constants (explicit widths keep the comparisons lint-clean).
  localparam integer INNER_M1 = INNER - 1;
  localparam integer OPG_M1   = OPG - 1;
  localparam integer OG_M1    = OG - 1;
  localparam integer W_M1     = W - 1;
  localparam integer R_M1     = R - 1;
  localparam integer K_M1     = K - 1;
  localparam integer NWD_M1   = NWD - 1;
  localparam integer SLOT0    = (R - P) % R;                 // slot of virtual row -P of image 0
  localparam integer HB0      = (KS - P) % KS;               // (-P) mod K
  localparam integer HW0      = (P > 0) ? -1 : 0;            // floor(-P / K)
  localparam integer S_MODK   = SS % KS;
  localparam integer S_DIVK   = SS / KS;
  localparam [IW-1:0]  INNER_LAST = INNER_M1[IW-1:0];
  localparam [OPW-1:0] OPG_LAST   = OPG_M1[OPW-1:0];
  localparam [GW-1:0]  OG_LAST    = OG_M1[GW-1:0];
  localparam [CW-1:0]  W_LAST     = W_M1[CW-1:0];
  localparam [SLW-1:0] R_LAST     = R_M1[SLW-1:0];
  localparam [BKW-1:0] K_LAST     = K_M1[BKW-1:0];
  localparam [WDW-1:0] NWD_LAST   = NWD_M1[WDW-1:0];
  localparam [SLW-1:0] SLOT0_S    = SLOT0[SLW-1:0];
  localparam [BKW-1:0] HB0_B      = HB0[BKW-1:0];
  localparam [PW-1:0]  HW0_P      = HW0[PW-1:0];
  localparam [LW-1:0]  R_L        = R[LW-1:0];
  localparam integer NEG_P    = -P;
  localparam [PW-1:0]  MINUS_P    = NEG_P[PW-1:0];

  // ---------------------------------------------------------------- input side
  reg  [SLW-1:0]       wr_slot;   // (global input row) mod R
  reg  [BKW-1:0]       wr_bank;   // in_col mod K
  reg  [WDW-1:0]       wr_word;   // in_col / K
  reg  [CW-1:0]        in_col;    // pixels of the current input row received
  reg  signed [LW-1:0] lag;       // input row - first row the current window needs

  assign s_tready = ($signed(lag) < $signed(R_L));
  wire in_fire = s_tvalid && s_tready;
  wire in_row_done = in_fire && (in_col == W_LAST);

  // ---------------------------------------------------------------- scheduler state
  reg signed [PW-1:0] vrow;       // oy*S - P (first window row, may be negative)
  reg signed [PW-1:0] hcol;       // ox*S - P
  reg [BKW-1:0] hb;               // hcol mod K
  reg signed [PW-1:0] hw;         // floor(hcol / K)
  reg [IW-1:0]  inner;
  reg [OPW-1:0] opg;
  reg [GW-1:0]  grp;
  reg [OUW-1:0] outer;
  reg [ISW-1:0] isel_base;        // grp * INNER
  reg [IRW-1:0] irow_base;        // outer * INNER
  reg [SLW-1:0] win_slot;         // slot of row vrow (mod R)

  // 32-bit views for the window arithmetic (all small numbers).
  wire signed [31:0] vrow_i   = {{(32-PW){vrow[PW-1]}}, vrow};
  wire signed [31:0] hcol_i   = {{(32-PW){hcol[PW-1]}}, hcol};
  wire signed [31:0] hw_i     = {{(32-PW){hw[PW-1]}}, hw};
  wire signed [31:0] lag_i    = {{(32-LW){lag[LW-1]}}, lag};
  wire signed [31:0] incol_i  = $signed({{(32-CW){1'b0}}, in_col});
  wire        [31:0] hb_u     = {{(32-BKW){1'b0}}, hb};
  wire        [31:0] slot_u   = {{(32-SLW){1'b0}}, win_slot};

  // Window readiness: rows top..lastr and columns up to lastc of the image must have arrived.
  wire signed [31:0] top_i    = (vrow_i > 0) ? vrow_i : 32'sd0;
  wire signed [31:0] lastr_i  = (vrow_i + K - 1 > H - 1) ? H - 1 : vrow_i + K - 1;
  wire signed [31:0] dlast_i  = lastr_i - top_i;
  wire signed [31:0] lastc_i  = (hcol_i + K - 1 > W - 1) ? W - 1 : hcol_i + K - 1;
  wire win_ready = (lag_i > dlast_i) || (lag_i == dlast_i && incol_i > lastc_i);

  wire issue = win_ready && st_ready;

  // Loop ends.
  wire inner_end = (inner == INNER_LAST);
  wire opg_end   = (opg == OPG_LAST);
  wire grp_end   = (grp == OG_LAST);
  wire pix_end   = inner_end && opg_end && grp_end;
  wire ox_end    = (hcol_i == HLAST);
  wire oy_end    = (vrow_i == VLAST);
  wire row_end   = pix_end && ox_end;

  // Slot arithmetic mod R.
  function [SLW-1:0] slot_add(input [SLW-1:0] a, input integer b);  // (a + b) mod R, 0 <= b < R
    reg [31:0] t;
    begin
      t = {{(32-SLW){1'b0}}, a} + b;
      if (t > R_M1) t = t - R;
      slot_add = t[SLW-1:0];
    end
  endfunction

  // Column position advance by S: hb + S mod K with carry into hw.
  wire [31:0]        hb_sum_u  = hb_u + S_MODK;
  wire               hb_carry  = (hb_sum_u > K_M1);
  wire [31:0]        hb_next_u = hb_carry ? hb_sum_u - K : hb_sum_u;
  wire signed [31:0] hw_next_i = hw_i + S_DIVK + (hb_carry ? 32'sd1 : 32'sd0);

  // First-needed-row advance when the window row changes.
  wire signed [31:0] top_next_i = (vrow_i + SS > 0) ? vrow_i + SS : 32'sd0;
  wire signed [31:0] dbase_i    = oy_end ? DBASE_IMG : top_next_i - top_i;
  wire signed [31:0] lag_next_i = lag_i + (in_row_done ? 32'sd1 : 32'sd0) - ((issue && row_end) ? dbase_i : 32'sd0);

  always @(posedge clk) begin
    if (!rst_n) begin
      wr_slot   <= {SLW{1'b0}};
      wr_bank   <= {BKW{1'b0}};
      wr_word   <= {WDW{1'b0}};
      in_col    <= {CW{1'b0}};
      lag       <= {LW{1'b0}};
      vrow      <= MINUS_P;
      hcol      <= MINUS_P;
      hb        <= HB0_B;
      hw        <= HW0_P;
      inner     <= {IW{1'b0}};
      opg       <= {OPW{1'b0}};
      grp       <= {GW{1'b0}};
      outer     <= {OUW{1'b0}};
      isel_base <= {ISW{1'b0}};
      irow_base <= {IRW{1'b0}};
      win_slot  <= SLOT0_S;
      st_valid  <= 1'b0;
    end else begin
      // input side
      if (in_fire) begin
        if (in_col == W_LAST) begin
          in_col  <= {CW{1'b0}};
          wr_bank <= {BKW{1'b0}};
          wr_word <= {WDW{1'b0}};
          wr_slot <= (wr_slot == R_LAST) ? {SLW{1'b0}} : wr_slot + 1'b1;
        end else begin
          in_col <= in_col + 1'b1;
          if (wr_bank == K_LAST) begin
            wr_bank <= {BKW{1'b0}};
            wr_word <= (wr_word == NWD_LAST) ? {WDW{1'b0}} : wr_word + 1'b1;
          end else begin
            wr_bank <= wr_bank + 1'b1;
          end
        end
      end
      lag <= lag_next_i[LW-1:0];
      // step side
      if (st_ready) st_valid <= win_ready;
      if (issue) begin
        inner <= inner_end ? {IW{1'b0}} : inner + 1'b1;
        if (inner_end) begin
          opg       <= opg_end ? {OPW{1'b0}} : opg + 1'b1;
          outer     <= pix_end ? {OUW{1'b0}} : outer + 1'b1;
          irow_base <= pix_end ? {IRW{1'b0}} : irow_base + INNER[IRW-1:0];
          if (opg_end) begin
            grp       <= grp_end ? {GW{1'b0}} : grp + 1'b1;
            isel_base <= grp_end ? {ISW{1'b0}} : isel_base + INNER[ISW-1:0];
          end
        end
        if (pix_end) begin
          if (ox_end) begin
            hcol <= MINUS_P;
            hb   <= HB0_B;
            hw   <= HW0_P;
          end else begin
            hcol <= hcol + SS[PW-1:0];
            hb   <= hb_next_u[BKW-1:0];
            hw   <= hw_next_i[PW-1:0];
          end
        end
        if (row_end) begin
          vrow     <= oy_end ? MINUS_P : vrow + SS[PW-1:0];
          win_slot <= oy_end ? slot_add(win_slot, DVIRT_IMG) : slot_add(win_slot, SS % R);
        end
      end
    end
  end

  // ---------------------------------------------------------------- banks and read registers
  // Bank b is read at word hw + (b < hb): the window column x = hcol + kx with x mod K = b.
  // Columns outside the image give an address that is masked below (padding).
  wire [K*DW-1:0] rrow [0:R-1];   // read registers of slot r, bank b at [b*DW +: DW]

  genvar gr, gb, gy, gx;
  generate
    for (gb = 0; gb < K; gb = gb + 1) begin : g_bank_addr
      wire signed [31:0] word_i = hw_i + ((gb < hb_u) ? 32'sd1 : 32'sd0);
      wire [WDW-1:0]     word   = word_i[WDW-1:0];
      wire unused_word = ^word_i[31:WDW];
    end
    for (gr = 0; gr < R; gr = gr + 1) begin : g_slot
      for (gb = 0; gb < K; gb = gb + 1) begin : g_bank
        wire [DW-1:0] rd;
        wire          we = in_fire && wr_slot == gr[SLW-1:0] && wr_bank == gb[BKW-1:0];
        gr_sdp_ram #(.DW(DW), .DEPTH(NWD), .LUTRAM(LUTRAM), .URAM(URAM)) u_mem (
          .clk(clk), .we(we), .waddr(wr_word), .wdata(s_tdata), .re(issue), .raddr(g_bank_addr[gb].word), .q(rd)
        );
        assign rrow[gr][gb*DW +: DW] = rd;
      end
    end

    // Per window row ky: its slot and padding; per window column kx: its bank and padding.
    for (gy = 0; gy < K; gy = gy + 1) begin : g_row
      wire [31:0]        s_u   = slot_u + gy;
      wire [31:0]        sw_u  = (s_u > R_M1) ? s_u - R : s_u;
      wire signed [31:0] y_i   = vrow_i + gy;
      reg [SLW-1:0] slot;
      reg           pad;
      always @(posedge clk) begin
        if (issue) begin
          slot <= sw_u[SLW-1:0];
          pad  <= (y_i < 0) || (y_i > H - 1);
        end
      end
      wire [K*DW-1:0] row = rrow[slot];
      wire [DW-1:0] pix [0:K-1];
      for (gx = 0; gx < K; gx = gx + 1) begin : g_pix
        assign pix[gx] = row[gx*DW +: DW];
      end
      wire unused_s = ^{s_u[31:SLW], sw_u[31:SLW]};
    end
    for (gx = 0; gx < K; gx = gx + 1) begin : g_col
      wire [31:0]        b_u  = hb_u + gx;
      wire [31:0]        bw_u = (b_u > K_M1) ? b_u - K : b_u;
      wire signed [31:0] x_i  = hcol_i + gx;
      reg [BKW-1:0] bank;
      reg           pad;
      always @(posedge clk) begin
        if (issue) begin
          bank <= bw_u[BKW-1:0];
          pad  <= (x_i < 0) || (x_i > W - 1);
        end
      end
      wire unused_b = ^{b_u[31:BKW], bw_u[31:BKW]};
    end
    for (gy = 0; gy < K; gy = gy + 1) begin : g_ty
      for (gx = 0; gx < K; gx = gx + 1) begin : g_tx
        assign st_win[(gy*K + gx)*DW +: DW] =
          (g_row[gy].pad || g_col[gx].pad) ? {DW{1'b0}} : g_row[gy].pix[g_col[gx].bank];
      end
    end
  endgenerate

  // ---------------------------------------------------------------- step output registers
  wire [31:0] inner_u = {{(32-IW){1'b0}}, inner};
  wire [31:0] isel_u  = {{(32-ISW){1'b0}}, isel_base} + inner_u;
  wire [31:0] irow_u  = {{(32-IRW){1'b0}}, irow_base} + inner_u;

  always @(posedge clk) begin
    if (issue) begin
      st_first <= (inner == {IW{1'b0}});
      st_last  <= inner_end;
      st_outer <= outer;
      st_isel  <= isel_u[ISW-1:0];
      st_irow  <= irow_u[IRW-1:0];
    end
  end

  // Upper bits of the 32-bit views are unused by construction.
  wire unused_hi = ^{lag_next_i[31:LW], isel_u[31:ISW], irow_u[31:IRW], hb_next_u[31:BKW], hw_next_i[31:PW]};
endmodule

`default_nettype wire

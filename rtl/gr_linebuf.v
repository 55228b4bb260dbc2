// gr_linebuf: line buffer and window-step scheduler shared by gr_conv_stage and gr_maxpool_stage.
//
// Keeps the last R input rows (one DW-bit pixel per memory word; rows are counted across images,
// which follow each other without a gap) and, for every output pixel (oy, ox) of an
// OH x OW output (OH = (H + 2P - K)/S + 1, OW likewise), walks the loop nest
//
//   for outer = g*OPG + o   (g in 0..OG-1, o in 0..OPG-1)
//     for tap t = ky*K + kx (0..K*K-1)
//       for inner in 0..INNER-1
//
// emitting one step per cycle: the input pixel (oy*S - P + ky, ox*S - P + kx), or st_pad = 1 when
// that position lies in the zero padding, together with the loop indices a consumer needs for its
// ROM addresses (docs/rtl-architecture.md, gr_conv_stage "Work order" and "ROM layouts"):
//   st_step  = (outer*K*K + t)*INNER + inner   (0..OG*OPG*K*K*INNER-1, the step within the pixel)
//   st_outer = outer                            st_tap = t
//   st_isel  = g*INNER + inner                  (input chunk: channels st_isel*SIMD .. +SIMD-1)
//   st_irow  = outer*INNER + inner
//   st_first / st_last: first / last step of an outer iteration.
//
// Rules. An input pixel is accepted while its row does not overwrite a row that the current or a
// later window needs (s_tready = lag < R, lag = input row - first row the current window needs).
// A window starts once every in-image pixel it covers has arrived; from then on it issues one step
// per cycle whenever st_ready is 1 (no bubble between steps, outer iterations, pixels or images).
//
// R (rows stored) = max(K + S, H + min(H-1, K-1-P) - max(0, (OH-1)*S - P) + 1):
// K + S lets the next S rows arrive while a window row is computed; the second term lets the
// first output row of the next image be fully buffered while the last output row of the current
// image is computed. When H >= K-P and (OH-1)*S >= P,
// R = max(K+S, 2K - 2P + ((H+2P-K) mod S)): K + S unless P < (K-1)/2 or bottom rows go unused.
// With it, in steady state (input always valid, consumer always ready) an image takes exactly
// max(H*W, OH*OW*STEPS) cycles, STEPS = OG*OPG*K*K*INNER.
//
// Output timing: st_* is a register stage; st_data comes from a synchronous-read memory
// (1 write + 1 read port, R*W words of DW bits). A step is taken on a rising edge with
// st_valid && st_ready; st_ready may be 0 for any time (everything holds).
`default_nettype none

module gr_linebuf #(
  parameter integer H     = 8,  // input height
  parameter integer W     = 8,  // input width
  parameter integer K     = 3,  // kernel size (K x K window)
  parameter integer S     = 1,  // stride
  parameter integer P     = 1,  // zero padding on every side, 0 <= P < K
  parameter integer DW    = 8,  // bits per pixel (all channels)
  parameter integer OG    = 1,  // outer loop, upper part (groups)
  parameter integer OPG   = 1,  // outer loop, lower part (output steps per group)
  parameter integer INNER = 1,  // inner loop count per tap (input steps)
  parameter integer LUTRAM = 0, // 1: the pixel memory in LUT RAM (gr_sdp_ram); 0: the tool's choice
  parameter integer URAM   = 0  // 1: the pixel memory in UltraRAM (gr_sdp_ram; UltraScale+); not with LUTRAM
) (
  input  wire                                                                  clk,
  input  wire                                                                  rst_n,
  // input pixel stream, raster order, images back to back
  input  wire [DW-1:0]                                                         s_tdata,
  input  wire                                                                  s_tvalid,
  output wire                                                                  s_tready,
  // step stream
  output reg                                                                   st_valid,
  input  wire                                                                  st_ready,
  output wire [DW-1:0]                                                         st_data,
  output reg                                                                   st_pad,
  output reg                                                                   st_first,
  output reg                                                                   st_last,
  output reg  [((OG*OPG*K*K*INNER > 1) ? $clog2(OG*OPG*K*K*INNER) : 1)-1:0]      st_step,
  output reg  [((OG*OPG > 1) ? $clog2(OG*OPG) : 1)-1:0]                          st_outer,
  output reg  [((K*K > 1) ? $clog2(K*K) : 1)-1:0]                                st_tap,
  output reg  [((OG*INNER > 1) ? $clog2(OG*INNER) : 1)-1:0]                      st_isel,
  output reg  [((OG*OPG*INNER > 1) ? $clog2(OG*OPG*INNER) : 1)-1:0]              st_irow
);
  // ---------------------------------------------------------------- geometry
  function integer cw(input integer n);  // counter width for values 0..n-1 (at least 1)
    cw = (n > 1) ? $clog2(n) : 1;
  endfunction

  localparam integer SS        = (S > 0) ? S : 1;
  localparam integer OH        = (H + 2*P - K >= 0) ? (H + 2*P - K) / SS + 1 : 1;
  localparam integer OW        = (W + 2*P - K >= 0) ? (W + 2*P - K) / SS + 1 : 1;
  localparam integer LROW      = ((OH-1)*SS - P > 0) ? (OH-1)*SS - P : 0;  // first row of the last window row
  localparam integer NEXT_LAST = (H-1 < K-1-P) ? H-1 : K-1-P;            // last row the first window row needs
  localparam integer R_IMG     = H + NEXT_LAST - LROW + 1;
  localparam integer R         = (K + SS > R_IMG) ? K + SS : R_IMG;     // rows stored
  localparam integer RW        = R * W;                                 // memory words
  localparam integer DBASE_IMG = H - LROW;                              // first-needed-row jump at an image change
  localparam integer DVIRT_IMG = ((H - (OH-1)*SS) % R + R) % R;         // window-row slot jump at an image change
  localparam integer OUTER     = OG * OPG;
  localparam integer TAPS      = K * K;
  localparam integer STEPS     = OUTER * TAPS * INNER;
  localparam integer VLAST     = (OH-1)*SS - P;                         // vrow of the last window row
  localparam integer HLAST     = (OW-1)*SS - P;                         // hcol of the last window column

  localparam integer AW   = cw(RW);
  localparam integer PW   = cw(H + W + K + 2*P + 2*SS + 2) + 1;         // signed row / column positions
  localparam integer LW   = cw(2*R + 2) + 1;                            // signed lag
  localparam integer CW   = cw(W);
  localparam integer KW   = cw(K);
  localparam integer IW   = cw(INNER);
  localparam integer OPW  = cw(OPG);
  localparam integer GW   = cw(OG);
  localparam integer TW   = cw(TAPS);
  localparam integer OUW  = cw(OUTER);
  localparam integer SW   = cw(STEPS);
  localparam integer ISW  = cw(OG*INNER);
  localparam integer IRW  = cw(OUTER*INNER);

  generate
    if (H < 1 || W < 1 || K < 1 || S < 1 || DW < 1 || OG < 1 || OPG < 1 || INNER < 1) begin : g_bad_size
      gr_error_linebuf_sizes_must_be_positive u_err ();
    end
    if (P < 0 || P >= K) begin : g_bad_pad
      gr_error_linebuf_pad_must_be_less_than_k u_err ();
    end
    if (H + 2*P < K || W + 2*P < K) begin : g_bad_out
      gr_error_linebuf_output_size_must_be_at_least_1 u_err ();
    end
    if (PW >= 31 || AW >= 31) begin : g_bad_big
      gr_error_linebuf_image_too_large u_err ();
    end
  endgenerate

  // Sized constants (explicit widths keep the comparisons lint-clean).
  localparam integer INNER_M1 = INNER - 1;
  localparam integer K_M1     = K - 1;
  localparam integer OPG_M1   = OPG - 1;
  localparam integer OG_M1    = OG - 1;
  localparam integer STEPS_M1 = STEPS - 1;
  localparam integer W_M1     = W - 1;
  localparam integer RW_M1    = RW - 1;
  localparam integer WIN0     = ((R - P) % R) * W;     // slot of virtual row -P of image 0, times W
  localparam [IW-1:0]  INNER_LAST = INNER_M1[IW-1:0];
  localparam [KW-1:0]  K_LAST     = K_M1[KW-1:0];
  localparam [OPW-1:0] OPG_LAST   = OPG_M1[OPW-1:0];
  localparam [GW-1:0]  OG_LAST    = OG_M1[GW-1:0];
  localparam [SW-1:0]  STEPS_LAST = STEPS_M1[SW-1:0];
  localparam [CW-1:0]  W_LAST     = W_M1[CW-1:0];
  localparam [AW-1:0]  RW_LAST    = RW_M1[AW-1:0];
  localparam [AW-1:0]  WIN0_A     = WIN0[AW-1:0];
  localparam [LW-1:0]  R_L        = R[LW-1:0];
  localparam integer NEG_P    = -P;
  localparam [PW-1:0]  MINUS_P    = NEG_P[PW-1:0];

  // ---------------------------------------------------------------- input side
  reg  [AW-1:0]        wr_addr;   // (global pixel index) mod R*W
  reg  [CW-1:0]        in_col;    // pixels of the current input row received
  reg  signed [LW-1:0] lag;       // input row - first row the current window needs

  assign s_tready = ($signed(lag) < $signed(R_L));
  wire in_fire = s_tvalid && s_tready;
  wire in_row_done = in_fire && (in_col == W_LAST);

  // The pixel memory: written on in_fire, read into st_data on issue (declared below).

  // ---------------------------------------------------------------- scheduler state
  reg signed [PW-1:0] vrow;       // oy*S - P (first window row, may be negative)
  reg signed [PW-1:0] hcol;       // ox*S - P
  reg [KW-1:0]  ky, kx;
  reg [IW-1:0]  inner;
  reg [OPW-1:0] opg;
  reg [GW-1:0]  grp;
  reg [TW-1:0]  tap;
  reg [OUW-1:0] outer;
  reg [SW-1:0]  step;
  reg [ISW-1:0] isel_base;        // grp * INNER
  reg [IRW-1:0] irow_base;        // outer * INNER
  reg [AW-1:0]  win_addr0;        // memory slot of row vrow (mod R), times W
  reg [AW-1:0]  row_addr;         // memory slot of row vrow + ky (mod R), times W
  // The window-row quantities below, registered with the row and column they belong to, so that the
  // readiness test compares registers only (from vrow it was the critical path on an iCE40).
  reg signed [PW:0]   dlast;      // dlast_of(vrow)
  reg signed [PW:0]   dbase;      // dbase_of(vrow)
  reg signed [PW-1:0] lastc;      // lastc_of(hcol)

  // 32-bit views for the window arithmetic (all small numbers).
  wire signed [31:0] vrow_i   = {{(32-PW){vrow[PW-1]}}, vrow};
  wire signed [31:0] hcol_i   = {{(32-PW){hcol[PW-1]}}, hcol};
  wire signed [31:0] lag_i    = {{(32-LW){lag[LW-1]}}, lag};
  wire signed [31:0] incol_i  = $signed({{(32-CW){1'b0}}, in_col});
  wire signed [31:0] ky_i     = $signed({{(32-KW){1'b0}}, ky});
  wire signed [31:0] kx_i     = $signed({{(32-KW){1'b0}}, kx});

  // Window readiness: rows top..lastr and columns up to lastc of the image must have arrived.
  // The row and column arithmetic is XW bits wide (positions need PW; one more for their sums),
  // not 32: on an iCE40 every bit is a carry-chain cell on the critical path.
  localparam integer XW = PW + 1;
  localparam integer H_M1 = H - 1;
  localparam signed [XW-1:0] ZERO_X  = {XW{1'b0}};
  localparam signed [XW-1:0] K_M1_X  = K_M1[XW-1:0];
  localparam signed [XW-1:0] H_M1_X  = H_M1[XW-1:0];
  localparam signed [XW-1:0] W_M1_X  = W_M1[XW-1:0];
  localparam signed [XW-1:0] SS_X    = SS[XW-1:0];
  localparam signed [XW-1:0] VLAST_X = VLAST[XW-1:0];
  localparam signed [XW-1:0] DBASE_X = DBASE_IMG[XW-1:0];
  localparam signed [XW-1:0] NEG_P_X = NEG_P[XW-1:0];
  function signed [XW-1:0] top_of(input signed [XW-1:0] v);    // first image row of window row v
    top_of = (v > ZERO_X) ? v : ZERO_X;
  endfunction
  function signed [XW-1:0] dlast_of(input signed [XW-1:0] v);  // its last image row, minus top_of(v)
    dlast_of = ((v + K_M1_X > H_M1_X) ? H_M1_X : v + K_M1_X) - top_of(v);
  endfunction
  function signed [XW-1:0] lastc_of(input signed [XW-1:0] wc); // last image column of window column wc
    lastc_of = (wc + K_M1_X > W_M1_X) ? W_M1_X : wc + K_M1_X;
  endfunction
  function signed [XW-1:0] dbase_of(input signed [XW-1:0] v);  // first-needed-row advance after window row v
    dbase_of = (v == VLAST_X) ? DBASE_X : top_of(v + SS_X) - top_of(v);
  endfunction

  wire signed [31:0] dlast_i = {{(31-PW){dlast[PW]}}, dlast};
  wire signed [31:0] dbase_i = {{(31-PW){dbase[PW]}}, dbase};
  wire signed [31:0] lastc_i = {{(32-PW){lastc[PW-1]}}, lastc};
  wire win_ready = (lag_i > dlast_i) || (lag_i == dlast_i && incol_i > lastc_i);

  wire issue = win_ready && st_ready;

  // Loop ends.
  wire inner_end = (inner == INNER_LAST);
  wire kx_end    = (kx == K_LAST);
  wire ky_end    = (ky == K_LAST);
  wire opg_end   = (opg == OPG_LAST);
  wire grp_end   = (grp == OG_LAST);
  wire tapc_end  = inner_end && kx_end;                  // next tap row
  wire tap_end   = tapc_end && ky_end;                   // end of an outer iteration
  wire pix_end   = tap_end && opg_end && grp_end;
  wire ox_end    = (hcol_i == HLAST);
  wire oy_end    = (vrow_i == VLAST);
  wire row_end   = pix_end && ox_end;

  // Tap position and padding.
  wire signed [31:0] row_y_i = vrow_i + ky_i;
  wire signed [31:0] col_x_i = hcol_i + kx_i;
  wire pad = (row_y_i < 0) || (row_y_i > H - 1) || (col_x_i < 0) || (col_x_i > W - 1);
  wire [31:0] rd_addr_i = {{(32-AW){1'b0}}, row_addr} + col_x_i;
  wire [AW-1:0] rd_addr = rd_addr_i[AW-1:0];

  // Memory slot arithmetic mod R*W.
  function [AW-1:0] wrap_add(input [AW-1:0] a, input integer b);  // (a + b) mod RW, 0 <= b < RW
    reg [31:0] t;
    begin
      t = {{(32-AW){1'b0}}, a} + b;
      if (t > RW_M1) t = t - RW;
      wrap_add = t[AW-1:0];
    end
  endfunction

  wire [AW-1:0] win_addr0_next = !row_end ? win_addr0 :
                                 oy_end   ? wrap_add(win_addr0, DVIRT_IMG * W) :
                                            wrap_add(win_addr0, SS * W);

  // First-needed-row advance when the window row changes.
  wire signed [31:0] lag_next_i = lag_i + (in_row_done ? 32'sd1 : 32'sd0) - ((issue && row_end) ? dbase_i : 32'sd0);
  // The next window row and column, and their registered quantities.
  wire signed [XW-1:0] vrow_x       = {vrow[PW-1], vrow};
  wire signed [XW-1:0] hcol_x       = {hcol[PW-1], hcol};
  wire signed [XW-1:0] vrow_next_x  = oy_end ? NEG_P_X : vrow_x + SS_X;
  wire signed [XW-1:0] hcol_next_x  = ox_end ? NEG_P_X : hcol_x + SS_X;
  wire signed [XW-1:0] dlast_next_x = dlast_of(vrow_next_x);
  wire signed [XW-1:0] dbase_next_x = dbase_of(vrow_next_x);
  wire signed [XW-1:0] lastc_next_x = lastc_of(hcol_next_x);
  localparam signed [XW-1:0] DLAST0 = dlast_of(NEG_P_X);
  localparam signed [XW-1:0] DBASE0 = dbase_of(NEG_P_X);
  localparam signed [XW-1:0] LASTC0 = lastc_of(NEG_P_X);

  always @(posedge clk) begin
    if (!rst_n) begin
      wr_addr   <= {AW{1'b0}};
      in_col    <= {CW{1'b0}};
      lag       <= {LW{1'b0}};
      vrow      <= MINUS_P;
      hcol      <= MINUS_P;
      ky        <= {KW{1'b0}};
      kx        <= {KW{1'b0}};
      inner     <= {IW{1'b0}};
      opg       <= {OPW{1'b0}};
      grp       <= {GW{1'b0}};
      tap       <= {TW{1'b0}};
      outer     <= {OUW{1'b0}};
      step      <= {SW{1'b0}};
      isel_base <= {ISW{1'b0}};
      irow_base <= {IRW{1'b0}};
      win_addr0 <= WIN0_A;
      row_addr  <= WIN0_A;
      dlast     <= DLAST0;
      dbase     <= DBASE0;
      lastc     <= LASTC0[PW-1:0];
      st_valid  <= 1'b0;
    end else begin
      // input side
      if (in_fire) begin
        wr_addr <= (wr_addr == RW_LAST) ? {AW{1'b0}} : wr_addr + 1'b1;
        in_col  <= (in_col == W_LAST) ? {CW{1'b0}} : in_col + 1'b1;
      end
      lag <= lag_next_i[LW-1:0];
      // step side
      if (st_ready) st_valid <= win_ready;
      if (issue) begin
        inner <= inner_end ? {IW{1'b0}} : inner + 1'b1;
        step  <= (step == STEPS_LAST) ? {SW{1'b0}} : step + 1'b1;
        if (inner_end) begin
          kx  <= kx_end ? {KW{1'b0}} : kx + 1'b1;
          tap <= (kx_end && ky_end) ? {TW{1'b0}} : tap + 1'b1;
        end
        if (tapc_end) begin
          ky       <= ky_end ? {KW{1'b0}} : ky + 1'b1;
          row_addr <= ky_end ? win_addr0_next : wrap_add(row_addr, W);
        end
        if (tap_end) begin
          opg       <= opg_end ? {OPW{1'b0}} : opg + 1'b1;
          outer     <= pix_end ? {OUW{1'b0}} : outer + 1'b1;
          irow_base <= pix_end ? {IRW{1'b0}} : irow_base + INNER[IRW-1:0];
          if (opg_end) begin
            grp       <= grp_end ? {GW{1'b0}} : grp + 1'b1;
            isel_base <= grp_end ? {ISW{1'b0}} : isel_base + INNER[ISW-1:0];
          end
        end
        if (pix_end) begin
          hcol  <= ox_end ? MINUS_P : hcol + SS[PW-1:0];
          lastc <= lastc_next_x[PW-1:0];
        end
        if (row_end) begin
          vrow      <= oy_end ? MINUS_P : vrow + SS[PW-1:0];
          win_addr0 <= win_addr0_next;
          dlast     <= dlast_next_x;
          dbase     <= dbase_next_x;
        end
      end
    end
  end

  // ---------------------------------------------------------------- step output register
  wire [31:0] inner_u = {{(32-IW){1'b0}}, inner};
  wire [31:0] isel_u  = {{(32-ISW){1'b0}}, isel_base} + inner_u;
  wire [31:0] irow_u  = {{(32-IRW){1'b0}}, irow_base} + inner_u;

  always @(posedge clk) begin
    if (issue) begin
      st_pad   <= pad;
      st_first <= (tap == {TW{1'b0}}) && (inner == {IW{1'b0}});
      st_last  <= tap_end;
      st_step  <= step;
      st_outer <= outer;
      st_tap   <= tap;
      st_isel  <= isel_u[ISW-1:0];
      st_irow  <= irow_u[IRW-1:0];
    end
  end

  // Upper bits of the 32-bit views are unused by construction.
  gr_sdp_ram #(.DW(DW), .DEPTH(RW), .LUTRAM(LUTRAM), .URAM(URAM)) u_mem (
    .clk(clk), .we(in_fire), .waddr(wr_addr), .wdata(s_tdata), .re(issue), .raddr(rd_addr), .q(st_data)
  );

  wire unused_hi = ^{rd_addr_i[31:AW], lag_next_i[31:LW], isel_u[31:ISW], irow_u[31:IRW], vrow_next_x, hcol_next_x,
                     lastc_next_x[XW-1:PW]};
endmodule

`default_nettype wire

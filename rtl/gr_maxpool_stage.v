// gr_maxpool_stage: K x K max pool, stride S, padding P, all C channels in parallel.
//
//   y[oy][ox][c] = max over the taps (ky, kx) inside the image of x[oy*S-P+ky][ox*S-P+kx][c]
//
// Padded taps are skipped (they never win: -infinity, docs/integer-semantics.md §3, reference
// maxPool() in generator/reference/kernels.ts); P <= K/2 guarantees every window holds a real pixel.
// Elements are DW bits, two's complement when SIGNED = 1, unsigned otherwise; the output has the
// input's type. OH = (H + 2P - K)/S + 1, OW likewise.
//
// Timing: K*K cycles per output pixel, one tap per cycle (gr_linebuf with one outer and one inner
// step). With the input always valid and m_tready always 1, an image takes exactly
//   cycles/image = max(H*W, OH*OW*K*K)
// in steady state (images back to back), with no per-pixel or per-image overhead. Latency (idle
// stage, no stalls): m_tvalid rises 1 + K*K cycles after the edge that accepts the window's last pixel. Line buffer as
// gr_linebuf: R = max(K+S, H + min(H-1, K-1-P) - max(0, (OH-1)*S-P) + 1) rows of W pixels of
// C*DW bits. Full backpressure on both streams.
`default_nettype none

module gr_maxpool_stage #(
  parameter integer H      = 8,  // input height
  parameter integer W      = 8,  // input width
  parameter integer C      = 8,  // channels
  parameter integer K      = 2,  // kernel size
  parameter integer S      = 2,  // stride (1..4)
  parameter integer P      = 0,  // padding, 0 <= P <= K/2
  parameter integer DW     = 8,  // element width
  parameter integer SIGNED = 0,  // 1: two's complement elements, 0: unsigned
  parameter integer LB_LUTRAM = 0, // 1: the line buffer's memory in LUT RAM (the mapper's choice)
  parameter integer LB_URAM   = 0  // 1: the line buffer's memory in UltraRAM (the mapper's choice)
) (
  input  wire              clk,
  input  wire              rst_n,
  input  wire [C*DW-1:0]   s_tdata,
  input  wire              s_tvalid,
  output wire              s_tready,
  output reg  [C*DW-1:0]   m_tdata,
  output reg               m_tvalid,
  input  wire              m_tready
);
  localparam integer KK = K * K;
  localparam integer SW = (KK > 1) ? $clog2(KK) : 1;

  generate
    if (H < 1 || W < 1 || C < 1 || K < 1 || S < 1 || DW < 1) begin : g_bad_size
      gr_error_maxpool_sizes_must_be_positive u_err ();
    end
    if (P < 0 || 2*P > K) begin : g_bad_pad
      gr_error_maxpool_pad_must_be_at_most_k_over_2 u_err ();
    end
    if (H + 2*P < K || W + 2*P < K) begin : g_bad_out
      gr_error_maxpool_output_size_must_be_at_least_1 u_err ();
    end
    if (SIGNED != 0 && SIGNED != 1) begin : g_bad_signed
      gr_error_maxpool_signed_must_be_0_or_1 u_err ();
    end
  endgenerate

  wire adv = !m_tvalid || m_tready;

  wire            st_valid, st_pad, st_first, st_last;
  wire [C*DW-1:0] st_data;
  wire [SW-1:0]   unused_step;
  wire            unused_outer, unused_isel, unused_irow;
  wire [SW-1:0]   unused_tap;

  gr_linebuf #(
    .H(H), .W(W), .K(K), .S(S), .P(P), .DW(C*DW), .OG(1), .OPG(1), .INNER(1), .LUTRAM(LB_LUTRAM), .URAM(LB_URAM)
  ) u_linebuf (
    .clk(clk), .rst_n(rst_n),
    .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .st_valid(st_valid), .st_ready(adv), .st_data(st_data), .st_pad(st_pad),
    .st_first(st_first), .st_last(st_last), .st_step(unused_step), .st_outer(unused_outer),
    .st_tap(unused_tap), .st_isel(unused_isel), .st_irow(unused_irow)
  );

  // A tap counts when it is in the image and either is the window's first real tap or is larger.
  wire take_step = adv && st_valid;
  reg  seen;                                   // a real tap of this window has been seen
  wire seen_eff = !st_first && seen;
  always @(posedge clk) begin
    if (take_step) seen <= seen_eff || !st_pad;
  end

  genvar c;
  generate
    for (c = 0; c < C; c = c + 1) begin : g_ch
      wire [DW-1:0] x = st_data[c*DW +: DW];
      reg  [DW-1:0] mx;
      wire gt = (SIGNED != 0) ? ($signed(x) > $signed(mx)) : (x > mx);
      wire take = !st_pad && (!seen_eff || gt);
      wire [DW-1:0] mx_next = take ? x : mx;
      always @(posedge clk) begin
        if (take_step) mx <= mx_next;
        if (take_step && st_last) m_tdata[c*DW +: DW] <= mx_next;
      end
    end
  endgenerate

  always @(posedge clk) begin
    if (!rst_n) m_tvalid <= 1'b0;
    else if (adv) m_tvalid <= st_valid && st_last;
  end
endmodule

`default_nettype wire

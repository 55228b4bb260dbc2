// gr_avgpool_stage: global average pool of an H x W x C image to one 1 x 1 x C pixel.
//
//   sum[c] = sum over all y, x of in[y][x][c]       (exact, ACC0_W-bit signed)
//   m[c]   = sat( (sum[c]*M0[c] + bias[c] + (s[c] > 0 ? 2^(s[c]-1) : 0)) >>> s[c] )
//
// (docs/integer-semantics.md section 3, kind `avgpool`: 1/(H*W) lives in M0; one requantization.)
// Every input pixel is accumulated in one cycle, all channels at once. With the image's last pixel
// the sums move to a second bank (double buffering), which PE gr_requant lanes (TERMS = 1) drain one
// channel step (PE channels, ROM row k for channels k*PE + p) per cycle while the accumulators already
// take the next image. Results are shifted into the output register (step 0 ends in the low bits);
// the pixel is offered when its last step arrives. The last pixel of an image waits only while the
// second bank still holds the previous image's sums.
//
// Cycles (N = H*W, NS = C/PE, input always valid, m_tready = 1): one image every max(N, NS) cycles in
// steady state. If the first pixel of an image is accepted at rising edge E (the stage idle), its
// last pixel moves at E + N - 1 and the output beat at E + N + NS + 3; with back-to-back input,
// image i's output beat moves at E + N + NS + 3 + i*max(N, NS).
//
// ROMs ($readmemh, NS rows, lane p of row k = channel k*PE + p at bits [p*W +: W]):
// M0_FILE (PE*MULT_W bits), BIAS_FILE (PE*BIAS_W), SHIFT_FILE (PE*SHIFT_W, unsigned). Read
// asynchronously (LUT ROM); the requant's first stage registers the values.
`default_nettype none

module gr_avgpool_stage #(
  parameter integer H          = 4,             // input height
  parameter integer W          = 4,             // input width
  parameter integer C          = 8,             // channels
  parameter integer IN_W       = 8,             // input element width
  parameter integer IN_SIGNED  = 0,             // 1: input is two's complement, 0: unsigned
  parameter integer ACC0_W     = 13,            // signed width of the per-channel sum (worst case)
  parameter integer PE         = 1,             // channels requantized per cycle; must divide C
  parameter integer MULT_W     = 18,            // signed multiplier width
  parameter integer BIAS_W     = 32,            // signed bias width
  parameter integer SHIFT_W    = 6,             // unsigned shift width
  parameter integer SUM_W      = 48,            // signed width of the requantization sum (worst case)
  parameter integer OUT_W      = 8,             // output element width
  parameter integer OUT_SIGNED = 0,             // 1: signed output, 0: unsigned (ReLU)
  parameter        M0_FILE    = "",   // multipliers
  parameter        BIAS_FILE  = "", // biases
  parameter        SHIFT_FILE = "" // shifts
) (
  input  wire                 clk,
  input  wire                 rst_n,
  input  wire [C*IN_W-1:0]    s_tdata,
  input  wire                 s_tvalid,
  output wire                 s_tready,
  output wire [C*OUT_W-1:0]   m_tdata,
  output wire                 m_tvalid,
  input  wire                 m_tready
);
  localparam integer NPIX   = H * W;                          // pixels per image
  localparam integer PW     = (NPIX > 1) ? $clog2(NPIX) : 1;  // pixel counter width
  localparam integer NS     = C / PE;                         // channel steps per image
  localparam integer SW     = (NS > 1) ? $clog2(NS) : 1;      // step counter width
  localparam integer LAST_PIX_I  = NPIX - 1;
  localparam integer LAST_STEP_I = NS - 1;
  localparam [PW-1:0] LAST_PIX  = LAST_PIX_I[PW-1:0];
  localparam [SW-1:0] LAST_STEP = LAST_STEP_I[SW-1:0];

  generate
    if (C < 1 || PE < 1 || C % PE != 0) begin : g_bad_pe
      gr_error_avgpool_pe_must_divide_c u_err ();
    end
    if (H < 1 || W < 1) begin : g_bad_size
      gr_error_avgpool_h_and_w_must_be_positive u_err ();
    end
    if (IN_SIGNED != 0 && IN_SIGNED != 1) begin : g_bad_signed
      gr_error_avgpool_in_signed_must_be_0_or_1 u_err ();
    end
    if (IN_W < 1 || ACC0_W < IN_W + 1 - IN_SIGNED || ACC0_W > 64) begin : g_bad_acc
      gr_error_avgpool_acc0_w_must_hold_an_input_element_and_be_at_most_64 u_err ();
    end
  endgenerate

  reg [PE*MULT_W-1:0]  m0_rom    [0:NS-1];
  reg [PE*BIAS_W-1:0]  bias_rom  [0:NS-1];
  reg [PE*SHIFT_W-1:0] shift_rom [0:NS-1];
  // A default elaboration (Yosys read_verilog) has no files: skip the loads there.
  initial begin
    if (M0_FILE != "") $readmemh(M0_FILE, m0_rom);
    if (BIAS_FILE != "") $readmemh(BIAS_FILE, bias_rom);
    if (SHIFT_FILE != "") $readmemh(SHIFT_FILE, shift_rom);
  end

  // Control.
  reg  [PW-1:0] pix;        // position of the next input pixel in its image
  reg           busy;       // the second bank holds sums not yet issued to the lanes
  reg  [SW-1:0] step;       // next channel step to issue from the second bank
  reg  [SW-1:0] ostep;      // next channel step to collect from the lanes
  reg           out_valid;
  wire [PE-1:0] rq_in_ready;
  wire [PE-1:0] rq_out_valid;
  wire          first_pix  = (pix == {PW{1'b0}});
  wire          last_pix   = (pix == LAST_PIX);
  wire          issue      = busy && (&rq_in_ready);
  wire          issue_last = issue && (step == LAST_STEP);
  assign s_tready = !last_pix || !busy || issue_last;
  wire          s_beat     = s_tvalid && s_tready;
  wire          load       = s_beat && last_pix;
  wire          out_free   = !out_valid || m_tready;
  wire          collect    = (&rq_out_valid) && out_free;

  // Accumulators (first bank), one per channel; the first pixel of an image overwrites.
  wire [C*ACC0_W-1:0] sums;  // the accumulators after adding the current input pixel
  genvar c;
  generate
    for (c = 0; c < C; c = c + 1) begin : g_ch
      wire [IN_W-1:0] x = s_tdata[c*IN_W +: IN_W];
      wire [ACC0_W-1:0] x_ext;
      if (ACC0_W == IN_W) begin : g_same
        assign x_ext = x;
      end else if (IN_SIGNED != 0) begin : g_sext
        assign x_ext = {{(ACC0_W-IN_W){x[IN_W-1]}}, x};
      end else begin : g_zext
        assign x_ext = {{(ACC0_W-IN_W){1'b0}}, x};
      end
      reg [ACC0_W-1:0] acc;
      wire [ACC0_W-1:0] sum = first_pix ? x_ext : acc + x_ext;
      always @(posedge clk) if (s_beat) acc <= sum;
      assign sums[c*ACC0_W +: ACC0_W] = sum;
    end
  endgenerate

  // Second bank: loaded with the finished sums, shifted down one step (PE channels) per issue.
  reg [C*ACC0_W-1:0] bank;
  generate
    if (NS == 1) begin : g_bank_one
      always @(posedge clk) if (load) bank <= sums;
    end else begin : g_bank_shift
      always @(posedge clk) begin
        if (load) bank <= sums;
        else if (issue) bank <= {{(PE*ACC0_W){1'b0}}, bank[C*ACC0_W-1:PE*ACC0_W]};
      end
    end
  endgenerate

  wire [PE*MULT_W-1:0]  m0_row;
  wire [PE*BIAS_W-1:0]  bias_row;
  wire [PE*SHIFT_W-1:0] shift_row;
  generate
    if (NS == 1) begin : g_rom_one
      assign m0_row = m0_rom[0];
      assign bias_row = bias_rom[0];
      assign shift_row = shift_rom[0];
    end else begin : g_rom_step
      assign m0_row = m0_rom[step];
      assign bias_row = bias_rom[step];
      assign shift_row = shift_rom[step];
    end
  endgenerate

  // PE requantization lanes.
  wire [PE*OUT_W-1:0] y_row;
  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_lane
      wire unused_tag;
      gr_requant #(
        .TERMS(1),
        .ACC0_W(ACC0_W),
        .ACC1_W(1),
        .MULT_W(MULT_W),
        .BIAS_W(BIAS_W),
        .SHIFT_W(SHIFT_W),
        .SUM_W(SUM_W),
        .OUT_W(OUT_W),
        .OUT_SIGNED(OUT_SIGNED),
        .TAG_W(1)
      ) u_rq (
        .clk(clk),
        .rst_n(rst_n),
        .in_valid(busy),
        .in_ready(rq_in_ready[p]),
        .acc0(bank[p*ACC0_W +: ACC0_W]),
        .acc1(1'b0),
        .mult0(m0_row[p*MULT_W +: MULT_W]),
        .mult1({MULT_W{1'b0}}),
        .bias(bias_row[p*BIAS_W +: BIAS_W]),
        .shift(shift_row[p*SHIFT_W +: SHIFT_W]),
        .tag_in(1'b0),
        .out_valid(rq_out_valid[p]),
        .out_ready(out_free),
        .y(y_row[p*OUT_W +: OUT_W]),
        .tag_out(unused_tag)
      );
    end
  endgenerate

  // Output register, filled by shifting: after NS collects, step 0 sits in the low bits.
  reg [C*OUT_W-1:0] out_data;
  generate
    if (NS == 1) begin : g_out_one
      always @(posedge clk) if (collect) out_data <= y_row;
    end else begin : g_out_shift
      always @(posedge clk) if (collect) out_data <= {y_row, out_data[C*OUT_W-1:PE*OUT_W]};
    end
  endgenerate

  always @(posedge clk) begin
    if (!rst_n) begin
      pix <= {PW{1'b0}};
      busy <= 1'b0;
      step <= {SW{1'b0}};
      ostep <= {SW{1'b0}};
      out_valid <= 1'b0;
    end else begin
      if (s_beat) pix <= last_pix ? {PW{1'b0}} : pix + 1'b1;
      if (load) busy <= 1'b1;
      else if (issue_last) busy <= 1'b0;
      if (issue) step <= issue_last ? {SW{1'b0}} : step + 1'b1;
      if (collect) ostep <= (ostep == LAST_STEP) ? {SW{1'b0}} : ostep + 1'b1;
      if (collect && ostep == LAST_STEP) out_valid <= 1'b1;
      else if (m_tready) out_valid <= 1'b0;
    end
  end

  assign m_tdata = out_data;
  assign m_tvalid = out_valid;
endmodule

`default_nettype wire

// gr_avgpool_stage: global average pool of an H x W x C image to one 1 x 1 x C pixel.
//
//   sum[c] = sum over all y, x of in[y][x][c]       (exact, ACC0_W-bit signed)
//   m[c]   = sat( (sum[c]*M0[c] + bias[c] + (s[c] > 0 ? 2^(s[c]-1) : 0)) >>> s[c] )
//
// (docs/integer-semantics.md section 3, kind `avgpool`: 1/(H*W) lives in M0; one requantization.)
// Channel-serial: an input pixel is taken into a register, then added into the running sums PE
// channels per cycle, channel step k (channels k*PE + p, lane p) in cycle k of NS = C/PE. The sums
// live in a memory of NS words of PE*ACC0_W bits (gr_sdp_ram; a register when NS = 1) read and
// written back one step per cycle; the first pixel of an image overwrites instead of adding. In the
// pass of an image's last pixel, step k's finished sums also go through a register to PE gr_requant
// lanes (TERMS = 1, ROM row k) as they are formed, so the image is read out during its own last pass
// and the next image's first pixel may follow at once (it overwrites; one bank suffices). Results
// are shifted into the output register (step 0 ends in the low bits); the pixel is offered when its
// last step arrives. The next pixel is accepted with the issue of the current pixel's last step.
// Only output backpressure stalls the pipeline (in a last pass).
//
// Pipeline per step: issue (read sums[k], take the input slice) | add and write back | in a last
// pass: lane register | gr_requant (3 stages) | output register.
//
// Cycles (N = H*W, NS = C/PE, input always valid, m_tready = 1): exactly N*NS cycles per image
// (one pixel every NS cycles) in steady state, back to back without bubbles. If the first pixel of
// an image is accepted at rising edge E (the stage idle), its output beat moves at
// E + N*NS + 6; with back-to-back input, image i's output beat moves at E + N*NS + 6 + i*N*NS.
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
  parameter integer PE         = 1,             // channels summed and requantized per cycle; must divide C
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
  localparam integer NS     = C / PE;                         // channel steps per pixel
  localparam integer SW     = (NS > 1) ? $clog2(NS) : 1;      // step counter width
  localparam integer XW     = PE * IN_W;                      // input bits of one step
  localparam integer AW     = PE * ACC0_W;                    // sum bits of one step
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

  // Issue side: the held pixel, its position in the image, the next step to issue.
  reg  [C*IN_W-1:0] px;
  reg               px_valid;
  reg  [PW-1:0]     pix;
  reg  [SW-1:0]     step;
  // Add stage: one step in flight (its input slice, and whether its pixel is the first / last).
  reg               b_valid;
  reg               b_first;
  reg               b_last;
  reg  [XW-1:0]     b_x;
  // Lane register: finished sums of one step of a last pass, waiting for the requant lanes.
  reg               c_valid;
  reg  [AW-1:0]     c_sum;
  // Output side.
  reg  [SW-1:0]     ostep;      // next channel step to collect from the lanes
  reg               out_valid;
  wire [PE-1:0]     rq_in_ready;
  wire [PE-1:0]     rq_out_valid;

  wire c_free     = !c_valid || (&rq_in_ready);
  wire go         = !(b_valid && b_last) || c_free;  // the add stage moves (nothing else stalls it)
  wire issue      = px_valid && go;
  wire issue_last = issue && (step == LAST_STEP);
  assign s_tready = !px_valid || issue_last;
  wire s_beat     = s_tvalid && s_tready;
  wire out_free   = !out_valid || m_tready;
  wire collect    = (&rq_out_valid) && out_free;

  always @(posedge clk) begin
    if (s_beat) px <= s_tdata;
    if (go) begin
      b_first <= (pix == {PW{1'b0}});
      b_last <= (pix == LAST_PIX);
      b_x <= px[step*XW +: XW];
    end
  end

  // The add stage's sums before this pixel (q: the word read at issue) and after it.
  wire [AW-1:0] q;
  wire [AW-1:0] b_sum;
  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_add
      wire [IN_W-1:0] x = b_x[p*IN_W +: IN_W];
      wire [ACC0_W-1:0] x_ext;
      if (ACC0_W == IN_W) begin : g_same
        assign x_ext = x;
      end else if (IN_SIGNED != 0) begin : g_sext
        assign x_ext = {{(ACC0_W-IN_W){x[IN_W-1]}}, x};
      end else begin : g_zext
        assign x_ext = {{(ACC0_W-IN_W){1'b0}}, x};
      end
      wire [ACC0_W-1:0] old = b_first ? {ACC0_W{1'b0}} : q[p*ACC0_W +: ACC0_W];
      assign b_sum[p*ACC0_W +: ACC0_W] = old + x_ext;
    end
  endgenerate

  // The running sums and the ROM rows. A step's word is read when the step issues and written back
  // as it leaves the add stage; with NS >= 2 the next read of that word comes at least one cycle
  // after the write.
  wire write = b_valid && go;
  wire load_c = write && b_last;
  always @(posedge clk) if (load_c) c_sum <= b_sum;
  wire [PE*MULT_W-1:0]  m0_row;
  wire [PE*BIAS_W-1:0]  bias_row;
  wire [PE*SHIFT_W-1:0] shift_row;
  generate
    if (NS == 1) begin : g_one
      // One word, read every cycle: a register is the read with the write forwarded.
      reg [AW-1:0] sums;
      always @(posedge clk) if (write) sums <= b_sum;
      assign q = sums;
      assign m0_row = m0_rom[0];
      assign bias_row = bias_rom[0];
      assign shift_row = shift_rom[0];
    end else begin : g_steps
      reg [SW-1:0] b_step;  // the add stage's step
      reg [SW-1:0] c_step;  // the lane register's step
      always @(posedge clk) begin
        if (go) b_step <= step;
        if (load_c) c_step <= b_step;
      end
      gr_sdp_ram #(
        .DW(AW),
        .DEPTH(NS),
        .LUTRAM(0)
      ) u_sums (
        .clk(clk),
        .we(write),
        .waddr(b_step),
        .wdata(b_sum),
        .re(issue),
        .raddr(step),
        .q(q)
      );
      assign m0_row = m0_rom[c_step];
      assign bias_row = bias_rom[c_step];
      assign shift_row = shift_rom[c_step];
    end
  endgenerate

  // PE requantization lanes.
  wire [PE*OUT_W-1:0] y_row;
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
        .in_valid(c_valid),
        .in_ready(rq_in_ready[p]),
        .acc0(c_sum[p*ACC0_W +: ACC0_W]),
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
      px_valid <= 1'b0;
      pix <= {PW{1'b0}};
      step <= {SW{1'b0}};
      b_valid <= 1'b0;
      c_valid <= 1'b0;
      ostep <= {SW{1'b0}};
      out_valid <= 1'b0;
    end else begin
      if (s_beat) px_valid <= 1'b1;
      else if (issue_last) px_valid <= 1'b0;
      if (issue) step <= (step == LAST_STEP) ? {SW{1'b0}} : step + 1'b1;
      if (issue_last) pix <= (pix == LAST_PIX) ? {PW{1'b0}} : pix + 1'b1;
      if (go) b_valid <= px_valid;
      if (load_c) c_valid <= 1'b1;
      else if (&rq_in_ready) c_valid <= 1'b0;
      if (collect) ostep <= (ostep == LAST_STEP) ? {SW{1'b0}} : ostep + 1'b1;
      if (collect && ostep == LAST_STEP) out_valid <= 1'b1;
      else if (m_tready) out_valid <= 1'b0;
    end
  end

  assign m_tdata = out_data;
  assign m_tvalid = out_valid;
endmodule

`default_nettype wire

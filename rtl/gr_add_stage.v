// gr_add_stage: residual add of two pixel streams, requantized per channel.
//
//   m[c] = sat( (a[c]*M0[c] + b[c]*M1[c] + bias[c] + (s[c] > 0 ? 2^(s[c]-1) : 0)) >>> s[c] )
//
// (docs/integer-semantics.md section 3, kind `add`: acc0 = the a element, acc1 = the b element, each
// as a signed number: sign-extended when A_SIGNED/B_SIGNED, zero-extended by one bit otherwise; the
// saturation is to OUT_W bits, signed or unsigned (ReLU).) Terms follow the layer's input order:
// a = inputs[0] (the skip in the zoo's SEP module), b = inputs[1].
//
// Work order: for each pixel, channel steps 0 .. C/PE-1; step k feeds channels k*PE + p (lane p) of
// the held a and b pixels, with ROM row k, to PE gr_requant lanes (TERMS = 2). Both inputs are
// accepted together with the last step. Results are shifted into the output register (step 0 ends
// in the low bits); the pixel is offered when its last step arrives. The requant pipeline overlaps the
// next pixel's steps.
//
// Cycles (NS = C/PE, m_tready = 1): one output pixel every NS cycles in steady state. When a and b
// are both valid before rising edge E (and the stage is idle), step k is issued at edge E + k, a and b
// are accepted at edge E + NS - 1, and the output beat moves at edge E + NS + 3.
//
// ROMs ($readmemh, NS rows, lane p of row k = channel k*PE + p at bits [p*W +: W]):
// M0_FILE, M1_FILE (PE*MULT_W bits), BIAS_FILE (PE*BIAS_W), SHIFT_FILE (PE*SHIFT_W, unsigned).
// The ROMs are read asynchronously (LUT ROM); the requant's first stage registers the values.
`default_nettype none

module gr_add_stage #(
  parameter integer C          = 8,             // channels of a, b and m
  parameter integer A_W        = 8,             // a element width
  parameter integer A_SIGNED   = 0,             // 1: a is two's complement, 0: unsigned
  parameter integer B_W        = 8,             // b element width
  parameter integer B_SIGNED   = 1,             // 1: b is two's complement, 0: unsigned
  parameter integer PE         = 1,             // channels per cycle; must divide C
  parameter integer MULT_W     = 18,            // signed multiplier width (M0, M1)
  parameter integer BIAS_W     = 32,            // signed bias width
  parameter integer SHIFT_W    = 6,             // unsigned shift width
  parameter integer SUM_W      = 48,            // signed width of the requantization sum (worst case)
  parameter integer OUT_W      = 8,             // output element width
  parameter integer OUT_SIGNED = 0,             // 1: signed output, 0: unsigned (ReLU)
  parameter        M0_FILE    = "",   // multipliers of term 0 (a)
  parameter        M1_FILE    = "",   // multipliers of term 1 (b)
  parameter        BIAS_FILE  = "", // biases
  parameter        SHIFT_FILE = "" // shifts
) (
  input  wire                 clk,
  input  wire                 rst_n,
  input  wire [C*A_W-1:0]     a_tdata,
  input  wire                 a_tvalid,
  output wire                 a_tready,
  input  wire [C*B_W-1:0]     b_tdata,
  input  wire                 b_tvalid,
  output wire                 b_tready,
  output wire [C*OUT_W-1:0]   m_tdata,
  output wire                 m_tvalid,
  input  wire                 m_tready
);
  localparam integer NS     = C / PE;                        // channel steps per pixel
  localparam integer SW     = (NS > 1) ? $clog2(NS) : 1;     // step counter width
  localparam integer ACC0_W = (A_SIGNED != 0) ? A_W : A_W + 1; // a as a signed number
  localparam integer ACC1_W = (B_SIGNED != 0) ? B_W : B_W + 1; // b as a signed number
  localparam integer LAST_I = NS - 1;
  localparam [SW-1:0] LAST_STEP = LAST_I[SW-1:0];

  generate
    if (C < 1 || PE < 1 || C % PE != 0) begin : g_bad_pe
      gr_error_add_pe_must_divide_c u_err ();
    end
    if (A_W < 1 || B_W < 1) begin : g_bad_width
      gr_error_add_a_w_and_b_w_must_be_positive u_err ();
    end
    if ((A_SIGNED != 0 && A_SIGNED != 1) || (B_SIGNED != 0 && B_SIGNED != 1)) begin : g_bad_signed
      gr_error_add_a_signed_and_b_signed_must_be_0_or_1 u_err ();
    end
  endgenerate

  // Requantization ROMs, one row per channel step.
  reg [PE*MULT_W-1:0]  m0_rom    [0:NS-1];
  reg [PE*MULT_W-1:0]  m1_rom    [0:NS-1];
  reg [PE*BIAS_W-1:0]  bias_rom  [0:NS-1];
  reg [PE*SHIFT_W-1:0] shift_rom [0:NS-1];
  // A default elaboration (Yosys read_verilog) has no files: skip the loads there.
  initial begin
    if (M0_FILE != "") $readmemh(M0_FILE, m0_rom);
    if (M1_FILE != "") $readmemh(M1_FILE, m1_rom);
    if (BIAS_FILE != "") $readmemh(BIAS_FILE, bias_rom);
    if (SHIFT_FILE != "") $readmemh(SHIFT_FILE, shift_rom);
  end

  // Control: the issue side walks the steps of the held input pixels, the collect side counts the
  // results leaving the requant lanes (in order) and marks the output pixel valid on the last one.
  reg  [SW-1:0] step;
  reg  [SW-1:0] ostep;
  reg           out_valid;
  wire [PE-1:0] rq_in_ready;
  wire [PE-1:0] rq_out_valid;
  wire          in_valid   = a_tvalid && b_tvalid;
  wire          issue      = in_valid && (&rq_in_ready);
  wire          issue_last = issue && (step == LAST_STEP);
  wire          out_free   = !out_valid || m_tready;
  wire          collect    = (&rq_out_valid) && out_free;

  assign a_tready = issue_last;
  assign b_tready = issue_last;

  // This step's slices of the held pixels and of the ROMs.
  wire [PE*A_W-1:0]     a_row;
  wire [PE*B_W-1:0]     b_row;
  wire [PE*MULT_W-1:0]  m0_row;
  wire [PE*MULT_W-1:0]  m1_row;
  wire [PE*BIAS_W-1:0]  bias_row;
  wire [PE*SHIFT_W-1:0] shift_row;
  generate
    if (NS == 1) begin : g_one_step
      assign a_row = a_tdata;
      assign b_row = b_tdata;
      assign m0_row = m0_rom[0];
      assign m1_row = m1_rom[0];
      assign bias_row = bias_rom[0];
      assign shift_row = shift_rom[0];
    end else begin : g_steps
      wire [PE*A_W-1:0] a_rows [0:NS-1];
      wire [PE*B_W-1:0] b_rows [0:NS-1];
      genvar k;
      for (k = 0; k < NS; k = k + 1) begin : g_row
        assign a_rows[k] = a_tdata[k*PE*A_W +: PE*A_W];
        assign b_rows[k] = b_tdata[k*PE*B_W +: PE*B_W];
      end
      assign a_row = a_rows[step];
      assign b_row = b_rows[step];
      assign m0_row = m0_rom[step];
      assign m1_row = m1_rom[step];
      assign bias_row = bias_rom[step];
      assign shift_row = shift_rom[step];
    end
  endgenerate

  // PE requantization lanes.
  wire [PE*OUT_W-1:0] y_row;
  genvar p;
  generate
    for (p = 0; p < PE; p = p + 1) begin : g_lane
      wire [A_W-1:0] a_el = a_row[p*A_W +: A_W];
      wire [B_W-1:0] b_el = b_row[p*B_W +: B_W];
      wire signed [ACC0_W-1:0] acc0;
      wire signed [ACC1_W-1:0] acc1;
      if (A_SIGNED != 0) begin : g_a_signed
        assign acc0 = a_el;
      end else begin : g_a_unsigned
        assign acc0 = {1'b0, a_el};
      end
      if (B_SIGNED != 0) begin : g_b_signed
        assign acc1 = b_el;
      end else begin : g_b_unsigned
        assign acc1 = {1'b0, b_el};
      end
      wire unused_tag;
      gr_requant #(
        .TERMS(2),
        .ACC0_W(ACC0_W),
        .ACC1_W(ACC1_W),
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
        .in_valid(in_valid),
        .in_ready(rq_in_ready[p]),
        .acc0(acc0),
        .acc1(acc1),
        .mult0(m0_row[p*MULT_W +: MULT_W]),
        .mult1(m1_row[p*MULT_W +: MULT_W]),
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
      step <= {SW{1'b0}};
      ostep <= {SW{1'b0}};
      out_valid <= 1'b0;
    end else begin
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

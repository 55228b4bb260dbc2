// gr_requant: the requantization primitive of docs/integer-semantics.md, one lane.
//
//   y = sat( (acc0*M0 + acc1*M1 + bias + (s > 0 ? 2^(s-1) : 0)) >>> s )
//
// Arithmetic (flooring) shift; saturation to OUT_W bits, signed or unsigned (unsigned saturation
// clamps at 0: a fused ReLU). With TERMS = 1, acc1 and mult1 are ignored. The TypeScript
// reference of the same formula is requantize() in generator/reference/kernels.ts.
// Pipeline: products | sum | shift and saturate; one result per cycle, latency 3, full backpressure.
`default_nettype none

module gr_requant #(
  parameter integer TERMS      = 1,   // 1 or 2 accumulator terms
  parameter integer ACC0_W     = 16,  // signed width of acc0
  parameter integer ACC1_W     = 16,  // signed width of acc1 (unused when TERMS = 1)
  parameter integer MULT_W     = 18,  // signed width of the multipliers
  parameter integer BIAS_W     = 32,  // signed width of the bias
  parameter integer SHIFT_W    = 6,   // unsigned width of the shift
  parameter integer SUM_W      = 48,  // signed width holding the worst-case sum (from the generator)
  parameter integer OUT_W      = 8,   // output width
  parameter integer OUT_SIGNED = 1,   // 1: signed output, 0: unsigned (ReLU)
  parameter integer TAG_W      = 1    // side data carried with each value
) (
  input  wire                      clk,
  input  wire                      rst_n,
  input  wire                      in_valid,
  output wire                      in_ready,
  input  wire signed [ACC0_W-1:0]  acc0,
  input  wire signed [ACC1_W-1:0]  acc1,
  input  wire signed [MULT_W-1:0]  mult0,
  input  wire signed [MULT_W-1:0]  mult1,
  input  wire signed [BIAS_W-1:0]  bias,
  input  wire        [SHIFT_W-1:0] shift,
  input  wire        [TAG_W-1:0]   tag_in,
  output wire                      out_valid,
  input  wire                      out_ready,
  output wire        [OUT_W-1:0]   y,
  output wire        [TAG_W-1:0]   tag_out
);
  localparam integer P0_W = ACC0_W + MULT_W;
  localparam integer P1_W = ACC1_W + MULT_W;

  generate
    if (TERMS != 1 && TERMS != 2) begin : g_bad_terms
      gr_error_requant_terms_must_be_1_or_2 u_err ();
    end
    if (SUM_W < P0_W || (TERMS == 2 && SUM_W < P1_W) || SUM_W < BIAS_W || SUM_W <= OUT_W || SUM_W > 64) begin : g_bad_sum
      gr_error_requant_sum_w_must_hold_products_bias_and_output_and_be_at_most_64 u_err ();
    end
    if (OUT_W < 2 || OUT_W > 32) begin : g_bad_out
      gr_error_requant_out_w_must_be_2_to_32 u_err ();
    end
    if (SHIFT_W < 1 || SHIFT_W > 6) begin : g_bad_shift
      gr_error_requant_shift_w_must_be_1_to_6 u_err ();
    end
  endgenerate

  // The pipeline moves when its last stage is empty or being accepted.
  reg v1, v2, v3;
  wire advance = !v3 || out_ready;
  assign in_ready = advance;

  // Stage 1: products (DSP multipliers).
  reg signed [P0_W-1:0] p0;
  reg signed [BIAS_W-1:0] bias1;
  reg [SHIFT_W-1:0] shift1;
  reg [TAG_W-1:0] tag1;
  always @(posedge clk) begin
    if (advance) begin
      p0 <= acc0 * mult0;
      bias1 <= bias;
      shift1 <= shift;
      tag1 <= tag_in;
    end
  end

  // Stage 2: the sum with the rounding term.
  localparam signed [SUM_W-1:0] ONE = {{(SUM_W-1){1'b0}}, 1'b1};
  wire signed [SUM_W-1:0] rnd = (shift1 == {SHIFT_W{1'b0}}) ? {SUM_W{1'b0}} : (ONE <<< (shift1 - 1'b1));
  // Sign-extend every addend to SUM_W (a zero-width replication is illegal, hence the guards).
  wire signed [SUM_W-1:0] p0x;
  wire signed [SUM_W-1:0] p1x;
  wire signed [SUM_W-1:0] bias1x;
  generate
    if (SUM_W > P0_W) begin : g_p0_ext
      assign p0x = {{(SUM_W-P0_W){p0[P0_W-1]}}, p0};
    end else begin : g_p0_same
      assign p0x = p0;
    end
    if (TERMS == 1) begin : g_p1_none
      wire unused_term1 = ^{acc1, mult1};
      assign p1x = {SUM_W{1'b0}};
    end else begin : g_p1
      reg signed [P1_W-1:0] p1;
      always @(posedge clk) if (advance) p1 <= acc1 * mult1;
      if (SUM_W > P1_W) begin : g_ext
        assign p1x = {{(SUM_W-P1_W){p1[P1_W-1]}}, p1};
      end else begin : g_same
        assign p1x = p1;
      end
    end
    if (SUM_W > BIAS_W) begin : g_bias_ext
      assign bias1x = {{(SUM_W-BIAS_W){bias1[BIAS_W-1]}}, bias1};
    end else begin : g_bias_same
      assign bias1x = bias1;
    end
  endgenerate
  reg signed [SUM_W-1:0] sum2;
  reg [SHIFT_W-1:0] shift2;
  reg [TAG_W-1:0] tag2;
  always @(posedge clk) begin
    if (advance) begin
      sum2 <= p0x + p1x + bias1x + rnd;
      shift2 <= shift1;
      tag2 <= tag1;
    end
  end

  // Stage 3: arithmetic shift and saturation.
  wire signed [SUM_W-1:0] shifted = sum2 >>> shift2;
  localparam signed [SUM_W-1:0] HI = (OUT_SIGNED != 0) ? (ONE <<< (OUT_W - 1)) - ONE : (ONE <<< OUT_W) - ONE;
  localparam signed [SUM_W-1:0] LO = (OUT_SIGNED != 0) ? -(ONE <<< (OUT_W - 1)) : {SUM_W{1'b0}};
  reg [OUT_W-1:0] y3;
  reg [TAG_W-1:0] tag3;
  always @(posedge clk) begin
    if (advance) begin
      if (shifted > HI) y3 <= HI[OUT_W-1:0];
      else if (shifted < LO) y3 <= LO[OUT_W-1:0];
      else y3 <= shifted[OUT_W-1:0];
      tag3 <= tag2;
    end
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      v1 <= 1'b0;
      v2 <= 1'b0;
      v3 <= 1'b0;
    end else if (advance) begin
      v1 <= in_valid;
      v2 <= v1;
      v3 <= v2;
    end
  end

  assign out_valid = v3;
  assign y = y3;
  assign tag_out = tag3;
endmodule

`default_nettype wire

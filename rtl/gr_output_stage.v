// gr_output_stage: the network's result stream. Takes one pixel of CLASSES logits and emits, on a
// 32-bit AXI4-Stream, CLASSES beats (logit c, c = 0 first, sign-extended from LW to 32 bits) and then
// one beat holding the class: the index of the first maximum (signed comparison, the reference's
// argmax in generator/reference/kernels.ts), with tlast = 1 on that beat only.
//
// The logits are read in place from s_tdata (the producer holds them until s_tready). The running
// maximum is compared with the logit loaded one beat earlier, read back from the output register
// (so the CLASSES:1 logit select and the LW-bit compare are not one timing path): at the load of
// beat k, 1 <= k <= CLASSES, the register holds logit k-1; the class beat takes the comparison of
// the last logit on its way in. s_tready is raised with the class beat. m_axis_* are registers.
// Cycles per image: exactly CLASSES + 1, one beat per cycle, while m_axis_tready = 1 and the next
// pixel is waiting; images follow without a gap. Latency: with the stage idle and s_tvalid seen at
// rising edge E, logit 0 is loaded at E and moves at E + 1, beat k at E + 1 + k.
`default_nettype none

module gr_output_stage #(
  parameter integer CLASSES = 10,  // number of logits per pixel (1 .. 65536)
  parameter integer LW      = 32   // logit width in bits, signed (1 .. 32)
) (
  input  wire                    clk,
  input  wire                    rst_n,
  input  wire [CLASSES*LW-1:0]   s_tdata,
  input  wire                    s_tvalid,
  output wire                    s_tready,
  output wire [31:0]             m_axis_tdata,
  output wire                    m_axis_tvalid,
  input  wire                    m_axis_tready,
  output wire                    m_axis_tlast
);
  localparam integer CW = $clog2(CLASSES + 1);                   // beat counter width (0 .. CLASSES)
  localparam integer IW = (CLASSES > 1) ? $clog2(CLASSES) : 1;   // class index width
  localparam [CW-1:0] CLASS_BEAT = CLASSES[CW-1:0];              // the beat number of the class beat

  generate
    if (CLASSES < 1 || CLASSES > 65536) begin : g_bad_classes
      gr_error_output_classes_must_be_1_to_65536 u_err ();
    end
    if (LW < 1 || LW > 32) begin : g_bad_lw
      gr_error_output_lw_must_be_1_to_32 u_err ();
    end
  endgenerate

  reg  [CW-1:0] beat;        // the next beat to load: logit 0 .. CLASSES-1, then the class
  reg           out_valid;
  reg  [31:0]   out_data;
  reg           out_last;
  reg  signed [LW-1:0] best; // the largest logit so far (first occurrence wins ties)
  reg  [IW-1:0] best_idx;

  wire load = s_tvalid && (!out_valid || m_axis_tready);
  wire class_beat = (beat == CLASS_BEAT);
  wire signed [LW-1:0] logit = s_tdata[beat*LW +: LW];  // beat < CLASSES whenever it is used
  // The logit loaded at the previous beat (beat - 1), and whether it is the new maximum.
  wire signed [LW-1:0] prev = out_data[LW-1:0];
  wire [IW-1:0] prev_idx = beat[IW-1:0] - {{(IW-1){1'b0}}, 1'b1};
  wire prev_better = (beat == {{(CW-1){1'b0}}, 1'b1}) || (prev > best);
  wire [IW-1:0] final_idx = prev_better ? prev_idx : best_idx;
  wire [31:0] logit32;
  wire [31:0] class32;

  generate
    if (LW < 32) begin : g_sext
      assign logit32 = {{(32-LW){logit[LW-1]}}, logit};
    end else begin : g_full
      assign logit32 = logit;
    end
    if (IW < 32) begin : g_class_ext
      assign class32 = {{(32-IW){1'b0}}, final_idx};
    end else begin : g_class_full
      assign class32 = final_idx;
    end
  endgenerate

  always @(posedge clk) begin
    if (load) begin
      if (class_beat) begin
        out_data <= class32;
        out_last <= 1'b1;
      end else begin
        out_data <= logit32;
        out_last <= 1'b0;
        if (beat != {CW{1'b0}} && prev_better) begin
          best <= prev;
          best_idx <= prev_idx;
        end
      end
    end
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      beat <= {CW{1'b0}};
      out_valid <= 1'b0;
    end else begin
      if (load) begin
        beat <= class_beat ? {CW{1'b0}} : beat + 1'b1;
        out_valid <= 1'b1;
      end else if (m_axis_tready) begin
        out_valid <= 1'b0;
      end
    end
  end

  assign s_tready = class_beat && (!out_valid || m_axis_tready);
  assign m_axis_tdata = out_data;
  assign m_axis_tvalid = out_valid;
  assign m_axis_tlast = out_last;
endmodule

`default_nettype wire

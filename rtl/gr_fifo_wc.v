// gr_fifo_wc: width-converting stream FIFO for a join input whose pixels come slowly. Same ports
// and stream rules as gr_fifo, but a pixel of DW bits is stored as NW = ceil(DW / WW) words of WW
// bits in a deep, narrow memory (block RAM, where gr_fifo's wide, shallow one lands in LUT RAM).
//
// Write side: a beat is taken into the holding register; its words go into the memory one per
// cycle, word 0 (the low bits) first, chosen by the word counter (an NW:1 select of WW bits, which
// under synth_xilinx costs about a third of a load-or-shift holding register). The next beat is
// taken in the cycle the last word is written. Read side: words are read one per cycle into the
// memory's read register and shifted into the assembly register from the top (shift only, no
// select), so after NW shifts word 0 sits in the low bits; a full assembly register moves to the
// output register when that is empty or being read, in the same cycle as the next word shifts in.
//
// Capacity: DEPTH + 2 beats (DEPTH beats in the holding register, the memory and the read register,
// one in the assembly register, one in the output register). A slot of DEPTH is taken when a beat is
// accepted and freed when its last word enters the assembly register, so the memory (DEPTH * NW
// words) never overflows and a read never hits the address being written.
// Throughput: exactly one beat per NW cycles on each side, sustained, when DEPTH >= 1 + ceil(3 / NW)
// (a slot is busy for NW + 3 cycles from one acceptance to the next it allows); with NW = 1 that is
// one beat per cycle from DEPTH = 4. Below that bound: DEPTH beats per NW + 3 cycles.
// Latency: a beat accepted into an empty FIFO at rising edge t is in the output register at edge
// t + NW + 3 and can move on m_* at edge t + NW + 4.
// s_tready and m_tvalid are registers: no combinational path from any input to any output.
`default_nettype none

module gr_fifo_wc #(
  parameter integer DW    = 64,  // tdata width in bits (>= 1)
  parameter integer DEPTH = 16,  // beats held in the holding register and the memory (>= 2); capacity is DEPTH + 2
  parameter integer WW    = 72   // memory word width in bits (>= 1); NW = ceil(DW / WW) words per beat
) (
  input  wire          clk,
  input  wire          rst_n,
  input  wire [DW-1:0] s_tdata,
  input  wire          s_tvalid,
  output wire          s_tready,
  output wire [DW-1:0] m_tdata,
  output wire          m_tvalid,
  input  wire          m_tready
);
  // Memory word width: a beat narrower than WW is one word (1 for illegal widths, so that the
  // error below is the one reported).
  localparam integer MW = (DW < 1 || WW < 1) ? 1 : (DW < WW) ? DW : WW;
  localparam integer NW = (DW + MW - 1) / MW;              // words per beat
  localparam integer PW = NW * MW;                         // padded beat width
  localparam integer MD = DEPTH * NW;                      // memory words
  localparam integer AW = (MD > 1) ? $clog2(MD) : 1;       // memory address width
  localparam integer MCW = $clog2(MD + 1);                 // words in the memory (0 .. MD)
  localparam integer SCW = $clog2(DEPTH + 1);              // slots taken (0 .. DEPTH)
  localparam integer KW = (NW > 1) ? $clog2(NW) : 1;       // word counter (0 .. NW - 1)
  localparam integer ACW = $clog2(NW + 1);                 // words in the assembly register (0 .. NW)
  localparam integer LAST_I = MD - 1;
  localparam [AW-1:0] LAST_ADDR = LAST_I[AW-1:0];
  localparam integer LASTW_I = NW - 1;
  localparam [KW-1:0] LAST_WORD = LASTW_I[KW-1:0];
  localparam [ACW-1:0] ASM_FULL = NW[ACW-1:0];
  localparam [ACW-1:0] ASM_LAST = LASTW_I[ACW-1:0];
  localparam [SCW-1:0] SLOTS = DEPTH[SCW-1:0];

  generate
    if (DEPTH < 2) begin : g_bad_depth
      gr_error_fifo_wc_depth_must_be_at_least_2 u_err ();
    end
    if (DW < 1 || WW < 1) begin : g_bad_width
      gr_error_fifo_wc_dw_and_ww_must_be_positive u_err ();
    end
  endgenerate

  // ---- Write side: holding register, word counter, slots.
  reg  [PW-1:0] hold;          // data: not reset
  reg           wbusy;         // hold has words still to write
  reg  [KW-1:0] wcnt;          // the word written this cycle when wbusy
  reg  [SCW-1:0] slots;        // beats accepted and not yet released (hold, memory, read register)
  reg           ready_r;
  wire          accept = s_tvalid && ready_r;

  wire [MW-1:0] word [0:NW-1];
  genvar gi;
  generate
    for (gi = 0; gi < NW; gi = gi + 1) begin : g_word
      assign word[gi] = hold[gi*MW +: MW];
    end
    if (PW > DW) begin : g_pad
      always @(posedge clk) if (accept) hold <= {{(PW - DW){1'b0}}, s_tdata};
    end else begin : g_nopad
      always @(posedge clk) if (accept) hold <= s_tdata;
    end
  endgenerate

  // ---- Memory and read side.
  reg  [AW-1:0]  wr_ptr;
  reg  [AW-1:0]  rd_ptr;
  reg  [MCW-1:0] words;        // words in the memory
  reg            qv;           // the read register holds a word not yet shifted in
  reg  [ACW-1:0] acnt;         // words in the assembly register
  reg            out_valid;
  wire [MW-1:0]  q;
  reg  [PW-1:0]  asm_r;        // data: not reset
  reg  [DW-1:0]  out_r;        // data: not reset

  wire xfer = (acnt == ASM_FULL) && (!out_valid || m_tready);
  wire shift = qv && (acnt != ASM_FULL || xfer);
  wire re = (words != {MCW{1'b0}}) && (!qv || shift);
  wire [ACW-1:0] acnt_base = xfer ? {ACW{1'b0}} : acnt;
  wire release_slot = shift && (acnt_base == ASM_LAST);

  gr_sdp_ram #(.DW(MW), .DEPTH(MD), .LUTRAM(0)) u_mem (
    .clk(clk), .we(wbusy), .waddr(wr_ptr), .wdata(word[wcnt]), .re(re), .raddr(rd_ptr), .q(q)
  );

  generate
    if (NW > 1) begin : g_asm_shift
      always @(posedge clk) if (shift) asm_r <= {q, asm_r[PW-1:MW]};
    end else begin : g_asm_word
      always @(posedge clk) if (shift) asm_r <= q;
    end
  endgenerate
  always @(posedge clk) if (xfer) out_r <= asm_r[DW-1:0];

  // ---- Control.
  wire          wbusy_next = accept || (wbusy && wcnt != LAST_WORD);
  wire [KW-1:0] wcnt_next = accept ? {KW{1'b0}} : ((wbusy && wcnt != LAST_WORD) ? wcnt + 1'b1 : wcnt);
  reg  [SCW-1:0] slots_next;
  always @* begin
    slots_next = slots;
    if (accept && !release_slot) slots_next = slots + 1'b1;
    else if (release_slot && !accept) slots_next = slots - 1'b1;
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      wbusy <= 1'b0;
      wcnt <= {KW{1'b0}};
      slots <= {SCW{1'b0}};
      ready_r <= 1'b0;
      wr_ptr <= {AW{1'b0}};
      rd_ptr <= {AW{1'b0}};
      words <= {MCW{1'b0}};
      qv <= 1'b0;
      acnt <= {ACW{1'b0}};
      out_valid <= 1'b0;
    end else begin
      wbusy <= wbusy_next;
      wcnt <= wcnt_next;
      slots <= slots_next;
      ready_r <= (slots_next != SLOTS) && (!wbusy_next || wcnt_next == LAST_WORD);
      if (wbusy) wr_ptr <= (wr_ptr == LAST_ADDR) ? {AW{1'b0}} : wr_ptr + 1'b1;
      if (re) rd_ptr <= (rd_ptr == LAST_ADDR) ? {AW{1'b0}} : rd_ptr + 1'b1;
      if (wbusy && !re) words <= words + 1'b1;
      else if (re && !wbusy) words <= words - 1'b1;
      qv <= re || (qv && !shift);
      acnt <= shift ? acnt_base + 1'b1 : acnt_base;
      if (xfer) out_valid <= 1'b1;
      else if (m_tready) out_valid <= 1'b0;
    end
  end

  assign s_tready = ready_r;
  assign m_tdata = out_r;
  assign m_tvalid = out_valid;
endmodule

`default_nettype wire

// gr_sdp_ram: simple dual-port RAM, one write port and one read port with a registered read and
// an enable: mem[waddr] <= wdata when we; q <= mem[raddr] when re (both on the rising edge).
// Reading the address being written in the same cycle is not supported (callers never do it).
// Not reset, not initialized.
//
// LUTRAM = 1 asks synthesis for LUT RAM (ram_style "distributed", honoured by Vivado and Yosys):
// the mapper's choice for wide, shallow memories that would waste most of each block RAM they
// take. URAM = 1 asks for UltraRAM (ram_style "ultra": Vivado, and Yosys synth_xilinx -family xcup
// -uram), UltraScale+ parts only: 4K x 72 blocks with no LUT cost. 0 and 0 leave the choice to
// the tool.
`default_nettype none

module gr_sdp_ram #(
  parameter integer DW     = 8,   // bits per word (>= 1)
  parameter integer DEPTH  = 16,  // words (>= 1)
  parameter integer LUTRAM = 0,   // 1: LUT RAM; 0: the tool's choice
  parameter integer URAM   = 0    // 1: UltraRAM (UltraScale+); 0: the tool's choice
) (
  input  wire                                          clk,
  input  wire                                          we,
  input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0]  waddr,
  input  wire [DW-1:0]                                 wdata,
  input  wire                                          re,
  input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0]  raddr,
  output wire [DW-1:0]                                 q
);
  generate
    if (DEPTH < 1 || DW < 1) begin : g_bad_param
      gr_error_ram_depth_and_width_must_be_positive u_err ();
    end
    if (LUTRAM != 0 && LUTRAM != 1) begin : g_bad_style
      gr_error_ram_lutram_must_be_0_or_1 u_err ();
    end
    if ((URAM != 0 && URAM != 1) || (URAM == 1 && LUTRAM == 1)) begin : g_bad_uram
      gr_error_ram_uram_must_be_0_or_1_and_not_with_lutram u_err ();
    end
    if (URAM == 1) begin : g_uram
      (* ram_style = "ultra" *) reg [DW-1:0] mem [0:DEPTH-1];
      reg [DW-1:0] rd;
      always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        if (re) rd <= mem[raddr];
      end
      assign q = rd;
    end else if (LUTRAM == 1) begin : g_lutram
      (* ram_style = "distributed" *) reg [DW-1:0] mem [0:DEPTH-1];
      reg [DW-1:0] rd;
      always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        if (re) rd <= mem[raddr];
      end
      assign q = rd;
    end else begin : g_auto
      reg [DW-1:0] mem [0:DEPTH-1];
      reg [DW-1:0] rd;
      always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        if (re) rd <= mem[raddr];
      end
      assign q = rd;
    end
  endgenerate
endmodule

`default_nettype wire

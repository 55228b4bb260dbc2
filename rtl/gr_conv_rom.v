// gr_conv_rom: ROM loaded with $readmemh(FILE) (one WIDTH-bit row per line, hex, most significant
// digit first), synchronous read with enable: q <= mem[addr] on a rising edge with en = 1.
`default_nettype none

module gr_conv_rom #(
  parameter integer DEPTH = 1,   // rows
  parameter integer WIDTH = 8,   // bits per row
  parameter         FILE  = ""   // hex file, path relative to the simulator's working directory
) (
  input  wire                                          clk,
  input  wire                                          en,
  input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0]  addr,
  output reg  [WIDTH-1:0]                              q
);
  generate
    if (DEPTH < 1 || WIDTH < 1) begin : g_bad_param
      gr_error_rom_depth_and_width_must_be_positive u_err ();
    end
  endgenerate

  reg [WIDTH-1:0] mem [0:DEPTH-1];
  generate
    if (FILE != "") begin : g_load   // "" only in a default elaboration (e.g. Yosys read_verilog)
      initial $readmemh(FILE, mem);
    end else begin : g_zero
      integer i;
      initial for (i = 0; i < DEPTH; i = i + 1) mem[i] = '0;
    end
  endgenerate

  always @(posedge clk) begin
    if (en) q <= mem[addr];
  end
endmodule

`default_nettype wire

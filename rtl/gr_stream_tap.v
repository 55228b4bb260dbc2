// gr_stream_tap: a simulation-only monitor that writes every beat of a stream to a file, one hex
// word per line, so co-simulation can name the first layer whose output differs from the
// reference. Without `GR_TAPS defined it is empty and synthesizes to nothing.
`default_nettype none

module gr_stream_tap #(
  parameter integer DW   = 8,  // tdata width
  parameter         FILE = ""  // output file, relative to the simulator's working directory
) (
  input wire          clk,
  input wire          rst_n,
  input wire [DW-1:0] tdata,
  input wire          tvalid,
  input wire          tready
);
`ifdef GR_TAPS
  integer fd;
  initial fd = $fopen(FILE, "w");
  always @(posedge clk) begin
    if (rst_n && tvalid && tready) $fwrite(fd, "%h\n", tdata);
  end
`else
  wire unused_tap = ^{clk, rst_n, tdata, tvalid, tready, FILE};
`endif
endmodule

`default_nettype wire

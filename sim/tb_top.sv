// Co-simulation testbench for a generated top level under Icarus Verilog (iverilog -g2012, vvp):
// the twin of sim/verilator_main.cpp, with the same plusargs, file formats, xorshift32 stall PRNG and
// cycle numbering, so that one seed gives the same stall pattern and cycle stamps in both.
//
// Macros: GR_TOP (module name of the design's top level), GR_IN_BITS (width of s_axis_tdata).
// Compile: iverilog -g2012 -DGR_TOP=<top> -DGR_IN_BITS=<n> -s tb_top -o sim.vvp tb_top.sv <design files>
// Run (cwd = the design directory, for its $readmemh paths):
//   vvp -n sim.vvp [-fst] +stim=PATH +out=PATH +beats=N [+max_cycles=N] [+idle_limit=N]
//       [+p_in=PCT] [+p_out=PCT] [+p_in_ppm=N] [+p_out_ppm=N] [+seed=N] [+trace=PATH]
//       [+reset_after_in=K +reset_delay=D +resume_at=J]   (the mid-stream reset)
// Formats: see sim/verilator_main.cpp. One addition: if s_axis_tready or m_axis_tvalid is X/Z after
// reset, the result file gets a line "X <cycle> <signal>" and the run ends (status stalled).
`timescale 1ns / 1ps
`default_nettype none

`ifndef GR_TOP
`define GR_TOP gr_error_define_GR_TOP_to_the_top_module_name
`endif
`ifndef GR_IN_BITS
`define GR_IN_BITS 0
`endif

module tb_top;
  localparam integer IN_BITS = `GR_IN_BITS;  // width of s_axis_tdata
  localparam integer RESET_CYCLES = 5;  // rising edges with rst_n = 0

  generate
    if (IN_BITS < 1) begin : g_bad_param
      gr_error_define_GR_IN_BITS_to_the_input_width u_err ();
    end
  endgenerate

  reg clk = 1'b0;
  reg rst_n = 1'b0;
  reg [IN_BITS-1:0] s_axis_tdata = {IN_BITS{1'b0}};
  reg s_axis_tvalid = 1'b0;
  wire s_axis_tready;
  reg s_axis_tlast = 1'b0;
  wire [31:0] m_axis_tdata;
  wire m_axis_tvalid;
  reg m_axis_tready = 1'b0;
  wire m_axis_tlast;

  `GR_TOP dut (
      .clk(clk),
      .rst_n(rst_n),
      .s_axis_tdata(s_axis_tdata),
      .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready),
      .s_axis_tlast(s_axis_tlast),
      .m_axis_tdata(m_axis_tdata),
      .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready),
      .m_axis_tlast(m_axis_tlast)
  );

  always #5 clk = ~clk;

  // ---- arguments and files ----
  reg [8*4096-1:0] stim_path, out_path, trace_path;
  reg [63:0] expected, max_cycles, idle_limit;
  reg [63:0] reset_after_in, reset_delay, resume_at, reset_at;
  reg reset_pending;
  reg [31:0] p_in_ppm, p_out_ppm, seed, tmp;
  integer fin, fout, code;

  // ---- state ----
  reg [31:0] prng;
  reg [31:0] r_in, r_out;
  reg [IN_BITS-1:0] cur_data;  // stimulus beat number in_idx, when have_beat
  reg [31:0] cur_last;
  reg have_beat;
  reg in_hold;  // mirrors s_axis_tvalid
  reg first_of_image;
  reg [63:0] in_idx, out_count, cyc, last_out_cycle;

  function [31:0] xorshift32(input [31:0] s);
    reg [31:0] x;
    begin
      x = s;
      x = x ^ (x << 13);
      x = x ^ (x >> 17);
      x = x ^ (x << 5);
      xorshift32 = x;
    end
  endfunction

  task fail(input [8*200-1:0] msg);
    begin
      $display("%%Error: tb_top: %0s", msg);
      $finish;
    end
  endtask

  task load_next;
    begin
      code = $fscanf(fin, " %h %d", cur_data, cur_last);
      if (code == 2 && cur_last <= 1) have_beat = 1'b1;
      else if (code <= 0 && $feof(fin)) have_beat = 1'b0;
      else begin
        have_beat = 1'b0;
        $display("%%Error: tb_top: stimulus line %0d: expected \"<hex> <0|1>\"", in_idx + 1);
        $finish;
      end
    end
  endtask

  // Decide and drive (non-blocking: the design samples the old values on this edge) the inputs of
  // the next cycle. Two PRNG draws per cycle, always, as in verilator_main.cpp.
  task drive;
    begin
      prng = xorshift32(prng);
      r_in = prng % 32'd1000000;
      prng = xorshift32(prng);
      r_out = prng % 32'd1000000;
      if (!in_hold && have_beat && (!reset_pending || in_idx < resume_at) && r_in >= p_in_ppm) begin
        in_hold = 1'b1;
        s_axis_tdata <= cur_data;
        s_axis_tlast <= cur_last[0];
      end
      s_axis_tvalid <= in_hold;
      m_axis_tready <= r_out >= p_out_ppm;
    end
  endtask

  task finish_run(input [8*8-1:0] status);
    begin
      $fdisplay(fout, "END %0d %0s", cyc, status);
      $fclose(fout);
      $fclose(fin);
      $finish;
    end
  endtask

  initial begin
    // (Icarus 11 cannot test this at elaboration: $bits of a hierarchical name is not constant yet.)
    if ($bits(dut.s_axis_tdata) != IN_BITS) fail("the design's s_axis_tdata width differs from GR_IN_BITS");
    if (!$value$plusargs("stim=%s", stim_path)) fail("missing +stim=PATH");
    if (!$value$plusargs("out=%s", out_path)) fail("missing +out=PATH");
    if (!$value$plusargs("beats=%d", expected)) expected = 0;
    if (!$value$plusargs("max_cycles=%d", max_cycles)) max_cycles = 64'd1000000000;
    if (!$value$plusargs("idle_limit=%d", idle_limit)) idle_limit = 64'd1000000;
    p_in_ppm = 0;
    p_out_ppm = 0;
    if ($value$plusargs("p_in=%d", tmp)) p_in_ppm = tmp * 10000;
    if ($value$plusargs("p_out=%d", tmp)) p_out_ppm = tmp * 10000;
    if ($value$plusargs("p_in_ppm=%d", tmp)) p_in_ppm = tmp;
    if ($value$plusargs("p_out_ppm=%d", tmp)) p_out_ppm = tmp;
    if (p_in_ppm > 1000000 || p_out_ppm > 1000000) fail("stall probability above 100%");
    if (!$value$plusargs("seed=%d", seed)) seed = 1;
    if (!$value$plusargs("reset_after_in=%d", reset_after_in)) reset_after_in = 0;
    if (!$value$plusargs("reset_delay=%d", reset_delay)) reset_delay = 0;
    if (!$value$plusargs("resume_at=%d", resume_at)) resume_at = reset_after_in;
    if (resume_at < reset_after_in) fail("+resume_at must not be below +reset_after_in");
    reset_pending = reset_after_in > 0;
    reset_at = {64{1'b1}};
    if ($value$plusargs("trace=%s", trace_path)) begin
      $dumpfile(trace_path);
      $dumpvars(0, tb_top);
    end
    fin = $fopen(stim_path, "r");
    if (fin == 0) fail("cannot open the stimulus file");
    fout = $fopen(out_path, "w");
    if (fout == 0) fail("cannot write the result file");

    prng = seed ^ 32'h2545F491;
    if (prng == 0) prng = 1;
    in_idx = 0;
    out_count = 0;
    cyc = 0;
    last_out_cycle = 0;
    in_hold = 1'b0;
    first_of_image = 1'b1;
    load_next;

    repeat (RESET_CYCLES) @(posedge clk);
    rst_n <= 1'b1;
    if (expected == 0) finish_run("ok");
    drive;
    forever begin
      @(posedge clk);
      // Values seen here are those before the edge (the design updates with non-blocking
      // assignments), i.e. the handshake of cycle `cyc`.
      if (^{s_axis_tready, m_axis_tvalid} === 1'bx) begin
        $fdisplay(fout, "X %0d %0s", cyc, s_axis_tready === 1'bx || s_axis_tready === 1'bz ?
                  "s_axis_tready" : "m_axis_tvalid");
        finish_run("stalled");
      end
      if (in_hold && s_axis_tready) begin
        if (first_of_image || cur_last[0]) $fdisplay(fout, "IN %0d %0d", in_idx, cyc);
        first_of_image = cur_last[0];
        in_idx = in_idx + 1;
        in_hold = 1'b0;
        load_next;
        if (reset_pending && in_idx == reset_after_in) reset_at = cyc + 1 + reset_delay;
      end
      if (m_axis_tvalid && m_axis_tready) begin
        $fdisplay(fout, "%0d %h %0d", cyc, m_axis_tdata, m_axis_tlast);
        out_count = out_count + 1;
        last_out_cycle = cyc + 1;
      end
      cyc = cyc + 1;
      if (out_count >= expected) finish_run("ok");
      if (cyc - last_out_cycle >= idle_limit) finish_run("stalled");
      if (cyc >= max_cycles) finish_run("timeout");
      if (reset_pending && cyc >= reset_at) begin
        // The mid-stream reset: as at start-up, then the stimulus from beat resume_at.
        $fdisplay(fout, "RESET %0d %0d", cyc, out_count);
        rst_n <= 1'b0;
        s_axis_tvalid <= 1'b0;
        s_axis_tlast <= 1'b0;
        m_axis_tready <= 1'b0;
        repeat (RESET_CYCLES) @(posedge clk);
        rst_n <= 1'b1;
        cyc = cyc + RESET_CYCLES;
        reset_pending = 1'b0;
        in_hold = 1'b0;
        first_of_image = 1'b1;
        out_count = 0;
        last_out_cycle = cyc;
        while (in_idx < resume_at && have_beat) begin
          in_idx = in_idx + 1;
          load_next;
        end
      end
      drive;
    end
  end
endmodule

`default_nettype wire

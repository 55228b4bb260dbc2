/**
 * The cosim simulator layer (generator/cosim/simulators.ts with sim/verilator_main.cpp and
 * sim/tb_top.sv) on a hand-made design that follows the generated top-level interface:
 * per image of 4 pixels it emits 3 beats (byte sum, byte xor as int8, image count with tlast).
 * Needs Verilator and/or Icarus; each group is skipped, with a notice, when its tool is missing.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildSimulator,
  findSimulator,
  runSimulator,
  type SimBuild,
  type SimRunOptions,
  type SimRunResult,
  type SimulatorName,
} from '../../generator/cosim/simulators.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { Prng } from '../../generator/util/prng.js';

const PIXELS = 4; // pixels per image of the self-test design
/** One top per C type Verilator gives s_axis_tdata: CData, IData, QData, VlWide<7>. */
const TOPS = [
  ['gr_selftest_byte_top', 8],
  ['gr_selftest_top', 24],
  ['gr_selftest_quad_top', 64],
  ['gr_selftest_wide_top', 200],
] as const;

const CORE = `\`default_nettype none
// Self-test core: per PIXELS input beats, 3 output beats: sum of all bytes, xor of all bytes
// (sign-extended as int8), images so far (tlast). Full valid/ready; data registers not reset.
module gr_selftest_core #(
    parameter integer IN_BITS = 24,  // s_axis_tdata width, a multiple of 8
    parameter integer PIXELS = 4     // pixels per image
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire [IN_BITS-1:0] s_axis_tdata,
    input  wire               s_axis_tvalid,
    output wire               s_axis_tready,
    input  wire               s_axis_tlast,
    output wire [31:0]        m_axis_tdata,
    output wire               m_axis_tvalid,
    input  wire               m_axis_tready,
    output wire               m_axis_tlast
);
  function [31:0] byte_sum(input [IN_BITS-1:0] d);
    integer i;
    begin
      byte_sum = 32'd0;
      for (i = 0; i < IN_BITS / 8; i = i + 1) byte_sum = byte_sum + {24'd0, d[i*8+:8]};
    end
  endfunction
  function [7:0] byte_xor(input [IN_BITS-1:0] d);
    integer i;
    begin
      byte_xor = 8'd0;
      for (i = 0; i < IN_BITS / 8; i = i + 1) byte_xor = byte_xor ^ d[i*8+:8];
    end
  endfunction

  reg [31:0] pix;      // control
  reg        emitting; // control
  reg [1:0]  ob;       // control
  reg [31:0] images;   // control
  reg [31:0] sum;      // data
  reg [7:0]  x;        // data

  assign s_axis_tready = !emitting;
  assign m_axis_tvalid = emitting;
  assign m_axis_tdata = ob == 2'd0 ? sum : ob == 2'd1 ? {{24{x[7]}}, x} : images;
  assign m_axis_tlast = ob == 2'd2;

  always @(posedge clk) begin
    if (s_axis_tvalid && s_axis_tready) begin
      sum <= (pix == 0 ? 32'd0 : sum) + byte_sum(s_axis_tdata);
      x <= (pix == 0 ? 8'd0 : x) ^ byte_xor(s_axis_tdata);
    end
    if (!rst_n) begin
      pix <= 0;
      emitting <= 1'b0;
      ob <= 2'd0;
      images <= 0;
    end else begin
      if (s_axis_tvalid && s_axis_tready) begin
        if (pix == PIXELS - 1) begin
          pix <= 0;
          emitting <= 1'b1;
          ob <= 2'd0;
          images <= images + 1;
        end else begin
          pix <= pix + 1;
        end
      end
      if (m_axis_tvalid && m_axis_tready) begin
        ob <= ob + 2'd1;
        if (ob == 2'd2) emitting <= 1'b0;
      end
    end
  end
endmodule
\`default_nettype wire
`;

function wrapper(name: string, inBits: number): string {
  return `\`default_nettype none
module ${name} (
    input  wire clk, input wire rst_n,
    input  wire [${inBits - 1}:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready, input wire s_axis_tlast,
    output wire [31:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready, output wire m_axis_tlast);
  gr_selftest_core #(.IN_BITS(${inBits}), .PIXELS(${PIXELS})) u_core (
      .clk(clk), .rst_n(rst_n),
      .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
      .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast));
endmodule
\`default_nettype wire
`;
}

// Never emits; accepts everything (nothing with GR_SELFTEST_BLOCK defined). Reads a ROM through
// $readmemh to check that the simulator runs in the design directory.
const MUTE = `\`default_nettype none
module gr_selftest_mute_top (
    input  wire clk, input wire rst_n,
    input  wire [23:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready, input wire s_axis_tlast,
    output wire [31:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready, output wire m_axis_tlast);
  reg [31:0] rom [0:1];
  initial $readmemh("mem/mute.mem", rom);
\`ifdef GR_SELFTEST_BLOCK
  assign s_axis_tready = 1'b0;
\`else
  assign s_axis_tready = 1'b1;
\`endif
  assign m_axis_tdata = rom[0];
  assign m_axis_tvalid = 1'b0;
  assign m_axis_tlast = 1'b0;
endmodule
\`default_nettype wire
`;

// Icarus only: m_axis_tvalid is never reset, so it is X after reset.
const XVALID = `\`default_nettype none
module gr_selftest_x_top (
    input  wire clk, input wire rst_n,
    input  wire [23:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready, input wire s_axis_tlast,
    output wire [31:0] m_axis_tdata, output reg m_axis_tvalid, input wire m_axis_tready, output wire m_axis_tlast);
  assign s_axis_tready = 1'b1;
  assign m_axis_tdata = 32'd0;
  assign m_axis_tlast = 1'b0;
  always @(posedge clk) if (s_axis_tvalid) m_axis_tvalid <= 1'b1;
endmodule
\`default_nettype wire
`;

interface Stim {
  readonly stimulus: SimRunOptions['stimulus'];
  readonly expected: { data: number; last: boolean }[];
}

function makeStimulus(inBits: number, images: number, seed: number): Stim {
  const prng = new Prng(seed);
  const stimulus: { data: bigint; last: boolean }[] = [];
  const expected: { data: number; last: boolean }[] = [];
  for (let img = 0; img < images; img++) {
    let sum = 0;
    let x = 0;
    for (let p = 0; p < PIXELS; p++) {
      let data = 0n;
      for (let b = inBits / 8 - 1; b >= 0; b--) {
        const v = prng.int(0, 255);
        data = (data << 8n) | BigInt(v);
        sum += v;
        x ^= v;
      }
      stimulus.push({ data, last: p === PIXELS - 1 });
    }
    expected.push({ data: sum | 0, last: false }, { data: (x << 24) >> 24, last: false }, { data: img + 1, last: true });
  }
  return { stimulus, expected };
}

function run(build: SimBuild, stim: Stim, stall: number, extra: Partial<SimRunOptions> = {}): SimRunResult {
  return runSimulator(build, {
    stimulus: stim.stimulus,
    expectedBeats: stim.expected.length,
    stallIn: stall,
    stallOut: stall,
    seed: 12345,
    maxCycles: 1_000_000,
    idleLimit: 1000,
    ...extra,
  });
}

function checkResult(r: SimRunResult, stim: Stim): void {
  expect(r.status).toBe('ok');
  expect(r.beats.map((b) => ({ data: b.data, last: b.last }))).toEqual(stim.expected);
  for (let i = 1; i < r.beats.length; i++) expect(r.beats[i]!.cycle).toBeGreaterThan(r.beats[i - 1]!.cycle);
  for (let i = 1; i < r.inputAccepted.length; i++) {
    expect(r.inputAccepted[i]!.cycle).toBeGreaterThan(r.inputAccepted[i - 1]!.cycle);
  }
  // First and last pixel of every image.
  const images = stim.stimulus.length / PIXELS;
  expect(r.inputAccepted.map((a) => a.index)).toEqual(
    Array.from({ length: images }, (_, i) => [i * PIXELS, i * PIXELS + PIXELS - 1]).flat(),
  );
  expect(r.totalCycles).toBe(r.beats[r.beats.length - 1]!.cycle + 1);
}

let designDir: string;
let badDir: string;

beforeAll(() => {
  const root = mkdtempSync(join(tmpdir(), 'gen-rtl-sim-'));
  designDir = join(root, 'design');
  mkdirSync(join(designDir, 'mem'), { recursive: true });
  writeFileSync(join(designDir, 'gr_selftest_core.v'), CORE);
  for (const [top, inBits] of TOPS) writeFileSync(join(designDir, `${top}.v`), wrapper(top, inBits));
  writeFileSync(join(designDir, 'gr_selftest_mute_top.v'), MUTE);
  writeFileSync(join(designDir, 'gr_selftest_x_top.v'), XVALID);
  writeFileSync(join(designDir, 'mem', 'mute.mem'), 'deadbeef\n00000001\n');
  writeFileSync(
    join(designDir, 'filelist.f'),
    ['// self-test design', 'gr_selftest_core.v', ...TOPS.map(([top]) => `${top}.v`), 'gr_selftest_mute_top.v', 'gr_selftest_x_top.v', ''].join('\n'),
  );
  badDir = join(root, 'bad');
  mkdirSync(badDir);
  writeFileSync(join(badDir, 'broken.v'), 'module broken_top(input wire clk);\n  wire a = ;\nendmodule\n');
  writeFileSync(join(badDir, 'filelist.f'), 'broken.v\n');
});

const SIMS: readonly SimulatorName[] = ['verilator', 'iverilog'];
/** Per test: Verilator builds take ~3 s each on an idle machine, far more on a loaded one. */
const SLOW = 300_000;
const results = new Map<string, SimRunResult>();
const builds = new Map<string, SimBuild>();

/** One build per simulator and top, shared by the tests. */
function built(sim: SimulatorName, top: string, inBits: number): SimBuild {
  const key = `${sim}/${top}`;
  let b = builds.get(key);
  if (b === undefined) {
    b = buildSimulator(sim, designDir, top, inBits);
    console.info(`${sim} build of ${top} (IN_BITS ${inBits}): ${b.buildSeconds.toFixed(2)} s`);
    builds.set(key, b);
  }
  return b;
}

for (const sim of SIMS) {
  const available = findSimulator(sim) !== null;
  if (!available) console.warn(`[skipped] ${sim} is not installed: its co-simulation tests do not run`);

  describe.skipIf(!available)(`${sim} harness`, () => {
    for (const [top, inBits] of TOPS) {
      it(`runs ${top} (IN_BITS ${inBits}) bit-exact with and without stalls`, () => {
        const build = built(sim, top, inBits);
        const stim = makeStimulus(inBits, 25, inBits);

        const r0 = run(build, stim, 0);
        checkResult(r0, stim);
        // No stalls: 4 cycles in, 3 cycles out per image.
        expect(r0.totalCycles).toBe(25 * (PIXELS + 3));
        expect(r0.beats.slice(0, 3).map((b) => b.cycle)).toEqual([4, 5, 6]);
        expect(r0.inputAccepted.slice(0, 2)).toEqual([
          { index: 0, cycle: 0 },
          { index: 3, cycle: 3 },
        ]);

        const r3 = run(build, stim, 0.3);
        checkResult(r3, stim);
        expect(r3.totalCycles).toBeGreaterThan(r0.totalCycles);
        // Same seed, same stall pattern.
        expect(run(build, stim, 0.3)).toMatchObject({ beats: r3.beats, totalCycles: r3.totalCycles });
        results.set(`${sim}/${top}/0`, r0);
        results.set(`${sim}/${top}/0.3`, r3);
      }, SLOW);
    }

    it('reports stalled when outputs stop coming, timeout at maxCycles', () => {
      const mute = built(sim, 'gr_selftest_mute_top', 24);
      const stim = makeStimulus(24, 3, 7);
      const r = run(mute, stim, 0.3, { idleLimit: 200 });
      expect(r.status).toBe('stalled');
      expect(r.beats).toEqual([]);
      expect(r.totalCycles).toBe(200);
      expect(r.inputAccepted.length).toBe(6);

      const t = run(mute, stim, 0, { idleLimit: 1000, maxCycles: 50 });
      expect(t.status).toBe('timeout');
      expect(t.totalCycles).toBe(50);

      // Macros reach the design: this one blocks the input.
      const blocked = buildSimulator(sim, designDir, 'gr_selftest_mute_top', 24, {
        buildDir: join(designDir, `blocked-${sim}`),
        defines: ['GR_SELFTEST_BLOCK', 'GR_UNUSED=3'],
      });
      const rb = run(blocked, stim, 0, { idleLimit: 100 });
      expect(rb).toMatchObject({ status: 'stalled', totalCycles: 100, inputAccepted: [] });

      // A working design asked for more beats than it makes: stalled after the last one.
      const build = built(sim, 'gr_selftest_top', 24);
      const s = run(build, stim, 0, { expectedBeats: stim.expected.length + 1, idleLimit: 100 });
      expect(s.status).toBe('stalled');
      expect(s.beats.length).toBe(stim.expected.length);
      expect(s.totalCycles).toBe(s.beats[s.beats.length - 1]!.cycle + 1 + 100);
    }, SLOW);

    it('writes a waveform when asked', () => {
      const build = buildSimulator(sim, designDir, 'gr_selftest_top', 24, {
        buildDir: join(designDir, `trace-${sim}`),
        trace: true,
      });
      console.info(`${sim} build of gr_selftest_top with tracing: ${build.buildSeconds.toFixed(2)} s`);
      const path = join(designDir, `wave-${sim}.${sim === 'verilator' ? 'fst' : 'vcd'}`);
      const r = run(build, makeStimulus(24, 2, 1), 0.2, { trace: path });
      expect(r.status).toBe('ok');
      const head = readFileSync(path).subarray(0, 4096);
      if (sim === 'iverilog') expect(head.toString('latin1')).toContain('$enddefinitions');
      else expect(head.length).toBeGreaterThan(100);
    }, SLOW);

    it('turns build failures and bad arguments into one-line GenRtlErrors', () => {
      let err: unknown;
      try {
        buildSimulator(sim, badDir, 'broken_top', 8);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GenRtlError);
      const msg = (err as Error).message;
      expect(msg).toMatch(new RegExp(`^${sim}: build failed \\(exit \\d+\\): .*broken\\.v.*\\(full log: .*build\\.log\\)$`));
      expect(msg).not.toContain('\n');

      const build = built(sim, 'gr_selftest_mute_top', 24);
      expect(() => run(build, { stimulus: [{ data: 1n << 24n, last: true }], expected: [] }, 0)).toThrow(/does not fit in 24/);
      expect(() => buildSimulator(sim, designDir, 'gr_selftest_top', 24, { buildDir: badDir })).toThrow(/refusing/);
      // A top whose input is not IN_BITS wide: Verilator's header tells at build, Icarus at run time.
      const wrongWidth = (): SimRunResult => {
        const w = buildSimulator(sim, designDir, 'gr_selftest_top', 200, { buildDir: join(designDir, `w-${sim}`) });
        return run(w, makeStimulus(200, 1, 1), 0);
      };
      expect(wrongWidth).toThrow(sim === 'verilator' ? /s_axis_tdata is 24 bits wide, expected 200/ : /width differs from GR_IN_BITS/);

      // A memory file that cannot be read is an error, not a warning.
      const mem = join(designDir, 'mem', 'mute.mem');
      renameSync(mem, `${mem}.away`);
      try {
        expect(() => run(build, makeStimulus(24, 1, 1), 0, { idleLimit: 10 })).toThrow(/mute\.mem/);
      } finally {
        renameSync(`${mem}.away`, mem);
      }

      if (sim === 'iverilog') {
        const x = buildSimulator(sim, designDir, 'gr_selftest_x_top', 24);
        expect(() => run(x, makeStimulus(24, 1, 1), 0)).toThrow(/^iverilog: m_axis_tvalid is X\/Z at cycle 0/);
      }
    }, SLOW);
  });
}

describe.skipIf(SIMS.some((s) => findSimulator(s) === null))('Verilator and Icarus agree', () => {
  it('gives identical beats and cycle stamps for the same seed', () => {
    for (const key of TOPS.flatMap(([top]) => [`${top}/0`, `${top}/0.3`])) {
      const v = results.get(`verilator/${key}`);
      const i = results.get(`iverilog/${key}`);
      expect(v, key).toBeDefined();
      expect(i, key).toBeDefined();
      expect({ ...i!, runSeconds: 0 }, key).toEqual({ ...v!, runSeconds: 0 });
    }
  });
});

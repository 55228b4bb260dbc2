/**
 * The stream cores of rtl/ (gr_fifo, gr_fifo_wc, gr_broadcast, gr_concat, gr_add_stage, gr_avgpool_stage,
 * gr_output_stage): `verilator --lint-only -Wall` over several parameter sets each (no output at
 * all), illegal parameters stopping elaboration with the error module's name, and every
 * sim/tb/tb_<core>.sv testbench under Verilator and Icarus (each prints PASS or FAIL).
 * The add and avgpool benches read requantization ROMs from their working directory; this file
 * writes random ones (seeded): multipliers up to ±131071 with both signs, int32 biases, shifts
 * 0..20 including 0 and 20, packed as the generator packs them (generator/emit/hex.ts).
 * Each group is skipped, with a notice, when its tool is missing.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packRow, romImage } from '../../generator/emit/hex.js';
import { addRanges, mulRange, scaleRange, signedBits, typeRange, type Range } from '../../generator/ir/arith.js';
import { Prng } from '../../generator/util/prng.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RTL = join(ROOT, 'rtl');
const TB = join(ROOT, 'sim', 'tb');

/** True when `cmd` can be started (iverilog -V exits non-zero without sources, so only ENOENT counts). */
function canRun(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { encoding: 'utf8' }).error === undefined;
}
const HAVE_VERILATOR = canRun('verilator', ['--version']) && canRun('make', ['--version']);
const HAVE_IVERILOG = canRun('iverilog', ['-V']) && canRun('vvp', ['-V']);
if (!HAVE_VERILATOR) console.warn('NOTICE: verilator (or make) not found: stream-core lint and Verilator runs are skipped');
if (!HAVE_IVERILOG) console.warn('NOTICE: iverilog (or vvp) not found: stream-core Icarus runs are skipped');

type Params = Readonly<Record<string, number>>;

/** Files of a core: itself and the cores it instantiates. */
function coreFiles(top: string): string[] {
  const deps: Record<string, readonly string[]> = { gr_add_stage: ['gr_requant'], gr_avgpool_stage: ['gr_requant', 'gr_sdp_ram'], gr_fifo: ['gr_sdp_ram'], gr_fifo_wc: ['gr_sdp_ram'] };
  return [top, ...(deps[top] ?? [])].map((m) => join(RTL, `${m}.v`));
}

const fmt = (p: Params): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

function run(cmd: string, args: readonly string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

// ---------------------------------------------------------------------------
// Requantization cases: parameters and ROM files for the add and avgpool benches.

interface Case {
  readonly params: Params;
  /** File name (in the simulation's working directory) → content. */
  readonly files: Readonly<Record<string, string>>;
}

const rangeOf = (v: readonly number[]): Range => ({ min: Math.min(...v), max: Math.max(...v) });

interface RequantValues {
  readonly mult: number[][];
  readonly bias: number[];
  readonly shift: number[];
}

/**
 * Random requantization parameters with the corners every bench must see: shift 0 (channel 0) and
 * 20 (channel 2), multipliers 131071, -131071 and -131072 (channels 0 and 1); with `biasCorners`
 * also the int32 extremes as biases (channels 3 and 4), otherwise biases stay below 2^(s+9).
 */
function requantValues(rng: Prng, channels: number, terms: number, biasCorners: boolean): RequantValues {
  const shift = Array.from({ length: channels }, (_, c) => (c === 0 ? 0 : c === 2 ? 20 : rng.int(0, 20)));
  const mult = Array.from({ length: terms }, (_, j) =>
    Array.from({ length: channels }, (_, c) => {
      if (c === 0) return 131071;
      if (c === 1) return j === 0 ? -131071 : -131072;
      const k = rng.int(0, 17); // log-uniform magnitude: small and large multipliers alike
      const m = k === 0 ? 0 : rng.int(0, 2 ** k - 1);
      return rng.int(0, 1) ? -m : m;
    }),
  );
  const bias = shift.map((s, c) => {
    if (biasCorners && c === 3) return 2 ** 31 - 1;
    if (biasCorners && c === 4) return -(2 ** 31);
    const k = rng.int(0, Math.min(31, s + 9));
    const b = k === 0 ? 0 : rng.int(0, 2 ** k - 1);
    return rng.int(0, 1) ? -b : b;
  });
  return { mult, bias, shift };
}

/**
 * The widths as the generator chooses them (generator/emit/stages.ts requantPlan): multipliers and
 * bias as narrow as their values, the sum as wide as the worst case and every product need.
 */
function requantWidths(terms: readonly Range[], v: RequantValues, outW: number): { MULT_W: number; BIAS_W: number; SUM_W: number } {
  const multW = Math.max(2, ...v.mult.map((m) => signedBits(rangeOf(m))));
  const biasW = Math.max(2, signedBits(rangeOf(v.bias)));
  const maxS = Math.max(...v.shift);
  const sum = addRanges([
    ...terms.map((t, j) => mulRange(t, rangeOf(v.mult[j]!))),
    rangeOf(v.bias),
    { min: 0, max: maxS > 0 ? 2 ** (maxS - 1) : 0 },
  ]);
  const sumW = Math.max(signedBits(sum), outW + 1, biasW, ...terms.map((t) => signedBits(t) + multW));
  return { MULT_W: multW, BIAS_W: biasW, SUM_W: sumW };
}

/** ROM images, one row of `pe` fields per channel step. */
function roms(prefix: string, pe: number, v: RequantValues, w: { MULT_W: number; BIAS_W: number }, shiftW: number): Record<string, string> {
  const rows = (values: readonly number[], width: number): string =>
    romImage(Array.from({ length: values.length / pe }, (_, k) => packRow(values.slice(k * pe, k * pe + pe), width)));
  const files: Record<string, string> = {};
  v.mult.forEach((m, j) => (files[`${prefix}_m${j}.hex`] = rows(m, w.MULT_W)));
  files[`${prefix}_bias.hex`] = rows(v.bias, w.BIAS_W);
  files[`${prefix}_shift.hex`] = rows(v.shift, shiftW);
  return files;
}

interface AddOpts {
  readonly C: number;
  readonly PE: number;
  readonly aSigned: boolean;
  readonly bSigned: boolean;
  readonly outSigned: boolean;
  readonly shiftW: number;
  readonly biasCorners: boolean;
  readonly seed: number;
}

function addCase(o: AddOpts): Case {
  const v = requantValues(new Prng(o.seed), o.C, 2, o.biasCorners);
  const a = typeRange({ signed: o.aSigned, bits: 8 });
  const b = typeRange({ signed: o.bSigned, bits: 8 });
  const w = requantWidths([a, b], v, 8);
  return {
    params: {
      C: o.C,
      A_W: 8,
      A_SIGNED: o.aSigned ? 1 : 0,
      B_W: 8,
      B_SIGNED: o.bSigned ? 1 : 0,
      PE: o.PE,
      ...w,
      SHIFT_W: o.shiftW,
      OUT_W: 8,
      OUT_SIGNED: o.outSigned ? 1 : 0,
    },
    files: roms('add', o.PE, v, w, o.shiftW),
  };
}

interface AvgOpts {
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly PE: number;
  readonly inSigned: boolean;
  readonly outSigned: boolean;
  readonly shiftW: number;
  readonly biasCorners: boolean;
  readonly seed: number;
}

function avgCase(o: AvgOpts): Case {
  const rng = new Prng(o.seed);
  const v = requantValues(rng, o.C, 1, o.biasCorners);
  // Odd channels from 5 on get a mean-like scale (M0 ≈ 2^s/(H·W)) and a small bias, as a real average
  // pool has: most of their outputs land in range, where a wrong sum shows (saturation would hide it).
  for (let c = 5; c < o.C; c += 2) {
    const s = v.shift[c]!;
    v.mult[0]![c] = Math.max(1, Math.min(131071, Math.round((2 ** s / (o.H * o.W)) * (0.5 + rng.float()))));
    v.bias[c] = rng.int(-(2 ** (s + 3)), 2 ** (s + 3));
  }
  const sum = scaleRange(typeRange({ signed: o.inSigned, bits: 8 }), o.H * o.W);
  const w = requantWidths([sum], v, 8);
  return {
    params: {
      H: o.H,
      W: o.W,
      C: o.C,
      IN_W: 8,
      IN_SIGNED: o.inSigned ? 1 : 0,
      ACC0_W: signedBits(sum),
      PE: o.PE,
      ...w,
      SHIFT_W: o.shiftW,
      OUT_W: 8,
      OUT_SIGNED: o.outSigned ? 1 : 0,
    },
    files: roms('avg', o.PE, v, w, o.shiftW),
  };
}

// ---------------------------------------------------------------------------
// What is linted and simulated.

interface LintCase {
  readonly top: string;
  readonly params: Params;
}

const ADD_CASES: readonly Case[] = [
  addCase({ C: 8, PE: 2, aSigned: false, bSigned: true, outSigned: false, shiftW: 6, biasCorners: true, seed: 1 }),
  addCase({ C: 8, PE: 1, aSigned: true, bSigned: true, outSigned: true, shiftW: 6, biasCorners: false, seed: 2 }),
  addCase({ C: 6, PE: 6, aSigned: true, bSigned: false, outSigned: true, shiftW: 5, biasCorners: true, seed: 3 }),
  addCase({ C: 12, PE: 4, aSigned: false, bSigned: false, outSigned: false, shiftW: 6, biasCorners: false, seed: 4 }),
];

// The core is channel-serial (C/PE cycles per pixel, the sums in a memory of C/PE words): C/PE below,
// equal to and above H·W, C/PE not a power of two, PE = C (the sums in a register), one pixel per image.
const AVG_CASES: readonly Case[] = [
  avgCase({ H: 3, W: 3, C: 8, PE: 2, inSigned: false, outSigned: false, shiftW: 6, biasCorners: true, seed: 5 }), // C/PE < H·W
  avgCase({ H: 1, W: 2, C: 8, PE: 1, inSigned: true, outSigned: true, shiftW: 6, biasCorners: false, seed: 6 }), // C/PE > H·W
  avgCase({ H: 4, W: 4, C: 6, PE: 6, inSigned: false, outSigned: true, shiftW: 5, biasCorners: true, seed: 7 }), // PE = C
  avgCase({ H: 2, W: 3, C: 12, PE: 4, inSigned: true, outSigned: false, shiftW: 6, biasCorners: true, seed: 12 }), // C/PE = 3 < H·W
  avgCase({ H: 2, W: 2, C: 8, PE: 2, inSigned: false, outSigned: false, shiftW: 6, biasCorners: true, seed: 18 }), // C/PE = H·W
  avgCase({ H: 2, W: 2, C: 20, PE: 2, inSigned: false, outSigned: false, shiftW: 6, biasCorners: false, seed: 13 }), // C/PE = 10 > H·W
  avgCase({ H: 1, W: 1, C: 6, PE: 3, inSigned: false, outSigned: true, shiftW: 6, biasCorners: true, seed: 14 }), // one pixel, C/PE = 2
  avgCase({ H: 1, W: 1, C: 4, PE: 4, inSigned: true, outSigned: true, shiftW: 6, biasCorners: true, seed: 15 }), // one pixel, PE = C
];

const LINT: readonly LintCase[] = [
  ...[
    { DW: 8, DEPTH: 2 },
    { DW: 1, DEPTH: 3 },
    { DW: 40, DEPTH: 16 },
    { DW: 24, DEPTH: 1000 },
    { DW: 24, DEPTH: 100, LUTRAM: 1 },
  ].map((params) => ({ top: 'gr_fifo', params })),
  ...[
    { DW: 2048, DEPTH: 78, WW: 72 },
    { DW: 1024, DEPTH: 135, WW: 36 },
    { DW: 8, DEPTH: 2, WW: 72 }, // one word per beat, narrower than WW
    { DW: 1, DEPTH: 2, WW: 1 },
    { DW: 37, DEPTH: 4, WW: 4 }, // padded last word
    { DW: 144, DEPTH: 5, WW: 72 },
  ].map((params) => ({ top: 'gr_fifo_wc', params })),
  ...[
    { N: 1, DW: 8 },
    { N: 2, DW: 8 },
    { N: 3, DW: 1 },
    { N: 3, DW: 64 },
  ].map((params) => ({ top: 'gr_broadcast', params })),
  ...[
    { A_BITS: 8, B_BITS: 8 },
    { A_BITS: 1, B_BITS: 1 },
    { A_BITS: 64, B_BITS: 24 },
  ].map((params) => ({ top: 'gr_concat', params })),
  ...[
    { CLASSES: 10, LW: 32 },
    { CLASSES: 1, LW: 8 },
    { CLASSES: 5, LW: 16 },
    { CLASSES: 1000, LW: 32 },
  ].map((params) => ({ top: 'gr_output_stage', params })),
  ...[
    ...ADD_CASES.map((c) => c.params),
    addCase({ C: 1, PE: 1, aSigned: false, bSigned: false, outSigned: false, shiftW: 6, biasCorners: false, seed: 8 }).params,
    addCase({ C: 64, PE: 16, aSigned: true, bSigned: false, outSigned: false, shiftW: 6, biasCorners: true, seed: 9 }).params,
  ].map((params) => ({ top: 'gr_add_stage', params })),
  ...[
    ...AVG_CASES.map((c) => c.params),
    avgCase({ H: 1, W: 1, C: 1, PE: 1, inSigned: false, outSigned: false, shiftW: 6, biasCorners: false, seed: 10 }).params,
    avgCase({ H: 7, W: 7, C: 64, PE: 4, inSigned: true, outSigned: false, shiftW: 6, biasCorners: true, seed: 11 }).params,
    avgCase({ H: 7, W: 7, C: 512, PE: 1, inSigned: false, outSigned: false, shiftW: 6, biasCorners: false, seed: 16 }).params,
    avgCase({ H: 3, W: 5, C: 10, PE: 1, inSigned: false, outSigned: false, shiftW: 6, biasCorners: false, seed: 17 }).params,
  ].map((params) => ({ top: 'gr_avgpool_stage', params })),
];

/** Illegal parameters and the error module each must name. */
const BAD: readonly (LintCase & { readonly error: string })[] = [
  { top: 'gr_fifo', params: { DEPTH: 1 }, error: 'gr_error_fifo_depth_must_be_at_least_2' },
  { top: 'gr_fifo_wc', params: { DEPTH: 1 }, error: 'gr_error_fifo_wc_depth_must_be_at_least_2' },
  { top: 'gr_fifo_wc', params: { WW: 0 }, error: 'gr_error_fifo_wc_dw_and_ww_must_be_positive' },
  { top: 'gr_broadcast', params: { N: 0 }, error: 'gr_error_broadcast_n_must_be_at_least_1' },
  { top: 'gr_concat', params: { A_BITS: 0 }, error: 'gr_error_concat_a_bits_and_b_bits_must_be_positive' },
  { top: 'gr_output_stage', params: { LW: 33 }, error: 'gr_error_output_lw_must_be_1_to_32' },
  { top: 'gr_add_stage', params: { C: 6, PE: 4 }, error: 'gr_error_add_pe_must_divide_c' },
  { top: 'gr_avgpool_stage', params: { C: 6, PE: 4 }, error: 'gr_error_avgpool_pe_must_divide_c' },
  { top: 'gr_avgpool_stage', params: { IN_W: 8, ACC0_W: 8 }, error: 'gr_error_avgpool_acc0_w_must_hold_an_input_element' },
];

interface SimCase {
  readonly name: string;
  readonly dut: string;
  readonly params: Params;
  readonly files: Readonly<Record<string, string>>;
}

const SIMS: readonly SimCase[] = [
  ...[
    { DW: 12, DEPTH: 2 },
    { DW: 40, DEPTH: 5 },
    { DW: 40, DEPTH: 5, LUTRAM: 1 },
  ].map((params) => ({ name: `gr_fifo ${fmt(params)}`, dut: 'gr_fifo', params, files: {} })),
  // The bench checks order, capacity (DEPTH + 2), latency (NW + 4) and, where DEPTH >= 1 + ceil(3 / NW),
  // exactly one beat per NW cycles on both sides; below that bound it prints the rate it measured.
  ...[
    { DW: 12, DEPTH: 2, WW: 5 }, // NW = 3, DW not a multiple of WW, smallest DEPTH
    { DW: 16, DEPTH: 2, WW: 8 }, // NW = 2 below the sustained-rate bound
    { DW: 40, DEPTH: 4, WW: 64 }, // NW = 1: one beat per cycle
    { DW: 40, DEPTH: 3, WW: 64 }, // NW = 1 below the bound
    { DW: 100, DEPTH: 5, WW: 9 }, // NW = 12, padded last word
    { DW: 256, DEPTH: 6, WW: 72 }, // NW = 4, block-RAM word width
  ].map((params) => ({ name: `gr_fifo_wc ${fmt(params)}`, dut: 'gr_fifo_wc', params, files: {} })),
  ...[1, 2, 3].map((n) => ({ name: `gr_broadcast N=${n}`, dut: 'gr_broadcast', params: { N: n }, files: {} })),
  { name: 'gr_concat A_BITS=12 B_BITS=20', dut: 'gr_concat', params: { A_BITS: 12, B_BITS: 20 }, files: {} },
  ...[
    { CLASSES: 10, LW: 32 },
    { CLASSES: 1, LW: 8 },
    { CLASSES: 5, LW: 16 },
  ].map((params) => ({ name: `gr_output_stage ${fmt(params)}`, dut: 'gr_output_stage', params, files: {} })),
  ...ADD_CASES.map((c) => ({ name: `gr_add_stage ${fmt(c.params)}`, dut: 'gr_add_stage', params: c.params, files: c.files })),
  ...AVG_CASES.map((c) => ({ name: `gr_avgpool_stage ${fmt(c.params)}`, dut: 'gr_avgpool_stage', params: c.params, files: c.files })),
];

// ---------------------------------------------------------------------------
// Runners.

let workRoot: string | null = null;
let caseCount = 0;
function work(): string {
  workRoot ??= mkdtempSync(join(tmpdir(), 'gen-rtl-stream-cores-'));
  return workRoot;
}
function caseDir(sim: SimCase, tool: string): string {
  const dir = join(work(), `${tool}-${caseCount++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(sim.files)) writeFileSync(join(dir, name), content);
  return dir;
}
afterAll(() => {
  if (workRoot !== null) rmSync(workRoot, { recursive: true, force: true });
});

function expectPass(out: string): void {
  expect(out, out).toMatch(/^PASS$/m);
  expect(out, out).not.toMatch(/FAIL/);
}

/** Verilator's runtime objects (verilated*.o), compiled by the first build and reused by the others. */
let runtimeDir: string | null = null;

function runVerilator(sim: SimCase): void {
  const dir = caseDir(sim, 'verilator');
  const obj = join(dir, 'obj');
  const top = `tb_${sim.dut}`;
  const gen = run(
    'verilator',
    // --unroll-count 4: the benches' set-up loops stay loops (unrolled, they take seconds to compile).
    ['--cc', '--exe', '--main', '--timing', '--unroll-count', '4', '-Mdir', obj, '--top-module', top, '-o', 'sim',
      ...Object.entries(sim.params).map(([k, v]) => `-G${k}=${v}`), join(TB, `${top}.sv`), ...coreFiles(sim.dut)],
    dir,
  );
  expect(gen.status, gen.out).toBe(0);
  expect(gen.out, gen.out).not.toMatch(/%Warning/);
  if (runtimeDir !== null) for (const f of readdirSync(runtimeDir)) copyFileSync(join(runtimeDir, f), join(obj, f));
  // -O0: the benches are short; compile time dominates.
  const make = run('make', ['-s', '-C', obj, '-f', `V${top}.mk`, '-j', '2', 'OPT_FAST=-O0', 'OPT_SLOW=-O0', 'OPT_GLOBAL=-O0'], dir);
  expect(make.status, make.out).toBe(0);
  if (runtimeDir === null) {
    const rt = join(work(), 'verilator-runtime');
    mkdirSync(rt);
    for (const f of readdirSync(obj).filter((f) => /^verilated.*\.o$/.test(f))) copyFileSync(join(obj, f), join(rt, f));
    runtimeDir = rt;
  }
  const r = run(join(obj, 'sim'), [], dir);
  expect(r.status, r.out).toBe(0);
  expectPass(r.out);
}

function runIcarus(sim: SimCase): void {
  const dir = caseDir(sim, 'icarus');
  const top = `tb_${sim.dut}`;
  const c = run(
    'iverilog',
    ['-g2012', '-s', top, '-o', 'sim.vvp', ...Object.entries(sim.params).map(([k, v]) => `-P${top}.${k}=${v}`),
      join(TB, `${top}.sv`), ...coreFiles(sim.dut)],
    dir,
  );
  expect(c.status, c.out).toBe(0);
  const r = run('vvp', ['-n', 'sim.vvp'], dir);
  expect(r.status, r.out).toBe(0);
  expectPass(r.out);
}

describe.skipIf(!HAVE_VERILATOR)('stream cores: verilator --lint-only -Wall', () => {
  for (const c of LINT) {
    it(`${c.top} ${fmt(c.params)}`, () => {
      const r = run('verilator', ['--lint-only', '-Wall', '--top-module', c.top, ...Object.entries(c.params).map(([k, v]) => `-G${k}=${v}`), ...coreFiles(c.top)], ROOT);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    });
  }
  for (const c of BAD) {
    it(`${c.top} ${fmt(c.params)} stops elaboration with ${c.error}`, () => {
      const r = run('verilator', ['--lint-only', '-Wall', '--top-module', c.top, ...Object.entries(c.params).map(([k, v]) => `-G${k}=${v}`), ...coreFiles(c.top)], ROOT);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain(c.error);
    });
  }
});

describe.skipIf(!HAVE_IVERILOG)('stream cores: illegal parameters under Icarus', () => {
  for (const c of BAD) {
    it(`${c.top} ${fmt(c.params)} stops elaboration with ${c.error}`, () => {
      const r = run('iverilog', ['-g2012', '-s', c.top, '-o', join(work(), 'bad-param.vvp'), ...Object.entries(c.params).map(([k, v]) => `-P${c.top}.${k}=${v}`), ...coreFiles(c.top)], ROOT);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain(c.error);
    });
  }
});

describe.skipIf(!HAVE_VERILATOR)('stream cores: testbenches under Verilator', () => {
  for (const sim of SIMS) it(sim.name, () => runVerilator(sim));
});

describe.skipIf(!HAVE_IVERILOG)('stream cores: testbenches under Icarus', () => {
  for (const sim of SIMS) it(sim.name, () => runIcarus(sim));
});

// The benches must exist for every core named here (a missing one would silently test nothing).
describe('stream cores: files', () => {
  it('every core has its testbench', () => {
    for (const dut of new Set(SIMS.map((s) => s.dut))) {
      expect(existsSync(join(RTL, `${dut}.v`)), dut).toBe(true);
      expect(existsSync(join(TB, `tb_${dut}.sv`)), dut).toBe(true);
    }
  });
});

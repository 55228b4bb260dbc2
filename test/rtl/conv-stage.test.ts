/**
 * gr_conv_stage and gr_maxpool_stage: zero-warning `verilator --lint-only -Wall` and an Icarus
 * elaboration for a matrix of parameter sets, then the self-checking testbenches
 * (sim/tb/tb_gr_conv_stage.sv, sim/tb/tb_gr_maxpool_stage.sv) under Icarus and Verilator:
 * bit-exact outputs with random stalls, stream rules, and the steady-state cycles per image
 * max(H·W, OH·OW·STEPS). Skipped, visibly, when verilator / iverilog are not on PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const RTL = join(ROOT, 'rtl');
const TB = join(ROOT, 'sim', 'tb');
const CONV_FILES = ['gr_requant', 'gr_linebuf', 'gr_sdp_ram', 'gr_conv_addtree', 'gr_bin_lane', 'gr_bin_inputs', 'gr_conv_rom', 'gr_conv_resize', 'gr_zero', 'gr_conv_stage'].map((m) => join(RTL, `${m}.v`));
const POOL_FILES = ['gr_linebuf', 'gr_sdp_ram', 'gr_maxpool_stage'].map((m) => join(RTL, `${m}.v`));
const GEN = join(TB, 'gen_conv_data.mjs');

function hasTool(cmd: string): boolean {
  // `iverilog -V` exits non-zero without sources: only a missing binary counts.
  return spawnSync(cmd, ['-V'], { encoding: 'utf8' }).error === undefined;
}
const haveVerilator = hasTool('verilator');
const haveIverilog = hasTool('iverilog');

type Params = Readonly<Record<string, number>>;

interface RunResult { code: number; out: string }

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs = 300_000): RunResult {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const work = mkdtempSync(join(tmpdir(), 'gen-rtl-conv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirCount = 0;
function freshDir(tag: string): string {
  const dir = join(work, `${tag}-${dirCount++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function vParams(p: Params): string[] {
  return Object.entries(p).map(([k, v]) => `-G${k}=${v}`);
}
function iParams(top: string, p: Params): string[] {
  return Object.entries(p).map(([k, v]) => `-P${top}.${k}=${v}`);
}

// ------------------------------------------------------------------ lint matrix
const FILES = { W0_FILE: '"w0.hex"', M0_FILE: '"m0.hex"', BIAS_FILE: '"bias.hex"', SHIFT_FILE: '"shift.hex"' };

const convLint: ReadonlyArray<[string, Params]> = [
  ['binary k3 s1 p1 g1', { MODE: 0, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 4 }],
  ['binary k3 s2 p1 g2', { MODE: 0, H: 9, W: 7, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 2, PE: 2, SIMD: 2 }],
  ['binary k5 p2', { MODE: 0, H: 8, W: 8, C: 4, COUT: 4, K: 5, S: 1, P: 2, G: 1, PE: 4, SIMD: 4 }],
  ['binary k3 simd 5', { MODE: 0, H: 6, W: 6, C: 15, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 5 }],
  ['prb k3 simd 3', { MODE: 2, H: 6, W: 6, C: 6, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 3, ACC1_W: 18 }],
  ['int8 k1 g1', { MODE: 1, H: 8, W: 8, C: 16, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 8, SIMD: 16, IN_SIGNED: 1, OUT_SIGNED: 1 }],
  ['int8 k3 g2', { MODE: 1, H: 8, W: 8, C: 8, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 1, SIMD: 4 }],
  ['prb k3 s1 g2', { MODE: 2, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 2, ACC1_W: 18 }],
  ['prb k3 s2 g4', { MODE: 2, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 4, PE: 1, SIMD: 1, ACC1_W: 18 }],
  ['fc k1 h=w=1', { MODE: 1, H: 1, W: 1, C: 32, COUT: 10, K: 1, S: 1, P: 0, G: 1, PE: 5, SIMD: 8, ACC0_W: 22, OUT_W: 32, OUT_SIGNED: 1 }],
  ['input k1 g=c=cout=3', { MODE: 1, H: 8, W: 8, C: 3, COUT: 3, K: 1, S: 1, P: 0, G: 3, PE: 1, SIMD: 1, IN_SIGNED: 0 }],
  ['binary k1 s4', { MODE: 0, H: 9, W: 9, C: 4, COUT: 4, K: 1, S: 4, P: 0, G: 1, PE: 1, SIMD: 1 }],
  ['int8 k2 s2 p1', { MODE: 1, H: 7, W: 7, C: 4, COUT: 4, K: 2, S: 2, P: 1, G: 1, PE: 2, SIMD: 2 }],
  ['int8 k1 packed', { MODE: 1, H: 8, W: 8, C: 16, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 8, SIMD: 4, IN_SIGNED: 1, OUT_SIGNED: 1, PACK: 1 }],
  ['int8 k3 g2 packed', { MODE: 1, H: 8, W: 8, C: 8, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 4, PACK: 1 }],
  ['prb k3 s1 g2 packed', { MODE: 2, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 4, SIMD: 2, ACC1_W: 18, PACK: 1 }],
  ['prb k3 spread 4', { MODE: 2, H: 8, W: 8, C: 16, COUT: 8, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 8, ACC1_W: 18, SPREAD: 4 }],
  ['prb k3 g2 spread 2 packed', { MODE: 2, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 4, SIMD: 4, ACC1_W: 18, PACK: 1, SPREAD: 2 }],
  ['binary k3 line buffer in UltraRAM', { MODE: 0, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 4, LB_URAM: 1 }],
];
// PE and SIMD from 1 to full, every mode.
for (const MODE of [0, 1, 2]) {
  for (const PE of [1, 2, 4, 8]) {
    for (const SIMD of [1, 2, 4, 8]) {
      (convLint as Array<[string, Params]>).push([`mode ${MODE} PE ${PE} SIMD ${SIMD}`, { MODE, H: 6, W: 6, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 1, PE, SIMD }]);
    }
  }
}

const poolLint: ReadonlyArray<[string, Params]> = [
  ['k2 s2 p0', { H: 8, W: 8, C: 4, K: 2, S: 2, P: 0, SIGNED: 0 }],
  ['k3 s2 p1 signed', { H: 7, W: 6, C: 3, K: 3, S: 2, P: 1, SIGNED: 1 }],
  ['k3 s1 p1', { H: 5, W: 5, C: 2, K: 3, S: 1, P: 1, SIGNED: 0 }],
  ['k1 h=w=1', { H: 1, W: 1, C: 5, K: 1, S: 1, P: 0, SIGNED: 1 }],
  ['k5 s4 p2', { H: 9, W: 11, C: 1, K: 5, S: 4, P: 2, SIGNED: 0 }],
  ['k3 s2 p1 line buffer in UltraRAM', { H: 7, W: 6, C: 3, K: 3, S: 2, P: 1, SIGNED: 1, LB_URAM: 1 }],
];

describe.skipIf(!haveVerilator)('verilator --lint-only -Wall (skipped: verilator not on PATH)', () => {
  it.each(convLint)('gr_conv_stage %s', (_name, p) => {
    const fileArgs = Object.entries(FILES).map(([k, v]) => `-G${k}=${v}`);
    const r = run('verilator', ['--lint-only', '-Wall', '--top-module', 'gr_conv_stage', ...vParams(p), ...fileArgs, ...CONV_FILES], ROOT);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
  it.each(poolLint)('gr_maxpool_stage %s', (_name, p) => {
    const r = run('verilator', ['--lint-only', '-Wall', '--top-module', 'gr_maxpool_stage', ...vParams(p), ...POOL_FILES], ROOT);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
  it('stops elaboration on an illegal combination, naming it', () => {
    const bad: ReadonlyArray<[Params, string]> = [
      [{ PE: 3 }, 'gr_error_pe_must_divide_cout_per_group'],
      [{ SIMD: 3 }, 'gr_error_simd_must_divide_c_per_group'],
      [{ G: 3 }, 'gr_error_groups_must_divide_c_and_cout'],
      [{ K: 3, P: 3 }, 'gr_error_conv_pad_must_be_less_than_k'],
      [{ MODE: 2, K: 3, P: 0 }, 'gr_error_prb_needs_odd_k_and_pad_k_minus_1_over_2'],
      [{ H: 1, W: 1, K: 5, P: 1 }, 'gr_error_conv_output_size_must_be_at_least_1'],
      [{ MODE: 0, PE: 2, PACK: 1 }, 'gr_error_pack_needs_int8_products_and_even_pe'],
      [{ MODE: 1, PE: 1, PACK: 1 }, 'gr_error_pack_needs_int8_products_and_even_pe'],
      [{ LB_LUTRAM: 1, LB_URAM: 1 }, 'gr_error_ram_uram_must_be_0_or_1_and_not_with_lutram'],
      [{ MODE: 0, SPREAD: 2 }, 'gr_error_spread_needs_prb_a_divisor_of_simd_at_most_kk_minus_1_over_2'],
      [{ MODE: 2, C: 8, SIMD: 4, SPREAD: 3 }, 'gr_error_spread_needs_prb_a_divisor_of_simd_at_most_kk_minus_1_over_2'],
      [{ MODE: 2, C: 16, SIMD: 8, SPREAD: 8 }, 'gr_error_spread_needs_prb_a_divisor_of_simd_at_most_kk_minus_1_over_2'],
    ];
    for (const [p, name] of bad) {
      const r = run('verilator', ['--lint-only', '-Wall', '--top-module', 'gr_conv_stage', ...vParams(p), ...CONV_FILES], ROOT);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain(name);
    }
    const r = run('verilator', ['--lint-only', '-Wall', '--top-module', 'gr_maxpool_stage', '-GK=3', '-GP=2', ...POOL_FILES], ROOT);
    expect(r.out).toContain('gr_error_maxpool_pad_must_be_at_most_k_over_2');
  });
});

describe.skipIf(!haveIverilog)('iverilog -g2012 elaboration (skipped: iverilog not on PATH)', () => {
  it('elaborates every lint configuration', () => {
    for (const [name, p] of convLint) {
      const r = run('iverilog', ['-g2012', '-o', '/dev/null', '-s', 'gr_conv_stage', ...iParams('gr_conv_stage', p), ...CONV_FILES], ROOT);
      expect(r.out, name).toBe('');
      expect(r.code, name).toBe(0);
    }
    for (const [name, p] of poolLint) {
      const r = run('iverilog', ['-g2012', '-o', '/dev/null', '-s', 'gr_maxpool_stage', ...iParams('gr_maxpool_stage', p), ...POOL_FILES], ROOT);
      expect(r.out, name).toBe('');
      expect(r.code, name).toBe(0);
    }
  }, 120_000);
});

// ------------------------------------------------------------------ testbenches
interface SimCase { readonly name: string; readonly p: Params; readonly verilator: boolean; readonly weights?: 'ones' | 'extreme' }

const convSims: readonly SimCase[] = [
  { name: 'binary k3 s1 p1', p: { MODE: 0, H: 6, W: 5, C: 4, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 2 }, verilator: true },
  { name: 'binary k3 s2 p1 g2', p: { MODE: 0, H: 8, W: 7, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 2, PE: 2, SIMD: 4, IN_SIGNED: 1, OUT_SIGNED: 1 }, verilator: true },
  { name: 'binary k5 p2 full PE/SIMD', p: { MODE: 0, H: 7, W: 6, C: 4, COUT: 4, K: 5, S: 1, P: 2, G: 1, PE: 4, SIMD: 4 }, verilator: false },
  { name: 'binary k3 p0 (R > K+S)', p: { MODE: 0, H: 6, W: 6, C: 2, COUT: 2, K: 3, S: 1, P: 0, G: 1, PE: 1, SIMD: 1 }, verilator: false },
  { name: 'binary k1 s2', p: { MODE: 0, H: 7, W: 8, C: 4, COUT: 4, K: 1, S: 2, P: 0, G: 2, PE: 1, SIMD: 2 }, verilator: false },
  { name: 'int8 k1', p: { MODE: 1, H: 5, W: 6, C: 8, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 8, SIMD: 1, IN_SIGNED: 1, OUT_SIGNED: 1 }, verilator: true },
  { name: 'int8 k3 g2', p: { MODE: 1, H: 6, W: 5, C: 8, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 1, SIMD: 4 }, verilator: false },
  { name: 'int8 k2 s2 p1', p: { MODE: 1, H: 7, W: 7, C: 4, COUT: 4, K: 2, S: 2, P: 1, G: 1, PE: 2, SIMD: 2, IN_SIGNED: 1 }, verilator: false },
  { name: 'prb k3 s1 g2', p: { MODE: 2, H: 6, W: 5, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 2 }, verilator: true },
  { name: 'prb k3 s1 g2, line buffer in LUT RAM', p: { MODE: 2, H: 6, W: 5, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 2, LB_LUTRAM: 1 }, verilator: true },
  { name: 'binary k3 s2 p1 g2, line buffer in UltraRAM', p: { MODE: 0, H: 8, W: 7, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 2, PE: 2, SIMD: 4, LB_URAM: 1 }, verilator: false },
  // A 1×1 stride-1 stage as the generator emits it: the image as one column of H·W pixels.
  { name: 'int8 k1, 6x5 image as a 30x1 column, full PE/SIMD', p: { MODE: 1, H: 30, W: 1, C: 8, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 8, SIMD: 8, IN_SIGNED: 1 }, verilator: true },
  { name: 'prb k3 s2 g4', p: { MODE: 2, H: 7, W: 8, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 4, PE: 1, SIMD: 1, IN_SIGNED: 1, OUT_SIGNED: 1 }, verilator: true },
  { name: 'prb k5 s2 full PE/SIMD', p: { MODE: 2, H: 6, W: 6, C: 4, COUT: 4, K: 5, S: 2, P: 2, G: 1, PE: 4, SIMD: 4 }, verilator: false },
  { name: 'fc k1 h=w=1', p: { MODE: 1, H: 1, W: 1, C: 32, COUT: 10, K: 1, S: 1, P: 0, G: 1, PE: 5, SIMD: 8, OUT_W: 32, OUT_SIGNED: 1 }, verilator: true },
  // Binary lanes take their inputs in pairs (gr_bin_lane): an odd SIMD leaves one input alone, and
  // inputs 0x00, 0x7F, 0x80, 0xFF reach the pair sums' limits (510 unsigned, -256 signed).
  { name: 'binary k3 simd 3 (a pair and a single), extreme inputs', p: { MODE: 0, H: 6, W: 5, C: 6, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 3, EXTREME_X: 1 }, verilator: true },
  { name: 'binary k3 simd 5 signed, extreme inputs', p: { MODE: 0, H: 5, W: 6, C: 5, COUT: 2, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 5, IN_SIGNED: 1, OUT_SIGNED: 1, EXTREME_X: 1 }, verilator: false },
  { name: 'prb k3 simd 3, extreme inputs', p: { MODE: 2, H: 5, W: 5, C: 6, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 1, SIMD: 3, EXTREME_X: 1 }, verilator: false },
  // PACK: two lanes' int8 products from one multiplier. Weights -128, 127, -1, 0, 1 and inputs 0x00,
  // 0x7F, 0x80, 0xFF reach the low product field's limits (-128 * 255 = -32640 unsigned, -128 * -128 = 16384 signed).
  { name: 'int8 k1 packed, extreme weights and inputs', p: { MODE: 1, H: 5, W: 6, C: 8, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 8, SIMD: 2, PACK: 1, EXTREME_X: 1 }, verilator: true, weights: 'extreme' },
  { name: 'int8 k1 packed signed, extreme weights and inputs', p: { MODE: 1, H: 5, W: 6, C: 8, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 4, SIMD: 4, IN_SIGNED: 1, OUT_SIGNED: 1, PACK: 1, EXTREME_X: 1 }, verilator: true, weights: 'extreme' },
  { name: 'prb k3 s1 g2 packed, extreme', p: { MODE: 2, H: 6, W: 5, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 2, PACK: 1, EXTREME_X: 1 }, verilator: true, weights: 'extreme' },
  { name: 'int8 k3 g2 packed', p: { MODE: 1, H: 6, W: 5, C: 8, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 4, PACK: 1 }, verilator: false },
  // SPREAD: the PRB's 1 x 1 branch takes SIMD/SPREAD of the buffered centre-tap inputs per step.
  { name: 'prb k3 s1 spread 4, extreme', p: { MODE: 2, H: 6, W: 5, C: 16, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 8, SPREAD: 4, EXTREME_X: 1 }, verilator: true, weights: 'extreme' },
  { name: 'prb k3 s2 g2 spread 2 packed (one chunk per co_step)', p: { MODE: 2, H: 7, W: 8, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 2, PE: 2, SIMD: 4, SPREAD: 2, PACK: 1, IN_SIGNED: 1, OUT_SIGNED: 1 }, verilator: true },
  { name: 'prb k3 spread 3 (SIMD 3), PE 1', p: { MODE: 2, H: 5, W: 5, C: 6, COUT: 2, K: 3, S: 1, P: 1, G: 1, PE: 1, SIMD: 3, SPREAD: 3 }, verilator: false },
  { name: 'prb k5 p2 spread 4 (2 chunks)', p: { MODE: 2, H: 6, W: 6, C: 8, COUT: 4, K: 5, S: 1, P: 2, G: 1, PE: 4, SIMD: 4, SPREAD: 4 }, verilator: false },
  { name: 'fc k1 h=w=1 packed', p: { MODE: 1, H: 1, W: 1, C: 32, COUT: 10, K: 1, S: 1, P: 0, G: 1, PE: 10, SIMD: 8, OUT_W: 32, OUT_SIGNED: 1, PACK: 1 }, verilator: false },
  { name: 'input layer k1 g=c=cout=3, weights 1', p: { MODE: 1, H: 4, W: 5, C: 3, COUT: 3, K: 1, S: 1, P: 0, G: 3, PE: 1, SIMD: 1, IN_SIGNED: 0 }, verilator: false, weights: 'ones' },
];

const poolSims: readonly SimCase[] = [
  { name: 'k2 s2 p0', p: { H: 8, W: 8, C: 3, K: 2, S: 2, P: 0, SIGNED: 0 }, verilator: true },
  { name: 'k3 s2 p1 signed', p: { H: 7, W: 6, C: 3, K: 3, S: 2, P: 1, SIGNED: 1 }, verilator: true },
  { name: 'k3 s2 p1 signed, line buffer in LUT RAM', p: { H: 7, W: 6, C: 3, K: 3, S: 2, P: 1, SIGNED: 1, LB_LUTRAM: 1 }, verilator: false },
  { name: 'k3 s1 p1 signed, line buffer in UltraRAM', p: { H: 5, W: 6, C: 2, K: 3, S: 1, P: 1, SIGNED: 1, LB_URAM: 1 }, verilator: false },
  { name: 'k3 s1 p1', p: { H: 5, W: 6, C: 2, K: 3, S: 1, P: 1, SIGNED: 1 }, verilator: false },
  { name: 'k2 s2 odd size', p: { H: 7, W: 7, C: 2, K: 2, S: 2, P: 0, SIGNED: 0 }, verilator: false },
  { name: 'k3 s3 p1', p: { H: 8, W: 7, C: 2, K: 3, S: 3, P: 1, SIGNED: 1 }, verilator: false },
  { name: 'k1 h=w=1', p: { H: 1, W: 1, C: 4, K: 1, S: 1, P: 0, SIGNED: 1 }, verilator: false },
  { name: 'k5 s2 p2', p: { H: 6, W: 9, C: 1, K: 5, S: 2, P: 2, SIGNED: 0 }, verilator: false },
];

/** Writes the conv ROM files into dir with the testbench's parameters (defaults as in the TB). */
function convData(dir: string, c: SimCase): void {
  const defaults: Record<string, number> = { MODE: 0, C: 4, COUT: 4, K: 3, G: 1, PE: 2, SIMD: 2, IN_SIGNED: 0, OUT_W: 8 };
  const keys = ['MODE', 'C', 'COUT', 'K', 'G', 'PE', 'SIMD', 'IN_SIGNED', 'OUT_W', 'SEED', 'SPREAD'];
  const args = keys.filter((k) => k in c.p || k in defaults).map((k) => `${k}=${c.p[k] ?? defaults[k]}`);
  if (c.weights) args.push(`WEIGHTS=${c.weights}`);
  const r = run(process.execPath, [GEN, '--out', dir, ...args], dir);
  expect(r.out).toBe('');
  expect(r.code).toBe(0);
}

function expectPass(out: string): void {
  const verdict = out.split('\n').filter((l) => l.startsWith('PASS') || l.startsWith('FAIL'));
  expect(verdict, out).toEqual(['PASS']);
  expect(out).toMatch(/cycles\/image without stalls: (\d+) \1, formula [^=]+= \1\b/);
}

function icarus(top: string, files: readonly string[], c: SimCase, dir: string): string {
  const build = run('iverilog', ['-g2012', '-o', join(dir, 'sim.vvp'), '-s', top, ...iParams(top, c.p), join(TB, `${top}.sv`), ...files], dir);
  expect(build.out).toBe('');
  expect(build.code).toBe(0);
  return run('vvp', ['-n', 'sim.vvp'], dir).out;
}

function verilator(top: string, files: readonly string[], c: SimCase, dir: string): string {
  // --unroll-count 1 and -O0 only shorten the C++ build (the testbench's model loops would be
  // unrolled); the simulation itself is tiny.
  const build = run('verilator', [
    '--binary', '-j', '2', '--unroll-count', '1', '-MAKEFLAGS', 'OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0',
    '--Mdir', join(dir, 'obj'), '--top-module', top, ...vParams(c.p), join(TB, `${top}.sv`), ...files,
  ], dir);
  expect(build.code, build.out).toBe(0);
  return run(join(dir, 'obj', `V${top}`), [], dir).out;
}

describe.skipIf(!haveIverilog)('testbenches under Icarus (skipped: iverilog not on PATH)', () => {
  it.each(convSims.map((c) => [c.name, c] as const))('tb_gr_conv_stage %s', (_n, c) => {
    const dir = freshDir('iconv');
    convData(dir, c);
    expectPass(icarus('tb_gr_conv_stage', CONV_FILES, c, dir));
  });
  it.each(poolSims.map((c) => [c.name, c] as const))('tb_gr_maxpool_stage %s', (_n, c) => {
    expectPass(icarus('tb_gr_maxpool_stage', POOL_FILES, c, freshDir('ipool')));
  });
});

describe.skipIf(!haveVerilator)('testbenches under Verilator (skipped: verilator not on PATH)', () => {
  it.each(convSims.filter((c) => c.verilator).map((c) => [c.name, c] as const))('tb_gr_conv_stage %s', (_n, c) => {
    const dir = freshDir('vconv');
    convData(dir, c);
    expectPass(verilator('tb_gr_conv_stage', CONV_FILES, c, dir));
  }, 240_000);
  it.each(poolSims.filter((c) => c.verilator).map((c) => [c.name, c] as const))('tb_gr_maxpool_stage %s', (_n, c) => {
    expectPass(verilator('tb_gr_maxpool_stage', POOL_FILES, c, freshDir('vpool')));
  }, 240_000);
});

/**
 * gr_conv_window_stage (tap-parallel conv stage): zero-warning `verilator --lint-only -Wall` and an
 * Icarus elaboration for a matrix of parameter sets (CONST_W 0 and 1), the elaboration-time
 * parameter checks, then the self-checking testbench sim/tb/tb_gr_conv_window_stage.sv under
 * Icarus and Verilator: bit-exact outputs with 30 % random stalls on both streams, stream rules,
 * the first-output latency 7 + ceil(log2(K²·SIMD)) + STEPS and the steady-state cycles per image
 * max(H·W, OH·OW·STEPS), STEPS = (COUT/PE)·((C/G)/SIMD), on unstalled images.
 * Skipped, visibly, when verilator / iverilog are not on PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const RTL = join(ROOT, 'rtl');
const TB = join(ROOT, 'sim', 'tb');
const TOP = 'gr_conv_window_stage';
const TB_TOP = 'tb_gr_conv_window_stage';
const FILES = ['gr_requant', 'gr_win_linebuf', 'gr_sdp_ram', 'gr_win_delay', 'gr_conv_addtree', 'gr_bin_lane', 'gr_bin_inputs', 'gr_conv_rom', 'gr_conv_resize', 'gr_zero', TOP].map((m) => join(RTL, `${m}.v`));
const GEN = join(TB, 'gen_win_data.mjs');

function hasTool(cmd: string): boolean {
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

const work = mkdtempSync(join(tmpdir(), 'gen-rtl-convwin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirCount = 0;
function freshDir(tag: string): string {
  const dir = join(work, `${tag}-${dirCount++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Module defaults (for W0_BITS's width when a parameter is not given). */
const DUT_DEFAULTS: Params = { MODE: 0, K: 3, PE: 1, SIMD: 1 };
function w0Width(p: Params): number {
  const q = { ...DUT_DEFAULTS, ...p };
  return q.PE! * q.K! * q.K! * q.SIMD! * (q.MODE === 1 ? 8 : 1);
}

/** Verilator / Icarus parameter overrides; a CONST_W stage gets a (zero) W0_BITS of the right width. */
function vParams(p: Params, extra: Readonly<Record<string, string>> = {}): string[] {
  return [...Object.entries(p).map(([k, v]) => `-G${k}=${v}`), ...Object.entries(extra).map(([k, v]) => `-G${k}=${v}`)];
}
function iParams(top: string, p: Params, extra: Readonly<Record<string, string>> = {}): string[] {
  return [...Object.entries(p).map(([k, v]) => `-P${top}.${k}=${v}`), ...Object.entries(extra).map(([k, v]) => `-P${top}.${k}=${v}`)];
}
function constBits(p: Params): Record<string, string> {
  return p.CONST_W === 1 ? { W0_BITS: `${w0Width(p)}'h0` } : {};
}

// ------------------------------------------------------------------ lint matrix
const ROMS = { W0_FILE: '"w0.hex"', M0_FILE: '"m0.hex"', BIAS_FILE: '"bias.hex"', SHIFT_FILE: '"shift.hex"' };

const lint: Array<[string, Params]> = [
  ['binary k3 s1 p1 g1', { MODE: 0, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 4 }],
  ['binary k3 s2 p1 g2', { MODE: 0, H: 9, W: 7, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 2, PE: 2, SIMD: 2 }],
  ['binary k5 s2 p2 const (conv1-like)', { MODE: 0, H: 16, W: 16, C: 3, COUT: 8, K: 5, S: 2, P: 2, G: 1, PE: 8, SIMD: 3, CONST_W: 1 }],
  ['binary k5 p2 rom', { MODE: 0, H: 8, W: 8, C: 4, COUT: 4, K: 5, S: 1, P: 2, G: 1, PE: 4, SIMD: 4 }],
  ['binary const_w=1 but folded (rom)', { MODE: 0, H: 8, W: 8, C: 4, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 2, CONST_W: 1 }],
  ['int8 k1 g1', { MODE: 1, H: 8, W: 8, C: 16, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 8, SIMD: 16, IN_SIGNED: 1, OUT_SIGNED: 1 }],
  ['int8 k3 g2', { MODE: 1, H: 8, W: 8, C: 8, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 1, SIMD: 4 }],
  ['int8 k3 const', { MODE: 1, H: 6, W: 6, C: 4, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 4, SIMD: 4, CONST_W: 1 }],
  ['prb k3 s1 g2', { MODE: 2, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 2, ACC1_W: 18 }],
  ['prb k3 s2 g4', { MODE: 2, H: 8, W: 8, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 4, PE: 1, SIMD: 1, ACC1_W: 18 }],
  ['prb k5 const', { MODE: 2, H: 8, W: 8, C: 4, COUT: 4, K: 5, S: 1, P: 2, G: 1, PE: 4, SIMD: 4, ACC1_W: 18, CONST_W: 1 }],
  ['fc k1 h=w=1', { MODE: 1, H: 1, W: 1, C: 32, COUT: 10, K: 1, S: 1, P: 0, G: 1, PE: 5, SIMD: 8, ACC0_W: 22, OUT_W: 32, OUT_SIGNED: 1 }],
  ['input k1 g=c=cout=3', { MODE: 1, H: 8, W: 8, C: 3, COUT: 3, K: 1, S: 1, P: 0, G: 3, PE: 1, SIMD: 1 }],
  ['binary k1 s4', { MODE: 0, H: 9, W: 9, C: 4, COUT: 4, K: 1, S: 4, P: 0, G: 1, PE: 1, SIMD: 1 }],
  ['binary k3 s3 p1 const', { MODE: 0, H: 10, W: 10, C: 2, COUT: 2, K: 3, S: 3, P: 1, G: 1, PE: 2, SIMD: 2, CONST_W: 1 }],
  ['int8 k2 s2 p1', { MODE: 1, H: 7, W: 7, C: 4, COUT: 4, K: 2, S: 2, P: 1, G: 1, PE: 2, SIMD: 2 }],
];
for (const MODE of [0, 1, 2]) {
  for (const PE of [1, 2, 8]) {
    for (const SIMD of [1, 4, 8]) {
      const CONST_W = PE === 8 && SIMD === 8 ? 1 : 0;
      lint.push([`mode ${MODE} PE ${PE} SIMD ${SIMD}${CONST_W ? ' const' : ''}`, { MODE, H: 6, W: 6, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 1, PE, SIMD, CONST_W }]);
    }
  }
}

describe.skipIf(!haveVerilator)('verilator --lint-only -Wall (skipped: verilator not on PATH)', () => {
  it.each(lint)('gr_conv_window_stage %s', (_name, p) => {
    const r = run('verilator', ['--lint-only', '-Wall', '--top-module', TOP, ...vParams(p, { ...ROMS, ...constBits(p) }), ...FILES], ROOT);
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
      [{ S: 5 }, 'gr_error_conv_window_stride_must_be_1_to_4'],
      [{ CONST_W: 2 }, 'gr_error_conv_window_const_w_must_be_0_or_1'],
      [{ MODE: 3 }, 'gr_error_conv_mode_must_be_0_1_or_2'],
    ];
    for (const [p, name] of bad) {
      const r = run('verilator', ['--lint-only', '-Wall', '--top-module', TOP, ...vParams(p), ...FILES], ROOT);
      expect(r.code, name).not.toBe(0);
      expect(r.out).toContain(name);
    }
  });
});

describe.skipIf(!haveIverilog)('iverilog -g2012 elaboration (skipped: iverilog not on PATH)', () => {
  it('elaborates every lint configuration', () => {
    for (const [name, p] of lint) {
      const r = run('iverilog', ['-g2012', '-o', '/dev/null', '-s', TOP, ...iParams(TOP, p, constBits(p)), ...FILES], ROOT);
      expect(r.out, name).toBe('');
      expect(r.code, name).toBe(0);
    }
  }, 120_000);
});

// ------------------------------------------------------------------ testbench
interface SimCase { readonly name: string; readonly p: Params; readonly verilator: boolean; readonly weights?: 'ones' }

const sims: readonly SimCase[] = [
  { name: 'binary k3 s1 p1 folded', p: { MODE: 0, H: 6, W: 5, C: 4, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 2 }, verilator: false },
  { name: 'binary k3 s2 p1 g2 signed', p: { MODE: 0, H: 8, W: 7, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 2, PE: 2, SIMD: 4, IN_SIGNED: 1, OUT_SIGNED: 1 }, verilator: false },
  { name: 'binary k5 s1 p2 const', p: { MODE: 0, H: 7, W: 6, C: 4, COUT: 4, K: 5, S: 1, P: 2, G: 1, PE: 4, SIMD: 4, CONST_W: 1 }, verilator: false },
  { name: 'binary k5 s2 p2 const (conv1-like)', p: { MODE: 0, H: 12, W: 11, C: 3, COUT: 4, K: 5, S: 2, P: 2, G: 1, PE: 4, SIMD: 3, CONST_W: 1 }, verilator: true },
  { name: 'binary k5 s2 p2 rom, single row', p: { MODE: 0, H: 9, W: 9, C: 4, COUT: 4, K: 5, S: 2, P: 2, G: 1, PE: 4, SIMD: 4, CONST_W: 0 }, verilator: false },
  { name: 'binary k3 p0 (R > K+S)', p: { MODE: 0, H: 6, W: 6, C: 2, COUT: 2, K: 3, S: 1, P: 0, G: 1, PE: 1, SIMD: 1 }, verilator: false },
  { name: 'binary k3 s2 p1, banks in LUT RAM', p: { MODE: 0, H: 8, W: 7, C: 4, COUT: 4, K: 3, S: 2, P: 1, G: 1, PE: 2, SIMD: 2, LB_LUTRAM: 1 }, verilator: true },
  { name: 'binary k3 s1 p1, banks in UltraRAM', p: { MODE: 0, H: 6, W: 5, C: 4, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 2, LB_URAM: 1 }, verilator: false },
  { name: 'binary k1 s2 g2', p: { MODE: 0, H: 7, W: 8, C: 4, COUT: 4, K: 1, S: 2, P: 0, G: 2, PE: 1, SIMD: 2 }, verilator: false },
  { name: 'binary k3 s3 p1 const', p: { MODE: 0, H: 10, W: 10, C: 2, COUT: 2, K: 3, S: 3, P: 1, G: 1, PE: 2, SIMD: 2, CONST_W: 1 }, verilator: false },
  { name: 'binary k4 s4 p1', p: { MODE: 0, H: 10, W: 9, C: 2, COUT: 2, K: 4, S: 4, P: 1, G: 1, PE: 2, SIMD: 2 }, verilator: false },
  { name: 'binary k3 on a 2x2 image const', p: { MODE: 0, H: 2, W: 2, C: 2, COUT: 2, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 2, CONST_W: 1 }, verilator: false },
  { name: 'binary k3 const_w=1 but folded (rom)', p: { MODE: 0, H: 6, W: 6, C: 4, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 2, SIMD: 2, CONST_W: 1 }, verilator: false },
  { name: 'int8 k1', p: { MODE: 1, H: 5, W: 6, C: 8, COUT: 8, K: 1, S: 1, P: 0, G: 1, PE: 8, SIMD: 1, IN_SIGNED: 1, OUT_SIGNED: 1 }, verilator: false },
  { name: 'int8 k3 g2', p: { MODE: 1, H: 6, W: 5, C: 8, COUT: 4, K: 3, S: 1, P: 1, G: 2, PE: 1, SIMD: 4 }, verilator: true },
  { name: 'int8 k2 s2 p1', p: { MODE: 1, H: 7, W: 7, C: 4, COUT: 4, K: 2, S: 2, P: 1, G: 1, PE: 2, SIMD: 2, IN_SIGNED: 1 }, verilator: false },
  { name: 'int8 k3 const', p: { MODE: 1, H: 5, W: 5, C: 4, COUT: 4, K: 3, S: 1, P: 1, G: 1, PE: 4, SIMD: 4, CONST_W: 1 }, verilator: false },
  { name: 'prb k3 s1 g2', p: { MODE: 2, H: 6, W: 5, C: 8, COUT: 8, K: 3, S: 1, P: 1, G: 2, PE: 2, SIMD: 2 }, verilator: true },
  { name: 'prb k3 s2 g4 signed', p: { MODE: 2, H: 7, W: 8, C: 8, COUT: 8, K: 3, S: 2, P: 1, G: 4, PE: 1, SIMD: 1, IN_SIGNED: 1, OUT_SIGNED: 1 }, verilator: false },
  { name: 'prb k5 s2 const', p: { MODE: 2, H: 6, W: 6, C: 4, COUT: 4, K: 5, S: 2, P: 2, G: 1, PE: 4, SIMD: 4, CONST_W: 1 }, verilator: false },
  { name: 'fc k1 h=w=1', p: { MODE: 1, H: 1, W: 1, C: 32, COUT: 10, K: 1, S: 1, P: 0, G: 1, PE: 5, SIMD: 8, OUT_W: 32, OUT_SIGNED: 1 }, verilator: false },
  { name: 'input layer k1 g=c=cout=3, weights 1', p: { MODE: 1, H: 4, W: 5, C: 3, COUT: 3, K: 1, S: 1, P: 0, G: 3, PE: 1, SIMD: 1 }, verilator: false, weights: 'ones' },
];

/** Writes the ROM files into dir; returns the W0_BITS literal (for CONST_W = 1). */
function winData(dir: string, c: SimCase): string {
  const defaults: Record<string, number> = { MODE: 0, C: 4, COUT: 4, K: 3, G: 1, PE: 2, SIMD: 2, IN_SIGNED: 0, OUT_W: 8 };
  const keys = ['MODE', 'C', 'COUT', 'K', 'G', 'PE', 'SIMD', 'IN_SIGNED', 'OUT_W', 'SEED'];
  const args = keys.filter((k) => k in c.p || k in defaults).map((k) => `${k}=${c.p[k] ?? defaults[k]}`);
  if (c.weights) args.push(`WEIGHTS=${c.weights}`);
  const r = run(process.execPath, [GEN, '--out', dir, ...args], dir);
  expect(r.out).toBe('');
  expect(r.code).toBe(0);
  return readFileSync(join(dir, 'w0bits.txt'), 'utf8').trim();
}

function expectPass(out: string): void {
  const verdict = out.split('\n').filter((l) => l.startsWith('PASS') || l.startsWith('FAIL'));
  expect(verdict, out).toEqual(['PASS']);
  expect(out).toMatch(/cycles\/image without stalls: (\d+) \1, formula [^=]+= \1\b/);
  expect(out).toMatch(/latency: (\d+), formula [^=]+= \1\b/);
}

function extra(c: SimCase, w0bits: string): Record<string, string> {
  return c.p.CONST_W === 1 ? { W0_BITS: w0bits } : {};
}

function icarus(c: SimCase, dir: string): string {
  const w0bits = winData(dir, c);
  const build = run('iverilog', ['-g2012', '-o', join(dir, 'sim.vvp'), '-s', TB_TOP, ...iParams(TB_TOP, c.p, extra(c, w0bits)), join(TB, `${TB_TOP}.sv`), ...FILES], dir);
  expect(build.out).toBe('');
  expect(build.code).toBe(0);
  return run('vvp', ['-n', 'sim.vvp'], dir).out;
}

function verilator(c: SimCase, dir: string): string {
  const w0bits = winData(dir, c);
  // --unroll-count 8 (generate loops up to 8*16 iterations) and -O0 only shorten the C++ build.
  const build = run('verilator', [
    '--binary', '-j', '2', '--unroll-count', '8', '-MAKEFLAGS', 'OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0',
    '--Mdir', join(dir, 'obj'), '--top-module', TB_TOP, ...vParams(c.p, extra(c, w0bits)), join(TB, `${TB_TOP}.sv`), ...FILES,
  ], dir);
  expect(build.code, build.out).toBe(0);
  return run(join(dir, 'obj', `V${TB_TOP}`), [], dir).out;
}

describe.skipIf(!haveIverilog)('testbench under Icarus (skipped: iverilog not on PATH)', () => {
  it.each(sims.map((c) => [c.name, c] as const))('tb_gr_conv_window_stage %s', (_n, c) => {
    expectPass(icarus(c, freshDir('iwin')));
  });
});

describe.skipIf(!haveVerilator)('testbench under Verilator (skipped: verilator not on PATH)', () => {
  it.each(sims.filter((c) => c.verilator).map((c) => [c.name, c] as const))('tb_gr_conv_window_stage %s', (_n, c) => {
    expectPass(verilator(c, freshDir('vwin')));
  }, 240_000);
});

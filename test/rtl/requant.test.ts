/**
 * gr_requant (rtl/gr_requant.v), the requantization primitive of docs/integer-semantics.md §3:
 * `verilator --lint-only -Wall` over several parameter sets (no output at all), illegal parameters
 * stopping elaboration with the error module's name (Verilator and Icarus), and the self-checking
 * bench sim/tb/tb_gr_requant.sv under Verilator and Icarus for five configurations (TERMS 1 and 2,
 * signed and unsigned, 8-, 16- and 32-bit outputs, SUM_W from the tight product width up to 64).
 * Each run streams ≥ 20,000 random vectors with ~30 % in_valid gaps and out_ready stalls plus the
 * bench's directed corners, and prints PASS or FAIL.
 *
 * To stay well under a minute and a half, all simulations start with the file, two at a time, and
 * every test awaits its own. Verilator's runtime objects are compiled once and reused, and each
 * bench's C++ is compiled as one unit (VM_PARALLEL_BUILDS=0: a third of the compile time).
 * Each group is skipped, with a notice, when its tool is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CORE = join(ROOT, 'rtl', 'gr_requant.v');
const BENCH = join(ROOT, 'sim', 'tb', 'tb_gr_requant.sv');
const TOP = 'tb_gr_requant';
const MIN_RANDOM = 20_000;

/** True when `cmd` can be started (iverilog -V exits non-zero without sources, so only ENOENT counts). */
function canRun(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { encoding: 'utf8' }).error === undefined;
}
const HAVE_VERILATOR = canRun('verilator', ['--version']) && canRun('make', ['--version']);
const HAVE_IVERILOG = canRun('iverilog', ['-V']) && canRun('vvp', ['-V']);
if (!HAVE_VERILATOR) console.warn('NOTICE: verilator (or make) not found: gr_requant lint and Verilator runs are skipped');
if (!HAVE_IVERILOG) console.warn('NOTICE: iverilog (or vvp) not found: gr_requant Icarus runs are skipped');

type Params = Readonly<Record<string, number>>;

const fmt = (p: Params): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

interface RunResult {
  readonly status: number | null;
  readonly out: string;
}

/** Runs a command without blocking the event loop (so the two lanes overlap). */
function run(cmd: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: null, out: `${out}${String(e)}` });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

// ---------------------------------------------------------------------------
// What is linted and simulated.

/** Bench configurations: the core's parameters plus the bench's SEED (NRAND stays at its 20,000). */
const SIMS: readonly { readonly name: string; readonly params: Params }[] = [
  {
    name: 'TERMS=1, uint8 (ReLU), conv-like widths',
    params: { TERMS: 1, ACC0_W: 19, ACC1_W: 16, MULT_W: 18, BIAS_W: 32, SHIFT_W: 6, SUM_W: 40, OUT_W: 8, OUT_SIGNED: 0, TAG_W: 1, SEED: 1 },
  },
  {
    name: 'TERMS=2, int32 logits, SUM_W=64 (shifts 0..63)',
    params: { TERMS: 2, ACC0_W: 16, ACC1_W: 10, MULT_W: 18, BIAS_W: 32, SHIFT_W: 6, SUM_W: 64, OUT_W: 32, OUT_SIGNED: 1, TAG_W: 24, SEED: 2 },
  },
  {
    name: 'TERMS=2, int8, SUM_W = product width (the sum register ends are reached), SHIFT_W=5',
    params: { TERMS: 2, ACC0_W: 9, ACC1_W: 9, MULT_W: 18, BIAS_W: 20, SHIFT_W: 5, SUM_W: 27, OUT_W: 8, OUT_SIGNED: 1, TAG_W: 5, SEED: 3 },
  },
  {
    name: 'TERMS=1, uint32, SUM_W = product width',
    params: { TERMS: 1, ACC0_W: 25, ACC1_W: 16, MULT_W: 16, BIAS_W: 32, SHIFT_W: 6, SUM_W: 41, OUT_W: 32, OUT_SIGNED: 0, TAG_W: 8, SEED: 4 },
  },
  {
    name: 'TERMS=2, int16, 2-bit bias, SHIFT_W=3',
    params: { TERMS: 2, ACC0_W: 8, ACC1_W: 8, MULT_W: 18, BIAS_W: 2, SHIFT_W: 3, SUM_W: 28, OUT_W: 16, OUT_SIGNED: 1, TAG_W: 3, SEED: 5 },
  },
];

/** The core's parameters of a bench configuration. */
function coreParams(p: Params): Params {
  const { SEED: _seed, ...core } = p;
  return core;
}

const LINT: readonly Params[] = [
  {},
  ...SIMS.map((s) => coreParams(s.params)),
  { TERMS: 1, ACC0_W: 2, ACC1_W: 2, MULT_W: 2, BIAS_W: 2, SHIFT_W: 1, SUM_W: 4, OUT_W: 2, OUT_SIGNED: 0, TAG_W: 1 },
  { TERMS: 2, ACC0_W: 32, ACC1_W: 32, MULT_W: 32, BIAS_W: 64, SHIFT_W: 6, SUM_W: 64, OUT_W: 32, OUT_SIGNED: 1, TAG_W: 64 },
  { TERMS: 2, ACC0_W: 19, ACC1_W: 25, MULT_W: 18, BIAS_W: 32, SHIFT_W: 6, SUM_W: 54, OUT_W: 8, OUT_SIGNED: 0, TAG_W: 16 },
  { TERMS: 2, ACC0_W: 30, ACC1_W: 46, MULT_W: 18, BIAS_W: 32, SHIFT_W: 6, SUM_W: 64, OUT_W: 8, OUT_SIGNED: 1, TAG_W: 1 },
  { TERMS: 1, ACC0_W: 8, ACC1_W: 8, MULT_W: 8, BIAS_W: 40, SHIFT_W: 6, SUM_W: 40, OUT_W: 8, OUT_SIGNED: 1, TAG_W: 1 },
];

const ERR_SUM = 'gr_error_requant_sum_w_must_hold_products_bias_and_output_and_be_at_most_64';
/** Illegal parameters (over the core's defaults) and the error module each must name. */
const BAD: readonly { readonly params: Params; readonly error: string }[] = [
  { params: { TERMS: 0 }, error: 'gr_error_requant_terms_must_be_1_or_2' },
  { params: { TERMS: 3 }, error: 'gr_error_requant_terms_must_be_1_or_2' },
  { params: { SUM_W: 33 }, error: ERR_SUM }, // < ACC0_W + MULT_W = 34
  { params: { TERMS: 2, ACC1_W: 40, SUM_W: 48 }, error: ERR_SUM }, // < ACC1_W + MULT_W = 58
  { params: { BIAS_W: 49 }, error: ERR_SUM },
  { params: { SUM_W: 65 }, error: ERR_SUM },
  { params: { ACC0_W: 2, MULT_W: 2, BIAS_W: 2, SUM_W: 8, OUT_W: 8 }, error: ERR_SUM }, // SUM_W <= OUT_W
  { params: { OUT_W: 1 }, error: 'gr_error_requant_out_w_must_be_2_to_32' },
  { params: { OUT_W: 33 }, error: 'gr_error_requant_out_w_must_be_2_to_32' },
  { params: { SHIFT_W: 0 }, error: 'gr_error_requant_shift_w_must_be_1_to_6' },
  { params: { SHIFT_W: 7 }, error: 'gr_error_requant_shift_w_must_be_1_to_6' },
];

// ---------------------------------------------------------------------------
// Work directory and the simulation pool.

let workRoot: string | null = null;
let dirCount = 0;
function newDir(tag: string): string {
  workRoot ??= mkdtempSync(join(tmpdir(), 'gen-rtl-requant-'));
  const dir = join(workRoot, `${tag}-${dirCount++}`);
  mkdirSync(dir);
  return dir;
}

/** Runs at most `size` jobs at a time, in the order they were added. */
class Pool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  readonly settled: Promise<unknown>[] = [];
  constructor(private readonly size: number) {}
  add<T>(job: () => Promise<T>): Promise<T> {
    const p = new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.waiting.shift()?.();
          });
      };
      if (this.running < this.size) start();
      else this.waiting.push(start);
    });
    this.settled.push(p.catch(() => undefined));
    return p;
  }
}

/**
 * Verilator's runtime objects (verilated*.o): the first build compiles them and publishes their
 * directory here (null if it failed: then every build compiles its own); later builds copy them.
 */
let runtime: Promise<string | null> | null = null;

/** Builds and runs the bench under Verilator; returns the simulation's output (throws on a build error). */
async function runVerilator(params: Params): Promise<RunResult> {
  const dir = newDir('verilator');
  const obj = join(dir, 'obj');
  // Set when this is the first build: it then compiles the runtime objects and publishes them.
  const first: { publish: ((rt: string | null) => void) | null } = { publish: null };
  if (runtime === null) runtime = new Promise((resolve) => (first.publish = resolve));
  try {
    const gen = await run(
      'verilator',
      // --unroll-count 4: the bench's set-up loops stay loops (unrolled, they take long to compile).
      ['--cc', '--exe', '--main', '--timing', '--unroll-count', '4', '-Mdir', obj, '--top-module', TOP, '-o', 'sim',
        ...Object.entries(params).map(([k, v]) => `-G${k}=${v}`), BENCH, CORE],
      dir,
    );
    if (gen.status !== 0 || /%Warning/.test(gen.out)) throw new Error(`verilator failed or warned:\n${gen.out}`);
    if (first.publish === null) {
      const rt = await runtime;
      if (rt !== null) for (const f of readdirSync(rt)) copyFileSync(join(rt, f), join(obj, f));
    }
    // -O0: compile time dominates the run. VM_PARALLEL_BUILDS=0: one compiler run for all the
    // bench's classes instead of one per file (each pays for Verilator's headers).
    const make = await run(
      'make',
      ['-s', '-C', obj, '-f', `V${TOP}.mk`, '-j', '2', 'VM_PARALLEL_BUILDS=0', 'OPT_FAST=-O0', 'OPT_SLOW=-O0', 'OPT_GLOBAL=-O0'],
      dir,
      300_000,
    );
    if (make.status !== 0) throw new Error(`make failed:\n${make.out}`);
    if (first.publish !== null) {
      const rt = newDir('verilator-runtime');
      for (const f of readdirSync(obj).filter((f) => /^verilated.*\.o$/.test(f))) copyFileSync(join(obj, f), join(rt, f));
      first.publish(rt);
      first.publish = null;
    }
    return await run(join(obj, 'sim'), [], dir);
  } finally {
    first.publish?.(null); // the first build failed: later builds compile their own runtime
  }
}

async function runIcarus(params: Params): Promise<RunResult> {
  const dir = newDir('icarus');
  const c = await run(
    'iverilog',
    ['-g2012', '-s', TOP, '-o', 'sim.vvp', ...Object.entries(params).map(([k, v]) => `-P${TOP}.${k}=${v}`), BENCH, CORE],
    dir,
  );
  if (c.status !== 0) throw new Error(`iverilog failed:\n${c.out}`);
  return run('vvp', ['-n', 'sim.vvp'], dir);
}

const pool = new Pool(2);
const verilatorRuns = new Map<string, Promise<RunResult>>();
const icarusRuns = new Map<string, Promise<RunResult>>();

beforeAll(() => {
  // Start every simulation now; the tests below only wait for their own.
  for (const s of SIMS) {
    if (HAVE_VERILATOR) verilatorRuns.set(s.name, pool.add(() => runVerilator(s.params)));
    if (HAVE_IVERILOG) icarusRuns.set(s.name, pool.add(() => runIcarus(s.params)));
  }
  // Avoid unhandled-rejection noise for runs whose test fails first.
  for (const p of [...verilatorRuns.values(), ...icarusRuns.values()]) p.catch(() => undefined);
});

afterAll(async () => {
  await Promise.all(pool.settled);
  if (workRoot !== null) rmSync(workRoot, { recursive: true, force: true });
});

function expectPass(r: RunResult): void {
  expect(r.status, r.out).toBe(0);
  expect(r.out, r.out).toMatch(/^PASS$/m);
  expect(r.out, r.out).not.toMatch(/FAIL/);
  // The bench's summary: at least 20,000 random vectors ran with stalls.
  const m = /requant: (\d+) vectors \((\d+) directed, (\d+) random stalled, (\d+) random unstalled\)/.exec(r.out);
  expect(m, r.out).not.toBeNull();
  expect(Number(m![3]), r.out).toBeGreaterThanOrEqual(MIN_RANDOM);
  expect(Number(m![2]), r.out).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------
// Tests.

describe.skipIf(!HAVE_VERILATOR)('gr_requant: verilator --lint-only -Wall', () => {
  for (const p of LINT) {
    it(fmt(p) || '(defaults)', async () => {
      const r = await run('verilator', ['--lint-only', '-Wall', '--top-module', 'gr_requant', ...Object.entries(p).map(([k, v]) => `-G${k}=${v}`), CORE], ROOT);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    });
  }
  for (const c of BAD) {
    it(`${fmt(c.params)} stops elaboration with ${c.error}`, async () => {
      const r = await run('verilator', ['--lint-only', '-Wall', '--top-module', 'gr_requant', ...Object.entries(c.params).map(([k, v]) => `-G${k}=${v}`), CORE], ROOT);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain(c.error);
    });
  }
});

describe.skipIf(!HAVE_IVERILOG)('gr_requant: illegal parameters under Icarus', () => {
  for (const c of BAD) {
    it(`${fmt(c.params)} stops elaboration with ${c.error}`, async () => {
      const dir = newDir('bad');
      const r = await run('iverilog', ['-g2012', '-s', 'gr_requant', '-o', join(dir, 'bad.vvp'), ...Object.entries(c.params).map(([k, v]) => `-Pgr_requant.${k}=${v}`), CORE], dir);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain(c.error);
    });
  }
});

describe.skipIf(!HAVE_VERILATOR)('gr_requant: tb_gr_requant under Verilator', () => {
  for (const s of SIMS) it(`${s.name}: ${fmt(s.params)}`, async () => expectPass(await verilatorRuns.get(s.name)!));
});

describe.skipIf(!HAVE_IVERILOG)('gr_requant: tb_gr_requant under Icarus', () => {
  for (const s of SIMS) it(`${s.name}: ${fmt(s.params)}`, async () => expectPass(await icarusRuns.get(s.name)!));
});

describe('gr_requant: files', () => {
  it('the core and its bench exist', () => {
    expect(existsSync(CORE)).toBe(true);
    expect(existsSync(BENCH)).toBe(true);
  });
});

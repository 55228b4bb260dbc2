/**
 * Calibration of the resource cost models (generator/map/cost.ts) against
 * Yosys synth_xilinx (7-series cells, or UltraScale+ with --family xcup): every configuration of a grid is
 * synthesized alone (one stage, or one gr_fifo / gr_broadcast / gr_output_stage,
 * with chparam, like test/synth/yosys.test.ts), `stat` is parsed, and the
 * model's LUT / FF / DSP / BRAM figures are printed beside Yosys' with the
 * relative error.
 *
 *   npx tsx bench/calibrate-cost.ts [--validate] [--fit] [--jobs N] [--only SUBSTRING] [--cache FILE] [--json FILE] [--family xc7|xcup]
 *
 * --validate runs the held-out set instead of the calibration grid; --fit
 * prints least-squares LUT / FF coefficients for COEF in generator/map/cost.ts;
 * --cache FILE keeps Yosys' cell counts by configuration name between runs;
 * --family xcup synthesizes for UltraScale+ cells (the model is fitted on xc7).
 *
 * docs/cost-model.md holds the table this prints.
 */
import { benchArgs, requireYosys } from './args.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelInfo } from '../generator/ir/analyze.js';
import { resolveFolding } from '../generator/emit/fold.js';
import { generate } from '../generator/emit/generate.js';
import type { StagePlan } from '../generator/emit/stages.js';
import { broadcastCost, COEF, COEF_BY_FABRIC, FEATURES, fifoCost, fifoFeatures, fifoWcCost, fifoWcFeatures, outputStageCost, stageCost, stageFeatures, type Coefficients, type Fabric, type Feature, type Features, type StageCost } from '../generator/map/cost.js';
import { quantize } from '../generator/quant/quantize.js';
import { measured, type Cells } from '../generator/synth/cells.js';
import { haveYosys, runYosys } from '../generator/synth/yosys.js';
import { writeTreeAtomic } from '../generator/util/files.js';
import { NetBuilder, type Tensor } from '../generator/zoo/builder.js';
import { syntheticImages } from '../generator/zoo/index.js';

// ---------------------------------------------------------------------------
// Yosys (generator/synth: the script, the run, the cell counting).

export { haveYosys, measured, type Cells };

/** The synth_xilinx family the configurations are synthesized for and the model's coefficients (--family). */
let family: Fabric = 'xc7';

/** Synthesize for, and estimate with the coefficients of, this family from now on. */
export function useFamily(f: Fabric): void {
  family = f;
}

/** Synthesizes `module` with `params` (chparam) under synth_xilinx -flatten in `dir`; returns `stat`'s cells. */
async function synthAsync(dir: string, sources: readonly string[], module: string, params: readonly { name: string; value: string }[]): Promise<Cells> {
  const r = await runYosys({ cwd: dir, outDir: dir, sources, top: module, command: `synth_xilinx -flatten -family ${family}`, params });
  return r.cells;
}

// ---------------------------------------------------------------------------
// Configurations.

type Body = (b: NetBuilder, x: Tensor) => Tensor;

interface NetSpec {
  readonly input: { readonly height: number; readonly width: number; readonly channels: number };
  readonly body: Body;
  /** Layer to synthesize. */
  readonly dut: string;
  readonly fold?: { readonly pe: number; readonly simd: number; readonly window?: boolean };
  /** Append the micro-net tail (global average pool "gap", classifier "fc"); default true. */
  readonly tail?: boolean;
}

export interface CalConfig {
  readonly name: string;
  readonly group: string;
  readonly net?: NetSpec;
  /** A gr_fifo, or with `wordBits` a gr_fifo_wc (WW). */
  readonly fifo?: { readonly depth: number; readonly bits: number; readonly wordBits?: number };
  readonly broadcast?: { readonly n: number; readonly bits: number };
  readonly output?: { readonly classes: number; readonly lw: number };
}

function netModel(spec: NetSpec, seed: number): ModelInfo {
  const b = new NetBuilder(seed);
  const c = spec.input.channels;
  const x = b.input(spec.input.height, spec.input.width, c, new Array<number>(c).fill(0.45), new Array<number>(c).fill(0.25));
  let y = spec.body(b, x);
  if (spec.tail !== false) {
    const g = b.avgpool('gap', y);
    y = b.fc('fc', g, y.channels, 5);
  }
  const calibration = syntheticImages(spec.input.height, spec.input.width, c, 6, seed);
  const { info } = quantize(
    {
      name: 'cal',
      classes: ['a', 'b', 'c', 'd', 'e'].slice(0, y.channels),
      layers: b.layers,
      output: y.name,
      provenance: { source: `calibrate-cost seed ${seed}`, dataset: null, seed, accuracy: {}, notes: [] },
    },
    { binarize: 'kxk', calibration },
  );
  return info;
}

const IMG = { height: 7, width: 9, channels: 4 };
/** A 1×1 int8 expansion to `c` channels, then the layer under test. */
const pre = (c: number, dut: (b: NetBuilder, x: Tensor) => Tensor): Body => (b, x) => dut(b, b.conv('pre', x, c, 1));

const binK3 = (c: number, cout: number, pe: number, simd: number, img = IMG): CalConfig => ({
  name: `binconv k3 ${img.height}x${img.width}x${c}->${cout} pe${pe} simd${simd}`,
  group: 'binconv',
  net: { input: img, body: pre(c, (b, x) => b.conv('dut', x, cout, 3)), dut: 'dut', fold: { pe, simd } },
});
/** The window core (gr_conv_window_stage): binary, int8 or PRB; PE = COUT and SIMD = C make the weights constants. */
const window = (kind: 'binary' | 'int8' | 'prb', c: number, cout: number, pe: number, simd: number, img = IMG): CalConfig => ({
  name: `window ${kind} k3 ${img.height}x${img.width}x${c}->${cout} pe${pe} simd${simd}`,
  group: 'window',
  net: {
    input: img,
    body: pre(c, (b, x) => (kind === 'prb' ? b.prb('dut', x, cout, { groups: 2 }) : b.conv('dut', x, cout, 3, { int8: kind === 'int8' }))),
    dut: 'dut',
    fold: { pe, simd, window: true },
  },
});
const int1x1 = (c: number, cout: number, pe: number, simd: number): CalConfig => ({
  name: `conv int8 1x1 ${c}->${cout} pe${pe} simd${simd}`,
  group: 'conv',
  net: { input: IMG, body: pre(c, (b, x) => b.conv('dut', x, cout, 1)), dut: 'dut', fold: { pe, simd } },
});
const int3x3 = (c: number, cout: number, pe: number, simd: number): CalConfig => ({
  name: `conv int8 3x3 ${c}->${cout} pe${pe} simd${simd}`,
  group: 'conv',
  net: { input: IMG, body: pre(c, (b, x) => b.conv('dut', x, cout, 3, { int8: true })), dut: 'dut', fold: { pe, simd } },
});
const prb = (c: number, cout: number, g: number, pe: number, simd: number): CalConfig => ({
  name: `prb ${c}->${cout} g${g} pe${pe} simd${simd}`,
  group: 'prb',
  net: { input: IMG, body: pre(c, (b, x) => b.prb('dut', x, cout, { groups: g })), dut: 'dut', fold: { pe, simd } },
});
const maxpool = (c: number, k: number, s: number, p: number, img = IMG): CalConfig => ({
  name: `maxpool k${k} s${s} p${p} ${img.height}x${img.width}x${c}`,
  group: 'maxpool',
  net: { input: img, body: pre(c, (b, x) => b.maxpool('dut', x, k, s, p)), dut: 'dut' },
});
const add = (c: number, pe: number): CalConfig => ({
  name: `add c${c} pe${pe}`,
  group: 'add',
  net: { input: IMG, body: (b, x) => b.add('dut', b.conv('a', x, c, 1), b.conv('b', x, c, 1, { relu: false })), dut: 'dut', fold: { pe, simd: 1 } },
});
const avgpool = (c: number, pe: number): CalConfig => ({
  name: `avgpool 7x9x${c} pe${pe}`,
  group: 'avgpool',
  net: { input: IMG, body: (b, x) => b.conv('pre', x, c, 1), dut: 'gap', fold: { pe, simd: 1 } },
});
const fc = (c: number, pe: number, simd: number): CalConfig => ({
  name: `fc ${c}->5 pe${pe} simd${simd}`,
  group: 'fc',
  net: { input: IMG, body: (b, x) => b.conv('pre', x, c, 1), dut: 'fc', fold: { pe, simd } },
});
const input = (c: number): CalConfig => ({
  name: `input 7x9x${c}`,
  group: 'input',
  net: { input: { ...IMG, channels: c }, body: (b, x) => b.conv('pre', x, 4, 1), dut: 'input' },
});
const fifo = (depth: number, bits: number): CalConfig => ({ name: `fifo ${depth}x${bits}`, group: 'fifo', fifo: { depth, bits } });
const fifoWc = (depth: number, bits: number, wordBits: number): CalConfig => ({ name: `fifo_wc ${depth}x${bits} ww${wordBits}`, group: 'fifo', fifo: { depth, bits, wordBits } });

export const CONFIGS: readonly CalConfig[] = [
  binK3(8, 8, 1, 1),
  binK3(8, 8, 1, 8),
  binK3(8, 8, 2, 4),
  binK3(8, 8, 4, 4),
  binK3(8, 8, 8, 8),
  binK3(16, 16, 4, 8, { height: 8, width: 32, channels: 4 }),
  int1x1(8, 8, 1, 1),
  int1x1(8, 8, 2, 4),
  int1x1(8, 8, 4, 4),
  int3x3(8, 8, 2, 2),
  prb(8, 8, 2, 1, 1),
  prb(8, 8, 2, 2, 4),
  maxpool(4, 2, 2, 0),
  maxpool(16, 3, 2, 1, { height: 8, width: 32, channels: 4 }),
  add(8, 1),
  add(8, 4),
  add(16, 8),
  avgpool(8, 1),
  avgpool(16, 4),
  fc(8, 1, 8),
  fc(16, 5, 4),
  input(4),
  fifo(16, 8),
  fifo(64, 32),
  fifo(256, 8),
  fifo(512, 32),
  fifo(1024, 64),
  fifo(4096, 8),
  { name: 'broadcast 3x64', group: 'broadcast', broadcast: { n: 3, bits: 64 } },
  { name: 'output 10x32', group: 'output', output: { classes: 10, lw: 32 } },
  int1x1(32, 8, 1, 32),
  fc(32, 1, 32),
  // SEP-Net-sized binary lanes (32 and 64 inputs per step).
  binK3(32, 16, 8, 32),
  binK3(64, 16, 4, 64),
  window('binary', 8, 8, 2, 4),
  window('binary', 8, 8, 8, 8),
  window('binary', 16, 16, 4, 8, { height: 8, width: 32, channels: 4 }),
  window('int8', 8, 8, 2, 2),
  window('int8', 4, 4, 4, 4),
  window('prb', 8, 8, 2, 2),
];

/**
 * Held-out configurations (never used by --fit): test/synth/cost-calibration.test.ts
 * synthesizes these and checks the stated tolerances; `--validate` prints them.
 */
export const VALIDATION: readonly CalConfig[] = [
  binK3(16, 8, 2, 2),
  int1x1(8, 8, 2, 2),
  prb(8, 8, 4, 1, 2),
  maxpool(8, 2, 2, 0),
  add(8, 2),
  avgpool(8, 2),
  fifo(128, 16),
  fifo(2048, 16),
  fifoWc(246, 512, 72),
];

// ---------------------------------------------------------------------------
// Running one configuration.

export interface CalResult {
  readonly config: CalConfig;
  readonly model: StageCost;
  readonly yosys: ReturnType<typeof measured>;
  readonly cells: Cells;
  readonly plan?: StagePlan;
  /** Raw LUT / FF features of the model (fifo and stage configurations). */
  readonly features?: { readonly lut: Features; readonly ff: Features } | null;
}

/** Synthesis results by configuration name (--cache FILE): re-running the model needs no Yosys. */
const cache = new Map<string, Record<string, number>>();

/** Fills the synthesis cache from a --cache file (a missing file is an empty cache). */
export function loadCache(file: string): void {
  try {
    for (const [k, v] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, number>>)) cache.set(k, v);
  } catch {
    // no cache yet
  }
}

/** Writes the synthesis cache to a --cache file. */
export function saveCache(file: string): void {
  writeFileSync(file, JSON.stringify(Object.fromEntries(cache), null, 1));
}

function rtlPath(f: string): string {
  return join(process.cwd(), 'rtl', f);
}

/** The cores a stream core may instantiate (the RAM wrapper, zero sources): every rtl/ file that is not a stage. */
function helpers(): string[] {
  return readdirSync(join(process.cwd(), 'rtl'))
    .filter((f) => /^gr_(sdp_ram|zero)\.v$/.test(f))
    .map(rtlPath);
}

export async function runConfig(config: CalConfig, seed = 11): Promise<CalResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-cost-'));
  const synth = async (d: string, sources: readonly string[], module: string, params: readonly { name: string; value: string }[]): Promise<Cells> => {
    const key = family === 'xc7' ? config.name : `${family} ${config.name}`;
    const hit = cache.get(key);
    if (hit) return new Map(Object.entries(hit));
    const cells = await synthAsync(d, sources, module, params);
    cache.set(key, Object.fromEntries(cells));
    return cells;
  };
  try {
    if (config.fifo?.wordBits !== undefined) {
      const { depth, bits, wordBits } = config.fifo;
      const cells = await synth(dir, [rtlPath('gr_fifo_wc.v'), ...helpers()], 'gr_fifo_wc', [
        { name: 'DW', value: String(bits) },
        { name: 'DEPTH', value: String(depth) },
        { name: 'WW', value: String(wordBits) },
      ]);
      return { config, model: fifoWcCost(depth, bits, wordBits), yosys: measured(cells), cells, features: fifoWcFeatures(depth, bits, wordBits) };
    }
    if (config.fifo) {
      const { depth, bits } = config.fifo;
      const cells = await synth(dir, [rtlPath('gr_fifo.v'), ...helpers()], 'gr_fifo', [
        { name: 'DW', value: String(bits) },
        { name: 'DEPTH', value: String(depth) },
      ]);
      return { config, model: fifoCost(depth, bits, 'auto', family), yosys: measured(cells), cells, features: fifoFeatures(depth, bits) };
    }
    if (config.broadcast) {
      const { n, bits } = config.broadcast;
      const cells = await synth(dir, [rtlPath('gr_broadcast.v'), ...helpers()], 'gr_broadcast', [
        { name: 'N', value: String(n) },
        { name: 'DW', value: String(bits) },
      ]);
      return { config, model: broadcastCost(n, bits), yosys: measured(cells), cells };
    }
    if (config.output) {
      const { classes, lw } = config.output;
      const cells = await synth(dir, [rtlPath('gr_output_stage.v'), ...helpers()], 'gr_output_stage', [
        { name: 'CLASSES', value: String(classes) },
        { name: 'LW', value: String(lw) },
      ]);
      return { config, model: outputStageCost(classes, lw), yosys: measured(cells), cells };
    }
    const spec = config.net!;
    const info = netModel(spec, seed);
    const folding = resolveFolding(info, spec.fold ? { stages: { [spec.dut]: spec.fold } } : undefined, 'calibrate-cost');
    const { files, design } = generate(info, { folding, device: null, clockMhz: 100 });
    writeTreeAtomic(join(dir, 'd'), files, true);
    const plan = design.stages.find((s) => s.info.layer.name === spec.dut)!;
    const sources = files.filter((f) => f.path.startsWith('rtl/gr_') && !f.path.includes('gr_top_')).map((f) => f.path);
    const cells = await synth(join(dir, 'd'), sources, plan.module, plan.params);
    return { config, model: stageCost(plan, 'dsp48', family), yosys: measured(cells), cells, plan, features: stageFeatures(plan) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runAll(configs: readonly CalConfig[], jobs: number, onResult?: (r: CalResult) => void): Promise<CalResult[]> {
  const out = new Array<CalResult>(configs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < configs.length) {
      const i = next++;
      out[i] = await runConfig(configs[i]!);
      onResult?.(out[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, () => worker()));
  return out;
}

/** Relative error of the model, in percent (0 when both are 0). */
export function relErr(model: number, actual: number): number {
  if (actual === 0) return model === 0 ? 0 : 100;
  return ((model - actual) / actual) * 100;
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(0)}%`;
}

export function tableRow(r: CalResult): string {
  const m = r.model;
  const y = r.yosys;
  return `| ${r.config.name} | ${m.lut} / ${y.lut} (${pct(relErr(m.lut, y.lut))}) | ${m.ff} / ${y.ff} (${pct(relErr(m.ff, y.ff))}) | ${m.dsp} / ${y.dsp} | ${m.bram36}+${m.bram18} / ${y.bram36}+${y.bram18} | ${m.lutramBits} | ${y.lutram} |`;
}

export const TABLE_HEAD = [
  '| configuration | LUT model / Yosys | FF model / Yosys | DSP model / Yosys | BRAM36+BRAM18 model / Yosys | model LUTRAM bits | Yosys LUT-as-memory |',
  '|---|---|---|---|---|---|---|',
].join('\n');

/** One observation for the fit: raw features, the measured LUT/FF, and what the features do not cover. */
export interface FitRow {
  readonly features?: { readonly lut: Features; readonly ff: Features } | null;
  readonly yosys: { readonly lut: number; readonly ff: number };
  /** LUT/FF outside the features (e.g. a whole design's output stage and broadcasts); default 0. */
  readonly offset?: { readonly lut: number; readonly ff: number };
  /** Weight of the row's relative error; default 1. */
  readonly weight?: number;
}

/**
 * Least-squares fit of the LUT or FF coefficients, minimizing the relative
 * error (rows scaled by 1/measured), with non-negative coefficients (features
 * that would go negative are dropped and the fit repeated); `fixed` features
 * keep their current coefficient.
 */
export function fitCoefficients(results: readonly FitRow[], which: 'lut' | 'ff', fixed: readonly Feature[], base: Coefficients = COEF): Record<Feature, number> {
  const rows = results.filter((r) => r.features && r.yosys[which] > 0);
  const coef = { ...base[which] } as Record<Feature, number>;
  let free = FEATURES.filter((f) => !fixed.includes(f) && rows.some((r) => r.features![which][f] !== 0));
  for (;;) {
    const n = free.length;
    const ata = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const atb = new Array<number>(n).fill(0);
    for (const r of rows) {
      const y = r.yosys[which];
      const f = r.features![which];
      const w = Math.sqrt(r.weight ?? 1);
      const rest = FEATURES.filter((k) => !free.includes(k)).reduce((a, k) => a + coef[k] * f[k], r.offset?.[which] ?? 0);
      const x = free.map((k) => (w * f[k]) / y);
      const b = (w * (y - rest)) / y;
      for (let i = 0; i < n; i++) {
        atb[i]! += x[i]! * b;
        for (let j = 0; j < n; j++) ata[i]![j]! += x[i]! * x[j]!;
      }
    }
    for (let i = 0; i < n; i++) ata[i]![i]! += 1e-9; // ridge against singular columns
    const sol = solve(ata, atb);
    const neg = free.filter((_, i) => sol[i]! < 0);
    free.forEach((k, i) => (coef[k] = Math.max(0, sol[i]!)));
    if (!neg.length) return coef;
    for (const k of neg) coef[k] = 0;
    free = free.filter((k) => !neg.includes(k));
  }
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const d = m[c]![c]!;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / d;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!));
}

async function main(): Promise<void> {
  const { opt, flag } = benchArgs();
  requireYosys();
  const cacheFile = opt('--cache');
  if (cacheFile) loadCache(cacheFile);
  const only = opt('--only');
  const jobs = Number(opt('--jobs') ?? 2);
  const fam = opt('--family') ?? 'xc7';
  if (fam !== 'xc7' && fam !== 'xcup') throw new Error(`--family must be xc7 or xcup, got ${fam}`);
  family = fam;
  const configs = (flag('--validate') ? VALIDATION : CONFIGS).filter((c) => !only || c.name.includes(only) || c.group === only);
  console.log(TABLE_HEAD);
  const results = await runAll(configs, jobs, (r) => console.log(tableRow(r)));
  const stats = (f: (r: CalResult) => number): string => {
    const e = results.map(f).map(Math.abs);
    return `mean |err| ${(e.reduce((a, b) => a + b, 0) / e.length).toFixed(1)}%, max ${Math.max(...e).toFixed(1)}%`;
  };
  console.log(`\nLUT: ${stats((r) => relErr(r.model.lut, r.yosys.lut))}`);
  console.log(`FF:  ${stats((r) => relErr(r.model.ff, r.yosys.ff))}`);
  const dspOff = results.filter((r) => r.model.dsp !== r.yosys.dsp).map((r) => r.config.name);
  const bramOff = results.filter((r) => r.model.bram36 !== r.yosys.bram36 || r.model.bram18 !== r.yosys.bram18).map((r) => r.config.name);
  console.log(`DSP exact: ${results.length - dspOff.length}/${results.length}${dspOff.length ? ` (off: ${dspOff.join(', ')})` : ''}`);
  console.log(`BRAM exact: ${results.length - bramOff.length}/${results.length}${bramOff.length ? ` (off: ${bramOff.join(', ')})` : ''}`);
  if (cacheFile) saveCache(cacheFile);
  if (flag('--fit')) {
    const fixed: Feature[] = ['lutram', 'romLogic', 'pack', 'fifoWc'];
    const lut = fitCoefficients(results, 'lut', fixed, COEF_BY_FABRIC[family]);
    const ff = fitCoefficients(results, 'ff', fixed, COEF_BY_FABRIC[family]);
    const show = (c: Record<Feature, number>): string => `{ ${FEATURES.map((f) => `${f}: ${Number(c[f].toFixed(3))}`).join(', ')} }`;
    console.log(`\nfitted (relative least squares, non-negative):\n  lut: ${show(lut)}\n  ff: ${show(ff)}`);
  }
  const json = opt('--json');
  if (json) {
    writeFileSync(
      json,
      JSON.stringify(
        results.map((r) => ({ name: r.config.name, group: r.config.group, model: r.model, yosys: r.yosys, cells: Object.fromEntries(r.cells), params: r.plan ? Object.fromEntries(r.plan.params.map((p) => [p.name, p.value])) : null })),
        null,
        1,
      ),
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

/**
 * Calibration of the cost model on whole generated designs: each design of the
 * set below is synthesized with Yosys (`synth_xilinx -flatten -family xc7`, as
 * `gen-rtl synth --device xc7z020` runs it) and the fit report's totals are
 * printed beside the netlist's LUT, FF, DSP and BRAM36 with the errors. The
 * closing bounds are checked: DSP exact, LUT within ±15 %, BRAM36 within ±10 %
 * (exit 1 when a design misses one).
 *
 *   npm run bench:synth [-- --jobs N] [--only SUBSTRING] [--cache FILE] [--json FILE] [--work DIR] [--fit] [--stages] [--device D]
 *   npm run bench:synth -- --per-stage [--only SUBSTRING] [--stage SUBSTRING]
 *
 * --cache FILE keeps Yosys' cells by design and RTL hash, so a cost-model change
 * is re-checked without synthesis; --fit prints LUT/FF coefficients fitted on
 * these designs together with bench/calibrate-cost.ts's stage grid (needs that
 * grid's cache: --stage-cache FILE); --stages prints the estimate per stage;
 * --per-stage synthesizes every stage of the selected designs alone instead.
 * docs/cost-model.md ("Whole designs") holds the table this prints.
 */
import { benchArgs, requireYosys } from './args.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildDesign, type Design } from '../generator/emit/design.js';
import { balancedFolding, resolveFolding, type Folding } from '../generator/emit/fold.js';
import { generate } from '../generator/emit/generate.js';
import type { ModelInfo } from '../generator/ir/analyze.js';
import { addCost, broadcastCost, COEF, FEATURES, fifoFeatures, fifoWcFeatures, outputStageCost, stageCost, stageFeatures, ZERO_COST, type Feature, type Features } from '../generator/map/cost.js';
import { lookupDevice } from '../generator/map/devices.js';
import { buildReport } from '../generator/map/report.js';
import { measured, xilinxCounts, type SynthCounts } from '../generator/synth/cells.js';
import { errorPct, synthDesign } from '../generator/synth/design.js';
import { runYosys } from '../generator/synth/yosys.js';
import { writeTreeAtomic } from '../generator/util/files.js';
import { zooModel } from '../generator/zoo/index.js';
import { MICRO_NETS, microModel } from '../generator/zoo/micro.js';
import { CONFIGS, fitCoefficients, loadCache, runAll, type FitRow } from './calibrate-cost.js';

/** The closing bounds (percent). */
export const BOUNDS = { lutPct: 15, bram36Pct: 10 } as const;

/** The device the designs are synthesized for: its flow is the cost model's (synth_xilinx, xc7 cells). */
export const CAL_DEVICE = 'xc7z020';

/** The device the designs are synthesized for (--device; default CAL_DEVICE): its family's flow and coefficients. */
let calDevice = CAL_DEVICE;

export interface CalDesign {
  readonly name: string;
  readonly model: () => ModelInfo;
  readonly fold: 'auto' | 'balanced';
}

const micro = (net: string, fold: CalDesign['fold']): CalDesign => ({
  name: `micro ${net} ${fold}`,
  model: () => microModel(MICRO_NETS.find((n) => n.name === net)!, 1).info,
  fold,
});
const zoo = (net: string, fold: CalDesign['fold']): CalDesign => ({ name: `${net} ${fold}`, model: () => zooModel(net).info, fold });

/**
 * Designs of different sizes: micro nets (one layer kind between the input and
 * the classifier) and the tiny SEP nets, with the default folding (one output
 * channel per step) and the balanced one (window cores on the k×k stages), and
 * ResNet-20 (the only one with tens of block RAMs).
 */
export const DESIGNS: readonly CalDesign[] = [
  micro('int8-conv-1x1', 'auto'),
  micro('sep-module', 'auto'),
  micro('concat', 'balanced'),
  micro('binconv-k3-s1-p1', 'balanced'),
  zoo('sepnet-tiny-28', 'auto'),
  zoo('sepnet-tiny-28', 'balanced'),
  zoo('sepnet-tiny-32', 'auto'),
  zoo('sepnet-tiny-32', 'balanced'),
  zoo('resnet20', 'auto'),
];

export function foldingOf(info: ModelInfo, fold: CalDesign['fold']): Folding {
  return fold === 'balanced' ? balancedFolding(info) : resolveFolding(info, undefined, 'default folding');
}

export interface DesignResult {
  readonly design: CalDesign;
  readonly estimate: SynthCounts;
  readonly synthesized: SynthCounts;
  readonly cells: Readonly<Record<string, number>>;
  readonly seconds: number | null;
  /** LUT/FF features summed over the design, and what the features do not cover (broadcasts, output stage, concat). */
  readonly features: { readonly lut: Features; readonly ff: Features };
  readonly offset: { readonly lut: number; readonly ff: number };
  readonly plan: Design;
}

/** Σ of the models' raw features over a design's stages and FIFOs, plus the unfeatured rest. */
export function designFeatures(d: Design): Pick<DesignResult, 'features' | 'offset'> {
  const zero = (): Features => Object.fromEntries(FEATURES.map((f) => [f, 0])) as Features;
  const lut = zero();
  const ff = zero();
  const add = (x: { lut: Features; ff: Features }): void => {
    for (const f of FEATURES) {
      lut[f] += x.lut[f];
      ff[f] += x.ff[f];
    }
  };
  const rest = [outputStageCost(d.classes)];
  for (const s of d.stages) {
    const x = stageFeatures(s);
    if (x) add(x);
    else rest.push(stageCost(s));
  }
  for (const f of d.fifos) add(f.wordBits === null ? fifoFeatures(f.depth, f.bits, f.lutram ? 'lutram' : 'auto') : fifoWcFeatures(f.depth, f.bits, f.wordBits));
  for (const i of d.instances.filter((x) => x.module === 'gr_broadcast')) {
    const p = (n: string): number => Number(i.params.find((q) => q.name === n)!.value);
    rest.push(broadcastCost(p('N'), p('DW')));
  }
  const r = addCost(ZERO_COST, ...rest);
  return { features: { lut, ff }, offset: { lut: r.lut, ff: r.ff } };
}

function rtlHash(info: ModelInfo, folding: Folding): string {
  const { files } = generate(info, { folding, device: calDevice, clockMhz: 100 });
  const h = createHash('sha256');
  for (const f of files) if (f.path !== 'manifest.json') h.update(f.path).update('\0').update(f.content).update('\0');
  return h.digest('hex').slice(0, 16);
}

type Cache = Map<string, { cells: Record<string, number>; seconds: number }>;

export async function runDesign(d: CalDesign, opts: { cache?: Cache; work?: string } = {}): Promise<DesignResult> {
  const device = lookupDevice(calDevice);
  const info = d.model();
  const folding = foldingOf(info, d.fold);
  const plan = buildDesign(info, folding);
  const t = buildReport(plan, info.model.name, device, { clockMhz: 100 }).totals;
  const estimate: SynthCounts = { lut: t.lut, ff: t.ff, dsp: t.dsp, bram36: t.bram36, uram: t.uram };
  const key = `${calDevice === CAL_DEVICE ? '' : `${calDevice} `}${d.name} ${rtlHash(info, folding)}`;
  let hit = opts.cache?.get(key);
  if (!hit) {
    const work = opts.work ? join(opts.work, d.name.replace(/[^\w.-]+/g, '_')) : mkdtempSync(join(tmpdir(), 'gen-rtl-synthcal-'));
    try {
      const r = await synthDesign(info, { folding, device, clockMhz: 100, workDir: work, timeoutSeconds: 4 * 3600 });
      hit = { cells: Object.fromEntries(r.cells), seconds: r.seconds };
      opts.cache?.set(key, hit);
    } finally {
      if (!opts.work) rmSync(work, { recursive: true, force: true });
    }
  }
  return { design: d, estimate, synthesized: xilinxCounts(new Map(Object.entries(hit.cells))), cells: hit.cells, seconds: hit.seconds, plan, ...designFeatures(plan) };
}

function pct(e: number | null): string {
  return e === null ? 'n/a' : `${e >= 0 ? '+' : ''}${e.toFixed(1)}%`;
}

export const TABLE_HEAD = [
  '| design | LUT est. / Yosys (err) | FF est. / Yosys (err) | DSP est. / Yosys | BRAM36 est. / Yosys (err) | Yosys time |',
  '|---|---|---|---|---|---|',
].join('\n');

export function tableRow(r: DesignResult): string {
  const e = r.estimate;
  const s = r.synthesized;
  return (
    `| ${r.design.name} | ${e.lut} / ${s.lut} (${pct(errorPct(e.lut, s.lut))}) | ${e.ff} / ${s.ff} (${pct(errorPct(e.ff, s.ff))}) | ` +
    `${e.dsp} / ${s.dsp} | ${e.bram36} / ${s.bram36} (${pct(errorPct(e.bram36, s.bram36))}) | ${r.seconds === null ? '' : `${Math.round(r.seconds)} s`} |`
  );
}

/** The bounds a design misses, as phrases (empty: within all). */
export function misses(r: DesignResult): string[] {
  const out: string[] = [];
  const e = r.estimate;
  const s = r.synthesized;
  if (e.dsp !== s.dsp) out.push(`DSP ${e.dsp} vs ${s.dsp}`);
  const lut = errorPct(e.lut, s.lut);
  if (lut === null || Math.abs(lut) > BOUNDS.lutPct) out.push(`LUT ${pct(lut)}`);
  const bram = errorPct(e.bram36, s.bram36);
  if (bram === null || Math.abs(bram) > BOUNDS.bram36Pct) out.push(`BRAM36 ${pct(bram)}`);
  return out;
}

/**
 * Each stage of a design synthesized alone (chparam on its core, as
 * bench/calibrate-cost.ts does), beside the stage's model: where a design's
 * error comes from. Rows: stage, module, fold, model LUT/FF/DSP/BRAM, Yosys.
 */
export async function runStages(d: CalDesign, jobs: number, only?: string): Promise<string[]> {
  const info = d.model();
  const folding = foldingOf(info, d.fold);
  const { files, design } = generate(info, { folding, device: null, clockMhz: 100 });
  const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-synthcal-stages-'));
  writeTreeAtomic(join(dir, 'design'), files, true);
  const sources = files.filter((f) => f.path.endsWith('.v') && !f.path.includes('gr_top_')).map((f) => f.path);
  const stages = design.stages.filter((s) => !only || s.info.layer.name.includes(only));
  const out = new Array<string>(stages.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < stages.length) {
      const i = next++;
      const s = stages[i]!;
      const r = await runYosys({ cwd: join(dir, 'design'), outDir: dir, name: `stage-${i}`, sources, top: s.module, command: 'synth_xilinx -flatten -family xc7', params: s.params });
      const y = measured(r.cells);
      const m = stageCost(s);
      const e = (a: number, b: number): string => pct(errorPct(a, b));
      out[i] = `| ${d.name} | ${s.info.layer.name} | ${s.module} pe ${s.fold.pe} simd ${s.fold.simd}${s.fold.window ? ' window' : ''} | ${m.lut} / ${y.lut} (${e(m.lut, y.lut)}) | ${m.ff} / ${y.ff} (${e(m.ff, y.ff)}) | ${m.dsp} / ${y.dsp} | ${m.bram36}+${m.bram18} / ${y.bram36}+${y.bram18} | ${y.lutram} |`;
      console.log(out[i]);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, () => worker()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function stageTable(r: DesignResult): string {
  const rows = r.plan.stages.map((s) => {
    const c = stageCost(s);
    return `    ${s.info.layer.name.padEnd(22)} ${s.module.padEnd(22)} pe ${String(s.fold.pe).padStart(2)} simd ${String(s.fold.simd).padStart(2)}${s.fold.window ? ' win' : '    '}  LUT ${String(c.lut).padStart(6)}  FF ${String(c.ff).padStart(6)}  DSP ${String(c.dsp).padStart(4)}  BRAM ${c.bram36}+${c.bram18}/2`;
  });
  return rows.join('\n');
}

async function main(): Promise<void> {
  const { opt, flag } = benchArgs();
  requireYosys();
  const cacheFile = opt('--cache');
  const cache: Cache = new Map();
  if (cacheFile) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, { cells: Record<string, number>; seconds: number }>)) cache.set(k, v);
    } catch {
      // no cache yet
    }
  }
  const saveCache = (): void => {
    if (cacheFile) writeFileSync(cacheFile, `${JSON.stringify(Object.fromEntries(cache), null, 1)}\n`);
  };
  const only = opt('--only');
  // Two at a time at most: the machines have two cores, shared.
  const jobs = Math.max(1, Math.min(2, Number(opt('--jobs') ?? 2)));
  calDevice = opt('--device') ?? CAL_DEVICE;
  const work = opt('--work');
  const designs = DESIGNS.filter((d) => !only || d.name.includes(only));
  if (flag('--per-stage')) {
    console.log('| design | stage | core | LUT model / Yosys | FF model / Yosys | DSP model / Yosys | BRAM36+BRAM18 model / Yosys | Yosys LUT-as-memory |\n|---|---|---|---|---|---|---|---|');
    for (const d of designs) await runStages(d, jobs, opt('--stage'));
    return;
  }
  const results = new Array<DesignResult>(designs.length);
  let next = 0;
  console.log(TABLE_HEAD);
  const worker = async (): Promise<void> => {
    while (next < designs.length) {
      const i = next++;
      const r = await runDesign(designs[i]!, { cache, ...(work !== undefined ? { work } : {}) });
      results[i] = r;
      saveCache();
      console.log(tableRow(r));
      if (flag('--stages')) console.log(stageTable(r));
    }
  };
  await Promise.all(Array.from({ length: jobs }, () => worker()));
  console.log(`\nin order:\n${TABLE_HEAD}\n${results.map(tableRow).join('\n')}`);
  const stats = (k: 'lut' | 'ff' | 'bram36'): string => {
    const e = results.map((r) => Math.abs(errorPct(r.estimate[k], r.synthesized[k]) ?? 100));
    return `mean |err| ${(e.reduce((a, b) => a + b, 0) / e.length).toFixed(1)}%, max ${Math.max(...e).toFixed(1)}%`;
  };
  console.log(`\nLUT: ${stats('lut')}\nFF:  ${stats('ff')}\nBRAM36: ${stats('bram36')}`);
  console.log(`DSP exact: ${results.filter((r) => r.estimate.dsp === r.synthesized.dsp).length}/${results.length}`);
  const off = results.map((r) => ({ name: r.design.name, m: misses(r) })).filter((x) => x.m.length);
  console.log(off.length ? `outside the bounds (DSP exact, LUT ±${BOUNDS.lutPct} %, BRAM36 ±${BOUNDS.bram36Pct} %): ${off.map((x) => `${x.name}: ${x.m.join(', ')}`).join('; ')}` : `all ${results.length} designs within the bounds (DSP exact, LUT ±${BOUNDS.lutPct} %, BRAM36 ±${BOUNDS.bram36Pct} %)`);

  if (flag('--fit')) {
    const stageCache = opt('--stage-cache');
    const rows: FitRow[] = results.map((r) => ({ features: r.features, yosys: r.synthesized, offset: r.offset, weight: Number(opt('--design-weight') ?? 1) }));
    if (stageCache) {
      loadCache(stageCache);
      rows.push(...(await runAll(CONFIGS, jobs)));
    }
    const fixed: Feature[] = ['lutram', 'romLogic'];
    const show = (c: Record<Feature, number>): string => `{ ${FEATURES.map((f) => `${f}: ${Number(c[f].toFixed(3))}`).join(', ')} }`;
    console.log(`\nfitted on ${rows.length} rows (relative least squares, non-negative):`);
    console.log(`  lut: ${show(fitCoefficients(rows, 'lut', fixed))}`);
    console.log(`  ff: ${show(fitCoefficients(rows, 'ff', fixed))}`);
    console.log(`  current lut: ${show(COEF.lut)}\n  current ff: ${show(COEF.ff)}`);
  }
  const json = opt('--json');
  if (json) writeFileSync(json, `${JSON.stringify(results.map((r) => ({ design: r.design.name, estimate: r.estimate, synthesized: r.synthesized, seconds: r.seconds, cells: r.cells })), null, 1)}\n`);
  process.exitCode = off.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

/**
 * The paper's Table 5 networks on every known device: parameter counts per binarize policy next to
 * the paper's, then for each model and device whether the mapper fits it (on-chip memory under the
 * device's and under the 10 MiB budget, LUT/FF/DSP/block RAM under the optimizer's caps), what limits
 * it, and its throughput at the device's default clock — what `gen-rtl report X.sepb --device D`
 * says, for docs/model-zoo.md.
 * Run: npm run bench:fit [-- --models googlenet:kxk,c-inceptionnet:kxk] [--devices xcvu9p,xczu9eg] [--json]
 * (a model is NAME or NAME:POLICY; each GoogLeNet takes about 10 s to quantize and 2-5 s per device).
 */
import { deviceReport } from '../generator/cli/commands.js';
import { DEVICES } from '../generator/map/devices.js';
import type { Report } from '../generator/map/report.js';
import { summarize } from '../generator/report/summary.js';
import { zooModel } from '../generator/zoo/index.js';
import { benchArgs } from './args.js';

/** Paper Table 5 (millions of parameters) by zoo model and policy. */
const PAPER: Readonly<Record<string, { full: number; pattern: Readonly<Record<string, number>> }>> = {
  googlenet: { full: 6.99, pattern: { '3x3': 4.43, '5x5': 6.43, '3x3,5x5': 3.87 } },
  'c-inceptionnet': { full: 5.1, pattern: { kxk: 2.43 } },
};

const DEFAULT_MODELS = ['googlenet:kxk', 'c-inceptionnet:kxk', 'googlenet:3x3', 'googlenet:5x5', 'googlenet:3x3,5x5'];

const args = benchArgs();
const models = (args.opt('--models')?.split(/,(?=[a-z])/) ?? DEFAULT_MODELS).map((m) => {
  const [name, policy = 'kxk'] = m.split(':');
  return { name: name!, policy };
});
const devices = args.opt('--devices')?.split(',') ?? DEVICES.map((d) => d.name);

const num = (v: number): string => v.toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);

/** A fit problem as "LUTs 423,471 / 53,200" (needed / on the device), else its first clause. */
function problem(p: string): string {
  const m = /^([^:]+): needs ([\d,.]*\d)[^,]*?(?: \(([\d.]+ MiB)\))?, \S+ has ([\d,.]*\d)[^,]*?(?: \(([\d.]+ MiB)\))?,/.exec(p);
  if (!m) return p.replace(/;.*$/, '');
  return m[3] !== undefined && m[5] !== undefined ? `${m[1]} ${m[3]} / ${m[5]}` : `${m[1]} ${m[2]} / ${m[4]}`;
}

/** Fits: what bounds the throughput; does not fit: every resource over, needed / on the device. */
function limit(r: Report): string {
  return r.fits ? `${r.bottleneck.resource} (${r.bottleneck.stage})` : r.fitProblems.map(problem).join(' · ');
}

const json = args.flag('--json');
const params: { model: string; policy: string; full: number; pattern: number; paperFull: number | null; paperPattern: number | null }[] = [];
const fit: object[] = [];
// The fit rows print as they come (a whole run takes minutes); the parameter table follows them.
if (!json) {
  console.log('| model | --binarize | device | fits | fits: what bounds the rate; else what is over (needed / device) | clock MHz | images/s | on-chip MiB |');
  console.log('|---|---|---|---|---|---|---|---|');
}
let mapSeconds = 0;
for (const m of models) {
  const t0 = performance.now();
  const { info } = zooModel(m.name, 1, m.policy);
  const s = summarize(info);
  const paper = PAPER[m.name];
  params.push({ model: m.name, policy: m.policy, full: s.params.full, pattern: s.params.pattern, paperFull: paper?.full ?? null, paperPattern: paper?.pattern[m.policy] ?? null });
  console.error(`${m.name} --binarize ${m.policy}: quantized in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const device of devices) {
    const t = performance.now();
    const r = deviceReport(info, { device, deviceFile: undefined, clockMhz: undefined, fold: 'auto', maxUtil: undefined, targetFps: undefined, onchipLimit: undefined });
    const seconds = (performance.now() - t) / 1000;
    mapSeconds += seconds;
    console.error(`  ${device}: mapped in ${seconds.toFixed(1)} s`);
    if (json) {
      fit.push({ model: m.name, policy: m.policy, device, fits: r.fits, fitProblems: r.fitProblems, bottleneck: r.bottleneck, clockMhz: r.clockMhz, fps: r.fps, onchipBytes: r.totals.onchipBytes, mapSeconds: seconds });
    } else {
      console.log(`| ${m.name} | ${m.policy} | ${device} | ${r.fits ? 'yes' : 'no'} | ${limit(r)} | ${r.clockMhz} | ${r.fits ? num(Math.round(r.fps)) : '—'} | ${mb(r.totals.onchipBytes)} |`);
    }
  }
}

if (json) {
  console.log(JSON.stringify({ params, fit }, null, 2));
} else {
  console.log('');
  console.log('| model | --binarize | full params | paper full | pattern params | paper pattern |');
  console.log('|---|---|---|---|---|---|');
  for (const p of params) {
    const paper = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)} M`);
    console.log(`| ${p.model} | ${p.policy} | ${num(p.full)} | ${paper(p.paperFull)} | ${num(p.pattern)} | ${paper(p.paperPattern)} |`);
  }
}
console.error(`mapping: ${models.length * devices.length} reports in ${mapSeconds.toFixed(1)} s`);

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

const DEFAULT_MODELS = ['googlenet:kxk', 'googlenet:3x3', 'googlenet:5x5', 'googlenet:3x3,5x5', 'c-inceptionnet:kxk'];

const args = benchArgs();
const models = (args.opt('--models')?.split(/,(?=[a-z])/) ?? DEFAULT_MODELS).map((m) => {
  const [name, policy = 'kxk'] = m.split(':');
  return { name: name!, policy };
});
const devices = args.opt('--devices')?.split(',') ?? DEVICES.map((d) => d.name);

const num = (v: number): string => v.toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);

interface Row {
  readonly model: string;
  readonly policy: string;
  readonly device: string;
  readonly report: Report;
  readonly seconds: number;
}

const params: { model: string; policy: string; full: number; pattern: number; paperFull: number | null; paperPattern: number | null }[] = [];
const rows: Row[] = [];
for (const m of models) {
  const t0 = performance.now();
  const { info } = zooModel(m.name, 1, m.policy);
  const s = summarize(info);
  const paper = PAPER[m.name];
  params.push({ model: m.name, policy: m.policy, full: s.params.full, pattern: s.params.pattern, paperFull: paper?.full ?? null, paperPattern: paper?.pattern[m.policy] ?? null });
  if (!args.flag('--json')) console.error(`${m.name} --binarize ${m.policy}: quantized in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const device of devices) {
    const t = performance.now();
    const report = deviceReport(info, { device, deviceFile: undefined, clockMhz: undefined, fold: 'auto', maxUtil: undefined, targetFps: undefined, onchipLimit: undefined });
    rows.push({ model: m.name, policy: m.policy, device, report, seconds: (performance.now() - t) / 1000 });
  }
}

/** Fits: what bounds the throughput; does not fit: every fit problem without its advice. */
function limit(r: Report): string {
  return r.fits ? `${r.bottleneck.resource} (${r.bottleneck.stage})` : r.fitProblems.map((p) => p.replace(/;.*$/, '')).join(' · ');
}

if (args.flag('--json')) {
  console.log(
    JSON.stringify(
      {
        params,
        fit: rows.map((r) => ({
          model: r.model,
          policy: r.policy,
          device: r.device,
          fits: r.report.fits,
          fitProblems: r.report.fitProblems,
          bottleneck: r.report.bottleneck,
          clockMhz: r.report.clockMhz,
          fps: r.report.fps,
          onchipBytes: r.report.totals.onchipBytes,
          mapSeconds: r.seconds,
        })),
      },
      null,
      2,
    ),
  );
} else {
  console.log('| model | --binarize | full params | paper full | pattern params | paper pattern |');
  console.log('|---|---|---|---|---|---|');
  for (const p of params) {
    const paper = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)} M`);
    console.log(`| ${p.model} | ${p.policy} | ${num(p.full)} | ${paper(p.paperFull)} | ${num(p.pattern)} | ${paper(p.paperPattern)} |`);
  }
  console.log('');
  console.log('| model | --binarize | device | fits | limit (fits: what bounds the rate; else why not) | clock MHz | images/s | on-chip MiB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const rep = r.report;
    console.log(`| ${r.model} | ${r.policy} | ${r.device} | ${rep.fits ? 'yes' : 'no'} | ${limit(rep)} | ${rep.clockMhz} | ${num(Math.round(rep.fps))} | ${mb(rep.totals.onchipBytes)} |`);
  }
  const total = rows.reduce((t, r) => t + r.seconds, 0);
  console.error(`mapping: ${rows.length} reports in ${total.toFixed(1)} s`);
}

/**
 * Every input parser under many more fuzz cases than CI runs: .sepb container
 * and model, ONNX import, image/label loaders (IDX, NPY, PNG), label files,
 * folding JSON and device JSON. Prints one row per parser and exits 1 if any
 * case crashed (an exception other than a one-line GenRtlError, a case over
 * 5 s) or memory passed 1 GiB.
 * Run: npm run fuzz [-- --cases N] [--seed S] [--only NAME]
 *   --cases N  cases per parser (default: 10 times what CI runs)
 *   --seed S   seed of every parser's case stream (default 1)
 *   --only S   parsers whose name contains S
 */
import { cpus } from 'node:os';
import { containerTarget } from '../test/fuzz/container.js';
import { devicesTarget } from '../test/fuzz/devices.js';
import { foldTarget } from '../test/fuzz/fold.js';
import { type FuzzStats, type FuzzTarget, MAX_CASE_MS, runFuzz } from '../test/fuzz/harness.js';
import { imagesTarget } from '../test/fuzz/images.js';
import { labelsTarget } from '../test/fuzz/labels.js';
import { modelTarget } from '../test/fuzz/model.js';
import { onnxTarget } from '../test/fuzz/onnx.js';
import { benchArgs } from './args.js';

const TARGETS: readonly FuzzTarget[] = [containerTarget, modelTarget, onnxTarget, imagesTarget, labelsTarget, foldTarget, devicesTarget];
const MAX_RSS_MB = 1024;

const args = benchArgs();
const casesArg = args.opt('--cases');
const seed = Number(args.opt('--seed') ?? 1);
const only = args.opt('--only');
if ((casesArg !== undefined && !(Number(casesArg) > 0)) || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz [-- --cases N] [--seed S] [--only NAME]');
  process.exit(2);
}
const targets = TARGETS.filter((t) => only === undefined || t.name.toLowerCase().includes(only.toLowerCase()));

const row = (cells: readonly (string | number)[]): string =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(28) : String(c).padStart(i === cells.length - 1 ? 9 : 10))).join(' ');

console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, seed ${seed}`);
console.log(row(['parser', 'cases', 'rejected', 'accepted', 'crashes', 'slowest ms', 'seconds', 'peak MiB']));
const all: FuzzStats[] = [];
const t0 = performance.now();
for (const t of targets) {
  const start = performance.now();
  const s = runFuzz(t, casesArg === undefined ? 10 * t.ciCases : Number(casesArg), seed);
  all.push(s);
  console.log(row([t.name, s.cases, s.rejected, s.accepted, s.crashes.length, s.slowestMs.toFixed(1), ((performance.now() - start) / 1000).toFixed(1), s.peakRssMb.toFixed(0)]));
}
const sum = (f: (s: FuzzStats) => number): number => all.reduce((n, s) => n + f(s), 0);
const peak = Math.max(...all.map((s) => s.peakRssMb));
console.log(
  row(['total', sum((s) => s.cases), sum((s) => s.rejected), sum((s) => s.accepted), sum((s) => s.crashes.length), Math.max(...all.map((s) => s.slowestMs)).toFixed(1), ((performance.now() - t0) / 1000).toFixed(1), peak.toFixed(0)]),
);
console.log('rejected: a one-line GenRtlError naming the file and the problem; peak MiB: the process\'s peak resident memory so far');
const crashes = all.flatMap((s) => s.crashes);
for (const c of crashes.slice(0, 50)) console.log(`CRASH ${c}`);
if (crashes.length > 0 || peak > MAX_RSS_MB) {
  console.log(`FAILED: ${crashes.length} crashes (limit per case ${MAX_CASE_MS} ms), peak ${peak.toFixed(0)} MiB (limit ${MAX_RSS_MB})`);
  process.exit(1);
}

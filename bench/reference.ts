/**
 * Benchmark: the integer (and float) reference on one image for the large zoo
 * models. Prints the median of several runs; target for SEP-Net small at
 * 224x224x3 is under 5 s on the 2-core CI machines.
 * Run: npm run bench:reference [-- --runs N]
 */
import { cpus } from 'node:os';
import { readModel, writeModel } from '../generator/format/model-file.js';
import { runFloat } from '../generator/reference/float.js';
import { runInteger } from '../generator/reference/integer.js';
import { syntheticImages, zooModel } from '../generator/zoo/index.js';
import { median } from './bench-lib.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

function time(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${RUNS} runs each (median)`);
console.log('model           MACs/image   load .sepb   integer ref   float ref');
for (const name of ['sepnet-small', 'sepnet-large', 'resnet56']) {
  const bytes = writeModel(zooModel(name).info);
  let info = readModel(bytes, name);
  const load = median(Array.from({ length: RUNS }, () => time(() => (info = readModel(bytes, name)))));
  const s = info.input;
  const [img] = syntheticImages(s.height, s.width, s.channels, 1, 123);
  const int = median(Array.from({ length: RUNS }, () => time(() => runInteger(info, img!))));
  const flt = median(Array.from({ length: RUNS }, () => time(() => runFloat(info, img!))));
  const macs = info.totals.binaryMacs + info.totals.int8Macs;
  console.log(`${name.padEnd(14)} ${(macs / 1e6).toFixed(0).padStart(8)} M ${load.toFixed(0).padStart(9)} ms ${int.toFixed(0).padStart(10)} ms ${flt.toFixed(0).padStart(8)} ms`);
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);

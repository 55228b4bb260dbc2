/**
 * Benchmark (not CI): SEP-Net small at 224x224x3 generated with the balanced
 * folding, built in Verilator, one image co-simulated bit-exact against the
 * integer reference. Prints build time, simulation time and cycles per image.
 * Target: under 15 minutes in all on the 2-core machines.
 * The balanced folding without window cores by default (the design Verilator
 * builds within the target); --window 1 allows them (a much larger build).
 * Run: npm run bench:cosim [-- --model sepnet-small --images 1 --window 0|1]
 */
import { performance } from 'node:perf_hooks';
import { cosim } from '../generator/cosim/cosim.js';
import { balancedFolding } from '../generator/emit/fold.js';
import { syntheticImages, zooModel } from '../generator/zoo/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

const name = arg('model', 'sepnet-small');
const count = Number(arg('images', '1'));
const t0 = performance.now();
const { info } = zooModel(name);
const s = info.input;
const images = syntheticImages(s.height, s.width, s.channels, count, 77);
const r = cosim(info, {
  simulator: 'verilator',
  images,
  folding: balancedFolding(info, { window: arg('window', '0') === '1' }),
  seed: 1,
  stall: 0,
  progress: (m) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}`),
});
const total = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ ...r, totalSeconds: total }, null, 2));
console.log(
  `${name}: ${r.images} image(s), ${r.mismatches} mismatches, status ${r.status}; latency ${r.latencyCycles} cycles, ` +
    `predicted ${r.predictedCyclesPerImage} cycles/image; build ${r.buildSeconds.toFixed(0)} s, simulation ${r.runSeconds.toFixed(0)} s, total ${total.toFixed(0)} s`,
);
process.exitCode = r.mismatches === 0 && r.status === 'ok' ? 0 : 1;

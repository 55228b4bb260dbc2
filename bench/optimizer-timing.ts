/**
 * One device's optimizer timing for `npm run bench`, in its own process so the
 * bench can give up on a device after a time limit (the optimizer is
 * synchronous). Prints one JSON line: the run times (s) and the result.
 * Run: tsx bench/optimizer-timing.ts MODEL DEVICE RUNS
 */
import { performance } from 'node:perf_hooks';
import { lookupDevice } from '../generator/map/devices.js';
import { optimizeFolding, type Optimized } from '../generator/map/optimize.js';
import { zooModel } from '../generator/zoo/index.js';

export interface OptimizerTiming {
  readonly seconds: readonly number[];
  readonly cyclesPerImage: number;
  readonly bottleneck: Optimized['bottleneck'];
  readonly mostFolded: boolean;
}

const [model, deviceName, runs] = process.argv.slice(2);
const { info } = zooModel(model!);
const device = lookupDevice(deviceName!);
const seconds: number[] = [];
let o: Optimized | undefined;
for (let i = 0; i < Number(runs); i++) {
  const t = performance.now();
  o = optimizeFolding(info, { device, clockMhz: device.maxClockMhzHint });
  seconds.push((performance.now() - t) / 1000);
}
const out: OptimizerTiming = { seconds, cyclesPerImage: o!.cyclesPerImage, bottleneck: o!.bottleneck, mostFolded: o!.mostFolded };
console.log(JSON.stringify(out));

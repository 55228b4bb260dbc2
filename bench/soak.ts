/**
 * Random-network co-simulation soak (not CI; CI runs test/cosim/soak.test.ts): N random valid
 * networks (bench/random-net.ts), each generated, built and co-simulated with random stalls,
 * compared bit for bit with the integer reference. One line per design, a total at the end.
 * Every failing case is shrunk (greedy: drop blocks, fewer channels, plainer head, no extremes,
 * smaller image, fewer images) while it still fails, and saved under soak-failures/<seed>/ with
 * the spec, the minimized model (.sepb), its folding, its images (NPY) and the commands that
 * reproduce it.
 * Run: npm run soak -- --designs N [--seed S] [--sim verilator|iverilog] [--out DIR] [--no-minimize]
 *        [--max-blocks B (4)] [--window P (0.3): probability of a window core per k×k stage]
 *        [--pack P (0.5): probability that a stage with int8 products and an even PE shares its multipliers]
 *        [--shrink-budget N (40 co-simulations)] [--plant-fault: flip a bit of the first weight ROM,
 *        to see a failure found, shrunk and saved]
 * Exit status 1 when any design failed.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { foldingJson } from '../generator/cli/commands.js';
import type { SimulatorName } from '../generator/cosim/simulators.js';
import { writeModel } from '../generator/format/model-file.js';
import type { Pixels } from '../generator/reference/run.js';
import { benchArgs } from './args.js';
import { buildNet, describeNet, randomSpec, soakDesign, type Block, type NetSpec, type SoakOutcome } from './random-net.js';

const args = benchArgs();
const designs = Number(args.opt('--designs') ?? '20');
const first = Number(args.opt('--seed') ?? '1');
const sim = (args.opt('--sim') ?? 'verilator') as SimulatorName;
const outDir = args.opt('--out') ?? 'soak-failures';
const minimize = !args.flag('--no-minimize');
const maxBlocks = Number(args.opt('--max-blocks') ?? '4');
const window = Number(args.opt('--window') ?? '0.3');
const pack = Number(args.opt('--pack') ?? '0.5');
const shrinkBudget = Number(args.opt('--shrink-budget') ?? '40');
const plantFault = args.flag('--plant-fault');

/** --plant-fault: flips the lowest bit of the first row of the first weight ROM (a stage's w0). */
function fault(designDir: string): void {
  const mem = join(designDir, 'mem');
  const file = readdirSync(mem).filter((f) => f.endsWith('_w0.hex')).sort()[0];
  if (file === undefined) return;
  const rows = readFileSync(join(mem, file), 'utf8').split('\n');
  const last = parseInt(rows[0]!.slice(-1), 16);
  rows[0] = rows[0]!.slice(0, -1) + (last ^ 1).toString(16);
  writeFileSync(join(mem, file), rows.join('\n'));
}
const simOpts = { simulator: sim, ...(plantFault ? { afterGenerate: fault } : {}) };
if (!Number.isSafeInteger(designs) || designs < 1 || !Number.isSafeInteger(first) || (sim !== 'verilator' && sim !== 'iverilog')) {
  console.error('usage: npm run soak -- --designs N [--seed S] [--sim verilator|iverilog] [--out DIR] [--no-minimize]');
  process.exit(2);
}

function verdict(o: SoakOutcome): string {
  if (o.error !== null) return `ERROR ${o.error.split('\n')[0]!.slice(0, 200)}`;
  const r = o.result!;
  const lm = r.firstLayerMismatch;
  return `${r.mismatches} mismatches, ${r.status}${lm ? `; first differing layer ${lm.layer} (${lm.kind}) image ${lm.image} (${lm.pixel.y},${lm.pixel.x}) ch ${lm.channel}: expected ${lm.expected}, got ${lm.got}` : ''}`;
}

/** Smaller variants of a spec, most aggressive first. */
function shrinkings(s: NetSpec): NetSpec[] {
  const out: NetSpec[] = [];
  s.blocks.forEach((_, i) => out.push({ ...s, blocks: s.blocks.filter((_b, k) => k !== i) }));
  s.blocks.forEach((b, i) => {
    const swap = (bs: readonly Block[]): NetSpec => ({ ...s, blocks: [...s.blocks.slice(0, i), ...bs, ...s.blocks.slice(i + 1)] });
    if (b.kind === 'concat') b.branches.forEach((br) => out.push(swap(br)));
    if (b.kind === 'residual') out.push(swap(b.inner));
    if ((b.kind === 'conv' || b.kind === 'prb') && b.out > b.groups) out.push(swap([{ ...b, out: b.groups * Math.max(1, Math.floor(b.out / b.groups / 2)) }]));
  });
  if (s.head !== 'gap') out.push({ ...s, head: 'gap-fc', classes: 2 });
  if (s.extremes > 0) out.push({ ...s, extremes: 0 });
  if (s.images > 1) out.push({ ...s, images: s.images - 1 });
  if (s.input.height > 3) out.push({ ...s, input: { ...s.input, height: s.input.height - 1 } });
  if (s.input.width > 3) out.push({ ...s, input: { ...s.input, width: s.input.width - 1 } });
  if (s.stall > 0) out.push({ ...s, stall: 0 });
  if (s.window > 0) out.push({ ...s, window: 0 });
  if (s.pack > 0) out.push({ ...s, pack: 0 });
  return out;
}

/** Greedy: take the first smaller variant that still fails, until none does or the budget is spent. */
function shrink(o: SoakOutcome, budget: number): SoakOutcome {
  let best = o;
  let tries = 0;
  for (let progress = true; progress && tries < budget; ) {
    progress = false;
    for (const cand of shrinkings(best.net.spec)) {
      if (tries >= budget) break;
      try {
        buildNet(cand);
      } catch {
        continue; // not a valid network
      }
      tries++;
      const r = soakDesign(cand, simOpts);
      if (r.failed) {
        best = r;
        progress = true;
        console.log(`    shrunk: ${describeNet(r.net)}: ${verdict(r)}`);
        break;
      }
    }
  }
  return best;
}

/** The images as an (N, H, W, C) uint8 NPY file, for `gen-rtl cosim --dataset`. */
function npy(images: readonly Pixels[]): Uint8Array {
  const s = images[0]!;
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${images.length}, ${s.height}, ${s.width}, ${s.channels}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  head.set(new TextEncoder().encode(header), 10);
  const out = new Uint8Array(head.length + images.length * s.data.length);
  out.set(head);
  images.forEach((px, i) => out.set(px.data, head.length + i * s.data.length));
  return out;
}

function save(o: SoakOutcome, min: SoakOutcome): string {
  const dir = join(outDir, String(o.net.spec.seed));
  mkdirSync(dir, { recursive: true });
  const m = min.net;
  writeFileSync(join(dir, 'spec.json'), `${JSON.stringify(o.net.spec, null, 2)}\n`);
  writeFileSync(join(dir, 'min-spec.json'), `${JSON.stringify(m.spec, null, 2)}\n`);
  writeFileSync(join(dir, 'model.sepb'), writeModel(m.info));
  writeFileSync(join(dir, 'fold.json'), foldingJson(m.folding));
  writeFileSync(join(dir, 'images.npy'), npy(m.images));
  const repro = [
    `# seed ${o.net.spec.seed}: ${describeNet(o.net)}`,
    `#   ${verdict(o)}`,
    `# minimized: ${describeNet(m)}${m.extremes.length ? `; extremes: ${m.extremes.join('; ')}` : ''}`,
    `#   ${verdict(min)}`,
    `npm run soak -- --designs 1 --seed ${o.net.spec.seed} --sim ${sim} --max-blocks ${maxBlocks} --window ${window} --pack ${pack} --no-minimize${plantFault ? ' --plant-fault' : ''}`,
    `npx gen-rtl cosim ${dir}/model.sepb --fold ${dir}/fold.json --dataset ${dir}/images.npy --limit ${m.images.length} --stall ${m.spec.stall} --seed ${m.spec.seed} --sim ${sim}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'repro.txt'), repro);
  return dir;
}

const t0 = performance.now();
let images = 0;
let mismatches = 0;
let failures = 0;
let buildSeconds = 0;
for (let seed = first; seed < first + designs; seed++) {
  const spec = randomSpec(seed, { maxBlocks, window, pack });
  const o = soakDesign(spec, simOpts);
  images += o.result?.images ?? 0;
  mismatches += o.result?.mismatches ?? 0;
  buildSeconds += o.result?.buildSeconds ?? 0;
  const layers = o.net.info.layers.length - 1;
  console.log(
    `seed ${seed}: ${layers} layers ${describeNet(o.net)}; ${o.net.images.length} images, stall ${spec.stall}, ${o.net.extremes.length} extremes: ` +
      `${verdict(o)}; build ${o.result?.buildSeconds.toFixed(1) ?? '-'} s + run ${o.result?.runSeconds.toFixed(2) ?? '-'} s (${o.seconds.toFixed(1)} s)`,
  );
  if (o.failed) {
    failures++;
    const min = minimize ? shrink(o, shrinkBudget) : o;
    console.log(`  saved to ${save(o, min)}`);
  }
}
const total = (performance.now() - t0) / 1000;
console.log(
  `total: ${designs} designs, ${images} images, ${mismatches} mismatches, ${failures} failing designs; ` +
    `${total.toFixed(0)} s (${(total / designs).toFixed(1)} s/design, build ${(buildSeconds / designs).toFixed(1)} s/design)`,
);
process.exitCode = failures > 0 ? 1 : 0;

/**
 * Benchmark (not CI): every performance figure of issue 8 with its target —
 * gen-rtl end to end (the built CLI, as a user runs it), the folding
 * optimizer per device, the integer and float references next to
 * onnxruntime on the same float network, Verilator build and simulation
 * speed, and the generated hardware per device against the DSP roofline.
 * Prints a table and writes bench/results.json.
 *
 * Hardware cycles are measured by co-simulation where that is affordable (the
 * tiny nets, on every device's optimizer design); for SEP-Net small the
 * optimizer's designs are far too large to build in Verilator here, so those
 * rows show the model's predicted cycles and say so.
 *
 * Run: npm run bench [-- --quick] [-- --runs N] [-- --out FILE]
 *   --quick  fewer runs; skips the SEP-Net small Verilator run
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { cosim, type CosimResult } from '../generator/cosim/cosim.js';
import { balancedFolding, type Folding } from '../generator/emit/fold.js';
import type { ModelInfo } from '../generator/ir/analyze.js';
import { capacityOf } from '../generator/map/report.js';
import { DEVICES, type Device } from '../generator/map/devices.js';
import { optimizeFolding } from '../generator/map/optimize.js';
import { foldingJson } from '../generator/cli/commands.js';
import { EXPORT_INPUT, exportOnnx, pixelsToNchw } from '../generator/onnx/export.js';
import { runFloat } from '../generator/reference/float.js';
import { runInteger } from '../generator/reference/integer.js';
import { syntheticImages, zooModel, zooNames } from '../generator/zoo/index.js';
import { benchArgs } from './args.js';
import type { OptimizerTiming } from './optimizer-timing.js';
import { efficiency, figure, median, renderTable, ResultsSchema, rooflineCycles, skipped, type Figure, type Results } from './bench-lib.js';

const args = benchArgs();
const QUICK = args.flag('--quick');
const RUNS = Number(args.opt('--runs') ?? (QUICK ? 3 : 5));
const OUT = args.opt('--out') ?? 'bench/results.json';
const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/generator/cli/main.js');
/** The device of the end-to-end runs and of the efficiency target. */
const MAIN_DEVICE = 'xczu7ev';
/** End-to-end models and their targets (s); googlenet only once the zoo has it. */
const E2E: readonly { readonly name: string; readonly targetS: number }[] = [
  { name: 'sepnet-small', targetS: 2 },
  { name: 'sepnet-large', targetS: 2 },
  { name: 'googlenet', targetS: 5 },
].filter((m) => zooNames().includes(m.name));
const TINY = ['sepnet-tiny-28', 'sepnet-tiny-32'].filter((n) => zooNames().includes(n));
/** Images per co-simulation: the steady-state interval needs at least two. */
const COSIM_IMAGES = 3;
/** Images for the simulation speed of the tiny nets: enough that the run is not all start-up. */
const SPEED_IMAGES = 20;

const work = mkdtempSync(join(tmpdir(), 'gen-rtl-bench-'));
const t0 = performance.now();
const figures: Figure[] = [];
const loadAtStart = loadavg();

function log(msg: string): void {
  console.error(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${msg}`);
}

function add(f: Figure): void {
  figures.push(f);
  log(`${f.name}: ${f.value === null ? 'n/a' : `${f.value} ${f.unit}`}${f.note ? ` (${f.note})` : ''}`);
}

function seconds(f: () => void): number {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}

function repeat(n: number, f: () => void): number[] {
  return Array.from({ length: n }, () => seconds(f));
}

function tryCmd(cmd: string, argv: readonly string[]): string | null {
  try {
    return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

// ---- gen-rtl end to end: the built CLI, load → map (optimizer on the device) → emit ----

function endToEnd(): void {
  log('npm run build');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const haveTime = tryCmd('/usr/bin/time', ['-f', '%M', 'true']) !== null;
  for (const { name, targetS } of E2E) {
    const sepb = join(work, `${name}.sepb`);
    execFileSync('node', [CLI, 'zoo', name, '--out', sepb], { stdio: 'ignore' });
    const rss: number[] = [];
    const times = repeat(RUNS, () => {
      const memFile = join(work, 'rss.txt');
      const argv = [CLI, 'generate', sepb, '--out', join(work, `${name}-out`), '--device', MAIN_DEVICE, '--force'];
      const r = haveTime ? spawnSync('/usr/bin/time', ['-f', '%M', '-o', memFile, 'node', ...argv], { stdio: 'ignore' }) : spawnSync('node', argv, { stdio: 'ignore' });
      // Exit 1 is "does not fit": the design is still written in full.
      if (r.status !== 0 && r.status !== 1) throw new Error(`gen-rtl generate ${name} exited ${r.status}`);
      if (haveTime) rss.push(Number(readFileSync(memFile, 'utf8').trim().split('\n').pop()) / 1024);
    });
    add(figure(`gen-rtl generate ${name} (${MAIN_DEVICE})`, median(times), 's', { kind: 'max', value: targetS }, RUNS, 'wall time of the built CLI: load .sepb, optimize, emit, write (vendor handoff included)'));
    add(
      haveTime
        ? figure(`gen-rtl generate ${name}: peak memory`, Math.round(median(rss)), 'MB', { kind: 'max', value: 500 }, RUNS, 'max RSS of the CLI process (/usr/bin/time)')
        : skipped(`gen-rtl generate ${name}: peak memory`, 'MB', { kind: 'max', value: 500 }, '/usr/bin/time not found'),
    );
  }
}

// ---- the folding optimizer, per device ----

/** A device's optimizer runs, all together, get this long (s) before the bench gives up on it. */
const OPTIMIZER_LIMIT_S = 120;

/**
 * Each device in its own process (bench/optimizer-timing.ts), so one that runs
 * for minutes is stopped at the limit and reported, not waited for.
 */
function optimizerPerDevice(model: string): Map<string, OptimizerTiming> {
  const chosen = new Map<string, OptimizerTiming>();
  const target = { kind: 'max' as const, value: 1 };
  for (const d of DEVICES) {
    const name = `optimizer ${model} on ${d.name}`;
    // node --import tsx (not npx tsx): one process, so the timeout's kill stops the optimizer itself.
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/optimizer-timing.ts'), model, d.name, String(RUNS)], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: OPTIMIZER_LIMIT_S * 1000,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (r.status !== 0) {
      const why = r.error && (r.error as { code?: string }).code === 'ETIMEDOUT' ? `did not finish ${RUNS} runs within ${OPTIMIZER_LIMIT_S} s (stopped)` : `failed (exit ${r.status ?? r.signal})`;
      add({ ...skipped(name, 's', target, why), met: false });
      continue;
    }
    const t = JSON.parse(r.stdout.trim().split('\n').pop()!) as OptimizerTiming;
    chosen.set(d.name, t);
    add(figure(name, median(t.seconds), 's', target, t.seconds.length, `${t.cyclesPerImage.toLocaleString('en-US')} cycles/image at ${d.maxClockMhzHint} MHz`));
  }
  return chosen;
}

// ---- the references next to onnxruntime ----

async function references(info: ModelInfo): Promise<void> {
  const s = info.input;
  const [img] = syntheticImages(s.height, s.width, s.channels, 1, 123);
  const target = { kind: 'max' as const, value: 2 };
  const intS = median(repeat(RUNS, () => runInteger(info, img!)));
  const fltS = median(repeat(RUNS, () => runFloat(info, img!)));
  const what = `${info.model.name} ${s.height}x${s.width}x${s.channels}, one image`;
  add(figure(`integer reference ${info.model.name}`, intS, 's/image', target, RUNS, what));
  add(figure(`float reference ${info.model.name}`, fltS, 's/image', target, RUNS, what));
  const session = await InferenceSession.create(exportOnnx(info));
  const feeds = { [EXPORT_INPUT]: new Tensor('float32', pixelsToNchw(img!), [1, s.channels, s.height, s.width]) };
  await session.run(feeds); // warm-up: the first run plans memory
  const ortTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await session.run(feeds);
    ortTimes.push((performance.now() - t) / 1000);
  }
  await session.release();
  const ortS = median(ortTimes);
  const ortNote = 'the float network exported to ONNX (generator/onnx/export.ts), default session options (all cores), after one warm-up run';
  add(figure(`onnxruntime-node ${info.model.name}`, ortS, 's/image', null, RUNS, ortNote));
  add(figure(`integer reference / onnxruntime`, intS / ortS, 'x', null, RUNS, 'how many times slower than onnxruntime'));
  add(figure(`float reference / onnxruntime`, fltS / ortS, 'x', null, RUNS, 'how many times slower than onnxruntime'));
}

// ---- Verilator ----

function runCosim(info: ModelInfo, folding: Folding, images: number, quickBuild: boolean): CosimResult {
  const s = info.input;
  return cosim(info, { simulator: 'verilator', images: syntheticImages(s.height, s.width, s.channels, images, 77), folding, seed: 1, stall: 0, quickBuild });
}

function cosimOk(r: CosimResult): string {
  return r.status === 'ok' && r.mismatches === 0 ? 'bit-exact' : `FAILED: status ${r.status}, ${r.mismatches} mismatches`;
}

function verilatorSpeed(info: ModelInfo, images: number, folding: Folding, what: string, buildTarget: number | null): void {
  const name = info.model.name;
  const r = runCosim(info, folding, images, false);
  const note = `${what}; ${images} image(s), ${cosimOk(r)}`;
  add(figure(`verilator ${name}: build`, r.buildSeconds, 's', null, 1, note));
  add(figure(`verilator ${name}: simulation speed`, Math.round(r.totalCycles / r.runSeconds), 'cycles/s', null, 1, `${r.totalCycles.toLocaleString('en-US')} cycles in ${r.runSeconds.toFixed(1)} s`));
  if (buildTarget !== null) {
    add(figure(`verilator ${name}: one image, build and run`, r.buildSeconds + r.runSeconds, 's', { kind: 'max', value: buildTarget }, 1, note));
  }
}

// ---- the generated hardware per device ----

function hardware(info: ModelInfo, d: Device, o: OptimizerTiming, measured: CosimResult | null): void {
  const name = info.model.name;
  const roof = rooflineCycles(info.totals.int8Macs, capacityOf(d).dsp);
  const isTarget = name === 'sepnet-small' && d.name === MAIN_DEVICE;
  const effTarget = isTarget ? { kind: 'min' as const, value: 90 } : null;
  const fps = (d.maxClockMhzHint * 1e6) / o.cyclesPerImage;
  const fit = o.mostFolded ? '; does NOT fit even fully folded' : '';
  if (measured === null) {
    add(figure(`hw ${name} on ${d.name}: FPS (predicted)`, Math.round(fps), 'images/s', null, 1, `${d.maxClockMhzHint} MHz; bottleneck ${o.bottleneck.stage} (${o.bottleneck.resource})${fit}`));
    add(
      figure(
        `hw ${name} on ${d.name}: roofline efficiency (predicted)`,
        100 * efficiency(roof, o.cyclesPerImage),
        '%',
        effTarget,
        1,
        `PREDICTED ${o.cyclesPerImage.toLocaleString('en-US')} cycles/image (not co-simulated); roofline ${Math.round(roof).toLocaleString('en-US')} = ${info.totals.int8Macs.toLocaleString('en-US')} int8 MACs / ${capacityOf(d).dsp} DSPs`,
      ),
    );
    return;
  }
  const cycles = measured.cyclesPerImage;
  if (cycles === null) {
    add(skipped(`hw ${name} on ${d.name}: cycles/image (measured)`, 'cycles', null, `co-simulation gave no interval (${cosimOk(measured)})`));
    return;
  }
  add(figure(`hw ${name} on ${d.name}: cycles/image (measured)`, cycles, 'cycles', null, 1, `predicted ${o.cyclesPerImage.toLocaleString('en-US')}; ${Math.round((d.maxClockMhzHint * 1e6) / cycles).toLocaleString('en-US')} images/s at ${d.maxClockMhzHint} MHz; ${cosimOk(measured)}${fit}`));
  add(
    figure(
      `hw ${name} on ${d.name}: roofline efficiency (measured)`,
      100 * efficiency(roof, cycles),
      '%',
      effTarget,
      1,
      `roofline ${roof.toFixed(1)} cycles = ${info.totals.int8Macs.toLocaleString('en-US')} int8 MACs / ${capacityOf(d).dsp} DSPs`,
    ),
  );
}

/** Every device's optimizer design of a tiny net, co-simulated once per distinct folding. */
function tinyHardware(name: string): void {
  const { info } = zooModel(name);
  const byFolding = new Map<string, CosimResult>();
  for (const d of DEVICES) {
    const opt = optimizeFolding(info, { device: d, clockMhz: d.maxClockMhzHint });
    const o: OptimizerTiming = { seconds: [], cyclesPerImage: opt.cyclesPerImage, bottleneck: opt.bottleneck, mostFolded: opt.mostFolded };
    const key = foldingJson(opt.folding);
    let r = byFolding.get(key);
    if (!r) {
      log(`co-simulating ${name}, ${d.name}'s design`);
      r = runCosim(info, opt.folding, COSIM_IMAGES, true);
      byFolding.set(key, r);
    }
    hardware(info, d, o, r);
  }
}

/** Runs one part of the bench; a part that throws is reported as a failed figure and the rest goes on. */
async function part(name: string, f: () => void | Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    add({ ...skipped(name, '', null, `FAILED: ${e instanceof Error ? e.message : String(e)}`.split('\n')[0]!), met: false });
  }
}

async function main(): Promise<void> {
  const verilator = tryCmd('verilator', ['--version']);
  const rev = tryCmd('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const dirty = (tryCmd('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  const ortVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }).version;
  log(`${QUICK ? 'quick, ' : ''}${RUNS} runs per timed figure (median); load average ${loadAtStart.map((v) => v.toFixed(2)).join(' ')}`);
  // Written after every part, so a long run stopped late still leaves its figures.
  const save = (): Results => {
    const results: Results = ResultsSchema.parse({
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memGB: Number((totalmem() / 2 ** 30).toFixed(1)), loadAverage: loadAtStart.map((v) => Number(v.toFixed(2))) },
      versions: { node: process.version, verilator, onnxruntime: ortVersion, genRtl: `${rev}${dirty ? '-dirty' : ''}` },
      quick: QUICK,
      date: new Date().toISOString(),
      figures,
    });
    writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  };

  await part('gen-rtl generate', endToEnd);
  save();
  const small = zooModel('sepnet-small').info;
  let chosen = new Map<string, OptimizerTiming>();
  await part('optimizer', () => void (chosen = optimizerPerDevice('sepnet-small')));
  save();
  await part('references', () => references(small));
  save();
  for (const d of DEVICES) {
    const o = chosen.get(d.name);
    if (o) hardware(small, d, o, null);
    else add(skipped(`hw sepnet-small on ${d.name}: roofline efficiency (predicted)`, '%', null, 'no design: the optimizer did not finish'));
  }
  save();

  const smallTarget = 15 * 60;
  if (verilator === null) {
    add(skipped('verilator', 's', null, 'verilator not found on PATH'));
  } else {
    for (const name of TINY) {
      await part(`verilator ${name}`, () => {
        const { info } = zooModel(name);
        verilatorSpeed(info, SPEED_IMAGES, balancedFolding(info), 'balanced folding, optimized build', null);
      });
      save();
    }
    for (const name of TINY) {
      await part(`hw ${name}`, () => tinyHardware(name));
      save();
    }
    // The longest part last: the other figures are saved before it starts.
    if (QUICK) {
      add(skipped('verilator sepnet-small: one image, build and run', 's', { kind: 'max', value: smallTarget }, 'skipped (--quick)'));
    } else {
      await part('verilator sepnet-small', () => verilatorSpeed(small, 1, balancedFolding(small, { window: false }), 'balanced folding without window cores (as npm run bench:cosim)', smallTarget));
    }
  }

  const results = save();
  const m = results.machine;
  console.log(`gen-rtl ${results.versions.genRtl}, node ${process.version}, ${verilator ?? 'no verilator'}, onnxruntime-node ${ortVersion}`);
  console.log(`${m.cpus} x ${m.model}, ${m.memGB} GB, load average at start ${m.loadAverage.join(' ')}${QUICK ? ', --quick' : ''}`);
  console.log(renderTable(figures));
  const missed = figures.filter((f) => f.met === false).length;
  console.log(`\n${figures.filter((f) => f.met === true).length} targets met, ${missed} missed; ${OUT} written; total ${((performance.now() - t0) / 60000).toFixed(1)} min`);
  rmSync(work, { recursive: true, force: true });
}

await main();

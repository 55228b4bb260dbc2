/**
 * gen-rtl cosim: generate the design, build a simulator, stream images with
 * random stalls on both ends and compare every output beat with the integer
 * reference. Mismatches name the image, the output (logit or class), expected
 * and got; cycles per image are measured next to the prediction. cosimNetlist()
 * does the same with the design's Yosys netlist in place of its RTL.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ModelInfo } from '../ir/analyze.js';
import type { Folding } from '../emit/fold.js';
import { tapFile, type Design } from '../emit/design.js';
import { generate } from '../emit/generate.js';
import { runInteger } from '../reference/integer.js';
import { argmax } from '../reference/kernels.js';
import type { Pixels } from '../reference/run.js';
import { GenRtlError } from '../util/errors.js';
import { writeTreeAtomic } from '../util/files.js';
import type { Device } from '../map/devices.js';
import { netlistFlow, synthNetlist, type Netlist } from '../synth/netlist.js';
import { buildSimulator, runSimulator, type SimRunOptions, type SimulatorName } from './simulators.js';

export interface CosimOptions {
  readonly simulator: SimulatorName;
  readonly images: readonly Pixels[];
  readonly folding: Folding;
  readonly seed: number;
  /** Probability of a stall cycle on the input valid and on the output ready. */
  readonly stall: number;
  /**
   * Where the design, the simulator builds and the logs go (kept). Without it a temporary
   * directory is used, removed after a passing run and kept after a failing one.
   */
  readonly workDir?: string;
  readonly trace?: string;
  /**
   * Reset in mid-stream: `preImages` stream first and rst_n drops `delayCycles` after input beat
   * `afterBeats` of them (1 ≤ afterBeats ≤ their beats; inside an image, the reset hits it half
   * read); then `images` stream and are compared. Nothing before the reset is compared.
   */
  readonly reset?: { readonly preImages: readonly Pixels[]; readonly afterBeats: number; readonly delayCycles: number };
  /**
   * Compare every stage's output stream with the reference, not only the logits: the design is
   * built with per-stage taps (GR_TAPS) and a differing layer counts as a mismatch. Not with `reset`.
   */
  readonly compareLayers?: boolean;
  /** Verilator: C++ at -O0 (small designs, short runs: faster to build, slower to run). */
  readonly quickBuild?: boolean;
  /** Called after the design is written, before the build: fault injection in tests. */
  readonly afterGenerate?: (designDir: string) => void;
  /** Called with progress messages (build, run). */
  readonly progress?: (msg: string) => void;
}

/** The first stage whose output stream differs from the reference (from the taps). */
export interface LayerMismatch {
  readonly layer: string;
  readonly kind: string;
  readonly image: number;
  readonly pixel: { readonly y: number; readonly x: number };
  readonly channel: number;
  readonly expected: number;
  readonly got: number | null;
}

export interface Mismatch {
  readonly image: number;
  /** 'logit' c, or 'class'. */
  readonly output: string;
  readonly expected: number;
  readonly got: number | null;
}

export interface CosimResult {
  readonly model: string;
  readonly simulator: SimulatorName;
  readonly images: number;
  readonly mismatches: number;
  readonly firstMismatch: Mismatch | null;
  /** With mismatches: the first differing layer, found by re-running with per-stage taps. */
  readonly firstLayerMismatch: LayerMismatch | null;
  /** Steady-state interval between image completions (median), null with one image. */
  readonly cyclesPerImage: number | null;
  readonly predictedCyclesPerImage: number;
  /** Cycles from the first input beat accepted to the first image's last output beat. */
  readonly latencyCycles: number | null;
  readonly totalCycles: number;
  /**
   * Per image: the class decoded from the hardware's logits (their first maximum, the reference's
   * rule), null when some logit never came; and the integer reference's class.
   */
  readonly hardwareClasses: readonly (number | null)[];
  readonly referenceClasses: readonly number[];
  readonly status: 'ok' | 'timeout' | 'stalled';
  readonly buildSeconds: number;
  readonly runSeconds: number;
  /** The generated design; null when it was in a temporary directory, removed after the passing run. */
  readonly designDir: string | null;
  /** With --netlist: what was simulated instead of the RTL (its file and log null when removed, as designDir). */
  readonly netlist: { readonly command: string; readonly file: string | null; readonly cellModels: readonly string[]; readonly synthSeconds: number; readonly log: string | null } | null;
}

/** One input beat per pixel: channel c in bits [8c+7:8c]. */
export function stimulus(images: readonly Pixels[]): { data: bigint; last: boolean }[] {
  const beats: { data: bigint; last: boolean }[] = [];
  for (const px of images) {
    const n = px.height * px.width;
    for (let p = 0; p < n; p++) {
      let v = 0n;
      for (let c = px.channels - 1; c >= 0; c--) v = (v << 8n) | BigInt(px.data[p * px.channels + c]!);
      beats.push({ data: v, last: p === n - 1 });
    }
  }
  return beats;
}

/** Images of the stall-free run that measures cycles per image (at least 2 give an interval). */
const TIMING_IMAGES = 5;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Prepared {
  readonly work: string;
  readonly designDir: string;
  readonly design: Design;
  /** The design's Verilog sources, in filelist order. */
  readonly sources: readonly string[];
}

function prepare(info: ModelInfo, opts: CosimOptions): Prepared {
  // Absolute: Yosys (--netlist) runs in the design directory and writes beside it.
  const work = resolve(opts.workDir ?? mkdtempSync(join(tmpdir(), 'gen-rtl-cosim-')));
  mkdirSync(work, { recursive: true });
  const designDir = join(work, 'design');
  const { files, design } = generate(info, { folding: opts.folding, device: null, clockMhz: 100 });
  writeTreeAtomic(designDir, files, true);
  opts.afterGenerate?.(designDir);
  return { work, designDir, design, sources: files.filter((f) => f.path.endsWith('.v')).map((f) => f.path) };
}

/** The RTL against the integer reference. */
export function cosim(info: ModelInfo, opts: CosimOptions): CosimResult {
  const p = prepare(info, opts);
  return tidy(p, opts, compare(info, p, p.designDir, opts, null));
}

/**
 * A temporary work directory (no `workDir` given) is removed after a passing run — designs and
 * simulator builds take hundreds of megabytes — and kept, named in the result, after a failing one
 * (and after an error, whose message names the log in it).
 */
function tidy(p: Prepared, opts: CosimOptions, r: CosimResult): CosimResult {
  if (opts.workDir !== undefined || r.mismatches > 0 || r.status !== 'ok') return r;
  rmSync(p.work, { recursive: true, force: true });
  return { ...r, designDir: null, netlist: r.netlist ? { ...r.netlist, file: null, log: null } : null };
}

export interface NetlistCosimOptions extends CosimOptions {
  /** The device: an iCE40 gets synth_ice40 (its bitstream's flow), any other or none Yosys' generic synth (synth/netlist.ts). */
  readonly device: Device | null;
  readonly synthTimeoutSeconds?: number;
}

/**
 * The Yosys netlist of the design (synth/netlist.ts, `write_verilog -noattr`) against the integer
 * reference, simulated with Yosys' cell models: the same stimulus, stalls and comparisons as
 * cosim(). A mismatch is not localized to a layer (the netlist has no per-stage taps).
 */
export async function cosimNetlist(info: ModelInfo, opts: NetlistCosimOptions): Promise<CosimResult> {
  const flow = netlistFlow(opts.device);
  const p = prepare(info, opts);
  opts.progress?.(`synthesizing ${p.design.top} (${flow.command})`);
  const netlist = await synthNetlist(p.designDir, p.sources, p.design.top, flow, join(p.work, 'netlist'), opts.synthTimeoutSeconds);
  return tidy(p, opts, compare(info, p, netlist.dir, opts, netlist));
}

function compare(info: ModelInfo, p: Prepared, simDir: string, opts: CosimOptions, netlist: Netlist | null): CosimResult {
  const { work, designDir, design } = p;
  const classes = design.classes;
  const expected = opts.images.map((px) => runInteger(info, px));
  const what = netlist ? 'netlist' : 'RTL';
  opts.progress?.(`building ${opts.simulator} model of the ${what} of ${design.top}`);
  const layers = opts.compareLayers ?? false;
  if (layers && opts.reset) throw new GenRtlError('cosim', 'compareLayers and reset do not go together (the taps would see the stream before the reset)');
  if (layers && netlist) throw new GenRtlError('cosim', 'compareLayers needs the RTL (a netlist has no per-stage taps)');
  const build = buildSimulator(opts.simulator, simDir, design.top, design.inBits, {
    buildDir: join(work, `build-${opts.simulator}${netlist ? '-netlist' : ''}`),
    trace: Boolean(opts.trace),
    quick: opts.quickBuild ?? false,
    ...(netlist ? { defines: netlist.defines, noWarn: netlist.noWarn } : layers ? { defines: ['GR_TAPS'] } : {}),
  });
  if (layers) mkdirSync(join(designDir, 'taps'), { recursive: true });
  opts.progress?.(`simulating ${opts.images.length} image(s)`);
  const beatsPerImage = classes + 1;
  const totalPixels = opts.images.reduce((n, px) => n + px.height * px.width, 0);
  const pre = opts.reset ? stimulus(opts.reset.preImages) : [];
  const runOptions = {
    stimulus: [...pre, ...stimulus(opts.images)],
    expectedBeats: beatsPerImage * opts.images.length,
    stallIn: opts.stall,
    stallOut: opts.stall,
    seed: opts.seed,
    maxCycles: Math.ceil((design.predictedCyclesPerImage * (opts.images.length + 4) + totalPixels) / Math.max(0.05, 1 - opts.stall) ** 2) * 4 + 100_000,
    idleLimit: Math.ceil(design.predictedCyclesPerImage / Math.max(0.05, 1 - opts.stall) ** 2) * 4 + 50_000,
    ...(opts.trace ? { trace: opts.trace } : {}),
    ...(opts.reset ? { reset: { afterInputBeats: opts.reset.afterBeats, delayCycles: opts.reset.delayCycles, resumeAt: pre.length } } : {}),
  };
  const run = runSimulator(build, runOptions);

  let mismatches = 0;
  let firstMismatch: Mismatch | null = null;
  const note = (m: Mismatch): void => {
    mismatches++;
    firstMismatch ??= m;
  };
  if (opts.reset && run.resetCycle === null) note({ image: 0, output: 'the mid-stream reset (it never happened)', expected: 1, got: 0 });
  expected.forEach((ref, i) => {
    const beats = run.beats.slice(i * beatsPerImage, (i + 1) * beatsPerImage);
    for (let c = 0; c < classes; c++) {
      const got = beats[c]?.data ?? null;
      if (got !== ref.logits[c]) note({ image: i, output: `logit ${c}`, expected: ref.logits[c]!, got });
    }
    const cls = beats[classes];
    if (cls?.data !== ref.class) note({ image: i, output: 'class', expected: ref.class, got: cls?.data ?? null });
    if (cls && !cls.last) note({ image: i, output: 'tlast on the class beat', expected: 1, got: 0 });
    if (beats.slice(0, classes).some((b) => b.last)) note({ image: i, output: 'tlast before the class beat', expected: 0, got: 1 });
  });
  if (run.beats.length > beatsPerImage * opts.images.length) {
    note({ image: opts.images.length, output: 'extra output beats', expected: 0, got: run.beats.length - beatsPerImage * opts.images.length });
  }
  const hardwareClasses = expected.map((_, i) => {
    const logits = run.beats.slice(i * beatsPerImage, i * beatsPerImage + classes).map((b) => b.data);
    return logits.length === classes ? argmax(logits) : null;
  });
  let firstLayerMismatch: LayerMismatch | null = null;
  if (layers) {
    firstLayerMismatch = compareTaps(info, design, designDir, opts.images);
    if (firstLayerMismatch) {
      const lm = firstLayerMismatch;
      note({ image: lm.image, output: `layer ${lm.layer} pixel (${lm.pixel.y}, ${lm.pixel.x}) channel ${lm.channel}`, expected: lm.expected, got: lm.got });
    }
  } else if ((mismatches > 0 || run.status !== 'ok') && netlist === null) {
    opts.progress?.('mismatch: re-running with per-stage taps to find the first differing layer');
    // Localized on the same images without the reset (a fault that needs the reset localizes to nothing).
    const { reset: _reset, ...noReset } = runOptions;
    firstLayerMismatch = localize(info, design, designDir, work, opts, { ...noReset, stimulus: stimulus(opts.images) });
  }
  // Cycles are measured on a run without stalls (stalls would only stretch them).
  // (The waveform, when asked for, is the stalled run's: the timing run writes none.)
  const { trace: _trace, reset: _r, ...untraced } = runOptions;
  // A few images give the steady-state interval; a long data set need not be simulated twice.
  const timed = opts.images.slice(0, TIMING_IMAGES);
  const timing =
    (opts.stall > 0 || opts.reset !== undefined) && run.status === 'ok'
      ? runSimulator(build, { ...untraced, stimulus: stimulus(timed), expectedBeats: beatsPerImage * timed.length, stallIn: 0, stallOut: 0 })
      : run;
  const finished = timing.beats.filter((b) => b.last).map((b) => b.cycle);
  const intervals = finished.slice(1).map((c, i) => c - finished[i]!);
  const firstIn = timing.inputAccepted[0]?.cycle ?? null;
  return {
    model: info.model.name,
    simulator: opts.simulator,
    images: opts.images.length,
    mismatches,
    firstMismatch,
    firstLayerMismatch,
    cyclesPerImage: intervals.length ? median(intervals) : null,
    predictedCyclesPerImage: design.predictedCyclesPerImage,
    latencyCycles: finished.length && firstIn !== null ? finished[0]! - firstIn : null,
    totalCycles: run.totalCycles,
    hardwareClasses,
    referenceClasses: expected.map((r) => r.class),
    status: run.status,
    buildSeconds: build.buildSeconds,
    runSeconds: run.runSeconds + (timing === run ? 0 : timing.runSeconds),
    designDir,
    netlist: netlist ? { command: netlist.command, file: netlist.file, cellModels: netlist.cellModels, synthSeconds: netlist.seconds, log: netlist.log } : null,
  };
}

/** Decodes one tapped beat: `channels` fields of `bits`, channel 0 in the low bits. */
function decodeBeat(hex: string, channels: number, bits: number, signed: boolean): number[] {
  const v = BigInt(`0x${hex.trim() || '0'}`);
  const mask = (1n << BigInt(bits)) - 1n;
  return Array.from({ length: channels }, (_, c) => {
    let x = (v >> BigInt(c * bits)) & mask;
    if (signed && x >> BigInt(bits - 1)) x -= 1n << BigInt(bits);
    return Number(x);
  });
}

/** Re-runs the same stimulus with GR_TAPS and compares every stage's stream with the reference, layer by layer. */
function localize(info: ModelInfo, design: Design, designDir: string, work: string, opts: CosimOptions, runOptions: SimRunOptions): LayerMismatch | null {
  const build = buildSimulator(opts.simulator, designDir, design.top, design.inBits, { buildDir: join(work, `build-${opts.simulator}-taps`), defines: ['GR_TAPS'], quick: opts.quickBuild ?? false });
  mkdirSync(join(designDir, 'taps'), { recursive: true });
  runSimulator(build, runOptions);
  return compareTaps(info, design, designDir, opts.images);
}

/** The first stage output (from the taps of the last run) that differs from the reference. */
function compareTaps(info: ModelInfo, design: Design, designDir: string, images: readonly Pixels[]): LayerMismatch | null {
  const refs = images.map((px) => runInteger(info, px, true).activations);
  for (const s of design.stages) {
    const { layer, outShape, outType } = s.info;
    const pixels = outShape.height * outShape.width;
    let lines: string[] = [];
    try {
      lines = readFileSync(join(designDir, tapFile(s)), 'utf8').split('\n').filter((l) => l.length > 0);
    } catch {
      lines = [];
    }
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!.get(layer.name)!;
      for (let p = 0; p < pixels; p++) {
        const line = lines[i * pixels + p];
        const got = line === undefined ? null : decodeBeat(line, outShape.channels, outType.bits, outType.signed);
        for (let c = 0; c < outShape.channels; c++) {
          const expected = ref[p * outShape.channels + c]!;
          const g = got ? got[c]! : null;
          if (g !== expected) {
            return { layer: layer.name, kind: layer.kind, image: i, pixel: { y: Math.floor(p / outShape.width), x: p % outShape.width }, channel: c, expected, got: g };
          }
        }
      }
    }
  }
  return null;
}

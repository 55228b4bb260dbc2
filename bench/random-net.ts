/**
 * Random valid networks for the co-simulation soak (bench/soak.ts, test/cosim/soak.test.ts):
 * a plain-data spec drawn from a seed (so a failing case can be shrunk and saved), built with the
 * zoo's NetBuilder and quantizer, optionally pushed to extreme integer parameters (all-+1/all-−1
 * patterns, int8 −128/127 weights, the largest multipliers), with a random legal folding per stage
 * (emit/fold.ts candidates: PE, SIMD, window core, LUT RAM) and images that include the extremes.
 */
import { cosim, type CosimResult } from '../generator/cosim/cosim.js';
import type { SimulatorName } from '../generator/cosim/simulators.js';
import { analyze, type LayerInfo, type ModelInfo } from '../generator/ir/analyze.js';
import { MULT_MAX, MULT_MIN } from '../generator/ir/arith.js';
import type { Layer, Model, Requant } from '../generator/ir/types.js';
import { candidates, canPack, type Fold, type Folding } from '../generator/emit/fold.js';
import { quantize } from '../generator/quant/quantize.js';
import type { Pixels } from '../generator/reference/run.js';
import { Prng } from '../generator/util/prng.js';
import { NetBuilder, type Tensor } from '../generator/zoo/builder.js';
import { syntheticImages } from '../generator/zoo/index.js';

/** One layer (or a small sub-graph) of the body, applied to the running tensor. */
export type Block =
  | { readonly kind: 'conv'; readonly out: number; readonly k: number; readonly stride: number; readonly pad: number; readonly groups: number; readonly relu: boolean; readonly precision: 'binary' | 'int8' }
  | { readonly kind: 'prb'; readonly out: number; readonly k: number; readonly stride: number; readonly groups: number; readonly relu: boolean }
  | { readonly kind: 'maxpool'; readonly k: number; readonly stride: number; readonly pad: number }
  /** add(x, f(x)): f keeps the shape (stride 1, same padding, the input's channels). */
  | { readonly kind: 'residual'; readonly inner: readonly Block[]; readonly relu: boolean }
  /** concat of branches on x, each keeping H and W and ending in the same activation type. */
  | { readonly kind: 'concat'; readonly branches: readonly (readonly Block[])[] };

export type Head = 'gap-fc' | 'gap-fc-fc' | 'gap';

export interface NetSpec {
  readonly seed: number;
  readonly input: { readonly height: number; readonly width: number; readonly channels: number };
  readonly blocks: readonly Block[];
  readonly head: Head;
  readonly classes: number;
  /** Probability that a layer gets extreme integer parameters. */
  readonly extremes: number;
  readonly images: number;
  readonly stall: number;
  /** Probability that a k×k stage uses the window (tap-parallel) core. */
  readonly window: number;
  /** Probability that a stage with int8 products and an even PE shares its multipliers in lane pairs (fold.pack); 0 in CI. */
  readonly pack: number;
}

export interface RandomNet {
  readonly spec: NetSpec;
  readonly info: ModelInfo;
  readonly folding: Folding;
  readonly images: readonly Pixels[];
  /** What went extreme, e.g. "L3 all -1 patterns ch 2". */
  readonly extremes: readonly string[];
}

// ----------------------------------------------------------------------------- spec

interface Shape {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** Unsigned (after a ReLU). */
  readonly relu: boolean;
}

function pick<T>(rng: Prng, xs: readonly T[]): T {
  return xs[rng.int(0, xs.length - 1)]!;
}

const outSize = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;

function divisorsOf(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

/** Groups dividing both channel counts, at most 4. */
function groupsFor(rng: Prng, cin: number, cout: number): number {
  return pick(rng, divisorsOf(cin).filter((g) => g <= 4 && cout % g === 0));
}

const CHANNELS = [4, 6, 8, 12, 16];

/** A conv-like block on `x` that keeps H and W (stride 1, same padding). */
function sameBlock(rng: Prng, x: Shape, out: number, relu: boolean): Block {
  const r = rng.float();
  if (r < 0.35) return { kind: 'prb', out, k: 3, stride: 1, groups: groupsFor(rng, x.c, out), relu };
  const k = pick(rng, [1, 3, 3, 5]);
  return { kind: 'conv', out, k, stride: 1, pad: (k - 1) / 2, groups: groupsFor(rng, x.c, out), relu, precision: k === 1 ? (rng.float() < 0.3 ? 'binary' : 'int8') : rng.float() < 0.3 ? 'int8' : 'binary' };
}

function apply(b: Block, x: Shape): Shape {
  switch (b.kind) {
    case 'conv':
      return { h: outSize(x.h, b.k, b.stride, b.pad), w: outSize(x.w, b.k, b.stride, b.pad), c: b.out, relu: b.relu };
    case 'prb':
      return { h: outSize(x.h, b.k, b.stride, (b.k - 1) / 2), w: outSize(x.w, b.k, b.stride, (b.k - 1) / 2), c: b.out, relu: b.relu };
    case 'maxpool':
      return { ...x, h: outSize(x.h, b.k, b.stride, b.pad), w: outSize(x.w, b.k, b.stride, b.pad) };
    case 'residual':
      return { ...x, relu: b.relu };
    case 'concat': {
      const outs = b.branches.map((br) => br.reduce((s, blk) => apply(blk, s), x));
      return { ...outs[0]!, c: outs.reduce((n, o) => n + o.c, 0) };
    }
  }
}

function randomBlock(rng: Prng, x: Shape): Block {
  const small = Math.min(x.h, x.w);
  const r = rng.float();
  if (r < 0.3) {
    // A k×k convolution, possibly strided or unpadded.
    const k = pick(rng, small >= 5 ? [1, 2, 3, 3, 5] : [1, 2, 3]);
    const stride = small >= 6 ? pick(rng, [1, 1, 2, 3]) : 1;
    const pad = rng.int(0, k - 1);
    const out = pick(rng, CHANNELS);
    const precision = k === 1 ? (rng.float() < 0.4 ? 'binary' : 'int8') : rng.float() < 0.35 ? 'int8' : 'binary';
    const b: Block = { kind: 'conv', out, k, stride, pad, groups: groupsFor(rng, x.c, out), relu: rng.float() < 0.7, precision };
    const y = apply(b, x);
    return y.h >= 2 && y.w >= 2 ? b : { ...b, stride: 1, pad: (k - (k % 2 === 0 ? 2 : 1)) / 2 };
  }
  if (r < 0.5) {
    const out = pick(rng, CHANNELS);
    const stride = small >= 6 && rng.float() < 0.4 ? 2 : 1;
    return { kind: 'prb', out, k: small >= 6 && rng.float() < 0.2 ? 5 : 3, stride, groups: groupsFor(rng, x.c, out), relu: rng.float() < 0.75 };
  }
  if (r < 0.62 && small >= 4) {
    const k = pick(rng, [2, 3]);
    return { kind: 'maxpool', k, stride: pick(rng, [1, 2, k]), pad: rng.int(0, Math.floor(k / 2)) };
  }
  if (r < 0.82) {
    const inner: Block[] = [];
    let y = x;
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) {
      const out = i === n - 1 ? x.c : pick(rng, CHANNELS);
      const blk = sameBlock(rng, y, out, i === n - 1 ? rng.float() < 0.3 : true);
      inner.push(blk);
      y = apply(blk, y);
    }
    return { kind: 'residual', inner, relu: rng.float() < 0.8 };
  }
  const relu = rng.float() < 0.7;
  const n = rng.int(2, 3);
  const branches: Block[][] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && x.relu === relu && rng.float() < 0.3) branches.push([{ kind: 'maxpool', k: 3, stride: 1, pad: 1 }]);
    else branches.push([sameBlock(rng, x, pick(rng, [2, 4, 6, 8]), relu)]);
  }
  return { kind: 'concat', branches };
}

/** The spec of design `seed`: up to `maxBlocks` (4) tiny blocks, 6×6..12×12 images, 4..16 channels. */
export function randomSpec(seed: number, opts: { readonly maxBlocks?: number; readonly window?: number; readonly pack?: number } = {}): NetSpec {
  const rng = new Prng(seed ^ 0x50a4);
  const input = { height: rng.int(6, 12), width: rng.int(6, 12), channels: rng.int(1, 4) };
  let x: Shape = { h: input.height, w: input.width, c: input.channels, relu: false };
  const blocks: Block[] = [];
  const n = rng.int(1, opts.maxBlocks ?? 4);
  for (let i = 0; i < n; i++) {
    const b = randomBlock(rng, x);
    const y = apply(b, x);
    if (y.h < 1 || y.w < 1 || y.c > 48) continue;
    blocks.push(b);
    x = y;
  }
  const head = pick<Head>(rng, ['gap-fc', 'gap-fc', 'gap-fc-fc', 'gap']);
  return {
    seed,
    input,
    blocks,
    head,
    classes: head === 'gap' ? x.c : rng.int(2, 10),
    extremes: pick(rng, [0, 0.3, 0.6]),
    images: rng.int(2, 3),
    stall: pick(rng, [0, 0.2, 0.3, 0.5, 0.8]),
    window: opts.window ?? 0.3,
    pack: opts.pack ?? 0,
  };
}

// ----------------------------------------------------------------------------- build

function buildBlocks(b: NetBuilder, x: Tensor, blocks: readonly Block[], name: () => string): Tensor {
  for (const blk of blocks) x = buildBlock(b, x, blk, name);
  return x;
}

function buildBlock(b: NetBuilder, x: Tensor, blk: Block, name: () => string): Tensor {
  switch (blk.kind) {
    case 'conv':
      return b.conv(name(), x, blk.out, blk.k, { stride: blk.stride, pad: blk.pad, groups: blk.groups, relu: blk.relu, ...(blk.precision === 'int8' ? { int8: true } : { binary: true }) });
    case 'prb':
      return b.prb(name(), x, blk.out, { kernel: blk.k, stride: blk.stride, groups: blk.groups, relu: blk.relu });
    case 'maxpool':
      return b.maxpool(name(), x, blk.k, blk.stride, blk.pad);
    case 'residual':
      return b.add(name(), x, buildBlocks(b, x, blk.inner, name), blk.relu);
    case 'concat':
      return b.concat(
        name(),
        blk.branches.map((br) => buildBlocks(b, x, br, name)),
      );
  }
}

/** Seeded images: uniform noise, smooth gradients, and the extremes (all 255, all 0, 0/255 checkerboard). */
export function soakImages(info: ModelInfo, count: number, seed: number): Pixels[] {
  const s = info.input;
  const n = s.height * s.width * s.channels;
  const rng = new Prng(seed ^ 0x1a6e);
  const synthetic = syntheticImages(s.height, s.width, s.channels, count, seed);
  return Array.from({ length: count }, (_, i) => {
    const kind = rng.int(0, 5);
    const data =
      kind === 0
        ? new Uint8Array(n).fill(255)
        : kind === 1
          ? new Uint8Array(n)
          : kind === 2
            ? Uint8Array.from({ length: n }, (_, j) => ((Math.floor(j / s.channels) % s.width) + Math.floor(j / s.channels / s.width)) % 2 ? 255 : 0)
            : kind === 3
              ? synthetic[i]!.data
              : Uint8Array.from({ length: n }, () => rng.int(0, 255));
    return { ...s, data };
  });
}

/** Builds the spec's network (quantized, with its extremes), a random legal folding and the images. */
export function buildNet(spec: NetSpec): RandomNet {
  const b = new NetBuilder(spec.seed);
  const { height, width, channels } = spec.input;
  const mean = [0.5, 0.45, 0.4, 0.5].slice(0, channels);
  const std = [0.25, 0.25, 0.3, 0.2].slice(0, channels);
  let count = 0;
  const name = (): string => `l${++count}`;
  const x = b.input(height, width, channels, mean, std);
  const y = buildBlocks(b, x, spec.blocks, name);
  let out: Tensor;
  switch (spec.head) {
    case 'gap':
      out = b.avgpool('gap', y, false);
      break;
    case 'gap-fc':
      out = b.fc('fc', b.avgpool('gap', y, new Prng(spec.seed).float() < 0.8), y.channels, spec.classes);
      break;
    case 'gap-fc-fc': {
      const g = b.avgpool('gap', y);
      out = b.fc('fc2', b.fc('fc1', g, y.channels, 8, true), 8, spec.classes);
      break;
    }
  }
  const calibration = syntheticImages(height, width, channels, 4, spec.seed);
  const { model } = quantize(
    {
      name: `soak-${spec.seed}`,
      classes: Array.from({ length: spec.classes }, (_, i) => `c${i}`),
      layers: b.layers,
      output: out.name,
      provenance: { source: `soak seed ${spec.seed}`, dataset: null, seed: spec.seed, accuracy: {}, notes: [] },
    },
    { binarize: 'kxk', calibration },
  );
  const { info, extremes } = extremize(model, spec);
  return { spec, info, folding: randomFolding(info, spec.seed, spec.window, spec.pack), images: soakImages(info, spec.images, spec.seed), extremes };
}

// ----------------------------------------------------------------------------- extremes

/** Shift that maps |acc·M| ≈ `peak` onto about the output range (so extremes neither vanish nor always saturate). */
function shiftFor(peak: number, outMax: number, rng: Prng): number {
  const s = Math.ceil(Math.log2(Math.max(1, peak / outMax))) - rng.int(-1, 2);
  return Math.max(0, Math.min(47, s));
}

function termPeak(l: LayerInfo, j: number): number {
  const r = l.acc[j]!.range;
  return Math.max(-r.min, r.max);
}

/** A copy of the requantization with channel `c` at an extreme multiplier (or bias) and a matching shift. */
function extremeRequant(l: LayerInfo, rq: Requant, c: number, rng: Prng, notes: string[]): Requant {
  const mult = rq.mult.map((m) => Int32Array.from(m));
  const bias = Int32Array.from(rq.bias);
  const shift = Uint8Array.from(rq.shift);
  const outMax = rq.out.bits === 8 ? (rq.out.signed ? 127 : 255) : 2 ** (rq.out.bits - 1) - 1;
  const m = pick(rng, [MULT_MAX, MULT_MIN, -MULT_MAX]);
  const j = rng.int(0, mult.length - 1);
  mult[j]![c] = m;
  const peak = termPeak(l, j) * Math.abs(m);
  shift[c] = rng.float() < 0.2 ? 0 : shiftFor(peak, outMax, rng);
  bias[c] = rng.float() < 0.15 ? pick(rng, [2 ** 31 - 1, -(2 ** 31)]) : bias[c]!;
  notes.push(`${l.layer.name} M${j}[${c}]=${m} s=${shift[c]} b=${bias[c]}`);
  return { ...rq, mult, bias, shift };
}

function fillChannel(w: Int8Array, perChannel: number, c: number, f: (i: number) => number): Int8Array {
  const out = Int8Array.from(w);
  for (let i = 0; i < perChannel; i++) out[c * perChannel + i] = f(i);
  return out;
}

const INT8_FILLS: readonly [string, (i: number) => number][] = [
  ['-128', () => -128],
  ['127', () => 127],
  ['±128', (i) => (i % 2 ? 127 : -128)],
];

/** One layer with extreme parameters on one output channel (the model is re-validated by the caller). */
function extremeLayer(l: LayerInfo, rng: Prng, notes: string[]): Layer {
  const layer = l.layer;
  const co = l.outShape.channels;
  const c = rng.int(0, co - 1);
  const sign = rng.float() < 0.5 ? 1 : -1;
  switch (layer.kind) {
    case 'input':
    case 'add':
    case 'avgpool':
      return { ...layer, requant: extremeRequant(l, layer.requant, c, rng, notes) };
    case 'binconv': {
      const per = layer.patterns.length / co;
      notes.push(`${layer.name} patterns[${c}] all ${sign > 0 ? '+1' : '-1'}`);
      return { ...layer, patterns: fillChannel(layer.patterns, per, c, () => sign), requant: rng.float() < 0.5 ? extremeRequant(l, layer.requant, c, rng, notes) : layer.requant };
    }
    case 'conv':
    case 'fc': {
      const per = layer.weights.length / co;
      const [label, f] = pick(rng, INT8_FILLS);
      notes.push(`${layer.name} weights[${c}] ${label}`);
      return { ...layer, weights: fillChannel(layer.weights, per, c, f), requant: rng.float() < 0.5 ? extremeRequant(l, layer.requant, c, rng, notes) : layer.requant };
    }
    case 'prb': {
      const [label, f] = pick(rng, INT8_FILLS);
      notes.push(`${layer.name} patterns[${c}] all ${sign > 0 ? '+1' : '-1'}, weights[${c}] ${label}`);
      return {
        ...layer,
        patterns: fillChannel(layer.patterns, layer.patterns.length / co, c, () => sign),
        weights: fillChannel(layer.weights, layer.weights.length / co, c, f),
        requant: rng.float() < 0.5 ? extremeRequant(l, layer.requant, c, rng, notes) : layer.requant,
      };
    }
    case 'maxpool':
    case 'concat':
      return layer;
  }
}

function extremize(model: Model, spec: NetSpec): { info: ModelInfo; extremes: string[] } {
  let info = analyze(model);
  if (spec.extremes <= 0) return { info, extremes: [] };
  const rng = new Prng(spec.seed ^ 0xe47e);
  const notes: string[] = [];
  for (let i = 0; i < info.layers.length; i++) {
    if (rng.float() >= spec.extremes) continue;
    const l = info.layers[i]!;
    const mine: string[] = [];
    const layers = info.model.layers.map((x, k) => (k === i ? extremeLayer(l, rng, mine) : x));
    try {
      info = analyze({ ...info.model, layers });
      notes.push(...mine);
    } catch {
      // A bound over 2^53 (an extreme bias on a huge multiplier): keep the layer as it was.
    }
  }
  return { info, extremes: notes };
}

// ----------------------------------------------------------------------------- folding

/** Lanes above which a folding is skipped (window cores over many taps build slowly). */
const MAX_LANES = 144;

function hashName(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A random legal folding per stage, from fold.ts's candidates (LUT RAM included); a k×k stage takes
 * the window core with probability `window` (it builds several times slower under Verilator), and
 * a stage that can share its multipliers in lane pairs does so with probability `pack` (drawn
 * after the pick, from the stage's own generator: with pack 0 the foldings are those of before).
 */
export function randomFolding(info: ModelInfo, seed: number, window = 0.3, pack = 0): Folding {
  const out = new Map<string, Fold>();
  for (const l of info.layers) {
    const k = 'geom' in l.layer ? l.layer.geom.kernel : 1;
    const rng = new Prng(hashName(seed, l.layer.name));
    const useWindow = rng.float() < window;
    const all = candidates(l, { lutram: true }).filter((f) => f.pe * f.simd * (f.window ? k * k : 1) <= MAX_LANES);
    const cands = all.some((f) => f.window === useWindow) ? all.filter((f) => f.window === useWindow) : all;
    const f = cands.length > 0 ? pick(rng, cands) : candidates(l)[0]!;
    const packs = pack > 0 && canPack(l) && !f.window && f.pe % 2 === 0 && rng.float() < pack;
    out.set(l.layer.name, packs ? { ...f, pack: true } : f);
  }
  return out;
}

/** One line: layers by kind, and the folding of every stage with a knob. */
export function describeNet(net: RandomNet): string {
  const kinds = net.info.layers.map((l) => l.layer.kind).filter((k) => k !== 'input');
  const folds = net.info.layers
    .filter((l) => l.layer.kind !== 'input')
    .map((l) => {
      const f = net.folding.get(l.layer.name)!;
      return `${f.pe}x${f.simd}${f.window ? 'w' : ''}${f.lutram ? 'L' : ''}${f.pack ? 'p' : ''}`;
    });
  const s = net.info.input;
  return `${s.height}x${s.width}x${s.channels} ${kinds.join(',')} fold ${folds.join(',')}`;
}

// ----------------------------------------------------------------------------- one soak run

export interface SoakOutcome {
  readonly net: RandomNet;
  /** Null when the design could not be generated or simulated (then `error` says why). */
  readonly result: CosimResult | null;
  readonly error: string | null;
  readonly failed: boolean;
  readonly seconds: number;
}

/** Generates, builds and co-simulates one spec with random stalls; a failure is a mismatch, a bad status or an error. */
export function soakDesign(spec: NetSpec, opts: { readonly simulator: SimulatorName; readonly workDir?: string; readonly afterGenerate?: (designDir: string) => void }): SoakOutcome {
  const t0 = performance.now();
  const net = buildNet(spec);
  try {
    const result = cosim(net.info, {
      simulator: opts.simulator,
      images: net.images,
      folding: net.folding,
      seed: spec.seed,
      stall: spec.stall,
      quickBuild: true,
      ...(opts.workDir !== undefined ? { workDir: opts.workDir } : {}),
      ...(opts.afterGenerate !== undefined ? { afterGenerate: opts.afterGenerate } : {}),
    });
    const failed = result.mismatches > 0 || result.status !== 'ok' || result.images !== net.images.length;
    return { net, result, error: null, failed, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    return { net, result: null, error: e instanceof Error ? e.message : String(e), failed: true, seconds: (performance.now() - t0) / 1000 };
  }
}

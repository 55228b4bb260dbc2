/**
 * FloatModel → Model: binarize k×k filters (paper Eq. 1), int8 the rest,
 * calibrate activation scales with the float reference, and derive every
 * requantization (docs/integer-semantics.md).
 */
import { analyze, type ModelInfo } from '../ir/analyze.js';
import { contractOf } from '../ir/kinds.js';
import type { ActType, Layer, Model, Requant, Shape } from '../ir/types.js';
import { runFloat } from '../reference/float.js';
import type { Pixels } from '../reference/run.js';
import { GenRtlError, assertNever } from '../util/errors.js';
import type { FloatLayer, FloatModel } from './float-model.js';
import { requantParams } from './requant.js';
import { binarize, quantizeInt8 } from './weights.js';

/**
 * Which convolutions become binary patterns: `kxk` (every k×k with k > 1, the paper's method), `none`,
 * `all`, or a comma-separated set of kernel sizes (`1x1`, `3x3`, `5x5`, `3x3,5x5`, `7x7`, ...; the
 * paper's Table 4 ablations). `parseBinarizePolicy` validates and normalizes one.
 */
export type BinarizePolicy = string;

/** A parsed policy: its normalized name and the kernel sizes it binarizes. */
export interface BinarizeRule {
  readonly policy: string;
  /** `k>1` and `all` by name; otherwise the sizes listed, ascending. */
  readonly kernels: 'k>1' | 'all' | readonly number[];
}

const POLICY_NAMES = ['kxk', 'none', 'all'] as const;

/** Parses a policy; a bad one is a GenRtlError naming the value and what is accepted. */
export function parseBinarizePolicy(policy: BinarizePolicy): BinarizeRule {
  const p = policy.trim().toLowerCase();
  if (p === 'kxk') return { policy: 'kxk', kernels: 'k>1' };
  if (p === 'all') return { policy: 'all', kernels: 'all' };
  if (p === 'none') return { policy: 'none', kernels: [] };
  const sizes = new Set<number>();
  for (const part of p.split(',')) {
    const m = /^\s*(\d{1,2})x(\d{1,2})\s*$/.exec(part);
    const k = m ? Number(m[1]) : NaN;
    if (!m || m[1] !== m[2] || !(k >= 1 && k <= 15)) {
      throw new GenRtlError(
        `binarize policy ${JSON.stringify(policy)}`,
        `${JSON.stringify(part.trim())} is not a square kernel size from 1x1 to 15x15; give ${POLICY_NAMES.join(', ')} or kernel sizes separated by commas (1x1, 3x3, 5x5, 3x3,5x5, 7x7)`,
      );
    }
    sizes.add(k);
  }
  const kernels = [...sizes].sort((a, b) => a - b);
  return { policy: kernels.map((k) => `${k}x${k}`).join(','), kernels };
}

export function binarizesKernel(rule: BinarizeRule, k: number): boolean {
  if (rule.kernels === 'k>1') return k > 1;
  if (rule.kernels === 'all') return true;
  return rule.kernels.includes(k);
}

/**
 * Whether an importer may merge a k×k and a 1×1 convolution into a pattern residual block: the
 * k×k branch must become patterns and the 1×1 branch must stay int8.
 */
export function mergesPrb(rule: BinarizeRule, k: number): boolean {
  return k > 1 && binarizesKernel(rule, k) && !binarizesKernel(rule, 1);
}

export interface QuantizeOptions {
  readonly binarize: BinarizePolicy;
  /** Images the activation scales are calibrated on. */
  readonly calibration: readonly Pixels[];
}

export interface QuantError {
  readonly kernel: number;
  readonly filters: number;
  /** Σ‖W − Ŵ‖² / Σ‖W‖² over those filters. */
  readonly relativeError: number;
}

export interface QuantizeReport {
  readonly binary: readonly QuantError[];
  readonly int8: readonly QuantError[];
}

/** Logits keep 2^15 levels up to the largest calibrated magnitude. */
const LOGIT_LEVELS = 2 ** 15;

function draftRequant(channels: number, terms: number, relu: boolean, isOutput: boolean): Requant {
  return {
    mult: Array.from({ length: terms }, () => new Int32Array(channels)),
    bias: new Int32Array(channels),
    shift: new Uint8Array(channels),
    relu,
    out: { signed: !relu, bits: isOutput ? 32 : 8, scale: 1 },
  };
}

class ErrorTally {
  private readonly byKernel = new Map<number, { err: number; norm: number; filters: number }>();
  add(kernel: number, relativeError: number, w: ArrayLike<number>, filters: number): void {
    let norm = 0;
    for (let i = 0; i < w.length; i++) norm += w[i]! * w[i]!;
    const t = this.byKernel.get(kernel) ?? { err: 0, norm: 0, filters: 0 };
    this.byKernel.set(kernel, { err: t.err + relativeError * norm, norm: t.norm + norm, filters: t.filters + filters });
  }
  result(): QuantError[] {
    return [...this.byKernel.entries()]
      .sort(([a], [b]) => a - b)
      .map(([kernel, t]) => ({ kernel, filters: t.filters, relativeError: t.norm > 0 ? t.err / t.norm : 0 }));
  }
}

/** Quantizes weights; requantizations are placeholders until calibration. */
function draftLayer(fl: FloatLayer, fm: FloatModel, policy: BinarizeRule, bin: ErrorTally, i8: ErrorTally, channelsOf: Map<string, number>): Layer {
  const isOutput = fl.name === fm.output;
  if (isOutput && 'relu' in fl && fl.relu) {
    throw new GenRtlError(`layer "${fl.name}" (${fl.kind})`, 'the output layer cannot have a fused ReLU: logits are signed (drop the final ReLU; the class stays the same)');
  }
  const base = { name: fl.name, inputs: fl.inputs };
  switch (fl.kind) {
    case 'input':
      return { ...base, kind: 'input', height: fl.height, width: fl.width, channels: fl.channels, mean: fl.mean, std: fl.std, requant: draftRequant(fl.channels, 1, false, false) };
    case 'conv': {
      const rq = draftRequant(fl.outChannels, 1, fl.relu, isOutput);
      if (fl.precision ? fl.precision === 'binary' : binarizesKernel(policy, fl.geom.kernel)) {
        const b = binarize(fl.weights, fl.outChannels);
        bin.add(fl.geom.kernel, b.relativeError, fl.weights, fl.outChannels);
        return { ...base, kind: 'binconv', outChannels: fl.outChannels, geom: fl.geom, patterns: b.patterns, alpha: b.alpha, floatBias: fl.bias, requant: rq };
      }
      const q = quantizeInt8(fl.weights, fl.outChannels);
      i8.add(fl.geom.kernel, q.relativeError, fl.weights, fl.outChannels);
      return { ...base, kind: 'conv', outChannels: fl.outChannels, geom: fl.geom, weights: q.weights, weightScale: q.scale, floatBias: fl.bias, requant: rq };
    }
    case 'prb': {
      if (!binarizesKernel(policy, fl.geom.kernel)) {
        throw new GenRtlError(`layer "${fl.name}" (prb)`, `binarize policy "${policy.policy}" keeps the ${fl.geom.kernel}x${fl.geom.kernel} branch in int8, which a pattern residual block cannot hold`);
      }
      const b = binarize(fl.weights, fl.outChannels);
      bin.add(fl.geom.kernel, b.relativeError, fl.weights, fl.outChannels);
      const q = quantizeInt8(fl.weights1x1, fl.outChannels);
      i8.add(1, q.relativeError, fl.weights1x1, fl.outChannels);
      return {
        ...base,
        kind: 'prb',
        outChannels: fl.outChannels,
        geom: fl.geom,
        patterns: b.patterns,
        alpha: b.alpha,
        weights: q.weights,
        weightScale: q.scale,
        floatBias: fl.bias,
        requant: draftRequant(fl.outChannels, 2, fl.relu, isOutput),
      };
    }
    case 'add':
      return { ...base, kind: 'add', requant: draftRequant(channelsOf.get(fl.inputs[0]!) ?? 1, 2, fl.relu, isOutput) };
    case 'maxpool':
      return { ...base, kind: 'maxpool', kernel: fl.kernel, stride: fl.stride, pad: fl.pad };
    case 'avgpool':
      return { ...base, kind: 'avgpool', requant: draftRequant(channelsOf.get(fl.inputs[0]!) ?? 1, 1, fl.relu, isOutput) };
    case 'fc': {
      const q = quantizeInt8(fl.weights, fl.outChannels);
      i8.add(1, q.relativeError, fl.weights, fl.outChannels);
      return { ...base, kind: 'fc', outChannels: fl.outChannels, weights: q.weights, weightScale: q.scale, floatBias: fl.bias, requant: draftRequant(fl.outChannels, 1, fl.relu, isOutput) };
    }
    case 'concat':
      return { ...base, kind: 'concat' };
    default:
      return assertNever(fl);
  }
}

/** Largest |value| of every layer's float output over the calibration images. */
function calibrate(info: ModelInfo, images: readonly Pixels[]): Map<string, number> {
  const peak = new Map<string, number>();
  for (const px of images) {
    const { activations } = runFloat(info, px, true);
    for (const [name, v] of activations) {
      let m = peak.get(name) ?? 0;
      for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
      peak.set(name, m);
    }
  }
  return peak;
}

/** Real value range of the input layer's output, known without calibration. */
function inputPeak(l: Extract<Layer, { kind: 'input' }>): number {
  let m = 0;
  for (let c = 0; c < l.channels; c++) m = Math.max(m, Math.abs(-l.mean[c]! / l.std[c]!), Math.abs((1 - l.mean[c]!) / l.std[c]!));
  return m;
}

function scaleFor(peak: number, t: ActType): number {
  const levels = t.bits === 8 ? (t.signed ? 127 : 255) : LOGIT_LEVELS;
  return peak > 0 ? peak / levels : 1 / levels;
}

/** Output scales of every layer; concat inputs share one scale (their largest). */
function assignScales(info: ModelInfo, peak: Map<string, number>): Map<string, number> {
  const scale = new Map<string, number>();
  // The requantizing layers a pass-through layer's scale comes from.
  const roots = (name: string): string[] => {
    const l = info.byName.get(name)!.layer;
    if (l.kind === 'maxpool') return roots(l.inputs[0]!);
    if (l.kind === 'concat') return l.inputs.flatMap(roots);
    return [name];
  };
  for (const { layer, outType } of info.layers) {
    if (layer.kind === 'maxpool' || layer.kind === 'concat') continue;
    const p = layer.kind === 'input' ? inputPeak(layer) : peak.get(layer.name) ?? 0;
    scale.set(layer.name, scaleFor(p, outType));
  }
  for (const { layer } of info.layers) {
    if (layer.kind !== 'concat') continue;
    const rs = roots(layer.name);
    const common = Math.max(...rs.map((r) => scale.get(r)!));
    for (const r of rs) scale.set(r, common);
  }
  for (const { layer } of info.layers) {
    if (layer.kind === 'maxpool' || layer.kind === 'concat') scale.set(layer.name, scale.get(roots(layer.name)[0]!)!);
  }
  return scale;
}

function perChannel(channels: number, f: (c: number) => number): Float64Array {
  return Float64Array.from({ length: channels }, (_, c) => f(c));
}

/** The real multipliers (one array per term) and bias in output units of one layer. */
function realRequant(layer: Layer, info: ModelInfo, scale: Map<string, number>): { real: Float64Array[]; bias: Float64Array } | null {
  const out = scale.get(layer.name)!;
  const sIn = (i: number): number => scale.get(layer.inputs[i]!)!;
  const ch = info.byName.get(layer.name)!.outShape.channels;
  const zero = perChannel(ch, () => 0);
  switch (layer.kind) {
    case 'input':
      return {
        real: [perChannel(ch, (c) => 1 / (255 * layer.std[c]! * out))],
        bias: perChannel(ch, (c) => -layer.mean[c]! / (layer.std[c]! * out)),
      };
    case 'binconv':
      return { real: [perChannel(ch, (c) => (layer.alpha[c]! * sIn(0)) / out)], bias: perChannel(ch, (c) => layer.floatBias[c]! / out) };
    case 'conv':
    case 'fc':
      return { real: [perChannel(ch, (c) => (layer.weightScale[c]! * sIn(0)) / out)], bias: perChannel(ch, (c) => layer.floatBias[c]! / out) };
    case 'prb':
      return {
        real: [perChannel(ch, (c) => (layer.alpha[c]! * sIn(0)) / out), perChannel(ch, (c) => (layer.weightScale[c]! * sIn(0)) / out)],
        bias: perChannel(ch, (c) => layer.floatBias[c]! / out),
      };
    case 'add':
      return { real: [perChannel(ch, () => sIn(0) / out), perChannel(ch, () => sIn(1) / out)], bias: zero };
    case 'avgpool': {
      const s = info.byName.get(layer.name)!.inShapes[0]!;
      return { real: [perChannel(ch, () => sIn(0) / (s.height * s.width * out))], bias: zero };
    }
    case 'maxpool':
    case 'concat':
      return null;
    default:
      return assertNever(layer);
  }
}

function withRequant(layer: Layer, rq: Requant): Layer {
  switch (layer.kind) {
    case 'maxpool':
    case 'concat':
      return layer;
    default:
      return { ...layer, requant: rq };
  }
}

export function quantize(fm: FloatModel, opts: QuantizeOptions): { model: Model; info: ModelInfo; report: QuantizeReport } {
  const bin = new ErrorTally();
  const i8 = new ErrorTally();
  const channelsOf = new Map<string, number>();
  const shapes = new Map<string, Shape>();
  const drafted: Layer[] = [];
  const rule = parseBinarizePolicy(opts.binarize);
  for (const fl of fm.layers) {
    const l = draftLayer(fl, fm, rule, bin, i8, channelsOf);
    drafted.push(l);
    // Output channels of earlier layers size the add/avgpool drafts.
    const ins = l.inputs.map((n) => {
      const s = shapes.get(n);
      if (!s) throw new GenRtlError(`layer "${l.name}" (${l.kind})`, `input "${n}" is not an earlier layer`);
      return s;
    });
    const shape = contractOf(l).outShape(l, ins);
    shapes.set(l.name, shape);
    channelsOf.set(l.name, shape.channels);
  }
  const draft: Model = { name: fm.name, classes: fm.classes, layers: drafted, output: fm.output, provenance: fm.provenance };
  const draftInfo = analyze(draft);
  const scale = assignScales(draftInfo, calibrate(draftInfo, opts.calibration));

  const layers = drafted.map((layer) => {
    const real = realRequant(layer, draftInfo, scale);
    if (!real || !('requant' in layer)) return layer;
    let p;
    try {
      p = requantParams(real.real, real.bias);
    } catch (e) {
      throw new GenRtlError(`layer "${layer.name}" (${layer.kind})`, e instanceof Error ? e.message : String(e));
    }
    return withRequant(layer, { ...layer.requant, mult: p.mult, bias: p.bias, shift: p.shift, out: { ...layer.requant.out, scale: scale.get(layer.name)! } });
  });
  const model: Model = { ...draft, layers };
  return { model, info: analyze(model), report: { binary: bin.result(), int8: i8.result() } };
}

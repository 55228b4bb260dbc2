/**
 * Validation and analysis of a model: shapes, activation types, accumulator
 * bounds and widths, parameter and work counts. Returns data; throws a
 * GenRtlError naming the layer and the reason for anything illegal.
 */
import { GenRtlError } from '../util/errors.js';
import {
  EXACT_LIMIT,
  MULT_MAX,
  MULT_MIN,
  SHIFT_MAX,
  addRanges,
  mulRange,
  rangeOfArray,
  signedBits,
  type Range,
} from './arith.js';
import { KINDS, contractOf, type Counts, type Operand } from './kinds.js';
import type { ActType, Layer, Model, Requant, Shape } from './types.js';

export const MAX_LAYERS = 10_000;
export const MAX_TENSOR_ELEMENTS = 2 ** 26;
export const MAX_CLASSES = 65_536;

export interface AccTerm {
  readonly range: Range;
  /** Signed two's-complement width that holds every value of `range`. */
  readonly bits: number;
}

export interface LayerInfo {
  readonly layer: Layer;
  readonly inShapes: readonly Shape[];
  readonly inTypes: readonly ActType[];
  readonly outShape: Shape;
  readonly outType: ActType;
  /** One accumulator per requantization term (empty for max pool and concat). */
  readonly acc: readonly AccTerm[];
  /** Worst case of Σ acc·mult + bias + rounding, and the width that holds it. */
  readonly requantSum: AccTerm | null;
  readonly counts: Counts;
}

export interface ModelInfo {
  readonly model: Model;
  readonly layers: readonly LayerInfo[];
  readonly byName: ReadonlyMap<string, LayerInfo>;
  readonly input: Shape;
  readonly totals: Counts;
}

function fail(layer: Layer, what: string): never {
  throw new GenRtlError(`layer "${layer.name}" (${layer.kind})`, what);
}

function requantOf(layer: Layer): Requant | null {
  switch (layer.kind) {
    case 'maxpool':
    case 'concat':
      return null;
    default:
      return layer.requant;
  }
}

function checkActType(layer: Layer, t: ActType, isOutput: boolean): void {
  if (!(Number.isFinite(t.scale) && t.scale > 0)) fail(layer, `output scale must be a positive finite number, got ${t.scale}`);
  if (t.bits !== 8 && !(isOutput && t.signed && (t.bits === 16 || t.bits === 32))) {
    fail(layer, `output must be 8-bit (16- or 32-bit signed only for the model output), got ${t.signed ? 'int' : 'uint'}${t.bits}`);
  }
}

function checkLength(layer: Layer, what: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) fail(layer, `${what} has ${a.length} entries, expected ${n}`);
}

function checkFinite(layer: Layer, what: string, a: Float32Array): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!)) fail(layer, `${what}[${i}] is not a finite number`);
  }
}

function checkSigns(layer: Layer, patterns: Int8Array): void {
  for (let i = 0; i < patterns.length; i++) {
    if (patterns[i] !== 1 && patterns[i] !== -1) fail(layer, `pattern ${i} is ${patterns[i]}, not +1 or -1`);
  }
}

/** A per-channel float parameter: one finite value per output channel. */
function checkPerChannel(layer: Layer, what: string, a: Float32Array, channels: number): void {
  checkLength(layer, what, a, channels);
  checkFinite(layer, what, a);
}

/** ±1 patterns of a binary k×k branch, and its alpha per filter. */
function checkPatterns(layer: Layer, patterns: Int8Array, alpha: Float32Array, n: number, channels: number): void {
  checkLength(layer, 'patterns', patterns, n);
  checkSigns(layer, patterns);
  checkPerChannel(layer, 'alpha', alpha, channels);
}

/** Int8 weights and their scale per output channel. */
function checkInt8(layer: Layer, weights: Int8Array, scale: Float32Array, n: number, channels: number): void {
  checkLength(layer, 'weights', weights, n);
  checkPerChannel(layer, 'weight scales', scale, channels);
}

/** Parameter arrays must match the shapes the graph implies. */
function checkParams(layer: Layer, ins: readonly Shape[], out: Shape): void {
  const co = out.channels;
  switch (layer.kind) {
    case 'input':
      checkLength(layer, 'mean', layer.mean, layer.channels);
      checkLength(layer, 'std', layer.std, layer.channels);
      for (let c = 0; c < layer.channels; c++) {
        if (!Number.isFinite(layer.mean[c]!)) fail(layer, `mean[${c}] is not finite`);
        if (!(Number.isFinite(layer.std[c]!) && layer.std[c]! > 0)) fail(layer, `std[${c}] must be positive`);
      }
      return;
    case 'binconv':
      checkPatterns(layer, layer.patterns, layer.alpha, co * (ins[0]!.channels / layer.geom.groups) * layer.geom.kernel ** 2, co);
      checkPerChannel(layer, 'float bias', layer.floatBias, co);
      return;
    case 'conv':
      checkInt8(layer, layer.weights, layer.weightScale, co * (ins[0]!.channels / layer.geom.groups) * layer.geom.kernel ** 2, co);
      checkPerChannel(layer, 'float bias', layer.floatBias, co);
      return;
    case 'prb': {
      const cin = ins[0]!.channels / layer.geom.groups;
      checkPatterns(layer, layer.patterns, layer.alpha, co * cin * layer.geom.kernel ** 2, co);
      checkInt8(layer, layer.weights, layer.weightScale, co * cin, co);
      checkPerChannel(layer, 'float bias', layer.floatBias, co);
      return;
    }
    case 'fc':
      checkInt8(layer, layer.weights, layer.weightScale, co * ins[0]!.height * ins[0]!.width * ins[0]!.channels, co);
      checkPerChannel(layer, 'float bias', layer.floatBias, co);
      return;
    case 'add':
    case 'maxpool':
    case 'avgpool':
    case 'concat':
      return;
  }
}

function checkRequant(layer: Layer, rq: Requant, terms: readonly Range[], channels: number, isOutput: boolean): AccTerm {
  if (rq.mult.length !== terms.length) fail(layer, `requantization has ${rq.mult.length} multiplier arrays, expected ${terms.length}`);
  rq.mult.forEach((m, j) => checkLength(layer, `multiplier ${j}`, m, channels));
  checkLength(layer, 'bias', rq.bias, channels);
  checkLength(layer, 'shift', rq.shift, channels);
  checkActType(layer, rq.out, isOutput);
  if (rq.relu === rq.out.signed) {
    fail(layer, rq.relu ? 'a ReLU output must be unsigned' : 'an output without ReLU must be signed');
  }
  const parts: Range[] = [];
  rq.mult.forEach((m, j) => {
    const mr = rangeOfArray(m);
    if (mr.min < MULT_MIN || mr.max > MULT_MAX) {
      fail(layer, `multiplier ${j} must lie in ${MULT_MIN}..${MULT_MAX}, got ${mr.min}..${mr.max}`);
    }
    parts.push(mulRange(terms[j]!, mr));
  });
  const sr = rangeOfArray(rq.shift);
  if (sr.max > SHIFT_MAX) fail(layer, `shift must be at most ${SHIFT_MAX}, got ${sr.max}`);
  parts.push(rangeOfArray(rq.bias));
  parts.push({ min: 0, max: sr.max > 0 ? 2 ** (sr.max - 1) : 0 });
  const range = addRanges(parts);
  if (Math.max(-range.min, range.max) >= EXACT_LIMIT) {
    fail(layer, `worst-case requantization sum ${range.min}..${range.max} exceeds 2^53; lower the multipliers or the bias`);
  }
  return { range, bits: signedBits(range) };
}

/** Validates `model` and returns its analysis. */
export function analyze(model: Model): ModelInfo {
  const where = `model "${model.name}"`;
  if (model.layers.length === 0) throw new GenRtlError(where, 'has no layers');
  if (model.layers.length > MAX_LAYERS) throw new GenRtlError(where, `has ${model.layers.length} layers, more than the ${MAX_LAYERS} supported`);
  const first = model.layers[0]!;
  if (first.kind !== 'input') throw new GenRtlError(where, `the first layer must be the input, got "${first.name}" (${first.kind})`);

  if (!model.layers.some((l) => l.name === model.output)) throw new GenRtlError(where, `output "${model.output}" is not a layer`);

  const byName = new Map<string, LayerInfo>();
  const used = new Set<string>();
  const infos: LayerInfo[] = [];
  for (const layer of model.layers) {
    if (layer.name.length === 0 || layer.name.length > 200) {
      throw new GenRtlError(where, `layer names must have 1..200 characters, got ${JSON.stringify(layer.name.slice(0, 40))}`);
    }
    if (byName.has(layer.name)) fail(layer, 'the name is used by an earlier layer');
    if (!(layer.kind in KINDS)) fail(layer, 'unknown layer kind');
    if (layer.kind === 'input' && layer !== first) fail(layer, 'a model has exactly one input layer, first');
    const contract = contractOf(layer);
    if (contract.arity === null ? layer.inputs.length < 1 : layer.inputs.length !== contract.arity) {
      fail(layer, `takes ${contract.arity ?? 'one or more'} input(s), got ${layer.inputs.length}`);
    }
    const ins: Operand[] = layer.inputs.map((name) => {
      const src = byName.get(name);
      if (!src) fail(layer, `input "${name}" is not an earlier layer`);
      used.add(name);
      return { shape: src.outShape, type: src.outType };
    });
    const inShapes = ins.map((o) => o.shape);
    const outShape = contract.outShape(layer, inShapes);
    if (outShape.height * outShape.width * outShape.channels > MAX_TENSOR_ELEMENTS) {
      fail(layer, `output ${outShape.height}x${outShape.width}x${outShape.channels} exceeds ${MAX_TENSOR_ELEMENTS} elements`);
    }
    checkParams(layer, inShapes, outShape);
    const terms = contract.terms(layer, ins);
    const isOutput = layer.name === model.output;
    const rq = requantOf(layer);
    let outType: ActType;
    let requantSum: AccTerm | null = null;
    if (rq) {
      requantSum = checkRequant(layer, rq, terms, outShape.channels, isOutput);
      outType = rq.out;
    } else {
      outType = contract.passType!(layer, ins);
    }
    const info: LayerInfo = {
      layer,
      inShapes,
      inTypes: ins.map((o) => o.type),
      outShape,
      outType,
      acc: terms.map((range) => ({ range, bits: signedBits(range) })),
      requantSum,
      counts: contract.counts(layer, inShapes, outShape),
    };
    infos.push(info);
    byName.set(layer.name, info);
  }

  const out = byName.get(model.output)!;
  if (out.layer !== model.layers[model.layers.length - 1]) {
    throw new GenRtlError(where, `the output layer "${model.output}" must be the last layer`);
  }
  for (const l of model.layers) {
    if (l !== out.layer && !used.has(l.name)) fail(l, 'its output is used by no layer');
  }
  const classes = out.outShape.height * out.outShape.width * out.outShape.channels;
  if (model.classes.length !== classes) {
    throw new GenRtlError(where, `has ${model.classes.length} class labels but the output "${model.output}" has ${classes} values`);
  }
  if (classes > MAX_CLASSES) throw new GenRtlError(where, `has ${classes} classes, more than ${MAX_CLASSES}`);

  return {
    model,
    layers: infos,
    byName,
    input: infos[0]!.outShape,
    totals: sumCounts(infos.map((i) => i.counts)),
  };
}

export function sumCounts(cs: readonly Counts[]): Counts {
  const keys = Object.keys(cs[0] ?? {}) as (keyof Counts)[];
  const total = Object.fromEntries(keys.map((k) => [k, cs.reduce((s, c) => s + c[k], 0)]));
  return total as unknown as Counts;
}

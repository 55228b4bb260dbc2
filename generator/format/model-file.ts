/**
 * Model ↔ .sepb: the graph as the container's `model` JSON plus one tensor per
 * parameter array. The reader checks the JSON against a schema, every tensor's
 * dtype and shape against what the graph implies, and then the whole model
 * with analyze(). docs/sepb-format.md, "Model description", is the spec.
 */
import { z } from 'zod';
import { analyze, type ModelInfo } from '../ir/analyze.js';
import { contractOf } from '../ir/kinds.js';
import { ACCURACY_KEYS, type Accuracy, type ActType, type ConvGeom, type Layer, type Model, type Provenance, type Requant, type Shape } from '../ir/types.js';
import { GenRtlError, assertNever } from '../util/errors.js';
import { oneLine } from './container-layout.js';
import { packBits, readContainer, readContainerFile, unpackBits, writeContainer, type DType, type Tensor } from './container.js';

const int = z.number().int().safe();
// Names reach error messages and reports: no control characters or line breaks, so those stay one line.
const printable = (s: z.ZodString): z.ZodString => s.regex(/^[^\u0000-\u001f\u007f\u2028\u2029]*$/, 'must not hold control characters or line breaks');
const name = printable(z.string().min(1).max(200));
const tensorRef = printable(z.string().min(1).max(200));

const actType = z.strictObject({
  signed: z.boolean(),
  bits: z.union([z.literal(8), z.literal(16), z.literal(32)]),
  scale: z.number().positive(),
});

const requant = z.strictObject({
  relu: z.boolean(),
  out: actType,
  mult: z.array(tensorRef).min(1).max(2),
  bias: tensorRef,
  shift: tensorRef,
});

const geom = z.strictObject({ kernel: int, stride: int, pad: int, groups: int });

const base = { name, inputs: z.array(name).max(64) };

const layerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base,
    kind: z.literal('input'),
    height: int,
    width: int,
    channels: int,
    mean: z.array(z.number()).max(4096),
    std: z.array(z.number()).max(4096),
    requant,
  }),
  z.strictObject({ ...base, kind: z.literal('binconv'), outChannels: int, geom, patterns: tensorRef, alpha: tensorRef, floatBias: tensorRef, requant }),
  z.strictObject({ ...base, kind: z.literal('conv'), outChannels: int, geom, weights: tensorRef, weightScale: tensorRef, floatBias: tensorRef, requant }),
  z.strictObject({
    ...base,
    kind: z.literal('prb'),
    outChannels: int,
    geom,
    patterns: tensorRef,
    alpha: tensorRef,
    weights: tensorRef,
    weightScale: tensorRef,
    floatBias: tensorRef,
    requant,
  }),
  z.strictObject({ ...base, kind: z.literal('add'), requant }),
  z.strictObject({ ...base, kind: z.literal('maxpool'), kernel: int, stride: int, pad: int }),
  z.strictObject({ ...base, kind: z.literal('avgpool'), requant }),
  z.strictObject({ ...base, kind: z.literal('fc'), outChannels: int, weights: tensorRef, weightScale: tensorRef, floatBias: tensorRef, requant }),
  z.strictObject({ ...base, kind: z.literal('concat') }),
]);

const accuracy = z.strictObject({ top1: z.number().min(0).max(1), count: int.nonnegative(), dataset: z.string().max(1000) });

const modelSchema = z.strictObject({
  name,
  classes: z.array(z.string().max(200)).min(1).max(65536),
  output: name,
  provenance: z.strictObject({
    source: z.string().max(4000),
    dataset: z.string().max(1000).nullable(),
    seed: int.nullable(),
    accuracy: z.strictObject({
      float: accuracy.optional(),
      integer: accuracy.optional(),
      full: accuracy.optional(),
      bipattern: accuracy.optional(),
      refined: accuracy.optional(),
    }),
    notes: z.array(z.string().max(4000)).max(100),
  }),
  layers: z.array(layerSchema).min(1).max(10_000),
});

type LayerJson = z.infer<typeof layerSchema>;

/** One tensor reference of a layer: the field, its dtype and its expected shape. */
interface Slot {
  readonly field: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

function convSlots(l: { outChannels: number; geom: ConvGeom }, cin: number): { kxk: number[]; one: number[]; ch: number[] } {
  const cinG = cin / l.geom.groups;
  return { kxk: [l.outChannels, cinG, l.geom.kernel, l.geom.kernel], one: [l.outChannels, cinG], ch: [l.outChannels] };
}

function requantSlots(terms: number, channels: number): Slot[] {
  return [
    ...Array.from({ length: terms }, (_, j) => ({ field: `mult${j}`, dtype: 'int32' as const, shape: [channels] })),
    { field: 'bias', dtype: 'int32', shape: [channels] },
    { field: 'shift', dtype: 'uint8', shape: [channels] },
  ];
}

/** The parameter tensors of a layer kind, given its input shape and output channels. */
function slotsOf(kind: Layer['kind'], l: Record<string, unknown>, ins: readonly Shape[], out: Shape): Slot[] {
  const cin = ins[0]?.channels ?? 0;
  const ch = out.channels;
  switch (kind) {
    case 'input':
      return requantSlots(1, ch);
    case 'binconv': {
      const s = convSlots(l as { outChannels: number; geom: ConvGeom }, cin);
      return [
        { field: 'patterns', dtype: 'bits', shape: s.kxk },
        { field: 'alpha', dtype: 'float32', shape: s.ch },
        { field: 'floatBias', dtype: 'float32', shape: s.ch },
        ...requantSlots(1, ch),
      ];
    }
    case 'conv': {
      const s = convSlots(l as { outChannels: number; geom: ConvGeom }, cin);
      return [
        { field: 'weights', dtype: 'int8', shape: s.kxk },
        { field: 'weightScale', dtype: 'float32', shape: s.ch },
        { field: 'floatBias', dtype: 'float32', shape: s.ch },
        ...requantSlots(1, ch),
      ];
    }
    case 'prb': {
      const s = convSlots(l as { outChannels: number; geom: ConvGeom }, cin);
      return [
        { field: 'patterns', dtype: 'bits', shape: s.kxk },
        { field: 'alpha', dtype: 'float32', shape: s.ch },
        { field: 'weights', dtype: 'int8', shape: s.one },
        { field: 'weightScale', dtype: 'float32', shape: s.ch },
        { field: 'floatBias', dtype: 'float32', shape: s.ch },
        ...requantSlots(2, ch),
      ];
    }
    case 'add':
      return requantSlots(2, ch);
    case 'avgpool':
      return requantSlots(1, ch);
    case 'fc': {
      const x = ins[0]!;
      return [
        { field: 'weights', dtype: 'int8', shape: [ch, x.height * x.width * x.channels] },
        { field: 'weightScale', dtype: 'float32', shape: [ch] },
        { field: 'floatBias', dtype: 'float32', shape: [ch] },
        ...requantSlots(1, ch),
      ];
    }
    case 'maxpool':
    case 'concat':
      return [];
    default:
      return assertNever(kind);
  }
}

function tensorName(index: number, field: string): string {
  return `L${index}.${field}`;
}

// ---------------------------------------------------------------- writing

function requantJson(index: number, rq: Requant): Record<string, unknown> {
  return {
    relu: rq.relu,
    out: { signed: rq.out.signed, bits: rq.out.bits, scale: rq.out.scale },
    mult: rq.mult.map((_, j) => tensorName(index, `mult${j}`)),
    bias: tensorName(index, 'bias'),
    shift: tensorName(index, 'shift'),
  };
}

function layerFields(l: Layer): { json: Record<string, unknown>; data: Record<string, Int8Array | Int32Array | Uint8Array | Float32Array> } {
  const rqData = (rq: Requant): Record<string, Int32Array | Uint8Array> => ({
    ...Object.fromEntries(rq.mult.map((m, j) => [`mult${j}`, m])),
    bias: rq.bias,
    shift: rq.shift,
  });
  switch (l.kind) {
    case 'input':
      return { json: { height: l.height, width: l.width, channels: l.channels, mean: [...l.mean], std: [...l.std] }, data: rqData(l.requant) };
    case 'binconv':
      return { json: { outChannels: l.outChannels, geom: { ...l.geom } }, data: { patterns: l.patterns, alpha: l.alpha, floatBias: l.floatBias, ...rqData(l.requant) } };
    case 'conv':
      return { json: { outChannels: l.outChannels, geom: { ...l.geom } }, data: { weights: l.weights, weightScale: l.weightScale, floatBias: l.floatBias, ...rqData(l.requant) } };
    case 'prb':
      return {
        json: { outChannels: l.outChannels, geom: { ...l.geom } },
        data: { patterns: l.patterns, alpha: l.alpha, weights: l.weights, weightScale: l.weightScale, floatBias: l.floatBias, ...rqData(l.requant) },
      };
    case 'add':
    case 'avgpool':
      return { json: {}, data: rqData(l.requant) };
    case 'fc':
      return { json: { outChannels: l.outChannels }, data: { weights: l.weights, weightScale: l.weightScale, floatBias: l.floatBias, ...rqData(l.requant) } };
    case 'maxpool':
      return { json: { kernel: l.kernel, stride: l.stride, pad: l.pad }, data: {} };
    case 'concat':
      return { json: {}, data: {} };
    default:
      return assertNever(l);
  }
}

/** The measured accuracies, in a fixed key order and without absent keys. */
function accuracies(a: { readonly [K in keyof Provenance['accuracy']]?: Accuracy | undefined }): Provenance['accuracy'] {
  const out: { -readonly [K in keyof Provenance['accuracy']]: Accuracy } = {};
  for (const k of ACCURACY_KEYS) {
    const v = a[k];
    if (v) out[k] = { top1: v.top1, count: v.count, dataset: v.dataset };
  }
  return out;
}

/** Serializes a valid model; the same model always gives the same bytes. */
export function writeModel(info: ModelInfo): Uint8Array {
  const { model } = info;
  const tensors: Tensor[] = [];
  const layers = info.layers.map((li, index) => {
    const l = li.layer;
    const { json, data } = layerFields(l);
    const refs: Record<string, string> = {};
    for (const slot of slotsOf(l.kind, l as unknown as Record<string, unknown>, li.inShapes, li.outShape)) {
      const arr = data[slot.field]!;
      const tname = tensorName(index, slot.field);
      tensors.push({ name: tname, dtype: slot.dtype, shape: slot.shape, data: slot.dtype === 'bits' ? packBits(arr) : arr });
      if (!slot.field.startsWith('mult') && slot.field !== 'bias' && slot.field !== 'shift') refs[slot.field] = tname;
    }
    return {
      name: l.name,
      kind: l.kind,
      inputs: [...l.inputs],
      ...json,
      ...refs,
      ...('requant' in l ? { requant: requantJson(index, l.requant) } : {}),
    };
  });
  const p = model.provenance;
  const description = {
    name: model.name,
    classes: [...model.classes],
    output: model.output,
    provenance: {
      source: p.source,
      dataset: p.dataset,
      seed: p.seed,
      accuracy: accuracies(p.accuracy),
      notes: [...p.notes],
    },
    layers,
  };
  return writeContainer(description, tensors);
}

// ---------------------------------------------------------------- reading

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  // Zod quotes unknown keys from the file as they are: escaped to keep one line.
  return oneLine(`model description${path}: ${issue.message}`);
}

class TensorTable {
  private readonly used = new Set<string>();
  constructor(
    private readonly source: string,
    private readonly tensors: ReadonlyMap<string, Tensor>,
  ) {}

  take(layer: LayerJson, ref: string, slot: Slot): Tensor {
    const where = `${this.source}: layer "${layer.name}" (${layer.kind}) ${slot.field}`;
    const t = this.tensors.get(ref);
    if (!t) throw new GenRtlError(where, `refers to tensor "${ref}", which the file does not hold`);
    if (this.used.has(ref)) throw new GenRtlError(where, `tensor "${ref}" is already used by another parameter`);
    this.used.add(ref);
    if (t.dtype !== slot.dtype) throw new GenRtlError(where, `tensor "${ref}" is ${t.dtype}, expected ${slot.dtype}`);
    if (t.shape.length !== slot.shape.length || t.shape.some((d, i) => d !== slot.shape[i])) {
      throw new GenRtlError(where, `tensor "${ref}" has shape [${t.shape.join(', ')}], the graph implies [${slot.shape.join(', ')}]`);
    }
    return t;
  }

  checkAllUsed(): void {
    for (const n of this.tensors.keys()) {
      if (!this.used.has(n)) throw new GenRtlError(this.source, `tensor "${n}" is not used by any layer`);
    }
  }
}

function refOf(l: LayerJson, field: string): string {
  if (field.startsWith('mult') || field === 'bias' || field === 'shift') {
    const rq = (l as { requant: z.infer<typeof requant> }).requant;
    if (field.startsWith('mult')) {
      const j = Number(field.slice(4));
      const r = rq.mult[j];
      if (r === undefined) throw new GenRtlError(`layer "${l.name}" (${l.kind})`, `requant.mult needs ${j + 1} entries, got ${rq.mult.length}`);
      return r;
    }
    return field === 'bias' ? rq.bias : rq.shift;
  }
  return (l as unknown as Record<string, string>)[field]!;
}

function buildLayer(l: LayerJson, data: Record<string, Tensor>): Layer {
  const f32 = (k: string): Float32Array => data[k]!.data as Float32Array;
  const i8 = (k: string): Int8Array => data[k]!.data as Int8Array;
  const bits = (k: string): Int8Array => {
    const t = data[k]!;
    return unpackBits(t.data as Uint8Array, t.shape.reduce((a, b) => a * b, 1));
  };
  const rq = (): Requant => {
    const r = (l as { requant: z.infer<typeof requant> }).requant;
    const out: ActType = { signed: r.out.signed, bits: r.out.bits, scale: r.out.scale };
    const mult = r.mult.map((_, j) => data[`mult${j}`]!.data as Int32Array);
    return { mult, bias: data['bias']!.data as Int32Array, shift: data['shift']!.data as Uint8Array, relu: r.relu, out };
  };
  const b = { name: l.name, inputs: l.inputs };
  switch (l.kind) {
    case 'input':
      return { ...b, kind: 'input', height: l.height, width: l.width, channels: l.channels, mean: l.mean, std: l.std, requant: rq() };
    case 'binconv':
      return { ...b, kind: 'binconv', outChannels: l.outChannels, geom: l.geom, patterns: bits('patterns'), alpha: f32('alpha'), floatBias: f32('floatBias'), requant: rq() };
    case 'conv':
      return { ...b, kind: 'conv', outChannels: l.outChannels, geom: l.geom, weights: i8('weights'), weightScale: f32('weightScale'), floatBias: f32('floatBias'), requant: rq() };
    case 'prb':
      return {
        ...b,
        kind: 'prb',
        outChannels: l.outChannels,
        geom: l.geom,
        patterns: bits('patterns'),
        alpha: f32('alpha'),
        weights: i8('weights'),
        weightScale: f32('weightScale'),
        floatBias: f32('floatBias'),
        requant: rq(),
      };
    case 'add':
      return { ...b, kind: 'add', requant: rq() };
    case 'maxpool':
      return { ...b, kind: 'maxpool', kernel: l.kernel, stride: l.stride, pad: l.pad };
    case 'avgpool':
      return { ...b, kind: 'avgpool', requant: rq() };
    case 'fc':
      return { ...b, kind: 'fc', outChannels: l.outChannels, weights: i8('weights'), weightScale: f32('weightScale'), floatBias: f32('floatBias'), requant: rq() };
    case 'concat':
      return { ...b, kind: 'concat' };
    default:
      return assertNever(l);
  }
}

/** Builds and validates the model from a container's contents. */
export function modelFromContainer(source: string, description: unknown, tensors: ReadonlyMap<string, Tensor>): ModelInfo {
  const parsed = modelSchema.safeParse(description);
  if (!parsed.success) throw new GenRtlError(source, formatIssue(parsed.error.issues[0]!));
  const d = parsed.data;
  const table = new TensorTable(source, tensors);
  const shapes = new Map<string, Shape>();
  const layers: Layer[] = [];
  for (const lj of d.layers) {
    const ins = lj.inputs.map((n) => {
      const s = shapes.get(n);
      if (!s) throw new GenRtlError(`${source}: layer "${lj.name}" (${lj.kind})`, `input "${n}" is not an earlier layer`);
      return s;
    });
    if (lj.kind === 'input' && ins.length > 0) throw new GenRtlError(`${source}: layer "${lj.name}" (input)`, 'an input layer takes no inputs');
    if (lj.kind !== 'input' && lj.kind !== 'concat' && lj.kind !== 'add' && ins.length !== 1) {
      throw new GenRtlError(`${source}: layer "${lj.name}" (${lj.kind})`, `takes one input, got ${ins.length}`);
    }
    if ((lj.kind === 'add' && ins.length !== 2) || (lj.kind === 'concat' && ins.length < 1)) {
      throw new GenRtlError(`${source}: layer "${lj.name}" (${lj.kind})`, `takes ${lj.kind === 'add' ? 'two inputs' : 'one or more inputs'}, got ${ins.length}`);
    }
    // Shape first, from geometry alone, so tensors can be checked against it.
    const shell = { ...lj } as unknown as Layer;
    const out = withLayerContext(source, () => contractOf(shell).outShape(shell, ins));
    const data: Record<string, Tensor> = {};
    for (const slot of slotsOf(lj.kind, lj as unknown as Record<string, unknown>, ins, out)) {
      data[slot.field] = table.take(lj, refOf(lj, slot.field), slot);
    }
    // Extra multipliers would name tensors no slot checked (found by fuzzing).
    const mult = (lj as { requant?: { mult: readonly string[] } }).requant?.mult;
    const terms = Object.keys(data).filter((k) => k.startsWith('mult')).length;
    if (mult !== undefined && mult.length !== terms) {
      throw new GenRtlError(`${source}: layer "${lj.name}" (${lj.kind})`, `requant.mult has ${mult.length} entries; a ${lj.kind} layer takes ${terms}`);
    }
    const layer = buildLayer(lj, data);
    layers.push(layer);
    shapes.set(lj.name, out);
  }
  table.checkAllUsed();
  const model: Model = {
    name: d.name,
    classes: d.classes,
    output: d.output,
    layers,
    provenance: {
      source: d.provenance.source,
      dataset: d.provenance.dataset,
      seed: d.provenance.seed,
      accuracy: accuracies(d.provenance.accuracy),
      notes: d.provenance.notes,
    },
  };
  return withLayerContext(source, () => analyze(model));
}

function withLayerContext<T>(source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GenRtlError) throw new GenRtlError(source, e.message);
    throw e;
  }
}

export function readModel(bytes: Uint8Array, source: string): ModelInfo {
  const { model, tensors } = readContainer(bytes, source);
  return modelFromContainer(source, model, tensors);
}

export function readModelFile(path: string): ModelInfo {
  const { model, tensors } = readContainerFile(path);
  return modelFromContainer(path, model, tensors);
}

/**
 * One contract per layer kind: arity, shape inference, accumulator terms and
 * parameter/work counts. A kind without an entry is a compile error.
 */
import { GenRtlError } from '../util/errors.js';
import {
  INT8_RANGE,
  binaryProductRange,
  mulRange,
  scaleRange,
  typeRange,
  type Range,
} from './arith.js';
import type { ActType, ConvGeom, Layer, LayerKind, LayerOf, Shape } from './types.js';

export interface Operand {
  readonly shape: Shape;
  readonly type: ActType;
}

/** Per-layer counts; `full` is the float network's parameter count (see docs/model-zoo.md). */
export interface Counts {
  readonly fullParams: number;
  /** Paper's count: one number per binarized kernel, everything else as in `fullParams`. */
  readonly patternParams: number;
  readonly binaryWeights: number;
  readonly int8Weights: number;
  /** Binarized filters (one alpha each). */
  readonly binaryFilters: number;
  /** Channels with a float scale: int8 weight scales. */
  readonly int8Channels: number;
  /** Biases counted as parameters (the classifier's). */
  readonly biases: number;
  readonly binaryMacs: number;
  readonly int8Macs: number;
}

export interface KindContract<L extends Layer> {
  /** Number of inputs; `null` means one or more. */
  readonly arity: number | null;
  outShape(layer: L, ins: readonly Shape[]): Shape;
  /** Worst-case range of each requantization term's accumulator (empty: no requantization). */
  terms(layer: L, ins: readonly Operand[]): readonly Range[];
  /** The output type when the kind has no requantization. */
  passType?(layer: L, ins: readonly Operand[]): ActType;
  counts(layer: L, ins: readonly Shape[], out: Shape): Counts;
}

const NO_COUNTS: Counts = {
  fullParams: 0,
  patternParams: 0,
  binaryWeights: 0,
  int8Weights: 0,
  binaryFilters: 0,
  int8Channels: 0,
  biases: 0,
  binaryMacs: 0,
  int8Macs: 0,
};

export const MAX_KERNEL = 15;
export const MAX_STRIDE = 4;

function fail(layer: Layer, what: string): never {
  throw new GenRtlError(`layer "${layer.name}" (${layer.kind})`, what);
}

function checkInt(layer: Layer, what: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    fail(layer, `${what} must be an integer in ${min}..${max}, got ${v}`);
  }
}

/** Output size of a window of `k` sliding by `stride` over `n + 2·pad`. */
export function windowOut(n: number, k: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - k) / stride) + 1;
}

function convShape(layer: Layer, geom: ConvGeom, cout: number, input: Shape): Shape {
  const { kernel: k, stride, pad, groups } = geom;
  checkInt(layer, 'kernel', k, 1, MAX_KERNEL);
  checkInt(layer, 'stride', stride, 1, MAX_STRIDE);
  checkInt(layer, 'pad', pad, 0, k - 1);
  checkInt(layer, 'groups', groups, 1, 65536);
  checkInt(layer, 'output channels', cout, 1, 65536);
  if (input.channels % groups !== 0) {
    fail(layer, `groups (${groups}) must divide the input channels (${input.channels})`);
  }
  if (cout % groups !== 0) {
    fail(layer, `groups (${groups}) must divide the output channels (${cout})`);
  }
  const height = windowOut(input.height, k, stride, pad);
  const width = windowOut(input.width, k, stride, pad);
  if (height < 1 || width < 1) {
    fail(layer, `a ${k}x${k} window with pad ${pad} does not fit the ${input.height}x${input.width} input`);
  }
  return { height, width, channels: cout };
}

/** Taps per output value of a (grouped) convolution. */
function fanIn(geom: ConvGeom, cin: number): number {
  return (cin / geom.groups) * geom.kernel * geom.kernel;
}

function binaryTerm(x: ActType, n: number): Range {
  return scaleRange(binaryProductRange(typeRange(x)), n);
}

function int8Term(x: ActType, n: number): Range {
  return scaleRange(mulRange(typeRange(x), INT8_RANGE), n);
}

function only(ins: readonly Operand[]): Operand {
  return ins[0]!;
}

const input: KindContract<LayerOf<'input'>> = {
  arity: 0,
  outShape: (l) => {
    checkInt(l, 'height', l.height, 1, 4096);
    checkInt(l, 'width', l.width, 1, 4096);
    checkInt(l, 'channels', l.channels, 1, 4096);
    return { height: l.height, width: l.width, channels: l.channels };
  },
  terms: () => [{ min: 0, max: 255 }],
  counts: () => NO_COUNTS,
};

const binconv: KindContract<LayerOf<'binconv'>> = {
  arity: 1,
  outShape: (l, [x]) => convShape(l, l.geom, l.outChannels, x!),
  terms: (l, ins) => [binaryTerm(only(ins).type, fanIn(l.geom, only(ins).shape.channels))],
  counts: (l, [x], out) => {
    const w = l.outChannels * fanIn(l.geom, x!.channels);
    const kernels = w / (l.geom.kernel * l.geom.kernel);
    return {
      ...NO_COUNTS,
      fullParams: w,
      patternParams: kernels,
      binaryWeights: w,
      binaryFilters: l.outChannels,
      binaryMacs: w * out.height * out.width,
    };
  },
};

const conv: KindContract<LayerOf<'conv'>> = {
  arity: 1,
  outShape: (l, [x]) => convShape(l, l.geom, l.outChannels, x!),
  terms: (l, ins) => [int8Term(only(ins).type, fanIn(l.geom, only(ins).shape.channels))],
  counts: (l, [x], out) => {
    const w = l.outChannels * fanIn(l.geom, x!.channels);
    return {
      ...NO_COUNTS,
      fullParams: w,
      patternParams: w,
      int8Weights: w,
      int8Channels: l.outChannels,
      int8Macs: w * out.height * out.width,
    };
  },
};

const prb: KindContract<LayerOf<'prb'>> = {
  arity: 1,
  outShape: (l, [x]) => {
    if (l.geom.kernel % 2 !== 1 || l.geom.pad !== (l.geom.kernel - 1) / 2) {
      fail(l, `a pattern residual block needs an odd kernel with pad (k-1)/2 so the 1x1 branch sees the centre tap; got kernel ${l.geom.kernel}, pad ${l.geom.pad}`);
    }
    return convShape(l, l.geom, l.outChannels, x!);
  },
  terms: (l, ins) => {
    const { shape, type } = only(ins);
    return [
      binaryTerm(type, fanIn(l.geom, shape.channels)),
      int8Term(type, shape.channels / l.geom.groups),
    ];
  },
  counts: (l, [x], out) => {
    const wb = l.outChannels * fanIn(l.geom, x!.channels);
    const wi = (l.outChannels * x!.channels) / l.geom.groups;
    const pixels = out.height * out.width;
    return {
      ...NO_COUNTS,
      fullParams: wb + wi,
      patternParams: wb / (l.geom.kernel * l.geom.kernel) + wi,
      binaryWeights: wb,
      int8Weights: wi,
      binaryFilters: l.outChannels,
      int8Channels: l.outChannels,
      binaryMacs: wb * pixels,
      int8Macs: wi * pixels,
    };
  },
};

const add: KindContract<LayerOf<'add'>> = {
  arity: 2,
  outShape: (l, [a, b]) => {
    if (a!.height !== b!.height || a!.width !== b!.width || a!.channels !== b!.channels) {
      fail(l, `inputs must have one shape, got ${fmtShape(a!)} and ${fmtShape(b!)}`);
    }
    return a!;
  },
  terms: (_l, ins) => ins.map((i) => typeRange(i.type)),
  counts: () => NO_COUNTS,
};

const maxpool: KindContract<LayerOf<'maxpool'>> = {
  arity: 1,
  outShape: (l, [x]) => {
    checkInt(l, 'kernel', l.kernel, 1, MAX_KERNEL);
    checkInt(l, 'stride', l.stride, 1, MAX_STRIDE);
    // Every window must hold at least one real pixel.
    checkInt(l, 'pad', l.pad, 0, Math.floor(l.kernel / 2));
    const height = windowOut(x!.height, l.kernel, l.stride, l.pad);
    const width = windowOut(x!.width, l.kernel, l.stride, l.pad);
    if (height < 1 || width < 1) fail(l, `a ${l.kernel}x${l.kernel} window does not fit the ${x!.height}x${x!.width} input`);
    return { height, width, channels: x!.channels };
  },
  terms: () => [],
  passType: (_l, ins) => only(ins).type,
  counts: () => NO_COUNTS,
};

const avgpool: KindContract<LayerOf<'avgpool'>> = {
  arity: 1,
  outShape: (_l, [x]) => ({ height: 1, width: 1, channels: x!.channels }),
  terms: (_l, ins) => [scaleRange(typeRange(only(ins).type), only(ins).shape.height * only(ins).shape.width)],
  counts: () => NO_COUNTS,
};

const fc: KindContract<LayerOf<'fc'>> = {
  arity: 1,
  outShape: (l, [_x]) => {
    checkInt(l, 'output channels', l.outChannels, 1, 65536);
    return { height: 1, width: 1, channels: l.outChannels };
  },
  terms: (_l, ins) => {
    const { shape, type } = only(ins);
    return [int8Term(type, shape.height * shape.width * shape.channels)];
  },
  counts: (l, [x]) => {
    const w = l.outChannels * x!.height * x!.width * x!.channels;
    return {
      ...NO_COUNTS,
      fullParams: w + l.outChannels,
      patternParams: w + l.outChannels,
      int8Weights: w,
      int8Channels: l.outChannels,
      biases: l.outChannels,
      int8Macs: w,
    };
  },
};

const concat: KindContract<LayerOf<'concat'>> = {
  arity: null,
  outShape: (l, ins) => {
    const first = ins[0]!;
    for (const s of ins) {
      if (s.height !== first.height || s.width !== first.width) {
        fail(l, `inputs must share height and width, got ${ins.map(fmtShape).join(', ')}`);
      }
    }
    return { ...first, channels: ins.reduce((n, s) => n + s.channels, 0) };
  },
  terms: () => [],
  passType: (l, ins) => {
    const t = ins[0]!.type;
    for (const i of ins) {
      if (i.type.signed !== t.signed || i.type.bits !== t.bits || i.type.scale !== t.scale) {
        fail(l, 'every input must have the same activation type and scale (requantize the branches to a common scale)');
      }
    }
    return t;
  },
  counts: () => NO_COUNTS,
};

export const KINDS: { readonly [K in LayerKind]: KindContract<LayerOf<K>> } = {
  input,
  binconv,
  conv,
  prb,
  add,
  maxpool,
  avgpool,
  fc,
  concat,
};

export function contractOf<L extends Layer>(layer: L): KindContract<L> {
  return KINDS[layer.kind] as unknown as KindContract<L>;
}

export function fmtShape(s: Shape): string {
  return `${s.height}x${s.width}x${s.channels}`;
}


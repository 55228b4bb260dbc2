/**
 * The float reference of the same graph: binarized kernels as alpha·b,
 * int8 weights dequantized (scale·w), float biases, no activation
 * quantization. Used for calibration, quantization-error reports and the
 * float-vs-integer agreement figure.
 */
import type { ModelInfo } from '../ir/analyze.js';
import type { Layer, Requant } from '../ir/types.js';
import { concatChannels } from './integer.js';
import { convolve, maxPool, sumPool, toTapMajor } from './kernels.js';
import { runWith, type Executors, type Pixels, type RunResult } from './run.js';

const prepared = new WeakMap<Layer, Float64Array>();
const prepared1x1 = new WeakMap<Layer, Float64Array>();

function cached(map: WeakMap<Layer, Float64Array>, layer: Layer, make: () => Float64Array): Float64Array {
  let t = map.get(layer);
  if (!t) {
    t = make();
    map.set(layer, t);
  }
  return t;
}

/** Adds the per-channel bias and applies the fused ReLU in place. */
function finish(y: Float64Array, bias: Float32Array | null, rq: Requant): Float64Array {
  const C = rq.bias.length;
  for (let i = 0; i < y.length; i++) {
    let v = y[i]! + (bias ? bias[i % C]! : 0);
    if (rq.relu && v < 0) v = 0;
    y[i] = v;
  }
  return y;
}

export const FLOAT_EXECUTORS: Executors = {
  input: ({ layer }, _ins, px) => {
    const C = layer.channels;
    const y = new Float64Array(px.data.length);
    for (let i = 0; i < y.length; i++) y[i] = (px.data[i]! / 255 - layer.mean[i % C]!) / layer.std[i % C]!;
    return finish(y, null, layer.requant);
  },
  binconv: ({ layer, inShapes }, [x]) => {
    const cinG = inShapes[0]!.channels / layer.geom.groups;
    const w = cached(prepared, layer, () => toTapMajor(layer.patterns, layer.outChannels, cinG, layer.geom.kernel, (co) => layer.alpha[co]!));
    return finish(convolve(x!, inShapes[0]!, w, layer.outChannels, layer.geom).acc, layer.floatBias, layer.requant);
  },
  conv: ({ layer, inShapes }, [x]) => {
    const cinG = inShapes[0]!.channels / layer.geom.groups;
    const w = cached(prepared, layer, () => toTapMajor(layer.weights, layer.outChannels, cinG, layer.geom.kernel, (co) => layer.weightScale[co]!));
    return finish(convolve(x!, inShapes[0]!, w, layer.outChannels, layer.geom).acc, layer.floatBias, layer.requant);
  },
  prb: ({ layer, inShapes }, [x]) => {
    const { geom, outChannels: cout } = layer;
    const cinG = inShapes[0]!.channels / geom.groups;
    const wb = cached(prepared, layer, () => toTapMajor(layer.patterns, cout, cinG, geom.kernel, (co) => layer.alpha[co]!));
    const wi = cached(prepared1x1, layer, () => toTapMajor(layer.weights, cout, cinG, 1, (co) => layer.weightScale[co]!));
    const y = convolve(x!, inShapes[0]!, wb, cout, geom).acc;
    const y1 = convolve(x!, inShapes[0]!, wi, cout, { kernel: 1, stride: geom.stride, pad: 0, groups: geom.groups }).acc;
    for (let i = 0; i < y.length; i++) y[i]! += y1[i]!;
    return finish(y, layer.floatBias, layer.requant);
  },
  add: ({ layer }, [a, b]) => {
    const y = new Float64Array(a!.length);
    for (let i = 0; i < y.length; i++) y[i] = a![i]! + b![i]!;
    return finish(y, null, layer.requant);
  },
  maxpool: ({ layer, inShapes }, [x]) => maxPool(x!, inShapes[0]!, layer.kernel, layer.stride, layer.pad).out,
  avgpool: ({ layer, inShapes }, [x]) => {
    const s = inShapes[0]!;
    const y = sumPool(x!, s);
    for (let i = 0; i < y.length; i++) y[i]! /= s.height * s.width;
    return finish(y, null, layer.requant);
  },
  fc: ({ layer, inShapes }, [x]) => {
    const s = inShapes[0]!;
    const cin = s.height * s.width * s.channels;
    const w = cached(prepared, layer, () => toTapMajor(layer.weights, layer.outChannels, cin, 1, (co) => layer.weightScale[co]!));
    const flat = { height: 1, width: 1, channels: cin };
    return finish(convolve(x!, flat, w, layer.outChannels, { kernel: 1, stride: 1, pad: 0, groups: 1 }).acc, layer.floatBias, layer.requant);
  },
  concat: ({ inShapes, outShape }, ins) => concatChannels(ins, inShapes.map((s) => s.channels), outShape.height * outShape.width),
};

/** Float inference on uint8 pixels; logits in real units. */
export function runFloat(info: ModelInfo, px: Pixels, keep = false): RunResult {
  return runWith(FLOAT_EXECUTORS, info, px, keep);
}

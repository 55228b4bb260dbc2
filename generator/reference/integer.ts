/**
 * The integer reference: the golden model every emitted design must match bit
 * for bit. Arithmetic per docs/integer-semantics.md:
 *   binary k×k  acc = Σ (b ? x : −x)       (computed as Σ b·x with b = ±1)
 *   int8 conv   acc = Σ w · x
 *   every output y = sat((Σ_j acc_j·M_j[c] + bias[c] + 2^(s[c]−1)) >> s[c])
 */
import type { ModelInfo } from '../ir/analyze.js';
import type { Layer } from '../ir/types.js';
import { convolveInteger as convolve, maxPool, requantize, sumPool, toTapMajor } from './kernels.js';
import { runWith, type Executors, type Pixels, type RunResult } from './run.js';

const prepared = new WeakMap<Layer, Float64Array>();

function tapMajor(layer: Layer, w: Int8Array, cout: number, cinG: number, k: number): Float64Array {
  let t = prepared.get(layer);
  if (!t) {
    t = toTapMajor(w, cout, cinG, k);
    prepared.set(layer, t);
  }
  return t;
}

const prepared1x1 = new WeakMap<Layer, Float64Array>();

export const INTEGER_EXECUTORS: Executors = {
  input: ({ layer }, _ins, px) => {
    const acc = Float64Array.from(px.data);
    return requantize([acc], layer.channels, layer.requant);
  },
  binconv: ({ layer, inShapes }, [x]) => {
    const cinG = inShapes[0]!.channels / layer.geom.groups;
    const w = tapMajor(layer, layer.patterns, layer.outChannels, cinG, layer.geom.kernel);
    const { acc } = convolve(x!, inShapes[0]!, w, layer.outChannels, layer.geom);
    return requantize([acc], layer.outChannels, layer.requant);
  },
  conv: ({ layer, inShapes }, [x]) => {
    const cinG = inShapes[0]!.channels / layer.geom.groups;
    const w = tapMajor(layer, layer.weights, layer.outChannels, cinG, layer.geom.kernel);
    const { acc } = convolve(x!, inShapes[0]!, w, layer.outChannels, layer.geom);
    return requantize([acc], layer.outChannels, layer.requant);
  },
  prb: ({ layer, inShapes }, [x]) => {
    const { geom, outChannels: cout } = layer;
    const cinG = inShapes[0]!.channels / geom.groups;
    const wb = tapMajor(layer, layer.patterns, cout, cinG, geom.kernel);
    let wi = prepared1x1.get(layer);
    if (!wi) {
      wi = Float64Array.from(layer.weights);
      prepared1x1.set(layer, wi);
    }
    const accB = convolve(x!, inShapes[0]!, wb, cout, geom).acc;
    // The 1×1 branch reads the centre tap of each window: stride kept, no padding.
    const accI = convolve(x!, inShapes[0]!, wi, cout, { kernel: 1, stride: geom.stride, pad: 0, groups: geom.groups }).acc;
    return requantize([accB, accI], cout, layer.requant);
  },
  add: ({ layer, outShape }, [a, b]) => requantize([a!, b!], outShape.channels, layer.requant),
  maxpool: ({ layer, inShapes }, [x]) => maxPool(x!, inShapes[0]!, layer.kernel, layer.stride, layer.pad).out,
  avgpool: ({ layer, inShapes }, [x]) => requantize([sumPool(x!, inShapes[0]!)], inShapes[0]!.channels, layer.requant),
  fc: ({ layer, inShapes }, [x]) => {
    const s = inShapes[0]!;
    const cin = s.height * s.width * s.channels;
    const w = tapMajor(layer, layer.weights, layer.outChannels, cin, 1);
    const flat = { height: 1, width: 1, channels: cin };
    const { acc } = convolve(x!, flat, w, layer.outChannels, { kernel: 1, stride: 1, pad: 0, groups: 1 });
    return requantize([acc], layer.outChannels, layer.requant);
  },
  concat: ({ inShapes, outShape }, ins) => concatChannels(ins, inShapes.map((s) => s.channels), outShape.height * outShape.width),
};

/** Interleaves the inputs' channels pixel by pixel (HWC concat). */
export function concatChannels(ins: readonly Float64Array[], channels: readonly number[], pixels: number): Float64Array {
  const total = channels.reduce((a, b) => a + b, 0);
  const out = new Float64Array(pixels * total);
  for (let p = 0; p < pixels; p++) {
    let o = p * total;
    ins.forEach((x, i) => {
      const c = channels[i]!;
      out.set(x.subarray(p * c, (p + 1) * c), o);
      o += c;
    });
  }
  return out;
}

/** Integer inference on uint8 pixels; logits are the output layer's integers. */
export function runInteger(info: ModelInfo, px: Pixels, keep = false): RunResult {
  return runWith(INTEGER_EXECUTORS, info, px, keep);
}

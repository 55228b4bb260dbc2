/**
 * A small builder for float networks with seeded He-initialized weights,
 * used by the zoo until trained models replace the random ones.
 */
import type { ConvGeom } from '../ir/types.js';
import type { FloatLayer } from '../quant/float-model.js';
import { Prng } from '../util/prng.js';

export interface Tensor {
  readonly name: string;
  readonly channels: number;
}

export class NetBuilder {
  readonly layers: FloatLayer[] = [];
  private readonly rng: Prng;

  constructor(seed: number) {
    this.rng = new Prng(seed);
  }

  private he(n: number, fanIn: number, gain = 1): Float32Array {
    const std = gain * Math.sqrt(2 / fanIn);
    return Float32Array.from({ length: n }, () => this.rng.normal() * std);
  }

  private bias(n: number): Float32Array {
    return Float32Array.from({ length: n }, () => (this.rng.float() - 0.5) * 0.2);
  }

  private push(l: FloatLayer, channels: number): Tensor {
    this.layers.push(l);
    return { name: l.name, channels };
  }

  input(height: number, width: number, channels: number, mean: readonly number[], std: readonly number[]): Tensor {
    return this.push({ kind: 'input', name: 'input', inputs: [], height, width, channels, mean, std }, channels);
  }

  /** `int8` keeps a k×k kernel in int8, `binary` binarizes a 1×1 one (the quantizer's policy otherwise). */
  conv(name: string, x: Tensor, outChannels: number, kernel: number, opts: { stride?: number; pad?: number; groups?: number; relu?: boolean; int8?: boolean; binary?: boolean } = {}): Tensor {
    const geom: ConvGeom = { kernel, stride: opts.stride ?? 1, pad: opts.pad ?? (kernel - 1) / 2, groups: opts.groups ?? 1 };
    const fanIn = (x.channels / geom.groups) * kernel * kernel;
    return this.push(
      { kind: 'conv', name, inputs: [x.name], outChannels, geom, weights: this.he(outChannels * fanIn, fanIn), bias: this.bias(outChannels), relu: opts.relu ?? true, ...(opts.int8 ? { precision: 'int8' as const } : opts.binary ? { precision: 'binary' as const } : {}) },
      outChannels,
    );
  }

  /** Pattern residual block: k×k and 1×1 on the same input, summed. */
  prb(name: string, x: Tensor, outChannels: number, opts: { kernel?: number; stride?: number; groups?: number; relu?: boolean } = {}): Tensor {
    const k = opts.kernel ?? 3;
    const geom: ConvGeom = { kernel: k, stride: opts.stride ?? 1, pad: (k - 1) / 2, groups: opts.groups ?? 1 };
    const cinG = x.channels / geom.groups;
    return this.push(
      {
        kind: 'prb',
        name,
        inputs: [x.name],
        outChannels,
        geom,
        weights: this.he(outChannels * cinG * k * k, cinG * k * k, Math.SQRT1_2),
        weights1x1: this.he(outChannels * cinG, cinG, Math.SQRT1_2),
        bias: this.bias(outChannels),
        relu: opts.relu ?? true,
      },
      outChannels,
    );
  }

  add(name: string, a: Tensor, b: Tensor, relu = true): Tensor {
    return this.push({ kind: 'add', name, inputs: [a.name, b.name], relu }, a.channels);
  }

  maxpool(name: string, x: Tensor, kernel: number, stride: number, pad = 0): Tensor {
    return this.push({ kind: 'maxpool', name, inputs: [x.name], kernel, stride, pad }, x.channels);
  }

  /** ReLU by default: in the zoo the pooled features are post-ReLU, so unsigned keeps a bit. */
  avgpool(name: string, x: Tensor, relu = true): Tensor {
    return this.push({ kind: 'avgpool', name, inputs: [x.name], relu }, x.channels);
  }

  /** `inFeatures` is the flattened input size (H·W·C). */
  fc(name: string, x: Tensor, inFeatures: number, outChannels: number, relu = false): Tensor {
    return this.push(
      { kind: 'fc', name, inputs: [x.name], outChannels, weights: this.he(outChannels * inFeatures, inFeatures, Math.SQRT1_2), bias: this.bias(outChannels), relu },
      outChannels,
    );
  }

  concat(name: string, xs: readonly Tensor[]): Tensor {
    return this.push({ kind: 'concat', name, inputs: xs.map((x) => x.name) }, xs.reduce((n, x) => n + x.channels, 0));
  }
}

/**
 * Inference of an unquantized FloatModel (what the ONNX importer reads,
 * before binarization and int8): the trained network's own float output, for
 * `run MODEL.onnx --float`, the import's float-vs-integer agreement and the
 * comparison with PyTorch. Same HWC loops as the references.
 */
import { windowOut } from '../ir/kinds.js';
import type { FloatLayer, FloatModel } from '../quant/float-model.js';
import { GenRtlError } from '../util/errors.js';
import { argmax, convolve, maxPool, sumPool, toTapMajor } from './kernels.js';
import type { Pixels } from './run.js';

interface Shape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

interface Prepared {
  readonly layer: FloatLayer;
  readonly inShapes: readonly Shape[];
  readonly shape: Shape;
  readonly w?: Float64Array;
  readonly w1?: Float64Array;
}

const preparedModels = new WeakMap<FloatModel, Prepared[]>();

function outShape(l: FloatLayer, ins: readonly Shape[]): Shape {
  const s = ins[0]!;
  switch (l.kind) {
    case 'input':
      return { height: l.height, width: l.width, channels: l.channels };
    case 'conv':
    case 'prb':
      return { height: windowOut(s.height, l.geom.kernel, l.geom.stride, l.geom.pad), width: windowOut(s.width, l.geom.kernel, l.geom.stride, l.geom.pad), channels: l.outChannels };
    case 'maxpool':
      return { height: windowOut(s.height, l.kernel, l.stride, l.pad), width: windowOut(s.width, l.kernel, l.stride, l.pad), channels: s.channels };
    case 'avgpool':
      return { height: 1, width: 1, channels: s.channels };
    case 'fc':
      return { height: 1, width: 1, channels: l.outChannels };
    case 'add':
      return s;
    case 'concat':
      return { ...s, channels: ins.reduce((t, x) => t + x.channels, 0) };
  }
}

function prepare(fm: FloatModel): Prepared[] {
  const cached = preparedModels.get(fm);
  if (cached) return cached;
  const shapes = new Map<string, Shape>();
  const out = fm.layers.map((layer) => {
    const inShapes = layer.inputs.map((n) => {
      const s = shapes.get(n);
      if (!s) throw new GenRtlError(`layer "${layer.name}" (${layer.kind})`, `input "${n}" is not an earlier layer`);
      return s;
    });
    const shape = outShape(layer, inShapes);
    shapes.set(layer.name, shape);
    const cinG = (l: { geom: { groups: number } }): number => inShapes[0]!.channels / l.geom.groups;
    switch (layer.kind) {
      case 'conv':
        return { layer, inShapes, shape, w: toTapMajor(layer.weights, layer.outChannels, cinG(layer), layer.geom.kernel) };
      case 'prb':
        return { layer, inShapes, shape, w: toTapMajor(layer.weights, layer.outChannels, cinG(layer), layer.geom.kernel), w1: toTapMajor(layer.weights1x1, layer.outChannels, cinG(layer), 1) };
      case 'fc': {
        const s = inShapes[0]!;
        return { layer, inShapes, shape, w: toTapMajor(layer.weights, layer.outChannels, s.height * s.width * s.channels, 1) };
      }
      default:
        return { layer, inShapes, shape };
    }
  });
  preparedModels.set(fm, out);
  return out;
}

function finish(y: Float64Array, bias: Float32Array | null, relu: boolean): Float64Array {
  const C = bias?.length ?? 1;
  for (let i = 0; i < y.length; i++) {
    let v = y[i]! + (bias ? bias[i % C]! : 0);
    if (relu && v < 0) v = 0;
    y[i] = v;
  }
  return y;
}

/** Float inference of the unquantized model on uint8 pixels (HWC). */
export function runFloatModel(fm: FloatModel, px: Pixels): { logits: Float64Array; class: number } {
  const layers = prepare(fm);
  const s0 = layers[0]!.shape;
  if (px.height !== s0.height || px.width !== s0.width || px.channels !== s0.channels) {
    throw new GenRtlError('input image', `is ${px.height}x${px.width}x${px.channels} but model "${fm.name}" takes ${s0.height}x${s0.width}x${s0.channels} (HxWxC)`);
  }
  const values = new Map<string, Float64Array>();
  for (const p of layers) {
    const l = p.layer;
    const ins = l.inputs.map((n) => values.get(n)!);
    let y: Float64Array;
    switch (l.kind) {
      case 'input': {
        const C = l.channels;
        y = Float64Array.from(px.data, (v, i) => (v / 255 - l.mean[i % C]!) / l.std[i % C]!);
        break;
      }
      case 'conv':
        y = finish(convolve(ins[0]!, p.inShapes[0]!, p.w!, l.outChannels, l.geom).acc, l.bias, l.relu);
        break;
      case 'prb': {
        y = convolve(ins[0]!, p.inShapes[0]!, p.w!, l.outChannels, l.geom).acc;
        const y1 = convolve(ins[0]!, p.inShapes[0]!, p.w1!, l.outChannels, { kernel: 1, stride: l.geom.stride, pad: 0, groups: l.geom.groups }).acc;
        for (let i = 0; i < y.length; i++) y[i]! += y1[i]!;
        y = finish(y, l.bias, l.relu);
        break;
      }
      case 'add':
        y = finish(Float64Array.from(ins[0]!, (v, i) => v + ins[1]![i]!), null, l.relu);
        break;
      case 'maxpool':
        y = maxPool(ins[0]!, p.inShapes[0]!, l.kernel, l.stride, l.pad).out;
        break;
      case 'avgpool': {
        const s = p.inShapes[0]!;
        y = finish(sumPool(ins[0]!, s).map((v) => v / (s.height * s.width)), null, l.relu);
        break;
      }
      case 'fc': {
        const s = p.inShapes[0]!;
        const flat = { height: 1, width: 1, channels: s.height * s.width * s.channels };
        y = finish(convolve(ins[0]!, flat, p.w!, l.outChannels, { kernel: 1, stride: 1, pad: 0, groups: 1 }).acc, l.bias, l.relu);
        break;
      }
      case 'concat': {
        const pixels = p.shape.height * p.shape.width;
        y = new Float64Array(pixels * p.shape.channels);
        let off = 0;
        p.inShapes.forEach((s, j) => {
          for (let q = 0; q < pixels; q++) for (let c = 0; c < s.channels; c++) y[q * p.shape.channels + off + c] = ins[j]![q * s.channels + c]!;
          off += s.channels;
        });
        break;
      }
    }
    values.set(l.name, y);
  }
  const logits = values.get(fm.output)!;
  return { logits, class: argmax(logits) };
}

/**
 * Writing a model's float network as ONNX: the graph the float reference
 * (reference/float.ts) computes, with its weights — binarized kernels as
 * alpha·b, int8 weights dequantized (scale·w), float biases, no activation
 * quantization — so another runtime can run the same network (the benchmark
 * compares onnxruntime with our references).
 *
 * The ONNX input is the uint8 pixels as floats, NCHW [1, C, H, W]; the
 * normalization (p/255 − mean)/std is part of the graph. The output is the
 * logits [1, classes], flattened in HWC order when the output layer is not a
 * fully connected one (our tensors are HWC, ONNX's NCHW).
 */
import onnxProto from 'onnx-proto';
import type { ModelInfo } from '../ir/analyze.js';
import type { ConvGeom, Layer, Shape } from '../ir/types.js';
import { GenRtlError } from '../util/errors.js';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** The opset written: Conv, Gemm, MaxPool, GlobalAveragePool, Flatten, Transpose are all stable since 13. */
export const EXPORT_OPSET = 13;
export const EXPORT_INPUT = 'pixels';
export const EXPORT_OUTPUT = 'logits';

interface Builder {
  readonly nodes: NodeProto[];
  readonly inits: TensorProto[];
}

function tensor(b: Builder, name: string, dims: readonly number[], data: ArrayLike<number>): string {
  b.inits.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(data) });
  return name;
}

function intAttr(name: string, i: number): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

function intsAttr(name: string, ints: readonly number[]): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...ints] };
}

function node(b: Builder, opType: string, inputs: readonly string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []): string {
  b.nodes.push({ opType, input: [...inputs], output: [output], name: `${opType}_${b.nodes.length}`, attribute });
  return output;
}

function relu(b: Builder, x: string, on: boolean, name: string): string {
  return on ? node(b, 'Relu', [x], name) : x;
}

/** Weights [cout][cin/g][k][k] (already PyTorch's and ONNX's order), scaled per output channel. */
function scaled(w: ArrayLike<number>, cout: number, scale: ArrayLike<number>): Float32Array {
  const per = w.length / cout;
  const out = new Float32Array(w.length);
  for (let co = 0; co < cout; co++) for (let j = 0; j < per; j++) out[co * per + j] = w[co * per + j]! * scale[co]!;
  return out;
}

function conv(b: Builder, x: string, name: string, w: Float32Array, cout: number, cinG: number, geom: ConvGeom, bias: Float32Array | null): string {
  const k = geom.kernel;
  const inputs = [x, tensor(b, `${name}.weight`, [cout, cinG, k, k], w)];
  if (bias) inputs.push(tensor(b, `${name}.bias`, [cout], bias));
  return node(b, 'Conv', inputs, name, [
    intsAttr('kernel_shape', [k, k]),
    intsAttr('strides', [geom.stride, geom.stride]),
    intsAttr('pads', [geom.pad, geom.pad, geom.pad, geom.pad]),
    intAttr('group', geom.groups),
  ]);
}

/** [cout][cin] with cin in HWC order → cin in CHW order (what Flatten of an NCHW tensor gives). */
function hwcToChw(w: Float32Array, cout: number, s: Shape): Float32Array {
  const cin = s.height * s.width * s.channels;
  const out = new Float32Array(w.length);
  for (let co = 0; co < cout; co++) {
    for (let p = 0; p < s.height * s.width; p++) {
      for (let c = 0; c < s.channels; c++) out[co * cin + c * s.height * s.width + p] = w[co * cin + p * s.channels + c]!;
    }
  }
  return out;
}

/** The float network of `info` as an ONNX file (protobuf bytes). */
export function exportOnnx(info: ModelInfo): Uint8Array {
  const b: Builder = { nodes: [], inits: [] };
  /** Layers whose value is [1, n] (after a Gemm) rather than NCHW. */
  const flat = new Set<string>();
  const need4d = (l: Layer, x: string): string => {
    if (flat.has(x)) throw new GenRtlError(`layer "${l.name}" (${l.kind})`, 'takes the output of a fully connected layer: not supported by the ONNX export');
    return x;
  };
  for (const li of info.layers) {
    const l = li.layer;
    const ins = l.inputs;
    const inS = li.inShapes[0];
    switch (l.kind) {
      case 'input': {
        const C = l.channels;
        const mul = tensor(b, `${l.name}.scale`, [1, C, 1, 1], l.std.map((s) => 1 / (255 * s)));
        const add = tensor(b, `${l.name}.shift`, [1, C, 1, 1], l.mean.map((m, c) => -m / l.std[c]!));
        const y = node(b, 'Add', [node(b, 'Mul', [EXPORT_INPUT, mul], `${l.name}.mul`), add], l.requant.relu ? `${l.name}.pre` : l.name);
        relu(b, y, l.requant.relu, l.name);
        break;
      }
      case 'binconv': {
        const cinG = inS!.channels / l.geom.groups;
        const y = conv(b, need4d(l, ins[0]!), l.requant.relu ? `${l.name}.pre` : l.name, scaled(l.patterns, l.outChannels, l.alpha), l.outChannels, cinG, l.geom, l.floatBias);
        relu(b, y, l.requant.relu, l.name);
        break;
      }
      case 'conv': {
        const cinG = inS!.channels / l.geom.groups;
        const y = conv(b, need4d(l, ins[0]!), l.requant.relu ? `${l.name}.pre` : l.name, scaled(l.weights, l.outChannels, l.weightScale), l.outChannels, cinG, l.geom, l.floatBias);
        relu(b, y, l.requant.relu, l.name);
        break;
      }
      case 'prb': {
        const cinG = inS!.channels / l.geom.groups;
        const x = need4d(l, ins[0]!);
        const kxk = conv(b, x, `${l.name}.binary`, scaled(l.patterns, l.outChannels, l.alpha), l.outChannels, cinG, l.geom, l.floatBias);
        const one = conv(b, x, `${l.name}.int8`, scaled(l.weights, l.outChannels, l.weightScale), l.outChannels, cinG, { kernel: 1, stride: l.geom.stride, pad: 0, groups: l.geom.groups }, null);
        const y = node(b, 'Add', [kxk, one], l.requant.relu ? `${l.name}.pre` : l.name);
        relu(b, y, l.requant.relu, l.name);
        break;
      }
      case 'add': {
        const y = node(b, 'Add', [need4d(l, ins[0]!), need4d(l, ins[1]!)], l.requant.relu ? `${l.name}.pre` : l.name);
        relu(b, y, l.requant.relu, l.name);
        break;
      }
      case 'maxpool':
        // ONNX MaxPool's padding never wins, as ours (floor mode, the default, is windowOut's).
        node(b, 'MaxPool', [need4d(l, ins[0]!)], l.name, [
          intsAttr('kernel_shape', [l.kernel, l.kernel]),
          intsAttr('strides', [l.stride, l.stride]),
          intsAttr('pads', [l.pad, l.pad, l.pad, l.pad]),
        ]);
        break;
      case 'avgpool': {
        const y = node(b, 'GlobalAveragePool', [need4d(l, ins[0]!)], l.requant.relu ? `${l.name}.pre` : l.name);
        relu(b, y, l.requant.relu, l.name);
        break;
      }
      case 'fc': {
        const s = inS!;
        const x = flat.has(ins[0]!) ? ins[0]! : node(b, 'Flatten', [ins[0]!], `${l.name}.flat`, [intAttr('axis', 1)]);
        const cin = s.height * s.width * s.channels;
        const w = hwcToChw(scaled(l.weights, l.outChannels, l.weightScale), l.outChannels, s);
        const inputs = [x, tensor(b, `${l.name}.weight`, [l.outChannels, cin], w), tensor(b, `${l.name}.bias`, [l.outChannels], l.floatBias)];
        const y = node(b, 'Gemm', inputs, l.requant.relu ? `${l.name}.pre` : l.name, [intAttr('transB', 1)]);
        relu(b, y, l.requant.relu, l.name);
        flat.add(l.name);
        break;
      }
      case 'concat':
        node(b, 'Concat', ins.map((n) => need4d(l, n)), l.name, [intAttr('axis', 1)]);
        break;
      default: {
        const never: never = l;
        throw new Error(`unhandled layer kind ${(never as Layer).kind}`);
      }
    }
  }
  const out = info.model.output;
  if (flat.has(out)) node(b, 'Identity', [out], EXPORT_OUTPUT);
  else node(b, 'Flatten', [node(b, 'Transpose', [out], `${out}.nhwc`, [intsAttr('perm', [0, 2, 3, 1])])], EXPORT_OUTPUT, [intAttr('axis', 1)]);

  const s = info.input;
  const floatType = (dims: readonly number[]): onnxProto.onnx.ITypeProto => ({
    tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'gen-rtl',
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: info.model.name,
      node: b.nodes,
      initializer: b.inits,
      input: [{ name: EXPORT_INPUT, type: floatType([1, s.channels, s.height, s.width]) }],
      output: [{ name: EXPORT_OUTPUT, type: floatType([1, info.model.classes.length]) }],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** uint8 HWC pixels → the float NCHW tensor the exported network takes. */
export function pixelsToNchw(px: { readonly height: number; readonly width: number; readonly channels: number; readonly data: Uint8Array }): Float32Array {
  const { height: H, width: W, channels: C } = px;
  const out = new Float32Array(C * H * W);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) out[c * H * W + p] = px.data[p * C + c]!;
  return out;
}

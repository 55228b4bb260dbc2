/**
 * The ONNX importer on graphs built here with onnx-proto: folding, block
 * recognition, layout conversion, and a clear error for every kind of bad
 * file. The files exported by PyTorch are tested in onnx-fixtures.test.ts.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { importOnnx, type ImportOptions } from '../../generator/onnx/import.js';
import type { FloatLayer } from '../../generator/quant/float-model.js';
import { quantize } from '../../generator/quant/quantize.js';
import { runFloatModel } from '../../generator/reference/float-model.js';
import { GenRtlError } from '../../generator/util/errors.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const AT = onnx.AttributeProto.AttributeType;

type Attr = number | number[] | string;
interface NodeSpec {
  op: string;
  inputs: string[];
  outputs?: string[];
  name?: string;
  attrs?: Record<string, Attr>;
}

function attr(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
}

function tensor(name: string, dims: number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

interface GraphSpec {
  nodes: NodeSpec[];
  init: Record<string, { dims: number[]; values: ArrayLike<number> }>;
  input?: (number | string)[];
  output?: string;
  opset?: number;
  metadata?: Record<string, string>;
}

function onnxBytes(g: GraphSpec): Uint8Array {
  const dim = (d: number | string): onnxProto.onnx.TensorShapeProto.IDimension => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const m = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'test',
    opsetImport: [{ domain: '', version: g.opset ?? 13 }],
    metadataProps: Object.entries(g.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'g',
      node: g.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs ?? [`t${i}`],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
      })),
      initializer: Object.entries(g.init).map(([name, t]) => tensor(name, t.dims, t.values)),
      input: [{ name: 'x', type: { tensorType: { elemType: FLOAT, shape: { dim: (g.input ?? [1, 1, 4, 4]).map(dim) } } } }],
      output: [{ name: g.output ?? `t${g.nodes.length - 1}`, type: { tensorType: { elemType: FLOAT } } }],
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

const OPTS: ImportOptions = { mergePrb: true, name: 'm', mean: undefined, std: undefined, classes: undefined };

function seq(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

function layer<K extends FloatLayer['kind']>(layers: readonly FloatLayer[], kind: K): Extract<FloatLayer, { kind: K }>[] {
  return layers.filter((l): l is Extract<FloatLayer, { kind: K }> => l.kind === kind);
}

function importErr(g: GraphSpec | Uint8Array): string {
  try {
    importOnnx(g instanceof Uint8Array ? g : onnxBytes(g), 'model.onnx', OPTS);
  } catch (e) {
    expect(e).toBeInstanceOf(GenRtlError);
    return (e as Error).message;
  }
  throw new Error('import did not fail');
}

/** conv 3×3 (2 → from 1 channel) + BN + ReLU, GAP, Gemm: the smallest classifier. */
function convBnNet(extra: Partial<GraphSpec> = {}): GraphSpec {
  return {
    nodes: [
      { op: 'Conv', inputs: ['x', 'c.weight', 'c.bias'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['t0', 'g', 'b', 'm', 'v'], attrs: { epsilon: 0.001 } },
      { op: 'Relu', inputs: ['t1'] },
      { op: 'GlobalAveragePool', inputs: ['t2'] },
      { op: 'Flatten', inputs: ['t3'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['t4', 'fc.weight', 'fc.bias'], attrs: { transB: 1 } },
    ],
    init: {
      'c.weight': { dims: [2, 1, 3, 3], values: seq(18, (i) => (i % 5) - 2) },
      'c.bias': { dims: [2], values: [0.5, -0.25] },
      g: { dims: [2], values: [2, 0.5] },
      b: { dims: [2], values: [0.1, -0.2] },
      m: { dims: [2], values: [0.3, -0.4] },
      v: { dims: [2], values: [3.999, 0.249] },
      'fc.weight': { dims: [3, 2], values: [1, 2, 3, 4, 5, 6] },
      'fc.bias': { dims: [3], values: [0, 1, 2] },
    },
    ...extra,
  };
}

describe('ONNX import: graph structure', () => {
  it('folds batch norm and ReLU into the convolution before them', () => {
    const { model, notes } = importOnnx(onnxBytes(convBnNet()), 'model.onnx', OPTS);
    expect(model.layers.map((l) => l.kind)).toEqual(['input', 'conv', 'avgpool', 'fc']);
    const conv = layer(model.layers, 'conv')[0]!;
    expect(conv.name).toBe('c');
    expect(conv.relu).toBe(true);
    // scale = γ / sqrt(var + eps): 2/2 = 1 and 0.5/0.5 = 1 with eps 0.001.
    expect(conv.weights[0]).toBeCloseTo(-2, 5);
    expect(conv.weights[9]).toBeCloseTo(((9 % 5) - 2) * 1, 5);
    expect(conv.bias[0]).toBeCloseTo((0.5 - 0.3) * 1 + 0.1, 5);
    expect(conv.bias[1]).toBeCloseTo((-0.25 + 0.4) * 1 - 0.2, 5);
    expect(notes.join(' ')).toMatch(/folded 1 BatchNormalization/);
    expect(model.classes).toEqual(['class_0', 'class_1', 'class_2']);
  });

  it('takes normalization and class names from the metadata, and flags win over it', () => {
    const meta = { 'gen-rtl.mean': '0.5', 'gen-rtl.std': '0.25', 'gen-rtl.classes': 'a|b|c', 'gen-rtl.dataset': 'toy', 'gen-rtl.seed': '7' };
    const { model } = importOnnx(onnxBytes(convBnNet({ metadata: meta })), 'model.onnx', OPTS);
    const input = layer(model.layers, 'input')[0]!;
    expect(input.mean).toEqual([0.5]);
    expect(input.std).toEqual([0.25]);
    expect(model.classes).toEqual(['a', 'b', 'c']);
    expect(model.provenance.dataset).toBe('toy');
    expect(model.provenance.seed).toBe(7);
    const flags = importOnnx(onnxBytes(convBnNet({ metadata: meta })), 'model.onnx', { ...OPTS, mean: [0.1], classes: ['x', 'y', 'z'] }).model;
    expect(layer(flags.layers, 'input')[0]!.mean).toEqual([0.1]);
    expect(flags.classes).toEqual(['x', 'y', 'z']);
  });

  const prbGraph = (): GraphSpec => ({
    input: [1, 4, 5, 5],
    nodes: [
      { op: 'Conv', inputs: ['x', 'blk.k3.weight'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 } },
      { op: 'Conv', inputs: ['x', 'blk.k1.weight'], attrs: { kernel_shape: [1, 1], group: 2 } },
      { op: 'Add', inputs: ['t0', 't1'] },
      { op: 'Relu', inputs: ['t2'] },
      { op: 'ReduceMean', inputs: ['t3'], attrs: { axes: [2, 3], keepdims: 0 } },
      { op: 'MatMul', inputs: ['t4', 'w'] },
      { op: 'Add', inputs: ['t5', 'bias'] },
    ],
    init: {
      'blk.k3.weight': { dims: [4, 2, 3, 3], values: seq(72, (i) => Math.sin(i)) },
      'blk.k1.weight': { dims: [4, 2, 1, 1], values: seq(8, (i) => Math.cos(i)) },
      w: { dims: [4, 2], values: seq(8, (i) => i - 3.5) },
      bias: { dims: [2], values: [0.5, -0.5] },
    },
  });

  it('merges a k×k and a 1×1 convolution of one input, summed, into a pattern residual block', () => {
    const { model } = importOnnx(onnxBytes(prbGraph()), 'model.onnx', OPTS);
    expect(model.layers.map((l) => l.kind)).toEqual(['input', 'prb', 'avgpool', 'fc']);
    const prb = layer(model.layers, 'prb')[0]!;
    expect(prb.name).toBe('blk');
    expect(prb.relu).toBe(true);
    expect(prb.geom).toEqual({ kernel: 3, stride: 1, pad: 1, groups: 2 });
    const fc = layer(model.layers, 'fc')[0]!;
    // MatMul's [in][out] weight becomes [out][in]; the constant Add its bias.
    expect(Array.from(fc.weights)).toEqual([-3.5, -1.5, 0.5, 2.5, -2.5, -0.5, 1.5, 3.5]);
    expect(Array.from(fc.bias)).toEqual([0.5, -0.5]);
  });

  it('keeps the two convolutions and the add apart when the k×k ones are not binarized', () => {
    const { model } = importOnnx(onnxBytes(prbGraph()), 'model.onnx', { ...OPTS, mergePrb: false });
    expect(model.layers.map((l) => l.kind)).toEqual(['input', 'conv', 'conv', 'add', 'avgpool', 'fc']);
  });

  it('turns a classifier over a flattened square image into an int8 convolution with the same output', () => {
    // x: 1×2×2 (C×H×W); conv 1×1 to 3 channels; flatten (CHW order) → Gemm 12 → 2.
    const g: GraphSpec = {
      input: [1, 1, 2, 2],
      nodes: [
        { op: 'Conv', inputs: ['x', 'c.weight'], attrs: { kernel_shape: [1, 1] } },
        { op: 'Flatten', inputs: ['t0'] },
        { op: 'Gemm', inputs: ['t1', 'fc.weight'], attrs: { transB: 1 } },
      ],
      init: { 'c.weight': { dims: [3, 1, 1, 1], values: [1, -2, 0.5] }, 'fc.weight': { dims: [2, 12], values: seq(24, (i) => (i * 7) % 11) } },
    };
    const { model } = importOnnx(onnxBytes(g), 'model.onnx', OPTS);
    const fc = model.layers[2]!;
    expect(fc).toMatchObject({ kind: 'conv', precision: 'int8', geom: { kernel: 2, stride: 1, pad: 0, groups: 1 } });
    const px = { height: 2, width: 2, channels: 1, data: Uint8Array.from([0, 51, 102, 255]) };
    // PyTorch's computation: feature (c, y, x) at index c·4 + y·2 + x.
    const x = Array.from(px.data, (v) => v / 255);
    const want = [0, 1].map((o) => {
      let s = 0;
      for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) s += ((((o * 12 + c * 4 + p) * 7) % 11) * [1, -2, 0.5][c]! * x[p]!);
      return s;
    });
    const got = runFloatModel(model, px).logits;
    expect(got[0]).toBeCloseTo(want[0]!, 5);
    expect(got[1]).toBeCloseTo(want[1]!, 5);
  });

  it('keeps k×k weights that already are ±α per filter exactly', () => {
    const alpha = [0.123456789, 3.3];
    const w = seq(18, (i) => Math.fround(alpha[Math.floor(i / 9)]!) * (i % 3 === 0 ? -1 : 1));
    const g = convBnNet();
    g.nodes.splice(1, 2, { op: 'Relu', inputs: ['t0'] });
    g.nodes[2]!.inputs = ['t1'];
    g.nodes[3]!.inputs = ['t2'];
    g.nodes[4]!.inputs = ['t3'];
    g.nodes.pop();
    g.nodes.push({ op: 'Gemm', inputs: ['t3', 'fc.weight', 'fc.bias'], attrs: { transB: 1 } });
    g.init['c.weight'] = { dims: [2, 1, 3, 3], values: w };
    const { model } = importOnnx(onnxBytes(g), 'model.onnx', OPTS);
    const px = { height: 4, width: 4, channels: 1, data: new Uint8Array(16).fill(100) };
    const q = quantize(model, { binarize: 'kxk', calibration: [px] });
    const bin = q.model.layers.find((l) => l.kind === 'binconv')!;
    expect(bin.kind === 'binconv' && Array.from(bin.alpha)).toEqual(alpha.map(Math.fround));
    expect(q.report.binary[0]!.relativeError).toBe(0);
  });
});

describe('ONNX import: bad files end in a clear error', () => {
  it('names the node, op type and the supported ops for an unsupported op', () => {
    const g = convBnNet();
    g.nodes.push({ op: 'Softmax', inputs: ['t5'], name: 'probs' });
    expect(importErr(g)).toMatch(/model\.onnx: node "probs" \(Softmax\): op type Softmax is not supported; gen-rtl imports Conv, BatchNormalization, Relu/);
  });

  it('rejects weights that are not initializers', () => {
    const g = convBnNet();
    delete (g.init as Record<string, unknown>)['c.weight'];
    expect(importErr(g)).toMatch(/node "Conv_0" \(Conv\): input "c\.weight" is neither a graph input, an initializer nor the output of an earlier node/);
    const h = convBnNet({ nodes: [{ op: 'Conv', inputs: ['x', 'x'], attrs: { kernel_shape: [3, 3] } }] });
    expect(importErr(h)).toMatch(/weight "x" is not an initializer/);
  });

  it('rejects dynamic image dimensions but accepts a dynamic batch', () => {
    expect(importErr(convBnNet({ input: [1, 1, 'height', 4] }))).toMatch(/graph input "x": has dynamic shape \[1, 1, \?, 4\]/);
    expect(() => importOnnx(onnxBytes(convBnNet({ input: ['batch', 1, 4, 4] })), 'model.onnx', OPTS)).not.toThrow();
  });

  it('rejects bytes that are not an ONNX protobuf', () => {
    expect(importErr(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]))).toMatch(/model\.onnx: is not a valid ONNX file: the protobuf does not decode/);
    const good = onnxBytes(convBnNet());
    expect(importErr(good.subarray(0, good.length - 40))).toMatch(/model\.onnx: (is not a valid ONNX file|.*raw_data holds)/);
    expect(importErr(new TextEncoder().encode('hello, this is a text file'))).toMatch(/model\.onnx: /);
  });

  it('rejects opsets outside 11..17', () => {
    expect(importErr(convBnNet({ opset: 9 }))).toMatch(/uses opset 9; gen-rtl reads opsets 11 to 17/);
    expect(importErr(convBnNet({ opset: 19 }))).toMatch(/uses opset 19/);
  });

  it('rejects geometry the hardware does not have', () => {
    const rect = convBnNet();
    rect.nodes[0]!.attrs = { kernel_shape: [3, 3], pads: [1, 0, 1, 0] };
    expect(importErr(rect)).toMatch(/node "Conv_0" \(Conv\): pads \[1, 0, 1, 0\] are not supported/);
    const dil = convBnNet();
    dil.nodes[0]!.attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], dilations: [2, 2] };
    expect(importErr(dil)).toMatch(/dilations \[2, 2\] are not supported/);
    const avg = convBnNet();
    avg.nodes[3] = { op: 'AveragePool', inputs: ['t2'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } };
    expect(importErr(avg)).toMatch(/\(AveragePool\): a 2x2 average pool over 4x4 is not global/);
  });

  it('rejects a batch norm that does not follow a convolution', () => {
    const g = convBnNet();
    g.nodes[1]!.inputs[0] = 'x';
    expect(importErr(g)).toMatch(/\(BatchNormalization\): BatchNormalization must directly follow a Conv or Gemm/);
  });

  it('rejects a ReLU it cannot fuse because the pre-activation is read elsewhere', () => {
    const g: GraphSpec = {
      nodes: [
        { op: 'Conv', inputs: ['x', 'c.weight'], attrs: { kernel_shape: [1, 1] } },
        { op: 'Relu', inputs: ['t0'] },
        { op: 'Add', inputs: ['t0', 't1'] },
      ],
      init: { 'c.weight': { dims: [2, 1, 1, 1], values: [1, 2] } },
    };
    expect(importErr(g)).toMatch(/\(Relu\): Relu after "c" \(conv\) cannot be fused/);
  });

  it('rejects external tensor data', () => {
    const m = onnx.ModelProto.decode(onnxBytes(convBnNet()));
    const t = m.graph!.initializer![0]!;
    t.rawData = new Uint8Array();
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    expect(importErr(onnx.ModelProto.encode(m).finish())).toMatch(/keeps its data in an external file/);
  });

  it('rejects a weight whose raw data has the wrong length', () => {
    const m = onnx.ModelProto.decode(onnxBytes(convBnNet()));
    m.graph!.initializer![0]!.rawData = new Uint8Array(5);
    expect(importErr(onnx.ModelProto.encode(m).finish())).toMatch(/tensor "c\.weight": raw_data holds 5 bytes, but 18 values of FLOAT need 72/);
  });
});

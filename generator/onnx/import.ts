/**
 * ONNX graph → FloatModel. Walks the nodes in file order (ONNX requires a
 * topological order) and keeps, for every tensor name, the layer draft that
 * produces it. Batch norm and ReLU fold into the layer before them, Identity,
 * Dropout, Flatten and Reshape only rename or flatten, a k×k and a 1×1 Conv
 * on one input summed by an Add become a pattern residual block, and a
 * constant Add after a Conv or MatMul becomes its bias. Everything else is an
 * error naming the node, its op type and what is supported.
 */
import { basename } from 'node:path';
import { windowOut } from '../ir/kinds.js';
import type { ConvGeom } from '../ir/types.js';
import type { FloatLayer, FloatModel } from '../quant/float-model.js';
import { GenRtlError } from '../util/errors.js';
import { ELEM_FLOAT, q, readOnnx, tensorValues, type ConstTensor, type OnnxGraph, type OnnxNode } from './proto.js';

/** What `gen-rtl import` can read, for error messages. */
export const SUPPORTED_OPS = [
  'Conv',
  'BatchNormalization',
  'Relu',
  'Add',
  'MaxPool',
  'AveragePool (global)',
  'GlobalAveragePool',
  'ReduceMean (over H and W)',
  'Flatten',
  'Reshape (to N×features)',
  'Gemm',
  'MatMul',
  'Concat (channels)',
  'Identity',
  'Dropout',
  'Constant',
];

interface Shape {
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

interface DraftBase {
  name: string;
  readonly shape: Shape;
  /** The tensor that currently carries this layer's output (moves on as BN/ReLU fold in). */
  out: string;
  /** The ONNX node it came from. */
  readonly where: string;
  merged?: boolean;
}

type Draft =
  | (DraftBase & { readonly kind: 'input' })
  | (DraftBase & { readonly kind: 'conv'; readonly input: Draft; readonly geom: ConvGeom; w: Float64Array; b: Float64Array; relu: boolean })
  | (DraftBase & { readonly kind: 'prb'; readonly input: Draft; readonly geom: ConvGeom; w: Float64Array; w1: Float64Array; b: Float64Array; relu: boolean })
  | (DraftBase & { readonly kind: 'add'; readonly inputs: readonly [Draft, Draft]; relu: boolean })
  | (DraftBase & { readonly kind: 'maxpool'; readonly input: Draft; readonly kernel: number; readonly stride: number; readonly pad: number })
  | (DraftBase & { readonly kind: 'avgpool'; readonly input: Draft; relu: boolean })
  /** w is [cout][cin] with cin in HWC order. */
  | (DraftBase & { readonly kind: 'fc'; readonly input: Draft; w: Float64Array; b: Float64Array; relu: boolean })
  | (DraftBase & { readonly kind: 'concat'; readonly inputs: readonly Draft[] });

/** A tensor of the graph: a layer's output, possibly flattened (PyTorch's CHW order), or a constant. */
type Value = { readonly act: Draft; readonly flat: boolean } | { readonly constant: ConstTensor };

export interface ImportOptions {
  /**
   * Merge a k×k and a 1×1 Conv summed by an Add into a pattern residual block (only when k×k is
   * binarized and 1×1 is not): for every k, or for the kernel sizes the function accepts.
   */
  readonly mergePrb: boolean | ((kernel: number) => boolean);
  readonly name: string;
  readonly mean: readonly number[] | undefined;
  readonly std: readonly number[] | undefined;
  readonly classes: readonly string[] | undefined;
}

export interface ImportedGraph {
  readonly model: FloatModel;
  readonly opset: number;
  readonly producer: string;
  readonly metadata: ReadonlyMap<string, string>;
  /** Graph facts worth telling the user (merged blocks, folded batch norms, dropped nodes). */
  readonly notes: readonly string[];
}

const isAct = (v: Value): v is { act: Draft; flat: boolean } => 'act' in v;

class Importer {
  private readonly values = new Map<string, Value>();
  private readonly uses = new Map<string, number>();
  private readonly drafts: Draft[] = [];
  private readonly names = new Set<string>();
  private bnFolded = 0;
  private prbMerged = 0;

  constructor(
    private readonly g: OnnxGraph,
    private readonly opts: ImportOptions,
  ) {
    for (const [name, t] of g.constants) this.values.set(name, { constant: t });
    for (const n of g.nodes) for (const i of n.inputs) if (i) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of g.outputs) this.uses.set(o.name, (this.uses.get(o.name) ?? 0) + 1);
  }

  run(): ImportedGraph {
    const input = this.input();
    for (const n of this.g.nodes) this.node(n);
    return this.finish(input);
  }

  // ------------------------------------------------------------ graph ends

  private input(): Draft {
    const { file, inputs } = this.g;
    if (inputs.length !== 1) {
      throw new GenRtlError(file, `has ${inputs.length} graph inputs (${inputs.map((i) => `${q(i.name)}`).join(', ')}); gen-rtl takes one image input`);
    }
    const v = inputs[0]!;
    const where = `${file}: graph input ${q(v.name)}`;
    if (v.elemType !== ELEM_FLOAT) throw new GenRtlError(where, `has element type ${v.elemType}; a float (type 1) NCHW image is expected`);
    if (!v.dims || v.dims.length !== 4) throw new GenRtlError(where, `has shape ${v.dims ? `[${v.dims.join(', ')}]` : 'unknown'}; expected [N, C, H, W]`);
    const [, c, h, w] = v.dims;
    if (c === null || h === null || w === null) {
      throw new GenRtlError(where, `has dynamic shape [${v.dims.map((d) => d ?? '?').join(', ')}]; channels, height and width must be fixed (export without dynamic_axes on them)`);
    }
    if (v.dims[0] !== null && v.dims[0] !== 1) throw new GenRtlError(where, `has batch size ${v.dims[0]}; export with batch size 1 (or a dynamic batch axis)`);
    const d: Draft = { kind: 'input', name: this.uniqueName('input'), shape: { c: c!, h: h!, w: w! }, out: v.name, where };
    this.drafts.push(d);
    this.values.set(v.name, { act: d, flat: false });
    return d;
  }

  private finish(input: Draft): ImportedGraph {
    const { file, outputs } = this.g;
    if (outputs.length !== 1) throw new GenRtlError(file, `has ${outputs.length} graph outputs; gen-rtl takes one (the logits)`);
    const out = this.values.get(outputs[0]!.name);
    if (!out) throw new GenRtlError(file, `graph output ${q(outputs[0]!.name)} is not produced by any node`);
    if (!isAct(out)) throw new GenRtlError(file, `graph output ${q(outputs[0]!.name)} is a constant`);
    if (out.act.kind === 'input') throw new GenRtlError(file, 'the graph output is the input image; there is nothing to compile');

    // Keep only what the output depends on.
    const live = new Set<Draft>();
    const mark = (d: Draft): void => {
      if (live.has(d)) return;
      live.add(d);
      for (const i of draftInputs(d)) mark(i);
    };
    mark(out.act);
    mark(input);
    const notes: string[] = [];
    const dead = this.drafts.filter((d) => !d.merged && !live.has(d));
    if (dead.length > 0) notes.push(`dropped ${dead.length} layer(s) the output does not depend on: ${dead.map((d) => d.name).join(', ')}`);
    if (this.bnFolded > 0) notes.push(`folded ${this.bnFolded} BatchNormalization node(s) into the layer before them`);
    if (this.prbMerged > 0) notes.push(`merged ${this.prbMerged} k×k + 1×1 convolution pair(s) into pattern residual blocks`);

    const { c } = input.shape;
    const mean = this.opts.mean ?? metaList(this.g, 'gen-rtl.mean') ?? Array<number>(c).fill(0);
    const std = this.opts.std ?? metaList(this.g, 'gen-rtl.std') ?? Array<number>(c).fill(1);
    const expand = (v: readonly number[], what: string): number[] => {
      if (v.length === 1) return Array<number>(c).fill(v[0]!);
      if (v.length !== c) throw new GenRtlError(`--${what}`, `has ${v.length} values but the model's input has ${c} channels`);
      return [...v];
    };
    const layers = this.drafts.filter((d) => live.has(d)).map((d) => toFloatLayer(d, expand(mean, 'mean'), expand(std, 'std')));
    const outClasses = classCount(out.act);
    const metaClasses = this.g.metadata.get('gen-rtl.classes')?.split('|');
    const classes = this.opts.classes ?? (metaClasses?.length === outClasses ? metaClasses : undefined) ?? Array.from({ length: outClasses }, (_, i) => `class_${i}`);
    if (classes.length !== outClasses) throw new GenRtlError('--classes', `names ${classes.length} classes but the model has ${outClasses} outputs`);
    const dataset = this.g.metadata.get('gen-rtl.dataset') ?? null;
    const seed = Number(this.g.metadata.get('gen-rtl.seed'));
    return {
      model: {
        name: this.opts.name,
        classes,
        layers,
        output: out.act.name,
        provenance: { source: `onnx: ${basename(this.g.file)} (${this.g.producer || 'unknown producer'}, opset ${this.g.opset})`, dataset, seed: Number.isSafeInteger(seed) && seed >= 0 ? seed : null, accuracy: {}, notes },
      },
      opset: this.g.opset,
      producer: this.g.producer,
      metadata: this.g.metadata,
      notes,
    };
  }

  // ------------------------------------------------------------ helpers

  private uniqueName(base: string): string {
    let s = base.replace(/^\/+/, '').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'layer';
    if (!/^[A-Za-z]/.test(s)) s = `l_${s}`;
    s = s.slice(0, 120);
    let name = s;
    for (let i = 2; this.names.has(name); i++) name = `${s}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Layer name from the weight initializer ("layer1.0.conv1.weight" → "layer1_0_conv1"), else the node name. */
  private layerName(n: OnnxNode, weight?: string): string {
    if (weight && !weight.startsWith('onnx::') && /\.weight$/.test(weight)) return this.uniqueName(weight.replace(/\.weight$/, ''));
    if (n.name.startsWith('#')) return this.uniqueName(`${n.opType}_${n.name.slice(1)}`);
    // PyTorch's scoped names: "/layer1/conv/Conv" → "layer1_conv".
    const parts = n.name.split('/').filter(Boolean);
    if (parts.length > 1 && parts[parts.length - 1]!.startsWith(n.opType)) parts.pop();
    // Each scope repeats its parent's attribute name ("features", "features.3"): keep the longer.
    for (let i = parts.length - 2; i >= 0; i--) if (parts[i + 1]!.startsWith(`${parts[i]}.`)) parts.splice(i, 1);
    return this.uniqueName(parts.join('_'));
  }

  private value(n: OnnxNode, i: number): Value {
    const name = n.inputs[i];
    if (!name) throw new GenRtlError(n.where, `input ${i} is missing`);
    const v = this.values.get(name);
    if (!v) throw new GenRtlError(n.where, `input ${q(name)} is neither a graph input, an initializer nor the output of an earlier node`);
    return v;
  }

  private act(n: OnnxNode, i: number): { act: Draft; flat: boolean } {
    const v = this.value(n, i);
    if (!isAct(v)) throw new GenRtlError(n.where, `input ${q(n.inputs[i])} is a constant; gen-rtl needs it to be computed from the image (constant folding is not supported)`);
    return v;
  }

  private constant(n: OnnxNode, i: number, what: string): ConstTensor {
    const v = this.value(n, i);
    if (isAct(v)) throw new GenRtlError(n.where, `${what} ${q(n.inputs[i])} is not an initializer: it must be a constant stored in the file, not computed`);
    return (v as { constant: ConstTensor }).constant;
  }

  /** The layer whose output is input i, if a following op may fold into it (it is the only consumer). */
  private foldTarget(n: OnnxNode, i: number): Draft | null {
    const v = this.value(n, i);
    if (!isAct(v)) return null;
    const name = n.inputs[i]!;
    return this.uses.get(name) === 1 && v.act.out === name ? v.act : null;
  }

  private set(n: OnnxNode, v: Value): void {
    const out = n.outputs[0];
    if (!out) throw new GenRtlError(n.where, 'has no output');
    if (isAct(v) && v.act.out === n.inputs[0]) v.act.out = out;
    this.values.set(out, v);
  }

  private add(d: Draft, flat = false): void {
    this.drafts.push(d);
    this.values.set(d.out, { act: d, flat });
  }

  private noUnusedOutputs(n: OnnxNode): void {
    for (const o of n.outputs.slice(1)) {
      if (o && (this.uses.get(o) ?? 0) > 0) throw new GenRtlError(n.where, `output ${q(o)} is used, but gen-rtl only computes the first output of ${q(n.opType, false)}`);
    }
  }

  // ------------------------------------------------------------ nodes

  private node(n: OnnxNode): void {
    if (n.domain && n.domain !== 'ai.onnx') throw new GenRtlError(n.where, `is in operator domain ${q(n.domain)}; only the default ONNX domain is supported`);
    switch (n.opType) {
      case 'Constant':
        return this.constantNode(n);
      case 'Conv':
        return this.conv(n);
      case 'BatchNormalization':
        return this.batchNorm(n);
      case 'Relu':
        return this.relu(n);
      case 'Add':
        return this.addNode(n);
      case 'MaxPool':
        return this.maxPool(n);
      case 'AveragePool':
      case 'GlobalAveragePool':
      case 'ReduceMean':
        return this.avgPool(n);
      case 'Flatten':
      case 'Reshape':
        return this.flatten(n);
      case 'Gemm':
      case 'MatMul':
        return this.fc(n);
      case 'Concat':
        return this.concat(n);
      case 'Identity':
      case 'Dropout':
        this.noUnusedOutputs(n);
        return this.set(n, this.value(n, 0));
      default:
        throw new GenRtlError(n.where, `op type ${q(n.opType, false)} is not supported; gen-rtl imports ${SUPPORTED_OPS.join(', ')}`);
    }
  }

  private constantNode(n: OnnxNode): void {
    const t = n.attrs.tensor('value');
    if (!t) throw new GenRtlError(n.where, `only the "value" tensor form of Constant is supported (got attributes ${n.attrs.names().join(', ') || 'none'})`);
    const out = n.outputs[0]!;
    this.values.set(out, { constant: { ...tensorValues({ ...t, name: out }, n.where), name: out } });
  }

  /** Square kernel, equal strides, symmetric equal pads, unit dilations: the geometry both Conv and MaxPool share. */
  private window(n: OnnxNode, kernel: readonly number[] | undefined): { kernel: number; stride: number; pad: number } {
    const autoPad = n.attrs.string('auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new GenRtlError(n.where, `auto_pad ${autoPad} is not supported; export explicit pads`);
    const k = n.attrs.ints('kernel_shape') ?? kernel;
    if (!k || k.length !== 2 || k[0] !== k[1]) throw new GenRtlError(n.where, `kernel_shape [${k?.join(', ') ?? ''}] is not supported; gen-rtl takes square 2-D kernels`);
    const strides = n.attrs.ints('strides') ?? [1, 1];
    if (strides.length !== 2 || strides[0] !== strides[1] || strides[0]! < 1) throw new GenRtlError(n.where, `strides [${strides.join(', ')}] are not supported; they must be equal in both dimensions`);
    const pads = n.attrs.ints('pads') ?? [0, 0, 0, 0];
    if (pads.length !== 4 || pads.some((p) => p !== pads[0]) || pads[0]! < 0) throw new GenRtlError(n.where, `pads [${pads.join(', ')}] are not supported; all four must be equal`);
    const dil = n.attrs.ints('dilations') ?? [1, 1];
    if (dil.some((d) => d !== 1)) throw new GenRtlError(n.where, `dilations [${dil.join(', ')}] are not supported; only 1`);
    return { kernel: k[0]!, stride: strides[0]!, pad: pads[0]! };
  }

  private conv(n: OnnxNode): void {
    const x = this.act(n, 0);
    if (x.flat) throw new GenRtlError(n.where, 'its input is flattened; Conv needs an image tensor');
    const W = this.constant(n, 1, 'weight');
    const s = x.act.shape;
    if (W.dims.length !== 4) throw new GenRtlError(n.where, `weight ${q(W.name)} has shape [${W.dims.join(', ')}]; a 2-D convolution's is [Cout, Cin/groups, k, k]`);
    const [cout, cinG, kh, kw] = W.dims as [number, number, number, number];
    const groups = n.attrs.int('group', 1);
    const win = this.window(n, [kh, kw]);
    if (kh !== win.kernel || kw !== win.kernel) throw new GenRtlError(n.where, `weight ${q(W.name)} is ${kh}x${kw} but kernel_shape says ${win.kernel}x${win.kernel}`);
    if (groups < 1 || cinG * groups !== s.c || cout % groups !== 0) {
      throw new GenRtlError(n.where, `weight ${q(W.name)} [${W.dims.join(', ')}] with group=${groups} does not fit an input of ${s.c} channels`);
    }
    const b = n.inputs[2] ? this.constant(n, 2, 'bias').data : new Float64Array(cout);
    if (b.length !== cout) throw new GenRtlError(n.where, `bias has ${b.length} values for ${cout} output channels`);
    const h = windowOut(s.h, win.kernel, win.stride, win.pad);
    const w = windowOut(s.w, win.kernel, win.stride, win.pad);
    if (h < 1 || w < 1) throw new GenRtlError(n.where, `a ${win.kernel}x${win.kernel} window does not fit the ${s.h}x${s.w} input`);
    this.add({
      kind: 'conv',
      name: this.layerName(n, W.name),
      shape: { c: cout, h, w },
      out: n.outputs[0]!,
      where: n.where,
      input: x.act,
      geom: { ...win, groups },
      w: Float64Array.from(W.data),
      b: Float64Array.from(b),
      relu: false,
    });
  }

  private batchNorm(n: OnnxNode): void {
    this.noUnusedOutputs(n);
    const d = this.foldTarget(n, 0);
    if (!d || (d.kind !== 'conv' && d.kind !== 'prb' && d.kind !== 'fc') || d.relu) {
      throw new GenRtlError(n.where, 'BatchNormalization must directly follow a Conv or Gemm whose output nothing else reads (gen-rtl folds it into that layer)');
    }
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => this.constant(n, i, ['scale', 'bias', 'mean', 'var'][i - 1]!).data);
    const C = d.shape.c;
    for (const [i, t] of [gamma!, beta!, mean!, variance!].entries()) {
      if (t.length !== C) throw new GenRtlError(n.where, `input ${i + 1} has ${t.length} values for ${C} channels`);
    }
    const eps = n.attrs.float('epsilon', 1e-5);
    const scale = Float64Array.from(gamma!, (g, c) => g / Math.sqrt(variance![c]! + eps));
    const scaleRows = (w: Float64Array): void => {
      const per = w.length / C;
      for (let i = 0; i < w.length; i++) w[i]! *= scale[Math.floor(i / per)]!;
    };
    scaleRows(d.w);
    if (d.kind === 'prb') scaleRows(d.w1);
    for (let c = 0; c < C; c++) d.b[c] = (d.b[c]! - mean![c]!) * scale[c]! + beta![c]!;
    this.bnFolded++;
    this.set(n, this.value(n, 0));
  }

  private relu(n: OnnxNode): void {
    const v = this.act(n, 0);
    const d = this.foldTarget(n, 0);
    if (d && (d.kind === 'conv' || d.kind === 'prb' || d.kind === 'add' || d.kind === 'avgpool' || d.kind === 'fc')) {
      d.relu = true;
      return this.set(n, v);
    }
    // ReLU of a value that already is non-negative changes nothing.
    if (nonNegative(v.act)) {
      this.values.set(n.outputs[0]!, v);
      return;
    }
    throw new GenRtlError(n.where, `Relu after ${q(v.act.name)} (${v.act.kind}) cannot be fused: gen-rtl fuses a ReLU into the Conv, Gemm, Add or pool right before it when nothing else reads that layer's output`);
  }

  private addNode(n: OnnxNode): void {
    const a = this.value(n, 0);
    const b = this.value(n, 1);
    if (!isAct(a) && !isAct(b)) throw new GenRtlError(n.where, 'adds two constants; constant folding is not supported');
    if (!isAct(a) || !isAct(b)) return this.biasAdd(n, isAct(a) ? 1 : 0);
    const sa = a.act.shape;
    const sb = b.act.shape;
    if (sa.c !== sb.c || sa.h !== sb.h || sa.w !== sb.w || a.flat !== b.flat) {
      throw new GenRtlError(n.where, `adds tensors of different shapes (${sa.c}x${sa.h}x${sa.w} and ${sb.c}x${sb.h}x${sb.w}); gen-rtl adds equal shapes only`);
    }
    const da = this.foldTarget(n, 0);
    const db = this.foldTarget(n, 1);
    if (this.opts.mergePrb && da && db && da !== db) {
      const prb = prbOf(da, db) ?? prbOf(db, da);
      const merge = this.opts.mergePrb;
      if (prb && (merge === true || (typeof merge === 'function' && merge(prb.geom.kernel)))) {
        da.merged = true;
        db.merged = true;
        this.prbMerged++;
        // Named after what the two branches share ("block_k3" and "block_k1" → "block").
        let common = 0;
        while (common < da.name.length && da.name[common] === db.name[common]) common++;
        const prefix = da.name.slice(0, common);
        const shared = (common < Math.min(da.name.length, db.name.length) ? prefix.slice(0, Math.max(0, prefix.lastIndexOf('_'))) : prefix).replace(/_+$/, '');
        this.names.delete(da.name);
        this.names.delete(db.name);
        this.add({ ...prb, name: this.uniqueName(shared.length >= 2 ? shared : prb.name), out: n.outputs[0]!, where: n.where });
        return;
      }
    }
    this.add({ kind: 'add', name: this.layerName(n), shape: sa, out: n.outputs[0]!, where: n.where, inputs: [a.act, b.act], relu: false }, a.flat);
  }

  /** Add of a per-channel constant right after a Conv, Gemm or MatMul: it joins the bias. */
  private biasAdd(n: OnnxNode, constIndex: number): void {
    const t = this.constant(n, constIndex, 'addend');
    const d = this.foldTarget(n, 1 - constIndex);
    if (!d || (d.kind !== 'conv' && d.kind !== 'prb' && d.kind !== 'fc') || d.relu) {
      throw new GenRtlError(n.where, 'adds a constant to a tensor that is not the only output of a Conv, Gemm or MatMul; gen-rtl can only fold a constant into a layer bias');
    }
    const C = d.shape.c;
    const perChannel = t.data.length === C && t.dims.filter((x) => x !== 1).length <= 1;
    if (t.data.length !== 1 && !perChannel) throw new GenRtlError(n.where, `constant ${q(t.name)} of shape [${t.dims.join(', ')}] is not one value per channel (${C})`);
    for (let c = 0; c < C; c++) d.b[c]! += t.data.length === 1 ? t.data[0]! : t.data[c]!;
    this.set(n, { act: d, flat: (this.value(n, 1 - constIndex) as { flat: boolean }).flat });
    d.out = n.outputs[0]!;
  }

  private maxPool(n: OnnxNode): void {
    this.noUnusedOutputs(n);
    const x = this.act(n, 0);
    if (x.flat) throw new GenRtlError(n.where, 'its input is flattened; MaxPool needs an image tensor');
    const win = this.window(n, undefined);
    const s = x.act.shape;
    const h = windowOut(s.h, win.kernel, win.stride, win.pad);
    const w = windowOut(s.w, win.kernel, win.stride, win.pad);
    if (n.attrs.int('ceil_mode', 0) !== 0) {
      const ceil = (len: number): number => Math.ceil((len + 2 * win.pad - win.kernel) / win.stride) + 1;
      if (ceil(s.h) !== h || ceil(s.w) !== w) throw new GenRtlError(n.where, 'ceil_mode=1 changes the output size here; gen-rtl pools with floor (ceil_mode=False)');
    }
    if (win.pad >= win.kernel) throw new GenRtlError(n.where, `pad ${win.pad} is not smaller than the kernel ${win.kernel}`);
    this.add({ kind: 'maxpool', name: this.layerName(n), shape: { c: s.c, h, w }, out: n.outputs[0]!, where: n.where, input: x.act, ...win });
  }

  private avgPool(n: OnnxNode): void {
    const x = this.act(n, 0);
    if (x.flat) throw new GenRtlError(n.where, 'its input is flattened; average pooling needs an image tensor');
    const s = x.act.shape;
    let flat = false;
    if (n.opType === 'AveragePool') {
      const win = this.window(n, undefined);
      if (win.kernel !== s.h || s.h !== s.w || win.pad !== 0) {
        throw new GenRtlError(n.where, `a ${win.kernel}x${win.kernel} average pool over ${s.h}x${s.w} is not global; gen-rtl supports global average pooling only`);
      }
    } else if (n.opType === 'ReduceMean') {
      const axes = (n.attrs.ints('axes') ?? []).map((a) => (a < 0 ? a + 4 : a)).sort();
      if (axes.length !== 2 || axes[0] !== 2 || axes[1] !== 3) throw new GenRtlError(n.where, `ReduceMean over axes [${n.attrs.ints('axes')?.join(', ') ?? 'all'}] is not supported; only over H and W (axes [2, 3])`);
      flat = n.attrs.int('keepdims', 1) === 0;
    }
    this.add({ kind: 'avgpool', name: this.layerName(n), shape: { c: s.c, h: 1, w: 1 }, out: n.outputs[0]!, where: n.where, input: x.act, relu: false }, flat);
  }

  private flatten(n: OnnxNode): void {
    const x = this.act(n, 0);
    const s = x.act.shape;
    const features = s.c * s.h * s.w;
    if (n.opType === 'Flatten') {
      const axis = n.attrs.int('axis', 1);
      if (axis !== 1) throw new GenRtlError(n.where, `Flatten with axis=${axis} is not supported; only axis=1 (keep the batch dimension)`);
    } else {
      const shape = [...this.constant(n, 1, 'shape').data];
      const ok2 = shape.length === 2 && (shape[0] === 1 || shape[0] === -1 || shape[0] === 0) && (shape[1] === -1 || shape[1] === features);
      const same4 = shape.length === 4 && shape[1] === s.c && shape[2] === s.h && shape[3] === s.w;
      if (same4 && !x.flat) return this.set(n, x);
      if (!ok2) throw new GenRtlError(n.where, `Reshape to [${shape.join(', ')}] is not supported; only flattening to [N, ${features}] (torch.flatten(x, 1))`);
    }
    this.values.set(n.outputs[0]!, { act: x.act, flat: true });
    if (x.act.out === n.inputs[0]) x.act.out = n.outputs[0]!;
  }

  private fc(n: OnnxNode): void {
    const x = this.act(n, 0);
    const s = x.act.shape;
    if (!x.flat && (s.h !== 1 || s.w !== 1)) throw new GenRtlError(n.where, `its input is a ${s.c}x${s.h}x${s.w} image; flatten it first`);
    const cin = s.c * s.h * s.w;
    const B = this.constant(n, 1, 'weight');
    let transB = 0;
    let alpha = 1;
    let beta = 1;
    if (n.opType === 'Gemm') {
      if (n.attrs.int('transA', 0) !== 0) throw new GenRtlError(n.where, 'transA=1 is not supported');
      transB = n.attrs.int('transB', 0);
      alpha = n.attrs.float('alpha', 1);
      beta = n.attrs.float('beta', 1);
    }
    if (B.dims.length !== 2) throw new GenRtlError(n.where, `weight ${q(B.name)} has shape [${B.dims.join(', ')}]; expected a matrix`);
    const [rows, cols] = B.dims as [number, number];
    const [kIn, cout] = transB ? [cols, rows] : [rows, cols];
    if (kIn !== cin) throw new GenRtlError(n.where, `weight ${q(B.name)} [${B.dims.join(', ')}] takes ${kIn} features but its input has ${cin} (${s.c}x${s.h}x${s.w})`);
    // [cout][cin], cin permuted from PyTorch's flattened CHW to the hardware's HWC.
    const w = new Float64Array(cout * cin);
    for (let o = 0; o < cout; o++) {
      for (let c = 0; c < s.c; c++) {
        for (let p = 0; p < s.h * s.w; p++) {
          const chw = c * s.h * s.w + p;
          w[o * cin + p * s.c + c] = alpha * B.data[transB ? o * cin + chw : chw * cout + o]!;
        }
      }
    }
    const b = new Float64Array(cout);
    if (n.opType === 'Gemm' && n.inputs[2]) {
      const C = this.constant(n, 2, 'bias');
      if (C.data.length !== cout && C.data.length !== 1) throw new GenRtlError(n.where, `bias ${q(C.name)} has ${C.data.length} values for ${cout} outputs`);
      for (let o = 0; o < cout; o++) b[o] = beta * C.data[C.data.length === 1 ? 0 : o]!;
    }
    this.add({ kind: 'fc', name: this.layerName(n, B.name), shape: { c: cout, h: 1, w: 1 }, out: n.outputs[0]!, where: n.where, input: x.act, w, b, relu: false }, true);
  }

  private concat(n: OnnxNode): void {
    const xs = n.inputs.map((_, i) => this.act(n, i));
    const axis = n.attrs.int('axis', 1);
    if (axis !== 1 && axis !== -3) throw new GenRtlError(n.where, `Concat on axis ${axis} is not supported; only on channels (axis 1)`);
    const s0 = xs[0]!.act.shape;
    for (const x of xs) {
      if (x.flat) throw new GenRtlError(n.where, 'concatenates a flattened tensor; only image tensors are concatenated');
      if (x.act.shape.h !== s0.h || x.act.shape.w !== s0.w) throw new GenRtlError(n.where, `concatenates ${s0.h}x${s0.w} and ${x.act.shape.h}x${x.act.shape.w} images; sizes must match`);
    }
    const c = xs.reduce((t, x) => t + x.act.shape.c, 0);
    this.add({ kind: 'concat', name: this.layerName(n), shape: { c, h: s0.h, w: s0.w }, out: n.outputs[0]!, where: n.where, inputs: xs.map((x) => x.act) });
  }
}

/** `kxk` and `one` summed form a pattern residual block when they read one input with one stride and groups. */
function prbOf(kxk: Draft, one: Draft): Extract<Draft, { kind: 'prb' }> | null {
  if (kxk.kind !== 'conv' || one.kind !== 'conv' || kxk.relu || one.relu) return null;
  const g = kxk.geom;
  const g1 = one.geom;
  if (kxk.input !== one.input || g.kernel < 2 || g1.kernel !== 1 || g1.pad !== 0) return null;
  if (g.pad !== (g.kernel - 1) / 2 || g.stride !== g1.stride || g.groups !== g1.groups || kxk.shape.c !== one.shape.c) return null;
  const b = Float64Array.from(kxk.b, (v, c) => v + one.b[c]!);
  return { kind: 'prb', name: kxk.name, shape: kxk.shape, out: '', where: kxk.where, input: kxk.input, geom: g, w: kxk.w, w1: one.w, b, relu: false };
}

function draftInputs(d: Draft): readonly Draft[] {
  switch (d.kind) {
    case 'input':
      return [];
    case 'add':
    case 'concat':
      return d.inputs;
    default:
      return [d.input];
  }
}

/** Outputs that cannot be negative (a later ReLU is a no-op). */
function nonNegative(d: Draft): boolean {
  switch (d.kind) {
    case 'conv':
    case 'prb':
    case 'add':
    case 'avgpool':
    case 'fc':
      return d.relu;
    case 'maxpool':
      return nonNegative(d.input);
    case 'concat':
      return d.inputs.every(nonNegative);
    case 'input':
      return false;
  }
}

function classCount(d: Draft): number {
  return d.shape.c * d.shape.h * d.shape.w;
}

function metaList(g: OnnxGraph, key: string): number[] | undefined {
  const v = g.metadata.get(key);
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw new GenRtlError(`${g.file}: metadata ${q(key)}`, `is not a comma-separated list of numbers: ${JSON.stringify(v)}`);
  return xs;
}

function toFloatLayer(d: Draft, mean: readonly number[], std: readonly number[]): FloatLayer {
  const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);
  switch (d.kind) {
    case 'input':
      return { kind: 'input', name: d.name, inputs: [], height: d.shape.h, width: d.shape.w, channels: d.shape.c, mean, std };
    case 'conv':
      return { kind: 'conv', name: d.name, inputs: [d.input.name], outChannels: d.shape.c, geom: d.geom, weights: f32(d.w), bias: f32(d.b), relu: d.relu };
    case 'prb':
      return { kind: 'prb', name: d.name, inputs: [d.input.name], outChannels: d.shape.c, geom: d.geom, weights: f32(d.w), weights1x1: f32(d.w1), bias: f32(d.b), relu: d.relu };
    case 'add':
      return { kind: 'add', name: d.name, inputs: d.inputs.map((i) => i.name), relu: d.relu };
    case 'maxpool':
      return { kind: 'maxpool', name: d.name, inputs: [d.input.name], kernel: d.kernel, stride: d.stride, pad: d.pad };
    case 'avgpool':
      return { kind: 'avgpool', name: d.name, inputs: [d.input.name], relu: d.relu };
    case 'fc': {
      const s = d.input.shape;
      if (s.h > 1 && s.h === s.w) {
        // Over a square image the classifier is a "valid" int8 convolution with the image's size: the
        // hardware computes it in a window stage. Weights HWC → [cout][c][y][x].
        const k = s.h;
        const cin = s.c * k * k;
        const w = new Float32Array(d.w.length);
        for (let o = 0; o < d.shape.c; o++) {
          for (let p = 0; p < k * k; p++) for (let c = 0; c < s.c; c++) w[o * cin + c * k * k + p] = d.w[o * cin + p * s.c + c]!;
        }
        return { kind: 'conv', name: d.name, inputs: [d.input.name], outChannels: d.shape.c, geom: { kernel: k, stride: 1, pad: 0, groups: 1 }, weights: w, bias: f32(d.b), relu: d.relu, precision: 'int8' };
      }
      return { kind: 'fc', name: d.name, inputs: [d.input.name], outChannels: d.shape.c, weights: f32(d.w), bias: f32(d.b), relu: d.relu };
    }
    case 'concat':
      return { kind: 'concat', name: d.name, inputs: d.inputs.map((i) => i.name) };
  }
}

/** Reads an ONNX file's bytes into a float model (batch norm folded, PRBs recognized). */
export function importOnnx(bytes: Uint8Array, file: string, opts: ImportOptions): ImportedGraph {
  return new Importer(readOnnx(bytes, file), opts).run();
}

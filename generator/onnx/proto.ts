/**
 * Reading an ONNX file: the protobuf is decoded by onnx-proto (the ONNX
 * schema compiled for protobufjs); this module turns it into plain records
 * (nodes with typed attribute access, constant tensors as Float64Arrays) and
 * turns every malformed input into a GenRtlError naming the file and the
 * node or tensor.
 */
import onnxProto from 'onnx-proto';
import { GenRtlError } from '../util/errors.js';

const { onnx } = onnxProto;

/**
 * A name from the file as it appears in a message: JSON-quoted (control characters escaped, so
 * the message stays on one line) and cut at 80 characters; `quoted` false drops the quotes.
 */
export function q(s: string, quoted = true): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}...` : s;
  const j = JSON.stringify(cut);
  return quoted ? j : j.slice(1, -1);
}
type AttributeProto = onnxProto.onnx.IAttributeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** The opsets of the default domain PyTorch's exporter writes and this importer reads. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 17;

/** A constant tensor (initializer or Constant node), converted to float64. */
export interface ConstTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
  /** "node "Conv_3" (Conv)": the place errors name. */
  readonly where: string;
}

/** A graph input or output with its declared shape; null dims are symbolic (dynamic). */
export interface ValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | null)[] | null;
}

export interface OnnxGraph {
  readonly file: string;
  readonly opset: number;
  readonly producer: string;
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly constants: ReadonlyMap<string, ConstTensor>;
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly metadata: ReadonlyMap<string, string>;
}

const DT = onnx.TensorProto.DataType;
export const ELEM_FLOAT = DT.FLOAT;

function num(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Typed access to a node's attributes; every wrong type names the node and attribute. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    attrs: readonly AttributeProto[],
    private readonly where: string,
  ) {
    for (const a of attrs) this.byName.set(a.name ?? '', a);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number, typeName: string): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a && a.type !== type) throw new GenRtlError(this.where, `attribute ${q(name)} must be ${typeName} (AttributeProto type ${type}), got type ${a.type ?? 'unset'}`);
    return a;
  }

  int(name: string, dflt: number): number {
    const a = this.get(name, onnx.AttributeProto.AttributeType.INT, 'an int');
    return a ? num(a.i) : dflt;
  }

  float(name: string, dflt: number): number {
    const a = this.get(name, onnx.AttributeProto.AttributeType.FLOAT, 'a float');
    return a ? (a.f ?? 0) : dflt;
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, onnx.AttributeProto.AttributeType.INTS, 'a list of ints');
    return a ? (a.ints ?? []).map(num) : undefined;
  }

  string(name: string, dflt: string): string {
    const a = this.get(name, onnx.AttributeProto.AttributeType.STRING, 'a string');
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : dflt;
  }

  tensor(name: string): TensorProto | undefined {
    return this.get(name, onnx.AttributeProto.AttributeType.TENSOR, 'a tensor');
  }
}

/** Element size in bytes of the raw_data encodings we read. */
const RAW_SIZE: Partial<Record<number, number>> = { [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT64]: 8, [DT.INT32]: 4, [DT.FLOAT16]: 2 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** A tensor's values as float64, from raw_data or the typed repeated fields. */
export function tensorValues(t: TensorProto, where: string): ConstTensor {
  const name = t.name ?? '';
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  const what = `${where}: tensor ${q(name)}`;
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new GenRtlError(what, `has invalid dimensions [${dims.join(', ')}]`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new GenRtlError(what, 'keeps its data in an external file; export the model with all weights inside the .onnx (save_as_external_data=False)');
  }
  const type = t.dataType ?? 0;
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const size = RAW_SIZE[type];
    if (size === undefined) throw new GenRtlError(what, `has data type ${DT[type] ?? type}; supported: FLOAT, DOUBLE, FLOAT16, INT32, INT64`);
    // Checked before anything is allocated from the declared dimensions.
    if (raw.length !== count * size) throw new GenRtlError(what, `raw_data holds ${raw.length} bytes, but ${count} values of ${DT[type]} need ${count * size}`);
    const data = new Float64Array(count);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      switch (type) {
        case DT.FLOAT:
          data[i] = view.getFloat32(4 * i, true);
          break;
        case DT.DOUBLE:
          data[i] = view.getFloat64(8 * i, true);
          break;
        case DT.INT64:
          data[i] = Number(view.getBigInt64(8 * i, true));
          break;
        case DT.INT32:
          data[i] = view.getInt32(4 * i, true);
          break;
        default:
          data[i] = halfToFloat(view.getUint16(2 * i, true));
      }
    }
    return { name, dims, data };
  }
  let values: ArrayLike<number>;
  switch (type) {
    case DT.FLOAT:
      values = t.floatData ?? [];
      break;
    case DT.DOUBLE:
      values = t.doubleData ?? [];
      break;
    case DT.INT64:
      values = (t.int64Data ?? []).map(num);
      break;
    case DT.INT32:
      values = t.int32Data ?? [];
      break;
    case DT.FLOAT16:
      values = (t.int32Data ?? []).map(halfToFloat);
      break;
    default:
      throw new GenRtlError(what, `has data type ${DT[type] ?? type}; supported: FLOAT, DOUBLE, FLOAT16, INT32, INT64`);
  }
  if (values.length !== count) throw new GenRtlError(what, `holds ${values.length} values, but its dimensions [${dims.join(', ')}] need ${count}`);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = values[i]!;
  return { name, dims, data };
}

function valueInfo(v: onnxProto.onnx.IValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape ? (tt.shape.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined && num(d.dimValue) > 0 ? num(d.dimValue) : null)) : null;
  return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims };
}

/** Decodes and checks the container; semantic checks of the graph are the importer's. */
export function readOnnx(bytes: Uint8Array, file: string): OnnxGraph {
  let m: onnxProto.onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new GenRtlError(file, `is not a valid ONNX file: the protobuf does not decode (${e instanceof Error ? e.message : String(e)})`);
  }
  const g = m.graph;
  if (!g || (g.node ?? []).length === 0) throw new GenRtlError(file, 'is not an ONNX model: it has no graph or the graph has no nodes');
  const opsets = (m.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx');
  if (opsets.length !== 1) throw new GenRtlError(file, 'does not import the default ONNX operator set (opset_import has no entry for domain "")');
  const opset = num(opsets[0]!.version);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new GenRtlError(file, `uses opset ${opset}; gen-rtl reads opsets ${MIN_OPSET} to ${MAX_OPSET} (export with torch.onnx.export(..., opset_version=${MAX_OPSET}))`);
  }

  const constants = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) constants.set(t.name ?? '', tensorValues(t, file));
  const nodes: OnnxNode[] = (g.node ?? []).map((n, i) => {
    const name = n.name || `#${i}`;
    const opType = n.opType ?? '';
    const where = `${file}: node ${q(name)} (${q(opType, false)})`;
    return { name, opType, domain: n.domain ?? '', inputs: n.input ?? [], outputs: n.output ?? [], attrs: new Attributes(n.attribute ?? [], where), where };
  });
  const metadata = new Map<string, string>();
  for (const p of m.metadataProps ?? []) metadata.set(p.key ?? '', p.value ?? '');
  return {
    file,
    opset,
    producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(),
    graphName: g.name ?? '',
    nodes,
    constants,
    inputs: (g.input ?? []).filter((v) => !constants.has(v.name ?? '')).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    metadata,
  };
}

/**
 * Tensor types of the `.sepb` container and the rules a tensor must satisfy,
 * shared by the reader and the writer so both agree on what is valid.
 */
import { LIMITS, oneLine } from './container-layout.js';

export type DType = 'bits' | 'int8' | 'uint8' | 'int16' | 'int32' | 'float32';
export type TensorData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array;

export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /**
   * bits: Uint8Array of packed bits (see packBits); uint8: Uint8Array;
   * int8: Int8Array; int16: Int16Array; int32: Int32Array; float32: Float32Array.
   */
  readonly data: TensorData;
}

type ArrayKind = 'Uint8Array' | 'Int8Array' | 'Int16Array' | 'Int32Array' | 'Float32Array';

interface DTypeInfo {
  /** Bytes per element; bits are packed eight to a byte instead. */
  readonly elementBytes: number;
  readonly arrayKind: ArrayKind;
}

const DTYPE_INFO: Readonly<Record<DType, DTypeInfo>> = {
  bits: { elementBytes: 0, arrayKind: 'Uint8Array' },
  int8: { elementBytes: 1, arrayKind: 'Int8Array' },
  uint8: { elementBytes: 1, arrayKind: 'Uint8Array' },
  int16: { elementBytes: 2, arrayKind: 'Int16Array' },
  int32: { elementBytes: 4, arrayKind: 'Int32Array' },
  float32: { elementBytes: 4, arrayKind: 'Float32Array' },
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_INFO, value);
}

export const DTYPE_NAMES: readonly DType[] = Object.keys(DTYPE_INFO) as DType[];

/** Bytes a tensor of `elementCount` elements occupies in the blob section. */
export function dtypeByteLength(dtype: DType, elementCount: number): number {
  if (!isDType(dtype)) throw new RangeError(`dtypeByteLength: unknown dtype ${String(dtype)}`);
  if (!Number.isSafeInteger(elementCount) || elementCount < 0) {
    throw new RangeError(`dtypeByteLength: element count must be a non-negative integer, got ${elementCount}`);
  }
  return dtype === 'bits' ? Math.ceil(elementCount / 8) : elementCount * DTYPE_INFO[dtype].elementBytes;
}

/**
 * Packs signs LSB first: element i goes to bit (i & 7) of byte (i >> 3).
 * Bit 1 means +1 and bit 0 means -1; any value > 0 packs as 1, everything else
 * (0, negatives, NaN) as 0. Unused high bits of the last byte are 0.
 */
export function packBits(signs: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(signs.length / 8));
  for (let i = 0; i < signs.length; i++) {
    if ((signs[i] as number) > 0) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

/** Inverse of packBits: the first `count` packed bits as +1 / -1. */
export function unpackBits(bits: Uint8Array, count: number): Int8Array {
  if (!Number.isSafeInteger(count) || count < 0 || Math.ceil(count / 8) > bits.length) {
    throw new RangeError(`unpackBits: cannot take ${count} bits from ${bits.length} bytes`);
  }
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = ((bits[i >> 3]! >> (i & 7)) & 1) === 1 ? 1 : -1;
  }
  return out;
}

/** Mask of the bits of the last packed byte that must be zero, or 0 when all are used. */
export function unusedBitsMask(elementCount: number): number {
  const used = elementCount % 8;
  return used === 0 ? 0 : (0xff << used) & 0xff;
}

/** Why `name` is not a valid tensor name, or undefined. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `name must be a string, found ${describeValue(name)}`;
  if (name.length === 0) return 'name must not be empty';
  if (name.length > LIMITS.maxNameLength) {
    return `name is ${name.length} characters long, more than the limit of ${LIMITS.maxNameLength}`;
  }
  return undefined;
}

export type ShapeCheck = { readonly ok: true; readonly count: number } | { readonly ok: false; readonly problem: string };

/** Validates a shape and computes its element count (1 for the scalar shape []). */
export function checkShape(shape: unknown): ShapeCheck {
  if (!Array.isArray(shape)) return { ok: false, problem: `shape must be an array, found ${describeValue(shape)}` };
  if (shape.length > LIMITS.maxRank) {
    return { ok: false, problem: `shape has ${shape.length} dimensions, more than the limit of ${LIMITS.maxRank}` };
  }
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim: unknown = shape[i];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 1 || dim > LIMITS.maxDim) {
      return {
        ok: false,
        problem: `shape[${i}] must be an integer from 1 to ${LIMITS.maxDim}, found ${describeValue(dim)}`,
      };
    }
    // Each factor is <= 2^24 and the running product <= 2^31, so the product stays exact enough to compare.
    count *= dim;
    if (count > LIMITS.maxElements) {
      return {
        ok: false,
        problem: `shape [${shape.join(', ')}] has more than ${LIMITS.maxElements} elements`,
      };
    }
  }
  return { ok: true, count };
}

function arrayKindOf(data: unknown): ArrayKind | undefined {
  if (data instanceof Uint8Array) return 'Uint8Array';
  if (data instanceof Int8Array) return 'Int8Array';
  if (data instanceof Int16Array) return 'Int16Array';
  if (data instanceof Int32Array) return 'Int32Array';
  if (data instanceof Float32Array) return 'Float32Array';
  return undefined;
}

/** Why `data` cannot hold a `dtype` tensor of `count` elements, or undefined. */
export function dataProblem(dtype: DType, count: number, data: unknown): string | undefined {
  const expected = DTYPE_INFO[dtype].arrayKind;
  const kind = arrayKindOf(data);
  if (kind !== expected) {
    const article = expected.startsWith('I') ? 'an' : 'a';
    return `dtype "${dtype}" needs its data in ${article} ${expected}, found ${kind ?? describeValue(data)}`;
  }
  const typed = data as TensorData;
  const length = dtype === 'bits' ? Math.ceil(count / 8) : count;
  if (typed.length !== length) {
    const what = dtype === 'bits' ? `${length} bytes of packed bits` : `${length} elements`;
    return `shape has ${count} elements, so data must have ${what}, found ${typed.length}`;
  }
  if (dtype === 'bits' && length > 0 && (typed[length - 1]! & unusedBitsMask(count)) !== 0) {
    return `unused high bits of the last packed byte must be 0, found 0x${typed[length - 1]!.toString(16)}`;
  }
  return undefined;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The tensor's bytes in file order (little-endian). Aliases the data on little-endian hosts. */
export function encodeTensorData(dtype: DType, data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || DTYPE_INFO[dtype].elementBytes <= 1) return bytes;
  return swapped(bytes, DTYPE_INFO[dtype].elementBytes);
}

/** A fresh, aligned typed array holding `bytes` (file order) decoded as `dtype`. */
export function decodeTensorData(dtype: DType, bytes: Uint8Array): TensorData {
  const size = DTYPE_INFO[dtype].elementBytes;
  // new Uint8Array(view) copies; bytes.slice() would not for a Node Buffer (its slice is a view of the whole file).
  const ordered = HOST_IS_LITTLE_ENDIAN || size <= 1 ? new Uint8Array(bytes) : swapped(bytes, size);
  const buffer = ordered.buffer;
  switch (DTYPE_INFO[dtype].arrayKind) {
    case 'Uint8Array':
      return new Uint8Array(buffer);
    case 'Int8Array':
      return new Int8Array(buffer);
    case 'Int16Array':
      return new Int16Array(buffer);
    case 'Int32Array':
      return new Int32Array(buffer);
    case 'Float32Array':
      return new Float32Array(buffer);
  }
}

function swapped(bytes: Uint8Array, elementBytes: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += elementBytes) {
    for (let j = 0; j < elementBytes; j++) out[i + j] = bytes[i + elementBytes - 1 - j]!;
  }
  return out;
}

/** Quotes a name for a message: JSON quoting escapes control characters, oneLine the rest. */
export function quoteName(name: string): string {
  return oneLine(JSON.stringify(name), 100);
}

/** Short, single-line description of an arbitrary value for error messages; never throws. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} elements`;
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
      return oneLine(JSON.stringify(shown), 60);
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `the bigint ${value}n`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return 'an object';
  }
}

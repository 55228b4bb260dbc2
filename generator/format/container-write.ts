/**
 * Writer of the `.sepb` container. It refuses anything the reader would refuse,
 * so every file it produces reads back, and its output depends only on its
 * inputs (no timestamps, no map-order or platform effects).
 */
import { GenRtlError } from '../util/errors.js';
import {
  FIELD,
  HEADER_SIZE,
  LIMITS,
  MAGIC_BYTES,
  MAJOR_VERSION,
  MINOR_VERSION,
  PAD_BYTE,
  TRAILER_SIZE,
  alignUp,
} from './container-layout.js';
import {
  type DType,
  type Tensor,
  DTYPE_NAMES,
  checkShape,
  dataProblem,
  describeValue,
  encodeTensorData,
  isDType,
  nameProblem,
  quoteName,
} from './container-tensors.js';
import { sha256 } from './sha256.js';

const WRITER = '.sepb writer';

interface PlacedTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export function writeContainer(model: unknown, tensors: readonly Tensor[]): Uint8Array {
  checkJsonValue(model, 'model', 0);
  const placed = placeTensors(tensors);
  const json = encodeJson(model, placed);
  const blobOffset = alignUp(HEADER_SIZE + json.length);
  const last = placed[placed.length - 1];
  const blobLength = last === undefined ? 0 : last.offset + last.bytes.length;
  const total = blobOffset + blobLength + TRAILER_SIZE;
  if (total > LIMITS.maxFileBytes) {
    throw new GenRtlError(WRITER, `the file would be ${total} bytes; .sepb files are limited to 1 GiB`);
  }

  const out = new Uint8Array(total);
  writeHeader(out, json.length, blobOffset);
  out.set(json, HEADER_SIZE);
  out.fill(PAD_BYTE, HEADER_SIZE + json.length, blobOffset);
  for (const tensor of placed) out.set(tensor.bytes, blobOffset + tensor.offset);
  const trailerStart = total - TRAILER_SIZE;
  out.set(sha256(out.subarray(0, trailerStart)), trailerStart);
  return out;
}

function writeHeader(out: Uint8Array, jsonLength: number, blobOffset: number): void {
  out.set(MAGIC_BYTES, FIELD.magic);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(FIELD.major, MAJOR_VERSION, true);
  view.setUint16(FIELD.minor, MINOR_VERSION, true);
  view.setUint32(FIELD.headerSize, HEADER_SIZE, true);
  view.setUint32(FIELD.jsonLength, jsonLength, true);
  view.setUint32(FIELD.blobOffset, blobOffset, true);
  view.setBigUint64(FIELD.totalLength, BigInt(out.length), true);
}

/** Validates every tensor and lays them out in the given order, each aligned to 64 bytes. */
function placeTensors(tensors: readonly Tensor[]): PlacedTensor[] {
  if (!Array.isArray(tensors)) {
    throw new GenRtlError(WRITER, `tensors must be an array, found ${describeValue(tensors)}`);
  }
  if (tensors.length > LIMITS.maxTensors) {
    throw new GenRtlError(WRITER, `${tensors.length} tensors, more than the limit of ${LIMITS.maxTensors}`);
  }
  const firstIndex = new Map<string, number>();
  const placed: PlacedTensor[] = [];
  let offset = 0;
  for (let i = 0; i < tensors.length; i++) {
    const tensor = checkTensor(tensors[i], i);
    const previous = firstIndex.get(tensor.name);
    if (previous !== undefined) {
      throw new GenRtlError(
        `${WRITER}: tensors[${i}]`,
        `duplicate tensor name ${quoteName(tensor.name)} (also tensors[${previous}])`,
      );
    }
    firstIndex.set(tensor.name, i);
    const bytes = encodeTensorData(tensor.dtype, tensor.data);
    placed.push({ name: tensor.name, dtype: tensor.dtype, shape: [...tensor.shape], offset, bytes });
    // Stop at the size limit before the offsets could grow without bound.
    offset = alignUp(offset + bytes.length);
    if (offset > LIMITS.maxFileBytes) {
      throw new GenRtlError(WRITER, 'the tensors add up to more than 1 GiB; .sepb files are limited to 1 GiB');
    }
  }
  return placed;
}

function checkTensor(tensor: unknown, index: number): Tensor {
  const indexWhere = `${WRITER}: tensors[${index}]`;
  if (tensor === null || typeof tensor !== 'object') {
    throw new GenRtlError(indexWhere, `must be a tensor object, found ${describeValue(tensor)}`);
  }
  const { name, dtype, shape, data } = tensor as Record<string, unknown>;
  const badName = nameProblem(name);
  if (badName !== undefined) throw new GenRtlError(indexWhere, badName);
  const where = `${WRITER}: tensor ${quoteName(name as string)}`;
  if (!isDType(dtype)) {
    throw new GenRtlError(where, `dtype must be one of ${DTYPE_NAMES.join(', ')}, found ${describeValue(dtype)}`);
  }
  const checked = checkShape(shape);
  if (!checked.ok) throw new GenRtlError(where, checked.problem);
  const badData = dataProblem(dtype, checked.count, data);
  if (badData !== undefined) throw new GenRtlError(where, badData);
  return tensor as Tensor;
}

function encodeJson(model: unknown, placed: readonly PlacedTensor[]): Uint8Array {
  const table = placed.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    offset: t.offset,
    byteLength: t.bytes.length,
  }));
  let text: string;
  try {
    text = JSON.stringify({ format: 'sepb', version: MAJOR_VERSION, model, tensors: table });
  } catch (err) {
    // Only a model too large for one JavaScript string gets here; checkJsonValue ruled out the rest.
    const message = err instanceof Error ? err.message : String(err);
    throw new GenRtlError(`${WRITER}: model`, `cannot be serialized: ${message}`);
  }
  return new TextEncoder().encode(text);
}

/**
 * JSON.stringify would silently turn NaN into null, drop undefined fields and
 * call toJSON; the model must instead survive the round trip exactly.
 */
function checkJsonValue(value: unknown, path: string, depth: number): void {
  if (depth > LIMITS.maxModelDepth) {
    throw new GenRtlError(`${WRITER}: ${path}`, `nested more than ${LIMITS.maxModelDepth} levels deep (or contains a cycle)`);
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new GenRtlError(`${WRITER}: ${path}`, `${value} is not representable in JSON`);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJsonValue(value[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      checkJsonValue((value as Record<string, unknown>)[key], memberPath(path, key), depth + 1);
    }
    return;
  }
  throw new GenRtlError(`${WRITER}: ${path}`, `${describeNonJson(value)} is not a JSON value`);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeNonJson(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const ctor: unknown = (value as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' && ctor.name !== '' ? `a ${ctor.name}` : 'a non-plain object';
  }
  return describeValue(value);
}

function memberPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${quoteName(key)}]`;
}

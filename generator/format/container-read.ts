/**
 * Reader of the `.sepb` container. Every problem with the input bytes becomes a
 * one-line GenRtlError naming the source and the byte or tensor at fault; no
 * field value can make it allocate more than the input's size or loop longer
 * than the input is long.
 */
import { GenRtlError } from '../util/errors.js';
import {
  ALIGNMENT,
  FIELD,
  HEADER_SIZE,
  LIMITS,
  MAJOR_VERSION,
  MINOR_VERSION,
  PAD_BYTE,
  TRAILER_SIZE,
  hexByte,
  magicProblem,
  oneLine,
} from './container-layout.js';
import {
  type DType,
  type Tensor,
  DTYPE_NAMES,
  checkShape,
  decodeTensorData,
  describeValue,
  dtypeByteLength,
  isDType,
  nameProblem,
  quoteName,
  unusedBitsMask,
} from './container-tensors.js';
import { bytesEqual, sha256 } from './sha256.js';

export interface ContainerContents {
  readonly model: unknown;
  readonly tensors: ReadonlyMap<string, Tensor>;
}

/** Where things are, once the header has been checked against the file. */
interface Layout {
  readonly minor: number;
  readonly jsonEnd: number;
  readonly blobOffset: number;
  /** Blob section length: it ends where the checksum trailer starts. */
  readonly blobLength: number;
}

interface TableEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly count: number;
  /** Relative to the blob section start. */
  readonly offset: number;
  readonly byteLength: number;
}

const TOP_LEVEL_KEYS = ['format', 'version', 'model', 'tensors'] as const;
const ENTRY_KEYS = ['name', 'dtype', 'shape', 'offset', 'byteLength'] as const;

export function readContainer(bytes: Uint8Array, source: string): ContainerContents {
  checkSignatureAndSize(bytes, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkVersion(view, source);
  checkTotalLength(view, source);
  checkChecksum(bytes, source);
  const layout = locateSections(view, source);
  const doc = parseJson(bytes, layout, source);
  const entries = readTensorTable(doc.tensors, layout, source);
  checkBlobGaps(bytes, layout, entries, source);
  const tensors = new Map<string, Tensor>();
  for (const entry of entries) tensors.set(entry.name, extractTensor(bytes, layout, entry, source));
  return { model: doc.model, tensors };
}

function at(source: string, byte: number): string {
  return `${source}: byte ${byte}`;
}

function checkSignatureAndSize(bytes: Uint8Array, source: string): void {
  if (bytes.length === 0) throw new GenRtlError(source, 'file is empty');
  const magic = magicProblem(bytes);
  if (magic !== undefined) throw new GenRtlError(at(source, FIELD.magic), magic);
  const minimum = HEADER_SIZE + TRAILER_SIZE;
  if (bytes.length < minimum) {
    throw new GenRtlError(
      source,
      `file is only ${bytes.length} bytes, shorter than the ${minimum}-byte minimum ` +
        `(${HEADER_SIZE}-byte header + ${TRAILER_SIZE}-byte checksum): it is truncated`,
    );
  }
  if (bytes.length > LIMITS.maxFileBytes) {
    throw new GenRtlError(source, `file is ${bytes.length} bytes; gen-rtl reads .sepb files of at most 1 GiB`);
  }
}

function checkVersion(view: DataView, source: string): void {
  const major = view.getUint16(FIELD.major, true);
  if (major !== MAJOR_VERSION) {
    throw new GenRtlError(
      at(source, FIELD.major),
      `unsupported format version ${major} (this gen-rtl reads version ${MAJOR_VERSION})`,
    );
  }
}

/** Before the checksum, because "truncated" says more than "checksum mismatch". */
function checkTotalLength(view: DataView, source: string): void {
  const declared = view.getBigUint64(FIELD.totalLength, true);
  const actual = BigInt(view.byteLength);
  if (declared > actual) {
    throw new GenRtlError(
      at(source, FIELD.totalLength),
      `truncated: the header declares ${declared} bytes but the file has only ${actual}`,
    );
  }
  if (declared < actual) {
    throw new GenRtlError(
      at(source, FIELD.totalLength),
      `the header declares ${declared} bytes but the file has ${actual}: ${actual - declared} unexpected bytes at the end`,
    );
  }
}

function checkChecksum(bytes: Uint8Array, source: string): void {
  const trailerStart = bytes.length - TRAILER_SIZE;
  const actual = sha256(bytes.subarray(0, trailerStart));
  if (!bytesEqual(actual, bytes.subarray(trailerStart))) {
    throw new GenRtlError(
      at(source, trailerStart),
      `checksum mismatch: file is corrupted (the SHA-256 of bytes 0..${trailerStart - 1} does not match the trailer)`,
    );
  }
}

function locateSections(view: DataView, source: string): Layout {
  const fileLength = view.byteLength;
  const trailerStart = fileLength - TRAILER_SIZE;
  const headerSize = view.getUint32(FIELD.headerSize, true);
  if (headerSize !== HEADER_SIZE) {
    throw new GenRtlError(at(source, FIELD.headerSize), `header size is ${headerSize}, expected ${HEADER_SIZE}`);
  }
  const jsonLength = view.getUint32(FIELD.jsonLength, true);
  const jsonEnd = HEADER_SIZE + jsonLength;
  if (jsonEnd > trailerStart) {
    throw new GenRtlError(
      at(source, FIELD.jsonLength),
      `JSON length ${jsonLength} runs past the checksum trailer at byte ${trailerStart}`,
    );
  }
  const blobOffset = view.getUint32(FIELD.blobOffset, true);
  if (blobOffset % ALIGNMENT !== 0) {
    throw new GenRtlError(
      at(source, FIELD.blobOffset),
      `blob section offset ${blobOffset} is not a multiple of ${ALIGNMENT}`,
    );
  }
  if (blobOffset < jsonEnd) {
    throw new GenRtlError(
      at(source, FIELD.blobOffset),
      `blob section offset ${blobOffset} overlaps the JSON, which ends at byte ${jsonEnd}`,
    );
  }
  if (blobOffset > trailerStart) {
    throw new GenRtlError(
      at(source, FIELD.blobOffset),
      `blob section offset ${blobOffset} is past the checksum trailer at byte ${trailerStart}`,
    );
  }
  return { minor: view.getUint16(FIELD.minor, true), jsonEnd, blobOffset, blobLength: trailerStart - blobOffset };
}

interface JsonDocument {
  readonly model: unknown;
  readonly tensors: unknown;
}

function parseJson(bytes: Uint8Array, layout: Layout, source: string): JsonDocument {
  for (let i = layout.jsonEnd; i < layout.blobOffset; i++) {
    if (bytes[i] !== PAD_BYTE) {
      throw new GenRtlError(
        at(source, i),
        `padding after the JSON must be spaces (0x20), found 0x${hexByte(bytes[i]!)}`,
      );
    }
  }
  const doc = parseJsonText(decodeUtf8(bytes.subarray(HEADER_SIZE, layout.jsonEnd), source), source);
  const where = `${source}: JSON`;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new GenRtlError(where, `the top level must be an object, found ${describeValue(doc)}`);
  }
  const record = doc as Record<string, unknown>;
  checkKeys(record, TOP_LEVEL_KEYS, where, layout);
  if (record['format'] !== 'sepb') {
    throw new GenRtlError(where, `"format" must be "sepb", found ${describeValue(record['format'])}`);
  }
  if (record['version'] !== MAJOR_VERSION) {
    throw new GenRtlError(
      where,
      `"version" must be ${MAJOR_VERSION} to match the header, found ${describeValue(record['version'])}`,
    );
  }
  if (!Object.hasOwn(record, 'model')) throw new GenRtlError(where, '"model" is missing');
  checkModelDepth(record['model'], where);
  return { model: record['model'], tensors: record['tensors'] };
}

/**
 * Same limit as the writer, so whatever reads also writes back; iterative,
 * because JSON.parse accepts nesting far deeper than the call stack.
 */
function checkModelDepth(model: unknown, where: string): void {
  const stack: { value: unknown; depth: number }[] = [{ value: model, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (value === null || typeof value !== 'object') continue;
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    if (children.length > 0 && depth >= LIMITS.maxModelDepth) {
      throw new GenRtlError(where, `"model" is nested more than ${LIMITS.maxModelDepth} levels deep`);
    }
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
}

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    // ignoreBOM keeps a byte-order mark in the text, so JSON.parse rejects it: the writer never emits one.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new GenRtlError(at(source, HEADER_SIZE), 'the JSON is not valid UTF-8');
  }
}

function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new GenRtlError(at(source, HEADER_SIZE), `the JSON does not parse: ${oneLine(message)}`);
  }
}

/**
 * Unknown keys are errors in files of this minor version or older; a newer
 * minor may add keys, which this reader ignores.
 */
function checkKeys(record: Record<string, unknown>, known: readonly string[], where: string, layout: Layout): void {
  if (layout.minor > MINOR_VERSION) return;
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      throw new GenRtlError(where, `unknown key ${oneLine(JSON.stringify(key), 60)} (expected ${known.join(', ')})`);
    }
  }
}

function readTensorTable(table: unknown, layout: Layout, source: string): TableEntry[] {
  const where = `${source}: JSON`;
  if (!Array.isArray(table)) {
    throw new GenRtlError(where, `"tensors" must be an array, found ${describeValue(table)}`);
  }
  if (table.length > LIMITS.maxTensors) {
    throw new GenRtlError(where, `"tensors" has ${table.length} entries, more than the limit of ${LIMITS.maxTensors}`);
  }
  const firstIndex = new Map<string, number>();
  const entries: TableEntry[] = [];
  for (let i = 0; i < table.length; i++) {
    const entry = readTableEntry(table[i], i, layout, source);
    const previous = firstIndex.get(entry.name);
    if (previous !== undefined) {
      throw new GenRtlError(
        `${source}: tensors[${i}]`,
        `duplicate tensor name ${quoteName(entry.name)} (also tensors[${previous}])`,
      );
    }
    firstIndex.set(entry.name, i);
    entries.push(entry);
  }
  checkNoOverlap(entries, source);
  return entries;
}


function readTableEntry(raw: unknown, index: number, layout: Layout, source: string): TableEntry {
  const indexWhere = `${source}: tensors[${index}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GenRtlError(indexWhere, `must be an object, found ${describeValue(raw)}`);
  }
  const record = raw as Record<string, unknown>;
  checkKeys(record, ENTRY_KEYS, indexWhere, layout);
  const name = record['name'];
  const badName = nameProblem(name);
  if (badName !== undefined) throw new GenRtlError(indexWhere, badName);
  const where = `${source}: tensor ${quoteName(name as string)}`;

  const dtype = record['dtype'];
  if (!isDType(dtype)) {
    throw new GenRtlError(where, `dtype must be one of ${DTYPE_NAMES.join(', ')}, found ${describeValue(dtype)}`);
  }
  const shape = checkShape(record['shape']);
  if (!shape.ok) throw new GenRtlError(where, shape.problem);
  const expectedLength = dtypeByteLength(dtype, shape.count);
  const byteLength = record['byteLength'];
  if (byteLength !== expectedLength) {
    throw new GenRtlError(
      where,
      `byteLength must be ${expectedLength} for ${elements(dtype, shape.count)}, found ${describeValue(byteLength)}`,
    );
  }
  const offset = record['offset'];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset % ALIGNMENT !== 0) {
    throw new GenRtlError(
      where,
      `offset must be a non-negative multiple of ${ALIGNMENT}, found ${describeValue(offset)}`,
    );
  }
  if (offset + expectedLength > layout.blobLength) {
    throw new GenRtlError(
      where,
      `offset ${offset} + length ${expectedLength} runs past the end of the blob section (${layout.blobLength} bytes)`,
    );
  }
  const dims = record['shape'] as number[];
  return { name: name as string, dtype, shape: Object.freeze([...dims]), count: shape.count, offset, byteLength: expectedLength };
}

function elements(dtype: DType, count: number): string {
  return dtype === 'bits' ? `${count} bits` : `${count} ${dtype} elements`;
}

function byOffset(entries: readonly TableEntry[]): TableEntry[] {
  return [...entries].sort((a, b) => a.offset - b.offset);
}

function checkNoOverlap(entries: readonly TableEntry[], source: string): void {
  const sorted = byOffset(entries);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const entry = sorted[i]!;
    if (entry.offset < before.offset + before.byteLength) {
      throw new GenRtlError(
        `${source}: tensor ${quoteName(entry.name)}`,
        `blob bytes ${entry.offset}..${entry.offset + entry.byteLength - 1} overlap tensor ` +
          `${quoteName(before.name)} (blob bytes ${before.offset}..${before.offset + before.byteLength - 1})`,
      );
    }
  }
}

/** Zero gaps keep files canonical, so equal models give equal bytes and hidden payloads are refused. */
function checkBlobGaps(bytes: Uint8Array, layout: Layout, entries: readonly TableEntry[], source: string): void {
  let cursor = 0;
  for (const entry of byOffset(entries)) {
    checkZeroRange(bytes, layout, cursor, entry.offset, source);
    cursor = entry.offset + entry.byteLength;
  }
  checkZeroRange(bytes, layout, cursor, layout.blobLength, source);
}

function checkZeroRange(bytes: Uint8Array, layout: Layout, from: number, to: number, source: string): void {
  for (let rel = from; rel < to; rel++) {
    const byte = bytes[layout.blobOffset + rel]!;
    if (byte !== 0) {
      throw new GenRtlError(
        at(source, layout.blobOffset + rel),
        `gap byte in the blob section (blob offset ${rel}, outside every tensor) must be 0, found 0x${hexByte(byte)}`,
      );
    }
  }
}

function extractTensor(bytes: Uint8Array, layout: Layout, entry: TableEntry, source: string): Tensor {
  const start = layout.blobOffset + entry.offset;
  const raw = bytes.subarray(start, start + entry.byteLength);
  if (entry.dtype === 'bits') {
    const last = raw[raw.length - 1]!;
    const mask = unusedBitsMask(entry.count);
    if ((last & mask) !== 0) {
      throw new GenRtlError(
        `${source}: tensor ${quoteName(entry.name)}`,
        `unused high bits of the last packed byte (byte ${start + raw.length - 1}) must be 0, ` +
          `found 0x${hexByte(last)} (${entry.count} bits use only the low ${entry.count % 8})`,
      );
    }
  }
  return Object.freeze({
    name: entry.name,
    dtype: entry.dtype,
    shape: entry.shape,
    data: decodeTensorData(entry.dtype, raw),
  });
}

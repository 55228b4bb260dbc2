/**
 * Mutation fuzzing of the .sepb container reader (readContainer): truncation,
 * flipped and overwritten bytes, garbage, header fields, and JSON and blob
 * edits that recompute the checksum. Unsealed mutations must be rejected;
 * sealed ones may stay valid, and then must write back and read the same.
 */
import { createHash } from 'node:crypto';
import { type Tensor, packBits, readContainer, writeContainer } from '../../generator/format/container.js';
import { type FuzzRng, type FuzzTarget, mutateText } from './harness.js';

export const SRC = 'fuzz.sepb';

// ---------------------------------------------------------------------------
// Base containers and an independent re-encoder of the layout.

const alignUp = (n: number): number => Math.ceil(n / 64) * 64;

function reseal(file: Uint8Array): Uint8Array {
  const out = file.slice();
  if (out.length >= 32) out.set(createHash('sha256').update(out.subarray(0, out.length - 32)).digest(), out.length - 32);
  return out;
}

function assemble(json: Uint8Array, blob: Uint8Array): Uint8Array {
  const blobOffset = alignUp(32 + json.length);
  const total = blobOffset + blob.length + 32;
  const out = new Uint8Array(total);
  out.set([0x89, 0x53, 0x45, 0x50, 0x42, 0x0d, 0x0a, 0x1a]);
  const view = new DataView(out.buffer);
  view.setUint16(8, 1, true);
  view.setUint32(12, 32, true);
  view.setUint32(16, json.length, true);
  view.setUint32(20, blobOffset, true);
  view.setBigUint64(24, BigInt(total), true);
  out.set(json, 32);
  out.fill(0x20, 32 + json.length, blobOffset);
  out.set(blob, blobOffset);
  return reseal(out);
}

interface Base {
  readonly file: Uint8Array;
  readonly jsonText: string;
  readonly blob: Uint8Array;
}

function base(model: unknown, tensors: Tensor[]): Base {
  const file = writeContainer(model, tensors);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const jsonLength = view.getUint32(16, true);
  const blobOffset = view.getUint32(20, true);
  return {
    file,
    jsonText: new TextDecoder().decode(file.subarray(32, 32 + jsonLength)),
    blob: file.slice(blobOffset, file.length - 32),
  };
}

const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

export const BASES: readonly Base[] = [
  base({ name: 'empty' }, []),
  base({ name: 'mixed', layers: [{ op: 'conv', k: 3 }, { op: 'fc' }] }, [
    { name: 'conv1.weights', dtype: 'bits', shape: [3, 3, 1, 13], data: packBits(seq(117, (i) => (i % 3 ? 1 : -1))) },
    { name: 'conv1.thr', dtype: 'int16', shape: [13], data: Int16Array.from(seq(13, (i) => i * 997 - 6000)) },
    { name: 'bias', dtype: 'int32', shape: [], data: Int32Array.from([-7]) },
    { name: 'scale', dtype: 'float32', shape: [2, 2], data: Float32Array.from([0.5, -1, 3e38, -0]) },
    { name: 'i8', dtype: 'int8', shape: [5], data: Int8Array.from([-128, -1, 0, 1, 127]) },
    { name: 'u8', dtype: 'uint8', shape: [70], data: Uint8Array.from(seq(70, (i) => (i * 37) & 255)) },
  ]),
  base({ name: 'bits-only', deep: [[[{ a: null, b: true, c: 'x' }]]] }, [
    { name: 'a', dtype: 'bits', shape: [1], data: packBits([1]) },
    { name: 'b', dtype: 'bits', shape: [65], data: packBits(seq(65, (i) => (i & 4 ? 1 : -1))) },
    { name: 'c', dtype: 'bits', shape: [8, 8], data: packBits(seq(64, (i) => (i % 5 ? -1 : 1))) },
  ]),
];

// ---------------------------------------------------------------------------
// Mutations. `sealed` ones recompute the trailer, so they may legitimately stay valid.

function truncate(rng: FuzzRng, b: Base): Uint8Array {
  return b.file.slice(0, rng.int(0, b.file.length - 1));
}

function flipBits(rng: FuzzRng, b: Base, count: number): Uint8Array {
  const out = b.file.slice();
  const positions = new Set<number>();
  while (positions.size < count) positions.add(rng.int(0, out.length * 8 - 1));
  for (const bit of positions) out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

function overwriteBytes(rng: FuzzRng, b: Base): Uint8Array {
  const out = b.file.slice();
  const n = rng.int(1, 8);
  for (let i = 0; i < n; i++) out[rng.int(0, out.length - 1)]! ^= rng.int(1, 255);
  return out;
}

function garbage(rng: FuzzRng): Uint8Array {
  const out = rng.bytes(rng.int(0, 600));
  if (rng.chance(0.5)) out.set([0x89, 0x53, 0x45, 0x50, 0x42, 0x0d, 0x0a, 0x1a].slice(0, out.length));
  if (rng.chance(0.25) && out.length >= 64) {
    // A plausible header, so the garbage gets past the signature and version checks.
    const view = new DataView(out.buffer);
    view.setUint16(8, 1, true);
    view.setUint32(12, 32, true);
    view.setBigUint64(24, BigInt(out.length), true);
    return reseal(out);
  }
  return out;
}

const HEADER_FIELDS = [
  { at: 8, size: 2 },
  { at: 10, size: 2 },
  { at: 12, size: 4 },
  { at: 16, size: 4 },
  { at: 20, size: 4 },
  { at: 24, size: 8 },
] as const;

function corruptHeader(rng: FuzzRng, b: Base, seal: boolean): Uint8Array {
  const out = b.file.slice();
  const view = new DataView(out.buffer);
  const field = rng.pick(HEADER_FIELDS);
  const old = field.size === 8 ? Number(view.getBigUint64(field.at, true)) : field.size === 4 ? view.getUint32(field.at, true) : view.getUint16(field.at, true);
  const max = field.size === 2 ? 0xffff : 0xffffffff;
  let value = old;
  while (value === old) {
    value = rng.pick([0, 1, 2, 31, 32, 33, 63, 64, 65, max, old + 1, old - 1, old + 64, old - 64, old * 2, rng.int(0, max)]);
    value = Math.min(Math.max(value, 0), max);
  }
  if (field.size === 8) view.setBigUint64(field.at, rng.chance(0.2) ? 2n ** 64n - 1n : BigInt(value), true);
  else if (field.size === 4) view.setUint32(field.at, value, true);
  else view.setUint16(field.at, value, true);
  return seal ? reseal(out) : out;
}

function randomJson(rng: FuzzRng, depth: number): unknown {
  const choice = rng.int(0, depth > 2 ? 5 : 7);
  switch (choice) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1, 63, 64, 65, 1.5, -64, 2 ** 24, 2 ** 24 + 1, 2 ** 31, 2 ** 53, 1e300, -0]);
    case 3:
      return rng.int(-100, 5000);
    case 4:
      return rng.pick(['', 'x', 'bits', 'int16', 'float64', 'sepb', 'a'.repeat(201), 'conv1.weights', '\u2028\n"']);
    case 5:
      return rng.int(0, 4000) * 64;
    case 6:
      return Array.from({ length: rng.int(0, 10) }, () => randomJson(rng, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) obj[rng.pick(['name', 'dtype', 'shape', 'offset', 'byteLength', 'x'])] = randomJson(rng, depth + 1);
      return obj;
    }
  }
}

const ENTRY_FIELDS = ['name', 'dtype', 'shape', 'offset', 'byteLength'] as const;

/** One structural edit of the parsed JSON document; returns a description-free new document. */
function mutateDocument(rng: FuzzRng, doc: Record<string, unknown>): void {
  const table = Array.isArray(doc['tensors']) ? (doc['tensors'] as Record<string, unknown>[]) : [];
  // Earlier edits may have left entries that are not objects: edit only the objects.
  const objects = table.filter((e) => e !== null && typeof e === 'object' && !Array.isArray(e));
  const entry = objects.length > 0 ? rng.pick(objects) : undefined;
  switch (rng.int(0, 11)) {
    case 0:
      doc[rng.pick(['format', 'version', 'model', 'tensors'])] = randomJson(rng, 0);
      return;
    case 1:
      delete doc[rng.pick(['format', 'version', 'model', 'tensors'])];
      return;
    case 2:
      doc[rng.pick(['extra', '__proto__', 'Tensors'])] = randomJson(rng, 0);
      return;
    case 3:
      doc['model'] = randomJson(rng, 0); // stays valid
      return;
    case 4:
      if (entry) entry[rng.pick(ENTRY_FIELDS)] = randomJson(rng, 0);
      return;
    case 5:
      if (entry) delete entry[rng.pick(ENTRY_FIELDS)];
      return;
    case 6:
      if (entry) table.push({ ...entry });
      return;
    case 7:
      if (table.length > 0) table.splice(rng.int(0, table.length - 1), 1);
      return;
    case 8:
      if (objects.length >= 2) {
        const a = rng.pick(objects);
        const b = rng.pick(objects);
        [a['offset'], b['offset']] = [b['offset'], a['offset']];
      }
      return;
    case 9:
      if (entry) entry['shape'] = Array.from({ length: rng.int(0, 10) }, () => rng.pick([1, 2, 3, 8, 13, 0, -1, 2 ** 24, 2 ** 25]));
      return;
    case 10:
      if (entry) entry['dtype'] = rng.pick(['bits', 'int8', 'uint8', 'int16', 'int32', 'float32']);
      return;
    default:
      if (entry) entry['offset'] = (entry['offset'] as number) + rng.pick([-64, 64, 128, 1, -1]);
  }
}

function mutateJsonStructure(rng: FuzzRng, b: Base): Uint8Array {
  const doc = JSON.parse(b.jsonText) as Record<string, unknown>;
  for (let n = rng.int(1, 3); n > 0; n--) mutateDocument(rng, doc);
  return assemble(new TextEncoder().encode(JSON.stringify(doc)), b.blob);
}

const JSON_CHARS = ['{', '}', '[', ']', '"', ',', ':', '0', '9', '-', 'e', ' ', '\\', 'x', '\u0000', '\u00e9', '\ud800'];

function mutateJsonText(rng: FuzzRng, b: Base): Uint8Array {
  return assemble(new TextEncoder().encode(mutateText(b.jsonText, rng, JSON_CHARS)), b.blob);
}

/** Raw bytes into the JSON and padding, to reach the UTF-8 and padding checks. */
function mutateJsonBytes(rng: FuzzRng, b: Base): Uint8Array {
  const out = b.file.slice();
  const blobOffset = new DataView(out.buffer).getUint32(20, true);
  for (let n = rng.int(1, 3); n > 0; n--) out[rng.int(32, blobOffset - 1)] = rng.pick([0x00, 0x80, 0xc3, 0xff, 0x09, rng.int(0, 255)]);
  return reseal(out);
}

/** The last byte of a partly used bits tensor, and its bits that must stay 0. */
function bitsTailByte(rng: FuzzRng, b: Base): { at: number; unused: number } | undefined {
  const doc = JSON.parse(b.jsonText) as { tensors: { dtype: string; shape: number[]; offset: number; byteLength: number }[] };
  const partial = doc.tensors.filter((t) => t.dtype === 'bits' && t.shape.reduce((p, d) => p * d, 1) % 8 !== 0);
  if (partial.length === 0) return undefined;
  const t = rng.pick(partial);
  const used = t.shape.reduce((p, d) => p * d, 1) % 8;
  return { at: t.offset + t.byteLength - 1, unused: (0xff << used) & 0xff & (1 << rng.int(used, 7)) };
}

function mutateBlob(rng: FuzzRng, b: Base): Uint8Array {
  const blob = b.blob.slice();
  if (blob.length === 0 || rng.chance(0.3)) {
    // Extend the blob section: zero tails are valid, anything else is a dirty gap.
    const tail = new Uint8Array(rng.int(1, 130));
    if (rng.chance(0.5)) tail[rng.int(0, tail.length - 1)] = rng.int(1, 255);
    const longer = new Uint8Array(blob.length + tail.length);
    longer.set(blob);
    longer.set(tail, blob.length);
    return assemble(new TextEncoder().encode(b.jsonText), longer);
  }
  const tail = rng.chance(0.2) ? bitsTailByte(rng, b) : undefined;
  if (tail !== undefined) blob[tail.at]! |= tail.unused;
  else for (let n = rng.int(1, 4); n > 0; n--) blob[rng.int(0, blob.length - 1)]! ^= rng.int(1, 255);
  return assemble(new TextEncoder().encode(b.jsonText), blob);
}

const PLAN: readonly { readonly kind: string; readonly count: number; readonly sealed: boolean; readonly make: (rng: FuzzRng, b: Base) => Uint8Array }[] = [
  { kind: 'truncate', count: 300, sealed: false, make: truncate },
  { kind: 'flip-1-bit', count: 300, sealed: false, make: (rng, b) => flipBits(rng, b, 1) },
  { kind: 'flip-n-bits', count: 300, sealed: false, make: (rng, b) => flipBits(rng, b, rng.int(2, 16)) },
  { kind: 'overwrite-bytes', count: 300, sealed: false, make: overwriteBytes },
  { kind: 'garbage', count: 300, sealed: true, make: (rng) => garbage(rng) },
  { kind: 'header-field', count: 200, sealed: false, make: (rng, b) => corruptHeader(rng, b, false) },
  { kind: 'header-field-resealed', count: 300, sealed: true, make: (rng, b) => corruptHeader(rng, b, true) },
  { kind: 'json-structure', count: 600, sealed: true, make: mutateJsonStructure },
  { kind: 'json-text', count: 400, sealed: true, make: mutateJsonText },
  { kind: 'json-bytes', count: 200, sealed: true, make: mutateJsonBytes },
  { kind: 'blob', count: 300, sealed: true, make: mutateBlob },
];


const PLAN_CASES = PLAN.reduce((n, s) => n + s.count, 0);

/**
 * The plan step of case `i`. Every PLAN_CASES cases hold each step exactly its count of times,
 * visited with a stride coprime to PLAN_CASES, so a shorter run still samples every step.
 */
function step(i: number): (typeof PLAN)[number] {
  let k = (i * 7919) % PLAN_CASES;
  for (const s of PLAN) {
    if (k < s.count) return s;
    k -= s.count;
  }
  throw new Error('unreachable');
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export const containerTarget: FuzzTarget = {
  name: '.sepb container',
  ciCases: PLAN_CASES,
  make: (rng, i) => {
    const s = step(i);
    const bytes = s.make(rng, rng.pick(BASES));
    return {
      kind: s.kind,
      run: () => {
        const result = readContainer(bytes, SRC);
        // Without a recomputed checksum, a changed file can never be valid.
        if (!s.sealed) throw new Error(`${s.kind} mutation was accepted`);
        // A file that reads must also be writable again and read back to the same content.
        const again = readContainer(writeContainer(result.model, [...result.tensors.values()]), SRC);
        if (!sameJson(again.model, result.model) || !sameJson([...again.tensors.keys()], [...result.tensors.keys()])) throw new Error('read, written and read again, the file changed');
      },
    };
  },
};

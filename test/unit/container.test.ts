import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SEPB_MAGIC,
  SEPB_VERSION,
  type Tensor,
  dtypeByteLength,
  packBits,
  readContainer,
  readContainerFile,
  unpackBits,
  writeContainer,
} from '../../generator/format/container.js';
import { GenRtlError } from '../../generator/util/errors.js';

const SRC = 'model.sepb';

// ---------------------------------------------------------------------------
// An independent encoder of the layout in docs/sepb-format.md, so tests can
// build files the writer would never produce.

interface Parts {
  json: string | Uint8Array;
  blob: Uint8Array;
  magic?: ArrayLike<number>;
  major?: number;
  minor?: number;
  headerSize?: number;
  jsonLength?: number;
  blobOffset?: number;
  totalLength?: bigint;
  padByte?: number;
  seal?: boolean;
}

const alignUp = (n: number): number => Math.ceil(n / 64) * 64;

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** Recomputes the SHA-256 trailer, so checks after the checksum get exercised. */
function reseal(file: Uint8Array): Uint8Array {
  const out = file.slice();
  out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32);
  return out;
}

function assemble(p: Parts): Uint8Array {
  const json = typeof p.json === 'string' ? new TextEncoder().encode(p.json) : p.json;
  const blobOffset = alignUp(32 + json.length);
  const total = blobOffset + p.blob.length + 32;
  const out = new Uint8Array(total);
  out.set(p.magic ?? [0x89, 0x53, 0x45, 0x50, 0x42, 0x0d, 0x0a, 0x1a], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, p.major ?? 1, true);
  view.setUint16(10, p.minor ?? 0, true);
  view.setUint32(12, p.headerSize ?? 32, true);
  view.setUint32(16, p.jsonLength ?? json.length, true);
  view.setUint32(20, p.blobOffset ?? blobOffset, true);
  view.setBigUint64(24, p.totalLength ?? BigInt(total), true);
  out.set(json, 32);
  out.fill(p.padByte ?? 0x20, 32 + json.length, blobOffset);
  out.set(p.blob, blobOffset);
  return p.seal === false ? out : reseal(out);
}

/** Splits a well-formed file into its JSON document and blob section. */
function split(file: Uint8Array): { doc: Record<string, unknown>; blob: Uint8Array } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const jsonLength = view.getUint32(16, true);
  const blobOffset = view.getUint32(20, true);
  const doc = JSON.parse(new TextDecoder().decode(file.subarray(32, 32 + jsonLength))) as Record<string, unknown>;
  return { doc, blob: file.slice(blobOffset, file.length - 32) };
}

function entries(doc: Record<string, unknown>): Record<string, unknown>[] {
  return doc['tensors'] as Record<string, unknown>[];
}

/** A valid file with the JSON document changed by `edit`, blob section untouched. */
function withDoc(file: Uint8Array, edit: (doc: Record<string, unknown>) => void): Uint8Array {
  const { doc, blob } = split(file);
  edit(doc);
  return assemble({ json: JSON.stringify(doc), blob });
}

function withBlob(file: Uint8Array, edit: (blob: Uint8Array) => void): Uint8Array {
  const { doc, blob } = split(file);
  edit(blob);
  return assemble({ json: JSON.stringify(doc), blob });
}

function setU32(file: Uint8Array, at: number, value: number): Uint8Array {
  const out = file.slice();
  new DataView(out.buffer).setUint32(at, value, true);
  return out;
}

function errorOf(run: () => unknown): GenRtlError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(GenRtlError);
    return err as GenRtlError;
  }
  throw new Error('expected a GenRtlError, but nothing was thrown');
}

function readError(file: Uint8Array, source = SRC): string {
  const { message } = errorOf(() => readContainer(file, source));
  expect(message.startsWith(`${source}: `)).toBe(true);
  expect(message).not.toMatch(/[\n\r\u2028\u2029]/);
  return message;
}

function writeError(model: unknown, tensors: readonly unknown[]): string {
  return errorOf(() => writeContainer(model, tensors as Tensor[])).message;
}

// ---------------------------------------------------------------------------
// Fixtures

const MODEL = { name: 'tiny', layers: [{ kind: 'conv', in: 'x', out: 'y', k: [3, 3] }], note: 'ünïcødé ✓' };

function sampleTensors(): Tensor[] {
  return [
    { name: 'conv1.weights', dtype: 'bits', shape: [13], data: packBits([1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, 1, 1]) },
    { name: 'conv1.thresholds', dtype: 'int16', shape: [2, 3], data: Int16Array.from([-32768, -1, 0, 1, 300, 32767]) },
    { name: 'fc.bias', dtype: 'int32', shape: [], data: Int32Array.from([-123456789]) },
    { name: 'in.scale', dtype: 'float32', shape: [4], data: Float32Array.from([1.5, -0, Infinity, 1e-40]) },
    { name: 'q.int8', dtype: 'int8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
    { name: 'q.uint8', dtype: 'uint8', shape: [2, 2], data: Uint8Array.from([0, 1, 128, 255]) },
  ];
}

const BASE = writeContainer(MODEL, sampleTensors());

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

// ---------------------------------------------------------------------------

describe('constants and helpers', () => {
  it('has the PNG-style magic and version 1', () => {
    expect(Array.from(SEPB_MAGIC)).toEqual([0x89, 0x53, 0x45, 0x50, 0x42, 0x0d, 0x0a, 0x1a]);
    expect(SEPB_VERSION).toBe(1);
  });

  it('computes byte lengths per dtype', () => {
    expect(dtypeByteLength('bits', 0)).toBe(0);
    expect(dtypeByteLength('bits', 1)).toBe(1);
    expect(dtypeByteLength('bits', 8)).toBe(1);
    expect(dtypeByteLength('bits', 9)).toBe(2);
    expect(dtypeByteLength('int8', 5)).toBe(5);
    expect(dtypeByteLength('uint8', 5)).toBe(5);
    expect(dtypeByteLength('int16', 5)).toBe(10);
    expect(dtypeByteLength('int32', 5)).toBe(20);
    expect(dtypeByteLength('float32', 5)).toBe(20);
    expect(() => dtypeByteLength('bits', -1)).toThrow(RangeError);
    expect(() => dtypeByteLength('bits', 1.5)).toThrow(RangeError);
  });

  it('packs bits LSB first, > 0 as 1 and everything else as 0', () => {
    expect(Array.from(packBits([1, -1, 1, 1, -1, -1, -1, -1, 1]))).toEqual([0b00001101, 0b1]);
    expect(Array.from(packBits([0, -0, NaN, -5, 0.5, 7, -1, 1]))).toEqual([0b10110000]);
    expect(packBits([]).length).toBe(0);
    const signs = Array.from({ length: 37 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : -1));
    expect(Array.from(unpackBits(packBits(signs), 37))).toEqual(signs);
  });

  it('unpacks to +1/-1 and refuses to read past the bytes', () => {
    const out = unpackBits(Uint8Array.from([0b10000001, 0xff]), 9);
    expect(out).toBeInstanceOf(Int8Array);
    expect(Array.from(out)).toEqual([1, -1, -1, -1, -1, -1, -1, 1, 1]);
    expect(unpackBits(new Uint8Array(0), 0).length).toBe(0);
    expect(() => unpackBits(new Uint8Array(1), 9)).toThrow(RangeError);
    expect(() => unpackBits(new Uint8Array(1), -1)).toThrow(RangeError);
  });
});

describe('round trip', () => {
  it('reads back every dtype exactly, including the scalar shape []', () => {
    const { model, tensors } = readContainer(BASE, SRC);
    expect(model).toEqual(MODEL);
    const expected = sampleTensors();
    expect([...tensors.keys()]).toEqual(expected.map((t) => t.name));
    for (const t of expected) {
      const got = tensors.get(t.name)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      expect(Array.from(bytesOf(got.data))).toEqual(Array.from(bytesOf(t.data)));
    }
    expect(Object.is(tensors.get('in.scale')!.data[1], -0)).toBe(true);
    expect(Array.from(unpackBits(tensors.get('conv1.weights')!.data as Uint8Array, 13))).toEqual([
      1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, 1, 1,
    ]);
  });

  it('round-trips bits tensors of many lengths', () => {
    for (const count of [1, 7, 8, 9, 63, 64, 65, 100, 1000]) {
      const signs = Array.from({ length: count }, (_, i) => (((i * 2654435761) >>> 7) & 1 ? 1 : -1));
      const file = writeContainer(null, [{ name: 'w', dtype: 'bits', shape: [count], data: packBits(signs) }]);
      const t = readContainer(file, SRC).tensors.get('w')!;
      expect(t.data.length).toBe(Math.ceil(count / 8));
      expect(Array.from(unpackBits(t.data as Uint8Array, count))).toEqual(signs);
    }
  });

  it('preserves NaN payload bytes of float32 data', () => {
    const data = new Float32Array(2);
    new DataView(data.buffer).setUint32(0, 0x7fc00001, true);
    new DataView(data.buffer).setUint32(4, 0xffa00000, true);
    const file = writeContainer({}, [{ name: 'nan', dtype: 'float32', shape: [2], data }]);
    const got = readContainer(file, SRC).tensors.get('nan')!.data;
    expect(Array.from(bytesOf(got))).toEqual(Array.from(bytesOf(data)));
  });

  it('handles a container without tensors and any JSON model', () => {
    for (const model of [null, 0, 'text', [1, [2, {}]], { a: { b: [true, false, null] } }]) {
      const { model: back, tensors } = readContainer(writeContainer(model, []), SRC);
      expect(back).toEqual(model);
      expect(tensors.size).toBe(0);
    }
  });

  it('is deterministic: same input gives identical bytes, and write→read→write is identical', () => {
    expect(writeContainer(MODEL, sampleTensors())).toEqual(BASE);
    const { model, tensors } = readContainer(BASE, SRC);
    expect(writeContainer(model, [...tensors.values()])).toEqual(BASE);
  });

  it('copies tensors into fresh aligned arrays that do not alias the input', () => {
    // An odd byteOffset makes aliasing impossible for the multi-byte dtypes anyway; check all of them.
    const shifted = new Uint8Array(BASE.length + 1);
    shifted.set(BASE, 1);
    const input = shifted.subarray(1);
    const { tensors } = readContainer(input, SRC);
    for (const t of tensors.values()) {
      expect(t.data.buffer).not.toBe(shifted.buffer);
      expect(t.data.byteOffset).toBe(0);
      expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
    }
    const before = Array.from(tensors.get('q.uint8')!.data);
    input.fill(0);
    expect(Array.from(tensors.get('q.uint8')!.data)).toEqual(before);
  });

  it('lays the file out as specified', () => {
    const view = new DataView(BASE.buffer, BASE.byteOffset, BASE.byteLength);
    expect(Array.from(BASE.subarray(0, 8))).toEqual(Array.from(SEPB_MAGIC));
    expect(view.getUint16(8, true)).toBe(1);
    expect(view.getUint16(10, true)).toBe(0);
    expect(view.getUint32(12, true)).toBe(32);
    const jsonLength = view.getUint32(16, true);
    const blobOffset = view.getUint32(20, true);
    expect(blobOffset).toBe(alignUp(32 + jsonLength));
    expect(view.getBigUint64(24, true)).toBe(BigInt(BASE.length));
    const json = new TextDecoder().decode(BASE.subarray(32, 32 + jsonLength));
    expect(json.startsWith('{"format":"sepb","version":1,"model":{"name":"tiny"')).toBe(true);
    expect(json).not.toMatch(/\s"|\n/);
    expect(BASE.subarray(32 + jsonLength, blobOffset).every((b) => b === 0x20)).toBe(true);
    const doc = JSON.parse(json) as { tensors: { name: string; offset: number; byteLength: number }[] };
    expect(Object.keys(doc)).toEqual(['format', 'version', 'model', 'tensors']);
    let expectedOffset = 0;
    for (const t of doc.tensors) {
      expect(Object.keys(t)).toEqual(['name', 'dtype', 'shape', 'offset', 'byteLength']);
      expect(t.offset).toBe(expectedOffset);
      expectedOffset = alignUp(t.offset + t.byteLength);
    }
    const last = doc.tensors[doc.tensors.length - 1]!;
    expect(BASE.length).toBe(blobOffset + last.offset + last.byteLength + 32);
    expect(BASE.subarray(BASE.length - 32)).toEqual(sha256(BASE.subarray(0, BASE.length - 32)));
    // int16 is little-endian: -32768 = 00 80.
    const int16 = doc.tensors[1]!;
    expect(Array.from(BASE.subarray(blobOffset + int16.offset, blobOffset + int16.offset + 2))).toEqual([0x00, 0x80]);
  });

  it('accepts files written by hand that follow the spec, including a trailing zero gap', () => {
    const { doc, blob } = split(BASE);
    const padded = new Uint8Array(blob.length + 100);
    padded.set(blob);
    const file = assemble({ json: JSON.stringify(doc, null, 2), blob: padded });
    expect(readContainer(file, SRC).tensors.size).toBe(6);
  });

  it('accepts a newer minor version and ignores the keys it adds', () => {
    const { doc, blob } = split(BASE);
    doc['future'] = { x: 1 };
    entries(doc)[0]!['compression'] = 'none';
    const file = assemble({ json: JSON.stringify(doc), blob, minor: 3 });
    expect(readContainer(file, SRC).tensors.size).toBe(6);
  });
});

describe('reader validation', () => {
  describe('signature and size', () => {
    it('rejects an empty file', () => {
      expect(readError(new Uint8Array(0))).toBe(`${SRC}: file is empty`);
    });

    it('rejects a file shorter than header + trailer', () => {
      expect(readError(BASE.slice(0, 40))).toMatch(/only 40 bytes, shorter than the 64-byte minimum.*truncated/);
      expect(readError(BASE.slice(0, 5))).toMatch(/only 5 bytes/);
    });

    it('rejects a wrong magic, naming what the file looks like', () => {
      const text = new TextEncoder().encode('hello, this is a plain text file, certainly not a model\n'.repeat(3));
      expect(readError(text)).toMatch(/^model\.sepb: byte 0: not a \.sepb model file: .*looks like a text file/);
      const json = new TextEncoder().encode('  {"format":"sepb","version":1}');
      expect(readError(json)).toMatch(/looks like JSON text/);
      expect(readError(Uint8Array.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x10, 0x11, 0x12, 0x13]))).toMatch(
        /it starts with 00 01 02 FF FE 10 11 12 instead of 89 53 45 50 42 0D 0A 1A$/,
      );
      const lfs = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n');
      expect(readError(lfs)).toMatch(/Git LFS pointer/);
      expect(readError(Uint8Array.from([0x50, 0x4b, 3, 4, 20, 0, 0, 0]))).toMatch(/ZIP archive/);
    });

    it('recognizes text-mode and 7-bit transfer damage', () => {
      const lf = new Uint8Array(BASE.length - 1);
      lf.set(BASE.subarray(0, 5));
      lf.set(BASE.subarray(6), 5);
      expect(readError(lf)).toMatch(/CR LF became LF: the file was transferred in text mode/);
      const crcrlf = new Uint8Array(BASE.length + 1);
      crcrlf.set(BASE.subarray(0, 6));
      crcrlf.set(BASE.subarray(5), 6);
      expect(readError(crcrlf)).toMatch(/LF became CR LF/);
      const stripped = BASE.slice();
      stripped[0] = 0x09;
      expect(readError(stripped)).toMatch(/high bit .* stripped: the file went through a 7-bit/);
    });

    it('rejects an unsupported major version', () => {
      const file = BASE.slice();
      new DataView(file.buffer).setUint16(8, 7, true);
      expect(readError(file)).toBe(`${SRC}: byte 8: unsupported format version 7 (this gen-rtl reads version 1)`);
      expect(readError(reseal(file))).toMatch(/unsupported format version 7/);
    });

    it('rejects a truncated file and one with bytes after the declared end', () => {
      expect(readError(BASE.slice(0, BASE.length - 100))).toBe(
        `${SRC}: byte 24: truncated: the header declares ${BASE.length} bytes but the file has only ${BASE.length - 100}`,
      );
      const longer = new Uint8Array(BASE.length + 3);
      longer.set(BASE);
      expect(readError(longer)).toMatch(/^model\.sepb: byte 24: .* 3 unexpected bytes at the end$/);
    });

    it('rejects a total-length field that disagrees with the file, even when resealed', () => {
      const file = BASE.slice();
      new DataView(file.buffer).setBigUint64(24, 2n ** 63n, true);
      expect(readError(reseal(file))).toMatch(/truncated: the header declares 9223372036854775808 bytes/);
    });
  });

  describe('checksum', () => {
    it('detects a single bit flip anywhere after the header', () => {
      for (const at of [40, 100, BASE.length - 40, BASE.length - 1]) {
        const file = BASE.slice();
        file[at]! ^= 0x10;
        expect(readError(file)).toMatch(/^model\.sepb: byte \d+: checksum mismatch: file is corrupted/);
      }
    });

    it('checks the checksum before the header-size, JSON and table checks', () => {
      const file = setU32(BASE, 12, 48);
      expect(readError(file)).toMatch(/checksum mismatch/);
    });
  });

  describe('header fields (resealed)', () => {
    it('rejects a header size other than 32', () => {
      expect(readError(reseal(setU32(BASE, 12, 48)))).toBe(`${SRC}: byte 12: header size is 48, expected 32`);
    });

    it('rejects a JSON length running past the trailer', () => {
      expect(readError(reseal(setU32(BASE, 16, 0xffffffff)))).toMatch(
        /^model\.sepb: byte 16: JSON length 4294967295 runs past the checksum trailer at byte \d+$/,
      );
    });

    it('rejects a blob offset that is unaligned, overlaps the JSON or lies past the trailer', () => {
      const blobOffset = new DataView(BASE.buffer).getUint32(20, true);
      expect(readError(reseal(setU32(BASE, 20, blobOffset + 1)))).toMatch(/byte 20: .* not a multiple of 64/);
      expect(readError(reseal(setU32(BASE, 20, blobOffset - 64)))).toMatch(/byte 20: .* overlaps the JSON/);
      expect(readError(reseal(setU32(BASE, 20, alignUp(BASE.length))))).toMatch(/byte 20: .* past the checksum trailer/);
    });

    it('requires the padding between JSON and blob section to be spaces', () => {
      const { doc, blob } = split(BASE);
      const file = assemble({ json: JSON.stringify(doc), blob, padByte: 0x00 });
      expect(readError(file)).toMatch(/^model\.sepb: byte \d+: padding after the JSON must be spaces \(0x20\), found 0x00$/);
    });
  });

  describe('JSON', () => {
    const blob = split(BASE).blob;

    it('rejects invalid UTF-8', () => {
      const json = new TextEncoder().encode('{"format":"sepb","version":1,"model":"\u00e9","tensors":[]}');
      const bad = json.slice();
      bad[bad.indexOf(0xc3)] = 0xff;
      expect(readError(assemble({ json: bad, blob: new Uint8Array(0) }))).toBe(
        `${SRC}: byte 32: the JSON is not valid UTF-8`,
      );
    });

    it('reports the parser message when the JSON does not parse', () => {
      const message = readError(assemble({ json: '{"format":"sepb",\n"version":1,,}', blob }));
      expect(message).toMatch(/^model\.sepb: byte 32: the JSON does not parse: \S/);
      expect(readError(assemble({ json: '', blob }))).toMatch(/does not parse/);
    });

    it('requires an object at the top level', () => {
      expect(readError(assemble({ json: '[1,2]', blob }))).toBe(
        `${SRC}: JSON: the top level must be an object, found an array of 2 elements`,
      );
    });

    it('rejects unknown top-level keys in a minor-0 file', () => {
      expect(readError(withDoc(BASE, (d) => (d['extra'] = 1)))).toMatch(/JSON: unknown key "extra"/);
    });

    it('requires format "sepb" and a version matching the header', () => {
      expect(readError(withDoc(BASE, (d) => (d['format'] = 'onnx')))).toMatch(/"format" must be "sepb", found "onnx"/);
      expect(readError(withDoc(BASE, (d) => delete d['format']))).toMatch(/"format" must be "sepb", found nothing/);
      expect(readError(withDoc(BASE, (d) => (d['version'] = 2)))).toMatch(/"version" must be 1 to match the header, found 2/);
      expect(readError(withDoc(BASE, (d) => (d['version'] = '1')))).toMatch(/"version" must be 1.*found "1"/);
    });

    it('limits the model to 1000 levels of nesting, like the writer', () => {
      const nested = (levels: number): string => `${'['.repeat(levels)}0${']'.repeat(levels)}`;
      const json = (levels: number): string => `{"format":"sepb","version":1,"model":${nested(levels)},"tensors":[]}`;
      const ok = readContainer(assemble({ json: json(1000), blob: new Uint8Array(0) }), SRC);
      expect(writeContainer(ok.model, []).length).toBeGreaterThan(2000);
      expect(readError(assemble({ json: json(1001), blob: new Uint8Array(0) }))).toBe(
        `${SRC}: JSON: "model" is nested more than 1000 levels deep`,
      );
      expect(readError(assemble({ json: json(200_000), blob: new Uint8Array(0) }))).toMatch(/nested more than 1000/);
      expect(writeError(JSON.parse(nested(1001)), [])).toMatch(/nested more than 1000 levels deep/);
    });

    it('requires the model key', () => {
      expect(readError(withDoc(BASE, (d) => delete d['model']))).toBe(`${SRC}: JSON: "model" is missing`);
    });

    it('requires tensors to be an array of at most 100000 entries', () => {
      expect(readError(withDoc(BASE, (d) => (d['tensors'] = {})))).toMatch(/"tensors" must be an array, found an object/);
      const many = `{"format":"sepb","version":1,"model":null,"tensors":[${'0,'.repeat(100000)}0]}`;
      expect(readError(assemble({ json: many, blob }))).toMatch(/"tensors" has 100001 entries, more than the limit of 100000/);
    });
  });

  describe('tensor table', () => {
    const edit = (index: number, change: (entry: Record<string, unknown>) => void): Uint8Array =>
      withDoc(BASE, (d) => change(entries(d)[index]!));

    it('requires each entry to be an object without unknown keys', () => {
      expect(readError(withDoc(BASE, (d) => (entries(d)[2] = 5 as never)))).toBe(
        `${SRC}: tensors[2]: must be an object, found 5`,
      );
      expect(readError(edit(1, (e) => (e['stride'] = 2)))).toMatch(/tensors\[1\]: unknown key "stride"/);
    });

    it('requires a non-empty name of at most 200 characters', () => {
      expect(readError(edit(0, (e) => (e['name'] = 7)))).toBe(`${SRC}: tensors[0]: name must be a string, found 7`);
      expect(readError(edit(0, (e) => delete e['name']))).toMatch(/tensors\[0\]: name must be a string, found nothing/);
      expect(readError(edit(0, (e) => (e['name'] = '')))).toMatch(/tensors\[0\]: name must not be empty/);
      expect(readError(edit(0, (e) => (e['name'] = 'x'.repeat(201))))).toMatch(
        /tensors\[0\]: name is 201 characters long, more than the limit of 200/,
      );
      expect(readContainer(edit(0, (e) => (e['name'] = 'x'.repeat(200))), SRC).tensors.has('x'.repeat(200))).toBe(true);
    });

    it('rejects duplicate names', () => {
      expect(readError(edit(3, (e) => (e['name'] = 'conv1.weights')))).toBe(
        `${SRC}: tensors[3]: duplicate tensor name "conv1.weights" (also tensors[0])`,
      );
    });

    it('keeps odd names on one line in messages', () => {
      const message = readError(edit(0, (e) => ((e['name'] = 'a\nb\u2028c'), (e['dtype'] = 'int4'))));
      expect(message).toContain('tensor "a\\nb\\u2028c": dtype must be one of');
    });

    it('requires a known dtype', () => {
      expect(readError(edit(1, (e) => (e['dtype'] = 'float64')))).toBe(
        `${SRC}: tensor "conv1.thresholds": dtype must be one of bits, int8, uint8, int16, int32, float32, found "float64"`,
      );
    });

    it('requires a shape of 0..8 dimensions, each an integer from 1 to 2^24', () => {
      expect(readError(edit(1, (e) => (e['shape'] = 6)))).toMatch(/"conv1.thresholds": shape must be an array, found 6/);
      expect(readError(edit(1, (e) => (e['shape'] = [1, 1, 1, 1, 1, 1, 1, 1, 6])))).toMatch(
        /shape has 9 dimensions, more than the limit of 8/,
      );
      for (const bad of [0, -2, 1.5, '2', null, 2 ** 24 + 1]) {
        expect(readError(edit(1, (e) => (e['shape'] = [2, bad])))).toMatch(
          /"conv1.thresholds": shape\[1\] must be an integer from 1 to 16777216, found/,
        );
      }
    });

    it('limits the element count to 2^31', () => {
      expect(readError(edit(1, (e) => (e['shape'] = [2 ** 16, 2 ** 15, 2])))).toMatch(
        /shape \[65536, 32768, 2\] has more than 2147483648 elements/,
      );
    });

    it('requires byteLength to match dtype and shape', () => {
      expect(readError(edit(1, (e) => (e['byteLength'] = 6)))).toBe(
        `${SRC}: tensor "conv1.thresholds": byteLength must be 12 for 6 int16 elements, found 6`,
      );
      expect(readError(edit(0, (e) => (e['shape'] = [17])))).toMatch(/"conv1.weights": byteLength must be 3 for 17 bits, found 2$/);
      expect(readError(edit(1, (e) => (e['shape'] = [3, 3])))).toMatch(/byteLength must be 18 for 9 int16 elements, found 12/);
    });

    it('requires the offset to be a non-negative integer multiple of 64', () => {
      for (const bad of [-64, 32, 64.5, '0', null]) {
        expect(readError(edit(1, (e) => (e['offset'] = bad)))).toMatch(
          /"conv1.thresholds": offset must be a non-negative multiple of 64, found/,
        );
      }
    });

    it('requires each tensor to lie within the blob section', () => {
      const { blob } = split(BASE);
      expect(readError(edit(1, (e) => (e['offset'] = 4160)))).toBe(
        `${SRC}: tensor "conv1.thresholds": offset 4160 + length 12 runs past the end of the blob section (${blob.length} bytes)`,
      );
    });

    it('rejects overlapping tensors', () => {
      expect(readError(edit(1, (e) => (e['offset'] = 0)))).toMatch(
        /tensor "(conv1.thresholds|conv1.weights)": blob bytes \d+\.\.\d+ overlap tensor "(conv1.weights|conv1.thresholds)"/,
      );
    });

    it('requires gap bytes to be zero, between tensors and at the end', () => {
      const between = withBlob(BASE, (b) => (b[10] = 0x42));
      expect(readError(between)).toMatch(/^model\.sepb: byte \d+: gap byte in the blob section \(blob offset 10, .*found 0x42$/);
      const { doc, blob } = split(BASE);
      const tail = new Uint8Array(blob.length + 64);
      tail.set(blob);
      tail[tail.length - 1] = 1;
      expect(readError(assemble({ json: JSON.stringify(doc), blob: tail }))).toMatch(
        new RegExp(`blob offset ${tail.length - 1}, outside every tensor\\) must be 0, found 0x01`),
      );
    });

    it('requires the unused high bits of a bits tensor to be zero', () => {
      // conv1.weights: 13 bits at blob offset 0, so byte 1 may use only its low 5 bits.
      const file = withBlob(BASE, (b) => (b[1]! |= 0x80));
      expect(readError(file)).toMatch(
        /^model\.sepb: tensor "conv1.weights": unused high bits of the last packed byte \(byte \d+\) must be 0, found 0x.. \(13 bits use only the low 5\)$/,
      );
    });
  });
});

describe('writer validation', () => {
  const t = (over: Partial<Record<keyof Tensor, unknown>>): unknown => ({
    name: 'w',
    dtype: 'int16',
    shape: [2],
    data: Int16Array.from([1, 2]),
    ...over,
  });

  it('rejects duplicate names', () => {
    expect(writeError(null, [t({}), t({})])).toBe('.sepb writer: tensors[1]: duplicate tensor name "w" (also tensors[0])');
  });

  it('rejects data whose type does not match the dtype', () => {
    expect(writeError(null, [t({ data: Int8Array.from([1, 2]) })])).toBe(
      '.sepb writer: tensor "w": dtype "int16" needs its data in an Int16Array, found Int8Array',
    );
    expect(writeError(null, [t({ dtype: 'bits', data: [1, 2] })])).toMatch(/needs its data in a Uint8Array, found an array/);
    expect(writeError(null, [t({ dtype: 'float32', data: new Float64Array(2) })])).toMatch(/Float32Array, found an object/);
  });

  it('rejects data of the wrong length for the shape', () => {
    expect(writeError(null, [t({ shape: [3] })])).toMatch(/shape has 3 elements, so data must have 3 elements, found 2/);
    expect(writeError(null, [t({ dtype: 'bits', shape: [9], data: new Uint8Array(1) })])).toMatch(
      /data must have 2 bytes of packed bits, found 1/,
    );
    expect(writeError(null, [t({ dtype: 'bits', shape: [9], data: Uint8Array.from([0, 2]) })])).toMatch(
      /unused high bits of the last packed byte must be 0/,
    );
  });

  it('rejects bad names, dtypes and shapes', () => {
    expect(writeError(null, [t({ name: '' })])).toMatch(/tensors\[0\]: name must not be empty/);
    expect(writeError(null, [t({ dtype: 'int64' })])).toMatch(/tensor "w": dtype must be one of/);
    expect(writeError(null, [t({ shape: [0] })])).toMatch(/shape\[0\] must be an integer from 1/);
    expect(writeError(null, [null])).toMatch(/tensors\[0\]: must be a tensor object, found null/);
  });

  it('rejects models that JSON cannot represent exactly', () => {
    expect(writeError({ a: [1, NaN] }, [])).toBe('.sepb writer: model.a[1]: NaN is not representable in JSON');
    expect(writeError({ a: undefined }, [])).toMatch(/model\.a: nothing .* is not a JSON value/);
    expect(writeError({ 'odd key': new Date(0) }, [])).toMatch(/model\["odd key"\]: a Date is not a JSON value/);
    expect(writeError({ n: 1n }, [])).toMatch(/the bigint 1n is not a JSON value/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(writeError(cyclic, [])).toMatch(/nested more than 1000 levels deep \(or contains a cycle\)/);
    expect(writeContainer(Object.assign(Object.create(null) as object, { a: 1 }), []).length).toBeGreaterThan(64);
  });

  it('accepts a Buffer for uint8 data', () => {
    const file = writeContainer(null, [{ name: 'b', dtype: 'uint8', shape: [3], data: Buffer.from([1, 2, 3]) }]);
    expect(Array.from(readContainer(file, SRC).tensors.get('b')!.data)).toEqual([1, 2, 3]);
  });
});

describe('readContainerFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sepb-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a valid file and names the path in errors', () => {
    const path = join(dir, 'ok.sepb');
    writeFileSync(path, BASE);
    expect(readContainerFile(path).tensors.size).toBe(6);
    const bad = join(dir, 'bad.sepb');
    writeFileSync(bad, BASE.subarray(0, 100));
    expect(errorOf(() => readContainerFile(bad)).message).toMatch(new RegExp(`^${bad.replace(/[.\\/]/g, '\\$&')}: byte 24: truncated`));
  });

  it('refuses missing files, directories and devices', () => {
    expect(errorOf(() => readContainerFile(join(dir, 'missing.sepb'))).message).toMatch(/missing\.sepb: no such file$/);
    expect(errorOf(() => readContainerFile(dir)).message).toMatch(/: not a regular file \(a directory\)$/);
    expect(errorOf(() => readContainerFile('/dev/null')).message).toBe('/dev/null: not a regular file (a device)');
  });

  it('refuses a file over 1 GiB without reading it', () => {
    const path = join(dir, 'huge.sepb');
    writeFileSync(path, BASE);
    truncateSync(path, 2 ** 30 + 1); // sparse: costs no disk space
    expect(errorOf(() => readContainerFile(path)).message).toMatch(
      /huge\.sepb: file is 1073741825 bytes; gen-rtl reads \.sepb files of at most 1 GiB$/,
    );
  });
});

import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { PNG, type ColorType } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage, loadImageSet, loadLabels, type Image, type ImageSet } from '../../generator/io/images.js';
import { GenRtlError } from '../../generator/util/errors.js';

// ---------------------------------------------------------------------------
// Fixture writers. Every file is built byte by byte here, so the expected
// pixel values are known exactly.

let dir = '';
let fileNo = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-images-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(bytes: Uint8Array, name = `f${fileNo++}.bin`): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function seq(n: number, mul = 1, add = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * mul + add) & 0xff);
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

function u32be(...values: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v, false));
  return out;
}

function idx(dims: readonly number[], data: Uint8Array, typeCode = 0x08): Uint8Array {
  return concat(Uint8Array.of(0, 0, typeCode, dims.length), u32be(...dims), data);
}

interface NpyOpts {
  readonly version?: 1 | 2 | 3;
  readonly fortran?: boolean;
  /** Replaces the whole dict literal. */
  readonly header?: string;
}

function npyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Writes .npy as numpy does: header padded with spaces to a 64-byte boundary and ended by '\n'. */
function npy(descr: string, shape: readonly number[], data: Uint8Array, opts: NpyOpts = {}): Uint8Array {
  const version = opts.version ?? 1;
  const dict =
    opts.header ??
    `{'descr': '${descr}', 'fortran_order': ${opts.fortran === true ? 'True' : 'False'}, 'shape': ${npyShape(shape)}, }`;
  const preamble = version === 1 ? 10 : 12;
  const padded = dict + ' '.repeat((64 - ((preamble + dict.length + 1) % 64)) % 64) + '\n';
  const len = new Uint8Array(version === 1 ? 2 : 4);
  const view = new DataView(len.buffer);
  if (version === 1) view.setUint16(0, padded.length, true);
  else view.setUint32(0, padded.length, true);
  const magic = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0);
  return concat(magic, len, new TextEncoder().encode(padded), data);
}

function int64le(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return out;
}

function int32le(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt32(4 * i, v, true));
  return out;
}

/** A PNG through pngjs's own encoder; `data` is in the layout of `colorType`. */
function pngjsPng(width: number, height: number, colorType: ColorType, data: Uint8Array): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(data);
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: colorType }));
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = new TextEncoder().encode(type);
  return concat(u32be(data.length), typeBytes, data, u32be(crc32(concat(typeBytes, data))));
}

interface RawPng {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colorType: number;
  readonly interlace?: 0 | 1;
  /** Filtered scanlines (each led by its filter byte), uncompressed. */
  readonly raw: Uint8Array;
  /** Chunks placed between IHDR and IDAT (PLTE, tRNS). */
  readonly before?: readonly Uint8Array[];
}

/** Hand-built PNG, for what pngjs cannot write: palettes, 16-bit, sub-byte depths, tRNS, interlacing. */
function rawPng(p: RawPng): Uint8Array {
  const ihdr = concat(u32be(p.width, p.height), Uint8Array.of(p.depth, p.colorType, 0, 0, p.interlace ?? 0));
  return concat(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', ihdr),
    ...(p.before ?? []),
    chunk('IDAT', deflateSync(p.raw)),
    chunk('IEND', new Uint8Array(0)),
  );
}

/** Unfiltered scanlines (filter type 0) of `bytesPerRow`-byte rows. */
function scanlines(data: Uint8Array, bytesPerRow: number): Uint8Array {
  const rows: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += bytesPerRow) rows.push(concat(Uint8Array.of(0), data.subarray(off, off + bytesPerRow)));
  return concat(...rows);
}

/** Adam7 scanlines of an 8-bit gray image. */
function adam7Gray(width: number, height: number, px: Uint8Array): Uint8Array {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;
  const out: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      out.push(0);
      for (let x = x0; x < width; x += dx) out.push(px[y * width + x]!);
    }
  }
  return Uint8Array.from(out);
}

function expectImage(img: Image, height: number, width: number, channels: number, data: Uint8Array): void {
  expect({ height: img.height, width: img.width, channels: img.channels }).toEqual({ height, width, channels });
  expect(img.data).toBeInstanceOf(Uint8Array);
  expect(Buffer.isBuffer(img.data)).toBe(false);
  expect([...img.data]).toEqual([...data]);
}

function expectError(f: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GenRtlError);
  const msg = (caught as GenRtlError).message;
  expect(msg).toMatch(message);
  expect(msg).not.toContain('\n');
}

// ---------------------------------------------------------------------------

describe('PNG', () => {
  it('reads grayscale as one channel', () => {
    const px = seq(6, 40);
    expectImage(loadImage(write(pngjsPng(3, 2, 0, px))), 2, 3, 1, px);
  });

  it('reads RGB as three channels', () => {
    const px = seq(2 * 2 * 3, 17, 3);
    expectImage(loadImage(write(pngjsPng(2, 2, 2, px))), 2, 2, 3, px);
  });

  it('drops RGBA alpha without compositing', () => {
    const rgba = Uint8Array.of(10, 20, 30, 255, 40, 50, 60, 0, 70, 80, 90, 128);
    expectImage(loadImage(write(pngjsPng(3, 1, 6, rgba))), 1, 3, 3, Uint8Array.of(10, 20, 30, 40, 50, 60, 70, 80, 90));
  });

  it('drops gray+alpha alpha, leaving one channel', () => {
    const ga = Uint8Array.of(5, 0, 6, 255, 7, 9, 8, 100);
    expectImage(loadImage(write(pngjsPng(2, 2, 4, ga))), 2, 2, 1, Uint8Array.of(5, 6, 7, 8));
  });

  it('expands a palette to RGB, ignoring palette transparency', () => {
    const plte = chunk('PLTE', Uint8Array.of(1, 2, 3, 100, 110, 120, 250, 251, 252));
    const trns = chunk('tRNS', Uint8Array.of(0, 0, 0));
    const png = rawPng({ width: 2, height: 2, depth: 8, colorType: 3, raw: scanlines(Uint8Array.of(0, 1, 2, 1), 2), before: [plte, trns] });
    expectImage(loadImage(write(png)), 2, 2, 3, Uint8Array.of(1, 2, 3, 100, 110, 120, 250, 251, 252, 100, 110, 120));
  });

  it('expands a 2-bit palette', () => {
    const plte = chunk('PLTE', Uint8Array.of(0, 0, 0, 9, 9, 9, 50, 60, 70));
    // indices 2, 1, 0 packed MSB first: 10 01 00 00
    const png = rawPng({ width: 3, height: 1, depth: 2, colorType: 3, raw: Uint8Array.of(0, 0b1001_0000), before: [plte] });
    expectImage(loadImage(write(png)), 1, 3, 3, Uint8Array.of(50, 60, 70, 9, 9, 9, 0, 0, 0));
  });

  it('keeps the stored gray of pixels a tRNS chunk marks transparent', () => {
    const trns = chunk('tRNS', Uint8Array.of(0, 7));
    const png = rawPng({ width: 3, height: 1, depth: 8, colorType: 0, raw: scanlines(Uint8Array.of(7, 8, 7), 3), before: [trns] });
    expectImage(loadImage(write(png)), 1, 3, 1, Uint8Array.of(7, 8, 7));
  });

  it('scales 1-bit gray to 0/255', () => {
    const png = rawPng({ width: 4, height: 1, depth: 1, colorType: 0, raw: Uint8Array.of(0, 0b1010_0000) });
    expectImage(loadImage(write(png)), 1, 4, 1, Uint8Array.of(255, 0, 255, 0));
  });

  it('reads an Adam7-interlaced PNG', () => {
    const px = seq(5 * 6, 7, 1);
    const png = rawPng({ width: 5, height: 6, depth: 8, colorType: 0, interlace: 1, raw: adam7Gray(5, 6, px) });
    expectImage(loadImage(write(png)), 6, 5, 1, px);
  });

  it('is detected by content whatever the extension, and is a set of one', () => {
    const px = seq(4, 60);
    const path = write(pngjsPng(2, 2, 0, px), 'looks-like.idx');
    const set = loadImageSet(path);
    expect([set.count, set.height, set.width, set.channels]).toEqual([1, 2, 2, 1]);
    expectImage(set.image(0), 2, 2, 1, px);
    expectImage(loadImage(path, { index: 0 }), 2, 2, 1, px);
  });

  it('reads a gzipped PNG', () => {
    const px = seq(9, 11);
    expectImage(loadImage(write(gzipSync(pngjsPng(3, 3, 0, px)))), 3, 3, 1, px);
  });
});

describe('NPY', () => {
  it('reads (H, W) as one gray image', () => {
    const px = seq(12, 3);
    expectImage(loadImage(write(npy('|u1', [3, 4], px))), 3, 4, 1, px);
  });

  it('reads (H, W, C) as one image when no index is given', () => {
    const px = seq(2 * 3 * 3, 5);
    expectImage(loadImage(write(npy('|u1', [2, 3, 3], px))), 2, 3, 3, px);
  });

  it('reads (N, H, W) as a set when an index is given', () => {
    const px = seq(4 * 2 * 3, 1);
    const path = write(npy('|u1', [4, 2, 3], px));
    expectImage(loadImage(path, { index: 2 }), 2, 3, 1, px.subarray(12, 18));
    const set = loadImageSet(path);
    expect([set.count, set.height, set.width, set.channels]).toEqual([4, 2, 3, 1]);
    expectImage(set.image(3), 2, 3, 1, px.subarray(18, 24));
  });

  it('reads (N, H, W, C) sets', () => {
    const px = seq(3 * 2 * 2 * 3, 7);
    const path = write(npy('|u1', [3, 2, 2, 3], px));
    expectImage(loadImage(path), 2, 2, 3, px.subarray(0, 12));
    expectImage(loadImage(path, { index: 1 }), 2, 2, 3, px.subarray(12, 24));
    const set = loadImageSet(path);
    expect([set.count, set.height, set.width, set.channels]).toEqual([3, 2, 2, 3]);
    expectImage(set.image(2), 2, 2, 3, px.subarray(24, 36));
  });

  it('reads format versions 2.0 and 3.0', () => {
    const px = seq(6, 9);
    expectImage(loadImage(write(npy('|u1', [2, 3], px, { version: 2 }))), 2, 3, 1, px);
    expectImage(loadImage(write(npy('|u1', [2, 3], px, { version: 3 }))), 2, 3, 1, px);
  });

  it('accepts legal header spellings: double quotes, no trailing comma, <u1, Python 2 longs', () => {
    const px = seq(6, 9);
    const header = `{"shape": (2L, 3L), "fortran_order": False, "descr": "<u1"}`;
    expectImage(loadImage(write(npy('', [], px, { header }))), 2, 3, 1, px);
  });

  it('reads int64, int32 and uint8 labels', () => {
    const labels = [0, 9, 3, 65535, 7];
    expect([...loadLabels(write(npy('<i8', [5], int64le(labels))))]).toEqual(labels);
    expect([...loadLabels(write(npy('<i4', [5], int32le(labels))))]).toEqual(labels);
    expect([...loadLabels(write(npy('|u1', [3], Uint8Array.of(1, 2, 255))))]).toEqual([1, 2, 255]);
    expect(loadLabels(write(npy('<i8', [5], int64le(labels))))).toBeInstanceOf(Uint16Array);
  });

  it('reads gzipped NPY', () => {
    const px = seq(2 * 2 * 2, 13);
    expectImage(loadImage(write(gzipSync(npy('|u1', [2, 2, 2], px))), { index: 1 }), 2, 2, 1, px.subarray(4, 8));
  });
});

describe('IDX', () => {
  const px = seq(3 * 4 * 5, 3, 1);

  it('reads IDX3 plain and gzipped', () => {
    for (const bytes of [idx([3, 4, 5], px), gzipSync(idx([3, 4, 5], px))]) {
      const path = write(bytes, `train-images-idx3-ubyte${bytes[0] === 0x1f ? '.gz' : ''}-${fileNo++}`);
      expectImage(loadImage(path), 4, 5, 1, px.subarray(0, 20));
      expectImage(loadImage(path, { index: 2 }), 4, 5, 1, px.subarray(40, 60));
      const set = loadImageSet(path);
      expect([set.count, set.height, set.width, set.channels]).toEqual([3, 4, 5, 1]);
      expectImage(set.image(1), 4, 5, 1, px.subarray(20, 40));
    }
  });

  it('reads 4-D IDX as (N, H, W, C)', () => {
    const rgb = seq(2 * 2 * 3 * 3, 5);
    const set = loadImageSet(write(idx([2, 2, 3, 3], rgb)));
    expect([set.count, set.height, set.width, set.channels]).toEqual([2, 2, 3, 3]);
    expectImage(set.image(1), 2, 3, 3, rgb.subarray(18, 36));
  });

  it('reads IDX1 labels plain and gzipped', () => {
    const labels = Uint8Array.of(5, 0, 4, 1, 9);
    expect([...loadLabels(write(idx([5], labels)))]).toEqual([...labels]);
    expect([...loadLabels(write(gzipSync(idx([5], labels))))]).toEqual([...labels]);
  });

  it('returns copies: mutating an image does not change the set', () => {
    const set = loadImageSet(write(idx([3, 4, 5], px)));
    const first = set.image(0);
    first.data.fill(0);
    expectImage(set.image(0), 4, 5, 1, px.subarray(0, 20));
    expect(first.data.buffer.byteLength).toBe(20);
  });
});

describe('errors', () => {
  it('truncated IDX data', () => {
    const path = write(idx([3, 4, 5], seq(50)));
    expectError(() => loadImageSet(path), /: IDX header declares 3 images of 4x5 = 60 bytes but the file holds 50 after the 16-byte header$/);
  });

  it('truncated IDX header', () => {
    expectError(() => loadImageSet(write(idx([3, 4, 5], seq(0)).subarray(0, 10))), /IDX header truncated/);
    expectError(() => loadLabels(write(Uint8Array.of(0, 0, 8))), /IDX header truncated/);
  });

  it('IDX header claiming billions of images in a tiny file', () => {
    const path = write(idx([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], seq(10)));
    expectError(() => loadImageSet(path), /declares 4294967295 images of 4294967295x4294967295x4294967295 = \d+ bytes but the file holds 10/);
  });

  it('wrong IDX element type', () => {
    expectError(() => loadImageSet(write(idx([1, 2, 2], seq(16), 0x0d))), /IDX element type 0x0d \(float32\) is not supported; only unsigned byte \(0x08\)/);
    expectError(() => loadImageSet(write(idx([1, 2, 2], seq(4), 0x42))), /unknown IDX element type code 0x42/);
  });

  it('wrong IDX dimension count', () => {
    expectError(() => loadImageSet(write(idx([2, 2], seq(4)))), /IDX file has 2 dimensions; expected 3 \(N, H, W\) or 4/);
    expectError(() => loadLabels(write(idx([1, 2, 2], seq(4)))), /IDX file has 3 dimensions; expected 1/);
  });

  it('IDX with no images or empty images', () => {
    expectError(() => loadImageSet(write(idx([0, 28, 28], seq(0)))), /holds no images/);
    expectError(() => loadImageSet(write(idx([5, 0, 28], seq(0)))), /empty shape 0x28x1/);
  });

  it('bad NPY header: not a literal', () => {
    const header = `{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (2,), }`;
    expectError(() => loadLabels(write(npy('', [], seq(2), { header }))), /bad NPY header at character 10: expected a string, True, False or a tuple/);
  });

  it('bad NPY header: missing and unexpected keys', () => {
    expectError(() => loadLabels(write(npy('', [], seq(2), { header: `{'descr': '|u1', 'shape': (2,)}` }))), /missing 'fortran_order'/);
    const extra = `{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'x': True}`;
    expectError(() => loadLabels(write(npy('', [], seq(2), { header: extra }))), /unexpected key 'x'/);
  });

  it('bad NPY header: control characters are escaped, keeping the message on one line', () => {
    const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'a\nb': True}`;
    expectError(() => loadLabels(write(npy('', [], seq(2), { header }))), /unexpected key 'a\\x0ab'$/);
  });

  it('bad NPY header: one-element shape without comma', () => {
    const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (2)}`;
    expectError(() => loadLabels(write(npy('', [], seq(2), { header }))), /trailing comma/);
  });

  it('bad NPY version and header length', () => {
    const good = npy('|u1', [2], seq(2));
    const v9 = Uint8Array.from(good);
    v9[6] = 9;
    expectError(() => loadLabels(write(v9)), /unsupported NPY format version 9\.0/);
    const long = Uint8Array.from(good);
    long[8] = 0xff;
    long[9] = 0x7f;
    expectError(() => loadLabels(write(long)), /NPY header length 32767 runs past the end of the file/);
  });

  it('NPY data length disagreeing with the shape', () => {
    expectError(() => loadImage(write(npy('|u1', [3, 4], seq(11)))), /NPY header declares shape \(3, 4\) of '\|u1' = 12 bytes but the file holds 11 after the 128-byte header/);
  });

  it('unsupported NPY dtype', () => {
    expectError(() => loadImage(write(npy('<f4', [2, 2], seq(16)))), /unsupported NPY dtype '<f4' for image pixels \(supported: \|u1\)/);
    expectError(() => loadLabels(write(npy('<f8', [1], seq(8)))), /unsupported NPY dtype '<f8' for labels/);
  });

  it('Fortran-order NPY', () => {
    expectError(() => loadImage(write(npy('|u1', [2, 3], seq(6), { fortran: true }))), /Fortran order/);
  });

  it('NPY of the wrong rank', () => {
    expectError(() => loadImageSet(write(npy('|u1', [2, 3], seq(6)))), /NPY image set has shape \(2, 3\); expected/);
    expectError(() => loadImage(write(npy('|u1', [6], seq(6)))), /NPY image has shape \(6,\)/);
    expectError(() => loadLabels(write(npy('|u1', [2, 3], seq(6)))), /NPY labels have shape \(2, 3\); expected a 1-D array/);
  });

  it('labels outside 0..65535', () => {
    expectError(() => loadLabels(write(npy('<i8', [3], int64le([1, -1, 2])))), /label 1 is -1; labels must be 0\.\.65535/);
    expectError(() => loadLabels(write(npy('<i4', [2], int32le([65536, 0])))), /label 0 is 65536/);
  });

  it('16-bit PNG', () => {
    const png = rawPng({ width: 1, height: 1, depth: 16, colorType: 0, raw: Uint8Array.of(0, 1, 2) });
    expectError(() => loadImage(write(png)), /16-bit PNG samples are not supported; only 8-bit PNGs are/);
  });

  it('truncated PNG', () => {
    const png = pngjsPng(4, 4, 0, seq(16));
    expectError(() => loadImage(write(png.subarray(0, png.length - 20))), /PNG truncated/);
  });

  it('PNG with a bad CRC', () => {
    const png = Uint8Array.from(pngjsPng(4, 4, 0, seq(16)));
    png[29] = png[29]! ^ 1; // last byte of the IHDR CRC
    expectError(() => loadImage(write(png)), /corrupt PNG: chunk IHDR at byte 8 fails its CRC check/);
  });

  it('PNG declaring a huge image over a few bytes of data', () => {
    const png = rawPng({ width: 1_000_000, height: 1_000_000, depth: 8, colorType: 2, raw: Uint8Array.of(0, 1, 2, 3) });
    expectError(() => loadImage(write(png)), /PNG declares 1000000x1000000 pixels but holds only \d+ bytes of compressed image data/);
  });

  it('PNG without image data', () => {
    const png = rawPng({ width: 1, height: 1, depth: 8, colorType: 0, raw: Uint8Array.of(0, 0) });
    const noIdat = concat(png.subarray(0, 33), png.subarray(png.length - 12));
    expectError(() => loadImage(write(noIdat)), /no IDAT chunk/);
  });

  it('PNG given as labels', () => {
    expectError(() => loadLabels(write(pngjsPng(1, 1, 0, seq(1)))), /PNG image, not a label file/);
  });

  it('index out of range names the count', () => {
    expectError(() => loadImage(write(idx([3, 2, 2], seq(12))), { index: 3 }), /image index 3 is out of range: the file holds 3 images \(0\.\.2\)/);
    expectError(() => loadImage(write(pngjsPng(1, 1, 0, seq(1))), { index: 1 }), /image index 1 is out of range: the file holds 1 image \(0\.\.0\)/);
    expectError(() => loadImage(write(npy('|u1', [2, 2, 2], seq(8))), { index: 5 }), /the file holds 2 images/);
    const set = loadImageSet(write(idx([2, 1, 1], seq(2))));
    expectError(() => set.image(2), /image index 2 is out of range: the file holds 2 images/);
    expectError(() => set.image(-1), /image index must be a non-negative integer, got -1/);
    expectError(() => set.image(0.5), /non-negative integer, got 0\.5/);
  });

  it('garbage bytes', () => {
    expectError(() => loadImage(write(new TextEncoder().encode('hello, world'))), /unrecognized format: the file is not a PNG, NPY or IDX file/);
  });

  it('empty file', () => {
    expectError(() => loadImageSet(write(new Uint8Array(0))), /the file is empty/);
  });

  it('missing file', () => {
    const path = join(dir, 'does-not-exist.png');
    expectError(() => loadImage(path), new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file$`));
    expectError(() => loadLabels(join(dir, 'nope', 'labels.npy')), /no such file/);
  });

  it('directory', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expectError(() => loadImage(sub), /is a directory, not a file/);
    expectError(() => loadLabels(sub), /is a directory, not a file/);
    // A folder is an image set of its PNGs (test/unit/accuracy.test.ts); this one has none.
    expectError(() => loadImageSet(sub), /is a folder with no \.png files/);
  });

  it.skipIf(process.platform === 'win32')('device file', () => {
    expectError(() => loadImage('/dev/null'), /is not a regular file/);
  });

  it('file over 1 GiB, rejected before reading', () => {
    const path = write(new Uint8Array(0), 'huge.idx');
    truncateSync(path, 2 ** 30 + 1); // sparse: costs no disk space
    expectError(() => loadImageSet(path), /file is 1073741825 bytes; the limit is 1 GiB/);
  });

  it('gzip of garbage', () => {
    expectError(() => loadImage(write(gzipSync(new TextEncoder().encode('not an image')))), /unrecognized format: the gzip content is not a PNG, NPY or IDX file/);
  });

  it('corrupt and truncated gzip', () => {
    expectError(() => loadImage(write(Uint8Array.of(0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))), /corrupt gzip data/);
    const gz = gzipSync(idx([3, 4, 5], seq(60)));
    expectError(() => loadImage(write(gz.subarray(0, gz.length - 10))), /corrupt gzip data \(unexpected end of file\)/);
  });

  it('gzip inside gzip', () => {
    expectError(() => loadImage(write(gzipSync(gzipSync(idx([1, 1, 1], seq(1)))))), /gzip inside gzip/);
  });
});

// ---------------------------------------------------------------------------
// Fuzz: mutated valid files must load into well-formed results or fail with
// GenRtlError, never anything else.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Recomputes every chunk CRC, so mutations reach pngjs's decoder instead of its CRC check. */
function fixPngCrcs(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const view = new DataView(out.buffer);
  let pos = 8;
  while (pos + 12 <= out.length) {
    const len = view.getUint32(pos, false);
    if (pos + 12 + len > out.length) break;
    view.setUint32(pos + 8 + len, crc32(out.subarray(pos + 4, pos + 8 + len)), false);
    pos += 12 + len;
  }
  return out;
}

function checkImage(img: Image): void {
  for (const d of [img.height, img.width, img.channels]) {
    if (!Number.isInteger(d) || d < 1) throw new Error(`bad image dimension ${d}`);
  }
  if (!(img.data instanceof Uint8Array) || img.data.length !== img.height * img.width * img.channels) {
    throw new Error('image data length does not match its shape');
  }
}

function checkSet(set: ImageSet): void {
  if (!Number.isInteger(set.count) || set.count < 1) throw new Error(`bad count ${set.count}`);
  for (const i of [0, set.count - 1]) {
    const img = set.image(i);
    checkImage(img);
    if (img.height !== set.height || img.width !== set.width || img.channels !== set.channels) {
      throw new Error('image shape differs from set shape');
    }
  }
}

interface Fixture {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** PNG fixtures: true, or the recipe of a hand-built one so its scanlines can be mutated. */
  readonly png?: true | RawPng;
}

describe('fuzz', () => {
  it('mutated, truncated and random inputs give a result or GenRtlError', () => {
    const palette = { width: 3, height: 2, depth: 8, colorType: 3, raw: scanlines(Uint8Array.of(0, 1, 2, 2, 1, 0), 3), before: [chunk('PLTE', seq(9, 30))] };
    const interlaced = { width: 5, height: 5, depth: 8, colorType: 0, interlace: 1, raw: adam7Gray(5, 5, seq(25, 3)) } as const;
    const rgb = { width: 3, height: 2, depth: 8, colorType: 2, raw: scanlines(seq(18, 13), 9) };
    const fixtures: readonly Fixture[] = [
      { name: 'idx3', bytes: idx([4, 5, 4], seq(80, 7)) },
      { name: 'idx4', bytes: idx([2, 3, 2, 3], seq(36, 5)) },
      { name: 'idx1', bytes: idx([6], Uint8Array.of(1, 2, 3, 4, 5, 6)) },
      { name: 'idx3.gz', bytes: gzipSync(idx([4, 5, 4], seq(80, 7))) },
      { name: 'npy-u1-4d', bytes: npy('|u1', [2, 3, 2, 2], seq(24, 3)) },
      { name: 'npy-u1-2d-v2', bytes: npy('|u1', [4, 4], seq(16, 9), { version: 2 }) },
      { name: 'npy-i8-labels', bytes: npy('<i8', [4], int64le([1, 2, 3, 4])) },
      { name: 'npy-i4-labels', bytes: npy('<i4', [3], int32le([7, 8, 9])) },
      { name: 'png-gray', bytes: pngjsPng(4, 3, 0, seq(12, 21)), png: true },
      { name: 'png-rgba', bytes: pngjsPng(3, 3, 6, seq(36, 11)), png: true },
      { name: 'png-palette', bytes: rawPng(palette), png: palette },
      { name: 'png-interlaced', bytes: rawPng(interlaced), png: interlaced },
      { name: 'png-rgb', bytes: rawPng(rgb), png: rgb },
    ];
    const rand = mulberry32(0x5eed);
    const int = (n: number): number => Math.floor(rand() * n);
    const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));

    function flipBits(b: Uint8Array): Uint8Array {
      for (let k = 1 + int(8); k > 0; k--) {
        const i = int(b.length);
        b[i] = b[i]! ^ (1 << int(8));
      }
      return b;
    }

    function mutate(fx: Fixture): { kind: string; bytes: Uint8Array } {
      const png = fx.png !== undefined;
      const kind = int(8);
      const b = Uint8Array.from(fx.bytes);
      switch (kind) {
        case 0:
          return { kind: 'truncate', bytes: b.subarray(0, int(b.length)) };
        case 1:
          return { kind: 'bitflip', bytes: flipBits(b) };
        case 2: {
          for (let k = 1 + int(4); k > 0; k--) b[int(Math.min(b.length, 40))] = int(256);
          return { kind: 'header-bytes', bytes: png ? fixPngCrcs(b) : b };
        }
        case 3:
          return png ? { kind: 'bitflip+crc', bytes: fixPngCrcs(flipBits(b)) } : { kind: 'bitflip+gzip', bytes: gzipSync(flipBits(b)) };
        case 4:
          return { kind: 'append', bytes: concat(b, randomBytes(1 + int(64))) };
        case 5:
          return { kind: 'magic+random', bytes: concat(b.subarray(0, 8 + int(8)), randomBytes(int(200))) };
        case 6:
          // Damage the decompressed scanlines of a hand-built PNG: bad filter
          // types, palette indices and lengths all reach the decoder proper.
          if (typeof fx.png === 'object') {
            const raw = flipBits(Uint8Array.from(fx.png.raw)).subarray(0, fx.png.raw.length - (int(3) === 0 ? int(4) : 0));
            return { kind: 'raw-scanlines', bytes: rawPng({ ...fx.png, raw }) };
          }
          return { kind: 'bitflip', bytes: flipBits(b) };
        default:
          return { kind: 'random', bytes: randomBytes(int(300)) };
      }
    }

    const failures: string[] = [];
    const path = join(dir, 'fuzz.bin');
    let cases = 0;
    let loaded = 0;
    for (let n = 0; n < 720; n++) {
      const fx = fixtures[n % fixtures.length]!;
      const { kind, bytes } = mutate(fx);
      writeFileSync(path, bytes);
      const loaders: readonly [string, () => void][] = [
        ['loadImage', () => checkImage(loadImage(path))],
        ['loadImage#1', () => checkImage(loadImage(path, { index: 1 }))],
        ['loadImageSet', () => checkSet(loadImageSet(path))],
        ['loadLabels', () => { if (!(loadLabels(path) instanceof Uint16Array)) throw new Error('labels not a Uint16Array'); }],
      ];
      for (const [name, load] of loaders) {
        cases++;
        try {
          load();
          loaded++;
        } catch (e) {
          if (!(e instanceof GenRtlError)) failures.push(`#${n} ${fx.name} ${kind} ${name}: ${String(e)}`);
          else if (e.message.includes('\n')) failures.push(`#${n} ${fx.name} ${kind} ${name}: multi-line message`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(500 * 4);
    // Sanity: the mutations are not so destructive that nothing ever loads.
    expect(loaded).toBeGreaterThan(50);
  });
});

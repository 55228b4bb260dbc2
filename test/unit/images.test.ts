import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage, loadImageSet, loadLabels, type Image, type ImageSet } from '../../generator/io/images.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { runFuzz, summary } from '../fuzz/harness.js';
import { imagesTarget } from '../fuzz/images.js';
import { adam7Gray, chunk, concat, idx, int32le, int64le, npy, pngjsPng, rawPng, scanlines, seq, u32be } from '../fuzz/image-files.js';

// ---------------------------------------------------------------------------
// Test files, built byte by byte (test/fuzz/image-files.ts) so the expected
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
// a one-line GenRtlError, never anything else (test/fuzz/images.ts).

describe('fuzz', () => {
  it('mutated, truncated and random inputs give a result or GenRtlError', () => {
    const s = runFuzz(imagesTarget, imagesTarget.ciCases, 0x5eed);
    console.log(summary(s));
    expect(s.crashes).toEqual([]);
    expect(s.cases).toBe(2880);
    // Sanity: the mutations are not so destructive that nothing ever loads, and they reach many checks.
    expect(s.accepted).toBeGreaterThan(50);
    expect(s.rejected).toBeGreaterThan(2000);
    expect(s.rules.size).toBeGreaterThan(40);
  });
});

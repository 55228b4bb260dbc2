/**
 * Image and label loaders (IDX, NPY, PNG, plain or gzipped) on mutated valid
 * files: each case writes one file and runs one loader on it (a single image,
 * image #1, the whole set, or labels). Loaded results must be well formed.
 */
import { crc32, gzipSync } from 'node:zlib';
import { loadImage, loadImageSet, loadLabels, type Image, type ImageSet } from '../../generator/io/images.js';
import { type FuzzRng, type FuzzTarget, scratchFile } from './harness.js';
import { adam7Gray, chunk, concat, idx, int32le, int64le, npy, pngjsPng, rawPng, type RawPng, scanlines, seq } from './image-files.js';

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

const palette = { width: 3, height: 2, depth: 8, colorType: 3, raw: scanlines(Uint8Array.of(0, 1, 2, 2, 1, 0), 3), before: [chunk('PLTE', seq(9, 30))] };
const interlaced = { width: 5, height: 5, depth: 8, colorType: 0, interlace: 1, raw: adam7Gray(5, 5, seq(25, 3)) } as const;
const rgb = { width: 3, height: 2, depth: 8, colorType: 2, raw: scanlines(seq(18, 13), 9) };

export const IMAGE_FIXTURES: readonly Fixture[] = [
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

function flipBits(rng: FuzzRng, b: Uint8Array): Uint8Array {
  for (let k = rng.int(1, 8); k > 0; k--) {
    const i = rng.int(0, b.length - 1);
    b[i] = b[i]! ^ (1 << rng.int(0, 7));
  }
  return b;
}

function mutate(rng: FuzzRng, fx: Fixture): { kind: string; bytes: Uint8Array } {
  const png = fx.png !== undefined;
  const b = Uint8Array.from(fx.bytes);
  switch (rng.int(0, 7)) {
    case 0:
      return { kind: 'truncate', bytes: b.subarray(0, rng.int(0, b.length - 1)) };
    case 1:
      return { kind: 'bitflip', bytes: flipBits(rng, b) };
    case 2: {
      for (let k = rng.int(1, 4); k > 0; k--) b[rng.int(0, Math.min(b.length, 40) - 1)] = rng.int(0, 255);
      return { kind: 'header-bytes', bytes: png ? fixPngCrcs(b) : b };
    }
    case 3:
      return png ? { kind: 'bitflip+crc', bytes: fixPngCrcs(flipBits(rng, b)) } : { kind: 'bitflip+gzip', bytes: gzipSync(flipBits(rng, b)) };
    case 4:
      return { kind: 'append', bytes: concat(b, rng.bytes(rng.int(1, 64))) };
    case 5:
      return { kind: 'magic+random', bytes: concat(b.subarray(0, rng.int(8, 15)), rng.bytes(rng.int(0, 199))) };
    case 6:
      // Damage the decompressed scanlines of a hand-built PNG: bad filter
      // types, palette indices and lengths all reach the decoder proper.
      if (typeof fx.png === 'object') {
        const raw = flipBits(rng, Uint8Array.from(fx.png.raw)).subarray(0, fx.png.raw.length - (rng.int(0, 2) === 0 ? rng.int(0, 3) : 0));
        return { kind: 'raw-scanlines', bytes: rawPng({ ...fx.png, raw }) };
      }
      return { kind: 'bitflip', bytes: flipBits(rng, b) };
    default:
      return { kind: 'random', bytes: rng.bytes(rng.int(0, 299)) };
  }
}

const LOADERS: readonly [string, (path: string) => void][] = [
  ['loadImage', (path) => checkImage(loadImage(path))],
  ['loadImage#1', (path) => checkImage(loadImage(path, { index: 1 }))],
  ['loadImageSet', (path) => checkSet(loadImageSet(path))],
  [
    'loadLabels',
    (path) => {
      if (!(loadLabels(path) instanceof Uint16Array)) throw new Error('labels not a Uint16Array');
    },
  ],
];

/** Four cases per mutated file, one per loader; the file is written once for the four. */
export const imagesTarget: FuzzTarget = {
  name: 'images (IDX/NPY/PNG)',
  ciCases: 2880,
  make: (() => {
    let path = '';
    let kind = '';
    return (rng, i) => {
      if (i % LOADERS.length === 0) {
        const fx = IMAGE_FIXTURES[(i / LOADERS.length) % IMAGE_FIXTURES.length]!;
        const m = mutate(rng, fx);
        kind = `${fx.name}/${m.kind}`;
        path = scratchFile('image.bin', m.bytes);
      }
      const [loader, load] = LOADERS[i % LOADERS.length]!;
      const file = path;
      return { kind: `${kind} ${loader}`, run: () => load(file) };
    };
  })(),
};

/**
 * Loading the inputs of reference inference: single images, image sets and
 * class labels, from PNG, NPY or IDX files (any of them optionally gzipped,
 * as Debian's dataset-* packages ship MNIST-style data). The format is
 * detected from the content, not the extension.
 *
 * Every problem with an input file, however malformed, surfaces as a
 * one-line GenRtlError naming the file; sizes declared in headers are checked
 * against the bytes actually present before anything is allocated from them.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GenRtlError } from '../util/errors.js';
import { looksLikeIdx, parseIdx } from './idx.js';
import { formatShape, looksLikeNpy, parseNpy } from './npy.js';
import { decodePng, looksLikePng } from './png.js';

/** uint8 pixels in HWC order (row-major, channels innermost). */
export interface Image {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

export interface ImageSet {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  image(i: number): Image;
}

/** Applies both to files on disk and to gzip output, so a gzip bomb cannot exhaust memory. */
const MAX_BYTES = 2 ** 30;

const PIXEL_DTYPES = ['|u1'] as const;
const LABEL_DTYPES = ['|u1', '<i4', '<i8'] as const;
const MAX_LABEL = 65535;

type Format = 'png' | 'npy' | 'idx';

interface Input {
  readonly format: Format;
  /** Decompressed if the file was gzipped. */
  readonly bytes: Uint8Array;
}

/**
 * One image: a PNG, an NPY of uint8 pixels (shape (H,W) or (H,W,C), or a set
 * (N,H,W)/(N,H,W,C) with opts.index), or an IDX image file (with opts.index,
 * default 0).
 *
 * A 3-D NPY is ambiguous; it is read as one (H,W,C) image unless opts.index is
 * given, in which case it is a set (N,H,W) of gray images.
 */
export function loadImage(path: string, opts?: { readonly index?: number }): Image {
  const index = opts?.index;
  const input = readInput(path);
  switch (input.format) {
    case 'png':
      return singleImageAt(path, decodePng(input.bytes, path, MAX_BYTES), index);
    case 'idx':
      return idxImageSet(path, input.bytes).image(index ?? 0);
    case 'npy':
      return npyImage(path, input.bytes, index);
  }
}

/** A set of images: IDX (ubyte, dims (N,H,W) or (N,H,W,C)), NPY uint8 (N,H,W) or (N,H,W,C), or a single PNG as a set of one. */
export function loadImageSet(path: string): ImageSet {
  const input = readInput(path);
  switch (input.format) {
    case 'png': {
      const img = decodePng(input.bytes, path, MAX_BYTES);
      return new PackedImageSet(path, [1, img.height, img.width, img.channels], img.data);
    }
    case 'idx':
      return idxImageSet(path, input.bytes);
    case 'npy': {
      const arr = parseNpy(input.bytes, path, PIXEL_DTYPES, 'image pixels');
      if (arr.shape.length !== 3 && arr.shape.length !== 4) {
        throw new GenRtlError(path, `NPY image set has shape ${formatShape(arr.shape)}; expected (N, H, W) or (N, H, W, C)`);
      }
      return imageSet(path, arr.shape, arr.data);
    }
  }
}

/** Labels: IDX1 ubyte file or 1-D NPY of uint8/int64/int32 (values must be 0..65535). */
export function loadLabels(path: string): Uint16Array {
  const input = readInput(path);
  switch (input.format) {
    case 'png':
      throw new GenRtlError(path, 'this is a PNG image, not a label file (expected IDX1 or a 1-D NPY)');
    case 'idx':
      return Uint16Array.from(parseIdx(input.bytes, path, [1], '1 (an IDX1 label file)').data);
    case 'npy':
      return npyLabels(path, input.bytes);
  }
}

// ---------------------------------------------------------------------------
// Reading and format detection

function readInput(path: string): Input {
  const bytes = readBytes(path);
  if (isGzip(bytes)) {
    const inner = gunzip(bytes, path);
    if (isGzip(inner)) throw new GenRtlError(path, 'gzip inside gzip is not supported; decompress the file once');
    return { format: detect(inner, path, true), bytes: inner };
  }
  return { format: detect(bytes, path, false), bytes };
}

function readBytes(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new GenRtlError(path, 'is a directory, not a file');
    // FIFOs and devices could block forever or never end.
    if (!st.isFile()) throw new GenRtlError(path, 'is not a regular file');
    size = st.size;
  } catch (e) {
    throw fileError(path, e);
  }
  if (size > MAX_BYTES) throw new GenRtlError(path, `file is ${size} bytes; the limit is 1 GiB`);
  try {
    const buf = readFileSync(path);
    // A plain Uint8Array view: Buffer's slice() shares memory, Uint8Array's copies.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw fileError(path, e);
  }
}

function fileError(path: string, e: unknown): GenRtlError {
  if (e instanceof GenRtlError) return e;
  const code = e instanceof Error && 'code' in e ? String(e.code) : undefined;
  switch (code) {
    case 'ENOENT':
      return new GenRtlError(path, 'no such file');
    case 'EACCES':
    case 'EPERM':
      return new GenRtlError(path, 'permission denied');
    case 'EISDIR':
      return new GenRtlError(path, 'is a directory, not a file');
    case 'ENOTDIR':
      return new GenRtlError(path, 'a component of the path is not a directory');
    default:
      return new GenRtlError(path, `cannot read file (${code ?? (e instanceof Error ? e.message : String(e))})`);
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzip(bytes: Uint8Array, path: string): Uint8Array {
  try {
    const buf = gunzipSync(bytes, { maxOutputLength: MAX_BYTES });
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : '';
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new GenRtlError(path, 'gzip data decompresses to more than 1 GiB');
    throw new GenRtlError(path, `corrupt gzip data (${e instanceof Error ? e.message : String(e)})`);
  }
}

function detect(bytes: Uint8Array, path: string, gzipped: boolean): Format {
  if (looksLikePng(bytes)) return 'png';
  if (looksLikeNpy(bytes)) return 'npy';
  if (looksLikeIdx(bytes)) return 'idx';
  const what = gzipped ? 'the gzip content' : 'the file';
  throw new GenRtlError(
    path,
    bytes.length === 0
      ? `${what} is empty`
      : `unrecognized format: ${what} is not a PNG, NPY or IDX file (optionally gzipped)`,
  );
}

// ---------------------------------------------------------------------------
// Format-specific shaping

function idxImageSet(path: string, bytes: Uint8Array): ImageSet {
  const arr = parseIdx(bytes, path, [3, 4], '3 (N, H, W) or 4 (N, H, W, C) for images');
  return imageSet(path, arr.dims, arr.data);
}

function npyImage(path: string, bytes: Uint8Array, index: number | undefined): Image {
  const arr = parseNpy(bytes, path, PIXEL_DTYPES, 'image pixels');
  const { shape } = arr;
  if (shape.length === 4 || (shape.length === 3 && index !== undefined)) {
    return imageSet(path, shape, arr.data).image(index ?? 0);
  }
  if (shape.length === 2 || shape.length === 3) {
    const [h, w, c = 1] = shape;
    const set = imageSet(path, [1, h!, w!, c], arr.data);
    return singleImageAt(path, set.image(0), index);
  }
  throw new GenRtlError(
    path,
    `NPY image has shape ${formatShape(shape)}; expected (H, W), (H, W, C), (N, H, W) or (N, H, W, C)`,
  );
}

function npyLabels(path: string, bytes: Uint8Array): Uint16Array {
  const arr = parseNpy(bytes, path, LABEL_DTYPES, 'labels');
  if (arr.shape.length !== 1) {
    throw new GenRtlError(path, `NPY labels have shape ${formatShape(arr.shape)}; expected a 1-D array (N,)`);
  }
  const n = arr.shape[0]!;
  const view = new DataView(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const read: (i: number) => number | bigint =
    arr.descr === '<i8'
      ? (i) => view.getBigInt64(8 * i, true)
      : arr.descr === '<i4'
        ? (i) => view.getInt32(4 * i, true)
        : (i) => view.getUint8(i);
  const labels = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const v = read(i);
    if (v < 0 || v > MAX_LABEL) throw new GenRtlError(path, `label ${i} is ${v}; labels must be 0..${MAX_LABEL}`);
    labels[i] = Number(v);
  }
  return labels;
}

/** A single image (PNG, 2-D NPY) addressed like a set of one, so a stray index is still reported. */
function singleImageAt(path: string, img: Image, index: number | undefined): Image {
  checkIndex(path, index ?? 0, 1);
  return img;
}

/** Builds a set from dims (N, H, W) or (N, H, W, C) whose product the parser has matched to `data`. */
function imageSet(path: string, dims: readonly number[], data: Uint8Array): ImageSet {
  const [n, h, w, c = 1] = dims;
  if (n === 0) throw new GenRtlError(path, 'the file holds no images');
  if (h === 0 || w === 0 || c === 0) throw new GenRtlError(path, `images have an empty shape ${h}x${w}x${c}`);
  return new PackedImageSet(path, [n!, h!, w!, c], data);
}

function checkIndex(path: string, i: number, count: number): void {
  if (!Number.isInteger(i) || i < 0) throw new GenRtlError(path, `image index must be a non-negative integer, got ${i}`);
  if (i >= count) {
    throw new GenRtlError(
      path,
      `image index ${i} is out of range: the file holds ${count} image${count === 1 ? '' : 's'} (0..${count - 1})`,
    );
  }
}

class PackedImageSet implements ImageSet {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  private readonly imageSize: number;

  constructor(
    private readonly path: string,
    [count, height, width, channels]: readonly [number, number, number, number],
    private readonly pixels: Uint8Array,
  ) {
    this.count = count;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.imageSize = height * width * channels;
  }

  image(i: number): Image {
    checkIndex(this.path, i, this.count);
    const data = this.pixels.slice(i * this.imageSize, (i + 1) * this.imageSize);
    return { height: this.height, width: this.width, channels: this.channels, data };
  }
}

/**
 * Loading the inputs of reference inference: single images, image sets and
 * class labels, from PNG, NPY or IDX files (any of them optionally gzipped,
 * as Debian's dataset-* packages ship MNIST-style data). The format is
 * detected from the content, not the extension. An image set may also be a
 * folder of PNGs, labelled by a text file of file names (label-text.ts).
 *
 * Every problem with an input file, however malformed, surfaces as a
 * one-line GenRtlError naming the file; sizes declared in headers are checked
 * against the bytes actually present before anything is allocated from them.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GenRtlError } from '../util/errors.js';
import { naturalCompare } from '../util/natural-order.js';
import { looksLikeIdx, parseIdx } from './idx.js';
import { looksLikeText, parseLabelText, type NamedLabel } from './label-text.js';
import { formatShape, looksLikeNpy, parseNpy } from './npy.js';
import { decodePng, looksLikePng } from './png.js';

/** uint8 pixels in HWC order (row-major, channels innermost). */
export interface Image {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

/** Images of one shape; image(i) throws a GenRtlError naming the file if image i has another. */
export interface ImageSet {
  /** The file, or the folder of PNGs, the set was read from. */
  readonly path: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** A folder's PNG file names in set order (natural order of names); null for a one-file set. */
  readonly files: readonly string[] | null;
  image(i: number): Image;
  /** Where image i is stored, for messages: its PNG in a folder, else the set's file. */
  source(i: number): string;
}

/** Labels by position (IDX1, NPY) or, for a folder of PNGs, by file name (a text file). */
export type LabelFile =
  | { readonly kind: 'indexed'; readonly labels: Uint16Array }
  | { readonly kind: 'named'; readonly entries: readonly NamedLabel[] };

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

/**
 * A set of images: IDX (ubyte, dims (N,H,W) or (N,H,W,C)), NPY uint8 (N,H,W)
 * or (N,H,W,C), a single PNG as a set of one, or a folder of PNG files (`*.png`,
 * not hidden, in natural order of their names: img-2.png before img-10.png),
 * decoded one at a time as they are asked for.
 */
export function loadImageSet(path: string): ImageSet {
  if (isDirectory(path)) return pngFolder(path);
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
  return indexedLabels(path, readInput(path));
}

/**
 * Labels for a data set: IDX1 or NPY as loadLabels reads them, or (anything
 * else that is UTF-8 text) `FILE,LABEL` lines naming the PNGs of a folder.
 */
export function loadLabelFile(path: string): LabelFile {
  const { bytes, gzipped } = readMaybeGzipped(path);
  const format = sniff(bytes);
  if (format === null && bytes.length > 0 && looksLikeText(bytes)) return { kind: 'named', entries: parseLabelText(bytes, path) };
  return { kind: 'indexed', labels: indexedLabels(path, { format: format ?? unrecognized(bytes, path, gzipped, 'an IDX1 or NPY label file, nor UTF-8 text of "FILE,LABEL" lines'), bytes }) };
}

function indexedLabels(path: string, input: Input): Uint16Array {
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
  const { bytes, gzipped } = readMaybeGzipped(path);
  return { format: sniff(bytes) ?? unrecognized(bytes, path, gzipped), bytes };
}

function readMaybeGzipped(path: string): { bytes: Uint8Array; gzipped: boolean } {
  const bytes = readBytes(path);
  if (!isGzip(bytes)) return { bytes, gzipped: false };
  const inner = gunzip(bytes, path);
  if (isGzip(inner)) throw new GenRtlError(path, 'gzip inside gzip is not supported; decompress the file once');
  return { bytes: inner, gzipped: true };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // readBytes reports the problem
  }
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

function sniff(bytes: Uint8Array): Format | null {
  if (looksLikePng(bytes)) return 'png';
  if (looksLikeNpy(bytes)) return 'npy';
  if (looksLikeIdx(bytes)) return 'idx';
  return null;
}

function unrecognized(bytes: Uint8Array, path: string, gzipped: boolean, expected = 'a PNG, NPY or IDX file (optionally gzipped)'): never {
  const what = gzipped ? 'the gzip content' : 'the file';
  throw new GenRtlError(path, bytes.length === 0 ? `${what} is empty` : `unrecognized format: ${what} is not ${expected}`);
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

function formatHwc(s: { readonly height: number; readonly width: number; readonly channels: number }): string {
  return `${s.height}x${s.width}x${s.channels}`;
}

function pngFolder(dir: string): ImageSet {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && /\.png$/i.test(e.name))
      .map((e) => e.name);
  } catch (e) {
    throw fileError(dir, e);
  }
  if (names.length === 0) throw new GenRtlError(dir, 'is a folder with no .png files (a folder image set is read from its *.png files)');
  return new PngFolderSet(dir, names.sort(naturalCompare));
}

/** Decodes each PNG when asked for it; the first one sets the shape every other must have. */
class PngFolderSet implements ImageSet {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;

  constructor(
    readonly path: string,
    readonly files: readonly string[],
  ) {
    this.count = files.length;
    const first = this.decode(0);
    this.height = first.height;
    this.width = first.width;
    this.channels = first.channels;
  }

  source(i: number): string {
    return join(this.path, this.files[i]!);
  }

  image(i: number): Image {
    checkIndex(this.path, i, this.count);
    const img = this.decode(i);
    if (img.height !== this.height || img.width !== this.width || img.channels !== this.channels) {
      throw new GenRtlError(
        this.source(i),
        `is ${formatHwc(img)} but ${this.files[0]}, the folder's first image, is ${formatHwc(this)} (HxWxC); the images of a folder must all have one size`,
      );
    }
    return img;
  }

  private decode(i: number): Image {
    const file = this.source(i);
    const bytes = readBytes(file);
    if (!looksLikePng(bytes)) throw new GenRtlError(file, 'is named .png but is not a PNG file');
    return decodePng(bytes, file, MAX_BYTES);
  }
}

class PackedImageSet implements ImageSet {
  readonly files = null;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  private readonly imageSize: number;

  constructor(
    readonly path: string,
    [count, height, width, channels]: readonly [number, number, number, number],
    private readonly pixels: Uint8Array,
  ) {
    this.count = count;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.imageSize = height * width * channels;
  }

  source(): string {
    return this.path;
  }

  image(i: number): Image {
    checkIndex(this.path, i, this.count);
    const data = this.pixels.slice(i * this.imageSize, (i + 1) * this.imageSize);
    return { height: this.height, width: this.width, channels: this.channels, data };
  }
}

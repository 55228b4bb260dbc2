/**
 * PNG decoding through pngjs, with a structural pre-pass of our own: pngjs
 * sizes its buffers from IHDR alone and reports problems as assorted raw
 * errors, so the chunk layout, header fields and claimed size are checked
 * here first, and anything pngjs still throws is turned into a GenRtlError.
 */
import { crc32, inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { GenRtlError } from '../util/errors.js';
import type { Image } from './images.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Deflate cannot compress better than about 1032:1, so image data that would
 * need a higher ratio to fill the declared size is certainly truncated or a lie.
 */
const MAX_DEFLATE_RATIO = 1032;
const DEFLATE_SLACK = 1024;

/** Samples per pixel in the stored data, by PNG color type. */
const SAMPLES: ReadonlyMap<number, number> = new Map([
  [0, 1], // gray
  [2, 3], // RGB
  [3, 1], // palette index
  [4, 2], // gray + alpha
  [6, 4], // RGBA
]);

/** Legal bit depths by color type (PNG spec, table 11.1). */
const DEPTHS: ReadonlyMap<number, readonly number[]> = new Map([
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]],
]);

/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Header {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

interface Chunk {
  readonly type: string;
  readonly start: number; // offset of the chunk's length field
  readonly end: number; // offset just past its CRC
  readonly data: Uint8Array;
}

export function looksLikePng(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Decodes an 8-bit (or lower) PNG. Channels follow the color type: gray → 1,
 * RGB and palette → 3. Alpha (an alpha channel or a tRNS chunk) is dropped
 * without compositing against any background: the stored colors are what
 * the network sees. Sub-byte gray depths are scaled to 0..255 (pngjs's
 * rescaling: 1-bit black/white becomes 0/255).
 */
export function decodePng(bytes: Uint8Array, where: string, maxDecodedBytes: number): Image {
  const chunks = walkChunks(bytes, where);
  const header = parseIhdr(chunks[0]!, where);
  const idat = chunks.filter((c) => c.type === 'IDAT');
  if (idat.length === 0) throw new GenRtlError(where, 'PNG has no image data (no IDAT chunk)');
  checkDeclaredSize(header, idat, where, maxDecodedBytes);

  // pngjs's tRNS handling zeroes the color of "transparent" pixels, which is
  // compositing in disguise; without the chunk the stored colors come through.
  const kept = chunks.filter((c) => c.type !== 'tRNS');
  const rgba = runPngjs(bytes, kept, where);
  if (rgba.length !== header.width * header.height * 4) {
    throw new GenRtlError(where, 'PNG decoder returned an unexpected amount of pixel data');
  }
  return fromRgba(rgba, header);
}

/** Splits the file into chunks up to IEND, checking that each fits in the file and is intact. */
function walkChunks(bytes: Uint8Array, where: string): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  let pos = SIGNATURE.length;
  for (;;) {
    if (pos + 8 > bytes.length) {
      throw new GenRtlError(where, `PNG truncated at byte ${pos}: ${chunks.length === 0 ? 'no IHDR chunk' : 'no IEND chunk'}`);
    }
    const len = view.getUint32(pos, false);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw new GenRtlError(where, `corrupt PNG: invalid chunk type at byte ${pos + 4}`);
    const end = pos + 12 + len;
    if (end > bytes.length) {
      throw new GenRtlError(
        where,
        `PNG truncated: chunk ${type} at byte ${pos} needs ${len + 12} bytes but only ${bytes.length - pos} remain`,
      );
    }
    // Checked here because pngjs's sync reader loses its own CRC error behind a generic one.
    if (crc32(bytes.subarray(pos + 4, end - 4)) !== view.getUint32(end - 4, false)) {
      throw new GenRtlError(where, `corrupt PNG: chunk ${type} at byte ${pos} fails its CRC check`);
    }
    chunks.push({ type, start: pos, end, data: bytes.subarray(pos + 8, pos + 8 + len) });
    if (chunks.length === 1 && type !== 'IHDR') throw new GenRtlError(where, `corrupt PNG: first chunk is ${type}, not IHDR`);
    if (type === 'IEND') return chunks;
    pos = end;
  }
}

function parseIhdr(chunk: Chunk, where: string): Header {
  if (chunk.data.length !== 13) throw new GenRtlError(where, `corrupt PNG: IHDR is ${chunk.data.length} bytes, not 13`);
  const view = new DataView(chunk.data.buffer, chunk.data.byteOffset, 13);
  const width = view.getUint32(0, false);
  const height = view.getUint32(4, false);
  const [depth, colorType, compression, filter, interlace] = chunk.data.subarray(8, 13);
  if (width === 0 || height === 0) throw new GenRtlError(where, `PNG declares an empty ${width}x${height} image`);
  const depths = DEPTHS.get(colorType!);
  if (depths === undefined) throw new GenRtlError(where, `corrupt PNG: unknown color type ${colorType}`);
  if (depth === 16) {
    throw new GenRtlError(where, '16-bit PNG samples are not supported; only 8-bit PNGs are (re-save it with 8 bits per sample)');
  }
  if (!depths.includes(depth!)) throw new GenRtlError(where, `corrupt PNG: bit depth ${depth} is illegal for color type ${colorType}`);
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1)) {
    throw new GenRtlError(where, 'corrupt PNG: unknown compression, filter or interlace method in IHDR');
  }
  return { width, height, depth: depth!, colorType: colorType!, interlaced: interlace === 1 };
}

/** Filtered scanline bytes the header implies: per pass, per row, a filter byte plus the packed samples. */
function rawSize(h: Header): number {
  const bitsPerPixel = SAMPLES.get(h.colorType)! * h.depth;
  const passes = h.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = h.width > x0 ? Math.ceil((h.width - x0) / dx) : 0;
    const rows = h.height > y0 ? Math.ceil((h.height - y0) / dy) : 0;
    if (w > 0 && rows > 0) total += rows * (1 + Math.ceil((w * bitsPerPixel) / 8));
  }
  return total;
}

/** Rejects headers whose size the image data cannot back, before pngjs allocates from them. */
function checkDeclaredSize(h: Header, idat: readonly Chunk[], where: string, maxDecodedBytes: number): void {
  const compressed = idat.reduce((n, c) => n + c.data.length, 0);
  const raw = rawSize(h);
  if (raw > compressed * MAX_DEFLATE_RATIO + DEFLATE_SLACK) {
    throw new GenRtlError(
      where,
      `PNG declares ${h.width}x${h.height} pixels but holds only ${compressed} bytes of compressed image data (truncated or corrupt)`,
    );
  }
  if (h.width * h.height * 4 > maxDecodedBytes) {
    throw new GenRtlError(where, `PNG of ${h.width}x${h.height} pixels is too large to decode (limit ${maxDecodedBytes} bytes)`);
  }
  // pngjs inflates interlaced data with no output limit; bound it here.
  if (h.interlaced) {
    try {
      inflateSync(concat(idat.map((c) => c.data)), { maxOutputLength: raw });
    } catch (e) {
      throw new GenRtlError(where, `corrupt PNG image data (${errorText(e)})`);
    }
  }
}

function runPngjs(bytes: Uint8Array, chunks: readonly Chunk[], where: string): Uint8Array {
  const parts = [bytes.subarray(0, SIGNATURE.length), ...chunks.map((c) => bytes.subarray(c.start, c.end))];
  const input = Buffer.from(concat(parts).buffer);
  try {
    const png = PNG.sync.read(input);
    return new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  } catch (e) {
    throw new GenRtlError(where, `corrupt PNG (${errorText(e)})`);
  }
}

/** pngjs always hands back RGBA; keep the channels the file actually has. */
function fromRgba(rgba: Uint8Array, h: Header): Image {
  const channels = h.colorType === 0 || h.colorType === 4 ? 1 : 3;
  const pixels = h.width * h.height;
  const data = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) data[p * channels + c] = rgba[p * 4 + c]!;
  }
  return { height: h.height, width: h.width, channels, data };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

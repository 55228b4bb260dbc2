/**
 * Image and label files built byte by byte (IDX, NPY, PNG), so tests know the
 * expected pixels exactly and fuzzers have valid files to damage.
 */
import { crc32, deflateSync } from 'node:zlib';
import { PNG, type ColorType } from 'pngjs';

export function seq(n: number, mul = 1, add = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * mul + add) & 0xff);
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

export function u32be(...values: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v, false));
  return out;
}

export function idx(dims: readonly number[], data: Uint8Array, typeCode = 0x08): Uint8Array {
  return concat(Uint8Array.of(0, 0, typeCode, dims.length), u32be(...dims), data);
}

export interface NpyOpts {
  readonly version?: 1 | 2 | 3;
  readonly fortran?: boolean;
  /** Replaces the whole dict literal. */
  readonly header?: string;
}

export function npyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Writes .npy as numpy does: header padded with spaces to a 64-byte boundary and ended by '\n'. */
export function npy(descr: string, shape: readonly number[], data: Uint8Array, opts: NpyOpts = {}): Uint8Array {
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

export function int64le(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return out;
}

export function int32le(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt32(4 * i, v, true));
  return out;
}

/** A PNG through pngjs's own encoder; `data` is in the layout of `colorType`. */
export function pngjsPng(width: number, height: number, colorType: ColorType, data: Uint8Array): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(data);
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: colorType }));
}

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = new TextEncoder().encode(type);
  return concat(u32be(data.length), typeBytes, data, u32be(crc32(concat(typeBytes, data))));
}

export interface RawPng {
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
export function rawPng(p: RawPng): Uint8Array {
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
export function scanlines(data: Uint8Array, bytesPerRow: number): Uint8Array {
  const rows: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += bytesPerRow) rows.push(concat(Uint8Array.of(0), data.subarray(off, off + bytesPerRow)));
  return concat(...rows);
}

/** Adam7 scanlines of an 8-bit gray image. */
export function adam7Gray(width: number, height: number, px: Uint8Array): Uint8Array {
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

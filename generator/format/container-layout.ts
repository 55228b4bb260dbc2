/**
 * Byte layout, limits and diagnostics shared by the `.sepb` container reader
 * and writer. The normative description is docs/sepb-format.md.
 */

/** PNG-style signature: the 0x89 catches 7-bit channels, CR LF catches text-mode transfers. */
export const MAGIC_BYTES: readonly number[] = [0x89, 0x53, 0x45, 0x50, 0x42, 0x0d, 0x0a, 0x1a];

export const MAJOR_VERSION = 1;
/** Written by this gen-rtl; files with a higher minor are read, ignoring what they add. */
export const MINOR_VERSION = 0;

export const HEADER_SIZE = 32;
export const TRAILER_SIZE = 32;
export const ALIGNMENT = 64;
export const PAD_BYTE = 0x20;

/** Byte offsets of the header fields. */
export const FIELD = {
  magic: 0,
  major: 8,
  minor: 10,
  headerSize: 12,
  jsonLength: 16,
  blobOffset: 20,
  totalLength: 24,
} as const;

/**
 * Hard limits. They bound what a hostile or corrupted file can make the reader
 * allocate or loop over; real models are far below every one of them.
 */
export const LIMITS = {
  maxFileBytes: 2 ** 30,
  maxTensors: 100_000,
  maxNameLength: 200,
  maxRank: 8,
  maxDim: 2 ** 24,
  maxElements: 2 ** 31,
  /** Levels of arrays/objects below the model root; stops cycles in the writer and deep recursion in consumers. */
  maxModelDepth: 1000,
} as const;

export function alignUp(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

export function hexByte(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function hexBytes(bytes: ArrayLike<number>): string {
  return Array.from(bytes, hexByte).join(' ');
}

/** Escapes control and line-separator characters so an error message stays on one line. */
export function oneLine(text: string, maxLength = 200): string {
  const escaped = text.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return escaped.length > maxLength ? `${escaped.slice(0, maxLength - 3)}...` : escaped;
}

/**
 * Returns why `bytes` does not start with the signature, or undefined when every
 * byte present matches (a short prefix of a real file is a truncation, reported
 * elsewhere).
 */
export function magicProblem(bytes: Uint8Array): string | undefined {
  const n = Math.min(bytes.length, MAGIC_BYTES.length);
  let matches = true;
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) matches = false;
  }
  if (matches) return undefined;
  const found = hexBytes(bytes.subarray(0, MAGIC_BYTES.length));
  const hint = recognize(bytes);
  return (
    `not a .sepb model file: it starts with ${found} instead of ${hexBytes(MAGIC_BYTES)}` +
    (hint === undefined ? '' : ` (${hint})`)
  );
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/** Names the usual suspects, so the user learns what went wrong rather than just "bad magic". */
function recognize(bytes: Uint8Array): string | undefined {
  const sepb = ascii('SEPB');
  if (startsWith(bytes, [0x09, ...sepb])) {
    return 'the high bit of the first byte was stripped: the file went through a 7-bit text channel';
  }
  if (startsWith(bytes, [0x89, ...sepb, 0x0a, 0x1a])) {
    return 'CR LF became LF: the file was transferred in text mode (e.g. FTP ASCII or git eol conversion)';
  }
  if (startsWith(bytes, [0x89, ...sepb, 0x0d, 0x0d, 0x0a])) {
    return 'LF became CR LF: the file was transferred in text mode (e.g. FTP ASCII or git eol conversion)';
  }
  if (startsWith(bytes, [0x89, ...sepb])) return 'damaged signature; the file is corrupted';
  if (startsWith(bytes, ascii('version https://git-lfs'))) {
    return 'a Git LFS pointer, not the model itself: run `git lfs pull`';
  }
  if (startsWith(bytes, [0x89, ...ascii('HDF\r\n'), 0x1a, 0x0a])) return 'an HDF5 file, e.g. a Keras .h5 model';
  if (startsWith(bytes, ascii('PK\u0003\u0004'))) return 'a ZIP archive, e.g. a PyTorch .pt or Keras .keras file';
  if (startsWith(bytes, [0x93, ...ascii('NUMPY')])) return 'a NumPy .npy array';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'a gzip-compressed file: decompress it first';
  if (looksLikeText(bytes)) {
    const first = firstNonSpace(bytes.subarray(0, 256));
    return first === 0x7b || first === 0x5b ? 'it looks like JSON text' : 'it looks like a text file';
  }
  return undefined;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const prefix = bytes.subarray(0, 256);
  return prefix.length > 0 && prefix.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  return bytes.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
}

/**
 * The `.sepb` model container, format version 1: a fixed header, the model
 * description as JSON, 64-byte-aligned tensor blobs and a SHA-256 trailer.
 * The specification is docs/sepb-format.md.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { GenRtlError } from '../util/errors.js';
import { LIMITS, MAGIC_BYTES, MAJOR_VERSION, oneLine } from './container-layout.js';
import { type ContainerContents, readContainer } from './container-read.js';

export type { DType, Tensor, TensorData } from './container-tensors.js';
export { dtypeByteLength, packBits, unpackBits } from './container-tensors.js';
export { readContainer } from './container-read.js';
export { writeContainer } from './container-write.js';

/** A copy: mutating it cannot affect the reader or writer. */
export const SEPB_MAGIC: Uint8Array = Uint8Array.from(MAGIC_BYTES);
export const SEPB_VERSION = MAJOR_VERSION;

/** Reads and validates a `.sepb` file; refuses non-regular files and files over 1 GiB before reading them. */
export function readContainerFile(path: string): ContainerContents {
  return readContainer(readBoundedFile(path), path);
}

function readBoundedFile(path: string): Uint8Array {
  // stat before open: opening a FIFO or device could block or never end.
  checkFileStats(path, fsCall(path, () => statSync(path)));
  const fd = fsCall(path, () => openSync(path, 'r'));
  try {
    // Again on the open descriptor, in case the path was replaced in between.
    const stats = fsCall(path, () => fstatSync(fd));
    checkFileStats(path, stats);
    const buffer = new Uint8Array(stats.size);
    let filled = 0;
    while (filled < buffer.length) {
      const n = fsCall(path, () => readSync(fd, buffer, filled, buffer.length - filled, filled));
      if (n === 0) break; // shrank while reading: the container checks report the truncation
      filled += n;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

function checkFileStats(path: string, stats: Stats): void {
  if (!stats.isFile()) throw new GenRtlError(path, `not a regular file (${fileKind(stats)})`);
  if (stats.size > LIMITS.maxFileBytes) {
    throw new GenRtlError(path, `file is ${stats.size} bytes; gen-rtl reads .sepb files of at most 1 GiB`);
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a file';
}

function fsCall<T>(path: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw new GenRtlError(path, describeFsError(err));
  }
}

function describeFsError(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'not a regular file (a directory)';
    default:
      return `cannot read: ${oneLine(err instanceof Error ? err.message : String(err))}`;
  }
}

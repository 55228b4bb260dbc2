/**
 * IDX, the MNIST container (yann.lecun.com/exdb/mnist): two zero bytes, an
 * element type code, a dimension count, one big-endian uint32 per dimension,
 * then the elements in C order. Only unsigned bytes are loadable; pixels and
 * class labels of every MNIST-style data set are stored that way.
 */
import { GenRtlError } from '../util/errors.js';

/** The type codes the format defines, so an unsupported one can be named in the error. */
const IDX_TYPES: ReadonlyMap<number, string> = new Map([
  [0x08, 'unsigned byte'],
  [0x09, 'signed byte'],
  [0x0b, 'int16'],
  [0x0c, 'int32'],
  [0x0d, 'float32'],
  [0x0e, 'float64'],
]);

const UBYTE = 0x08;

export interface IdxArray {
  readonly dims: readonly number[];
  /** A view into the input bytes, exactly the product of `dims` long. */
  readonly data: Uint8Array;
}

/** IDX has no magic string; the two leading zero bytes are the only signature. */
export function looksLikeIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 0;
}

/**
 * Parses an IDX ubyte file whose dimension count is one of `allowedDims`
 * (`dimsHelp` says what they mean, for the error). The data length is checked
 * against the header before anything is sized from it.
 */
export function parseIdx(
  bytes: Uint8Array,
  where: string,
  allowedDims: readonly number[],
  dimsHelp: string,
): IdxArray {
  if (bytes.length < 4) {
    throw new GenRtlError(where, `IDX header truncated: the file holds ${bytes.length} bytes, the header alone needs at least 4`);
  }
  checkType(bytes[2]!, where);
  const ndims = bytes[3]!;
  if (!allowedDims.includes(ndims)) {
    throw new GenRtlError(where, `IDX file has ${ndims} dimension${ndims === 1 ? '' : 's'}; expected ${dimsHelp}`);
  }
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new GenRtlError(
      where,
      `IDX header truncated: ${ndims} dimensions need a ${headerLen}-byte header but the file holds ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));

  const dataLen = bytes.length - headerLen;
  // BigInt: four uint32 dimensions can multiply past 2^53.
  const declared = dims.reduce((p, d) => p * BigInt(d), 1n);
  if (declared !== BigInt(dataLen)) {
    throw new GenRtlError(
      where,
      `IDX header declares ${describeDims(dims)} = ${declared} bytes but the file holds ${dataLen} after the ${headerLen}-byte header`,
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}

function checkType(code: number, where: string): void {
  if (code === UBYTE) return;
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  const name = IDX_TYPES.get(code);
  throw new GenRtlError(
    where,
    name === undefined
      ? `unknown IDX element type code ${hex} (not an IDX file?)`
      : `IDX element type ${hex} (${name}) is not supported; only unsigned byte (0x08) is`,
  );
}

/** Reads the way MNIST's own documentation does: "60000 images of 28x28". */
function describeDims(dims: readonly number[]): string {
  const [n, ...rest] = dims;
  if (dims.length === 1) return `${n} label${n === 1 ? '' : 's'}`;
  if (dims.length === 3 || dims.length === 4) return `${n} image${n === 1 ? '' : 's'} of ${rest.join('x')}`;
  return `shape ${dims.join('x')}`;
}

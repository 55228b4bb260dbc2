/**
 * NumPy's .npy format (numpy.org/neps/nep-0001-npy-format.html): magic
 * `\x93NUMPY`, version bytes, a little-endian header length, then a Python
 * dict literal such as `{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }`
 * and the raw array bytes. The header is read by a small strict parser for
 * exactly that literal syntax; nothing is evaluated.
 */
import { GenRtlError } from '../util/errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy itself refuses headers over 10000 bytes by default; a generous cap keeps decoding cheap. */
const MAX_HEADER_LEN = 65536;

export interface NpyArray {
  /** Normalized dtype: one-byte types always as `|u1` / `|i1`. */
  readonly descr: string;
  readonly shape: readonly number[];
  /** A view into the input bytes, exactly shape product × item size long. */
  readonly data: Uint8Array;
}

export function looksLikeNpy(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Parses an .npy file whose dtype is one of `allowedDescrs` (normalized
 * spelling, e.g. `|u1`, `<i8`); `purpose` says what the array is for, for the error.
 */
export function parseNpy(bytes: Uint8Array, where: string, allowedDescrs: readonly string[], purpose: string): NpyArray {
  const { headerText, dataStart } = splitHeader(bytes, where);
  const header = parseHeader(headerText, where);
  const descr = normalizeDescr(header.descr);
  if (!allowedDescrs.includes(descr)) {
    throw new GenRtlError(
      where,
      `unsupported NPY dtype ${quote(header.descr)} for ${purpose} (supported: ${allowedDescrs.join(', ')})`,
    );
  }
  if (header.fortranOrder) {
    throw new GenRtlError(where, 'NPY array is in Fortran order; save it in C order (numpy.ascontiguousarray)');
  }
  const itemSize = Number(descr.slice(2));
  const dataLen = bytes.length - dataStart;
  // BigInt: the header's dimensions are arbitrary and may multiply past 2^53.
  const declared = header.shape.reduce((p, d) => p * BigInt(d), BigInt(itemSize));
  if (declared !== BigInt(dataLen)) {
    throw new GenRtlError(
      where,
      `NPY header declares shape ${formatShape(header.shape)} of ${quote(header.descr)} = ${declared} bytes ` +
        `but the file holds ${dataLen} after the ${dataStart}-byte header`,
    );
  }
  return { descr, shape: header.shape, data: bytes.subarray(dataStart) };
}

export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function splitHeader(bytes: Uint8Array, where: string): { headerText: string; dataStart: number } {
  if (bytes.length < 10) throw new GenRtlError(where, `NPY file truncated: ${bytes.length} bytes, shorter than its preamble`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!(major === 1 || major === 2 || major === 3) || minor !== 0) {
    throw new GenRtlError(where, `unsupported NPY format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) throw new GenRtlError(where, `NPY file truncated: ${bytes.length} bytes, shorter than its preamble`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = lenSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lenSize;
  if (headerLen > MAX_HEADER_LEN) {
    throw new GenRtlError(where, `NPY header length ${headerLen} is implausible (the limit is ${MAX_HEADER_LEN} bytes)`);
  }
  if (headerStart + headerLen > bytes.length) {
    throw new GenRtlError(
      where,
      `NPY header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`,
    );
  }
  // Versions 1/2 are latin-1, 3 is UTF-8; every legal header we accept is
  // ASCII, so byte-per-char decoding is enough and a stray high byte simply
  // fails to parse.
  let headerText = '';
  for (let i = headerStart; i < headerStart + headerLen; i++) headerText += String.fromCharCode(bytes[i]!);
  return { headerText, dataStart: headerStart + headerLen };
}

interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
}

type PyValue = string | boolean | readonly number[];

function parseHeader(text: string, where: string): NpyHeader {
  const dict = new HeaderParser(text, where).parseDict();
  const descr = dict.get('descr');
  const fortranOrder = dict.get('fortran_order');
  const shape = dict.get('shape');
  const bad = (what: string): GenRtlError => new GenRtlError(where, `bad NPY header: ${what}`);
  for (const key of dict.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') throw bad(`unexpected key ${quote(key)}`);
  }
  if (typeof descr !== 'string') throw bad(descr === undefined ? "missing 'descr'" : "'descr' is not a string (structured dtypes are not supported)");
  if (typeof fortranOrder !== 'boolean') throw bad(fortranOrder === undefined ? "missing 'fortran_order'" : "'fortran_order' is not True/False");
  if (!Array.isArray(shape)) throw bad(shape === undefined ? "missing 'shape'" : "'shape' is not a tuple");
  return { descr, fortranOrder, shape };
}

/** Recursive descent over the one Python literal shape numpy writes. */
class HeaderParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly where: string,
  ) {}

  parseDict(): Map<string, PyValue> {
    const dict = new Map<string, PyValue>();
    this.expect('{');
    while (!this.accept('}')) {
      const key = this.parseString();
      if (dict.has(key)) throw this.fail(`duplicate key ${quote(key)}`);
      this.expect(':');
      dict.set(key, this.parseValue());
      if (!this.accept(',')) {
        this.expect('}');
        break;
      }
    }
    this.skipSpace();
    if (this.pos !== this.text.length) throw this.fail('trailing characters after the dict');
    return dict;
  }

  private parseValue(): PyValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "'" || c === '"') return this.parseString();
    if (c === '(') return this.parseTuple();
    if (this.acceptWord('True')) return true;
    if (this.acceptWord('False')) return false;
    throw this.fail('expected a string, True, False or a tuple');
  }

  private parseString(): string {
    this.skipSpace();
    const delim = this.text[this.pos];
    if (delim !== "'" && delim !== '"') throw this.fail('expected a quoted string');
    const end = this.text.indexOf(delim, this.pos + 1);
    if (end < 0) throw this.fail('unterminated string');
    const s = this.text.slice(this.pos + 1, end);
    // No escape handling: numpy never writes escapes in the keys and dtypes we accept.
    if (s.includes('\\')) throw this.fail('escape sequences are not supported');
    this.pos = end + 1;
    return s;
  }

  /** Python tuple semantics: `(3,)` is a tuple, `(3)` is not. */
  private parseTuple(): readonly number[] {
    this.expect('(');
    const items: number[] = [];
    let trailingComma = false;
    while (!this.accept(')')) {
      items.push(this.parseInt());
      trailingComma = this.accept(',');
      if (!trailingComma) {
        this.expect(')');
        break;
      }
    }
    if (items.length === 1 && !trailingComma) throw this.fail('a one-element shape needs a trailing comma, e.g. (3,)');
    return items;
  }

  private parseInt(): number {
    this.skipSpace();
    const m = /^[0-9]+L?/.exec(this.text.slice(this.pos)); // the L is Python 2's long suffix
    if (m === null) throw this.fail('expected a non-negative integer');
    const n = Number(m[0].replace('L', ''));
    if (!Number.isSafeInteger(n)) throw this.fail(`dimension ${m[0]} is too large`);
    this.pos += m[0].length;
    return n;
  }

  private expect(c: string): void {
    if (!this.accept(c)) throw this.fail(`expected '${c}'`);
  }

  private accept(c: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private acceptWord(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos]!)) this.pos++;
  }

  private fail(what: string): GenRtlError {
    return new GenRtlError(this.where, `bad NPY header at character ${this.pos}: ${what}`);
  }
}

/** Quotes text from the file for an error message, escaping anything that could break the one-line format. */
function quote(s: string): string {
  const escape = (c: string): string =>
    c === "'" || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  return `'${s.replace(/[^\x20-\x7e]|\\|'/g, escape)}'`;
}

/** Byte order is meaningless for one-byte types, so every spelling of them maps to `|`. */
function normalizeDescr(descr: string): string {
  const m = /^[<>|=]?([ui]1)$/.exec(descr);
  return m === null ? descr : `|${m[1]}`;
}

/**
 * ONNX files on disk: reading them (with the usual file problems named) and
 * importing them with the command line's options.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { mergesPrb, parseBinarizePolicy, type BinarizePolicy } from '../quant/quantize.js';
import { GenRtlError } from '../util/errors.js';
import { importOnnx, type ImportedGraph } from './import.js';

const MAX_ONNX_BYTES = 2 ** 30;

/** Whether a model path names an ONNX file rather than a .sepb. */
export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

export function readOnnxFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new GenRtlError(path, 'is a directory, not an ONNX file');
    size = st.size;
  } catch (e) {
    if (e instanceof GenRtlError) throw e;
    throw new GenRtlError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size > MAX_ONNX_BYTES) throw new GenRtlError(path, `is ${size} bytes; gen-rtl reads ONNX files up to 1 GiB`);
  return new Uint8Array(readFileSync(path));
}

function numberList(v: string | undefined, opt: string): number[] | undefined {
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isFinite(x))) throw new GenRtlError(opt, `must be comma-separated numbers, got ${JSON.stringify(v)}`);
  if (opt === '--std' && xs.some((x) => x <= 0)) throw new GenRtlError(opt, `must be positive, got ${JSON.stringify(v)}`);
  return xs;
}

export interface LoadOnnxOptions {
  readonly binarize: BinarizePolicy;
  readonly name?: string | undefined;
  /** Comma-separated, as on the command line. */
  readonly mean?: string | undefined;
  readonly std?: string | undefined;
  /** Names separated by | (or by commas when there is no |). */
  readonly classes?: string | undefined;
}

/** The model's name: --name, else the file name, whose control characters (names must print on one line) become '_'. */
function modelName(path: string, name: string | undefined): string {
  if (name === undefined) return basename(path).replace(/\.onnx$/i, '').replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '_');
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(name)) throw new GenRtlError('--name', 'must not hold control characters or line breaks');
  return name;
}

/** Reads an ONNX file as a float model; a k×k + 1×1 pair becomes a PRB only when the policy binarizes that k×k and not the 1×1. */
export function loadOnnx(path: string, opts: LoadOnnxOptions): ImportedGraph {
  const rule = parseBinarizePolicy(opts.binarize);
  const classes = opts.classes === undefined ? undefined : opts.classes.split(opts.classes.includes('|') ? '|' : ',').map((s) => s.trim());
  return importOnnx(readOnnxFile(path), path, {
    mergePrb: (k) => mergesPrb(rule, k),
    name: modelName(path, opts.name),
    mean: numberList(opts.mean, '--mean'),
    std: numberList(opts.std, '--std'),
    classes,
  });
}

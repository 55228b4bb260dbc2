/**
 * Fuzz cases through the built CLI, one command per input parser: each
 * malformed file the parser rejects in-process must make the CLI exit 1 with
 * exactly that one-line message on stderr, no stack trace, and nothing written.
 * `npm test` builds dist/ first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFolding } from '../../generator/cli/commands.js';
import { readModel } from '../../generator/format/model-file.js';
import { loadImage, loadLabelFile } from '../../generator/io/images.js';
import { loadDeviceFile } from '../../generator/map/devices.js';
import { loadOnnx } from '../../generator/onnx/file.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { FuzzRng, mutateBytes } from '../fuzz/harness.js';
import { idx, pngjsPng, seq } from '../fuzz/image-files.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');
const CASES_PER_PARSER = 3;

let dir = '';
let tiny = '';

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-cli-fuzz-'));
  tiny = join(dir, 'tiny.sepb');
  expect(spawnSync(process.execPath, [BIN, 'zoo', 'sepnet-tiny-28', '--out', tiny]).status).toBe(0);
});

interface Parser {
  readonly name: string;
  readonly file: string;
  /** A valid input. */
  readonly valid: () => Uint8Array;
  /** The parser in-process, on the file at `path`. */
  readonly parse: (path: string) => unknown;
  /** The CLI command reading the file at `path`. */
  readonly args: (path: string) => string[];
}

const PARSERS: readonly Parser[] = [
  { name: '.sepb', file: 'm.sepb', valid: () => readFileSync(tiny), parse: (p) => readModel(readFileSync(p), p), args: (p) => ['inspect', p] },
  {
    name: 'ONNX',
    file: 'm.onnx',
    valid: () => readFileSync(join(ROOT, 'test', 'fixtures', 'onnx', 'prb-net-op17.onnx')),
    parse: (p) => loadOnnx(p, { binarize: 'kxk' }),
    args: (p) => ['import', p, '--out', join(dir, 'never.sepb')],
  },
  { name: 'PNG image', file: 'img.png', valid: () => pngjsPng(28, 28, 0, seq(784, 7)), parse: (p) => loadImage(p), args: (p) => ['run', tiny, '--input', p] },
  { name: 'IDX image', file: 'img.idx', valid: () => idx([2, 28, 28], seq(1568, 3)), parse: (p) => loadImage(p), args: (p) => ['run', tiny, '--input', p] },
  {
    name: 'labels',
    file: 'labels.idx',
    valid: () => idx([2], Uint8Array.of(1, 2)),
    parse: (p) => loadLabelFile(p),
    args: (p) => ['run', tiny, '--dataset', writeOnce('set.idx', idx([2, 28, 28], seq(1568, 3))), '--labels', p],
  },
  {
    name: 'folding JSON',
    file: 'fold.json',
    valid: () => new TextEncoder().encode('{"stages": {"conv1": {"pe": 2, "simd": 1, "window": false}}}'),
    parse: (p) => readFolding(readModel(readFileSync(tiny), tiny), p),
    args: (p) => ['generate', tiny, '--out', join(dir, 'never'), '--fold', p],
  },
  {
    name: 'device JSON',
    file: 'device.json',
    valid: () =>
      new TextEncoder().encode(JSON.stringify({ name: 'myboard', vendor: 'xilinx', family: 'artix-7', maxClockMhzHint: 200, source: 'DS180', lut6: 63400, ff: 126800, dsp: 240, bram36: 135, uramCount: 0 })),
    parse: (p) => loadDeviceFile(p),
    args: (p) => ['devices', '--device-file', p],
  },
];

function writeOnce(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  if (!existsSync(path)) writeFileSync(path, bytes);
  return path;
}

/** The in-process message for the file, or null when the parser accepts it. */
function inProcess(p: Parser, path: string): string | null {
  try {
    p.parse(path);
    return null;
  } catch (e) {
    if (e instanceof GenRtlError) return e.message;
    throw e;
  }
}

describe('malformed inputs through the built CLI', () => {
  it.each(PARSERS.map((p) => [p.name, p] as const))('%s: exit 1, the parser\'s one-line message, no stack trace, nothing written', (_name, p) => {
    const rng = new FuzzRng(0xc11);
    const path = join(dir, p.file);
    writeFileSync(path, p.valid());
    expect(inProcess(p, path), 'the unmutated file is valid').toBeNull();
    let run = 0;
    for (let tries = 0; run < CASES_PER_PARSER && tries < 50; tries++) {
      const { kind, bytes } = mutateBytes(p.valid(), rng);
      writeFileSync(path, bytes);
      const message = inProcess(p, path);
      if (message === null) continue;
      run++;
      const r = spawnSync(process.execPath, [BIN, ...p.args(path)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${kind}: ${r.stderr}`).toBe(1);
      expect(r.stderr, kind).toBe(`error: ${message}\n`);
      expect(r.stderr, kind).not.toMatch(/\n\s+at /);
      expect(r.stdout, kind).toBe('');
    }
    expect(run).toBe(CASES_PER_PARSER);
    expect(readdirSync(dir).filter((f) => f.startsWith('never') || f.startsWith('.never') || f.endsWith('.tmp'))).toEqual([]);
  });
});

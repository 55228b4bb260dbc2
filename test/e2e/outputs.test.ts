/**
 * What gen-rtl writes, as a user runs it: byte-identical output trees from
 * different working directories and runs (generate --device with its reports
 * and vendor handoffs; import), and safe outputs from an ONNX model whose node
 * and weight names are Verilog keywords, paths, quotes and non-ASCII letters.
 * `npm test` builds dist/ first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { HAVE_VERILATOR } from '../cosim/helpers.js';

const { onnx } = onnxProto;
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');
const FIX = join(ROOT, 'test', 'fixtures', 'onnx');

function gen(cwd: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `root` by its relative path, as bytes (hex, for readable diffs of the paths). */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.set(relative(root, join(d, e.name)), readFileSync(join(d, e.name)));
    }
  };
  walk(root);
  return out;
}

function expectSameTree(a: string, b: string): Map<string, Buffer> {
  const ta = tree(a);
  const tb = tree(b);
  expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
  for (const [k, v] of ta) expect(tb.get(k)!.equals(v), `${k} differs`).toBe(true);
  return ta;
}

let dir = '';
let tiny = '';

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-outputs-'));
  mkdirSync(join(dir, 'sub'));
  tiny = join(dir, 'tiny.sepb');
  expect(gen(dir, 'zoo', 'sepnet-tiny-28', '--out', tiny).code).toBe(0);
});

describe('determinism', () => {
  it('generate --device: byte-identical trees (reports, folding.json, vendor handoffs) from different working directories and runs', () => {
    const a = join(dir, 'dev-a');
    const r1 = gen(ROOT, 'generate', tiny, '--out', a, '--device', 'xc7z020', '--clock-mhz', '150');
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = gen(join(dir, 'sub'), 'generate', '../tiny.sepb', '--out', 'dev-b', '--device', 'XC7Z020', '--clock-mhz', '150', '--json');
    expect(r2.code, r2.stderr).toBe(0);
    const files = expectSameTree(a, join(dir, 'sub', 'dev-b'));
    for (const f of ['report.txt', 'report.json', 'report.html', 'folding.json', 'manifest.json']) expect(files.has(f), f).toBe(true);
    for (const d of ['vivado/', 'quartus/', 'yosys/', 'rtl/', 'mem/']) expect([...files.keys()].some((k) => k.startsWith(d)), d).toBe(true);
    // No absolute path of either run in any file.
    for (const [k, v] of files) expect(v.includes(dir) || v.includes(ROOT), `${k} names a path of the run`).toBe(false);
  });

  it('import: the same ONNX file and options give byte-identical .sepb files from different working directories and runs', () => {
    const onnxFile = join(FIX, 'prb-net-op17.onnx');
    const images = join(FIX, 'prb-net-images.npy');
    const a = join(dir, 'imp-a.sepb');
    expect(gen(ROOT, 'import', onnxFile, '--out', a, '--calib', images).code).toBe(0);
    const sub = join(dir, 'sub');
    const r = gen(sub, 'import', relative(sub, onnxFile), '--out', 'imp-b.sepb', '--calib', relative(sub, images), '--json');
    expect(r.code, r.stderr).toBe(0);
    const bytesA = readFileSync(a);
    expect(readFileSync(join(sub, 'imp-b.sepb')).equals(bytesA)).toBe(true);
    expect(bytesA.includes(dir) || bytesA.includes(ROOT)).toBe(false);
  });
});

/** Names an ONNX export may carry, and then some: keywords, paths, quotes, dots, spaces, non-ASCII, control characters. */
const HOSTILE = ['module', 'wire "x"/../../etc', 'Ünïcödé.block 1', 'always @(posedge clk)', 'end', "it's\\a back\\slash", '日本語', '..', ' ', 'input', 'reg[7:0]', 'tab\there', 'new\nline', 'CON', '$display'];

/** prb-net-op17.onnx with every node and weight initializer renamed to a hostile name. */
function hostileOnnx(): Uint8Array {
  const m = onnx.ModelProto.decode(readFileSync(join(FIX, 'prb-net-op17.onnx')));
  const g = m.graph!;
  const renamed = new Map<string, string>();
  g.initializer!.forEach((t, i) => {
    const name = `${HOSTILE[i % HOSTILE.length]}${i >= HOSTILE.length ? `/${i}` : ''}.weight`;
    renamed.set(t.name!, name);
    t.name = name;
  });
  g.node!.forEach((n, i) => {
    n.name = `/${HOSTILE[(i + 3) % HOSTILE.length]}/${HOSTILE[i % HOSTILE.length]}/${n.opType}`;
    n.input = n.input!.map((x) => renamed.get(x) ?? x);
  });
  return onnx.ModelProto.encode(m).finish();
}

/** A path component that is safe on every file system and in every shell and tool script. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

describe('safe outputs', () => {
  it('an ONNX model with hostile node and weight names imports, generates safe file names and lints clean', () => {
    // The model is named after the file: quotes, a dot, non-ASCII and a tab (which becomes '_').
    const onnxFile = join(dir, 'módulo "end"\tv1.0.onnx');
    writeFileSync(onnxFile, hostileOnnx());
    const model = join(dir, 'hostile.sepb');
    const imp = gen(dir, 'import', onnxFile, '--out', model, '--calib', join(FIX, 'prb-net-images.npy'));
    expect(imp.code, imp.stderr).toBe(0);
    const layers = JSON.parse(gen(dir, 'inspect', model, '--json').stdout).layers.map((l: { name: string }) => l.name);
    for (const name of layers) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    // The hostile names made it into the model (sanitized), not replaced wholesale by defaults.
    expect(layers.join(' ')).toMatch(/wire_x|always_posedge_clk|module/);

    const out = join(dir, 'hostile-design');
    const r = gen(dir, 'generate', model, '--out', out, '--device', 'xc7z020', '--json');
    expect(r.code, r.stderr).toBe(0);
    const files = [...tree(out).keys()];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) for (const part of f.split('/')) expect(part, f).toMatch(SAFE_NAME);
    const top = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).top;
    expect(top).toMatch(/^gr_top_[a-z0-9_]+$/);
    if (!HAVE_VERILATOR && process.env['CI']) throw new Error('verilator is required in CI');
    if (!HAVE_VERILATOR) return;
    const lint = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', top, '-f', 'filelist.f'], { cwd: out, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('a failing run leaves no output and no temporary directory; a failing --force run keeps the old output', () => {
    const fold = join(dir, 'bad-fold.json');
    writeFileSync(fold, JSON.stringify({ stages: { conv1: { pe: 5 } } }));
    const parent = join(dir, 'runs');
    mkdirSync(parent);
    const bad = gen(parent, 'generate', tiny, '--out', 'never', '--fold', fold);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*stage "conv1" \(binconv\): pe 5 must be a positive divisor of 16 .*\n$/);
    expect(readdirSync(parent)).toEqual([]);

    expect(gen(parent, 'generate', tiny, '--out', 'kept').code).toBe(0);
    const before = tree(join(parent, 'kept'));
    const again = gen(parent, 'generate', tiny, '--out', 'kept', '--force', '--fold', fold);
    expect(again.code).toBe(1);
    expect(readdirSync(parent)).toEqual(['kept']);
    const after = tree(join(parent, 'kept'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(after.get(k)!.equals(v), k).toBe(true);
  });
});

/**
 * The ONNX files PyTorch exported (test/fixtures/onnx, made by
 * models/train/export_fixtures.py) through the importer:
 * - the unquantized float model agrees with PyTorch's output within 1e-4 of
 *   the largest logit;
 * - the integer model's logits equal the stored ones exactly
 *   (expected-integer.json; GEN_RTL_UPDATE_FIXTURES=1 rewrites it after a
 *   deliberate change of the quantization);
 * - the opset 11 export (batch norm folded by the exporter) and the opset 17
 *   one (batch norm kept) give the same network;
 * - the broken files end in the errors users must see.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../generator/onnx/import.js';
import { loadImageSet } from '../../generator/io/images.js';
import { parseNpy } from '../../generator/io/npy.js';
import { quantize } from '../../generator/quant/quantize.js';
import { runFloatModel } from '../../generator/reference/float-model.js';
import { runInteger } from '../../generator/reference/integer.js';
import type { Pixels } from '../../generator/reference/run.js';
import { GenRtlError } from '../../generator/util/errors.js';

const DIR = join(import.meta.dirname, '../fixtures/onnx');
const EXPECTED = join(DIR, 'expected-integer.json');
const NETS = ['prb-net', 'strides-net', 'concat-net', 'binary-net'] as const;
const OPSETS = [11, 17] as const;
const update = process.env.GEN_RTL_UPDATE_FIXTURES === '1';

function load(file: string): ReturnType<typeof importOnnx> {
  return importOnnx(new Uint8Array(readFileSync(join(DIR, file))), file, { mergePrb: true, name: file.replace(/\.onnx$/, ''), mean: undefined, std: undefined, classes: undefined });
}

function images(net: string): Pixels[] {
  const set = loadImageSet(join(DIR, `${net}-images.npy`));
  return Array.from({ length: set.count }, (_, i) => set.image(i));
}

function torchLogits(net: string): number[][] {
  const arr = parseNpy(new Uint8Array(readFileSync(join(DIR, `${net}-float.npy`))), `${net}-float.npy`, ['<f4'], 'logits');
  const f = new Float32Array(arr.data.slice().buffer);
  const [n, c] = arr.shape as [number, number];
  return Array.from({ length: n }, (_, i) => Array.from(f.subarray(i * c, (i + 1) * c)));
}

const expected: Record<string, number[][]> = existsSync(EXPECTED) ? JSON.parse(readFileSync(EXPECTED, 'utf8')) : {};
const produced: Record<string, number[][]> = {};

describe.each(NETS)('ONNX fixture %s', (net) => {
  const px = images(net);
  const torch = torchLogits(net);

  it.each(OPSETS)('opset %i: the float model matches PyTorch within 1e-4 relative', (opset) => {
    const { model } = load(`${net}-op${opset}.onnx`);
    for (const [i, p] of px.entries()) {
      const got = runFloatModel(model, p).logits;
      const want = torch[i]!;
      const scale = Math.max(...want.map(Math.abs));
      expect(got.length).toBe(want.length);
      for (let j = 0; j < want.length; j++) expect(Math.abs(got[j]! - want[j]!) / scale).toBeLessThan(1e-4);
    }
  });

  it.each(OPSETS)('opset %i: the integer model gives exactly the stored logits', (opset) => {
    const file = `${net}-op${opset}.onnx`;
    const { model } = load(file);
    const { info } = quantize(model, { binarize: 'kxk', calibration: px });
    const logits = px.map((p) => Array.from(runInteger(info, p).logits));
    produced[file] = logits;
    if (update) {
      writeFileSync(EXPECTED, `${JSON.stringify({ ...expected, ...produced }, null, 1)}\n`);
      return;
    }
    expect(expected[file], `${file} has no stored logits; run with GEN_RTL_UPDATE_FIXTURES=1 once`).toBeDefined();
    expect(logits).toEqual(expected[file]);
  });

  it('the opset 11 export (batch norm folded by PyTorch) and the opset 17 one (kept) import to the same layers', () => {
    const a = load(`${net}-op11.onnx`).model;
    const b = load(`${net}-op17.onnx`).model;
    expect(a.layers.map((l) => l.kind)).toEqual(b.layers.map((l) => l.kind));
    expect(a.classes).toEqual(b.classes);
  });
});

describe('ONNX fixtures the importer refuses', () => {
  const err = (file: string): string => {
    try {
      load(file);
    } catch (e) {
      expect(e).toBeInstanceOf(GenRtlError);
      return (e as Error).message;
    }
    throw new Error(`${file} was imported`);
  };

  it('an unsupported op', () => expect(err('unsupported-op.onnx')).toMatch(/unsupported-op\.onnx: node ".*" \(Sigmoid\): op type Sigmoid is not supported; gen-rtl imports Conv/));
  it('a truncated protobuf', () => expect(err('corrupt.onnx')).toMatch(/corrupt\.onnx: is not a valid ONNX file/));
  it('a missing initializer', () => expect(err('missing-initializer.onnx')).toMatch(/missing-initializer\.onnx: node ".*" \(Conv\): input ".*" is neither a graph input, an initializer nor the output of an earlier node/));
  it('dynamic image dimensions', () => expect(err('dynamic-shape.onnx')).toMatch(/dynamic-shape\.onnx: graph input "input": has dynamic shape \[\?, 1, \?, \?\]/));
});

describe('binary-net', () => {
  it('keeps its ±α k×k weights exactly: zero binarization error', () => {
    const { model } = load('binary-net-op11.onnx');
    const { report } = quantize(model, { binarize: 'kxk', calibration: images('binary-net') });
    expect(report.binary.length).toBeGreaterThan(0);
    for (const e of report.binary) expect(e.relativeError).toBe(0);
  });
});

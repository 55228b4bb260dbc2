/**
 * The trained models shipped in models/ (made by models/train, imported by
 * `gen-rtl import`): sepnet-fmnist's stored accuracies are what gen-rtl measures on all
 * 10,000 Fashion-MNIST test images (the integer one is re-measured here; the
 * float one comes from the same import --eval path the CLI tests cover), they
 * meet the targets of the recipe, and importing the shipped ONNX again gives
 * the same network bit for bit. sepnet-up5k-fmnist (the zoo's sepnet-up5k, trained): the same
 * checks, and the zoo network's layer structure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../../generator/format/model-file.js';
import { zooModel } from '../../generator/zoo/index.js';
import { IN_CI } from '../tools.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');
const MODEL = join(ROOT, 'models', 'sepnet-fmnist.sepb');
const ONNX = join(ROOT, 'models', 'sepnet-fmnist.onnx');
const FMNIST = '/usr/share/datasets/fashion-mnist';
const TEST_IMAGES = join(FMNIST, 't10k-images-idx3-ubyte.gz');
const TEST_LABELS = join(FMNIST, 't10k-labels-idx1-ubyte.gz');
const TRAIN_IMAGES = join(FMNIST, 'train-images-idx3-ubyte.gz');
const HAVE_DATA = existsSync(TEST_IMAGES) && existsSync(TRAIN_IMAGES);
if (!HAVE_DATA) {
  if (IN_CI) throw new Error(`${FMNIST} is missing: CI installs dataset-fashion-mnist (scripts/install-tools.sh)`);
  console.warn(`NOTICE: ${FMNIST} not found: the shipped model's accuracy checks are skipped`);
}

function gen(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000 });
}

describe('models/sepnet-fmnist.sepb', () => {
  const info = readModelFile(MODEL);
  const acc = info.model.provenance.accuracy;

  it('carries its measured accuracies: full, BiPattern and Refined (recipe), float and integer (gen-rtl)', () => {
    for (const k of ['full', 'bipattern', 'refined', 'float', 'integer'] as const) {
      expect(acc[k], k).toBeDefined();
      expect(acc[k]!.count, k).toBe(10_000);
    }
    // The targets of issue 5: integer BQ at least 90 %, Refined within 1.5 points of Full.
    expect(acc.integer!.top1).toBeGreaterThanOrEqual(0.9);
    expect(acc.full!.top1 - acc.refined!.top1).toBeLessThanOrEqual(0.015);
  });

  it.skipIf(!HAVE_DATA)('the integer accuracy it states is what run measures on all 10,000 test images', () => {
    const r = gen('run', MODEL, '--dataset', TEST_IMAGES, '--labels', TEST_LABELS, '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.count).toBe(10_000);
    expect(j.accuracy).toBe(acc.integer!.top1);
  });

  it.skipIf(!HAVE_DATA)('importing the shipped ONNX with the documented options gives the same layers bit for bit', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gen-rtl-ship-')), 'again.sepb');
    const r = gen('import', ONNX, '--out', out, '--calib', TRAIN_IMAGES);
    expect(r.status, r.stderr).toBe(0);
    const again = readModelFile(out).model;
    expect(again.layers).toEqual(info.model.layers);
    expect(again.classes).toEqual(info.model.classes);
  });
});

describe('models/sepnet-up5k-fmnist.sepb', () => {
  const model = join(ROOT, 'models', 'sepnet-up5k-fmnist.sepb');
  const info = readModelFile(model);
  const acc = info.model.provenance.accuracy;

  it('is the zoo\'s sepnet-up5k, trained: the same layers, kinds and shapes', () => {
    const zoo = zooModel('sepnet-up5k').info;
    const shape = (i: typeof info): unknown => i.layers.map((l) => ({ name: l.layer.name, kind: l.layer.kind, out: l.outShape, bits: l.outType.bits, signed: l.outType.signed }));
    expect(shape(info)).toEqual(shape(zoo));
    for (const k of ['full', 'bipattern', 'refined', 'float', 'integer'] as const) expect(acc[k]?.count, k).toBe(10_000);
    // Far above chance (10 %); a 16-channel, one-block network: see docs/training.md.
    expect(acc.integer!.top1).toBeGreaterThan(0.6);
  });

  it.skipIf(!HAVE_DATA)('the integer accuracy it states is what run measures on all 10,000 test images', () => {
    const r = gen('run', model, '--dataset', TEST_IMAGES, '--labels', TEST_LABELS, '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.count).toBe(10_000);
    expect(j.accuracy).toBe(acc.integer!.top1);
  });

  it.skipIf(!HAVE_DATA)('importing the shipped ONNX gives the same layers bit for bit', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gen-rtl-ship-')), 'again.sepb');
    const r = gen('import', join(ROOT, 'models', 'sepnet-up5k-fmnist.onnx'), '--out', out, '--calib', TRAIN_IMAGES);
    expect(r.status, r.stderr).toBe(0);
    expect(readModelFile(out).model.layers).toEqual(info.model.layers);
  });
});

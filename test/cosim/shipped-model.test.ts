/**
 * The shipped trained model in hardware: 200 Fashion-MNIST test images
 * through the RTL the optimizer folds for a Zynq-7020, bit-exact against the
 * integer reference, and the hardware's accuracy on them equal to the
 * reference's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_VERILATOR } from './helpers.js';
import { IN_CI } from '../tools.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');
const FMNIST = '/usr/share/datasets/fashion-mnist';
const HAVE_DATA = existsSync(join(FMNIST, 't10k-images-idx3-ubyte.gz'));
if (!HAVE_DATA && IN_CI) throw new Error(`${FMNIST} is missing: CI installs dataset-fashion-mnist (scripts/install-tools.sh)`);

describe.skipIf(!HAVE_VERILATOR || !HAVE_DATA)('models/sepnet-fmnist.sepb under Verilator', () => {
  it('cosim --device xc7z020 on 200 test images: bit-exact, hardware accuracy = integer reference accuracy', () => {
    const work = mkdtempSync(join(tmpdir(), 'gen-rtl-ship-cosim-'));
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'cosim',
        join(ROOT, 'models', 'sepnet-fmnist.sepb'),
        '--device',
        'xc7z020',
        '--dataset',
        join(FMNIST, 't10k-images-idx3-ubyte.gz'),
        '--labels',
        join(FMNIST, 't10k-labels-idx1-ubyte.gz'),
        '--limit',
        '200',
        '--json',
        '--work',
        work,
      ],
      { encoding: 'utf8', timeout: 1_500_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    console.log(`sepnet-fmnist cosim: ${j.images} images, ${j.mismatches} mismatches, accuracy hardware ${j.accuracy.hardware} reference ${j.accuracy.reference}, cycles/image ${j.cyclesPerImage} (predicted ${j.predictedCyclesPerImage})`);
    expect(j.images).toBe(200);
    expect(j.mismatches).toBe(0);
    expect(j.accuracy.count).toBe(200);
    expect(j.accuracy.hardware).toBe(j.accuracy.reference);
    expect(j.accuracy.classDisagreements).toBe(0);
    expect(j.cyclesPerImage).toBe(j.predictedCyclesPerImage);
  }, 1_600_000);
});

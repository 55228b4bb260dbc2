/**
 * `gen-rtl cosim --dataset --labels`: the hardware's accuracy, decoded from the
 * RTL's logits, next to the integer reference's on the same images — equal
 * when the run is bit-exact, and equal to what `gen-rtl run --dataset` says.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_VERILATOR } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');

describe.skipIf(!HAVE_VERILATOR)('cosim --labels under Verilator', () => {
  it('npx gen-rtl cosim models/sepnet-tiny-28.sepb --dataset models/samples --labels labels.txt --limit 3 --json', () => {
    const model = join(ROOT, 'models', 'sepnet-tiny-28.sepb');
    const samples = join(ROOT, 'models', 'samples');
    const labels = join(samples, 'labels.txt');
    const work = mkdtempSync(join(tmpdir(), 'gen-rtl-cosim-acc-'));
    const r = spawnSync(process.execPath, [BIN, 'cosim', model, '--dataset', samples, '--labels', labels, '--limit', '3', '--json', '--work', work], { encoding: 'utf8', timeout: 900_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.images).toBe(3);
    expect(j.mismatches).toBe(0);
    expect(j.hardwareClasses).toBeUndefined();
    expect(j.accuracy.count).toBe(3);
    expect(j.accuracy.hardware).toBe(j.accuracy.reference);
    expect(j.accuracy.hardwareCorrect).toBe(j.accuracy.referenceCorrect);
    expect(j.accuracy.classDisagreements).toBe(0);
    const ref = JSON.parse(spawnSync(process.execPath, [BIN, 'run', model, '--dataset', samples, '--labels', labels, '--limit', '3', '--json'], { encoding: 'utf8' }).stdout);
    expect(j.accuracy.referenceCorrect).toBe(ref.correct);
    expect(j.accuracy.reference).toBe(ref.accuracy);
    console.log(`cosim accuracy on 3 sample images: hardware ${j.accuracy.hardwareCorrect}/3, integer reference ${j.accuracy.referenceCorrect}/3`);
  });
});

/**
 * The tiny zoo networks end to end through the CLI (random stalls 20 %, the CLI's default) —
 * the two SEP-style nets and inception-tiny (two Inception modules of four branches each,
 * forking from one stream and concatenated) — and a planted fault:
 * a wrong weight in an emitted memory must fail cosim with a report naming
 * the layer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cosim } from '../../generator/cosim/cosim.js';
import { resolveFolding } from '../../generator/emit/fold.js';
import { zooModel } from '../../generator/zoo/index.js';
import { HAVE_VERILATOR, cycleError, negateFirstWeight, randomImages } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'generator', 'cli', 'main.js');

describe.skipIf(!HAVE_VERILATOR)('tiny networks end to end under Verilator', () => {
  for (const name of ['sepnet-tiny-28', 'sepnet-tiny-32', 'inception-tiny']) {
    it(`npx gen-rtl cosim ${name}.sepb --images 3 --json: bit-exact, cycles as predicted`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-tiny-'));
      const model = join(dir, `${name}.sepb`);
      expect(spawnSync(process.execPath, [BIN, 'zoo', name, '--out', model]).status).toBe(0);
      const r = spawnSync(process.execPath, [BIN, 'cosim', model, '--images', '3', '--json', '--work', join(dir, 'work')], { encoding: 'utf8', timeout: 900_000 });
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      console.log(`${name}: ${j.images} images, ${j.mismatches} mismatches, ${j.cyclesPerImage} cycles/image measured vs ${j.predictedCyclesPerImage} predicted, latency ${j.latencyCycles}`);
      expect(j.images).toBe(3);
      expect(j.mismatches).toBe(0);
      expect(j.simulator).toBe('verilator');
      expect(cycleError(j.cyclesPerImage, j.predictedCyclesPerImage)).toBeLessThanOrEqual(0.1);
    });
  }

  it('a wrong weight planted in an emitted memory fails cosim and names the layer', () => {
    const { info } = zooModel('sepnet-tiny-28');
    const r = cosim(info, {
      simulator: 'verilator',
      images: randomImages(info, 2, 9),
      folding: resolveFolding(info, undefined, 'default'),
      seed: 2,
      stall: 0.2,
      // Negate one int8 weight of the first 1×1 convolution: row 0, lowest byte.
      afterGenerate: (dir) => negateFirstWeight(dir, 'L3_module1_svd1_w0.hex'),
    });
    expect(r.mismatches).toBeGreaterThan(0);
    expect(r.firstLayerMismatch).not.toBeNull();
    expect(r.firstLayerMismatch!.layer).toBe('module1_svd1');
    expect(r.firstLayerMismatch!.channel).toBe(0);
  });
});

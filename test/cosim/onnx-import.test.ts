/**
 * Imported ONNX networks in hardware: `gen-rtl import` on the PyTorch-exported
 * fixtures, then `gen-rtl cosim` on their own images — the RTL must be
 * bit-exact against the integer reference, whatever the importer made of the
 * graph (PRBs, a classifier turned into a convolution, concat).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_VERILATOR } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'generator', 'cli', 'main.js');
const FIX = join(import.meta.dirname, '..', 'fixtures', 'onnx');

function gen(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
}

describe.skipIf(!HAVE_VERILATOR)('imported ONNX fixtures under Verilator', () => {
  for (const net of ['prb-net', 'strides-net', 'concat-net', 'binary-net']) {
    it(`import ${net}-op17.onnx, then cosim on its 4 images: 0 mismatches`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-onnx-'));
      const model = join(dir, `${net}.sepb`);
      const images = join(FIX, `${net}-images.npy`);
      const imp = gen('import', join(FIX, `${net}-op17.onnx`), '--out', model, '--calib', images);
      expect(imp.status, imp.stderr).toBe(0);
      const r = gen('cosim', model, '--dataset', images, '--limit', '4', '--json', '--work', join(dir, 'work'));
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.images).toBe(4);
      expect(j.mismatches).toBe(0);
    });
  }
});

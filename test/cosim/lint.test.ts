/**
 * Every generated design lints clean under verilator --lint-only -Wall (no
 * waivers) and compiles under iverilog -g2012, from its own directory with
 * its own file list.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveFolding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import { writeTreeAtomic } from '../../generator/util/files.js';
import { zooModel } from '../../generator/zoo/index.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';
import { HAVE_IVERILOG, HAVE_VERILATOR } from './helpers.js';

function emit(info: ModelInfo): { dir: string; top: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'gen-rtl-lint-')), 'design');
  const { files, design } = generate(info, { folding: resolveFolding(info, undefined, 'default'), device: null, clockMhz: 100 });
  writeTreeAtomic(dir, files, true);
  return { dir, top: design.top };
}

const designs: [string, () => ModelInfo][] = [
  ['sepnet-tiny-28', () => zooModel('sepnet-tiny-28').info],
  ['sepnet-tiny-32', () => zooModel('sepnet-tiny-32').info],
  ['resnet20', () => zooModel('resnet20').info],
  ...MICRO_NETS.map((n): [string, () => ModelInfo] => [n.name, () => microModel(n, 3).info]),
];

describe.skipIf(!HAVE_VERILATOR)('verilator --lint-only -Wall on generated designs', () => {
  for (const [name, make] of designs) {
    it(name, () => {
      const { dir, top } = emit(make());
      const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', top, '-f', 'filelist.f'], { cwd: dir, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

describe.skipIf(!HAVE_IVERILOG)('iverilog -g2012 on generated designs', () => {
  for (const [name, make] of designs.slice(0, 3)) {
    it(name, () => {
      const { dir, top } = emit(make());
      const r = spawnSync('iverilog', ['-g2012', '-s', top, '-o', join(dir, 'a.vvp'), '-c', 'filelist.f'], { cwd: dir, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

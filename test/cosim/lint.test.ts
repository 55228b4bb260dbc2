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
import { balancedFolding, resolveFolding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import { writeTreeAtomic } from '../../generator/util/files.js';
import { quantize } from '../../generator/quant/quantize.js';
import { NetBuilder } from '../../generator/zoo/builder.js';
import { syntheticImages, zooModel } from '../../generator/zoo/index.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';
import { HAVE_IVERILOG, HAVE_VERILATOR } from './helpers.js';

function emit(info: ModelInfo, balanced = false): { dir: string; top: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'gen-rtl-lint-')), 'design');
  const folding = balanced ? balancedFolding(info) : resolveFolding(info, undefined, 'default');
  const { files, design } = generate(info, { folding, device: null, clockMhz: 100 });
  writeTreeAtomic(dir, files, true);
  return { dir, top: design.top };
}

/** Layer names as an ONNX export may carry them: reserved words, spaces, quotes, slashes, dots, non-ASCII. */
function hostileNames(): ModelInfo {
  const b = new NetBuilder(5);
  const x = b.input(6, 6, 2, [0.5, 0.5], [0.25, 0.25]);
  const m = b.conv('module', x, 4, 3);
  const w = b.conv('wire "x"/../../etc', m, 4, 1);
  const p = b.prb('Ünïcödé.block 1', w, 4, { groups: 2 });
  const a = b.add('always @(posedge)', m, p);
  const g = b.avgpool('end', a);
  const out = b.fc('1st', g, 4, 3);
  return quantize(
    { name: 'we!rd model', classes: ['a', 'b', 'c'], layers: b.layers, output: out.name, provenance: { source: 't', dataset: null, seed: null, accuracy: {}, notes: [] } },
    { binarize: 'kxk', calibration: syntheticImages(6, 6, 2, 4, 1) },
  ).info;
}

describe('hostile layer names', () => {
  it('become unique Verilog identifiers and safe file names', () => {
    const info = hostileNames();
    const { files, design } = generate(info, { folding: resolveFolding(info, undefined, 'default'), device: null, clockMhz: 100 });
    const idents = design.stages.map((s) => s.ident);
    expect(new Set(idents).size).toBe(idents.length);
    for (const id of idents) expect(id).toMatch(/^L\d+(_[A-Za-z0-9]+)*$/);
    for (const f of files) expect(f.path).toMatch(/^(rtl|mem)\/[A-Za-z0-9_.]+$|^(filelist\.f|manifest\.json)$/);
    expect(design.top).toBe('gr_top_we_rd_model');
  });
});

const designs: [string, () => ModelInfo][] = [
  ['hostile names', hostileNames],
  ['sepnet-tiny-28', () => zooModel('sepnet-tiny-28').info],
  ['sepnet-tiny-32', () => zooModel('sepnet-tiny-32').info],
  ['resnet20', () => zooModel('resnet20').info],
  ['inception-tiny', () => zooModel('inception-tiny').info],
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

describe.skipIf(!HAVE_VERILATOR)('verilator --lint-only -Wall on balanced designs (window cores, constant patterns)', () => {
  for (const name of ['sepnet-tiny-28', 'sepnet-tiny-32']) {
    it(name, () => {
      const { dir, top } = emit(zooModel(name).info, true);
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

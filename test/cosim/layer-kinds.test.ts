/**
 * Every layer kind on its own, generated, simulated under Verilator with
 * random stalls on both stream ends, compared bit for bit with the integer
 * reference, under three foldings each (one output channel per step; every stage at full PE; balanced); the smallest also under Icarus.
 * Quick Verilator builds (C++ at -O0): these designs are small, so the build is most of the time.
 */
import { describe, expect, it } from 'vitest';
import { cosim } from '../../generator/cosim/cosim.js';
import { buildDesign } from '../../generator/emit/design.js';
import { balancedFolding, foldLimits, resolveFolding, type Folding } from '../../generator/emit/fold.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import { zooModel } from '../../generator/zoo/index.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';
import { HAVE_IVERILOG, HAVE_VERILATOR, cycleError, randomImages } from './helpers.js';

/** Every stage at its widest legal parallelism but one: PE full, SIMD 1 or 2. */
function wideFolding(info: ModelInfo): unknown {
  const stages: Record<string, { pe: number; simd: number }> = {};
  for (const l of info.layers) {
    const lim = foldLimits(l);
    if (!lim || l.layer.kind === 'input') continue;
    stages[l.layer.name] = { pe: lim.pe, simd: lim.simd % 2 === 0 ? 2 : 1 };
  }
  return { stages };
}

const results: string[] = [];

describe.skipIf(!HAVE_VERILATOR)('layer kinds under Verilator (stalls 30 %)', () => {
  for (const net of MICRO_NETS) {
    for (const variant of ['default', 'wide', 'balanced'] as const) {
      it(`${net.name}, ${variant} folding`, () => {
        const { info } = microModel(net, 11);
        const folding: Folding =
          variant === 'balanced' ? balancedFolding(info) : resolveFolding(info, variant === 'default' ? undefined : wideFolding(info), variant);
        const r = cosim(info, { simulator: 'verilator', images: randomImages(info, 4, 5), folding, seed: 3, stall: 0.3, quickBuild: true });
        results.push(`${net.name} ${variant}: ${r.mismatches} mismatches, ${r.cyclesPerImage} cycles/image vs ${r.predictedCyclesPerImage} predicted`);
        expect(r.firstLayerMismatch).toBeNull();
        expect(r.firstMismatch).toBeNull();
        expect(r.status).toBe('ok');
        expect(cycleError(r.cyclesPerImage, r.predictedCyclesPerImage)).toBeLessThanOrEqual(0.1);
      });
    }
  }
  it('summary', () => {
    console.log(results.join('\n'));
  });
});

describe.skipIf(!HAVE_IVERILOG)('layer kinds under Icarus', () => {
  for (const name of ['prb-s2-g4', 'sep-module', 'inception']) {
    it(name, () => {
      const { info } = microModel(MICRO_NETS.find((n) => n.name === name)!, 11);
      const r = cosim(info, { simulator: 'iverilog', images: randomImages(info, 2, 7), folding: resolveFolding(info, undefined, 'default'), seed: 4, stall: 0.3 });
      expect(r.firstMismatch).toBeNull();
      expect(r.status).toBe('ok');
    });
  }
});

/**
 * Width-converting join FIFOs (rtl/gr_fifo_wc.v) inside whole designs: chosen by the generator
 * (sepnet-tiny-28 balanced: the module's add takes a pixel every 4 cycles and its 128-bit skip
 * FIFO goes to 72-bit words, two per pixel, right at the rate margin) and forced by the folding
 * (sep-module, words of 12 and 5 bits: 3 and 7 per 32-bit pixel, neither dividing it).
 * Bit-exact, cycles within 10 % of the prediction.
 */
describe.skipIf(!HAVE_VERILATOR)('width-converting join FIFOs under Verilator (stalls 30 %)', () => {
  const cases: { name: string; info: () => ModelInfo; folding: (info: ModelInfo) => Folding; words: readonly (number | null)[] }[] = [
    { name: 'sepnet-tiny-28, balanced folding (chosen)', info: () => zooModel('sepnet-tiny-28').info, folding: balancedFolding, words: [72, null, null, null] },
    {
      name: 'sep-module, fifoWordBits [12, 5] (forced)',
      info: () => microModel(MICRO_NETS.find((n) => n.name === 'sep-module')!, 11).info,
      folding: (info) => resolveFolding(info, { stages: { dut: { fifoWordBits: [12, 5] } } }, 'test'),
      words: [12, 5],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const info = c.info();
      const folding = c.folding(info);
      const design = buildDesign(info, folding);
      expect(design.fifos.map((f) => f.wordBits)).toEqual(c.words);
      for (const f of design.fifos) expect(f.module).toBe(f.wordBits === null ? 'gr_fifo' : 'gr_fifo_wc');
      const r = cosim(info, { simulator: 'verilator', images: randomImages(info, 3, 5), folding, seed: 6, stall: 0.3, quickBuild: true });
      console.log(`${c.name}: ${r.mismatches} mismatches, ${r.cyclesPerImage} cycles/image vs ${r.predictedCyclesPerImage} predicted`);
      results.push(`${c.name}: ${r.mismatches} mismatches, ${r.cyclesPerImage} cycles/image vs ${r.predictedCyclesPerImage} predicted`);
      expect(r.firstLayerMismatch).toBeNull();
      expect(r.firstMismatch).toBeNull();
      expect(r.status).toBe('ok');
      expect(cycleError(r.cyclesPerImage, r.predictedCyclesPerImage)).toBeLessThanOrEqual(0.1);
    });
  }
});

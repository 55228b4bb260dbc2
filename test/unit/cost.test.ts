/**
 * Resource cost models (generator/map/cost.ts): structure, no EDA tools.
 * test/synth/cost-calibration.test.ts checks the numbers against Yosys.
 */
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../../generator/emit/design.js';
import { resolveFolding } from '../../generator/emit/fold.js';
import type { StagePlan } from '../../generator/emit/stages.js';
import { addTreeCost, BRAM18_SHAPES, BRAM36_SHAPES, bramPrimitives, chooseJoinFifo, fifoCost, fifoWcCost, linebufRows, WC_RATE_MARGIN, wcCyclesPerBeat, wcWords, mapMemory, mergedTreesCost, mulDsp, outputStageCost, shiftVarBits, stageCost, unpackFields } from '../../generator/map/cost.js';
import { Prng } from '../../generator/util/prng.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';

function plan(net: string, stage: string, fold?: Record<string, number | boolean>): StagePlan {
  const { info } = microModel(MICRO_NETS.find((n) => n.name === net)!, 11);
  const folding = resolveFolding(info, fold ? { stages: { [stage]: fold } } : undefined, 'test');
  return buildDesign(info, folding).stages.find((s) => s.info.layer.name === stage)!;
}

describe('block RAM packing', () => {
  it('knows the primitives aspect ratios', () => {
    expect(BRAM36_SHAPES.map(([d, w]) => `${d}x${w}`)).toEqual(['512x72', '1024x36', '2048x18', '4096x9', '8192x4', '16384x2', '32768x1']);
    expect(BRAM18_SHAPES.map(([d, w]) => `${d}x${w}`)).toEqual(['512x36', '1024x18', '2048x9', '4096x4', '8192x2', '16384x1']);
  });

  it('packs by hand-computed examples', () => {
    // 512 x 72: one RAMB36 (simple dual port), or two RAMB18 (512 x 36 each).
    expect(bramPrimitives(512, 72, BRAM36_SHAPES)).toBe(1);
    expect(bramPrimitives(512, 72, BRAM18_SHAPES)).toBe(2);
    // 4096 x 64: 4K x 9 per RAMB36 -> ceil(64 / 9) = 8.
    expect(bramPrimitives(4096, 64, BRAM36_SHAPES)).toBe(8);
    // 1000 x 20: 1K x 36 -> 1 RAMB36; RAMB18 1K x 18 -> 2.
    expect(bramPrimitives(1000, 20, BRAM36_SHAPES)).toBe(1);
    expect(bramPrimitives(1000, 20, BRAM18_SHAPES)).toBe(2);
    // 160 x 128 (a line buffer): 512 x 72 -> 2 RAMB36.
    expect(bramPrimitives(160, 128, BRAM36_SHAPES)).toBe(2);
    // 40000 x 1: two 32K x 1 tiles.
    expect(bramPrimitives(40000, 1, BRAM36_SHAPES)).toBe(2);
  });

  it('chooses like Yosys memory_libmap: cheapest of RAMB36 (257), RAMB18 (129), LUT RAM (8 per primitive), logic', () => {
    expect(mapMemory(512, 72, 'ram')).toMatchObject({ where: 'bram', bram36: 1, bram18: 0 });
    expect(mapMemory(1024, 18, 'ram')).toMatchObject({ where: 'bram', bram36: 0, bram18: 1 });
    expect(mapMemory(1024, 36, 'ram')).toMatchObject({ where: 'bram', bram36: 1, bram18: 0 }); // 257 < 2 x 129
    expect(mapMemory(512, 8, 'ram')).toMatchObject({ where: 'bram', bram18: 1 }); // 24 RAM64M = 192 > 129
    expect(mapMemory(4096, 8, 'ram')).toMatchObject({ where: 'bram', bram36: 1 });
    expect(mapMemory(4096, 64, 'ram')).toMatchObject({ where: 'bram', bram36: 8 });
    // Small RAMs: LUT RAM (RAM32M 32 x 6, RAM64M 64 x 3, 4 LUTs each).
    expect(mapMemory(16, 8, 'ram')).toMatchObject({ where: 'lutram', lut: 8 }); // 2 RAM32M
    expect(mapMemory(64, 32, 'ram')).toMatchObject({ where: 'lutram', lut: 44 }); // 11 RAM64M
    expect(mapMemory(256, 8, 'ram').where).toBe('lutram'); // 12 RAM64M = 96 < 129
    // Tiny RAMs: flip-flops.
    expect(mapMemory(2, 2, 'ram')).toMatchObject({ where: 'logic', ff: 4 });
    // ROMs never go to LUT RAM: logic below 64 x 129 bits per RAMB18's worth, block RAM above.
    expect(mapMemory(576, 1, 'rom').where).toBe('logic');
    expect(mapMemory(256, 64, 'rom').where).toBe('logic'); // 16384 / 64 = 256 < 257
    expect(mapMemory(2048, 32, 'rom')).toMatchObject({ where: 'bram', bram36: 2 });
  });

  it('UltraRAM (style "uram"): 4K x 72 blocks tiled in width and depth, no LUTs; ROMs stay where they were', () => {
    // Yosys 0.23 synth_xilinx -family xcup -uram: 224 x 1,024 bits -> 15 URAM288, 0 LUT, 0 FF.
    expect(mapMemory(224, 1024, 'ram', 'uram')).toEqual({ where: 'uram', bram36: 0, bram18: 0, uram: 15, lut: 0, ff: 0 });
    expect(mapMemory(4096, 72, 'ram', 'uram')).toMatchObject({ where: 'uram', uram: 1 });
    expect(mapMemory(4097, 73, 'ram', 'uram')).toMatchObject({ where: 'uram', uram: 4 });
    // URAM cannot be initialized: a ROM ignores the style.
    expect(mapMemory(2048, 32, 'rom', 'uram')).toMatchObject({ where: 'bram', uram: 0 });
  });
});

describe('arithmetic components', () => {
  it('DSP48 per multiplier: 25 x 18 in one slice, split beyond, narrow products in LUTs', () => {
    expect(mulDsp(8, 9)).toBe(1);
    expect(mulDsp(25, 18)).toBe(1);
    expect(mulDsp(18, 25)).toBe(1);
    expect(mulDsp(30, 18)).toBe(2);
    expect(mulDsp(3, 4)).toBe(0);
  });

  it('adder tree: one register per node, one LUT per input bit of an adding node (Yosys counts)', () => {
    // Measured with synth_xilinx: N=4, IW=9 -> 28 LUT, 31 FF; N=8 -> 67 / 74; N=16 -> 146 / 161.
    expect(addTreeCost(4, 9)).toEqual({ lut: 28, ff: 31 });
    expect(addTreeCost(8, 9)).toEqual({ lut: 67, ff: 74 });
    expect(addTreeCost(16, 9)).toEqual({ lut: 146, ff: 161 });
    expect(addTreeCost(1, 9)).toEqual({ lut: 0, ff: 0 });
  });

  it('merged adder trees: a node shared by lanes costs once (hand example and a string-keyed reference)', () => {
    // Two lanes of four leaves, iw 8. Level 1: lane 0 (0:1+1:0), (2:1+3:1); lane 1 (0:1+1:0) shared,
    // (2:0+3:1) new: 3 nodes of 9 FF and 8 LUT. Level 2: two different nodes of 10 FF, 9 LUT.
    expect(mergedTreesCost([[1, 0, 1, 1], [1, 0, 0, 1]], 8)).toEqual({ lut: 3 * 8 + 2 * 9, ff: 3 * 9 + 2 * 10 });
    // Zero leaves (binary lanes b ? x : 0 with b = 0): level 1 lane 0 (0:1 + zero) a register, (2:1+3:1)
    // an adder; lane 1 (0:1 + zero) shared, (zero + 3:1) a register. Level 2: lane 0 adds, lane 1 adds.
    expect(mergedTreesCost([[1, 0, 1, 1], [1, 0, 0, 1]], 8, 0)).toEqual({ lut: 1 * 8 + 2 * 9, ff: 3 * 9 + 2 * 10 });
    // A lane of zeros costs nothing; the same lane twice costs once.
    expect(mergedTreesCost([[0, 0, 0, 0]], 8, 0)).toEqual({ lut: 0, ff: 0 });
    expect(mergedTreesCost([[1, 1, 0, 1], [1, 1, 0, 1]], 8, 0)).toEqual(mergedTreesCost([[1, 1, 0, 1]], 8, 0));
    // The definition, with the nodes keyed by strings as it read before the numeric keys.
    const reference = (leaves: number[][], iw: number): { lut: number; ff: number } => {
      let lut = 0;
      let ff = 0;
      let keys = leaves.map((lane) => lane.map((v, j) => `${j}:${v}`));
      for (let l = 1; keys[0]!.length > 1; l++) {
        const seen = new Set<string>();
        const n = keys[0]!.length;
        keys = keys.map((lane) => Array.from({ length: Math.ceil(n / 2) }, (_, i) => (2 * i + 1 < n ? `(${lane[2 * i]}+${lane[2 * i + 1]})` : lane[2 * i]!)));
        for (let i = 0; i < keys[0]!.length; i++) {
          for (const lane of keys) {
            if (seen.has(lane[i]!)) continue;
            seen.add(lane[i]!);
            ff += iw + l;
            if (2 * i + 1 < n) lut += iw + l - 1;
          }
        }
      }
      return { lut, ff };
    };
    const rng = new Prng(7);
    for (let t = 0; t < 200; t++) {
      const nt = rng.int(1, 30);
      const values = rng.int(1, 3);
      const leaves = Array.from({ length: rng.int(1, 9) }, () => Array.from({ length: nt }, () => rng.int(0, values) - 1));
      expect(mergedTreesCost(leaves, 9)).toEqual(reference(leaves, 9));
    }
  });

  it('unpacks the fields of a Verilog hex constant as a BigInt would', () => {
    expect(unpackFields("16'hf0_81", 2, 8, true)).toEqual([-127, -16]);
    expect(unpackFields("16'hf081", 2, 8, false)).toEqual([129, 240]);
    expect(unpackFields("5'h15", 5, 1, false)).toEqual([1, 0, 1, 0, 1]);
    const rng = new Prng(3);
    for (let t = 0; t < 100; t++) {
      const bits = rng.int(1, 12);
      const count = rng.int(1, 40);
      const digits = Array.from({ length: Math.ceil((bits * count) / 4) }, () => rng.int(0, 15).toString(16)).join('');
      const v = BigInt(`0x${digits}`);
      const want = Array.from({ length: count }, (_, i) => {
        const f = Number((v >> BigInt(i * bits)) & ((1n << BigInt(bits)) - 1n));
        return f >= 2 ** (bits - 1) ? f - 2 ** bits : f;
      });
      expect(unpackFields(`${bits * count}'h${digits}`, count, bits, true)).toEqual(want);
    }
  });

  it('line buffer rows follow docs/rtl-architecture.md', () => {
    expect(linebufRows({ h: 7, w: 9, k: 3, s: 1, p: 1 })).toBe(4); // K + S
    expect(linebufRows({ h: 32, w: 32, k: 3, s: 1, p: 1 })).toBe(4);
    expect(linebufRows({ h: 8, w: 32, k: 3, s: 2, p: 1 })).toBe(5);
  });

  it('variable shift bits per lane from a SHIFT_FILE image', () => {
    // Two lanes of 6 bits: lane 0 = 12, 12 (constant); lane 1 = 12, 15 (bits 0 and 1 vary).
    const row = (l0: number, l1: number): string => ((l1 << 6) | l0).toString(16).padStart(3, '0');
    expect(shiftVarBits(`${row(12, 12)}\n${row(12, 15)}\n`, 2, 6)).toBe(2);
    expect(shiftVarBits(`${row(12, 12)}\n${row(12, 12)}\n`, 2, 6)).toBe(0);
    expect(shiftVarBits(undefined, 2, 6)).toBe(6);
  });
});

describe('stage models', () => {
  it('every stage of every micro network has a model with sane figures', () => {
    for (const net of MICRO_NETS) {
      const { info } = microModel(net, 11);
      const design = buildDesign(info, resolveFolding(info, undefined, 'test'));
      for (const s of design.stages) {
        const c = stageCost(s);
        for (const v of Object.values(c)) expect(Number.isInteger(v) && v >= 0, `${net.name}/${s.info.layer.name}: ${JSON.stringify(c)}`).toBe(true);
        if (s.info.layer.kind !== 'concat') expect(c.lut).toBeGreaterThan(0);
      }
    }
  });

  it('binary k x k: DSP = PE (the requantizers); LUT and FF grow with PE and with SIMD', () => {
    const at = (pe: number, simd: number) => stageCost(plan('binconv-k3-s1-p1', 'dut', { pe, simd }));
    for (const pe of [1, 2, 4, 8]) expect(at(pe, 4).dsp).toBe(pe);
    for (const simd of [1, 2, 4]) {
      expect(at(2, simd).lut).toBeLessThan(at(4, simd).lut);
      expect(at(2, simd).ff).toBeLessThan(at(4, simd).ff);
    }
    for (const pe of [1, 2, 4]) {
      expect(at(pe, 1).lut).toBeLessThan(at(pe, 4).lut);
      expect(at(pe, 1).ff).toBeLessThan(at(pe, 4).ff);
    }
  });

  it('int8: DSP = PE·SIMD products + PE requantizers; PRB: PE·SIMD + 2·PE', () => {
    for (const [pe, simd] of [[1, 1], [2, 4], [4, 4], [8, 2]] as const) {
      expect(stageCost(plan('int8-conv-1x1', 'dut', { pe, simd })).dsp).toBe(pe * simd + pe);
    }
    for (const [pe, simd] of [[1, 1], [2, 2], [4, 1]] as const) {
      expect(stageCost(plan('prb-s1-g2', 'dut', { pe, simd })).dsp).toBe(pe * simd + 2 * pe);
    }
    // SPREAD: simd / spread multipliers per lane for the PRB's 1×1 branch.
    for (const [pe, simd, spread] of [[1, 2, 2], [2, 2, 2], [4, 2, 2]] as const) {
      expect(stageCost(plan('prb-s1-g2', 'dut', { pe, simd, spread })).dsp).toBe((pe * simd) / spread + 2 * pe);
    }
    const a = stageCost(plan('int8-conv-1x1', 'dut', { pe: 2, simd: 2 }));
    const b = stageCost(plan('int8-conv-1x1', 'dut', { pe: 4, simd: 2 }));
    const c = stageCost(plan('int8-conv-1x1', 'dut', { pe: 4, simd: 4 }));
    expect(a.lut).toBeLessThan(b.lut);
    expect(b.lut).toBeLessThan(c.lut);
    expect(a.ff).toBeLessThan(b.ff);
  });

  it('add: 2 DSP per lane; average pool: 1 per lane; max pool: none', () => {
    for (const pe of [1, 2, 4]) {
      expect(stageCost(plan('sep-module', 'dut', { pe, simd: 1 })).dsp).toBe(2 * pe);
      expect(stageCost(plan('binconv-k3-s1-p1', 'gap', { pe, simd: 1 })).dsp).toBe(pe);
    }
    expect(stageCost(plan('maxpool-k3-s2-p1', 'dut')).dsp).toBe(0);
  });

  it('memory bits are accounted once: block RAM or LUT bits, never both', () => {
    const c = stageCost(plan('binconv-k3-s1-p1', 'dut', { pe: 1, simd: 4 }));
    // Line buffer 4 rows x 9 pixels x 4 ch x 8 bit (LUT RAM), weight ROM 72 x 4 x 1, requant ROMs 8 rows.
    expect(c.bram36 + c.bram18).toBe(0);
    expect(c.bramBits).toBe(0);
    expect(c.lutramBits).toBeGreaterThanOrEqual(4 * 9 * 4 * 8 + 72 * 4);
  });

  it('a line buffer in UltraRAM moves its bits and LUTs there; nothing else changes', () => {
    for (const [net, window] of [['binconv-k3-s1-p1', false], ['binconv-k3-s1-p1', true], ['maxpool-k3-s2-p1', false]] as const) {
      const fold = net.startsWith('maxpool') ? undefined : { pe: 1, simd: 4, window };
      const lut = stageCost(plan(net, 'dut', { ...fold, lutram: true }));
      const uram = stageCost(plan(net, 'dut', { ...fold, uram: true }));
      expect(uram.uram, net).toBeGreaterThan(0);
      expect(uram.uramBits, net).toBeGreaterThan(0);
      expect(uram.lutramBits + uram.uramBits, net).toBe(lut.lutramBits);
      expect(uram.lut, net).toBeLessThan(lut.lut);
      expect(uram.dsp, net).toBe(lut.dsp);
      expect(lut.uram + lut.uramBits, net).toBe(0);
    }
  });
});

describe('FIFO, broadcast, output stage', () => {
  it('FIFO memory: LUT RAM while small, then RAMB18 / RAMB36 by aspect ratio', () => {
    expect(fifoCost(16, 8)).toMatchObject({ bram36: 0, bram18: 0, lutramBits: 128 });
    expect(fifoCost(512, 32)).toMatchObject({ bram36: 0, bram18: 1, bramBits: 512 * 32 });
    expect(fifoCost(1024, 64)).toMatchObject({ bram36: 2, bram18: 0 });
    expect(fifoCost(4096, 8)).toMatchObject({ bram36: 1, bram18: 0 });
    expect(fifoCost(16, 8).ff).toBeLessThan(fifoCost(16, 64).ff);
    expect(fifoCost(16, 8).lut).toBeLessThan(fifoCost(64, 8).lut);
  });

  it('width-converting FIFO: words per pixel, rate, block RAM of the Yosys runs (docs/cost-model.md)', () => {
    expect(wcWords(2048, 72)).toBe(29);
    expect(wcWords(64, 72)).toBe(1);
    expect(wcWords(37, 4)).toBe(10);
    // One pixel per NW cycles once DEPTH covers a slot's NW + 3 cycles; below, DEPTH per NW + 3.
    expect(wcCyclesPerBeat(78, 2048, 72)).toBe(29);
    expect(wcCyclesPerBeat(3, 40, 64)).toBe(4 / 3);
    expect(wcCyclesPerBeat(4, 40, 64)).toBe(1);
    expect(fifoWcCost(78, 2048, 72)).toMatchObject({ bram36: 5, bram18: 0 });
    expect(fifoWcCost(135, 1024, 72)).toMatchObject({ bram36: 4, bram18: 0 });
    expect(fifoWcCost(246, 512, 72)).toMatchObject({ bram36: 4, bram18: 0 });
    expect(fifoWcCost(78, 2048, 36)).toMatchObject({ bram36: 0, bram18: 9 });
    // Holding, assembly and output registers: about three pixels of flip-flops.
    expect(fifoWcCost(78, 2048, 72).ff).toBeGreaterThan(3 * 2048);
  });

  it('join FIFO choice: gr_fifo_wc only when the rate allows it and it is cheaper; never with lutram', () => {
    // 78 x 2048 bits: gr_fifo takes 57 RAMB18 (auto) or ~8.6 K LUTs (LUT RAM); gr_fifo_wc a few block RAMs.
    const slow = chooseJoinFifo(78, 2048, false, 512);
    expect(slow.wordBits).not.toBeNull();
    expect(WC_RATE_MARGIN * wcCyclesPerBeat(78, 2048, slow.wordBits!)).toBeLessThanOrEqual(512);
    expect(slow.cost.bram36 + slow.cost.bram18 / 2).toBeLessThan(fifoCost(78, 2048).bram18 / 2);
    // Too fast for 36-bit words (57 per pixel) but not for 72 (29) or 144 (15).
    const mid = chooseJoinFifo(78, 2048, false, 100);
    expect([72, 144]).toContain(mid.wordBits);
    // Too fast for any word width: the plain FIFO.
    expect(chooseJoinFifo(78, 2048, false, 20).wordBits).toBeNull();
    expect(chooseJoinFifo(78, 2048, true, 512)).toEqual({ wordBits: null, cost: fifoCost(78, 2048, 'lutram') });
    // Narrow and shallow: one word per pixel buys nothing.
    expect(chooseJoinFifo(8, 64, false, 1000).wordBits).toBeNull();
  });

  it('output stage grows with the classes', () => {
    expect(outputStageCost(10).lut).toBeLessThan(outputStageCost(100).lut);
    expect(outputStageCost(10).dsp).toBe(0);
  });
});

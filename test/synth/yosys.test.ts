/**
 * Synthesis check under Yosys synth_xilinx: an int8 1×1 stage puts its
 * multiply-accumulates on DSP48E1 slices; a binary k×k stage builds its sums
 * from LUTs and carry chains, and its only DSPs are the requantizers' (one
 * per PE lane, scaling once per output value); a spread PRB stage has
 * SIMD/SPREAD multipliers per lane; a line buffer in UltraRAM is URAM288s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../../generator/emit/design.js';
import { resolveFolding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import { stageCost } from '../../generator/map/cost.js';
import { writeTreeAtomic } from '../../generator/util/files.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';

const HAVE_YOSYS = spawnSync('yosys', ['-V']).status === 0;
if (!HAVE_YOSYS) console.warn('NOTICE: yosys not found: synthesis checks are skipped');

/** Synthesizes the stage of layer "dut" of a micro network alone; returns its cell counts. */
function synthStage(net: string, fold: { pe: number; simd: number; pack?: boolean; spread?: number; uram?: boolean }, family: 'xc7' | 'xcup' = 'xc7'): Map<string, number> {
  const { info } = microModel(MICRO_NETS.find((n) => n.name === net)!, 11);
  const folding = resolveFolding(info, { stages: { dut: fold } }, 'test');
  const { files, design } = generate(info, { folding, device: null, clockMhz: 100 });
  const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-synth-'));
  writeTreeAtomic(join(dir, 'd'), files, true);
  const stage = design.stages.find((s) => s.info.layer.name === 'dut')!;
  const sources = files.filter((f) => f.path.startsWith('rtl/gr_') && !f.path.includes('gr_top_')).map((f) => f.path);
  const chparam = stage.params.map((p) => `chparam -set ${p.name} ${p.value} ${stage.module}`).join('; ');
  const script = `read_verilog -sv ${sources.join(' ')}; ${chparam}; synth_xilinx -family ${family}${fold.uram ? ' -uram' : ''} -flatten -top ${stage.module}; tee -o stat.txt stat`;
  const r = spawnSync('yosys', ['-q', '-p', script], { cwd: join(dir, 'd'), encoding: 'utf8', timeout: 600_000 });
  expect(r.status, r.stderr).toBe(0);
  const cells = new Map<string, number>();
  for (const m of readFileSync(join(dir, 'd', 'stat.txt'), 'utf8').matchAll(/^\s+(\w+)\s+(\d+)$/gm)) cells.set(m[1]!, Number(m[2]));
  return cells;
}

describe.skipIf(!HAVE_YOSYS)('Yosys synth_xilinx', () => {
  it('int8 1x1 stage: multipliers become DSP48E1 cells', () => {
    const cells = synthStage('int8-conv-1x1', { pe: 4, simd: 4 });
    console.log('int8 1x1 stage (PE 4, SIMD 4):', Object.fromEntries(cells));
    // 16 lane multipliers plus 4 requantizers.
    expect(cells.get('DSP48E1') ?? 0).toBeGreaterThanOrEqual(16);
  });

  it('int8 1x1 stage, packed: two lanes share each DSP48E1 / DSP48E2, bit-exact by the testbenches', () => {
    const luts = (c: Map<string, number>): number => [...c.entries()].filter(([k]) => /^LUT\d$/.test(k)).reduce((s, [, v]) => s + v, 0);
    for (const [family, cell] of [['xc7', 'DSP48E1'], ['xcup', 'DSP48E2']] as const) {
      const plain = synthStage('int8-conv-1x1', { pe: 8, simd: 4 }, family);
      const packed = synthStage('int8-conv-1x1', { pe: 8, simd: 4, pack: true }, family);
      const ffs = (c: Map<string, number>): number => [...c.entries()].filter(([k]) => /^FD/.test(k)).reduce((s, [, v]) => s + v, 0);
      const brief = (c: Map<string, number>): string => `${c.get(cell) ?? 0} ${cell}, ${luts(c)} LUT, ${ffs(c)} FF`;
      console.log(`int8 1x1 stage (PE 8, SIMD 4, ${family}): plain ${brief(plain)}; packed ${brief(packed)}`);
      // 32 products and 8 requantizers; packed, 16 products.
      expect(plain.get(cell) ?? 0).toBe(40);
      expect(packed.get(cell) ?? 0).toBe(24);
      expect(luts(packed)).toBeGreaterThan(luts(plain));
    }
  });

  it('PRB stage, spread: SIMD/SPREAD multipliers per lane for the 1x1 branch (bit-exact by the testbenches)', () => {
    const plain = synthStage('prb-s1-g2', { pe: 2, simd: 2 });
    const spread = synthStage('prb-s1-g2', { pe: 2, simd: 2, spread: 2 });
    console.log('PRB stage (PE 2, SIMD 2): plain', Object.fromEntries(plain), 'spread 2', Object.fromEntries(spread));
    // 4 products (2 spread) and two multipliers per requantizer lane.
    expect(plain.get('DSP48E1') ?? 0).toBe(2 * 2 + 2 * 2);
    expect(spread.get('DSP48E1') ?? 0).toBe(2 + 2 * 2);
  });

  it('a line buffer in UltraRAM: URAM288 cells as the cost model counts them, no LUT RAM left', () => {
    const { info } = microModel(MICRO_NETS.find((n) => n.name === 'binconv-k3-s1-p1')!, 11);
    const folding = resolveFolding(info, { stages: { dut: { pe: 1, simd: 4, uram: true } } }, 'test');
    const model = stageCost(buildDesign(info, folding).stages.find((s) => s.info.layer.name === 'dut')!);
    const cells = synthStage('binconv-k3-s1-p1', { pe: 1, simd: 4, uram: true }, 'xcup');
    console.log('binary 3x3 stage, line buffer in UltraRAM (xcup -uram):', Object.fromEntries(cells));
    expect(model.uram).toBeGreaterThan(0);
    expect(cells.get('URAM288') ?? 0).toBe(model.uram);
    expect([...cells.keys()].filter((k) => /^RAM(32|64)/.test(k))).toEqual([]);
  });

  it('binary 3x3 stage: LUT and carry-chain adder trees, DSPs only in the requantizers', () => {
    const pe = 4;
    const cells = synthStage('binconv-k3-s1-p1', { pe, simd: 4 });
    console.log('binary 3x3 stage (PE 4, SIMD 4):', Object.fromEntries(cells));
    expect(cells.get('DSP48E1') ?? 0).toBe(pe);
    expect(cells.get('CARRY4') ?? 0).toBeGreaterThan(0);
    const luts = [...cells.entries()].filter(([k]) => /^LUT\d$/.test(k)).reduce((s, [, v]) => s + v, 0);
    expect(luts).toBeGreaterThan(0);
  });
});

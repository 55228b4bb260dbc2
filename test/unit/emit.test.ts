import { describe, expect, it } from 'vitest';
import { readModelFile } from '../../generator/format/model-file.js';
import { balancedFolding, resolveFolding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import { packRow } from '../../generator/emit/hex.js';
import { layerIdent, sanitize, topName } from '../../generator/emit/names.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { zooModel } from '../../generator/zoo/index.js';

describe('ROM rows', () => {
  it('packs field 0 into the low bits, two\'s complement, MSD first', () => {
    expect(packRow([1, 0, 1, 1], 1)).toBe('d');
    expect(packRow([-1, 2], 8)).toBe('02ff');
    expect(packRow([-128, 127], 8)).toBe('7f80');
    // 18-bit fields: 5 and -2 → bits [17:0] = 5, [35:18] = 0x3fffe.
    expect(packRow([5, -2], 18)).toBe(((0x3fffen << 18n) | 5n).toString(16).padStart(9, '0'));
    expect(packRow([7], 6)).toBe('07');
  });
});

describe('identifiers', () => {
  it('turns any layer name into a unique Verilog identifier', () => {
    expect(layerIdent(3, 'conv1')).toBe('L3_conv1');
    expect(layerIdent(4, 'module')).toBe('L4_module');
    expect(layerIdent(5, '/features/0/conv.weight "x"')).toBe('L5_features_0_conv_weight_x');
    expect(layerIdent(6, 'Ünïcödé')).toBe('L6_Unicode');
    expect(layerIdent(7, '....')).toBe('L7');
    expect(sanitize('a'.repeat(100)).length).toBeLessThanOrEqual(32);
    expect(topName('sepnet-tiny-28')).toBe('gr_top_sepnet_tiny_28');
  });
});

describe('generate', () => {
  const info = zooModel('sepnet-tiny-28').info;
  const folding = resolveFolding(info, undefined, 'default');

  it('is deterministic: same model and options give the same files', () => {
    const a = generate(info, { folding, device: null, clockMhz: 100 }).files;
    const b = generate(info, { folding, device: null, clockMhz: 100 }).files;
    expect(b).toEqual(a);
    expect(a.map((f) => f.path)).toContain('filelist.f');
    expect(a.map((f) => f.path)).toContain('manifest.json');
    expect(a.some((f) => /\d{4}-\d\d-\d\d|\/work\/|\/tmp\//.test(f.content))).toBe(false);
  });

  it('writes a manifest with top, ports, folding, predicted cycles and hashes', () => {
    const { files, design } = generate(info, { folding, device: 'xc7z020', clockMhz: 150 });
    const m = JSON.parse(files.find((f) => f.path === 'manifest.json')!.content);
    expect(m.top).toBe('gr_top_sepnet_tiny_28');
    expect(m.ports.map((p: { name: string }) => p.name)).toContain('s_axis_tdata');
    expect(m.stages).toHaveLength(info.layers.length);
    expect(m.predictedCyclesPerImage).toBe(design.predictedCyclesPerImage);
    // conv1: 16 output channels × 9 taps × 1 input step per pixel, 28×28 pixels.
    expect(m.stages.find((s: { name: string }) => s.name === 'conv1').cyclesPerImage).toBe(16 * 9 * 28 * 28);
    for (const f of m.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    const list = files.find((f) => f.path === 'filelist.f')!.content.trim().split('\n');
    expect(list[list.length - 1]).toBe('rtl/gr_top_sepnet_tiny_28.v');
  });

  it('accepts a legal folding file and names the stage of an illegal one', () => {
    const ok = resolveFolding(info, { stages: { conv1: { pe: 4 }, module1_prb1: { pe: 2, simd: 2 } } }, 'f.json');
    expect(ok.get('conv1')).toEqual({ pe: 4, simd: 1, window: false });
    expect(() => resolveFolding(info, { stages: { conv1: { pe: 3 } } }, 'f.json')).toThrow(/stage "conv1" \(binconv\): pe 3 must be a positive divisor of 16/);
    expect(() => resolveFolding(info, { stages: { module1_prb1: { simd: 3 } } }, 'f.json')).toThrow(/simd 3 must be a positive divisor of 4/);
    expect(() => resolveFolding(info, { stages: { nope: { pe: 1 } } }, 'f.json')).toThrow(/stage "nope" is not a layer/);
    expect(() => resolveFolding(info, { stages: { conv1: { pe: 'x' } } }, 'f.json')).toThrow(GenRtlError);
  });

  it('packs a stage\'s lane pairs onto shared multipliers only where it has int8 products and an even PE', () => {
    const ok = resolveFolding(info, { stages: { module1_prb1: { pe: 2, simd: 2, pack: true } } }, 'f.json');
    expect(ok.get('module1_prb1')).toEqual({ pe: 2, simd: 2, window: false, pack: true });
    const stage = generate(info, { folding: ok, device: null, clockMhz: 100 }).design.stages.find((s) => s.info.layer.name === 'module1_prb1')!;
    expect(stage.params).toContainEqual({ name: 'PACK', value: '1' });
    expect(() => resolveFolding(info, { stages: { conv1: { pe: 2, pack: true } } }, 'f.json')).toThrow(/stage "conv1" \(binconv\): pack needs a stage with int8 products/);
    expect(() => resolveFolding(info, { stages: { module1_prb1: { pe: 1, pack: true } } }, 'f.json')).toThrow(/pack needs an even pe \(lane pairs share a multiplier\), got 1/);
    expect(() => resolveFolding(info, { stages: { module1_prb1: { pe: 2, window: true, pack: true } } }, 'f.json')).toThrow(/pack is for the one-tap-per-cycle core/);
  });

  it('puts a line buffer in UltraRAM only where the stage has one, and not together with LUT RAM', () => {
    const ok = resolveFolding(info, { stages: { conv1: { pe: 4, uram: true }, pool1: { uram: true } } }, 'f.json');
    expect(ok.get('conv1')).toEqual({ pe: 4, simd: 1, window: false, uram: true });
    const stages = generate(info, { folding: ok, device: null, clockMhz: 100 }).design.stages;
    for (const name of ['conv1', 'pool1']) expect(stages.find((s) => s.info.layer.name === name)!.params).toContainEqual({ name: 'LB_URAM', value: '1' });
    // Stages without it get no LB_URAM parameter at all (the RTL's default, 0).
    expect(stages.find((s) => s.info.layer.name === 'conv2')!.params.some((p) => p.name === 'LB_URAM')).toBe(false);
    expect(() => resolveFolding(info, { stages: { module1_svd1: { uram: true } } }, 'f.json')).toThrow(/stage "module1_svd1" \(conv\): uram needs a stage with a line buffer/);
    expect(() => resolveFolding(info, { stages: { module1_add: { uram: true } } }, 'f.json')).toThrow(/stage "module1_add" \(add\): uram needs a stage with a line buffer/);
    expect(() => resolveFolding(info, { stages: { conv1: { lutram: true, uram: true } } }, 'f.json')).toThrow(/lutram and uram exclude each other/);
    expect(() => resolveFolding(info, { stages: { conv1: { uram: 1 } } }, 'f.json')).toThrow(/conv1\.uram/);
  });

  it('spreads a PRB stage\'s 1×1 branch only on the tap core, by a divisor of SIMD up to (K²−1)/2, with the W1 rows that layout needs', () => {
    const rows = (f: object): string[] => {
      const folding = resolveFolding(info, { stages: { module1_prb1: f } }, 'f.json');
      const s = generate(info, { folding, device: null, clockMhz: 100 }).design.stages.find((x) => x.info.layer.name === 'module1_prb1')!;
      return s.roms.find((r) => r.param === 'W1_FILE')!.content.trim().split('\n');
    };
    const plain = rows({ pe: 2, simd: 4 });
    const spread = rows({ pe: 2, simd: 4, spread: 4 });
    // Four times the rows, a quarter as wide: row (co_step, ci_step, r) holds each lane's input channels ci_step·4 + r.
    expect(spread.length).toBe(4 * plain.length);
    expect(spread[0]!.length * 4).toBe(plain[0]!.length);
    const byte = (row: string, i: number): string => row.slice(row.length - 2 * (i + 1), row.length - 2 * i);
    plain.forEach((row, k) => {
      for (let p = 0; p < 2; p++) for (let j = 0; j < 4; j++) expect(byte(spread[4 * k + j]!, p), `row ${k} lane ${p} input ${j}`).toBe(byte(row, p * 4 + j));
    });
    const folding = resolveFolding(info, { stages: { module1_prb1: { pe: 2, simd: 4, spread: 4 } } }, 'f.json');
    expect(folding.get('module1_prb1')).toEqual({ pe: 2, simd: 4, window: false, spread: 4 });
    expect(generate(info, { folding, device: null, clockMhz: 100 }).design.stages.find((x) => x.info.layer.name === 'module1_prb1')!.params).toContainEqual({ name: 'SPREAD', value: '4' });
    expect(() => resolveFolding(info, { stages: { module1_prb1: { simd: 4, spread: 3 } } }, 'f.json')).toThrow(/stage "module1_prb1" \(prb\): spread 3 must be a divisor of simd 4 of at most 4/);
    expect(() => resolveFolding(info, { stages: { module1_prb1: { simd: 2, spread: 4 } } }, 'f.json')).toThrow(/spread 4 must be a divisor of simd 2/);
    expect(() => resolveFolding(info, { stages: { module1_prb1: { window: true, spread: 2 } } }, 'f.json')).toThrow(/spread is for the one-tap-per-cycle core/);
    expect(() => resolveFolding(info, { stages: { conv1: { spread: 2 } } }, 'f.json')).toThrow(/stage "conv1" \(binconv\): spread is for PRB stages/);
  });

  it('join FIFOs: the folding fixes their forms (fifoWordBits), else the generator picks the rate-allowed cheaper one', () => {
    const forced = resolveFolding(info, { stages: { module1_add: { fifoWordBits: [40, 0] } } }, 'f.json');
    expect(forced.get('module1_add')).toMatchObject({ window: false, fifoWordBits: [40, 0] });
    const design = generate(info, { folding: forced, device: null, clockMhz: 100 }).design;
    const [q0, q1] = design.fifos.filter((f) => f.stage === 'module1_add');
    expect(q0).toMatchObject({ input: 0, module: 'gr_fifo_wc', wordBits: 40, wordsPerPixel: Math.ceil(q0!.bits / 40) });
    expect(q1).toMatchObject({ input: 1, module: 'gr_fifo', wordBits: null, wordsPerPixel: 1, cyclesPerPixel: 1 });
    // The instance agrees with the plan: module and WW.
    const inst = design.instances.find((i) => i.name === `u_${q0!.name}`)!;
    expect(inst.module).toBe('gr_fifo_wc');
    expect(inst.params).toContainEqual({ name: 'WW', value: '40' });
    expect(design.instances.find((i) => i.name === `u_${q1!.name}`)!.module).toBe('gr_fifo');
    // Every plan's module is what its instance uses, for the generator's own choices too.
    for (const folding of [resolveFolding(info, undefined, 'd'), balancedFolding(info)]) {
      const d = generate(info, { folding, device: null, clockMhz: 100 }).design;
      for (const f of d.fifos) expect(d.instances.find((i) => i.name === `u_${f.name}`)!.module).toBe(f.module);
    }
    expect(() => resolveFolding(info, { stages: { conv1: { fifoWordBits: [36] } } }, 'f.json')).toThrow(/stage "conv1" \(binconv\): fifoWordBits needs a join/);
    expect(() => resolveFolding(info, { stages: { module1_add: { fifoWordBits: [36] } } }, 'f.json')).toThrow(/one entry per input \(2\), got 1/);
    expect(() => resolveFolding(info, { stages: { module1_add: { fifoWordBits: [36, -1] } } }, 'f.json')).toThrow(/0 \(gr_fifo\) or a word width in bits, got -1/);
    expect(() => resolveFolding(info, { stages: { module1_add: { lutram: true, fifoWordBits: [36, 0] } } }, 'f.json')).toThrow(/fifoWordBits must be 0 with it/);
  });

  it('generates the shipped model too', () => {
    const shipped = readModelFile('models/sepnet-tiny-28.sepb');
    expect(generate(shipped, { folding: resolveFolding(shipped, undefined, 'd'), device: null, clockMhz: 100 }).design.stages.length).toBe(shipped.layers.length);
  });
});

describe('balanced folding', () => {
  it('meets the slowest stage\'s best interval everywhere with the least parallelism', async () => {
    const { balancedFolding, canWindow, foldLimits } = await import('../../generator/emit/fold.js');
    const { stageCycles } = await import('../../generator/emit/cycles.js');
    const info = zooModel('sepnet-tiny-28').info;
    const f = balancedFolding(info);
    const best = Math.max(
      ...info.layers.map((l) => {
        const lim = foldLimits(l);
        const full = lim ? { pe: lim.pe, simd: lim.simd } : { pe: 1, simd: 1 };
        return Math.min(stageCycles(l, { ...full, window: false }), canWindow(l) ? stageCycles(l, { ...full, window: true }) : Infinity);
      }),
    );
    // Every stage keeps up with one input pixel per cycle: 28x28 pixels.
    expect(best).toBe(28 * 28);
    for (const l of info.layers) {
      const fold = f.get(l.layer.name)!;
      expect(stageCycles(l, fold)).toBeLessThanOrEqual(best);
      // Halving SIMD (or PE) of the chosen folding would miss the target.
      const smaller = fold.simd > 1 ? { ...fold, simd: fold.simd / 2 } : fold.pe > 1 ? { ...fold, pe: fold.pe / 2 } : null;
      if (smaller && Number.isInteger(smaller.pe) && Number.isInteger(smaller.simd)) expect(stageCycles(l, smaller)).toBeGreaterThan(best);
    }
    // conv1 (3x3, 16 outputs) can only keep up by reading the whole window per step.
    expect(f.get('conv1')).toEqual({ pe: 16, simd: 1, window: true });
  });
});

import { describe, expect, it } from 'vitest';
import { buildDesign } from '../../generator/emit/design.js';
import { checkFold, foldLimits, hasLineBuffer, maxSpread } from '../../generator/emit/fold.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import { lookupDevice, type Device } from '../../generator/map/devices.js';
import { optimizeFolding } from '../../generator/map/optimize.js';
import { buildReport, capacityOf, type Report } from '../../generator/map/report.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { zooModel } from '../../generator/zoo/index.js';

const tiny28 = zooModel('sepnet-tiny-28').info;
const tiny32 = zooModel('sepnet-tiny-32').info;

function reportFor(info: ModelInfo, device: Device, clockMhz: number, o: ReturnType<typeof optimizeFolding>): Report {
  return buildReport(buildDesign(info, o.folding), info.model.name, device, { clockMhz, bottleneckResource: o.bottleneck.resource, folding: o.summary });
}

function withinCaps(r: Report, u: number): void {
  const c = r.capacity;
  for (const k of ['lut', 'ff', 'dsp', 'bram36', 'uram'] as const) expect(r.totals[k], k).toBeLessThanOrEqual(u * c[k] + 1e-9);
  expect(r.totals.onchipBytes).toBeLessThanOrEqual(Math.min(c.onchipBytes, r.onchipLimitBytes));
}

describe('folding optimizer', () => {
  const z7 = lookupDevice('xc7z020');

  it('picks legal foldings within the cap, and the report agrees with what it predicted', () => {
    for (const [info, device, mhz] of [
      [tiny28, z7, 200],
      [tiny32, z7, 200],
      [tiny28, lookupDevice('xczu3eg'), 300],
      [tiny32, lookupDevice('5csema5'), 150],
    ] as const) {
      const o = optimizeFolding(info, { device, clockMhz: mhz });
      for (const l of info.layers) checkFold(l, o.folding.get(l.layer.name)!);
      const r = reportFor(info, device, mhz, o);
      expect(r.fits, `${info.model.name} on ${device.name}`).toBe(true);
      withinCaps(r, 0.8);
      expect(r.cyclesPerImage).toBe(o.cyclesPerImage);
      expect(r.bottleneck).toEqual(o.bottleneck);
    }
  });

  it('is faster than the default folding when the device has room, and never slower with a bigger budget', () => {
    const base = buildDesign(tiny28, new Map(tiny28.layers.map((l) => [l.layer.name, { pe: 1, simd: foldLimits(l)?.simd ?? 1, window: false }]))).predictedCyclesPerImage;
    let last = Infinity;
    for (const u of [0.1, 0.2, 0.4, 0.8, 1]) {
      const o = optimizeFolding(tiny28, { device: z7, clockMhz: 200, maxUtil: u });
      // 10 % of the device is less than the most folded design needs: the optimizer says so.
      if (u === 0.1) expect(o.bottleneck.resource).toMatch(/^(LUTs|DSP slices) \(even the most folded design needs 1\d % of the device\)$/);
      else withinCaps(reportFor(tiny28, z7, 200, o), u);
      expect(o.cyclesPerImage, `max-util ${u}`).toBeLessThanOrEqual(last);
      last = o.cyclesPerImage;
    }
    expect(last).toBeLessThan(base / 10);
  });

  it('names the resource that stops it, and a tighter budget of that resource makes it slower', () => {
    const o = optimizeFolding(tiny28, { device: z7, clockMhz: 200 });
    expect(o.bottleneck.resource).toMatch(/^DSP slices \(a faster design would pass the 80 % cap\)$/);
    const r = reportFor(tiny28, z7, 200, o);
    expect(r.totals.dsp).toBeGreaterThan(0.5 * r.capacity.dsp);
    // Half the DSP slices: slower.
    const small: Device = { ...z7, name: 'half-dsp', dsp: z7.dsp / 2 };
    expect(optimizeFolding(tiny28, { device: small, clockMhz: 200 }).cyclesPerImage).toBeGreaterThan(o.cyclesPerImage);
  });

  it('stops where no folding helps: the input rate, or a core at full parallelism', () => {
    const vu9p = lookupDevice('xcvu9p');
    const o28 = optimizeFolding(tiny28, { device: vu9p, clockMhz: 300 });
    expect(o28.cyclesPerImage).toBe(28 * 28);
    expect(o28.bottleneck.resource).toBe('input rate (one input pixel per cycle)');
    // tiny-32's 3x3 stride-2 max pool reads one tap per cycle: 16·16·9 cycles.
    const o32 = optimizeFolding(tiny32, { device: vu9p, clockMhz: 300 });
    expect(o32.cyclesPerImage).toBe(16 * 16 * 9);
    expect(o32.bottleneck).toEqual({ stage: 'pool1', resource: 'maximum parallelism of its core' });
    // To keep up, the input stage takes all three channels of a pixel per cycle (a dense diagonal 1×1).
    expect(o32.folding.get('input')).toEqual({ pe: 3, simd: 3, window: false });
    expect(buildDesign(tiny32, o32.folding).stages[0]!.cyclesPerImage).toBe(32 * 32);
  });

  it('--target-fps: meets the rate with fewer resources than the fastest design', () => {
    const fastest = optimizeFolding(tiny32, { device: z7, clockMhz: 200 });
    const fastR = reportFor(tiny32, z7, 200, fastest);
    const fps = 20_000;
    const o = optimizeFolding(tiny32, { device: z7, clockMhz: 200, targetFps: fps });
    const r = reportFor(tiny32, z7, 200, o);
    expect(r.fps).toBeGreaterThanOrEqual(fps);
    expect(r.cyclesPerImage).toBeLessThanOrEqual(Math.floor(200e6 / fps));
    expect(r.cyclesPerImage).toBeGreaterThanOrEqual(fastR.cyclesPerImage);
    expect(r.totals.lut + r.totals.dsp * 100).toBeLessThan(fastR.totals.lut + fastR.totals.dsp * 100);
    expect(o.summary).toMatch(/least resources for 20,000 images\/s/);
  });

  it('trades block RAM for LUT RAM when block RAM is scarce, and not when it is plentiful', () => {
    const info = zooModel('sepnet-small').info;
    const zu7 = lookupDevice('xczu7ev');
    const o = optimizeFolding(info, { device: zu7, clockMhz: 250 });
    const r = reportFor(info, zu7, 250, o);
    withinCaps(r, 0.8);
    expect([...o.folding.values()].some((f) => f.lutram)).toBe(true);
    // Without the LUT RAM choice, the line buffers and FIFOs alone would take more block RAM than the cap allows.
    const allAuto = new Map([...o.folding].map(([k, f]) => [k, { pe: f.pe, simd: f.simd, window: f.window }]));
    expect(reportFor(info, zu7, 250, { ...o, folding: allAuto }).totals.bram36).toBeGreaterThan(0.8 * r.capacity.bram36);
    // On a device with block RAM to spare, fewer stages get LUT RAM.
    const big: Device = { ...zu7, name: 'zu7-lots-of-bram', bram36: 100_000, onChipMemoryBytes: 1e9 };
    const ob = optimizeFolding(info, { device: big, clockMhz: 250 });
    const lutramStages = [...ob.folding.values()].filter((f) => f.lutram).length;
    expect(lutramStages).toBeLessThan([...o.folding.values()].filter((f) => f.lutram).length);
  });

  it('puts line buffers in UltraRAM where the part has it, within the cap, and goes faster for it', () => {
    const info = zooModel('sepnet-small').info;
    const zu7 = lookupDevice('xczu7ev');
    const o = optimizeFolding(info, { device: zu7, clockMhz: 250 });
    const r = reportFor(info, zu7, 250, o);
    withinCaps(r, 0.8);
    const uramStages = [...o.folding].filter(([, f]) => f.uram);
    expect(uramStages.length).toBeGreaterThan(0);
    for (const [name, f] of uramStages) {
      expect(hasLineBuffer(info.byName.get(name)!), name).toBe(true);
      expect(f.lutram ?? false, name).toBe(false);
    }
    expect(r.totals.uram).toBeGreaterThan(0);
    expect(r.totals.uram).toBeLessThanOrEqual(0.8 * r.capacity.uram);
    expect(r.totals.uram).toBe(r.stages.reduce((t, s) => t + s.uram, 0));
    // The same part without UltraRAM: none used, and a slower design.
    const noUram: Device = { ...zu7, name: 'zu7-no-uram', uramCount: 0, uramBits: 0 };
    const on = optimizeFolding(info, { device: noUram, clockMhz: 250 });
    expect([...on.folding.values()].some((f) => f.uram)).toBe(false);
    expect(on.cyclesPerImage).toBeGreaterThan(o.cyclesPerImage);
    // 7-series parts have none.
    const o45 = optimizeFolding(info, { device: lookupDevice('xc7z045'), clockMhz: 250 });
    expect([...o45.folding.values()].some((f) => f.uram)).toBe(false);
  });

  it('spreads PRB stages\' 1×1 branches where that saves DSPs, legally', () => {
    const info = zooModel('sepnet-small').info;
    const zu7 = lookupDevice('xczu7ev');
    const o = optimizeFolding(info, { device: zu7, clockMhz: 250 });
    const spread = [...o.folding].filter(([, f]) => (f.spread ?? 1) > 1);
    expect(spread.length).toBeGreaterThan(0);
    for (const [name, f] of spread) {
      const l = info.byName.get(name)!;
      expect(l.layer.kind).toBe('prb');
      expect(f.window).toBe(false);
      expect(f.spread).toBe(maxSpread(l, f.simd));
      // Each spread stage takes fewer DSPs than the same folding unspread.
      const r = reportFor(info, zu7, 250, { ...o, folding: new Map([...o.folding, [name, { ...f, spread: 1 }]]) });
      const s = reportFor(info, zu7, 250, o);
      expect(s.stages.find((x) => x.name === name)!.dsp, name).toBeLessThan(r.stages.find((x) => x.name === name)!.dsp);
    }
    expect(reportFor(info, zu7, 250, o).stages.filter((s) => s.fold.spread > 1).map((s) => s.name)).toEqual(spread.map(([n]) => n));
  });

  it('packs two int8 products per DSP on Xilinx parts, and only where legal; the report shows the saving', () => {
    const info = zooModel('sepnet-small').info;
    const zu7 = lookupDevice('xczu7ev');
    const o = optimizeFolding(info, { device: zu7, clockMhz: 250 });
    const packedStages = [...o.folding].filter(([, f]) => f.pack);
    expect(packedStages.length).toBeGreaterThan(0);
    for (const [name, f] of packedStages) {
      const l = info.byName.get(name)!;
      expect(['conv', 'prb', 'fc', 'input']).toContain(l.layer.kind);
      expect(f.pe % 2).toBe(0);
      expect(f.window).toBe(false);
    }
    const r = reportFor(info, zu7, 250, o);
    withinCaps(r, 0.8);
    expect(r.packing).not.toBeNull();
    expect(r.packing!.stages).toEqual(packedStages.map(([name]) => name));
    // Each packed stage: PE/2 products' DSPs instead of PE, requantizers unchanged. Spread PRB stages
    // have fewer products, so there the requantizers' share is larger: the target is checked on
    // packing alone.
    const noSpread = optimizeFolding(info, { device: zu7, clockMhz: 250, spread: false });
    const rn = reportFor(info, zu7, 250, noSpread);
    expect(rn.packing!.dspUnpacked / rn.packing!.dsp).toBeGreaterThanOrEqual(1.8);
    expect(r.packing!.dspUnpacked / r.packing!.dsp).toBeGreaterThan(1.5);
    // Spreading on top takes fewer DSPs in all.
    expect(r.totals.dsp).toBeLessThan(rn.totals.dsp);
    const unpacked = optimizeFolding(info, { device: zu7, clockMhz: 250, pack: false });
    expect([...unpacked.folding.values()].some((f) => f.pack)).toBe(false);
    expect(reportFor(info, zu7, 250, unpacked).packing).toBeNull();
    // No packing where the multiplier block is too narrow for a packed operand (SB_MAC16) or not calibrated (Intel).
    for (const [device, mhz] of [[lookupDevice('5csema5'), 150], [lookupDevice('up5k'), 24]] as const) {
      expect([...optimizeFolding(tiny28, { device, clockMhz: mhz }).folding.values()].some((f) => f.pack)).toBe(false);
    }
  });

  it('says when even the most folded design does not fit', () => {
    const up5k = lookupDevice('up5k');
    const o = optimizeFolding(tiny28, { device: up5k, clockMhz: 24 });
    expect(o.bottleneck.resource).toMatch(/even the most folded design needs \d+ % of the device/);
    expect(o.mostFolded).toBe(true);
    const r = buildReport(buildDesign(tiny28, o.folding), 'sepnet-tiny-28', up5k, { clockMhz: 24, mostFolded: o.mostFolded });
    expect(r.fits).toBe(false);
    // More folding cannot help, so the report does not suggest it.
    for (const p of r.fitProblems) expect(p).toMatch(/a smaller network, or BQ weights \(every stage is already at its most folded\)$/);
    expect(optimizeFolding(tiny28, { device: z7, clockMhz: 200 }).mostFolded).toBe(false);
  });

  it('refuses a budget or rate that makes no sense, naming the option', () => {
    const bad = (o: Parameters<typeof optimizeFolding>[1], re: RegExp): void => {
      expect(() => optimizeFolding(tiny28, o)).toThrowError(GenRtlError);
      expect(() => optimizeFolding(tiny28, o)).toThrowError(re);
    };
    bad({ device: z7, clockMhz: 200, maxUtil: 0 }, /^--max-util: must be a share in \(0, 1\], got 0$/);
    bad({ device: z7, clockMhz: 200, maxUtil: 1.5 }, /^--max-util: /);
    bad({ device: z7, clockMhz: 200, targetFps: -3 }, /^--target-fps: must be a positive rate/);
    bad({ device: z7, clockMhz: 200, targetFps: 1e9 }, /^--target-fps: 1000000000 images\/s at 200 MHz needs at most 0 cycles per image; stage "\w+" \(\w+\) cannot go below 784/);
    expect(capacityOf(z7).dsp).toBe(220);
  });
});

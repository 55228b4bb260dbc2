import { describe, expect, it } from 'vitest';
import { buildDesign } from '../../generator/emit/design.js';
import { balancedFolding, resolveFolding } from '../../generator/emit/fold.js';
import { render } from '../../generator/emit/generate.js';
import { DEVICES, lookupDevice } from '../../generator/map/devices.js';
import { stageCost } from '../../generator/map/cost.js';
import { buildReport, capacityOf, fabricOf, renderReportText, reportHtmlView } from '../../generator/map/report.js';
import { zooModel } from '../../generator/zoo/index.js';

describe('resource/fit report', () => {
  const tiny = zooModel('sepnet-tiny-28').info;
  const tinyDesign = buildDesign(tiny, resolveFolding(tiny, undefined, 'default'));

  it('sepnet-tiny-28 fits the xc7z020, with totals that add up and the documented JSON fields', () => {
    const r = buildReport(tinyDesign, 'sepnet-tiny-28', lookupDevice('xc7z020'), { clockMhz: 100 });
    expect(r.fits).toBe(true);
    expect(r.fitProblems).toEqual([]);
    for (const k of ['lut', 'ff', 'dsp', 'bram36', 'uram', 'onchipBytes'] as const) {
      expect(r.totals[k]).toBeGreaterThanOrEqual(0);
      expect(r.capacity[k]).toBeGreaterThanOrEqual(0);
    }
    expect(r.totals.lut).toBeCloseTo(r.stages.reduce((s, x) => s + x.lut, 0) + r.glue.lut, 6);
    expect(r.totals.dsp).toBe(r.stages.reduce((s, x) => s + x.dsp, 0) + r.glue.dsp);
    expect(r.cyclesPerImage).toBe(tinyDesign.predictedCyclesPerImage);
    expect(r.fps).toBeCloseTo(100e6 / tinyDesign.predictedCyclesPerImage, 6);
    expect(r.bottleneck.stage).toBe('conv1');
    expect(r.latencyCycles).toBeGreaterThan(r.cyclesPerImage);
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['device', 'clockMhz', 'fits', 'fitProblems', 'totals', 'capacity', 'fps', 'cyclesPerImage', 'latencyCycles', 'bottleneck', 'stages']));
  });

  it('estimates LUTs and FFs in the device\'s fabric: UltraScale+ parts with their own coefficients', () => {
    expect(['xc7z020', 'xc7z045', 'xczu3eg', 'xczu7ev', 'xczu9eg', 'xck26', 'xcvu9p', '5csema5', 'up5k'].map((d) => fabricOf(lookupDevice(d)))).toEqual(['xc7', 'xc7', 'xcup', 'xcup', 'xcup', 'xcup', 'xcup', 'xc7', 'xc7']);
    const z7 = buildReport(tinyDesign, 'sepnet-tiny-28', lookupDevice('xc7z045'), { clockMhz: 100 });
    const zu = buildReport(tinyDesign, 'sepnet-tiny-28', lookupDevice('xczu7ev'), { clockMhz: 100 });
    tinyDesign.stages.forEach((s, i) => {
      expect(z7.stages[i]!.lut, s.info.layer.name).toBe(stageCost(s, 'dsp48', 'xc7').lut);
      expect(zu.stages[i]!.lut, s.info.layer.name).toBe(stageCost(s, 'dsp48', 'xcup').lut);
      expect(zu.stages[i]!.dsp).toBe(z7.stages[i]!.dsp);
    });
    // The same RTL takes more LUTs and flip-flops as UltraScale+ cells (docs/cost-model.md, "UltraScale+").
    expect(zu.totals.lut).toBeGreaterThan(z7.totals.lut);
    expect(zu.totals.ff).toBeGreaterThan(z7.totals.ff);
  });

  it('counts UltraRAM line buffers: a URAM column and total where used, a fit problem on a part without it', () => {
    const folding = resolveFolding(tiny, { stages: { conv1: { uram: true }, conv2: { uram: true } } }, 'f.json');
    const design = buildDesign(tiny, folding);
    const zu7 = buildReport(design, 'sepnet-tiny-28', lookupDevice('xczu7ev'), { clockMhz: 250 });
    const used = zu7.stages.filter((s) => s.uram > 0).map((s) => s.name);
    expect(used).toEqual(['conv1', 'conv2']);
    expect(zu7.totals.uram).toBe(zu7.stages.reduce((t, s) => t + s.uram, 0));
    expect(zu7.fits).toBe(true);
    const text = renderReportText(zu7);
    expect(text).toMatch(new RegExp(`URAM ${zu7.totals.uram} / 96 \\(`));
    expect(text).toMatch(/PE x SIMD \(w: window, p: packed, u: UltraRAM\) .* BRAM36 +URAM +on-chip bits/);
    expect(text).toMatch(/\nconv1 +binconv +1 x 1 u /);
    // Without UltraRAM in the design, no URAM column.
    expect(renderReportText(buildReport(tinyDesign, 'sepnet-tiny-28', lookupDevice('xczu7ev'), { clockMhz: 250 }))).not.toMatch(/u: UltraRAM| URAM +on-chip/);
    const zu9 = buildReport(design, 'sepnet-tiny-28', lookupDevice('xczu9eg'), { clockMhz: 250 });
    expect(zu9.fits).toBe(false);
    expect(zu9.fitProblems).toEqual([expect.stringMatching(new RegExp(`^UltraRAM: needs ${zu7.totals.uram} URAM288, xczu9eg has 0, ${zu7.totals.uram} over; drop "uram" from some of stages conv1, conv2 in the folding$`))]);
    const withAlt = buildReport(design, 'sepnet-tiny-28', lookupDevice('xczu9eg'), { clockMhz: 250, alternatives: DEVICES });
    expect(withAlt.fitProblems[0]).toMatch(/, or use a part with more UltraRAM \(e\.g\. xck26\)$/);
    // The bits count once, on chip.
    expect(zu7.totals.onchipBytes).toBe(buildReport(tinyDesign, 'x', lookupDevice('xczu7ev'), { clockMhz: 250 }).totals.onchipBytes);
  });

  it('SEP-Net small does not fit the xc7z020 and says what, by how much, and what to try', () => {
    const info = zooModel('sepnet-small').info;
    const r = buildReport(buildDesign(info, balancedFolding(info)), 'sepnet-small', lookupDevice('xc7z020'), { clockMhz: 200, alternatives: DEVICES });
    expect(r.fits).toBe(false);
    const text = r.fitProblems.join('\n');
    expect(text).toMatch(/DSP slices: needs [\d,]+ DSP48E1, xc7z020 has 220, [\d,]+ over/);
    expect(text).toMatch(/block RAM: needs/);
    expect(text).toMatch(/on-chip memory: needs [\d,]+ bytes .* xc7z020 has 645,120/);
    expect(text).toMatch(/try a bigger device \(e\.g\. \w+\), more folding/);
    expect(renderReportText(r)).toMatch(/DOES NOT FIT/);
  });

  it('enforces the on-chip budget', () => {
    const r = buildReport(tinyDesign, 'sepnet-tiny-28', lookupDevice('xczu9eg'), { clockMhz: 100, onchipLimitBytes: 1000 });
    expect(r.fits).toBe(false);
    expect(r.fitProblems.join()).toMatch(/over the 1,000-byte budget \(--onchip-limit\)/);
  });

  it('compares Intel and Lattice parts in LUT6 and BRAM36 equivalents', () => {
    expect(capacityOf(lookupDevice('5csema5')).lut).toBe(2 * 32070);
    expect(capacityOf(lookupDevice('up5k')).lut).toBe(2640);
    expect(capacityOf(lookupDevice('up5k')).dsp).toBe(8);
  });

  it('renders a self-contained HTML page with a bar per stage and the bottleneck highlighted', () => {
    const r = buildReport(tinyDesign, 'sepnet-tiny-28', lookupDevice('xc7z020'), { clockMhz: 100 });
    const html = render('report.html.hbs', reportHtmlView(r));
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(html.match(/class="bar"/g)!.length).toBe(r.stages.length);
    expect(html).toMatch(/<tr class="bottleneck"><td>conv1<\/td>/);
  });
});

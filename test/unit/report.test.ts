import { describe, expect, it } from 'vitest';
import { buildDesign } from '../../generator/emit/design.js';
import { balancedFolding, resolveFolding } from '../../generator/emit/fold.js';
import { render } from '../../generator/emit/generate.js';
import { DEVICES, lookupDevice } from '../../generator/map/devices.js';
import { buildReport, capacityOf, renderReportText, reportHtmlView } from '../../generator/map/report.js';
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

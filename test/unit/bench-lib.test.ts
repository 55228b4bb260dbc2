/**
 * The pure helpers of `npm run bench` (bench/bench-lib.ts): medians, the DSP
 * roofline and efficiency, targets, the results schema and the table. The
 * benchmark itself is not part of the test suite.
 */
import { describe, expect, it } from 'vitest';
import { efficiency, figure, median, meets, renderTable, ResultsSchema, rooflineCycles, skipped } from '../../bench/bench-lib.js';

describe('bench helpers', () => {
  it('median of odd and even counts, unsorted input untouched', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it('roofline cycles are int8 MACs over DSPs; efficiency is roofline over measured', () => {
    expect(rooflineCycles(1_000_000, 1000)).toBe(1000);
    expect(efficiency(1000, 1250)).toBeCloseTo(0.8);
    expect(() => rooflineCycles(10, 0)).toThrow();
  });

  it('targets: at most, at least, none, and no value', () => {
    expect(meets(1.5, { kind: 'max', value: 2 })).toBe(true);
    expect(meets(2.5, { kind: 'max', value: 2 })).toBe(false);
    expect(meets(89, { kind: 'min', value: 90 })).toBe(false);
    expect(meets(1, null)).toBeNull();
    expect(meets(null, { kind: 'min', value: 1 })).toBeNull();
    expect(skipped('x', 's', { kind: 'max', value: 1 }, 'skipped (--quick)')).toMatchObject({ value: null, met: null, runs: 0 });
  });

  it('results validate against the schema and render as a table', () => {
    const figures = [
      figure('optimizer sepnet-small on xczu7ev', 0.123, 's', { kind: 'max', value: 1 }, 5, 'a note'),
      figure('hw sepnet-small on xczu7ev: roofline efficiency (predicted)', 37.5, '%', { kind: 'min', value: 90 }, 1),
      skipped('verilator sepnet-small: one image, build and run', 's', { kind: 'max', value: 900 }, 'skipped (--quick)'),
      { ...skipped('optimizer sepnet-small on up5k', 's', { kind: 'max', value: 1 }, 'did not finish'), met: false },
    ];
    const r = ResultsSchema.parse({
      machine: { cpus: 2, model: 'cpu', memGB: 8, loadAverage: [0.1, 0.2, 0.3] },
      versions: { node: 'v20', verilator: null, onnxruntime: '1.30.0', genRtl: 'abc1234' },
      quick: true,
      date: '2026-01-01T00:00:00.000Z',
      figures,
    });
    expect(r.figures).toHaveLength(4);
    expect(() => ResultsSchema.parse({ ...r, figures: [{ ...figures[0], value: 'fast' }] })).toThrow();
    const t = renderTable(figures).split('\n');
    expect(t).toHaveLength(6);
    expect(t[2]).toMatch(/optimizer sepnet-small on xczu7ev +0\.123 s +<= 1 s +met +median of 5 +a note/);
    expect(t[3]).toMatch(/37\.5 % +>= 90 % +MISSED/);
    expect(t[4]).toMatch(/n\/a .*skipped \(--quick\)/);
    expect(t[5]).toMatch(/n\/a +<= 1 s +MISSED .*did not finish/);
  });
});

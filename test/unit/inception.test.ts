/**
 * GoogLeNet, C-InceptionNet and inception-tiny in the zoo: parameter counts per binarize policy
 * beside the paper's Table 5, the policy parser, and GoogLeNet's fit on the xcvu9p.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../generator/cli/cli.js';
import { deviceReport } from '../../generator/cli/commands.js';
import type { CliIo } from '../../generator/cli/io.js';
import { binarizesKernel, mergesPrb, parseBinarizePolicy, quantize } from '../../generator/quant/quantize.js';
import { summarize } from '../../generator/report/summary.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { zooDef, zooModel } from '../../generator/zoo/index.js';

/**
 * Parameter counts of a zoo net under a policy. Counts do not depend on the activation scales, so
 * the model is quantized without calibration images (GoogLeNet's float runs take seconds each).
 */
const built = new Map<string, ReturnType<ReturnType<typeof zooDef>['build']>>();
function params(name: string, binarize: string): { full: number; pattern: number; binary: number; int8: number } {
  const def = zooDef(name);
  if (!built.has(name)) built.set(name, def.build(1));
  const { layers, output } = built.get(name)!;
  const { info } = quantize({ name, classes: def.classes, layers, output, provenance: { source: 'test', dataset: null, seed: 1, accuracy: {}, notes: [] } }, { binarize, calibration: [] });
  return summarize(info).params;
}

/** Weights of a convolution. */
const conv = (cin: number, cout: number, k: number): number => cin * cout * k * k;

/** Szegedy et al. 2015, Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj. */
const MODULES = [
  [64, 96, 128, 16, 32, 32],
  [128, 128, 192, 32, 96, 64],
  [192, 96, 208, 16, 48, 64],
  [160, 112, 224, 24, 64, 64],
  [128, 128, 256, 24, 64, 64],
  [112, 144, 288, 32, 64, 64],
  [256, 160, 320, 32, 128, 128],
  [256, 160, 320, 32, 128, 128],
  [384, 192, 384, 48, 128, 128],
] as const;

/** Weights by kernel size of GoogLeNet (`full`) or C-InceptionNet; the stem's 3×3 counted apart. */
function handCount(full: boolean): { k1: number; k3: number; k5: number; k7: number; stem3: number; fc: number } {
  let c = 192;
  let k1 = conv(64, 64, 1);
  let k3 = 0;
  let k5 = 0;
  for (const [a, r3, o3, r5, o5, p] of MODULES) {
    k1 += conv(c, a, 1) + conv(c, r3, 1) + (full ? conv(c, r5, 1) + conv(c, p, 1) : 0);
    k3 += conv(r3, o3, 3);
    k5 += full ? conv(r5, o5, 5) : 0;
    c = a + o3 + (full ? o5 + p : 0);
  }
  return { k1, k3, k5, k7: conv(3, 64, 7), stem3: conv(64, 192, 3), fc: c * 1000 + 1000 };
}

describe('binarize policy', () => {
  it('accepts the names and sets of kernel sizes, normalized', () => {
    expect(parseBinarizePolicy('kxk')).toEqual({ policy: 'kxk', kernels: 'k>1' });
    expect(parseBinarizePolicy('all')).toEqual({ policy: 'all', kernels: 'all' });
    expect(parseBinarizePolicy('none')).toEqual({ policy: 'none', kernels: [] });
    expect(parseBinarizePolicy('1x1')).toEqual({ policy: '1x1', kernels: [1] });
    expect(parseBinarizePolicy('5x5, 3x3')).toEqual({ policy: '3x3,5x5', kernels: [3, 5] });
    expect(parseBinarizePolicy('3X3,3x3,7x7')).toEqual({ policy: '3x3,7x7', kernels: [3, 7] });
    const r = parseBinarizePolicy('3x3,5x5');
    expect([1, 3, 5, 7].map((k) => binarizesKernel(r, k))).toEqual([false, true, true, false]);
    expect([1, 3, 5, 7].map((k) => binarizesKernel(parseBinarizePolicy('kxk'), k))).toEqual([false, true, true, true]);
  });

  it('rejects anything else with a GenRtlError naming the value', () => {
    for (const bad of ['', 'kxK3', '3x5', '4', '3x3,', '3x3;5x5', '0x0', '16x16', 'x3', 'binary']) {
      expect(() => parseBinarizePolicy(bad)).toThrow(GenRtlError);
      expect(() => parseBinarizePolicy(bad)).toThrow(`binarize policy ${JSON.stringify(bad)}`);
    }
  });

  it('merges a PRB only when its k×k becomes patterns and its 1×1 stays int8', () => {
    expect(mergesPrb(parseBinarizePolicy('kxk'), 3)).toBe(true);
    expect(mergesPrb(parseBinarizePolicy('3x3'), 3)).toBe(true);
    expect(mergesPrb(parseBinarizePolicy('5x5'), 3)).toBe(false);
    expect(mergesPrb(parseBinarizePolicy('all'), 3)).toBe(false);
    expect(mergesPrb(parseBinarizePolicy('1x1,3x3'), 3)).toBe(false);
    expect(mergesPrb(parseBinarizePolicy('none'), 3)).toBe(false);
  });

  it('gen-rtl zoo and import refuse a bad --binarize with exit 1 and the value named', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gen-rtl-inception-')), 'x.sepb');
    for (const argv of [
      ['zoo', 'inception-tiny', '--binarize', '4x3', '--out', out],
      ['import', 'missing.onnx', '--binarize', '3x3x', '--out', out],
    ]) {
      let err = '';
      const io: CliIo = { stdout: () => {}, stderr: (t) => (err += t), isTty: false };
      expect(await runCli(argv, io)).toBe(1);
      expect(err).toContain(`binarize policy "${argv[3]}"`);
    }
  });

  it('gen-rtl zoo --binarize writes the variant and records it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gen-rtl-inception-')), 'x.sepb');
    let text = '';
    const io: CliIo = { stdout: (t) => (text += t), stderr: () => {}, isTty: false };
    expect(await runCli(['zoo', 'inception-tiny', '--binarize', '5x5,3x3', '--out', out, '--json'], io)).toBe(0);
    expect(JSON.parse(text).binarize).toBe('3x3,5x5');
    expect(readFileSync(out).includes(Buffer.from('gen-rtl zoo inception-tiny --seed 1 --binarize 3x3,5x5'))).toBe(true);
  });
});

describe('parameter counts beside the paper\'s Table 5', () => {
  const g = handCount(true);
  const c = handCount(false);
  const gFull = g.k1 + g.k3 + g.k5 + g.k7 + g.stem3 + g.fc;
  const cFull = c.k1 + c.k3 + c.k7 + c.stem3 + c.fc;

  it('GoogLeNet: 6,991,272 full (paper 6.99 M); pattern counts one number per binarized kernel', () => {
    expect(gFull).toBe(6_991_272);
    const counts = Object.fromEntries(['kxk', '3x3', '5x5', '3x3,5x5', '1x1', 'none'].map((p) => [p, params('googlenet', p)]));
    for (const p of Object.values(counts)) expect(p.full).toBe(gFull);
    // The stem's 3×3 (conv2) stays int8 under every policy; kxk binarizes the 7×7 stem too.
    expect(counts['kxk']!.pattern).toBe(gFull - (g.k3 * 8) / 9 - (g.k5 * 24) / 25 - (g.k7 * 48) / 49);
    expect(counts['kxk']!.pattern).toBe(3_752_360);
    expect(counts['3x3']!.pattern).toBe(4_332_968); // paper 4.43 M
    expect(counts['5x5']!.pattern).toBe(6_419_880); // paper 6.43 M
    expect(counts['3x3,5x5']!.pattern).toBe(3_761_576); // paper 3.87 M
    expect(counts['3x3,5x5']!.pattern).toBe(gFull - (g.k3 * 8) / 9 - (g.k5 * 24) / 25);
    // 1×1 patterns: each 1×1 kernel already is one number, so the count does not change.
    expect(counts['1x1']!.pattern).toBe(gFull);
    expect(counts['1x1']!.binary).toBe(g.k1);
    expect(counts['none']!.binary).toBe(0);
  });

  it('C-InceptionNet (1×1 and 3×3 branches): 5,098,920 full (paper 5.10 M), 2,431,400 pattern (paper 2.43 M)', () => {
    const p = params('c-inceptionnet', 'kxk');
    expect(p.full).toBe(cFull);
    expect(p.full).toBe(5_098_920);
    expect(p.pattern).toBe(cFull - (c.k3 * 8) / 9 - (c.k7 * 48) / 49);
    expect(p.pattern).toBe(2_431_400);
  });

  it('inception-tiny: small enough to co-simulate', () => {
    const p = params('inception-tiny', 'kxk');
    expect(p).toEqual({ full: 6_714, pattern: 2_746, binary: 4_336, int8: 2_368 });
  });
});

describe('GoogLeNet on the xcvu9p', () => {
  it('fits under the device and the 10 MiB budget (the one slow test: quantizing calibrates at 224x224)', () => {
    const { info } = zooModel('googlenet');
    const r = deviceReport(info, { device: 'xcvu9p', deviceFile: undefined, clockMhz: undefined, fold: undefined, maxUtil: undefined, targetFps: undefined, onchipLimit: undefined });
    expect(r.fitProblems).toEqual([]);
    expect(r.fits).toBe(true);
    expect(r.totals.onchipBytes).toBeLessThanOrEqual(10 * 2 ** 20);
    expect(r.fps).toBeGreaterThan(1000);
  }, 120_000);
});

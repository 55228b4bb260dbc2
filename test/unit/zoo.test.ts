import { describe, expect, it } from 'vitest';
import { writeModel } from '../../generator/format/model-file.js';
import { runFloat } from '../../generator/reference/float.js';
import { runInteger } from '../../generator/reference/integer.js';
import { summarize } from '../../generator/report/summary.js';
import { Prng } from '../../generator/util/prng.js';
import { syntheticImages, zooModel } from '../../generator/zoo/index.js';

/** Weights of a (grouped) convolution. */
const conv = (cin: number, cout: number, k: number, g = 1): number => (cin / g) * cout * k * k;

/** SEP module: reduce, PRB (k×k + 1×1), PRB, recover (paper Tables 7/8). */
function sepModule(c: number, r: number, m1: number, m2: number, reduceGroups = 1): { full: number; kxk: number } {
  const kxk = conv(r, m1, 3, 4) + conv(m1, m2, 3, 4);
  return { full: conv(c, r, 1, reduceGroups) + conv(r, m1, 1, 4) + conv(m1, m2, 1, 4) + conv(m2, c, 1) + kxk, kxk };
}

describe('zoo parameter counts (hand-derived from the paper tables)', () => {
  it('SEP-Net small: Table 8 read sequentially, 1000-way classifier with bias', () => {
    const modules = [sepModule(64, 32, 32, 16), sepModule(128, 64, 64, 32), sepModule(256, 128, 128, 64), sepModule(256, 128, 128, 64), sepModule(256, 128, 128, 64, 4), sepModule(256, 128, 128, 64)];
    const convs = [conv(3, 64, 5), conv(64, 128, 3), conv(128, 256, 3, 4), conv(256, 256, 3, 4), conv(256, 512, 3, 16)];
    const full = convs.reduce((a, b) => a + b, 0) + modules.reduce((a, m) => a + m.full, 0) + 512 * 1000 + 1000;
    const s = summarize(zooModel('sepnet-small').info);
    expect(s.params.full).toBe(full);
    expect(full).toBe(1_338_792);
    expect(s.params.full).toBeGreaterThanOrEqual(1.3e6);
    expect(s.params.full).toBeLessThanOrEqual(1.4e6);
  });

  it('SEP-Net large: Table 7, 400 channels in conv5 with 4 groups', () => {
    const s = summarize(zooModel('sepnet-large').info);
    expect(s.params.full).toBe(1_825_832);
    expect(s.params.full).toBeGreaterThanOrEqual(1.7e6);
    expect(s.params.full).toBeLessThanOrEqual(1.9e6);
  });

  it('ResNet-20: 3x3 weights, two projection shortcuts, classifier', () => {
    const n = 3;
    const k3 = conv(3, 16, 3) + 2 * n * conv(16, 16, 3) + conv(16, 32, 3) + (2 * n - 1) * conv(32, 32, 3) + conv(32, 64, 3) + (2 * n - 1) * conv(64, 64, 3);
    const rest = conv(16, 32, 1) + conv(32, 64, 1) + 64 * 10 + 10;
    const s = summarize(zooModel('resnet20').info);
    expect(s.params.full).toBe(k3 + rest);
    expect(s.params.pattern).toBe(k3 / 9 + rest);
    expect(s.params.binary).toBe(k3);
  });

  it('the SEP-Net small BQ model file is at most 1.0 MB', () => {
    const bytes = writeModel(zooModel('sepnet-small').info);
    expect(bytes.length).toBeLessThanOrEqual(1_000_000);
  });
});

describe('float vs integer reference', () => {
  for (const name of ['sepnet-tiny-28', 'sepnet-tiny-32']) {
    it(`${name}: argmax agreement on random inputs`, () => {
      const { info } = zooModel(name);
      const s = info.input;
      const rng = new Prng(2024);
      const images = [
        ...syntheticImages(s.height, s.width, s.channels, 100, 99),
        ...Array.from({ length: 100 }, () => ({ ...s, data: Uint8Array.from({ length: s.height * s.width * s.channels }, () => rng.int(0, 255)) })),
      ];
      const agree = images.filter((px) => runInteger(info, px).class === runFloat(info, px).class).length / images.length;
      console.log(`${name}: float/integer argmax agreement ${(agree * 100).toFixed(1)} % on ${images.length} random images`);
      expect(agree).toBeGreaterThanOrEqual(0.85);
    });
  }
});

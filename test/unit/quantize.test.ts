import { describe, expect, it } from 'vitest';
import type { FloatLayer, FloatModel } from '../../generator/quant/float-model.js';
import { quantize } from '../../generator/quant/quantize.js';
import { requantParams } from '../../generator/quant/requant.js';
import { runFloat } from '../../generator/reference/float.js';
import { runInteger } from '../../generator/reference/integer.js';
import { NetBuilder } from '../../generator/zoo/builder.js';
import { syntheticImages } from '../../generator/zoo/index.js';

const provenance = { source: 'test', dataset: null, seed: null, accuracy: {}, notes: [] };

function floatModel(layers: FloatLayer[], output: string, classes = 4): FloatModel {
  return { name: 't', classes: Array.from({ length: classes }, (_, i) => `c${i}`), layers, output, provenance };
}

describe('quantize', () => {
  it('gives every input of nested concats one scale', () => {
    const b = new NetBuilder(3);
    const x = b.input(8, 8, 2, [0.5, 0.5], [0.25, 0.25]);
    const p = b.conv('p', x, 4, 1);
    const q = b.conv('q', x, 4, 3, { int8: true });
    const r = b.conv('r', x, 4, 1);
    const inner = b.concat('inner', [p, q]);
    const pooled = b.maxpool('pool', r, 1, 1);
    const outer = b.concat('outer', [inner, pooled]);
    const g = b.avgpool('gap', outer);
    b.fc('fc', g, 12, 4);
    const calibration = syntheticImages(8, 8, 2, 4, 1);
    const { info } = quantize(floatModel(b.layers, 'fc'), { binarize: 'kxk', calibration });
    const scales = ['p', 'q', 'r', 'inner', 'pool', 'outer'].map((n) => info.byName.get(n)!.outType.scale);
    expect(new Set(scales).size).toBe(1);
    expect(Number.isFinite(scales[0]!)).toBe(true);
    // The integer model tracks the float one on its calibration images.
    for (const px of calibration) expect(runInteger(info, px).class).toBe(runFloat(info, px).class);
  });

  it('refuses a fused ReLU on the output layer, naming it', () => {
    const b = new NetBuilder(1);
    const x = b.input(4, 4, 1, [0], [1]);
    const g = b.avgpool('gap', x);
    b.fc('logits', g, 1, 4, true);
    expect(() => quantize(floatModel(b.layers, 'logits'), { binarize: 'kxk', calibration: [] })).toThrow(/layer "logits" \(fc\): the output layer cannot have a fused ReLU/);
  });

  it('gives a dead channel shift 0 so it does not widen the requantization sum', () => {
    const p = requantParams([Float64Array.from([0.5, 0])], Float64Array.from([0, 0]));
    expect(Array.from(p.shift)).toEqual([15, 0]);
    expect(Array.from(p.mult[0]!)).toEqual([16384, 0]);
  });
});

/**
 * Micro networks: one layer kind (or one SEP module) between a small input and
 * a classifier, for co-simulating every layer kind on its own. Odd image sizes
 * on purpose, so padding and stride edges are exercised.
 */
import type { Model } from '../ir/types.js';
import type { ModelInfo } from '../ir/analyze.js';
import { quantize } from '../quant/quantize.js';
import { NetBuilder, type Tensor } from './builder.js';
import { syntheticImages } from './index.js';

export interface MicroNet {
  readonly name: string;
  /** Builds the layer(s) under test on `x`; returns the tensor the classifier reads. */
  body(b: NetBuilder, x: Tensor): Tensor;
  readonly input: { readonly height: number; readonly width: number; readonly channels: number };
}

const IN = { height: 7, width: 9, channels: 4 };

export const MICRO_NETS: readonly MicroNet[] = [
  { name: 'binconv-k3-s1-p1', input: IN, body: (b, x) => b.conv('dut', x, 8, 3) },
  { name: 'binconv-k3-s2-p1-g2', input: IN, body: (b, x) => b.conv('dut', x, 8, 3, { stride: 2, groups: 2 }) },
  { name: 'binconv-k5-s1-p2', input: IN, body: (b, x) => b.conv('dut', x, 6, 5, { pad: 2 }) },
  { name: 'binconv-k7-s2-p3', input: IN, body: (b, x) => b.conv('dut', x, 6, 7, { stride: 2, pad: 3 }) },
  { name: 'binconv-k5-s2-p2-g2', input: IN, body: (b, x) => b.conv('dut', x, 4, 5, { stride: 2, pad: 2, groups: 2 }) },
  { name: 'binconv-k3-s1-p0', input: IN, body: (b, x) => b.conv('dut', x, 4, 3, { pad: 0 }) },
  { name: 'int8-conv-1x1', input: IN, body: (b, x) => b.conv('dut', x, 8, 1) },
  { name: 'int8-conv-3x3-g2', input: IN, body: (b, x) => b.conv('dut', x, 8, 3, { groups: 2, int8: true }) },
  { name: 'prb-s1-g2', input: IN, body: (b, x) => b.prb('dut', x, 8, { groups: 2 }) },
  { name: 'prb-s2-g4', input: IN, body: (b, x) => b.prb('dut', x, 8, { stride: 2, groups: 4 }) },
  {
    name: 'sep-module',
    input: IN,
    body: (b, x) => {
      const r = b.conv('reduce', x, 4, 1);
      const p1 = b.prb('prb1', r, 4, { groups: 2 });
      const p2 = b.prb('prb2', p1, 4, { groups: 2 });
      const rec = b.conv('recover', p2, 4, 1, { relu: false });
      return b.add('dut', x, rec);
    },
  },
  { name: 'maxpool-k2-s2', input: IN, body: (b, x) => b.maxpool('dut', b.conv('pre', x, 4, 1), 2, 2) },
  { name: 'maxpool-k3-s2-p1', input: IN, body: (b, x) => b.maxpool('dut', b.conv('pre', x, 4, 1), 3, 2, 1) },
  { name: 'maxpool-k3-s1-p1', input: IN, body: (b, x) => b.maxpool('dut', b.conv('pre', x, 4, 1), 3, 1, 1) },
  {
    name: 'concat',
    input: IN,
    body: (b, x) => b.concat('dut', [b.conv('a', x, 4, 1), b.conv('b', x, 4, 3, { int8: true })]),
  },
  {
    // GoogLeNet's module: four branches forking from one stream (1×1; 1×1 → 3×3; 1×1 → 5×5;
    // 3×3/1 max pool → 1×1), each with its own latency, concatenated along channels.
    name: 'inception',
    input: IN,
    body: (b, x) => {
      const stem = b.conv('stem', x, 6, 1);
      const b1 = b.conv('b1_1x1', stem, 4, 1);
      const b2 = b.conv('b2_3x3', b.conv('b2_reduce', stem, 4, 1), 6, 3);
      const b3 = b.conv('b3_5x5', b.conv('b3_reduce', stem, 2, 1), 4, 5);
      const b4 = b.conv('b4_proj', b.maxpool('b4_pool', stem, 3, 1, 1), 2, 1);
      return b.concat('dut', [b1, b2, b3, b4]);
    },
  },
];

/** Quantized micro network: DUT body, then global average pool and a 5-way classifier. */
export function microModel(net: MicroNet, seed: number): { model: Model; info: ModelInfo } {
  const b = new NetBuilder(seed);
  const x = b.input(net.input.height, net.input.width, net.input.channels, [0.5, 0.45, 0.4, 0.5].slice(0, net.input.channels), [0.25, 0.25, 0.25, 0.3].slice(0, net.input.channels));
  const y = net.body(b, x);
  const g = b.avgpool('gap', y);
  const out = b.fc('fc', g, y.channels, 5);
  const calibration = syntheticImages(net.input.height, net.input.width, net.input.channels, 8, seed);
  const { model, info } = quantize(
    {
      name: `micro-${net.name}`,
      classes: ['a', 'b', 'c', 'd', 'e'],
      layers: b.layers,
      output: out.name,
      provenance: { source: `micro ${net.name} seed ${seed}`, dataset: null, seed, accuracy: {}, notes: [] },
    },
    { binarize: 'kxk', calibration },
  );
  return { model, info };
}

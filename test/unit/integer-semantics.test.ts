/**
 * Pins the integer semantics (docs/integer-semantics.md) of every layer kind on
 * tiny hand-built models. Every expected integer is computed by hand in the
 * comments; nothing here calls the reference's own helpers to get an expectation.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../generator/ir/analyze.js';
import type {
  AddLayer,
  AvgPoolLayer,
  BinConvLayer,
  ConcatLayer,
  ConvGeom,
  ConvLayer,
  FcLayer,
  InputLayer,
  Layer,
  MaxPoolLayer,
  Model,
  PrbLayer,
  Requant,
} from '../../generator/ir/types.js';
import { requantParams } from '../../generator/quant/requant.js';
import { binarize, quantizeInt8 } from '../../generator/quant/weights.js';
import { runFloat } from '../../generator/reference/float.js';
import { runInteger } from '../../generator/reference/integer.js';
import { convolve, convolveInteger } from '../../generator/reference/kernels.js';
import { Prng } from '../../generator/util/prng.js';
import type { Pixels } from '../../generator/reference/run.js';
import { GenRtlError } from '../../generator/util/errors.js';

// ---------------------------------------------------------------------------
// Builders.

interface RqOpts {
  readonly relu?: boolean;
  readonly bits?: 8 | 16 | 32;
  readonly scale?: number;
  /** Overrides the signedness that `relu` implies (to build illegal requants). */
  readonly signed?: boolean;
}

/** A requantization: one multiplier row per term, one entry per channel. */
function rq(mult: readonly (readonly number[])[], bias: readonly number[], shift: readonly number[], o: RqOpts = {}): Requant {
  const relu = o.relu ?? false;
  return {
    mult: mult.map((m) => Int32Array.from(m)),
    bias: Int32Array.from(bias),
    shift: Uint8Array.from(shift),
    relu,
    out: { signed: o.signed ?? !relu, bits: o.bits ?? 8, scale: o.scale ?? 1 },
  };
}

/** The same multiplier(s), bias and shift on all `channels` channels. */
function rqAll(channels: number, mults: readonly number[], bias: number, shift: number, o: RqOpts = {}): Requant {
  const fill = (v: number): number[] => Array.from({ length: channels }, () => v);
  return rq(mults.map(fill), fill(bias), fill(shift), o);
}

/** y = x: M = 1, s = 0, no rounding term. */
const identity = (channels: number, o: RqOpts = {}): Requant => rqAll(channels, [1], 0, 0, o);

type Act = 'u8' | 'i8';

/**
 * An input layer whose integer output is a plain function of the pixel:
 *   'u8': M = 1, bias = 0,    s = 0, ReLU → y = p        (uint8)
 *   'i8': M = 1, bias = −128, s = 0      → y = p − 128  (int8)
 * The float side is chosen to match: std = 1/255 and mean = 0 or 128/255, so the
 * float value is p or p − 128 (up to float rounding).
 */
function input(h: number, w: number, c: number, act: Act = 'u8', name = 'in'): InputLayer {
  const fill = (v: number): number[] => Array.from({ length: c }, () => v);
  return {
    kind: 'input',
    name,
    inputs: [],
    height: h,
    width: w,
    channels: c,
    mean: fill(act === 'u8' ? 0 : 128 / 255),
    std: fill(1 / 255),
    requant: act === 'u8' ? identity(c, { relu: true }) : rqAll(c, [1], -128, 0),
  };
}

/** Pixels whose input-layer integers (see `input`) are `values` (HWC). */
function pixels(h: number, w: number, c: number, values: readonly number[], act: Act = 'u8'): Pixels {
  expect(values.length).toBe(h * w * c);
  const data = Uint8Array.from(values.map((v) => (act === 'u8' ? v : v + 128)));
  values.forEach((v, i) => expect(data[i]).toBe(act === 'u8' ? v : v + 128)); // every value is representable
  return { height: h, width: w, channels: c, data };
}

const geom = (kernel: number, stride = 1, pad = 0, groups = 1): ConvGeom => ({ kernel, stride, pad, groups });
const ones = (n: number, v = 1): number[] => Array.from({ length: n }, () => v);

function binconv(name: string, from: string, cout: number, g: ConvGeom, patterns: readonly number[], requant: Requant, alpha = ones(cout), floatBias = ones(cout, 0)): BinConvLayer {
  return { kind: 'binconv', name, inputs: [from], outChannels: cout, geom: g, patterns: Int8Array.from(patterns), alpha: Float32Array.from(alpha), floatBias: Float32Array.from(floatBias), requant };
}

function conv(name: string, from: string, cout: number, g: ConvGeom, weights: readonly number[], requant: Requant, weightScale = ones(cout), floatBias = ones(cout, 0)): ConvLayer {
  return { kind: 'conv', name, inputs: [from], outChannels: cout, geom: g, weights: Int8Array.from(weights), weightScale: Float32Array.from(weightScale), floatBias: Float32Array.from(floatBias), requant };
}

function prb(
  name: string,
  from: string,
  cout: number,
  g: ConvGeom,
  patterns: readonly number[],
  weights: readonly number[],
  requant: Requant,
  f: { alpha?: number[]; weightScale?: number[]; floatBias?: number[] } = {},
): PrbLayer {
  return {
    kind: 'prb',
    name,
    inputs: [from],
    outChannels: cout,
    geom: g,
    patterns: Int8Array.from(patterns),
    alpha: Float32Array.from(f.alpha ?? ones(cout)),
    weights: Int8Array.from(weights),
    weightScale: Float32Array.from(f.weightScale ?? ones(cout)),
    floatBias: Float32Array.from(f.floatBias ?? ones(cout, 0)),
    requant,
  };
}

function fc(name: string, from: string, cout: number, weights: readonly number[], requant: Requant, weightScale = ones(cout), floatBias = ones(cout, 0)): FcLayer {
  return { kind: 'fc', name, inputs: [from], outChannels: cout, weights: Int8Array.from(weights), weightScale: Float32Array.from(weightScale), floatBias: Float32Array.from(floatBias), requant };
}

const add = (name: string, a: string, b: string, requant: Requant): AddLayer => ({ kind: 'add', name, inputs: [a, b], requant });
const maxpool = (name: string, from: string, kernel: number, stride: number, pad: number): MaxPoolLayer => ({ kind: 'maxpool', name, inputs: [from], kernel, stride, pad });
const avgpool = (name: string, from: string, requant: Requant): AvgPoolLayer => ({ kind: 'avgpool', name, inputs: [from], requant });
const concat = (name: string, from: readonly string[]): ConcatLayer => ({ kind: 'concat', name, inputs: from });

/** A model whose output is its last layer, with `classes` labels. */
function model(layers: readonly Layer[], classes: number, output = layers[layers.length - 1]!.name): Model {
  return {
    name: 'm',
    classes: Array.from({ length: classes }, (_, i) => `c${i}`),
    layers,
    output,
    provenance: { source: 'test', dataset: null, seed: null, accuracy: {}, notes: [] },
  };
}

function runInt(m: Model, px: Pixels): number[] {
  return Array.from(runInteger(analyze(m), px).logits);
}

function runF(m: Model, px: Pixels): number[] {
  return Array.from(runFloat(analyze(m), px).logits);
}

function expectClose(got: readonly number[], want: readonly number[], digits = 5): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i], `index ${i}`).toBeCloseTo(w, digits));
}

/** Runs one requant on the input layer: acc = p exactly, so y = f(p). */
function requantOfPixels(ps: readonly number[], requant: Requant, channels = 1): number[] {
  const w = ps.length / channels;
  const inp: InputLayer = { ...input(1, w, channels), requant };
  return runInt(model([inp], ps.length), { height: 1, width: w, channels, data: Uint8Array.from(ps) });
}

function analyzeError(m: Model): string {
  try {
    analyze(m);
  } catch (e) {
    expect(e).toBeInstanceOf(GenRtlError);
    return (e as Error).message;
  }
  throw new Error('analyze() accepted the model');
}

// The 3×3 pattern used by several tests (ky rows, kx columns):
//   +1 −1 +1
//   −1 +1 −1
//   +1 +1 −1
const P3 = [1, -1, 1, -1, 1, -1, 1, 1, -1];
const X3 = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // 3×3×1, row-major
const X4 = Array.from({ length: 16 }, (_, i) => i + 1); // 4×4×1: 1..16

// ---------------------------------------------------------------------------

describe('requantization y = sat((Σ acc·M + bias + 2^(s−1)) >> s)', () => {
  it('rounds half up then floors, for positive and negative sums (s = 1)', () => {
    // M = 1, bias = −10, s = 1: y = floor((p − 10 + 1) / 2).
    //   p   sum=p−10  real   v=sum+1  floor(v/2)
    //   3     −7     −3.5     −6        −3
    //   4     −6     −3       −5        −3   (−2.5 floors to −3)
    //   5     −5     −2.5     −4        −2
    //   7     −3     −1.5     −2        −1
    //   8     −2     −1       −1        −1   (−0.5 floors to −1)
    //   9     −1     −0.5      0         0
    //  10      0      0        1         0
    //  11      1      0.5      2         1
    //  14      4      2        5         2
    //  15      5      2.5      6         3
    const ps = [3, 4, 5, 7, 8, 9, 10, 11, 14, 15];
    expect(requantOfPixels(ps, rq([[1]], [-10], [1]))).toEqual([-3, -3, -2, -1, -1, 0, 0, 1, 2, 3]);
  });

  it('rounds half up then floors (s = 2)', () => {
    // M = 1, bias = −20, s = 2: y = floor((p − 20 + 2) / 4).
    //   p=10: sum −10 (−2.5)  v −8  → −2
    //   p=12: sum −8  (−2)    v −6  → floor(−1.5) = −2
    //   p=14: sum −6  (−1.5)  v −4  → −1
    //   p=17: sum −3  (−0.75) v −1  → floor(−0.25) = −1
    //   p=18: sum −2  (−0.5)  v 0   → 0
    //   p=29: sum 9   (2.25)  v 11  → 2
    //   p=30: sum 10  (2.5)   v 12  → 3
    expect(requantOfPixels([10, 12, 14, 17, 18, 29, 30], rq([[1]], [-20], [2]))).toEqual([-2, -2, -1, -1, 0, 2, 3]);
  });

  it('adds no rounding term when s = 0: y = Σ acc·M + bias exactly', () => {
    // M = 3, bias = −5, s = 0: y = 3p − 5.  p = 0 → −5, 1 → −2, 10 → 25, 44 → 127.
    expect(requantOfPixels([0, 1, 10, 44], rq([[3]], [-5], [0]))).toEqual([-5, -2, 25, 127]);
  });

  it('saturates int8 at both ends', () => {
    // M = 2, bias = −255, s = 0: y = 2p − 255.
    //   p=0 → −255 → −128;  p=63 → −129 → −128;  p=64 → −127;  p=100 → −55;
    //   p=191 → 127;  p=192 → 129 → 127;  p=255 → 255 → 127.
    expect(requantOfPixels([0, 63, 64, 100, 191, 192, 255], rq([[2]], [-255], [0]))).toEqual([-128, -128, -127, -55, 127, 127, 127]);
  });

  it('saturates uint8 (ReLU) at 0 and 255', () => {
    // M = 2, bias = −100, s = 0, ReLU: y = clamp(2p − 100, 0, 255).
    //   p=0 → −100 → 0;  p=50 → 0;  p=51 → 2;  p=177 → 254;  p=178 → 256 → 255;  p=255 → 410 → 255.
    expect(requantOfPixels([0, 50, 51, 177, 178, 255], rq([[2]], [-100], [0], { relu: true }))).toEqual([0, 0, 2, 254, 255, 255]);
  });

  it('ReLU clamps negative results to 0 after rounding', () => {
    // M = 1, bias = −3, s = 1, ReLU: y = max(0, floor((p − 3 + 1) / 2)).
    //   p=0 → floor(−1) = −1 → 0;  p=1 → floor(−0.5) = −1 → 0;  p=2 → 0;  p=3 → floor(0.5) = 0;
    //   p=4 → floor(1) = 1;  p=9 → floor(3.5) = 3.
    expect(requantOfPixels([0, 1, 2, 3, 4, 9], rq([[1]], [-3], [1], { relu: true }))).toEqual([0, 0, 0, 0, 1, 3]);
  });

  it('uses per-channel multipliers, biases and shifts (channel = index mod C in HWC)', () => {
    // 1×2×3 pixels: pixel0 = [10, 20, 30], pixel1 = [255, 0, 7].
    // ch0: M=1,  b=0,   s=0: y = p                      → 10, 255 → 127 (sat)
    // ch1: M=3,  b=−10, s=1: y = floor((3p − 10 + 1)/2)  → p=20: 51/2 → 25;  p=0: −9/2 → −5
    // ch2: M=−2, b=100, s=2: y = floor((−2p + 100 + 2)/4) → p=30: 42/4 → 10; p=7: 88/4 → 22
    const r = rq([[1, 3, -2]], [0, -10, 100], [0, 1, 2]);
    expect(requantOfPixels([10, 20, 30, 255, 0, 7], r, 3)).toEqual([10, 25, 10, 127, -5, 22]);
  });

  it('writes 32-bit logits (and saturates there), 16-bit when asked', () => {
    // A one-layer model: the input layer is the output, so it may be 16/32-bit signed.
    // M = 131071, b = 0, s = 0: p=255 → 33,423,105 (needs 26 bits), p=1 → 131071.
    expect(requantOfPixels([255, 1], rq([[131071]], [0], [0], { bits: 32 }))).toEqual([33_423_105, 131_071]);
    // b = 2^31 − 1: 255·131071 + 2147483647 = 2,180,906,752 > 2^31 − 1 → 2147483647.
    expect(requantOfPixels([255, 0], rq([[131071]], [2147483647], [0], { bits: 32 }))).toEqual([2147483647, 2147483647]);
    // M = −131072, b = −2^31: p=255 → −33,423,360 − 2,147,483,648 → −2^31; p=0 → −2^31.
    expect(requantOfPixels([255, 0], rq([[-131072]], [-2147483648], [0], { bits: 32 }))).toEqual([-2147483648, -2147483648]);
    // int16: p=1 → 131071 → 32767; p=255 → ≫ → 32767; M·0 − 40000 → −32768.
    expect(requantOfPixels([1, 255], rq([[131071]], [0], [0], { bits: 16 }))).toEqual([32767, 32767]);
    expect(requantOfPixels([0], rq([[1]], [-40000], [0], { bits: 16 }))).toEqual([-32768]);
  });

  it('is exact for large sums near the float64 limit (s = 47)', () => {
    // M = 131071, bias = 2^31 − 1, s = 47, p = 255, 32-bit out:
    //   v = 255·131071 + 2147483647 + 2^46 = 33423105 + 2147483647 + 70368744177664 = 70370925084416
    //   v / 2^47 = 0.50000155... → floor → 0.   With p = 0 the same: 0.
    //   With bias = −2^31: v = 33423105 − 2147483648 + 2^46 = 70366630117121 → < 2^46·... → 0 (v/2^47 ≈ 0.49998)
    expect(requantOfPixels([255], rq([[131071]], [2147483647], [47], { bits: 32 }))).toEqual([0]);
    expect(requantOfPixels([255], rq([[131071]], [-2147483648], [47], { bits: 32 }))).toEqual([0]);
    // M = −1, bias = −2^31, s = 47: v = −p − 2^31 + 2^46 > 0 → 0.  s = 31: v = −255 − 2^31 + 2^30 → floor(−0.50000011...) = −1.
    expect(requantOfPixels([255], rq([[-1]], [-2147483648], [31], { bits: 32 }))).toEqual([-1]);
  });
});

describe('input layer', () => {
  it('requantizes each uint8 pixel with its channel parameters', () => {
    // 2×1×2 image, C = 2. ch0: M = 27000, b = −3000000, s = 15 (≈ (p/255 − 0.44)/0.035 style)
    //   p=0:   v = −3000000 + 16384 = −2983616 → /32768 = −91.05 → floor −92
    //   p=200: v = 5400000 − 3000000 + 16384 = 2416384 → 73.74 → 73
    // ch1: M = 100, b = 0, s = 0, no ReLU: p=1 → 100, p=2 → 200 → 127 (sat)
    const inp: InputLayer = { ...input(2, 1, 2), requant: rq([[27000, 100]], [-3000000, 0], [15, 0]) };
    const px: Pixels = { height: 2, width: 1, channels: 2, data: Uint8Array.from([0, 1, 200, 2]) };
    expect(runInt(model([inp], 4), px)).toEqual([-92, 100, 73, 127]);
  });

  it('float side is (p/255 − mean[c]) / std[c]', () => {
    // ch0: mean 0.5, std 0.25: p=255 → (1 − 0.5)/0.25 = 2;  p=0 → −2.
    // ch1: mean 0.2, std 0.5:  p=51 → (0.2 − 0.2)/0.5 = 0;  p=0 → −0.4.
    const inp: InputLayer = { ...input(1, 2, 2), mean: [0.5, 0.2], std: [0.25, 0.5], requant: identity(2) };
    const px: Pixels = { height: 1, width: 2, channels: 2, data: Uint8Array.from([255, 51, 0, 0]) };
    expectClose(runF(model([inp], 4), px), [2, 0, -2, -0.4], 12);
  });

  // BUG (generator/reference/float.ts, FLOAT_EXECUTORS.input): the float input
  // executor ignores `requant.relu`, which every other float executor applies
  // (finish()). analyze() accepts a ReLU input layer (uint8 out) and the integer
  // reference clamps it at 0, so the two references disagree on its sign.
  it('float input layer applies the fused ReLU like every other kind', () => {
    const inp: InputLayer = { ...input(1, 1, 1), mean: [0.5], std: [0.25], requant: identity(1, { relu: true }) };
    const px: Pixels = { height: 1, width: 1, channels: 1, data: Uint8Array.from([0]) };
    // integer: y = max(0, 0) = 0; float: (0 − 0.5)/0.25 = −2 → ReLU → 0.
    expect(runInt(model([inp], 1), px)).toEqual([0]);
    expect(runF(model([inp], 1), px)).toEqual([0]);
  });
});

describe('binary k×k convolution: acc = Σ (b ? x : −x), padding contributes 0', () => {
  it('3×3, pad 1, stride 1: every output by hand (edges see zeros)', () => {
    // Zero-padded input and pattern P3:
    //   0 0 0 0 0      +1 −1 +1
    //   0 1 2 3 0      −1 +1 −1
    //   0 4 5 6 0      +1 +1 −1
    //   0 7 8 9 0
    //   0 0 0 0 0
    // (0,0): ky1: −0 +1 −2 = −1;  ky2: 0 +4 −5 = −1                       → −2
    // (0,1): ky1: −1 +2 −3 = −2;  ky2: 4 +5 −6 = 3                        → 1
    // (0,2): ky1: −2 +3 −0 = 1;   ky2: 5 +6 −0 = 11                       → 12
    // (1,0): ky0: 0 −1 +2 = 1;    ky1: −0 +4 −5 = −1; ky2: 0 +7 −8 = −1    → −1
    // (1,1): 1−2+3 −4+5−6 +7+8−9                                         → 3
    // (1,2): ky0: 2 −3 +0 = −1;   ky1: −5 +6 −0 = 1;  ky2: 8 +9 −0 = 17    → 17
    // (2,0): ky0: 0 −4 +5 = 1;    ky1: −0 +7 −8 = −1                       → 0
    // (2,1): ky0: 4 −5 +6 = 5;    ky1: −7 +8 −9 = −8                       → −3
    // (2,2): ky0: 5 −6 +0 = −1;   ky1: −8 +9 −0 = 1                        → 0
    const m = model([input(3, 3, 1), binconv('b', 'in', 1, geom(3, 1, 1), P3, identity(1))], 9);
    expect(runInt(m, pixels(3, 3, 1, X3))).toEqual([-2, 1, 12, -1, 3, 17, 0, -3, 0]);
  });

  it('3×3, pad 1, stride 2 on a 4×4 input', () => {
    // Input 1..16 row-major; windows start at rows/cols −1 and 1; output 2×2.
    // (0,0): ky1 row0 [0,1,2] → −0+1−2 = −1; ky2 row1 [0,5,6] → 0+5−6 = −1                  → −2
    // (0,1): ky1 row0 [2,3,4] → −2+3−4 = −3; ky2 row1 [6,7,8] → 6+7−8 = 5                   → 2
    // (1,0): ky0 [0,5,6] → 1; ky1 [0,9,10] → −1; ky2 [0,13,14] → −1                          → −1
    // (1,1): ky0 [6,7,8] → 6−7+8 = 7; ky1 [10,11,12] → −11; ky2 [14,15,16] → 13             → 9
    const m = model([input(4, 4, 1), binconv('b', 'in', 1, geom(3, 2, 1), P3, identity(1))], 4);
    expect(runInt(m, pixels(4, 4, 1, X4))).toEqual([-2, 2, -1, 9]);
  });

  it('groups 2: each output channel sees only its group; negative int8 inputs', () => {
    // 1×1×4 int8 input x = [−10, 20, −30, 40]; 3×3 pad 1, so only the centre tap
    // (index 4 of each 3×3 kernel) sees a real pixel; every other tap is padding.
    // Patterns [cout=4][cin/g=2][3][3]; centre taps: co0 [+1,+1], co1 [+1,−1] (group 0: ch 0,1),
    // co2 [−1,+1], co3 [−1,−1] (group 1: ch 2,3). Off-centre taps alternate and must not matter.
    const centres = [[1, 1], [1, -1], [-1, 1], [-1, -1]];
    const pats: number[] = [];
    for (const pair of centres) for (const c of pair) for (let t = 0; t < 9; t++) pats.push(t === 4 ? c : t % 2 === 0 ? 1 : -1);
    // co0: −10 + 20 = 10;  co1: −10 − 20 = −30;  co2: +30 + 40 = 70;  co3: +30 − 40 = −10
    const m = model([input(1, 1, 4, 'i8'), binconv('b', 'in', 4, geom(3, 1, 1, 2), pats, identity(4))], 4);
    expect(runInt(m, pixels(1, 1, 4, [-10, 20, -30, 40], 'i8'))).toEqual([10, -30, 70, -10]);
  });

  it('5×5, pad 2: a corner, the far corner and the centre by hand', () => {
    // Input x(r,c) = 5r + c + 1 (1..25); pattern checkerboard P[ky][kx] = (−1)^(ky+kx).
    // With pad 2, the tap (ky,kx) of output (oy,ox) reads (oy+ky−2, ox+kx−2), and the sign is
    // (−1)^(r+c) of the pixel read (the offsets cancel mod 2).
    // Centre (2,2): Σ_{r,c=0..4} (−1)^(r+c)(5r+c+1); Σ_c (−1)^c = 1, Σ_c (−1)^c·c = 2,
    //   so each row gives (−1)^r (5r+1+2): 3 − 8 + 13 − 18 + 23 = 13.
    // Corner (0,0): only r,c ∈ 0..2 are real; Σ_c (−1)^c = 1, Σ_c (−1)^c·c = 1:
    //   rows (−1)^r (5r+2): 2 − 7 + 12 = 7.
    // Corner (4,4): r,c ∈ 2..4; Σ_c (−1)^c = 1, Σ_c (−1)^c·c = 2−3+4 = 3:
    //   rows (−1)^r (5r+4): 14 − 19 + 24 = 19.
    const pat = Array.from({ length: 25 }, (_, t) => ((Math.floor(t / 5) + (t % 5)) % 2 === 0 ? 1 : -1));
    const x = Array.from({ length: 25 }, (_, i) => i + 1);
    const m = model([input(5, 5, 1), binconv('b', 'in', 1, geom(5, 1, 2), pat, identity(1))], 25);
    const y = runInt(m, pixels(5, 5, 1, x));
    expect([y[0], y[12], y[24]]).toEqual([7, 13, 19]);
  });

  it('requantizes the accumulator with per-channel M, bias and shift', () => {
    // Same centre-only setup as the groups test but groups 1, 2 outputs, uint8 x = [200, 100].
    // co0 centre [+1, −1]: acc = 100;  co1 centre [−1, −1]: acc = −300.
    // co0: M=3, b=1, s=2: floor((300 + 1 + 2)/4) = floor(75.75) = 75
    // co1: M=1, b=0, s=1, (ReLU off): floor((−300 + 1)/2) = floor(−149.5) = −150 → −128 (sat)
    // Patterns [cout=2][cin=2][3][3]: co0 all +1 except its ch1 centre; co1 all −1.
    const pats = [...ones(18), ...ones(18, -1)];
    pats[9 + 4] = -1;
    const m = model([input(1, 1, 2), binconv('b', 'in', 2, geom(3, 1, 1), pats, rq([[3, 1]], [1, 0], [2, 1]))], 2);
    expect(runInt(m, pixels(1, 1, 2, [200, 100]))).toEqual([75, -128]);
  });
});

describe('int8 convolution: acc = Σ w·x', () => {
  it('1×1 over channels, per pixel; saturates', () => {
    // int8 input 1×2×3: pixel0 x = [1, 2, 3], pixel1 x = [−1, 0, 5].
    // w co0 = [1, −2, 3], co1 = [−128, 127, 0].
    // pixel0: co0 = 1 − 4 + 9 = 6;      co1 = −128 + 254 = 126
    // pixel1: co0 = −1 + 0 + 15 = 14;   co1 = 128 → 127 (int8 sat)
    const m = model([input(1, 2, 3, 'i8'), conv('c', 'in', 2, geom(1), [1, -2, 3, -128, 127, 0], identity(2))], 4);
    expect(runInt(m, pixels(1, 2, 3, [1, 2, 3, -1, 0, 5], 'i8'))).toEqual([6, 126, 14, 127]);
  });

  it('3×3, pad 1, groups 2: corner and centre', () => {
    // int8 input 3×3×2: ch0(r,c) = 3r+c+1 (1..9), ch1 = −ch0.
    // co0 (group 0, reads ch0) w = Sobel [1,0,−1; 2,0,−2; 1,0,−1]; co1 (group 1, reads ch1) w = all 1.
    // Centre (1,1): co0: (1−3) + (8−12) + (7−9) = −8;  co1: −(1+…+9) = −45.
    // Corner (0,0): real taps (1,1),(1,2),(2,1),(2,2) read (0,0),(0,1),(1,0),(1,1):
    //   co0: 0·1 − 2·2 + 0·4 − 1·5 = −9;   co1: −(1+2+4+5) = −12.
    const x: number[] = [];
    for (let i = 1; i <= 9; i++) x.push(i, -i);
    const w = [1, 0, -1, 2, 0, -2, 1, 0, -1, ...ones(9)];
    const m = model([input(3, 3, 2, 'i8'), conv('c', 'in', 2, geom(3, 1, 1, 2), w, identity(2))], 18);
    const y = runInt(m, pixels(3, 3, 2, x, 'i8'));
    expect([y[0], y[1]]).toEqual([-9, -12]);
    expect([y[8], y[9]]).toEqual([-8, -45]);
  });
});

describe('pattern residual block: binary k×k + int8 1×1 on the centre tap, two terms', () => {
  it('stride 2, different multipliers per term', () => {
    // 4×4 uint8 input 1..16, 3×3 pad 1 stride 2, pattern P3, 1×1 weight 3.
    // Binary acc (see the binconv stride-2 test): [−2, 2, −1, 9].
    // Centre taps: output (oy,ox) reads pixel (2oy, 2ox) = 1, 3, 9, 11 → int8 acc = 3·x = [3, 9, 27, 33].
    // M0 = 2, M1 = −1, bias = 1, s = 1: y = floor((2·accB − accI + 1 + 1) / 2)
    //   (0,0): −4 − 3 + 2 = −5 → −3 ;  (0,1): 4 − 9 + 2 = −3 → −2
    //   (1,0): −2 − 27 + 2 = −27 → −14 ; (1,1): 18 − 33 + 2 = −13 → −7
    const m = model([input(4, 4, 1), prb('p', 'in', 1, geom(3, 2, 1), P3, [3], rq([[2], [-1]], [1], [1]))], 4);
    expect(runInt(m, pixels(4, 4, 1, X4))).toEqual([-3, -2, -14, -7]);
  });

  it('groups 2 with per-channel multipliers on both terms', () => {
    // int8 1×1×2 x = [5, −7], 3×3 pad 1: only centre taps are real.
    // co0 (ch0): pattern centre −1, 1×1 w 4  → accB = −5, accI = 20
    // co1 (ch1): pattern centre +1, 1×1 w −2 → accB = −7, accI = 14
    // M0 = [1, 3], M1 = [1, 2], s = 0: y0 = −5 + 20 = 15; y1 = −21 + 28 = 7
    const pats = [...ones(9), ...ones(9, -1)];
    pats[4] = -1;
    pats[9 + 4] = 1;
    const m = model([input(1, 1, 2, 'i8'), prb('p', 'in', 2, geom(3, 1, 1, 2), pats, [4, -2], rq([[1, 3], [1, 2]], [0, 0], [0, 0]))], 2);
    expect(runInt(m, pixels(1, 1, 2, [5, -7], 'i8'))).toEqual([15, 7]);
  });
});

describe('residual add: two terms, acc_j = the input integers', () => {
  // int8 input x = [10, −20]; `swap` is a 1×1 conv giving b = [x1, x0] = [−20, 10].
  const addModel = (): Model =>
    model(
      [
        input(1, 1, 2, 'i8'),
        conv('swap', 'in', 2, geom(1), [0, 1, 1, 0], identity(2), [2, 0.5], [0, 1]),
        add('sum', 'in', 'swap', rq([[3, 1], [1, -2]], [0, 5], [1, 0])),
      ],
      2,
    );

  it('term 0 is inputs[0], term 1 inputs[1], each with its own multiplier', () => {
    // ch0: floor((3·10 + 1·(−20) + 0 + 1) / 2) = floor(11/2) = 5
    // ch1: (1·(−20) + (−2)·10 + 5), s = 0 → −35
    expect(runInt(addModel(), pixels(1, 1, 2, [10, -20], 'i8'))).toEqual([5, -35]);
  });
});

describe('max pool: padding never wins, output type = input type', () => {
  it('k2 s2 pad 1 on all-negative int8 input', () => {
    // x = −1..−9 (3×3). Windows: (0,0) covers only x(0,0) = −1; (0,1) x(0,1..2) = −2,−3 → −2;
    // (1,0) x(1..2,0) = −4,−7 → −4; (1,1) x(1..2,1..2) = −5,−6,−8,−9 → −5.  (Zero padding would give 0.)
    const m = model([input(3, 3, 1, 'i8'), maxpool('mp', 'in', 2, 2, 1)], 4);
    expect(runInt(m, pixels(3, 3, 1, X3.map((v) => -v), 'i8'))).toEqual([-1, -2, -4, -5]);
  });

  it('k3 s2 pad 1, two channels, and the type passes through', () => {
    // ch0 = −(3r+c+1); ch1 = [5, −3, 9; −128, 0, 2; 7, 127, −1].
    // (0,0) real (0,0),(0,1),(1,0),(1,1): ch0 max(−1,−2,−4,−5) = −1; ch1 max(5,−3,−128,0) = 5
    // (0,1) real (0,1),(0,2),(1,1),(1,2): ch0 −2; ch1 max(−3,9,0,2) = 9
    // (1,0) real (1,0),(1,1),(2,0),(2,1): ch0 −4; ch1 max(−128,0,7,127) = 127
    // (1,1) real (1,1),(1,2),(2,1),(2,2): ch0 −5; ch1 max(0,2,127,−1) = 127
    const ch1 = [5, -3, 9, -128, 0, 2, 7, 127, -1];
    const x: number[] = [];
    for (let i = 0; i < 9; i++) x.push(-(i + 1), ch1[i]!);
    const inp: InputLayer = { ...input(3, 3, 2, 'i8'), requant: rqAll(2, [1], -128, 0, { scale: 0.125 }) };
    const m = model([inp, maxpool('mp', 'in', 3, 2, 1)], 8);
    expect(runInt(m, pixels(3, 3, 2, x, 'i8'))).toEqual([-1, 5, -2, 9, -4, 127, -5, 127]);
    expect(analyze(m).byName.get('mp')!.outType).toEqual({ signed: true, bits: 8, scale: 0.125 });
    expect(analyze(m).byName.get('mp')!.outShape).toEqual({ height: 2, width: 2, channels: 2 });
  });
});

describe('global average pool: acc = Σ over H·W, 1/(H·W) in the multiplier', () => {
  it('sums then requantizes with per-channel multipliers', () => {
    // uint8 2×2×2: ch0 = [10, 20, 30, 42] (Σ 102, mean 25.5), ch1 = 255 ×4 (Σ 1020).
    // ch0: M = 16384, s = 16 (= 1/4): (102·16384 + 32768) / 65536 = 1703936/65536 = 26 (25.5 rounds up)
    // ch1: M = 8192, s = 16 (= 1/8):   (1020·8192 + 32768) / 65536 = 8388608/65536 = 128
    const x = [10, 255, 20, 255, 30, 255, 42, 255];
    const m = model([input(2, 2, 2), avgpool('gap', 'in', rq([[16384, 8192]], [0, 0], [16, 16], { relu: true }))], 2);
    expect(runInt(m, pixels(2, 2, 2, x))).toEqual([26, 128]);
  });
});

describe('fully connected over the HWC-flattened input', () => {
  // int8 2×2×2 input, flattened HWC: i = (y·2 + x)·2 + c:
  //   [x(0,0,0)=1, x(0,0,1)=−2, x(0,1,0)=3, x(0,1,1)=−4, x(1,0,0)=5, x(1,0,1)=−6, x(1,1,0)=7, x(1,1,1)=−8]
  const X = [1, -2, 3, -4, 5, -6, 7, -8];
  // row0 picks i=2 (×10) and i=5: HWC → 10·3 + (−6) = 24   (CHW order would give 10·5 + (−4) = 46)
  // row1 = i:  Σ i·x_i = 0 −2 +6 −12 +20 −30 +42 −56 = −32 (CHW order would give −86)
  const W = [0, 0, 10, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7];
  const fcModel = (): Model =>
    model([input(2, 2, 2, 'i8'), fc('fc', 'in', 2, W, rq([[1, 1000]], [0, 7], [0, 0], { bits: 32 }), [0.5, 0.001], [1, 0])], 2);

  it('flattens in HWC order, 32-bit logits', () => {
    // logits: [24·1 + 0, −32·1000 + 7] = [24, −31993]
    const r = runInteger(analyze(fcModel()), pixels(2, 2, 2, X, 'i8'));
    expect(Array.from(r.logits)).toEqual([24, -31993]);
    expect(r.class).toBe(0);
  });

  it('argmax is the first maximum', () => {
    // 1×1×1 input x, w = [1, 2, 2]: logits [x, 2x, 2x].
    const m = model([input(1, 1, 1, 'i8'), fc('fc', 'in', 3, [1, 2, 2], identity(3, { bits: 32 }))], 3);
    const info = analyze(m);
    expect(runInteger(info, pixels(1, 1, 1, [3], 'i8')).class).toBe(1); // [3, 6, 6]
    expect(runInteger(info, pixels(1, 1, 1, [-3], 'i8')).class).toBe(0); // [−3, −6, −6]
    expect(runInteger(info, pixels(1, 1, 1, [0], 'i8')).class).toBe(0); // [0, 0, 0]
  });
});

describe('concat: channel interleave per pixel', () => {
  it('appends the inputs channels in order at each pixel', () => {
    // int8 x = [3, −4] (1×2×1). a = 1×1 conv w [1, 2] → a = [3, 6], [−4, −8]; b = w [−1] → [−3], [4].
    // HWC concat: pixel0 [3, 6, −3], pixel1 [−4, −8, 4].
    const m = model(
      [input(1, 2, 1, 'i8'), conv('a', 'in', 2, geom(1), [1, 2], identity(2)), conv('b', 'in', 1, geom(1), [-1], identity(1)), concat('cat', ['a', 'b'])],
      6,
    );
    expect(runInt(m, pixels(1, 2, 1, [3, -4], 'i8'))).toEqual([3, 6, -3, -4, -8, 4]);
    expect(analyze(m).byName.get('cat')!.outShape).toEqual({ height: 1, width: 2, channels: 3 });
  });
});

// ---------------------------------------------------------------------------

describe('analyze(): accumulator ranges and widths from worst-case bounds', () => {
  const accOf = (m: Model, name: string) => analyze(m).byName.get(name)!.acc.map((a) => [a.range.min, a.range.max, a.bits]);

  it('binconv: n · max|x|', () => {
    // uint8, 3×3, cin 2, groups 1: n = 18 → ±18·255 = ±4590 → 14 bits (4095 < 4590 ≤ 8191)
    const pats = ones(18);
    expect(accOf(model([input(3, 3, 2), binconv('b', 'in', 1, geom(3), pats, identity(1))], 1), 'b')).toEqual([[-4590, 4590, 14]]);
    // groups 2, 2 outputs: n = 9 → ±2295 → 13 bits
    expect(accOf(model([input(3, 3, 2), binconv('b', 'in', 2, geom(3, 1, 0, 2), pats, identity(2))], 2), 'b')).toEqual([[-2295, 2295, 13]]);
    // int8: max|x| = 128, n = 18 → ±2304 → 13 bits
    expect(accOf(model([input(3, 3, 2, 'i8'), binconv('b', 'in', 1, geom(3), pats, identity(1))], 1), 'b')).toEqual([[-2304, 2304, 13]]);
  });

  it('worked example: 3×3 binary conv over 64 uint8 channels', () => {
    // n = 64·9 = 576 → ±576·255 = ±146880; 2^17 = 131072 < 146880 ≤ 2^18 − 1 → 19 bits
    const m = model([input(3, 3, 64), binconv('b', 'in', 1, geom(3), ones(576), identity(1))], 1);
    expect(accOf(m, 'b')).toEqual([[-146880, 146880, 19]]);
  });

  it('conv: n · (range(x) × [−128, 127])', () => {
    // uint8: [0,255]×[−128,127] = [−32640, 32385]; n = 18 → [−587520, 582930] → 21 bits
    expect(accOf(model([input(3, 3, 2), conv('c', 'in', 1, geom(3), ones(18), identity(1))], 1), 'c')).toEqual([[-587520, 582930, 21]]);
    // int8: [−128,127]² = [−16256, 16384]; n = 18 → [−292608, 294912] → 20 bits
    expect(accOf(model([input(3, 3, 2, 'i8'), conv('c', 'in', 1, geom(3), ones(18), identity(1))], 1), 'c')).toEqual([[-292608, 294912, 20]]);
  });

  it('prb: binary term over the grouped window, int8 term over cin/groups', () => {
    // uint8, cin 4, groups 2, 3×3: binary n = 2·9 = 18 → ±4590 (14 bits); int8 n = 2 → [−65280, 64770] (17 bits)
    const m = model([input(3, 3, 4), prb('p', 'in', 2, geom(3, 1, 1, 2), ones(36), [1, 1, 1, 1], rqAll(2, [1, 1], 0, 0))], 18);
    expect(accOf(m, 'p')).toEqual([
      [-4590, 4590, 14],
      [-65280, 64770, 17],
    ]);
  });

  it('fc: n = H·W·C', () => {
    // int8 2×2×2: n = 8 → [−130048, 131072]; 131072 = 2^17 needs 19 bits
    const m = model([input(2, 2, 2, 'i8'), fc('fc', 'in', 1, ones(8), identity(1, { bits: 32 }))], 1);
    expect(accOf(m, 'fc')).toEqual([[-130048, 131072, 19]]);
  });

  it('avgpool: H·W · range(x)', () => {
    // uint8 2×2×2: [0, 1020] → 11 bits;  int8: [−512, 508] → 10 bits
    expect(accOf(model([input(2, 2, 2), avgpool('g', 'in', identity(2))], 2), 'g')).toEqual([[0, 1020, 11]]);
    expect(accOf(model([input(2, 2, 2, 'i8'), avgpool('g', 'in', identity(2))], 2), 'g')).toEqual([[-512, 508, 10]]);
  });

  it('add: one term per input, each the input type range; input: [0, 255]', () => {
    // uint8 input + int8 (a 1×1 conv without ReLU): [0,255] → 9 bits, [−128,127] → 8 bits
    const m = model([input(1, 1, 2), conv('c', 'in', 2, geom(1), [1, 0, 0, 1], identity(2)), add('a', 'in', 'c', rqAll(2, [1, 1], 0, 0, { relu: true }))], 2);
    expect(accOf(m, 'a')).toEqual([
      [0, 255, 9],
      [-128, 127, 8],
    ]);
    expect(accOf(m, 'in')).toEqual([[0, 255, 9]]);
  });

  it('requantization sum: Σ term·[Mmin, Mmax] + [bmin, bmax] + [0, 2^(smax−1)]', () => {
    // avgpool uint8 2×2×2: term [0, 1020], M ∈ [1, 64] → [0, 65280]; bias [−5, 10]; s max 3 → [0, 4]
    //   → [−5, 65294] → 17 bits (65294 ≤ 2^16 − 1)
    const g = model([input(2, 2, 2), avgpool('g', 'in', rq([[64, 1]], [-5, 10], [2, 3]))], 2);
    const rs = analyze(g).byName.get('g')!.requantSum!;
    expect([rs.range.min, rs.range.max, rs.bits]).toEqual([-5, 65294, 17]);
    // conv int8 3×3 cin 2: term [−292608, 294912], M ∈ [−3, 2], s = 0:
    //   corners −292608·−3 = 877824, −292608·2 = −585216, 294912·−3 = −884736, 294912·2 = 589824
    //   → [−884736, 877824] → 21 bits
    const c = model([input(3, 3, 2, 'i8'), conv('c', 'in', 2, geom(3), ones(36), rq([[-3, 2]], [0, 0], [0, 0]))], 2);
    const cs = analyze(c).byName.get('c')!.requantSum!;
    expect([cs.range.min, cs.range.max, cs.bits]).toEqual([-884736, 877824, 21]);
    // max pool and concat have no accumulator and no requantization
    const mp = analyze(model([input(2, 2, 1), maxpool('mp', 'in', 2, 2, 0)], 1)).byName.get('mp')!;
    expect(mp.acc).toEqual([]);
    expect(mp.requantSum).toBeNull();
  });

  it('worked example: the SEP-Net-small classifier (7×7×512 uint8 → avgpool → fc)', () => {
    // avgpool: 49·[0, 255] = [0, 12495] → 15 bits.
    // With M = 19149, s = 19: sum = [0, 12495·19149 + 2^18] = [0, 239528899] → 29 bits.
    // fc on 1×1×512 uint8 (pool with ReLU): 512·[−32640, 32385] = [−16711680, 16581120] → 25 bits.
    // With M ∈ [16391, 32766], bias ∈ [−64274446, 64225054], s ≤ 17:
    //   min = −16711680·32766 − 64274446 = −547639181326
    //   max = 16581120·32766 + 64225054 + 2^16 = 543361268510   → 40 bits (2^39 ≈ 5.50e11)
    const fcW = new Int8Array(512 * 2);
    const m = model(
      [
        input(7, 7, 512),
        avgpool('pool', 'in', rqAll(512, [19149], 0, 19, { relu: true })),
        { ...fc('fc', 'pool', 2, [], rq([[16391, 32766]], [-64274446, 64225054], [16, 17], { bits: 32 })), weights: fcW },
      ],
      2,
    );
    const info = analyze(m);
    const p = info.byName.get('pool')!;
    const f = info.byName.get('fc')!;
    expect([p.acc[0]!.range.min, p.acc[0]!.range.max, p.acc[0]!.bits]).toEqual([0, 12495, 15]);
    expect([p.requantSum!.range.min, p.requantSum!.range.max, p.requantSum!.bits]).toEqual([0, 239528899, 29]);
    expect([f.acc[0]!.range.min, f.acc[0]!.range.max, f.acc[0]!.bits]).toEqual([-16711680, 16581120, 25]);
    expect([f.requantSum!.range.min, f.requantSum!.range.max, f.requantSum!.bits]).toEqual([-547639181326, 543361268510, 40]);
  });
});

describe('analyze(): validation errors name the layer and the reason', () => {
  it('groups must divide the channels', () => {
    const m = model([input(3, 3, 4), binconv('b', 'in', 3, geom(3, 1, 1, 3), ones(36), identity(3))], 27);
    expect(analyzeError(m)).toMatch(/^layer "b" \(binconv\): groups \(3\) must divide the input channels \(4\)$/);
    const m2 = model([input(3, 3, 4), conv('c', 'in', 3, geom(1, 1, 0, 2), ones(6), identity(3))], 27);
    expect(analyzeError(m2)).toMatch(/^layer "c" \(conv\): groups \(2\) must divide the output channels \(3\)$/);
  });

  it('a PRB needs an odd kernel and pad (k−1)/2', () => {
    const even = model([input(4, 4, 1), prb('p', 'in', 1, geom(2, 1, 0), ones(4), [1], rqAll(1, [1, 1], 0, 0))], 9);
    expect(analyzeError(even)).toMatch(/^layer "p" \(prb\): a pattern residual block needs an odd kernel with pad \(k-1\)\/2.*got kernel 2, pad 0$/);
    const pad0 = model([input(4, 4, 1), prb('p', 'in', 1, geom(3, 1, 0), ones(9), [1], rqAll(1, [1, 1], 0, 0))], 4);
    expect(analyzeError(pad0)).toMatch(/^layer "p" \(prb\): .*got kernel 3, pad 0$/);
  });

  it('multipliers must lie in −2^17..2^17−1', () => {
    const mk = (mlt: number): Model => model([input(1, 1, 1), conv('c', 'in', 1, geom(1), [1], rq([[mlt]], [0], [0]))], 1);
    expect(analyzeError(mk(131072))).toBe('layer "c" (conv): multiplier 0 must lie in -131072..131071, got 131072..131072');
    expect(analyzeError(mk(-131073))).toMatch(/^layer "c" \(conv\): multiplier 0 must lie in -131072\.\.131071/);
    expect(() => analyze(mk(131071))).not.toThrow();
    expect(() => analyze(mk(-131072))).not.toThrow();
  });

  it('shift at most 47; 8-bit outputs except a signed model output', () => {
    const sh = model([input(1, 1, 1), conv('c', 'in', 1, geom(1), [1], rq([[1]], [0], [48]))], 1);
    expect(analyzeError(sh)).toBe('layer "c" (conv): shift must be at most 47, got 48');
    const wide = model([input(1, 1, 1), conv('c', 'in', 1, geom(1), [1], identity(1, { bits: 32 })), conv('d', 'c', 1, geom(1), [1], identity(1))], 1);
    expect(analyzeError(wide)).toMatch(/^layer "c" \(conv\): output must be 8-bit \(16- or 32-bit signed only for the model output\), got int32$/);
    const u32 = model([input(1, 1, 1), conv('c', 'in', 1, geom(1), [1], identity(1, { relu: true, bits: 32 }))], 1);
    expect(analyzeError(u32)).toMatch(/^layer "c" \(conv\): output must be 8-bit .*got uint32$/);
  });

  it('ReLU output must be unsigned, no-ReLU output signed', () => {
    const a = model([input(1, 1, 1), conv('c', 'in', 1, geom(1), [1], identity(1, { relu: true, signed: true }))], 1);
    expect(analyzeError(a)).toBe('layer "c" (conv): a ReLU output must be unsigned');
    const b = model([input(1, 1, 1), conv('c', 'in', 1, geom(1), [1], identity(1, { relu: false, signed: false }))], 1);
    expect(analyzeError(b)).toBe('layer "c" (conv): an output without ReLU must be signed');
  });

  it('add needs inputs of one shape', () => {
    const m = model([input(1, 1, 2), conv('c', 'in', 3, geom(1), ones(6), identity(3)), add('a', 'in', 'c', rqAll(2, [1, 1], 0, 0))], 2);
    expect(analyzeError(m)).toBe('layer "a" (add): inputs must have one shape, got 1x1x2 and 1x1x3');
  });

  it('concat needs one activation type and scale', () => {
    const mk = (s2: number, relu2 = false): Model =>
      model(
        [
          input(1, 1, 1),
          conv('a', 'in', 1, geom(1), [1], identity(1)),
          conv('b', 'in', 1, geom(1), [1], identity(1, { scale: s2, relu: relu2 })),
          concat('cat', ['a', 'b']),
        ],
        2,
      );
    expect(analyzeError(mk(0.5))).toMatch(/^layer "cat" \(concat\): every input must have the same activation type and scale/);
    expect(analyzeError(mk(1, true))).toMatch(/^layer "cat" \(concat\): every input must have the same activation type/);
    expect(() => analyze(mk(1))).not.toThrow();
  });

  it('inputs must name earlier layers', () => {
    const m = model([input(1, 1, 1), conv('c', 'nope', 1, geom(1), [1], identity(1))], 1);
    expect(analyzeError(m)).toBe('layer "c" (conv): input "nope" is not an earlier layer');
  });

  it('every non-output layer must be used', () => {
    const m = model([input(1, 1, 1), conv('a', 'in', 1, geom(1), [1], identity(1)), conv('b', 'in', 1, geom(1), [1], identity(1))], 1);
    expect(analyzeError(m)).toBe('layer "a" (conv): its output is used by no layer');
  });

  it('the output must be the last layer', () => {
    const m = model([input(1, 1, 1), conv('a', 'in', 1, geom(1), [1], identity(1)), conv('b', 'a', 1, geom(1), [1], identity(1))], 1, 'a');
    expect(analyzeError(m)).toBe('model "m": the output layer "a" must be the last layer');
  });

  it('one class label per output value', () => {
    const m = model([input(1, 1, 1), conv('a', 'in', 2, geom(1), [1, 1], identity(2))], 3);
    expect(analyzeError(m)).toBe('model "m": has 3 class labels but the output "a" has 2 values');
  });

  it('the worst-case requantization sum must stay below 2^53', () => {
    // int8 input 2048×2048×1 → fc with n = 2^22: acc ∈ [−16256·2^22, 16384·2^22] = [.., 2^36].
    // M = 131071, bias 0, s = 0: max = 2^36·131071 = 2^53 − 2^36 < 2^53 → accepted (54-bit sum).
    // s = 47 adds the rounding term 2^46: 2^53 − 2^36 + 2^46 ≥ 2^53 → rejected.
    const n = 2 ** 22;
    const w = new Int8Array(n);
    const mk = (s: number): Model => model([input(2048, 2048, 1, 'i8'), { ...fc('fc', 'in', 1, [], rq([[131071]], [0], [s], { bits: 32 })), weights: w }], 1);
    const ok = analyze(mk(0)).byName.get('fc')!.requantSum!;
    expect(ok.range.max).toBe(2 ** 53 - 2 ** 36);
    expect(ok.range.min).toBe(-16256 * n * 131071);
    expect(ok.bits).toBe(54);
    expect(analyzeError(mk(47))).toMatch(/^layer "fc" \(fc\): worst-case requantization sum .* exceeds 2\^53; lower the multipliers or the bias$/);
  });
});

// ---------------------------------------------------------------------------

describe('float reference on the same tiny models', () => {
  // The input layers map p → p (u8) or p − 128 (i8) in float too (std = 1/255).

  it('binconv: alpha·Σ(b·x) + float bias, ReLU', () => {
    // acc (binconv 3×3 test) = [−2, 1, 12, −1, 3, 17, 0, −3, 0]; alpha 0.5, bias 1:
    //   0.5·acc + 1 = [0, 1.5, 7, 0.5, 2.5, 9.5, 1, −0.5, 1]; ReLU → −0.5 becomes 0.
    const m = model([input(3, 3, 1), binconv('b', 'in', 1, geom(3, 1, 1), P3, identity(1, { relu: true }), [0.5], [1])], 9);
    expectClose(runF(m, pixels(3, 3, 1, X3)), [0, 1.5, 7, 0.5, 2.5, 9.5, 1, 0, 1]);
  });

  it('conv: weightScale·Σ(w·x) + float bias (no ReLU)', () => {
    // acc (1×1 test) pixel0 [6, 126], pixel1 [14, 128]; scales [0.1, 0.01], bias [0.5, −1]:
    //   [0.6+0.5, 1.26−1, 1.4+0.5, 1.28−1] = [1.1, 0.26, 1.9, 0.28]
    const m = model([input(1, 2, 3, 'i8'), conv('c', 'in', 2, geom(1), [1, -2, 3, -128, 127, 0], identity(2), [0.1, 0.01], [0.5, -1])], 4);
    expectClose(runF(m, pixels(1, 2, 3, [1, 2, 3, -1, 0, 5], 'i8')), [1.1, 0.26, 1.9, 0.28]);
  });

  it('prb: alpha·accB + weightScale·accI + bias', () => {
    // accB = [−2, 2, −1, 9], accI = [3, 9, 27, 33]; alpha 0.5, scale 0.25, bias −1:
    //   [−1 + 0.75 − 1, 1 + 2.25 − 1, −0.5 + 6.75 − 1, 4.5 + 8.25 − 1] = [−1.25, 2.25, 5.25, 11.75]
    const m = model([input(4, 4, 1), prb('p', 'in', 1, geom(3, 2, 1), P3, [3], rq([[2], [-1]], [1], [1]), { alpha: [0.5], weightScale: [0.25], floatBias: [-1] })], 4);
    expectClose(runF(m, pixels(4, 4, 1, X4)), [-1.25, 2.25, 5.25, 11.75]);
  });

  it('add: a + b in real units (requant multipliers play no part)', () => {
    // x = [10, −20]; swap (scales [2, 0.5], bias [0, 1]) = [2·(−20), 0.5·10 + 1] = [−40, 6]
    // sum = [10 − 40, −20 + 6] = [−30, −14]
    const m = model(
      [input(1, 1, 2, 'i8'), conv('swap', 'in', 2, geom(1), [0, 1, 1, 0], identity(2), [2, 0.5], [0, 1]), add('sum', 'in', 'swap', rq([[3, 1], [1, -2]], [0, 5], [1, 0]))],
      2,
    );
    expectClose(runF(m, pixels(1, 1, 2, [10, -20], 'i8')), [-30, -14]);
  });

  it('maxpool: padding never wins in float either', () => {
    const m = model([input(3, 3, 1, 'i8'), maxpool('mp', 'in', 2, 2, 1)], 4);
    expectClose(runF(m, pixels(3, 3, 1, X3.map((v) => -v), 'i8')), [-1, -2, -4, -5]);
  });

  it('avgpool: the mean, then ReLU', () => {
    // ch0 mean (10+20+30+42)/4 = 25.5, ch1 255.
    const x = [10, 255, 20, 255, 30, 255, 42, 255];
    const m = model([input(2, 2, 2), avgpool('gap', 'in', rq([[16384, 8192]], [0, 0], [16, 16], { relu: true }))], 2);
    expectClose(runF(m, pixels(2, 2, 2, x)), [25.5, 255]);
  });

  it('fc: weightScale·Σ(w·x) + bias over the HWC flatten', () => {
    // acc [24, −32]; scales [0.5, 0.001], bias [1, 0]: [13, −0.032]
    const m = model([input(2, 2, 2, 'i8'), fc('fc', 'in', 2, [0, 0, 10, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7], rq([[1, 1000]], [0, 7], [0, 0], { bits: 32 }), [0.5, 0.001], [1, 0])], 2);
    expectClose(runF(m, pixels(2, 2, 2, [1, -2, 3, -4, 5, -6, 7, -8], 'i8')), [13, -0.032]);
  });

  it('concat: the same interleave', () => {
    const m = model(
      [input(1, 2, 1, 'i8'), conv('a', 'in', 2, geom(1), [1, 2], identity(2)), conv('b', 'in', 1, geom(1), [-1], identity(1)), concat('cat', ['a', 'b'])],
      6,
    );
    expectClose(runF(m, pixels(1, 2, 1, [3, -4], 'i8')), [3, 6, -3, -4, -8, 4]);
  });
});

// ---------------------------------------------------------------------------

describe('quant/weights.ts', () => {
  it('binarize: sign with 0 → +1 (also −0), alpha = mean |W| per filter', () => {
    // filter0 [0.5, −0.5, 0, −0.25]: B = [+1, −1, +1, −1], alpha = 1.25/4 = 0.3125
    // filter1 [−0, −1, 2, 1]:        B = [+1, −1, +1, +1], alpha = 4/4 = 1
    const b = binarize([0.5, -0.5, 0, -0.25, -0, -1, 2, 1], 2);
    expect(Array.from(b.patterns)).toEqual([1, -1, 1, -1, 1, -1, 1, 1]);
    expect(Array.from(b.alpha)).toEqual([0.3125, 1]);
  });

  it('binarize: a filter that already is ±alpha comes back exactly', () => {
    const a = Math.fround(0.3);
    const signs = [1, -1, -1, 1, 1, 1, -1, 1, -1];
    const w = Float32Array.from(signs, (s) => s * a);
    const b = binarize(w, 1);
    expect(Array.from(b.patterns)).toEqual(signs);
    expect(b.alpha[0]).toBe(a);
    expect(b.relativeError).toBe(0);
    w.forEach((v, i) => expect(b.alpha[0]! * b.patterns[i]!).toBe(v));
  });

  it('binarize: relative error Σ‖W − αB‖² / Σ‖W‖²', () => {
    // [1, −3]: alpha 2, αB = [2, −2], err = 1 + 1 = 2, norm = 1 + 9 = 10 → 0.2
    expect(binarize([1, -3], 1).relativeError).toBeCloseTo(0.2, 15);
    // + filter [2, 2] (err 0, norm 8): 2 / 18
    const b = binarize([1, -3, 2, 2], 2);
    expect(Array.from(b.alpha)).toEqual([2, 2]);
    expect(b.relativeError).toBeCloseTo(2 / 18, 15);
  });

  it('quantizeInt8: per-channel scale max|w|/127, round, all-zero channel', () => {
    // ch0 max 127 → scale 1: [127, −3.5, 2.5, −0.4, 0.6] → [127, −3, 3, 0, 1]
    //   (Math.round: halves go towards +∞, so −3.5 → −3 and 2.5 → 3)
    // ch1 max 254 → scale 2: [−254, 100, 1, 3, −3] / 2 = [−127, 50, 0.5, 1.5, −1.5] → [−127, 50, 1, 2, −1]
    // ch2 all zero → scale 1, q = 0
    const w = [127, -3.5, 2.5, -0.4, 0.6, -254, 100, 1, 3, -3, 0, 0, 0, 0, 0];
    const q = quantizeInt8(w, 3);
    expect(Array.from(q.scale)).toEqual([1, 2, 1]);
    expect(Array.from(q.weights)).toEqual([127, -3, 3, 0, 1, -127, 50, 1, 2, -1, 0, 0, 0, 0, 0]);
    // err: ch0 0 + 0.25 + 0.25 + 0.16 + 0.16 = 0.82; ch1 0 + 0 + 1 + 1 + 1 = 3 → 3.82
    // norm: ch0 16129 + 12.25 + 6.25 + 0.16 + 0.36 = 16148.02; ch1 64516 + 10000 + 1 + 9 + 9 = 74535
    expect(q.relativeError).toBeCloseTo(3.82 / (16148.02 + 74535), 12);
  });
});

describe('quant/requant.ts requantParams', () => {
  const one = (r: number[], bias = 0) => {
    const p = requantParams(r.map((v) => Float64Array.of(v)), Float64Array.of(bias));
    return { mult: p.mult.map((m) => m[0]), bias: p.bias[0], shift: p.shift[0] };
  };

  it('picks the largest shift with |M| ≤ 32767', () => {
    // 0.5·2^15 = 16384 ≤ 32767, 0.5·2^16 = 32768 > 32767 → s = 15
    expect(one([0.5])).toEqual({ mult: [16384], bias: 0, shift: 15 });
    // 1·2^14 = 16384; 1·2^15 = 32768 too big → s = 14
    expect(one([1])).toEqual({ mult: [16384], bias: 0, shift: 14 });
    expect(one([0.75])).toEqual({ mult: [24576], bias: 0, shift: 15 });
    // −1: |−32768| > 32767 at s = 15 → s = 14
    expect(one([-1])).toEqual({ mult: [-16384], bias: 0, shift: 14 });
    // 32767/32768 → exactly 32767 at s = 15
    expect(one([32767 / 32768])).toEqual({ mult: [32767], bias: 0, shift: 15 });
    // 32767.5/32768 rounds to 32768 at s = 15 → s = 14, M = round(16383.75) = 16384
    expect(one([32767.5 / 32768])).toEqual({ mult: [16384], bias: 0, shift: 14 });
    // 1/3: 2^16/3 = 21845.33 fits, 2^17/3 = 43690.7 does not → M = 21845, s = 16
    expect(one([1 / 3])).toEqual({ mult: [21845], bias: 0, shift: 16 });
  });

  it('the largest term sets the shift of all terms', () => {
    expect(one([0.5, 0.25])).toEqual({ mult: [16384, 8192], bias: 0, shift: 15 });
    expect(one([0.25, -0.5])).toEqual({ mult: [8192, -16384], bias: 0, shift: 15 });
  });

  it('the int32 bias limit lowers the shift', () => {
    // 2^−20 alone: s = 34 (M = 16384).  With real bias 1: 2^s ≤ 2^31 − 1 → s = 30,
    //   M = 2^−20·2^30 = 1024, bias = 2^30.
    expect(one([2 ** -20])).toEqual({ mult: [16384], bias: 0, shift: 34 });
    expect(one([2 ** -20], 1)).toEqual({ mult: [1024], bias: 2 ** 30, shift: 30 });
    expect(one([2 ** -20], -1)).toEqual({ mult: [1024], bias: -(2 ** 30), shift: 30 });
    // real bias 2.5 with M 0.5: s = 15 from M; bias 2.5·2^15 = 81920
    expect(one([0.5], 2.5)).toEqual({ mult: [16384], bias: 81920, shift: 15 });
  });

  it('per channel: each channel its own shift', () => {
    const p = requantParams([Float64Array.of(0.5, 1, 2 ** -20)], Float64Array.of(0, 0, 1));
    expect(Array.from(p.shift)).toEqual([15, 14, 30]);
    expect(Array.from(p.mult[0]!)).toEqual([16384, 16384, 1024]);
    expect(Array.from(p.bias)).toEqual([0, 0, 2 ** 30]);
  });

  it('a dead channel (zero multiplier and bias) gets shift 0, so it does not widen the sum', () => {
    expect(one([0])).toEqual({ mult: [0], bias: 0, shift: 0 });
  });

  it('throws when even shift 0 does not fit', () => {
    expect(() => one([40000])).toThrow(/does not fit with shift 0/);
    expect(() => one([1], 3e9)).toThrow(/does not fit with shift 0/);
  });
});

describe('convolveInteger (the integer reference\'s convolution)', () => {
  it('gives exactly convolve()\'s sums for any geometry, with zeros and extreme values', () => {
    const rng = new Prng(7);
    for (let trial = 0; trial < 60; trial++) {
      const groups = [1, 2, 4][rng.int(0, 2)]!;
      const cinG = rng.int(1, 5);
      const coutG = rng.int(1, 5);
      const k = rng.int(1, 5);
      const stride = rng.int(1, 3);
      const pad = rng.int(0, k - 1);
      const inS = { height: rng.int(k, 9), width: rng.int(k, 9), channels: groups * cinG };
      const cout = groups * coutG;
      const pick = (vals: readonly number[]): number => vals[rng.int(0, vals.length - 1)]!;
      const x = Float64Array.from({ length: inS.height * inS.width * inS.channels }, () => pick([0, 0, 255, -128, 127, rng.int(-128, 255)]));
      const w = Float64Array.from({ length: cout * k * k * cinG }, () => pick([1, -1, -128, 127, 0, rng.int(-128, 127)]));
      const geom = { kernel: k, stride, pad, groups };
      const a = convolve(x, inS, w, cout, geom);
      const b = convolveInteger(x, inS, w, cout, geom);
      expect(b.shape).toEqual(a.shape);
      expect(Array.from(b.acc)).toEqual(Array.from(a.acc));
    }
  });
});

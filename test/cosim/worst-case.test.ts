/**
 * Worst-case arithmetic: every accumulator of every stage kind driven to its proven bound
 * (ir/kinds.ts terms, docs/integer-semantics.md §5) and through the largest multipliers, then
 * co-simulated under Verilator comparing every stage's output stream (per-stage taps), not only
 * the logits. Two networks — the DUT stages reading uint8 activations (all 255 / all 0), and int8
 * ones (all −128 / all 127) — each in a serial and a fully parallel (window core) folding.
 *
 * The cases (`CASES` below, checked against LayerInfo.acc before simulating):
 *   input     p = 255 through M = 131071 (uint8) or the int8 offset with M = 131071
 *   binconv   all +1 and all −1 patterns × the largest |x|: ±n·255 (uint8), ±n·128 (int8)
 *   conv k×k  int8 127 / −128 weights × 255 (uint8: n·32385, −n·32640), × −128 (int8: n·16384, −n·16256)
 *   conv 1×1  the same on the pointwise (H·W × 1 column) configuration
 *   prb       both terms at their bounds at once (patterns and 1×1 weights of one sign), M0 = M1 = 131071
 *   add       both inputs at their extremes (the skip at 255/127 or 0/−128, the other at 127 / −128)
 *   avgpool   every pixel of a channel at the extreme: H·W·127 and H·W·(−128)
 *   fc        every input at −128 or 255 with weights −128 / 127; one logit exact, one past int32 (saturates)
 *   maxpool   windows of negative values with padding (padding never wins)
 * Every bound channel has multiplier ±131071 (or −131072) and the shift that keeps the result in
 * range, so a wrong accumulator cannot hide behind saturation.
 */
import { describe, expect, it } from 'vitest';
import { cosim } from '../../generator/cosim/cosim.js';
import { candidates, resolveFolding, type Fold, type Folding } from '../../generator/emit/fold.js';
import { analyze, type ModelInfo } from '../../generator/ir/analyze.js';
import type { Layer, Model, Requant } from '../../generator/ir/types.js';
import { quantize } from '../../generator/quant/quantize.js';
import { runInteger } from '../../generator/reference/integer.js';
import type { Pixels } from '../../generator/reference/run.js';
import { NetBuilder } from '../../generator/zoo/builder.js';
import { syntheticImages } from '../../generator/zoo/index.js';
import { HAVE_VERILATOR } from './helpers.js';

const H = 4;
const W = 7;
const C = 4;
const M_MAX = 131071;

type Act = 'u8' | 'i8';

/** input → {binconv, int8 k×k, prb, int8 1×1, add(x, y), y} → concat → max pool → avgpool → fc. */
function floatNet(act: Act): Model {
  const b = new NetBuilder(act === 'u8' ? 3 : 4);
  const x = b.input(H, W, C, [0.5, 0.5, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25]);
  const bc = b.conv('bc', x, 4, 3, { relu: false });
  const cv = b.conv('cv', x, 4, 3, { relu: false, int8: true });
  const pr = b.prb('pr', x, 4, { relu: false });
  const c1 = b.conv('c1', x, 4, 1, { relu: false });
  const y = b.conv('y', x, 4, 1, { relu: false });
  const ad = b.add('ad', x, y, false);
  const cat = b.concat('cat', [bc, cv, pr, c1, ad, y]);
  const mp = b.maxpool('mp', cat, 3, 2, 1);
  const gap = b.avgpool('gap', mp, act === 'u8');
  const fc = b.fc('fc', gap, 24, 4);
  const { model } = quantize(
    {
      name: `worst-case-${act}`,
      classes: ['a', 'b', 'c', 'd'],
      layers: b.layers,
      output: fc.name,
      provenance: { source: 'test/cosim/worst-case.test.ts', dataset: null, seed: 3, accuracy: {}, notes: [] },
    },
    { binarize: 'kxk', calibration: syntheticImages(H, W, C, 4, 3) },
  );
  return model;
}

const outMax = (rq: Requant): number => (rq.out.bits === 8 ? (rq.out.signed ? 127 : 255) : 2 ** 31 - 1);

/** Shift that puts |bound·M| at about 3/4 of the output range: exact, not saturated. */
function fitShift(bound: number, m: number, rq: Requant): number {
  return Math.max(0, Math.ceil(Math.log2(Math.abs(bound * m) / (0.75 * outMax(rq)))));
}

interface Bound {
  readonly layer: string;
  readonly channel: number;
  /** Accumulator term and which end of its proven range it reaches. */
  readonly term: number;
  readonly end: 'min' | 'max';
  /** The accumulator value the test expects (must equal the proven bound). */
  readonly acc: number;
  /** Image (0: all 255, 1: all 0) and pixel where the bound is reached. */
  readonly image: number;
  readonly pixel: { readonly y: number; readonly x: number };
  readonly note: string;
}

/** Sets requantization channel c: multipliers, bias, shift. */
function withRq(rq: Requant, c: number, mult: readonly number[], bias: number, shift: number): Requant {
  const m = rq.mult.map((a, j) => {
    const b = Int32Array.from(a);
    b[c] = mult[j]!;
    return b;
  });
  const bi = Int32Array.from(rq.bias);
  bi[c] = bias;
  const sh = Uint8Array.from(rq.shift);
  sh[c] = shift;
  return { ...rq, mult: m, bias: bi, shift: sh };
}

function fill(a: Int8Array, c: number, per: number, v: number): Int8Array {
  const out = Int8Array.from(a);
  out.fill(v, c * per, (c + 1) * per);
  return out;
}

/** The model with extreme parameters, and the bounds it reaches. */
function worstCase(act: Act): { info: ModelInfo; bounds: Bound[]; images: Pixels[] } {
  const base = floatNet(act);
  const u8 = act === 'u8';
  // x in the DUTs: uint8 p (all-255 image: 255), or int8 p − 128 (all-0 image: −128).
  const xMax = u8 ? 255 : -128;
  const img = u8 ? 0 : 1; // the image where x is at its largest magnitude
  const n = 9 * C; // k×k fan-in
  const centre = { y: 2, x: 3 };
  const bounds: Bound[] = [];
  const layers = base.layers.map((l): Layer => {
    const per = (k: number): number => C * k * k;
    switch (l.name) {
      case 'input': {
        // M = 131071 with s = 17 maps p to p (uint8) or p − 128 (int8): the largest multiplier on the pixel.
        let rq = l.kind === 'input' ? l.requant : (null as never);
        if (u8) rq = { ...rq, relu: true, out: { ...rq.out, signed: false } };
        for (let c = 0; c < C; c++) rq = withRq(rq, c, [M_MAX], u8 ? 0 : -128 * 131072, 17);
        bounds.push({ layer: 'input', channel: 0, term: 0, end: 'max', acc: 255, image: 0, pixel: centre, note: 'pixel 255 × 131071' });
        return { ...(l as Extract<Layer, { kind: 'input' }>), requant: rq };
      }
      case 'bc': {
        const L = l as Extract<Layer, { kind: 'binconv' }>;
        // uint8: ch0 all +1 → n·255, ch1 all −1 → −n·255. int8 (x = −128): ch0 all −1 → n·128, ch1 all +1 → −n·128.
        const sHi = u8 ? 1 : -1;
        let p = fill(L.patterns, 0, per(3), sHi);
        p = fill(p, 1, per(3), -sHi);
        const hi = n * Math.abs(xMax);
        let rq = withRq(L.requant, 0, [M_MAX], 0, fitShift(hi, M_MAX, L.requant));
        rq = withRq(rq, 1, [-M_MAX], 0, fitShift(hi, M_MAX, L.requant));
        bounds.push({ layer: 'bc', channel: 0, term: 0, end: 'max', acc: hi, image: img, pixel: centre, note: `all ${sHi > 0 ? '+1' : '−1'} patterns` });
        bounds.push({ layer: 'bc', channel: 1, term: 0, end: 'min', acc: -hi, image: img, pixel: centre, note: `all ${sHi > 0 ? '−1' : '+1'} patterns` });
        return { ...L, patterns: p, requant: rq };
      }
      case 'cv':
      case 'c1': {
        const L = l as Extract<Layer, { kind: 'conv' }>;
        const k = L.geom.kernel;
        const fan = C * k * k;
        // uint8: 127·255 max, −128·255 min; int8 (x = −128): −128·−128 max, 127·−128 min.
        const wHi = u8 ? 127 : -128;
        const wLo = u8 ? -128 : 127;
        let w = fill(L.weights, 0, per(k), wHi);
        w = fill(w, 1, per(k), wLo);
        const hi = fan * wHi * xMax;
        const lo = fan * wLo * xMax;
        let rq = withRq(L.requant, 0, [M_MAX], 0, fitShift(hi, M_MAX, L.requant));
        rq = withRq(rq, 1, [-131072], 0, fitShift(lo, 131072, L.requant));
        bounds.push({ layer: L.name, channel: 0, term: 0, end: 'max', acc: hi, image: img, pixel: centre, note: `int8 ${wHi} weights` });
        bounds.push({ layer: L.name, channel: 1, term: 0, end: 'min', acc: lo, image: img, pixel: centre, note: `int8 ${wLo} weights, M −131072` });
        return { ...L, weights: w, requant: rq };
      }
      case 'pr': {
        const L = l as Extract<Layer, { kind: 'prb' }>;
        const sHi = u8 ? 1 : -1;
        const wHi = u8 ? 127 : -128;
        const wLo = u8 ? -128 : 127;
        let p = fill(L.patterns, 0, per(3), sHi);
        p = fill(p, 1, per(3), -sHi);
        let w = fill(L.weights, 0, C, wHi);
        w = fill(w, 1, C, wLo);
        const b0 = n * Math.abs(xMax);
        const hi = [b0, C * wHi * xMax];
        const lo = [-b0, C * wLo * xMax];
        let rq = withRq(L.requant, 0, [M_MAX, M_MAX], 0, fitShift(hi[0]! + hi[1]!, M_MAX, L.requant));
        rq = withRq(rq, 1, [M_MAX, M_MAX], 0, fitShift(lo[0]! + lo[1]!, M_MAX, L.requant));
        for (const t of [0, 1]) {
          bounds.push({ layer: 'pr', channel: 0, term: t, end: 'max', acc: hi[t]!, image: img, pixel: centre, note: t ? `1×1 weights ${wHi}` : `patterns all ${sHi > 0 ? '+1' : '−1'}` });
          bounds.push({ layer: 'pr', channel: 1, term: t, end: 'min', acc: lo[t]!, image: img, pixel: centre, note: t ? `1×1 weights ${wLo}` : `patterns all ${sHi > 0 ? '−1' : '+1'}` });
        }
        return { ...L, patterns: p, weights: w, requant: rq };
      }
      case 'y': {
        // Constant extremes whatever the input: ch0 127 (bias 2^31 − 1), ch1 −128 (bias −2^31).
        const L = l as Extract<Layer, { kind: 'conv' }>;
        let rq = withRq(L.requant, 0, [1], 2 ** 31 - 1, 0);
        rq = withRq(rq, 1, [1], -(2 ** 31), 0);
        return { ...L, requant: rq };
      }
      case 'ad': {
        // ch0: skip at its max (255 or 127, the all-255 image) + y 127; ch1: skip at its min (0 or −128) + y −128.
        const L = l as Extract<Layer, { kind: 'add' }>;
        const aHi = u8 ? 255 : 127;
        const aLo = u8 ? 0 : -128;
        let rq = withRq(L.requant, 0, [M_MAX, M_MAX], 0, fitShift(aHi + 127, M_MAX, L.requant));
        rq = withRq(rq, 1, [M_MAX, M_MAX], 0, fitShift(aLo - 128, M_MAX, L.requant));
        bounds.push({ layer: 'ad', channel: 0, term: 0, end: 'max', acc: aHi, image: 0, pixel: centre, note: 'skip at its max' });
        bounds.push({ layer: 'ad', channel: 0, term: 1, end: 'max', acc: 127, image: 0, pixel: centre, note: 'other input 127' });
        bounds.push({ layer: 'ad', channel: 1, term: 0, end: 'min', acc: aLo, image: 1, pixel: centre, note: 'skip at its min' });
        bounds.push({ layer: 'ad', channel: 1, term: 1, end: 'min', acc: -128, image: 1, pixel: centre, note: 'other input −128' });
        return { ...L, requant: rq };
      }
      case 'gap': {
        // Concat channels 20 and 21 are y's constants 127 and −128: every pixel at the extreme
        // (H·W = 8 pixels after the pool). Their multipliers put the result exactly on the value the
        // fc needs (255 with ReLU, else −128; computed, not saturated); every other channel
        // saturates there through its bias.
        const L = l as Extract<Layer, { kind: 'avgpool' }>;
        const px = Math.ceil(H / 2) * Math.ceil(W / 2);
        let rq = L.requant;
        for (let c = 0; c < 24; c++) rq = withRq(rq, c, [M_MAX], u8 ? 2 ** 31 - 1 : -(2 ** 31), 0);
        rq = withRq(rq, 20, [u8 ? 32834 : -16513], 0, 17);
        rq = withRq(rq, 21, [u8 ? -32672 : 16384], 0, 17);
        bounds.push({ layer: 'gap', channel: 20, term: 0, end: 'max', acc: px * 127, image: 0, pixel: { y: 0, x: 0 }, note: 'H·W·127' });
        bounds.push({ layer: 'gap', channel: 21, term: 0, end: 'min', acc: px * -128, image: 0, pixel: { y: 0, x: 0 }, note: 'H·W·(−128)' });
        return { ...L, requant: rq };
      }
      case 'fc': {
        // Inputs: all 24 channels at 255 (uint8) or −128 (int8).
        const L = l as Extract<Layer, { kind: 'fc' }>;
        const xs = u8 ? 255 : -128;
        const wHi = u8 ? 127 : -128;
        const wLo = u8 ? -128 : 127;
        let w = fill(L.weights, 0, 24, wHi);
        w = fill(w, 1, 24, wLo);
        const hi = 24 * wHi * xs;
        const lo = 24 * wLo * xs;
        let rq = withRq(L.requant, 0, [M_MAX], 0, fitShift(hi, M_MAX, L.requant));
        rq = withRq(rq, 1, [M_MAX], 0, 0); // past int32: saturates
        bounds.push({ layer: 'fc', channel: 0, term: 0, end: 'max', acc: hi, image: 0, pixel: { y: 0, x: 0 }, note: `24 inputs × ${wHi}` });
        bounds.push({ layer: 'fc', channel: 1, term: 0, end: 'min', acc: lo, image: 0, pixel: { y: 0, x: 0 }, note: `24 inputs × ${wLo}, M 131071, shift 0: saturates to int32` });
        return { ...L, weights: w, requant: rq };
      }
      default:
        return l;
    }
  });
  const info = analyze({ ...base, layers });
  const s = info.input;
  const images: Pixels[] = [
    { ...s, data: new Uint8Array(s.height * s.width * s.channels).fill(255) },
    { ...s, data: new Uint8Array(s.height * s.width * s.channels) },
  ];
  return { info, bounds, images };
}

/** y = sat((acc·M + bias + round) >> s) in BigInt, as docs/integer-semantics.md §3. */
function requantOne(accs: readonly number[], rq: Requant, c: number): number {
  const s = BigInt(rq.shift[c]!);
  let v = accs.reduce((t, a, j) => t + BigInt(a) * BigInt(rq.mult[j]![c]!), 0n) + BigInt(rq.bias[c]!);
  if (s > 0n) v += 1n << (s - 1n);
  v >>= s;
  const lo = rq.out.signed ? -(2n ** BigInt(rq.out.bits - 1)) : 0n;
  const hi = rq.out.signed ? 2n ** BigInt(rq.out.bits - 1) - 1n : 2n ** BigInt(rq.out.bits) - 1n;
  return Number(v < lo ? lo : v > hi ? hi : v);
}

/** Every stage at its most parallel legal folding: window cores, full PE and SIMD. */
function parallelFolding(info: ModelInfo): Folding {
  const out = new Map<string, Fold>();
  for (const l of info.layers) out.set(l.layer.name, candidates(l).at(-1)!);
  return out;
}

describe('worst-case parameters reach the proven accumulator bounds in the reference', () => {
  for (const act of ['u8', 'i8'] as const) {
    it(`${act} activations: every listed accumulator at its bound, the output exact and in range`, () => {
      const u8 = act === 'u8';
      const { info, bounds, images } = worstCase(act);
      expect(bounds.length).toBe(19);
      const acts = images.map((px) => runInteger(info, px, true).activations);
      for (const b of bounds) {
        const l = info.byName.get(b.layer)!;
        const range = l.acc[b.term]!.range;
        expect(b.acc, `${b.layer} term ${b.term} ch ${b.channel}`).toBe(b.end === 'max' ? range.max : range.min);
        if (b.layer === 'pr' && b.term === 1) continue; // checked with term 0 (one output for both terms)
        if (b.layer === 'ad' && b.term === 1) continue;
        const rq = (l.layer as { requant: Requant }).requant;
        const accs = b.layer === 'pr' ? [bounds.find((x) => x.layer === 'pr' && x.channel === b.channel && x.term === 0)!.acc, bounds.find((x) => x.layer === 'pr' && x.channel === b.channel && x.term === 1)!.acc]
          : b.layer === 'ad' ? [bounds.find((x) => x.layer === 'ad' && x.channel === b.channel && x.term === 0)!.acc, bounds.find((x) => x.layer === 'ad' && x.channel === b.channel && x.term === 1)!.acc]
          : [b.acc];
        const want = requantOne(accs, rq, b.channel);
        const out = l.outShape;
        const got = acts[b.image]!.get(b.layer)![(b.pixel.y * out.width + b.pixel.x) * out.channels + b.channel];
        expect(got, `${b.layer} ch ${b.channel} (${b.note})`).toBe(want);
        // Not saturated (except the fc channel meant to), so a wrong accumulator would show.
        // (The input maps p onto p or p − 128 exactly: 255 and 127 there are values, not saturation.)
        if (b.layer === 'fc' && b.channel === 1) expect(want).toBe(-(2 ** 31));
        else if (b.layer === 'gap') expect(want).toBe(u8 ? 255 : -128);
        else if (b.layer !== 'input') expect(Math.abs(want), `${b.layer} ch ${b.channel}`).toBeLessThan(outMax(rq));
      }
    });
  }
});

describe.skipIf(!HAVE_VERILATOR)('worst-case arithmetic under Verilator: every stage output bit-exact', () => {
  for (const act of ['u8', 'i8'] as const) {
    for (const fold of ['serial', 'parallel'] as const) {
      it(`${act} activations, ${fold} folding`, () => {
        const { info, images } = worstCase(act);
        const folding = fold === 'serial' ? resolveFolding(info, undefined, 'default') : parallelFolding(info);
        if (fold === 'parallel') expect([...folding.values()].filter((f) => f.window).length).toBe(3);
        const r = cosim(info, { simulator: 'verilator', images, folding, seed: 9, stall: 0.3, quickBuild: true, compareLayers: true });
        expect(r.firstLayerMismatch).toBeNull();
        expect(r.firstMismatch).toBeNull();
        expect(r.mismatches).toBe(0);
        expect(r.status).toBe('ok');
        expect(r.images).toBe(2);
      });
    }
  }
});

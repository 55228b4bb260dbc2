/**
 * Loops shared by the integer and the float reference. Tensors are HWC in
 * Float64Arrays: integer activations, weights and accumulators are exact in a
 * float64 because analyze() proves every value stays below 2^53.
 */
import type { ConvGeom, Requant, Shape } from '../ir/types.js';
import { typeRange } from '../ir/arith.js';
import { windowOut } from '../ir/kinds.js';

/** Weights [cout][cin/g][k][k] (PyTorch order) → [cout][k][k][cin/g], the order the loops read. */
export function toTapMajor(w: ArrayLike<number>, cout: number, cinG: number, k: number, scale?: (co: number) => number): Float64Array {
  const out = new Float64Array(cout * cinG * k * k);
  for (let co = 0; co < cout; co++) {
    const s = scale ? scale(co) : 1;
    for (let ci = 0; ci < cinG; ci++) {
      for (let t = 0; t < k * k; t++) {
        out[(co * k * k + t) * cinG + ci] = w[(co * cinG + ci) * k * k + t]! * s;
      }
    }
  }
  return out;
}

/**
 * acc[p][co] = Σ_{ky,kx,ci} w[co][ky][kx][ci] · x[iy][ix][g·cinG + ci]; taps in
 * the zero padding contribute nothing.
 */
export function convolve(x: Float64Array, inS: Shape, w: Float64Array, cout: number, geom: ConvGeom): { acc: Float64Array; shape: Shape } {
  const { kernel: k, stride, pad, groups } = geom;
  const H = inS.height;
  const W = inS.width;
  const C = inS.channels;
  const cinG = C / groups;
  const coutG = cout / groups;
  const OH = windowOut(H, k, stride, pad);
  const OW = windowOut(W, k, stride, pad);
  const acc = new Float64Array(OH * OW * cout);
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * stride - pad;
    for (let ox = 0; ox < OW; ox++) {
      const x0 = ox * stride - pad;
      const obase = (oy * OW + ox) * cout;
      for (let co = 0; co < cout; co++) {
        const cbase = Math.floor(co / coutG) * cinG;
        let s = 0;
        for (let ky = 0; ky < k; ky++) {
          const iy = y0 + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = x0 + kx;
            if (ix < 0 || ix >= W) continue;
            const xb = (iy * W + ix) * C + cbase;
            const wb = ((co * k + ky) * k + kx) * cinG;
            for (let ci = 0; ci < cinG; ci++) s += w[wb + ci]! * x[xb + ci]!;
          }
        }
        acc[obase + co] = s;
      }
    }
  }
  return { acc, shape: { height: OH, width: OW, channels: cout } };
}

/** [cout][k][k][cinG] (tap-major) → [g][k][k][cinG][coutG]: an input value's weights for every output channel of its group, adjacent. */
const channelMajor = new WeakMap<Float64Array, Float64Array>();
function toChannelMajor(w: Float64Array, cout: number, cinG: number, kk: number, groups: number): Float64Array {
  const cached = channelMajor.get(w);
  if (cached) return cached;
  const coutG = cout / groups;
  const out = new Float64Array(w.length);
  for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / coutG);
    const j = co - g * coutG;
    for (let t = 0; t < kk; t++) {
      for (let ci = 0; ci < cinG; ci++) out[((g * kk + t) * cinG + ci) * coutG + j] = w[(co * kk + t) * cinG + ci]!;
    }
  }
  channelMajor.set(w, out);
  return out;
}

/**
 * convolve() for integer tensors (the integer reference): the same sums, scattered from each
 * input value to the output channels of its group, skipping zero inputs (ReLU outputs are often
 * 0) and adding four input values' products (of any taps of the window) per pass over the
 * accumulators. Every partial sum is an integer below 2^53 (analyze() proves the bound), so the
 * order of the additions cannot change the result.
 */
export function convolveInteger(x: Float64Array, inS: Shape, w: Float64Array, cout: number, geom: ConvGeom): { acc: Float64Array; shape: Shape } {
  const { kernel: k, stride, pad, groups } = geom;
  const H = inS.height;
  const W = inS.width;
  const C = inS.channels;
  const cinG = C / groups;
  const coutG = cout / groups;
  const kk = k * k;
  const wt = toChannelMajor(w, cout, cinG, kk, groups);
  const OH = windowOut(H, k, stride, pad);
  const OW = windowOut(W, k, stride, pad);
  const acc = new Float64Array(OH * OW * cout);
  // The nonzero inputs of one window and group: their values and the offsets of their weight rows.
  const vals = new Float64Array(kk * cinG);
  const rows = new Int32Array(kk * cinG);
  for (let oy = 0; oy < OH; oy++) {
    const y0 = oy * stride - pad;
    for (let ox = 0; ox < OW; ox++) {
      const x0 = ox * stride - pad;
      const obase = (oy * OW + ox) * cout;
      for (let g = 0; g < groups; g++) {
        let n = 0;
        for (let ky = 0; ky < k; ky++) {
          const iy = y0 + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = x0 + kx;
            if (ix < 0 || ix >= W) continue;
            const xb = (iy * W + ix) * C + g * cinG;
            const wb = (g * kk + ky * k + kx) * cinG * coutG;
            for (let ci = 0; ci < cinG; ci++) {
              const xv = x[xb + ci]!;
              if (xv === 0) continue;
              vals[n] = xv;
              rows[n] = wb + ci * coutG;
              n++;
            }
          }
        }
        const ab = obase + g * coutG;
        let i = 0;
        for (; i + 4 <= n; i += 4) {
          const v0 = vals[i]!;
          const v1 = vals[i + 1]!;
          const v2 = vals[i + 2]!;
          const v3 = vals[i + 3]!;
          const r0 = rows[i]!;
          const r1 = rows[i + 1]!;
          const r2 = rows[i + 2]!;
          const r3 = rows[i + 3]!;
          for (let j = 0; j < coutG; j++) acc[ab + j] += wt[r0 + j]! * v0 + wt[r1 + j]! * v1 + wt[r2 + j]! * v2 + wt[r3 + j]! * v3;
        }
        for (; i < n; i++) {
          const v = vals[i]!;
          const r = rows[i]!;
          for (let j = 0; j < coutG; j++) acc[ab + j] += wt[r + j]! * v;
        }
      }
    }
  }
  return { acc, shape: { height: OH, width: OW, channels: cout } };
}

/** Max over each window; padded taps are skipped (they act as −∞). */
export function maxPool(x: Float64Array, inS: Shape, k: number, stride: number, pad: number): { out: Float64Array; shape: Shape } {
  const { height: H, width: W, channels: C } = inS;
  const OH = windowOut(H, k, stride, pad);
  const OW = windowOut(W, k, stride, pad);
  const out = new Float64Array(OH * OW * C);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let c = 0; c < C; c++) {
        let m = -Infinity;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * stride - pad + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * stride - pad + kx;
            if (ix < 0 || ix >= W) continue;
            const v = x[(iy * W + ix) * C + c]!;
            if (v > m) m = v;
          }
        }
        out[(oy * OW + ox) * C + c] = m;
      }
    }
  }
  return { out, shape: { height: OH, width: OW, channels: C } };
}

/** Σ over all pixels, per channel. */
export function sumPool(x: Float64Array, inS: Shape): Float64Array {
  const C = inS.channels;
  const out = new Float64Array(C);
  for (let p = 0; p < inS.height * inS.width; p++) {
    for (let c = 0; c < C; c++) out[c]! += x[p * C + c]!;
  }
  return out;
}

/**
 * y = sat((Σ_j acc_j · mult[j][c] + bias[c] + 2^(shift[c]−1)) >> shift[c]),
 * arithmetic shift (floor), no rounding term for shift 0, saturation to the
 * output type (which is unsigned, so clamps at 0, when ReLU is fused).
 * `accs[j]` are HWC with the output's channel count.
 */
export function requantize(accs: readonly Float64Array[], channels: number, rq: Requant): Float64Array {
  const n = accs[0]!.length;
  const out = new Float64Array(n);
  const { min: lo, max: hi } = typeRange(rq.out);
  const terms = accs.length;
  const div = new Float64Array(channels);
  const rnd = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = rq.shift[c]!;
    div[c] = 2 ** s;
    rnd[c] = s > 0 ? 2 ** (s - 1) : 0;
  }
  for (let i = 0; i < n; i++) {
    const c = i % channels;
    let v = rq.bias[c]! + rnd[c]!;
    for (let j = 0; j < terms; j++) v += accs[j]![i]! * rq.mult[j]![c]!;
    let y = Math.floor(v / div[c]!);
    if (y < lo) y = lo;
    else if (y > hi) y = hi;
    out[i] = y;
  }
  return out;
}

/** Index of the first maximum. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/**
 * Integer ranges and bit widths. Every accumulator width in gen-rtl is derived
 * here from worst-case bounds of its inputs, so no overflow is possible.
 */
import type { ActType } from './types.js';

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Largest magnitude the reference may hold in a float64 and stay exact. */
export const EXACT_LIMIT = 2 ** 53;

/** Limits on requantization parameters (multipliers fit an 18-bit signed DSP port). */
export const MULT_MIN = -(2 ** 17);
export const MULT_MAX = 2 ** 17 - 1;
export const SHIFT_MAX = 47;

export function typeRange(t: Pick<ActType, 'signed' | 'bits'>): Range {
  return t.signed
    ? { min: -(2 ** (t.bits - 1)), max: 2 ** (t.bits - 1) - 1 }
    : { min: 0, max: 2 ** t.bits - 1 };
}

/** Bits of a two's-complement signed value that holds every integer in `r`. */
export function signedBits(r: Range): number {
  let bits = 1;
  while (r.min < -(2 ** (bits - 1)) || r.max > 2 ** (bits - 1) - 1) bits++;
  return bits;
}

/** Range of a product of two independent ranges. */
export function mulRange(a: Range, b: Range): Range {
  const p = [a.min * b.min, a.min * b.max, a.max * b.min, a.max * b.max];
  return { min: Math.min(...p), max: Math.max(...p) };
}

export function scaleRange(r: Range, n: number): Range {
  return { min: r.min * n, max: r.max * n };
}

export function addRanges(rs: readonly Range[]): Range {
  return rs.reduce((s, r) => ({ min: s.min + r.min, max: s.max + r.max }), { min: 0, max: 0 });
}

/** Range of one ±1 · x product: a pattern bit can negate the largest magnitude. */
export function binaryProductRange(x: Range): Range {
  const m = Math.max(Math.abs(x.min), Math.abs(x.max));
  return { min: -m, max: m };
}

export const INT8_RANGE: Range = { min: -128, max: 127 };

export function rangeOfArray(a: ArrayLike<number>): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return a.length === 0 ? { min: 0, max: 0 } : { min, max };
}

/**
 * Integer requantization parameters from real-valued ones: each term's real
 * multiplier r_j[c] becomes M_j[c] / 2^s[c] and the real bias (in output
 * units) becomes bias[c] / 2^s[c], with the largest shift that keeps every
 * multiplier within 16 bits signed and the bias within int32.
 */
import { SHIFT_MAX } from '../ir/arith.js';

/** Multipliers are chosen below 2^15 (16-bit signed); the format allows 18 bits. */
export const MULT_TARGET = 2 ** 15 - 1;
const BIAS_LIMIT = 2 ** 31 - 1;

export interface RequantParams {
  readonly mult: Int32Array[];
  readonly bias: Int32Array;
  readonly shift: Uint8Array;
}

export function requantParams(real: readonly Float64Array[], realBias: Float64Array): RequantParams {
  const channels = realBias.length;
  const mult = real.map(() => new Int32Array(channels));
  const bias = new Int32Array(channels);
  const shift = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    // A dead channel (all zero) needs no shift; a large one would only widen the sum.
    const dead = realBias[c] === 0 && real.every((r) => r[c] === 0);
    let s = dead ? 0 : SHIFT_MAX;
    const fits = (k: number): boolean =>
      real.every((r) => Math.abs(Math.round(r[c]! * 2 ** k)) <= MULT_TARGET) &&
      Math.abs(Math.round(realBias[c]! * 2 ** k)) <= BIAS_LIMIT;
    while (s > 0 && !fits(s)) s--;
    if (!fits(s)) {
      throw new Error(`requantization multiplier ${real.map((r) => r[c]).join(', ')} does not fit with shift 0`);
    }
    shift[c] = s;
    real.forEach((r, j) => (mult[j]![c] = Math.round(r[c]! * 2 ** s)));
    bias[c] = Math.round(realBias[c]! * 2 ** s);
  }
  return { mult, bias, shift };
}

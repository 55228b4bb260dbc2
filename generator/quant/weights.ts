/**
 * Weight quantization: the paper's pattern binarization (Eq. 1) for k×k
 * filters and symmetric per-channel int8 for the rest.
 */

export interface Binarized {
  /** ±1 per weight, same order as the input. */
  readonly patterns: Int8Array;
  /** One scale per output filter: mean |W| over the filter. */
  readonly alpha: Float32Array;
  /** Σ‖W − αB‖² / Σ‖W‖² over all filters (the paper's Table 1 measure). */
  readonly relativeError: number;
}

/**
 * B = sign(W) with W ≥ 0 → +1, α = Σ|W| / (c·k·k): the optimum of
 * min ‖W − αB‖² (paper §3.1). Weights that already are ±α per filter come
 * back unchanged.
 */
export function binarize(w: ArrayLike<number>, filters: number): Binarized {
  const n = w.length / filters;
  const patterns = new Int8Array(w.length);
  const alpha = new Float32Array(filters);
  let err = 0;
  let norm = 0;
  for (let f = 0; f < filters; f++) {
    let sum = 0;
    const first = Math.abs(w[f * n]!);
    let constant = true;
    for (let i = f * n; i < (f + 1) * n; i++) {
      const v = w[i]!;
      patterns[i] = v >= 0 ? 1 : -1;
      sum += Math.abs(v);
      constant &&= Math.abs(v) === first;
    }
    // A filter that already is ±α keeps its α bit for bit (the mean could round).
    const a = Math.fround(constant ? first : sum / n);
    alpha[f] = a;
    for (let i = f * n; i < (f + 1) * n; i++) {
      const d = w[i]! - a * patterns[i]!;
      err += d * d;
      norm += w[i]! * w[i]!;
    }
  }
  return { patterns, alpha, relativeError: norm > 0 ? err / norm : 0 };
}

export interface Int8Weights {
  readonly weights: Int8Array;
  /** Per output channel: real weight = scale · q. */
  readonly scale: Float32Array;
  readonly relativeError: number;
}

/** Symmetric per-output-channel int8: scale = max|w| / 127, q = round(w / scale). */
export function quantizeInt8(w: ArrayLike<number>, channels: number): Int8Weights {
  const n = w.length / channels;
  const weights = new Int8Array(w.length);
  const scale = new Float32Array(channels);
  let err = 0;
  let norm = 0;
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = c * n; i < (c + 1) * n; i++) m = Math.max(m, Math.abs(w[i]!));
    const s = Math.fround(m > 0 ? m / 127 : 1);
    scale[c] = s;
    for (let i = c * n; i < (c + 1) * n; i++) {
      const q = Math.max(-127, Math.min(127, Math.round(w[i]! / s)));
      weights[i] = q;
      const d = w[i]! - q * s;
      err += d * d;
      norm += w[i]! * w[i]!;
    }
  }
  return { weights, scale, relativeError: norm > 0 ? err / norm : 0 };
}

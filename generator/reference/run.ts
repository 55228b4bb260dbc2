/**
 * Runs a model layer by layer with one executor per layer kind; the integer
 * and the float reference differ only in their executors.
 */
import type { LayerInfo, ModelInfo } from '../ir/analyze.js';
import type { LayerKind, LayerOf } from '../ir/types.js';
import { GenRtlError } from '../util/errors.js';
import { argmax } from './kernels.js';

/** uint8 pixels in HWC order. */
export interface Pixels {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

export type Executor<K extends LayerKind> = (
  info: LayerInfo & { readonly layer: LayerOf<K> },
  ins: readonly Float64Array[],
  pixels: Pixels,
) => Float64Array;

export type Executors = { readonly [K in LayerKind]: Executor<K> };

export interface RunResult {
  readonly logits: Float64Array;
  readonly class: number;
  /** Every layer's output (HWC), when asked for. */
  readonly activations: ReadonlyMap<string, Float64Array>;
}

export function checkPixels(info: ModelInfo, px: Pixels): void {
  const s = info.input;
  if (px.height !== s.height || px.width !== s.width || px.channels !== s.channels) {
    throw new GenRtlError('input image', `is ${px.height}x${px.width}x${px.channels} but model "${info.model.name}" takes ${s.height}x${s.width}x${s.channels} (HxWxC)`);
  }
  if (px.data.length !== s.height * s.width * s.channels) {
    throw new GenRtlError('input image', `holds ${px.data.length} bytes, expected ${s.height * s.width * s.channels}`);
  }
}

export function runWith(exec: Executors, info: ModelInfo, px: Pixels, keep = false): RunResult {
  checkPixels(info, px);
  const values = new Map<string, Float64Array>();
  const uses = new Map<string, number>();
  for (const l of info.layers) for (const i of l.layer.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  let last: Float64Array = new Float64Array(0);
  for (const l of info.layers) {
    const ins = l.layer.inputs.map((n) => values.get(n)!);
    const run = exec[l.layer.kind] as Executor<LayerKind>;
    last = run(l, ins, px);
    values.set(l.layer.name, last);
    if (!keep) {
      // Free inputs as soon as their last consumer has run.
      for (const n of l.layer.inputs) {
        const left = uses.get(n)! - 1;
        uses.set(n, left);
        if (left === 0) values.delete(n);
      }
    }
  }
  return { logits: last, class: argmax(last), activations: keep ? values : new Map() };
}

/**
 * The cycle model of each stage kind, as a function of its folding: the
 * steady-state cycles per image of the stage alone (the cores' headers state
 * the same formulas; co-simulation measures them).
 */
import type { LayerInfo } from '../ir/analyze.js';
import type { LayerKind, LayerOf } from '../ir/types.js';
import type { Fold } from './fold.js';

type CycleModel<K extends LayerKind> = (l: LayerInfo & { readonly layer: LayerOf<K> }, f: Fold) => number;

/**
 * gr_conv_stage: max(H·W, OH·OW · (COUT/PE) · K² · ((C/G)/SIMD)); the window
 * core (gr_conv_window_stage) reads all K² taps in one step.
 */
function conv(l: LayerInfo, cout: number, k: number, groups: number, cin: number, f: Fold): number {
  const x = l.inShapes[0] ?? l.outShape;
  const taps = f.window ? 1 : k * k;
  const steps = (cout / f.pe) * taps * (cin / groups / f.simd);
  return Math.max(x.height * x.width, l.outShape.height * l.outShape.width * steps);
}

const MODELS: { readonly [K in LayerKind]: CycleModel<K> } = {
  input: (l, f) => conv(l, l.layer.channels, 1, 1, l.layer.channels, f),
  binconv: (l, f) => conv(l, l.layer.outChannels, l.layer.geom.kernel, l.layer.geom.groups, l.inShapes[0]!.channels, f),
  conv: (l, f) => conv(l, l.layer.outChannels, l.layer.geom.kernel, l.layer.geom.groups, l.inShapes[0]!.channels, f),
  prb: (l, f) => conv(l, l.layer.outChannels, l.layer.geom.kernel, l.layer.geom.groups, l.inShapes[0]!.channels, f),
  fc: (l, f) => conv(l, l.layer.outChannels, 1, 1, l.inShapes[0]!.channels, f),
  // gr_maxpool_stage: K² cycles per output pixel, at most one input pixel per cycle.
  maxpool: (l) => Math.max(l.inShapes[0]!.height * l.inShapes[0]!.width, l.outShape.height * l.outShape.width * l.layer.kernel ** 2),
  // gr_add_stage: C/PE cycles per pixel.
  add: (l, f) => l.outShape.height * l.outShape.width * (l.outShape.channels / f.pe),
  // gr_avgpool_stage (channel-serial, its last pass feeds the requantizers): C/PE cycles per input pixel, H·W·C/PE.
  avgpool: (l, f) => l.inShapes[0]!.height * l.inShapes[0]!.width * (l.inShapes[0]!.channels / f.pe),
  // gr_concat: one pixel per cycle.
  concat: (l) => l.outShape.height * l.outShape.width,
};

export function stageCycles(l: LayerInfo, f: Fold): number {
  return (MODELS[l.layer.kind] as CycleModel<LayerKind>)(l as never, f);
}

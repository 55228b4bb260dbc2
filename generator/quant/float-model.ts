/**
 * A trained float network before quantization: the zoo's initializer and the
 * ONNX importer produce it; quantize() turns it into the IR.
 * Weights are PyTorch order [cout][cin/groups][k][k]; batch norm already folded.
 */
import type { ConvGeom, Provenance } from '../ir/types.js';

interface Base {
  readonly name: string;
  readonly inputs: readonly string[];
}

export type FloatLayer =
  | (Base & { readonly kind: 'input'; readonly height: number; readonly width: number; readonly channels: number; readonly mean: readonly number[]; readonly std: readonly number[] })
  | (Base & {
      readonly kind: 'conv';
      readonly outChannels: number;
      readonly geom: ConvGeom;
      readonly weights: Float32Array;
      readonly bias: Float32Array;
      readonly relu: boolean;
      /** Overrides the binarize policy for this layer. */
      readonly precision?: 'binary' | 'int8';
    })
  | (Base & {
      readonly kind: 'prb';
      readonly outChannels: number;
      readonly geom: ConvGeom;
      /** The k×k branch, [cout][cin/g][k][k]. */
      readonly weights: Float32Array;
      /** The 1×1 branch, [cout][cin/g]. */
      readonly weights1x1: Float32Array;
      /** Sum of both branches' biases. */
      readonly bias: Float32Array;
      readonly relu: boolean;
    })
  | (Base & { readonly kind: 'add'; readonly relu: boolean })
  | (Base & { readonly kind: 'maxpool'; readonly kernel: number; readonly stride: number; readonly pad: number })
  | (Base & { readonly kind: 'avgpool'; readonly relu: boolean })
  | (Base & { readonly kind: 'fc'; readonly outChannels: number; readonly weights: Float32Array; readonly bias: Float32Array; readonly relu: boolean })
  | (Base & { readonly kind: 'concat' });

export interface FloatModel {
  readonly name: string;
  readonly classes: readonly string[];
  readonly layers: readonly FloatLayer[];
  readonly output: string;
  readonly provenance: Provenance;
}

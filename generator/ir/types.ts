/**
 * The graph IR: a trained pattern network with every integer parameter the
 * hardware needs and the float parameters the float reference needs.
 *
 * Layers are readonly records told apart by `kind`, listed in topological
 * order; `inputs` name the producing layers. Tensors are HWC (channels
 * innermost), the order pixels stream into the hardware.
 *
 * Integer semantics (docs/integer-semantics.md): every layer that produces a
 * new value does so through one requantization primitive
 *   y[c] = sat( (Σ_j acc_j · mult[j][c] + bias[c] + 2^(shift[c]−1)) >> shift[c] )
 * with an arithmetic (flooring) shift and no rounding term when shift is 0.
 */

/** Type of an activation tensor: q is an integer, the real value is scale · q. */
export interface ActType {
  readonly signed: boolean;
  readonly bits: 8 | 16 | 32;
  readonly scale: number;
}

/** The requantization of one layer's output, per output channel. */
export interface Requant {
  /** One multiplier array per accumulator term; each has one entry per output channel. */
  readonly mult: readonly Int32Array[];
  readonly bias: Int32Array;
  readonly shift: Uint8Array;
  /** ReLU fused into the saturation; a ReLU output is unsigned, any other requant output signed. */
  readonly relu: boolean;
  readonly out: ActType;
}

/** Square kernel geometry shared by the convolution kinds. */
export interface ConvGeom {
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly groups: number;
}

interface LayerBase {
  readonly name: string;
  readonly inputs: readonly string[];
}

/**
 * The uint8 pixels, requantized per channel into the first activation:
 * y = sat((p · mult[c] + bias[c] + rnd) >> shift[c]). Float: (p/255 − mean[c]) / std[c].
 */
export interface InputLayer extends LayerBase {
  readonly kind: 'input';
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly requant: Requant;
}

/** Binarized k×k convolution: acc = Σ (b ? x : −x); float weight = alpha[co] · b. */
export interface BinConvLayer extends LayerBase {
  readonly kind: 'binconv';
  readonly outChannels: number;
  readonly geom: ConvGeom;
  /** ±1, [cout][cin/groups][k][k]. */
  readonly patterns: Int8Array;
  readonly alpha: Float32Array;
  /** Float bias per output channel (folded batch norm). */
  readonly floatBias: Float32Array;
  readonly requant: Requant;
}

/** Int8 convolution (1×1 or k×k): acc = Σ w · x; float weight = weightScale[co] · w. */
export interface ConvLayer extends LayerBase {
  readonly kind: 'conv';
  readonly outChannels: number;
  readonly geom: ConvGeom;
  /** int8, [cout][cin/groups][k][k]. */
  readonly weights: Int8Array;
  readonly weightScale: Float32Array;
  readonly floatBias: Float32Array;
  readonly requant: Requant;
}

/**
 * Pattern residual block: a binary k×k and an int8 1×1 convolution on the same
 * input (same stride and groups; the 1×1 sees the window's centre tap), summed
 * in one requantization with two terms (0: binary, 1: int8).
 */
export interface PrbLayer extends LayerBase {
  readonly kind: 'prb';
  readonly outChannels: number;
  readonly geom: ConvGeom;
  readonly patterns: Int8Array;
  readonly alpha: Float32Array;
  /** int8, [cout][cin/groups]. */
  readonly weights: Int8Array;
  readonly weightScale: Float32Array;
  readonly floatBias: Float32Array;
  readonly requant: Requant;
}

/** Residual add of two tensors of one shape: terms 0 and 1 are the two inputs. */
export interface AddLayer extends LayerBase {
  readonly kind: 'add';
  readonly requant: Requant;
}

/** Max pool; padding never wins (it acts as −∞). Output type is the input type. */
export interface MaxPoolLayer extends LayerBase {
  readonly kind: 'maxpool';
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
}

/** Global average pool: acc = Σ over H·W; 1/(H·W) is folded into the multiplier. */
export interface AvgPoolLayer extends LayerBase {
  readonly kind: 'avgpool';
  readonly requant: Requant;
}

/** Fully connected over the input flattened in HWC order: acc = Σ w · x. */
export interface FcLayer extends LayerBase {
  readonly kind: 'fc';
  readonly outChannels: number;
  /** int8, [cout][cin], cin in HWC order. */
  readonly weights: Int8Array;
  readonly weightScale: Float32Array;
  readonly floatBias: Float32Array;
  readonly requant: Requant;
}

/** Channel concatenation; every input must carry the same activation type. */
export interface ConcatLayer extends LayerBase {
  readonly kind: 'concat';
}

export type Layer =
  | InputLayer
  | BinConvLayer
  | ConvLayer
  | PrbLayer
  | AddLayer
  | MaxPoolLayer
  | AvgPoolLayer
  | FcLayer
  | ConcatLayer;

export type LayerKind = Layer['kind'];
export type LayerOf<K extends LayerKind> = Extract<Layer, { kind: K }>;

export interface Accuracy {
  /** Fraction of correct top-1 predictions, 0..1. */
  readonly top1: number;
  readonly count: number;
  readonly dataset: string;
}

/** Where a model came from; accuracies only when they were measured. */
export interface Provenance {
  readonly source: string;
  readonly dataset: string | null;
  readonly seed: number | null;
  readonly accuracy: {
    /** The float model as gen-rtl imported it (before binarization and int8). */
    readonly float?: Accuracy;
    /** The integer model (the hardware's result). */
    readonly integer?: Accuracy;
    /** Measured by the training recipe (paper Table 2): the full-precision network, */
    readonly full?: Accuracy;
    /** right after binarizing its k×k filters, */
    readonly bipattern?: Accuracy;
    /** and after fine-tuning with the patterns frozen. */
    readonly refined?: Accuracy;
  };
  readonly notes: readonly string[];
}

export const ACCURACY_KEYS = ['float', 'integer', 'full', 'bipattern', 'refined'] as const;

export interface Model {
  readonly name: string;
  /** Class labels, one per logit. */
  readonly classes: readonly string[];
  /** Layers in topological order; the first is the only `input` layer. */
  readonly layers: readonly Layer[];
  /** The layer whose output is the logits; the class is their first maximum. */
  readonly output: string;
  readonly provenance: Provenance;
}

export interface Shape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

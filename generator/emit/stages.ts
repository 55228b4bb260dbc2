/**
 * One hardware stage per layer: which rtl/ core it instantiates, every
 * parameter (computed here, never in a template), its ROM images and its cycle
 * model. docs/rtl-architecture.md is the contract with the cores.
 */
import type { LayerInfo } from '../ir/analyze.js';
import { rangeOfArray, signedBits } from '../ir/arith.js';
import type { ActType, ConvGeom, Layer, LayerKind, LayerOf, Requant } from '../ir/types.js';
import { GenRtlError } from '../util/errors.js';
import { stageCycles } from './cycles.js';
import type { Fold } from './fold.js';
import { packRow, romImage } from './hex.js';

export interface Param {
  readonly name: string;
  /** A Verilog literal: a decimal integer, a quoted string or a sized hex constant. */
  readonly value: string;
}

export interface Rom {
  readonly param: string;
  /** Path relative to the output directory. */
  readonly file: string;
  /** The $readmemh image; built on first use (the mapper plans many foldings and reads few images). */
  readonly content: string;
}

function lazyRom(param: string, file: string, build: () => string): Rom {
  let image: string | undefined;
  return {
    param,
    file,
    get content(): string {
      image ??= build();
      return image;
    },
  };
}

export interface StagePlan {
  readonly info: LayerInfo;
  readonly ident: string;
  readonly module: string;
  readonly params: readonly Param[];
  readonly roms: readonly Rom[];
  /** Input stream port prefixes, one per layer input ('s', or 'a' and 'b'). */
  readonly inPorts: readonly string[];
  readonly outBits: number;
  readonly fold: Fold;
  /** Steady-state cycles per image of this stage alone. */
  readonly cyclesPerImage: number;
  /** Input pixels this stage must see before its first output (for skip FIFO sizing). */
  readonly lookaheadPixels: number;
}

/** The multiplier port width: the format allows 18-bit signed, a DSP48 B port. */
export const SHIFT_W = 6;

const int = (name: string, v: number): Param => ({ name, value: String(v) });
const str = (name: string, v: string): Param => ({ name, value: JSON.stringify(v) });

function outParams(t: ActType): Param[] {
  return [int('OUT_W', t.bits), int('OUT_SIGNED', t.signed ? 1 : 0)];
}

interface RequantPlan {
  readonly params: Param[];
  readonly roms: Rom[];
}

/**
 * Requantization ROMs, one row per channel step of `pe` lanes, and the
 * widths: multipliers and bias as narrow as their values allow, the sum as
 * wide as the proven worst case (and every product) needs.
 */
function requantPlan(ident: string, l: LayerInfo, rq: Requant, pe: number, accBits: readonly number[]): RequantPlan {
  const channels = l.outShape.channels;
  const multW = Math.max(2, ...rq.mult.map((m) => signedBits(rangeOfArray(m))));
  const biasW = Math.max(2, signedBits(rangeOfArray(rq.bias)));
  const sumW = Math.max(l.requantSum!.bits, rq.out.bits + 1, biasW, ...accBits.map((a) => a + multW));
  if (sumW > 64) throw new GenRtlError(`stage "${l.layer.name}" (${l.layer.kind})`, `requantization needs a ${sumW}-bit sum; the RTL supports 64`);
  const rows = (values: ArrayLike<number>, w: number): string[] =>
    Array.from({ length: channels / pe }, (_, step) => packRow(Array.from({ length: pe }, (_, p) => values[step * pe + p]!), w));
  const roms: Rom[] = [];
  const rom = (param: string, suffix: string, values: ArrayLike<number>, w: number): void => {
    roms.push(lazyRom(param, `mem/${ident}_${suffix}.hex`, () => romImage(rows(values, w))));
  };
  rq.mult.forEach((m, j) => rom(`M${j}_FILE`, `m${j}`, m, multW));
  rom('BIAS_FILE', 'bias', rq.bias, biasW);
  rom('SHIFT_FILE', 'shift', rq.shift, SHIFT_W);
  return {
    params: [int('MULT_W', multW), int('BIAS_W', biasW), int('SHIFT_W', SHIFT_W), int('SUM_W', sumW), ...outParams(rq.out)],
    roms,
  };
}

/**
 * Weight ROM of a conv-like stage: row (co_step·K² + t)·(cinG/SIMD) + ci_step,
 * lane p and input j at field p·SIMD + j. `at(co, ci, t)` reads the weight.
 */
function weightRows(cout: number, cinG: number, taps: number, fold: Fold, width: number, at: (co: number, ci: number, t: number) => number): string[] {
  const rows: string[] = [];
  const fields = new Array<number>(fold.pe * fold.simd);
  for (let coStep = 0; coStep < cout / fold.pe; coStep++) {
    for (let t = 0; t < taps; t++) {
      for (let ciStep = 0; ciStep < cinG / fold.simd; ciStep++) {
        for (let p = 0; p < fold.pe; p++) {
          for (let j = 0; j < fold.simd; j++) fields[p * fold.simd + j] = at(coStep * fold.pe + p, ciStep * fold.simd + j, t);
        }
        rows.push(packRow(fields, width));
      }
    }
  }
  return rows;
}

type Planner<K extends LayerKind> = (l: LayerInfo & { readonly layer: LayerOf<K> }, ident: string, fold: Fold) => Omit<StagePlan, 'info' | 'ident' | 'fold'>;

const NO_FOLD: Fold = { pe: 1, simd: 1, window: false };

/**
 * Weight ROM of the window core (gr_conv_window_stage): row
 * co_step·(cinG/SIMD) + ci_step, lane p, tap t, input j at field (p·K² + t)·SIMD + j.
 */
function windowWeightRows(cout: number, cinG: number, taps: number, fold: Fold, width: number, at: (co: number, ci: number, t: number) => number): string[] {
  const rows: string[] = [];
  const fields = new Array<number>(fold.pe * taps * fold.simd);
  for (let coStep = 0; coStep < cout / fold.pe; coStep++) {
    for (let ciStep = 0; ciStep < cinG / fold.simd; ciStep++) {
      for (let p = 0; p < fold.pe; p++) {
        for (let t = 0; t < taps; t++) {
          for (let j = 0; j < fold.simd; j++) fields[(p * taps + t) * fold.simd + j] = at(coStep * fold.pe + p, ciStep * fold.simd + j, t);
        }
      }
      rows.push(packRow(fields, width));
    }
  }
  return rows;
}

const MODE_BINARY = 0;
const MODE_INT8 = 1;
const MODE_PRB = 2;

interface ConvSpec {
  readonly mode: number;
  readonly inType: Pick<ActType, 'signed' | 'bits'>;
  readonly geom: ConvGeom;
  readonly cout: number;
  /** Term-0 weight at [co][ci][t]: ±1 (binary) or int8. */
  readonly w0: (co: number, ci: number, t: number) => number;
  /** PRB 1×1 weight at [co][ci]. */
  readonly w1?: (co: number, ci: number) => number;
  readonly requant: Requant;
}

function convStage(l: LayerInfo, ident: string, fold: Fold, spec: ConvSpec): Omit<StagePlan, 'info' | 'ident' | 'fold'> {
  const x = l.inShapes.length ? l.inShapes[0]! : { height: l.outShape.height, width: l.outShape.width, channels: l.outShape.channels };
  const inType = spec.inType;
  const { kernel: k, stride, pad, groups } = spec.geom;
  const cinG = x.channels / groups;
  const pointwise = k === 1 && stride === 1 && pad === 0;
  const binary = spec.mode !== MODE_INT8;
  const wb = binary ? 1 : 8;
  const at = (co: number, ci: number, t: number): number => {
    const w = spec.w0(co, ci, t);
    return binary ? (w > 0 ? 1 : 0) : w;
  };
  const rows0 = (): string[] => (fold.window ? windowWeightRows(spec.cout, cinG, k * k, fold, wb, at) : weightRows(spec.cout, cinG, k * k, fold, wb, at));
  // A fully unrolled window stage takes its one weight row as a constant, folded into its adder trees.
  const constW = fold.window && fold.pe === spec.cout && fold.simd === cinG;
  const roms: Rom[] = constW ? [] : [lazyRom('W0_FILE', `mem/${ident}_w0.hex`, () => romImage(rows0()))];
  if (spec.w1) {
    const w1 = spec.w1;
    // With SPREAD R, rows of SIMD/R weights: (co_step, ci_step, r) is row (co_step, ci_step·R + r) at SIMD/R.
    const w1Fold = { ...fold, simd: fold.simd / (fold.spread ?? 1) };
    roms.push(lazyRom('W1_FILE', `mem/${ident}_w1.hex`, () => romImage(weightRows(spec.cout, cinG, 1, w1Fold, 8, (co, ci) => w1(co, ci)))));
  }
  const accBits = l.acc.map((a) => a.bits);
  const rq = requantPlan(ident, l, spec.requant, fold.pe, accBits);
  roms.push(...rq.roms);
  const files = new Map(roms.map((r) => [r.param, r.file]));
  const windowParams: Param[] = fold.window
    ? [int('CONST_W', constW ? 1 : 0), ...(constW ? [{ name: 'W0_BITS', value: `${fold.pe * k * k * fold.simd * wb}'h${rows0()[0]!}` }] : [])]
    : [];
  return {
    module: fold.window ? 'gr_conv_window_stage' : 'gr_conv_stage',
    params: [
      int('MODE', spec.mode),
      // A 1×1 stride-1 stage sees the image as one column of H·W pixels: the same raster order and
      // cycles, and its line buffer holds two pixels instead of two rows.
      ...(pointwise ? [int('H', x.height * x.width), int('W', 1)] : [int('H', x.height), int('W', x.width)]),
      int('C', x.channels),
      int('COUT', spec.cout),
      int('K', k),
      int('S', stride),
      int('P', pad),
      int('G', groups),
      int('IN_W', inType.bits),
      int('IN_SIGNED', inType.signed ? 1 : 0),
      int('PE', fold.pe),
      int('SIMD', fold.simd),
      int('ACC0_W', accBits[0]!),
      int('ACC1_W', accBits[1] ?? accBits[0]!),
      ...rq.params,
      ...['W0_FILE', 'W1_FILE', 'M0_FILE', 'M1_FILE', 'BIAS_FILE', 'SHIFT_FILE'].map((p) => str(p, files.get(p) ?? '')),
      ...windowParams,
      int('LB_LUTRAM', fold.lutram ? 1 : 0),
      ...(fold.uram ? [int('LB_URAM', 1)] : []),
      ...(fold.pack ? [int('PACK', 1)] : []),
      ...((fold.spread ?? 1) > 1 ? [int('SPREAD', fold.spread!)] : []),
    ],
    roms,
    inPorts: ['s'],
    outBits: spec.cout * spec.requant.out.bits,
    cyclesPerImage: stageCycles(l, fold),
    lookaheadPixels: lookahead(k, pad, x.width),
  };
}

/** Input pixels a k×k window stage reads ahead of its output: k−1−pad rows and pixels, plus one. */
function lookahead(k: number, pad: number, width: number): number {
  return (k - 1 - pad) * (width + 1) + 2;
}

function tapMajor(w: Int8Array, cinG: number, taps: number): (co: number, ci: number, t: number) => number {
  return (co, ci, t) => w[(co * cinG + ci) * taps + t]!;
}

const PLANNERS: { readonly [K in LayerKind]: Planner<K> } = {
  input: (l, ident, fold) =>
    convStage(l, ident, fold, {
      mode: MODE_INT8,
      inType: { signed: false, bits: 8 },
      // Per-channel requantization of the pixel, as a dense 1×1 with an identity weight matrix: the
      // zeros add nothing, and PE × SIMD can cover all channels of a pixel per step.
      geom: { kernel: 1, stride: 1, pad: 0, groups: 1 },
      cout: l.layer.channels,
      w0: (co, ci) => (co === ci ? 1 : 0),
      requant: l.layer.requant,
    }),
  binconv: (l, ident, fold) => {
    const cinG = l.inShapes[0]!.channels / l.layer.geom.groups;
    return convStage(l, ident, fold, {
      mode: MODE_BINARY,
      inType: inTypeOf(l),
      geom: l.layer.geom,
      cout: l.layer.outChannels,
      w0: tapMajor(l.layer.patterns, cinG, l.layer.geom.kernel ** 2),
      requant: l.layer.requant,
    });
  },
  conv: (l, ident, fold) => {
    const cinG = l.inShapes[0]!.channels / l.layer.geom.groups;
    return convStage(l, ident, fold, {
      mode: MODE_INT8,
      inType: inTypeOf(l),
      geom: l.layer.geom,
      cout: l.layer.outChannels,
      w0: tapMajor(l.layer.weights, cinG, l.layer.geom.kernel ** 2),
      requant: l.layer.requant,
    });
  },
  prb: (l, ident, fold) => {
    const cinG = l.inShapes[0]!.channels / l.layer.geom.groups;
    const w1 = l.layer.weights;
    return convStage(l, ident, fold, {
      mode: MODE_PRB,
      inType: inTypeOf(l),
      geom: l.layer.geom,
      cout: l.layer.outChannels,
      w0: tapMajor(l.layer.patterns, cinG, l.layer.geom.kernel ** 2),
      w1: (co, ci) => w1[co * cinG + ci]!,
      requant: l.layer.requant,
    });
  },
  fc: (l, ident, fold) => {
    const x = l.inShapes[0]!;
    if (x.height !== 1 || x.width !== 1) {
      throw new GenRtlError(`stage "${l.layer.name}" (fc)`, `the RTL generator supports fully connected layers over a 1x1 input (after a global average pool); this one sees ${x.height}x${x.width}x${x.channels}`);
    }
    return convStage(l, ident, fold, {
      mode: MODE_INT8,
      inType: inTypeOf(l),
      geom: { kernel: 1, stride: 1, pad: 0, groups: 1 },
      cout: l.layer.outChannels,
      w0: tapMajor(l.layer.weights, x.channels, 1),
      requant: l.layer.requant,
    });
  },
  add: (l, ident, fold) => {
    const [a, b] = l.inTypes;
    const rq = requantPlan(ident, l, l.layer.requant, fold.pe, l.acc.map((t) => t.bits));
    const s = l.outShape;
    return {
      module: 'gr_add_stage',
      params: [
        int('C', s.channels),
        int('A_W', a!.bits),
        int('A_SIGNED', a!.signed ? 1 : 0),
        int('B_W', b!.bits),
        int('B_SIGNED', b!.signed ? 1 : 0),
        int('PE', fold.pe),
        ...rq.params,
        ...rq.roms.map((r) => str(r.param, r.file)),
      ],
      roms: rq.roms,
      inPorts: ['a', 'b'],
      outBits: s.channels * l.layer.requant.out.bits,
      cyclesPerImage: stageCycles(l, fold),
      lookaheadPixels: 1,
    };
  },
  maxpool: (l, _ident, fold) => {
    const x = l.inShapes[0]!;
    const t = l.inTypes[0]!;
    return {
      module: 'gr_maxpool_stage',
      params: [
        ...[int('H', x.height), int('W', x.width), int('C', x.channels), int('K', l.layer.kernel), int('S', l.layer.stride), int('P', l.layer.pad)],
        ...[int('DW', t.bits), int('SIGNED', t.signed ? 1 : 0), int('LB_LUTRAM', fold.lutram ? 1 : 0), ...(fold.uram ? [int('LB_URAM', 1)] : [])],
      ],
      roms: [],
      inPorts: ['s'],
      outBits: x.channels * t.bits,
      cyclesPerImage: stageCycles(l, NO_FOLD),
      lookaheadPixels: lookahead(l.layer.kernel, l.layer.pad, x.width),
    };
  },
  avgpool: (l, ident, fold) => {
    const x = l.inShapes[0]!;
    const t = l.inTypes[0]!;
    const rq = requantPlan(ident, l, l.layer.requant, fold.pe, l.acc.map((a) => a.bits));
    return {
      module: 'gr_avgpool_stage',
      params: [
        int('H', x.height),
        int('W', x.width),
        int('C', x.channels),
        int('IN_W', t.bits),
        int('IN_SIGNED', t.signed ? 1 : 0),
        int('ACC0_W', l.acc[0]!.bits),
        int('PE', fold.pe),
        ...rq.params,
        ...rq.roms.map((r) => str(r.param, r.file)),
      ],
      roms: rq.roms,
      inPorts: ['s'],
      outBits: x.channels * l.layer.requant.out.bits,
      cyclesPerImage: stageCycles(l, fold),
      lookaheadPixels: x.height * x.width,
    };
  },
  concat: (l) => ({
    // Wired as a chain of two-input gr_concat instances by the design.
    module: 'gr_concat',
    params: [],
    roms: [],
    inPorts: l.layer.inputs.map((_, i) => `in${i}`),
    outBits: l.outShape.channels * l.outType.bits,
    cyclesPerImage: stageCycles(l, NO_FOLD),
    lookaheadPixels: 1,
  }),
};

function inTypeOf(l: LayerInfo): Pick<ActType, 'signed' | 'bits'> {
  return l.inTypes[0]!;
}

export function planStage(l: LayerInfo, ident: string, fold: Fold): StagePlan {
  const planner = PLANNERS[l.layer.kind] as Planner<Layer['kind']>;
  return { info: l, ident, fold, ...planner(l as never, ident, fold) };
}

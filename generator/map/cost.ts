/**
 * Resource cost models: LUT, FF, DSP and block RAM of the RTL the generator
 * emits, per stage kind, as functions of the stage's parameters (its folding
 * included), for Xilinx 7-series / UltraScale-class fabrics (LUT6, DSP48,
 * RAMB36/RAMB18). One model per kind, structured like cycles.ts: a model is a
 * sum of the cores' components (line buffer, channel select, ROMs, lanes,
 * adder trees, requantizers, output register), each a formula in the widths
 * that the core's source fixes, with coefficients calibrated against Yosys
 * 0.23 `synth_xilinx -flatten` (bench/calibrate-cost.ts; docs/cost-model.md
 * holds the formulas, the calibration table and the limits).
 *
 * Memories follow the choice Yosys' memory_libmap makes with the Xilinx
 * libraries (mapMemory below): the cheapest of block RAM (cost 257 per
 * RAMB36, 129 per RAMB18), LUT RAM (8 per RAM32M/RAM64M; RAMs only, ROMs are
 * pruned from LUT RAM) and soft logic (1 per RAM bit in flip-flops, 1/64 per
 * ROM bit in LUTs).
 */
import type { StagePlan } from '../emit/stages.js';
import type { LayerKind } from '../ir/types.js';

export interface StageCost {
  /** LUT6 sites: logic LUTs plus LUTs used as memory (LUT RAM, shift registers). */
  lut: number;
  ff: number;
  /** DSP48 slices. */
  dsp: number;
  /** Bits of the memories placed in block RAM (not the primitives' capacity). */
  bramBits: number;
  bram36: number;
  bram18: number;
  /** Bits of the memories placed in LUTs: LUT RAM (RAMs) or LUT logic (ROMs). */
  lutramBits: number;
  /** UltraRAM blocks (URAM288) and the bits of the memories placed in them. */
  uram: number;
  uramBits: number;
}

export const ZERO_COST: Readonly<StageCost> = Object.freeze({ lut: 0, ff: 0, dsp: 0, bramBits: 0, bram36: 0, bram18: 0, lutramBits: 0, uram: 0, uramBits: 0 });

export function addCost(...cs: readonly StageCost[]): StageCost {
  const out: StageCost = { ...ZERO_COST };
  for (const c of cs) {
    out.lut += c.lut;
    out.ff += c.ff;
    out.dsp += c.dsp;
    out.bramBits += c.bramBits;
    out.bram36 += c.bram36;
    out.bram18 += c.bram18;
    out.lutramBits += c.lutramBits;
    out.uram += c.uram;
    out.uramBits += c.uramBits;
  }
  return out;
}

/** Counter / address width for values 0..n-1 (at least 1), as the cores' cw(). */
export function cw(n: number): number {
  return n > 1 ? Math.ceil(Math.log2(n)) : 1;
}

// ---------------------------------------------------------------------------
// Memories.

/** Block RAM aspect ratios: [depth, width] of one RAMB36 (simple dual port up to 72 wide). */
export const BRAM36_SHAPES: readonly (readonly [number, number])[] = [
  [512, 72],
  [1024, 36],
  [2048, 18],
  [4096, 9],
  [8192, 4],
  [16384, 2],
  [32768, 1],
];
/** RAMB18: half a RAMB36 (512 × 36 at most 36 wide, then half of each RAMB36 depth). */
export const BRAM18_SHAPES: readonly (readonly [number, number])[] = [
  [512, 36],
  [1024, 18],
  [2048, 9],
  [4096, 4],
  [8192, 2],
  [16384, 1],
];

/** Yosys memory_libmap costs (share/xilinx/*.txt, synth_xilinx). */
const COST_BRAM36 = 257;
const COST_BRAM18 = 129;
const COST_LUTRAM = 8;
const COST_RAM_BIT_FF = 1;
const COST_ROM_BIT_LUT = 1 / 64;

/** Fewest primitives of one kind (given its shapes) holding depth × width: every tile one shape. */
export function bramPrimitives(depth: number, width: number, shapes: readonly (readonly [number, number])[]): number {
  let best = Infinity;
  for (const [d, w] of shapes) best = Math.min(best, Math.ceil(width / w) * Math.ceil(depth / d));
  return best;
}

/** LUT RAM primitives (RAM32M: 32 × 6, RAM64M: 64 × 3, 4 LUTs each) for a 1-write 1-read RAM. */
function lutramPrimitives(depth: number, width: number): number {
  const n32 = Math.ceil(width / 6) * Math.ceil(depth / 32);
  const n64 = Math.ceil(width / 3) * Math.ceil(depth / 64);
  return depth <= 32 ? Math.min(n32, n64) : n64;
}

export type MemoryKind = 'ram' | 'rom';

/**
 * 'lutram': the RTL asks for LUT RAM (gr_sdp_ram LUTRAM = 1, ram_style "distributed"); 'uram':
 * for UltraRAM (URAM = 1, ram_style "ultra"; UltraScale+ only); 'auto': the tool's choice.
 */
export type RamStyle = 'auto' | 'lutram' | 'uram';

/** One URAM288: 4,096 words of 72 bits, no other aspect ratio (wider or deeper RAMs take more). */
export const URAM_DEPTH = 4096;
export const URAM_WIDTH = 72;

export interface MemoryMap {
  readonly where: 'bram' | 'lutram' | 'uram' | 'logic';
  readonly bram36: number;
  readonly bram18: number;
  readonly uram: number;
  /** LUTs: LUT RAM primitives (4 each) plus read muxes, or the ROM's logic. */
  readonly lut: number;
  /** Flip-flops holding a RAM mapped to soft logic. */
  readonly ff: number;
}

/** LUTs of a ROM built from logic: one LUT6 per output bit per 64 rows (plus a mux level beyond). */
function romLogicLuts(depth: number, width: number): number {
  if (depth <= 1) return 0;
  if (depth === 2) return width * 0.5; // a column is a constant, the address bit or its complement
  if (depth <= 64) return width * 0.95;
  const tiles = Math.ceil(depth / 64);
  return width * (tiles + Math.ceil((tiles - 1) / 4));
}

/**
 * Where a depth × width memory with one synchronous read port (and, for a RAM,
 * one write port) lands under Yosys 0.23 synth_xilinx: the cheapest option by
 * memory_libmap's costs. Ties go to block RAM, RAMB36 before RAMB18.
 */
export function mapMemory(depth: number, width: number, kind: MemoryKind, style: RamStyle = 'auto'): MemoryMap {
  if (depth < 1 || width < 1) return { where: 'logic', bram36: 0, bram18: 0, uram: 0, lut: 0, ff: 0 };
  if (style === 'lutram' && kind === 'ram') return lutramMap(depth, width);
  if (style === 'uram' && kind === 'ram') {
    // Yosys 0.23 synth_xilinx -family xcup -uram: URAM288 tiles, cascaded in depth by the block's own
    // cascade ports (no LUTs or flip-flops: a 224 x 1,024-bit RAM became 15 URAM288, 0 LUT, 0 FF).
    return { where: 'uram', bram36: 0, bram18: 0, uram: Math.ceil(width / URAM_WIDTH) * Math.ceil(depth / URAM_DEPTH), lut: 0, ff: 0 };
  }
  const n36 = bramPrimitives(depth, width, BRAM36_SHAPES);
  const n18 = bramPrimitives(depth, width, BRAM18_SHAPES);
  const bramCost = Math.min(n36 * COST_BRAM36, n18 * COST_BRAM18);
  const bram: MemoryMap = n36 * COST_BRAM36 <= n18 * COST_BRAM18 ? { where: 'bram', bram36: n36, bram18: 0, uram: 0, lut: 0, ff: 0 } : { where: 'bram', bram36: 0, bram18: n18, uram: 0, lut: 0, ff: 0 };
  const bits = depth * width;
  if (kind === 'rom') {
    if (bits * COST_ROM_BIT_LUT < bramCost) return { where: 'logic', bram36: 0, bram18: 0, uram: 0, lut: romLogicLuts(depth, width), ff: 0 };
    return bram;
  }
  const nl = lutramPrimitives(depth, width);
  const ffCost = bits * COST_RAM_BIT_FF;
  const lutCost = nl * COST_LUTRAM;
  if (ffCost < Math.min(lutCost, bramCost)) {
    // A register file: the words in flip-flops, a depth-way read mux per bit.
    return { where: 'logic', bram36: 0, bram18: 0, uram: 0, lut: width * muxLuts(depth), ff: bits };
  }
  if (lutCost < bramCost) return lutramMap(depth, width);
  return bram;
}

/** A RAM in LUT RAM: RAM32M/RAM64M primitives (4 LUTs each), plus a read mux beyond 64 words. */
function lutramMap(depth: number, width: number): MemoryMap {
  const tiles = Math.ceil(depth / 64);
  return { where: 'lutram', bram36: 0, bram18: 0, uram: 0, lut: 4 * lutramPrimitives(depth, width) + (tiles > 1 ? width * muxLuts(tiles) * 1.5 : 0), ff: 0 };
}

/** LUT6 count of an n-to-1 one-bit multiplexer (a LUT6 is a 4:1 mux; MUXF7/F8 are free). */
export function muxLuts(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return Math.ceil((n - 1) / 3);
}

// ---------------------------------------------------------------------------
// Arithmetic components.

/** DSP48 slices of a signed a × b multiplier (25 × 18 ports; Yosys mul2dsp splitting). Narrow products stay in LUTs. */
export function mulDsp(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo < 2 || a + b < 9) return 0;
  if (hi <= 25 && lo <= 18) return 1;
  return Math.ceil((hi - 1) / 24) * Math.ceil((lo - 1) / 17);
}

/**
 * The device's multiplier block, which decides how products are counted: Xilinx DSP48 (25 × 18,
 * `mulDsp`; the cost model's calibration) or iCE40 SB_MAC16 (16 × 16, `mulSbMac16`). Intel
 * devices are counted in DSP48 terms, as the fit report compares them.
 */
export type DspPrimitive = 'dsp48' | 'sbmac16';

/**
 * SB_MAC16 blocks of a signed a × b multiplier as Yosys 0.23 `synth_ice40 -dsp` maps it (mul2dsp,
 * 16 × 16 ports, operands of at least 2 bits, products of at least 11): the wider operand is cut
 * into 16-bit slices from the bottom, and a slice that is too narrow, or whose product is, stays in
 * LUTs. So a 17 × 16 product takes one block (its sign bit is a LUT row) and 18 × 16 two.
 */
export function mulSbMac16(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo < 2 || hi + lo < 11) return 0;
  if (hi <= 16) return 1;
  const slices = Math.floor((hi - 1) / 16);
  return slices * mulSbMac16(16, lo) + mulSbMac16(hi - 16 * slices, lo);
}

/** Multiplier blocks of a signed a × b product on the device's primitive. */
export function mulBlocks(dsp: DspPrimitive, a: number, b: number): number {
  return dsp === 'sbmac16' ? mulSbMac16(a, b) : mulDsp(a, b);
}

/** gr_conv_addtree of n inputs of iw bits: every node is registered; an adding node takes one LUT per input bit. */
export function addTreeCost(n: number, iw: number): { lut: number; ff: number } {
  let lut = 0;
  let ff = 0;
  let nodes = n;
  for (let l = 1; nodes > 1; l++) {
    const next = Math.ceil(nodes / 2);
    const adds = Math.floor(nodes / 2);
    ff += next * (iw + l);
    lut += adds * (iw + l - 1);
    nodes = next;
  }
  return { lut, ff };
}

// ---------------------------------------------------------------------------
// Features and coefficients. A model sums raw features (structural counts
// from the RTL); LUT and FF are their weighted sums with the calibrated
// coefficients below; DSP and block RAM are exact structural counts.

export const FEATURES = [
  /** One per stage: valid/ready glue, step counters. */
  'base',
  /** gr_linebuf scheduler: its control flip-flops (counters, positions, step register). */
  'lbCtrl',
  /** LUTs of memories in LUT RAM (4 per RAM32M/RAM64M plus read muxes). */
  'lutram',
  /** LUTs of ROMs built from logic. */
  'romLogic',
  /** Read registers of ROMs / register files not absorbed into block RAM (FF), memory words in FFs. */
  'memReg',
  /** Multiplexers: channel select of a conv stage, step select of an add stage, logit select. */
  'mux',
  /** gr_win_linebuf's window: per tap and bit, the row-slot (R:1) and bank (K:1) selects with the padding. */
  'winMux',
  /** Binary lanes (gr_bin_lane): pattern register, pair selects, adder tree, 2·sum − Σx, accumulator; the shared inputs, pair sums and Σx. */
  'binLane',
  /** Int8 lanes: the term and the accumulator (products on DSPs, their trees in intTree). */
  'intLane',
  /** Int8 product adder trees beyond their first level (the DSP48 post-adders absorb the first). */
  'intTree',
  /** Packed int8 products (PACK): per shared multiplier, the multiplicand's sign fix and the high product's correction. */
  'pack',
  /** gr_requant lanes: one per lane. */
  'rqLane',
  /** gr_requant: SUM_W per lane (the sum, the saturation). */
  'rqSum',
  /** gr_requant: SUM_W · (variable shift bits) / 2 per lane (the barrel shifter); 0 when the lane's shift is constant. */
  'rqShift',
  /** Pooling datapaths: max-pool comparators and selects, average-pool accumulators and bank. */
  'pool',
  /** Plain registers (output pixel registers, delay lines, counters). */
  'reg',
  /** gr_fifo_wc beyond its memory: word select, block RAM read mux, control (LUT); holding, assembly and output registers, control (FF). Counts fitted by hand to Yosys, coefficient 1. */
  'fifoWc',
] as const;
export type Feature = (typeof FEATURES)[number];
export type Features = Record<Feature, number>;

const noFeatures = (): Features => Object.fromEntries(FEATURES.map((f) => [f, 0])) as Features;

export type Coefficients = { readonly lut: Readonly<Features>; readonly ff: Readonly<Features> };

/**
 * Calibrated coefficients: LUT = Σ lut[f]·lutFeature[f], FF = Σ ff[f]·ffFeature[f]
 * (bench/calibrate-cost.ts --fit, Yosys 0.23 synth_xilinx -family xc7, docs/cost-model.md).
 */
export const COEF: Coefficients = {
  lut: { base: 5.65, lbCtrl: 1.27, lutram: 1, romLogic: 1, memReg: 0, mux: 0.66, winMux: 1.18, binLane: 1.08, intLane: 2.22, intTree: 0.91, pack: 2.25, rqLane: 0, rqSum: 0.015, rqShift: 0.41, pool: 1.87, reg: 0, fifoWc: 1 },
  ff: { base: 4.77, lbCtrl: 0.96, lutram: 0, romLogic: 0, memReg: 0.63, mux: 0, winMux: 0, binLane: 0.87, intLane: 0, intTree: 1.14, pack: 1.1, rqLane: 0, rqSum: 0.41, rqShift: 0, pool: 0.96, reg: 0.89, fifoWc: 1 },
};

/**
 * UltraScale+ coefficients (bench/calibrate-cost.ts --family xcup --fit, Yosys 0.23 synth_xilinx
 * -family xcup, docs/cost-model.md): the same features, fitted to UltraScale+ cells.
 */
export const COEF_XCUP: Coefficients = {
  // lutram fixed: RAM64M8 / RAM32M16 hold 7 / 14 bits a column in 8 LUTs, RAM64M / RAM32M 3 / 6 in 4.
  lut: { base: 6.15, lbCtrl: 1.26, lutram: 0.86, romLogic: 1, memReg: 0, mux: 1.264, winMux: 0.982, binLane: 1.115, intLane: 1.682, intTree: 1.66, pack: 2.25, rqLane: 0, rqSum: 0.512, rqShift: 1.95, pool: 1.06, reg: 0, fifoWc: 1 },
  ff: { base: 3.344, lbCtrl: 1.071, lutram: 0, romLogic: 0, memReg: 0.864, mux: 0, winMux: 0, binLane: 0.808, intLane: 1.393, intTree: 2.523, pack: 1.1, rqLane: 0, rqSum: 1.305, rqShift: 0, pool: 1.012, reg: 0.899, fifoWc: 1 },
};

/** A model's raw result: LUT and FF features, exact DSP / memory counts. */
interface Raw {
  readonly lut: Features;
  readonly ff: Features;
  dsp: number;
  bramBits: number;
  bram36: number;
  bram18: number;
  lutramBits: number;
  uram: number;
  uramBits: number;
}

function raw(): Raw {
  return { lut: noFeatures(), ff: noFeatures(), dsp: 0, bramBits: 0, bram36: 0, bram18: 0, lutramBits: 0, uram: 0, uramBits: 0 };
}

/**
 * The cell library the LUT and FF counts are for: 7-series (`xc7`, also the yardstick on Intel and
 * Lattice parts) or UltraScale+ (`xcup`), whose Yosys mapping takes more LUTs and flip-flops for
 * the same RTL (DSP48E2 leaves more registers in the fabric; LUT RAM packs 7 bits per 64-deep
 * column pair where 7-series packs 3).
 */
export type Fabric = 'xc7' | 'xcup';

/** Coefficients by fabric. */
export const COEF_BY_FABRIC: Readonly<Record<Fabric, Coefficients>> = {
  xc7: COEF,
  xcup: COEF_XCUP,
};

function finish(r: Raw, fabric: Fabric = 'xc7'): StageCost {
  const coef = COEF_BY_FABRIC[fabric];
  let lut = 0;
  let ff = 0;
  for (const f of FEATURES) {
    lut += coef.lut[f] * r.lut[f];
    ff += coef.ff[f] * r.ff[f];
  }
  return { lut: Math.round(lut), ff: Math.round(ff), dsp: r.dsp, bramBits: r.bramBits, bram36: r.bram36, bram18: r.bram18, lutramBits: r.lutramBits, uram: r.uram, uramBits: r.uramBits };
}

/** Adds a memory (RAM with a registered read, or a ROM with its read register) to `r`. */
function addMemory(r: Raw, depth: number, width: number, kind: MemoryKind, readRegister = true, style: RamStyle = 'auto'): void {
  if (kind === 'rom' && depth <= 1) return; // a constant
  const m = mapMemory(depth, width, kind, style);
  const bits = depth * width;
  r.bram36 += m.bram36;
  r.bram18 += m.bram18;
  if (m.where === 'bram') {
    r.bramBits += bits;
    return;
  }
  if (m.where === 'uram') {
    r.uram += m.uram;
    r.uramBits += bits;
    return;
  }
  r.lutramBits += bits;
  if (m.where === 'lutram') r.lut.lutram += m.lut;
  else if (kind === 'rom') r.lut.romLogic += m.lut;
  else r.lut.mux += m.lut;
  r.ff.memReg += m.ff + (readRegister ? width : 0); // the words (register file) and the read register
}

export interface RequantWidths {
  readonly terms: 1 | 2;
  readonly acc0W: number;
  readonly acc1W: number;
  readonly multW: number;
  readonly biasW: number;
  readonly shiftW: number;
  readonly sumW: number;
  readonly outW: number;
  /** Shift bits that vary between the lane's channels (0: a constant shift, the shifter disappears). */
  readonly shiftVarBits: number;
}

/** One gr_requant lane: products on DSPs (the bias on the DSP post-adder), the rest in LUTs and carry chains. */
function addRequant(r: Raw, w: RequantWidths, lanes: number, dsp: DspPrimitive): void {
  r.dsp += lanes * (mulBlocks(dsp, w.acc0W, w.multW) + (w.terms === 2 ? mulBlocks(dsp, w.acc1W, w.multW) : 0));
  r.lut.rqLane += lanes;
  r.lut.rqSum += lanes * w.sumW * w.terms;
  r.lut.rqShift += (lanes * w.sumW * w.shiftVarBits) / 2;
  r.ff.rqLane += lanes;
  r.ff.rqSum += lanes * (w.sumW + w.outW + 2 * w.shiftW + (w.terms === 2 ? w.acc1W : 0));
}

/**
 * Shift bits that vary between the rows of each lane of a SHIFT_FILE image
 * (rows of `pe` fields of `shiftW` bits), maximum over the lanes; a missing
 * image counts every bit as variable.
 */
export function shiftVarBits(content: string | undefined, pe: number, shiftW: number): number {
  if (content === undefined) return shiftW;
  const rows = content
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => BigInt(`0x${s}`));
  if (rows.length <= 1) return 0;
  const mask = (1n << BigInt(shiftW)) - 1n;
  let most = 0;
  for (let p = 0; p < pe; p++) {
    const at = (row: bigint): bigint => (row >> BigInt(p * shiftW)) & mask;
    const first = at(rows[0]!);
    let diff = 0n;
    for (const row of rows) diff |= at(row) ^ first;
    let n = 0;
    for (; diff > 0n; diff >>= 1n) n += Number(diff & 1n);
    most = Math.max(most, n);
  }
  return most;
}

// ---------------------------------------------------------------------------
// Line buffer (gr_linebuf).

export interface LinebufGeom {
  readonly h: number;
  readonly w: number;
  readonly k: number;
  readonly s: number;
  readonly p: number;
  /** Bits per pixel (all channels). */
  readonly dw: number;
  readonly og: number;
  readonly opg: number;
  readonly inner: number;
  /** The memory's style: LUT RAM (LB_LUTRAM = 1), UltraRAM (LB_URAM = 1) or the tool's choice. */
  readonly style: RamStyle;
}

/** Rows a gr_linebuf stores (docs/rtl-architecture.md, "Line buffer"). */
export function linebufRows(g: Pick<LinebufGeom, 'h' | 'w' | 'k' | 's' | 'p'>): number {
  const oh = Math.floor((g.h + 2 * g.p - g.k) / g.s) + 1;
  const lrow = Math.max(0, (oh - 1) * g.s - g.p);
  const nextLast = Math.min(g.h - 1, g.k - 1 - g.p);
  return Math.max(g.k + g.s, g.h + nextLast - lrow + 1);
}

/** gr_linebuf: R·W words of DW bits (1 write, 1 registered read) and the scheduler. */
function addLinebuf(r: Raw, g: LinebufGeom): void {
  const rows = linebufRows(g);
  const rw = rows * g.w;
  const steps = g.og * g.opg * g.k * g.k * g.inner;
  const aw = cw(rw);
  const lw = cw(2 * rows + 2) + 1;
  const pw = cw(g.h + g.w + g.k + 2 * g.p + 2 * g.s + 2) + 1;
  const kw = cw(g.k);
  // A counter of one value is a constant: synthesis removes it.
  const c = (n: number): number => (n > 1 ? cw(n) : 0);
  const counters = 3 * aw + cw(g.w) + lw + 2 * pw + 2 * kw + c(g.inner) + c(g.opg) + c(g.og) + cw(g.k * g.k) + c(g.og * g.opg) + cw(steps) + c(g.og * g.inner) + c(g.og * g.opg * g.inner);
  const stepRegs = 4 + cw(steps) + c(g.og * g.opg) + cw(g.k * g.k) + c(g.og * g.inner) + c(g.og * g.opg * g.inner);
  r.lut.lbCtrl += counters + stepRegs;
  r.ff.lbCtrl += counters + stepRegs;
  r.lut.base += 10; // the scheduler's fixed logic (window readiness, padding, wrap-around)
  addMemory(r, rw, g.dw, 'ram', true, g.style);
}

/**
 * Bits of memory per kind a stage holds before mapping (for reports):
 * exported for the mapper's summaries.
 */
export function linebufBits(g: LinebufGeom): number {
  return linebufRows(g) * g.w * g.dw;
}

// ---------------------------------------------------------------------------
// Stage models.

type Params = ReadonlyMap<string, number>;

function paramsOf(plan: StagePlan): Params {
  const m = new Map<string, number>();
  for (const p of plan.params) if (/^-?\d+$/.test(p.value)) m.set(p.name, Number(p.value));
  return m;
}

function getter(plan: StagePlan): (name: string) => number {
  const p = paramsOf(plan);
  return (name) => {
    const v = p.get(name);
    if (v === undefined) throw new Error(`cost model: stage "${plan.info.layer.name}" (${plan.module}) has no parameter ${name}`);
    return v;
  };
}

/** The line buffer's memory style: LB_LUTRAM = 1, LB_URAM = 1 (absent means 0) or the tool's choice. */
function lbStyle(plan: StagePlan): RamStyle {
  const p = paramsOf(plan);
  if (p.get('LB_URAM') === 1) return 'uram';
  return p.get('LB_LUTRAM') === 1 ? 'lutram' : 'auto';
}

/** A gr_conv_stage whose lane pairs share their int8 multipliers (PACK = 1; absent means 0). */
function packed(plan: StagePlan): boolean {
  return paramsOf(plan).get('PACK') === 1;
}

function romContent(plan: StagePlan, param: string): string | undefined {
  return plan.roms.find((r) => r.param === param)?.content;
}

/** gr_conv_stage (modes 0 binary, 1 int8, 2 PRB): line buffer, channel select, ROMs, PE lanes, output register. */
/** The parameters gr_conv_stage and gr_conv_window_stage share, and their loop counts. */
function convLikeParams(plan: StagePlan) {
  const n = getter(plan);
  const [h, w, c, cout, k, s, pad, g] = ['H', 'W', 'C', 'COUT', 'K', 'S', 'P', 'G'].map(n) as [number, number, number, number, number, number, number, number];
  const [mode, inW, pe, simd, acc0W, acc1W, multW, biasW, shiftW] = ['MODE', 'IN_W', 'PE', 'SIMD', 'ACC0_W', 'ACC1_W', 'MULT_W', 'BIAS_W', 'SHIFT_W'].map(n) as [number, number, number, number, number, number, number, number, number];
  const cis = c / g / simd;
  const opg = cout / g / pe;
  return { n, h, w, c, cout, k, s, pad, g, mode, inW, pe, simd, acc0W, acc1W, multW, biasW, shiftW, cis, opg, cos: g * opg };
}

function convStageRaw(plan: StagePlan, dsp: DspPrimitive): Raw {
  const { n, h, w, c, cout, k, s, pad, g, mode, inW, pe, simd, acc0W, acc1W, multW, biasW, shiftW, cis, opg, cos } = convLikeParams(plan);
  const lanes = simd;
  const steps = cos * k * k * cis;
  const nch = g * cis;
  const lv = lanes > 1 ? Math.ceil(Math.log2(lanes)) : 0;
  const xw = inW + 1;
  const binary = mode === 0 || mode === 2;
  const int8 = mode === 1 || mode === 2;
  const ctw = cw(cos) + 3;

  const r = raw();
  r.lut.base += 1;
  r.ff.base += 1;
  addLinebuf(r, { h, w, k, s, p: pad, dw: c * inW, og: g, opg, inner: cis, style: lbStyle(plan) });
  // Channel select into x2 (zero in the padding: the register's reset) and the control delay line.
  r.lut.mux += lanes * inW * muxLuts(nch);
  r.ff.reg += lanes * inW + 1 + ctw + (lv + 1) * (1 + ctw);
  // SPREAD (PRB): the 1×1 branch takes simd/spread of the buffered centre-tap inputs per step.
  const spread = mode === 2 ? (paramsOf(plan).get('SPREAD') ?? 1) : 1;
  const simdI = simd / spread;
  // ROMs: term-0 weights, the PRB's 1×1 weights, the requantization parameters.
  addMemory(r, steps, pe * lanes * (mode === 1 ? 8 : 1), 'rom');
  if (mode === 2) addMemory(r, cos * cis * spread, pe * simdI * 8, 'rom');
  if (spread > 1) {
    // The centre chunks' buffer (cis × simd inputs, written in place), the engine's operand register
    // and its (cis·spread):1 select, its counters, and the PE int8 trees' missing levels as registers.
    const lvi = simdI > 1 ? Math.ceil(Math.log2(simdI)) : 0;
    r.ff.reg += cis * simd * inW + simdI * inW + 2 * cw(cis) + cw(spread) + cw(cos * cis * spread) + 1 + pe * (lv - lvi) * (xw + 8 + lvi);
    r.lut.mux += simdI * inW * muxLuts(cis * spread);
    r.lut.lbCtrl += 2 * cw(cis) + cw(spread) + cw(cos * cis * spread);
  }
  for (const wd of mode === 2 ? [multW, multW, biasW, shiftW] : [multW, biasW, shiftW]) addMemory(r, cos, pe * wd, 'rom');
  // PE lanes.
  if (binary) {
    // Per lane the pattern bits' register, gr_bin_lane, 2·sum − Σx and the accumulator; the inputs,
    // their pair sums and Σx once for all lanes.
    const lane = binLaneCost(lanes, xw);
    const shared = binSharedCost(lanes, xw);
    r.lut.binLane += pe * (lane.lut + 2 * acc0W) + shared.lut;
    r.ff.binLane += pe * (lanes + lane.ff + 2 * acc0W) + shared.ff;
  }
  if (int8) {
    // The PRB's int8 term reads only the centre tap, whatever the core (simd / spread per step).
    const intLanes = mode === 2 ? simdI : lanes;
    const pw8 = xw + 8;
    const it = intTreeCost(intLanes, pw8);
    const termW = mode === 1 ? acc0W : acc1W;
    // iCE40 (measured): synth_ice40 keeps off the SB_MAC16s the products by a weight ROM that holds
    // only 0 and 1 (narrowed to one bit, below mul2dsp's two: the input stage's identity weights) and
    // by a constant (one-row) ROM of trivial weights (shifts); synth_xilinx maps both onto DSP48s.
    const folded = dsp === 'sbmac16' && mode === 1 && multiplierFreeRom(plan, steps, pe * lanes);
    if (packed(plan)) {
      // Lanes 2q, 2q+1 share a multiplier of (wh·2^SP + wl) (IN_W + 17 bits) by x (gr_conv_stage PACK).
      const shared = (pe / 2) * intLanes;
      r.dsp += folded ? 0 : shared * mulBlocks(dsp, inW + 17, xw);
      r.lut.pack += shared;
      r.ff.pack += shared;
    } else {
      r.dsp += folded ? 0 : pe * intLanes * mulBlocks(dsp, 8, xw);
    }
    r.lut.intTree += pe * it.lut;
    r.ff.intTree += pe * it.ff;
    r.lut.intLane += pe * termW;
    r.ff.intLane += pe * 2 * termW;
  }
  const shiftVar = cos > 1 ? shiftVarBits(romContent(plan, 'SHIFT_FILE'), pe, shiftW) : 0;
  addRequant(r, { terms: mode === 2 ? 2 : 1, acc0W, acc1W, multW, biasW, shiftW, sumW: n('SUM_W'), outW: n('OUT_W'), shiftVarBits: shiftVar }, pe, dsp);
  // Output pixel register.
  r.ff.reg += cout * n('OUT_W') + 1;
  return r;
}

/**
 * Adder trees (gr_conv_addtree) of several lanes whose leaves are constants
 * combined with shared inputs: leaf j of lane p is input j under the constant
 * `leaves[p][j]` (a pattern bit, an int8 weight). Synthesis merges the nodes
 * that add the same inputs under the same constants in different lanes
 * (opt_merge), so each distinct node costs once. A leaf whose constant is
 * `zero` is the constant 0 (a binary lane's b ? x : 0 with b = 0): a node of
 * two zeros is a zero and costs nothing, a node with one zero is a register
 * without an adder.
 */
export function mergedTreesCost(leaves: readonly (readonly number[])[], iw: number, zero?: number): { lut: number; ff: number } {
  const pe = leaves.length;
  let n = leaves[0]!.length;
  let lut = 0;
  let ff = 0;
  // ids[p·n + i]: lane p's node at position i, numbered per position (equal numbers: the same node,
  // i.e. the same inputs under the same constants; 0 is the constant zero, whether or not it occurs);
  // count[i]: the numbers in use at position i, zero included. Nodes at different positions never
  // merge, so small per-position numbers suffice (a fully unrolled GoogLeNet 3×3 has 660 K leaves
  // and the optimizer costs it for every candidate).
  let ids = new Int32Array(pe * n);
  let count = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const seen = new Map<number, number>();
    for (let p = 0; p < pe; p++) {
      const v = leaves[p]![j]!;
      let id = v === zero ? 0 : seen.get(v);
      if (id === undefined) seen.set(v, (id = seen.size + 1));
      ids[p * n + j] = id;
    }
    count[j] = seen.size + 1;
  }
  for (let l = 1; n > 1; l++) {
    const m = Math.ceil(n / 2);
    const next = new Int32Array(pe * m);
    const nextCount = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      if (2 * i + 1 < n) {
        const right = count[2 * i + 1]!;
        const seen = new Map<number, number>();
        for (let p = 0; p < pe; p++) {
          const a = ids[p * n + 2 * i]!;
          const b = ids[p * n + 2 * i + 1]!;
          if (a === 0 && b === 0) continue; // next[] is already 0
          const key = a * right + b;
          let id = seen.get(key);
          if (id === undefined) {
            seen.set(key, (id = seen.size + 1));
            ff += iw + l;
            if (a !== 0 && b !== 0) lut += iw + l - 1;
          }
          next[p * m + i] = id;
        }
        nextCount[i] = seen.size + 1;
      } else {
        const seen = new Set<number>();
        for (let p = 0; p < pe; p++) {
          const a = ids[p * n + 2 * i]!;
          next[p * m + i] = a;
          if (a !== 0 && !seen.has(a)) {
            seen.add(a);
            ff += iw + l;
          }
        }
        nextCount[i] = count[2 * i]!;
      }
    }
    ids = next;
    count = nextCount;
    n = m;
  }
  return { lut, ff };
}

/** The fields of a packed hex constant (Verilog `N'hXX..`): `count` fields of `bits` bits, field 0 in the low bits, as signed when `signed`. */
export function unpackFields(value: string, count: number, bits: number, signed: boolean): number[] {
  const body = value.replace(/^\d*'h/, '');
  if (bits > 32) throw new Error(`unpackFields: fields of ${bits} bits`);
  // Hex digits from the right (digit q holds bits 4q..4q+3): linear in the constant's length, where
  // shifting one BigInt per field was quadratic (fully unrolled stages have 660 K-bit constants).
  const nibbles = new Uint8Array(body.length);
  let len = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    const ch = body.charCodeAt(i);
    if (ch === 95) continue; // '_'
    const d = ch >= 48 && ch <= 57 ? ch - 48 : ch >= 97 && ch <= 102 ? ch - 87 : ch >= 65 && ch <= 70 ? ch - 55 : -1;
    if (d < 0) throw new Error(`unpackFields: not a hex constant: ${value.slice(0, 40)}`);
    nibbles[len++] = d;
  }
  const fields = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    let f = 0;
    for (let b = (i + 1) * bits - 1; b >= i * bits; b--) f = f * 2 + (((b >> 2 < len ? nibbles[b >> 2]! : 0) >> (b & 3)) & 1);
    fields[i] = signed && f >= 2 ** (bits - 1) ? f - 2 ** bits : f;
  }
  return fields;
}

/** Per layer: whether its int8 weight ROM holds only 0 and 1, and whether every weight in it is trivial. */
const weightRomTraits = new WeakMap<object, { readonly bits: boolean; readonly trivial: boolean }>();

/**
 * Whether a stage's int8 weight ROM (`rows` rows of `count` fields) holds only 0 and 1, or is one row
 * of trivial weights; false without a ROM. A folding only rearranges a layer's weights into rows, so
 * both properties are read once per layer: the optimizer asks for every candidate folding, and
 * building a GoogLeNet 1×1's image for each took minutes.
 */
function multiplierFreeRom(plan: StagePlan, rows: number, count: number): boolean {
  const rom = plan.roms.find((r) => r.param === 'W0_FILE');
  if (rom === undefined) return false;
  let t = weightRomTraits.get(plan.info);
  if (t === undefined) {
    let bits = true;
    let trivial = true;
    for (const line of rom.content.split('\n')) {
      if (line.trim() === '') continue;
      const f = unpackFields(line.trim(), count, 8, true);
      bits &&= f.every((v) => v === 0 || v === 1);
      trivial &&= f.every(trivialWeight);
    }
    t = { bits, trivial };
    weightRomTraits.set(plan.info, t);
  }
  return t.bits || (rows === 1 && t.trivial);
}

/** A constant int8 weight that needs no multiplier: 0, or ± a power of two (a shift, perhaps negated). */
function trivialWeight(w: number): boolean {
  const a = Math.abs(w);
  return a === 0 || (a & (a - 1)) === 0;
}

/**
 * gr_win_linebuf: R row slots × K column banks of ⌈W/K⌉ words (each a RAM with
 * a registered read), the slot (R:1) and bank (K:1) rotation muxes of the
 * K² taps with their padding, and the scheduler.
 */
function addWinLinebuf(r: Raw, g: LinebufGeom): void {
  const rows = linebufRows(g);
  const words = Math.ceil(g.w / g.k);
  const c = (n: number): number => (n > 1 ? cw(n) : 0);
  const slw = cw(rows);
  const bkw = cw(g.k);
  const lw = cw(2 * rows + 2) + 1;
  const pw = cw(g.h + g.w + g.k + 2 * g.p + 2 * g.s + 2) + 1;
  const outer = g.og * g.opg;
  // Input side (slot, bank, word, column, lag), window position (vrow, hcol, hb, hw, win_slot), loops.
  const counters = 2 * slw + 2 * bkw + cw(words) + cw(g.w) + lw + 3 * pw + c(g.inner) + c(g.opg) + c(g.og) + c(outer) + c(g.og * g.inner) + c(outer * g.inner) + 1;
  // Per window row its slot and padding flag, per column its bank and flag; the step outputs.
  const stepRegs = g.k * (slw + 1) + g.k * (bkw + 1) + 2 + c(outer) + c(g.og * g.inner) + c(outer * g.inner);
  r.lut.lbCtrl += counters + stepRegs;
  r.ff.lbCtrl += counters + stepRegs;
  r.lut.base += 10;
  for (let i = 0; i < rows * g.k; i++) addMemory(r, words, g.dw, 'ram', true, g.style);
  r.lut.winMux += g.k * g.k * g.dw * (muxLuts(rows) + Math.max(1, muxLuts(g.k)));
}

/**
 * gr_bin_lane of n inputs of iw bits with pattern bits from a register: for
 * n ≥ 2 a registered select (0, x, x′ or x + x′) per pair, one LUT per bit,
 * then tree(⌈n/2⌉, iw + 1); for n = 1 an AND per bit.
 */
export function binLaneCost(n: number, iw: number): { lut: number; ff: number } {
  if (n === 1) return { lut: iw, ff: 0 };
  const np = Math.ceil(n / 2);
  const t = addTreeCost(np, iw + 1);
  return { lut: np * (iw + 1) + t.lut, ff: np * (iw + 1) + t.ff };
}

/**
 * What the binary lanes of a stage share: the inputs' register, their pair
 * sums (an adder and a register each) and Σx, the all-ones gr_bin_lane (its
 * selects are wires, its first level registers).
 */
export function binSharedCost(n: number, iw: number): { lut: number; ff: number } {
  if (n === 1) return { lut: 0, ff: iw };
  const pairs = Math.floor(n / 2);
  const np = Math.ceil(n / 2);
  const t = addTreeCost(np, iw + 1);
  return { lut: pairs * (iw + 1) + t.lut, ff: n * iw + pairs * (iw + 1) + np * (iw + 1) + t.ff };
}

/**
 * Constant-pattern gr_bin_lanes (the window core's CONST_W): a pair's select
 * is a wire by the pair's code b₂ᵢ + 2·b₂ᵢ₊₁ (0: a zero), each distinct
 * non-zero (pair, code) a register shared by the lanes, and the trees merged
 * as mergedTreesCost.
 */
export function constBinLanesCost(lanes: readonly (readonly number[])[], iw: number): { lut: number; ff: number } {
  const n = lanes[0]!.length;
  const codes = lanes.map((b) => Array.from({ length: Math.ceil(n / 2) }, (_, i) => (b[2 * i]! ? 1 : 0) + (2 * i + 1 < n && b[2 * i + 1] ? 2 : 0)));
  if (n === 1) return mergedTreesCost(lanes, iw, 0);
  let regs = 0;
  for (let i = 0; i < codes[0]!.length; i++) regs += new Set(codes.map((c) => c[i]!).filter((c) => c !== 0)).size;
  const t = mergedTreesCost(codes, iw + 1, 0);
  return { lut: t.lut, ff: t.ff + regs * (iw + 1) };
}

/** An int8 product adder tree in fabric: its first level sits in the DSP48 post-adders (P = A·B + C, PREG). */
function intTreeCost(n: number, iw: number): { lut: number; ff: number } {
  const t = addTreeCost(n, iw);
  const firstAdds = Math.floor(n / 2);
  return { lut: t.lut - firstAdds * iw, ff: t.ff - firstAdds * (iw + 1) };
}

/**
 * gr_conv_window_stage: the whole K×K window per step. gr_win_linebuf, the
 * channel select of every tap, lanes of K²·SIMD terms (binary: x registered
 * once for all lanes with one Σx tree, the b ? x : 0 folded into the first adder level; int8:
 * K²·SIMD products per lane; PRB: SIMD centre-tap products and a delay to the
 * binary tree's depth), requantizers. A fully unrolled stage (CONST_W, one
 * step) has its weights as constants: a binary lane's zero leaves vanish,
 * nodes shared between lanes are merged, and int8 products by 0 or ±2^k need
 * no DSP (a shift, perhaps negated), equal products are shared.
 */
function windowStageRaw(plan: StagePlan, dsp: DspPrimitive): Raw {
  const { n, h, w, c, cout, k, s, pad, g, mode, inW, pe, simd, acc0W, acc1W, multW, shiftW, cis, opg, cos } = convLikeParams(plan);
  const p = paramsOf(plan);
  const steps = cos * cis;
  const nt = k * k * simd;
  const lv = nt > 1 ? Math.ceil(Math.log2(nt)) : 0;
  const lv1 = simd > 1 ? Math.ceil(Math.log2(simd)) : 0;
  const xw = inW + 1;
  const pw8 = xw + 8;
  const ctw = cw(cos) + 2;
  const wb = mode === 1 ? 8 : 1;
  const bits = plan.params.find((q) => q.name === 'W0_BITS')?.value;
  const constW = p.get('CONST_W') === 1 && steps === 1 && bits !== undefined;
  const lanes = (): number[][] => {
    const f = unpackFields(bits!, pe * nt, wb, mode === 1);
    return Array.from({ length: pe }, (_, q) => f.slice(q * nt, (q + 1) * nt));
  };

  const r = raw();
  r.lut.base += 1;
  r.ff.base += 1;
  addWinLinebuf(r, { h, w, k, s, p: pad, dw: c * inW, og: g, opg, inner: cis, style: lbStyle(plan) });
  // Channel select of every tap into x2, the step's control and its delay line.
  r.lut.mux += nt * inW * muxLuts(g * cis);
  r.ff.reg += nt * inW + 1 + ctw + (lv + 1) * (1 + ctw);
  if (!constW) addMemory(r, steps, pe * nt * wb, 'rom');
  if (mode === 2) addMemory(r, steps, pe * simd * 8, 'rom');
  for (const wd of mode === 2 ? [multW, multW, n('BIAS_W'), shiftW] : [multW, n('BIAS_W'), shiftW]) addMemory(r, cos, pe * wd, 'rom');
  if (mode === 0 || mode === 2) {
    // The window's inputs, their pair sums and Σx once for all lanes.
    const shared = binSharedCost(nt, xw);
    r.lut.binLane += shared.lut;
    r.ff.binLane += shared.ff;
    if (constW) {
      const t = constBinLanesCost(lanes(), xw);
      r.lut.binLane += t.lut + pe * 2 * acc0W;
      r.ff.binLane += t.ff + pe * 2 * acc0W;
    } else {
      const lane = binLaneCost(nt, xw);
      r.lut.binLane += pe * (lane.lut + 2 * acc0W);
      r.ff.binLane += pe * (nt + lane.ff + 2 * acc0W);
    }
  }
  if (mode === 1) {
    if (constW) {
      const ls = lanes();
      const products = new Set<string>();
      ls.forEach((lane) => lane.forEach((wt, j) => (trivialWeight(wt) ? undefined : products.add(`${j}:${wt}`))));
      r.dsp += products.size * mulBlocks(dsp, 8, xw);
      // Merged across lanes; about one first-level node per two DSP products sits in a post-adder.
      const t = mergedTreesCost(ls, pw8);
      const absorbed = Math.floor(products.size / 2);
      r.lut.intTree += Math.max(0, t.lut - absorbed * pw8);
      r.ff.intTree += Math.max(0, t.ff - absorbed * (pw8 + 1));
      r.lut.intLane += pe * acc0W;
      r.ff.intLane += pe * 2 * acc0W;
    } else {
      const t = intTreeCost(nt, pw8);
      r.dsp += pe * nt * mulBlocks(dsp, 8, xw);
      r.lut.intTree += pe * t.lut;
      r.ff.intTree += pe * t.ff;
      r.lut.intLane += pe * acc0W;
      r.ff.intLane += pe * 2 * acc0W;
    }
  }
  if (mode === 2) {
    const t = intTreeCost(simd, pw8);
    r.dsp += pe * simd * mulBlocks(dsp, 8, xw);
    r.lut.intTree += pe * t.lut;
    r.ff.intTree += pe * (t.ff + (lv - lv1) * (pw8 + lv1));
    r.lut.intLane += pe * acc1W;
    r.ff.intLane += pe * 2 * acc1W;
  }
  const shiftVar = cos > 1 ? shiftVarBits(romContent(plan, 'SHIFT_FILE'), pe, shiftW) : 0;
  addRequant(r, { terms: mode === 2 ? 2 : 1, acc0W, acc1W, multW, biasW: n('BIAS_W'), shiftW, sumW: n('SUM_W'), outW: n('OUT_W'), shiftVarBits: shiftVar }, pe, dsp);
  r.ff.reg += cout * n('OUT_W') + 1;
  return r;
}

/** The conv-like kinds: the tap core's model, or the window core's. */
function convLikeRaw(plan: StagePlan, dsp: DspPrimitive): Raw {
  return plan.module === 'gr_conv_window_stage' ? windowStageRaw(plan, dsp) : convStageRaw(plan, dsp);
}

/** gr_add_stage: step select over the held pixels, requantization ROMs, PE two-term requantizers, output register. */
function addStageRaw(plan: StagePlan, dsp: DspPrimitive): Raw {
  const n = getter(plan);
  const c = n('C');
  const pe = n('PE');
  const aW = n('A_W');
  const bW = n('B_W');
  const ns = c / pe;
  const shiftW = n('SHIFT_W');
  const r = raw();
  r.lut.base += 1;
  r.ff.base += 1;
  r.lut.mux += pe * (aW + bW) * muxLuts(ns);
  // Asynchronous ROMs: their outputs feed the requantizers' first register (memory_dff makes them registered ROMs).
  for (const wd of [n('MULT_W'), n('MULT_W'), n('BIAS_W'), shiftW]) addMemory(r, ns, pe * wd, 'rom', false);
  const shiftVar = ns > 1 ? shiftVarBits(romContent(plan, 'SHIFT_FILE'), pe, shiftW) : 0;
  addRequant(
    r,
    { terms: 2, acc0W: n('A_SIGNED') ? aW : aW + 1, acc1W: n('B_SIGNED') ? bW : bW + 1, multW: n('MULT_W'), biasW: n('BIAS_W'), shiftW, sumW: n('SUM_W'), outW: n('OUT_W'), shiftVarBits: shiftVar },
    pe,
    dsp,
  );
  r.ff.reg += 2 * cw(ns) + 1 + c * n('OUT_W');
  return r;
}

/**
 * gr_avgpool_stage (channel-serial): the pixel register and the step select of its slices, PE adders
 * over the sums memory (C/PE words of PE·ACC0_W bits; a register when C/PE = 1), the lane register,
 * PE one-term requantizers, the output register.
 */
function avgpoolStageRaw(plan: StagePlan, dsp: DspPrimitive): Raw {
  const n = getter(plan);
  const c = n('C');
  const pe = n('PE');
  const ns = c / pe;
  const inW = n('IN_W');
  const accW = n('ACC0_W');
  const shiftW = n('SHIFT_W');
  const r = raw();
  r.lut.base += 1;
  r.ff.base += 1;
  // The held pixel (a load enable, no logic), the NS-way select of a step's slice and its register.
  r.ff.reg += c * inW + pe * inW;
  r.lut.mux += pe * inW * muxLuts(ns);
  // Adders (the first pixel's overwrite folds into them), the sums, the lane register.
  r.lut.pool += pe * accW;
  if (ns > 1) addMemory(r, ns, pe * accW, 'ram');
  else r.ff.pool += pe * accW;
  r.ff.reg += pe * accW;
  for (const wd of [n('MULT_W'), n('BIAS_W'), shiftW]) addMemory(r, ns, pe * wd, 'rom', false);
  const shiftVar = ns > 1 ? shiftVarBits(romContent(plan, 'SHIFT_FILE'), pe, shiftW) : 0;
  addRequant(r, { terms: 1, acc0W: accW, acc1W: 1, multW: n('MULT_W'), biasW: n('BIAS_W'), shiftW, sumW: n('SUM_W'), outW: n('OUT_W'), shiftVarBits: shiftVar }, pe, dsp);
  // Output register; counters (pixel; issue, add, lane and collect steps) and six valid / position flags.
  r.ff.reg += c * n('OUT_W') + cw(n('H') * n('W')) + (ns > 1 ? 4 * cw(ns) : 0) + 6;
  return r;
}

/** gr_maxpool_stage: line buffer, a comparator and a select per channel, the running and output maxima. */
function maxpoolStageRaw(plan: StagePlan): Raw {
  const n = getter(plan);
  const c = n('C');
  const dw = n('DW');
  const r = raw();
  r.lut.base += 1;
  r.ff.base += 1;
  addLinebuf(r, { h: n('H'), w: n('W'), k: n('K'), s: n('S'), p: n('P'), dw: c * dw, og: 1, opg: 1, inner: 1, style: lbStyle(plan) });
  r.lut.pool += c * dw;
  r.ff.pool += 2 * c * dw;
  return r;
}

type CostModel = (plan: StagePlan, dsp: DspPrimitive, fabric: Fabric) => StageCost;

/** One model per stage kind: a kind without a model does not compile. */
const MODELS: { readonly [K in LayerKind]: CostModel } = {
  input: (p, dsp, fab) => finish(convLikeRaw(p, dsp), fab),
  binconv: (p, dsp, fab) => finish(convLikeRaw(p, dsp), fab),
  conv: (p, dsp, fab) => finish(convLikeRaw(p, dsp), fab),
  prb: (p, dsp, fab) => finish(convLikeRaw(p, dsp), fab),
  fc: (p, dsp, fab) => finish(convLikeRaw(p, dsp), fab),
  add: (p, dsp, fab) => finish(addStageRaw(p, dsp), fab),
  avgpool: (p, dsp, fab) => finish(avgpoolStageRaw(p, dsp), fab),
  maxpool: (p, _dsp, fab) => finish(maxpoolStageRaw(p), fab),
  // gr_concat is wires and two AND gates per link; a one-input concat is a two-deep gr_fifo (design.ts).
  concat: (p, _dsp, fab) => (p.info.layer.inputs.length === 1 ? fifoCost(2, p.outBits, 'auto', fab) : { ...ZERO_COST, lut: 2 * (p.info.layer.inputs.length - 1) }),
};

/**
 * The resources of one stage as the generator plans it (module, parameters, ROM images, folding),
 * DSPs counted in the device's blocks, LUTs and FFs in its fabric's cells.
 */
export function stageCost(plan: StagePlan, dsp: DspPrimitive = 'dsp48', fabric: Fabric = 'xc7'): StageCost {
  return MODELS[plan.info.layer.kind](plan, dsp, fabric);
}

/** The raw features of a stage (calibration only). */
export function stageFeatures(plan: StagePlan): { lut: Features; ff: Features } | null {
  switch (plan.info.layer.kind) {
    case 'add':
      return addStageRaw(plan, 'dsp48');
    case 'avgpool':
      return avgpoolStageRaw(plan, 'dsp48');
    case 'maxpool':
      return maxpoolStageRaw(plan);
    case 'concat':
      return null;
    default:
      return convLikeRaw(plan, 'dsp48');
  }
}

/** Raw features of a gr_fifo (calibration only). */
export function fifoFeatures(depth: number, bits: number, style: RamStyle = 'auto'): Raw {
  const r = raw();
  const aw = cw(depth);
  r.lut.base += 1;
  r.ff.base += 1;
  // Pointers (with wrap compare), occupancy (up/down), full flag.
  r.lut.lbCtrl += 4 * aw;
  r.ff.reg += 2 * aw + Math.ceil(Math.log2(depth + 1)) + 2;
  addMemory(r, depth, bits, 'ram', true, style);
  return r;
}

/** gr_fifo of `depth` entries of `bits` bits: pointers and occupancy, the memory, its output register. */
export function fifoCost(depth: number, bits: number, style: RamStyle = 'auto', fabric: Fabric = 'xc7'): StageCost {
  return finish(fifoFeatures(depth, bits, style), fabric);
}

// ---------------------------------------------------------------------------
// Width-converting join FIFOs (gr_fifo_wc).

/** Memory words per beat of a gr_fifo_wc: one when the beat fits a word, else ceil(bits / wordBits). */
export function wcWords(bits: number, wordBits: number): number {
  return bits <= wordBits ? 1 : Math.ceil(bits / wordBits);
}

/**
 * Cycles per beat of a gr_fifo_wc, sustained on both sides (rtl/gr_fifo_wc.v): exactly NW when
 * depth >= 1 + ceil(3 / NW), else depth beats per NW + 3 cycles.
 */
export function wcCyclesPerBeat(depth: number, bits: number, wordBits: number): number {
  const nw = wcWords(bits, wordBits);
  return depth >= 1 + Math.ceil(3 / nw) ? nw : (nw + 3) / depth;
}

/** LUTs per output bit of Yosys' NW:1 word select (LUT6 4:1 plus MUXF7/8/9 up to 16; it grows faster beyond, fitted to 29 and 57). */
function wcSelectLuts(n: number): number {
  if (n <= 1) return 0;
  return Math.ceil(n / 4) + Math.max(0, n - 16) / 4;
}

/** Raw features of a gr_fifo_wc holding `depth` beats of `bits` bits as words of `wordBits` bits. */
export function fifoWcFeatures(depth: number, bits: number, wordBits: number): Raw {
  const r = raw();
  const mw = Math.min(bits, wordBits);
  const nw = wcWords(bits, wordBits);
  const md = depth * nw;
  const aw = cw(md);
  const ctrlBits = 2 * aw + Math.ceil(Math.log2(md + 1)) + Math.ceil(Math.log2(depth + 1)) + cw(nw) + Math.ceil(Math.log2(nw + 1));
  r.lut.base += 1;
  r.ff.base += 1;
  // The memory; its read register is the assembly pipeline's first stage (counted below when soft).
  addMemory(r, md, mw, 'ram', false);
  const m = mapMemory(md, mw, 'ram');
  // Block RAM tiles in depth are joined by a read mux in LUTs (Yosys cascades none).
  const tiles = m.bram36 + m.bram18;
  const across = m.bram36 > 0 ? Math.ceil(mw / 72) : Math.ceil(mw / 36);
  const deep = m.where === 'bram' ? Math.max(1, Math.round(tiles / across)) : 1;
  r.lut.fifoWc += mw * (wcSelectLuts(nw) + muxLuts(deep)) + 2 * ctrlBits;
  // Holding register (DW), assembly register (NW·MW), output register (DW), control.
  r.ff.fifoWc += 2 * bits + nw * mw + ctrlBits + 4 + (m.where === 'bram' ? 0 : mw);
  return r;
}

/** gr_fifo_wc of `depth` beats (capacity depth + 2) of `bits` bits in words of `wordBits` bits. */
export function fifoWcCost(depth: number, bits: number, wordBits: number, fabric: Fabric = 'xc7'): StageCost {
  return finish(fifoWcFeatures(depth, bits, wordBits), fabric);
}

/** Word widths a join FIFO may use: the block RAM port widths (RAMB36 72 in simple dual port, 36, and two RAMB36 side by side). */
export const WC_WORD_BITS: readonly number[] = [36, 72, 144];
/**
 * A width-converting FIFO must be at least this many times faster than the joining stage's mean
 * pixel period: stages deliver pixels in bursts (a row at the end of a line buffer's wait, a
 * folded stage's pixel in its last step), and at half the period a burst of the FIFO's depth
 * drains while the other input's FIFO still has half its room.
 */
export const WC_RATE_MARGIN = 2;
/** LUTs one block RAM36 is worth when a join FIFO's two forms are compared (about the LUT:BRAM36 ratio of 7-series and UltraScale+ parts, 470 to 740). */
export const WC_BRAM36_LUTS = 500;

/** A join FIFO as the generator plans it: gr_fifo (wordBits null) or gr_fifo_wc. */
export interface JoinFifoChoice {
  readonly wordBits: number | null;
  readonly cost: StageCost;
}

/** One number to compare two FIFO forms: LUTs, FFs at half a LUT (devices have twice as many), block RAM at WC_BRAM36_LUTS. */
function fifoScore(c: StageCost): number {
  return c.lut + c.ff / 2 + WC_BRAM36_LUTS * (c.bram36 + c.bram18 / 2);
}

/**
 * The cheaper form of a join FIFO of `depth` beats of `bits` bits whose joining stage takes a pixel
 * every `pixelPeriodCycles` cycles on average: gr_fifo (in LUT RAM when `lutram`, the stage's
 * folding asks for LUT RAM, and then only gr_fifo) or gr_fifo_wc with the cheapest word width of
 * WC_WORD_BITS whose cycles per beat, times WC_RATE_MARGIN, fit the period.
 */
export function chooseJoinFifo(depth: number, bits: number, lutram: boolean, pixelPeriodCycles: number, fabric: Fabric = 'xc7'): JoinFifoChoice {
  let best: JoinFifoChoice = { wordBits: null, cost: fifoCost(depth, bits, lutram ? 'lutram' : 'auto', fabric) };
  if (lutram) return best;
  for (const ww of WC_WORD_BITS) {
    if (WC_RATE_MARGIN * wcCyclesPerBeat(depth, bits, ww) > pixelPeriodCycles) continue;
    const c = fifoWcCost(depth, bits, ww, fabric);
    if (fifoScore(c) < fifoScore(best.cost)) best = { wordBits: ww, cost: c };
  }
  return best;
}

/** gr_broadcast to n consumers: one "taken" flag per consumer; the data is shared wires. */
export function broadcastCost(n: number, bits: number): StageCost {
  void bits;
  return { ...ZERO_COST, lut: 2 * n + 2, ff: n };
}

/** gr_output_stage: the logit select (CLASSES-way mux of LW bits), the running maximum, the 32-bit output register. */
export function outputStageCost(classes: number, lw = 32): StageCost {
  const bw = Math.ceil(Math.log2(classes + 1));
  const iw = cw(classes);
  return {
    ...ZERO_COST,
    lut: Math.round(lw * (muxLuts(classes) + 1.5) + 32 + 2 * bw + iw),
    ff: 32 + 1 + lw + iw + bw + 1,
  };
}

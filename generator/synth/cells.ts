/**
 * Yosys cell counts in the cost model's units (docs/cost-model.md): LUT6 sites
 * including LUTs used as memory, flip-flops, DSP slices, block RAM in BRAM36
 * equivalents. Xilinx cells count as Vivado's utilization report would; Intel
 * and Lattice cells are converted the way the fit report converts those
 * devices' capacities (generator/map/report.ts capacityOf), so a synthesized
 * count and an estimate are in the same unit on every family.
 */
import type { StageCost } from '../map/cost.js';

/** Yosys `stat` cell counts of one synthesized module: cell type → count. */
export type Cells = ReadonlyMap<string, number>;

/** The figures the estimate and the synthesized netlist are compared on. */
export interface SynthCounts {
  /** LUT6 sites (Intel: ALUTs, i.e. half ALMs; Lattice: LUT4 / 2). */
  readonly lut: number;
  readonly ff: number;
  /** DSP slices (Intel: variable-precision DSP blocks; Lattice: SB_MAC16). */
  readonly dsp: number;
  /** Block RAM in 36 Kib units (RAMB18 = 0.5; M10K = 10/36; EBR = 4/36). */
  readonly bram36: number;
  /** UltraRAM blocks (URAM288; 0 off UltraScale+). */
  readonly uram: number;
}

/**
 * LUTs a Xilinx LUT-RAM or shift-register primitive occupies (Vivado's "LUT as
 * Memory"): one LUT per 64 bits of single-port, two per dual-port bit column.
 */
export const LUTRAM_LUTS: Readonly<Record<string, number>> = {
  RAM32M: 4,
  RAM64M: 4,
  RAM32M16: 8,
  RAM64M8: 8,
  RAM32X16DR8: 8,
  RAM64X8SW: 8,
  RAM16X1D: 2,
  RAM32X1D: 2,
  RAM64X1D: 2,
  RAM128X1D: 4,
  RAM256X1D: 8,
  RAM16X1S: 1,
  RAM32X1S: 1,
  RAM64X1S: 1,
  RAM128X1S: 2,
  RAM256X1S: 4,
  RAM512X1S: 8,
  SRL16E: 1,
  SRLC16E: 1,
  SRLC32E: 1,
};

function get(cells: Cells, ...names: readonly string[]): number {
  return names.reduce((s, k) => s + (cells.get(k) ?? 0), 0);
}

/**
 * Xilinx cells (7-series and UltraScale+ names) as the cost model's figures:
 * LUT1..LUT6 plus LUT-as-memory, FDRE/FDSE/FDCE/FDPE, DSP48E1/E2, RAMB36/RAMB18
 * (E1/E2). INV is not counted (Vivado folds it into the neighbouring LUT);
 * CARRY4/CARRY8 and MUXF7/F8 are not LUTs. bramBits/lutramBits/uramBits are
 * not observable in a netlist (0); `uram` counts URAM288 (UltraScale+ only).
 */
export function measured(cells: Cells): StageCost & { lutram: number; carry: number } {
  let lut = 0;
  let ff = 0;
  let lutram = 0;
  for (const [k, v] of cells) {
    if (/^LUT[1-6]$/.test(k)) lut += v;
    if (/^FD[RSCP]E$/.test(k)) ff += v;
    const perCell = LUTRAM_LUTS[k];
    if (perCell !== undefined) lutram += v * perCell;
  }
  return {
    lut: lut + lutram,
    ff,
    dsp: get(cells, 'DSP48E1', 'DSP48E2'),
    bramBits: 0,
    bram36: get(cells, 'RAMB36E1', 'RAMB36E2'),
    bram18: get(cells, 'RAMB18E1', 'RAMB18E2'),
    lutramBits: 0,
    lutram,
    carry: get(cells, 'CARRY4', 'CARRY8'),
    uram: get(cells, 'URAM288'),
    uramBits: 0,
  };
}

export function xilinxCounts(cells: Cells): SynthCounts {
  const m = measured(cells);
  return { lut: m.lut, ff: m.ff, dsp: m.dsp, bram36: m.bram36 + m.bram18 / 2, uram: m.uram };
}

/**
 * synth_intel_alm cells (Cyclone V): every MISTRAL_ALUT* and MISTRAL_ALUT_ARITH
 * is half an ALM, and the fit report counts an ALM as two LUT6; a MISTRAL_MLAB
 * (32 × 1) is a twentieth of a 10-ALM LAB, i.e. one LUT6 equivalent. DSP blocks
 * hold one 27×27, two 18×18 or three 9×9 products. M10K blocks count 10/36 of
 * a BRAM36. MISTRAL_NOT is not counted (it folds into the neighbouring LUT).
 */
export function intelAlmCounts(cells: Cells): SynthCounts {
  let lut = 0;
  for (const [k, v] of cells) if (/^MISTRAL_ALUT(\d|_ARITH)$/.test(k)) lut += v;
  lut += get(cells, 'MISTRAL_MLAB');
  const dsp = get(cells, 'MISTRAL_MUL27X27') + Math.ceil(get(cells, 'MISTRAL_MUL18X18') / 2) + Math.ceil(get(cells, 'MISTRAL_MUL9X9') / 3);
  return { lut, ff: get(cells, 'MISTRAL_FF'), dsp, bram36: (get(cells, 'MISTRAL_M10K') * 10) / 36, uram: 0 };
}

/**
 * synth_ice40 cells (iCE40 UltraPlus): SB_LUT4 count halved (the fit report's
 * LUT6 equivalent), every SB_DFF* flip-flop, SB_MAC16 DSPs, SB_RAM40_4K* EBRs
 * at 4/36 of a BRAM36 (SB_SPRAM256KA, only inferred with -spram, at 256/36).
 */
export function ice40Counts(cells: Cells): SynthCounts {
  let ff = 0;
  let ebr = 0;
  for (const [k, v] of cells) {
    if (/^SB_DFF/.test(k)) ff += v;
    if (/^SB_RAM40_4K/.test(k)) ebr += v;
  }
  return { lut: get(cells, 'SB_LUT4') / 2, ff, dsp: get(cells, 'SB_MAC16'), bram36: (ebr * 4 + get(cells, 'SB_SPRAM256KA') * 256) / 36, uram: 0 };
}

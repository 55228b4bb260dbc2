/**
 * The device database: the FPGAs gen-rtl knows, with their resources and the
 * vendor document each figure comes from (docs/devices.md is the same table
 * in prose). A run can add one device from a JSON file (`--device-file`).
 *
 * Units are in the key names. Memory is counted in bits of the dedicated
 * memory primitives only, parity bits included (a BRAM36 is 36 × 1024 bits);
 * distributed memory built from logic (LUTRAM, MLAB) is not counted, because
 * using it takes logic away.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { GenRtlError } from '../util/errors.js';

// ---------------------------------------------------------------------------
// Primitive sizes (bits, parity included).

/** Xilinx 7-series / UltraScale+ block RAM: 36 Kib per RAMB36 (splits into two RAMB18 of 18 Kib). */
export const BRAM36_BITS = 36 * 1024;
/** Xilinx UltraScale+ UltraRAM: 288 Kib (4K × 72) per URAM288. */
export const URAM_BITS = 288 * 1024;
/** Intel Cyclone V M10K: 10 Kib (1K × 10 at its widest-parity shape). */
export const M10K_BITS = 10 * 1024;
/** Intel Arria 10 M20K: 20 Kib. */
export const M20K_BITS = 20 * 1024;
/** Lattice iCE40 embedded block RAM (EBR): 4 Kib (256 × 16). */
export const EBR_BITS = 4 * 1024;
/** Lattice iCE40 UltraPlus single-port RAM (SPRAM): 256 Kib (16K × 16). */
export const SPRAM_BITS = 256 * 1024;

// ---------------------------------------------------------------------------
// Types.

export const XILINX_FAMILIES = [
  'zynq-7000',
  'artix-7',
  'kintex-7',
  'virtex-7',
  'spartan-7',
  'zynq-ultrascale+',
  'artix-ultrascale+',
  'kintex-ultrascale+',
  'virtex-ultrascale+',
] as const;
export type XilinxFamily = (typeof XILINX_FAMILIES)[number];
export const INTEL_FAMILIES = ['cyclone-v', 'arria-10'] as const;
export type IntelFamily = (typeof INTEL_FAMILIES)[number];
export const LATTICE_FAMILIES = ['ice40-ultraplus'] as const;
export type LatticeFamily = (typeof LATTICE_FAMILIES)[number];
export type Vendor = 'xilinx' | 'intel' | 'lattice';

export type DspKind = 'DSP48E1' | 'DSP48E2' | 'DSP (Cyclone V 18x18 pairs)' | 'DSP (Arria 10 18x19 pairs)' | 'SB_MAC16';

/** What every device carries besides its resources. */
interface DeviceCommon {
  /** Canonical name, lower case: what `--device` prints and `lookupDevice` returns. */
  readonly name: string;
  /** Other names `lookupDevice` accepts (lower case): short forms and boards carrying the part. */
  readonly aliases: readonly string[];
  readonly description: string;
  /** The full part number assumed (package and speed grade), e.g. "xc7z020clg400-1". */
  readonly part: string;
  /** The speed grade assumed, e.g. "-1"; it matters for maxClockMhzHint only. */
  readonly speedGrade: string;
  /**
   * A clock a deeply pipelined streaming design can reasonably aim for on this
   * part and speed grade: a planning hint well below the block RAM and DSP
   * maximum frequencies in the vendor's switching-characteristics data sheet,
   * not a timing promise.
   */
  readonly maxClockMhzHint: number;
  /** The vendor document(s) the figures come from. */
  readonly source: string;
  /**
   * The vendor figures (key names) not cross-checked against a second source;
   * empty when all were. maxClockMhzHint is an estimate, never a vendor figure.
   */
  readonly unverified: readonly string[];
  /** `unverified` is empty. */
  readonly verified: boolean;
  /** "built-in", or the device file it was read from. */
  readonly origin: string;
  /** Generic DSP count (for Lattice: the SB_MAC16 count), with its kind. */
  readonly dsp: number;
  readonly dspKind: DspKind;
  /** Bits in all dedicated memory primitives (block RAM, UltraRAM, M10K/M20K, EBR, SPRAM), parity included. */
  readonly onChipMemoryBits: number;
  /** onChipMemoryBits / 8. */
  readonly onChipMemoryBytes: number;
}

export interface XilinxDevice extends DeviceCommon {
  readonly vendor: 'xilinx';
  readonly family: XilinxFamily;
  /** 6-input LUTs ("CLB LUTs"). */
  readonly lut6: number;
  /** CLB flip-flops. */
  readonly ff: number;
  readonly dspKind: 'DSP48E1' | 'DSP48E2';
  /** RAMB36 blocks; each splits into two RAMB18, so bram18 = 2 × bram36 (the same silicon, not extra). */
  readonly bram36: number;
  readonly bram18: number;
  /** bram36 × 36 Kib. */
  readonly bramBits: number;
  /** URAM288 blocks (0 on 7-series and on parts without UltraRAM). */
  readonly uramCount: number;
  /** uramCount × 288 Kib. */
  readonly uramBits: number;
}

interface IntelCommon extends DeviceCommon {
  readonly vendor: 'intel';
  /** Adaptive logic modules (one 8-input fracturable LUT and four registers each). */
  readonly alm: number;
  /** ALM registers. */
  readonly ff: number;
}

export interface CycloneVDevice extends IntelCommon {
  readonly family: 'cyclone-v';
  readonly dspKind: 'DSP (Cyclone V 18x18 pairs)';
  readonly m10k: number;
  /** m10k × 10 Kib. */
  readonly m10kBits: number;
}

export interface Arria10Device extends IntelCommon {
  readonly family: 'arria-10';
  readonly dspKind: 'DSP (Arria 10 18x19 pairs)';
  readonly m20k: number;
  /** m20k × 20 Kib. */
  readonly m20kBits: number;
}

export type IntelDevice = CycloneVDevice | Arria10Device;

export interface LatticeDevice extends DeviceCommon {
  readonly vendor: 'lattice';
  readonly family: LatticeFamily;
  /** 4-input LUTs (logic cells). */
  readonly lut4: number;
  /** Logic-cell flip-flops (one per logic cell). */
  readonly ff: number;
  /** SB_MAC16 DSP blocks (16×16 multiply-accumulate); `dsp` repeats this count. */
  readonly sbMac16: number;
  readonly dspKind: 'SB_MAC16';
  /** Embedded block RAMs of 4 Kib. */
  readonly ebr: number;
  readonly ebrBits: number;
  /** Single-port RAMs of 256 Kib. */
  readonly spram: number;
  readonly spramBits: number;
}

export type Device = XilinxDevice | IntelDevice | LatticeDevice;

// ---------------------------------------------------------------------------
// Specs: the primary figures; everything else is derived by `makeDevice`.

interface SpecCommon {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly part: string;
  readonly speedGrade: string;
  readonly maxClockMhzHint: number;
  readonly source: string;
  readonly unverified: readonly string[];
}

type XilinxSpec = SpecCommon & { readonly vendor: 'xilinx'; readonly family: XilinxFamily; readonly lut6: number; readonly ff: number; readonly dsp: number; readonly bram36: number; readonly uramCount: number };
type CycloneVSpec = SpecCommon & { readonly vendor: 'intel'; readonly family: 'cyclone-v'; readonly alm: number; readonly ff: number; readonly dsp: number; readonly m10k: number };
type Arria10Spec = SpecCommon & { readonly vendor: 'intel'; readonly family: 'arria-10'; readonly alm: number; readonly ff: number; readonly dsp: number; readonly m20k: number };
type LatticeSpec = SpecCommon & { readonly vendor: 'lattice'; readonly family: LatticeFamily; readonly lut4: number; readonly ff: number; readonly sbMac16: number; readonly ebr: number; readonly spram: number };
export type DeviceSpec = XilinxSpec | CycloneVSpec | Arria10Spec | LatticeSpec;

function common(s: SpecCommon) {
  return {
    name: s.name.toLowerCase(),
    aliases: Object.freeze(s.aliases.map((a) => a.toLowerCase())),
    description: s.description,
    part: s.part,
    speedGrade: s.speedGrade,
  };
}

function provenance(s: SpecCommon, origin: string) {
  return {
    maxClockMhzHint: s.maxClockMhzHint,
    source: s.source,
    unverified: Object.freeze([...s.unverified]),
    verified: s.unverified.length === 0,
    origin,
  };
}

function memory(bits: number) {
  return { onChipMemoryBits: bits, onChipMemoryBytes: bits / 8 };
}

const SEVEN_SERIES: ReadonlySet<XilinxFamily> = new Set(['zynq-7000', 'artix-7', 'kintex-7', 'virtex-7', 'spartan-7']);

/** A device from its primary figures: derived counts, bits and totals filled in. */
export function makeDevice(s: DeviceSpec, origin = 'built-in'): Device {
  let d: Device;
  switch (s.family) {
    case 'cyclone-v': {
      const m10kBits = s.m10k * M10K_BITS;
      d = { ...common(s), vendor: 'intel', family: s.family, alm: s.alm, ff: s.ff, dsp: s.dsp, dspKind: 'DSP (Cyclone V 18x18 pairs)', m10k: s.m10k, m10kBits, ...memory(m10kBits), ...provenance(s, origin) };
      break;
    }
    case 'arria-10': {
      const m20kBits = s.m20k * M20K_BITS;
      d = { ...common(s), vendor: 'intel', family: s.family, alm: s.alm, ff: s.ff, dsp: s.dsp, dspKind: 'DSP (Arria 10 18x19 pairs)', m20k: s.m20k, m20kBits, ...memory(m20kBits), ...provenance(s, origin) };
      break;
    }
    case 'ice40-ultraplus': {
      const ebrBits = s.ebr * EBR_BITS;
      const spramBits = s.spram * SPRAM_BITS;
      d = {
        ...common(s),
        vendor: 'lattice',
        family: s.family,
        lut4: s.lut4,
        ff: s.ff,
        sbMac16: s.sbMac16,
        dsp: s.sbMac16,
        dspKind: 'SB_MAC16',
        ebr: s.ebr,
        ebrBits,
        spram: s.spram,
        spramBits,
        ...memory(ebrBits + spramBits),
        ...provenance(s, origin),
      };
      break;
    }
    default: {
      const bramBits = s.bram36 * BRAM36_BITS;
      const uramBits = s.uramCount * URAM_BITS;
      d = {
        ...common(s),
        vendor: 'xilinx',
        family: s.family,
        lut6: s.lut6,
        ff: s.ff,
        dsp: s.dsp,
        dspKind: SEVEN_SERIES.has(s.family) ? 'DSP48E1' : 'DSP48E2',
        bram36: s.bram36,
        bram18: 2 * s.bram36,
        bramBits,
        uramCount: s.uramCount,
        uramBits,
        ...memory(bramBits + uramBits),
        ...provenance(s, origin),
      };
    }
  }
  return Object.freeze(d);
}

// ---------------------------------------------------------------------------
// The built-in devices. Figures: the vendor overview data sheets named in
// `source`; each was cross-checked against the availability a vendor tool
// reports (Vivado report_utilization, Quartus fit summary, nextpnr/Radiant)
// unless listed in `unverified`. maxClockMhzHint is not a vendor figure but
// a gen-rtl planning estimate (see its doc comment), so it is never listed.

const SPECS: readonly DeviceSpec[] = [
  {
    name: 'xc7z020',
    aliases: ['7z020', 'z7020', 'z-7020', 'zynq-7020', 'pynq-z1', 'pynq-z2', 'zedboard'],
    description: 'Zynq-7000 Z-7020 (Artix-7 fabric; PYNQ-Z1/Z2, ZedBoard)',
    part: 'xc7z020clg400-1',
    speedGrade: '-1',
    maxClockMhzHint: 200,
    source: 'Xilinx DS190 Zynq-7000 SoC Data Sheet: Overview, Zynq-7000 SoC family table, Z-7020 column (LUTs, flip-flops, block RAM 140 × 36 Kb = 4.9 Mb, DSP slices)',
    unverified: [],
    vendor: 'xilinx',
    family: 'zynq-7000',
    lut6: 53_200,
    ff: 106_400,
    dsp: 220,
    bram36: 140,
    uramCount: 0,
  },
  {
    name: 'xc7z045',
    aliases: ['7z045', 'z7045', 'z-7045', 'zynq-7045', 'zc706'],
    description: 'Zynq-7000 Z-7045 (Kintex-7 fabric; ZC706)',
    part: 'xc7z045ffg900-2',
    speedGrade: '-2',
    maxClockMhzHint: 250,
    source: 'Xilinx DS190 Zynq-7000 SoC Data Sheet: Overview, Zynq-7000 SoC family table, Z-7045 column (LUTs, flip-flops, block RAM 545 × 36 Kb = 19.2 Mb, DSP slices)',
    unverified: [],
    vendor: 'xilinx',
    family: 'zynq-7000',
    lut6: 218_600,
    ff: 437_200,
    dsp: 900,
    bram36: 545,
    uramCount: 0,
  },
  {
    name: 'xczu3eg',
    aliases: ['zu3eg', 'ultra96', 'ultra96-v2'],
    description: 'Zynq UltraScale+ MPSoC ZU3EG (Ultra96)',
    part: 'xczu3eg-sbva484-1-e',
    speedGrade: '-1',
    maxClockMhzHint: 300,
    source: 'Xilinx DS891 Zynq UltraScale+ MPSoC Data Sheet: Overview, CG/EG device feature table, ZU3EG column (system logic cells, CLB LUTs and flip-flops, block RAM 216 × 36 Kb = 7.6 Mb, no UltraRAM, DSP slices)',
    unverified: [],
    vendor: 'xilinx',
    family: 'zynq-ultrascale+',
    lut6: 70_560,
    ff: 141_120,
    dsp: 360,
    bram36: 216,
    uramCount: 0,
  },
  {
    name: 'xczu7ev',
    aliases: ['zu7ev', 'zcu104'],
    description: 'Zynq UltraScale+ MPSoC ZU7EV (ZCU104)',
    part: 'xczu7ev-ffvc1156-2-e',
    speedGrade: '-2',
    maxClockMhzHint: 350,
    source: 'Xilinx DS891 Zynq UltraScale+ MPSoC Data Sheet: Overview, EV device feature table, ZU7EV column (CLB LUTs and flip-flops, block RAM 312 × 36 Kb = 11.0 Mb, UltraRAM 96 × 288 Kb = 27.0 Mb, DSP slices)',
    unverified: [],
    vendor: 'xilinx',
    family: 'zynq-ultrascale+',
    lut6: 230_400,
    ff: 460_800,
    dsp: 1_728,
    bram36: 312,
    uramCount: 96,
  },
  {
    name: 'xczu9eg',
    aliases: ['zu9eg', 'zcu102'],
    description: 'Zynq UltraScale+ MPSoC ZU9EG (ZCU102)',
    part: 'xczu9eg-ffvb1156-2-e',
    speedGrade: '-2',
    maxClockMhzHint: 350,
    source: 'Xilinx DS891 Zynq UltraScale+ MPSoC Data Sheet: Overview, CG/EG device feature table, ZU9EG column (CLB LUTs and flip-flops, block RAM 912 × 36 Kb = 32.1 Mb, no UltraRAM, DSP slices)',
    unverified: [],
    vendor: 'xilinx',
    family: 'zynq-ultrascale+',
    lut6: 274_080,
    ff: 548_160,
    dsp: 2_520,
    bram36: 912,
    uramCount: 0,
  },
  {
    name: 'xck26',
    aliases: ['k26', 'kria-k26', 'kv260', 'kr260'],
    description: 'Kria K26 SOM device XCK26, a Zynq UltraScale+ MPSoC (KV260, KR260)',
    part: 'xck26-sfvc784-2LV-c',
    speedGrade: '-2LV (VCCINT 0.72 V)',
    maxClockMhzHint: 300,
    source: 'Xilinx DS987 Kria K26 SOM Data Sheet: programmable logic features of the XCK26-SFVC784-2LV-C/I (CLB LUTs and flip-flops, block RAM 144 × 36 Kb = 5.1 Mb, UltraRAM 64 × 288 Kb = 18 Mb, DSP slices)',
    unverified: [],
    vendor: 'xilinx',
    family: 'zynq-ultrascale+',
    lut6: 117_120,
    ff: 234_240,
    dsp: 1_248,
    bram36: 144,
    uramCount: 64,
  },
  {
    name: 'xcvu9p',
    aliases: ['vu9p', 'vcu118', 'aws-f1'],
    description: 'Virtex UltraScale+ VU9P, 3 SLRs (VCU118, AWS EC2 F1)',
    part: 'xcvu9p-flga2104-2L-e',
    speedGrade: '-2L',
    maxClockMhzHint: 300,
    source: 'Xilinx DS890 UltraScale Architecture and Product Data Sheet: Overview, Virtex UltraScale+ FPGA feature summary, VU9P column (CLB LUTs and flip-flops, block RAM 2,160 × 36 Kb = 75.9 Mb, UltraRAM 960 × 288 Kb = 270 Mb, DSP slices)',
    unverified: [],
    vendor: 'xilinx',
    family: 'virtex-ultrascale+',
    lut6: 1_182_240,
    ff: 2_364_480,
    dsp: 6_840,
    bram36: 2_160,
    uramCount: 960,
  },
  {
    name: '5csema5',
    aliases: ['5csema5f31c6', 'cyclone-v-se-a5', 'de1-soc'],
    description: 'Cyclone V SE A5 SoC (DE1-SoC)',
    part: '5CSEMA5F31C6',
    speedGrade: 'C6',
    maxClockMhzHint: 150,
    source: 'Intel Cyclone V Device Overview (CV-51001), maximum resource counts for Cyclone V SE devices, A5 column (ALMs, registers, M10K blocks 397 = 3,970 Kb, variable-precision DSP blocks 87); ALM count as Quartus Prime reports it for 5CSEMA5F31C6',
    unverified: ['ff'],
    vendor: 'intel',
    family: 'cyclone-v',
    alm: 32_070,
    ff: 128_300,
    dsp: 87,
    m10k: 397,
  },
  {
    name: '10ax115',
    aliases: ['arria10-gx1150', 'arria-10-gx-1150', 'a10-gx1150', '10ax115s2f45i1sg'],
    description: 'Arria 10 GX 1150 (Arria 10 GX FPGA Development Kit)',
    part: '10AX115S2F45I1SG',
    speedGrade: 'I1 (core speed grade 1)',
    maxClockMhzHint: 300,
    source: 'Intel Arria 10 Device Overview (A10-OVERVIEW), maximum resource counts for Arria 10 GX devices, GX 1150 column (ALMs, registers, M20K blocks 2,713 = 54,260 Kb, variable-precision DSP blocks 1,518)',
    unverified: ['part'],
    vendor: 'intel',
    family: 'arria-10',
    alm: 427_200,
    ff: 1_708_800,
    dsp: 1_518,
    m20k: 2_713,
  },
  {
    name: 'up5k',
    aliases: ['ice40up5k', 'ice40-up5k', 'ice40up5k-sg48', 'ice40up5k-sg48i', 'upduino'],
    description: 'iCE40 UltraPlus UP5K (UPduino, iCE40 UltraPlus Breakout Board)',
    part: 'iCE40UP5K-SG48I',
    speedGrade: 'single grade (High-Performance 1.2 V)',
    maxClockMhzHint: 48,
    source: 'Lattice FPGA-DS-02008 iCE40 UltraPlus Family Data Sheet, family selection guide, iCE40UP5K column (5,280 LUT4 logic cells, 30 EBR × 4 Kb = 120 Kb, 4 SPRAM × 256 Kb = 1,024 Kb, 8 DSP blocks SB_MAC16)',
    unverified: [],
    vendor: 'lattice',
    family: 'ice40-ultraplus',
    lut4: 5_280,
    ff: 5_280,
    sbMac16: 8,
    ebr: 30,
    spram: 4,
  },
];

/** The built-in devices, in the order `gen-rtl devices` lists them. */
export const DEVICES: readonly Device[] = Object.freeze(SPECS.map((s) => makeDevice(s)));

// ---------------------------------------------------------------------------
// Lookup.

function knownNames(devices: readonly Device[]): string {
  return devices.map((d) => d.name).join(', ');
}

/**
 * The device a name denotes: the canonical name, an alias, or a full part
 * number starting with either (e.g. "xc7z020clg400-1", "XCZU7EV-FFVC1156-2-E",
 * "ice40up5k-sg48i"), case-insensitively. The character after such a prefix
 * may not be a digit, so "xc7z0201" matches nothing.
 */
export function lookupDevice(name: string, devices: readonly Device[] = DEVICES): Device {
  const key = name.trim().toLowerCase();
  const keys = devices.flatMap((d) => [d.name, ...d.aliases].map((k) => ({ k, d })));
  const exact = keys.find(({ k }) => k === key);
  if (exact) return exact.d;
  const prefixed = keys
    .filter(({ k }) => key.startsWith(k) && !/[0-9]/.test(key.charAt(k.length)))
    .sort((a, b) => b.k.length - a.k.length)[0];
  if (prefixed) return prefixed.d;
  throw new GenRtlError(`device "${oneLine(name)}"`, `unknown; known devices: ${knownNames(devices)} (aliases and sources: gen-rtl devices --json)`);
}

// ---------------------------------------------------------------------------
// Device files.

const MAX_DEVICE_FILE_BYTES = 1 << 20;

const count = z.number().int().nonnegative();
const positiveCount = z.number().int().positive();
const text = (max: number) => z.string().trim().min(1).max(max);

const fileCommon = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'must be 1 to 64 letters, digits, ".", "_", "+" or "-", starting with a letter or digit'),
  aliases: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'must be 1 to 64 letters, digits, ".", "_", "+" or "-"')).max(32).optional(),
  description: text(200).optional(),
  part: text(64).optional(),
  speedGrade: text(64).optional(),
  maxClockMhzHint: z.number().positive().max(2000),
  source: text(500),
  unverified: z.array(text(64)).max(64).optional(),
};

const FILE_SCHEMAS = {
  xilinx: z.strictObject({ ...fileCommon, vendor: z.literal('xilinx'), family: z.enum(XILINX_FAMILIES), lut6: positiveCount, ff: positiveCount, dsp: count, bram36: count, uramCount: count }),
  'cyclone-v': z.strictObject({ ...fileCommon, vendor: z.literal('intel'), family: z.literal('cyclone-v'), alm: positiveCount, ff: positiveCount, dsp: count, m10k: count }),
  'arria-10': z.strictObject({ ...fileCommon, vendor: z.literal('intel'), family: z.literal('arria-10'), alm: positiveCount, ff: positiveCount, dsp: count, m20k: count }),
  lattice: z.strictObject({ ...fileCommon, vendor: z.literal('lattice'), family: z.enum(LATTICE_FAMILIES), lut4: positiveCount, ff: positiveCount, sbMac16: count, ebr: count, spram: count }),
};

const FAMILIES: Readonly<Record<Vendor, readonly string[]>> = { xilinx: XILINX_FAMILIES, intel: INTEL_FAMILIES, lattice: LATTICE_FAMILIES };

function oneLine(s: string, max = 160): string {
  const flat = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** A JSON path in the `$.a.b[0]` form. */
function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `${acc}.${String(p)}` : `${acc}[${JSON.stringify(String(p))}]`), '$');
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = jsonPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_type': {
      let value: unknown = input;
      for (const p of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p] : undefined;
      if (value === undefined) return `${where}: missing (required ${issue.expected})`;
      if (issue.expected === 'int') return `${where}: must be an integer, got ${JSON.stringify(value)}`;
      return `${where}: must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}, got ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value} ${oneLine(JSON.stringify(value) ?? '', 40)}`;
    }
    case 'too_small':
      if (issue.origin === 'number') return `${where}: must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
      if (issue.origin === 'string') return `${where}: must not be empty`;
      return `${where}: ${issue.message}`;
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') return `${where}: must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
      if (issue.origin === 'string') return `${where}: must be at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `${where}: must have at most ${String(issue.maximum)} entries`;
      return `${where}: ${issue.message}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/** Validates a parsed device description; `where` names its file in errors. */
export function parseDeviceJson(json: unknown, where: string, known: readonly Device[] = DEVICES): Device {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new GenRtlError(where, `$: must be a JSON object describing one device, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`);
  }
  const obj = json as Record<string, unknown>;
  const vendor = obj['vendor'];
  if (vendor !== 'xilinx' && vendor !== 'intel' && vendor !== 'lattice') {
    throw new GenRtlError(where, `$.vendor: ${vendor === undefined ? 'missing' : `unknown vendor ${oneLine(JSON.stringify(vendor) ?? '', 40)}`}; one of "xilinx", "intel", "lattice"`);
  }
  const family = obj['family'];
  if (typeof family !== 'string' || !FAMILIES[vendor].includes(family)) {
    throw new GenRtlError(where, `$.family: ${family === undefined ? 'missing' : `${oneLine(JSON.stringify(family) ?? '', 40)} is not a ${vendor} family gen-rtl knows`}; one of ${FAMILIES[vendor].map((f) => `"${f}"`).join(', ')}`);
  }
  const schema = vendor === 'intel' ? FILE_SCHEMAS[family as IntelFamily] : FILE_SCHEMAS[vendor];
  const parsed = schema.safeParse(json);
  // Keys come from the file and JSON quoting leaves U+2028/U+2029 as they are: flattened to keep one line.
  if (!parsed.success) throw new GenRtlError(where, oneLine(describeIssue(parsed.error.issues[0]!, json), 400));
  const f = parsed.data;
  const spec = {
    ...f,
    aliases: f.aliases ?? [],
    description: f.description ?? `${f.name} (device file)`,
    part: f.part ?? f.name,
    speedGrade: f.speedGrade ?? 'unspecified',
    unverified: f.unverified ?? [],
  } as DeviceSpec;
  const taken = new Map(known.flatMap((d) => [d.name, ...d.aliases].map((k) => [k, d.name] as const)));
  const mine = [spec.name, ...spec.aliases].map((k) => k.toLowerCase());
  for (const [i, k] of mine.entries()) {
    const owner = taken.get(k);
    const at = i === 0 ? '$.name' : `$.aliases[${i - 1}]`;
    if (owner !== undefined) throw new GenRtlError(where, `${at}: "${k}" already names device ${owner}; choose another name`);
    if (mine.indexOf(k) !== i) throw new GenRtlError(where, `${at}: "${k}" is given twice`);
  }
  return makeDevice(spec, where);
}

/** Reads, validates and returns one device from a JSON file; names may not clash with `known`. */
export function loadDeviceFile(path: string, known: readonly Device[] = DEVICES): Device {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new GenRtlError(path, 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof GenRtlError) throw e;
    throw new GenRtlError(path, fsProblem(e));
  }
  if (size > MAX_DEVICE_FILE_BYTES) throw new GenRtlError(path, `file is ${size} bytes; a device file is at most 1 MiB`);
  let textContent: string;
  try {
    textContent = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GenRtlError(path, fsProblem(e));
  }
  let json: unknown;
  try {
    json = JSON.parse(textContent);
  } catch (e) {
    throw new GenRtlError(path, `not valid JSON (${oneLine(e instanceof Error ? e.message : String(e))})`);
  }
  return parseDeviceJson(json, path, known);
}

function fsProblem(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'not a regular file (a directory)';
  return `cannot read (${oneLine(e instanceof Error ? e.message : String(e))})`;
}

/** The devices of one run: the built-ins, plus the one from `deviceFile` if given. */
export function runDevices(deviceFile: string | undefined): readonly Device[] {
  return deviceFile === undefined ? DEVICES : Object.freeze([...DEVICES, loadDeviceFile(deviceFile, DEVICES)]);
}

/**
 * Which part each vendor flow of the synthesis handoff targets for the chosen
 * device (docs/synthesis-handoff.md has the table): the device's own full part
 * number when the flow is its vendor's, else the device of that vendor in the
 * built-in database closest in logic size, else (no --device) the documented
 * default. Every substitution comes with a note the README prints.
 */
import { capacityOf } from '../map/report.js';
import { DEVICES, type Device, type IntelDevice, type XilinxDevice, type XilinxFamily } from '../map/devices.js';
import { assertNever } from '../util/errors.js';

/** The part the Vivado flow targets without --device: the Zynq-7020 of PYNQ-Z1/Z2 and ZedBoard. */
export const DEFAULT_VIVADO_PART = 'xc7z020clg400-1';

/**
 * A part per Xilinx family for a device whose part number is not a full one
 * (package and speed grade), e.g. from a --device-file without "part": each a
 * common evaluation board's part.
 */
export const XILINX_FAMILY_DEFAULT_PART: Readonly<Record<XilinxFamily, string>> = {
  'zynq-7000': 'xc7z020clg400-1',
  'artix-7': 'xc7a35tcpg236-1',
  'kintex-7': 'xc7k325tffg900-2',
  'virtex-7': 'xc7vx485tffg1761-2',
  'spartan-7': 'xc7s50csga324-1',
  'zynq-ultrascale+': 'xczu7ev-ffvc1156-2-e',
  'artix-ultrascale+': 'xcau15p-ffvb676-2-e',
  'kintex-ultrascale+': 'xcku5p-ffvb676-2-e',
  'virtex-ultrascale+': 'xcvu9p-flga2104-2L-e',
};

/** Quartus' FAMILY assignment value for each Intel family. */
export const QUARTUS_FAMILY: Readonly<Record<IntelDevice['family'], string>> = {
  'cyclone-v': 'Cyclone V',
  'arria-10': 'Arria 10',
};

/** An Intel device whose part number is not a full one gets its family's development-kit part. */
export const INTEL_FAMILY_DEFAULT_PART: Readonly<Record<IntelDevice['family'], string>> = {
  'cyclone-v': '5CSEMA5F31C6',
  'arria-10': '10AX115S2F45I1SG',
};

/** Name, optional dash, package letters and pins, dash, speed grade, optional temperature: xczu7ev-ffvc1156-2-e, xc7z020clg400-1. */
const XILINX_FULL_PART = /^xc[a-z0-9]+?-?[a-z]{2,5}[0-9]{2,4}-[0-9][a-z0-9]*(-[a-z])?$/i;
/** Name, package letter and size, temperature grade and speed: 5CSEMA5F31C6, 10AX115S2F45I1SG. */
const INTEL_FULL_PART = /^[0-9][a-z0-9]*?[fume][0-9]{2,3}[cia][0-9][a-z0-9]*$/i;

export function isFullXilinxPart(part: string): boolean {
  return XILINX_FULL_PART.test(part);
}

export function isFullIntelPart(part: string): boolean {
  return INTEL_FULL_PART.test(part);
}

export interface VivadoTarget {
  readonly part: string;
  /** The database device the part belongs to, when one does. */
  readonly device: string | null;
  /** Why the part is not simply the chosen device's, or null. */
  readonly note: string | null;
}

export interface QuartusTarget {
  /** Quartus' FAMILY value, e.g. "Cyclone V". */
  readonly family: string;
  /** Quartus' DEVICE value, e.g. "5CSEMA5F31C6". */
  readonly part: string;
  readonly device: string | null;
  readonly note: string | null;
}

/** Logic capacity in LUT6 equivalents, as the fit report counts it (ALM = 2, LUT4 = 1/2). */
function logicSize(d: Device): number {
  return capacityOf(d).lut;
}

/**
 * The device among `candidates` whose logic size is closest to `d`'s on a log
 * scale (a device twice as big is as far as one half as big); the first in
 * database order on a tie.
 */
export function closestInSize<T extends Device>(d: Device, candidates: readonly T[]): T {
  const size = logicSize(d);
  let best = candidates[0]!;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const distance = Math.abs(Math.log(logicSize(c) / size));
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

const BUILT_IN_XILINX = DEVICES.filter((d): d is XilinxDevice => d.vendor === 'xilinx');
const BUILT_IN_INTEL = DEVICES.filter((d): d is IntelDevice => d.vendor === 'intel');

function lut6(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function substitute(chosen: Device, other: Device, vendor: 'Xilinx' | 'Intel'): string {
  return (
    `${chosen.name} is not ${vendor === 'Intel' ? 'an' : 'a'} ${vendor} device: the ${vendor === 'Intel' ? 'Quartus' : 'Vivado'} flow targets ${other.part} (${other.name}), ` +
    `the ${vendor} device of the gen-rtl database closest in logic size (${lut6(logicSize(other))} against ${lut6(logicSize(chosen))} LUT6 equivalents)`
  );
}

export function vivadoTarget(device: Device | null): VivadoTarget {
  if (device === null) {
    return { part: DEFAULT_VIVADO_PART, device: 'xc7z020', note: `no --device given: the Vivado flow targets the default part ${DEFAULT_VIVADO_PART} (Zynq-7020, as on PYNQ-Z1/Z2 and ZedBoard)` };
  }
  switch (device.vendor) {
    case 'xilinx': {
      if (isFullXilinxPart(device.part)) return { part: device.part, device: device.name, note: null };
      const part = XILINX_FAMILY_DEFAULT_PART[device.family];
      return {
        part,
        device: null,
        note: `${device.name} has no full part number (package and speed grade; its part is "${device.part}"): the Vivado flow uses the ${device.family} default ${part}`,
      };
    }
    case 'intel':
    case 'lattice': {
      const other = closestInSize(device, BUILT_IN_XILINX);
      return { part: other.part, device: other.name, note: substitute(device, other, 'Xilinx') };
    }
    default:
      return assertNever(device);
  }
}

export function quartusTarget(device: Device | null): QuartusTarget {
  if (device === null) {
    // The Intel counterpart of the default Vivado part, by the same closest-size rule.
    const other = closestInSize(BUILT_IN_XILINX.find((d) => d.part === DEFAULT_VIVADO_PART)!, BUILT_IN_INTEL);
    return { family: QUARTUS_FAMILY[other.family], part: other.part, device: other.name, note: `no --device given: the Quartus flow targets ${other.part} (${other.name}), the Intel device closest in logic size to the default Vivado part ${DEFAULT_VIVADO_PART}` };
  }
  switch (device.vendor) {
    case 'intel': {
      const family = QUARTUS_FAMILY[device.family];
      if (isFullIntelPart(device.part)) return { family, part: device.part, device: device.name, note: null };
      const part = INTEL_FAMILY_DEFAULT_PART[device.family];
      return {
        family,
        part,
        device: null,
        note: `${device.name} has no full part number (package and speed grade; its part is "${device.part}"): the Quartus flow uses the ${device.family} default ${part}`,
      };
    }
    case 'xilinx':
    case 'lattice': {
      const other = closestInSize(device, BUILT_IN_INTEL);
      return { family: QUARTUS_FAMILY[other.family], part: other.part, device: other.name, note: substitute(device, other, 'Intel') };
    }
    default:
      return assertNever(device);
  }
}

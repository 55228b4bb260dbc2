/**
 * Which Yosys 0.23 synthesis script a device gets, and how its cells are
 * counted: Xilinx 7-series `synth_xilinx -family xc7`, UltraScale+
 * `-family xcup` (DSP48E2, RAMB36E2; with `-uram` when the design asks for
 * UltraRAM line buffers, which also lets Yosys put other RAMs of 2K words or
 * more in UltraRAM; without, no UltraRAM, as the cost model assumes), Cyclone V `synth_intel_alm -family cyclonev`, iCE40
 * UltraPlus `synth_ice40 -dsp`. Arria 10 has no Yosys 0.23 flow. (iCE40 with
 * -abc9 gives about a fifth fewer SB_LUT4, but nextpnr-ice40 0.4 rejects some of
 * its netlists for combinational loops through the carry chains.)
 */
import type { Device } from '../map/devices.js';
import { assertNever, GenRtlError } from '../util/errors.js';
import { ice40Counts, intelAlmCounts, xilinxCounts, type Cells, type SynthCounts } from './cells.js';

export interface SynthTarget {
  /** The Yosys synthesis command without `-top`; it flattens the design (the cost model was calibrated flat). */
  readonly command: string;
  /** The cell library the counts come from, for messages: "xc7", "xcup", "cyclonev", "ice40". */
  readonly family: string;
  /** Cells in the cost model's units. */
  readonly count: (cells: Cells) => SynthCounts;
  /** How the counts were converted (printed under the table when not plain Xilinx cells). */
  readonly unitsNote: string | null;
}

/**
 * The Yosys flow for a device; a GenRtlError when Yosys 0.23 cannot target its family, or when
 * `uram` (the design has UltraRAM line buffers) and the device is not an UltraScale+ part with UltraRAM.
 */
export function synthTarget(device: Device, opts: { readonly uram?: boolean } = {}): SynthTarget {
  if (opts.uram && !(device.vendor === 'xilinx' && device.uramCount > 0)) {
    throw new GenRtlError(`device "${device.name}"`, 'has no UltraRAM: drop "uram" from the folding (gen-rtl report shows where it is), or pick an UltraScale+ part with UltraRAM (e.g. xczu7ev)');
  }
  switch (device.vendor) {
    case 'xilinx':
      switch (device.family) {
        case 'zynq-7000':
        case 'artix-7':
        case 'kintex-7':
        case 'virtex-7':
        case 'spartan-7':
          return { command: 'synth_xilinx -flatten -family xc7', family: 'xc7', count: xilinxCounts, unitsNote: null };
        case 'zynq-ultrascale+':
        case 'artix-ultrascale+':
        case 'kintex-ultrascale+':
        case 'virtex-ultrascale+':
          return {
            command: `synth_xilinx -flatten -family xcup${opts.uram ? ' -uram' : ''}`,
            family: 'xcup',
            count: xilinxCounts,
            unitsNote: 'UltraScale+ cells (DSP48E2, RAMB36E2/RAMB18E2, RAM32M16/RAM64M8 at 8 LUTs, URAM288); the estimate uses the cost model\'s UltraScale+ coefficients (docs/cost-model.md)',
          };
        default:
          return assertNever(device);
      }
    case 'intel':
      switch (device.family) {
        case 'cyclone-v':
          return {
            command: 'synth_intel_alm -family cyclonev',
            family: 'cyclonev',
            count: intelAlmCounts,
            unitsNote: 'Cyclone V cells in the estimate\'s units: LUT = ALUTs (half ALMs) + MLAB cells, DSP = variable-precision blocks, BRAM36 = M10K × 10/36',
          };
        case 'arria-10':
          throw new GenRtlError(
            `device "${device.name}" (Arria 10)`,
            'Yosys 0.23 has no Arria 10 flow (synth_intel_alm knows cyclonev, arriav and cyclone10gx; synth_intel knows MAX 10 and Cyclone IV/10 LP); synthesize filelist.f with Quartus Prime, or compare on a device Yosys targets, e.g. --device 5csema5 (Cyclone V) or a Xilinx part',
          );
        default:
          return assertNever(device);
      }
    case 'lattice':
      switch (device.family) {
        case 'ice40-ultraplus':
          return {
            command: 'synth_ice40 -dsp',
            family: 'ice40',
            count: ice40Counts,
            unitsNote: 'iCE40 cells in the estimate\'s units: LUT = SB_LUT4 / 2, DSP = SB_MAC16, BRAM36 = SB_RAM40_4K × 4/36',
          };
        default:
          return assertNever(device);
      }
    default:
      return assertNever(device);
  }
}

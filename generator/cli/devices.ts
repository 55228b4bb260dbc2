/**
 * `gen-rtl devices [--json] [--device-file FILE.json]`: the device database
 * (generator/map/devices.ts, docs/devices.md) as a table or as JSON.
 */
import { runDevices, type Device } from '../map/devices.js';
import { assertNever } from '../util/errors.js';
import { printJson, type CliIo } from './io.js';

export interface DevicesArgs {
  readonly json: boolean;
  /** A JSON device description added to the list for this run. */
  readonly deviceFile: string | undefined;
}

const MIB = 1024 * 1024;
const int = (n: number): string => n.toLocaleString('en-US');
const mib = (bits: number): string => (bits / MIB).toFixed(2);

/** One table row's cells, from the device's own fields. */
function row(d: Device): string[] {
  const name = d.verified ? d.name : `${d.name} *`;
  const family = `${d.vendor}/${d.family}`;
  const ff = int(d.ff);
  const dsp = `${int(d.dsp)} ${d.vendor === 'intel' ? 'DSP' : d.dspKind}`;
  const total = (d.onChipMemoryBytes / MIB).toFixed(2);
  switch (d.vendor) {
    case 'xilinx': {
      const bram = `${int(d.bram36)} BRAM36 (${mib(d.bramBits)} Mib)`;
      const ram = d.uramCount > 0 ? `${bram} + ${int(d.uramCount)} URAM (${mib(d.uramBits)} Mib)` : bram;
      return [name, family, `${int(d.lut6)} LUT6`, ff, dsp, ram, total];
    }
    case 'intel': {
      const ram = d.family === 'cyclone-v' ? `${int(d.m10k)} M10K (${mib(d.m10kBits)} Mib)` : `${int(d.m20k)} M20K (${mib(d.m20kBits)} Mib)`;
      return [name, family, `${int(d.alm)} ALM`, ff, dsp, ram, total];
    }
    case 'lattice': {
      const ram = `${int(d.ebr)} EBR (${mib(d.ebrBits)} Mib) + ${int(d.spram)} SPRAM (${mib(d.spramBits)} Mib)`;
      return [name, family, `${int(d.lut4)} LUT4`, ff, dsp, ram, total];
    }
    default:
      return assertNever(d);
  }
}

const HEADER = ['name', 'vendor/family', 'logic', 'FF', 'DSP', 'block RAM', 'on-chip MiB'];
/** Numeric columns, right-aligned. */
const RIGHT = new Set([3, 6]);

/** The device table as text, one line per device, columns padded. */
export function renderDeviceTable(devices: readonly Device[]): string {
  const rows = [HEADER, ...devices.map(row)];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, c) => (RIGHT.has(c) ? cell.padStart(widths[c]!) : c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  let out = `${rows.map(line).join('\n')}\n`;
  out += '\nMib/MiB: 2^20 bits/bytes of dedicated memory primitives, parity bits included; LUTRAM/MLAB not counted.\n';
  if (devices.some((d) => !d.verified)) out += '* some figures not cross-checked (see "unverified" in --json).\n';
  out += 'Sources, part numbers and speed grades: gen-rtl devices --json, docs/devices.md.\n';
  return out;
}

export function devicesCmd(io: CliIo, a: DevicesArgs): void {
  const devices = runDevices(a.deviceFile);
  if (a.json) printJson(io, { devices });
  else io.stdout(renderDeviceTable(devices));
}

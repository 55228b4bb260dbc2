/**
 * `gen-rtl synth MODEL --tool yosys --device D`: synthesizes the generated
 * design with Yosys for the device's family and prints the cost model's
 * estimate next to the synthesized LUT, FF, DSP and BRAM36.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelFile } from '../format/model-file.js';
import { lookupDevice, runDevices } from '../map/devices.js';
import { synthDesign, type SynthDesignResult } from '../synth/design.js';
import { synthTarget } from '../synth/targets.js';
import { yosysVersion } from '../synth/yosys.js';
import { GenRtlError } from '../util/errors.js';
import { readFolding } from './commands.js';
import { printJson, type CliIo } from './io.js';

export const SYNTH_TOOLS = ['yosys'] as const;
export type SynthTool = (typeof SYNTH_TOOLS)[number];

export interface SynthArgs {
  readonly model: string;
  readonly tool: SynthTool;
  readonly device: string;
  readonly deviceFile: string | undefined;
  readonly clockMhz: number | undefined;
  readonly fold: string | undefined;
  readonly work: string | undefined;
  readonly timeout: number | undefined;
  readonly json: boolean;
}

const ROWS = [
  ['LUT', 'lut'],
  ['FF', 'ff'],
  ['DSP', 'dsp'],
  ['BRAM36', 'bram36'],
] as const;

function fmt(v: number, key: string): string {
  return key === 'bram36' ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

export function renderSynthText(r: SynthDesignResult, version: string, folding: string): string {
  const rows = [
    ['resource', 'estimated', 'synthesized', 'error'],
    ...ROWS.map(([label, k]) => {
      const e = r.errorPct[k];
      return [label, fmt(r.estimate[k], k), fmt(r.synthesized[k], k), e === null ? 'n/a' : `${e >= 0 ? '+' : ''}${e.toFixed(1)} %`];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
  const lines = [
    `${r.model} on ${r.device}: ${version}, ${r.command} (${r.seconds.toFixed(0)} s)`,
    `folding: ${folding}`,
    '',
    table,
    '',
    ...(r.unitsNote ? [`note: ${r.unitsNote}`] : []),
    `design: ${r.designDir}`,
    `log: ${r.log}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function synthCmd(io: CliIo, a: SynthArgs): Promise<number> {
  const devices = runDevices(a.deviceFile);
  const device = lookupDevice(a.device, devices);
  synthTarget(device); // a device Yosys cannot target fails here, before any work
  const clockMhz = a.clockMhz ?? device.maxClockMhzHint;
  if (!(Number.isFinite(clockMhz) && clockMhz > 0 && clockMhz <= 2000)) throw new GenRtlError('--clock-mhz', `must be a frequency in MHz (0 < F <= 2000), got ${clockMhz}`);
  if (a.timeout !== undefined && !(Number.isFinite(a.timeout) && a.timeout > 0)) throw new GenRtlError('--timeout', `must be a positive number of seconds, got ${a.timeout}`);
  const info = readModelFile(a.model);
  // The folding `report` and `generate` would use: with --fold auto, the optimizer on this device.
  const chosen = readFolding(info, a.fold, { device, clockMhz, maxUtil: undefined, targetFps: undefined, onchipLimit: undefined });
  const version = yosysVersion();
  if (version === null) throw new GenRtlError('yosys', 'not found on PATH (install it: scripts/install-tools.sh, or the Debian package yosys)');
  const workDir = a.work ?? mkdtempSync(join(tmpdir(), 'gen-rtl-synth-'));
  if (io.isTty && !a.json) io.stderr(`synthesizing ${info.model.name} for ${device.name} with ${version} in ${workDir}...\n`);
  const r = await synthDesign(info, {
    folding: chosen.folding,
    device,
    clockMhz,
    workDir,
    ...(a.timeout !== undefined ? { timeoutSeconds: a.timeout } : {}),
  });
  if (a.json) {
    printJson(io, {
      tool: a.tool,
      toolVersion: version,
      model: r.model,
      device: r.device,
      folding: chosen.summary,
      command: r.command,
      estimate: r.estimate,
      synthesized: r.synthesized,
      errorPct: Object.fromEntries(Object.entries(r.errorPct).map(([k, v]) => [k, v === null ? null : Math.round(v * 10) / 10])),
      cells: Object.fromEntries([...r.cells].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))),
      unitsNote: r.unitsNote,
      seconds: Math.round(r.seconds * 10) / 10,
      designDir: r.designDir,
      log: r.log,
    });
  } else io.stdout(renderSynthText(r, version, chosen.summary));
  return 0;
}

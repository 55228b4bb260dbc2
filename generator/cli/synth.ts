/**
 * `gen-rtl synth MODEL --tool yosys --device D`: synthesizes the generated
 * design with Yosys for the device's family and prints the cost model's
 * estimate next to the synthesized LUT, FF, DSP and BRAM36.
 * `--tool ice40 --device up5k`: the open iCE40 flow to a bitstream
 * (synth/ice40.ts): Yosys, nextpnr-ice40 at the clock, icepack.
 * Both exit 1 when the design does not fit (ice40: or misses the clock).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelFile } from '../format/model-file.js';
import { lookupDevice, runDevices, type Device } from '../map/devices.js';
import { capacityOf } from '../map/report.js';
import type { SynthCounts } from '../synth/cells.js';
import { synthDesign, type SynthDesignResult } from '../synth/design.js';
import { haveIce40Tools, ice40Flow, nextpnrVersion, pnrTarget, type Ice40Resources, type Ice40Result } from '../synth/ice40.js';
import { synthTarget } from '../synth/targets.js';
import { yosysVersion } from '../synth/yosys.js';
import { GenRtlError } from '../util/errors.js';
import { readFolding } from './commands.js';
import { printJson, type CliIo } from './io.js';

export const SYNTH_TOOLS = ['yosys', 'ice40'] as const;
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
  ['URAM', 'uram'],
] as const;

function fmt(v: number, key: string): string {
  return key === 'bram36' ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

export function renderSynthText(r: SynthDesignResult, version: string, folding: string): string {
  const rows = [
    ['resource', 'estimated', 'synthesized', 'error'],
    // URAM only where the estimate or the netlist has some.
    ...ROWS.filter(([, k]) => k !== 'uram' || r.estimate.uram > 0 || r.synthesized.uram > 0).map(([label, k]) => {
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

/** Synthesized counts (estimate units) over the device's capacity as the fit report counts it. */
export function yosysFitProblems(s: SynthCounts, device: Device): string[] {
  const cap = capacityOf(device);
  const rows: [string, number, number][] = [
    ['LUT', s.lut, cap.lut],
    ['FF', s.ff, cap.ff],
    ['DSP', s.dsp, cap.dsp],
    ['BRAM36', s.bram36, cap.bram36],
    ['URAM', s.uram, cap.uram],
  ];
  return rows.filter(([, need, have]) => need > have).map(([k, need, have]) => `${k}: synthesized ${fmt(need, k === 'BRAM36' ? 'bram36' : k)}, ${device.name} has ${fmt(have, k === 'BRAM36' ? 'bram36' : k)}`);
}

function n(v: number | null): string {
  return v === null ? '-' : Math.round(v).toLocaleString('en-US');
}

/** The ice40 flow's table: the estimate (LUT4 = 2 LUT6, EBR = 9 per BRAM36), Yosys' cells, nextpnr's placement, the device. */
export function renderIce40Text(r: Ice40Result, versions: { yosys: string; nextpnr: string }, folding: string): string {
  const s = r.synth;
  const e = s.estimate;
  const u = (bel: string): number | null => r.utilization.get(bel)?.used ?? null;
  const rows: string[][] = [
    ['resource', 'estimated', 'synthesized', 'placed', 'device'],
    ['LUT4', n(2 * e.lut), n(r.resources.lut), '-', n(r.capacity.lut)],
    ['logic cells', '-', '-', n(u('ICESTORM_LC')), n(r.capacity.logicCells)],
    ['flip-flops', n(e.ff), n(r.resources.ff), '-', n(r.capacity.ff)],
    ['DSP (SB_MAC16)', n(e.dsp), n(s.cells.get('SB_MAC16') ?? 0), n(u('ICESTORM_DSP')), n(r.capacity.dsp)],
    ['EBR (4 Kib)', n(9 * e.bram36), n(s.cells.get('SB_RAM40_4K') ?? 0), n(u('ICESTORM_RAM')), n(r.capacity.bram)],
    ['SPRAM (256 Kib)', '0', n(s.cells.get('SB_SPRAM256KA') ?? 0), n(u('ICESTORM_SPRAM')), n(r.capacity.spram)],
    ['I/O pins', '-', '-', n(u('SB_IO')), n(r.capacity.io)],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
  const timing =
    r.fmaxMhz === null
      ? 'fmax: n/a (not routed)'
      : `fmax ${r.fmaxMhz.toFixed(2)} MHz at a ${r.clockMhz} MHz target: ${r.timingMet ? 'met' : 'NOT met'}`;
  const lines = [
    `${s.model} on ${s.device} (${r.target.package.toUpperCase()} package): ${versions.yosys}, ${s.command} (${s.seconds.toFixed(0)} s); nextpnr-ice40 ${versions.nextpnr} (${r.pnrSeconds.toFixed(0)} s)${r.packSeconds !== null ? '; icepack' : ''}`,
    `folding: ${folding}`,
    '',
    table,
    '',
    r.fits ? timing : `does not fit: ${r.problems.join('; ')}`,
    `bitstream: ${r.bitstream === null ? 'none' : `${r.bitstream} (${n(r.bitstreamBytes)} bytes)`}`,
    `note: estimated = the cost model (LUT4 = 2 per LUT6, EBR = 9 per BRAM36; docs/cost-model.md); synthesized = Yosys cells of the design in its pin wrapper ${s.top}; placed = nextpnr-ice40`,
    `design: ${s.designDir}`,
    `logs: ${s.log}, ${r.pnrLog}`,
  ];
  return `${lines.join('\n')}\n`;
}

function ice40Json(r: Ice40Result, versions: { yosys: string; nextpnr: string }, folding: string): object {
  const s = r.synth;
  const res = (x: Ice40Resources): object => ({ lut: x.lut, ff: x.ff, dsp: x.dsp, bram: x.bram, spram: x.spram, logicCells: x.logicCells, io: x.io });
  return {
    tool: 'ice40',
    toolVersion: { yosys: versions.yosys, nextpnr: versions.nextpnr },
    model: s.model,
    device: s.device,
    package: r.target.package,
    folding,
    fits: r.fits,
    problems: r.problems,
    resources: res(r.resources),
    resourceUnits: { lut: 'SB_LUT4', ff: 'SB_DFF*', dsp: 'SB_MAC16', bram: 'EBR (SB_RAM40_4K, 4 Kib)', spram: 'SB_SPRAM256KA (256 Kib)', logicCells: 'nextpnr ICESTORM_LC', io: 'package pins' },
    capacity: res(r.capacity),
    utilization: Object.fromEntries([...r.utilization].map(([k, v]) => [k, { ...v }])),
    clockMhz: r.clockMhz,
    fmaxMhz: r.fmaxMhz === null ? null : Math.round(r.fmaxMhz * 100) / 100,
    timingMet: r.timingMet,
    bitstream: r.bitstream,
    bitstreamBytes: r.bitstreamBytes,
    top: s.top,
    designTop: s.designTop,
    command: s.command,
    pnrCommand: r.pnrCommand,
    estimate: s.estimate,
    synthesized: s.synthesized,
    errorPct: Object.fromEntries(Object.entries(s.errorPct).map(([k, v]) => [k, v === null ? null : Math.round(v * 10) / 10])),
    cells: Object.fromEntries([...s.cells].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))),
    unitsNote: s.unitsNote,
    seconds: { yosys: Math.round(s.seconds * 10) / 10, nextpnr: Math.round(r.pnrSeconds * 10) / 10, icepack: r.packSeconds === null ? null : Math.round(r.packSeconds * 10) / 10 },
    designDir: s.designDir,
    log: s.log,
    pnrLog: r.pnrLog,
    pnrReport: r.pnrReport,
  };
}

export async function synthCmd(io: CliIo, a: SynthArgs): Promise<number> {
  const devices = runDevices(a.deviceFile);
  const device = lookupDevice(a.device, devices);
  synthTarget(device); // a device Yosys cannot target fails here, before any work
  if (a.tool === 'ice40') pnrTarget(device); // and one the iCE40 flow does not place
  const clockMhz = a.clockMhz ?? device.maxClockMhzHint;
  if (!(Number.isFinite(clockMhz) && clockMhz > 0 && clockMhz <= 2000)) throw new GenRtlError('--clock-mhz', `must be a frequency in MHz (0 < F <= 2000), got ${clockMhz}`);
  if (a.timeout !== undefined && !(Number.isFinite(a.timeout) && a.timeout > 0)) throw new GenRtlError('--timeout', `must be a positive number of seconds, got ${a.timeout}`);
  const info = readModelFile(a.model);
  // The folding `report` and `generate` would use: with --fold auto, the optimizer on this device.
  const chosen = readFolding(info, a.fold, { device, clockMhz, maxUtil: undefined, targetFps: undefined, onchipLimit: undefined });
  // UltraRAM line buffers need a part that has UltraRAM: refused here, naming the stages, before any work.
  const uram = [...chosen.folding].filter(([, f]) => f.uram === true).map(([name]) => name);
  if (uram.length > 0 && capacityOf(device).uram === 0) {
    throw new GenRtlError(`--fold ${a.fold}`, `${device.name} has no UltraRAM; drop "uram" from stage${uram.length === 1 ? '' : 's'} ${uram.join(', ')}`);
  }
  const version = yosysVersion();
  if (version === null) throw new GenRtlError('yosys', 'not found on PATH (install it: scripts/install-tools.sh, or the Debian package yosys)');
  if (a.tool === 'ice40') {
    if (device.vendor === 'lattice') {
      const lutram = [...chosen.folding].filter(([, f]) => f.lutram === true).map(([name]) => name);
      if (lutram.length > 0) throw new GenRtlError(`--fold ${a.fold}`, `iCE40 has no LUT RAM; drop "lutram" from stage${lutram.length === 1 ? '' : 's'} ${lutram.join(', ')}`);
    }
    const pnrVersion = nextpnrVersion();
    if (pnrVersion === null || !haveIce40Tools()) {
      throw new GenRtlError('ice40', 'nextpnr-ice40 and icepack not found on PATH (install them: scripts/install-tools.sh, or the Debian packages nextpnr-ice40 and fpga-icestorm)');
    }
  }
  const workDir = a.work ?? mkdtempSync(join(tmpdir(), 'gen-rtl-synth-'));
  if (io.isTty && !a.json) io.stderr(`synthesizing ${info.model.name} for ${device.name} with ${version} in ${workDir}...\n`);
  const common = {
    folding: chosen.folding,
    device,
    clockMhz,
    workDir,
    ...(a.timeout !== undefined ? { timeoutSeconds: a.timeout } : {}),
  };
  if (a.tool === 'ice40') {
    const r = await ice40Flow(info, common);
    const versions = { yosys: version, nextpnr: nextpnrVersion() ?? '?' };
    if (a.json) printJson(io, ice40Json(r, versions, chosen.summary));
    else io.stdout(renderIce40Text(r, versions, chosen.summary));
    if (!r.fits) {
      io.stderr(`error: ${r.synth.model} does not fit ${device.name}: ${r.problems.join('; ')} (log: ${r.pnrLog})\n`);
      return 1;
    }
    if (r.timingMet === false) {
      io.stderr(`error: ${r.synth.model} on ${device.name}: timing not met, fmax ${r.fmaxMhz!.toFixed(2)} MHz below the requested ${clockMhz} MHz (the bitstream is written; rerun with --clock-mhz ${Math.floor(r.fmaxMhz! * 10) / 10} or lower)\n`);
      return 1;
    }
    return 0;
  }
  const r = await synthDesign(info, common);
  const problems = yosysFitProblems(r.synthesized, device);
  // {lut, ff, dsp, bram36}, and uram on parts that have UltraRAM.
  const withUram = capacityOf(device).uram > 0;
  const counts = <T,>(c: { readonly uram: T } & Record<string, T>): Record<string, T> => {
    const { uram, ...rest } = c;
    return withUram ? { ...rest, uram } : rest;
  };
  if (a.json) {
    printJson(io, {
      tool: a.tool,
      toolVersion: version,
      model: r.model,
      device: r.device,
      folding: chosen.summary,
      command: r.command,
      estimate: counts({ ...r.estimate }),
      synthesized: counts({ ...r.synthesized }),
      errorPct: Object.fromEntries(Object.entries(counts({ ...r.errorPct })).map(([k, v]) => [k, v === null ? null : Math.round(v * 10) / 10])),
      cells: Object.fromEntries([...r.cells].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))),
      unitsNote: r.unitsNote,
      seconds: Math.round(r.seconds * 10) / 10,
      designDir: r.designDir,
      log: r.log,
      fits: problems.length === 0,
      problems,
      resources: { lut: r.synthesized.lut, ff: r.synthesized.ff, dsp: r.synthesized.dsp, bram: r.synthesized.bram36 },
      resourceUnits: { lut: 'LUT6 equivalents', ff: 'flip-flops', dsp: device.dspKind, bram: 'BRAM36 equivalents' },
      fmaxMhz: null,
      bitstream: null,
    });
  } else io.stdout(renderSynthText(r, version, chosen.summary));
  if (problems.length > 0) {
    io.stderr(`error: ${r.model} does not fit ${device.name} after synthesis: ${problems.join('; ')}\n`);
    return 1;
  }
  return 0;
}

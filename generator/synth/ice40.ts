/**
 * The open iCE40 UltraPlus flow of `gen-rtl synth --tool ice40`: the generated design inside a pin
 * wrapper that carries both streams a byte at a time (the core's 48 ports are more than the SG48
 * package's 39 I/O), Yosys (`synth_ice40 -dsp`, targets.ts) to JSON,
 * nextpnr-ice40 at the requested clock, icepack to a `.bin` bitstream. Whether the design fits, and
 * what does not by how much, comes from nextpnr's utilization table; the achieved clock from its
 * timing analysis after routing. docs/synthesis-handoff.md describes the flow and its figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from '../emit/design.js';
import { GENERATOR, render, type OutputFile } from '../emit/generate.js';
import type { ModelInfo } from '../ir/analyze.js';
import type { Device } from '../map/devices.js';
import { GenRtlError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import type { Cells } from './cells.js';
import { synthDesign, type SynthDesignOptions, type SynthDesignResult } from './design.js';
import { DEFAULT_TIMEOUT_S } from './yosys.js';

/** What nextpnr-ice40 places a device on: its device flag, the package, and that package's user I/O. */
export interface PnrTarget {
  readonly flag: string;
  readonly package: string;
  readonly ioPins: number;
}

/**
 * The UP5K in the SG48 package (39 I/O), the package of the UPduino and of Lattice's UltraPlus
 * breakout board. Other iCE40 UltraPlus sizes are refused: the built-in database has the UP5K only.
 */
export function pnrTarget(device: Device): PnrTarget {
  if (device.vendor !== 'lattice') {
    throw new GenRtlError(`--tool ice40 --device ${device.name}`, 'the iCE40 flow places iCE40 UltraPlus devices (up5k); use --tool yosys for other families');
  }
  if (device.lut4 !== 5_280) {
    throw new GenRtlError(`--tool ice40 --device ${device.name}`, `nextpnr-ice40 is run for the iCE40UP5K only (5,280 LUT4); this device has ${device.lut4.toLocaleString('en-US')}`);
  }
  return { flag: '--up5k', package: 'sg48', ioPins: 39 };
}

/** One nextpnr BEL type's use: "ICESTORM_LC" → used of available. */
export interface BelUse {
  readonly used: number;
  readonly available: number;
}

/** nextpnr's "Device utilisation" table (the last one in the log), BEL type → use. */
export function parseUtilization(log: string): Map<string, BelUse> {
  const start = log.lastIndexOf('Device utilisation:');
  const out = new Map<string, BelUse>();
  if (start < 0) return out;
  for (const line of log.slice(start).split('\n').slice(1)) {
    const m = /^Info:\s+([A-Za-z0-9_]+):\s+(\d+)\/\s*(\d+)\s+\d+%/.exec(line);
    if (m === null) {
      if (out.size > 0) break;
      continue;
    }
    out.set(m[1]!, { used: Number(m[2]), available: Number(m[3]) });
  }
  return out;
}

/** The achieved clock of the last timing analysis in a nextpnr log (after routing), in MHz; null without one. */
export function parseFmax(log: string): number | null {
  const all = [...log.matchAll(/Max frequency for clock '[^']*': ([0-9.]+) MHz/g)];
  const last = all[all.length - 1];
  return last === undefined ? null : Number(last[1]);
}

/** The first ERROR line of a tool's log, trimmed; null without one. */
export function firstError(log: string): string | null {
  const line = log.split('\n').find((l) => /^ERROR\b/.test(l.trim()));
  if (line === undefined) return null;
  const t = line.trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/** What each nextpnr BEL type is called in a message, with the device's resource it stands for. */
const BEL_NAMES: readonly (readonly [string, string])[] = [
  ['ICESTORM_LC', 'logic cells (LUT4 + flip-flop)'],
  ['ICESTORM_DSP', 'DSP (SB_MAC16)'],
  ['ICESTORM_RAM', 'EBR (4 Kib block RAM)'],
  ['ICESTORM_SPRAM', 'SPRAM (256 Kib)'],
];

/** The iCE40 figures of a placed design, in the device's own units. */
export interface Ice40Resources {
  /** SB_LUT4 cells (Yosys). */
  readonly lut: number;
  /** SB_DFF* cells (Yosys). */
  readonly ff: number;
  /** SB_MAC16 blocks. */
  readonly dsp: number;
  /** SB_RAM40_4K blocks (EBR, 4 Kib each). */
  readonly bram: number;
  readonly spram: number;
  /** Logic cells placed (a LUT4, a flip-flop and a carry each); null when nextpnr did not get that far. */
  readonly logicCells: number | null;
  /** Package pins used. */
  readonly io: number;
}

function cellsOf(cells: Cells, re: RegExp): number {
  let n = 0;
  for (const [k, v] of cells) if (re.test(k)) n += v;
  return n;
}

/**
 * Why a placed design does not fit: every BEL type over its capacity, by how much (logic cells
 * with Yosys' SB_LUT4 and flip-flop counts), and the I/O when nextpnr could not place a pin.
 */
export function fitProblems(util: ReadonlyMap<string, BelUse>, cells: Cells, deviceName: string, target: PnrTarget, pnrError: string | null): string[] {
  const n = (v: number): string => v.toLocaleString('en-US');
  const problems: string[] = [];
  for (const [bel, label] of BEL_NAMES) {
    const u = util.get(bel);
    if (u === undefined || u.used <= u.available) continue;
    const detail = bel === 'ICESTORM_LC' ? ` (Yosys: ${n(cellsOf(cells, /^SB_LUT4$/))} SB_LUT4, ${n(cellsOf(cells, /^SB_DFF/))} flip-flops)` : '';
    problems.push(`${label}: needs ${n(u.used)}${detail}, ${deviceName} has ${n(u.available)} (${n(u.used - u.available)} over)`);
  }
  const io = util.get('SB_IO');
  if (io !== undefined && io.used > target.ioPins) {
    problems.push(`I/O pins: needs ${n(io.used)}, the ${target.package.toUpperCase()} package has ${n(target.ioPins)} (${n(io.used - target.ioPins)} over)`);
  }
  if (problems.length === 0 && pnrError !== null) problems.push(`nextpnr-ice40 could not place and route the design: ${pnrError}`);
  return problems;
}

/** The byte-stream cores of the pin wrapper (not in every design's rtl/: only this flow uses them). */
const PIN_CORES = ['gr_axis_to_bytes.v', 'gr_bytes_to_axis.v'];

/** The pin wrapper: `<top>_bytes` around the design's top (templates/ice40-pins.v.hbs), and the cores it uses (rtl/pins/). */
export function pinWrapper(design: Design, info: ModelInfo): { files: OutputFile[]; top: string } {
  const top = `${design.top}_bytes`;
  const header = `Generated by ${GENERATOR} from model "${info.model.name.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')}" for the iCE40 flow. Do not edit.`;
  const content = render('ice40-pins.v.hbs', {
    header,
    module: top,
    top: design.top,
    inBits: design.inBits,
    inMsb: design.inBits - 1,
    inBytes: info.input.channels,
    classes: design.classes,
  });
  const cores = PIN_CORES.map((f) => ({ path: f, content: readFileSync(join(packageRoot(), 'rtl', 'pins', f), 'utf8') }));
  return { files: [...cores, { path: `${top}.v`, content }], top };
}

/** `nextpnr-ice40 --version` ("nextpnr-ice40 -- Next Generation Place and Route (Version 0.4-1+b1)"), null when missing. */
export function nextpnrVersion(): string | null {
  const r = spawnSync('nextpnr-ice40', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return null;
  const text = `${r.stdout}${r.stderr}`;
  return /Version ([^)\s]+)/.exec(text)?.[1] ?? (text.trim() || null);
}

/** icepack and nextpnr-ice40 are on PATH (icepack has no version flag: -h exits 1 but runs). */
export function haveIce40Tools(): boolean {
  return nextpnrVersion() !== null && spawnSync('icepack', ['-h']).error === undefined;
}

interface ToolRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly seconds: number;
  readonly timedOut: boolean;
}

/** Runs a tool with stdout and stderr appended to `log`, killed after `seconds`; it stays in our process group. */
function runLogged(tool: string, args: readonly string[], cwd: string, log: string, seconds: number): Promise<ToolRun> {
  const fd = openSync(log, 'a');
  writeSync(fd, `$ cd ${cwd} && ${[tool, ...args].join(' ')}\n`);
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(tool, [...args], { cwd, stdio: ['ignore', fd, fd], timeout: seconds * 1000, killSignal: 'SIGKILL' });
    p.on('error', (e: NodeJS.ErrnoException) => {
      closeSync(fd);
      reject(new GenRtlError(tool, e.code === 'ENOENT' ? 'not found on PATH (install it: scripts/install-tools.sh, or the Debian packages nextpnr-ice40 and fpga-icestorm)' : `cannot run (${e.code ?? e.message})`));
    });
    p.on('close', (code, signal) => {
      closeSync(fd);
      const elapsed = (Date.now() - start) / 1000;
      resolve({ code, signal, seconds: elapsed, timedOut: signal !== null && elapsed >= seconds });
    });
  });
}

export interface Ice40Options extends Omit<SynthDesignOptions, 'wrapper' | 'write'> {
  /** nextpnr's placer seed (default 1: the same run gives the same result). */
  readonly seed?: number;
}

export interface Ice40Result {
  readonly synth: SynthDesignResult;
  readonly target: PnrTarget;
  /** The nextpnr command line, as run from the work directory. */
  readonly pnrCommand: string;
  readonly pnrLog: string;
  /** nextpnr's JSON report (utilization, fmax, critical paths); null when it stopped before writing one. */
  readonly pnrReport: string | null;
  readonly pnrSeconds: number;
  readonly utilization: ReadonlyMap<string, BelUse>;
  readonly fits: boolean;
  /** Why it does not fit (empty when it does). */
  readonly problems: readonly string[];
  readonly clockMhz: number;
  /** The achieved clock after routing; null when nextpnr did not route. */
  readonly fmaxMhz: number | null;
  readonly timingMet: boolean | null;
  readonly bitstream: string | null;
  readonly bitstreamBytes: number | null;
  readonly packSeconds: number | null;
  readonly resources: Ice40Resources;
  readonly capacity: Ice40Resources;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Synthesizes, places, routes and packs the design. A design that does not fit is a result with
 * `fits: false` and its problems, not an error; a tool that is missing, crashes or times out is a
 * GenRtlError naming its log.
 */
export async function ice40Flow(info: ModelInfo, opts: Ice40Options): Promise<Ice40Result> {
  const target = pnrTarget(opts.device);
  const seconds = opts.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
  const synth = await synthDesign(info, { ...opts, wrapper: (d) => pinWrapper(d, info), write: { json: true } });
  const work = join(synth.designDir, '..');
  const top = synth.top;
  const pnrLog = join(work, 'nextpnr.log');
  const report = join(work, 'nextpnr.report.json');
  const asc = join(work, `${top}.asc`);
  const bin = join(work, `${top}.bin`);
  for (const f of [pnrLog, report, asc, bin]) rmSync(f, { force: true });
  const args = [
    target.flag,
    '--package',
    target.package,
    '--json',
    `${top}.json`,
    '--freq',
    String(opts.clockMhz),
    '--seed',
    String(opts.seed ?? 1),
    '--timing-allow-fail',
    '--report',
    'nextpnr.report.json',
    '--asc',
    `${top}.asc`,
  ];
  const pnr = await runLogged('nextpnr-ice40', args, work, pnrLog, seconds);
  if (pnr.timedOut) throw new GenRtlError('nextpnr-ice40', `${top}: place and route timed out after ${seconds} s (log: ${pnrLog})`);
  if (pnr.signal !== null) throw new GenRtlError('nextpnr-ice40', `${top}: killed by ${pnr.signal} (log: ${pnrLog})`);
  const log = readText(pnrLog);
  const utilization = parseUtilization(log);
  const routed = pnr.code === 0;
  const error = routed ? null : (firstError(log) ?? `exit ${pnr.code}`);
  const problems = routed ? [] : fitProblems(utilization, synth.cells, opts.device.name, target, error);
  if (!routed && utilization.size === 0) throw new GenRtlError('nextpnr-ice40', `${top}: ${error} (log: ${pnrLog})`);
  const fmaxMhz = routed ? parseFmax(log) : null;

  let bitstream: string | null = null;
  let packSeconds: number | null = null;
  if (routed) {
    const packLog = join(work, 'icepack.log');
    rmSync(packLog, { force: true });
    const pack = await runLogged('icepack', [`${top}.asc`, `${top}.bin`], work, packLog, seconds);
    if (pack.code !== 0) throw new GenRtlError('icepack', `${top}: ${firstError(readText(packLog)) ?? (pack.signal !== null ? `killed by ${pack.signal}` : `exit ${pack.code}`)} (log: ${packLog})`);
    bitstream = bin;
    packSeconds = pack.seconds;
  }
  const use = (bel: string): BelUse | undefined => utilization.get(bel);
  const cells = synth.cells;
  const resources: Ice40Resources = {
    lut: cellsOf(cells, /^SB_LUT4$/),
    ff: cellsOf(cells, /^SB_DFF/),
    dsp: use('ICESTORM_DSP')?.used ?? cellsOf(cells, /^SB_MAC16$/),
    bram: use('ICESTORM_RAM')?.used ?? cellsOf(cells, /^SB_RAM40_4K/),
    spram: use('ICESTORM_SPRAM')?.used ?? cellsOf(cells, /^SB_SPRAM256KA$/),
    logicCells: use('ICESTORM_LC')?.used ?? null,
    io: use('SB_IO')?.used ?? 0,
  };
  const d = opts.device;
  const lut4 = d.vendor === 'lattice' ? d.lut4 : 0;
  const capacity: Ice40Resources = {
    lut: lut4,
    ff: d.ff,
    dsp: d.dsp,
    bram: d.vendor === 'lattice' ? d.ebr : 0,
    spram: d.vendor === 'lattice' ? d.spram : 0,
    logicCells: lut4,
    io: target.ioPins,
  };
  return {
    synth,
    target,
    pnrCommand: ['nextpnr-ice40', ...args].join(' '),
    pnrLog,
    pnrReport: routed ? report : null,
    pnrSeconds: pnr.seconds,
    utilization,
    fits: routed,
    problems,
    clockMhz: opts.clockMhz,
    fmaxMhz,
    timingMet: fmaxMhz === null ? null : fmaxMhz >= opts.clockMhz,
    bitstream,
    bitstreamBytes: bitstream === null ? null : statSync(bitstream).size,
    packSeconds,
    resources,
    capacity,
  };
}

/**
 * The simulator side of `gen-rtl cosim`: build a generated design (a directory holding `filelist.f`)
 * with Verilator or Icarus Verilog around the harnesses in `sim/` (verilator_main.cpp, tb_top.sv),
 * drive its AXI-Stream top level from a list of input beats, and read back the output beats.
 *
 * Both harnesses use the same xorshift32 stall generator and cycle numbering, so for one seed the
 * two simulators see the same valid/ready pattern and report the same cycle stamps.
 * File formats and the argument list: see the header of sim/verilator_main.cpp.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenRtlError } from '../util/errors.js';
import { onPath } from '../util/paths.js';

export type SimulatorName = 'verilator' | 'iverilog';

export interface SimBuild {
  readonly simulator: SimulatorName;
  readonly designDir: string;
  readonly buildDir: string;
  /** Verilator: the model binary; Icarus: the compiled `.vvp` file (run by `vvp`). */
  readonly executable: string;
  readonly buildSeconds: number;
  /** The top module and its `s_axis_tdata` width, as built. */
  readonly top: string;
  readonly inBits: number;
  /** Verilator: built with FST tracing. Icarus can always trace. */
  readonly trace: boolean;
}

export interface SimRunOptions {
  /** Input beats: `data` is the whole `s_axis_tdata` (0 ≤ data < 2^inBits). */
  readonly stimulus: readonly { readonly data: bigint; readonly last: boolean }[];
  /** Stop with status 'ok' once this many output beats have moved. */
  readonly expectedBeats: number;
  /** Probability (0..1) that `s_axis_tvalid` is withheld in a cycle (resolution 1e-6). */
  readonly stallIn: number;
  /** Probability (0..1) that `m_axis_tready` is low in a cycle (resolution 1e-6). */
  readonly stallOut: number;
  readonly seed: number;
  /** Stop with status 'timeout' after this many cycles (after reset). */
  readonly maxCycles: number;
  /** Stop with status 'stalled' after this many cycles without an output beat. */
  readonly idleLimit: number;
  /** Waveform file (FST for Verilator; Icarus: FST if it ends in `.fst`, else VCD). */
  readonly trace?: string;
  /**
   * One reset in mid-stream: `delayCycles` after input beat `afterInputBeats` (≥ 1) was accepted,
   * rst_n goes low for 5 cycles; the stimulus goes on from beat `resumeAt` (beats before it that
   * were not sent are dropped). `expectedBeats` counts the output beats after the reset; the
   * result holds only those.
   */
  readonly reset?: { readonly afterInputBeats: number; readonly delayCycles: number; readonly resumeAt: number };
}

export interface OutBeat {
  readonly cycle: number;
  /** The 32-bit value as a signed int. */
  readonly data: number;
  readonly last: boolean;
}

export interface SimRunResult {
  readonly beats: readonly OutBeat[];
  readonly totalCycles: number;
  readonly status: 'ok' | 'timeout' | 'stalled';
  /**
   * Cycle on which input beats were accepted, for the first beat of every image (beat 0 and every
   * beat after a `last` beat) and for every `last` beat; `index` is the stimulus index.
   */
  readonly inputAccepted: readonly { readonly index: number; readonly cycle: number }[];
  /** With `reset`: the cycle it began (null if the run ended first) and the output beats before it. */
  readonly resetCycle: number | null;
  readonly beatsBeforeReset: number;
  readonly runSeconds: number;
}

const MARKER = '.gen-rtl-sim.json';
const BUILD_TIMEOUT_S = 3600;

/** The package root (the directory holding package.json and sim/), from src or dist layout. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sim', 'verilator_main.cpp'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('gen-rtl: cannot find the package directory holding sim/verilator_main.cpp');
    dir = up;
  }
}

function findVvp(iverilog: string): string | null {
  const sibling = join(dirname(iverilog), 'vvp');
  try {
    accessSync(sibling, constants.X_OK);
    return sibling;
  } catch {
    return onPath('vvp');
  }
}

/** Path of the simulator's main tool, or null when it (or a tool it needs: make, vvp) is missing. */
export function findSimulator(name: SimulatorName): string | null {
  if (name === 'verilator') {
    const v = onPath('verilator');
    return v !== null && onPath('make') !== null ? v : null;
  }
  const iv = onPath('iverilog');
  return iv !== null && findVvp(iv) !== null ? iv : null;
}

interface ToolRun {
  readonly status: number | null;
  readonly timedOut: boolean;
  /** "exit 2", "signal SIGSEGV", ... */
  readonly exit: string;
}

/**
 * Runs a tool with stdout and stderr appended to `log`, killed (SIGKILL) after `seconds`. The tool
 * stays in our process group, so Ctrl-C or a kill of the group reaches it and what it started
 * (make, g++). (coreutils timeout(1) would start a new group that such signals miss.)
 */
function runTool(tool: string, cmd: string, args: readonly string[], cwd: string, log: string, seconds: number): ToolRun {
  const fd = openSync(log, 'a');
  try {
    writeSync(fd, `$ cd ${cwd} && ${[cmd, ...args].map(shellQuote).join(' ')}\n`);
    const r = spawnSync(cmd, args, {
      cwd,
      stdio: ['ignore', fd, fd],
      timeout: seconds * 1000,
      killSignal: 'SIGKILL',
    });
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') throw new GenRtlError(tool, `cannot run ${cmd}: not found`);
    const timedOut = code === 'ETIMEDOUT';
    const exit = r.signal !== null ? `signal ${r.signal}` : `exit ${r.status ?? '?'}`;
    writeSync(fd, `[${exit}${timedOut ? ', timed out' : ''}]\n`);
    return { status: r.status, timedOut, exit };
  } finally {
    closeSync(fd);
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The first line of a tool's log that reports an error (else its last line), for a one-line message. */
function firstErrorLine(log: string): string {
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return '(no log)';
  }
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('$ cd ') && !/^\[(exit|signal) /.test(l));
  // The first real diagnostic; the wrappers' summaries (make's "*** Error", Verilator's "make ...
  // exited", "Command Failed") and echoed compiler command lines only if nothing else matches.
  const isError = (l: string): boolean => /\berror\b|\bfatal\b|Unable to open|file not found/i.test(l);
  const isSummary = (l: string): boolean =>
    /^make(\[\d+\])?: \*\*\*|^%Error: (make .* exited|Command Failed)|^(ccache |g\+\+|c\+\+|clang\+\+)/.test(l);
  // Warnings are fatal in the Verilator build: "%Error: Exiting due to N warning(s)" points at them.
  const isWarningExit = (l: string): boolean => /^%Error: Exiting due to \d+ warning/.test(l);
  const hit =
    lines.find((l) => isError(l) && !isSummary(l) && !isWarningExit(l)) ??
    lines.find((l) => /^%Warning/.test(l)) ??
    lines.find(isError);
  const line = hit ?? lines[lines.length - 1] ?? '(empty log)';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

interface FileList {
  readonly files: readonly string[];
  readonly incdirs: readonly string[];
}

/** `filelist.f`: paths relative to the design directory, `//` or `#` comments, `+incdir+DIR`. */
function readFileList(designDir: string): FileList {
  const path = join(designDir, 'filelist.f');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new GenRtlError(path, 'cannot read the design file list');
  }
  const files: string[] = [];
  const incdirs: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$/, '').replace(/#.*$/, '').trim();
    for (const tok of line === '' ? [] : line.split(/\s+/)) {
      if (tok.startsWith('+incdir+')) {
        incdirs.push(...tok.slice('+incdir+'.length).split('+').filter((d) => d !== ''));
      } else if (tok.startsWith('-') || tok.startsWith('+')) {
        throw new GenRtlError(`${path}:${i + 1}`, `unsupported option ${tok} (only file paths and +incdir+)`);
      } else {
        if (!existsSync(resolve(designDir, tok))) throw new GenRtlError(`${path}:${i + 1}`, `${tok} does not exist`);
        files.push(tok);
      }
    }
  });
  if (files.length === 0) throw new GenRtlError(path, 'names no Verilog files');
  return { files, incdirs };
}

/** Empties (or creates) a build directory, refusing to wipe one that is not ours. */
function prepareBuildDir(buildDir: string): void {
  if (existsSync(buildDir)) {
    if (!statSync(buildDir).isDirectory()) throw new GenRtlError(buildDir, 'is not a directory');
    if (readdirSync(buildDir).length > 0 && !existsSync(join(buildDir, MARKER))) {
      throw new GenRtlError(buildDir, 'is not empty and not a gen-rtl simulator build directory; refusing to delete it');
    }
    rmSync(buildDir, { recursive: true, force: true });
  }
  mkdirSync(buildDir, { recursive: true });
}

export function buildSimulator(
  name: SimulatorName,
  designDir: string,
  top: string,
  inBits: number,
  opts: { buildDir?: string; trace?: boolean; jobs?: number; defines?: readonly string[]; noWarn?: readonly string[]; quick?: boolean } = {},
): SimBuild {
  const tool = findSimulator(name);
  if (tool === null) {
    throw new GenRtlError(name, name === 'verilator' ? 'verilator (and make) not found on PATH' : 'iverilog (and vvp) not found on PATH');
  }
  const design = resolve(designDir);
  if (!existsSync(design) || !statSync(design).isDirectory()) throw new GenRtlError(designDir, 'design directory does not exist');
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(top)) throw new GenRtlError(name, `illegal top module name "${top}"`);
  if (!Number.isInteger(inBits) || inBits < 1) throw new GenRtlError(name, `s_axis_tdata width must be a positive integer, got ${inBits}`);
  const trace = opts.trace ?? false;
  const defines = opts.defines ?? [];
  for (const d of defines) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(=\S*)?$/.test(d)) throw new GenRtlError(name, `illegal macro definition "${d}" (NAME or NAME=VALUE)`);
    if (/^GR_(TOP|IN_BITS|TRACE)(=|$)/.test(d)) throw new GenRtlError(name, `macro ${d} is reserved for the harness`);
  }
  const noWarn = opts.noWarn ?? [];
  for (const w of noWarn) if (!/^[A-Z0-9]+$/.test(w)) throw new GenRtlError(name, `illegal Verilator warning code "${w}"`);
  const jobs = opts.jobs ?? Math.max(1, availableParallelism());
  const list = readFileList(design);
  const buildDir = resolve(opts.buildDir ?? join(design, 'sim_build', `${top}-${name}${trace && name === 'verilator' ? '-trace' : ''}`));
  prepareBuildDir(buildDir);
  writeFileSync(join(buildDir, MARKER), markerText(name, design, top, inBits, trace));
  const log = join(buildDir, 'build.log');
  const root = packageRoot();

  const t0 = performance.now();
  let executable: string;
  let r: ToolRun;
  if (name === 'verilator') {
    executable = join(buildDir, 'Vtop');
    const cxx = cxxOptions(opts.quick ?? false);
    // Verilator writes the C++ and its makefiles; cachedMake() compiles them, reusing the objects
    // that do not depend on the design.
    const args = [
      '--cc',
      '--exe',
      '-O3',
      '--prefix',
      'Vtop',
      '-Wno-lint',
      '-Wno-style',
      ...noWarn.map((w) => `-Wno-${w}`),
      '--top-module',
      top,
      '-Mdir',
      buildDir,
      '-o',
      'Vtop',
      '-CFLAGS',
      `${cxx.fast} -DGR_IN_BITS=${inBits}${trace ? ' -DGR_TRACE' : ''}`,
      ...(trace ? ['--trace-fst'] : []),
      ...defines.map((d) => `-D${d}`),
      ...list.incdirs.map((d) => `+incdir+${d}`),
      ...list.files,
      join(root, 'sim', 'verilator_main.cpp'),
    ];
    r = runTool(name, tool, args, design, log, BUILD_TIMEOUT_S);
    if (r.status === 0 && !r.timedOut) r = cachedMake(tool, buildDir, jobs, cxx, log);
  } else {
    executable = join(buildDir, 'sim.vvp');
    const args = [
      '-g2012',
      `-DGR_TOP=${top}`,
      `-DGR_IN_BITS=${inBits}`,
      '-s',
      'tb_top',
      '-o',
      executable,
      ...defines.map((d) => `-D${d}`),
      ...list.incdirs.map((d) => `-I${d}`),
      join(root, 'sim', 'tb_top.sv'),
      ...list.files,
    ];
    r = runTool(name, tool, args, design, log, BUILD_TIMEOUT_S);
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  if (name === 'verilator') {
    // The C++ harness sees only the port's C type; Verilator's header has the exact width.
    let header = '';
    try {
      header = readFileSync(join(buildDir, 'Vtop.h'), 'utf8');
    } catch {
      // no header: Verilator failed before writing it; reported below
    }
    const m = /VL_IN\w*\(&s_axis_tdata,(\d+),(\d+)/.exec(header);
    if (m !== null && Number(m[1]) - Number(m[2]) + 1 !== inBits) {
      throw new GenRtlError(name, `${top}: s_axis_tdata is ${Number(m[1]) - Number(m[2]) + 1} bits wide, expected ${inBits}`);
    }
  }
  if (r.timedOut) throw new GenRtlError(name, `build timed out after ${BUILD_TIMEOUT_S} s (full log: ${log})`);
  if (r.status !== 0 || !existsSync(executable)) {
    throw new GenRtlError(name, `build failed (${r.exit}): ${firstErrorLine(log)} (full log: ${log})`);
  }
  return { simulator: name, designDir: design, buildDir, executable, buildSeconds, top, inBits, trace };
}

/**
 * Optimization levels of a Verilator build, as verilated.mk names them: `fast` for the code that
 * runs every cycle (and the harness), `slow` for what Verilator marks as run once (constructors,
 * initial blocks, the settle loop: a third of the C++ of a design with ROMs, and its compile time,
 * for no measurable run time), `global` for the Verilator runtime (verilated.mk's default: -Os).
 * Quick: everything at -O0 (short simulations build in a third of the time), and the design's C++
 * in one translation unit (`oneUnit`: VM_PARALLEL_BUILDS=0): at -O0 parsing verilated.h is most
 * of the work of each of the files Verilator splits a larger design into (an optimizer-folded
 * sepnet-tiny-32: 32 s of compiler CPU in 18 files, 11 s in one). At -O2 one unit is slower (58 s
 * against 36 s for the same design), so full builds keep the files apart and build them in parallel.
 */
interface CxxOptions {
  readonly fast: string;
  readonly slow: string;
  readonly global: string;
  readonly oneUnit: boolean;
}

function cxxOptions(quick: boolean): CxxOptions {
  return quick ? { fast: '-O0', slow: '-O0', global: '-O0', oneUnit: true } : { fast: '-O2', slow: '-O0', global: '-Os', oneUnit: false };
}

/**
 * Objects of a Verilator build that do not depend on the design: the Verilator runtime
 * (`verilated*.o`, the same for every build with the same flags) and the harness
 * (`verilator_main.o`, which sees the design only through `Vtop.h`). Cached by the hash of
 * everything that goes into them; a fresh build copies them in, newer than the makefile that
 * would otherwise rebuild them. They are a quarter of the C++ compile time of a small design.
 */
const REUSABLE_OBJECTS = /^(verilated(_[a-z_]+)?|verilator_main)\.o$/;

function objectCacheDir(): string {
  return join(tmpdir(), `gen-rtl-verilator-objects-${process.getuid?.() ?? 'user'}`);
}

function objectKey(buildDir: string, object: string, verilator: string, cxx: CxxOptions): string {
  const h = createHash('sha256').update(`${verilator}\0${cxx.fast}\0${cxx.slow}\0${cxx.global}\0${object}\0`);
  // The flags verilator wrote into the makefiles (user flags, defines, trace), not the design's
  // class list; the runtime does not see the harness's port width.
  const mk = readFileSync(join(buildDir, 'Vtop.mk'), 'utf8');
  h.update(object === 'verilator_main.o' ? mk : mk.replace(/-DGR_IN_BITS=\d+/g, ''));
  h.update(readFileSync(join(buildDir, 'Vtop_classes.mk'), 'utf8').split('\n').filter((l) => /^VM_\w+ = /.test(l) && !l.startsWith('VM_PARALLEL_BUILDS')).join('\n'));
  if (object === 'verilator_main.o') {
    h.update(readFileSync(join(buildDir, 'Vtop.h')));
    h.update(readFileSync(join(packageRoot(), 'sim', 'verilator_main.cpp')));
  }
  return h.digest('hex').slice(0, 32);
}

/** Runs the generated makefile, with the cached design-independent objects copied in first. */
function cachedMake(verilator: string, buildDir: string, jobs: number, cxx: CxxOptions, log: string): ToolRun {
  const cache = objectCacheDir();
  // The objects depend on Verilator and on the C++ compiler verilated.mk runs (CXX, g++ by default).
  const cxxTool = process.env.CXX ?? 'g++';
  const version = `${spawnSync(verilator, ['--version'], { encoding: 'utf8' }).stdout ?? ''}\0${spawnSync(cxxTool, ['--version'], { encoding: 'utf8' }).stdout ?? ''}`;
  const candidates = ['verilated.o', 'verilated_threads.o', 'verilated_fst_c.o', 'verilator_main.o'];
  const keys = new Map(candidates.map((o) => [o, objectKey(buildDir, o, version, cxx)]));
  const now = new Date();
  for (const [o, key] of keys) {
    const cached = join(cache, `${key}.o`);
    if (!existsSync(cached)) continue;
    copyFileSync(cached, join(buildDir, o));
    utimesSync(join(buildDir, o), now, now);
  }
  const make = ['-j', String(jobs), '-C', buildDir, '-f', 'Vtop.mk', `OPT_FAST=${cxx.fast}`, `OPT_SLOW=${cxx.slow}`, `OPT_GLOBAL=${cxx.global}`, ...(cxx.oneUnit ? ['VM_PARALLEL_BUILDS=0'] : [])];
  const r = runTool('verilator', 'make', make, buildDir, log, BUILD_TIMEOUT_S);
  if (r.status === 0) {
    mkdirSync(cache, { recursive: true });
    for (const o of readdirSync(buildDir).filter((f) => REUSABLE_OBJECTS.test(f))) {
      const key = keys.get(o) ?? objectKey(buildDir, o, version, cxx);
      const cached = join(cache, `${key}.o`);
      if (existsSync(cached)) continue;
      const tmp = `${cached}.${process.pid}.tmp`;
      copyFileSync(join(buildDir, o), tmp);
      renameSync(tmp, cached);
    }
  }
  return r;
}

function markerText(simulator: SimulatorName, designDir: string, top: string, inBits: number, trace: boolean): string {
  return JSON.stringify({ simulator, designDir, top, inBits, trace }) + '\n';
}

function checkCount(what: string, x: number, min: number): void {
  if (!Number.isSafeInteger(x) || x < min) throw new GenRtlError('cosim', `${what} must be an integer ≥ ${min}, got ${x}`);
}

function toPpm(what: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new GenRtlError('cosim', `${what} must be a probability in [0, 1], got ${p}`);
  return Math.round(p * 1e6);
}

/** One line per beat: hex (most significant digit first) and the tlast bit. Written in chunks. */
function writeStimulus(path: string, stimulus: SimRunOptions['stimulus'], inBits: number): void {
  const limit = 1n << BigInt(inBits);
  const fd = openSync(path, 'w');
  try {
    let chunk: string[] = [];
    let size = 0;
    for (let i = 0; i < stimulus.length; i++) {
      const b = stimulus[i]!;
      if (b.data < 0n || b.data >= limit) {
        throw new GenRtlError('cosim', `stimulus beat ${i}: data does not fit in ${inBits} unsigned bits`);
      }
      const line = `${b.data.toString(16)} ${b.last ? 1 : 0}\n`;
      chunk.push(line);
      size += line.length;
      if (size > 1 << 22) {
        writeSync(fd, chunk.join(''));
        chunk = [];
        size = 0;
      }
    }
    writeSync(fd, chunk.join(''));
  } finally {
    closeSync(fd);
  }
}

export function runSimulator(build: SimBuild, opts: SimRunOptions): SimRunResult {
  const tool = build.simulator;
  checkCount('expectedBeats', opts.expectedBeats, 0);
  checkCount('maxCycles', opts.maxCycles, 1);
  checkCount('idleLimit', opts.idleLimit, 1);
  if (!Number.isInteger(opts.seed)) throw new GenRtlError('cosim', `seed must be an integer, got ${opts.seed}`);
  const pIn = toPpm('stallIn', opts.stallIn);
  const pOut = toPpm('stallOut', opts.stallOut);
  if (opts.reset !== undefined) {
    const { afterInputBeats: k, delayCycles: d, resumeAt: j } = opts.reset;
    checkCount('reset.delayCycles', d, 0);
    if (!Number.isSafeInteger(k) || !Number.isSafeInteger(j) || k < 1 || j < k || j > opts.stimulus.length) {
      throw new GenRtlError('cosim', `reset: need 1 ≤ afterInputBeats (${k}) ≤ resumeAt (${j}) ≤ stimulus beats (${opts.stimulus.length})`);
    }
  }
  if (opts.trace !== undefined && tool === 'verilator' && !build.trace) {
    throw new GenRtlError(tool, 'a trace needs a build with tracing (buildSimulator(..., { trace: true }))');
  }
  let marker = '';
  try {
    marker = readFileSync(join(build.buildDir, MARKER), 'utf8');
  } catch {
    // reported below
  }
  if (marker !== markerText(tool, build.designDir, build.top, build.inBits, build.trace) || !existsSync(build.executable)) {
    throw new GenRtlError(tool, `${build.buildDir} no longer holds this build of ${build.top}: build again`);
  }

  const stimPath = join(build.buildDir, 'stim.txt');
  const outPath = join(build.buildDir, 'out.txt');
  const log = join(build.buildDir, 'run.log');
  writeStimulus(stimPath, opts.stimulus, build.inBits);
  rmSync(outPath, { force: true });
  rmSync(log, { force: true });

  const plusargs = [
    `+stim=${stimPath}`,
    `+out=${outPath}`,
    `+beats=${opts.expectedBeats}`,
    `+max_cycles=${opts.maxCycles}`,
    `+idle_limit=${opts.idleLimit}`,
    `+p_in_ppm=${pIn}`,
    `+p_out_ppm=${pOut}`,
    `+seed=${opts.seed >>> 0}`,
    ...(opts.trace !== undefined ? [`+trace=${resolve(opts.trace)}`] : []),
    ...(opts.reset !== undefined
      ? [`+reset_after_in=${opts.reset.afterInputBeats}`, `+reset_delay=${opts.reset.delayCycles}`, `+resume_at=${opts.reset.resumeAt}`]
      : []),
  ];
  // A hang guard only (the harness stops itself at maxCycles): allows 10 cycles/s under Icarus
  // (resnet20 runs at ~200), 100 under Verilator, at most a day.
  const seconds = Math.min(86_400, Math.ceil(120 + opts.maxCycles * (tool === 'iverilog' ? 0.1 : 0.01)));
  let cmd: string;
  let args: string[];
  if (tool === 'verilator') {
    cmd = build.executable;
    args = plusargs;
  } else {
    const iv = findSimulator('iverilog');
    const vvp = iv === null ? null : findVvp(iv);
    if (vvp === null) throw new GenRtlError(tool, 'vvp not found on PATH');
    cmd = vvp;
    // -n: $stop acts as $finish (never an interactive prompt); -fst after the file is vvp's extended argument.
    args = ['-n', build.executable, ...(opts.trace?.endsWith('.fst') === true ? ['-fst'] : []), ...plusargs];
  }

  const t0 = performance.now();
  const r = runTool(tool, cmd, args, build.designDir, log, seconds);
  const runSeconds = (performance.now() - t0) / 1000;
  if (r.timedOut) throw new GenRtlError(tool, `simulation exceeded ${seconds} s wall clock (log: ${log})`);
  const logText = readFileSync(log, 'utf8');
  // A memory file that is not there is a warning to both simulators; here it is an error.
  const unopened = logText.split('\n').find((l) => /Unable to open|\$readmem file not found/i.test(l));
  if (unopened !== undefined) throw new GenRtlError(tool, `simulation failed: ${unopened.trim()} (log: ${log})`);
  let outText = '';
  try {
    outText = readFileSync(outPath, 'utf8');
  } catch {
    // handled below: no END line
  }
  if (r.status !== 0 || !/^END /m.test(outText)) {
    throw new GenRtlError(tool, `simulation failed (${r.exit}): ${firstErrorLine(log)} (log: ${log})`);
  }
  return { ...parseResult(tool, outText, outPath), runSeconds };
}

function parseResult(tool: SimulatorName, text: string, path: string): Omit<SimRunResult, 'runSeconds'> {
  let beats: OutBeat[] = [];
  let inputAccepted: { index: number; cycle: number }[] = [];
  let resetCycle: number | null = null;
  let beatsBeforeReset = 0;
  let end: { totalCycles: number; status: SimRunResult['status'] } | null = null;
  const hex8 = /^[0-9a-f]{8}$/;
  let pos = 0;
  for (let lineNo = 1; pos < text.length; lineNo++) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const line = text.slice(pos, eol);
    pos = eol + 1;
    if (line === '') continue;
    const s1 = line.indexOf(' ');
    const s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
    if (s2 < 0 || line.indexOf(' ', s2 + 1) >= 0) throw new GenRtlError(`${path}:${lineNo}`, `unexpected line "${line}"`);
    const a = line.slice(0, s1);
    const b = line.slice(s1 + 1, s2);
    const c = line.slice(s2 + 1);
    const c0 = a.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57) {
      if (!hex8.test(b) || (c !== '0' && c !== '1')) {
        throw new GenRtlError(tool, `output beat at cycle ${a} has X/Z bits: tdata ${b}, tlast ${c}`);
      }
      beats.push({ cycle: Number(a), data: parseInt(b, 16) | 0, last: c === '1' });
    } else if (a === 'RESET') {
      resetCycle = Number(b);
      beatsBeforeReset = beats.length;
      beats = [];
      inputAccepted = [];
    } else if (a === 'IN') {
      inputAccepted.push({ index: Number(b), cycle: Number(c) });
    } else if (a === 'END' && (c === 'ok' || c === 'timeout' || c === 'stalled')) {
      end = { totalCycles: Number(b), status: c };
    } else if (a === 'X') {
      throw new GenRtlError(tool, `${c} is X/Z at cycle ${b} (undriven or unreset control signal)`);
    } else {
      throw new GenRtlError(`${path}:${lineNo}`, `unexpected line "${line}"`);
    }
  }
  if (end === null) throw new GenRtlError(path, 'no END line');
  return { beats, totalCycles: end.totalCycles, status: end.status, inputAccepted, resetCycle, beatsBeforeReset };
}

/**
 * The post-synthesis netlist of a generated design, for `gen-rtl cosim --netlist`: Yosys
 * synthesizes the design and writes it with `write_verilog -noattr`; the simulator reads it with
 * Yosys' own simulation models of its cells. iCE40 devices get the flow of their bitstream
 * (`synth_ice40 -dsp`, models `<datdir>/ice40/cells_sim.v`); every other device, and none, Yosys'
 * generic `synth -flatten` (its internal gates and cells, models `simcells.v` and `simlib.v`),
 * because the netlists of `synth_xilinx` 0.23 do not simulate like their RTL
 * (docs/synthesis-handoff.md, "Post-synthesis co-simulation").
 * The result is a directory with a `filelist.f` that buildSimulator() takes like a design's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Device } from '../map/devices.js';
import { GenRtlError } from '../util/errors.js';
import { onPath } from '../util/paths.js';
import type { Cells } from './cells.js';
import { synthTarget } from './targets.js';
import { runYosys } from './yosys.js';

/** The cell library a netlist is written in: iCE40 cells, or Yosys' own generic gates and cells. */
export type CellLibrary = 'ice40' | 'generic';

export interface NetlistFlow {
  /** The Yosys synthesis command without -top. */
  readonly command: string;
  readonly library: CellLibrary;
}

const GENERIC_FLOW: NetlistFlow = { command: 'synth -flatten', library: 'generic' };

/** The flow of `--netlist` for a device: synth_ice40 for iCE40 devices, the generic synth otherwise. */
export function netlistFlow(device: Device | null): NetlistFlow {
  if (device === null) return GENERIC_FLOW;
  switch (device.vendor) {
    case 'lattice':
      return { command: synthTarget(device).command, library: 'ice40' };
    case 'xilinx':
    case 'intel':
      return GENERIC_FLOW;
  }
}

/** The simulation models of a library's cells, relative to Yosys' data directory. */
const MODELS: Readonly<Record<CellLibrary, readonly string[]>> = {
  ice40: ['ice40/cells_sim.v'],
  generic: ['simcells.v', 'simlib.v'],
};

/**
 * Yosys' data directory (`yosys-config --datdir`, else `<prefix>/share/yosys` beside the yosys
 * binary, as Debian and the upstream install lay it out), checked to hold the library's models.
 */
export function yosysDatdir(library: CellLibrary): string {
  const candidates: string[] = [];
  const cfg = spawnSync('yosys-config', ['--datdir'], { encoding: 'utf8' });
  if (cfg.status === 0 && cfg.stdout.trim() !== '') candidates.push(cfg.stdout.trim());
  const yosys = onPath('yosys');
  if (yosys !== null) candidates.push(join(dirname(dirname(yosys)), 'share', 'yosys'));
  const found = candidates.find((d) => MODELS[library].every((m) => existsSync(join(d, m))));
  if (found === undefined) {
    throw new GenRtlError('yosys', `cannot find its cell models ${MODELS[library].join(', ')} (looked in ${candidates.join(', ') || 'nothing: yosys is not on PATH'})`);
  }
  return found;
}

/**
 * Macros for the cell models: iCE40's give unconnected inputs default values with SystemVerilog
 * port defaults (`input CLOCK_ENABLE = 1'b1`), which neither Icarus 11 nor Verilator 5.006 parse;
 * the netlist connects every port, so they are switched off.
 */
const MODEL_DEFINES: Readonly<Record<CellLibrary, readonly string[]>> = {
  ice40: ['NO_ICE40_DEFAULT_ASSIGNMENTS'],
  generic: [],
};

/**
 * Verilator warnings (fatal in the build) to switch off: UNOPTFLAT, because a bit-level netlist
 * routes carry chains through multi-bit wires that Verilator takes for combinational loops (they
 * are not; it costs simulation speed only).
 */
const MODEL_NO_WARN: Readonly<Record<CellLibrary, readonly string[]>> = {
  ice40: ['UNOPTFLAT'],
  generic: ['UNOPTFLAT'],
};

export interface Netlist {
  /** A directory with filelist.f (the cell models, then the netlist), as buildSimulator() takes it. */
  readonly dir: string;
  readonly file: string;
  readonly cellModels: readonly string[];
  /** Macros the simulator build needs for the cell models. */
  readonly defines: readonly string[];
  /** Verilator warnings to switch off for the netlist and the cell models (MODEL_NO_WARN). */
  readonly noWarn: readonly string[];
  /** The Yosys command run, -top included. */
  readonly command: string;
  readonly cells: Cells;
  readonly log: string;
  readonly seconds: number;
}

/**
 * Synthesizes the design in `designDir` (its filelist.f's sources, top `top`) into `outDir`
 * (replaced): `<top>.netlist.v`, the Yosys script and log, and a filelist.f naming the cell models
 * and the netlist.
 */
export async function synthNetlist(designDir: string, sources: readonly string[], top: string, flow: NetlistFlow, outDir: string, timeoutSeconds?: number): Promise<Netlist> {
  const datdir = yosysDatdir(flow.library);
  const cellModels = MODELS[flow.library].map((m) => join(datdir, m));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${top}.netlist.v`);
  const run = await runYosys({
    cwd: designDir,
    outDir,
    name: 'netlist',
    sources,
    top,
    command: flow.command,
    write: { verilog: file },
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
  });
  writeFileSync(join(outDir, 'filelist.f'), `${[...cellModels, `${top}.netlist.v`].join('\n')}\n`);
  return { dir: outDir, file, cellModels, defines: MODEL_DEFINES[flow.library], noWarn: MODEL_NO_WARN[flow.library], command: `${flow.command} -top ${top}`, cells: run.cells, log: run.log, seconds: run.seconds };
}

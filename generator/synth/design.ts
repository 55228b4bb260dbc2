/**
 * Synthesis of a whole generated design for a device, beside the cost model's
 * estimate of it: generate() into `<work>/design`, Yosys with the device's
 * flow (targets.ts), the netlist's cells in the estimate's units (cells.ts).
 * Optionally around a wrapper top (the iCE40 pin wrapper) and writing the
 * netlist (JSON for nextpnr, Verilog for post-synthesis simulation).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Design } from '../emit/design.js';
import type { Folding } from '../emit/fold.js';
import { generate, type OutputFile } from '../emit/generate.js';
import type { ModelInfo } from '../ir/analyze.js';
import type { Device } from '../map/devices.js';
import { buildReport, type Report } from '../map/report.js';
import { writeTreeAtomic } from '../util/files.js';
import type { Cells, SynthCounts } from './cells.js';
import { synthTarget } from './targets.js';
import { runYosys } from './yosys.js';

export interface SynthDesignOptions {
  readonly folding: Folding;
  readonly device: Device;
  readonly clockMhz: number;
  /** Created if missing; the design goes to `<workDir>/design` (replaced), Yosys' files beside it. */
  readonly workDir: string;
  readonly timeoutSeconds?: number;
  /** A module around the design's top, synthesized as the top instead: its files (the wrapper and its cores) go to `<workDir>/<file name>`. */
  readonly wrapper?: (design: Design) => { readonly files: readonly OutputFile[]; readonly top: string };
  /** Netlists to write into the work directory: `<top>.json` (nextpnr), `<top>.netlist.v` (write_verilog -noattr). */
  readonly write?: { readonly json?: boolean; readonly verilog?: boolean };
}

export interface SynthDesignResult {
  readonly model: string;
  readonly device: string;
  /** The synthesized top: the design's, or the wrapper's. */
  readonly top: string;
  /** The generated design's own top module. */
  readonly designTop: string;
  /** The Yosys command run, `-top` included. */
  readonly command: string;
  readonly estimate: SynthCounts;
  readonly synthesized: SynthCounts;
  /** (estimate − synthesized) / synthesized in percent; 0 when both are 0, null when only the synthesized count is 0. */
  readonly errorPct: { readonly [K in keyof SynthCounts]: number | null };
  readonly cells: Cells;
  readonly unitsNote: string | null;
  readonly designDir: string;
  readonly log: string;
  readonly seconds: number;
  readonly report: Report;
  readonly netlist: { readonly json: string | null; readonly verilog: string | null };
  readonly design: Design;
}

export function errorPct(estimate: number, synthesized: number): number | null {
  if (synthesized === 0) return estimate === 0 ? 0 : null;
  return ((estimate - synthesized) / synthesized) * 100;
}

export async function synthDesign(info: ModelInfo, opts: SynthDesignOptions): Promise<SynthDesignResult> {
  const { files, design } = generate(info, { folding: opts.folding, device: opts.device.name, clockMhz: opts.clockMhz });
  const target = synthTarget(opts.device, { uram: design.stages.some((s) => s.fold.uram === true) });
  const report = buildReport(design, info.model.name, opts.device, { clockMhz: opts.clockMhz });
  // Absolute: Yosys runs in the design directory and writes its statistics and netlists beside it.
  const workDir = resolve(opts.workDir);
  mkdirSync(workDir, { recursive: true });
  const designDir = join(workDir, 'design');
  writeTreeAtomic(designDir, files, true);
  // Every core and the top, in the file list's order (gr_stream_tap is empty without GR_TAPS).
  const sources = files.filter((f) => f.path.endsWith('.v')).map((f) => f.path);
  const wrapper = opts.wrapper?.(design);
  for (const f of wrapper?.files ?? []) {
    const name = basename(f.path);
    writeFileSync(join(workDir, name), f.content);
    sources.push(join('..', name));
  }
  const top = wrapper?.top ?? design.top;
  const netlist = {
    json: opts.write?.json ? join(workDir, `${top}.json`) : null,
    verilog: opts.write?.verilog ? join(workDir, `${top}.netlist.v`) : null,
  };
  const run = await runYosys({
    cwd: designDir,
    outDir: workDir,
    sources,
    top,
    command: target.command,
    ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
    write: { ...(netlist.json !== null ? { json: netlist.json } : {}), ...(netlist.verilog !== null ? { verilog: netlist.verilog } : {}) },
  });
  const t = report.totals;
  const estimate: SynthCounts = { lut: t.lut, ff: t.ff, dsp: t.dsp, bram36: t.bram36, uram: t.uram };
  const synthesized = target.count(run.cells);
  return {
    model: info.model.name,
    device: opts.device.name,
    top,
    designTop: design.top,
    command: `${target.command} -top ${top}`,
    estimate,
    synthesized,
    errorPct: {
      lut: errorPct(estimate.lut, synthesized.lut),
      ff: errorPct(estimate.ff, synthesized.ff),
      dsp: errorPct(estimate.dsp, synthesized.dsp),
      bram36: errorPct(estimate.bram36, synthesized.bram36),
      uram: errorPct(estimate.uram, synthesized.uram),
    },
    cells: run.cells,
    unitsNote: target.unitsNote,
    designDir,
    log: run.log,
    seconds: run.seconds,
    report,
    netlist,
    design,
  };
}

/**
 * The resource/fit report: per-stage cost (generator/map/cost.ts) and cycles
 * (generator/emit/cycles.ts) of a design on a device, totals against the
 * device's capacity and the paper's 10 MB on-chip budget, FPS at the clock,
 * and why it does or does not fit. Data only; rendering is separate.
 */
import type { Design, FifoPlan } from '../emit/design.js';
import { foldLimits } from '../emit/fold.js';
import { planStage } from '../emit/stages.js';
import { addCost, broadcastCost, fifoCost, fifoWcCost, outputStageCost, stageCost, type DspPrimitive, type Fabric, type StageCost } from './cost.js';
import type { Device } from './devices.js';

/** The paper's on-chip budget (§1: "on-chip memory is often under 10 MB"). */
export const DEFAULT_ONCHIP_LIMIT_BYTES = 10 * 1024 * 1024;

export interface Resources {
  readonly lut: number;
  readonly ff: number;
  readonly dsp: number;
  /** Block RAM in BRAM36 equivalents (two BRAM18 = one BRAM36). */
  readonly bram36: number;
  readonly uram: number;
  readonly onchipBytes: number;
}

export interface StageReport {
  readonly name: string;
  readonly kind: string;
  /**
   * PE × SIMD; `window`: the tap-parallel core (all K×K taps per step); `uram`: the line buffer in
   * UltraRAM; `spread`: the PRB's 1×1 branch over that many steps per chunk (1: none).
   */
  readonly fold: { readonly pe: number; readonly simd: number; readonly window: boolean; readonly pack: boolean; readonly uram: boolean; readonly spread: number };
  readonly lut: number;
  readonly ff: number;
  readonly dsp: number;
  readonly bram36: number;
  /** URAM288 blocks. */
  readonly uram: number;
  readonly onchipBits: number;
  readonly cyclesPerImage: number;
  /** This stage's share of the design's LUTs. */
  readonly lutShare: number;
}

export interface Report {
  readonly model: string;
  readonly device: string;
  readonly clockMhz: number;
  readonly fits: boolean;
  readonly fitProblems: readonly string[];
  readonly totals: Resources;
  readonly capacity: Resources;
  readonly onchipLimitBytes: number;
  readonly cyclesPerImage: number;
  readonly latencyCycles: number;
  readonly fps: number;
  readonly bottleneck: { readonly stage: string; readonly resource: string };
  /** How the folding was chosen. */
  readonly folding: string;
  readonly stages: readonly StageReport[];
  /** FIFOs, broadcasts and the output stage, together. */
  readonly glue: Omit<StageReport, 'name' | 'kind' | 'fold' | 'cyclesPerImage' | 'lutShare'>;
  /**
   * Stages whose lane pairs share each int8 multiplier (fold.pack): their DSPs, and what the same
   * stages would take with one product per DSP. null when no stage is packed.
   */
  readonly packing: { readonly stages: readonly string[]; readonly dsp: number; readonly dspUnpacked: number } | null;
  readonly notes: readonly string[];
}

const KIB = 1024;
/** Cycles a stage adds beyond its lookahead: adder trees, requantizer, handshakes. */
const PIPELINE_CYCLES = 12;

/**
 * A device's capacity in the units the cost model estimates (Xilinx LUT6,
 * DSP48, BRAM36). Other families are compared in equivalents: an Intel ALM
 * holds two LUT6-class functions, a Lattice LUT4 about half of one, and their
 * block RAM bits are counted in 36 Kib units.
 */
export function capacityOf(d: Device): Resources {
  switch (d.vendor) {
    case 'xilinx':
      return { lut: d.lut6, ff: d.ff, dsp: d.dsp, bram36: d.bram36, uram: d.uramCount, onchipBytes: d.onChipMemoryBytes };
    case 'intel':
      return { lut: 2 * d.alm, ff: d.ff, dsp: d.dsp, bram36: Math.floor(d.onChipMemoryBits / (36 * KIB)), uram: 0, onchipBytes: d.onChipMemoryBytes };
    case 'lattice':
      return { lut: Math.floor(d.lut4 / 2), ff: d.ff, dsp: d.dsp, bram36: Math.floor(d.ebrBits / (36 * KIB)), uram: 0, onchipBytes: d.onChipMemoryBytes };
  }
}

/**
 * The cells a device's LUT and FF estimates are for: UltraScale+ parts have their own coefficients
 * (Yosys maps the same RTL to more of them there); 7-series ones are the yardstick everywhere else.
 */
export function fabricOf(d: Device): Fabric {
  if (d.vendor !== 'xilinx') return 'xc7';
  switch (d.family) {
    case 'zynq-ultrascale+':
    case 'artix-ultrascale+':
    case 'kintex-ultrascale+':
    case 'virtex-ultrascale+':
      return 'xcup';
    default:
      return 'xc7';
  }
}

/** The multiplier block a device's DSP count is in: SB_MAC16 on iCE40, DSP48 (the calibrated model) elsewhere. */
export function dspPrimitive(d: Device): DspPrimitive {
  return d.vendor === 'lattice' ? 'sbmac16' : 'dsp48';
}

function onchipBits(c: StageCost): number {
  return c.bramBits + c.lutramBits + c.uramBits;
}

function bram36(c: StageCost): number {
  return c.bram36 + c.bram18 / 2;
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

function n(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

export interface ReportOptions {
  readonly clockMhz: number;
  readonly onchipLimitBytes?: number;
  /** Devices to suggest when this one is too small. */
  readonly alternatives?: readonly Device[];
  /** What bounds the bottleneck stage, when the folding optimizer chose the folding (it knows). */
  readonly bottleneckResource?: string;
  /** How the folding was chosen, e.g. "optimizer, max utilization 80 %". */
  readonly folding?: string;
  /** The optimizer found that even the most folded design breaks a cap: do not suggest more folding. */
  readonly mostFolded?: boolean;
}

/** A join FIFO as planned: gr_fifo (LUT RAM or the tool's choice) or gr_fifo_wc. */
export function fifoPlanCost(f: FifoPlan, fabric: Fabric = 'xc7'): StageCost {
  return f.wordBits === null ? fifoCost(f.depth, f.bits, f.lutram ? 'lutram' : 'auto', fabric) : fifoWcCost(f.depth, f.bits, f.wordBits, fabric);
}

/** FIFOs, broadcasts and the output stage of a design: the cost outside the stages. */
export function glueCost(design: Design, fabric: Fabric = 'xc7'): StageCost {
  const param = (i: Design['instances'][number], name: string): number => Number(i.params.find((p) => p.name === name)!.value);
  return addCost(
    ...design.fifos.map((f) => fifoPlanCost(f, fabric)),
    ...design.instances.filter((i) => i.module === 'gr_broadcast').map((i) => broadcastCost(param(i, 'N'), param(i, 'DW'))),
    outputStageCost(design.classes),
  );
}

/** A cost in the report's resource units. */
export function resourcesOf(c: StageCost): Resources {
  return { lut: c.lut, ff: c.ff, dsp: c.dsp, bram36: bram36(c), uram: c.uram, onchipBytes: Math.ceil(onchipBits(c) / 8) };
}

export function buildReport(design: Design, model: string, device: Device, opts: ReportOptions): Report {
  const limit = opts.onchipLimitBytes ?? DEFAULT_ONCHIP_LIMIT_BYTES;
  const fabric = fabricOf(device);
  const costs = design.stages.map((s) => stageCost(s, dspPrimitive(device), fabric));
  const glue = glueCost(design, fabric);
  const total = addCost(...costs, glue);
  const totals = resourcesOf(total);
  const capacity = capacityOf(device);

  const packed = design.stages.flatMap((s, i) => (s.fold.pack ? [{ s, dsp: costs[i]!.dsp }] : []));
  const packing =
    packed.length === 0
      ? null
      : {
          stages: packed.map((p) => p.s.info.layer.name),
          dsp: packed.reduce((t, p) => t + p.dsp, 0),
          dspUnpacked: packed.reduce((t, p) => t + stageCost(planStage(p.s.info, p.s.ident, { ...p.s.fold, pack: false }), dspPrimitive(device)).dsp, 0),
        };

  const stages: StageReport[] = design.stages.map((s, i) => {
    const c = costs[i]!;
    return {
      name: s.info.layer.name,
      kind: s.info.layer.kind,
      fold: { pe: s.fold.pe, simd: s.fold.simd, window: s.fold.window, pack: s.fold.pack ?? false, uram: s.fold.uram ?? false, spread: s.fold.spread ?? 1 },
      lut: c.lut,
      ff: c.ff,
      dsp: c.dsp,
      bram36: bram36(c),
      uram: c.uram,
      onchipBits: onchipBits(c),
      cyclesPerImage: s.cyclesPerImage,
      lutShare: total.lut > 0 ? c.lut / total.lut : 0,
    };
  });

  const bigger = (opts.alternatives ?? [])
    .filter((d) => d.onChipMemoryBytes >= totals.onchipBytes && capacityOf(d).dsp >= totals.dsp && capacityOf(d).lut >= totals.lut)
    .sort((a, b) => a.onChipMemoryBytes - b.onChipMemoryBytes)[0];
  const device1 = bigger ? `a bigger device (e.g. ${bigger.name})` : 'a bigger device';
  const tryThis = opts.mostFolded ? `try ${device1}, a smaller network, or BQ weights (every stage is already at its most folded)` : `try ${device1}, more folding (smaller PE/SIMD), or BQ weights`;
  const problems: string[] = [];
  const check = (what: string, need: number, have: number, unit: string, fmt: (v: number) => string = n): void => {
    if (need > have) problems.push(`${what}: needs ${fmt(need)}${unit ? ` ${unit}` : ''}, ${device.name} has ${fmt(have)}, ${fmt(need - have)} over; ${tryThis}`);
  };
  check('LUTs', totals.lut, capacity.lut, 'LUT6');
  check('flip-flops', totals.ff, capacity.ff, 'FF');
  check('DSP slices', totals.dsp, capacity.dsp, device.dspKind);
  check('block RAM', totals.bram36, capacity.bram36, 'BRAM36', (v) => v.toFixed(1));
  if (totals.uram > capacity.uram) {
    // Only a folding that asks for UltraRAM line buffers uses any: fewer of them is the fix.
    const inUram = design.stages.filter((s) => s.fold.uram).map((s) => s.info.layer.name);
    const withUram = (opts.alternatives ?? []).filter((d) => capacityOf(d).uram >= totals.uram).sort((a, b) => capacityOf(a).uram - capacityOf(b).uram)[0];
    problems.push(
      `UltraRAM: needs ${n(totals.uram)} URAM288, ${device.name} has ${n(capacity.uram)}, ${n(totals.uram - capacity.uram)} over; drop "uram" from ${inUram.length === 1 ? 'stage' : 'some of stages'} ${inUram.join(', ')} in the folding${withUram ? `, or use a part with more UltraRAM (e.g. ${withUram.name})` : ''}`,
    );
  }
  check('on-chip memory', totals.onchipBytes, capacity.onchipBytes, '', (v) => `${n(v)} bytes (${mb(v)})`);
  if (totals.onchipBytes > limit) {
    problems.push(`on-chip memory: needs ${n(totals.onchipBytes)} bytes (${mb(totals.onchipBytes)}), over the ${n(limit)}-byte budget (--onchip-limit) by ${n(totals.onchipBytes - limit)}; use BQ weights or a smaller network`);
  }

  const slowest = design.stages.find((s) => s.info.layer.name === design.bottleneck);
  let resource = 'output stage';
  if (slowest) {
    const lim = foldLimits(slowest.info);
    const atMax = !lim || (slowest.fold.pe === lim.pe && slowest.fold.simd === lim.simd);
    resource = atMax ? 'maximum parallelism of its core (taps one per cycle, lanes within one group)' : 'folding (raise its PE/SIMD)';
  }
  if (opts.bottleneckResource !== undefined) resource = opts.bottleneckResource;
  // Latency estimate: the interval, plus per stage the time to read its lookahead of input pixels
  // at its own pace and a short pipeline.
  const interval = design.predictedCyclesPerImage;
  const latency = interval + design.stages.reduce((sum, s) => {
    const x = s.info.inShapes[0] ?? s.info.outShape;
    return sum + (s.lookaheadPixels * s.cyclesPerImage) / (x.height * x.width) + PIPELINE_CYCLES;
  }, 0);

  return {
    model,
    device: device.name,
    clockMhz: opts.clockMhz,
    fits: problems.length === 0,
    fitProblems: problems,
    totals,
    capacity,
    onchipLimitBytes: limit,
    cyclesPerImage: interval,
    latencyCycles: Math.round(latency),
    fps: (opts.clockMhz * 1e6) / interval,
    bottleneck: { stage: design.bottleneck, resource },
    stages,
    glue: { lut: glue.lut, ff: glue.ff, dsp: glue.dsp, bram36: bram36(glue), uram: glue.uram, onchipBits: onchipBits(glue) },
    folding: opts.folding ?? 'given',
    packing,
    notes: [
      `LUT, FF, DSP and block RAM are estimates of Yosys synth_xilinx results (docs/cost-model.md), LUT and FF in ${fabric === 'xcup' ? 'UltraScale+' : '7-series'} cells; on Intel and Lattice parts they are compared in LUT6 and BRAM36 equivalents.`,
      'Cycles are the cores\' exact steady-state counts; co-simulation measures them.',
      ...(device.vendor === 'lattice'
        ? [
            'iCE40: DSP counts SB_MAC16 blocks (16 x 16; Yosys splits wider products), and LUT (2 LUT4 per LUT6) leaves out the logic cells that flip-flops and carry chains take alone: placed, the designs measured used 1.6 to 1.9 logic cells per SB_LUT4. gen-rtl synth --tool ice40 places the design and measures them (docs/cost-model.md, "iCE40").',
          ]
        : []),
    ],
  };
}

function pct(need: number, have: number): string {
  return have > 0 ? `${((100 * need) / have).toFixed(1)} %` : 'n/a';
}

/** "PE x SIMD", with " w" for the window core, " p" for packed multipliers, " u" for a line buffer in UltraRAM, " sR" for a spread. */
export function foldText(f: StageReport['fold']): string {
  return `${f.pe} x ${f.simd}${f.window ? ' w' : ''}${f.pack ? ' p' : ''}${f.uram ? ' u' : ''}${f.spread > 1 ? ` s${f.spread}` : ''}`;
}

export function renderReportText(r: Report): string {
  // The URAM column only where the design uses UltraRAM.
  const u = r.totals.uram > 0;
  const uram = (v: number): string[] => (u ? [n(v)] : []);
  const spread = r.stages.some((s) => s.fold.spread > 1);
  const rows = [
    ['stage', 'kind', `PE x SIMD (w: window, p: packed${u ? ', u: UltraRAM' : ''}${spread ? ', sR: PRB 1x1 spread' : ''})`, 'LUT', 'FF', 'DSP', 'BRAM36', ...(u ? ['URAM'] : []), 'on-chip bits', 'cycles/image', 'LUT share'],
    ...r.stages.map((s) => [s.name, s.kind, foldText(s.fold), n(s.lut), n(s.ff), n(s.dsp), s.bram36.toFixed(1), ...uram(s.uram), n(s.onchipBits), n(s.cyclesPerImage), `${(100 * s.lutShare).toFixed(1)} %`]),
    ['(fifos, broadcasts, output)', '', '', n(r.glue.lut), n(r.glue.ff), n(r.glue.dsp), r.glue.bram36.toFixed(1), ...uram(r.glue.uram), n(r.glue.onchipBits), '', ''],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
  const t = r.totals;
  const c = r.capacity;
  const lines = [
    `model ${r.model} on ${r.device} at ${r.clockMhz} MHz: ${r.fits ? 'fits' : 'DOES NOT FIT'}`,
    `throughput ${n(r.fps)} images/s (${n(r.cyclesPerImage)} cycles/image), latency about ${n(r.latencyCycles)} cycles`,
    `bottleneck: stage "${r.bottleneck.stage}", bounded by ${r.bottleneck.resource}`,
    `folding: ${r.folding}`,
    `LUT ${n(t.lut)} / ${n(c.lut)} (${pct(t.lut, c.lut)}), FF ${n(t.ff)} / ${n(c.ff)} (${pct(t.ff, c.ff)}), DSP ${n(t.dsp)} / ${n(c.dsp)} (${pct(t.dsp, c.dsp)}), BRAM36 ${t.bram36.toFixed(1)} / ${n(c.bram36)} (${pct(t.bram36, c.bram36)})${c.uram > 0 || t.uram > 0 ? `, URAM ${n(t.uram)} / ${n(c.uram)} (${pct(t.uram, c.uram)})` : ''}`,
    `on-chip memory ${n(t.onchipBytes)} bytes (${mb(t.onchipBytes)}) of ${n(c.onchipBytes)} on the device and ${n(r.onchipLimitBytes)} budget`,
    ...(r.packing
      ? [`DSP packing (p): ${r.packing.stages.length} stage${r.packing.stages.length === 1 ? '' : 's'} put two int8 products on each multiplier DSP: ${n(r.packing.dsp)} DSP instead of ${n(r.packing.dspUnpacked)} (${(r.packing.dspUnpacked / r.packing.dsp).toFixed(2)}x int8 MACs per DSP there, requantizers included)`]
      : []),
    ...r.fitProblems.map((p) => `does not fit: ${p}`),
    '',
    table,
    '',
    ...r.notes.map((x) => `note: ${x}`),
  ];
  return `${lines.join('\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The view of templates/report.html.hbs: every string escaped and formatted here. */
export function reportHtmlView(r: Report): object {
  const maxCycles = Math.max(...r.stages.map((s) => s.cyclesPerImage), 1);
  const t = r.totals;
  const c = r.capacity;
  // Bar widths are percentages of a fixed track, with decimals, so their lengths keep the ratios
  // of the numbers they draw (a stage at 1/8 of the slowest one's cycles is 1/8 as long).
  const barPct = (v: number, full: number): string => (full > 0 ? Math.min(100, (100 * v) / full) : v > 0 ? 100 : 0).toFixed(3);
  const resource = (name: string, used: number, have: number, fmt: (v: number) => string = n) => ({
    name,
    used: fmt(used),
    capacity: n(have),
    util: pct(used, have),
    utilPct: barPct(used, have),
    rowClass: used > have ? 'over' : '',
  });
  const onDevice: [string, number, number][] = [
    ['LUT', t.lut, c.lut],
    ['FF', t.ff, c.ff],
    ['DSP', t.dsp, c.dsp],
    ['BRAM36', t.bram36, c.bram36],
    ...(c.uram > 0 || t.uram > 0 ? [['URAM', t.uram, c.uram] as [string, number, number]] : []),
    ['on-chip bytes', t.onchipBytes, c.onchipBytes],
  ];
  const share = ([, used, have]: [string, number, number]): number => (have > 0 ? used / have : used > 0 ? Infinity : 0);
  const tightest = onDevice.reduce((a, b) => (share(b) > share(a) ? b : a));
  return {
    model: esc(r.model),
    device: esc(r.device),
    clockMhz: String(r.clockMhz),
    verdict: r.fits ? 'fits' : 'DOES NOT FIT',
    verdictClass: r.fits ? 'fits' : 'nofit',
    fps: n(r.fps),
    cyclesPerImage: n(r.cyclesPerImage),
    latencyCycles: n(r.latencyCycles),
    bottleneckStage: esc(r.bottleneck.stage),
    bottleneckResource: esc(r.bottleneck.resource),
    folding: esc(r.folding),
    tightestResource: tightest[0],
    tightestUtil: pct(tightest[1], tightest[2]),
    problems: r.fitProblems.map(esc),
    totals: [
      ...onDevice.map(([name, used, have]) => resource(name, used, have, name === 'BRAM36' ? (v) => v.toFixed(1) : n)),
      resource('on-chip bytes, budget (--onchip-limit)', t.onchipBytes, r.onchipLimitBytes),
    ],
    maxCycles: n(maxCycles),
    stages: r.stages.map((s) => ({
      name: esc(s.name),
      kind: esc(s.kind),
      fold: foldText(s.fold),
      lut: n(s.lut),
      ff: n(s.ff),
      dsp: n(s.dsp),
      bram36: s.bram36.toFixed(1),
      onchipBits: n(s.onchipBits),
      lutShare: `${(100 * s.lutShare).toFixed(1)} %`,
      cycles: n(s.cyclesPerImage),
      barPct: barPct(s.cyclesPerImage, maxCycles),
      bottleneck: s.name === r.bottleneck.stage,
      rowClass: s.name === r.bottleneck.stage ? 'bottleneck' : '',
    })),
    glue: { lut: n(r.glue.lut), ff: n(r.glue.ff), dsp: n(r.glue.dsp), bram36: r.glue.bram36.toFixed(1), onchipBits: n(r.glue.onchipBits) },
    notes: r.notes.map(esc),
  };
}

/**
 * The resource/fit report: per-stage cost (generator/map/cost.ts) and cycles
 * (generator/emit/cycles.ts) of a design on a device, totals against the
 * device's capacity and the paper's 10 MB on-chip budget, FPS at the clock,
 * and why it does or does not fit. Data only; rendering is separate.
 */
import type { Design } from '../emit/design.js';
import { foldLimits } from '../emit/fold.js';
import { addCost, broadcastCost, fifoCost, outputStageCost, stageCost, type StageCost } from './cost.js';
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
  readonly fold: { readonly pe: number; readonly simd: number };
  readonly lut: number;
  readonly ff: number;
  readonly dsp: number;
  readonly bram36: number;
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
  readonly stages: readonly StageReport[];
  /** FIFOs, broadcasts and the output stage, together. */
  readonly glue: Omit<StageReport, 'name' | 'kind' | 'fold' | 'cyclesPerImage' | 'lutShare'>;
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

function onchipBits(c: StageCost): number {
  return c.bramBits + c.lutramBits;
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
}

export function buildReport(design: Design, model: string, device: Device, opts: ReportOptions): Report {
  const limit = opts.onchipLimitBytes ?? DEFAULT_ONCHIP_LIMIT_BYTES;
  const costs = design.stages.map((s) => stageCost(s));
  const glueCost = addCost(
    ...design.fifos.map((f) => fifoCost(f.depth, f.bits)),
    ...design.instances.filter((i) => i.module === 'gr_broadcast').map((i) => broadcastCost(Number(i.params.find((p) => p.name === 'N')!.value), Number(i.params.find((p) => p.name === 'DW')!.value))),
    outputStageCost(design.classes),
  );
  const total = addCost(...costs, glueCost);
  const totals: Resources = {
    lut: total.lut,
    ff: total.ff,
    dsp: total.dsp,
    bram36: bram36(total),
    uram: 0,
    onchipBytes: Math.ceil(onchipBits(total) / 8),
  };
  const capacity = capacityOf(device);

  const stages: StageReport[] = design.stages.map((s, i) => {
    const c = costs[i]!;
    return {
      name: s.info.layer.name,
      kind: s.info.layer.kind,
      fold: { pe: s.fold.pe, simd: s.fold.simd },
      lut: c.lut,
      ff: c.ff,
      dsp: c.dsp,
      bram36: bram36(c),
      onchipBits: onchipBits(c),
      cyclesPerImage: s.cyclesPerImage,
      lutShare: total.lut > 0 ? c.lut / total.lut : 0,
    };
  });

  const bigger = (opts.alternatives ?? [])
    .filter((d) => d.onChipMemoryBytes >= totals.onchipBytes && capacityOf(d).dsp >= totals.dsp && capacityOf(d).lut >= totals.lut)
    .sort((a, b) => a.onChipMemoryBytes - b.onChipMemoryBytes)[0];
  const tryThis = `try ${bigger ? `a bigger device (e.g. ${bigger.name})` : 'a bigger device'}, more folding (smaller PE/SIMD), or BQ weights`;
  const problems: string[] = [];
  const check = (what: string, need: number, have: number, unit: string, fmt: (v: number) => string = n): void => {
    if (need > have) problems.push(`${what}: needs ${fmt(need)}${unit ? ` ${unit}` : ''}, ${device.name} has ${fmt(have)}, ${fmt(need - have)} over; ${tryThis}`);
  };
  check('LUTs', totals.lut, capacity.lut, 'LUT6');
  check('flip-flops', totals.ff, capacity.ff, 'FF');
  check('DSP slices', totals.dsp, capacity.dsp, device.dspKind);
  check('block RAM', totals.bram36, capacity.bram36, 'BRAM36', (v) => v.toFixed(1));
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
    glue: { lut: glueCost.lut, ff: glueCost.ff, dsp: glueCost.dsp, bram36: bram36(glueCost), onchipBits: onchipBits(glueCost) },
    notes: [
      'LUT, FF, DSP and block RAM are estimates of Yosys synth_xilinx results (docs/cost-model.md); on Intel and Lattice parts they are compared in LUT6 and BRAM36 equivalents.',
      'Cycles are the cores\' exact steady-state counts; co-simulation measures them.',
    ],
  };
}

function pct(need: number, have: number): string {
  return have > 0 ? `${((100 * need) / have).toFixed(1)} %` : 'n/a';
}

export function renderReportText(r: Report): string {
  const rows = [
    ['stage', 'kind', 'PE x SIMD', 'LUT', 'FF', 'DSP', 'BRAM36', 'on-chip bits', 'cycles/image', 'LUT share'],
    ...r.stages.map((s) => [s.name, s.kind, `${s.fold.pe} x ${s.fold.simd}`, n(s.lut), n(s.ff), n(s.dsp), s.bram36.toFixed(1), n(s.onchipBits), n(s.cyclesPerImage), `${(100 * s.lutShare).toFixed(1)} %`]),
    ['(fifos, broadcasts, output)', '', '', n(r.glue.lut), n(r.glue.ff), n(r.glue.dsp), r.glue.bram36.toFixed(1), n(r.glue.onchipBits), '', ''],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
  const t = r.totals;
  const c = r.capacity;
  const lines = [
    `model ${r.model} on ${r.device} at ${r.clockMhz} MHz: ${r.fits ? 'fits' : 'DOES NOT FIT'}`,
    `throughput ${n(r.fps)} images/s (${n(r.cyclesPerImage)} cycles/image), latency about ${n(r.latencyCycles)} cycles`,
    `bottleneck: stage "${r.bottleneck.stage}", bounded by ${r.bottleneck.resource}`,
    `LUT ${n(t.lut)} / ${n(c.lut)} (${pct(t.lut, c.lut)}), FF ${n(t.ff)} / ${n(c.ff)} (${pct(t.ff, c.ff)}), DSP ${n(t.dsp)} / ${n(c.dsp)} (${pct(t.dsp, c.dsp)}), BRAM36 ${t.bram36.toFixed(1)} / ${n(c.bram36)} (${pct(t.bram36, c.bram36)})`,
    `on-chip memory ${n(t.onchipBytes)} bytes (${mb(t.onchipBytes)}) of ${n(c.onchipBytes)} on the device and ${n(r.onchipLimitBytes)} budget`,
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
  return {
    model: esc(r.model),
    device: esc(r.device),
    clockMhz: n(r.clockMhz),
    verdict: r.fits ? 'fits' : 'does not fit',
    verdictColor: r.fits ? '#070' : '#b00',
    fps: n(r.fps),
    cyclesPerImage: n(r.cyclesPerImage),
    latencyCycles: n(r.latencyCycles),
    bottleneckStage: esc(r.bottleneck.stage),
    bottleneckResource: esc(r.bottleneck.resource),
    problems: r.fitProblems.map(esc),
    totals: [
      { name: 'LUT', used: n(t.lut), capacity: n(c.lut), util: pct(t.lut, c.lut) },
      { name: 'FF', used: n(t.ff), capacity: n(c.ff), util: pct(t.ff, c.ff) },
      { name: 'DSP', used: n(t.dsp), capacity: n(c.dsp), util: pct(t.dsp, c.dsp) },
      { name: 'BRAM36', used: t.bram36.toFixed(1), capacity: n(c.bram36), util: pct(t.bram36, c.bram36) },
      { name: 'on-chip bytes', used: n(t.onchipBytes), capacity: n(c.onchipBytes), util: pct(t.onchipBytes, c.onchipBytes) },
    ],
    stages: r.stages.map((s) => ({
      name: esc(s.name),
      kind: s.kind,
      fold: `${s.fold.pe} x ${s.fold.simd}`,
      lut: n(s.lut),
      ff: n(s.ff),
      dsp: n(s.dsp),
      bram36: s.bram36.toFixed(1),
      onchipBits: n(s.onchipBits),
      cycles: n(s.cyclesPerImage),
      barPx: Math.max(1, Math.round((300 * s.cyclesPerImage) / maxCycles)),
      rowClass: s.name === r.bottleneck.stage ? 'bottleneck' : '',
    })),
    notes: r.notes.map(esc),
  };
}

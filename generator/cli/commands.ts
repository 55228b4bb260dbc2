/**
 * The commands behind the CLI: each takes parsed options and returns the
 * result it prints; only the CLI edge turns errors into exit codes.
 */
import { readFileSync, statSync } from 'node:fs';
import { cosim, cosimNetlist, type CosimResult } from '../cosim/cosim.js';
import { netlistFlow } from '../synth/netlist.js';
import type { SimulatorName } from '../cosim/simulators.js';
import { balancedFolding, resolveFolding, type Fold, type Folding } from '../emit/fold.js';
import { buildDesign, type Design } from '../emit/design.js';
import { generate, render } from '../emit/generate.js';
import type { VendorFlow } from '../emit/handoff.js';
import { lookupDevice, runDevices, type Device } from '../map/devices.js';
import { optimizeFolding } from '../map/optimize.js';
import { buildReport, renderReportText, reportHtmlView, type Report } from '../map/report.js';
import type { ModelInfo } from '../ir/analyze.js';
import type { Pixels } from '../reference/run.js';
import { Prng } from '../util/prng.js';
import { oneLine } from '../format/container-layout.js';
import { writeModel, readModelFile } from '../format/model-file.js';
import { checkLabelRange, checkSetShape, loadLabeledImages, type LabeledImages } from '../io/dataset.js';
import { loadImage, loadImageSet } from '../io/images.js';
import { loadOnnx } from '../onnx/file.js';
import { scoreAccuracy } from '../reference/accuracy.js';
import { runFloat } from '../reference/float.js';
import { runFloatModel } from '../reference/float-model.js';
import { runInteger } from '../reference/integer.js';
import { renderSummary, summarize } from '../report/summary.js';
import { GenRtlError } from '../util/errors.js';
import { writeFileAtomic, writeTreeAtomic } from '../util/files.js';
import { NETS } from '../zoo/nets.js';
import { DEFAULT_SEED, syntheticImages, zooModel } from '../zoo/index.js';
import { parseBinarizePolicy, type BinarizePolicy } from '../quant/quantize.js';
import { checkLimit, checkOnnxFloat, percent } from './accuracy.js';
import { printJson, type CliIo } from './io.js';

export function zooList(io: CliIo, json: boolean): void {
  if (json) {
    printJson(io, { models: NETS.map((n) => ({ name: n.name, description: n.description })) });
    return;
  }
  const w = Math.max(...NETS.map((n) => n.name.length));
  io.stdout(`${NETS.map((n) => `${n.name.padEnd(w)}  ${n.description}`).join('\n')}\n`);
}

export function zooWrite(io: CliIo, name: string, out: string, seed: number | undefined, binarize: BinarizePolicy, json: boolean): void {
  const s = seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(s) || s < 0 || s > 0xffffffff) throw new GenRtlError('--seed', `must be an integer in 0..4294967295, got ${seed}`);
  const { info, report } = zooModel(name, s, binarize);
  const bytes = writeModel(info);
  writeFileAtomic(out, bytes);
  const result = {
    model: name,
    seed: s,
    binarize: parseBinarizePolicy(binarize).policy,
    out,
    sizeBytes: bytes.length,
    quantization: report,
  };
  if (json) printJson(io, result);
  else io.stdout(`wrote ${out}: ${name} (seed ${s}, binarize ${result.binarize}), ${bytes.length.toLocaleString('en-US')} bytes\n`);
}

export function inspect(io: CliIo, file: string, json: boolean): void {
  const info = readModelFile(file);
  const sizeBytes = statSync(file).size;
  const s = summarize(info);
  if (json) printJson(io, { ...s, sizeBytes });
  else io.stdout(renderSummary(s, sizeBytes));
}

export function run(io: CliIo, file: string, input: string, index: number | undefined, float: boolean, json: boolean): void {
  if (index !== undefined && (!Number.isSafeInteger(index) || index < 0)) throw new GenRtlError('--index', `must be a non-negative integer, got ${index}`);
  const onnx = checkOnnxFloat(file, float);
  const fm = onnx ? loadOnnx(file, { binarize: 'none' }).model : null;
  const info = fm ? null : readModelFile(file);
  const model = fm ?? info!.model;
  const image = loadImage(input, index === undefined ? {} : { index });
  const r = fm ? runFloatModel(fm, image) : float ? runFloat(info!, image) : runInteger(info!, image);
  const logits = Array.from(r.logits);
  const label = model.classes[r.class]!;
  if (json) {
    printJson(io, { model: model.name, input, index: index ?? null, reference: float ? 'float' : 'integer', logits, class: r.class, label });
    return;
  }
  const fmt = (v: number): string => (float ? v.toPrecision(6) : String(v));
  io.stdout(`${float ? 'float' : 'integer'} reference, ${model.name}${onnx ? ' (ONNX, unquantized)' : ''}, ${input}${index !== undefined ? ` [${index}]` : ''}\n`);
  logits.forEach((v, i) => io.stdout(`  ${String(i).padStart(4)}  ${fmt(v).padStart(12)}  ${model.classes[i]}${i === r.class ? '   <- class' : ''}\n`));
  io.stdout(`class ${r.class} (${label})\n`);
}

/** How the mapper may fold: the device and the optimizer's budget (used by --fold auto with a device). */
export interface MappingArgs {
  readonly device: Device | null;
  readonly clockMhz: number;
  readonly maxUtil: number | undefined;
  readonly targetFps: number | undefined;
  readonly onchipLimit: number | undefined;
  /** Packed multipliers allowed (default: where the device supports them). */
  readonly pack?: boolean | undefined;
  /** Spread PRB 1×1 branches allowed (default true). */
  readonly spread?: boolean | undefined;
}

export interface ChosenFolding {
  readonly folding: Folding;
  /** How it was chosen (report.json "folding"). */
  readonly summary: string;
  /** What bounds the bottleneck, when the optimizer knows. */
  readonly bottleneckResource?: string;
  /** The optimizer found even the most folded design over a cap. */
  readonly mostFolded?: boolean;
}

/**
 * The folding of a run: `auto` is the optimizer on the device's budget (or,
 * without a device, one output channel per step), `balanced` every stage as
 * fast as the slowest can be, or a JSON file.
 */
export function readFolding(info: ModelInfo, fold: string | undefined, map?: MappingArgs): ChosenFolding {
  const auto = fold === undefined || fold === 'auto';
  if (map && (map.maxUtil !== undefined || map.targetFps !== undefined || map.pack !== undefined || map.spread !== undefined)) {
    const flag = (name: string, v: boolean | undefined): string => (v ? `--${name}` : `--no-${name}`);
    const opt = map.maxUtil !== undefined ? '--max-util' : map.targetFps !== undefined ? '--target-fps' : map.pack !== undefined ? flag('pack', map.pack) : flag('spread', map.spread);
    if (!auto) throw new GenRtlError(opt, `applies to the folding optimizer (--fold auto), not to --fold ${fold}`);
    if (!map.device) throw new GenRtlError(opt, 'needs --device: the optimizer budgets a device\'s resources');
  }
  if (auto && map?.device) {
    const o = optimizeFolding(info, {
      device: map.device,
      clockMhz: map.clockMhz,
      ...(map.maxUtil !== undefined ? { maxUtil: map.maxUtil } : {}),
      ...(map.targetFps !== undefined ? { targetFps: map.targetFps } : {}),
      ...(map.onchipLimit !== undefined ? { onchipLimitBytes: map.onchipLimit } : {}),
      ...(map.pack !== undefined ? { pack: map.pack } : {}),
      ...(map.spread !== undefined ? { spread: map.spread } : {}),
    });
    return { folding: o.folding, summary: o.summary, bottleneckResource: o.bottleneck.resource, mostFolded: o.mostFolded };
  }
  if (auto) return { folding: resolveFolding(info, undefined, 'default folding'), summary: 'default: one output channel per step (no device given)' };
  if (fold === 'balanced') return { folding: balancedFolding(info), summary: 'balanced: every stage as fast as the slowest can be' };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(fold, 'utf8'));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new GenRtlError(fold, 'no such file');
    if (code === 'EISDIR') throw new GenRtlError(fold, 'is a directory, not a folding JSON file');
    // JSON.parse quotes the text around the error, newlines included: escaped to keep one line.
    throw new GenRtlError(fold, `not valid JSON (${oneLine(e instanceof Error ? e.message : String(e))})`);
  }
  return { folding: resolveFolding(info, json, fold), summary: `from ${fold}` };
}

/** The folding as a --fold file: {"stages": {"<layer>": {"pe", "simd", "window"[, "lutram" | "uram"][, "pack"][, "spread"][, "fifoWordBits"]}}}. */
export function foldingJson(f: Folding): string {
  const stage = (v: Fold): object => ({ pe: v.pe, simd: v.simd, window: v.window, ...(v.lutram ? { lutram: true } : {}), ...(v.uram ? { uram: true } : {}), ...(v.pack ? { pack: true } : {}), ...((v.spread ?? 1) > 1 ? { spread: v.spread } : {}), ...(v.fifoWordBits !== undefined ? { fifoWordBits: v.fifoWordBits } : {}) });
  return `${JSON.stringify({ stages: Object.fromEntries([...f].map(([name, v]) => [name, stage(v)])) }, null, 2)}\n`;
}

function checkOnchipLimit(v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new GenRtlError('--onchip-limit', `must be a positive number of bytes, got ${v}`);
  return v;
}

export interface GenerateArgs {
  readonly model: string;
  readonly out: string;
  readonly target: TargetArgs;
  /** Vendor flows of the synthesis handoff (--vendor; empty: none). */
  readonly vendors: readonly VendorFlow[];
  readonly force: boolean;
  readonly json: boolean;
}

/** Device, clock, folding and budget options shared by generate, report and cosim. */
export interface TargetArgs {
  readonly device: string | undefined;
  readonly deviceFile: string | undefined;
  /** Default: the device's planning hint, or 100 MHz without a device. */
  readonly clockMhz: number | undefined;
  readonly fold: string | undefined;
  readonly maxUtil: number | undefined;
  readonly targetFps: number | undefined;
  readonly onchipLimit: number | undefined;
  readonly pack?: boolean | undefined;
  readonly spread?: boolean | undefined;
}

interface Target {
  readonly device: Device | null;
  readonly devices: readonly Device[];
  readonly clockMhz: number;
  readonly onchipLimit: number | undefined;
  readonly chosen: ChosenFolding;
}

function resolveTarget(info: ModelInfo, t: TargetArgs): Target {
  const devices = runDevices(t.deviceFile);
  const device = t.device !== undefined ? lookupDevice(t.device, devices) : null;
  const clockMhz = checkClock(t.clockMhz ?? device?.maxClockMhzHint ?? 100);
  const onchipLimit = checkOnchipLimit(t.onchipLimit);
  const chosen = readFolding(info, t.fold, { device, clockMhz, maxUtil: t.maxUtil, targetFps: t.targetFps, onchipLimit, pack: t.pack, spread: t.spread });
  return { device, devices, clockMhz, onchipLimit, chosen };
}

function reportOf(design: Design, info: ModelInfo, device: Device, t: Target): Report {
  return buildReport(design, info.model.name, device, {
    clockMhz: t.clockMhz,
    alternatives: t.devices,
    folding: t.chosen.summary,
    ...(t.onchipLimit !== undefined ? { onchipLimitBytes: t.onchipLimit } : {}),
    ...(t.chosen.bottleneckResource !== undefined ? { bottleneckResource: t.chosen.bottleneckResource } : {}),
    ...(t.chosen.mostFolded ? { mostFolded: true } : {}),
  });
}

/**
 * Writes the design (and, with a device, the report). Returns 1 when the design does not fit the
 * device: the files are still written, complete, so the report can say why.
 */
export function generateCmd(io: CliIo, a: GenerateArgs): number {
  const info = readModelFile(a.model);
  const t = resolveTarget(info, a.target);
  const { device, clockMhz } = t;
  const { files, design } = generate(info, { folding: t.chosen.folding, device: device?.name ?? null, clockMhz, handoff: { vendors: a.vendors, device } });
  const report = device ? reportOf(design, info, device, t) : null;
  const extra = [{ path: 'folding.json', content: foldingJson(t.chosen.folding) }, ...(report ? reportFiles(report) : [])];
  writeTreeAtomic(a.out, [...files, ...extra], a.force);
  const result = {
    model: info.model.name,
    out: a.out,
    top: design.top,
    files: files.length,
    stages: design.stages.length,
    predictedCyclesPerImage: design.predictedCyclesPerImage,
    bottleneck: design.bottleneck,
    predictedFps: Math.round((clockMhz * 1e6) / design.predictedCyclesPerImage),
    folding: t.chosen.summary,
    ...(report ? { device: report.device, fits: report.fits, fitProblems: report.fitProblems } : {}),
  };
  if (a.json) printJson(io, result);
  else {
    io.stdout(`wrote ${a.out}: top ${design.top}, ${design.stages.length} stages, ${files.length} files\n`);
    io.stdout(`predicted ${design.predictedCyclesPerImage.toLocaleString('en-US')} cycles/image (bottleneck: ${design.bottleneck}), ${result.predictedFps.toLocaleString('en-US')} images/s at ${clockMhz} MHz\n`);
    io.stdout(`folding: ${t.chosen.summary} (folding.json)\n`);
    if (report) io.stdout(`${report.device}: ${report.fits ? 'fits' : `does not fit (${report.fitProblems.join('; ')})`}; report.txt, report.json and report.html written\n`);
  }
  return report && !report.fits ? 1 : 0;
}

export interface CosimArgs {
  readonly model: string;
  /** Default: verilator, except for a generic netlist (iverilog). */
  readonly sim: SimulatorName | undefined;
  readonly images: number | undefined;
  readonly input: string | undefined;
  readonly index: number | undefined;
  readonly dataset: string | undefined;
  /** Labels of --dataset: the result then has the hardware's and the reference's accuracy. */
  readonly labels: string | undefined;
  readonly limit: number | undefined;
  readonly seed: number;
  readonly stall: number;
  readonly target: TargetArgs;
  readonly trace: string | undefined;
  readonly work: string | undefined;
  /** Verilator: C++ at -O0 (cosim's quickBuild), for short runs. */
  readonly quickBuild: boolean;
  /** Simulate the Yosys netlist (the device family's flow) instead of the RTL. */
  readonly netlist: boolean;
  readonly json: boolean;
}

/** Images from --dataset when no --limit is given. */
const COSIM_DATASET_DEFAULT_LIMIT = 10;

/** The images to co-simulate: seeded random ones, one file image, or a dataset's first N (with their labels when given). */
function cosimImages(info: ModelInfo, a: CosimArgs): { images: Pixels[]; labeled: LabeledImages | null } {
  const sources = [a.images !== undefined, a.input !== undefined, a.dataset !== undefined].filter(Boolean).length;
  if (sources > 1) throw new GenRtlError('cosim', 'give one of --images, --input and --dataset');
  const s = info.input;
  if (a.input !== undefined) return { images: [loadImage(a.input, a.index === undefined ? {} : { index: a.index })], labeled: null };
  if (a.dataset !== undefined) {
    const limit = checkLimit(a.limit) ?? COSIM_DATASET_DEFAULT_LIMIT;
    if (a.labels !== undefined) {
      const labeled = loadLabeledImages(a.dataset, a.labels, limit);
      checkSetShape(labeled.images, s, info.model.name);
      checkLabelRange(labeled, info.model.classes.length, info.model.name);
      return { images: Array.from({ length: labeled.count }, (_, i) => labeled.images.image(i)), labeled };
    }
    const set = loadImageSet(a.dataset);
    checkSetShape(set, s, info.model.name);
    const n = Math.min(set.count, limit);
    return { images: Array.from({ length: n }, (_, i) => set.image(i)), labeled: null };
  }
  const n = a.images ?? 3;
  if (!Number.isSafeInteger(n) || n < 1 || n > 100_000) throw new GenRtlError('--images', `must be an integer in 1..100000, got ${n}`);
  const rng = new Prng(a.seed);
  // Half structured synthetic images, half uniform noise, both seeded.
  const synthetic = syntheticImages(s.height, s.width, s.channels, Math.ceil(n / 2), a.seed);
  const images = Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? synthetic[i / 2]! : { ...s, data: Uint8Array.from({ length: s.height * s.width * s.channels }, () => rng.int(0, 255)) },
  );
  return { images, labeled: null };
}

/** The hardware's and the integer reference's accuracy on the same co-simulated images. */
export interface CosimAccuracy {
  readonly count: number;
  /** Fractions 0..1. */
  readonly hardware: number;
  readonly reference: number;
  readonly hardwareCorrect: number;
  readonly referenceCorrect: number;
  /** Images whose hardware class is not the reference's (0 when the run is bit-exact). */
  readonly classDisagreements: number;
}

export function cosimAccuracy(r: Pick<CosimResult, 'hardwareClasses' | 'referenceClasses'>, labels: ArrayLike<number>, classes: number): CosimAccuracy {
  const hw = scoreAccuracy(r.hardwareClasses, labels, classes);
  const ref = scoreAccuracy(r.referenceClasses, labels, classes);
  const classDisagreements = r.referenceClasses.filter((c, i) => r.hardwareClasses[i] !== c).length;
  return { count: hw.count, hardware: hw.accuracy, reference: ref.accuracy, hardwareCorrect: hw.correct, referenceCorrect: ref.correct, classDisagreements };
}

export function renderCosimAccuracy(a: CosimAccuracy): string {
  const n = a.classDisagreements;
  const differ = n > 0 ? `; the hardware's class differs from the reference's on ${n} image${n === 1 ? '' : 's'}` : '';
  return `accuracy on ${a.count} image${a.count === 1 ? '' : 's'}: hardware ${percent(a.hardware)} (${a.hardwareCorrect}/${a.count}), integer reference ${percent(a.reference)} (${a.referenceCorrect}/${a.count})${differ}\n`;
}

export async function cosimCmd(io: CliIo, a: CosimArgs): Promise<number> {
  if (!(a.stall >= 0 && a.stall < 1)) throw new GenRtlError('--stall', `must be a probability in [0, 1), got ${a.stall}`);
  const info = readModelFile(a.model);
  const target = resolveTarget(info, a.target);
  const folding = target.chosen.folding;
  const { images, labeled } = cosimImages(info, a);
  const generic = a.netlist && netlistFlow(target.device).library === 'generic';
  if (generic && a.sim === 'verilator') {
    throw new GenRtlError(
      '--netlist --sim verilator',
      `${target.device === null ? 'without a device' : `for ${target.device.name}`} the netlist is Yosys' generic one (synth -flatten), which Verilator 5.006 does not simulate like Icarus (it mismatches where Icarus is bit-exact); use --sim iverilog, or an iCE40 --device (synth_ice40, Verilator or Icarus)`,
    );
  }
  const opts = {
    simulator: a.sim ?? (generic ? ('iverilog' as const) : ('verilator' as const)),
    images,
    folding,
    seed: a.seed,
    stall: a.stall,
    quickBuild: a.quickBuild,
    ...(a.work !== undefined ? { workDir: a.work } : {}),
    ...(a.trace !== undefined ? { trace: a.trace } : {}),
    ...(io.isTty && !a.json ? { progress: (m: string) => io.stderr(`${m}...\n`) } : {}),
  };
  const r = a.netlist ? await cosimNetlist(info, { ...opts, device: target.device }) : cosim(info, opts);
  const ok = r.mismatches === 0 && r.status === 'ok';
  const accuracy = labeled ? cosimAccuracy(r, labeled.labels, info.model.classes.length) : null;
  if (a.json) {
    const { hardwareClasses: _hw, referenceClasses: _ref, ...rest } = r;
    printJson(io, { ...rest, ...(accuracy ? { accuracy } : {}) });
  } else {
    const m = r.firstMismatch;
    const what = r.netlist ? `, the Yosys netlist (${r.netlist.command}, ${r.netlist.synthSeconds.toFixed(0)} s),` : '';
    io.stdout(`cosim ${r.model}${what} under ${r.simulator}: ${r.images} image(s), ${r.mismatches} mismatch(es), simulation ${r.status}\n`);
    if (m) io.stdout(`first mismatch: image ${m.image}, ${m.output}: expected ${m.expected}, got ${m.got ?? 'nothing'}\n`);
    const lm = r.firstLayerMismatch;
    if (lm) io.stdout(`first differing layer: "${lm.layer}" (${lm.kind}), image ${lm.image}, pixel (y ${lm.pixel.y}, x ${lm.pixel.x}), channel ${lm.channel}: expected ${lm.expected}, got ${lm.got ?? 'nothing'}\n`);
    const pct = r.cyclesPerImage !== null ? ` (${(((r.cyclesPerImage - r.predictedCyclesPerImage) / r.predictedCyclesPerImage) * 100).toFixed(1)} %)` : '';
    io.stdout(`cycles/image: measured ${r.cyclesPerImage ?? 'n/a (one image)'} vs predicted ${r.predictedCyclesPerImage}${pct}; latency ${r.latencyCycles ?? 'n/a'} cycles\n`);
    if (accuracy) io.stdout(renderCosimAccuracy(accuracy));
    const where = r.designDir === null ? 'temporary design and build removed (--work DIR keeps them)' : `design in ${r.designDir}${r.netlist ? `, netlist ${r.netlist.file}` : ''}`;
    io.stdout(`build ${r.buildSeconds.toFixed(1)} s, run ${r.runSeconds.toFixed(1)} s; ${where}\n`);
  }
  return ok ? 0 : 1;
}

export interface ReportArgs {
  readonly model: string;
  readonly target: TargetArgs & { readonly device: string };
  readonly html: string | undefined;
  readonly json: boolean;
}

function checkClock(f: number): number {
  if (!(Number.isFinite(f) && f > 0 && f <= 2000)) throw new GenRtlError('--clock-mhz', `must be a frequency in MHz (0 < F <= 2000), got ${f}`);
  return f;
}

/** The report files written into an output directory (report.txt, report.json, report.html). */
export function reportFiles(r: Report): { path: string; content: string }[] {
  return [
    { path: 'report.txt', content: renderReportText(r) },
    { path: 'report.json', content: `${JSON.stringify(r, null, 2)}\n` },
    { path: 'report.html', content: render('report.html.hbs', reportHtmlView(r)) },
  ];
}

/** The fit report `gen-rtl report` prints: the folding the target options choose, on their device. */
export function deviceReport(info: ModelInfo, target: TargetArgs & { readonly device: string }): Report {
  const t = resolveTarget(info, target);
  return reportOf(buildDesign(info, t.chosen.folding), info, t.device!, t);
}

export function reportCmd(io: CliIo, a: ReportArgs): number {
  const info = readModelFile(a.model);
  const r = deviceReport(info, a.target);
  if (a.html !== undefined) writeFileAtomic(a.html, render('report.html.hbs', reportHtmlView(r)));
  if (a.json) printJson(io, r);
  else io.stdout(renderReportText(r));
  return r.fits ? 0 : 1;
}

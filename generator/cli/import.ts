/**
 * `gen-rtl import MODEL.onnx --out FILE.sepb`: the ONNX graph becomes a float
 * model (batch norm folded, pattern residual blocks recognized), its k×k
 * filters are binarized and the rest quantized to int8, activation scales
 * are calibrated on images, and the result is written as a .sepb. The report
 * gives the paper's Table 1 measure per kernel size and how often the integer
 * model picks the float model's class.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { analyze, type ModelInfo } from '../ir/analyze.js';
import type { Accuracy as ProvenanceAccuracy, Model } from '../ir/types.js';
import { loadLabeledImages } from '../io/dataset.js';
import { loadImageSet } from '../io/images.js';
import type { ImportedGraph } from '../onnx/import.js';
import { loadOnnx } from '../onnx/file.js';
import type { FloatModel } from '../quant/float-model.js';
import { quantize, type BinarizePolicy, type QuantizeReport } from '../quant/quantize.js';
import { floatModelClassifier, measureAccuracy, referenceClassifier } from '../reference/accuracy.js';
import { runFloatModel } from '../reference/float-model.js';
import { runInteger } from '../reference/integer.js';
import type { Pixels } from '../reference/run.js';
import { writeModel } from '../format/model-file.js';
import { GenRtlError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';
import { syntheticImages } from '../zoo/index.js';
import { percent } from './accuracy.js';
import { printJson, type CliIo } from './io.js';

export const DEFAULT_CALIB_LIMIT = 500;
const SYNTHETIC_CALIB_IMAGES = 32;

export interface ImportArgs {
  readonly onnx: string;
  readonly out: string;
  readonly calib: string | undefined;
  readonly calibLimit: number | undefined;
  readonly binarize: BinarizePolicy;
  readonly mean: string | undefined;
  readonly std: string | undefined;
  readonly classes: string | undefined;
  readonly name: string | undefined;
  readonly evalImages: string | undefined;
  readonly evalLabels: string | undefined;
  readonly evalLimit: number | undefined;
  readonly force: boolean;
  readonly json: boolean;
}

function positiveInt(v: number | undefined, opt: string): number | undefined {
  if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new GenRtlError(opt, `must be a positive integer, got ${v}`);
  return v;
}

function calibrationImages(a: ImportArgs, fm: FloatModel): { images: Pixels[]; source: string } {
  const input = fm.layers[0]!;
  if (input.kind !== 'input') throw new Error('float model does not start with its input');
  if (a.calib === undefined) {
    return {
      images: syntheticImages(input.height, input.width, input.channels, SYNTHETIC_CALIB_IMAGES, 1),
      source: `${SYNTHETIC_CALIB_IMAGES} synthetic images (no --calib given: scales are rough; calibrate on real images)`,
    };
  }
  const set = loadImageSet(a.calib);
  if (set.height !== input.height || set.width !== input.width || set.channels !== input.channels) {
    throw new GenRtlError(a.calib, `holds ${set.height}x${set.width}x${set.channels} images but the model takes ${input.height}x${input.width}x${input.channels} (HxWxC)`);
  }
  const n = Math.min(set.count, a.calibLimit ?? DEFAULT_CALIB_LIMIT);
  return { images: Array.from({ length: n }, (_, i) => set.image(i)), source: `the first ${n} images of ${basename(a.calib)}` };
}

/** Training-time accuracies the recipe stores in the ONNX metadata (gen-rtl.accuracy.*). */
function recipeAccuracies(g: ImportedGraph): Partial<Record<'full' | 'bipattern' | 'refined', ProvenanceAccuracy>> {
  const out: Partial<Record<'full' | 'bipattern' | 'refined', ProvenanceAccuracy>> = {};
  const count = Number(g.metadata.get('gen-rtl.accuracy.count'));
  const dataset = g.metadata.get('gen-rtl.accuracy.dataset') ?? `${g.metadata.get('gen-rtl.dataset') ?? 'unknown'} test set`;
  for (const k of ['full', 'bipattern', 'refined'] as const) {
    const v = g.metadata.get(`gen-rtl.accuracy.${k}`);
    if (v === undefined) continue;
    const top1 = Number(v);
    if (!(top1 >= 0 && top1 <= 1) || !Number.isSafeInteger(count) || count < 0) {
      throw new GenRtlError(`${g.model.provenance.source}: metadata "gen-rtl.accuracy.${k}"`, `needs a fraction in 0..1 and "gen-rtl.accuracy.count" an image count; got ${JSON.stringify(v)} and ${JSON.stringify(g.metadata.get('gen-rtl.accuracy.count'))}`);
    }
    out[k] = { top1, count, dataset };
  }
  return out;
}

interface Agreement {
  readonly images: number;
  readonly sameClass: number;
  readonly fraction: number;
}

function agreement(fm: FloatModel, info: ModelInfo, images: readonly Pixels[]): Agreement {
  let same = 0;
  for (const px of images) if (runFloatModel(fm, px).class === runInteger(info, px).class) same++;
  return { images: images.length, sameClass: same, fraction: images.length ? same / images.length : 1 };
}

function renderQuant(r: QuantizeReport): string[] {
  const rows = [...r.binary.map((e) => ({ ...e, kind: 'binary' })), ...r.int8.map((e) => ({ ...e, kind: 'int8' }))];
  return rows.map((e) => `  ${e.kind.padEnd(6)} ${`${e.kernel}x${e.kernel}`.padEnd(5)} ${String(e.filters).padStart(6)} filters   ${e.relativeError > 0 && e.relativeError < 1e-3 ? e.relativeError.toExponential(2) : e.relativeError.toFixed(4)}`);
}

export function importCmd(io: CliIo, a: ImportArgs): void {
  positiveInt(a.calibLimit, '--calib-limit');
  positiveInt(a.evalLimit, '--eval-limit');
  if ((a.evalImages === undefined) !== (a.evalLabels === undefined)) throw new GenRtlError('--eval', 'give both --eval IMAGES and --eval-labels LABELS');
  if (existsSync(a.out) && !a.force) throw new GenRtlError(a.out, 'exists; pass --force to replace it');

  const g = loadOnnx(a.onnx, a);
  const progress = (s: string): void => {
    if (!a.json) io.stderr(`${s}\n`);
  };
  const calib = calibrationImages(a, g.model);
  progress(`calibrating on ${calib.images.length} image(s)`);
  const q = quantize(g.model, { binarize: a.binarize, calibration: calib.images });
  const agree = agreement(g.model, q.info, calib.images);

  const accuracy: { -readonly [K in keyof Model['provenance']['accuracy']]: ProvenanceAccuracy } = { ...recipeAccuracies(g) };
  if (a.evalImages !== undefined && a.evalLabels !== undefined) {
    const data = loadLabeledImages(a.evalImages, a.evalLabels, a.evalLimit);
    const dataset = `${basename(a.evalImages)} (first ${data.count})`;
    progress(`measuring the float model on ${data.count} image(s)`);
    const f = measureAccuracy(data, floatModelClassifier(g.model)).score;
    progress(`measuring the integer model on ${data.count} image(s)`);
    const i = measureAccuracy(data, referenceClassifier(q.info, 'integer')).score;
    accuracy.float = { top1: f.accuracy, count: f.count, dataset };
    accuracy.integer = { top1: i.accuracy, count: i.count, dataset };
  }
  // The importer's own notes (merged blocks, folded batch norms) are in the provenance already.
  const notes = [
    ...q.model.provenance.notes,
    `binarize ${a.binarize}; activation scales calibrated on ${calib.source}`,
    `float vs integer on the calibration images: same class on ${agree.sameClass} of ${agree.images}`,
  ];
  const model: Model = { ...q.model, provenance: { ...q.model.provenance, accuracy, notes } };
  const info = analyze(model);
  const bytes = writeModel(info);
  writeFileAtomic(a.out, bytes);

  const result = {
    onnx: a.onnx,
    out: a.out,
    model: model.name,
    opset: g.opset,
    producer: g.producer,
    layers: model.layers.length,
    binarize: a.binarize,
    quantization: q.report,
    calibration: { source: calib.source, images: calib.images.length },
    agreement: agree,
    accuracy,
    notes,
    sizeBytes: bytes.length,
  };
  if (a.json) {
    printJson(io, result);
    return;
  }
  const kinds = new Map<string, number>();
  for (const l of model.layers) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
  const lines = [
    `imported ${a.onnx} (${g.producer || 'unknown producer'}, opset ${g.opset}): ${model.layers.length} layers (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`,
    ...g.notes.map((n) => `  ${n}`),
    'quantization error |W - What|^2 / |W|^2 per kernel size (paper Table 1):',
    ...renderQuant(q.report),
    `calibration: ${calib.source}`,
    `float vs integer on those images: same class on ${agree.sameClass}/${agree.images} (${percent(agree.fraction)})`,
  ];
  for (const k of ['full', 'bipattern', 'refined', 'float', 'integer'] as const) {
    const acc = accuracy[k];
    if (acc) lines.push(`accuracy ${k.padEnd(9)} ${percent(acc.top1).padStart(7)} on ${acc.count} images of ${acc.dataset}${k === 'full' || k === 'bipattern' || k === 'refined' ? ' (training recipe)' : ''}`);
  }
  lines.push(`wrote ${a.out}: ${model.name}, ${bytes.length.toLocaleString('en-US')} bytes`);
  io.stdout(`${lines.join('\n')}\n`);
}

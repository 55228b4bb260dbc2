/**
 * `gen-rtl run MODEL --dataset IMAGES --labels LABELS`: a classifier's top-1
 * accuracy on a labelled data set, with a per-class breakdown and the most
 * frequent confusions. Nothing goes to stdout before the result; progress goes
 * to stderr on a terminal.
 */
import { readModelFile } from '../format/model-file.js';
import { loadLabeledImages } from '../io/dataset.js';
import { isOnnxPath, loadOnnx } from '../onnx/file.js';
import { floatModelClassifier, measureAccuracy, referenceClassifier, type Accuracy, type Classifier, type ReferenceKind } from '../reference/accuracy.js';
import { GenRtlError } from '../util/errors.js';
import { printJson, type CliIo } from './io.js';

export interface RunDatasetArgs {
  readonly model: string;
  readonly dataset: string;
  readonly labels: string;
  readonly limit: number | undefined;
  readonly float: boolean;
  readonly json: boolean;
}

/** `--limit`: a positive integer, when given. */
export function checkLimit(limit: number | undefined): number | undefined {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) throw new GenRtlError('--limit', `must be a positive integer, got ${limit}`);
  return limit;
}

/** An .onnx model runs only as its unquantized float self. */
export function checkOnnxFloat(model: string, float: boolean): boolean {
  if (!isOnnxPath(model)) return false;
  if (!float) throw new GenRtlError(model, 'an ONNX model runs only with --float (the unquantized float network); for the integer model import it first: gen-rtl import MODEL.onnx --out MODEL.sepb');
  return true;
}

/** The classifier `run` measures: the model file's integer or float reference, or an ONNX file's float network. */
function classifierFor(model: string, reference: ReferenceKind): Classifier {
  if (checkOnnxFloat(model, reference === 'float')) return floatModelClassifier(loadOnnx(model, { binarize: 'none' }).model);
  return referenceClassifier(readModelFile(model), reference);
}

export function runDatasetCmd(io: CliIo, a: RunDatasetArgs): void {
  const limit = checkLimit(a.limit);
  const reference: ReferenceKind = a.float ? 'float' : 'integer';
  const classifier = classifierFor(a.model, reference);
  const data = loadLabeledImages(a.dataset, a.labels, limit);
  const start = process.hrtime.bigint();
  const showProgress = io.isTty && !a.json && data.count >= 1000;
  const { score } = measureAccuracy(data, classifier, {
    ...(showProgress ? { progress: (done: number, total: number) => io.stderr(`${done}/${total} images...\n`) } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const imagesPerSecond = Math.round(data.count / Math.max(seconds, 1e-9));
  if (a.json) {
    printJson(io, {
      model: classifier.model,
      dataset: a.dataset,
      labels: a.labels,
      reference,
      count: score.count,
      correct: score.correct,
      accuracy: score.accuracy,
      perClass: score.perClass,
      topConfusions: score.topConfusions,
      confusion: score.confusion,
      seconds,
      imagesPerSecond,
    });
    return;
  }
  io.stdout(`${reference} reference, ${classifier.model}, ${data.count} image${data.count === 1 ? '' : 's'} of ${a.dataset} (labels ${a.labels})\n`);
  io.stdout(renderAccuracy(score, classifier.classNames));
  io.stdout(`${seconds.toFixed(1)} s, ${imagesPerSecond.toLocaleString('en-US')} images/s\n`);
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** The accuracy, one line per class that has images, and the most frequent confusions. */
export function renderAccuracy(s: Accuracy, names: readonly string[] | null): string {
  const name = (c: number): string => (names?.[c] !== undefined ? `${c} (${names[c]})` : String(c));
  const lines = [`accuracy ${percent(s.accuracy)} (${s.correct}/${s.count})`];
  const rows = s.perClass.filter((c) => c.count > 0);
  const w = Math.max(5, ...rows.map((c) => name(c.class).length));
  lines.push(`  ${'class'.padEnd(w)}  ${'images'.padStart(7)}  ${'correct'.padStart(7)}  accuracy`);
  for (const c of rows) lines.push(`  ${name(c.class).padEnd(w)}  ${String(c.count).padStart(7)}  ${String(c.correct).padStart(7)}  ${percent(c.accuracy!).padStart(8)}`);
  if (s.topConfusions.length > 0) {
    lines.push(`most confused: ${s.topConfusions.map((c) => `${name(c.label)} as ${name(c.predicted)} ${c.count}x`).join('; ')}`);
  }
  if (s.missing > 0) lines.push(`no prediction for ${s.missing} image${s.missing === 1 ? '' : 's'} (counted as wrong)`);
  return `${lines.join('\n')}\n`;
}

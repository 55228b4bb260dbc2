/**
 * Top-1 accuracy of a classifier on a labelled data set. A classifier is any
 * function from uint8 pixels to a class index — the integer or the float
 * reference of a .sepb, or any other model with the same input — so the loop,
 * the checks and the scoring are shared by every caller (run --dataset, cosim
 * --labels). Predictions are scored on their own (scoreAccuracy) so classes
 * that come from elsewhere, such as the hardware's logits, are scored alike.
 */
import type { ModelInfo } from '../ir/analyze.js';
import { checkLabelRange, checkSetShape, type InputShape, type LabeledImages } from '../io/dataset.js';
import type { FloatModel } from '../quant/float-model.js';
import { runFloat } from './float.js';
import { runFloatModel } from './float-model.js';
import { runInteger } from './integer.js';
import type { Pixels } from './run.js';

export type ReferenceKind = 'integer' | 'float';

export interface Classifier {
  /** The model's name, for messages. */
  readonly model: string;
  readonly input: InputShape;
  readonly classes: number;
  /** Class names by index, or null when the model has none. */
  readonly classNames: readonly string[] | null;
  /** The class of one image: the first maximum of the logits (kernels.ts argmax). */
  classify(px: Pixels): number;
}

export interface ClassAccuracy {
  readonly class: number;
  /** Images labelled with this class. */
  readonly count: number;
  readonly correct: number;
  /** correct / count, null when no image has this label. */
  readonly accuracy: number | null;
}

/** Images of class `label` classified as `predicted`. */
export interface Confusion {
  readonly label: number;
  readonly predicted: number;
  readonly count: number;
}

export interface Accuracy {
  readonly count: number;
  readonly correct: number;
  /** correct / count, 0..1. */
  readonly accuracy: number;
  /** One entry per class of the model, in class order. */
  readonly perClass: readonly ClassAccuracy[];
  /** The most frequent errors, most frequent first (at most TOP_CONFUSIONS). */
  readonly topConfusions: readonly Confusion[];
  /** confusion[label][predicted] image counts, or null above CONFUSION_MATRIX_MAX_CLASSES classes. */
  readonly confusion: readonly (readonly number[])[] | null;
  /** Images with no prediction (hardware that sent no logits), counted as wrong. */
  readonly missing: number;
}

export const TOP_CONFUSIONS = 5;
/** A dense matrix over more classes than this would dwarf the rest of the result. */
export const CONFUSION_MATRIX_MAX_CLASSES = 100;

/** The .sepb's integer reference (the golden model) or its float reference, as a classifier. */
export function referenceClassifier(info: ModelInfo, reference: ReferenceKind): Classifier {
  const run = reference === 'float' ? runFloat : runInteger;
  return {
    model: info.model.name,
    input: info.input,
    classes: info.model.classes.length,
    classNames: info.model.classes,
    classify: (px) => run(info, px).class,
  };
}

/** Scores predictions (null: none was made) against labels; every label must be below `classes`. */
export function scoreAccuracy(predicted: ArrayLike<number | null>, labels: ArrayLike<number>, classes: number): Accuracy {
  const count = labels.length;
  if (predicted.length !== count) throw new Error(`scoreAccuracy: ${predicted.length} predictions for ${count} labels`);
  const perCount = new Array<number>(classes).fill(0);
  const perCorrect = new Array<number>(classes).fill(0);
  // Sparse, so a thousand classes cost nothing; the dense matrix is built from it when small.
  const pairs = new Map<number, number>();
  let correct = 0;
  let missing = 0;
  for (let i = 0; i < count; i++) {
    const label = labels[i]!;
    const p = predicted[i] ?? null;
    perCount[label]!++;
    if (p === null) {
      missing++;
      continue;
    }
    if (p === label) {
      correct++;
      perCorrect[label]!++;
    }
    const key = label * classes + p;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  }
  const confusions = [...pairs]
    .map(([key, n]) => ({ label: Math.floor(key / classes), predicted: key % classes, count: n }))
    .filter((c) => c.label !== c.predicted)
    .sort((a, b) => b.count - a.count || a.label - b.label || a.predicted - b.predicted);
  let confusion: number[][] | null = null;
  if (classes <= CONFUSION_MATRIX_MAX_CLASSES) {
    confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    for (const [key, n] of pairs) confusion[Math.floor(key / classes)]![key % classes] = n;
  }
  return {
    count,
    correct,
    accuracy: count === 0 ? 0 : correct / count,
    perClass: perCount.map((n, c) => ({ class: c, count: n, correct: perCorrect[c]!, accuracy: n === 0 ? null : perCorrect[c]! / n })),
    topConfusions: confusions.slice(0, TOP_CONFUSIONS),
    confusion,
    missing,
  };
}

export interface AccuracyOptions {
  /** Called every `progressEvery` images (default 1000) and after the last. */
  readonly progress?: (done: number, total: number) => void;
  readonly progressEvery?: number;
}

export interface AccuracyRun {
  readonly score: Accuracy;
  /** The class of each image used. */
  readonly predicted: Int32Array;
}

/**
 * Classifies the data set's images and scores them. Shapes and label values
 * are checked before the first image is classified, so a long run cannot fail
 * at its end for a problem visible at its start.
 */
export function measureAccuracy(data: LabeledImages, classifier: Classifier, opts: AccuracyOptions = {}): AccuracyRun {
  checkSetShape(data.images, classifier.input, classifier.model);
  checkLabelRange(data, classifier.classes, classifier.model);
  const every = opts.progressEvery ?? 1000;
  const predicted = new Int32Array(data.count);
  for (let i = 0; i < data.count; i++) {
    predicted[i] = classifier.classify(data.images.image(i));
    if (opts.progress && ((i + 1) % every === 0 || i + 1 === data.count)) opts.progress(i + 1, data.count);
  }
  return { score: scoreAccuracy(predicted, data.labels, classifier.classes), predicted };
}

/** The unquantized float model (an imported ONNX file before binarization and int8) as a classifier. */
export function floatModelClassifier(fm: FloatModel): Classifier {
  const input = fm.layers[0]!;
  if (input.kind !== 'input') throw new Error(`float model "${fm.name}" does not start with its input`);
  return {
    model: fm.name,
    input: { height: input.height, width: input.width, channels: input.channels },
    classes: fm.classes.length,
    classNames: fm.classes,
    classify: (px) => runFloatModel(fm, px).class,
  };
}

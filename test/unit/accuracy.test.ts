/**
 * Data set accuracy: labelled sets from IDX, NPY and folders of PNGs (with
 * IDX or text labels), the scoring, and every refusal — too few labels,
 * labels the model cannot output, images of the wrong shape — naming the
 * file and the problem.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosimAccuracy, renderCosimAccuracy } from '../../generator/cli/commands.js';
import { loadLabeledImages } from '../../generator/io/dataset.js';
import { loadImageSet } from '../../generator/io/images.js';
import { measureAccuracy, referenceClassifier, scoreAccuracy, type Classifier } from '../../generator/reference/accuracy.js';
import { runFloat } from '../../generator/reference/float.js';
import { runInteger } from '../../generator/reference/integer.js';
import type { Pixels } from '../../generator/reference/run.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { naturalCompare } from '../../generator/util/natural-order.js';
import { zooModel } from '../../generator/zoo/index.js';

let dir = '';
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-accuracy-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(bytes: Uint8Array | string, name = `f${n++}.bin`, sub = dir): string {
  const path = join(sub, name);
  writeFileSync(path, bytes);
  return path;
}

function folder(): string {
  const d = join(dir, `folder${n++}`);
  mkdirSync(d);
  return d;
}

/** IDX ubyte: magic 0x0000 08 <ndims>, big-endian dims, data. */
function idx(dims: readonly number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x800 | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

/** NPY v1.0 of one-byte elements. */
function npyU8(shape: readonly number[], data: ArrayLike<number>): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(Array.from(data), 10 + header.length);
  return out;
}

/** An 8-bit gray PNG whose first pixel is `first`, the rest 0. */
function grayPng(h: number, w: number, first: number): Uint8Array {
  const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.alloc(h * w);
  png.data[0] = first;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** 2x2 gray images whose first pixel holds the class: a perfect classifier reads it back. */
function images2x2(firstPixels: readonly number[]): number[] {
  return firstPixels.flatMap((v) => [v, 0, 0, 0]);
}

function fake(classes: number, classify: (px: Pixels) => number = (px) => px.data[0]! % classes): Classifier {
  return { model: 'fake', input: { height: 2, width: 2, channels: 1 }, classes, classNames: null, classify };
}

function expectError(f: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GenRtlError);
  for (const p of patterns) expect((caught as Error).message).toMatch(p);
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('natural order of file names', () => {
  it('orders digit runs by value and is total', () => {
    const names = ['img-10.png', 'img-2.png', 'b.png', 'img-1.png', 'img-02.png', 'a10b2.png', 'a10b10.png', 'a9.png', 'IMG-3.png'];
    expect([...names].sort(naturalCompare)).toEqual(['IMG-3.png', 'a9.png', 'a10b2.png', 'a10b10.png', 'b.png', 'img-1.png', 'img-02.png', 'img-2.png', 'img-10.png']);
    expect(naturalCompare('x99999999999999999999.png', 'x100000000000000000000.png')).toBeLessThan(0);
  });
});

describe('scoreAccuracy', () => {
  it('counts per class, confusions most frequent first, and missing predictions as wrong', () => {
    const labels = [0, 0, 1, 1, 1, 2, 2];
    const predicted = [0, 1, 1, 0, 0, null, 2];
    const s = scoreAccuracy(predicted, labels, 4);
    expect(s.count).toBe(7);
    expect(s.correct).toBe(3);
    expect(s.accuracy).toBeCloseTo(3 / 7, 12);
    expect(s.missing).toBe(1);
    expect(s.perClass).toEqual([
      { class: 0, count: 2, correct: 1, accuracy: 0.5 },
      { class: 1, count: 3, correct: 1, accuracy: 1 / 3 },
      { class: 2, count: 2, correct: 1, accuracy: 0.5 },
      { class: 3, count: 0, correct: 0, accuracy: null },
    ]);
    expect(s.topConfusions).toEqual([
      { label: 1, predicted: 0, count: 2 },
      { label: 0, predicted: 1, count: 1 },
    ]);
    expect(s.confusion).toEqual([
      [1, 1, 0, 0],
      [2, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('leaves out the dense matrix for many classes, keeps the rest', () => {
    const s = scoreAccuracy([5, 999, 7], [5, 998, 8], 1000);
    expect(s.confusion).toBeNull();
    expect(s.correct).toBe(1);
    expect(s.topConfusions).toEqual([
      { label: 8, predicted: 7, count: 1 },
      { label: 998, predicted: 999, count: 1 },
    ]);
  });
});

describe('measureAccuracy on IDX, NPY and PNG folders', () => {
  const firsts = [0, 1, 2, 0, 4, 5, 1];
  const labels = [0, 1, 2, 1, 1, 2, 1];
  // With 3 classes the fake classifier says first % 3: 0 1 2 0 1 2 1 -> 6 of 7 right (image 3 wrong).

  it('IDX images and IDX labels, plain and gzipped', () => {
    for (const gz of [false, true]) {
      const z = (b: Uint8Array): Uint8Array => (gz ? gzipSync(b) : b);
      const data = loadLabeledImages(write(z(idx([7, 2, 2], images2x2(firsts)))), write(z(idx([7], labels))));
      const { score, predicted } = measureAccuracy(data, fake(3));
      expect(Array.from(predicted)).toEqual([0, 1, 2, 0, 1, 2, 1]);
      expect(score.count).toBe(7);
      expect(score.correct).toBe(6);
      expect(score.topConfusions).toEqual([{ label: 1, predicted: 0, count: 1 }]);
    }
  });

  it('NPY images and labels, --limit takes the first N, progress is reported', () => {
    const data = loadLabeledImages(write(npyU8([7, 2, 2], images2x2(firsts))), write(npyU8([7], labels)), 3);
    expect(data.count).toBe(3);
    const calls: [number, number][] = [];
    const { score } = measureAccuracy(data, fake(3), { progress: (d, t) => calls.push([d, t]), progressEvery: 2 });
    expect(score.count).toBe(3);
    expect(score.accuracy).toBe(1);
    expect(calls).toEqual([
      [2, 3],
      [3, 3],
    ]);
    // A limit over the set's size uses the whole set.
    expect(loadLabeledImages(write(npyU8([7, 2, 2], images2x2(firsts))), write(npyU8([7], labels)), 100).count).toBe(7);
  });

  it('a folder of PNGs in natural order of names, with CSV labels (header, comments, CRLF, extra columns)', () => {
    const d = folder();
    // Written in scrambled order; the set reads img-1, img-2, ..., img-10.
    const names = ['img-10.png', 'img-2.png', 'img-1.png', 'img-3.png'];
    const first: Record<string, number> = { 'img-1.png': 0, 'img-2.png': 1, 'img-3.png': 2, 'img-10.png': 3 };
    for (const f of names) write(grayPng(2, 2, first[f]!), f, d);
    write('not an image', 'notes.txt', d);
    write(grayPng(2, 2, 9), '.hidden.png', d);
    mkdirSync(join(d, 'sub.png'));
    const set = loadImageSet(d);
    expect(set.files).toEqual(['img-1.png', 'img-2.png', 'img-3.png', 'img-10.png']);
    expect(set.source(3)).toBe(join(d, 'img-10.png'));
    const csv = write('filename,label\r\n# the fourth is labelled 0 but reads 3\r\nimg-10.png,0,T-shirt\r\nimg-2.png,1\r\n\r\nimg-1.png,0\r\nimg-3.png,2\r\n', 'labels.csv');
    const data = loadLabeledImages(d, csv);
    expect(Array.from(data.labels)).toEqual([0, 1, 2, 0]);
    const { score, predicted } = measureAccuracy(data, fake(4));
    expect(Array.from(predicted)).toEqual([0, 1, 2, 3]);
    expect(score.correct).toBe(3);
    expect(score.topConfusions).toEqual([{ label: 0, predicted: 3, count: 1 }]);
  });

  it('a folder with blank-separated labels (as models/samples/labels.txt) or IDX labels in natural order', () => {
    const d = folder();
    for (const [f, v] of [['s-9.png', 2], ['s-10.png', 0], ['s-8.png', 1]] as const) write(grayPng(2, 2, v), f, d);
    const txt = write('s-8.png 1 Trouser\ns-9.png 2 Pullover\ns-10.png 0 T-shirt/top\n', 'labels.txt');
    expect(measureAccuracy(loadLabeledImages(d, txt), fake(3)).score.accuracy).toBe(1);
    const idxLabels = write(idx([3], [1, 2, 0]));
    expect(measureAccuracy(loadLabeledImages(d, idxLabels), fake(3)).score.accuracy).toBe(1);
    // A text label file only needs to cover the images used.
    const partial = write('s-8.png,1\ns-9.png,2\n', 'partial.csv');
    expect(loadLabeledImages(d, partial, 2).count).toBe(2);
    expectError(() => loadLabeledImages(d, partial), new RegExp(`${esc(partial)}: has no label for ${esc(join(d, 's-10.png'))} \\(image 2 of 3 used\\)`));
  });
});

describe('refusals name the file and the problem', () => {
  it('fewer labels than images used: both files and both counts', () => {
    const images = write(idx([5, 2, 2], images2x2([0, 1, 2, 0, 1])));
    const labels = write(idx([3], [0, 1, 2]));
    expectError(() => loadLabeledImages(images, labels), new RegExp(`^${esc(labels)}: holds 3 labels but 5 images of ${esc(images)} are used`));
    expect(loadLabeledImages(images, labels, 3).count).toBe(3);
  });

  it('a label the model cannot output: the index, the value and the class count', () => {
    const labels = write(npyU8([4], [0, 1, 7, 2]));
    const data = loadLabeledImages(write(idx([4, 2, 2], images2x2([0, 1, 2, 0]))), labels);
    expectError(() => measureAccuracy(data, fake(3)), new RegExp(`^${esc(labels)}: image 2 is labelled 7, but model "fake" has 3 classes \\(labels 0\\.\\.2\\)`));
    // Labels past the images used are not checked.
    expect(measureAccuracy(loadLabeledImages(write(idx([4, 2, 2], images2x2([0, 1, 2, 0]))), labels, 2), fake(3)).score.count).toBe(2);
  });

  it('images of another shape than the model takes: the file and both shapes', () => {
    const images = write(idx([2, 3, 2], new Array(12).fill(0)));
    const data = loadLabeledImages(images, write(idx([2], [0, 0])));
    expectError(() => measureAccuracy(data, fake(3)), new RegExp(`^${esc(images)}: holds images of 3x2x1 but model "fake" takes 2x2x1 \\(HxWxC\\)`));
  });

  it('a folder whose first PNG has the wrong shape, or a later PNG another shape than the first', () => {
    const d = folder();
    write(grayPng(3, 3, 0), 'a.png', d);
    write(grayPng(3, 3, 0), 'b.png', d);
    const labels = write('a.png,0\nb.png,0\n');
    expectError(() => measureAccuracy(loadLabeledImages(d, labels), fake(3)), new RegExp(`^${esc(join(d, 'a.png'))}: is 3x3x1 but model "fake" takes 2x2x1`));
    const e = folder();
    write(grayPng(2, 2, 0), 'a.png', e);
    write(grayPng(2, 3, 0), 'b.png', e);
    expectError(() => measureAccuracy(loadLabeledImages(e, labels), fake(3)), new RegExp(`^${esc(join(e, 'b.png'))}: is 2x3x1 but a\\.png, the folder's first image, is 2x2x1`));
  });

  it('text labels: a file not in the folder, a file twice, a bad label, no labels, or a non-folder image set', () => {
    const d = folder();
    write(grayPng(2, 2, 0), 'a.png', d);
    const stray = write('a.png,0\nb.png,1\n');
    expectError(() => loadLabeledImages(d, stray), new RegExp(`^${esc(stray)}: line 2: b\\.png is not a \\.png file in ${esc(d)}`));
    const twice = write('a.png,0\na.png,1\n');
    expectError(() => loadLabeledImages(d, twice), /line 2: a\.png is labelled twice \(also on line 1\)/);
    const bad = write('file,label\na.png,-1\n');
    expectError(() => loadLabeledImages(d, bad), /line 2: label "-1" of a\.png is not a non-negative integer/);
    const one = write('a.png\n');
    expectError(() => loadLabeledImages(d, one), /line 1: expected "FILE,LABEL" or "FILE LABEL", got "a\.png"/);
    const big = write('a.png,70000\n');
    expectError(() => loadLabeledImages(d, big), /line 1: label 70000 of a\.png is over 65535/);
    expectError(() => loadLabeledImages(d, write('# nothing\n\n')), /holds no labels/);
    const csv = write('a.png,0\n');
    const images = write(idx([1, 2, 2], [0, 0, 0, 0]));
    expectError(() => loadLabeledImages(images, csv), new RegExp(`^${esc(csv)}: is a text label file .* but ${esc(images)} is one file: give its labels as IDX1 or NPY`));
  });

  it('a label file that is binary but neither IDX nor NPY, and a .png that is not a PNG', () => {
    const images = write(idx([1, 2, 2], [0, 0, 0, 0]));
    const junk = write(Uint8Array.of(0xff, 0x00, 0x12, 0x34));
    expectError(() => loadLabeledImages(images, junk), new RegExp(`^${esc(junk)}: unrecognized format: the file is not an IDX1 or NPY label file`));
    const d = folder();
    write('hello', 'fake.png', d);
    expectError(() => loadImageSet(d), new RegExp(`^${esc(join(d, 'fake.png'))}: is named \\.png but is not a PNG file`));
  });
});

describe('referenceClassifier', () => {
  it('is the integer (or float) reference class of each image', () => {
    const { info } = zooModel('sepnet-tiny-28');
    const s = info.input;
    const px: Pixels = { ...s, data: Uint8Array.from({ length: s.height * s.width * s.channels }, (_, i) => (i * 37) & 255) };
    const c = referenceClassifier(info, 'integer');
    expect(c.classes).toBe(10);
    expect(c.input).toEqual({ height: 28, width: 28, channels: 1 });
    expect(c.classify(px)).toBe(runInteger(info, px).class);
    expect(referenceClassifier(info, 'float').classify(px)).toBe(runFloat(info, px).class);
  });
});

describe('cosim accuracy (hardware next to reference)', () => {
  it('scores both class lists; a disagreement or a missing output shows in the text', () => {
    const labels = [0, 1, 2, 1];
    const same = cosimAccuracy({ hardwareClasses: [0, 1, 1, 1], referenceClasses: [0, 1, 1, 1] }, labels, 3);
    expect(same).toEqual({ count: 4, hardware: 0.75, reference: 0.75, hardwareCorrect: 3, referenceCorrect: 3, classDisagreements: 0 });
    expect(renderCosimAccuracy(same)).toBe('accuracy on 4 images: hardware 75.0 % (3/4), integer reference 75.0 % (3/4)\n');
    const differ = cosimAccuracy({ hardwareClasses: [0, 2, null, 1], referenceClasses: [0, 1, 2, 1] }, labels, 3);
    expect(differ).toEqual({ count: 4, hardware: 0.5, reference: 1, hardwareCorrect: 2, referenceCorrect: 4, classDisagreements: 2 });
    expect(renderCosimAccuracy(differ)).toBe("accuracy on 4 images: hardware 50.0 % (2/4), integer reference 100.0 % (4/4); the hardware's class differs from the reference's on 2 images\n");
    // Equal accuracies can hide swapped errors: the disagreements still show.
    const swapped = cosimAccuracy({ hardwareClasses: [1, 1, 2, 1], referenceClasses: [0, 2, 2, 1] }, labels, 3);
    expect(swapped.hardwareCorrect).toBe(swapped.referenceCorrect);
    expect(swapped.classDisagreements).toBe(2);
  });
});

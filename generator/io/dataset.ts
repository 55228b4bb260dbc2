/**
 * A labelled data set: the first `count` images of an image set with their
 * labels, lined up. IDX1/NPY labels go by position (for a folder of PNGs, the
 * position in natural order of the file names); a text label file goes by
 * file name and only with a folder.
 */
import { oneLine } from '../format/container-layout.js';
import { GenRtlError } from '../util/errors.js';
import { loadImageSet, loadLabelFile, type ImageSet, type LabelFile } from './images.js';

export interface LabeledImages {
  readonly images: ImageSet;
  /** The images used: the first `count` of the set. */
  readonly count: number;
  /** labels[i] is the label of images.image(i), i < count. */
  readonly labels: Uint16Array;
  readonly labelsPath: string;
}

export interface InputShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** The first `limit` images (all of them without a limit) of `imagesPath` with their labels from `labelsPath`. */
export function loadLabeledImages(imagesPath: string, labelsPath: string, limit?: number): LabeledImages {
  const images = loadImageSet(imagesPath);
  const count = Math.min(images.count, limit ?? images.count);
  const labels = alignLabels(images, count, loadLabelFile(labelsPath), labelsPath);
  return { images, count, labels, labelsPath };
}

function alignLabels(images: ImageSet, count: number, file: LabelFile, labelsPath: string): Uint16Array {
  switch (file.kind) {
    case 'indexed': {
      if (file.labels.length < count) {
        throw new GenRtlError(
          labelsPath,
          `holds ${file.labels.length} label${file.labels.length === 1 ? '' : 's'} but ${count} images of ${images.path} are used; give a label per image (or fewer images with --limit)`,
        );
      }
      return file.labels.slice(0, count);
    }
    case 'named': {
      if (images.files === null) {
        throw new GenRtlError(
          labelsPath,
          `is a text label file (FILE,LABEL lines), which labels a folder of PNGs, but ${images.path} is one file: give its labels as IDX1 or NPY`,
        );
      }
      const byName = new Map(file.entries.map((e) => [e.file, e.label]));
      const inFolder = new Set(images.files);
      const stray = file.entries.find((e) => !inFolder.has(e.file));
      if (stray) throw new GenRtlError(labelsPath, `line ${stray.line}: ${oneLine(stray.file, 100)} is not a .png file in ${images.path}`);
      return Uint16Array.from({ length: count }, (_, i) => {
        const label = byName.get(images.files![i]!);
        if (label === undefined) throw new GenRtlError(labelsPath, `has no label for ${images.source(i)} (image ${i} of ${count} used)`);
        return label;
      });
    }
  }
}

/** A set whose images the model cannot take is refused up front, naming the file and both shapes. */
export function checkSetShape(images: ImageSet, want: InputShape, model: string): void {
  if (images.height === want.height && images.width === want.width && images.channels === want.channels) return;
  const have = `${images.height}x${images.width}x${images.channels}`;
  const what = images.files ? `is ${have}` : `holds images of ${have}`;
  throw new GenRtlError(images.source(0), `${what} but model "${model}" takes ${want.height}x${want.width}x${want.channels} (HxWxC)`);
}

/** Labels a model cannot output are refused up front, naming the image index. */
export function checkLabelRange(data: LabeledImages, classes: number, model: string): void {
  const i = data.labels.findIndex((l) => l >= classes);
  if (i < 0) return;
  const where = data.images.files ? ` (${data.images.files[i]})` : '';
  throw new GenRtlError(
    data.labelsPath,
    `image ${i}${where} is labelled ${data.labels[i]}, but model "${model}" has ${classes} classes (labels 0..${classes - 1})`,
  );
}

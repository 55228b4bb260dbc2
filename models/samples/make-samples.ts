/**
 * Regenerates the sample images shipped here: the first ten images of the
 * Fashion-MNIST test set (Debian's dataset-fashion-mnist), as 8-bit gray PNGs.
 * Run: npx tsx models/samples/make-samples.ts
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { loadImageSet, loadLabels } from '../../generator/io/images.js';
import { FASHION_CLASSES } from '../../generator/zoo/nets.js';

const DIR = '/usr/share/datasets/fashion-mnist';
const images = loadImageSet(`${DIR}/t10k-images-idx3-ubyte.gz`);
const labels = loadLabels(`${DIR}/t10k-labels-idx1-ubyte.gz`);
const lines: string[] = [];
for (let i = 0; i < 10; i++) {
  const img = images.image(i);
  const png = new PNG({ width: img.width, height: img.height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(img.data);
  writeFileSync(new URL(`fashion-${i}.png`, import.meta.url), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  lines.push(`fashion-${i}.png ${labels[i]} ${FASHION_CLASSES[labels[i]!]}`);
}
writeFileSync(new URL('labels.txt', import.meta.url), `${lines.join('\n')}\n`);

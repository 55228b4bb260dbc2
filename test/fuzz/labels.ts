/**
 * Label files as `--labels` reads them (loadLabelFile): text FILE,LABEL lines
 * for a PNG folder, IDX1 and NPY, plain or gzipped, each damaged as text
 * (edits, hostile lines) or as bytes.
 */
import { gzipSync } from 'node:zlib';
import { loadLabelFile } from '../../generator/io/images.js';
import { type FuzzRng, type FuzzTarget, mutateBytes, mutateText, scratchFile } from './harness.js';
import { idx, int32le, int64le, npy } from './image-files.js';

const TEXT_BASES: readonly string[] = [
  'filename,label\nimg-0.png,3\nimg-1.png,7\nimg-2.png,0\n',
  '# samples\nsample-a.png 4 coat\nsample-b.png 9 ankle-boot\n\nsample-c.png 0\n',
  'a.png,1\r\nb.png,2\r\n',
  '\uFEFFdir with space.png,5,shirt\nÜnï.png,6\n',
];

const BINARY_BASES: readonly Uint8Array[] = [
  idx([5], Uint8Array.of(0, 1, 2, 3, 9)),
  npy('<i8', [3], int64le([1, 65535, 0])),
  npy('<i4', [2], int32le([7, 8])),
  npy('|u1', [4], Uint8Array.of(1, 2, 3, 4)),
];

const TEXT_CHARS = [',', ' ', '\t', '\n', '\r', '#', '0', '9', '-', '+', '.', '"', 'é', '\uFEFF', '\u2028', '\u0000', 'x'];

/** Lines a hand-written label file might get wrong. */
const HOSTILE_LINES = [
  'img-0.png,65536',
  'img-0.png,99999999999999999999999',
  'img-0.png,-1',
  'img-0.png,1.5',
  'img-0.png,0x10',
  'img-0.png',
  ',3',
  'img-0.png,,3',
  'a "quoted\u2028name".png,2',
  'img-1.png,7',
  '\u0000,1',
  `${'x'.repeat(5000)}.png,1`,
];

function textCase(rng: FuzzRng): { kind: string; bytes: Uint8Array | string } {
  const base = rng.pick(TEXT_BASES);
  switch (rng.int(0, 3)) {
    case 0:
      return { kind: 'text-edit', bytes: mutateText(base, rng, TEXT_CHARS, rng.int(1, 4)) };
    case 1: {
      const lines = base.split('\n');
      lines.splice(rng.int(0, lines.length), 0, rng.pick(HOSTILE_LINES));
      return { kind: 'hostile-line', bytes: lines.join('\n') };
    }
    case 2:
      // Many lines: must stay fast.
      return { kind: 'many-lines', bytes: Array.from({ length: rng.int(500, 5000) }, (_, i) => `img-${i}.png,${rng.int(0, rng.chance(0.9) ? 9 : 70000)}`).join('\n') };
    default: {
      const m = mutateBytes(new TextEncoder().encode(base), rng);
      return { kind: `text-${m.kind}`, bytes: m.bytes };
    }
  }
}

export const labelsTarget: FuzzTarget = {
  name: 'labels (text/IDX1/NPY)',
  ciCases: 1500,
  make: (rng) => {
    let c: { kind: string; bytes: Uint8Array | string };
    if (rng.chance(0.6)) c = textCase(rng);
    else {
      const m = mutateBytes(rng.pick(BINARY_BASES), rng);
      c = { kind: `binary-${m.kind}`, bytes: m.bytes };
    }
    const bytes = rng.chance(0.1) ? gzipSync(c.bytes) : c.bytes;
    const path = scratchFile('labels.txt', bytes);
    return {
      kind: c.kind,
      run: () => {
        const f = loadLabelFile(path);
        const n = f.kind === 'indexed' ? f.labels.length : f.entries.length;
        if (n === 0) throw new Error('a label file was accepted with no labels');
        if (f.kind === 'named' && f.entries.some((e) => !Number.isInteger(e.label) || e.label < 0 || e.label > 65535 || e.file === '')) throw new Error('bad named label');
      },
    };
  },
};

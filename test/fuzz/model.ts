/**
 * Mutated .sepb files through the full model reader (readModel): truncated,
 * bit-flipped and random files, and resealed containers whose model JSON or
 * tensors were changed, so the model-level checks must catch them.
 */
import { readContainer, writeContainer, type Tensor } from '../../generator/format/container.js';
import { readModel, writeModel } from '../../generator/format/model-file.js';
import { zooModel } from '../../generator/zoo/index.js';
import { type FuzzRng, type FuzzTarget, mutateJson } from './harness.js';

/** Model-JSON values: the harness's hostile ones and names of real tensors. */
const MODEL_HOSTILE: readonly unknown[] = [0, -1, 1e9, 2 ** 31, 0.5, '', 'x', null, true, [], {}, 65537, -1e308, 'L0.bias', 'a\nb'];

function mutateTensor(t: Tensor, rng: FuzzRng): Tensor {
  const data = t.data.slice();
  const bytes = new Uint8Array(data.buffer);
  if (bytes.length > 0) bytes[rng.int(0, bytes.length - 1)] = rng.int(0, 255);
  if (t.dtype === 'bits' && bytes.length > 0) {
    // Keep the unused tail bits zero so the mutation reaches the model reader.
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count % 8) bytes[bytes.length - 1]! &= (1 << (count % 8)) - 1;
  }
  return { ...t, data };
}

let bases: readonly Uint8Array[] | undefined;

export const KINDS = ['truncate', 'flip', 'garbage', 'json', 'tensor'] as const;

export const modelTarget: FuzzTarget = {
  name: '.sepb model',
  ciCases: 1500,
  make: (rng, i) => {
    bases ??= ['sepnet-tiny-28', 'sepnet-tiny-32'].map((n) => writeModel(zooModel(n).info));
    const base = bases[i % bases.length]!;
    const kind = KINDS[i % KINDS.length]!;
    let bytes: Uint8Array;
    switch (kind) {
      case 'truncate':
        bytes = base.subarray(0, rng.int(0, base.length - 1));
        break;
      case 'flip':
        bytes = base.slice();
        bytes[rng.int(0, bytes.length - 1)]! ^= 1 << rng.int(0, 7);
        break;
      case 'garbage':
        bytes = rng.bytes(rng.int(0, 4096));
        break;
      default: {
        // Re-sealed: the checksum is valid, so the model-level checks must catch it.
        const { model, tensors } = readContainer(base, 'base');
        const list = [...tensors.values()];
        if (kind === 'json') {
          bytes = writeContainer(mutateJson(model, rng, MODEL_HOSTILE), list);
        } else {
          const j = rng.int(0, list.length - 1);
          list[j] = mutateTensor(list[j]!, rng);
          bytes = writeContainer(model, list);
        }
      }
    }
    return {
      kind,
      run: () => {
        readModel(bytes, 'fuzz.sepb');
        if (kind === 'truncate' || kind === 'flip' || kind === 'garbage') throw new Error(`a ${kind} file was accepted`);
      },
    };
  },
};

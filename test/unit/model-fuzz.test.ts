/**
 * Mutated .sepb files through the full model reader: every case must end in
 * a GenRtlError or a valid model, never another exception.
 */
import { describe, expect, it } from 'vitest';
import { readContainer, writeContainer, type Tensor } from '../../generator/format/container.js';
import { readModel, writeModel } from '../../generator/format/model-file.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { Prng } from '../../generator/util/prng.js';
import { zooModel } from '../../generator/zoo/index.js';

type Outcome = 'rejected' | 'accepted';

function attempt(bytes: Uint8Array): Outcome {
  try {
    readModel(bytes, 'fuzz.sepb');
    return 'accepted';
  } catch (e) {
    if (e instanceof GenRtlError && !e.message.includes('\n')) return 'rejected';
    throw e;
  }
}

/** Replaces a random leaf of a JSON value with a hostile one. */
function mutateJson(v: any, rng: Prng): any {
  const hostile = [0, -1, 1e9, 2 ** 31, 0.5, '', 'x', null, true, [], {}, 65537, -1e308, 'L0.bias'];
  if (Array.isArray(v) && v.length > 0 && rng.float() < 0.8) {
    const copy = [...v];
    const i = rng.int(0, copy.length - 1);
    const op = rng.int(0, 3);
    if (op === 0) copy.splice(i, 1);
    else if (op === 1) copy.push(copy[i]);
    else copy[i] = mutateJson(copy[i], rng);
    return copy;
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && rng.float() < 0.9) {
    const keys = Object.keys(v);
    if (keys.length === 0) return v;
    const k = keys[rng.int(0, keys.length - 1)]!;
    return { ...v, [k]: mutateJson(v[k], rng) };
  }
  if (typeof v === 'number' && rng.float() < 0.5) return v + rng.int(-3, 3);
  return hostile[rng.int(0, hostile.length - 1)];
}

function mutateTensor(t: Tensor, rng: Prng): Tensor {
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

describe('model reader fuzz', () => {
  it('ends every one of 1,500 mutated files in a clean error or a valid model', () => {
    const bases = ['sepnet-tiny-28', 'sepnet-tiny-32'].map((n) => writeModel(zooModel(n).info));
    const rng = new Prng(0xf022);
    const tally = new Map<string, number>();
    const count = (kind: string, o: Outcome): void => {
      tally.set(`${kind}/${o}`, (tally.get(`${kind}/${o}`) ?? 0) + 1);
    };
    for (let i = 0; i < 1500; i++) {
      const base = bases[i % bases.length]!;
      const kind = ['truncate', 'flip', 'garbage', 'json', 'tensor'][i % 5]!;
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
          bytes = Uint8Array.from({ length: rng.int(0, 4096) }, () => rng.int(0, 255));
          break;
        default: {
          // Re-sealed: the checksum is valid, so the model-level checks must catch it.
          const { model, tensors } = readContainer(base, 'base');
          const list = [...tensors.values()];
          if (kind === 'json') {
            bytes = writeContainer(mutateJson(model, rng), list);
          } else {
            const j = rng.int(0, list.length - 1);
            list[j] = mutateTensor(list[j]!, rng);
            bytes = writeContainer(model, list);
          }
        }
      }
      count(kind, attempt(bytes));
    }
    console.log('model fuzz outcomes:', Object.fromEntries([...tally.entries()].sort()));
    expect(tally.get('truncate/accepted') ?? 0).toBe(0);
    expect(tally.get('flip/accepted') ?? 0).toBe(0);
    expect(tally.get('garbage/accepted') ?? 0).toBe(0);
    expect(tally.get('json/rejected') ?? 0).toBeGreaterThan(100);
  });
});

import { describe, expect, it } from 'vitest';
import { readContainer, writeContainer, type Tensor } from '../../generator/format/container.js';
import { readModel, writeModel } from '../../generator/format/model-file.js';
import { runInteger } from '../../generator/reference/integer.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { syntheticImages, zooModel, zooNames } from '../../generator/zoo/index.js';

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe('model file round trip', () => {
  for (const name of zooNames()) {
    it(`${name}: write -> read -> write is byte-identical and the reference agrees`, () => {
      const { info } = zooModel(name);
      const first = writeModel(info);
      const back = readModel(first, `${name}.sepb`);
      expect(same(writeModel(back), first)).toBe(true);
      const s = info.input;
      const [img] = syntheticImages(s.height, s.width, s.channels, 1, 42);
      expect(Array.from(runInteger(back, img!).logits)).toEqual(Array.from(runInteger(info, img!).logits));
    });
  }

  it('the zoo is deterministic per seed and differs between seeds', () => {
    const a = writeModel(zooModel('sepnet-tiny-28', 7).info);
    const b = writeModel(zooModel('sepnet-tiny-28', 7).info);
    const c = writeModel(zooModel('sepnet-tiny-28', 8).info);
    expect(same(a, b)).toBe(true);
    expect(same(a, c)).toBe(false);
  });
});

/** Re-seals a tiny model after editing its description or tensors. */
function mutated(edit: (model: any, tensors: Map<string, Tensor>) => void): Uint8Array {
  const { model, tensors } = readContainer(writeModel(zooModel('sepnet-tiny-28').info), 't.sepb');
  const m = JSON.parse(JSON.stringify(model));
  const t = new Map(tensors);
  edit(m, t);
  return writeContainer(m, [...t.values()]);
}

function readError(bytes: Uint8Array): string {
  try {
    readModel(bytes, 'bad.sepb');
  } catch (e) {
    expect(e).toBeInstanceOf(GenRtlError);
    return (e as Error).message;
  }
  throw new Error('expected the model to be rejected');
}

describe('model file validation', () => {
  it('names the layer whose groups do not divide its channels', () => {
    const msg = readError(mutated((m) => (m.layers[1].geom.groups = 3)));
    expect(msg).toMatch(/bad\.sepb: layer "conv1" \(binconv\): groups \(3\) must divide/);
  });

  it('rejects a tensor whose shape disagrees with the graph', () => {
    const msg = readError(
      mutated((m) => {
        m.layers[1].outChannels = 8;
      }),
    );
    expect(msg).toMatch(/layer "conv1" \(binconv\) patterns: tensor "L1.patterns" has shape \[16, 1, 3, 3\], the graph implies \[8, 1, 3, 3\]/);
  });

  it('rejects a missing, a reused and an unused tensor', () => {
    expect(readError(mutated((m) => (m.layers[1].alpha = 'nope')))).toMatch(/refers to tensor "nope", which the file does not hold/);
    expect(readError(mutated((m) => (m.layers[1].floatBias = m.layers[1].alpha)))).toMatch(/already used/);
    expect(
      readError(
        mutated((_m, t) => {
          t.set('extra', { name: 'extra', dtype: 'int8', shape: [1], data: new Int8Array(1) });
        }),
      ),
    ).toMatch(/tensor "extra" is not used by any layer/);
  });

  it('rejects schema violations with the JSON path', () => {
    expect(readError(mutated((m) => (m.layers[2].kind = 'lstm')))).toMatch(/model description\.layers\[2\]/);
    expect(readError(mutated((m) => (m.layers[1].geom.kernel = 2.5)))).toMatch(/layers\[1\]\.geom\.kernel/);
    expect(readError(mutated((m) => (m.classes = [])))).toMatch(/model description\.classes/);
    expect(readError(mutated((m) => (m.extra = 1)))).toMatch(/model description/);
  });

  it('rejects absurd dimensions without allocating them', () => {
    const msg = readError(
      mutated((m) => {
        m.layers[0].height = 4096;
        m.layers[0].width = 4096;
      }),
    );
    expect(msg).toMatch(/bad\.sepb/);
    expect(readError(mutated((m) => (m.layers[0].height = 1e9)))).toMatch(/height must be an integer in 1\.\.4096/);
  });

  it('rejects graph errors: unknown input, wrong arity, output not last', () => {
    expect(readError(mutated((m) => (m.layers[3].inputs = ['ghost'])))).toMatch(/input "ghost" is not an earlier layer/);
    expect(readError(mutated((m) => (m.layers[7].inputs = [m.layers[7].inputs[0]])))).toMatch(/takes two inputs, got 1/);
    expect(readError(mutated((m) => (m.output = 'conv1')))).toMatch(/layer "fc" \(fc\): output must be 8-bit/);
    expect(readError(mutated((m) => (m.output = 'ghost')))).toMatch(/output "ghost" is not a layer/);
  });

  it('rejects a pattern tensor with a wrong dtype and out-of-range requant values', () => {
    expect(
      readError(
        mutated((_m, t) => {
          const p = t.get('L1.patterns')!;
          t.set('L1.patterns', { name: p.name, dtype: 'uint8', shape: p.shape, data: new Uint8Array(144) });
        }),
      ),
    ).toMatch(/is uint8, expected bits/);
    expect(
      readError(
        mutated((_m, t) => {
          const s = t.get('L1.shift')!;
          t.set('L1.shift', { ...s, data: new Uint8Array(16).fill(60) });
        }),
      ),
    ).toMatch(/shift must be at most 47/);
  });
});

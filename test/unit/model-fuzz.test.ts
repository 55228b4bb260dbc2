/**
 * Mutated .sepb files through the full model reader (test/fuzz/model.ts):
 * every case must end in a GenRtlError or a valid model, never another
 * exception; truncated, flipped and random files are never valid.
 */
import { describe, expect, it } from 'vitest';
import { readContainer, writeContainer } from '../../generator/format/container.js';
import { readModel, writeModel } from '../../generator/format/model-file.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { zooModel } from '../../generator/zoo/index.js';
import { runFuzz, summary } from '../fuzz/harness.js';
import { modelTarget } from '../fuzz/model.js';

describe('model reader fuzz', () => {
  it('ends every one of 1,500 mutated files in a clean error or a valid model', () => {
    const s = runFuzz(modelTarget, modelTarget.ciCases, 0xf022);
    console.log(summary(s), Object.fromEntries(s.byKind));
    expect(s.crashes).toEqual([]);
    expect(s.cases).toBe(1500);
    expect(s.byKind.get('json')!.rejected).toBeGreaterThan(100);
    expect(s.byKind.get('tensor')!.rejected).toBeGreaterThan(20);
  });
});

describe('regressions found by fuzzing', () => {
  /** The message readModel gives for the tiny model with its description edited by `edit`. */
  function messageFor(edit: (model: Record<string, any>) => void): string {
    const { model, tensors } = readContainer(writeModel(zooModel('sepnet-tiny-28').info), 'base');
    edit(model as Record<string, any>);
    try {
      readModel(writeContainer(model, [...tensors.values()]), 'm.sepb');
    } catch (e) {
      if (e instanceof GenRtlError) return e.message;
      throw e;
    }
    throw new Error('accepted');
  }

  it('refuses names with line breaks in the schema, before they reach a message', () => {
    expect(messageFor((m) => (m['output'] = 'a\nb'))).toBe('m.sepb: model description.output: must not hold control characters or line breaks');
    expect(messageFor((m) => (m['layers'][1].name = 'conv\u2028x'))).toBe('m.sepb: model description.layers[1].name: must not hold control characters or line breaks');
  });

  it('refuses more requant multipliers than the layer kind takes', () => {
    const m = messageFor((m) => {
      const l = (m['layers'] as { requant?: { mult: string[] } }[]).find((x) => x.requant?.mult.length === 1)!;
      l.requant!.mult.push(l.requant!.mult[0]!);
    });
    expect(m).toMatch(/^m\.sepb: layer "\w+" \(\w+\): requant\.mult has 2 entries; a \w+ layer takes 1$/);
  });

  it('reads a Node Buffer (whose slice is a view, not a copy) like a Uint8Array', () => {
    const bytes = writeModel(zooModel('sepnet-tiny-28').info);
    const a = readContainer(bytes, 'a');
    const b = readContainer(Buffer.from(bytes), 'b');
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
    for (const [k, t] of a.tensors) expect(b.tensors.get(k)!.data, k).toEqual(t.data);
  });

  it('escapes unknown keys from the file', () => {
    const m = messageFor((m) => (m['provenance']['a\nb'] = 1));
    expect(m).toBe('m.sepb: model description.provenance: Unrecognized key: "a\\u000ab"');
  });
});

/**
 * Mutation fuzzing of the .sepb reader (test/fuzz/container.ts): every input
 * must end in a GenRtlError or, for mutations that recompute the checksum and
 * happen to stay valid, in a successful read that writes back unchanged.
 * Anything else (TypeError, RangeError, a hang) is a bug.
 */
import { describe, expect, it } from 'vitest';
import { readContainer } from '../../generator/format/container.js';
import { BASES, SRC, containerTarget } from '../fuzz/container.js';
import { runFuzz, summary } from '../fuzz/harness.js';

const SEED = 0x5eb0_2024;

describe('container fuzzing', () => {
  it('every mutated file yields a GenRtlError or, when resealed and still valid, a successful read', () => {
    for (const b of BASES) expect(readContainer(b.file, SRC).tensors).toBeDefined();
    const s = runFuzz(containerTarget, containerTarget.ciCases, SEED);
    console.log(
      `${summary(s)}\n` +
        [...s.byKind].map(([kind, c]) => `  ${kind.padEnd(22)} GenRtlError ${String(c.rejected).padStart(4)}  ok ${String(c.accepted).padStart(4)}`).join('\n'),
    );
    // Unsealed mutations that read, and files that change when written back, are crashes too.
    expect(s.crashes).toEqual([]);
    expect(s.cases).toBeGreaterThanOrEqual(3500);
    for (const kind of ['truncate', 'flip-1-bit', 'flip-n-bits', 'overwrite-bytes', 'header-field']) expect(s.byKind.get(kind)!.accepted, kind).toBe(0);
    // The JSON and blob mutations must reach the later checks, not only the checksum.
    expect(s.byKind.get('json-structure')!.accepted).toBeGreaterThan(0);
    expect(s.byKind.get('blob')!.accepted).toBeGreaterThan(0);
    expect(s.rules.size).toBeGreaterThanOrEqual(30);
    if (process.env['SEPB_FUZZ_RULES']) console.log([...s.rules].sort().join('\n'));
  });
});

/**
 * Mutated ONNX files through the importer and, when it accepts them, the
 * quantizer (test/fuzz/onnx.ts): every case must end in a one-line GenRtlError
 * or a valid model, never another exception, and quickly.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz, summary } from '../fuzz/harness.js';
import { onnxTarget } from '../fuzz/onnx.js';

/** CI runs 1,500 cases; GEN_RTL_FUZZ_CASES=N runs more (or npm run fuzz). */
const CASES = Number(process.env['GEN_RTL_FUZZ_CASES'] ?? onnxTarget.ciCases);

describe('ONNX importer fuzz', () => {
  it(`ends every one of ${CASES} mutated files in a clean error or a valid model, each within 5 s`, () => {
    const s = runFuzz(onnxTarget, CASES, 2026);
    console.log(summary(s), Object.fromEntries(s.byKind));
    expect(s.crashes).toEqual([]);
    expect(s.cases).toBe(CASES);
    expect(s.rejected).toBeGreaterThan(CASES / 5);
    expect(s.byKind.get('graph')!.accepted).toBeGreaterThan(CASES / 20);
    expect(s.slowestMs).toBeLessThan(5000);
  });
});

/**
 * Fuzzing of the inputs that are not model files: label files, folding JSON
 * and device JSON (test/fuzz/). Every case must end in a valid parse or a
 * one-line GenRtlError naming the file and the problem, each within 5 s.
 */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { readFolding } from '../../generator/cli/commands.js';
import { loadLabelFile } from '../../generator/io/images.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { zooModel } from '../../generator/zoo/index.js';
import { devicesTarget } from '../fuzz/devices.js';
import { foldTarget } from '../fuzz/fold.js';
import { runFuzz, summary } from '../fuzz/harness.js';
import { labelsTarget } from '../fuzz/labels.js';
import { scratchFile } from '../fuzz/harness.js';

describe('input fuzzing', () => {
  // Per target: seed, and the least accepted, rejected and distinct messages (the mutations reach the deeper checks).
  it.each([
    { target: labelsTarget, seed: 7001, accepted: 100, rejected: 500, rules: 15 },
    { target: foldTarget, seed: 7002, accepted: 50, rejected: 700, rules: 10 },
    { target: devicesTarget, seed: 7003, accepted: 50, rejected: 700, rules: 20 },
  ])('$target.name: every case a valid parse or a one-line GenRtlError', ({ target, seed, accepted, rejected, rules }) => {
    const s = runFuzz(target, target.ciCases, seed);
    console.log(summary(s));
    expect(s.crashes).toEqual([]);
    expect(s.cases).toBe(target.ciCases);
    expect(s.accepted).toBeGreaterThan(accepted);
    expect(s.rejected).toBeGreaterThan(rejected);
    expect(s.rules.size).toBeGreaterThan(rules);
    expect(s.slowestMs).toBeLessThan(5000);
    expect(s.peakRssMb).toBeLessThan(1024);
  });
});

/** The message of the GenRtlError `f` throws. */
function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof GenRtlError) return e.message;
    throw e;
  }
  throw new Error('no error');
}

describe('regressions found by fuzzing: messages quoting the file stay on one line', () => {
  const oneLine = /^[^\n\r\u2028\u2029]+$/;

  it('a label file with a lone carriage return in a line', () => {
    const m = message(() => loadLabelFile(scratchFile('cr.txt', 'a.png,1\nb.\rpng,x\n')));
    expect(m).toMatch(/line 2: label "x" of b\.\\u000dpng is not a non-negative integer$/);
    expect(m).toMatch(oneLine);
  });

  it('a folding file: a syntax error near a newline, a stage name and a key with control characters', () => {
    const info = zooModel('sepnet-tiny-28').info;
    const fold = (text: string): string => message(() => readFolding(info, scratchFile('f.json', text)));
    const syntax = fold('{"stages": {\n "conv1": x\n}}');
    expect(syntax).toMatch(/f\.json: not valid JSON \(Unexpected token 'x', .*is not valid JSON\)$/);
    expect(syntax).toMatch(oneLine);
    const stage = fold(JSON.stringify({ stages: { 'conv1\nerror: injected': { pe: 1 } } }));
    expect(stage).toMatch(/f\.json: stage "conv1\\nerror: injected" is not a layer of model "sepnet-tiny-28"$/);
    const key = fold(JSON.stringify({ stages: { conv1: { 'si\tmd': 1 } } }));
    expect(key).toMatch(/f\.json: stages\.conv1: Unrecognized key: "si\\u0009md"$/);
    expect(key).toMatch(oneLine);
    expect(fold('')).toMatch(/f\.json: not valid JSON \(Unexpected end of JSON input\)$/);
    const folder = tmpdir();
    expect(message(() => readFolding(info, folder))).toBe(`${folder}: is a directory, not a folding JSON file`);
  });
});

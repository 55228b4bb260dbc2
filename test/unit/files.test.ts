/**
 * The atomic output writer (generator/util/files.ts): a run that fails while
 * writing leaves neither a half-written output nor its temporary directory,
 * and an output being replaced with --force survives the failure intact.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { GenRtlError } from '../../generator/util/errors.js';
import { writeTreeAtomic } from '../../generator/util/files.js';

let parent = '';
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'gen-rtl-files-'));
});

/** "a" as a file and as a folder: the second write fails half-way through the tree. */
const CLASHING = [
  { path: 'rtl/top.v', content: 'module top; endmodule\n' },
  { path: 'a', content: 'file' },
  { path: 'a/b.txt', content: 'under a file' },
];

function error(f: () => unknown): GenRtlError {
  try {
    f();
  } catch (e) {
    if (e instanceof GenRtlError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('writeTreeAtomic', () => {
  it('a failed write leaves no output and no temporary directory', () => {
    const out = join(parent, 'out');
    const e = error(() => writeTreeAtomic(out, CLASHING, false));
    expect(e.message).toMatch(/out: cannot write \(E[A-Z]+\)$/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a failed write over an existing output with force keeps the old output as it was', () => {
    const out = join(parent, 'out');
    writeTreeAtomic(out, [{ path: 'keep.txt', content: 'old run' }, { path: 'rtl/old.v', content: 'old' }], false);
    expect(() => writeTreeAtomic(out, CLASHING, true)).toThrow(GenRtlError);
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual(['keep.txt', 'rtl']);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('old run');
  });

  it('a successful write with force replaces the whole tree and leaves nothing beside it', () => {
    const out = join(parent, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'stale.v'), 'x');
    expect(error(() => writeTreeAtomic(out, [{ path: 'new.v', content: 'y' }], false)).message).toMatch(/is not empty; use --force to replace it$/);
    writeTreeAtomic(out, [{ path: 'new.v', content: 'y' }], true);
    expect(readdirSync(out)).toEqual(['new.v']);
    expect(readdirSync(parent)).toEqual(['out']);
  });
});

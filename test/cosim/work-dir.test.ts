/**
 * cosim's work directory: without `workDir`, a passing run removes its temporary directory (the
 * design and the simulator build) and a failing run keeps it, named in the result; with `workDir`
 * everything stays.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cosim } from '../../generator/cosim/cosim.js';
import { resolveFolding } from '../../generator/emit/fold.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';
import { HAVE_VERILATOR, negateFirstWeight, randomImages } from './helpers.js';

const { info } = microModel(MICRO_NETS.find((n) => n.name === 'int8-conv-1x1')!, 5);
const base = { simulator: 'verilator' as const, images: randomImages(info, 2, 3), folding: resolveFolding(info, undefined, 'default'), seed: 1, stall: 0.2, quickBuild: true };

/** Negates the first int8 weight of the DUT's ROM: the logits must differ. */
const plantFault = (designDir: string): void => negateFirstWeight(designDir, 'L1_dut_w0.hex');

describe.skipIf(!HAVE_VERILATOR)('cosim work directory', () => {
  it('a passing run without workDir removes its temporary directory', () => {
    let dir = '';
    const r = cosim(info, { ...base, afterGenerate: (d) => (dir = d) });
    expect(r.mismatches).toBe(0);
    expect(r.status).toBe('ok');
    expect(r.designDir).toBeNull();
    expect(dir).not.toBe('');
    expect(existsSync(dir)).toBe(false);
  });

  it('a failing run without workDir keeps it and names it', () => {
    const r = cosim(info, { ...base, afterGenerate: plantFault });
    expect(r.mismatches).toBeGreaterThan(0);
    expect(r.designDir).not.toBeNull();
    expect(existsSync(join(r.designDir!, 'filelist.f'))).toBe(true);
    rmSync(dirname(r.designDir!), { recursive: true, force: true });
  });

  it('with workDir everything stays', () => {
    const work = join(mkdtempSync(join(tmpdir(), 'gen-rtl-workdir-')), 'w');
    const r = cosim(info, { ...base, workDir: work });
    expect(r.mismatches).toBe(0);
    expect(r.designDir).toBe(join(work, 'design'));
    expect(existsSync(join(work, 'design', 'filelist.f'))).toBe(true);
    rmSync(dirname(work), { recursive: true, force: true });
  });
});

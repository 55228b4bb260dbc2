/**
 * `gen-rtl MODEL --out DIR --vendor ...` as a user runs it (the built CLI): which handoff
 * directories appear, and a bad --vendor is a usage error (exit 2) naming the allowed flows.
 * `npm test` builds dist/ first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let tiny: string;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-vendor-cli-'));
  tiny = join(dir, 'tiny.sepb');
  expect(cli('zoo', 'sepnet-tiny-28', '--out', tiny).code).toBe(0);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('gen-rtl generate --vendor', () => {
  it('writes vivado/, quartus/, yosys/ and README.md by default, each file in the manifest', () => {
    const out = join(dir, 'all');
    const r = cli(tiny, '--out', out, '--device', '5csema5');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'filelist.f', 'folding.json', 'manifest.json', 'mem', 'quartus', 'report.html', 'report.json', 'report.txt', 'rtl', 'vivado', 'yosys']);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const listed = new Set((m.files as { path: string }[]).map((f) => f.path));
    for (const p of ['vivado/build.tcl', 'vivado/constraints.xdc', 'vivado/package_ip.tcl', 'quartus/build.tcl', 'quartus/gr_top_sepnet_tiny_28.qsf', 'quartus/gr_top_sepnet_tiny_28.sdc', 'yosys/synth.ys', 'README.md']) {
      expect(listed.has(p), p).toBe(true);
      expect(existsSync(join(out, p)), p).toBe(true);
    }
    expect(m.handoff.quartus).toMatchObject({ family: 'Cyclone V', part: '5CSEMA5F31C6', note: null });
    expect(readFileSync(join(out, 'yosys', 'synth.ys'), 'utf8')).toMatch(/^synth_intel_alm -family cyclonev -top gr_top_sepnet_tiny_28$/m);
  });

  it('--vendor none writes none of them; a subset writes only those', () => {
    const none = join(dir, 'none');
    expect(cli(tiny, '--out', none, '--vendor', 'none').code).toBe(0);
    expect(readdirSync(none).sort()).toEqual(['filelist.f', 'folding.json', 'manifest.json', 'mem', 'rtl']);
    expect(JSON.parse(readFileSync(join(none, 'manifest.json'), 'utf8')).handoff).toBeUndefined();
    const some = join(dir, 'some');
    expect(cli(tiny, '--out', some, '--vendor', 'yosys,vivado').code).toBe(0);
    expect(readdirSync(some).sort()).toEqual(['README.md', 'filelist.f', 'folding.json', 'manifest.json', 'mem', 'rtl', 'vivado', 'yosys']);
  });

  it('an unknown flow is a usage error naming the allowed ones, and writes nothing', () => {
    const out = join(dir, 'bogus');
    const r = cli(tiny, '--out', out, '--vendor', 'vivado,bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gen-rtl: generate: --vendor has unknown flow "bogus"; give a comma-separated list of vivado, quartus, yosys, or none$/m);
    expect(existsSync(out)).toBe(false);
  });
});

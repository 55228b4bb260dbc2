/**
 * The byte-stream cores of the iCE40 pin wrapper (rtl/pins/gr_axis_to_bytes.v, rtl/pins/gr_bytes_to_axis.v):
 * `verilator --lint-only -Wall` for several widths (no output at all), an illegal width stopping
 * elaboration with the error module's name, sim/tb/tb_gr_axis_bytes.sv (a round trip W bits →
 * bytes → W bits with stalls on both ends, printing PASS or FAIL) under Verilator and Icarus, and the
 * pin wrapper (templates/ice40-pins.v.hbs) around a one- and a three-channel design, lint-clean.
 * Each group is skipped, with a notice, when its tool is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFolding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import { pinWrapper } from '../../generator/synth/ice40.js';
import { writeTreeAtomic } from '../../generator/util/files.js';
import { zooModel } from '../../generator/zoo/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PINS = join(ROOT, 'rtl', 'pins');
const CORES = ['gr_axis_to_bytes', 'gr_bytes_to_axis'].map((m) => join(PINS, `${m}.v`));
const TB = join(ROOT, 'sim', 'tb', 'tb_gr_axis_bytes.sv');

function canRun(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { encoding: 'utf8' }).error === undefined;
}
const HAVE_VERILATOR = canRun('verilator', ['--version']) && canRun('make', ['--version']);
const HAVE_IVERILOG = canRun('iverilog', ['-V']) && canRun('vvp', ['-V']);
if (!HAVE_VERILATOR) console.warn('NOTICE: verilator (or make) not found: byte-stream lint and Verilator runs are skipped');
if (!HAVE_IVERILOG) console.warn('NOTICE: iverilog (or vvp) not found: byte-stream Icarus runs are skipped');

function run(cmd: string, args: readonly string[], cwd = ROOT): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const work = mkdtempSync(join(tmpdir(), 'gen-rtl-byte-stream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Word widths: one byte (gr_bytes_to_axis is a wire), three (not a power of two), the logits' four. */
const WIDTHS = [8, 24, 32];

describe.skipIf(!HAVE_VERILATOR)('byte-stream cores: verilator --lint-only -Wall', () => {
  for (const top of ['gr_axis_to_bytes', 'gr_bytes_to_axis']) {
    for (const w of [...WIDTHS, 64]) {
      it(`${top} W=${w}`, () => {
        const r = run('verilator', ['--lint-only', '-Wall', '--top-module', top, `-GW=${w}`, join(PINS, `${top}.v`)]);
        expect(r.out).toBe('');
        expect(r.status).toBe(0);
      });
    }
    it(`${top} W=12 stops elaboration`, () => {
      const r = run('verilator', ['--lint-only', '-Wall', '--top-module', top, '-GW=12', join(PINS, `${top}.v`)]);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain(`gr_error_${top.replace(/^gr_/, '')}_w_must_be_a_multiple_of_8`);
    });
  }
});

describe.skipIf(!HAVE_VERILATOR)('the iCE40 pin wrapper: verilator --lint-only -Wall', () => {
  for (const name of ['sepnet-up5k', 'sepnet-tiny-32']) {
    it(`around ${name}`, () => {
      const info = zooModel(name).info;
      const { files, design } = generate(info, { folding: resolveFolding(info, undefined, 'default'), device: null, clockMhz: 100 });
      const out = join(work, `wrap-${name}`);
      writeTreeAtomic(out, files, true);
      const w = pinWrapper(design, info);
      for (const f of w.files) writeFileSync(join(out, f.path), f.content);
      expect(w.top).toBe(`${design.top}_bytes`);
      const sources = [...files.filter((f) => f.path.endsWith('.v')).map((f) => f.path), ...w.files.map((f) => f.path)];
      const r = run('verilator', ['--lint-only', '-Wall', '--top-module', w.top, ...sources], out);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

describe.skipIf(!HAVE_VERILATOR)('byte-stream cores: testbench under Verilator', () => {
  for (const w of WIDTHS) {
    it(`W=${w}`, () => {
      const obj = join(work, `verilator-${w}`);
      const b = run('verilator', ['--binary', '--timing', '-Mdir', obj, '--top-module', 'tb_gr_axis_bytes', `-GW=${w}`, '-o', 'sim', TB, ...CORES]);
      expect(b.status, b.out).toBe(0);
      expect(b.out, b.out).not.toMatch(/%Warning/);
      const r = run(join(obj, 'sim'), [], work);
      expect(r.status, r.out).toBe(0);
      expect(r.out, r.out).toMatch(/^PASS$/m);
      expect(r.out, r.out).not.toMatch(/FAIL/);
    }, 300_000);
  }
});

describe.skipIf(!HAVE_IVERILOG)('byte-stream cores: testbench under Icarus', () => {
  for (const w of WIDTHS) {
    it(`W=${w}`, () => {
      const vvp = join(work, `icarus-${w}.vvp`);
      const c = run('iverilog', ['-g2012', '-s', 'tb_gr_axis_bytes', `-Ptb_gr_axis_bytes.W=${w}`, '-o', vvp, TB, ...CORES]);
      expect(c.status, c.out).toBe(0);
      const r = run('vvp', ['-n', vvp], work);
      expect(r.status, r.out).toBe(0);
      expect(r.out, r.out).toMatch(/^PASS$/m);
      expect(r.out, r.out).not.toMatch(/FAIL/);
    });
  }
});

/**
 * Designs the folding optimizer chose, co-simulated through the CLI: bit-exact,
 * and the measured cycles per image within 10 % of the model the optimizer
 * planned with. Three images of a parallel design: the C++ compile is most of the time, so
 * `--quick-build` (-O0; the -O2 build is covered by tiny-nets.test.ts and the dataset tests).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldLimits, hasLineBuffer, hasRams, maxSpread } from '../../generator/emit/fold.js';
import { zooModel } from '../../generator/zoo/index.js';
import { HAVE_VERILATOR, cycleError } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'generator', 'cli', 'main.js');

function gen(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000 });
}

describe.skipIf(!HAVE_VERILATOR)('optimizer-chosen designs under Verilator', () => {
  const cases: { name: string; args: string[] }[] = [
    { name: 'sepnet-tiny-28', args: ['--device', 'xc7z020'] },
    { name: 'sepnet-tiny-32', args: ['--device', 'xc7z020'] },
    { name: 'sepnet-tiny-32', args: ['--device', 'xczu3eg', '--clock-mhz', '250', '--target-fps', '40000'] },
  ];
  for (const c of cases) {
    it(`gen-rtl cosim ${c.name}.sepb ${c.args.join(' ')}: bit-exact, cycles within 10 % of the plan`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-opt-'));
      const model = join(dir, `${c.name}.sepb`);
      expect(gen('zoo', c.name, '--out', model).status).toBe(0);
      // The report of the same options: what the optimizer planned.
      const rep = gen('report', model, ...c.args, '--json');
      expect(rep.status, rep.stderr).toBe(0);
      const plan = JSON.parse(rep.stdout);
      expect(plan.fits).toBe(true);
      expect(plan.folding).toMatch(/^optimizer: /);
      const r = gen('cosim', model, ...c.args, '--images', '3', '--quick-build', '--json', '--work', join(dir, 'work'));
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      console.log(`${c.name} ${c.args.join(' ')}: ${j.mismatches} mismatches, ${j.cyclesPerImage} cycles/image measured vs ${plan.cyclesPerImage} planned (${plan.bottleneck.stage}: ${plan.bottleneck.resource})`);
      expect(j.mismatches).toBe(0);
      // --quick-build reached the compiler.
      expect(readFileSync(join(dir, 'work', 'build-verilator', 'build.log'), 'utf8')).toMatch(/ OPT_FAST=-O0 /);
      expect(j.predictedCyclesPerImage).toBe(plan.cyclesPerImage);
      expect(cycleError(j.cyclesPerImage, plan.cyclesPerImage)).toBeLessThanOrEqual(0.1);
      if (c.args.includes('--target-fps')) expect(plan.fps).toBeGreaterThanOrEqual(40_000);
    });
  }

  it('every line buffer in LUT RAM or UltraRAM, every join FIFO in LUT RAM, every PRB spread: still bit-exact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-lutram-'));
    const model = join(dir, 'tiny.sepb');
    expect(gen('zoo', 'sepnet-tiny-28', '--out', model).status).toBe(0);
    expect(gen(model, '--out', join(dir, 'design'), '--device', 'xc7z020').status).toBe(0);
    const folding = JSON.parse(readFileSync(join(dir, 'design', 'folding.json'), 'utf8')) as { stages: Record<string, Record<string, unknown>> };
    const info = zooModel('sepnet-tiny-28').info;
    const withRams = info.layers.filter((l) => hasRams(l)).map((l) => l.layer.name);
    // Line buffers alternate between LUT RAM and UltraRAM; join FIFOs have LUT RAM only.
    const lineBuffers = info.layers.filter((l) => hasLineBuffer(l)).map((l) => l.layer.name);
    const inUram = lineBuffers.filter((_, i) => i % 2 === 1);
    expect(withRams.length).toBeGreaterThanOrEqual(4);
    expect(inUram.length).toBeGreaterThanOrEqual(2);
    for (const name of withRams) {
      Object.assign(folding.stages[name]!, inUram.includes(name) ? { uram: true, lutram: false } : { lutram: true });
      // The optimizer's join FIFO forms: LUT RAM means gr_fifo.
      if (!inUram.includes(name)) delete folding.stages[name]!.fifoWordBits;
    }
    // Every PRB stage on the tap core with its 1×1 branch spread as far as its SIMD allows.
    const prbs = info.layers.filter((l) => l.layer.kind === 'prb');
    expect(prbs.length).toBeGreaterThanOrEqual(2);
    for (const l of prbs) {
      const f = folding.stages[l.layer.name]! as { simd: number; window?: boolean; spread?: number };
      const simd = foldLimits(l)!.simd;
      Object.assign(f, { simd, window: false, spread: maxSpread(l, simd) });
      expect(f.spread, l.layer.name).toBeGreaterThan(1);
    }
    const file = join(dir, 'lutram.json');
    writeFileSync(file, JSON.stringify(folding));
    const r = gen('cosim', model, '--fold', file, '--images', '2', '--quick-build', '--json', '--work', join(dir, 'work'));
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.mismatches).toBe(0);
    expect(cycleError(j.cyclesPerImage, j.predictedCyclesPerImage)).toBeLessThanOrEqual(0.1);
    // One LB_LUTRAM or LB_URAM per line buffer, one LUTRAM per join FIFO: all set.
    const topFile = readdirSync(join(j.designDir, 'rtl')).find((f) => f.startsWith('gr_top_'))!;
    const top = readFileSync(join(j.designDir, 'rtl', topFile), 'utf8');
    const joins = info.layers.filter((l) => l.layer.inputs.length > 1);
    const expected = withRams.length - joins.length + joins.reduce((n, l) => n + l.layer.inputs.length, 0);
    expect(top.match(/\.(LB_)?LUTRAM\s*\(\s*1\s*\)/g)?.length).toBe(expected - inUram.length);
    expect(top.match(/\.LB_URAM\s*\(\s*1\s*\)/g)?.length).toBe(inUram.length);
    expect(top.match(/\.SPREAD\s*\(\s*[2-9]\s*\)/g)?.length).toBe(prbs.length);
  });
});

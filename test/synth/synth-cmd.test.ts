/**
 * `gen-rtl synth` end to end on one small design (the int8 1×1 micro network,
 * default folding, about a minute of Yosys): the JSON result, and the cost
 * model against the netlist within the closing bounds (DSP and BRAM36 equal,
 * LUT within ±15 %). Bad input fails before any synthesis with exit 1 or 2
 * and a one-line message.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../generator/format/model-file.js';
import { haveYosys } from '../../generator/synth/yosys.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';
import { cli } from '../tools.js';

const HAVE_YOSYS = haveYosys();
if (!HAVE_YOSYS) console.warn('NOTICE: yosys not found: the gen-rtl synth end-to-end check is skipped');

let dir: string;
let model: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-synth-cmd-'));
  model = join(dir, 'micro.sepb');
  writeFileSync(model, writeModel(microModel(MICRO_NETS.find((n) => n.name === 'int8-conv-1x1')!, 1).info));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('gen-rtl synth: bad input', () => {
  it('an unknown device exits 1 naming the known ones', async () => {
    const r = await cli('synth', model, '--tool', 'yosys', '--device', 'xc9z999');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: device "xc9z999": unknown; known devices: .*xc7z020/);
  });

  it('a missing model exits 1 naming the file', async () => {
    const missing = join(dir, 'nope.sepb');
    const r = await cli('synth', missing, '--device', 'xc7z020');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unsupported tool is a usage error (exit 2) naming the choices', async () => {
    const r = await cli('synth', model, '--tool', 'vivado', '--device', 'xc7z020');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tool/);
    expect(r.stderr).toMatch(/yosys/);
  });

  it('Arria 10 (no Yosys 0.23 flow) exits 1 naming the alternatives', async () => {
    const r = await cli('synth', model, '--device', '10ax115');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no Arria 10 flow.*Quartus.*5csema5/);
  });

  it('without Yosys on PATH it exits 1 saying so', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = dir;
    try {
      const r = await cli('synth', model, '--device', 'xc7z020');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: yosys: not found on PATH/);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('a bad --fold file exits 1', async () => {
    const r = await cli('synth', model, '--device', 'xc7z020', '--fold', join(dir, 'missing.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such file');
  });
});

describe.skipIf(!HAVE_YOSYS)('gen-rtl synth --tool yosys (Yosys synth_xilinx)', () => {
  it('prints estimate and synthesized counts; DSP and BRAM36 equal, LUT within ±15 %', async () => {
    const work = join(dir, 'work');
    // The default folding (one output channel per step), not the optimizer's choice for the device.
    const fold = join(dir, 'fold.json');
    writeFileSync(fold, '{"stages": {}}\n');
    const r = await cli('synth', model, '--tool', 'yosys', '--device', 'xc7z020', '--fold', fold, '--work', work, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.tool).toBe('yosys');
    expect(j.device).toBe('xc7z020');
    expect(j.folding).toContain(fold);
    for (const k of ['estimate', 'synthesized']) expect(Object.keys(j[k]).sort()).toEqual(['bram36', 'dsp', 'ff', 'lut']);
    console.log('gen-rtl synth micro int8-conv-1x1 on xc7z020:', JSON.stringify({ estimate: j.estimate, synthesized: j.synthesized }));
    expect(j.command).toMatch(/^synth_xilinx -flatten -family xc7 -top gr_top_/);
    expect(j.synthesized.dsp).toBeGreaterThan(0);
    expect(j.estimate.dsp).toBe(j.synthesized.dsp);
    expect(j.estimate.bram36).toBe(j.synthesized.bram36);
    expect(Math.abs(j.estimate.lut - j.synthesized.lut) / j.synthesized.lut).toBeLessThanOrEqual(0.15);
    // The log and the script stay in the work directory.
    expect(/Executing SYNTH_XILINX pass/.test(readFileSync(j.log, 'utf8')), `${j.log} logs the synthesis`).toBe(true);
    expect(readFileSync(join(work, 'synth.ys'), 'utf8')).toContain('stat -json');
  }, 600_000);
});

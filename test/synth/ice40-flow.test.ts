/**
 * `gen-rtl synth --tool ice40` (generator/synth/ice40.ts, docs/synthesis-handoff.md): the open
 * iCE40 UltraPlus flow end to end on sepnet-up5k (Yosys, nextpnr-ice40 at 24 MHz, icepack: a
 * bitstream, all 8 SB_MAC16, the clock met), and a model one int8 1×1 convolution bigger, which
 * must fail with exit 1 naming the DSPs and by how much. Also, without the tools: nextpnr's
 * utilization and fmax parsing, the fit messages, the SB_MAC16 product count, and the refusals.
 * The tool groups are skipped with a notice when nextpnr-ice40 or icepack is missing, except under
 * CI (CI set), where that fails.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../generator/format/model-file.js';
import { mulSbMac16 } from '../../generator/map/cost.js';
import { quantize } from '../../generator/quant/quantize.js';
import { fitProblems, haveIce40Tools, parseFmax, parseUtilization, pnrTarget } from '../../generator/synth/ice40.js';
import { haveYosys } from '../../generator/synth/yosys.js';
import { lookupDevice } from '../../generator/map/devices.js';
import { NetBuilder } from '../../generator/zoo/builder.js';
import { syntheticImages, zooModel } from '../../generator/zoo/index.js';
import { FASHION_CLASSES } from '../../generator/zoo/nets.js';
import { cli, need } from '../tools.js';

const HAVE_TOOLS = need('yosys', haveYosys(), 'the iCE40 flow checks') && need('nextpnr-ice40 and icepack', haveIce40Tools(), 'the iCE40 flow checks');

/** sepnet-up5k with one more stage, an int8 1×1 convolution of 16 channels: three SB_MAC16 more than the UP5K has. */
function tooBig(): Uint8Array {
  const b = new NetBuilder(1);
  let x = b.input(28, 28, 1, [0.286], [0.353]);
  x = b.prb('stem', x, 16, { stride: 2 });
  x = b.conv('mix', x, 16, 1);
  x = b.avgpool('pool', x);
  const out = b.fc('fc', x, 16, 10);
  const { info } = quantize(
    { name: 'sepnet-up5k-plus', classes: FASHION_CLASSES, layers: b.layers, output: out.name, provenance: { source: 'test', dataset: null, seed: 1, accuracy: {}, notes: [] } },
    { binarize: 'kxk', calibration: syntheticImages(28, 28, 1, 4, 1) },
  );
  return writeModel(info);
}

let dir: string;
let up5k: string;
let big: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-ice40-'));
  up5k = join(dir, 'sepnet-up5k.sepb');
  writeFileSync(up5k, writeModel(zooModel('sepnet-up5k').info));
  big = join(dir, 'sepnet-up5k-plus.sepb');
  writeFileSync(big, tooBig());
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// A nextpnr-ice40 0.4 log cut to what the parsers read: the utilization table and two timing lines.
const LOG = `Info: Packing constants..
Info: Device utilisation:
Info: \t         ICESTORM_LC:  5612/ 5280   106%
Info: \t        ICESTORM_RAM:     5/   30    16%
Info: \t               SB_IO:    24/   96    25%
Info: \t               SB_GB:     8/    8   100%
Info: \t        ICESTORM_DSP:    10/    8   125%
Info: \t      ICESTORM_SPRAM:     0/    4     0%

Info: Placed 0 cells based on constraints.
Info: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 16.09 MHz (FAIL at 24.00 MHz)
Warning: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 14.87 MHz (FAIL at 24.00 MHz)
ERROR: Unable to place cell 'u_rq.p0_SB_MAC16_O_DSP', no BELs remaining to implement cell type 'ICESTORM_DSP'
`;

describe('iCE40 flow: parsing and messages (no tools)', () => {
  it('reads the utilization table and the last fmax', () => {
    const u = parseUtilization(LOG);
    expect(u.get('ICESTORM_LC')).toEqual({ used: 5612, available: 5280 });
    expect(u.get('ICESTORM_DSP')).toEqual({ used: 10, available: 8 });
    expect(u.get('SB_IO')).toEqual({ used: 24, available: 96 });
    expect(parseFmax(LOG)).toBeCloseTo(14.87, 2);
    expect(parseFmax('Info: no timing here')).toBeNull();
  });

  it('names every resource over capacity and by how much', () => {
    const cells = new Map([
      ['SB_LUT4', 2939],
      ['SB_DFFE', 1466],
      ['SB_DFF', 500],
    ]);
    const p = fitProblems(parseUtilization(LOG), cells, 'up5k', pnrTarget(lookupDevice('up5k')), 'ERROR: Unable to place cell');
    expect(p).toEqual([
      'logic cells (LUT4 + flip-flop): needs 5,612 (Yosys: 2,939 SB_LUT4, 1,966 flip-flops), up5k has 5,280 (332 over)',
      'DSP (SB_MAC16): needs 10, up5k has 8 (2 over)',
    ]);
    const io = new Map([['SB_IO', { used: 48, available: 96 }]]);
    expect(fitProblems(io, cells, 'up5k', pnrTarget(lookupDevice('up5k')), 'ERROR: x')).toEqual(['I/O pins: needs 48, the SG48 package has 39 (9 over)']);
    expect(fitProblems(new Map(), cells, 'up5k', pnrTarget(lookupDevice('up5k')), 'ERROR: routing failed')).toEqual([
      'nextpnr-ice40 could not place and route the design: ERROR: routing failed',
    ]);
  });

  it('counts SB_MAC16 blocks as Yosys mul2dsp splits products (16 × 16, 2-bit and 11-bit minimums)', () => {
    expect(mulSbMac16(8, 9)).toBe(1); // an int8 product
    expect(mulSbMac16(16, 16)).toBe(1);
    expect(mulSbMac16(17, 16)).toBe(1); // the sign bit's row stays in LUTs
    expect(mulSbMac16(18, 16)).toBe(2);
    expect(mulSbMac16(33, 16)).toBe(2); // 16 + 16, and the 33rd bit in LUTs
    expect(mulSbMac16(34, 16)).toBe(3);
    expect(mulSbMac16(4, 6)).toBe(0); // a 10-bit product stays in LUTs
    expect(mulSbMac16(1, 16)).toBe(0);
  });

  it('--tool ice40 refuses a device it does not place, before any work', async () => {
    const r = await cli('synth', up5k, '--tool', 'ice40', '--device', 'xc7z020');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --tool ice40 --device xc7z020: the iCE40 flow places iCE40 UltraPlus devices/);
  });

  it('the fit report says sepnet-up5k fits the UP5K, with all 8 SB_MAC16', async () => {
    const r = await cli('report', up5k, '--device', 'up5k', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.fits).toBe(true);
    expect(j.totals.dsp).toBe(8);
    const b = await cli('report', big, '--device', 'up5k', '--json');
    expect(b.code).toBe(1);
    expect(JSON.parse(b.stdout).totals.dsp).toBe(11);
  });
});

describe.skipIf(!HAVE_TOOLS)('iCE40 flow: Yosys, nextpnr-ice40, icepack', () => {
  it('sepnet-up5k: a bitstream at 24 MHz, 8 SB_MAC16 as estimated', async () => {
    const work = join(dir, 'up5k');
    const t0 = Date.now();
    const r = await cli('synth', up5k, '--tool', 'ice40', '--device', 'up5k', '--clock-mhz', '24', '--work', work, '--json');
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    console.log(`gen-rtl synth --tool ice40 sepnet-up5k (${seconds.toFixed(0)} s):`, JSON.stringify({ resources: j.resources, fmaxMhz: j.fmaxMhz, bitstreamBytes: j.bitstreamBytes, seconds: j.seconds }));
    expect(j.tool).toBe('ice40');
    expect(j.device).toBe('up5k');
    expect(j.fits).toBe(true);
    expect(j.problems).toEqual([]);
    expect(Object.keys(j.resources)).toEqual(expect.arrayContaining(['lut', 'ff', 'dsp', 'bram']));
    expect(j.resources.dsp).toBe(8);
    expect(j.estimate.dsp).toBe(8);
    expect(j.resources.io).toBe(24);
    expect(j.resources.logicCells).toBeLessThanOrEqual(5280);
    expect(j.fmaxMhz).toBeGreaterThanOrEqual(24);
    expect(j.timingMet).toBe(true);
    expect(j.bitstream).toBe(join(work, 'gr_top_sepnet_up5k_bytes.bin'));
    expect(existsSync(j.bitstream)).toBe(true);
    // An iCE40UP5K image is 104,090 bytes whatever the design.
    expect(statSync(j.bitstream).size).toBe(104_090);
    expect(j.bitstreamBytes).toBe(104_090);
  }, 900_000);

  it('a model three SB_MAC16 too big: exit 1 naming the DSPs and the excess, no bitstream', async () => {
    const work = join(dir, 'big');
    const r = await cli('synth', big, '--tool', 'ice40', '--device', 'up5k', '--clock-mhz', '24', '--work', work, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: sepnet-up5k-plus does not fit up5k: .*DSP \(SB_MAC16\): needs 11, up5k has 8 \(3 over\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout);
    expect(j.fits).toBe(false);
    expect(j.bitstream).toBeNull();
    expect(j.fmaxMhz).toBeNull();
    expect(j.resources.dsp).toBe(11);
  }, 900_000);
});

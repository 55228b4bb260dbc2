/**
 * Post-synthesis co-simulation, `gen-rtl cosim --netlist` (generator/synth/netlist.ts,
 * docs/synthesis-handoff.md): the smallest designs that prove each netlist flow bit-exact against
 * the integer reference, with stalls, cycles as predicted. sepnet-up5k for the UP5K: its
 * bitstream's flow (synth_ice40 -dsp; SB_LUT4, SB_CARRY, SB_DFF, SB_MAC16 and SB_RAM40_4K models) under
 * Verilator; the int8 1×1 micro net without a device: Yosys' generic synth under Icarus. Skipped
 * with a notice when Yosys or the simulator is missing, except under CI (CI set), where that fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../generator/format/model-file.js';
import { haveYosys } from '../../generator/synth/yosys.js';
import { MICRO_NETS, microModel } from '../../generator/zoo/micro.js';
import { zooModel } from '../../generator/zoo/index.js';
import { HAVE_IVERILOG, HAVE_VERILATOR } from './helpers.js';
import { cli, need } from '../tools.js';

const HAVE_YOSYS = need('yosys', haveYosys(), 'the post-synthesis co-simulation checks');
const ICE40 = HAVE_YOSYS && need('verilator', HAVE_VERILATOR, 'the post-synthesis co-simulation checks');
const GENERIC = HAVE_YOSYS && need('iverilog', HAVE_IVERILOG, 'the post-synthesis co-simulation checks');

let dir: string;
let up5k: string;
let micro: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-netlist-'));
  up5k = join(dir, 'sepnet-up5k.sepb');
  writeFileSync(up5k, writeModel(zooModel('sepnet-up5k').info));
  micro = join(dir, 'micro.sepb');
  writeFileSync(micro, writeModel(microModel(MICRO_NETS.find((n) => n.name === 'int8-conv-1x1')!, 1).info));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('gen-rtl cosim --netlist: refusals', () => {
  it('Verilator on a generic netlist is refused before any synthesis, naming Icarus', async () => {
    const r = await cli('cosim', micro, '--netlist', '--sim', 'verilator', '--images', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --netlist --sim verilator: without a device the netlist is Yosys' generic one .*use --sim iverilog/);
  });
});

describe.skipIf(!ICE40)('gen-rtl cosim --netlist --device up5k (synth_ice40, Verilator)', () => {
  it('sepnet-up5k: the netlist of its bitstream flow is bit-exact, cycles as predicted', async () => {
    const t0 = Date.now();
    // --quick-build: three images of a gate-level netlist build in half the time at -O0 and run in 2 s.
    const r = await cli('cosim', up5k, '--netlist', '--device', 'up5k', '--images', '3', '--stall', '0.2', '--quick-build', '--work', join(dir, 'up5k'), '--json');
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    console.log(`cosim --netlist sepnet-up5k on up5k (${seconds.toFixed(0)} s): synthesis ${j.netlist.synthSeconds.toFixed(0)} s, build ${j.buildSeconds.toFixed(0)} s, run ${j.runSeconds.toFixed(1)} s`);
    expect(j.netlist.command).toBe('synth_ice40 -dsp -top gr_top_sepnet_up5k');
    expect(j.netlist.cellModels.some((m: string) => m.endsWith('ice40/cells_sim.v'))).toBe(true);
    expect(j.simulator).toBe('verilator');
    expect(j.images).toBe(3);
    expect(j.status).toBe('ok');
    expect(j.mismatches).toBe(0);
    expect(j.cyclesPerImage).toBe(j.predictedCyclesPerImage);
  }, 900_000);
});

describe.skipIf(!GENERIC)('gen-rtl cosim --netlist without a device (generic synth, Icarus)', () => {
  it('the int8 1×1 micro net: bit-exact, cycles as predicted', async () => {
    const t0 = Date.now();
    const r = await cli('cosim', micro, '--netlist', '--images', '3', '--stall', '0.2', '--work', join(dir, 'micro'), '--json');
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    console.log(`cosim --netlist micro int8-conv-1x1 (${seconds.toFixed(0)} s): synthesis ${j.netlist.synthSeconds.toFixed(0)} s, build ${j.buildSeconds.toFixed(0)} s, run ${j.runSeconds.toFixed(1)} s`);
    expect(j.netlist.command).toBe('synth -flatten -top gr_top_micro_int8_conv_1x1');
    expect(j.simulator).toBe('iverilog');
    expect(j.status).toBe('ok');
    expect(j.mismatches).toBe(0);
    expect(j.cyclesPerImage).toBe(j.predictedCyclesPerImage);
  }, 900_000);
});

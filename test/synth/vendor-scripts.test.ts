/**
 * The synthesis handoff's scripts are valid (docs/synthesis-handoff.md): Vivado's build.tcl and
 * package_ip.tcl and Quartus' build.tcl and .qsf of every zoo model, for one device of each
 * family, run under tclsh with vendor-stub.tcl, which records every vendor command, fails on an
 * unknown one and on a file that does not exist. The recorded calls must read every source of
 * filelist.f, find every $readmemh file, target the documented part and clock, and declare the
 * IP's AXI4-Stream interfaces. The Yosys script runs for real on sepnet-tiny-28.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFolding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import { VENDOR_FLOWS } from '../../generator/emit/handoff.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import { lookupDevice } from '../../generator/map/devices.js';
import { haveYosys, parseStatJson } from '../../generator/synth/yosys.js';
import { writeTreeAtomic } from '../../generator/util/files.js';
import { NETS } from '../../generator/zoo/nets.js';
import { zooModel } from '../../generator/zoo/index.js';
import { need } from '../tools.js';

const STUB = join(import.meta.dirname, 'vendor-stub.tcl');
const HAVE_TCLSH = need('tclsh', spawnSync('tclsh', [], { input: 'exit 0\n' }).status === 0, 'the vendor-script checks');
const HAVE_YOSYS = need('yosys', haveYosys(), 'the vendor-script checks');

/** One device per family, with the part each flow must target (the table of docs/synthesis-handoff.md). */
const TARGETS = {
  xc7z020: { vivado: 'xc7z020clg400-1', quartus: ['Cyclone V', '5CSEMA5F31C6'] },
  xczu7ev: { vivado: 'xczu7ev-ffvc1156-2-e', quartus: ['Cyclone V', '5CSEMA5F31C6'] },
  '5csema5': { vivado: 'xczu3eg-sbva484-1-e', quartus: ['Cyclone V', '5CSEMA5F31C6'] },
  '10ax115': { vivado: 'xcvu9p-flga2104-2L-e', quartus: ['Arria 10', '10AX115S2F45I1SG'] },
  up5k: { vivado: 'xc7z020clg400-1', quartus: ['Cyclone V', '5CSEMA5F31C6'] },
} as const;
type DeviceName = keyof typeof TARGETS;
const ALL_DEVICES = Object.keys(TARGETS) as DeviceName[];
/** The large ImageNet networks take seconds each to build: one device each. */
const ONE_DEVICE: Readonly<Record<string, DeviceName>> = { 'sepnet-small': 'xczu7ev', 'sepnet-large': '10ax115' };
const CLOCK_MHZ = { xc7z020: 150, xczu7ev: 300, '5csema5': 125, '10ax115': 240, up5k: 24 } as const;

interface Call {
  readonly kind: string;
  readonly cwd: string;
  readonly name: string;
  readonly args: readonly string[];
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

/** Runs a script under the stub from `cwd`; the recorded calls, and the run's status and stderr. */
function stubRun(tool: 'vivado' | 'quartus', script: string, cwd: string, ...args: string[]): { status: number | null; stderr: string; calls: Call[] } {
  const log = join(mkdtempSync(join(tmpdir(), 'gen-rtl-stub-')), 'calls.log');
  const r = spawnSync('tclsh', [STUB, log, tool, script, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
  const calls = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [kind, dir, name, ...rest] = l.split('\t').map(unescape);
      return { kind: kind!, cwd: dir!, name: name!, args: rest };
    });
  return { status: r.status, stderr: r.stderr, calls };
}

/** A clean run: exit 0, no FAIL, DONE last; its CALL records. */
function cleanRun(tool: 'vivado' | 'quartus', script: string, cwd: string, ...args: string[]): Call[] {
  const r = stubRun(tool, script, cwd, ...args);
  expect(r.calls.filter((c) => c.kind !== 'CALL' && c.kind !== 'DONE'), r.stderr).toEqual([]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.calls[r.calls.length - 1]?.kind).toBe('DONE');
  return r.calls.filter((c) => c.kind === 'CALL');
}

function option(c: Call, name: string): string | undefined {
  const i = c.args.indexOf(name);
  return i >= 0 ? c.args[i + 1] : undefined;
}

/** Tcl list words (the scripts' file lists hold plain words, so whitespace splits them). */
function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== '');
}

function only(calls: readonly Call[], name: string): Call {
  const found = calls.filter((c) => c.name === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
}

function clockPeriod(constraints: string): number {
  const m = /^create_clock -name clk -period ([0-9.]+) \[get_ports clk\]$/m.exec(constraints);
  expect(m, constraints).not.toBeNull();
  return Number(m![1]);
}

interface Generated {
  readonly out: string;
  readonly top: string;
  readonly sources: string[];
  /** The $readmemh paths the top module passes to the cores. */
  readonly romRefs: string[];
  readonly clockMhz: number;
}

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gen-rtl-vendor-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function generateFor(info: ModelInfo, deviceName: DeviceName, clockMhz: number): Generated {
  const device = lookupDevice(deviceName);
  const { files, design } = generate(info, {
    folding: resolveFolding(info, undefined, 'default'),
    device: device.name,
    clockMhz,
    handoff: { vendors: VENDOR_FLOWS, device },
  });
  const out = join(work, `${info.model.name}-${deviceName}`);
  writeTreeAtomic(out, files, true);
  const sources = readFileSync(join(out, 'filelist.f'), 'utf8').split('\n').filter((l) => l !== '');
  const topV = readFileSync(join(out, 'rtl', `${design.top}.v`), 'utf8');
  const romRefs = [...topV.matchAll(/_FILE\("([^"]+)"\)/g)].map((m) => m[1]!);
  return { out, top: design.top, sources, romRefs, clockMhz };
}

function checkVivadoBuild(g: Generated, deviceName: DeviceName): void {
  const script = join(g.out, 'vivado', 'build.tcl');
  // Run from elsewhere: the script finds everything from its own location.
  const calls = cleanRun('vivado', script, work);
  const abs = (p: string): string => resolve(g.out, p);
  const read = only(calls, 'read_verilog');
  expect(read.args[0]).toBe('-sv');
  expect(words(read.args.slice(1).join(' '))).toEqual(g.sources.map(abs));
  const synth = only(calls, 'synth_design');
  expect(option(synth, '-top')).toBe(g.top);
  expect(option(synth, '-part')).toBe(TARGETS[deviceName].vivado);
  expect(synth.args).not.toContain('-mode');
  // $readmemh paths resolve against the working directory synthesis runs in, and are design files too.
  for (const ref of g.romRefs) expect(existsSync(join(synth.cwd, ref)), ref).toBe(true);
  const added = new Set(calls.filter((c) => c.name === 'add_files').flatMap((c) => words(c.args.filter((a) => !a.startsWith('-')).join(' '))));
  for (const ref of g.romRefs) expect(added.has(abs(ref)), ref).toBe(true);
  const xdc = only(calls, 'read_xdc');
  expect(xdc.args).toEqual([abs('vivado/constraints.xdc')]);
  expect(clockPeriod(readFileSync(abs('vivado/constraints.xdc'), 'utf8'))).toBeCloseTo(1000 / g.clockMhz, 3);
  // The flow in order; reports and checkpoints in vivado/build/; no bitstream unless asked.
  const names = calls.map((c) => c.name);
  const order = ['read_verilog', 'read_xdc', 'synth_design', 'opt_design', 'place_design', 'route_design', 'report_timing_summary'];
  expect(order.map((n) => names.indexOf(n))).toEqual([...order.map((n) => names.indexOf(n))].sort((a, b) => a - b));
  for (const n of order) expect(names, n).toContain(n);
  expect(names.lastIndexOf('report_utilization')).toBeGreaterThan(names.indexOf('route_design'));
  for (const c of calls.filter((x) => x.name.startsWith('report_'))) expect(option(c, '-file')!.startsWith(abs('vivado/build/')), c.name).toBe(true);
  expect(calls.filter((c) => c.name === 'write_checkpoint').map((c) => c.args[c.args.length - 1])).toEqual([abs('vivado/build/post_synth.dcp'), abs('vivado/build/post_route.dcp')]);
  expect(names).not.toContain('write_bitstream');
}

function checkPackageIp(g: Generated, deviceName: DeviceName): void {
  const calls = cleanRun('vivado', join(g.out, 'vivado', 'package_ip.tcl'), work);
  const abs = (p: string): string => resolve(g.out, p);
  expect(option(only(calls, 'create_project'), '-part')).toBe(TARGETS[deviceName].vivado);
  const pkg = only(calls, 'ipx::package_project');
  expect(option(pkg, '-root_dir')).toBe(abs('vivado/ip'));
  expect([option(pkg, '-vendor'), option(pkg, '-library')]).toEqual(['gen-rtl', 'gen_rtl']);
  // The IP's copies of the sources are what the packaging project reads.
  const added = calls.filter((c) => c.name === 'add_files').flatMap((c) => words(c.args.filter((a) => !a.startsWith('-')).join(' ')));
  for (const s of g.sources) expect(added, s).toContain(abs(`vivado/ip/${s}`));
  const props = new Map<string, Map<string, string>>();
  for (const c of calls.filter((x) => x.name === 'set_property')) {
    const [key, value, object] = c.args as [string, string, string];
    if (!props.has(object)) props.set(object, new Map());
    props.get(object)!.set(key, value);
  }
  expect(props.get('core')?.get('name')).toBe(g.top);
  expect(props.get('core')?.get('version')).toBe('1.0');
  const names = calls.map((c) => c.name);
  expect(names.indexOf('ipx::remove_all_bus_interface')).toBeLessThan(names.indexOf('ipx::add_bus_interface'));
  // The interfaces as declared: type, mode, port maps and parameters.
  const bifs = new Map<string, { props: Map<string, string>; ports: Map<string, string>; params: Map<string, string> }>();
  for (const c of calls.filter((x) => x.name === 'ipx::add_bus_interface')) bifs.set(c.args[0]!, { props: props.get(`bif:${c.args[0]}`) ?? new Map(), ports: new Map(), params: new Map() });
  for (const [object, p] of props) {
    const port = /^portmap:bif:(\w+):(\w+)$/.exec(object);
    if (port) bifs.get(port[1]!)!.ports.set(port[2]!, p.get('physical_name')!);
    const param = /^busparam:bif:(\w+):(\w+)$/.exec(object);
    if (param) bifs.get(param[1]!)!.params.set(param[2]!, p.get('value')!);
  }
  expect([...bifs.keys()].sort()).toEqual(['clk', 'm_axis', 'rst_n', 's_axis']);
  const manifestPorts = new Set((JSON.parse(readFileSync(abs('manifest.json'), 'utf8')).ports as { name: string }[]).map((p) => p.name));
  for (const [bus, mode] of [['s_axis', 'slave'], ['m_axis', 'master']] as const) {
    const b = bifs.get(bus)!;
    expect(b.props.get('bus_type_vlnv')).toBe('xilinx.com:interface:axis:1.0');
    expect(b.props.get('abstraction_type_vlnv')).toBe('xilinx.com:interface:axis_rtl:1.0');
    expect(b.props.get('interface_mode')).toBe(mode);
    expect(Object.fromEntries(b.ports)).toEqual({ TDATA: `${bus}_tdata`, TVALID: `${bus}_tvalid`, TREADY: `${bus}_tready`, TLAST: `${bus}_tlast` });
  }
  const rst = bifs.get('rst_n')!;
  expect(rst.props.get('bus_type_vlnv')).toBe('xilinx.com:signal:reset:1.0');
  expect(Object.fromEntries(rst.ports)).toEqual({ RST: 'rst_n' });
  expect(rst.params.get('POLARITY')).toBe('ACTIVE_LOW');
  const clk = bifs.get('clk')!;
  expect(clk.props.get('bus_type_vlnv')).toBe('xilinx.com:signal:clock:1.0');
  expect(Object.fromEntries(clk.ports)).toEqual({ CLK: 'clk' });
  expect(clk.params.get('ASSOCIATED_BUSIF')).toBe('s_axis:m_axis');
  expect(clk.params.get('ASSOCIATED_RESET')).toBe('rst_n');
  expect(Number(clk.params.get('FREQ_HZ'))).toBe(g.clockMhz * 1e6);
  for (const b of bifs.values()) for (const physical of b.ports.values()) expect(manifestPorts.has(physical), physical).toBe(true);
  // Every ROM image in the IP's synthesis and simulation file groups (the stub checked it exists in vivado/ip/).
  for (const group of ['xilinx_anylanguagesynthesis', 'xilinx_anylanguagebehavioralsimulation']) {
    const inGroup = new Set(calls.filter((c) => c.name === 'ipx::add_file' && c.args[1] === `filegroup:${group}`).map((c) => c.args[0]));
    for (const ref of g.romRefs) expect(inGroup.has(ref), `${group} ${ref}`).toBe(true);
  }
  expect(names.slice(-2)).toEqual(['ipx::save_core', 'close_project']);
}

/** Quartus assignments as name → values, file values resolved against the project directory. */
function assignments(calls: readonly Call[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of calls.filter((x) => x.name === 'set_global_assignment')) {
    const name = option(c, '-name')!;
    let value = c.args[c.args.length - 1]!;
    if (/_FILE$|^SEARCH_PATH$/.test(name)) value = resolve(c.cwd, value);
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

function checkQuartus(g: Generated, deviceName: DeviceName): void {
  const abs = (p: string): string => resolve(g.out, p);
  const calls = cleanRun('quartus', join(g.out, 'quartus', 'build.tcl'), work);
  expect(only(calls, 'load_package').args).toEqual(['flow']);
  const project = only(calls, 'project_new');
  expect(project.args[0]).toBe(g.top);
  expect(project.cwd).toBe(abs('quartus/build'));
  const a = assignments(calls);
  const [family, part] = TARGETS[deviceName].quartus;
  expect(a.get('FAMILY')).toEqual([family]);
  expect(a.get('DEVICE')).toEqual([part]);
  expect(a.get('TOP_LEVEL_ENTITY')).toEqual([g.top]);
  expect(a.get('SYSTEMVERILOG_FILE')).toEqual(g.sources.map(abs));
  expect(a.get('SDC_FILE')).toEqual([abs(`quartus/${g.top}.sdc`)]);
  expect(clockPeriod(readFileSync(abs(`quartus/${g.top}.sdc`), 'utf8'))).toBeCloseTo(1000 / g.clockMhz, 3);
  // $readmemh paths resolve through the project's search path.
  const search = a.get('SEARCH_PATH')!;
  for (const ref of g.romRefs) expect(search.some((d) => existsSync(join(d, ref))), ref).toBe(true);
  const names = calls.map((c) => c.name);
  expect(only(calls, 'execute_flow').args).toEqual(['-compile']);
  expect(names.indexOf('execute_flow')).toBeGreaterThan(names.lastIndexOf('set_global_assignment'));
  expect(names[names.length - 1]).toBe('project_close');

  // The .qsf beside it: the same assignments, resolved from quartus/.
  const driver = join(g.out, 'qsf-driver.tcl');
  writeFileSync(driver, `load_package flow\ncd ${abs('quartus')}\nproject_new qsf_check -overwrite\nsource ${g.top}.qsf\nproject_close\n`);
  const fromQsf = assignments(cleanRun('quartus', driver, work));
  rmSync(driver);
  expect(Object.fromEntries(fromQsf)).toEqual(Object.fromEntries(a));
  expect(search).toEqual([abs('.')]);
}

const CASES = NETS.flatMap((n) => (ONE_DEVICE[n.name] ? [ONE_DEVICE[n.name]!] : ALL_DEVICES).map((d) => ({ net: n.name, device: d })));

describe.skipIf(!HAVE_TCLSH)('Vivado and Quartus scripts under the tclsh stub', () => {
  const infos = new Map<string, ModelInfo>();
  const info = (net: string): ModelInfo => {
    if (!infos.has(net)) infos.set(net, zooModel(net).info);
    return infos.get(net)!;
  };

  it('covers every zoo model and a device of each family', () => {
    expect(new Set(CASES.map((c) => c.net))).toEqual(new Set(NETS.map((n) => n.name)));
    expect(new Set(ALL_DEVICES.map((d) => lookupDevice(d).family))).toEqual(new Set(['zynq-7000', 'zynq-ultrascale+', 'cyclone-v', 'arria-10', 'ice40-ultraplus']));
  });

  it.each(CASES)('$net on $device', ({ net, device }) => {
    const g = generateFor(info(net), device, CLOCK_MHZ[device]);
    checkVivadoBuild(g, device);
    checkPackageIp(g, device);
    checkQuartus(g, device);
    rmSync(g.out, { recursive: true, force: true });
  });

  it('build.tcl -bitstream writes a bitstream; -ooc synthesizes out of context; both together fail', () => {
    const g = generateFor(info('sepnet-tiny-28'), 'xc7z020', 100);
    const script = join(g.out, 'vivado', 'build.tcl');
    const bit = cleanRun('vivado', script, work, '-bitstream');
    expect(only(bit, 'write_bitstream').args).toEqual(['-force', resolve(g.out, 'vivado/build', `${g.top}.bit`)]);
    expect(bit.filter((c) => c.name === 'get_drc_checks').map((c) => c.args[0])).toEqual(['NSTD-1', 'UCIO-1']);
    const ooc = cleanRun('vivado', script, work, '-ooc');
    expect(option(only(ooc, 'synth_design'), '-mode')).toBe('out_of_context');
    expect(ooc.map((c) => c.name)).not.toContain('write_bitstream');
    const both = stubRun('vivado', script, work, '-bitstream', '-ooc');
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/a bitstream needs the in-context flow/);
  });

  it('the stub fails a misspelled command, a missing file and a Tcl 8.6-only command', () => {
    const dir = join(work, 'stub-self-test');
    mkdirSync(dir, { recursive: true });
    const cases = [
      ['vivado', 'synth_desing -top t -part xc7z020clg400-1', /unknown command: synth_desing/],
      ['vivado', 'read_verilog -sv [list no/such/file.v]', /read_verilog: no such file: no\/such\/file\.v/],
      ['vivado', 'synth_design -top t', /synth_design: -part missing/],
      ['quartus', 'load_package flow\nset_global_assignment -name FAMILY "Cyclone V"', /no project open/],
      ['quartus', 'load_package flow\nproject_new p\nset_global_assignment -name SDC_FILE missing.sdc', /no such file: missing\.sdc/],
      ['quartus', 'project_new p\nread_verilog x.v', /unknown command: read_verilog/],
      ['vivado', 'set x [lmap f {a b} {string toupper $f}]', /unknown command: lmap/],
    ] as const;
    for (const [tool, body, message] of cases) {
      const script = join(dir, 'bad.tcl');
      writeFileSync(script, `${body}\n`);
      const r = stubRun(tool, script, dir);
      expect(r.status, body).toBe(1);
      expect(r.stderr, body).toMatch(message);
      expect(r.calls.some((c) => c.kind === 'FAIL'), body).toBe(true);
    }
  });
});

describe.skipIf(!HAVE_YOSYS)('Yosys script of the handoff', () => {
  it('synthesizes sepnet-tiny-28 for xc7z020 (synth_xilinx -family xc7) and reports cells', () => {
    const g = generateFor(zooModel('sepnet-tiny-28').info, 'xc7z020', 100);
    const script = readFileSync(join(g.out, 'yosys', 'synth.ys'), 'utf8');
    expect(script).toMatch(new RegExp(`^synth_xilinx -flatten -family xc7 -top ${g.top}$`, 'm'));
    const r = spawnSync('yosys', ['-q', '-l', 'yosys/synth.log', '-s', 'yosys/synth.ys'], { cwd: g.out, encoding: 'utf8', timeout: 600_000 });
    expect(r.status, `${r.stderr}\n${existsSync(join(g.out, 'yosys/synth.log')) ? readFileSync(join(g.out, 'yosys/synth.log'), 'utf8').slice(-2000) : ''}`).toBe(0);
    // Every ROM image was found: a $readmemh that cannot open its file is an error in Yosys.
    expect(readFileSync(join(g.out, 'yosys/synth.log'), 'utf8')).not.toMatch(/can(no|')t open/i);
    const cells = parseStatJson(readFileSync(join(g.out, 'yosys', `${g.top}.stat.json`), 'utf8'), g.top);
    const luts = [...cells].filter(([k]) => /^LUT[1-6]$/.test(k)).reduce((s, [, v]) => s + v, 0);
    console.log(`handoff Yosys, ${g.top} on xc7z020:`, Object.fromEntries(cells));
    expect(luts).toBeGreaterThan(0);
    expect(cells.get('DSP48E1') ?? 0).toBeGreaterThan(0);
    expect(readFileSync(join(g.out, 'yosys', `${g.top}.stat.txt`), 'utf8')).toMatch(/Number of cells:\s+\d+/);
    expect(readFileSync(join(g.out, 'yosys', `${g.top}.netlist.v`), 'utf8')).toMatch(new RegExp(`module ${g.top}\\(`));
  });
});

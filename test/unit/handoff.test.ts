/**
 * The synthesis handoff without EDA tools: --vendor parsing, the part each flow targets for
 * every device (the table of docs/synthesis-handoff.md), and the files generate() adds: which,
 * deterministic, listed in manifest.json with their hashes. The scripts' validity is
 * test/synth/vendor-scripts.test.ts's.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveFolding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import { clockPeriodNs, parseVendors, VENDOR_FLOWS, yosysTarget } from '../../generator/emit/handoff.js';
import { closestInSize, isFullIntelPart, isFullXilinxPart, quartusTarget, vivadoTarget } from '../../generator/emit/vendor-parts.js';
import { DEVICES, lookupDevice, parseDeviceJson } from '../../generator/map/devices.js';
import { synthTarget } from '../../generator/synth/targets.js';
import { zooModel } from '../../generator/zoo/index.js';

describe('--vendor', () => {
  it('takes a comma-separated subset in a fixed order, or none', () => {
    expect(parseVendors('vivado,quartus,yosys')).toEqual({ vendors: ['vivado', 'quartus', 'yosys'] });
    expect(parseVendors('yosys, Vivado')).toEqual({ vendors: ['vivado', 'yosys'] });
    expect(parseVendors('none')).toEqual({ vendors: [] });
  });

  it('names unknown flows and the allowed ones', () => {
    const r = parseVendors('vivado,bogus');
    expect(r).toEqual({ error: expect.stringMatching(/unknown flow "bogus"; give a comma-separated list of vivado, quartus, yosys, or none/) });
    expect(parseVendors('')).toEqual({ error: expect.stringMatching(/is empty/) });
    expect(parseVendors('none,yosys')).toEqual({ error: expect.stringMatching(/"none" cannot be combined/) });
  });
});

describe('the part each flow targets', () => {
  // device → [Vivado part, Quartus family, Quartus device, Yosys command]
  const TABLE: Record<string, readonly [string, string, string, string]> = {
    xc7z020: ['xc7z020clg400-1', 'Cyclone V', '5CSEMA5F31C6', 'synth_xilinx -flatten -family xc7'],
    xc7z045: ['xc7z045ffg900-2', 'Cyclone V', '5CSEMA5F31C6', 'synth_xilinx -flatten -family xc7'],
    xczu3eg: ['xczu3eg-sbva484-1-e', 'Cyclone V', '5CSEMA5F31C6', 'synth_xilinx -flatten -family xcup'],
    xczu7ev: ['xczu7ev-ffvc1156-2-e', 'Cyclone V', '5CSEMA5F31C6', 'synth_xilinx -flatten -family xcup'],
    xczu9eg: ['xczu9eg-ffvb1156-2-e', 'Arria 10', '10AX115S2F45I1SG', 'synth_xilinx -flatten -family xcup'],
    xck26: ['xck26-sfvc784-2LV-c', 'Cyclone V', '5CSEMA5F31C6', 'synth_xilinx -flatten -family xcup'],
    xcvu9p: ['xcvu9p-flga2104-2L-e', 'Arria 10', '10AX115S2F45I1SG', 'synth_xilinx -flatten -family xcup'],
    '5csema5': ['xczu3eg-sbva484-1-e', 'Cyclone V', '5CSEMA5F31C6', 'synth_intel_alm -family cyclonev'],
    '10ax115': ['xcvu9p-flga2104-2L-e', 'Arria 10', '10AX115S2F45I1SG', 'synth_intel_alm -family cyclone10gx -nobram'],
    up5k: ['xc7z020clg400-1', 'Cyclone V', '5CSEMA5F31C6', 'synth_ice40 -dsp'],
  };

  it('covers every built-in device', () => {
    expect(Object.keys(TABLE).sort()).toEqual(DEVICES.map((d) => d.name).sort());
  });

  it.each(Object.entries(TABLE))('%s', (name, [part, family, intel, yosys]) => {
    const d = lookupDevice(name);
    const v = vivadoTarget(d);
    const q = quartusTarget(d);
    expect(v.part).toBe(part);
    expect([q.family, q.part]).toEqual([family, intel]);
    expect(yosysTarget(d).command).toBe(yosys);
    // A substitution always says so; the device's own part never needs a note.
    expect(v.note === null).toBe(d.vendor === 'xilinx');
    expect(q.note === null).toBe(d.vendor === 'intel');
    if (v.note) expect(v.note).toMatch(new RegExp(`${name} is not a Xilinx device: the Vivado flow targets ${part}`));
  });

  it('without --device: xc7z020clg400-1, its Intel counterpart and the xc7 Yosys flow, each with a note', () => {
    expect(vivadoTarget(null)).toEqual({ part: 'xc7z020clg400-1', device: 'xc7z020', note: expect.stringMatching(/no --device given/) });
    expect(quartusTarget(null)).toMatchObject({ family: 'Cyclone V', part: '5CSEMA5F31C6', note: expect.stringMatching(/no --device given/) });
    expect(yosysTarget(null)).toMatchObject({ command: 'synth_xilinx -flatten -family xc7', note: expect.stringMatching(/no --device given/) });
  });

  it('a device file without a full part number gets its family default, and says so', () => {
    const common = { maxClockMhzHint: 200, source: 'test' };
    const x = parseDeviceJson({ ...common, name: 'my-a7', vendor: 'xilinx', family: 'artix-7', lut6: 20_800, ff: 41_600, dsp: 90, bram36: 50, uramCount: 0 }, 'a7.json');
    expect(vivadoTarget(x)).toEqual({ part: 'xc7a35tcpg236-1', device: null, note: expect.stringMatching(/my-a7 has no full part number .* the Vivado flow uses the artix-7 default xc7a35tcpg236-1/) });
    const full = parseDeviceJson({ ...common, name: 'my-a7-full', part: 'xc7a100tcsg324-1', vendor: 'xilinx', family: 'artix-7', lut6: 63_400, ff: 126_800, dsp: 240, bram36: 135, uramCount: 0 }, 'a7.json');
    expect(vivadoTarget(full)).toEqual({ part: 'xc7a100tcsg324-1', device: 'my-a7-full', note: null });
    const c = parseDeviceJson({ ...common, name: 'my-cv', vendor: 'intel', family: 'cyclone-v', alm: 10_000, ff: 40_000, dsp: 25, m10k: 100 }, 'cv.json');
    expect(quartusTarget(c)).toMatchObject({ family: 'Cyclone V', part: '5CSEMA5F31C6', device: null, note: expect.stringMatching(/my-cv has no full part number/) });
  });

  it('recognizes full part numbers', () => {
    for (const p of ['xc7z020clg400-1', 'xczu7ev-ffvc1156-2-e', 'xck26-sfvc784-2LV-c', 'xcvu9p-flga2104-2L-e', 'xc7a35tcpg236-1']) expect(isFullXilinxPart(p), p).toBe(true);
    for (const p of ['xc7z020', 'zu7ev', 'my-part', 'xc7z020clg400', '5CSEMA5F31C6']) expect(isFullXilinxPart(p), p).toBe(false);
    for (const p of ['5CSEMA5F31C6', '10AX115S2F45I1SG']) expect(isFullIntelPart(p), p).toBe(true);
    for (const p of ['5csema5', '10ax115', 'xc7z020clg400-1']) expect(isFullIntelPart(p), p).toBe(false);
  });

  it('closest in size is on a log scale', () => {
    const intel = DEVICES.filter((d) => d.vendor === 'intel');
    // xczu7ev: 230,400 LUT6; 5csema5 64,140 (×3.6 smaller) is closer than 10ax115 854,400 (×3.7 bigger).
    expect(closestInSize(lookupDevice('xczu7ev'), intel).name).toBe('5csema5');
    expect(closestInSize(lookupDevice('xczu9eg'), intel).name).toBe('10ax115');
  });
});

describe('generate() with the handoff', () => {
  const info = zooModel('sepnet-tiny-28').info;
  const folding = resolveFolding(info, undefined, 'default');
  const device = lookupDevice('xczu7ev');
  const run = (vendors: readonly (typeof VENDOR_FLOWS)[number][]) => generate(info, { folding, device: device.name, clockMhz: 250, handoff: { vendors, device } }).files;
  const top = 'gr_top_sepnet_tiny_28';

  it('adds the vendor directories and a README, deterministically', () => {
    const a = run(VENDOR_FLOWS);
    expect(run(VENDOR_FLOWS)).toEqual(a);
    const paths = a.map((f) => f.path);
    for (const p of ['vivado/build.tcl', 'vivado/constraints.xdc', 'vivado/package_ip.tcl', 'quartus/build.tcl', `quartus/${top}.qsf`, `quartus/${top}.sdc`, 'yosys/synth.ys', 'README.md']) expect(paths, p).toContain(p);
    for (const f of a.filter((x) => /^(vivado|quartus|yosys)\/|^README/.test(x.path))) {
      expect(f.content, f.path).not.toMatch(/\d{4}-\d\d-\d\d|\/work\/|\/tmp\/|&#x|&quot;|&amp;/);
      expect(f.content, f.path).toContain('Generated by gen-rtl');
    }
  });

  it('lists every handoff file in manifest.json with its sha256, and what each flow targets', () => {
    const files = run(VENDOR_FLOWS);
    const m = JSON.parse(files.find((f) => f.path === 'manifest.json')!.content);
    const listed = new Map((m.files as { path: string; sha256: string }[]).map((f) => [f.path, f.sha256]));
    for (const f of files.filter((x) => x.path !== 'manifest.json')) expect(listed.get(f.path), f.path).toBe(createHash('sha256').update(f.content).digest('hex'));
    expect(m.handoff).toEqual({
      vendors: ['vivado', 'quartus', 'yosys'],
      vivado: { part: 'xczu7ev-ffvc1156-2-e', device: 'xczu7ev', note: null },
      quartus: { family: 'Cyclone V', part: '5CSEMA5F31C6', device: '5csema5', note: expect.stringMatching(/xczu7ev is not an Intel device/) },
      yosys: { command: `synth_xilinx -flatten -family xcup -top ${top}`, note: expect.any(String) },
    });
  });

  it('a design with UltraRAM line buffers gets synth_xilinx -uram; a part without UltraRAM is refused', () => {
    const withUram = resolveFolding(info, { stages: { conv2: { pe: 4, simd: 4, uram: true } } }, 'f.json');
    const files = generate(info, { folding: withUram, device: device.name, clockMhz: 250, handoff: { vendors: ['yosys'], device } }).files;
    expect(files.find((f) => f.path === 'yosys/synth.ys')!.content).toContain(`synth_xilinx -flatten -family xcup -uram -top ${top}`);
    expect(files.find((f) => f.path === 'rtl/gr_sdp_ram.v')!.content).toContain('ram_style = "ultra"');
    expect(run(['yosys']).find((f) => f.path === 'yosys/synth.ys')!.content).not.toContain('-uram');
    expect(yosysTarget(lookupDevice('xczu7ev'), true).command).toBe('synth_xilinx -flatten -family xcup -uram');
    // A part without UltraRAM: the design does not fit (the report says so), the script has no -uram and a note.
    expect(yosysTarget(lookupDevice('xc7z045'), true)).toMatchObject({ command: 'synth_xilinx -flatten -family xc7', note: expect.stringMatching(/puts line buffers in UltraRAM, which xc7z045 does not have/) });
    expect(() => synthTarget(lookupDevice('xczu9eg'), { uram: true })).toThrow(/device "xczu9eg": has no UltraRAM: drop "uram" from the folding/);
  });

  it('the clock: 1000 / MHz ns in the XDC and the SDC', () => {
    const files = run(VENDOR_FLOWS);
    expect(clockPeriodNs(250)).toBe('4.000');
    expect(clockPeriodNs(48)).toBe('20.833');
    for (const p of ['vivado/constraints.xdc', `quartus/${top}.sdc`]) expect(files.find((f) => f.path === p)!.content).toMatch(/^create_clock -name clk -period 4\.000 \[get_ports clk\]$/m);
  });

  it('writes only the flows asked for; none writes nothing and leaves the rest byte-identical', () => {
    const dirs = (files: { path: string }[]) => [...new Set(files.map((f) => f.path.split('/')[0]!))].sort();
    expect(dirs(run(['yosys']))).toEqual(['README.md', 'filelist.f', 'manifest.json', 'mem', 'rtl', 'yosys']);
    const none = run([]);
    expect(dirs(none)).toEqual(['filelist.f', 'manifest.json', 'mem', 'rtl']);
    expect(JSON.parse(none.find((f) => f.path === 'manifest.json')!.content).handoff).toBeUndefined();
    expect(none).toEqual(generate(info, { folding, device: device.name, clockMhz: 250 }).files);
    const all = run(VENDOR_FLOWS);
    for (const f of none.filter((x) => x.path !== 'manifest.json')) expect(all.find((x) => x.path === f.path)?.content, f.path).toBe(f.content);
  });

  it('the README names the ports, the flows, the reports and the substitutions', () => {
    const readme = run(VENDOR_FLOWS).find((f) => f.path === 'README.md')!.content;
    for (const s of ['vivado -mode batch -source vivado/build.tcl', 'quartus_sh -t quartus/build.tcl', 'yosys -l yosys/synth.log -s yosys/synth.ys', 'vivado/build/timing_summary.rpt', `quartus/build/output_files/${top}.fit.summary`, '`s_axis_tdata`', '`m_axis_tlast`', 'not a board top', 'xczu7ev is not an Intel device']) {
      expect(readme, s).toContain(s);
    }
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devicesCmd } from '../../generator/cli/devices.js';
import type { CliIo } from '../../generator/cli/io.js';
import { BRAM36_BITS, DEVICES, loadDeviceFile, lookupDevice, makeDevice, parseDeviceJson, runDevices, type Device } from '../../generator/map/devices.js';
import { GenRtlError } from '../../generator/util/errors.js';
import { GOOD_ARTIX } from '../fuzz/devices.js';

const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function file(content: string | object): string {
  const path = join(dir, `device-${fileNo++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function fakeIo(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTty: false, out: () => out, err: () => err };
}

/** The GenRtlError `f` throws (failing the test if it throws something else or nothing). */
function genRtlError(f: () => unknown): GenRtlError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GenRtlError);
    return e as GenRtlError;
  }
  throw new Error('expected a GenRtlError, nothing was thrown');
}

const REQUIRED = ['xc7z020', 'xc7z045', 'xczu3eg', 'xczu7ev', 'xczu9eg', 'xck26', 'xcvu9p', '5csema5', '10ax115', 'up5k'];


describe('built-in devices', () => {
  it('has exactly the required devices, in order', () => {
    expect(DEVICES.map((d) => d.name)).toEqual(REQUIRED);
  });

  it.each(REQUIRED)('%s: positive resources, a source, a part and a clock hint', (name) => {
    const d = lookupDevice(name);
    expect(d.name).toBe(name);
    expect(d.ff).toBeGreaterThan(0);
    expect(d.dsp).toBeGreaterThan(0);
    expect(d.onChipMemoryBits).toBeGreaterThan(0);
    expect(d.onChipMemoryBytes).toBe(d.onChipMemoryBits / 8);
    expect(d.maxClockMhzHint).toBeGreaterThan(0);
    expect(d.source.length).toBeGreaterThan(20);
    expect(d.part.length).toBeGreaterThan(0);
    expect(d.speedGrade.length).toBeGreaterThan(0);
    expect(d.origin).toBe('built-in');
    expect(d.verified).toBe(d.unverified.length === 0);
    expect(Object.isFrozen(d)).toBe(true);
    switch (d.vendor) {
      case 'xilinx':
        expect(d.lut6).toBeGreaterThan(0);
        expect(d.bram36).toBeGreaterThan(0);
        expect(d.bram18).toBe(2 * d.bram36);
        expect(d.bramBits).toBe(d.bram36 * 36 * 1024);
        expect(d.uramBits).toBe(d.uramCount * 288 * 1024);
        expect(d.onChipMemoryBits).toBe(d.bramBits + d.uramBits);
        expect(d.source).toMatch(/^Xilinx (DS190|DS891|DS987|DS890) /);
        break;
      case 'intel':
        expect(d.alm).toBeGreaterThan(0);
        if (d.family === 'cyclone-v') expect(d.onChipMemoryBits).toBe(d.m10k * 10 * 1024);
        else expect(d.onChipMemoryBits).toBe(d.m20k * 20 * 1024);
        expect(d.source).toMatch(/^Intel (Cyclone V|Arria 10) Device Overview/);
        break;
      case 'lattice':
        expect(d.lut4).toBeGreaterThan(0);
        expect(d.sbMac16).toBe(d.dsp);
        expect(d.onChipMemoryBits).toBe(d.ebr * 4096 + d.spram * 262_144);
        expect(d.source).toMatch(/^Lattice FPGA-DS-02008 /);
        break;
    }
  });

  it('pins the published figures', () => {
    const pick = (name: string): Record<string, unknown> => {
      const d = lookupDevice(name) as unknown as Record<string, unknown>;
      const keys = ['lut6', 'alm', 'lut4', 'ff', 'dsp', 'dspKind', 'bram36', 'uramCount', 'm10k', 'm20k', 'ebr', 'spram'];
      return Object.fromEntries(keys.filter((k) => k in d).map((k) => [k, d[k]]));
    };
    expect(pick('xc7z020')).toEqual({ lut6: 53_200, ff: 106_400, dsp: 220, dspKind: 'DSP48E1', bram36: 140, uramCount: 0 });
    expect(pick('xc7z045')).toEqual({ lut6: 218_600, ff: 437_200, dsp: 900, dspKind: 'DSP48E1', bram36: 545, uramCount: 0 });
    expect(pick('xczu3eg')).toEqual({ lut6: 70_560, ff: 141_120, dsp: 360, dspKind: 'DSP48E2', bram36: 216, uramCount: 0 });
    expect(pick('xczu7ev')).toEqual({ lut6: 230_400, ff: 460_800, dsp: 1_728, dspKind: 'DSP48E2', bram36: 312, uramCount: 96 });
    expect(pick('xczu9eg')).toEqual({ lut6: 274_080, ff: 548_160, dsp: 2_520, dspKind: 'DSP48E2', bram36: 912, uramCount: 0 });
    expect(pick('xck26')).toEqual({ lut6: 117_120, ff: 234_240, dsp: 1_248, dspKind: 'DSP48E2', bram36: 144, uramCount: 64 });
    expect(pick('xcvu9p')).toEqual({ lut6: 1_182_240, ff: 2_364_480, dsp: 6_840, dspKind: 'DSP48E2', bram36: 2_160, uramCount: 960 });
    expect(pick('5csema5')).toEqual({ alm: 32_070, ff: 128_300, dsp: 87, dspKind: 'DSP (Cyclone V 18x18 pairs)', m10k: 397 });
    expect(pick('10ax115')).toEqual({ alm: 427_200, ff: 1_708_800, dsp: 1_518, dspKind: 'DSP (Arria 10 18x19 pairs)', m20k: 2_713 });
    expect(pick('up5k')).toEqual({ lut4: 5_280, ff: 5_280, dsp: 8, dspKind: 'SB_MAC16', ebr: 30, spram: 4 });
  });

  it('totals on-chip memory as the data sheets do (Mb = 2^20 bits)', () => {
    const mb = (name: string): number => Math.round((lookupDevice(name).onChipMemoryBits / 2 ** 20) * 10) / 10;
    expect(mb('xc7z020')).toBe(4.9);
    expect(mb('xc7z045')).toBe(19.2);
    expect(mb('xczu7ev')).toBe(11.0 + 27.0);
    expect(mb('xcvu9p')).toBe(75.9 + 270);
    expect(lookupDevice('10ax115').onChipMemoryBits).toBe(54_260 * 1024);
    expect(lookupDevice('5csema5').onChipMemoryBits).toBe(3_970 * 1024);
    expect(lookupDevice('up5k').onChipMemoryBits).toBe((120 + 1024) * 1024);
  });

  it('names and aliases are unique and lower case', () => {
    const all = DEVICES.flatMap((d) => [d.name, ...d.aliases]);
    expect(new Set(all).size).toBe(all.length);
    for (const k of all) expect(k).toBe(k.toLowerCase());
  });
});

describe('lookupDevice', () => {
  it.each([
    ['xc7z020', 'xc7z020'],
    ['XC7Z020', 'xc7z020'],
    ['xc7z020clg400-1', 'xc7z020'],
    ['XC7Z020-1CLG400C', 'xc7z020'],
    ['pynq-z2', 'xc7z020'],
    ['xc7z045ffg900-2', 'xc7z045'],
    ['zc706', 'xc7z045'],
    ['xczu3eg-sbva484-1-e', 'xczu3eg'],
    ['Ultra96', 'xczu3eg'],
    ['XCZU7EV-FFVC1156-2-E', 'xczu7ev'],
    ['zcu104', 'xczu7ev'],
    ['zu9eg', 'xczu9eg'],
    ['xck26-sfvc784-2LV-c', 'xck26'],
    ['KV260', 'xck26'],
    ['vu9p', 'xcvu9p'],
    ['xcvu9p-flgb2104-2-i', 'xcvu9p'],
    ['5CSEMA5F31C6', '5csema5'],
    ['de1-soc', '5csema5'],
    ['10AX115S2F45I1SG', '10ax115'],
    ['10ax115n2f45e1sg', '10ax115'],
    ['ice40up5k', 'up5k'],
    ['iCE40UP5K-SG48I', 'up5k'],
    ['iCE40UP5K-UWG30', 'up5k'],
    ['  up5k ', 'up5k'],
  ])('%s -> %s', (alias, name) => {
    expect(lookupDevice(alias).name).toBe(name);
  });

  it.each(['xc7z010', 'xc7z0201', 'zu3', '', 'virtex'])('refuses %j, listing the known names', (name) => {
    const e = genRtlError(() => lookupDevice(name));
    expect(e.message).toContain(`device "${name}"`);
    for (const n of REQUIRED) expect(e.message).toContain(n);
    expect(e.message).not.toMatch(/[\n\r\u2028\u2029]/);
  });

  it('finds a device-file device in the run list', () => {
    const list = runDevices(file(GOOD_ARTIX));
    expect(lookupDevice('XC7A100TCSG324-1', list).name).toBe('xc7a100t');
    expect(lookupDevice('arty-a7-100', list).name).toBe('xc7a100t');
    expect(() => lookupDevice('xc7a100t')).toThrow(GenRtlError);
  });
});

describe('device files', () => {
  it('loads a good Xilinx file and derives the rest', () => {
    const path = file(GOOD_ARTIX);
    const d = loadDeviceFile(path);
    expect(d).toMatchObject({
      name: 'xc7a100t',
      vendor: 'xilinx',
      family: 'artix-7',
      dspKind: 'DSP48E1',
      lut6: 63_400,
      bram36: 135,
      bram18: 270,
      bramBits: 135 * BRAM36_BITS,
      uramBits: 0,
      onChipMemoryBits: 135 * BRAM36_BITS,
      onChipMemoryBytes: (135 * BRAM36_BITS) / 8,
      origin: path,
      verified: true,
      unverified: [],
    });
    const list = runDevices(path);
    expect(list).toHaveLength(DEVICES.length + 1);
    expect(list[list.length - 1]).toEqual(d);
    expect(DEVICES).toHaveLength(REQUIRED.length);
  });

  it('loads Intel and Lattice files with defaults for the optional keys', () => {
    const a = parseDeviceJson({ name: 'MyArria', vendor: 'intel', family: 'arria-10', maxClockMhzHint: 250, source: 'Intel A10-OVERVIEW', alm: 10, ff: 40, dsp: 2, m20k: 3 }, 'a.json');
    expect(a).toMatchObject({ name: 'myarria', part: 'MyArria', speedGrade: 'unspecified', aliases: [], dspKind: 'DSP (Arria 10 18x19 pairs)', m20kBits: 3 * 20480, onChipMemoryBits: 3 * 20480 });
    const c = parseDeviceJson({ name: 'cv', vendor: 'intel', family: 'cyclone-v', maxClockMhzHint: 100, source: 's', alm: 10, ff: 40, dsp: 0, m10k: 1 }, 'c.json');
    expect(c).toMatchObject({ dspKind: 'DSP (Cyclone V 18x18 pairs)', m10kBits: 10240, dsp: 0 });
    const l = parseDeviceJson({ name: 'up3k', vendor: 'lattice', family: 'ice40-ultraplus', maxClockMhzHint: 40, source: 's', lut4: 2800, ff: 2800, sbMac16: 4, ebr: 20, spram: 0, unverified: ['ebr'] }, 'l.json');
    expect(l).toMatchObject({ dsp: 4, sbMac16: 4, ebrBits: 20 * 4096, spramBits: 0, verified: false, unverified: ['ebr'] });
  });

  const base = GOOD_ARTIX as Record<string, unknown>;
  const without = (k: string): Record<string, unknown> => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k));
  it.each<[string, string | object, RegExp]>([
    ['not JSON', '{"name": "x",', /not valid JSON/],
    ['empty file', '', /not valid JSON/],
    ['an array', '[1, 2]', /\$: must be a JSON object describing one device, got an array/],
    ['a string', '"xc7z020"', /\$: must be a JSON object.*got string/],
    ['null', 'null', /\$: must be a JSON object.*got null/],
    ['missing vendor', without('vendor'), /\$\.vendor: missing; one of "xilinx", "intel", "lattice"/],
    ['unknown vendor', { ...base, vendor: 'microchip' }, /\$\.vendor: unknown vendor "microchip"/],
    ['family of another vendor', { ...base, family: 'cyclone-v' }, /\$\.family: "cyclone-v" is not a xilinx family/],
    ['wrong type: string count', { ...base, lut6: '63400' }, /\$\.lut6: must be a number, got string "63400"/],
    ['wrong type: fractional count', { ...base, dsp: 2.5 }, /\$\.dsp: must be an integer, got 2\.5/],
    ['wrong type: aliases not an array', { ...base, aliases: 'arty' }, /\$\.aliases: must be an array, got string/],
    ['wrong type: alias entry', { ...base, aliases: ['ok', 7] }, /\$\.aliases\[1\]: must be a string, got number 7/],
    ['negative count', { ...base, bram36: -1 }, /\$\.bram36: must be >= 0/],
    ['zero logic', { ...base, lut6: 0 }, /\$\.lut6: must be > 0/],
    ['huge count', { ...base, ff: 1e300 }, /\$\.ff: must be <= 9007199254740991/],
    ['clock hint out of range', { ...base, maxClockMhzHint: 5000 }, /\$\.maxClockMhzHint: must be <= 2000/],
    ['empty source', { ...base, source: '  ' }, /\$\.source: must not be empty/],
    ['missing count', without('ff'), /\$\.ff: missing \(required number\)/],
    ['missing source', without('source'), /\$\.source: missing \(required string\)/],
    ['missing clock hint', without('maxClockMhzHint'), /\$\.maxClockMhzHint: missing/],
    ['unknown key', { ...base, luts: 5 }, /\$: unknown key "luts"/],
    ['a key of another family', { ...base, m10k: 5 }, /\$: unknown key "m10k"/],
    ['derived key given', { ...base, bramBits: 5 }, /\$: unknown key "bramBits"/],
    ['bad name', { ...base, name: 'my device' }, /\$\.name: must be 1 to 64 letters/],
    ['name of a built-in', { ...base, name: 'XC7Z020' }, /\$\.name: "xc7z020" already names device xc7z020/],
    ['alias of a built-in', { ...base, aliases: ['zcu104'] }, /\$\.aliases\[0\]: "zcu104" already names device xczu7ev/],
    ['alias given twice', { ...base, aliases: ['a1', 'A1'] }, /\$\.aliases\[1\]: "a1" is given twice/],
    // Found by fuzzing: JSON quoting keeps U+2028, which ends a line in many viewers.
    ['unknown key holding a line separator', { ...base, 'a\u2028b': 1 }, /\$: unknown key "a b"/],
  ])('%s: one-line GenRtlError naming the file and the problem', (_what, content, message) => {
    const path = file(content);
    const e = genRtlError(() => loadDeviceFile(path));
    expect(e.message.startsWith(`${path}: `)).toBe(true);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });

  it('refuses a missing file and a directory', () => {
    const missing = join(dir, 'nope.json');
    expect(genRtlError(() => loadDeviceFile(missing)).message).toBe(`${missing}: no such file`);
    const sub = join(dir, 'sub.json');
    mkdirSync(sub);
    expect(genRtlError(() => loadDeviceFile(sub)).message).toBe(`${sub}: not a regular file`);
  });
});

describe('gen-rtl devices', () => {
  it('prints a table with every device and its resources', () => {
    const io = fakeIo();
    devicesCmd(io, { json: false, deviceFile: undefined });
    const out = io.out();
    expect(io.err()).toBe('');
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^name\s+vendor\/family\s+logic\s+FF\s+DSP\s+block RAM\s+on-chip MiB$/);
    for (const name of REQUIRED) expect(lines.some((l) => l.startsWith(`${name} `))).toBe(true);
    const line = (name: string): string => lines.find((l) => l.startsWith(`${name} `))!;
    expect(line('xczu7ev')).toMatch(/xilinx\/zynq-ultrascale\+\s+230,400 LUT6\s+460,800\s+1,728 DSP48E2\s+312 BRAM36 \(10\.97 Mib\) \+ 96 URAM \(27\.00 Mib\)\s+4\.75$/);
    expect(line('xc7z020')).toMatch(/53,200 LUT6\s+106,400\s+220 DSP48E1\s+140 BRAM36 \(4\.92 Mib\)\s+0\.62$/);
    expect(line('5csema5 *')).toMatch(/intel\/cyclone-v\s+32,070 ALM\s+128,300\s+87 DSP\s+397 M10K \(3\.88 Mib\)\s+0\.48$/);
    expect(line('10ax115 *')).toMatch(/2,713 M20K \(52\.99 Mib\)\s+6\.62$/);
    expect(line('up5k')).toMatch(/lattice\/ice40-ultraplus\s+5,280 LUT4\s+5,280\s+8 SB_MAC16\s+30 EBR \(0\.12 Mib\) \+ 4 SPRAM \(1\.00 Mib\)\s+0\.14$/);
    expect(line('xcvu9p')).toMatch(/43\.24$/);
    expect(out).toContain('* some figures not cross-checked');
    // Columns line up: every row has "on-chip MiB" right-aligned to the header's end.
    const width = lines[0]!.length;
    for (const name of REQUIRED) expect(line(name).length).toBe(width);
  });

  it('prints JSON { devices: [...] } with every field', () => {
    const io = fakeIo();
    devicesCmd(io, { json: true, deviceFile: undefined });
    const parsed = JSON.parse(io.out()) as { devices: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['devices']);
    expect(parsed.devices.map((d) => d['name'])).toEqual(REQUIRED);
    expect(parsed.devices).toEqual(JSON.parse(JSON.stringify(DEVICES)));
    const zu7 = parsed.devices.find((d) => d['name'] === 'xczu7ev')!;
    for (const k of ['vendor', 'family', 'part', 'speedGrade', 'lut6', 'ff', 'dsp', 'dspKind', 'bram36', 'bram18', 'bramBits', 'uramCount', 'uramBits', 'onChipMemoryBits', 'onChipMemoryBytes', 'maxClockMhzHint', 'source', 'verified', 'unverified', 'aliases']) {
      expect(zu7).toHaveProperty(k);
    }
  });

  it('adds the --device-file device to the table and the JSON', () => {
    const path = file(GOOD_ARTIX);
    const table = fakeIo();
    devicesCmd(table, { json: false, deviceFile: path });
    expect(table.out()).toMatch(/^xc7a100t\s+xilinx\/artix-7\s+63,400 LUT6\s+126,800\s+240 DSP48E1\s+135 BRAM36 \(4\.75 Mib\)\s+0\.59$/m);
    const json = fakeIo();
    devicesCmd(json, { json: true, deviceFile: path });
    const devices = (JSON.parse(json.out()) as { devices: Device[] }).devices;
    expect(devices).toHaveLength(REQUIRED.length + 1);
    expect(devices[REQUIRED.length]).toMatchObject({ name: 'xc7a100t', origin: path });
  });

  it('a bad --device-file is a GenRtlError and prints nothing', () => {
    const io = fakeIo();
    const path = file({ ...GOOD_ARTIX, bram36: -3 });
    expect(() => devicesCmd(io, { json: false, deviceFile: path })).toThrow(GenRtlError);
    expect(io.out()).toBe('');
  });
});

describe('makeDevice', () => {
  it('derives the DSP kind from the Xilinx family', () => {
    const spec = { ...GOOD_ARTIX, family: 'kintex-ultrascale+' as const, vendor: 'xilinx' as const, aliases: [], description: 'd', unverified: [] };
    expect(makeDevice(spec).dspKind).toBe('DSP48E2');
    expect(makeDevice({ ...spec, family: 'spartan-7' }).dspKind).toBe('DSP48E1');
  });
});

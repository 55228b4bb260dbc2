/**
 * Device description files (`--device-file`, loadDeviceFile): valid files of
 * each vendor damaged as JSON values, as JSON text and as bytes, plus files
 * that are not JSON objects at all.
 */
import { loadDeviceFile } from '../../generator/map/devices.js';
import { type FuzzRng, type FuzzTarget, HOSTILE_VALUES, mutateBytes, mutateJson, mutateText, scratchFile } from './harness.js';

const BASES: readonly Record<string, unknown>[] = [
  {
    name: 'xc7a100t',
    aliases: ['arty-a7-100'],
    vendor: 'xilinx',
    family: 'artix-7',
    part: 'xc7a100tcsg324-1',
    speedGrade: '-1',
    maxClockMhzHint: 200,
    source: 'Xilinx DS180, Artix-7 table',
    lut6: 63_400,
    ff: 126_800,
    dsp: 240,
    bram36: 135,
    uramCount: 0,
  },
  { name: 'MyArria', vendor: 'intel', family: 'arria-10', maxClockMhzHint: 250, source: 'Intel A10-OVERVIEW', alm: 10, ff: 40, dsp: 2, m20k: 3 },
  { name: 'cv', vendor: 'intel', family: 'cyclone-v', maxClockMhzHint: 100, source: 's', alm: 10, ff: 40, dsp: 0, m10k: 1, description: 'a board' },
  { name: 'up3k', vendor: 'lattice', family: 'ice40-ultraplus', maxClockMhzHint: 40, source: 's', lut4: 2800, ff: 2800, sbMac16: 4, ebr: 20, spram: 0, unverified: ['ebr'] },
];

const DEVICE_HOSTILE: readonly unknown[] = [...HOSTILE_VALUES, 'xilinx', 'intel', 'lattice', 'kintex-7', 'cyclone-v', 'xc7z020', 'zu3', 'up5k', 1e300, NaN];
const JSON_CHARS = ['{', '}', '[', ']', '"', ',', ':', '0', '9', '-', 'e', '.', ' ', '\\', 'x', '\n', '\u0000', '\u00e9', '\ud800'];

function text(rng: FuzzRng): { kind: string; text: string | Uint8Array } {
  const base = rng.pick(BASES);
  switch (rng.int(0, 5)) {
    case 0:
    case 1: {
      let doc: unknown = base;
      for (let n = rng.int(1, 3); n > 0; n--) doc = mutateJson(doc, rng, DEVICE_HOSTILE);
      return { kind: 'json-value', text: JSON.stringify(doc) ?? 'undefined' };
    }
    case 2:
      return { kind: 'json-text', text: mutateText(JSON.stringify(base, null, rng.int(0, 2)), rng, JSON_CHARS) };
    case 3: {
      const m = mutateBytes(new TextEncoder().encode(JSON.stringify(base)), rng);
      return { kind: `bytes-${m.kind}`, text: m.bytes };
    }
    case 4:
      return { kind: 'not-an-object', text: rng.pick(['', ' ', 'null', '[]', '"xc7z020"', '42', 'true', '{}', '[{}]', '{"vendor":"xilinx"}', '\uFEFF{}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]']) };
    default:
      // Deep nesting and oversize files: JSON.parse must not overflow the stack, and the size cap holds.
      return rng.chance(0.5)
        ? { kind: 'deep-nesting', text: `${'['.repeat(rng.int(1000, 100000))}${']'.repeat(rng.int(0, 10))}` }
        : { kind: 'oversize', text: JSON.stringify({ ...base, description: 'x'.repeat(rng.pick([150, 250, 1 << 20])) }) };
  }
}

export const devicesTarget: FuzzTarget = {
  name: 'device JSON (--device-file)',
  ciCases: 1500,
  make: (rng) => {
    const t = text(rng);
    const path = scratchFile('device.json', t.text);
    return {
      kind: t.kind,
      run: () => {
        const d = loadDeviceFile(path);
        if (!d.name || !(d.onChipMemoryBits >= 0)) throw new Error('accepted device is malformed');
      },
    };
  },
};

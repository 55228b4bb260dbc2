/**
 * Device description files (`--device-file`, loadDeviceFile): valid files of
 * each vendor damaged as JSON values, as JSON text and as bytes, plus files
 * that are not JSON objects at all.
 */
import { loadDeviceFile } from '../../generator/map/devices.js';
import { type FuzzRng, type FuzzTarget, HOSTILE_VALUES, mutateJsonFile, scratchFile } from './harness.js';

/** A complete, valid Xilinx device file (devices.test.ts checks what it loads as). */
export const GOOD_ARTIX = {
  name: 'xc7a100t',
  aliases: ['arty-a7-100'],
  vendor: 'xilinx',
  family: 'artix-7',
  part: 'xc7a100tcsg324-1',
  speedGrade: '-1',
  maxClockMhzHint: 200,
  source: 'Xilinx DS180 7 Series FPGAs Data Sheet: Overview, Artix-7 table, XC7A100T column',
  lut6: 63_400,
  ff: 126_800,
  dsp: 240,
  bram36: 135,
  uramCount: 0,
};

const BASES: readonly Record<string, unknown>[] = [
  GOOD_ARTIX,
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
      return { kind: 'not-an-object', text: rng.pick(['', ' ', 'null', '[]', '"xc7z020"', '42', 'true', '{}', '[{}]', '{"vendor":"xilinx"}', '\uFEFF{}', `${'['.repeat(50)}${']'.repeat(50)}`]) };
    case 1:
      // Deep nesting and oversize files: JSON.parse must not overflow the stack, and the size cap holds.
      return rng.chance(0.5)
        ? { kind: 'deep-nesting', text: `${'['.repeat(rng.int(1000, 100000))}${']'.repeat(rng.int(0, 10))}` }
        : { kind: 'oversize', text: JSON.stringify({ ...base, description: 'x'.repeat(rng.pick([150, 250, 1 << 20])) }) };
    default:
      return mutateJsonFile(base, rng, DEVICE_HOSTILE, JSON_CHARS);
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

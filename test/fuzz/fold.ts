/**
 * Folding files (`--fold FILE.json`, readFolding) for a small zoo model: legal
 * foldings damaged as JSON values (knobs, stage names with quotes, newlines
 * and non-ASCII), as JSON text and as bytes.
 */
import { readFolding, foldingJson } from '../../generator/cli/commands.js';
import { balancedFolding, resolveFolding } from '../../generator/emit/fold.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import { zooModel } from '../../generator/zoo/index.js';
import { type FuzzRng, type FuzzTarget, HOSTILE_VALUES, mutateJsonFile, scratchFile } from './harness.js';

let model: { info: ModelInfo; bases: readonly Record<string, unknown>[] } | undefined;

/** The model and its legal foldings, made on first use. */
function fixture(): { info: ModelInfo; bases: readonly Record<string, unknown>[] } {
  if (model === undefined) {
    const info = zooModel('sepnet-tiny-28').info;
    const bases = [balancedFolding(info), balancedFolding(info, { window: false }), resolveFolding(info, undefined, 'default')].map(
      (f) => JSON.parse(foldingJson(f)) as Record<string, unknown>,
    );
    // A file may name just some stages.
    const stages = Object.entries(bases[0]!['stages'] as Record<string, unknown>);
    bases.push({ stages: Object.fromEntries(stages.slice(0, 2)) }, { stages: {} });
    model = { info, bases };
  }
  return model;
}

const FOLD_HOSTILE: readonly unknown[] = [...HOSTILE_VALUES, 2, 3, 4, 8, 16, 32, 64, 7, -2, 1.0000001, false, 'true', 'conv1', 'stem\n', 'L0 "x"/../y'];
const JSON_CHARS = ['{', '}', '[', ']', '"', ',', ':', '0', '1', '9', '-', 'e', ' ', '\\', 'x', '\n', '\u0000', '\u00e9', '\u2028'];

function file(rng: FuzzRng, bases: readonly Record<string, unknown>[]): { kind: string; text: string | Uint8Array } {
  const base = rng.pick(bases);
  if (rng.int(0, 4) > 0) return mutateJsonFile(base, rng, FOLD_HOSTILE, JSON_CHARS);
  // A stage named like no layer, with characters a message must not print raw.
  const name = rng.pick(['nope', 'conv1\nerror: injected', '"quoted"', 'Ünïcödé.stage', '', '__proto__', 'constructor', ' stem ']);
  return { kind: 'stage-name', text: JSON.stringify({ stages: { ...(base['stages'] as object), [name]: { pe: 1 } } }) };
}

export const foldTarget: FuzzTarget = {
  name: 'folding JSON (--fold)',
  ciCases: 1500,
  make: (rng) => {
    const { info, bases } = fixture();
    const f = file(rng, bases);
    const path = scratchFile('fold.json', f.text);
    return {
      kind: f.kind,
      run: () => {
        const chosen = readFolding(info, path);
        if (chosen.folding.size !== info.layers.length) throw new Error('accepted folding misses stages');
      },
    };
  },
};

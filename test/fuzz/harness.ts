/**
 * What every input fuzzer shares: a seeded case generator per parser (a
 * FuzzTarget), one rule for judging a case, and the run that tallies them.
 * The CI tests (test/unit/*-fuzz.test.ts) and `npm run fuzz` (bench/fuzz.ts)
 * both run targets through runFuzz, so they judge cases the same way.
 *
 * The rule: a case ends in a valid parse or in a GenRtlError whose message is
 * one line naming the problem. Any other exception, a multi-line message, or a
 * case slower than MAX_CASE_MS is a crash.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenRtlError } from '../../generator/util/errors.js';
import { Prng } from '../../generator/util/prng.js';

/** The issue's bound on one case: "never a hang over 5 s". */
export const MAX_CASE_MS = 5000;

/** The repo's seeded PRNG with the few helpers mutators need. */
export class FuzzRng extends Prng {
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(0, 255));
  }
}

/** One generated input: `kind` names the mutation; `run` parses it, returning normally when the input is valid. */
export interface FuzzCase {
  readonly kind: string;
  readonly run: () => void;
}

export interface FuzzTarget {
  /** The parser, as the table names it. */
  readonly name: string;
  /** How many cases CI runs. */
  readonly ciCases: number;
  /** Case `i` of a run; all randomness from `rng`. */
  readonly make: (rng: FuzzRng, i: number) => FuzzCase;
}

export type Outcome = 'rejected' | 'accepted';

export interface KindTally {
  rejected: number;
  accepted: number;
}

export interface FuzzStats {
  readonly target: string;
  readonly seed: number;
  cases: number;
  rejected: number;
  accepted: number;
  /** One line per crash: case number, kind and what went wrong. */
  readonly crashes: string[];
  slowestMs: number;
  slowestKind: string;
  /** Process-wide peak resident set size after the run, MiB. */
  peakRssMb: number;
  readonly byKind: Map<string, KindTally>;
  /** Distinct error messages, numbers and quoted names taken out (how many different problems were named). */
  readonly rules: Set<string>;
}

/** The problem a message names, with its file, numbers and quoted names taken out. */
export function ruleOf(message: string): string {
  return message
    .replace(/"(?:[^"\\]|\\.)*"/g, 'S')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 120);
}

type Judgement = { readonly outcome: Outcome; readonly message: string } | { readonly crash: string };

/** Judges one case: accepted, rejected with its message, or a crash and what went wrong. */
function judge(c: FuzzCase): Judgement {
  try {
    c.run();
    return { outcome: 'accepted', message: '' };
  } catch (e) {
    if (!(e instanceof GenRtlError)) return { crash: `${e instanceof Error ? e.name : typeof e}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) };
    if (/[\n\r\u2028\u2029]/.test(e.message)) return { crash: `multi-line message ${JSON.stringify(e.message).slice(0, 200)}` };
    if (!/^.+: \S/.test(e.message)) return { crash: `message names no place and problem: ${JSON.stringify(e.message)}` };
    return { outcome: 'rejected', message: e.message };
  }
}

/** Runs `cases` cases of `target` from `seed`. Never throws for a bad case: crashes are collected. */
export function runFuzz(target: FuzzTarget, cases: number, seed: number): FuzzStats {
  const rng = new FuzzRng(seed);
  const stats: FuzzStats = {
    target: target.name,
    seed,
    cases: 0,
    rejected: 0,
    accepted: 0,
    crashes: [],
    slowestMs: 0,
    slowestKind: '',
    peakRssMb: 0,
    byKind: new Map(),
    rules: new Set(),
  };
  for (let i = 0; i < cases; i++) {
    const c = target.make(rng, i);
    const t0 = performance.now();
    const j = judge(c);
    const ms = performance.now() - t0;
    stats.cases++;
    if (ms > stats.slowestMs) {
      stats.slowestMs = ms;
      stats.slowestKind = c.kind;
    }
    if ('crash' in j) {
      stats.crashes.push(`${target.name} #${i} ${c.kind}: ${j.crash}`);
      continue;
    }
    if (ms > MAX_CASE_MS) stats.crashes.push(`${target.name} #${i} ${c.kind}: took ${ms.toFixed(0)} ms (over ${MAX_CASE_MS} ms)`);
    stats[j.outcome]++;
    const k = stats.byKind.get(c.kind) ?? { rejected: 0, accepted: 0 };
    k[j.outcome]++;
    stats.byKind.set(c.kind, k);
    if (j.outcome === 'rejected') stats.rules.add(ruleOf(j.message));
  }
  stats.peakRssMb = process.resourceUsage().maxRSS / 1024;
  return stats;
}

/** One line for logs: counts, slowest case and distinct messages. */
export function summary(s: FuzzStats): string {
  return `${s.target} fuzz (seed ${s.seed}): ${s.cases} cases, ${s.rejected} rejected, ${s.accepted} accepted, ${s.crashes.length} crashes, ${s.rules.size} distinct messages, slowest ${s.slowestMs.toFixed(1)} ms (${s.slowestKind})`;
}

// ---------------------------------------------------------------------------
// Mutators shared by the targets.

/** Values that break parsers: wrong types, boundaries, huge and fractional numbers, names with quotes, newlines and non-ASCII. */
export const HOSTILE_VALUES: readonly unknown[] = [
  0, -1, 1, 1e9, 2 ** 31, 2 ** 53 + 2, 0.5, -1e308, 1e308, '', 'x', 'L0.bias', 'a\nb', '"quoted"', 'Ünï\u2028cödé', '\u0000', 'a'.repeat(300), null, true, [], {}, [1, 2],
];

/** Replaces a random leaf of a JSON value with a hostile one, deletes or duplicates array entries, adds or renames keys. */
export function mutateJson(v: unknown, rng: FuzzRng, hostile: readonly unknown[] = HOSTILE_VALUES): unknown {
  if (Array.isArray(v) && v.length > 0 && rng.float() < 0.8) {
    const copy = [...v];
    const i = rng.int(0, copy.length - 1);
    const op = rng.int(0, 3);
    if (op === 0) copy.splice(i, 1);
    else if (op === 1) copy.push(copy[i]);
    else copy[i] = mutateJson(copy[i], rng, hostile);
    return copy;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && rng.float() < 0.9) {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 0 || rng.float() < 0.05) return { ...obj, [String(rng.pick(hostile))]: rng.pick(hostile) };
    const k = rng.pick(keys);
    switch (rng.int(0, 9)) {
      case 0: {
        const { [k]: _gone, ...rest } = obj;
        return rest;
      }
      case 1: {
        // Renamed key: unknown names, quotes, newlines.
        const { [k]: value, ...rest } = obj;
        return { ...rest, [rng.pick([`${k}\n`, `"${k}"`, k.toUpperCase(), `${k}.x`, '', 'Ü'])]: value };
      }
      default:
        return { ...obj, [k]: mutateJson(obj[k], rng, hostile) };
    }
  }
  if (typeof v === 'number' && rng.float() < 0.5) return v + rng.int(-3, 3);
  return rng.pick(hostile);
}

/** Single-character edits of a text: replace, insert or delete characters drawn from `chars`. */
export function mutateText(text: string, rng: FuzzRng, chars: readonly string[], edits = rng.int(1, 3)): string {
  let out = text;
  for (let n = edits; n > 0; n--) {
    const at = rng.int(0, out.length);
    const ch = rng.pick(chars);
    switch (rng.int(0, 2)) {
      case 0:
        out = out.slice(0, at) + ch + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + ch + out.slice(at);
        break;
      default:
        out = out.slice(0, at) + out.slice(at + 1);
    }
  }
  return out;
}

/** A damaged JSON file made from `doc`: edited values (half the cases), single-character text edits, or damaged bytes. */
export function mutateJsonFile(doc: unknown, rng: FuzzRng, hostile: readonly unknown[], chars: readonly string[]): { kind: string; text: string | Uint8Array } {
  switch (rng.int(0, 3)) {
    case 0:
    case 1: {
      let edited = doc;
      for (let n = rng.int(1, 3); n > 0; n--) edited = mutateJson(edited, rng, hostile);
      return { kind: 'json-value', text: JSON.stringify(edited) ?? 'undefined' };
    }
    case 2:
      return { kind: 'json-text', text: mutateText(JSON.stringify(doc, null, rng.int(0, 2)), rng, chars) };
    default: {
      const m = mutateBytes(new TextEncoder().encode(JSON.stringify(doc)), rng);
      return { kind: `bytes-${m.kind}`, text: m.bytes };
    }
  }
}

/** Byte-level damage any file format must survive: truncation, flipped bits, overwritten bytes, appended or random bytes. */
export function mutateBytes(b: Uint8Array, rng: FuzzRng): { kind: string; bytes: Uint8Array } {
  const out = Uint8Array.from(b);
  switch (rng.int(0, 4)) {
    case 0:
      return { kind: 'truncate', bytes: out.subarray(0, rng.int(0, Math.max(0, out.length - 1))) };
    case 1:
      for (let k = rng.int(1, 8); k > 0 && out.length > 0; k--) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7);
      return { kind: 'bitflip', bytes: out };
    case 2:
      for (let k = rng.int(1, 4); k > 0 && out.length > 0; k--) out[rng.int(0, out.length - 1)] = rng.pick([0x00, 0x0a, 0x22, 0x2c, 0x80, 0xc3, 0xff, rng.int(0, 255)]);
      return { kind: 'overwrite', bytes: out };
    case 3: {
      const at = rng.int(0, out.length);
      return { kind: 'insert', bytes: Uint8Array.from([...out.subarray(0, at), ...rng.bytes(rng.int(1, 16)), ...out.subarray(at)]) };
    }
    default:
      return { kind: 'random', bytes: rng.bytes(rng.int(0, 300)) };
  }
}

// ---------------------------------------------------------------------------
// Scratch files for parsers that take a path.

let scratch: string | undefined;

/** Writes `bytes` to `name` in a per-process temporary folder (removed at exit) and returns its path. */
export function scratchFile(name: string, bytes: Uint8Array | string): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'gen-rtl-fuzz-'));
    scratch = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(scratch, name);
  // Removed first: on ext4, truncating a file that holds data flushes it to disk (auto_da_alloc), 50 times slower.
  rmSync(path, { force: true });
  writeFileSync(path, bytes);
  return path;
}

/** Shared by the co-simulation suites: tool detection, random images, a planted weight fault. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSimulator } from '../../generator/cosim/simulators.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import type { Pixels } from '../../generator/reference/run.js';
import { Prng } from '../../generator/util/prng.js';

export const HAVE_VERILATOR = findSimulator('verilator') !== null;
export const HAVE_IVERILOG = findSimulator('iverilog') !== null;

if (!HAVE_VERILATOR) console.warn('NOTICE: verilator not found: co-simulation tests under Verilator are skipped');
if (!HAVE_IVERILOG) console.warn('NOTICE: iverilog not found: co-simulation tests under Icarus are skipped');

/** Seeded uniform random images, plus the all-0 and all-255 corners. */
export function randomImages(info: ModelInfo, count: number, seed: number): Pixels[] {
  const s = info.input;
  const n = s.height * s.width * s.channels;
  const rng = new Prng(seed);
  const images: Pixels[] = [
    { ...s, data: new Uint8Array(n).fill(255) },
    { ...s, data: new Uint8Array(n) },
  ];
  while (images.length < count) images.push({ ...s, data: Uint8Array.from({ length: n }, () => rng.int(0, 255)) });
  return images.slice(0, count);
}

/** Relative error of a measured cycle count against the prediction. */
export function cycleError(measured: number | null, predicted: number): number {
  return measured === null ? Infinity : Math.abs(measured - predicted) / predicted;
}

/**
 * Negates the int8 weight in the low byte of row 0 of an emitted weight memory (`mem/FILE` of a
 * generated design; 0 becomes 1): a planted fault that co-simulation must catch.
 */
export function negateFirstWeight(designDir: string, file: string): void {
  const path = join(designDir, 'mem', file);
  const rows = readFileSync(path, 'utf8').split('\n');
  const byte = parseInt(rows[0]!.slice(-2), 16);
  rows[0] = rows[0]!.slice(0, -2) + ((256 - byte) & 255 || 1).toString(16).padStart(2, '0');
  writeFileSync(path, rows.join('\n'));
}

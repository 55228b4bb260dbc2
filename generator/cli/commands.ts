/**
 * The commands behind the CLI: each takes parsed options and returns the
 * result it prints; only the CLI edge turns errors into exit codes.
 */
import { statSync } from 'node:fs';
import { writeModel, readModelFile } from '../format/model-file.js';
import { loadImage } from '../io/images.js';
import { runFloat } from '../reference/float.js';
import { runInteger } from '../reference/integer.js';
import { renderSummary, summarize } from '../report/summary.js';
import { GenRtlError } from '../util/errors.js';
import { writeFileAtomic } from '../util/files.js';
import { NETS } from '../zoo/nets.js';
import { DEFAULT_SEED, zooModel } from '../zoo/index.js';
import { printJson, type CliIo } from './io.js';

export function zooList(io: CliIo, json: boolean): void {
  if (json) {
    printJson(io, { models: NETS.map((n) => ({ name: n.name, description: n.description })) });
    return;
  }
  const w = Math.max(...NETS.map((n) => n.name.length));
  io.stdout(`${NETS.map((n) => `${n.name.padEnd(w)}  ${n.description}`).join('\n')}\n`);
}

export function zooWrite(io: CliIo, name: string, out: string, seed: number | undefined, json: boolean): void {
  const s = seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(s) || s < 0 || s > 0xffffffff) throw new GenRtlError('--seed', `must be an integer in 0..4294967295, got ${seed}`);
  const { info, report } = zooModel(name, s);
  const bytes = writeModel(info);
  writeFileAtomic(out, bytes);
  const result = {
    model: name,
    seed: s,
    out,
    sizeBytes: bytes.length,
    quantization: report,
  };
  if (json) printJson(io, result);
  else io.stdout(`wrote ${out}: ${name} (seed ${s}), ${bytes.length.toLocaleString('en-US')} bytes\n`);
}

export function inspect(io: CliIo, file: string, json: boolean): void {
  const info = readModelFile(file);
  const sizeBytes = statSync(file).size;
  const s = summarize(info);
  if (json) printJson(io, { ...s, sizeBytes });
  else io.stdout(renderSummary(s, sizeBytes));
}

export function run(io: CliIo, file: string, input: string, index: number | undefined, float: boolean, json: boolean): void {
  const info = readModelFile(file);
  if (index !== undefined && (!Number.isSafeInteger(index) || index < 0)) throw new GenRtlError('--index', `must be a non-negative integer, got ${index}`);
  const image = loadImage(input, index === undefined ? {} : { index });
  const r = float ? runFloat(info, image) : runInteger(info, image);
  const logits = Array.from(r.logits);
  const label = info.model.classes[r.class]!;
  if (json) {
    printJson(io, { model: info.model.name, input, index: index ?? null, reference: float ? 'float' : 'integer', logits, class: r.class, label });
    return;
  }
  const fmt = (v: number): string => (float ? v.toPrecision(6) : String(v));
  io.stdout(`${float ? 'float' : 'integer'} reference, ${info.model.name}, ${input}${index !== undefined ? ` [${index}]` : ''}\n`);
  logits.forEach((v, i) => io.stdout(`  ${String(i).padStart(4)}  ${fmt(v).padStart(12)}  ${info.model.classes[i]}${i === r.class ? '   <- class' : ''}\n`));
  io.stdout(`class ${r.class} (${label})\n`);
}

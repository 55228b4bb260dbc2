/**
 * The `inspect` analysis: counts, work and sizes of a model, as data with
 * units in the key names. Rendering lives in the CLI.
 */
import type { ModelInfo } from '../ir/analyze.js';
import type { Counts } from '../ir/kinds.js';
import { fmtShape } from '../ir/kinds.js';

/** Model sizes in bytes of the paper's three variants (Table 6), by our definitions (docs/model-zoo.md). */
export interface VariantSizes {
  /** Every parameter as float32. */
  readonly r: number;
  /** Binarized weights as bits plus one float32 alpha per filter; everything else float32. */
  readonly b: number;
  /** As B, but int8 weights as bytes plus one float32 scale per output channel; biases float32. */
  readonly bq: number;
}

export function variantSizes(c: Counts): VariantSizes {
  const bits = Math.ceil(c.binaryWeights / 8);
  const rest = c.fullParams - c.binaryWeights;
  return {
    r: 4 * c.fullParams,
    b: bits + 4 * c.binaryFilters + 4 * rest,
    bq: bits + 4 * c.binaryFilters + c.int8Weights + 4 * c.int8Channels + 4 * c.biases,
  };
}

export interface LayerSummary {
  readonly name: string;
  readonly kind: string;
  readonly inputs: readonly string[];
  readonly outShape: { readonly height: number; readonly width: number; readonly channels: number };
  readonly outType: string;
  readonly params: { readonly full: number; readonly pattern: number; readonly binary: number; readonly int8: number };
  readonly macs: { readonly binary: number; readonly int8: number };
  /** Width of each requantization term's accumulator, then of the requantization sum. */
  readonly accBits: readonly number[];
  readonly requantBits: number | null;
}

export interface ModelSummary {
  readonly name: string;
  readonly input: { readonly height: number; readonly width: number; readonly channels: number };
  readonly classes: number;
  readonly labels: readonly string[];
  readonly params: { readonly full: number; readonly pattern: number; readonly binary: number; readonly int8: number };
  readonly macs: { readonly binary: number; readonly int8: number };
  readonly modelSizeBytes: VariantSizes;
  readonly provenance: ModelInfo['model']['provenance'];
  readonly layers: readonly LayerSummary[];
}

export function typeName(t: { signed: boolean; bits: number }): string {
  return `${t.signed ? 'int' : 'uint'}${t.bits}`;
}

export function summarize(info: ModelInfo): ModelSummary {
  const t = info.totals;
  return {
    name: info.model.name,
    input: { ...info.input },
    classes: info.model.classes.length,
    labels: info.model.classes,
    params: { full: t.fullParams, pattern: t.patternParams, binary: t.binaryWeights, int8: t.int8Weights },
    macs: { binary: t.binaryMacs, int8: t.int8Macs },
    modelSizeBytes: variantSizes(t),
    provenance: info.model.provenance,
    layers: info.layers.map((l) => ({
      name: l.layer.name,
      kind: l.layer.kind,
      inputs: l.layer.inputs,
      outShape: { ...l.outShape },
      outType: typeName(l.outType),
      params: { full: l.counts.fullParams, pattern: l.counts.patternParams, binary: l.counts.binaryWeights, int8: l.counts.int8Weights },
      macs: { binary: l.counts.binaryMacs, int8: l.counts.int8Macs },
      accBits: l.acc.map((a) => a.bits),
      requantBits: l.requantSum?.bits ?? null,
    })),
  };
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function renderSummary(s: ModelSummary, sizeBytes: number): string {
  const head = [
    `model     ${s.name}`,
    `input     ${s.input.height}x${s.input.width}x${s.input.channels} (HxWxC, uint8 pixels)`,
    `classes   ${s.classes}`,
    `params    full ${num(s.params.full)}, pattern ${num(s.params.pattern)} (one per binarized kernel), binary ${num(s.params.binary)}, int8 ${num(s.params.int8)}`,
    `MACs      binary ${num(s.macs.binary)}, int8 ${num(s.macs.int8)} per image`,
    `sizes     R ${num(s.modelSizeBytes.r)} B, B ${num(s.modelSizeBytes.b)} B, BQ ${num(s.modelSizeBytes.bq)} B; this file ${num(sizeBytes)} B`,
    `source    ${s.provenance.source}`,
  ];
  const rows = [
    ['layer', 'kind', 'output', 'type', 'params', 'binary MACs', 'int8 MACs', 'acc bits'],
    ...s.layers.map((l) => [
      l.name,
      l.kind,
      fmtShape(l.outShape),
      l.outType,
      num(l.params.full),
      num(l.macs.binary),
      num(l.macs.int8),
      l.accBits.length ? `${l.accBits.join('+')}${l.requantBits !== null ? ` -> ${l.requantBits}` : ''}` : '-',
    ]),
  ];
  return `${head.join('\n')}\n\n${table(rows)}\n`;
}

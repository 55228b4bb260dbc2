/**
 * The pure part of `npm run bench`: medians, the DSP roofline, figures with
 * their targets, the results file's schema and the printed table. No timing,
 * no tools: the unit test exercises all of it.
 */
import { z } from 'zod';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Cycles per image if every DSP slice did one int8 multiply-accumulate per
 * cycle and nothing else limited the design: int8 MACs per image ÷ DSPs.
 */
export function rooflineCycles(int8MacsPerImage: number, dsps: number): number {
  if (!(dsps > 0)) throw new Error(`roofline of a device with ${dsps} DSP slices`);
  return int8MacsPerImage / dsps;
}

/** Share of the roofline reached: roofline cycles ÷ the design's cycles per image. */
export function efficiency(rooflineCyclesPerImage: number, cyclesPerImage: number): number {
  return rooflineCyclesPerImage / cyclesPerImage;
}

/** A figure's target: the value must stay at most (`max`) or reach at least (`min`) the bound. */
export const TargetSchema = z.object({ kind: z.enum(['max', 'min']), value: z.number() });
export type Target = z.infer<typeof TargetSchema>;

export const FigureSchema = z.object({
  name: z.string(),
  /** null: not measured (skipped or failed; the note says why). */
  value: z.number().nullable(),
  unit: z.string(),
  target: TargetSchema.nullable(),
  /** null when there is no target or no value. */
  met: z.boolean().nullable(),
  /** Runs the median was taken over (1: a single measurement; 0: not measured). */
  runs: z.number().int().nonnegative(),
  note: z.string(),
});
export type Figure = z.infer<typeof FigureSchema>;

export const ResultsSchema = z.object({
  machine: z.object({ cpus: z.number().int().positive(), model: z.string(), memGB: z.number(), loadAverage: z.array(z.number()).length(3) }),
  versions: z.object({ node: z.string(), verilator: z.string().nullable(), onnxruntime: z.string().nullable(), genRtl: z.string() }),
  quick: z.boolean(),
  date: z.string(),
  figures: z.array(FigureSchema),
});
export type Results = z.infer<typeof ResultsSchema>;

export function meets(value: number | null, target: Target | null): boolean | null {
  if (value === null || target === null) return null;
  return target.kind === 'max' ? value <= target.value : value >= target.value;
}

export function figure(name: string, value: number | null, unit: string, target: Target | null, runs: number, note = ''): Figure {
  return { name, value, unit, target, met: meets(value, target), runs: value === null ? 0 : runs, note };
}

/** A figure that was not measured, with the reason. */
export function skipped(name: string, unit: string, target: Target | null, why: string): Figure {
  return figure(name, null, unit, target, 0, why);
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function targetText(t: Target | null, unit: string): string {
  return t === null ? '-' : `${t.kind === 'max' ? '<=' : '>='} ${fmt(t.value)} ${unit}`;
}

export function metText(f: Figure): string {
  if (f.met !== null) return f.met ? 'met' : 'MISSED';
  return f.value === null ? 'n/a' : '-';
}

/** The table `npm run bench` prints: one line per figure, the note last. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [f.name, f.value === null ? 'n/a' : `${fmt(f.value)} ${f.unit}`, targetText(f.target, f.unit), metText(f), f.runs > 1 ? `median of ${f.runs}` : f.runs === 1 ? '1 run' : '', f.note]);
  const head = ['figure', 'value', 'target', 'met', 'runs', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 5 ? 0 : r[i]!.length))));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 5 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w, i) => '-'.repeat(i === 5 ? 4 : w))), ...rows.map(line)].join('\n');
}

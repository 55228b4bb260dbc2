/**
 * Folding: how much of each stage's work runs in parallel. A conv-like stage
 * computes PE output channels per step over SIMD input channels; pointwise
 * stages (add, average pool) handle PE channels per cycle. Legal values divide
 * the per-group channel counts exactly.
 */
import { z } from 'zod';
import { oneLine } from '../format/container-layout.js';
import { quoteName } from '../format/container-tensors.js';
import type { LayerInfo, ModelInfo } from '../ir/analyze.js';
import { GenRtlError } from '../util/errors.js';
import { stageCycles } from './cycles.js';

export interface Fold {
  readonly pe: number;
  readonly simd: number;
  /** Tap-parallel core (gr_conv_window_stage): the whole K×K window per step; k×k stages only. */
  readonly window: boolean;
  /**
   * The stage's RAMs — its line buffer, or the FIFOs on its inputs at a join — in LUT RAM rather
   * than the synthesis tool's choice (block RAM when wide and shallow wastes most of each block).
   * Only where the stage has such RAMs (`hasRams`).
   */
  readonly lutram?: boolean;
  /**
   * The stage's line buffer in UltraRAM (URAM288, UltraScale+ parts that have it): deep blocks of
   * 72-bit words that hold a wide line buffer without LUTs or block RAM. Only where the stage has a
   * line buffer (`hasLineBuffer`); not with `lutram`.
   */
  readonly uram?: boolean;
  /**
   * Two int8 products per multiplier: output-channel lanes 2q and 2q+1 share one DSP for the
   * product of their weights with the same input (gr_conv_stage PACK). Tap core, stages with int8
   * products (`canPack`), an even PE.
   */
  readonly pack?: boolean;
  /**
   * The PRB's 1×1 branch over `spread` steps per input chunk (gr_conv_stage SPREAD): its int8
   * products use SIMD/spread multipliers per lane instead of SIMD, idle on no tap rather than on all
   * but the centre one. PRB on the tap core; a divisor of SIMD, at most (K²−1)/2 (`maxSpread`).
   */
  readonly spread?: number;
  /**
   * The FIFO on each input of this join, in input order: 0 a gr_fifo, w > 0 a gr_fifo_wc with
   * memory words of w bits. Absent: the generator's choice (design.ts, map/cost.ts chooseJoinFifo).
   * The optimizer sets it, so that the design has the FIFOs it costed. Joins only; all 0 with
   * `lutram`.
   */
  readonly fifoWordBits?: readonly number[];
}

export type Folding = ReadonlyMap<string, Fold>;

/** The channel counts a stage's folding must divide: [PE limit, SIMD limit]; null: no knob. */
export function foldLimits(l: LayerInfo): { pe: number; simd: number } | null {
  const layer = l.layer;
  switch (layer.kind) {
    case 'binconv':
    case 'conv':
    case 'prb':
      return { pe: layer.outChannels / layer.geom.groups, simd: l.inShapes[0]!.channels / layer.geom.groups };
    case 'fc':
      return { pe: layer.outChannels, simd: l.inShapes[0]!.channels };
    case 'input':
      // Built as a dense 1×1 stage with a diagonal 0/1 weight matrix (stages.ts), so all channels of a pixel can run at once.
      return { pe: layer.channels, simd: layer.channels };
    case 'add':
    case 'avgpool':
      return { pe: l.outShape.channels, simd: 1 };
    case 'maxpool':
    case 'concat':
      return null;
  }
}

function largestDivisorAtMost(n: number, cap: number): number {
  for (let d = Math.min(n, cap); d >= 1; d--) if (n % d === 0) return d;
  return 1;
}

/** The default until the mapper chooses: all input channels of a group per step, one output channel. */
export function defaultFold(l: LayerInfo): Fold {
  const lim = foldLimits(l);
  if (!lim) return { pe: 1, simd: 1, window: false };
  switch (l.layer.kind) {
    case 'add':
    case 'avgpool':
      return { pe: largestDivisorAtMost(lim.pe, 8), simd: 1, window: false };
    default:
      return { pe: 1, simd: lim.simd, window: false };
  }
}

/** Whether a stage can use the tap-parallel window core: a k×k convolution, k > 1. */
export function canWindow(l: LayerInfo): boolean {
  const layer = l.layer;
  return (layer.kind === 'binconv' || layer.kind === 'conv' || layer.kind === 'prb') && layer.geom.kernel > 1;
}

/** Whether a stage has int8 products a lane pair can share (PACK): conv, PRB, FC, input; binconv has none. */
export function canPack(l: LayerInfo): boolean {
  const kind = l.layer.kind;
  return kind === 'conv' || kind === 'prb' || kind === 'fc' || kind === 'input';
}

/** The largest legal `spread` of a PRB stage at this SIMD on the tap core (1: none). */
export function maxSpread(l: LayerInfo, simd: number): number {
  if (l.layer.kind !== 'prb') return 1;
  const kk = l.layer.geom.kernel * l.layer.geom.kernel;
  return largestDivisorAtMost(simd, Math.floor((kk - 1) / 2));
}

/** Whether a stage has a line buffer: k×k or strided convolutions and max pools (a 1×1 stride-1 stage keeps two pixels in registers). */
export function hasLineBuffer(l: LayerInfo): boolean {
  const layer = l.layer;
  switch (layer.kind) {
    case 'binconv':
    case 'conv':
    case 'prb':
      return !(layer.geom.kernel === 1 && layer.geom.stride === 1 && layer.geom.pad === 0);
    case 'maxpool':
      return true;
    default:
      return false;
  }
}

/** Whether a stage has RAMs whose style the mapper may choose: a line buffer or input FIFOs (joins). */
export function hasRams(l: LayerInfo): boolean {
  const layer = l.layer;
  return hasLineBuffer(l) || ((layer.kind === 'add' || layer.kind === 'concat') && layer.inputs.length > 1);
}

export function checkFold(l: LayerInfo, f: Fold): void {
  const where = `stage "${l.layer.name}" (${l.layer.kind})`;
  if (f.window && !canWindow(l)) throw new GenRtlError(where, 'window (tap-parallel) folding needs a k×k convolution with k > 1');
  if (f.lutram && !hasRams(l)) throw new GenRtlError(where, 'lutram needs a stage with a line buffer or join FIFOs');
  if (f.uram && !hasLineBuffer(l)) throw new GenRtlError(where, 'uram needs a stage with a line buffer (a k×k or strided convolution, or a max pool)');
  if (f.uram && f.lutram) throw new GenRtlError(where, 'lutram and uram exclude each other (one memory style for the line buffer)');
  if (f.spread !== undefined && f.spread !== 1) {
    if (l.layer.kind !== 'prb') throw new GenRtlError(where, 'spread is for PRB stages (their 1×1 branch)');
    if (f.window) throw new GenRtlError(where, 'spread is for the one-tap-per-cycle core (window false)');
    const kk = l.layer.geom.kernel * l.layer.geom.kernel;
    if (!Number.isSafeInteger(f.spread) || f.spread < 1 || f.simd % f.spread !== 0 || f.spread > (kk - 1) / 2) {
      throw new GenRtlError(where, `spread ${f.spread} must be a divisor of simd ${f.simd} of at most ${Math.floor((kk - 1) / 2)} ((K²−1)/2)`);
    }
  }
  if (f.fifoWordBits !== undefined) {
    const n = l.layer.inputs.length;
    if (n < 2) throw new GenRtlError(where, 'fifoWordBits needs a join (a stage with several inputs)');
    if (f.fifoWordBits.length !== n) throw new GenRtlError(where, `fifoWordBits needs one entry per input (${n}), got ${f.fifoWordBits.length}`);
    for (const w of f.fifoWordBits) {
      if (!Number.isSafeInteger(w) || w < 0) throw new GenRtlError(where, `fifoWordBits entries must be 0 (gr_fifo) or a word width in bits, got ${w}`);
      if (f.lutram && w !== 0) throw new GenRtlError(where, 'lutram puts the join FIFOs in LUT RAM: fifoWordBits must be 0 with it');
    }
  }
  if (f.pack) {
    if (!canPack(l)) throw new GenRtlError(where, 'pack needs a stage with int8 products (conv, prb, fc, input)');
    if (f.window) throw new GenRtlError(where, 'pack is for the one-tap-per-cycle core (window false)');
    if (f.pe % 2 !== 0) throw new GenRtlError(where, `pack needs an even pe (lane pairs share a multiplier), got ${f.pe}`);
  }
  const lim = foldLimits(l);
  if (!lim) {
    if (f.pe !== 1 || f.simd !== 1) throw new GenRtlError(where, 'has no folding knobs (pe and simd must be 1)');
    return;
  }
  for (const [knob, v, max] of [['pe', f.pe, lim.pe], ['simd', f.simd, lim.simd]] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || max % v !== 0) {
      throw new GenRtlError(where, `${knob} ${v} must be a positive divisor of ${max} (${knob === 'pe' ? 'output' : 'input'} channels per group)`);
    }
  }
}

const foldFile = z.strictObject({
  stages: z.record(z.string(), z.strictObject({ pe: z.number().int().optional(), simd: z.number().int().optional(), window: z.boolean().optional(), lutram: z.boolean().optional(), uram: z.boolean().optional(), pack: z.boolean().optional(), spread: z.number().int().optional(), fifoWordBits: z.array(z.number().int()).optional() })),
});

/** Folding of every stage: defaults, overridden by a parsed folding JSON ({"stages": {"<layer>": {"pe", "simd"}}}). */
export function resolveFolding(info: ModelInfo, json: unknown, source: string): Folding {
  const out = new Map<string, Fold>();
  for (const l of info.layers) out.set(l.layer.name, defaultFold(l));
  if (json !== undefined) {
    const parsed = foldFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      // Keys come from the file: escaped, so the message stays on one line.
      throw new GenRtlError(source, oneLine(`${issue.path.join('.') || 'folding'}: ${issue.message}`));
    }
    for (const [name, f] of Object.entries(parsed.data.stages)) {
      const l = info.byName.get(name);
      if (!l) throw new GenRtlError(source, `stage ${quoteName(name)} is not a layer of model "${info.model.name}"`);
      const base = out.get(name)!;
      const lutram = f.lutram ?? base.lutram ?? false;
      const uram = f.uram ?? base.uram ?? false;
      const pack = f.pack ?? base.pack ?? false;
      const spread = f.spread ?? base.spread ?? 1;
      const fifoWordBits = f.fifoWordBits ?? base.fifoWordBits;
      out.set(name, { pe: f.pe ?? base.pe, simd: f.simd ?? base.simd, window: f.window ?? base.window, ...(lutram ? { lutram } : {}), ...(uram ? { uram } : {}), ...(pack ? { pack } : {}), ...(spread !== 1 ? { spread } : {}), ...(fifoWordBits !== undefined ? { fifoWordBits } : {}) });
    }
  }
  for (const l of info.layers) checkFold(l, out.get(l.layer.name)!);
  return out;
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

/** Parallel lanes of a folding: the hardware it costs, roughly. */
function lanes(l: LayerInfo, f: Fold): number {
  const k = f.window && 'geom' in l.layer ? l.layer.geom.kernel : 1;
  return f.pe * f.simd * k * k;
}

/**
 * Legal foldings of a stage, least parallel first (window ones where the stage allows them);
 * `lutram` adds the LUT RAM variants, `uram` the UltraRAM line buffers, `pack` the
 * packed-multiplier ones, `spread` a PRB tap-core stage's largest spread.
 */
export function candidates(l: LayerInfo, opts: { readonly lutram?: boolean; readonly uram?: boolean; readonly pack?: boolean; readonly spread?: boolean } = {}): Fold[] {
  const lim = foldLimits(l) ?? { pe: 1, simd: 1 };
  const windows = canWindow(l) ? [false, true] : [false];
  const styles: { lutram?: true; uram?: true }[] = [{}, ...(opts.lutram && hasRams(l) ? [{ lutram: true as const }] : []), ...(opts.uram && hasLineBuffer(l) ? [{ uram: true as const }] : [])];
  const packs = (pe: number, window: boolean): boolean[] => (opts.pack && canPack(l) && !window && pe % 2 === 0 ? [false, true] : [false]);
  const spreads = (simd: number, window: boolean): number[] => {
    const r = opts.spread && !window ? maxSpread(l, simd) : 1;
    return r > 1 ? [1, r] : [1];
  };
  const all = divisors(lim.pe).flatMap((pe) =>
    divisors(lim.simd).flatMap((simd) =>
      windows.flatMap((window) =>
        styles.flatMap((style) =>
          packs(pe, window).flatMap((pack) => spreads(simd, window).map((spread): Fold => ({ pe, simd, window, ...style, ...(pack ? { pack } : {}), ...(spread > 1 ? { spread } : {}) }))),
        ),
      ),
    ),
  );
  const flag = (v: boolean | undefined): number => Number(v ?? false);
  return all.sort((a, b) => lanes(l, a) - lanes(l, b) || a.pe - b.pe || flag(a.window) - flag(b.window) || flag(a.lutram) - flag(b.lutram) || flag(a.uram) - flag(b.uram) || flag(a.pack) - flag(b.pack) || (a.spread ?? 1) - (b.spread ?? 1));
}

/**
 * A balanced folding: the target interval is the slowest stage at its most
 * parallel folding (no stage can beat it); every stage then takes the least
 * parallelism that meets it. `window: false` keeps every stage on the
 * one-tap-per-cycle core (smaller, slower). The device mapper replaces this
 * with budgets.
 */
export function balancedFolding(info: ModelInfo, opts: { readonly window?: boolean } = {}): Folding {
  const allowWindow = opts.window ?? true;
  const options = info.layers.map((l) => ({ l, cands: candidates(l).filter((f) => allowWindow || !f.window) }));
  const fastest = (l: LayerInfo, cands: readonly Fold[]): number => Math.min(...cands.map((f) => stageCycles(l, f)));
  const target = Math.max(...options.map(({ l, cands }) => fastest(l, cands)));
  const out = new Map<string, Fold>();
  for (const { l, cands } of options) out.set(l.layer.name, cands.find((f) => stageCycles(l, f) <= target)!);
  return out;
}

/**
 * The folding optimizer: how much parallelism each stage gets on a device.
 *
 * Every stage has a finite set of legal foldings (fold.ts `candidates`), each
 * with a cycle count (cycles.ts) and a cost (cost.ts on stages.ts's plan, the
 * same models the report uses, so the two never disagree). For an interval T
 * (cycles per image), `fit(T)` gives each stage its cheapest folding with at
 * most T cycles, "cheapest" being the sum of its resource uses weighed by one
 * over their caps; while a resource is over its cap (`maxUtil` of the device's
 * LUT, FF, DSP, block RAM or UltraRAM; on-chip memory over the device's or the budget)
 * its weight doubles, which trades it for the others (say DSP slices for LUTs).
 *
 * Throughput mode (the default) binary-searches the smallest T among the
 * foldings' cycle counts that fits, and explains the result: the next faster
 * T breaks a named cap, or the slowest stage is at the fastest folding its
 * core has, or it already reads one input pixel per cycle.
 *
 * Target mode (`targetFps`) fits T = clock / rate: the least resources that
 * meet the rate; if even that breaks a cap, the report says so and shows the
 * closest attempt.
 */
import type { LayerInfo, ModelInfo } from '../ir/analyze.js';
import { buildDesign } from '../emit/design.js';
import { candidates, resolveFolding, type Fold, type Folding } from '../emit/fold.js';
import { stageCycles } from '../emit/cycles.js';
import { layerIdent } from '../emit/names.js';
import { planStage } from '../emit/stages.js';
import { GenRtlError } from '../util/errors.js';
import { chooseJoinFifo, fifoCost, stageCost } from './cost.js';
import type { Device } from './devices.js';
import { capacityOf, DEFAULT_ONCHIP_LIMIT_BYTES, dspPrimitive, fabricOf, fifoPlanCost, glueCost, resourcesOf, type Resources } from './report.js';

export const DEFAULT_MAX_UTIL = 0.8;

export interface OptimizeOptions {
  readonly device: Device;
  readonly clockMhz: number;
  /** Share of each logic resource (LUT, FF, DSP, block RAM) the design may use, 0 < u <= 1. */
  readonly maxUtil?: number;
  /** Meet this many images per second with the least resources instead of maximizing throughput. */
  readonly targetFps?: number;
  readonly onchipLimitBytes?: number;
  /** Allow the tap-parallel window core (default true). */
  readonly window?: boolean;
  /** Allow two int8 products per DSP (Fold.pack) where the device supports it (default true). */
  readonly pack?: boolean;
  /** Allow spreading PRB stages' 1×1 branches (Fold.spread; default true). */
  readonly spread?: boolean;
}

export interface Optimized {
  readonly folding: Folding;
  readonly cyclesPerImage: number;
  /** The slowest stage and what keeps it from going faster. */
  readonly bottleneck: { readonly stage: string; readonly resource: string };
  /** One line: how the folding was chosen. */
  readonly summary: string;
  /** Even the most folded design breaks a cap (throughput mode): more folding cannot help. */
  readonly mostFolded: boolean;
}

type Key = 'lut' | 'ff' | 'dsp' | 'bram36' | 'uram' | 'onchipBytes';
const KEYS: readonly Key[] = ['lut', 'ff', 'dsp', 'bram36', 'uram', 'onchipBytes'];
const KEY_NAMES: Readonly<Record<Key, string>> = { lut: 'LUTs', ff: 'flip-flops', dsp: 'DSP slices', bram36: 'block RAM', uram: 'UltraRAM', onchipBytes: 'on-chip memory' };

type Vec = Record<Key, number>;

function vec(r: Resources): Vec {
  return { lut: r.lut, ff: r.ff, dsp: r.dsp, bram36: r.bram36, uram: r.uram, onchipBytes: r.onchipBytes };
}

function zero(): Vec {
  return { lut: 0, ff: 0, dsp: 0, bram36: 0, uram: 0, onchipBytes: 0 };
}

function add(a: Vec, b: Vec, sign = 1): Vec {
  const out = zero();
  for (const k of KEYS) out[k] = a[k] + sign * b[k];
  return out;
}

interface Choice {
  readonly fold: Fold;
  readonly cycles: number;
  readonly cost: Vec;
}

interface StageSearch {
  readonly l: LayerInfo;
  /** The stage's foldings with the stage's own cost (its join FIFOs are added per interval: `choicesAt`). */
  readonly choices: readonly { readonly fold: Fold; readonly cycles: number; readonly stageCost: Vec }[];
  /** One input pixel per cycle: no folding of this stage beats it. */
  readonly floor: number;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(0)} %`;
}

export function optimizeFolding(info: ModelInfo, opts: OptimizeOptions): Optimized {
  const maxUtil = opts.maxUtil ?? DEFAULT_MAX_UTIL;
  if (!(maxUtil > 0 && maxUtil <= 1)) throw new GenRtlError('--max-util', `must be a share in (0, 1], got ${maxUtil}`);
  if (opts.targetFps !== undefined && !(Number.isFinite(opts.targetFps) && opts.targetFps > 0)) {
    throw new GenRtlError('--target-fps', `must be a positive rate in images per second, got ${opts.targetFps}`);
  }
  const capacity = capacityOf(opts.device);
  const caps: Vec = {
    lut: maxUtil * capacity.lut,
    ff: maxUtil * capacity.ff,
    dsp: maxUtil * capacity.dsp,
    bram36: maxUtil * capacity.bram36,
    uram: maxUtil * capacity.uram,
    onchipBytes: Math.min(capacity.onchipBytes, opts.onchipLimitBytes ?? DEFAULT_ONCHIP_LIMIT_BYTES),
  };
  const allowWindow = opts.window ?? true;
  // iCE40 has no LUT RAM: Yosys cannot map a ram_style "distributed" memory there (EBR or flip-flops only).
  const hasLutram = opts.device.vendor !== 'lattice';
  // UltraRAM line buffers where the part has UltraRAM (UltraScale+; Yosys maps them with -uram).
  const hasUram = opts.device.vendor === 'xilinx' && opts.device.uramCount > 0;
  const dsp = dspPrimitive(opts.device);
  const fabric = fabricOf(opts.device);
  // Packed multiplicands are IN_W + 17 = 25 bits: one DSP48E1 (25 × 18) or DSP48E2 (27 × 18); an
  // SB_MAC16 would need two, and Intel's blocks are not calibrated for it.
  const pack = (opts.pack ?? true) && opts.device.vendor === 'xilinx';

  // FIFOs, broadcasts and the output stage, sized as in the default folding's design (join FIFOs
  // grow by a few entries at faster intervals: the report costs the real ones). A join FIFO's
  // form goes with its stage's folding: with `lutram` a gr_fifo in LUT RAM; without, either a
  // gr_fifo (the tool's memory choice) or, in the "width-converting" search, the form
  // chooseJoinFifo picks at the interval T under test (gr_fifo_wc where the stage's pixel period
  // T / pixels leaves time and it is cheaper). Every interval is fitted both ways (`fit`); the
  // folding records the forms (Fold.fifoWordBits), so the design has the FIFOs that were costed.
  const base = buildDesign(info, resolveFolding(info, undefined, 'default folding'));
  const fifosOf = new Map<string, { input: number; depth: number; bits: number; pixels: number }[]>();
  for (const f of base.fifos) {
    const out = info.byName.get(f.stage)!.outShape;
    fifosOf.set(f.stage, [...(fifosOf.get(f.stage) ?? []), { input: f.input, depth: f.depth, bits: f.bits, pixels: out.height * out.width }]);
  }
  /** A join stage's FIFOs: their forms (0 = gr_fifo, else gr_fifo_wc's word width, by input) and cost. */
  const joinFifos = (stage: string, lutram: boolean, interval: number, wc: boolean): { wordBits: number[]; cost: Vec } => {
    const list = [...(fifosOf.get(stage) ?? [])].sort((a, b) => a.input - b.input);
    const forms = list.map((f) => (wc ? chooseJoinFifo(f.depth, f.bits, lutram, interval / f.pixels, fabric) : { wordBits: null, cost: fifoCost(f.depth, f.bits, lutram ? 'lutram' : 'auto', fabric) }));
    return { wordBits: forms.map((c) => c.wordBits ?? 0), cost: forms.reduce((t, c) => add(t, vec(resourcesOf(c.cost))), zero()) };
  };
  const glue = add(vec(resourcesOf(glueCost(base, fabric))), base.fifos.reduce((t, f) => add(t, vec(resourcesOf(fifoPlanCost(f, fabric)))), zero()), -1);

  const stages: StageSearch[] = info.layers.map((l, i) => {
    const ident = layerIdent(i, l.layer.name);
    const choices = candidates(l, { lutram: hasLutram, uram: hasUram, pack, spread: opts.spread ?? true })
      .filter((f) => allowWindow || !f.window)
      .map((fold) => ({ fold, cycles: stageCycles(l, fold), stageCost: vec(resourcesOf(stageCost(planStage(l, ident, fold), dsp, fabric))) }))
      .sort((a, b) => a.cycles - b.cycles);
    const x = l.inShapes[0] ?? l.outShape;
    return { l, choices, floor: x.height * x.width };
  });

  /** Every stage's foldings costed at `interval` (the stage with its join FIFOs; gr_fifo_wc allowed when `wc`). */
  const costed = new Map<string, Choice[][]>();
  const choicesAt = (interval: number, wc: boolean): Choice[][] => {
    const key = `${interval}/${wc}`;
    let c = costed.get(key);
    if (!c) {
      c = stages.map((s) => {
        const name = s.l.layer.name;
        if (!fifosOf.has(name)) return s.choices.map((x) => ({ fold: x.fold, cycles: x.cycles, cost: x.stageCost }));
        const inLut = joinFifos(name, true, interval, false);
        const own = joinFifos(name, false, interval, wc);
        return s.choices.map((x) =>
          x.fold.lutram
            ? { fold: x.fold, cycles: x.cycles, cost: add(x.stageCost, inLut.cost) }
            : { fold: { ...x.fold, fifoWordBits: own.wordBits }, cycles: x.cycles, cost: add(x.stageCost, own.cost) },
        );
      });
      costed.set(key, c);
    }
    return c;
  };

  const over = (t: Vec): Key | null => {
    let worst: Key | null = null;
    for (const k of KEYS) if (t[k] > caps[k] && (worst === null || t[k] / caps[k] > t[worst] / caps[worst])) worst = k;
    return worst;
  };
  const totalOf = (picks: readonly Choice[]): Vec => picks.reduce((t, c) => add(t, c.cost), glue);

  /** Every stage's cheapest folding (by the weights) that takes at most `interval` cycles; null where none does. */
  const pickAll = (interval: number, weights: Vec, wc: boolean): (Choice | null)[] =>
    choicesAt(interval, wc).map((choices) => {
      let best: Choice | null = null;
      let bestScore = Infinity;
      for (const c of choices) {
        if (c.cycles > interval) continue;
        const w = KEYS.reduce((sum, k) => sum + weights[k] * c.cost[k], 0);
        if (w < bestScore || (w === bestScore && best !== null && c.cycles < best.cycles)) {
          best = c;
          bestScore = w;
        }
      }
      return best;
    });
  const baseWeights = zero();
  for (const k of KEYS) baseWeights[k] = caps[k] > 0 ? 1 / caps[k] : 1e9;

  /**
   * The cheapest foldings meeting `interval` within the caps: start from the
   * least total use; while a resource is over its cap, make the swap (one
   * stage to another folding that still meets the interval) that frees the
   * most of it per unit of the room it takes from the others, never pushing
   * another resource over its cap. Stops when nothing is over, or no swap frees
   * any of the resource that is.
   */
  const fitWith = (interval: number, wc: boolean): { picks: Choice[] } | { over: Key; picks: Choice[] } => {
    const picks = pickAll(interval, baseWeights, wc) as Choice[];
    let total = totalOf(picks);
    for (let round = 0; round < 4 * stages.length * KEYS.length; round++) {
      const k = over(total);
      if (k === null) return { picks };
      let best: { i: number; c: Choice; gain: number; freed: number } | null = null;
      choicesAt(interval, wc).forEach((choices, i) => {
        const now = picks[i]!;
        for (const c of choices) {
          if (c.cycles > interval || c === now) continue;
          const freed = (now.cost[k] - c.cost[k]) / caps[k];
          if (freed <= 0) continue;
          let taken = 0;
          let ok = true;
          for (const r of KEYS) {
            if (r === k) continue;
            const d = c.cost[r] - now.cost[r];
            if (d <= 0) continue;
            const room = caps[r] - total[r];
            if (d > room) {
              ok = false;
              break;
            }
            taken += d / room;
          }
          if (!ok) continue;
          const gain = taken > 0 ? freed / taken : Infinity;
          if (!best || gain > best.gain || (gain === best.gain && freed > best.freed)) best = { i, c, gain, freed };
        }
      });
      if (!best) return { over: k, picks };
      const b: { i: number; c: Choice } = best;
      total = add(add(total, picks[b.i]!.cost, -1), b.c.cost);
      picks[b.i] = b.c;
    }
    const k = over(total);
    return k === null ? { picks } : { over: k, picks };
  };

  /**
   * fitWith both ways: join FIFOs may be width-converting or not. The greedy swaps are
   * path-dependent, and the cheaper FIFOs can lead them into a worse corner (SEP-Net small on
   * xczu7ev did), so each way is tried and the fitting one with the least weighted use kept;
   * without gr_fifo_wc this is the search as it was, so no interval fits worse than before.
   */
  const fit = (interval: number): { picks: Choice[] } | { over: Key; picks: Choice[] } => {
    const a = fitWith(interval, true);
    const b = fitWith(interval, false);
    if ('over' in a) return 'over' in b ? a : b;
    if ('over' in b) return a;
    const score = (picks: readonly Choice[]): number => {
      const t = totalOf(picks);
      return KEYS.reduce((sum, k) => sum + baseWeights[k] * t[k], 0);
    };
    return score(b.picks) < score(a.picks) ? b : a;
  };

  // No interval below the slowest stage's fastest folding is possible.
  const floorInterval = Math.max(...stages.map((s) => Math.min(...s.choices.map((c) => c.cycles))));
  let picks: Choice[];
  let bound = '';
  let mostFolded = false;
  let summary: string;
  if (opts.targetFps !== undefined) {
    const target = Math.floor((opts.clockMhz * 1e6) / opts.targetFps);
    if (target < floorInterval) {
      const s = stages.find((x) => Math.min(...x.choices.map((c) => c.cycles)) === floorInterval)!;
      throw new GenRtlError('--target-fps', `${opts.targetFps} images/s at ${opts.clockMhz} MHz needs at most ${target.toLocaleString('en-US')} cycles per image; stage "${s.l.layer.name}" (${s.l.layer.kind}) cannot go below ${floorInterval.toLocaleString('en-US')} (about ${Math.floor((opts.clockMhz * 1e6) / floorInterval).toLocaleString('en-US')} images/s)`);
    }
    // When the rate breaks a cap, the design shown is the fit's closest attempt (the caps it could
    // keep, the one it could not), so the report says how far off the rate is.
    const r = fit(target);
    picks = r.picks;
    if ('over' in r) bound = `${KEY_NAMES[r.over]} (the target rate needs more than the ${r.over === 'onchipBytes' ? 'on-chip memory limit' : `${pct(maxUtil)} cap`})`;
    summary = `optimizer: least resources for ${opts.targetFps.toLocaleString('en-US')} images/s (at most ${target.toLocaleString('en-US')} cycles/image) within ${pct(maxUtil)} of each resource`;
  } else {
    // The intervals worth trying: every folding's cycles, from the floor up. Feasibility is
    // (nearly) monotone in the interval: binary search for the smallest that fits.
    const intervals = [...new Set(stages.flatMap((s) => s.choices.map((c) => c.cycles)))].filter((c) => c >= floorInterval).sort((a, b) => a - b);
    let lo = 0;
    let hi = intervals.length - 1;
    const top = fit(intervals[hi]!);
    if ('over' in top) {
      picks = top.picks;
      mostFolded = true;
      const k = top.over;
      const have = k === 'onchipBytes' ? caps.onchipBytes : capacityOf(opts.device)[k];
      bound = `${KEY_NAMES[k]} (even the most folded design needs ${pct(totalOf(picks)[k] / have)} of ${k === 'onchipBytes' ? 'the limit' : 'the device'})`;
    } else {
      picks = top.picks;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const r = fit(intervals[mid]!);
        if ('over' in r) lo = mid + 1;
        else hi = mid;
      }
      const best = fit(intervals[lo]!);
      if (!('over' in best)) picks = best.picks;
      if (lo > 0) {
        const tighter = fit(intervals[lo - 1]!);
        if ('over' in tighter) bound = `${KEY_NAMES[tighter.over]} (a faster design would pass the ${tighter.over === 'onchipBytes' ? 'on-chip memory limit' : `${pct(maxUtil)} cap`})`;
      }
    }
    summary = `optimizer: fastest within ${pct(maxUtil)} of each resource`;
  }

  let b = 0;
  picks.forEach((c, i) => {
    if (c.cycles > picks[b]!.cycles) b = i;
  });
  const cyclesPerImage = picks[b]!.cycles;
  if (!bound) {
    const s = stages[b]!;
    const fastest = Math.min(...s.choices.map((c) => c.cycles));
    if (cyclesPerImage <= s.floor) bound = 'input rate (one input pixel per cycle)';
    else if (cyclesPerImage <= fastest) bound = 'maximum parallelism of its core';
    else bound = 'the target rate (it needs no more)';
  }
  return {
    folding: new Map(stages.map((s, i) => [s.l.layer.name, picks[i]!.fold])),
    cyclesPerImage,
    bottleneck: { stage: stages[b]!.l.layer.name, resource: bound },
    summary,
    mostFolded,
  };
}

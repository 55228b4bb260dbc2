/**
 * The top level's stream protocol under Verilator, on one design that holds every stream core
 * (input, PRB, max pool, residual add with its join FIFOs and broadcast, concat, int8 k×k, global
 * average pool, fully connected, output stage), in two foldings (one-tap serial cores; window
 * cores with LUT RAM): adversarial valid/ready patterns, back-to-back images with nothing lost or
 * duplicated, and a reset in the middle of an image (at several points, also while logits are
 * being sent) followed by clean images that must come out exact. The reset mode once under Icarus.
 */
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cosim, stimulus } from '../../generator/cosim/cosim.js';
import { buildSimulator, runSimulator, type SimBuild, type SimRunOptions } from '../../generator/cosim/simulators.js';
import { resolveFolding, type Folding } from '../../generator/emit/fold.js';
import { generate } from '../../generator/emit/generate.js';
import type { ModelInfo } from '../../generator/ir/analyze.js';
import { quantize } from '../../generator/quant/quantize.js';
import { runInteger } from '../../generator/reference/integer.js';
import type { Pixels } from '../../generator/reference/run.js';
import { writeTreeAtomic } from '../../generator/util/files.js';
import { NetBuilder } from '../../generator/zoo/builder.js';
import { syntheticImages } from '../../generator/zoo/index.js';
import { randomFolding } from '../../bench/random-net.js';
import { HAVE_IVERILOG, HAVE_VERILATOR, randomImages } from './helpers.js';

function streamNet(): ModelInfo {
  const b = new NetBuilder(21);
  const x = b.input(7, 9, 3, [0.5, 0.45, 0.4], [0.25, 0.25, 0.3]);
  const p = b.maxpool('pool', b.prb('prb', x, 8), 3, 2, 1);
  const a = b.add('add', p, b.conv('res', p, 8, 3, { groups: 2, relu: false }));
  const cat = b.concat('cat', [b.conv('ca', a, 4, 1), b.conv('cb', a, 4, 3, { int8: true })]);
  const out = b.fc('fc', b.avgpool('gap', cat), 8, 5);
  const { info } = quantize(
    {
      name: 'stream-protocol',
      classes: ['a', 'b', 'c', 'd', 'e'],
      layers: b.layers,
      output: out.name,
      provenance: { source: 'test/cosim/stream-protocol.test.ts', dataset: null, seed: 21, accuracy: {}, notes: [] },
    },
    { binarize: 'kxk', calibration: syntheticImages(7, 9, 3, 4, 21) },
  );
  return info;
}

interface Bench {
  readonly info: ModelInfo;
  readonly build: SimBuild;
  readonly classes: number;
  readonly predicted: number;
}

function benchFor(info: ModelInfo, folding: Folding, tag: string): Bench {
  const work = mkdtempSync(join(tmpdir(), `gen-rtl-stream-${tag}-`));
  const { files, design } = generate(info, { folding, device: null, clockMhz: 100 });
  writeTreeAtomic(join(work, 'design'), files, true);
  const build = buildSimulator('verilator', join(work, 'design'), design.top, design.inBits, { buildDir: join(work, 'build'), quick: true });
  return { info, build, classes: design.classes, predicted: design.predictedCyclesPerImage };
}

/** The reference's output beats of `images`: logits, then the class (tlast). */
function expectedBeats(info: ModelInfo, images: readonly Pixels[]): { data: number; last: boolean }[] {
  return images.flatMap((px) => {
    const r = runInteger(info, px);
    return [...Array.from(r.logits, (v) => ({ data: v, last: false })), { data: r.class, last: true }];
  });
}

/**
 * Runs `images` (after `pre`, with a reset when given) asking for one beat more than expected,
 * so a duplicated or extra beat shows up: the run must end 'stalled' with exactly the expected beats.
 */
function run(bench: Bench, images: readonly Pixels[], opts: { pIn: number; pOut: number; seed: number; pre?: readonly Pixels[]; reset?: { afterBeats: number; delayCycles: number } }) {
  const pre = opts.pre ? stimulus(opts.pre) : [];
  const want = expectedBeats(bench.info, images);
  const slow = Math.max(0.05, (1 - opts.pIn) * (1 - opts.pOut));
  const idleLimit = Math.ceil((bench.predicted * 3) / slow) + 2000;
  const o: SimRunOptions = {
    stimulus: [...pre, ...stimulus(images)],
    expectedBeats: want.length + 1,
    stallIn: opts.pIn,
    stallOut: opts.pOut,
    seed: opts.seed,
    maxCycles: idleLimit * (images.length + (opts.pre?.length ?? 0) + 4),
    idleLimit,
    ...(opts.reset ? { reset: { afterInputBeats: opts.reset.afterBeats, delayCycles: opts.reset.delayCycles, resumeAt: pre.length } } : {}),
  };
  const r = runSimulator(bench.build, o);
  return { r, want, got: r.beats.map((b) => ({ data: b.data, last: b.last })) };
}

const STALLS: readonly [string, number, number][] = [
  ['no stalls (back to back)', 0, 0],
  ['valid rare (90 % withheld)', 0.9, 0],
  ['ready rare (90 % low)', 0, 0.9],
  ['both 50 %', 0.5, 0.5],
  ['both 95 %', 0.95, 0.95],
];

describe.skipIf(!HAVE_VERILATOR)('stream protocol of the generated top level under Verilator', () => {
  const info = streamNet();
  const images = randomImages(info, 5, 31);
  const beatsPerImage = info.input.height * info.input.width;
  for (const variant of ['serial cores', 'window cores, LUT RAM'] as const) {
    const folding = variant === 'serial cores' ? resolveFolding(info, undefined, 'default') : randomFolding(info, 5, 1);
    let bench: Bench | null = null;
    const get = (): Bench => (bench ??= benchFor(info, folding, variant === 'serial cores' ? 'serial' : 'window'));

    it(`${variant}: the folding is the one asked for`, () => {
      const windows = [...folding.values()].filter((f) => f.window).length;
      expect(windows).toBe(variant === 'serial cores' ? 0 : 3);
    });

    for (const [name, pIn, pOut] of STALLS) {
      it(`${variant}, ${name}: ${images.length} images back to back, every beat once, exact`, () => {
        const { r, want, got } = run(get(), images, { pIn, pOut, seed: 7 });
        expect(r.status).toBe('stalled'); // the extra beat asked for never came
        expect(got).toEqual(want);
        if (pIn === 0 && pOut === 0) {
          // No gaps: the first pixel of each image is accepted right after the last of the one before.
          const starts = r.inputAccepted.filter((a) => a.index % beatsPerImage === 0).map((a) => a.cycle);
          const ends = r.inputAccepted.filter((a) => a.index % beatsPerImage === beatsPerImage - 1).map((a) => a.cycle);
          expect(starts).toHaveLength(images.length);
          for (let i = 1; i < images.length; i++) expect(starts[i]! - ends[i - 1]!).toBeLessThanOrEqual(bench!.predicted);
        }
      });
    }

    // Reset points in the two images before the clean ones: inside the first image (early, middle,
    // its last pixel), inside the second, and long after the input ended (while the last logits wait
    // behind a low ready or are being sent).
    const pre = randomImages(info, 2, 77);
    const points: readonly [string, number, number, number][] = [
      ['after the first pixel', 1, 0, 0.3],
      ['mid image, stalls', Math.floor(beatsPerImage / 2), 3, 0.5],
      ['on the last pixel of an image', beatsPerImage, 0, 0],
      ['mid second image', beatsPerImage + 17, 11, 0.3],
      ['while the logits go out', 2 * beatsPerImage, 400, 0.2],
      ['while the output waits (ready 90 % low)', 2 * beatsPerImage, 60, 0.9],
    ];
    for (const [where, afterBeats, delayCycles, p] of points) {
      it(`${variant}: reset ${where}, then ${images.length - 2} clean images exact`, () => {
        const clean = images.slice(2);
        const { r, want, got } = run(get(), clean, { pIn: p, pOut: p, seed: 11, pre, reset: { afterBeats, delayCycles } });
        expect(r.resetCycle).not.toBeNull();
        expect(r.status).toBe('stalled');
        expect(got).toEqual(want);
        expect(r.inputAccepted[0]?.index).toBe(pre.length * beatsPerImage);
      });
    }
  }
});

describe.skipIf(!HAVE_VERILATOR)('cosim({ reset }) under Verilator', () => {
  it('a reset in mid image, then clean images: bit-exact, and the reset happened', () => {
    const info = streamNet();
    const beatsPerImage = info.input.height * info.input.width;
    const r = cosim(info, {
      simulator: 'verilator',
      images: randomImages(info, 2, 3),
      folding: resolveFolding(info, undefined, 'default'),
      seed: 5,
      stall: 0.3,
      quickBuild: true,
      reset: { preImages: randomImages(info, 1, 9), afterBeats: Math.floor(beatsPerImage / 3), delayCycles: 2 },
    });
    expect(r.firstMismatch).toBeNull();
    expect(r.mismatches).toBe(0);
    expect(r.images).toBe(2);
    expect(r.status).toBe('ok');
  });
});

describe.skipIf(!HAVE_IVERILOG)('the reset mode under Icarus (tb_top.sv)', () => {
  it('a reset in mid image, then a clean image: exact, same cycle stamps as Verilator', () => {
    const info = streamNet();
    const folding = resolveFolding(info, undefined, 'default');
    const beatsPerImage = info.input.height * info.input.width;
    const work = mkdtempSync(join(tmpdir(), 'gen-rtl-stream-ivl-'));
    const { files, design } = generate(info, { folding, device: null, clockMhz: 100 });
    writeTreeAtomic(join(work, 'design'), files, true);
    const images = randomImages(info, 1, 3);
    const pre = randomImages(info, 1, 9);
    const want = expectedBeats(info, images);
    const o: SimRunOptions = {
      stimulus: [...stimulus(pre), ...stimulus(images)],
      expectedBeats: want.length,
      stallIn: 0.3,
      stallOut: 0.3,
      seed: 4,
      maxCycles: 200_000,
      idleLimit: 50_000,
      reset: { afterInputBeats: 20, delayCycles: 3, resumeAt: beatsPerImage },
    };
    const ivl = runSimulator(buildSimulator('iverilog', join(work, 'design'), design.top, design.inBits, { buildDir: join(work, 'ivl') }), o);
    expect(ivl.status).toBe('ok');
    expect(ivl.beats.map((b) => ({ data: b.data, last: b.last }))).toEqual(want);
    if (HAVE_VERILATOR) {
      const vl = runSimulator(buildSimulator('verilator', join(work, 'design'), design.top, design.inBits, { buildDir: join(work, 'vl'), quick: true }), o);
      expect(vl.resetCycle).toBe(ivl.resetCycle);
      expect(vl.beats).toEqual(ivl.beats);
    }
  });
});

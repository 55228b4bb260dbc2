/**
 * The bounded random-network soak (the long one: npm run soak): 30 random valid networks of one
 * or two blocks (bench/random-net.ts: binary and int8 convolutions, PRBs, residual adds, max
 * pools, concats, global average pool, fully connected; random groups, strides, padding, image
 * sizes, legal foldings with window cores and LUT RAM, extreme weights and multipliers), each
 * generated, built under Verilator (quick build) and co-simulated with random stalls: every logit
 * and class equal to the integer reference's.
 */
import { describe, expect, it } from 'vitest';
import { describeNet, randomSpec, soakDesign } from '../../bench/random-net.js';
import { HAVE_VERILATOR } from './helpers.js';

const DESIGNS = 30;
const FIRST_SEED = 7001;

const ran = { designs: 0, images: 0, mismatches: 0, kinds: new Set<string>(), extremes: 0, windows: 0, lutrams: 0 };
const lines: string[] = [];

describe.skipIf(!HAVE_VERILATOR)(`random-network soak: ${DESIGNS} designs under Verilator`, () => {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + DESIGNS; seed++) {
    it(`seed ${seed}`, () => {
      const o = soakDesign(randomSpec(seed, { maxBlocks: 2, window: 0.15 }), { simulator: 'verilator' });
      const r = o.result;
      lines.push(`seed ${seed}: ${describeNet(o.net)}: ${r ? `${r.mismatches} mismatches, build ${r.buildSeconds.toFixed(1)} s` : o.error}`);
      expect(o.error).toBeNull();
      expect(r!.firstLayerMismatch).toBeNull();
      expect(r!.firstMismatch).toBeNull();
      expect(r!.status).toBe('ok');
      expect(r!.images).toBe(o.net.images.length);
      ran.designs++;
      ran.images += r!.images;
      ran.mismatches += r!.mismatches;
      for (const l of o.net.info.layers) ran.kinds.add(l.layer.kind);
      ran.extremes += o.net.extremes.length;
      for (const f of o.net.folding.values()) {
        if (f.window) ran.windows++;
        if (f.lutram) ran.lutrams++;
      }
    });
  }

  it('ran every design and covered every layer kind, window cores, LUT RAM and extreme parameters', () => {
    console.log(`${lines.join('\n')}\nsoak: ${ran.designs} designs, ${ran.images} images, ${ran.mismatches} mismatches; ${ran.extremes} extreme parameters, ${ran.windows} window stages, ${ran.lutrams} LUT RAM stages`);
    expect(ran.designs).toBe(DESIGNS);
    expect(ran.images).toBeGreaterThanOrEqual(2 * DESIGNS);
    expect(ran.mismatches).toBe(0);
    expect([...ran.kinds].sort()).toEqual(['add', 'avgpool', 'binconv', 'concat', 'conv', 'fc', 'input', 'maxpool', 'prb']);
    expect(ran.extremes).toBeGreaterThan(0);
    expect(ran.windows).toBeGreaterThan(0);
    expect(ran.lutrams).toBeGreaterThan(0);
  });
});

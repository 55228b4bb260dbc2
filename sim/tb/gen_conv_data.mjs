#!/usr/bin/env node
// Random ROM files for tb_gr_conv_stage.sv, in the layouts of docs/rtl-architecture.md
// (gr_conv_stage "ROM layouts"). The testbench reads the same files and decodes them itself.
//
//   node sim/tb/gen_conv_data.mjs --out DIR MODE=0 C=8 COUT=8 K=3 G=1 PE=2 SIMD=4 \
//        IN_SIGNED=0 OUT_W=8 SEED=1 [WEIGHTS=ones|extreme] [SPREAD=1]
//
// Writes w0.hex, m0.hex, bias.hex, shift.hex, and w1.hex, m1.hex when MODE = 2. W0/W1 rows are
// uniformly random bits (every packed weight is then uniform over its range) unless WEIGHTS=ones
// (int8 weights all 1, the input layer) or WEIGHTS=extreme (int8 weights drawn from -128, 127, -1,
// 0, 1). Multipliers span the full MULT_W range; the shift of each
// channel is chosen so that typical sums land near the output range (some channels get shift 0).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Deterministic xorshift32. */
function rng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** A random integer in [lo, hi] (inclusive), lo/hi as BigInt. */
function randRange(next, lo, hi) {
  const span = hi - lo + 1n;
  let r = 0n;
  for (let i = 0; i < 3; i++) r = (r << 32n) | BigInt(next());
  return lo + (r % span);
}

function hexRow(value, width) {
  const digits = Math.ceil(width / 4);
  return BigInt.asUintN(width, value).toString(16).padStart(digits, '0');
}

function pack(fields, width) {
  let v = 0n;
  fields.forEach((f, i) => { v |= BigInt.asUintN(width, f) << BigInt(i * width); });
  return v;
}

export function generateConvData(cfg) {
  const {
    MODE, C, COUT, K, G, PE, SIMD, IN_SIGNED = 0, OUT_W = 8, SUM_W = 64,
    MULT_W = 18, BIAS_W = 32, SHIFT_W = 6, SEED = 1, WEIGHTS = 'random', SPREAD = 1,
  } = cfg;
  const next = rng(SEED * 7919 + 17);
  for (let i = 0; i < 16; i++) next();   // leave the correlated start of a small seed
  const CG = C / G, CIS = CG / SIMD, COS = COUT / PE, KK = K * K;
  const WB = MODE === 1 ? 8 : 1;
  const files = {};
  const randomRows = (rows, width) => {
    const out = [];
    for (let r = 0; r < rows; r++) out.push(hexRow(randRange(next, 0n, (1n << BigInt(width)) - 1n), width));
    return out.join('\n') + '\n';
  };
  // Int8 weights at the ends of their range (and around 0): the products' extremes.
  const EXTREMES = [-128n, 127n, -1n, 0n, 1n];
  const extremeRows = (rows, count) => {
    const out = [];
    for (let r = 0; r < rows; r++) {
      const fields = Array.from({ length: count }, () => EXTREMES[Number(randRange(next, 0n, BigInt(EXTREMES.length - 1)))]);
      out.push(hexRow(pack(fields, 8), count * 8));
    }
    return out.join('\n') + '\n';
  };
  if (WEIGHTS === 'ones' && MODE === 1) {
    const one = pack(new Array(PE * SIMD).fill(1n), 8);
    files['w0.hex'] = new Array(COS * KK * CIS).fill(hexRow(one, PE * SIMD * 8)).join('\n') + '\n';
  } else if (WEIGHTS === 'extreme' && MODE === 1) {
    files['w0.hex'] = extremeRows(COS * KK * CIS, PE * SIMD);
  } else {
    files['w0.hex'] = randomRows(COS * KK * CIS, PE * SIMD * WB);
  }
  // W1 (PRB): rows of PE * SIMD/SPREAD weights, SPREAD rows per (co_step, ci_step).
  const W1R = COS * CIS * SPREAD, W1N = PE * (SIMD / SPREAD);
  if (MODE === 2) files['w1.hex'] = WEIGHTS === 'extreme' ? extremeRows(W1R, W1N) : randomRows(W1R, W1N * 8);

  // Typical |acc * M| (log2), to put the shift where outputs are neither all 0 nor all saturated.
  const n = CG * KK;
  const xMag = IN_SIGNED ? 64 : 128;
  let acc = MODE === 1 ? Math.sqrt(n) * xMag * 70 : Math.sqrt(n) * xMag;
  if (MODE === 2) acc = Math.max(acc, Math.sqrt(CG) * xMag * 70);
  const mMag = 2 ** (MULT_W - 2);
  const target = Math.round(Math.log2(acc * mMag)) - (OUT_W - 1);
  const sMax = Math.min(47, SUM_W - 3, 2 ** SHIFT_W - 1);
  const mHi = (1n << BigInt(MULT_W - 1)) - 1n;
  const m0 = [], m1 = [], bias = [], shift = [];
  for (let co = 0; co < COUT; co++) {
    const dead = next() % 8 === 0;
    let s = dead ? 0 : target + (next() % 5) - 2;
    s = Math.max(0, Math.min(sMax, s));
    const mLim = dead ? 3n : mHi;
    m0.push(randRange(next, -mLim - 1n, mLim));
    m1.push(randRange(next, -mLim - 1n, mLim));
    const bLim = BigInt(Math.min(2 ** (BIAS_W - 1) - 1, 2 ** Math.max(2, s + OUT_W - 3)));
    bias.push(randRange(next, -bLim, bLim));
    shift.push(BigInt(s));
  }
  const perStep = (vals, width) => {
    const rows = [];
    for (let cs = 0; cs < COS; cs++) rows.push(hexRow(pack(vals.slice(cs * PE, cs * PE + PE), width), PE * width));
    return rows.join('\n') + '\n';
  };
  files['m0.hex'] = perStep(m0, MULT_W);
  if (MODE === 2) files['m1.hex'] = perStep(m1, MULT_W);
  files['bias.hex'] = perStep(bias, BIAS_W);
  files['shift.hex'] = perStep(shift, SHIFT_W);
  return files;
}

// CLI
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  let out = '.';
  const cfg = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') { out = args[++i]; continue; }
    const [k, v] = args[i].split('=');
    cfg[k] = /^-?\d+$/.test(v) ? Number(v) : v;
  }
  mkdirSync(out, { recursive: true });
  for (const [name, text] of Object.entries(generateConvData(cfg))) writeFileSync(join(out, name), text);
}

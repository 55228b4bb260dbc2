#!/usr/bin/env node
// Random ROM files for tb_gr_conv_window_stage.sv, in the layouts of rtl/gr_conv_window_stage.v.
// The testbench reads the same files and decodes them itself.
//
//   node sim/tb/gen_win_data.mjs --out DIR MODE=0 C=8 COUT=8 K=3 G=1 PE=2 SIMD=4 \
//        IN_SIGNED=0 OUT_W=8 SEED=1 [WEIGHTS=ones]
//
// Writes w0.hex (rows co_step*CIS + ci_step, PE*K*K*SIMD*WB bits: lane p, tap t, input j at
// [((p*K*K + t)*SIMD + j)*WB +: WB]), w0bits.txt (row 0 as a sized Verilog literal
// "<bits>'h<hex>", the W0_BITS parameter of a single-row stage), m0.hex, bias.hex, shift.hex, and
// w1.hex, m1.hex when MODE = 2 (those exactly as gen_conv_data.mjs, whose generator it reuses).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateConvData } from './gen_conv_data.mjs';

function rng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

export function generateWinData(cfg) {
  const { MODE, C, COUT, K, G, PE, SIMD, SEED = 1, WEIGHTS = 'random' } = cfg;
  const files = generateConvData(cfg);
  const CIS = C / G / SIMD, COS = COUT / PE, KK = K * K;
  const WB = MODE === 1 ? 8 : 1;
  const width = PE * KK * SIMD * WB;
  const digits = Math.ceil(width / 4);
  const next = rng(SEED * 104729 + 3);
  for (let i = 0; i < 16; i++) next();
  const rows = [];
  for (let r = 0; r < COS * CIS; r++) {
    let hex = '';
    if (WEIGHTS === 'ones' && MODE === 1) {
      let v = 0n;
      for (let f = 0; f < PE * KK * SIMD; f++) v |= 1n << BigInt(f * 8);
      hex = v.toString(16).padStart(digits, '0');
    } else {
      for (let d = 0; d < digits; d++) {
        const topBits = (d === 0 && width % 4) ? width % 4 : 4;
        hex += (next() % (1 << topBits)).toString(16);
      }
    }
    rows.push(hex);
  }
  files['w0.hex'] = rows.join('\n') + '\n';
  files['w0bits.txt'] = `${width}'h${rows[0]}\n`;
  return files;
}

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
  for (const [name, text] of Object.entries(generateWinData(cfg))) writeFileSync(join(out, name), text);
}

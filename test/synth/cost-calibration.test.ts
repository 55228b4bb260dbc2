/**
 * The resource cost models (generator/map/cost.ts) against Yosys 0.23
 * synth_xilinx on held-out configurations (bench/calibrate-cost.ts VALIDATION,
 * never used to fit the coefficients), each stage or FIFO synthesized alone,
 * for 7-series cells with the xc7 coefficients and for UltraScale+ cells with
 * the xcup ones (2026-11-28: LUT −28 % .. +24 %, FF −13 % .. +3 %).
 *
 * Tolerances: LUT and FF within ±30 %, DSP48 and block RAM primitives exact.
 * Measured after the joint refit on stages and whole designs (2026-11-27,
 * docs/cost-model.md): LUT within −21 % .. +24 %, FF within −14 % .. +5 %,
 * DSP and RAMB36/RAMB18 exact on every configuration.
 */
import { describe, expect, it } from 'vitest';
import { haveYosys, relErr, runAll, tableRow, TABLE_HEAD, useFamily, VALIDATION } from '../../bench/calibrate-cost.js';

const HAVE_YOSYS = haveYosys();
if (!HAVE_YOSYS) console.warn('NOTICE: yosys not found: the cost-model calibration check is skipped');

const LUT_TOL = 30;
const FF_TOL = 30;

describe.skipIf(!HAVE_YOSYS)('cost model vs Yosys synth_xilinx (held-out configurations)', () => {
  it.each(['xc7', 'xcup'] as const)(`%s: LUT and FF within ±${LUT_TOL} %, DSP and BRAM primitives exact`, async (family) => {
    useFamily(family);
    const results = await runAll(VALIDATION, 2).finally(() => useFamily('xc7'));
    console.log([`${family}:`, TABLE_HEAD, ...results.map(tableRow)].join('\n'));
    for (const r of results) {
      const name = r.config.name;
      expect(Math.abs(relErr(r.model.lut, r.yosys.lut)), `${name}: LUT model ${r.model.lut}, Yosys ${r.yosys.lut}`).toBeLessThanOrEqual(LUT_TOL);
      expect(Math.abs(relErr(r.model.ff, r.yosys.ff)), `${name}: FF model ${r.model.ff}, Yosys ${r.yosys.ff}`).toBeLessThanOrEqual(FF_TOL);
      expect(r.model.dsp, `${name}: DSP`).toBe(r.yosys.dsp);
      expect([r.model.bram36, r.model.bram18], `${name}: [RAMB36, RAMB18]`).toEqual([r.yosys.bram36, r.yosys.bram18]);
    }
  });
});

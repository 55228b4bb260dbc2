/**
 * The ONNX export of the float network: onnxruntime running the exported
 * file gives the float reference's logits (to float32 rounding) and class.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXPORT_INPUT, EXPORT_OUTPUT, exportOnnx, pixelsToNchw } from '../../generator/onnx/export.js';
import { runFloat } from '../../generator/reference/float.js';
import { syntheticImages, zooModel } from '../../generator/zoo/index.js';

describe('exportOnnx', () => {
  for (const name of ['sepnet-tiny-28', 'resnet20', 'sepnet-up5k']) {
    it(`${name}: onnxruntime on the export matches the float reference`, async () => {
      const { info } = zooModel(name);
      const session = await InferenceSession.create(exportOnnx(info));
      const s = info.input;
      for (const px of syntheticImages(s.height, s.width, s.channels, 2, 5)) {
        const ref = runFloat(info, px);
        const out = await session.run({ [EXPORT_INPUT]: new Tensor('float32', pixelsToNchw(px), [1, s.channels, s.height, s.width]) });
        const got = out[EXPORT_OUTPUT]!.data as Float32Array;
        expect(got.length).toBe(ref.logits.length);
        const range = Math.max(...ref.logits.map(Math.abs));
        const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - ref.logits[i]!)));
        expect(diff).toBeLessThan(1e-4 * Math.max(1, range));
        expect(got.indexOf(Math.max(...got))).toBe(ref.class);
      }
      await session.release();
    });
  }
});

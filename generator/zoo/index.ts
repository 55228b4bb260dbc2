/**
 * The model zoo: architectures with seeded random weights, binarized and
 * quantized through the same path an imported model takes, with activation
 * scales calibrated on seeded synthetic images.
 */
import type { Model } from '../ir/types.js';
import type { ModelInfo } from '../ir/analyze.js';
import { parseBinarizePolicy, quantize, type BinarizePolicy, type QuantizeReport } from '../quant/quantize.js';
import type { Pixels } from '../reference/run.js';
import { GenRtlError } from '../util/errors.js';
import { Prng } from '../util/prng.js';
import { NETS, type NetDef } from './nets.js';

export const DEFAULT_SEED = 1;

export function zooNames(): string[] {
  return NETS.map((n) => n.name);
}

export function zooDef(name: string): NetDef {
  const def = NETS.find((n) => n.name === name);
  if (!def) throw new GenRtlError(`zoo model "${name}"`, `unknown; the zoo has ${zooNames().join(', ')}`);
  return def;
}

/** Seeded synthetic images: a random smooth gradient per channel plus noise. */
export function syntheticImages(height: number, width: number, channels: number, count: number, seed: number): Pixels[] {
  const rng = new Prng(seed ^ 0x5eed);
  return Array.from({ length: count }, () => {
    const data = new Uint8Array(height * width * channels);
    const grad = Array.from({ length: channels }, () => [rng.float() * 255, rng.float() * 2 - 1, rng.float() * 2 - 1]);
    const noise = rng.float() * 128;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) {
          const [base, gy, gx] = grad[c]!;
          const v = base! + (gy! * y * 255) / height + (gx! * x * 255) / width + (rng.float() - 0.5) * noise;
          data[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    return { height, width, channels, data };
  });
}

/** Calibration images: fewer for the large inputs, where each float run costs more. */
function calibrationCount(pixels: number): number {
  return pixels >= 10_000 ? 2 : 8;
}

/**
 * A zoo network, quantized: `binarize` picks the convolutions that become patterns (default `kxk`,
 * every k×k with k > 1; e.g. `3x3`, `5x5` or `3x3,5x5` for the paper's GoogLeNet variants).
 */
export function zooModel(name: string, seed = DEFAULT_SEED, binarize: BinarizePolicy = 'kxk'): { model: Model; info: ModelInfo; report: QuantizeReport } {
  const def = zooDef(name);
  const policy = parseBinarizePolicy(binarize).policy;
  // The default policy keeps the source line (and the bytes) of the models written before it existed.
  const source = `gen-rtl zoo ${def.name} --seed ${seed}${policy === 'kxk' ? '' : ` --binarize ${policy}`}`;
  const { layers, output } = def.build(seed);
  const input = layers[0]!;
  if (input.kind !== 'input') throw new Error(`zoo net ${name} does not start with its input`);
  const calibration = syntheticImages(input.height, input.width, input.channels, calibrationCount(input.height * input.width), seed);
  return quantize(
    {
      name: def.name,
      classes: def.classes,
      layers,
      output,
      provenance: {
        source,
        dataset: null,
        seed,
        accuracy: {},
        notes: [`${def.description}; untrained: seeded random weights, activation scales calibrated on ${calibration.length} seeded synthetic images`],
      },
    },
    { binarize: policy, calibration },
  );
}

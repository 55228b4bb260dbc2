/**
 * Mutated ONNX files through the importer and, when it accepts them, the
 * quantizer: damaged bytes (harness mutateBytes) and decoded graphs with
 * changed attributes, dims, op types, wiring and weights (NaN, infinities).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { importOnnx } from '../../generator/onnx/import.js';
import { quantize } from '../../generator/quant/quantize.js';
import { type FuzzRng, type FuzzTarget, mutateBytes } from './harness.js';

const { onnx } = onnxProto;
const DIR = join(import.meta.dirname, '../fixtures/onnx');
let bases: readonly Uint8Array[] | undefined;

function attempt(bytes: Uint8Array): void {
  const { model } = importOnnx(bytes, 'fuzz.onnx', { mergePrb: true, name: 'fuzz', mean: undefined, std: undefined, classes: undefined });
  const input = model.layers[0]!;
  if (input.kind !== 'input') throw new Error('no input layer');
  const n = input.height * input.width * input.channels;
  // Accepted graphs must also quantize (or be refused cleanly): one calibration image.
  if (n <= 4096) quantize(model, { binarize: 'kxk', calibration: [{ height: input.height, width: input.width, channels: input.channels, data: new Uint8Array(n).fill(100) }] });
}

const HOSTILE_INTS = [0, -1, 1, 2, 3, 7, 1000, 2 ** 31 - 1, -(2 ** 31), 65536];
const OPS = ['Conv', 'Relu', 'Add', 'Gemm', 'MaxPool', 'Flatten', 'Concat', 'BatchNormalization', 'Identity', 'Softmax', 'Reshape', ''];

/** A random change of the decoded graph: attributes, dims, op types, wiring, tensor data. */
function mutateGraph(b: Uint8Array, rng: FuzzRng): Uint8Array {
  const m = onnx.ModelProto.decode(b);
  const g = m.graph!;
  const nodes = g.node!;
  const inits = g.initializer!;
  const pick = <T>(xs: T[]): T => xs[rng.int(0, xs.length - 1)]!;
  switch (rng.int(0, 6)) {
    case 0: {
      const n = pick(nodes);
      const a = (n.attribute ?? []).filter((x) => (x.ints?.length ?? 0) > 0 || x.i !== undefined);
      if (a.length === 0) break;
      const attr = pick(a);
      if (attr.ints && attr.ints.length > 0) attr.ints[rng.int(0, attr.ints.length - 1)] = pick(HOSTILE_INTS);
      else attr.i = pick(HOSTILE_INTS);
      break;
    }
    case 1: {
      const t = pick(inits);
      if (t.dims && t.dims.length > 0) t.dims[rng.int(0, t.dims.length - 1)] = pick(HOSTILE_INTS);
      break;
    }
    case 2:
      pick(nodes).opType = pick(OPS);
      break;
    case 3: {
      const n = pick(nodes);
      if (n.input && n.input.length > 0) n.input[rng.int(0, n.input.length - 1)] = pick([...nodes.flatMap((x) => x.output ?? []), ...inits.map((t) => t.name ?? ''), 'x', '']);
      break;
    }
    case 4: {
      const dims = g.input![0]!.type!.tensorType!.shape!.dim!;
      const d = pick(dims);
      d.dimValue = pick(HOSTILE_INTS);
      break;
    }
    case 5:
      nodes.splice(rng.int(0, nodes.length - 1), 1);
      break;
    default: {
      const t = pick(inits);
      if (t.rawData && t.rawData.length > 0) {
        const raw = Uint8Array.from(t.rawData);
        // NaN, infinities and huge values in the weights.
        new DataView(raw.buffer).setFloat32(4 * rng.int(0, raw.length / 4 - 1), pick([NaN, Infinity, -Infinity, 3e38, 1e-45]), true);
        t.rawData = raw;
      }
    }
  }
  return onnx.ModelProto.encode(m).finish();
}

export const onnxTarget: FuzzTarget = {
  name: 'ONNX import',
  ciCases: 1500,
  make: (rng, i) => {
    bases ??= ['prb-net-op11', 'prb-net-op17', 'strides-net-op11', 'concat-net-op17', 'binary-net-op17'].map((n) => new Uint8Array(readFileSync(join(DIR, `${n}.onnx`))));
    const base = bases[i % bases.length]!;
    const m = i % 2 === 0 ? mutateBytes(base, rng) : { kind: 'graph', bytes: mutateGraph(base, rng) };
    return { kind: m.kind, run: () => attempt(m.bytes) };
  },
};

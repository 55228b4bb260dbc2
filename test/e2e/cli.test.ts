/**
 * The built CLI as a user runs it: exit codes, one-line errors, JSON fields.
 * `npm test` builds dist/ first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImage, loadLabels } from '../../generator/io/images.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** An NPY v1.0 file of uint8 pixels. */
function npyUint8(data: Uint8Array, shape: readonly number[]): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(Buffer.from(header, 'latin1'), 10);
  return Buffer.concat([head, data]);
}

let dir: string;
let tiny: string;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-cli-'));
  tiny = join(dir, 'tiny.sepb');
  expect(cli('zoo', 'sepnet-tiny-28', '--out', tiny).code).toBe(0);
});

describe('gen-rtl CLI', () => {
  it('--help exits 0 and names the commands', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['zoo', 'inspect', 'run']) expect(r.stdout).toContain(`gen-rtl ${c}`);
  });

  it('usage errors exit 2', () => {
    expect(cli().code).toBe(2);
    expect(cli('frobnicate').code).toBe(2);
    expect(cli('zoo', 'sepnet-tiny-28').code).toBe(2);
    expect(cli('run', tiny).code).toBe(2);
  });

  it('zoo --list --json lists every model', () => {
    const r = cli('zoo', '--list', '--json');
    expect(r.code).toBe(0);
    const names = JSON.parse(r.stdout).models.map((m: { name: string }) => m.name);
    expect(names).toEqual(['sepnet-small', 'sepnet-large', 'resnet20', 'resnet32', 'resnet44', 'resnet56', 'sepnet-tiny-28', 'sepnet-tiny-32', 'sepnet-up5k', 'googlenet', 'c-inceptionnet', 'inception-tiny']);
  });

  it('an unknown zoo model exits 1 with a one-line error', () => {
    const r = cli('zoo', 'alexnet', '--out', join(dir, 'a.sepb'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/zoo model "alexnet": unknown/);
    expect(existsSync(join(dir, 'a.sepb'))).toBe(false);
  });

  it('inspect --json has the documented fields', () => {
    const r = cli('inspect', tiny, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.name).toBe('sepnet-tiny-28');
    expect(j.input).toEqual({ height: 28, width: 28, channels: 1 });
    expect(j.classes).toBe(10);
    expect(Object.keys(j.params).sort()).toEqual(['binary', 'full', 'int8', 'pattern']);
    expect(Object.keys(j.macs).sort()).toEqual(['binary', 'int8']);
    expect(j.sizeBytes).toBe(readFileSync(tiny).length);
    expect(j.layers.map((l: { kind: string }) => l.kind)).toContain('prb');
    expect(j.params.full).toBe(j.layers.reduce((s: number, l: { params: { full: number } }) => s + l.params.full, 0));
  });

  it('run agrees between the PNG sample and the same pixels as NPY, and JSON has logits and class', () => {
    const png = join(ROOT, 'models', 'samples', 'fashion-0.png');
    const a = cli('run', tiny, '--input', png, '--json');
    expect(a.code).toBe(0);
    const ja = JSON.parse(a.stdout);
    expect(ja.logits).toHaveLength(10);
    expect(ja.logits.every((v: number) => Number.isInteger(v))).toBe(true);
    expect(ja.class).toBe(ja.logits.indexOf(Math.max(...ja.logits)));
    const npy = join(dir, 'fashion-0.npy');
    writeFileSync(npy, npyUint8(loadImage(png).data, [28, 28]));
    expect(JSON.parse(cli('run', tiny, '--input', npy, '--json').stdout).logits).toEqual(ja.logits);
    const f = JSON.parse(cli('run', tiny, '--input', png, '--float', '--json').stdout);
    expect(f.reference).toBe('float');
    expect(f.logits).toHaveLength(10);
  });

  it('run reads an IDX image by --index', () => {
    const idx = new Uint8Array(16 + 2 * 28 * 28);
    new DataView(idx.buffer).setUint32(0, 0x00000803);
    new DataView(idx.buffer).setUint32(4, 2);
    new DataView(idx.buffer).setUint32(8, 28);
    new DataView(idx.buffer).setUint32(12, 28);
    idx.fill(200, 16 + 28 * 28);
    const file = join(dir, 'two.idx');
    writeFileSync(file, idx);
    const r = cli('run', tiny, '--input', file, '--index', '1', '--json');
    expect(r.code).toBe(0);
    expect(cli('run', tiny, '--input', file, '--index', '2').stderr).toMatch(/index 2/);
  });

  it('malformed models exit 1 with one line and no stack trace', () => {
    const good = readFileSync(tiny);
    const cases: Record<string, Uint8Array> = {
      truncated: good.subarray(0, 1000),
      flipped: Uint8Array.from(good, (b, i) => (i === 500 ? b ^ 4 : b)),
      garbage: Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) & 255),
      empty: new Uint8Array(0),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const file = join(dir, `${name}.sepb`);
      writeFileSync(file, bytes);
      const r = cli('inspect', file);
      expect(r.code, name).toBe(1);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr, name).toMatch(/^error: .*\.sepb/);
      expect(r.stderr, name).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('an image of the wrong size is rejected clearly', () => {
    const r = cli('run', tiny, '--input', join(dir, 'missing.png'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing\.png/);
  });

  it('leaves no temporary files behind', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('gen-rtl generate', () => {
  function tree(root: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string, rel: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(join(d, e.name), r);
        else out.set(r, readFileSync(join(d, e.name), 'utf8'));
      }
    };
    walk(root, '');
    return out;
  }

  it('gives byte-identical trees from different working directories and runs', () => {
    const a = join(dir, 'gen-a');
    const b = join(dir, 'sub', 'gen-b');
    mkdirSync(join(dir, 'sub'));
    expect(spawnSync(process.execPath, [BIN, tiny, '--out', a], { cwd: ROOT }).status).toBe(0);
    expect(spawnSync(process.execPath, [BIN, 'generate', '../tiny.sepb', '--out', 'gen-b', '--json'], { cwd: join(dir, 'sub') }).status).toBe(0);
    const ta = tree(a);
    const tb = tree(b);
    expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
    for (const [k, v] of ta) expect(tb.get(k), k).toBe(v);
    expect(ta.has('manifest.json') && ta.has('filelist.f')).toBe(true);
  });

  it('refuses a non-empty --out without --force and leaves it untouched', () => {
    const out = join(dir, 'busy');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const r = cli(tiny, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not empty; use --force/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(cli(tiny, '--out', out, '--force').code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'filelist.f', 'folding.json', 'manifest.json', 'mem', 'quartus', 'rtl', 'vivado', 'yosys']);
  });

  it('rejects an illegal folding file naming the stage, and writes nothing', () => {
    const fold = join(dir, 'fold.json');
    writeFileSync(fold, JSON.stringify({ stages: { conv1: { pe: 5 } } }));
    const out = join(dir, 'never');
    const r = cli(tiny, '--out', out, '--fold', fold);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stage "conv1" \(binconv\): pe 5 must be a positive divisor of 16/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('gen-rtl report and generate --device', () => {
  it('report: exit 0 with fits for the tiny net, JSON fields, HTML file', () => {
    const html = join(dir, 'r.html');
    const r = cli('report', tiny, '--device', 'xc7z020', '--clock-mhz', '150', '--json', '--html', html);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.fits).toBe(true);
    expect(j.device).toBe('xc7z020');
    expect(j.clockMhz).toBe(150);
    expect(j.bottleneck.stage).toBe('conv1');
    expect(readFileSync(html, 'utf8')).toMatch(/sepnet-tiny-28 on xc7z020/);
  });

  it('report: exit 1 and the reason when the budget is exceeded; unknown devices are named', () => {
    const r = cli('report', tiny, '--device', 'xc7z020', '--onchip-limit', '100');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/does not fit: on-chip memory: needs [\d,]+ bytes .* over the 100-byte budget/);
    const u = cli('report', tiny, '--device', 'xc9000');
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/xc9000/);
    expect(u.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('generate --device adds report.txt, report.json and report.html to the output directory', () => {
    const out = join(dir, 'with-report');
    const r = cli(tiny, '--out', out, '--device', 'xczu3eg', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).fits).toBe(true);
    for (const f of ['report.txt', 'report.json', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).device).toBe('xczu3eg');
  });

  it('generate --device exits 1 when the design does not fit, with the complete design and the report written', () => {
    const out = join(dir, 'too-small');
    const r = cli(tiny, '--out', out, '--device', 'up5k');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/up5k: does not fit \(LUTs: needs [\d,]+ LUT6, up5k has 2,640/);
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(rep.fits).toBe(false);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    for (const f of manifest.files as { path: string }[]) expect(existsSync(join(out, f.path)), f.path).toBe(true);
  });

  it('--fold auto with a device is the optimizer; its folding.json reproduces the design', () => {
    const out = join(dir, 'optimized');
    const r = cli(tiny, '--out', out, '--device', 'xc7z020', '--max-util', '0.5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.folding).toBe('optimizer: fastest within 50 % of each resource');
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (const k of ['lut', 'ff', 'dsp', 'bram36'] as const) expect(rep.totals[k], k).toBeLessThanOrEqual(0.5 * rep.capacity[k]);
    expect(rep.bottleneck.resource).toMatch(/50 % cap|input rate|parallelism/);
    // The same folding from the file: the same RTL, byte for byte.
    const again = join(dir, 'from-file');
    expect(cli(tiny, '--out', again, '--fold', join(out, 'folding.json')).code).toBe(0);
    for (const f of readdirSync(join(out, 'rtl'))) expect(readFileSync(join(again, 'rtl', f), 'utf8'), f).toBe(readFileSync(join(out, 'rtl', f), 'utf8'));
    expect(JSON.parse(readFileSync(join(again, 'manifest.json'), 'utf8')).predictedCyclesPerImage).toBe(rep.cyclesPerImage);
  });

  it('report --target-fps meets the rate; impossible rates and misplaced budget options are clear errors', () => {
    const r = cli('report', tiny, '--device', 'xc7z020', '--clock-mhz', '100', '--target-fps', '10000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.fps).toBeGreaterThanOrEqual(10_000);
    expect(j.cyclesPerImage).toBeLessThanOrEqual(10_000);
    const fast = cli('report', tiny, '--device', 'xc7z020', '--target-fps', '1000000');
    expect(fast.code).toBe(1);
    expect(fast.stderr).toMatch(/^error: --target-fps: 1000000 images\/s at 200 MHz needs at most 200 cycles per image; stage "\w+" \(\w+\) cannot go below 784/);
    for (const args of [
      ['report', tiny, '--device', 'xc7z020', '--fold', 'balanced', '--max-util', '0.5'],
      [tiny, '--out', join(dir, 'never'), '--max-util', '0.5'],
      ['report', tiny, '--device', 'xc7z020', '--max-util', '2'],
    ]) {
      const e = cli(...args);
      expect(e.code, args.join(' ')).toBe(1);
      expect(e.stderr).toMatch(/^error: --max-util: /);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('--no-pack keeps one int8 product per DSP; by default the report marks packed stages and what they save', () => {
    const packed = cli('report', tiny, '--device', 'xc7z020', '--json');
    const plain = cli('report', tiny, '--device', 'xc7z020', '--no-pack', '--json');
    expect(packed.code, packed.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    const p = JSON.parse(packed.stdout);
    const u = JSON.parse(plain.stdout);
    expect(p.packing.stages.length).toBeGreaterThan(0);
    expect(p.packing.dsp).toBeLessThan(p.packing.dspUnpacked);
    expect(u.packing).toBeNull();
    expect(u.stages.some((s: { fold: { pack: boolean } }) => s.fold.pack)).toBe(false);
    expect(cli('report', tiny, '--device', 'xc7z020').stdout).toMatch(/^DSP packing \(p\): \d+ stages? put two int8 products on each multiplier DSP: [\d,]+ DSP instead of [\d,]+ /m);
    const e = cli('report', tiny, '--device', 'xc7z020', '--fold', 'balanced', '--no-pack');
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error: --no-pack: applies to the folding optimizer \(--fold auto\), not to --fold balanced/);
  });

  it('--no-spread keeps PRB 1×1 branches on the centre tap; by default spread stages are marked sR', () => {
    // At 50,000 images/s the PRB stages take the one-tap core (at the fastest rates, the window core).
    const spread = JSON.parse(cli('report', tiny, '--device', 'xczu7ev', '--target-fps', '50000', '--json').stdout);
    const plain = JSON.parse(cli('report', tiny, '--device', 'xczu7ev', '--target-fps', '50000', '--no-spread', '--json').stdout);
    const spreadStages = spread.stages.filter((s: { fold: { spread: number } }) => s.fold.spread > 1);
    expect(spreadStages.length).toBeGreaterThan(0);
    for (const s of spreadStages) expect(s.kind).toBe('prb');
    expect(plain.stages.some((s: { fold: { spread: number } }) => s.fold.spread > 1)).toBe(false);
    expect(cli('report', tiny, '--device', 'xczu7ev', '--target-fps', '50000').stdout).toMatch(/sR: PRB 1x1 spread\)[\s\S]*\bprb +\d+ x \d+( p)?( u)? s\d /);
    const e = cli('generate', tiny, '--out', join(mkdtempSync(join(tmpdir(), 'gen-rtl-ns-')), 'd'), '--no-spread');
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error: --no-spread: needs --device/);
  });
});

describe('gen-rtl run --dataset (accuracy)', () => {
  const samples = join(ROOT, 'models', 'samples');
  const sampleLabels = join(samples, 'labels.txt');
  const FASHION = '/usr/share/datasets/fashion-mnist';
  const haveFashion = existsSync(join(FASHION, 't10k-images-idx3-ubyte.gz')) && existsSync(join(FASHION, 't10k-labels-idx1-ubyte.gz'));
  if (!haveFashion) console.warn(`NOTICE: ${FASHION} not found (Debian's dataset-fashion-mnist): the full Fashion-MNIST accuracy test is skipped`);

  /** The ten sample PNGs as one IDX image file and an IDX1 label file, in the same order. */
  function samplesAsIdx(count = 10): { images: string; labels: string; truth: number[] } {
    const truth = readFileSync(sampleLabels, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1]));
    const images = new Uint8Array(16 + count * 28 * 28);
    const v = new DataView(images.buffer);
    [0x803, count, 28, 28].forEach((x, i) => v.setUint32(4 * i, x));
    for (let i = 0; i < count; i++) images.set(loadImage(join(samples, `fashion-${i}.png`)).data, 16 + i * 28 * 28);
    const labels = new Uint8Array(8 + count);
    new DataView(labels.buffer).setUint32(0, 0x801);
    new DataView(labels.buffer).setUint32(4, count);
    labels.set(truth.slice(0, count), 8);
    const tag = `s${count}`;
    writeFileSync(join(dir, `${tag}-images.idx`), images);
    writeFileSync(join(dir, `${tag}-labels.idx`), labels);
    return { images: join(dir, `${tag}-images.idx`), labels: join(dir, `${tag}-labels.idx`), truth };
  }

  it('a PNG folder with its text labels: JSON accuracy agrees with running each image alone', () => {
    const r = cli('run', tiny, '--dataset', samples, '--labels', sampleLabels, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ model: 'sepnet-tiny-28', dataset: samples, reference: 'integer', count: 10 });
    const truth = readFileSync(sampleLabels, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1]));
    const classes = truth.map((_, i) => JSON.parse(cli('run', tiny, '--input', join(samples, `fashion-${i}.png`), '--json').stdout).class as number);
    const correct = classes.filter((c, i) => c === truth[i]).length;
    expect(j.correct).toBe(correct);
    expect(j.accuracy).toBeCloseTo(correct / 10, 12);
    expect(j.perClass).toHaveLength(10);
    expect(j.perClass.reduce((s: number, c: { count: number }) => s + c.count, 0)).toBe(10);
    expect(j.confusion.flat().reduce((s: number, x: number) => s + x, 0)).toBe(10);
  });

  it('IDX images and labels: the same accuracy; text output; --limit; --float', () => {
    const { images, labels } = samplesAsIdx();
    const folder = JSON.parse(cli('run', tiny, '--dataset', samples, '--labels', sampleLabels, '--json').stdout);
    const j = JSON.parse(cli('run', tiny, '--dataset', images, '--labels', labels, '--json').stdout);
    expect(j.correct).toBe(folder.correct);
    const t = cli('run', tiny, '--dataset', images, '--labels', labels);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`integer reference, sepnet-tiny-28, 10 images of ${images}`);
    expect(t.stdout).toMatch(new RegExp(`accuracy ${(folder.accuracy * 100).toFixed(1)} % \\(${folder.correct}/10\\)`));
    expect(t.stdout).toMatch(/9 \(Ankle boot\) +1 +\d+ +\d+\.\d %/);
    expect(JSON.parse(cli('run', tiny, '--dataset', images, '--labels', labels, '--limit', '4', '--json').stdout).count).toBe(4);
    const f = JSON.parse(cli('run', tiny, '--dataset', images, '--labels', labels, '--float', '--json').stdout);
    expect(f.reference).toBe('float');
    expect(f.count).toBe(10);
  });

  it('too few labels, a label past the last class, images of the wrong size: exit 1 naming the file', () => {
    const { images } = samplesAsIdx();
    const { labels: three } = samplesAsIdx(3);
    const few = cli('run', tiny, '--dataset', images, '--labels', three);
    expect(few.code).toBe(1);
    expect(few.stderr.trim().split('\n')).toHaveLength(1);
    expect(few.stderr).toContain(`error: ${three}: holds 3 labels but 10 images of ${images} are used`);
    expect(cli('run', tiny, '--dataset', images, '--labels', three, '--limit', '3').code).toBe(0);

    const csv = join(dir, 'bad-labels.csv');
    writeFileSync(csv, 'file,label\nfashion-0.png,9\nfashion-1.png,12\n');
    const high = cli('run', tiny, '--dataset', samples, '--labels', csv, '--limit', '2');
    expect(high.code).toBe(1);
    expect(high.stderr).toContain(`error: ${csv}: image 1 (fashion-1.png) is labelled 12, but model "sepnet-tiny-28" has 10 classes (labels 0..9)`);
    const missing = cli('run', tiny, '--dataset', samples, '--labels', csv);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: ${csv}: has no label for ${join(samples, 'fashion-2.png')}`);

    const small = new Uint8Array(16 + 2 * 14 * 14);
    [0x803, 2, 14, 14].forEach((x, i) => new DataView(small.buffer).setUint32(4 * i, x));
    const smallFile = join(dir, 'small.idx');
    writeFileSync(smallFile, small);
    const shape = cli('run', tiny, '--dataset', smallFile, '--labels', three, '--limit', '2');
    expect(shape.code).toBe(1);
    expect(shape.stderr).toContain(`error: ${smallFile}: holds images of 14x14x1 but model "sepnet-tiny-28" takes 28x28x1 (HxWxC)`);
  });

  it('option mistakes are usage errors (exit 2) that say what to give', () => {
    const both = cli('run', tiny, '--input', join(samples, 'fashion-0.png'), '--dataset', samples, '--labels', sampleLabels);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--input \(one image\) or --dataset \(accuracy on a set\), not both/);
    const neither = cli('run', tiny);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/give --input IMAGE .* or --dataset IMAGES --labels LABELS/);
    const noLabels = cli('run', tiny, '--dataset', samples);
    expect(noLabels.code).toBe(2);
    expect(noLabels.stderr).toMatch(/--dataset needs --labels/);
    expect(cli('run', tiny, '--input', join(samples, 'fashion-0.png'), '--labels', sampleLabels).code).toBe(2);
    const zero = cli('run', tiny, '--dataset', samples, '--labels', sampleLabels, '--limit', '0');
    expect(zero.code).toBe(1);
    expect(zero.stderr).toMatch(/--limit: must be a positive integer, got 0/);
  });

  it.skipIf(!haveFashion)('Fashion-MNIST test set (gzipped IDX), first 2000 images', () => {
    const r = cli('run', tiny, '--dataset', join(FASHION, 't10k-images-idx3-ubyte.gz'), '--labels', join(FASHION, 't10k-labels-idx1-ubyte.gz'), '--limit', '2000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    console.log(`Fashion-MNIST, random-weight sepnet-tiny-28: ${(j.accuracy * 100).toFixed(1)} % on ${j.count} images, ${j.imagesPerSecond} images/s`);
    expect(j.count).toBe(2000);
    expect(j.accuracy).toBeGreaterThanOrEqual(0);
    expect(j.accuracy).toBeLessThanOrEqual(1);
    const hist = new Array<number>(10).fill(0);
    for (const l of loadLabels(join(FASHION, 't10k-labels-idx1-ubyte.gz')).subarray(0, 2000)) hist[l]!++;
    expect(j.perClass.map((c: { count: number }) => c.count)).toEqual(hist);
    expect(j.correct).toBe(j.perClass.reduce((s: number, c: { correct: number }) => s + c.correct, 0));
  });
});

describe('gen-rtl import (ONNX)', () => {
  const FIX = join(ROOT, 'test', 'fixtures', 'onnx');
  const images = join(FIX, 'prb-net-images.npy');

  it('imports a PyTorch export: JSON report, a valid .sepb, accuracies stored with --eval', () => {
    const out = join(dir, 'prb-net.sepb');
    const labels = join(dir, 'prb-net-labels.npy');
    writeFileSync(labels, npyUint8(Uint8Array.from([0, 1, 2, 3]), [4]));
    const r = cli('import', join(FIX, 'prb-net-op17.onnx'), '--out', out, '--calib', images, '--eval', images, '--eval-labels', labels, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.opset).toBe(17);
    expect(j.quantization.binary.map((e: { kernel: number }) => e.kernel)).toEqual([3]);
    expect(j.agreement.images).toBe(4);
    expect(j.notes.join(' ')).toMatch(/folded \d+ BatchNormalization/);
    expect(new Set(j.notes).size).toBe(j.notes.length);
    expect(j.accuracy.integer.count).toBe(4);
    const inspect = cli('inspect', out, '--json');
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout).layers.map((l: { kind: string }) => l.kind)).toContain('prb');
    // The integer model of the file is what run measures.
    const run = cli('run', out, '--dataset', images, '--labels', labels, '--json');
    expect(JSON.parse(run.stdout).accuracy).toBe(j.accuracy.integer.top1);
  });

  it('refuses to overwrite without --force, and leaves the file as it was', () => {
    const out = join(dir, 'keep.sepb');
    writeFileSync(out, 'precious');
    const r = cli('import', join(FIX, 'prb-net-op11.onnx'), '--out', out, '--calib', images);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/keep\.sepb: exists; pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect(cli('import', join(FIX, 'prb-net-op11.onnx'), '--out', out, '--calib', images, '--force').code).toBe(0);
  });

  it('bad ONNX files exit 1 with one line naming the problem, and write nothing', () => {
    for (const [file, msg] of [
      ['unsupported-op.onnx', /\(Sigmoid\): op type Sigmoid is not supported/],
      ['corrupt.onnx', /corrupt\.onnx: is not a valid ONNX file/],
      ['missing-initializer.onnx', /is neither a graph input, an initializer nor the output of an earlier node/],
      ['dynamic-shape.onnx', /has dynamic shape/],
    ] as const) {
      const out = join(dir, `${file}.sepb`);
      const r = cli('import', join(FIX, file), '--out', out);
      expect(r.code, file).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
    const calib = cli('import', join(FIX, 'prb-net-op11.onnx'), '--out', join(dir, 'x.sepb'), '--calib', join(FIX, 'strides-net-images.npy'));
    expect(calib.code).toBe(1);
    expect(calib.stderr).toMatch(/strides-net-images\.npy: holds 10x10x3 images but the model takes 12x12x1/);
  });

  it('run MODEL.onnx --float measures the unquantized network; without --float it says what to do', () => {
    const labels = join(dir, 'float-labels.npy');
    writeFileSync(labels, npyUint8(Uint8Array.from([0, 1, 2, 3]), [4]));
    const r = cli('run', join(FIX, 'prb-net-op11.onnx'), '--float', '--dataset', images, '--labels', labels, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reference: 'float', count: 4 });
    const one = cli('run', join(FIX, 'prb-net-op11.onnx'), '--float', '--input', images, '--index', '0', '--json');
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).logits).toHaveLength(5);
    const int = cli('run', join(FIX, 'prb-net-op11.onnx'), '--input', images);
    expect(int.code).toBe(1);
    expect(int.stderr).toMatch(/an ONNX model runs only with --float .* gen-rtl import/);
  });
});

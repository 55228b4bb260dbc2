/**
 * The model zoo's architectures. SEP-Net small/large follow the paper's
 * Tables 8/7 (our reading: modules are sequential, a global average pool and a
 * 1000-way classifier follow conv5); ResNets follow He et al. for CIFAR with
 * projection shortcuts; GoogLeNet follows Szegedy et al. 2015 (the paper's [34]), Table 1, and
 * C-InceptionNet is our reading of the paper's customized Inception net; the tiny nets exercise
 * every layer kind.
 * docs/model-zoo.md compares the counts with the paper.
 */
import type { FloatLayer } from '../quant/float-model.js';
import { NetBuilder, type Tensor } from './builder.js';

export interface NetDef {
  readonly name: string;
  readonly description: string;
  readonly classes: readonly string[];
  build(seed: number): { layers: FloatLayer[]; output: string };
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const CIFAR_MEAN = [0.4914, 0.4822, 0.4465];
const CIFAR_STD = [0.247, 0.2435, 0.2616];
const FASHION_MEAN = [0.286];
const FASHION_STD = [0.353];

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const IMAGENET_CLASSES = Array.from({ length: 1000 }, (_, i) => `class_${i}`);

/**
 * SEP module (Fig. 3f): 1×1 reduce → PRB → PRB → 1×1 recover → + input → ReLU.
 * Groups as in Tables 7/8: 4 on the PRBs, `reduceGroups` on the reduction.
 */
function sepModule(b: NetBuilder, name: string, x: Tensor, reduce: number, prb1: number, prb2: number, reduceGroups: number, groups = 4): Tensor {
  const r = b.conv(`${name}_svd1`, x, reduce, 1, { groups: reduceGroups });
  const p1 = b.prb(`${name}_prb1`, r, prb1, { groups });
  const p2 = b.prb(`${name}_prb2`, p1, prb2, { groups });
  const rec = b.conv(`${name}_svd2`, p2, x.channels, 1, { relu: false });
  return b.add(`${name}_add`, x, rec);
}

function sepnet(size: 'small' | 'large'): NetDef {
  const last = size === 'small' ? { channels: 512, groups: 16 } : { channels: 400, groups: 4 };
  const conv4Groups = size === 'small' ? 4 : 1;
  return {
    name: `sepnet-${size}`,
    description: `SEP-Net ${size} (paper Table ${size === 'small' ? 8 : 7}), 224x224x3, 1000 classes`,
    classes: IMAGENET_CLASSES,
    build(seed) {
      const b = new NetBuilder(seed);
      let x = b.input(224, 224, 3, IMAGENET_MEAN, IMAGENET_STD);
      x = b.conv('conv1', x, 64, 5, { stride: 2, pad: 1 });
      x = sepModule(b, 'module1', x, 32, 32, 16, 1);
      x = b.conv('conv2', x, 128, 3, { stride: 2, pad: 1 });
      x = sepModule(b, 'module2', x, 64, 64, 32, 1);
      x = b.conv('conv3', x, 256, 3, { stride: 2, pad: 1, groups: 4 });
      x = sepModule(b, 'module3', x, 128, 128, 64, 1);
      x = sepModule(b, 'module4', x, 128, 128, 64, 1);
      x = b.conv('conv4', x, 256, 3, { stride: 2, pad: 1, groups: conv4Groups });
      x = sepModule(b, 'module5', x, 128, 128, 64, 4);
      x = sepModule(b, 'module6', x, 128, 128, 64, 1);
      x = b.conv('conv5', x, last.channels, 3, { stride: 2, pad: 1, groups: last.groups });
      x = b.avgpool('pool', x);
      const out = b.fc('fc', x, last.channels, 1000);
      return { layers: b.layers, output: out.name };
    },
  };
}

/** ResNet-(6n+2) for CIFAR: 3×3 convs binarized, projection shortcuts and classifier int8. */
function resnet(depth: 20 | 32 | 44 | 56): NetDef {
  const n = (depth - 2) / 6;
  return {
    name: `resnet${depth}`,
    description: `ResNet-${depth} for CIFAR-10 (pattern version), 32x32x3, 10 classes`,
    classes: CIFAR10_CLASSES,
    build(seed) {
      const b = new NetBuilder(seed);
      let x = b.input(32, 32, 3, CIFAR_MEAN, CIFAR_STD);
      x = b.conv('conv1', x, 16, 3);
      [16, 32, 64].forEach((ch, stage) => {
        for (let i = 0; i < n; i++) {
          const stride = stage > 0 && i === 0 ? 2 : 1;
          const name = `stage${stage + 1}_block${i + 1}`;
          const h = b.conv(`${name}_conv1`, x, ch, 3, { stride });
          const y = b.conv(`${name}_conv2`, h, ch, 3, { relu: false });
          const skip = stride === 1 && x.channels === ch ? x : b.conv(`${name}_proj`, x, ch, 1, { stride, relu: false });
          x = b.add(`${name}_add`, skip, y);
        }
      });
      x = b.avgpool('pool', x);
      const out = b.fc('fc', x, 64, 10);
      return { layers: b.layers, output: out.name };
    },
  };
}

/**
 * A tiny SEP-style network using every layer kind: binary k×k with stride 1
 * and 2 and groups, int8 1×1 and k×k, PRBs, a residual add, max pool,
 * an Inception-style concat, global average pool and the classifier.
 */
function tiny(size: 28 | 32): NetDef {
  const channels = size === 28 ? 1 : 3;
  return {
    name: `sepnet-tiny-${size}`,
    description: `tiny SEP-style network using every layer kind, ${size}x${size}x${channels}, 10 classes`,
    classes: size === 28 ? FASHION_CLASSES : CIFAR10_CLASSES,
    build(seed) {
      const b = new NetBuilder(seed);
      let x = size === 28 ? b.input(28, 28, 1, FASHION_MEAN, FASHION_STD) : b.input(32, 32, 3, CIFAR_MEAN, CIFAR_STD);
      x = size === 28 ? b.conv('conv1', x, 16, 3) : b.conv('conv1', x, 16, 5, { pad: 2 });
      x = size === 28 ? b.maxpool('pool1', x, 2, 2) : b.maxpool('pool1', x, 3, 2, 1);
      x = sepModule(b, 'module1', x, 8, 8, 8, 1, 2);
      x = b.conv('conv2', x, 32, 3, { stride: 2, groups: 2 });
      const b1 = b.conv('mixed_1x1', x, 16, 1);
      const b2 = b.conv('mixed_3x3', x, 16, 3, { groups: 2, int8: true });
      x = b.concat('mixed', [b1, b2]);
      if (size === 32) x = b.prb('prb_s2', x, 32, { stride: 2, groups: 4 });
      x = b.avgpool('pool', x);
      const out = b.fc('fc', x, 32, 10);
      return { layers: b.layers, output: out.name };
    },
  };
}

/**
 * A SEP-style network sized for the iCE40 UltraPlus UP5K (docs/model-zoo.md): a stride-2 PRB stem
 * (binarized 3×3 ∥ int8 1×1 on the image), global average pool, 10-way classifier. Its DSPs are the
 * limit: every requantizer and every int8 product lane takes an SB_MAC16 (two when the accumulator
 * is wider than 17 bits), so the input stage (1), the PRB (3), the pool (1) and the classifier (3)
 * use all 8; 16 channels keep the logic cells at about three quarters of the device (32 do not fit).
 */
function up5k(): NetDef {
  return {
    name: 'sepnet-up5k',
    description: 'SEP-style net for the iCE40 UP5K: stride-2 PRB stem, GAP, FC; 28x28x1, 10 classes',
    classes: FASHION_CLASSES,
    build(seed) {
      const b = new NetBuilder(seed);
      let x = b.input(28, 28, 1, FASHION_MEAN, FASHION_STD);
      x = b.prb('stem', x, 16, { stride: 2 });
      x = b.avgpool('pool', x);
      const out = b.fc('fc', x, 16, 10);
      return { layers: b.layers, output: out.name };
    },
  };
}

/** One Inception module's channels (Szegedy et al. 2015, Table 1): branch widths in the order of its columns. */
interface InceptionSpec {
  readonly name: string;
  readonly c1x1: number;
  readonly reduce3: number;
  readonly c3x3: number;
  readonly reduce5: number;
  readonly c5x5: number;
  readonly poolProj: number;
}

/** GoogLeNet's nine modules; `'pool'` is a 3×3 stride-2 max pool between them. */
const GOOGLENET_MODULES: readonly (InceptionSpec | 'pool')[] = [
  { name: 'inception3a', c1x1: 64, reduce3: 96, c3x3: 128, reduce5: 16, c5x5: 32, poolProj: 32 },
  { name: 'inception3b', c1x1: 128, reduce3: 128, c3x3: 192, reduce5: 32, c5x5: 96, poolProj: 64 },
  'pool',
  { name: 'inception4a', c1x1: 192, reduce3: 96, c3x3: 208, reduce5: 16, c5x5: 48, poolProj: 64 },
  { name: 'inception4b', c1x1: 160, reduce3: 112, c3x3: 224, reduce5: 24, c5x5: 64, poolProj: 64 },
  { name: 'inception4c', c1x1: 128, reduce3: 128, c3x3: 256, reduce5: 24, c5x5: 64, poolProj: 64 },
  { name: 'inception4d', c1x1: 112, reduce3: 144, c3x3: 288, reduce5: 32, c5x5: 64, poolProj: 64 },
  { name: 'inception4e', c1x1: 256, reduce3: 160, c3x3: 320, reduce5: 32, c5x5: 128, poolProj: 128 },
  'pool',
  { name: 'inception5a', c1x1: 256, reduce3: 160, c3x3: 320, reduce5: 32, c5x5: 128, poolProj: 128 },
  { name: 'inception5b', c1x1: 384, reduce3: 192, c3x3: 384, reduce5: 48, c5x5: 128, poolProj: 128 },
];

/**
 * Inception module: 1×1 ∥ 1×1 → 3×3 ∥ 1×1 → 5×5 ∥ 3×3 max pool (stride 1, pad 1) → 1×1, concatenated
 * in that order. `full: false` is C-InceptionNet's module: the 1×1 and the 1×1 → 3×3 branches only.
 */
function inception(b: NetBuilder, x: Tensor, m: InceptionSpec, full: boolean): Tensor {
  const b1 = b.conv(`${m.name}_1x1`, x, m.c1x1, 1);
  const b2 = b.conv(`${m.name}_3x3`, b.conv(`${m.name}_3x3_reduce`, x, m.reduce3, 1), m.c3x3, 3);
  if (!full) return b.concat(`${m.name}_concat`, [b1, b2]);
  const b3 = b.conv(`${m.name}_5x5`, b.conv(`${m.name}_5x5_reduce`, x, m.reduce5, 1), m.c5x5, 5);
  const b4 = b.conv(`${m.name}_pool_proj`, b.maxpool(`${m.name}_pool`, x, 3, 1, 1), m.poolProj, 1);
  return b.concat(`${m.name}_concat`, [b1, b2, b3, b4]);
}

/**
 * GoogLeNet (Inception v1) without LRN and without the auxiliary classifiers, or C-InceptionNet
 * (`full: false`). Max pools are 3×3 stride 2 pad 1, which give the sizes of Caffe's and PyTorch's
 * ceil-mode pools (112 → 56 → 28 → 14 → 7). The stem's 3×3 (conv2) is kept in int8 under every
 * binarize policy: the paper's Table 5 counts fit a stem 3×3 in full precision (docs/model-zoo.md).
 */
function googlenet(full: boolean): NetDef {
  return {
    name: full ? 'googlenet' : 'c-inceptionnet',
    description: full
      ? 'GoogLeNet / Inception v1 (Szegedy et al. 2015, Table 1; no LRN, no auxiliary classifiers), 224x224x3, 1000 classes'
      : 'C-InceptionNet: GoogLeNet with the 5x5 (and pool) branches of every Inception module removed, 224x224x3, 1000 classes',
    classes: IMAGENET_CLASSES,
    build(seed) {
      const b = new NetBuilder(seed);
      let x = b.input(224, 224, 3, IMAGENET_MEAN, IMAGENET_STD);
      x = b.conv('conv1_7x7', x, 64, 7, { stride: 2, pad: 3 });
      x = b.maxpool('pool1', x, 3, 2, 1);
      x = b.conv('conv2_3x3_reduce', x, 64, 1);
      x = b.conv('conv2_3x3', x, 192, 3, { int8: true });
      x = b.maxpool('pool2', x, 3, 2, 1);
      let pools = 2;
      for (const m of GOOGLENET_MODULES) x = m === 'pool' ? b.maxpool(`pool${++pools}`, x, 3, 2, 1) : inception(b, x, m, full);
      x = b.avgpool('pool5', x);
      const out = b.fc('fc', x, x.channels, 1000);
      return { layers: b.layers, output: out.name };
    },
  };
}

/**
 * A reduced Inception net small enough to co-simulate in CI: CIFAR-10 shape, a 3×3 stem and max pool, two
 * GoogLeNet-style modules (all four branches, 4 to 16 channels each) with a max pool between them,
 * global average pool, 10-way classifier.
 */
function inceptionTiny(): NetDef {
  return {
    name: 'inception-tiny',
    description: 'reduced Inception net: 3x3 stem, two 4-branch Inception modules, GAP, FC; 32x32x3, 10 classes',
    classes: CIFAR10_CLASSES,
    build(seed) {
      const b = new NetBuilder(seed);
      let x = b.input(32, 32, 3, CIFAR_MEAN, CIFAR_STD);
      x = b.conv('conv1', x, 16, 3);
      x = b.maxpool('pool1', x, 3, 2, 1);
      x = inception(b, x, { name: 'inception_a', c1x1: 8, reduce3: 8, c3x3: 16, reduce5: 4, c5x5: 8, poolProj: 8 }, true);
      x = b.maxpool('pool2', x, 3, 2, 1);
      x = inception(b, x, { name: 'inception_b', c1x1: 16, reduce3: 8, c3x3: 16, reduce5: 4, c5x5: 8, poolProj: 8 }, true);
      x = b.avgpool('pool', x);
      const out = b.fc('fc', x, x.channels, 10);
      return { layers: b.layers, output: out.name };
    },
  };
}

export const NETS: readonly NetDef[] = [
  sepnet('small'),
  sepnet('large'),
  resnet(20),
  resnet(32),
  resnet(44),
  resnet(56),
  tiny(28),
  tiny(32),
  up5k(),
  googlenet(true),
  googlenet(false),
  inceptionTiny(),
];

"""Small deterministic ONNX files for gen-rtl's importer tests (test/fixtures/onnx/).

  /usr/bin/python3 models/train/export_fixtures.py [--out test/fixtures/onnx]

Untrained networks with seeded weights; batch norm gets non-trivial statistics (measured on
seeded images, then scaled by seeded factors) and affine parameters. Each network is exported
twice: `-op11` as a default export (the exporter folds batch norm into the convolutions) and
`-op17` with BatchNormalization nodes kept. Beside them: `-images.npy` (uint8 (4, H, W, C), seeded synthetic pictures) and
`-float.npy` (float32 (4, classes), PyTorch's eval output for those images after x / 255 and
the per-channel mean/std stored in the metadata). Every file is run by onnx_tools.run_onnx and
compared with PyTorch before it is written.
"""
import argparse
import hashlib
import io
import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

import onnx_tools
import pattern
from nets import PatternResidualBlock, conv_bn

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SEED = 5
IMAGES = 4
OPSETS = (11, 17)
GRAY = dict(mean=(0.5,), std=(0.25,))
RGB = dict(mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616))


class PrbNet(nn.Module):
    """conv 3×3 + BN + ReLU, a PRB (groups 2), a residual add, max pool 2, GAP as a mean (ReduceMean), linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(1, 8, 3), nn.ReLU())
        self.prb = PatternResidualBlock(8, 8, 3, groups=2)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        h = self.stem(x)
        h = self.relu(h + self.prb(h))
        return self.fc(torch.flatten(self.pool(h).mean((2, 3), keepdim=True), 1))


class StridesNet(nn.Module):
    """Stride 2 pad 1, a 5×5 pad 2, a grouped 1×1, max pool 3/2 pad 1, linear on a flattened 3×3×8 (CHW order)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 8, 3, stride=2), nn.ReLU(),     # 10×10 -> 5×5
            conv_bn(8, 8, 5), nn.ReLU(),               # 5×5, pad 2
            conv_bn(8, 8, 1, groups=4), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1))      # 5×5 -> 3×3
        self.fc = nn.Linear(3 * 3 * 8, 6)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class ConcatNet(nn.Module):
    """Two branches (1×1 and 3×3) concatenated on channels, AdaptiveAvgPool2d(1), linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(1, 8, 3), nn.ReLU())
        self.branch1 = nn.Sequential(conv_bn(8, 4, 1), nn.ReLU())
        self.branch3 = nn.Sequential(conv_bn(8, 6, 3), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(10, 5)

    def forward(self, x):
        h = self.stem(x)
        h = torch.cat([self.branch1(h), self.branch3(h)], dim=1)
        return self.fc(torch.flatten(self.gap(h), 1))


class BinaryNet(nn.Module):
    """k×k weights that already are ±alpha per filter: a 3×3, a stride-2 PRB, a 3×3 with pad 0."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 8, 3), nn.ReLU())            # 10×10
        self.prb = PatternResidualBlock(8, 8, 3, stride=2)                # 5×5
        self.valid = nn.Sequential(                                       # 3×3, pad 0
            nn.Conv2d(8, 16, 3, padding=0, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        h = self.valid(self.prb(self.stem(x)))
        return self.fc(torch.flatten(self.gap(h), 1))


class UnsupportedNet(nn.Module):
    """A Sigmoid: gen-rtl has no such layer, the importer must name the node and refuse it."""

    def __init__(self):
        super().__init__()
        self.conv = conv_bn(1, 4, 3)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.gap(torch.sigmoid(self.conv(x))), 1))


# name: (constructor, (H, W, C), normalization, binarize k×k by hand)
FIXTURES = {
    'prb-net': (PrbNet, (12, 12, 1), GRAY, False),
    'strides-net': (StridesNet, (10, 10, 3), RGB, False),
    'concat-net': (ConcatNet, (12, 12, 1), GRAY, False),
    'binary-net': (BinaryNet, (10, 10, 3), RGB, True),
}


def to_input(images, norm):
    """uint8 (N, H, W, C) -> float32 (N, C, H, W) of (x / 255 - mean[c]) / std[c], in float32."""
    x = torch.from_numpy(images).float().div(255.0).permute(0, 3, 1, 2)
    mean = torch.tensor(norm['mean'], dtype=torch.float32)[None, :, None, None]
    std = torch.tensor(norm['std'], dtype=torch.float32)[None, :, None, None]
    return ((x - mean) / std).contiguous()


def synthetic_images(rng, n, h, w, c):
    """uint8 (n, h, w, c): smooth random shapes (a 3×3 grid upsampled), per-image brightness and contrast, noise.

    Uniform noise alone would make every image look alike after a global pool; these differ.
    """
    coarse = torch.from_numpy(rng.random((n, c, 3, 3))).float()
    smooth = torch.nn.functional.interpolate(coarse, size=(h, w), mode='bilinear', align_corners=True)
    smooth = smooth.permute(0, 2, 3, 1).numpy()
    lo = rng.uniform(0.0, 0.5, size=(n, 1, 1, 1))
    hi = rng.uniform(0.5, 1.0, size=(n, 1, 1, 1))
    img = lo + (hi - lo) * smooth + rng.normal(0.0, 0.08, size=(n, h, w, c))
    return np.clip(np.rint(255 * img), 0, 255).astype(np.uint8)


def make_binary(model, gen):
    """Set every k×k weight to alpha·B with seeded signs and one seeded alpha per filter."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size[0] > 1:
            signs = torch.where(torch.rand(m.weight.shape, generator=gen) < 0.5, -1.0, 1.0)
            alpha = 0.05 + 0.25 * torch.rand(m.out_channels, generator=gen)
            with torch.no_grad():
                m.weight.copy_(alpha[:, None, None, None] * signs)


def set_batchnorm(model, calib, gen, negative_gamma):
    """Running statistics measured on `calib`, then perturbed; seeded gamma and beta."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None                    # cumulative average over the calibration pass
    model.train()
    with torch.no_grad():
        model(calib)
    model.eval()
    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            bn.running_mean.add_(0.1 * torch.randn(c, generator=gen))
            bn.running_var.mul_(0.75 + 0.5 * torch.rand(c, generator=gen))
            bn.weight.copy_(0.5 + torch.rand(c, generator=gen))
            bn.bias.copy_(0.2 * torch.randn(c, generator=gen))
        if negative_gamma:
            bns[0].weight[1].neg_()           # a negative batch-norm scale after a binary conv


def metadata(name, norm, classes):
    return {
        'gen-rtl.dataset': 'synthetic',
        'gen-rtl.mean': ','.join(f'{v:.4f}' for v in norm['mean']),
        'gen-rtl.std': ','.join(f'{v:.4f}' for v in norm['std']),
        'gen-rtl.classes': '|'.join(f'class{i}' for i in range(classes)),
        'gen-rtl.seed': str(SEED),
        'gen-rtl.recipe': '/usr/bin/python3 models/train/export_fixtures.py',
        'gen-rtl.fixture': name,
    }


def build(name, index):
    make, (h, w, c), norm, binary = FIXTURES[name]
    torch.manual_seed(SEED * 100 + index)
    gen = torch.Generator().manual_seed(SEED * 100 + index)
    rng = np.random.default_rng(SEED * 100 + index)
    model = make()
    if binary:
        make_binary(model, gen)
    calib = to_input(synthetic_images(rng, 64, h, w, c), norm)
    set_batchnorm(model, calib, gen, negative_gamma=binary)
    images = synthetic_images(rng, IMAGES, h, w, c)
    return model, images, norm


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_fixture(name, index, out):
    model, images, norm = build(name, index)
    h, w, c = images.shape[1:]
    x = to_input(images, norm)
    with torch.no_grad():
        logits = model(x).numpy().astype(np.float32)
    np.save(os.path.join(out, f'{name}-images.npy'), images)
    np.save(os.path.join(out, f'{name}-float.npy'), logits)
    entry = {'input': [h, w, c], 'classes': int(logits.shape[1]), 'mean': list(norm['mean']),
             'std': list(norm['std']), 'files': {}}
    for opset in OPSETS:
        path = os.path.join(out, f'{name}-op{opset}.onnx')
        keep_bn = opset == 17
        proto = onnx_tools.export(model, path, (1, c, h, w), opset,
                                  metadata(name, norm, logits.shape[1]), keep_batchnorm=keep_bn)
        got = onnx_tools.run_onnx(proto, x.numpy())
        rel = onnx_tools.relative_difference(got, logits)
        if rel > 1e-5:
            raise SystemExit(f'{path}: the ONNX file differs from PyTorch by {rel:.2e} relative')
        ops = sorted({n.op_type for n in proto.graph.node})
        if binary_expected(name) and not onnx_tools.kxk_filters_are_binary(proto):
            raise SystemExit(f'{path}: k×k weights are not ±alpha per filter')
        entry['files'][os.path.basename(path)] = {
            'opset': opset, 'batchNormKept': keep_bn, 'ops': ops,
            'kxkExactlyAlphaB': onnx_tools.kxk_filters_are_binary(proto),
            'relDiffVsTorch': rel, 'bytes': os.path.getsize(path)}
    return entry


def binary_expected(name):
    return FIXTURES[name][3]


def write_unsupported(out):
    torch.manual_seed(SEED)
    model = UnsupportedNet().eval()
    path = os.path.join(out, 'unsupported-op.onnx')
    onnx_tools.export(model, path, (1, 1, 8, 8), 13, metadata('unsupported-op', GRAY, 3))
    return {'input': [8, 8, 1], 'unsupported': 'Sigmoid', 'bytes': os.path.getsize(path)}


def write_broken(out):
    """Files the importer must refuse with a clear error: truncated protobuf, a missing initializer, dynamic H and W."""
    with open(os.path.join(out, 'prb-net-op11.onnx'), 'rb') as f:
        good = f.read()
    with open(os.path.join(out, 'corrupt.onnx'), 'wb') as f:
        f.write(good[:len(good) // 2])

    proto = onnx.load_from_string(good)
    conv = next(n for n in proto.graph.node if n.op_type == 'Conv')
    weight = next(t for t in proto.graph.initializer if t.name == conv.input[1])
    proto.graph.initializer.remove(weight)
    onnx.save(proto, os.path.join(out, 'missing-initializer.onnx'))

    model, _images, _norm = build('prb-net', list(FIXTURES).index('prb-net'))
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 1, 12, 12), buf, input_names=['input'], output_names=['logits'],
                      opset_version=13, dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'}})
    proto = onnx.load_from_string(buf.getvalue())
    for key, value in metadata('dynamic-shape', GRAY, 5).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, os.path.join(out, 'dynamic-shape.onnx'))
    return {
        'corrupt.onnx': 'the first half of prb-net-op11.onnx (truncated protobuf)',
        'missing-initializer.onnx': f'prb-net-op11.onnx without the initializer "{conv.input[1]}" of node "{conv.name}"',
        'dynamic-shape.onnx': 'prb-net exported with dynamic batch, height and width',
    }


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=os.path.join(REPO, 'test', 'fixtures', 'onnx'))
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    manifest = {'generator': 'models/train/export_fixtures.py', 'seed': SEED,
                'torch': torch.__version__, 'onnx': onnx.__version__, 'fixtures': {}}
    for index, name in enumerate(FIXTURES):
        manifest['fixtures'][name] = write_fixture(name, index, args.out)
    manifest['fixtures']['unsupported-op'] = write_unsupported(args.out)
    manifest['broken'] = write_broken(args.out)
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    for fname in sorted(os.listdir(args.out)):
        path = os.path.join(args.out, fname)
        print(f'{os.path.getsize(path):7d}  {sha256(path)[:16]}  {fname}')


if __name__ == '__main__':
    main(sys.argv[1:])

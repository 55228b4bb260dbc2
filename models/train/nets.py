"""The trained architectures, built only from ops gen-rtl imports.

Allowed: Conv2d (square kernels; k×k with pad (k-1)/2 or 0), BatchNorm2d, ReLU, tensor add,
square MaxPool2d, global average pooling, flatten, Linear (last, no ReLU), channel concat.
Every convolution is followed by batch norm and has no bias of its own.
"""
import torch
from torch import nn


def conv_bn(cin, cout, k, stride=1, groups=1):
    """A k×k convolution ('same' padding) and its batch norm, no activation."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=(k - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout))


class PatternResidualBlock(nn.Module):
    """PRB (paper Fig. 2a): ReLU(BN(conv_kxk(x)) + BN(conv_1x1(x))), one input, one stride, one groups."""

    def __init__(self, cin, cout, k=3, stride=1, groups=1):
        super().__init__()
        self.kxk = conv_bn(cin, cout, k, stride, groups)
        self.pointwise = conv_bn(cin, cout, 1, stride, groups)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.kxk(x) + self.pointwise(x))


class SepModule(nn.Module):
    """SEP module (paper Fig. 3f): 1×1 reduce, two PRBs, 1×1 recover, + input, ReLU."""

    def __init__(self, channels, reduce, mid1, mid2, groups):
        super().__init__()
        self.reduce = nn.Sequential(conv_bn(channels, reduce, 1), nn.ReLU(inplace=True))
        self.prb1 = PatternResidualBlock(reduce, mid1, 3, groups=groups)
        self.prb2 = PatternResidualBlock(mid1, mid2, 3, groups=groups)
        self.recover = conv_bn(mid2, channels, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.recover(self.prb2(self.prb1(self.reduce(x))))
        return self.relu(x + y)


class SepNetFmnist(nn.Module):
    """SEP-style network for 28×28×1, 10 classes.

    5×5 stem as in the paper's conv1, max pool to 14×14, SEP modules at 14×14 and (after a
    stride-2 3×3) at 7×7, a last 3×3 widening conv, global average pool, linear classifier.
    """

    def __init__(self, width=32, num_classes=10, modules14=2, modules7=2, head=128, groups=2):
        super().__init__()
        w1, w2 = width, 2 * width
        layers = [conv_bn(1, w1, 5), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        layers += [SepModule(w1, w1, w1, w1 // 2, groups) for _ in range(modules14)]
        layers += [conv_bn(w1, w2, 3, stride=2), nn.ReLU(inplace=True)]
        layers += [SepModule(w2, w2 // 2, w2 // 2, w2 // 4, groups) for _ in range(modules7)]
        layers += [conv_bn(w2, head, 3, groups=groups), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class BasicBlock(nn.Module):
    """ResNet basic block (He et al.); a stride-2 block has a 1×1 projection shortcut with BN."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = conv_bn(cout, cout, 3)
        self.shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.conv2(self.relu1(self.conv1(x)))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu2(y + s)


class ResNetFmnist(nn.Module):
    """ResNet-(6n+2), CIFAR variant, on 28×28×1: 16/32/64 channels, GAP, linear."""

    def __init__(self, n=3, num_classes=10):
        super().__init__()
        layers = [conv_bn(1, 16, 3), nn.ReLU(inplace=True)]
        cin = 16
        for stage, cout in enumerate((16, 32, 64)):
            for i in range(n):
                layers.append(BasicBlock(cin, cout, 2 if stage > 0 and i == 0 else 1))
                cin = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class SepNetUp5k(nn.Module):
    """The zoo's sepnet-up5k (generator/zoo/nets.ts up5k()): one stride-2 PRB stem, GAP, linear.

    28×28×1 → PRB (3×3 ∥ 1×1, both stride 2, 16 channels) → 14×14×16 → global average pool → 16 → 10.
    The module names are the zoo's layer names (`stem`, `pool`, `fc`), which the importer keeps. The
    ReLU after the pool changes nothing (its input is a ReLU's output) but makes the importer fuse it
    into the pool, whose output is then uint8 as the zoo's (`avgpool` with `relu`), not int8.
    """

    def __init__(self, width=16, num_classes=10):
        super().__init__()
        self.stem = PatternResidualBlock(1, width, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pool_relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool_relu(self.pool(self.stem(x))), 1))


ARCHITECTURES = {
    'sepnet-fmnist': SepNetFmnist,
    'sepnet-up5k': SepNetUp5k,
    'resnet20-fmnist': lambda: ResNetFmnist(n=3),
}


def count_params(model):
    """Conv and linear weights plus linear biases (batch norm not counted, as docs/model-zoo.md)."""
    total = 0
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            total += m.weight.numel()
            if isinstance(m, nn.Linear) and m.bias is not None:
                total += m.bias.numel()
    return total


def count_macs(model, input_shape=(1, 1, 28, 28)):
    """Multiply-accumulates of convolutions and linear layers for one image."""
    macs = []

    def conv_hook(m, _inp, out):
        macs.append(out.numel() // out.shape[0] * m.weight[0].numel())

    def linear_hook(m, _inp, out):
        macs.append(m.weight.numel())

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(input_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return sum(macs)

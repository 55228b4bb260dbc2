"""Pattern binarization (paper §3.1, Eq. 1) and its frozen-pattern convolution.

Eq. 1: min ||W - alpha B||_F^2 over B in {-1, +1}^(c×k×k) and alpha, per output filter, is solved by
B = sign(W) with 0 -> +1 and alpha = mean |W|. gen-rtl's importer uses the same rule, and keeps
weights that already are ±alpha per filter exactly: this module exports them that way.
"""
import copy

import torch
import torch.nn.functional as F
from torch import nn


def binarize_weight(w):
    """(alpha, B) of Eq. 1 for a conv weight [cout, cin/g, k, k]: B in {-1, +1}, alpha per filter."""
    pattern = torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))
    alpha = w.abs().mean(dim=(1, 2, 3))
    return alpha, pattern


def relative_error(w):
    """||W - alpha B||^2 / ||W||^2 per output filter, and the absolute ||W - alpha B||^2."""
    alpha, pattern = binarize_weight(w)
    diff = (w - alpha[:, None, None, None] * pattern).pow(2).sum(dim=(1, 2, 3))
    return diff / w.pow(2).sum(dim=(1, 2, 3)), diff


class PatternConv2d(nn.Module):
    """conv2d(x, alpha[:, None, None, None] * B): B is a frozen buffer, alpha one learnable scale per filter."""

    def __init__(self, conv):
        super().__init__()
        if conv.bias is not None:
            raise ValueError('pattern convolutions have no bias (batch norm follows them)')
        alpha, pattern = binarize_weight(conv.weight.detach())
        self.register_buffer('pattern', pattern)
        self.alpha = nn.Parameter(alpha)
        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        self.kernel_size, self.stride, self.padding = conv.kernel_size, conv.stride, conv.padding
        self.dilation, self.groups = conv.dilation, conv.groups

    def weight(self):
        return self.alpha[:, None, None, None] * self.pattern

    def forward(self, x):
        return F.conv2d(x, self.weight(), None, self.stride, self.padding, self.dilation, self.groups)

    def to_conv(self):
        """A plain Conv2d holding alpha·B, for export: every weight of a filter is ±alpha exactly."""
        conv = nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, self.stride,
                         self.padding, self.dilation, self.groups, bias=False)
        with torch.no_grad():
            conv.weight.copy_(self.weight())
        return conv


SELECTORS = {
    'kxk': lambda conv: conv.kernel_size[0] > 1,
    '1x1': lambda conv: conv.kernel_size[0] == 1,
}


def _replace(model, predicate, make):
    count = 0
    for name, child in list(model.named_children()):
        if predicate(child):
            setattr(model, name, make(child))
            count += 1
        else:
            count += _replace(child, predicate, make)
    return count


def binarize(model, which):
    """Step 2: replace every conv that `which` ('kxk' or '1x1') selects by its pattern version, in place."""
    select = SELECTORS[which]
    return _replace(model, lambda m: isinstance(m, nn.Conv2d) and select(m), PatternConv2d)


def to_plain(model):
    """A copy with every PatternConv2d turned back into an nn.Conv2d holding alpha·B."""
    plain = copy.deepcopy(model)
    _replace(plain, lambda m: isinstance(m, PatternConv2d), lambda m: m.to_conv())
    return plain


def pattern_modules(model):
    return [m for m in model.modules() if isinstance(m, PatternConv2d)]


def quantization_error_by_kernel(*models):
    """Table 1 analog, per kernel size: means over filters of ||W - alpha B||^2 / ||W||^2 (relative),
    ||W - alpha B||^2 (absolute) and ||W - alpha B||^2 / (c·k·k) (absolute per weight), and
    sum ||W - alpha B||^2 / sum ||W||^2 over all filters (pooled, the measure `gen-rtl import` reports)."""
    per_size = {}
    for m in (m for model in models for m in model.modules()):
        if isinstance(m, nn.Conv2d):
            rel, absolute = relative_error(m.weight.detach())
            entry = per_size.setdefault(m.kernel_size[0], {'rel': [], 'abs': [], 'size': [], 'norm': []})
            entry['norm'].append(m.weight.detach().pow(2).sum(dim=(1, 2, 3)))
            entry['rel'].append(rel)
            entry['abs'].append(absolute)
            entry['size'].append(m.weight[0].numel())
    out = {}
    for k in sorted(per_size):
        rel = torch.cat(per_size[k]['rel'])
        absolute = torch.cat(per_size[k]['abs'])
        weights_per_filter = torch.cat([torch.full((a.numel(),), float(n)) for a, n in
                                        zip(per_size[k]['abs'], per_size[k]['size'])])
        norms = torch.cat(per_size[k]['norm'])
        out[f'{k}x{k}'] = {'filters': int(rel.numel()),
                           'relativeError': float(rel.mean()),
                           'pooledRelativeError': float(absolute.sum() / norms.sum()),
                           'absoluteError': float(absolute.mean()),
                           'absoluteErrorPerWeight': float((absolute / weights_per_filter).mean())}
    return out

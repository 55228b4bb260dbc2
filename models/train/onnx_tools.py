"""ONNX export with gen-rtl's metadata, and the checks run on every exported file.

There is no onnxruntime under Debian's Python, so `run_onnx` is a small NumPy interpreter for the
ops gen-rtl imports: it runs the exported file itself, so a flatten-order or folding mistake in the
export shows up as a difference from PyTorch's output.
"""
import io

import numpy as np
import onnx
import torch
from onnx import numpy_helper

import pattern


def export(model, path, input_shape, opset, metadata, keep_batchnorm=False):
    """Export `model` (eval mode, pattern convs as alpha·B) to `path` with metadata_props; returns the ModelProto."""
    plain = pattern.to_plain(model).eval()
    buf = io.BytesIO()
    training = torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(plain, torch.zeros(input_shape), buf, input_names=['input'],
                      output_names=['logits'], opset_version=opset, training=training,
                      do_constant_folding=True)
    proto = onnx.load_from_string(buf.getvalue())
    set_metadata(proto, metadata)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, path)
    return proto


def set_metadata(proto, metadata):
    """Replace the model's metadata_props by `metadata`, in its order."""
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)


def initializers(proto):
    return {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv_weights(proto):
    """(node name, weight array) for every Conv whose weight is an initializer."""
    inits = initializers(proto)
    return [(n.name, inits[n.input[1]]) for n in proto.graph.node
            if n.op_type == 'Conv' and n.input[1] in inits]


def kxk_filters_are_binary(proto):
    """True when every k×k (k > 1) Conv weight has one |w| per output filter, i.e. is exactly ±alpha."""
    for _name, w in conv_weights(proto):
        if w.shape[2] > 1:
            mag = np.abs(w.reshape(w.shape[0], -1))
            if not np.all(mag == mag[:, :1]):
                return False
    return True


def _conv(x, w, b, a):
    group = a.get('group', 1)
    if any(d != 1 for d in a.get('dilations', [1, 1])):
        raise NotImplementedError('dilated Conv')
    sh, sw = a.get('strides', [1, 1])
    pt, pl, pb, pr = a.get('pads', [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    kh, kw = w.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    cin_g, cout_g = x.shape[1] // group, w.shape[0] // group
    outs = []
    for g in range(group):
        xs = win[:, g * cin_g:(g + 1) * cin_g]
        ws = w[g * cout_g:(g + 1) * cout_g]
        outs.append(np.einsum('nchwij,mcij->nmhw', xs, ws, optimize=True))
    y = np.concatenate(outs, axis=1)
    if b is not None:
        y = y + b[None, :, None, None]
    return y.astype(np.float32)


def _maxpool(x, a):
    if a.get('ceil_mode', 0):
        raise NotImplementedError('MaxPool ceil_mode')
    kh, kw = a['kernel_shape']
    sh, sw = a.get('strides', [1, 1])
    pt, pl, pb, pr = a.get('pads', [0, 0, 0, 0])
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    return win.max(axis=(4, 5))


def run_onnx(proto, x):
    """Evaluate the graph on x (N, C, H, W) float32; returns the first graph output."""
    env = dict(initializers(proto))
    env[proto.graph.input[0].name] = x.astype(np.float32)
    for n in proto.graph.node:
        a = _attrs(n)
        i = [env[name] if name else None for name in n.input]
        op = n.op_type
        if op == 'Conv':
            y = _conv(i[0], i[1], i[2] if len(i) > 2 else None, a)
        elif op == 'BatchNormalization':
            x0, s, b, m, v = i
            inv = s / np.sqrt(v + a.get('epsilon', 1e-5))
            y = (x0 - m[None, :, None, None]) * inv[None, :, None, None] + b[None, :, None, None]
        elif op == 'Relu':
            y = np.maximum(i[0], 0)
        elif op == 'Add':
            y = i[0] + i[1]
        elif op == 'MaxPool':
            y = _maxpool(i[0], a)
        elif op == 'GlobalAveragePool':
            y = i[0].mean(axis=(2, 3), keepdims=True)
        elif op == 'ReduceMean':
            axes = a['axes'] if 'axes' in a else i[1]
            y = i[0].mean(axis=tuple(axes), keepdims=bool(a.get('keepdims', 1)))
        elif op == 'Flatten':
            axis = a.get('axis', 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:axis])), -1)
        elif op == 'Reshape':
            y = i[0].reshape([d if d != 0 else i[0].shape[k] for k, d in enumerate(i[1])])
        elif op == 'Gemm':
            A = i[0].T if a.get('transA', 0) else i[0]
            B = i[1].T if a.get('transB', 0) else i[1]
            y = a.get('alpha', 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get('beta', 1.0) * i[2]
        elif op == 'MatMul':
            y = i[0] @ i[1]
        elif op == 'Concat':
            y = np.concatenate(i, axis=a['axis'])
        elif op == 'Identity':
            y = i[0]
        elif op == 'Constant':
            y = numpy_helper.to_array(a['value'])
        elif op == 'Sigmoid':
            y = 1.0 / (1.0 + np.exp(-i[0]))
        else:
            raise NotImplementedError(f'node {n.name}: {op}')
        env[n.output[0]] = np.asarray(y, dtype=np.float32) if op not in ('Constant',) else y
    return env[proto.graph.output[0].name]


def relative_difference(a, b):
    """max |a - b| / max |b|: the difference relative to the output's range."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))

"""Fashion-MNIST from Debian's IDX files, normalized as the exported models expect.

The exported networks take (x / 255 - MEAN) / STD; gen-rtl stores the same mean and std
in the .sepb so that references and hardware can take uint8 pixels.
"""
import gzip
import os

import numpy as np
import torch

DATA_DIR = '/usr/share/datasets/fashion-mnist'
MEAN = 0.2860
STD = 0.3530
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
           'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

# IDX type codes: only unsigned bytes occur in (Fashion-)MNIST.
_IDX_UBYTE = 0x08


def read_idx(path):
    """An IDX file (plain or gzip) as a uint8 array of the dimensions its header gives."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f'{path}: not an IDX file')
    if raw[2] != _IDX_UBYTE:
        raise ValueError(f'{path}: IDX type 0x{raw[2]:02x}, only unsigned bytes are supported')
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f'{path}: header says {dims}, body has {body.size} bytes')
    return body.reshape(dims)


def load_fashion_mnist(data_dir=DATA_DIR):
    """(train_images, train_labels, test_images, test_labels); images uint8 (N, 28, 28)."""
    def part(name):
        return read_idx(os.path.join(data_dir, name))
    return (part('train-images-idx3-ubyte.gz'), part('train-labels-idx1-ubyte.gz'),
            part('t10k-images-idx3-ubyte.gz'), part('t10k-labels-idx1-ubyte.gz'))


def normalize(images_u8, mean=MEAN, std=STD):
    """uint8 (N, H, W) -> float32 tensor (N, 1, H, W) of (x / 255 - mean) / std."""
    x = torch.from_numpy(np.ascontiguousarray(images_u8)).float().div_(255.0)
    return x.unsqueeze(1).sub_(mean).div_(std)


def augment(images_u8, rng, pad=2, flip=True):
    """Random crop after zero padding (in pixel space, so padding is black) and horizontal flip."""
    n, h, w = images_u8.shape
    padded = np.pad(images_u8, ((0, 0), (pad, pad), (pad, pad)))
    dy = rng.integers(0, 2 * pad + 1, size=n)
    dx = rng.integers(0, 2 * pad + 1, size=n)
    rows = dy[:, None] + np.arange(h)[None, :]
    cols = dx[:, None] + np.arange(w)[None, :]
    out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    if flip:
        mirror = rng.random(n) < 0.5
        out[mirror] = out[mirror, :, ::-1]
    return out


def batches(images_u8, labels, batch_size, rng=None, train=False):
    """(x, y) tensors; shuffled and augmented when train, in order otherwise."""
    n = len(images_u8)
    order = rng.permutation(n) if train else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        imgs = images_u8[idx]
        if train:
            imgs = augment(imgs, rng)
        yield normalize(imgs), torch.from_numpy(labels[idx].astype(np.int64))

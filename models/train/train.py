"""The paper's three steps on Fashion-MNIST, one command per shipped model or experiment.

  /usr/bin/python3 models/train/train.py sepnet-fmnist      # Table 2 row, ships models/sepnet-fmnist.onnx
  /usr/bin/python3 models/train/train.py sepnet-fmnist-1x1  # Table 4 analog: 1×1 patterns instead of k×k
  /usr/bin/python3 models/train/train.py resnet20-fmnist    # Table 2 row, ships models/resnet20-fmnist.onnx
  /usr/bin/python3 models/train/train.py sepnet-up5k-fmnist # the zoo's sepnet-up5k, ships models/sepnet-up5k-fmnist.onnx
  /usr/bin/python3 models/train/train.py table1             # Table 1 analog from the two full checkpoints

Step 1 trains the full-precision network; step 2 binarizes the selected convolutions by Eq. 1
(the "BiPattern" accuracy is measured right after, nothing retrained); step 3 freezes the patterns B
and fine-tunes everything else — the other convolutions, batch norm, the classifier and one alpha
per binarized filter ("Refined"). Each run writes models/train/results/<experiment>.json.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import data
import nets
import onnx_tools
import pattern

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

EXPERIMENTS = {
    'sepnet-fmnist': dict(arch='sepnet-fmnist', binarize='kxk', epochs=8, refine_epochs=5,
                          onnx='models/sepnet-fmnist.onnx'),
    'sepnet-fmnist-1x1': dict(arch='sepnet-fmnist', binarize='1x1', epochs=8, refine_epochs=2,
                              onnx=None),
    'resnet20-fmnist': dict(arch='resnet20-fmnist', binarize='kxk', epochs=3, refine_epochs=1,
                            onnx='models/resnet20-fmnist.onnx'),
    'sepnet-up5k-fmnist': dict(arch='sepnet-up5k', binarize='kxk', epochs=30, refine_epochs=15,
                               onnx='models/sepnet-up5k-fmnist.onnx'),
}
BATCH_SIZE = 128
LR_FULL = 0.05
LR_REFINE = 0.01
WEIGHT_DECAY = 5e-4
ONNX_OPSET = 13
ONNX_CHECK_IMAGES = 1000


def log(msg):
    print(msg, flush=True)


def evaluate(model, images, labels):
    """(top-1, top-5) over all given images, as fractions."""
    model.eval()
    top1 = top5 = 0
    with torch.no_grad():
        for x, y in data.batches(images, labels, 1000):
            best5 = model(x).topk(5, dim=1).indices
            top1 += int((best5[:, 0] == y).sum())
            top5 += int((best5 == y[:, None]).any(dim=1).sum())
    return top1 / len(labels), top5 / len(labels)


def fit(model, train_set, epochs, lr, seed, tag):
    """SGD (Nesterov, momentum 0.9), cosine learning rate per step; weight decay on conv/linear weights only."""
    images, labels = train_set
    rng = np.random.default_rng(seed)
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    opt = torch.optim.SGD([{'params': decay, 'weight_decay': WEIGHT_DECAY},
                           {'params': no_decay, 'weight_decay': 0.0}],
                          lr=lr, momentum=0.9, nesterov=True)
    steps = epochs * math.ceil(len(labels) / BATCH_SIZE)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    history = []
    start = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum = correct = seen = 0
        for x, y in data.batches(images, labels, BATCH_SIZE, rng, train=True):
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss) * len(y)
            correct += int((out.argmax(1) == y).sum())
            seen += len(y)
        # The test set is evaluated once, after the last epoch (by the caller): it never picks an epoch.
        history.append({'epoch': epoch, 'trainLoss': round(loss_sum / seen, 4),
                        'trainTop1': round(correct / seen, 4), 'seconds': round(time.time() - start, 1)})
        log(f'[{tag}] epoch {epoch}/{epochs} loss {loss_sum / seen:.4f} train {correct / seen:.4f} '
            f'({time.time() - start:.0f} s)')
    return history, time.time() - start


def full_checkpoint(work, arch, seed, epochs, limit):
    suffix = f'-limit{limit}' if limit else ''
    return os.path.join(work, f'{arch}-seed{seed}-e{epochs}{suffix}-full.pt')


def step1(cfg, args, train_set, test_set):
    """The full-precision network, trained or loaded from the work directory (shared by experiments)."""
    path = full_checkpoint(args.work, cfg['arch'], args.seed, args.epochs, args.limit_train)
    torch.manual_seed(args.seed)
    model = nets.ARCHITECTURES[cfg['arch']]()
    if os.path.exists(path):
        saved = torch.load(path)
        model.load_state_dict(saved['state'])
        log(f'[full] loaded {path}')
        return model, dict(saved['record'], reusedCheckpoint=os.path.basename(path))
    history, seconds = fit(model, train_set, args.epochs, LR_FULL, args.seed, 'full')
    top1, top5 = evaluate(model, *test_set)
    record = {'epochs': args.epochs, 'learningRate': LR_FULL, 'batchSize': BATCH_SIZE,
              'weightDecay': WEIGHT_DECAY, 'seconds': round(seconds, 1),
              'top1': top1, 'top5': top5, 'history': history}
    os.makedirs(args.work, exist_ok=True)
    torch.save({'state': model.state_dict(), 'record': record}, path)
    return model, record


def recipe(name, args):
    cmd = (f'/usr/bin/python3 models/train/train.py {name} --epochs {args.epochs} '
           f'--refine-epochs {args.refine_epochs} --seed {args.seed} --threads {args.threads}')
    return cmd + (f' --limit-train {args.limit_train}' if args.limit_train else '')


def onnx_metadata(result):
    """gen-rtl's metadata_props for an experiment's refined ONNX file, from its result record."""
    return {
        'gen-rtl.dataset': 'fashion-mnist',
        'gen-rtl.mean': f'{data.MEAN:.4f}',
        'gen-rtl.std': f'{data.STD:.4f}',
        'gen-rtl.classes': '|'.join(data.CLASSES),
        'gen-rtl.seed': str(result['seed']),
        'gen-rtl.accuracy.full': f"{result['full']['top1']:.4f}",
        'gen-rtl.accuracy.bipattern': f"{result['bipattern']['top1']:.4f}",
        'gen-rtl.accuracy.refined': f"{result['refined']['top1']:.4f}",
        'gen-rtl.accuracy.count': str(result['testImages']),
        'gen-rtl.recipe': result['recipe'],
    }


def export(name, cfg, args, model, result, test_set):
    """Refined model to ONNX with gen-rtl's metadata; checked by onnx.checker and by running it."""
    path = os.path.join(args.out, cfg['onnx'])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    proto = onnx_tools.export(model, path, (1, 1, 28, 28), ONNX_OPSET, onnx_metadata(result))
    images, labels = test_set[0][:ONNX_CHECK_IMAGES], test_set[1][:ONNX_CHECK_IMAGES]
    x = data.normalize(images)
    model.eval()
    with torch.no_grad():
        want = model(x).numpy()
    got = onnx_tools.run_onnx(proto, x.numpy())
    return {'path': cfg['onnx'], 'opset': ONNX_OPSET, 'bytes': os.path.getsize(path),
            'ops': sorted({n.op_type for n in proto.graph.node}),
            'kxkExactlyAlphaB': onnx_tools.kxk_filters_are_binary(proto),
            'checkedImages': len(labels),
            'maxAbsDiffVsTorch': float(np.max(np.abs(got - want))),
            'relDiffVsTorch': onnx_tools.relative_difference(got, want),
            'argmaxAgreement': float(np.mean(got.argmax(1) == want.argmax(1))),
            'top1OnCheckedImages': float(np.mean(got.argmax(1) == labels))}


def run(name, args):
    cfg = EXPERIMENTS[name]
    torch.set_num_threads(args.threads)
    train_x, train_y, test_x, test_y = data.load_fashion_mnist()
    if args.limit_train:
        train_x, train_y = train_x[:args.limit_train], train_y[:args.limit_train]
    train_set, test_set = (train_x, train_y), (test_x, test_y)
    wall = time.time()

    model, full = step1(cfg, args, train_set, test_set)
    log(f'[full] test top-1 {full["top1"]:.4f}')
    qerr = pattern.quantization_error_by_kernel(model)
    params, macs = nets.count_params(model), nets.count_macs(model)

    binarized = pattern.binarize(model, cfg['binarize'])
    bi1, bi5 = evaluate(model, test_x, test_y)
    log(f'[bipattern] {binarized} convolutions binarized ({cfg["binarize"]}): test top-1 {bi1:.4f}')

    history, seconds = fit(model, train_set, args.refine_epochs, LR_REFINE,
                           args.seed + 1, 'refine')
    ref1, ref5 = evaluate(model, test_x, test_y)
    log(f'[refined] test top-1 {ref1:.4f}')

    result = {
        'experiment': name, 'architecture': cfg['arch'], 'binarize': cfg['binarize'],
        'dataset': 'fashion-mnist', 'testImages': len(test_y), 'trainImages': len(train_y),
        'seed': args.seed, 'recipe': recipe(name, args),
        'params': params, 'macsPerImage': macs,
        'patternParams': params - sum(m.pattern.numel() - m.pattern[:, :, 0, 0].numel()
                                      for m in pattern.pattern_modules(model)),
        'binarizedConvolutions': binarized,
        'patternFilters': sum(m.out_channels for m in pattern.pattern_modules(model)),
        'full': full,
        'bipattern': {'top1': bi1, 'top5': bi5},
        'refined': {'epochs': args.refine_epochs, 'learningRate': LR_REFINE, 'batchSize': BATCH_SIZE,
                    'seconds': round(seconds, 1), 'top1': ref1, 'top5': ref5, 'history': history},
        'quantizationErrorOfFull': qerr,
        'torch': torch.__version__, 'threads': args.threads,
    }
    if cfg['onnx']:
        result['onnx'] = export(name, cfg, args, model, result, test_set)
        log(f"[onnx] {result['onnx']}")
    result['wallSeconds'] = round(time.time() - wall, 1)
    out = os.path.join(args.out, 'models', 'train', 'results', f'{name}.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    log(f'wrote {out}')


TABLE1_NETWORKS = ('sepnet-fmnist', 'resnet20-fmnist')


def table1(args):
    """Table 1 analog from the full-precision checkpoints the experiments (default epochs) left in --work."""
    models = {}
    for name in TABLE1_NETWORKS:
        cfg = EXPERIMENTS[name]
        path = full_checkpoint(args.work, cfg['arch'], args.seed, cfg['epochs'], args.limit_train)
        if not os.path.exists(path):
            raise SystemExit(f'{path} is missing: run `train.py {name}` first')
        model = nets.ARCHITECTURES[cfg['arch']]()
        model.load_state_dict(torch.load(path)['state'])
        models[name] = model
    result = {'metric': {'relativeError': 'mean over filters of ||W - alpha B||^2 / ||W||^2',
                         'pooledRelativeError': 'sum over filters of ||W - alpha B||^2 / sum of ||W||^2',
                         'absoluteError': 'mean over filters of ||W - alpha B||^2',
                         'absoluteErrorPerWeight': 'mean over filters of ||W - alpha B||^2 / (c*k*k)'},
              'seed': args.seed,
              'networks': {name: pattern.quantization_error_by_kernel(m) for name, m in models.items()},
              'pooled': pattern.quantization_error_by_kernel(*models.values())}
    out = os.path.join(args.out, 'models', 'train', 'results', 'table1.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    log(json.dumps(result['pooled'], indent=2))
    log(f'wrote {out}')


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('experiment', choices=sorted(EXPERIMENTS) + ['table1'],
                   help='an experiment, or table1 (quantization error of the full checkpoints they left)')
    p.add_argument('--epochs', type=int, help='step 1 epochs (default per experiment)')
    p.add_argument('--refine-epochs', type=int, help='step 3 epochs (default per experiment)')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=1, help='torch threads (two runs side by side use the two cores best)')
    p.add_argument('--limit-train', type=int, default=0, help='use only the first N training images (smoke tests)')
    p.add_argument('--work', default='/tmp/gen-rtl-train', help='where full-precision checkpoints are kept')
    p.add_argument('--out', default=REPO, help='root under which models/ and models/train/results/ are written')
    args = p.parse_args(argv)
    if args.experiment == 'table1':
        table1(args)
        return
    cfg = EXPERIMENTS[args.experiment]
    args.epochs = args.epochs or cfg['epochs']
    args.refine_epochs = args.refine_epochs or cfg['refine_epochs']
    run(args.experiment, args)


if __name__ == '__main__':
    main(sys.argv[1:])

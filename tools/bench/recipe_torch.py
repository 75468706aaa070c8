"""The issue-13 recipe in PyTorch, for tools/src/bench/recipe.ts (CI does not need torch).

MobileNetV2 (torchvision, random init: no download; times do not depend on the weights) cut at
its last 1x1 conv + ReLU6 ("out_relu"), avg pool, dropout 0.2, linear head. BatchNorm stays in
eval mode throughout. Phase 1 trains the head (Adam 1e-3), phase 2 features[15:] (Keras
block_14 onwards: blocks 14-16 and the 1x1 conv) plus the head (Adam 1e-5).

  naive:  the frozen part runs every step (as Keras fit does).
  cached: phase 1 caches pooled features once, phase 2 caches the block_13 output once.

Prints one JSON line: phase1, phase2 (seconds, validation each epoch included), val_acc, torch.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torchvision
from PIL import Image


def load(folder, size):
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    xs, ys = [], []
    for label, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(folder, c))):
            img = Image.open(os.path.join(folder, c, f)).convert("RGB").resize((size, size), Image.BILINEAR)
            xs.append(np.asarray(img, dtype=np.float32) / 127.5 - 1.0)
            ys.append(label)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(ys, dtype=torch.long)


def batches(n, bs, gen):
    order = torch.randperm(n, generator=gen)
    return [order[i : i + bs] for i in range(0, n, bs)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--mode", choices=["naive", "cached"], required=True)
    p.add_argument("--size", type=int, default=160)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--epochs1", type=int, default=5)
    p.add_argument("--epochs2", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    xt, yt = load(os.path.join(a.data, "train"), a.size)
    xv, yv = load(os.path.join(a.data, "val"), a.size)
    net = torchvision.models.mobilenet_v2(weights=None)
    feats = net.features.eval()
    for q in feats.parameters():
        q.requires_grad_(False)
    prefix, top = feats[:15], feats[15:]
    head = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(1280, 2))
    loss_fn = torch.nn.CrossEntropyLoss()

    def pool(t):
        return t.mean((2, 3))

    def evaluate(logits_of, x):
        head.eval()
        with torch.no_grad():
            logits = torch.cat([logits_of(x[i : i + 64]) for i in range(0, len(x), 64)])
        head.train()
        return (logits.argmax(1) == yv).float().mean().item()

    def fit(epochs, params, lr, train_logits, x_train, val_logits, x_val):
        opt = torch.optim.Adam(params, lr=lr)
        acc = 0.0
        for _ in range(epochs):
            for idx in batches(len(yt), a.batch, gen):
                opt.zero_grad()
                loss = loss_fn(train_logits(x_train[idx]), yt[idx])
                loss.backward()
                opt.step()
            acc = evaluate(val_logits, x_val)
        return acc

    # Phase 1: head only.
    t0 = time.perf_counter()
    if a.mode == "naive":
        def p1(x):
            with torch.no_grad():
                f = pool(feats(x))
            return head(f)
        fit(a.epochs1, head.parameters(), 1e-3, p1, xt, p1, xv)
    else:
        with torch.no_grad():
            ft = torch.cat([pool(feats(xt[i : i + 64])) for i in range(0, len(xt), 64)])
            fv = torch.cat([pool(feats(xv[i : i + 64])) for i in range(0, len(xv), 64)])
        fit(a.epochs1, head.parameters(), 1e-3, head, ft, head, fv)
    phase1 = time.perf_counter() - t0

    # Phase 2: blocks 14-16 + the 1x1 conv + head; BatchNorm stays in eval mode.
    t0 = time.perf_counter()
    for q in top.parameters():
        q.requires_grad_(True)
    params = list(top.parameters()) + list(head.parameters())

    def from_boundary(b):
        return head(pool(top(b)))

    if a.mode == "naive":
        def p2(x):
            with torch.no_grad():
                b = prefix(x)
            return from_boundary(b)
        acc = fit(a.epochs2, params, 1e-5, p2, xt, p2, xv)
    else:
        with torch.no_grad():
            bt = torch.cat([prefix(xt[i : i + 64]) for i in range(0, len(xt), 64)])
            bv = torch.cat([prefix(xv[i : i + 64]) for i in range(0, len(xv), 64)])
        acc = fit(a.epochs2, params, 1e-5, from_boundary, bt, from_boundary, bv)
    phase2 = time.perf_counter() - t0
    print(json.dumps({"phase1": phase1, "phase2": phase2, "val_acc": acc, "torch": torch.__version__}))


if __name__ == "__main__":
    main()

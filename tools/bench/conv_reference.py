"""PyTorch CPU reference for tools/src/bench/conv-throughput.ts.

Trains the same two-conv CNN on random 28x28 grey batches and prints JSON
{"framework": "pytorch", "threads": T, "imagesPerSecond": [...], "median": m,
 "imagesPerCpuSecond": [...], "medianPerCpuSecond": c} (per CPU-second: all threads' CPU time).
Usage: python3 tools/bench/conv_reference.py --threads 2 --batches 30 --runs 5 [--arch keras|pooled]
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def build(arch: str) -> nn.Module:
    if arch == "pooled":
        # conv32(same) -> pool -> conv64(same) -> pool -> dense(10)
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(7 * 7 * 64, 10),
        )
    # keras mnist_cnn: conv32(valid) -> conv64(valid) -> pool -> dense(128) -> dense(10)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(12 * 12 * 64, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--arch", choices=["keras", "pooled"], default="keras")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build(args.arch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(args.batch_size, 1, 28, 28)
    y = torch.randint(0, 10, (args.batch_size,))

    def step() -> None:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    rates = []
    cpu_rates = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(args.batches):
            step()
        rates.append(args.batches * args.batch_size / (time.perf_counter() - t0))
        cpu_rates.append(args.batches * args.batch_size / max(time.process_time() - c0, 1e-9))
    print(json.dumps({
        "framework": "pytorch", "version": torch.__version__, "arch": args.arch,
        "threads": args.threads, "batchSize": args.batch_size,
        "imagesPerSecond": [round(r, 1) for r in rates], "median": round(statistics.median(rates), 1),
        "imagesPerCpuSecond": [round(r, 1) for r in cpu_rates],
        "medianPerCpuSecond": round(statistics.median(cpu_rates), 1),
    }))


if __name__ == "__main__":
    main()

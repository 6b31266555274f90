#!/usr/bin/env python3
"""PyTorch reference for `cil bench`: the CIFAR ResNet-32 of cil4j (3x3 stem with 16 channels,
3 stages of 5 basic blocks with 16/32/64 channels, 1x1 convolution + batch norm shortcuts where
the shape changes, global average pooling, one linear layer), timed the way the harness times
cil4j: a plain cross-entropy SGD step (momentum 0.9, weight decay 5e-4) at the training batch,
and inference (features + logits, no gradient) at the evaluation batch, each as images/s per
repeat after warm-up. Prints one JSON object on stdout.

Usage: python3 bench/pytorch_resnet32.py --threads 2 --warmup 3 --iterations 8 --repeats 5
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        s = x if self.downsample is None else self.downsample(x)
        return F.relu(h + s)


class ResNet32(nn.Module):
    def __init__(self, classes, n=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers = []
        cin = 16
        for i, w in enumerate([16, 32, 64]):
            for b in range(n):
                layers.append(Block(cin, w, 2 if (b == 0 and i > 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def features(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.blocks(h)
        return F.adaptive_avg_pool2d(h, 1).flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eval-batch", type=int, default=256)
    ap.add_argument("--classes", type=int, default=60)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = ResNet32(a.classes)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(a.batch, 3, 32, 32)
    y = torch.randint(0, a.classes, (a.batch,))
    xe = torch.randn(a.eval_batch, 3, 32, 32)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        with torch.no_grad():
            f = net.features(xe)
            return net.fc(f).sum().item()

    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "train": [], "infer": []}
    reset_peak()
    net.train()
    for _ in range(a.warmup):
        step()
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.iterations):
            step()
        out["train"].append(a.iterations * a.batch / (time.perf_counter() - t0))
    out["train_peak_mb"] = peak_mb()
    reset_peak()
    net.eval()
    for _ in range(a.warmup):
        infer()
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.iterations):
            infer()
        out["infer"].append(a.iterations * a.eval_batch / (time.perf_counter() - t0))
    out["infer_peak_mb"] = peak_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

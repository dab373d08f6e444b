"""gancourse's training loop against a bare PyTorch loop: same models, data, optimiser and number of steps.

    python benchmarks/bench_training_loop.py [--steps 300] [--repeats 3] [--batch-size 128] [--device cpu]

Runs the two alternately (A B A B ...) so that both see the same machine state, and prints the median time of
each, images/second, and the ratio gancourse / bare (1.00 = no overhead). The gancourse run uses its defaults:
a tqdm bar (disabled here, as output is not a terminal) and 10 sample points with the fixed noise batch.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from gancourse.data import load_images
from gancourse.device import get_device
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.training import train_gan


def models(device):
    torch.manual_seed(0)
    return MLPGenerator(64, 256).to(device), MLPDiscriminator(256).to(device)


def bare_loop(loader, steps: int, device) -> float:
    """The pytorch/examples DCGAN loop, written out by hand."""
    G, D = models(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    batches, step = iter(loader), 0
    start = time.perf_counter()
    while step < steps:
        try:
            real = next(batches)[0].to(device)
        except StopIteration:
            batches = iter(loader)
            continue
        b = real.shape[0]
        # (1) Update D network: maximise log D(x) + log(1 - D(G(z)))
        opt_D.zero_grad(set_to_none=True)
        fake = G(torch.randn(b, 64, device=device))
        real_logits, fake_logits = D(real), D(fake.detach())
        loss_D = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                  + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        loss_D.backward()
        opt_D.step()
        # (2) Update G network: maximise log D(G(z))
        opt_G.zero_grad(set_to_none=True)
        logits = D(G(torch.randn(b, 64, device=device)))
        loss_G = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        loss_G.backward()
        opt_G.step()
        loss_D.item(), loss_G.item()          # the same host sync per step as a loop that logs its losses
        step += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def gancourse_loop(loader, steps: int, device) -> float:
    G, D = models(device)
    start = time.perf_counter()
    train_gan(G, D, loader, steps=steps, device=device, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = get_device(args.device)
    loader = load_images("mnist", train=True, batch_size=args.batch_size, seed=0)
    gancourse_loop(loader, 10, device), bare_loop(loader, 10, device)     # warm-up
    times = {"bare": [], "gancourse": []}
    for _ in range(args.repeats):
        times["bare"].append(bare_loop(loader, args.steps, device))
        times["gancourse"].append(gancourse_loop(loader, args.steps, device))
    images = args.steps * args.batch_size
    print(f"device {device}, torch threads {torch.get_num_threads()}, {args.steps} steps of batch {args.batch_size}, "
          f"median of {args.repeats}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:9s} {med:7.2f} s  {images / med:8,.0f} images/s   (runs: {', '.join(f'{v:.2f}' for v in values)})")
    ratio = statistics.median(times["gancourse"]) / statistics.median(times["bare"])
    print(f"ratio gancourse / bare: {ratio:.3f}")


if __name__ == "__main__":
    main()

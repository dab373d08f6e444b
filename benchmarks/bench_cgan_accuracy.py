"""Time to 90 % and 95 % class accuracy for notebook 04's default conditional GAN run on this machine.

    python benchmarks/bench_cgan_accuracy.py [--seeds 0 1 2] [--every 50] [--max-steps 3000] [--stop-at 0.95]
                                             [--threads N] [--plain] [--set KEY=VALUE ...]

Trains exactly as the notebook's default run does (``CGANConfig()``: batch size, learning rate, projection
discriminator, mismatched labels; MNIST as ``load_images`` finds it). Every ``--every`` steps it draws 100 samples of
each class and asks the shipped MNIST classifier what they show; the class accuracy is the share classified as the
class they were generated for. It prints the training seconds (measurement time excluded) and the step at which 90 %
and 95 % are first reached, and stops at ``--stop-at`` (95 %) or ``--max-steps``. With several ``--seeds`` it trains
once per seed (models, data order, noise and labels all seeded) and ends with one line per seed and the range
over the seeds of the step and the seconds at which 90 % was first reached. ``--plain`` runs the baseline instead: a plain
conditional DCGAN (concatenated labels only, no projection, no mismatched labels, lr 2e-4, batch 128); ``--set``
changes single fields of ``CGANConfig`` (e.g. ``--set mismatched=false``) to measure what each choice contributes.

CPU timings only mean something on an otherwise idle machine: the load average is printed before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gancourse.data import load_images  # noqa: E402
from gancourse.device import get_device, seed_everything  # noqa: E402
from gancourse.metrics import load_classifier  # noqa: E402
from gancourse.training.conditional import train_cgan  # noqa: E402
from gancourse.models.conditional import CGANConfig  # noqa: E402

PLAIN = dict(projection=False, mismatched=False, lr=2e-4, batch_size=128)


def override(text: str) -> tuple[str, object]:
    """Parse KEY=VALUE for a CGANConfig field, with VALUE converted to the field's type."""
    key, sep, value = text.partition("=")
    fields = CGANConfig.__dataclass_fields__
    if not sep or key not in fields:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY one of {sorted(fields)}, got {text!r}")
    kind = type(getattr(CGANConfig(), key))
    if kind is bool:
        if value.lower() not in ("true", "false"):
            raise argparse.ArgumentTypeError(f"{key} takes true or false, got {value!r}")
        return key, value.lower() == "true"
    try:
        return key, kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{key} takes a {kind.__name__}, got {value!r}") from None


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=50, help="measure the class accuracy every N steps")
    parser.add_argument("--max-steps", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one run per seed (default: 0)")
    parser.add_argument("--seed", type=int, default=None, help="the same as --seeds SEED")
    parser.add_argument("--stop-at", type=float, default=0.95, help="stop a run once the accuracy reaches this")
    parser.add_argument("--plain", action="store_true", help="the plain conditional DCGAN baseline")
    parser.add_argument("--set", type=override, action="append", default=[], metavar="KEY=VALUE",
                        help="change one field of CGANConfig, e.g. --set projection=false (repeatable)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = [args.seed] if args.seed is not None else args.seeds
    results = [run(args, seed) for seed in seeds]
    if len(results) > 1:
        summarise(results)
    return results[0] if len(results) == 1 else {"runs": results}


def run(args, seed: int) -> dict:
    """One training run with ``seed``; prints the accuracy at every measurement and returns the result."""
    config = replace(CGANConfig(seed=seed), **(PLAIN if args.plain else {}), **dict(args.set))
    device = get_device(args.device)
    print(f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, device {device}; load average {load()}")
    print(f"config: {json.dumps(config.to_dict())}", flush=True)
    seed_everything(config.seed)
    G, D = config.models()
    loader = load_images("mnist", train=True, batch_size=config.batch_size, seed=config.seed)
    classifier = load_classifier("mnist", device)
    reached: dict[float, tuple[int, float]] = {}
    levels = sorted({0.90, 0.95, args.stop_at})

    def report(step, history, G, D):
        acc, seconds = history.accuracy[-1], history.point_seconds[-1]
        print(f"step {step:5d}  {seconds:7.1f} s  class accuracy {acc:.1%}", flush=True)
        for level in levels:
            if acc >= level and level not in reached:
                reached[level] = (step, seconds)
                print(f"  reached {level:.0%} at step {step} after {seconds:.1f} s of training", flush=True)
        return args.stop_at in reached

    wall = time.perf_counter()
    history = train_cgan(G, D, loader, steps=args.max_steps, lr=config.lr, betas=(config.beta1, 0.999),
                         mismatched=config.mismatched, device=device, seed=config.seed, sample_every=args.every,
                         classifier=classifier, accuracy_per_class=100, callbacks=[report], progress=False)
    result = {
        "seed": seed, "config": config.to_dict(), "data_source": loader.dataset.source,
        "n_images": len(loader.dataset), "device": str(device), "torch_threads": torch.get_num_threads(),
        "seconds_per_step": round(history.seconds / history.steps_done, 4),
        "first_90": reached.get(0.90), "first_95": reached.get(0.95),
        "best_accuracy": round(max(history.accuracy), 4), "steps_done": history.steps_done,
        "wall_seconds_with_measurements": round(time.perf_counter() - wall, 1), "load_after": load(),
    }
    print(f"load average after: {load()}")
    for level in (0.90, 0.95):
        hit = reached.get(level)
        print(f"time to {level:.0%} class accuracy: " + (f"{hit[1]:.1f} s (step {hit[0]})" if hit else
                                                          f"not reached in {history.steps_done} steps"))
    print("RESULT " + json.dumps(result), flush=True)
    return result


def summarise(results: list[dict]) -> None:
    """One line per seed, then the range over the seeds of the step and seconds to 90 %."""
    print("\nseed | 90 % at step | seconds | s/step | best accuracy")
    for r in results:
        hit = r["first_90"]
        print(f"{r['seed']:4d} | " + (f"{hit[0]:12d} | {hit[1]:7.1f}" if hit else f"{'not reached':>12} | {'-':>7}")
              + f" | {r['seconds_per_step']:.3f} | {r['best_accuracy']:.1%}")
    hits = [r["first_90"] for r in results if r["first_90"]]
    missed = len(results) - len(hits)
    if hits:
        steps, seconds = [h[0] for h in hits], [h[1] for h in hits]
        print(f"90 % reached in {len(hits)} of {len(results)} runs: steps {min(steps)}-{max(steps)}, "
              f"{min(seconds):.0f}-{max(seconds):.0f} s of training"
              + (f"; {missed} run(s) did not reach it" if missed else ""))
    else:
        print(f"90 % reached in none of the {len(results)} runs")
    print("SUMMARY " + json.dumps({"seeds": [r["seed"] for r in results], "first_90": [r["first_90"] for r in results],
                                   "first_95": [r["first_95"] for r in results]}))


if __name__ == "__main__":
    main()

"""Notebook 01's default runs with and without each of its three training settings: what each one buys.

    python benchmarks/bench_intro_recipe.py [--data mnist fashion_mnist] [--variants paper adam ...] [--jobs 2]
                                            [--threads 1] [--seed 0] [--json intro_recipe.json]

Every run trains the reference MLP GAN as notebook 01's sections 7 and 8 do (``seed_everything(seed)``, batches of
128 from ``load_images(..., seed=seed)``, ``train_gan(..., seed=seed)``; 4,000 steps on MNIST, 3,000 on
Fashion-MNIST) with one of these settings:

* ``paper`` — the DCGAN paper's Adam (learning rate 2e-4, betas (0.5, 0.999)), no spectral normalisation, samples
  from G itself: notebook 01's settings before issue 11;
* ``adam`` — ``paper`` with Adam at learning rate 1e-3 and betas (0, 0.9) (no momentum);
* ``spectral`` — ``paper`` with spectral normalisation in D;
* ``average`` — ``paper`` with samples drawn from an average of G's weights (``ema=0.99``);
* ``all`` — the three together: the notebook's settings (``gancourse.models.mlp.INTRO_RECIPE``).

Each generator is measured as the notebook measures it (``evaluate_generator``: 1,000 samples for noise seeded
123 against the first 1,000 test images, with the real-vs-real floor): classifier-FID, the share of samples the
classifier gives a probability above 0.9, and the smallest and largest class shares. One seeded run each: a single
seed is an anecdote, and ``--seed`` gives others. Prints a table and, with ``--json``, writes every result.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STEPS = {"mnist": 4000, "fashion_mnist": 3000}             # notebook 01's budget(default=...)
VARIANTS = ("paper", "adam", "spectral", "average", "all")


def settings(variant: str) -> tuple[dict, bool]:
    """(train_gan keyword arguments, spectral normalisation in D) of a variant."""
    from gancourse.models.mlp import INTRO_RECIPE
    paper = {"lr": 2e-4, "betas": (0.5, 0.999), "ema": 0.0}
    recipe = {k: v for k, v in INTRO_RECIPE.items() if k != "spectral_norm"}
    return {"paper": (paper, False), "adam": ({**paper, "lr": recipe["lr"], "betas": recipe["betas"]}, False),
            "spectral": (paper, True), "average": ({**paper, "ema": recipe["ema"]}, False),
            "all": (recipe, True)}[variant]


def run(data: str, variant: str, seed: int, threads: int) -> dict:
    import torch
    torch.set_num_threads(threads)
    import gancourse
    from gancourse.data import load_images
    from gancourse.metrics import evaluate_generator
    from gancourse.models import MLPDiscriminator, MLPGenerator
    from gancourse.training import GAN, train
    kwargs, spectral = settings(variant)
    gancourse.seed_everything(seed)
    G, D = MLPGenerator(latent_dim=64, hidden_dim=256), MLPDiscriminator(hidden_dim=256, spectral_norm=spectral)
    family = GAN(G, D, **kwargs)
    start = time.perf_counter()
    history = train(family, load_images(data, train=True, batch_size=128, seed=seed), steps=STEPS[data],
                    device="cpu", seed=seed, sample_every=STEPS[data], progress=False)
    report = evaluate_generator(family.sampler, data, n=1000)
    shares = [c / report["n"] for c in report["class_counts"]]
    return {"data": data, "variant": variant, "seed": seed, "steps": STEPS[data], "threads": threads,
            "train_seconds": round(history.seconds, 1), "wall_seconds": round(time.perf_counter() - start, 1),
            "fid": report["fid"], "floor_fid": report["floor_fid"], "fid_over_floor": round(report["fid"] / report["floor_fid"], 2),
            "confident_share": round(report["confident_share"], 3), "smallest_class_share": round(min(shares), 3),
            "largest_class_share": round(max(shares), 3), "class_counts": report["class_counts"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=list(STEPS), choices=list(STEPS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    jobs = [(data, variant) for data in args.data for variant in args.variants]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run, *zip(*jobs), [args.seed] * len(jobs), [args.threads] * len(jobs)))
    print(f"seed {args.seed}, {args.threads} torch thread(s) per run, {args.jobs} run(s) at a time")
    print(f"{'data':14s} {'settings':9s} {'FID':>6s} {'floor':>6s} {'×floor':>7s} {'p>0.9':>6s} "
          f"{'classes':>12s} {'seconds':>8s}")
    for r in results:
        print(f"{r['data']:14s} {r['variant']:9s} {r['fid']:6.1f} {r['floor_fid']:6.1f} {r['fid_over_floor']:7.2f} "
              f"{r['confident_share']:6.1%} {r['smallest_class_share']:5.1%}–{r['largest_class_share']:5.1%} "
              f"{r['train_seconds']:8.0f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

"""Do notebook 03's three measured extensions help notebook 04's conditional GAN? One seeded run of each variant.

    python benchmarks/bench_cgan_extensions.py [--steps 3000] [--seed 0] [--jobs 2] [--only NAME ...]

The shipped DCGAN (notebook 03) came from 5.3 to 1.9 times the real-vs-real floor with spectral normalisation in
D, Adam with beta1 = 0 and beta2 = 0.9 at a rate of 1e-3, and an average of G's weights (decay 0.999). This trains
the conditional GAN's recipe (``CGANConfig()``, the one ``scripts/build_pretrained_cgan.py`` ships) as it is, with
the weight average alone, with spectral normalisation and that Adam, and with all three, each for ``--steps``
steps on one CPU thread, and measures every generator the way the shipped ones are measured: classifier-FID of
1,000 samples (100 per class) against 1,000 test digits with the real-vs-real floor and the share of samples
classified with confidence above 0.9 (``evaluate_generator(..., conditional=True)``), and the class accuracy on 500
samples of every class (``class_accuracy``, noise seed 2024, as the builder). ``--jobs 2`` trains two variants at
once, each in its own process: on a 2-core machine the training seconds are then comparable with each other only.

The extensions are applied here, not in the library: D's convolutions and its projection embedding are wrapped in
``torch.nn.utils.parametrizations.spectral_norm`` (its 7 x 7 block rebuilt without batch normalisation, as the
DCGAN's), and the weight average (``gancourse.training.weight_average``) is updated after every generator step.
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gancourse.data import load_images  # noqa: E402
from gancourse.device import seed_everything  # noqa: E402
from gancourse.metrics import class_accuracy, evaluate_generator, load_classifier  # noqa: E402
from gancourse.models.conditional import CGANConfig  # noqa: E402
from gancourse.models.dcgan import dcgan_init, down_block  # noqa: E402
from gancourse.training import weight_average  # noqa: E402
from gancourse.training.conditional import g_step, train_cgan  # noqa: E402

SN_ADAM = {"spectral_norm": True, "lr": 1e-3, "betas": (0.0, 0.9)}
VARIANTS = {
    "notebook 04's recipe": {},
    "weight average 0.999": {"ema": 0.999},
    "spectral norm + Adam(0, 0.9) at 1e-3": SN_ADAM,
    "all three": {**SN_ADAM, "ema": 0.999},
}


def spectral_norm_discriminator(D: nn.Module) -> nn.Module:
    """D with no batch norm and every convolution and the projection embedding spectrally normalised."""
    D.features[1] = down_block(D.ndf, 2 * D.ndf, batch_norm=False).apply(dcgan_init)
    for module in list(D.modules()):
        for name, child in module.named_children():
            if isinstance(child, (nn.Conv2d, nn.Linear)):
                setattr(module, name, nn.utils.parametrizations.spectral_norm(child))
    return D


def run(label: str, steps: int, seed: int) -> dict:
    """Train one variant on one thread and measure it; returns its row."""
    torch.set_num_threads(1)
    changes = VARIANTS[label]
    config = CGANConfig(steps=steps, seed=seed)
    seed_everything(config.seed)
    G, D = config.models()
    if changes.get("spectral_norm"):
        D = spectral_norm_discriminator(D)
    average = weight_average(G, changes["ema"]) if changes.get("ema") else None

    def averaged_g_step(*args, **kwargs):
        loss = g_step(*args, **kwargs)
        average.update_parameters(G)
        return loss

    loader = load_images("mnist", train=True, batch_size=config.batch_size, seed=config.seed)
    history = train_cgan(G, D, loader, steps=steps, lr=changes.get("lr", config.lr),
                         betas=changes.get("betas", (config.beta1, 0.999)), mismatched=config.mismatched,
                         device="cpu", seed=config.seed, sample_every=steps, sample_at_start=False, progress=False,
                         g_step_fn=averaged_g_step if average is not None else g_step)
    sampler = (average.module if average is not None else G).eval()
    quality = evaluate_generator(sampler, "mnist", n=1000, conditional=True)
    accuracy = class_accuracy(sampler, load_classifier("mnist"), per_class=500, seed=2024)
    row = {"label": label, "train_seconds": round(history.seconds, 1), "class_accuracy": round(float(accuracy), 4),
           **{k: quality[k] for k in ("fid", "floor_fid", "confident_share")}}
    print(f"{label}: {row}", flush=True)
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="the shipped build's steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="variants trained at once, each in its own process")
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    if args.steps < 1 or args.jobs < 1:
        parser.error("--steps and --jobs must be positive")
    start = time.perf_counter()
    jobs = [(label, args.steps, args.seed) for label in args.only]
    if args.jobs == 1:
        rows = [run(*job) for job in jobs]
    else:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            rows = pool.starmap(run, jobs)
    print(f"\n{args.steps:,} steps, seed {args.seed}, one thread per run, {args.jobs} at once "
          f"({time.perf_counter() - start:.0f} s in all); 1,000 samples, 100 per class")
    print(f"{'variant':40s} {'FID':>6s} {'x floor':>8s} {'confident':>10s} {'class acc.':>11s} {'train s':>8s}")
    for row in rows:
        print(f"{row['label']:40s} {row['fid']:6.1f} {row['fid'] / row['floor_fid']:8.2f} "
              f"{row['confident_share']:10.1%} {row['class_accuracy']:11.2%} {row['train_seconds']:8.0f}")
    return rows


if __name__ == "__main__":
    main()

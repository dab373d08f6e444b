"""Train the VAE that gancourse ships on the RBM's binarised MNIST, measure its ELBO and importance-weighted bounds.

    python scripts/build_pretrained_vae.py [--latent-dim 32] [--hidden-dim 128] [--epochs 100] [--lr 1e-3]
                                           [--ks 1,10,100,1000] [--train-ks 1,10,100] [--threads 1]
                                           [--out gancourse/pretrained]

The data are exactly the RBM builder's (``scripts/build_pretrained_rbm.py``): ``gancourse.data.load_images("mnist")``
(offline: the embedded 9,000-image subset) binarised once stochastically with ``--data-seed``, and the test images
of ``binarised_test_set``. After training, the checkpoint is written (``gancourse.training.vae.save_vae``), read
back, and measured on the test and the training bits: the ELBO (``gancourse.training.vae.elbo``: analytic KL,
reconstruction averaged over ``--elbo-samples`` draws per image from a generator seeded with ``--seed``) and the
importance-weighted bound of Burda et al. (2016) (``gancourse.metrics.likelihood.iwae_bound``) at each k of
``--ks`` (``--train-ks`` on the training bits), its samples drawn from a generator seeded with ``--seed`` + k.
Writes ``<name>.pt`` and ``<name>.json``.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # gancourse, scripts/
from gancourse.data.binary import TEST_SEED, binarised_set, binarised_test_set  # noqa: E402
from gancourse.metrics.likelihood import iwae_bound  # noqa: E402
from gancourse.models.vae import VAE  # noqa: E402
from gancourse.training.vae import elbo, load_vae, save_vae, train_vae  # noqa: E402
from pretrained_common import MAX_BYTES, check_size, command_line, load_average, prepare  # noqa: E402, F401 (MAX_BYTES: the limit, for tests)

PAPER = {"k": 5000, "test_nats": (-87.0, -85.0)}   # Burda et al. 2016, 1-layer VAE/IWAE, 60,000 dynamically binarised
ELBO_BATCH = 500                                    # the batch size of elbo(): part of how its draws are ordered
IWAE_CHUNK = 1000                                   # samples of z per decoder call in iwae_bound


def measure(vae: VAE, images: torch.Tensor, ks: list[int], seed: int, elbo_samples: int) -> dict:
    """The ELBO and the IWAE bounds of ``images`` as this builder records them (seeds as the module docstring says)."""
    t = time.perf_counter()
    e = elbo(vae, images, samples=elbo_samples, generator=torch.Generator().manual_seed(seed), batch_size=ELBO_BATCH)
    out = {"elbo": {"nats": round(e["elbo"], 3), "reconstruction": round(e["reconstruction"], 3),
                    "kl": round(e["kl"], 3), "samples": elbo_samples, "seed": seed,
                    "seconds": round(time.perf_counter() - t, 1)}, "iwae": []}
    for k in ks:
        t = time.perf_counter()
        nats = iwae_bound(vae, images, k, generator=torch.Generator().manual_seed(seed + k), chunk=IWAE_CHUNK)
        out["iwae"].append({"k": k, "nats": round(nats, 3), "seed": seed + k,
                            "seconds": round(time.perf_counter() - t, 1)})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--hidden-dim", type=int, default=128)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--steps", type=int, default=None, help="training steps (overrides --epochs)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0, help="seeds the weights, the batch order and the measurements")
    p.add_argument("--data-seed", type=int, default=1, help="seed of the training images' binarisation")
    p.add_argument("--ks", default="1,10,100,1000", help="the k of each importance-weighted bound, comma-separated")
    p.add_argument("--train-ks", default="1,10,100", help="the ks measured on the 9x larger training bits")
    p.add_argument("--elbo-samples", type=int, default=10, help="draws of z per image for the ELBO's reconstruction")
    p.add_argument("--note", default=None, help="a sentence recorded in the JSON's notes (e.g. how this run was "
                                                "chosen among others)")
    p.add_argument("--name", default="vae_mnist")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "gancourse" / "pretrained"))
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    train_ks = [int(k) for k in args.train_ks.split(",")]
    out = prepare(args)
    start = time.perf_counter()

    train_set = binarised_set("mnist", train=True, seed=args.data_seed)
    test_set = binarised_test_set("mnist")
    torch.manual_seed(args.seed)
    vae = VAE(latent_dim=args.latent_dim, hidden_dim=args.hidden_dim)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(args.seed))
    steps = args.steps if args.steps is not None else args.epochs * len(loader)
    load_before = load_average()
    history = train_vae(vae, loader, steps=steps, lr=args.lr, device="cpu", sample_every=max(1, steps // 10),
                        seed=args.seed, n_samples=16, progress=not args.no_progress,
                        desc=f"VAE d={args.latent_dim} h={args.hidden_dim}")
    load_after_training = load_average()
    path = out / f"{args.name}.pt"
    save_vae(path, vae)
    vae = load_vae(path)                      # measure the checkpoint as written and read back
    measured = {"test": measure(vae, test_set.images, ks, args.seed, args.elbo_samples),
                "train": measure(vae, train_set.images, train_ks, args.seed, args.elbo_samples)}
    for split in measured.values():      # the tightest of the lower bounds: the best estimate of log p(x)
        split["best_nats"], split["best_of"] = max([(split["elbo"]["nats"], "elbo")]
                                                   + [(b["nats"], f"iwae k={b['k']}") for b in split["iwae"]])
    window = max(1, len(loader))
    info = {
        "built_by": command_line("build_pretrained_vae.py"),
        "model": {"latent_dim": args.latent_dim, "hidden_dim": args.hidden_dim, "image_shape": [1, 28, 28],
                  "parameters": sum(p.numel() for p in vae.parameters())},
        "training": {"objective": "negative ELBO, one reparameterised sample per image", "optimizer": "Adam",
                     "lr": args.lr, "batch_size": args.batch_size, "epochs": round(steps / len(loader), 2),
                     "steps": steps, "seed": args.seed, "train_seconds": round(history.seconds, 1),
                     "last_epoch_mean_negative_elbo": round(sum(history.loss[-window:]) / len(history.loss[-window:]),
                                                            3)},
        "data": {"data_set": "mnist", "source": train_set.source, "train_images": len(train_set),
                 "test_images": len(test_set), "train_binarisation_seed": args.data_seed,
                 "test_binarisation_seed": TEST_SEED,
                 "binarisation": f"stochastic (pixel = 1 with probability its intensity), once; training images "
                                 f"seed {args.data_seed}, test images seed {TEST_SEED} (binarised_test_set)"},
        "measured": measured,
        "how_measured": (f"elbo: gancourse.training.vae.elbo(vae, images, samples={args.elbo_samples}, "
                         f"generator=torch.Generator().manual_seed({args.seed}), batch_size={ELBO_BATCH}); iwae: "
                         f"gancourse.metrics.likelihood.iwae_bound(vae, images, k, generator=torch.Generator()"
                         f".manual_seed({args.seed} + k), chunk={IWAE_CHUNK}); images: binarised_test_set('mnist')"
                         f".images and binarised_set('mnist', train=True, seed={args.data_seed}).images; nats per "
                         f"image, the mean over images; on the checkpoint as read back by load_vae"),
        "checkpoint_bytes": path.stat().st_size,
        "device": "cpu",
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
        "load_average_before_training": load_before,
        "load_average_after_training": load_after_training,
        "load_average_after_measuring": load_average(),
        "build_seconds": round(time.perf_counter() - start, 1),
    }
    best = measured["test"]["best_nats"]
    low, high = PAPER["test_nats"]
    info["paper"] = {"source": "Burda, Grosse & Salakhutdinov 2016, Importance Weighted Autoencoders, 1-layer "
                               "VAE and IWAE on dynamically binarised MNIST (60,000 training images)",
                     "k": PAPER["k"], "test_nats_range": [low, high]}
    info["gap_to_paper_nats"] = [round(best - low, 2), round(best - high, 2)]
    info["notes"] = (
        f"Burda et al. (2016) report test log-likelihoods (IWAE bound, k = {PAPER['k']}) of about {low:.0f} to "
        f"{high:.0f} nats for 1-layer VAEs and IWAEs on dynamically binarised MNIST with 60,000 training images. "
        f"This checkpoint's best test bound is {best} nats ({measured['test']['best_of']}) on "
        f"{len(test_set):,} binarised test images: a gap of {best - low:+.2f} to {best - high:+.2f} nats to that "
        f"range. A gap is expected: this build sees {len(train_set):,} training images ({train_set.source} data), "
        f"binarised once rather than afresh each epoch, so it overfits sooner (compare measured.train with "
        f"measured.test); its network, its training length and its largest k differ too.")
    if args.note:
        info["notes"] += " " + args.note
    save_vae(path, vae, info)
    check_size(path, "use a smaller --hidden-dim")
    print(path.with_suffix(".json").read_text())


if __name__ == "__main__":
    main()

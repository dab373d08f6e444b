"""Train the DCGAN checkpoints that gancourse ships, measure them, and record how they were built.

    python scripts/build_pretrained.py mnist fashion_mnist [--steps 20000] [--set loss=hinge,...]
        [--compare ema=0 ...] [--threads 1 --jobs 2] [--out gancourse/pretrained]

For each data set, writes ``dcgan_<name>.pt`` (the generator that samples come from, and the discriminator, plus
the training history, via ``gancourse.training.save_checkpoint``) and ``dcgan_<name>.json`` beside it: the
``DCGANConfig`` used (the 2016 recipe with the fields in ``SHIPPED_RECIPE`` changed: notebook 03's measured
extensions; ``--set`` changes more), the data source, training seconds and images/s, and the measured classifier-FID
against held-out test images, the real-vs-real floor and the class spread of the samples
(``gancourse.metrics.evaluate_generator``). The measurements are taken on the checkpoint as written and read back,
so they describe exactly what ships. Each ``--compare`` trains the same recipe with a few fields changed and records
its measurements under ``ablation``: notebook 03's table. ``--jobs 2`` trains two runs at once, each in its own
process. The shipped files were built on a 2-core machine with one thread per run, two runs at once (MNIST's own
runs with ``--jobs 2``; Fashion-MNIST's one after another beside another build); the exact command is in each JSON's
``built_by``:

    python scripts/build_pretrained.py mnist --threads 1 --jobs 2 --compare steps=8000 \
        --compare steps=8000,spectral_norm=false,lr=2e-4,beta1=0.5,beta2=0.999,ema=0 \
        --compare steps=8000,lr=2e-4,beta1=0.5,beta2=0.999,ema=0 --compare steps=8000,spectral_norm=false,ema=0 \
        --compare steps=8000,spectral_norm=false,lr=2e-4,beta1=0.5,beta2=0.999
    python scripts/build_pretrained.py fashion_mnist --threads 1 --compare steps=8000 \
        --compare steps=8000,spectral_norm=false,lr=2e-4,beta1=0.5,beta2=0.999,ema=0

Notebook 03 loads these files so that a CPU user can skip the long run. Deterministic for a seed on the CPU.
"""
from __future__ import annotations

import multiprocessing
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import torch

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # gancourse, scripts/
from gancourse.data import canonical_name, load_images  # noqa: E402
from gancourse.device import get_device, seed_everything  # noqa: E402
from gancourse.metrics import (classifier_features, evaluate_generator, feature_statistics, frechet_distance,  # noqa: E402
                               load_classifier, sample_report)
from gancourse.models.dcgan import PRETRAINED_DIR, SHIPPED_RECIPE, DCGANConfig, load_pretrained  # noqa: E402
from gancourse.sampling import sample_images  # noqa: E402
from gancourse.training import GAN, train  # noqa: E402
from gancourse.training.gan import networks_callbacks  # noqa: E402
from pretrained_common import (build_parser, check_size, command_line, config_changes, load_average,  # noqa: E402
                               prepare, save_half, spelled)


def fid_tracker(name: str, n: int, seed: int = 123):
    """A ``train_gan`` callback that measures classifier-FID (n samples vs the first n test images) and class
    coverage at every sample point; returns (callback, list of measurements)."""
    classifier = load_classifier(name)
    reference = feature_statistics(classifier_features(load_images(name, train=False).images[:n], classifier))
    curve: list[dict] = []

    def callback(step, history, G, D):
        fake = sample_images(G, n, seed=seed)
        report = sample_report(classifier, fake)
        fid = frechet_distance(*feature_statistics(classifier_features(fake, classifier)), *reference)
        shares = [count / report["n"] for count in report["class_counts"]]
        curve.append({"step": step, "fid": round(fid, 2), "classes_covered": report["classes_covered"],
                      "confident_share": round(report["confident_share"], 3),
                      "smallest_class_share": round(min(shares), 3), "largest_class_share": round(max(shares), 3)})
        print(f"  step {step}: classifier-FID {fid:.1f}, {report['confident_share']:.0%} confident, classes "
              f"{min(shares):.1%} to {max(shares):.1%}", flush=True)

    return callback, curve


def train_one(name: str, config: DCGANConfig, device, progress: bool, callbacks=(), desc: str = "DCGAN"):
    """Train ``config`` on ``name``; returns (the generator samples come from, D, history, the data loader)."""
    seed_everything(config.seed)
    G, D = config.models()
    loader = load_images(name, train=True, batch_size=config.batch_size, seed=config.seed)
    family = GAN(G, D, **config.training())
    history = train(family, loader, steps=config.steps, device=device, seed=config.seed,
                    sample_every=max(1, config.steps // 10), progress=progress, desc=desc,
                    callbacks=networks_callbacks(callbacks))
    return family.sampler, D, history, loader


def train_shipped(name: str, config: DCGANConfig, device, progress: bool, n_eval: int) -> dict:
    """Train the checkpoint's own run, measuring classifier-FID at each sample point (a job of ``build``)."""
    track, curve = fid_tracker(name, n_eval)
    load_before = load_average()
    G, D, history, loader = train_one(name, config, device, progress, [track], f"DCGAN {name}")
    # modules with spectral normalisation only cross processes as state dicts
    return {"G": G.state_dict(), "D": D.state_dict(), "history": history, "curve": curve,
            "source": loader.dataset.source,
            "train_images": len(loader.dataset), "load_before": load_before, "load_after": load_average()}


def train_variant(name: str, config: DCGANConfig, device, progress: bool, n_eval: int, label: str) -> dict:
    """Train one ``--compare`` variant and measure it (a job of ``build``); returns its ``ablation`` entry."""
    G, _, history, _ = train_one(name, config, device, progress, desc=f"{name}: {label}")
    measured = evaluate_generator(G, name, n=n_eval)
    print(f"{label}: {measured}", flush=True)
    return {"config": config.to_dict(), "train_seconds": round(history.seconds, 1), "evaluation": measured}


def run_jobs(jobs: list[tuple], workers: int, threads: int | None) -> list:
    """Run ``(function, *args)`` jobs, in this process if ``workers`` is 1, otherwise in that many fresh processes
    with ``threads`` torch threads each; returns the results in the order of ``jobs``."""
    if workers <= 1:
        return [function(*args) for function, *args in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=torch.set_num_threads, initargs=(threads or 1,)) as pool:
        futures = [pool.submit(function, *args) for function, *args in jobs]
        return [future.result() for future in futures]


def build(name: str, config: DCGANConfig, out: Path, device=None, progress: bool = True, n_eval: int = 1000,
          compare: tuple[dict, ...] = (), workers: int = 1) -> dict:
    """Train one DCGAN on ``name`` with ``config``, write it to ``out``, measure it and each ``compare`` variant
    (``workers`` runs at once, each in its own process); returns the JSON written."""
    name = canonical_name(name)
    device = get_device(device)
    build_start = time.perf_counter()
    variants = [(replace(config, **changes), spelled(changes, ", "), changes) for changes in compare]
    progress = progress and workers <= 1                  # one process's bar at a time
    shipped, *measured = run_jobs([(train_shipped, name, config, device, progress, n_eval)] +
                                  [(train_variant, name, other, device, progress, n_eval, label)
                                   for other, label, _ in variants], workers, torch.get_num_threads())
    G, D = config.models()
    G.load_state_dict(shipped["G"])
    D.load_state_dict(shipped["D"])
    history = shipped["history"]
    seconds = history.seconds                     # training only: the loop leaves out sample points and callbacks
    info = {
        "data_set": name,
        "data_source": shipped["source"],
        "train_images": shipped["train_images"],
        "config": config.to_dict(),
        "parameters": {"G": sum(p.numel() for p in G.parameters()), "D": sum(p.numel() for p in D.parameters())},
        "train_seconds": round(seconds, 1),
        "images_per_second": round(history.images_seen / seconds, 1),
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch thread(s), torch {torch.__version__}",
        "processes_at_once": min(workers, 1 + len(variants)),
        "load_average_before_training": shipped["load_before"],
        "load_average_after_training": shipped["load_after"],
        "final_D_real": round(history.D_real[-1], 3),
        "final_D_fake": round(history.D_fake[-1], 3),
        "fid_during_training": shipped["curve"],
        "stored_dtype": "float16",
        "built_by": command_line("build_pretrained.py"),
    }
    path = out / f"dcgan_{name}.pt"
    save_half(path, G, D, history, info)
    G_loaded, _, _ = load_pretrained(name, path=path)                 # measure exactly what ships
    info["evaluation"] = evaluate_generator(G_loaded, name, n=n_eval)
    info["ablation"] = {label: {"changed": changes, **entry}          # the same recipe with a few fields changed
                        for (_, label, changes), entry in zip(variants, measured)}
    info["build_seconds"] = round(time.perf_counter() - build_start, 1)
    info["load_average_at_end"] = load_average()
    save_half(path, G, D, history, info)   # the same file, now with the measurements
    check_size(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB) in {seconds:.0f} s: {info['evaluation']}", flush=True)
    return info


def main(argv: list[str] | None = None) -> None:
    parser = build_parser(__doc__, ["mnist", "fashion_mnist"], SHIPPED_RECIPE["steps"], DCGANConfig.seed, PRETRAINED_DIR)
    parser.add_argument("--eval-samples", type=int, default=1000)
    parser.add_argument("--set", type=config_changes(DCGANConfig), action="append", default=[],
                        metavar="NAME=VALUE[,...]", help="DCGANConfig fields changed from the shipped recipe (SHIPPED_RECIPE)")
    parser.add_argument("--compare", type=config_changes(DCGANConfig), action="append", default=[],
                        metavar="NAME=VALUE[,...]",
                        help="also train the recipe with these DCGANConfig fields changed and record it")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs trained at once, each in its own process with --threads threads (default 1)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    out = prepare(args)
    config = DCGANConfig(**{**SHIPPED_RECIPE, "steps": args.steps, "seed": args.seed})
    for changes in args.set:
        config = replace(config, **changes)
    for name in args.names:
        build(name, config, out, device=args.device, progress=not args.no_progress, n_eval=args.eval_samples,
              compare=tuple(args.compare), workers=args.jobs)


if __name__ == "__main__":
    main()

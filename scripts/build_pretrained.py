"""Train the DCGAN checkpoints that gancourse ships, measure them, and record how they were built.

    python scripts/build_pretrained.py mnist fashion_mnist [--steps 3000] [--threads 2] [--out gancourse/pretrained]

For each data set, writes ``dcgan_<name>.pt`` (generator and discriminator weights plus the training history,
via ``gancourse.training.save_checkpoint``) and ``dcgan_<name>.json`` beside it: the ``DCGANConfig`` used, the
data source, training seconds and images/s, and the measured classifier-FID against held-out test images, the
real-vs-real floor and the class coverage of the samples (``gancourse.metrics.evaluate_generator``). The
measurements are taken on the checkpoint as written and read back, so they describe exactly what ships.
Notebook 03 loads these files so that a CPU user can skip the long run. Deterministic for a seed on the CPU.
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # gancourse, scripts/
from gancourse.data import canonical_name, load_images  # noqa: E402
from gancourse.device import get_device, seed_everything  # noqa: E402
from gancourse.metrics import (classifier_features, evaluate_generator, feature_statistics, frechet_distance,  # noqa: E402
                               load_classifier, sample_report)
from gancourse.models.dcgan import PRETRAINED_DIR, DCGANConfig, load_pretrained  # noqa: E402
from gancourse.sampling import sample_images  # noqa: E402
from gancourse.training import train_gan  # noqa: E402
from pretrained_common import build_parser, check_size, prepare, save_half  # noqa: E402


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
        curve.append({"step": step, "fid": round(fid, 2), "classes_covered": report["classes_covered"],
                      "confident_share": round(report["confident_share"], 3)})
        print(f"  step {step}: classifier-FID {fid:.1f}, {report['classes_covered']} classes, "
              f"{report['confident_share']:.0%} confident", flush=True)

    return callback, curve


def build(name: str, config: DCGANConfig, out: Path, device=None, progress: bool = True, n_eval: int = 1000) -> dict:
    """Train one DCGAN on ``name`` with ``config``, write it to ``out``, measure it; returns the JSON written."""
    name = canonical_name(name)
    device = get_device(device)
    seed_everything(config.seed)
    build_start = time.perf_counter()
    G, D = config.models()
    loader = load_images(name, train=True, batch_size=config.batch_size, seed=config.seed)
    track, curve = fid_tracker(name, n_eval)
    history = train_gan(G, D, loader, steps=config.steps, lr=config.lr, betas=(config.beta1, 0.999), device=device,
                        seed=config.seed, sample_every=max(1, config.steps // 10), progress=progress,
                        desc=f"DCGAN {name}", callbacks=[track])
    seconds = history.seconds                     # training only: the loop leaves out sample points and callbacks
    info = {
        "data_set": name,
        "data_source": loader.dataset.source,
        "train_images": len(loader.dataset),
        "config": config.to_dict(),
        "train_seconds": round(seconds, 1),
        "images_per_second": round(history.images_seen / seconds, 1),
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch thread(s), torch {torch.__version__}",
        "final_D_real": round(history.D_real[-1], 3),
        "final_D_fake": round(history.D_fake[-1], 3),
        "fid_during_training": curve,
        "stored_dtype": "float16",
        "built_by": f"python scripts/build_pretrained.py {name} --steps {config.steps}",
    }
    path = out / f"dcgan_{name}.pt"
    save_half(path, G, D, history, info)
    G_loaded, _, _ = load_pretrained(name, path=path)                 # measure exactly what ships
    info["evaluation"] = evaluate_generator(G_loaded, name, n=n_eval)
    info["build_seconds"] = round(time.perf_counter() - build_start, 1)
    save_half(path, G, D, history, info)   # the same file, now with the measurements
    check_size(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB) in {seconds:.0f} s: {info['evaluation']}", flush=True)
    return info


def main(argv: list[str] | None = None) -> None:
    parser = build_parser(__doc__, ["mnist", "fashion_mnist"], DCGANConfig.steps, DCGANConfig.seed, PRETRAINED_DIR)
    parser.add_argument("--eval-samples", type=int, default=1000)
    args = parser.parse_args(argv)
    out = prepare(args)
    for name in args.names:
        build(name, DCGANConfig(steps=args.steps, seed=args.seed), out, device=args.device,
              progress=not args.no_progress, n_eval=args.eval_samples)


if __name__ == "__main__":
    main()

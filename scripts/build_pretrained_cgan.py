"""Train the conditional GAN that gancourse ships, measure its class accuracy, and record how it was built.

    python scripts/build_pretrained_cgan.py [mnist] [--steps 3000] [--threads 2] [--out gancourse/pretrained]

Writes ``cgan_<name>.pt`` (generator and discriminator weights stored as float16, plus the training history, via
``gancourse.training.save_checkpoint``) and ``cgan_<name>.json`` beside it: the ``CGANConfig`` used, the data source,
training seconds, the class accuracy measured during training, and the class accuracy of the checkpoint *as written
and read back* (``--eval-per-class`` samples of every class, judged by the shipped classifier), overall and per class,
with its classifier-FID, real-vs-real floor and confident share (``evaluate_generator(..., conditional=True)``).
Notebook 04 loads these files. Deterministic for a seed on the CPU.
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # gancourse, scripts/
from gancourse.data import canonical_name, class_names, load_images  # noqa: E402
from gancourse.device import get_device, seed_everything  # noqa: E402
from gancourse.metrics import class_accuracy, evaluate_generator, load_classifier  # noqa: E402
from gancourse.models.conditional import CGANConfig, load_pretrained, pretrained_path  # noqa: E402
from gancourse.training.conditional import train_cgan  # noqa: E402
from pretrained_common import build_parser, check_size, load_average, prepare, save_half  # noqa: E402

EVAL_SEED = 2024              # the final measurement draws noise unseen by the measurements during training


def build(name: str, config: CGANConfig, out: Path, device=None, progress: bool = True,
          eval_per_class: int = 500, eval_samples: int = 1000) -> dict:
    """Train one conditional GAN on ``name`` with ``config``, write it to ``out``, measure it; returns the JSON."""
    name = canonical_name(name)
    device = get_device(device)
    seed_everything(config.seed)
    build_start = time.perf_counter()
    G, D = config.models()
    loader = load_images(name, train=True, batch_size=config.batch_size, seed=config.seed)
    classifier = load_classifier(name, device)
    load_before = load_average()
    history = train_cgan(G, D, loader, steps=config.steps, lr=config.lr, betas=(config.beta1, 0.999),
                         mismatched=config.mismatched, device=device, seed=config.seed,
                         sample_every=max(1, config.steps // 20), classifier=classifier, accuracy_per_class=100,
                         progress=progress, desc=f"conditional GAN {name}")
    info = {
        "data_set": name,
        "data_source": loader.dataset.source,
        "train_images": len(loader.dataset),
        "config": config.to_dict(),
        "train_seconds": round(history.seconds, 1),
        "images_per_second": round(history.images_seen / history.seconds, 1),
        "device": str(device),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
        "load_average_before_training": load_before,     # 1, 5 and 15 minute load averages: timings are only
        "load_average_after_training": load_average(),  # comparable on an otherwise idle machine
        "accuracy_during_training": [
            {"step": s, "train_seconds": round(t, 1), "class_accuracy": round(a, 3)}
            for s, t, a in zip(history.sample_steps, history.point_seconds, history.accuracy)],
        "first_90_percent": history.first_reaching("accuracy", 0.90),
        "first_95_percent": history.first_reaching("accuracy", 0.95),
        "stored_dtype": "float16",
        "built_by": f"python scripts/build_pretrained_cgan.py {name} --steps {config.steps} --seed {config.seed}",
    }
    path = out / pretrained_path(name).name
    save_half(path, G, D, history, info)
    G_loaded, _, _ = load_pretrained(name, path=path)                 # measure exactly what ships
    overall, per_class = class_accuracy(G_loaded, load_classifier(name), per_class=eval_per_class, seed=EVAL_SEED,
                                        per_class_result=True)
    info["evaluation"] = {
        "class_accuracy": round(overall, 4),
        "samples_per_class": eval_per_class,
        "noise_seed": EVAL_SEED,
        "per_class": {c: round(float(a), 3) for c, a in zip(class_names(name), per_class)},
        "classifier_test_accuracy": load_classifier(name).info.get("test_accuracy"),
    }
    # measured as the shipped DCGAN is (gancourse.metrics.evaluate_generator), eval_samples / 10 of every class:
    # classifier-FID against as many test images, the real-vs-real floor, the share of confidently classified samples
    info["sample_quality"] = evaluate_generator(G_loaded, name, n=eval_samples, conditional=True)
    info["build_seconds"] = round(time.perf_counter() - build_start, 1)
    save_half(path, G, D, history, info)   # the same file, now with the measurements
    check_size(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB) after {history.seconds:.0f} s of training: "
          f"class accuracy {overall:.2%} on {eval_per_class} samples per class; {info['sample_quality']}", flush=True)
    return info


def main(argv: list[str] | None = None) -> None:
    parser = build_parser(__doc__, ["mnist"], 3000, CGANConfig.seed, pretrained_path().parent)
    parser.add_argument("--eval-per-class", type=int, default=500)
    parser.add_argument("--eval-samples", type=int, default=1000, help="samples for the classifier-FID (a multiple of 10)")
    args = parser.parse_args(argv)
    out = prepare(args)
    for name in args.names:
        build(name, CGANConfig(steps=args.steps, seed=args.seed), out, device=args.device,
              progress=not args.no_progress, eval_per_class=args.eval_per_class, eval_samples=args.eval_samples)


if __name__ == "__main__":
    main()

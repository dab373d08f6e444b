"""Build notebook 04's multi-hot example: the attribute classifier (the judge) and the attribute GAN, measured.

    python scripts/build_pretrained_attributes.py [--steps 4000] [--ngf 32] [--epochs 12] [--classifier-only] [--threads 2]

1. ``classifier_mnist_attributes.pt`` / ``.json``: ``SmallClassifier`` with 10 + 3 outputs (digit, then one logit
   per attribute of ``gancourse.data.attributes``), trained on the MNIST training split with a fresh random
   attribute combination (all eight) for every image in every epoch and random shifts of up to 2 pixels; its
   accuracy is measured on the test split, every test image under every one of the eight combinations. Stored as
   float16 (under 1 MB).
2. ``cgan_mnist_attributes.pt`` / ``.json``: a conditional GAN (``CGANConfig(n_classes=13)``) trained with
   ``train_attribute_gan`` on digits with random attribute combinations, the combination ``HELD_OUT`` (all three
   attributes) never shown; then, read back from the file, its digit, per-attribute and all-at-once accuracy judged
   by the classifier on the trained combinations and on the held-out one.

Deterministic for a seed on the CPU.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # gancourse, scripts/
from gancourse.data.attributes import (  # noqa: E402
    ALL_COMBINATIONS, ATTRIBUTES, HELD_OUT, allowed_combinations, apply_attributes, attribute_labels,
    attribute_loader, combination_name, sample_combinations)
from gancourse.data import load_images  # noqa: E402
from gancourse.device import get_device, seed_everything  # noqa: E402
from gancourse.metrics.attributes import (  # noqa: E402
    N_OUTPUTS, agreement, attribute_accuracy, attribute_classifier_path, load_attribute_classifier)
from gancourse.metrics.classifier import SmallClassifier  # noqa: E402
from gancourse.models.conditional import CGANConfig, attributes_pretrained_path  # noqa: E402
from gancourse.models.dcgan import load_configured  # noqa: E402
from gancourse.training.multihot import train_attribute_gan  # noqa: E402
from pretrained_common import build_parser, check_size, load_average, prepare, save_half  # noqa: E402
from train_classifier import augment  # noqa: E402

GAN_FILE = attributes_pretrained_path().name
EVAL_SEED = 2024


def build_classifier(out: Path, epochs: int, seed: int, batch_size: int = 128, lr: float = 2e-3) -> dict:
    """Train and measure the digit-and-attribute judge; write it (float16) and its JSON to ``out``."""
    seed_everything(seed)
    train_set, test_set = load_images("mnist", train=True), load_images("mnist", train=False)
    everything = torch.tensor(ALL_COMBINATIONS, dtype=torch.float32)
    model = SmallClassifier(n_classes=N_OUTPUTS)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    per_epoch = len(train_set) // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * per_epoch)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_set), generator=gen)
        for i in range(per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            attrs = sample_combinations(len(idx), everything, generator=gen)              # (B, 3)
            upright = attrs * torch.tensor([1.0, 1.0, 0.0])                               # shift before inverting,
            x = augment(apply_attributes(train_set.images[idx], upright), gen)            # so the border stays
            x = torch.where(attrs[:, 2, None, None, None].bool(), -x, x)                  # the background colour
            logits = model(x)
            loss = (F.cross_entropy(logits[:, :10], train_set.labels[idx])
                    + F.binary_cross_entropy_with_logits(logits[:, 10:], attrs))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        print(f"classifier epoch {epoch + 1}/{epochs}: last batch loss {loss.item():.3f}", flush=True)
    seconds = time.perf_counter() - start
    model.eval()
    n = len(test_set)
    per_combination = {}
    images, rows = [], []
    for combo in ALL_COMBINATIONS:                        # every test image under every combination
        attrs = torch.tensor(combo, dtype=torch.float32).expand(n, -1)
        x, r = apply_attributes(test_set.images, attrs), attribute_labels(test_set.labels, attrs)
        per_combination[combination_name(combo)] = {k: round(v, 4) for k, v in agreement(model, x, r).items()}
        images.append(x)
        rows.append(r)
    overall = agreement(model, torch.cat(images), torch.cat(rows))
    info = {
        "data_set": "mnist", "data_source": train_set.source, "train_images": len(train_set),
        "test_images": n, "attributes": list(ATTRIBUTES), "outputs": "10 digit logits, then one logit per attribute",
        "epochs": epochs, "batch_size": batch_size, "seed": seed, "train_seconds": round(seconds, 1),
        "test_accuracy": {k: round(v, 4) for k, v in overall.items()},
        "test_accuracy_per_combination": per_combination,
        "evaluation": "every test image under each of the 8 attribute combinations (8,000 judgements)",
        "stored_dtype": "float16",
        "built_by": f"python scripts/build_pretrained_attributes.py --classifier-only --epochs {epochs} --seed {seed}",
    }
    path = out / attribute_classifier_path().name
    torch.save({k: v.half() for k, v in model.state_dict().items()}, path)
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): test accuracy {info['test_accuracy']}", flush=True)
    return info


def build_gan(out: Path, config: CGANConfig, device=None, progress: bool = True, per_digit: int = 50) -> dict:
    """Train the attribute GAN with ``config`` (n_classes = 13), write it to ``out`` and measure what ships."""
    device = get_device(device)
    seed_everything(config.seed)
    start = time.perf_counter()
    G, D = config.models()
    loader = attribute_loader("mnist", batch_size=config.batch_size, seed=config.seed)
    judge_path = out / attribute_classifier_path().name
    # measured during training if the judge is already built (it may still be training beside this run)
    judge = load_attribute_classifier(device, path=judge_path) if judge_path.is_file() else None
    load_before = load_average()
    history = train_attribute_gan(G, D, loader, steps=config.steps, lr=config.lr, betas=(config.beta1, 0.999),
                                  mismatched=config.mismatched, device=device, seed=config.seed,
                                  sample_every=max(1, config.steps // 10), classifier=judge, progress=progress,
                                  desc="attribute GAN")
    info = {
        "data_set": "mnist with attributes", "data_source": loader.dataset.source,
        "train_images": len(loader.dataset), "attributes": list(ATTRIBUTES),
        "held_out_combinations": [list(c) for c in HELD_OUT],
        "config": config.to_dict(), "train_seconds": round(history.seconds, 1), "device": str(device),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
        "load_average_before_training": load_before, "load_average_after_training": load_average(),
        "accuracy_during_training": [
            {"step": s, "train_seconds": round(t, 1), "all": round(a, 3), "digit": round(d, 3)}
            for s, t, a, d in zip(history.sample_steps, history.point_seconds, history.points["accuracy"],
                                  history.points["digit_accuracy"])] if judge is not None else "not measured",
        "stored_dtype": "float16",
        "built_by": f"python scripts/build_pretrained_attributes.py --gan-only --steps {config.steps} --ngf {config.ngf} "
                    f"--seed {config.seed}",
    }
    path = out / GAN_FILE
    save_half(path, G, D, history, info)
    G_loaded, _, _ = load_configured(path, CGANConfig)                         # measure exactly what ships
    judge = load_attribute_classifier(path=judge_path)
    trained, each = attribute_accuracy(G_loaded, judge, allowed_combinations(HELD_OUT), per_digit=per_digit,
                                       seed=EVAL_SEED, per_combination_result=True)
    held_out = attribute_accuracy(G_loaded, judge, torch.tensor(HELD_OUT, dtype=torch.float32), per_digit=per_digit,
                                  seed=EVAL_SEED)
    info["evaluation"] = {
        "samples_per_digit_and_combination": per_digit, "noise_seed": EVAL_SEED,
        "trained_combinations": {k: round(v, 4) for k, v in trained.items()},
        "held_out_combination": {k: round(v, 4) for k, v in held_out.items()},
        "per_combination": {name: {k: round(v, 4) for k, v in shares.items()} for name, shares in each.items()},
        "classifier_test_accuracy": judge.info.get("test_accuracy"),
    }
    info["build_seconds"] = round(time.perf_counter() - start, 1)
    save_half(path, G, D, history, info)
    path.with_suffix(".json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    check_size(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB) after {history.seconds:.0f} s of training: "
          f"trained combinations {info['evaluation']['trained_combinations']}, "
          f"held out {info['evaluation']['held_out_combination']}", flush=True)
    return info


def main(argv: list[str] | None = None) -> None:
    parser = build_parser(__doc__, [], 4000, CGANConfig.seed, attribute_classifier_path().parent)
    parser.add_argument("--epochs", type=int, default=12, help="classifier epochs")
    parser.add_argument("--classifier-only", action="store_true")
    parser.add_argument("--gan-only", action="store_true", help="keep the classifier already in --out")
    parser.add_argument("--ngf", type=int, default=32, help="generator width (CGANConfig.ngf)")
    args = parser.parse_args(argv)
    out = prepare(args)
    if not args.gan_only:
        build_classifier(out, args.epochs, args.seed)
    if not args.classifier_only:
        build_gan(out, CGANConfig(n_classes=N_OUTPUTS, ngf=args.ngf, steps=args.steps, seed=args.seed), device=args.device,
                  progress=not args.no_progress)


if __name__ == "__main__":
    main()

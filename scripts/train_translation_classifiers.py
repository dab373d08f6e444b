"""Train the two classifiers that judge a translation between the handwritten and printed digit domains.

    python scripts/train_translation_classifiers.py            # both; or name one: digits_both / domain

* ``classifier_digits_both`` — the digit (10 classes), trained on the training images of BOTH domains together;
  it says whether a translation kept the digit, and its 128-d features give the Fréchet distance.
* ``classifier_domain`` — handwritten (class 0) vs printed (class 1); it says whether a translation reached the
  target domain.

Both are ``gancourse.metrics.SmallClassifier``s, trained with light augmentation (a random shift of up to 2
pixels per batch, and Gaussian noise on half of the batches) so that they judge imperfect generated images more
fairly. Writes ``gancourse/pretrained/classifier_<name>.pt`` (float16 weights: half the file, loaded back into
float32) and ``classifier_<name>.json`` (data, training settings, test accuracy per domain, seconds, load).
Deterministic for a given seed on the CPU.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from gancourse.data import DOMAINS, load_domain  # noqa: E402
from gancourse.device import seed_everything  # noqa: E402
from gancourse.metrics import PRETRAINED_DIR, SmallClassifier, accuracy  # noqa: E402

KINDS = {"digits_both": 10, "domain": 2}       # classifier name -> number of classes
NOISE = 0.1                                    # std of the Gaussian noise added to half of the batches


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A random shift of up to 2 pixels (one per batch), and on half of the batches Gaussian noise (std NOISE)."""
    padded = F.pad(x, (2, 2, 2, 2), value=-1.0)
    dx, dy = torch.randint(0, 5, (2,), generator=gen).tolist()
    x = padded[:, :, dy:dy + 28, dx:dx + 28]
    if torch.rand((), generator=gen) < 0.5:
        x = (x + NOISE * torch.randn(x.shape, generator=gen)).clamp(-1.0, 1.0)
    return x


def both_domains(split: str, kind: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images of both domains, their targets (the digit, or the domain index) and each image's domain index."""
    images, targets, domains = [], [], []
    for index, name in enumerate(DOMAINS):
        x, digits = load_domain(name, split)
        images.append(x)
        targets.append(digits if kind == "digits_both" else torch.full_like(digits, index))
        domains.append(torch.full_like(digits, index))
    return torch.cat(images), torch.cat(targets), torch.cat(domains)


def per_domain_accuracy(model, images, targets, domains) -> dict[str, float]:
    return {name: round(accuracy(model, images[domains == i], targets[domains == i]), 4)
            for i, name in enumerate(DOMAINS)}


def train(kind: str, epochs: int, batch_size: int, lr: float, seed: int, out: Path) -> dict:
    seed_everything(seed)
    x, y, _ = both_domains("train", kind)
    x_test, y_test, d_test = both_domains("test", kind)
    model = SmallClassifier(n_classes=KINDS[kind])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = len(x) // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(seed)
    load_before = [round(v, 2) for v in os.getloadavg()]
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        for i in tqdm(range(steps_per_epoch), desc=f"{kind} epoch {epoch + 1}/{epochs}", leave=False):
            idx = order[i * batch_size:(i + 1) * batch_size]
            loss = F.cross_entropy(model(augment(x[idx], gen)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        accs = per_domain_accuracy(model, x_test, y_test, d_test)
        print(f"{kind} epoch {epoch + 1}: last batch loss {loss.item():.3f}, test accuracy {accs}")
    seconds = round(time.perf_counter() - start, 1)
    model = model.half().float().eval()      # measure the weights as shipped: rounded to float16
    info = {
        "classifier": f"classifier_{kind}",
        "classes": (["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] if kind == "digits_both"
                    else list(DOMAINS)),
        "task": ("the digit, trained on both domains' training images together" if kind == "digits_both"
                 else "the domain: handwritten (0) vs printed (1)"),
        "data": {name: {"train_images": int(len(load_domain(name, "train")[1])),
                        "test_images": int(len(load_domain(name, "test")[1]))} for name in DOMAINS},
        "data_source": "gancourse.data.load_domain (embedded mnist.npz and printed_digits.npz)",
        "model": f"gancourse.metrics.SmallClassifier(n_classes={KINDS[kind]}), weights stored as float16",
        "augmentation": f"a random shift of up to 2 pixels per batch (padding with -1); Gaussian noise of std "
                        f"{NOISE} (then clamped to [-1, 1]) on half of the batches",
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "optimizer": "Adam with a one-cycle learning-rate schedule",
        "seed": seed,
        "test_accuracy": per_domain_accuracy(model, x_test, y_test, d_test),
        "test_accuracy_overall": round(accuracy(model, x_test, y_test), 4),
        "train_seconds": seconds,
        "load_average_before": load_before,
        "threads": torch.get_num_threads(),
        "built_by": f"python scripts/train_translation_classifiers.py {kind}",
    }
    path = out / f"classifier_{kind}.pt"
    out.mkdir(parents=True, exist_ok=True)
    torch.save(copy.deepcopy(model).half().state_dict(), path)   # float16: half the file
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): test accuracy {info['test_accuracy']}, "
          f"{info['train_seconds']} s")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=list(KINDS), help=f"any of {', '.join(KINDS)} (default: both)")
    parser.add_argument("--epochs", type=int, default=None, help="default: 12 for digits_both, 4 for domain")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(KINDS))
    if unknown:
        parser.error(f"unknown classifier(s) {unknown}: choose from {', '.join(KINDS)}")
    for kind in args.names:
        epochs = args.epochs or (12 if kind == "digits_both" else 4)
        train(kind, epochs, args.batch_size, args.lr, args.seed, args.out)


if __name__ == "__main__":
    main()

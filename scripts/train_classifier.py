"""Train the small classifier that gancourse ships for measuring generated images, and record its accuracy.

    python scripts/train_classifier.py mnist fashion_mnist

Writes gancourse/pretrained/classifier_<name>.pt (weights) and classifier_<name>.json (data source,
sizes, epochs, test accuracy, seconds). Deterministic for a given seed on the CPU.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gancourse.data import canonical_name, load_images  # noqa: E402
from gancourse.device import seed_everything  # noqa: E402
from gancourse.metrics import SmallClassifier, accuracy, classifier_path  # noqa: E402


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random shifts of up to 2 pixels: a classifier that tolerates small offsets judges samples more fairly."""
    padded = F.pad(x, (2, 2, 2, 2), value=-1.0)
    dx, dy = torch.randint(0, 5, (2,), generator=gen).tolist()
    return padded[:, :, dy:dy + 28, dx:dx + 28]


def train(name: str, epochs: int, batch_size: int, lr: float, seed: int) -> dict:
    seed_everything(seed)
    train_set = load_images(name, train=True)
    test_set = load_images(name, train=False)
    model = SmallClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * (len(train_set) // batch_size))
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_set), generator=gen)
        for i in tqdm(range(len(train_set) // batch_size), desc=f"{name} epoch {epoch + 1}/{epochs}", leave=False):
            idx = order[i * batch_size:(i + 1) * batch_size]
            x, y = augment(train_set.images[idx], gen), train_set.labels[idx]
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, test_set.images, test_set.labels)
        print(f"{name} epoch {epoch + 1}: last batch loss {loss.item():.3f}, test accuracy {acc:.4f}")
    info = {
        "data_set": canonical_name(name),
        "data_source": train_set.source,
        "train_images": len(train_set),
        "test_images": len(test_set),
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "test_accuracy": round(acc, 4),
        "train_seconds": round(time.perf_counter() - start, 1),
        "built_by": "python scripts/train_classifier.py " + canonical_name(name),
    }
    path = classifier_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): {info}")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=["mnist", "fashion_mnist"])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name in args.names:
        train(name, args.epochs, args.batch_size, args.lr, args.seed)


if __name__ == "__main__":
    main()

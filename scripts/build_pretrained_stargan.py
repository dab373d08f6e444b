"""Train the StarGAN that gancourse ships (one generator for the eight attribute combinations of small, thick and
inverted digits), measure it, and record how it was built.

    python scripts/build_pretrained_stargan.py [--steps 4000] [--adversarial lsgan] [--n-critic 1]
                                               [--compare adversarial=wgan-gp,n_critic=5,steps=...] [--threads 1]

Writes ``stargan_digits.pt`` (G only, float16; D is not shipped) and ``stargan_digits.json`` beside it: the
``StarGANConfig``, the training seconds and the machine's load, ``stargan_report`` measured during training on
``--monitor`` test images, and ``stargan_report`` on all the test images of the checkpoint *as written and read
back*, beside the identity map (G(x, c) = x) and, for each ``--compare``, the same recipe with a few settings
changed (the measurements behind the recipe). Training leaves the combination small + thick + inverted out
(``gancourse.data.attributes.HELD_OUT``); the test sources are drawn from the seen combinations and translated to
all eight. Notebook 06 loads these files. Deterministic for a seed on the CPU.
"""
from __future__ import annotations

import argparse
import copy
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # gancourse, scripts/
from gancourse.data.attributes import ALL_COMBINATIONS, attribute_dataset, attribute_loader  # noqa: E402
from gancourse.data.images import load_images  # noqa: E402
from gancourse.device import get_device, seed_everything  # noqa: E402
from gancourse.metrics.attributes import load_attribute_classifier  # noqa: E402
from gancourse.metrics.stargan import stargan_report  # noqa: E402
from gancourse.models.stargan import StarGANConfig, load_pretrained, pretrained_path  # noqa: E402
from gancourse.training.checkpoints import write_states  # noqa: E402
from gancourse.training.stargan import train_stargan  # noqa: E402
from pretrained_common import (check_size, command_line, config_changes, load_average, prepare,  # noqa: E402
                               spelled)

N_FIXED = 6                   # test images translated to every combination at each sample point (the picture)
TEST_SEED = 1                 # draws the test images' source attributes


def _rounded(report: dict) -> dict:
    return {k: (_rounded(v) if isinstance(v, dict) else round(v, 4) if isinstance(v, float) else v)
            for k, v in report.items()}


def _summary(report: dict) -> str:
    unseen = report["per_target"]["small + thick + inverted"]
    return (f"all {report['all']:.1%} (changed {report['changed']:.1%}, untouched {report['untouched']:.1%}), "
            f"content {report['content_kept']:.1%} of {report['content_ceiling']:.1%} "
            f"(own domain {report['own_domain_content_kept']:.1%}), "
            f"rec {report['reconstruction_error']:.3f}, exact {report['exact_error']:.3f}; "
            f"unseen combination: all {unseen['all']:.1%}, content {unseen['content_kept']:.1%}")


def test_set() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The test images with seen attribute combinations, their digits, attributes and plain versions."""
    test = attribute_dataset("mnist", train=False, seed=TEST_SEED)
    return test.images, test.digits, test.attributes, load_images("mnist", train=False).images


def train_one(config: StarGANConfig, device, test: tuple, classifier, monitor: int, progress: bool, desc: str):
    """Train one StarGAN with ``config``; returns G, the history and the reports measured along the way."""
    seed_everything(config.seed)
    G, D = config.models()
    data = attribute_loader(batch_size=config.batch_size, seed=config.seed, with_digits=False)
    images, digits, sources, plain = test
    reports = []

    def monitor_report(step, history, family):
        report = stargan_report(family.G, classifier, images[:monitor], digits[:monitor], sources[:monitor],
                                plain[:monitor])
        reports.append({"step": step, "train_seconds": round(history.seconds, 1), **_rounded(report)})
        print(f"{desc} step {step} ({history.seconds:.0f} s): {_summary(report)}", flush=True)

    history = train_stargan(G, D, data, steps=config.steps, decay_steps=config.decay_steps, n_critic=config.n_critic,
                            adversarial=config.adversarial, lambda_cls=config.lambda_cls,
                            lambda_rec=config.lambda_rec, lambda_gp=config.lambda_gp, lambda_id=config.lambda_id,
                            lr=config.lr, lr_D=config.d_lr,
                            betas=(config.beta1, 0.999), fixed_x=images[:N_FIXED],
                            fixed_targets=torch.tensor(ALL_COMBINATIONS, dtype=torch.float32), device=device,
                            sample_every=max(1, config.steps // 8), sample_at_start=False, seed=config.seed,
                            callbacks=[monitor_report] if monitor else [], progress=progress, desc=desc)
    return G, history, reports


def save_generator(path: Path, G: nn.Module, info: dict) -> None:
    """A float16 copy of G (half the file; loading casts back to float32)."""
    write_states(path, {"G": copy.deepcopy(G).cpu().half().state_dict()}, config=info)


def build(config: StarGANConfig, out: Path, device=None, progress: bool = True, monitor: int = 300,
          compare: tuple[dict, ...] = ()) -> dict:
    """Train, write and measure the shipped StarGAN and its baselines; returns the JSON written."""
    device = get_device(device)
    build_start = time.perf_counter()
    test = test_set()
    images, digits, sources, plain = test
    classifier = load_attribute_classifier()
    load_before = load_average()
    G, history, reports = train_one(config, device, test, classifier, monitor, progress, "StarGAN")
    info = {
        "attributes": ["small", "thick", "inverted"],
        "held_out_combination": "small + thick + inverted",
        "train_images": 9000,
        "config": config.to_dict(),
        "parameters": {"G": sum(p.numel() for p in G.parameters()),
                       "D": sum(p.numel() for p in config.models()[1].parameters())},
        "train_seconds": round(history.seconds, 1),
        "seconds_per_step": round(history.seconds / history.steps_done, 4),
        "device": str(device),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
        "load_average_before_training": load_before,
        "load_average_after_training": load_average(),
        "reports_during_training": {"test_images": monitor, "points": reports},
        "stored_dtype": "float16",
        "built_by": command_line("build_pretrained_stargan.py"),
    }
    path = out / pretrained_path().name
    save_generator(path, G, info)
    check_size(path)
    shipped = load_pretrained(path=path)                                  # measure exactly what ships
    report = stargan_report(shipped, classifier, images, digits, sources, plain)
    info["evaluation"] = {"test_images": int(images.shape[0]), **_rounded(report)}
    print(f"checkpoint: {_summary(report)}", flush=True)
    identity = stargan_report(_Identity(), classifier, images, digits, sources, plain)
    print(f"identity map: {_summary(identity)}", flush=True)
    info["baselines"] = {"identity": _rounded(identity)}
    for changes in compare:                     # the same recipe with a few settings changed
        other = replace(config, **changes)
        name = "compare " + spelled(changes, ", ")
        G1, history1, _ = train_one(other, device, test, classifier, 0, progress, name)
        measured = stargan_report(G1, classifier, images, digits, sources, plain)
        print(f"{name}: {_summary(measured)}", flush=True)
        info["baselines"][name] = {"changed": changes, "steps": other.steps, "config": other.to_dict(),
                                   "train_seconds": round(history1.seconds, 1), **_rounded(measured)}
    info["build_seconds"] = round(time.perf_counter() - build_start, 1)
    info["load_average_at_end"] = load_average()
    save_generator(path, G, info)     # the same weights, now with the measurements
    check_size(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB) after {history.seconds:.0f} s of training, "
          f"{info['build_seconds']:.0f} s in all", flush=True)
    return info


class _Identity(nn.Module):
    """G(x, c) = x: keeps every digit, changes no attribute (a parameter only to mark the device)."""

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()), requires_grad=False)

    def forward(self, x, c):
        return x


def main(argv: list[str] | None = None) -> None:
    defaults = StarGANConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--decay-steps", type=int, default=None, help="default: half the steps")
    for name in ("batch_size", "width", "n_blocks", "d_width", "d_layers", "n_critic", "seed"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    for name in ("lambda_cls", "lambda_rec", "lambda_gp", "lambda_id", "lr", "d_lr", "beta1"):
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(defaults, name))
    parser.add_argument("--adversarial", default=defaults.adversarial, choices=("wgan-gp", "lsgan", "bce"))
    parser.add_argument("--skips", action="store_true", help="U-Net skips in G (default: none, as the paper)")
    parser.add_argument("--first-norm", action="store_true",
                        help="InstanceNorm after G's first convolution (the paper's; default: none)")
    parser.add_argument("--compare", type=config_changes(StarGANConfig), action="append", default=[],
                        metavar="NAME=VALUE[,...]",
                        help="also train the recipe with these StarGANConfig fields changed and record it")
    parser.add_argument("--monitor", type=int, default=300, help="test images measured during training")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    parser.add_argument("--out", default=str(pretrained_path().parent))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    out = prepare(args)
    fields = {name: getattr(args, name) for name in StarGANConfig.__dataclass_fields__ if hasattr(args, name)}
    fields["decay_steps"] = args.decay_steps if args.decay_steps is not None else args.steps // 2
    build(StarGANConfig(**fields), out, device=args.device, progress=not args.no_progress, monitor=args.monitor,
          compare=tuple(args.compare))


if __name__ == "__main__":
    main()

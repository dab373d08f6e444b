"""Train the CycleGAN that gancourse ships (handwritten ↔ printed digits), measure it, and record how it was built.

    python scripts/build_pretrained_cyclegan.py [--steps 3000] [--lambda-cycle 10] [--baseline-steps 1500]
                                                [--compare lambda_cycle=10] [--threads 1] [--out gancourse/pretrained]

Writes ``cyclegan_digits.pt`` (G: handwritten → printed and F: printed → handwritten, stored as float16; the
discriminators are not shipped) and ``cyclegan_digits.json`` beside it: the ``CycleGANConfig`` used, the training
seconds and the machine's load, ``translation_report`` measured during training on ``--monitor`` test images, and
the ``translation_report`` on all the test images of the checkpoint *as written and read back*, beside two baselines
measured the same way: the identity map (G = F = identity) and the same training with λ = 0 (no cycle loss, and
so no identity loss either, whose weight is 0.5·λ), run for ``--baseline-steps`` steps, and, for each
``--compare``, the same recipe with a few numbers changed (the measurements behind the recipe). Notebook 05 loads these
files. Deterministic for a seed on the CPU.
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
from gancourse.data.domains import load_domain, unpaired_loader  # noqa: E402
from gancourse.device import get_device, seed_everything  # noqa: E402
from gancourse.metrics.translation import load_translation_classifiers, translation_report  # noqa: E402
from gancourse.models.cyclegan import CycleGANConfig, load_pretrained, pretrained_path  # noqa: E402
from gancourse.training.checkpoints import write_states  # noqa: E402
from gancourse.training.cyclegan import train_cyclegan  # noqa: E402
from pretrained_common import check_size, config_changes, load_average, prepare, spelled  # noqa: E402

N_FIXED = 8                   # test images of each domain translated at every sample point (the picture)


def _rounded(report: dict) -> dict:
    return {k: (_rounded(v) if isinstance(v, dict) else round(v, 4) if isinstance(v, float) else v)
            for k, v in report.items()}


def _summary(report: dict) -> str:
    return " | ".join(f"{d}: content {report[d]['content_kept']:.1%}, domain {report[d]['domain_reached']:.1%}, "
                      f"cycle {report[d]['cycle_error']:.3f}, fd {report[d]['fd']:.1f} "
                      f"(floor {report[d]['fd_floor']:.1f})"
                      for d in ("x_to_y", "y_to_x"))


def train_one(config: CycleGANConfig, device, test: tuple, classifiers, monitor: int, progress: bool,
              desc: str) -> tuple[nn.Module, nn.Module, object, list]:
    """Train one CycleGAN with ``config``; returns G, F, the history and the reports measured along the way."""
    seed_everything(config.seed)
    G, F = config.generators()
    D_X, D_Y = config.discriminators()
    data = unpaired_loader(split="train", batch_size=config.batch_size,
                           generator=torch.Generator().manual_seed(config.seed))
    xt, xl, yt, yl = test
    reports = []

    def monitor_report(step, history, family):
        report = translation_report(family.G, family.F, xt[:monitor], xl[:monitor], yt[:monitor], yl[:monitor],
                                    classifiers=classifiers)
        reports.append({"step": step, "train_seconds": round(history.seconds, 1), **_rounded(report)})
        print(f"{desc} step {step} ({history.seconds:.0f} s): {_summary(report)}", flush=True)

    history = train_cyclegan(G, F, D_X, D_Y, data, steps=config.steps, decay_steps=config.decay_steps,
                             lambda_cycle=config.lambda_cycle, lambda_identity=config.lambda_identity,
                             pool_size=config.pool_size, lr=config.lr, betas=(config.beta1, 0.999),
                             adversarial=config.adversarial, fixed_x=xt[:N_FIXED], fixed_y=yt[:N_FIXED],
                             device=device, sample_every=max(1, config.steps // 8), sample_at_start=False,
                             seed=config.seed, callbacks=[monitor_report] if monitor else [], progress=progress,
                             desc=desc)
    return G, F, history, reports


def save_generators(path: Path, G: nn.Module, F: nn.Module, info: dict) -> None:
    """float16 copies of G and F (half the file; ``load_state_dict`` casts back to float32 on loading)."""
    states = {name: copy.deepcopy(model).cpu().half().state_dict() for name, model in (("G", G), ("F", F))}
    write_states(path, states, config=info)


def build(config: CycleGANConfig, out: Path, baseline_steps: int, device=None, progress: bool = True,
          monitor: int = 300, compare: tuple[dict, ...] = ()) -> dict:
    """Train, write and measure the shipped CycleGAN and its two baselines; returns the JSON written."""
    device = get_device(device)
    build_start = time.perf_counter()
    xt, xl = load_domain("handwritten", "test")
    yt, yl = load_domain("printed", "test")
    classifiers = load_translation_classifiers()
    load_before = load_average()
    G, F, history, reports = train_one(config, device, (xt, xl, yt, yl), classifiers, monitor, progress, "CycleGAN")
    info = {
        "domains": {"x": "handwritten", "y": "printed"},
        "train_images_per_domain": 9000,
        "config": config.to_dict(),
        "train_seconds": round(history.seconds, 1),
        "seconds_per_step": round(history.seconds / history.steps_done, 3),
        "device": str(device),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}",
        "load_average_before_training": load_before,     # 1, 5 and 15 minute load averages: timings are only
        "load_average_after_training": load_average(),  # comparable on an otherwise idle machine
        "reports_during_training": {"test_images_per_domain": monitor, "points": reports},
        "stored_dtype": "float16",
        "built_by": (f"python scripts/build_pretrained_cyclegan.py --steps {config.steps} --decay-steps "
                     f"{config.decay_steps} --batch-size {config.batch_size} --width {config.width} --n-blocks "
                     f"{config.n_blocks} --d-width {config.d_width} --d-layers {config.d_layers} --lambda-cycle "
                     f"{config.lambda_cycle} --lambda-identity {config.lambda_identity} --lr {config.lr} "
                     f"--seed {config.seed} --baseline-steps {baseline_steps}"
                     + "".join(" --compare " + spelled(c, ",") for c in compare)),
    }
    path = out / pretrained_path().name
    save_generators(path, G, F, info)
    check_size(path)
    G_loaded, F_loaded = load_pretrained(path=path)                   # measure exactly what ships
    report = translation_report(G_loaded, F_loaded, xt, xl, yt, yl, classifiers=classifiers)
    info["evaluation"] = {"test_images_per_domain": int(xt.shape[0]), **_rounded(report)}
    print(f"checkpoint: {_summary(report)}", flush=True)
    identity = translation_report(nn.Identity(), nn.Identity(), xt, xl, yt, yl, classifiers=classifiers)
    print(f"identity map: {_summary(identity)}", flush=True)
    info["baselines"] = {"identity": _rounded(identity)}

    def variant(other: CycleGANConfig, label: str, desc: str) -> dict:
        """Train ``other`` (no monitoring), measure it on all the test images, return its baseline entry."""
        G1, F1, history1, _ = train_one(other, device, (xt, xl, yt, yl), classifiers, 0, progress, desc)
        measured = translation_report(G1, F1, xt, xl, yt, yl, classifiers=classifiers)
        print(f"{label}: {_summary(measured)}", flush=True)
        return {"steps": other.steps, "train_seconds": round(history1.seconds, 1), "config": other.to_dict(),
                **_rounded(measured)}

    if baseline_steps:
        base_config = replace(config, lambda_cycle=0.0, steps=baseline_steps,
                              decay_steps=min(config.decay_steps, baseline_steps))
        info["baselines"]["lambda_0"] = variant(base_config, "lambda = 0", "CycleGAN, lambda = 0")
    for changes in compare:                     # the same recipe with a few settings changed, for as many steps
        name = "compare " + spelled(changes, ", ")
        info["baselines"][name] = {**variant(replace(config, **changes), name, name), "changed": changes}
    info["build_seconds"] = round(time.perf_counter() - build_start, 1)
    info["load_average_at_end"] = load_average()
    save_generators(path, G, F, info)   # the same weights, now with the measurements
    check_size(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB) after {history.seconds:.0f} s of training, "
          f"{info['build_seconds']:.0f} s in all", flush=True)
    return info


def main(argv: list[str] | None = None) -> None:
    defaults = CycleGANConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--decay-steps", type=int, default=None, help="default: half the steps")
    parser.add_argument("--baseline-steps", type=int, default=None, help="the λ = 0 run (default: --steps; 0: none)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--n-blocks", type=int, default=defaults.n_blocks)
    parser.add_argument("--d-width", type=int, default=defaults.d_width)
    parser.add_argument("--d-layers", type=int, default=defaults.d_layers,
                        help="stride-2 layers of the PatchGAN (1: 16x16 patches, 2: 34x34)")
    parser.add_argument("--lambda-cycle", type=float, default=defaults.lambda_cycle, help="λ (paper: 10)")
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--lambda-identity", type=float, default=defaults.lambda_identity,
                        help="identity weight as a fraction of λ (the paper's 0.5 gives 0.5·λ)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--compare", type=config_changes(CycleGANConfig), action="append", default=[], metavar="NAME=VALUE[,...]",
                        help="also train the recipe with these CycleGANConfig numbers changed (e.g. "
                             "lambda_cycle=10,lambda_identity=0.5), as many steps, and record it among the baselines")
    parser.add_argument("--monitor", type=int, default=300, help="test images per domain measured during training")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    parser.add_argument("--out", default=str(pretrained_path().parent))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    out = prepare(args)
    decay = args.decay_steps if args.decay_steps is not None else args.steps // 2
    config = CycleGANConfig(steps=args.steps, decay_steps=decay, batch_size=args.batch_size, width=args.width,
                            n_blocks=args.n_blocks, d_width=args.d_width, d_layers=args.d_layers,
                            lambda_cycle=args.lambda_cycle, lambda_identity=args.lambda_identity, lr=args.lr,
                            seed=args.seed)
    baseline = args.baseline_steps if args.baseline_steps is not None else args.steps
    build(config, out, baseline, device=args.device, progress=not args.no_progress, monitor=args.monitor,
          compare=tuple(args.compare))


if __name__ == "__main__":
    main()

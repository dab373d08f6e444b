"""Notebook 03's short DCGAN runs over several seeds: how much of what the notebook prints is the seed's doing.

    python benchmarks/bench_dcgan_seeds.py [--seeds 0 1 2] [--data mnist fashion_mnist] [--threads N] [--json FILE]
        [--grids DIR]

For each seed and data set it trains exactly as notebook 03's default short run does (``DCGANConfig(seed=seed)``:
the models, the data order and the noise all follow the seed; 300 steps on MNIST, 200 on Fashion-MNIST; seed 0 is
the notebook's own run) and measures the samples as the notebook's Section 7 does: classifier-FID of 1,000 samples
(``sample_images``' default noise) against the first 1,000 test images, the share classified with probability > 0.9,
the classes drawn by at least 2 % of the samples, and the entropy of the predicted classes. It also prints what the
notebook's training-curve reading relies on (the discriminator's lowest loss and where, D(x) and D(G(z)) at the
sample points), and the 30 steps of notebook 03's "your step in action" cell (Section 5) for the same seed. A last
table gives each measurement's range over the seeds, with the real-vs-real floor at 1,000 images. ``--grids DIR``
saves, per run, the figure the notebook draws of the fixed noise's samples over training, to look at.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from gancourse.data import load_images  # noqa: E402
from gancourse.device import seed_everything  # noqa: E402
from gancourse.metrics import classifier_features, feature_statistics, frechet_distance  # noqa: E402
from gancourse.metrics import load_classifier, sample_report  # noqa: E402
from gancourse.models.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator  # noqa: E402
from gancourse.sampling import sample_images  # noqa: E402
from gancourse.training import train_gan  # noqa: E402
from gancourse.viz import plot_samples_over_training  # noqa: E402
from solutions_dcgan import train_step as demo_step  # noqa: E402  (notebook 03's train_step, as its solution writes it)

SHORT_STEPS = {"mnist": 300, "fashion_mnist": 200}      # the notebook's gancourse.budget(default=...)
N_EVAL = 1000                                            # images per set for FID, as in the notebook
DEMO_STEPS = 30                                          # Section 5's "your step in action" cell


def demo_run(seed: int) -> list[dict]:
    """Section 5's cell: torch.manual_seed(seed), fresh networks, Adam(2e-4, 0.5), MNIST batches of 64."""
    torch.manual_seed(seed)
    G, D = DCGANGenerator(), DCGANDiscriminator()
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    batches = iter(load_images("mnist", train=True, batch_size=64, seed=seed))
    return [demo_step(G, D, next(batches)[0], torch.randn(64, 64), opt_G, opt_D) for _ in range(DEMO_STEPS)]


def short_run(name: str, seed: int, classifier, ref_stats, device, grids: Path | None = None) -> dict:
    """The notebook's short run for ``seed`` and its Section 7 measurements."""
    config = DCGANConfig(seed=seed)
    steps = SHORT_STEPS[name]
    loader = load_images(name, train=True, batch_size=config.batch_size, seed=config.seed)
    seed_everything(config.seed)
    G, D = config.models()
    history = train_gan(G, D, loader, steps=steps, lr=config.lr, betas=(config.beta1, 0.999), device=device,
                        sample_every=max(1, steps // 5), seed=config.seed, progress=False)
    if grids is not None:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plot_samples_over_training(history, n_show=10)
        plt.gcf().savefig(grids / f"{name}_seed{seed}.png", dpi=80)
        plt.close("all")
    images = sample_images(G, N_EVAL)
    fid = frechet_distance(*feature_statistics(classifier_features(images, classifier)), *ref_stats)
    report = sample_report(classifier, images)
    low = min(range(len(history.loss_D)), key=history.loss_D.__getitem__)
    return {"seed": seed, "steps": steps, "seconds": history.seconds, "fid": float(fid),
            "confident_share": report["confident_share"], "classes_covered": report["classes_covered"],
            "class_entropy": report["class_entropy"],
            "min_loss_D": history.loss_D[low], "min_loss_D_step": history.step[low],
            "max_loss_G": max(history.loss_G), "final_loss_D": history.loss_D[-1], "final_loss_G": history.loss_G[-1],
            "sample_steps": list(history.sample_steps), "D_real": list(history.D_real),
            "D_fake": list(history.D_fake)}


def span(values) -> str:
    return f"{min(values):.3g} to {max(values):.3g}"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", nargs="+", choices=sorted(SHORT_STEPS), default=sorted(SHORT_STEPS))
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default=None, help="also write every measurement to this JSON file")
    parser.add_argument("--grids", default=None, help="save each run's samples-over-training figure in this folder")
    args = parser.parse_args(argv)
    if len(args.seeds) < 1:
        parser.error("give at least one seed")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    grids = Path(args.grids) if args.grids else None
    if grids is not None:
        grids.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, device {device}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results: dict = {"seeds": args.seeds, "demo": {}, "short": {}, "floor": {}}

    print(f"\nSection 5, {DEMO_STEPS} steps of train_step: D(x) and D(G(z)) at steps 0, 10, 20, {DEMO_STEPS - 1}")
    for seed in args.seeds:
        outs = results["demo"][seed] = demo_run(seed)
        shown = [0, 10, 20, DEMO_STEPS - 1]
        print(f"  seed {seed}: D(x) " + " ".join(f"{outs[i]['D_real']:.3f}" for i in shown)
              + " | D(G(z)) " + " ".join(f"{outs[i]['D_fake']:.3f}" for i in shown)
              + f" | max D(G(z)) {max(o['D_fake'] for o in outs):.3f}, last gap D(x) - D(G(z)) "
              f"{outs[-1]['D_real'] - outs[-1]['D_fake']:+.3f}", flush=True)

    for name in args.data:
        classifier = load_classifier(name, device)
        test = load_images(name, train=False).images[:N_EVAL]
        train = load_images(name, train=True).images[:N_EVAL]
        ref_stats = feature_statistics(classifier_features(test, classifier))
        floor = float(frechet_distance(*feature_statistics(classifier_features(train, classifier)), *ref_stats))
        results["floor"][name] = floor
        print(f"\n{name}: short run of {SHORT_STEPS[name]} steps; real-vs-real floor (1,000 train vs 1,000 test) "
              f"FID {floor:.1f}")
        print(f"{'seed':>4s} {'FID':>7s} {'×floor':>6s} {'confident':>9s} {'classes':>7s} {'entropy':>7s} "
              f"{'min loss_D (step)':>17s} {'max loss_G':>10s} {'s':>5s}  D(x) / D(G(z)) at the sample points")
        rows = results["short"][name] = []
        for seed in args.seeds:
            start = time.perf_counter()
            r = short_run(name, seed, classifier, ref_stats, device, grids)
            rows.append(r)
            points = " ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(r["D_real"], r["D_fake"]))
            print(f"{seed:4d} {r['fid']:7.1f} {r['fid'] / floor:6.1f} {r['confident_share']:9.1%} "
                  f"{r['classes_covered']:7d} {r['class_entropy']:7.2f} {r['min_loss_D']:9.3f} ({r['min_loss_D_step']:4d}) "
                  f"{r['max_loss_G']:10.2f} {time.perf_counter() - start:5.0f}  {points}", flush=True)
        print(f"range over seeds {args.seeds}: FID {span([r['fid'] for r in rows])} "
              f"({span([r['fid'] / floor for r in rows])} × the floor), confident "
              f"{span([100 * r['confident_share'] for r in rows])} %, classes ≥ 2 % "
              f"{span([r['classes_covered'] for r in rows])}, class entropy {span([r['class_entropy'] for r in rows])}")

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return results


if __name__ == "__main__":
    main()

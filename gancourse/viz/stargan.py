"""Notebook 06's pictures: a StarGAN's translation grid (test images × target domains), its training curves, and
a table of ``gancourse.metrics.stargan.stargan_report`` results."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from gancourse import _checks
from gancourse.viz.plots import _smooth, grid_image


def show_stargan_grid(sources: torch.Tensor, translations: torch.Tensor, target_names: list[str],
                      title: str | None = None, marks: torch.Tensor | None = None, size: float = 0.8):
    """Rows of test images: the source (first column), then its translation to each target (one column each).

    sources: (n, 1, H, W); translations: (n, T, 1, H, W) in [-1, 1]; target_names: T column titles; marks: an
    optional (n, T) bool tensor, True where a translation is judged wrong (drawn with a red frame). Returns the
    figure."""
    _checks.tensor("sources", sources, ndim=4)
    _checks.tensor("translations", translations, ndim=5)
    n, T = translations.shape[:2]
    if sources.shape[0] != n or sources.shape[1:] != translations.shape[2:]:
        raise ValueError(f"sources (n, C, H, W) and translations (n, T, C, H, W) must describe the same n images, "
                         f"got {tuple(sources.shape)} and {tuple(translations.shape)}")
    names = _checks.names("target_names", target_names, count=T)
    title = _checks.text("title", title, optional=True)
    _checks.positive_float("size", size)
    if marks is not None:
        _checks.tensor("marks", marks, ndim=2, floating=False)
        if tuple(marks.shape) != (n, T):
            raise ValueError(f"marks must have shape ({n}, {T}), got {tuple(marks.shape)}")
    fig, axes = plt.subplots(n, T + 1, figsize=(size * (T + 1) + 0.6, size * n + 0.9), squeeze=False)
    for i in range(n):
        for j in range(T + 1):
            ax = axes[i][j]
            image = sources[i] if j == 0 else translations[i, j - 1]
            ax.imshow(grid_image(image[None].float().cpu(), nrow=1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            wrong = marks is not None and j > 0 and bool(marks[i, j - 1])
            for spine in ax.spines.values():
                spine.set_edgecolor("red" if wrong else "white")
                spine.set_linewidth(2.5 if wrong else 0.5)
            if i == 0:
                ax.set_title("source" if j == 0 else names[j - 1].replace(" + ", "\n+ "), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_stargan_training(history, smooth: int | None = None, title: str = "StarGAN"):
    """Three panels from a ``train_stargan`` history: the adversarial terms (D's and G's), the classification
    terms, and the reconstruction error with D's and G's attribute accuracies at the sample points."""
    logs = getattr(history, "logs", None)
    if not isinstance(logs, dict) or "D_adv" not in logs:
        raise TypeError("history must be the History that train_stargan returns (it logs D_adv, D_cls, G_adv, ...)")
    if smooth is not None:
        _checks.positive_int("smooth", smooth)
    title = _checks.text("title", title)
    steps = np.asarray(history.step)
    window = smooth or max(1, len(steps) // 50)
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))

    def curve(ax, name, label):
        values = np.asarray(logs.get(name, []), dtype=float)
        keep = ~np.isnan(values)
        if keep.any():
            smoothed = _smooth(values[keep], window)                  # a moving average drops window - 1 points
            ax.plot(steps[keep][len(steps[keep]) - len(smoothed):], smoothed, label=label)

    curve(axes[0], "D_adv", "D: adversarial"), curve(axes[0], "G_adv", "G: adversarial")
    axes[0].set_title("adversarial terms")
    curve(axes[1], "D_cls", "D: classifies real images"), curve(axes[1], "G_cls", "G: its translations classified")
    axes[1].set_title("domain classification (summed BCE)")
    curve(axes[2], "rec", "reconstruction |G(G(x, c), c') - x|")
    axes[2].set_title("reconstruction and accuracies")
    if history.sample_steps and "D_acc" in history.points:
        twin = axes[2].twinx()
        twin.plot(history.sample_steps, history.points["D_acc"], "o--", color="tab:green", label="D's accuracy, real")
        twin.plot(history.sample_steps, history.points["G_acc"], "s--", color="tab:red", label="D's accuracy, G(x, c)")
        twin.set_ylim(0, 1.05)
        twin.legend(fontsize=7, loc="center right")
    for ax in axes:
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.suptitle(f"{title}: {history.steps_done} steps, {history.seconds:.0f} s of training", fontsize=10)
    fig.tight_layout()
    return fig


def stargan_table(reports: dict[str, dict]) -> str:
    """A text table, one row per named ``stargan_report``: attributes right (all at once, changed, untouched),
    content kept (and the classifier's ceiling), reconstruction and exact-answer errors."""
    if not isinstance(reports, dict) or not reports:
        raise TypeError("reports must be a non-empty dict {name: stargan_report(...)}")
    width = max(len(name) for name in reports) + 2
    header = (f"{'':{width}}{'all attrs':>10}{'changed':>9}{'untouched':>10}{'content':>9}{'ceiling':>9}"
              f"{'rec err':>9}{'exact err':>10}")
    lines = [header, "-" * len(header)]
    for name, r in reports.items():
        missing = [k for k in ("all", "changed", "untouched", "content_kept", "content_ceiling",
                               "reconstruction_error", "exact_error") if k not in r]
        if missing:
            raise ValueError(f"reports[{name!r}] is not a stargan_report: it lacks {missing}")
        pct = lambda v: "   n/a" if math.isnan(v) else f"{v:6.1%}"                           # noqa: E731
        lines.append(f"{name:{width}}{pct(r['all']):>10}{pct(r['changed']):>9}{pct(r['untouched']):>10}"
                     f"{pct(r['content_kept']):>9}{pct(r['content_ceiling']):>9}"
                     f"{r['reconstruction_error']:9.3f}{r['exact_error']:10.3f}")
    return "\n".join(lines)

"""Pictures: sample grids (torchvision's make_grid drawn with matplotlib), loss curves, samples over training,
class counts, the class grid and class accuracy of a conditional generator, and latent interpolations."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torchvision.utils import make_grid

from gancourse import _checks
from gancourse.sampling import METHODS, interpolate_images


def grid_image(images: torch.Tensor, nrow: int = 8, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Tile a batch (B, C, H, W) into one (H', W', 3) array in [0, 1], ready for ``imshow``."""
    _checks.tensor("images", images, ndim=4)
    if images.shape[0] == 0:
        raise ValueError("images is empty: expected at least one image")
    if images.shape[1] not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels, got shape {tuple(images.shape)}")
    _checks.positive_int("nrow", nrow)
    if value_range is not None:
        value_range = _checks.interval("value_range", value_range)
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, normalize=True, value_range=value_range, pad_value=1.0)
    return grid.permute(1, 2, 0).clamp(0, 1).numpy()


def show_grid(images: torch.Tensor, nrow: int = 8, title: str | None = None, ax=None,
              value_range: tuple[float, float] = (-1.0, 1.0), size: float = 4.0):
    """Draw a batch of images as a grid; returns the matplotlib Axes."""
    _checks.text("title", title, optional=True)
    _checks.axes("ax", ax)
    _checks.positive_float("size", size)
    array = grid_image(images, nrow=nrow, value_range=value_range)
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size * array.shape[0] / array.shape[1]))
    ax.imshow(array, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def plot_losses(history, ax=None, smooth: int | None = None, title: str = "GAN losses", d_terms: int = 2):
    """Plot ``loss_D`` and ``loss_G`` per step (raw, faint) with a moving average (bold), and the level of
    ``loss_D`` when D answers 1/2 everywhere: ``d_terms`` log 2 for a discriminator loss that sums ``d_terms``
    cross-entropy terms (2: real and fake; 3 with the conditional GAN's mismatched pairs). Returns the Axes."""
    steps = np.asarray(getattr(history, "step", []))
    if steps.size == 0:
        raise ValueError("history has no steps to plot: train first")
    _checks.axes("ax", ax)
    if smooth is not None:
        _checks.positive_int("smooth", smooth)
    title = _checks.text("title", title, optional=True) or ""
    _checks.positive_int("d_terms", d_terms)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    window = smooth if smooth is not None else max(1, len(steps) // 50)
    for key, colour in (("loss_D", "tab:blue"), ("loss_G", "tab:orange")):
        values = np.asarray(getattr(history, key))
        ax.plot(steps, values, color=colour, alpha=0.25, linewidth=0.8)
        smoothed = _smooth(values, window)
        ax.plot(steps[len(steps) - len(smoothed):], smoothed, color=colour, linewidth=2, label=key)
    ax.axhline(d_terms * np.log(2), color="grey", linestyle=":", linewidth=1,
               label=f"loss_D at D = 1/2 ({d_terms} log 2)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def evenly_spaced_points(steps, max_points: int) -> list[int]:
    """Indices of at most ``max_points`` of the sample points at ``steps`` (increasing), the first and the last
    included, chosen nearest to evenly spaced steps, each point at most once."""
    _checks.positive_int("max_points", max_points)
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__len__"):
        raise TypeError(f"steps must be a list of sample-point steps, got {type(steps).__name__}")
    try:
        steps = np.asarray(steps, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("steps must be a list of numbers (the sample points' steps)") from None
    if steps.ndim != 1 or steps.size == 0 or not np.isfinite(steps).all():
        raise ValueError("steps must be a non-empty list of finite sample-point steps")
    targets = np.linspace(steps[0], steps[-1], min(max_points, steps.size))
    chosen: list[int] = []
    for target in targets:
        free = [i for i in range(steps.size) if i not in chosen]
        chosen.append(min(free, key=lambda i: (abs(steps[i] - target), i)))
    return sorted(chosen)


def plot_samples_over_training(history, n_show: int = 8, max_points: int = 6):
    """One row of ``n_show`` fixed-noise samples for up to ``max_points`` sample points, from the first (step 0: the
    untrained model) to the last, at steps as evenly spaced as the sample points allow. Returns the Figure."""
    if not isinstance(getattr(history, "samples", None), list) or not history.samples:
        raise ValueError("history has no samples: expected the History of a training run with sample points")
    _checks.positive_int("n_show", n_show)
    _checks.positive_int("max_points", max_points)
    idx = evenly_spaced_points(history.sample_steps, max_points)
    fig, axes = plt.subplots(len(idx), 1, figsize=(n_show * 0.9, len(idx) * 1.0), squeeze=False)
    for ax, i in zip(axes[:, 0], idx):
        show_grid(history.samples[i][:n_show], nrow=n_show, ax=ax)
        ax.set_title(f"step {history.sample_steps[i]}", fontsize="small", loc="left")
    fig.tight_layout()
    return fig


def plot_training(history, title: str = "", d_terms: int = 2):
    """Two panels: the losses per step, and the discriminator's mean outputs D(x) and D(G(z)) at the sample points.

    In a balanced game both D outputs move towards 1/2; D(x) near 1 with D(G(z)) near 0 means D is winning.
    ``d_terms`` is passed to ``plot_losses`` (3 for the conditional GAN's loss with mismatched pairs).
    Returns the Figure.
    """
    if not getattr(history, "sample_steps", None):
        raise ValueError("history has no sample points to plot: train first")
    title = _checks.text("title", title, optional=True) or ""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    plot_losses(history, ax=left, title=f"{title} losses".strip(), d_terms=d_terms)
    right.plot(history.sample_steps, history.D_real, "o-", label="D(x), real batch")
    right.plot(history.sample_steps, history.D_fake, "s-", label="D(G(z)), fixed noise")
    right.axhline(0.5, color="grey", linestyle=":", linewidth=1, label="1/2: D cannot tell")
    right.set_ylim(-0.02, 1.02)
    right.set_xlabel("step")
    right.set_ylabel("mean probability of 'real'")
    right.set_title(f"{title} discriminator outputs".strip())
    right.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def plot_class_counts(reports: dict, class_names: list[str], title: str = "Predicted classes of the samples"):
    """Bar chart of ``sample_report(...)["class_counts"]`` for several sources side by side. Returns the Axes."""
    if not isinstance(reports, dict) or not reports:
        raise TypeError(f"reports must be a non-empty dict {{label: sample_report(...)}}, got {reports!r}")
    class_names = _checks.names("class_names", class_names)
    title = _checks.text("title", title, optional=True) or ""
    shares = {}
    for label, report in reports.items():
        if not isinstance(report, dict) or "class_counts" not in report:
            raise ValueError(f"reports[{label!r}] must be a dict from sample_report(...) with class_counts")
        counts = np.asarray(report["class_counts"], dtype=float)
        if counts.size != len(class_names):
            raise ValueError(f"reports[{label!r}] has {counts.size} classes, but class_names has {len(class_names)}")
        shares[label] = counts / counts.sum()
    _, ax = plt.subplots(figsize=(9, 3))
    width = 0.8 / len(reports)
    positions = np.arange(len(class_names))
    for i, (label, share) in enumerate(shares.items()):
        ax.bar(positions + (i - (len(reports) - 1) / 2) * width, share, width, label=label)
    ax.set_xticks(positions, class_names, rotation=30 if max(map(len, class_names)) > 2 else 0, ha="right")
    ax.set_xlabel("class predicted by the classifier")
    ax.set_ylabel("share of samples")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)   # beside the bars
    return ax


def show_class_grid(images: torch.Tensor, class_names: list[str], title: str | None = None, ax=None, size: float = 6.0):
    """Draw (K * n_columns, C, H, W) images as a grid with one row per class, each row named. Returns the Axes."""
    _checks.tensor("images", images, ndim=4)
    k = len(_checks.names("class_names", class_names))
    if images.shape[0] % k:
        raise ValueError(f"images must hold the same number of images for each of the {k} classes, "
                         f"got {images.shape[0]} images")
    n_columns = images.shape[0] // k
    ax = show_grid(images, nrow=n_columns, title=title, ax=ax, size=size)
    height = ax.get_images()[0].get_array().shape[0]
    for i, name in enumerate(class_names):
        ax.text(-4, (i + 0.5) * height / k, name, ha="right", va="center", fontsize="small")
    return ax


def plot_class_accuracy(history=None, per_class: torch.Tensor | None = None, class_names: list[str] | None = None,
                        title: str = ""):
    """Class accuracy during training (``history.accuracy`` at each sample point, against training seconds) and/or per class. Returns the Figure."""
    panels = [p for p in (history, per_class) if p is not None]
    if not panels:
        raise ValueError("give a history with measured accuracies, a per-class accuracy tensor, or both")
    if history is not None and "accuracy" not in getattr(history, "points", {}):
        raise ValueError("history has no measured class accuracy: train with classifier=...")
    if per_class is not None:
        _checks.tensor("per_class", per_class, ndim=1)
        if per_class.numel() == 0:
            raise ValueError("per_class is empty: expected one accuracy per class")
    if class_names is not None:
        _checks.names("class_names", class_names, count=len(per_class) if per_class is not None else None)
    title = _checks.text("title", title, optional=True) or ""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.2), squeeze=False)
    axes = list(axes[0])
    if history is not None:
        ax = axes.pop(0)
        ax.plot(history.point_seconds, history.points["accuracy"], "o-", label="class accuracy")
        for level, style in ((0.9, ":"), (0.95, "--")):
            ax.axhline(level, color="grey", linestyle=style, linewidth=1, label=f"{level:.0%}")
        ax.set_xlabel("training seconds")
        ax.set_ylabel("share classified as requested")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{title} class accuracy during training".strip())
        ax.legend(loc="lower right", fontsize="small")
    if per_class is not None:
        names = class_names if class_names is not None else [str(i) for i in range(len(per_class))]
        ax = axes.pop(0)
        ax.bar(range(len(names)), [float(a) for a in per_class], color="tab:green")
        ax.set_xticks(range(len(names)), names, rotation=30 if max(map(len, names)) > 2 else 0, ha="right")
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("class accuracy")
        ax.set_title(f"{title} accuracy per requested class".strip())
    fig.tight_layout()
    return fig


def plot_interpolation(generator: nn.Module, z0: torch.Tensor, z1: torch.Tensor, steps: int = 10,
                       methods: tuple[str, ...] = ("linear", "spherical"), size: float = 1.0):
    """One panel per method; each row walks from G(z0[i]) (left) to G(z1[i]) (right). Returns the Figure."""
    _checks.module("generator", generator)
    _checks.tensor("z0", z0, ndim=(1, 2))
    _checks.positive_int("steps", steps)
    if (not isinstance(methods, (tuple, list)) or not methods
            or not all(isinstance(m, str) and m in METHODS for m in methods)):
        raise ValueError(f"methods must be a non-empty tuple of method names from {sorted(METHODS)}, got {methods!r}")
    _checks.positive_float("size", size)
    paths = [(method, interpolate_images(generator, z0, z1, steps=steps, method=method)) for method in methods]
    rows = 1 if z0.ndim == 1 else z0.shape[0]
    fig, axes = plt.subplots(1, len(methods), figsize=(len(methods) * steps * size * 0.8, rows * size + 0.5),
                             squeeze=False)
    for ax, (method, images) in zip(axes[0], paths):
        show_grid(images, nrow=steps, ax=ax, title=f"{method} interpolation")
    fig.tight_layout()
    return fig

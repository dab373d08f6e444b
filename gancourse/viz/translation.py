"""Pictures and tables of an image-to-image translation (notebook 05, CycleGAN).

* ``show_translation`` — rows of images (e.g. x, G(x), F(G(x))), each image titled with what a classifier reads;
* ``plot_translation_samples`` — the fixed test images of a ``train_cyclegan`` run at its sample points;
* ``plot_cyclegan_training`` — the generators' loss terms, the discriminators' losses and the cycle errors;
* ``translation_table`` — ``translation_report``s of several translators as one text table, one row per
  translator and direction.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from gancourse import _checks
from gancourse.metrics.classifier import predict
from gancourse.viz.plots import _smooth, evenly_spaced_points, show_grid


def show_translation(rows: dict[str, torch.Tensor], classifier: nn.Module | None = None,
                     class_names: list[str] | None = None, title: str | None = None, size: float = 0.9):
    """One row per entry of ``rows`` ({row name: images (n, 1, 28, 28) in [-1, 1]}, every row n images), one column
    per image; with a ``classifier`` each image is titled with the class it predicts (``class_names[k]`` or k).
    Returns the Figure."""
    if not isinstance(rows, dict) or not rows:
        raise TypeError(f"rows must be a non-empty dict {{row name: images (n, 1, 28, 28)}}, got {type(rows).__name__}")
    counts = {name: _checks.tensor(f"rows[{name!r}]", images, ndim=4).shape[0] for name, images in rows.items()}
    if len(set(counts.values())) != 1 or 0 in counts.values():
        raise ValueError(f"every row must hold the same number n >= 1 of images, got {counts}")
    if classifier is not None:
        _checks.module("classifier", classifier)
    if class_names is not None:
        _checks.names("class_names", class_names)
        if classifier is None:
            raise ValueError("class_names names the classifier's classes: give a classifier with them")
    title = _checks.text("title", title, optional=True)
    _checks.positive_float("size", size)
    n = next(iter(counts.values()))
    fig, axes = plt.subplots(len(rows), n, figsize=(n * size, len(rows) * size * 1.25), squeeze=False)
    for r, (name, images) in enumerate(rows.items()):
        images = images.detach().float().cpu()
        predicted = None
        if classifier is not None:
            probabilities = predict(classifier, images)
            if class_names is not None and probabilities.shape[1] != len(class_names):
                raise ValueError(f"class_names must name each of the classifier's {probabilities.shape[1]} classes, "
                                 f"got {len(class_names)} names")
            predicted = probabilities.argmax(1).tolist()
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c, 0].numpy(), cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if predicted is not None:
                label = class_names[predicted[c]] if class_names else str(predicted[c])
                ax.set_title(label, fontsize="x-small", pad=2)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_translation_samples(history, n_show: int = 8, max_points: int = 4):
    """The fixed test images of a ``train_cyclegan`` run at up to ``max_points`` sample points: for each point two
    blocks, x → G(x) → F(G(x)) and y → F(y) → G(F(y)), ``n_show`` images per row. Returns the Figure."""
    samples = getattr(history, "samples", None)
    if not isinstance(samples, list) or not samples:
        raise ValueError("history has no samples: train with fixed_x and fixed_y and at least one sample point")
    _checks.positive_int("n_show", n_show)
    _checks.positive_int("max_points", max_points)
    idx = evenly_spaced_points(history.sample_steps, max_points)
    fig, axes = plt.subplots(len(idx), 2, figsize=(2 * n_show * 0.75, len(idx) * 2.4), squeeze=False)
    for row, i in enumerate(idx):
        rows = samples[i]
        n = rows.shape[0] // 6
        show = min(n, n_show)
        blocks = rows.view(6, n, *rows.shape[1:])[:, :show]
        for col, (start, name) in enumerate(((0, "x → G(x) → F(G(x))"), (3, "y → F(y) → G(F(y))"))):
            show_grid(blocks[start:start + 3].reshape(-1, *rows.shape[1:]), nrow=show, ax=axes[row, col])
            axes[row, col].set_title(f"step {history.sample_steps[i]}: {name}", fontsize="small", loc="left")
    fig.tight_layout()
    return fig


def plot_cyclegan_training(history, smooth: int | None = None, title: str = "CycleGAN"):
    """Three panels: G's and F's adversarial terms with the discriminators' losses; the cycle and identity terms
    (unweighted); the cycle error on the latest training batch at each sample point. Returns the Figure."""
    for name in ("gan_G", "gan_F", "cycle", "identity", "loss_D_X", "loss_D_Y"):
        if name not in getattr(history, "logs", {}):
            raise ValueError(f"history has no {name!r}: expected the History of train_cyclegan")
    title = _checks.text("title", title, optional=True) or ""
    steps = np.asarray(history.step)
    if steps.size == 0:
        raise ValueError("history has no steps: train first")
    window = smooth if smooth is not None else max(1, steps.size // 50)
    _checks.positive_int("smooth", window)

    def line(ax, name, label, **style):
        values = _smooth(np.asarray(history.logs[name], dtype=float), window)
        ax.plot(steps[:values.size] if values.size == steps.size else steps[-values.size:], values, label=label,
                **style)

    fig, (adv, rec, cyc) = plt.subplots(1, 3, figsize=(14, 3.5))
    line(adv, "gan_G", "G's adversarial term (D_Y)")
    line(adv, "gan_F", "F's adversarial term (D_X)")
    line(adv, "loss_D_Y", "D_Y's loss", linestyle="--")
    line(adv, "loss_D_X", "D_X's loss", linestyle="--")
    adv.set_title(f"{title}: adversarial terms (least squares)".strip(": "), fontsize="medium")
    line(rec, "cycle", "cycle term")
    if any(history.logs["identity"]):
        line(rec, "identity", "identity term")
    else:
        rec.plot([], [], " ", label="identity term: weight 0, not computed")
    rec.set_title("reconstruction terms (before weighting)", fontsize="medium")
    if getattr(history, "sample_steps", None) and "cycle_X" in history.points:
        cyc.plot(history.sample_steps, history.cycle_X, "o-", label="|F(G(x)) - x| per pixel")
        cyc.plot(history.sample_steps, history.cycle_Y, "s-", label="|G(F(y)) - y| per pixel")
    cyc.set_title("cycle error at the sample points", fontsize="medium")
    for ax in (adv, rec, cyc):
        ax.set_xlabel("step")
        ax.legend(fontsize="x-small", loc="best")
    fig.tight_layout()
    return fig


_COLUMNS = (("content_kept", "content kept", "{:.1%}"), ("domain_reached", "domain reached", "{:.1%}"),
            ("cycle_error", "cycle error", "{:.3f}"), ("fd", "FD", "{:.1f}"), ("fd_floor", "FD floor", "{:.1f}"))


def translation_table(reports: dict[str, dict]) -> str:
    """``{translator name: translation_report(...)}`` as a text table: one row per translator and direction
    (x → y, y → x), columns content kept, domain reached, cycle error, FD and the real-vs-real FD floor."""
    if not isinstance(reports, dict) or not reports:
        raise TypeError(f"reports must be a non-empty dict {{name: translation_report}}, got {type(reports).__name__}")
    rows = []
    for name, report in reports.items():
        if not isinstance(report, dict) or not {"x_to_y", "y_to_x"} <= set(report):
            raise ValueError(f"reports[{name!r}] must be what translation_report returns (keys x_to_y, y_to_x)")
        for direction, arrow in (("x_to_y", "handwritten → printed"), ("y_to_x", "printed → handwritten")):
            cells = report[direction]
            rows.append([str(name), arrow] + [fmt.format(cells[key]) for key, _, fmt in _COLUMNS])
    header = ["translator", "direction"] + [label for _, label, _ in _COLUMNS]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)

"""Notebook 06's pictures and table: what they draw and print, not only that they run."""
import math

import matplotlib
import numpy as np
import pytest
import torch

from gancourse.data.attributes import ALL_COMBINATIONS, combination_name
from gancourse.models.stargan import StarGANConfig
from gancourse.training.stargan import train_stargan
from gancourse.viz.stargan import plot_stargan_training, show_stargan_grid, stargan_table

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
NAMES = [combination_name(c) for c in ALL_COMBINATIONS]


def test_the_grid_has_a_source_column_then_one_column_per_target_and_frames_the_marked_cells_in_red():
    sources = torch.full((2, 1, 28, 28), -1.0)
    translations = torch.full((2, 8, 1, 28, 28), 1.0)
    marks = torch.zeros(2, 8, dtype=torch.bool)
    marks[1, 3] = True
    fig = show_stargan_grid(sources, translations, NAMES, marks=marks, title="t")
    axes = fig.axes
    assert len(axes) == 2 * 9
    assert axes[0].get_title() == "source" and axes[1].get_title() == "plain"
    assert axes[8].get_title() == "small\n+ thick\n+ inverted"
    red = [i for i, ax in enumerate(axes) if ax.spines["left"].get_edgecolor()[:3] == (1.0, 0.0, 0.0)]
    assert red == [9 + 1 + 3]                                   # row 1, the fourth target
    assert np.asarray(axes[0].images[0].get_array()).max() == 0.0 and np.asarray(axes[1].images[0].get_array()).min() == 1.0
    with pytest.raises(ValueError, match="same n images"):
        show_stargan_grid(sources[:1], translations, NAMES)
    with pytest.raises(ValueError, match="marks must have shape"):
        show_stargan_grid(sources, translations, NAMES, marks=marks[:, :2])


def test_the_training_plot_draws_the_logged_terms_of_a_real_run():
    G, D = StarGANConfig(width=2, n_blocks=0, d_width=2).models()
    data = [(torch.rand(4, 1, 28, 28) * 2 - 1, torch.randint(0, 2, (4, 3)).float()) for _ in range(3)]
    history = train_stargan(G, D, data, steps=6, n_critic=2, adversarial="lsgan", sample_every=3, progress=False)
    fig = plot_stargan_training(history)
    labels = [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    assert {"D: adversarial", "G: adversarial", "D: classifies real images", "G: its translations classified",
            "D's accuracy, real", "D's accuracy, G(x, c)"} <= set(labels)
    g_line = next(line for ax in fig.axes for line in ax.get_lines() if line.get_label() == "G: adversarial")
    assert len(g_line.get_xdata()) == 3                          # G updated on steps 2, 4, 6 only
    with pytest.raises(TypeError, match="train_stargan"):
        plot_stargan_training(object())


def test_the_table_prints_one_row_per_report_with_its_shares():
    report = {"all": 0.5, "changed": 0.25, "untouched": 1.0, "content_kept": 0.9, "content_ceiling": 0.95,
              "reconstruction_error": 0.1, "exact_error": 0.2}
    text = stargan_table({"identity map": {**report, "changed": math.nan}, "yours": report})
    lines = text.splitlines()
    assert len(lines) == 4 and "content" in lines[0]
    assert lines[2].startswith("identity map") and "n/a" in lines[2]
    assert "25.0%" in lines[3] and "90.0%" in lines[3] and "0.100" in lines[3]
    with pytest.raises(ValueError, match="lacks"):
        stargan_table({"x": {"all": 0.5}})
    with pytest.raises(TypeError, match="non-empty dict"):
        stargan_table({})


def test_the_training_plot_smooths_a_long_run_without_losing_the_step_axis():
    from gancourse.training.history import History
    history = History()
    for step in range(1, 301):
        history._record_step(step, {"D_adv": 0.2, "D_cls": 1.0, **({"G_adv": 0.3, "G_cls": 0.5, "rec": 0.1}
                                                                    if step % 3 == 0 else {})}, 4)
    fig = plot_stargan_training(history)
    line = next(line for ax in fig.axes for line in ax.get_lines() if line.get_label() == "D: adversarial")
    assert len(line.get_xdata()) == len(line.get_ydata()) == 300 - 6 + 1 and line.get_xdata()[-1] == 300
    g_line = next(line for ax in fig.axes for line in ax.get_lines() if line.get_label() == "G: adversarial")
    assert len(g_line.get_xdata()) == 100 - 6 + 1 and np.allclose(g_line.get_ydata(), 0.3)

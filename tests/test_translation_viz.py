"""Notebook 05's pictures and table of a translation: what they draw and print, not only that they run."""
import matplotlib
import pytest
import torch
from torch import nn

from gancourse.metrics.classifier import SmallClassifier
from gancourse.metrics.translation import translation_report
from gancourse.training.cyclegan import train_cyclegan
from gancourse.models.cyclegan import PatchDiscriminator, ResnetGenerator
from gancourse.viz.translation import (plot_cyclegan_training, plot_translation_samples, show_translation,
                                       translation_table)

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Reads(nn.Module):
    """A stand-in classifier that reads every image as class ``k``."""

    def __init__(self, k, n=10):
        super().__init__()
        self.k, self.n, self.w = k, n, nn.Parameter(torch.zeros(()))

    def features(self, x):
        return x.flatten(1)[:, :16]

    def forward(self, x):
        out = torch.zeros(x.shape[0], self.n) + self.w
        out[:, self.k] = 5.0
        return out


def test_show_translation_draws_one_row_per_entry_titled_with_the_reading():
    rows = {"x": torch.rand(3, 1, 28, 28) * 2 - 1, "G(x)": torch.zeros(3, 1, 28, 28)}
    fig = show_translation(rows, classifier=Reads(7), class_names=[f"digit {k}" for k in range(10)], title="t")
    axes = fig.axes
    assert len(axes) == 6
    assert {ax.get_title() for ax in axes} == {"digit 7"}
    assert [axes[0].get_ylabel(), axes[3].get_ylabel()] == ["x", "G(x)"]
    with pytest.raises(ValueError, match="same number"):
        show_translation({"x": torch.zeros(3, 1, 28, 28), "y": torch.zeros(2, 1, 28, 28)})
    with pytest.raises(ValueError, match="each of the classifier's 10 classes"):
        show_translation(rows, classifier=Reads(1), class_names=["a", "b"])


def test_translation_table_has_a_row_per_translator_and_direction_with_the_numbers():
    torch.manual_seed(0)
    x, y = torch.rand(8, 1, 28, 28) * 2 - 1, torch.rand(8, 1, 28, 28) * 2 - 1
    labels = torch.tensor([3] * 4 + [5] * 4)
    report = translation_report(nn.Identity(), nn.Identity(), x, labels, y, labels,
                                classifiers=(Reads(3), Reads(0, n=2)))
    table = translation_table({"identity": report, "again": report}).splitlines()
    assert table[0].split()[:3] == ["translator", "direction", "content"]
    assert len(table) == 2 + 4
    first = table[2]
    assert first.startswith("identity") and "handwritten → printed" in first
    assert "50.0%" in first and "0.0%" in first      # half the labels are 3; the domain reader says handwritten
    assert "printed → handwritten" in table[3] and "100.0%" in table[3]
    with pytest.raises(ValueError, match="x_to_y"):
        translation_table({"bad": {"x_to_y": {}}})


def test_the_training_pictures_read_a_cyclegan_history():
    torch.manual_seed(0)
    G, F = ResnetGenerator(1, 2, 1), ResnetGenerator(1, 2, 1)
    D_X, D_Y = PatchDiscriminator(1, 2, 1), PatchDiscriminator(1, 2, 1)
    batch = (torch.rand(2, 1, 28, 28) * 2 - 1, torch.rand(2, 1, 28, 28) * 2 - 1)
    history = train_cyclegan(G, F, D_X, D_Y, [batch], steps=3, device="cpu", progress=False,
                             fixed_x=batch[0], fixed_y=batch[1], sample_every=1)
    fig = plot_translation_samples(history, n_show=2, max_points=2)
    assert [ax.get_title(loc="left") for ax in fig.axes][:2] == ["step 0: x → G(x) → F(G(x))",
                                                                 "step 0: y → F(y) → G(F(y))"]
    fig = plot_cyclegan_training(history, smooth=1)
    assert len(fig.axes) == 3 and len(fig.axes[2].lines) == 2
    with pytest.raises(ValueError, match="train_cyclegan"):
        plot_cyclegan_training(type("H", (), {"logs": {}})())

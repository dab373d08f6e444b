"""An ipywidgets control for a conditional generator to pick the class and move through latent space.

``class_explorer(G, class_names)`` shows three controls and a picture:

* **class** — which class G is asked for (its one-hot label);
* **noise** — which noise vector z: seed s draws z_s ~ N(0, I);
* **walk** — a position on the great circle from z_s to z_{s+1} (``gancourse.sampling.slerp``), so that
  moving the slider changes the *style* of the image continuously while the label keeps its *class*.

The picture shows the chosen class large, and beside it the same z under every label: one noise vector, one
handwriting style, all ten classes. ``ClassExplorer.images`` computes what the widget draws, without a display.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from torch import nn

from gancourse import _checks
from gancourse.sampling import evaluating, slerp
from gancourse.viz.plots import show_grid


class ClassExplorer:
    """Images of a conditional generator ``G(z, labels)`` for a chosen class, noise seed and walk position."""

    def __init__(self, generator: nn.Module, class_names: list[str], walk_steps: int = 16):
        if not isinstance(generator, nn.Module):
            raise TypeError(f"generator must be a torch.nn.Module, got {type(generator).__name__}")
        for attr in ("latent_dim", "n_classes"):
            if not isinstance(getattr(generator, attr, None), int):
                raise ValueError(f"generator needs an integer {attr} attribute, as ConditionalGenerator has")
        if not isinstance(class_names, (list, tuple)) or len(class_names) != generator.n_classes:
            raise ValueError(f"class_names must be a list of {generator.n_classes} names, one per class, "
                             f"got {class_names!r}")
        _checks.positive_int("walk_steps", walk_steps)
        if walk_steps < 2:
            raise ValueError(f"walk_steps must be at least 2, got {walk_steps}")
        self.generator, self.class_names, self.walk_steps = generator, list(class_names), walk_steps
        self._paths: dict[int, torch.Tensor] = {}

    def noise(self, seed: int, position: int = 0) -> torch.Tensor:
        """The noise vector (1, latent_dim) at ``position`` of the walk from z_seed to z_{seed+1}."""
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < self.walk_steps:
            raise ValueError(f"position must be an integer in [0, {self.walk_steps - 1}], got {position!r}")
        if seed not in self._paths:
            d = self.generator.latent_dim
            z0 = torch.randn(d, generator=torch.Generator().manual_seed(seed))
            z1 = torch.randn(d, generator=torch.Generator().manual_seed(seed + 1))
            self._paths[seed] = slerp(z0, z1, self.walk_steps)            # (walk_steps, d)
        return self._paths[seed][position:position + 1]                   # (1, d)

    def images(self, label: int, seed: int = 0, position: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """(the chosen class, (1, C, H, W); every class for the same z, (n_classes, C, H, W)), on the CPU."""
        k = self.generator.n_classes
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < k:
            raise ValueError(f"label must be a class index in [0, {k - 1}], got {label!r}")
        device = next(self.generator.parameters()).device
        z = self.noise(seed, position).to(device).repeat(k, 1)          # (K, d): one z for every class
        with evaluating(self.generator):
            row = self.generator(z, torch.arange(k, device=device)).cpu()   # (K, C, H, W)
        return row[label:label + 1], row

    def draw(self, label: int, seed: int = 0, position: int = 0):
        """Draw the picture the widget shows; returns the matplotlib Figure."""
        chosen, row = self.images(label, seed, position)
        fig = plt.figure(figsize=(10, 2.6))
        big, strip = fig.add_axes((0.0, 0.02, 0.22, 0.86)), fig.add_axes((0.25, 0.3, 0.74, 0.4))
        show_grid(chosen, nrow=1, ax=big, title=f"class {self.class_names[label]!r}")
        show_grid(row, nrow=row.shape[0], ax=strip, title="the same z under every label: " + ", ".join(self.class_names))
        strip.title.set_fontsize("small")
        return fig

    def widget(self):
        """The ipywidgets control: class buttons, a noise seed slider and a walk slider above the picture."""
        import ipywidgets as widgets
        from IPython.display import display

        label = widgets.ToggleButtons(options=[(name, i) for i, name in enumerate(self.class_names)], value=0,
                                      description="class", style={"button_width": "auto"})
        seed = widgets.IntSlider(value=0, min=0, max=99, description="noise seed", continuous_update=False)
        walk = widgets.IntSlider(value=0, min=0, max=self.walk_steps - 1, description="walk z→z'",
                                 continuous_update=True)
        def redraw(label: int, seed: int, walk: int) -> None:
            fig = self.draw(label, seed, walk)
            display(fig)
            plt.close(fig)

        out = widgets.interactive_output(redraw, {"label": label, "seed": seed, "walk": walk})
        return widgets.VBox([label, widgets.HBox([seed, walk]), out])


def class_explorer(generator: nn.Module, class_names: list[str], walk_steps: int = 16):
    """An ipywidgets control to pick a class and move through G's latent space (see the module docstring)."""
    return ClassExplorer(generator, class_names, walk_steps).widget()

"""An ipywidgets explorer of the 1-D min-max game (notebook 02).

``MinMaxExplorer``: move the generator's density p_g = N(mean, std²) with two sliders and watch
the optimal discriminator D* = p_data / (p_data + p_g), the value C(G) = V(D*, G) and the Jensen–Shannon
divergence change. The numbers come from ``explorer.state(mean, std)`` and the picture from
``explorer.figure(mean, std)``, so both work (and are tested) without a browser; ``explorer.widget()`` wires
them to sliders for JupyterLab.
"""
from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from gancourse import _checks, theory
from gancourse.data.toy import Gaussian

LOG4 = math.log(4.0)


class MinMaxExplorer:
    """Explore the min-max game for a fixed ``p_data`` and a Gaussian generator p_g = N(mean, std²) on a grid ``x``."""

    def __init__(self, p_data, x: torch.Tensor, mean: float = 0.0, std: float = 1.0,
                 mean_range: tuple[float, float] | None = None, std_range: tuple[float, float] = (0.1, 2.0)):
        if not hasattr(p_data, "pdf"):
            raise TypeError(f"p_data must be a density with a pdf(x) method, got {type(p_data).__name__}")
        self.x = theory.check_grid(x).double()
        self.p_data, self.density = p_data, p_data.pdf(self.x)
        lo, hi = float(self.x[0]), float(self.x[-1])
        self.mean_range = _checks.interval("mean_range", mean_range) if mean_range is not None else (lo, hi)
        self.std_range = _checks.interval("std_range", std_range)
        if not self.std_range[0] > 0:
            raise ValueError(f"std_range must be positive, got {self.std_range}")
        self.mean, self.std = self._check(mean, std)

    def _check(self, mean: float, std: float) -> tuple[float, float]:
        (m0, m1), (s0, s1) = self.mean_range, self.std_range
        if isinstance(mean, bool) or not isinstance(mean, (int, float)) or not m0 <= mean <= m1:
            raise ValueError(f"mean must be a number in {self.mean_range}, got {mean!r}")
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not s0 <= std <= s1:
            raise ValueError(f"std must be a number in {self.std_range}, got {std!r}")
        return float(mean), float(std)

    def state(self, mean: float | None = None, std: float | None = None) -> dict:
        """p_g, D*, C(G) = V(D*, G) by integration, JSD, and the gap |C(G) - (-log 4 + 2 JSD)| for N(mean, std²).

        ``spread`` is the average of |D* - 1/2| where the samples are, ∫ (p_data + p_g)/2 · |D* - 1/2| dx:
        1/2 when D* separates the two perfectly, 0 when it can only guess.

        The identity C(G) = -log 4 + 2 JSD holds for densities that integrate to 1; ``mass_g`` is p_g's integral
        over the grid, so a p_g that spills over the grid's ends shows up as a gap of about log 2 · (1 - mass_g).
        """
        mean, std = self._check(self.mean if mean is None else mean, self.std if std is None else std)
        p_g = Gaussian(mean, std).pdf(self.x)
        d_star = theory.optimal_discriminator(self.density, p_g)
        value = float(theory.virtual_training_criterion(self.density, p_g, self.x))
        jsd = float(theory.js_divergence(self.density, p_g, self.x))
        return {"mean": mean, "std": std, "p_g": p_g, "D_star": d_star, "V": value, "JSD": jsd,
                "gap": abs(value - (-LOG4 + 2 * jsd)), "mass_g": float(torch.trapezoid(p_g, self.x)),
                "spread": float(torch.trapezoid((self.density + p_g) / 2 * (d_star - 0.5).abs(), self.x))}

    def criterion_curve(self, std: float | None = None, points: int = 81) -> tuple[np.ndarray, np.ndarray]:
        """C(G) for p_g = N(m, std²) at ``points`` means m across ``mean_range``: (means, values)."""
        means = np.linspace(*self.mean_range, _checks.positive_int("points", points))
        values = [self.state(float(m), std)["V"] for m in means]
        return means, np.asarray(values)

    def figure(self, mean: float | None = None, std: float | None = None):
        """Left: p_data, p_g and D*. Right: C(G) as p_g's mean moves (its std fixed), with the floor -log 4."""
        s = self.state(mean, std)
        x = self.x.numpy()
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
        left.fill_between(x, self.density.numpy(), alpha=0.35, color="tab:blue", label=r"$p_\mathrm{data}$")
        left.fill_between(x, s["p_g"].numpy(), alpha=0.35, color="tab:orange", label=r"$p_g$")
        left.set_xlim(max(x[0], self.mean_range[0] - 1.5), min(x[-1], self.mean_range[1] + 1.5))
        left.set_xlabel("x")
        left.set_ylabel("density")
        twin = left.twinx()
        twin.plot(x, s["D_star"].numpy(), color="black", linewidth=2, label=r"$D^*(x)$")
        twin.axhline(0.5, color="grey", linestyle=":", linewidth=1)
        twin.set_ylim(-0.02, 1.02)
        twin.set_ylabel(r"$D^*(x)$")
        handles = left.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        left.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize="small")
        left.set_title(f"p_g = N({s['mean']:.2f}, {s['std']:.2f}²): V(D*, G) = {s['V']:.4f}, JSD = {s['JSD']:.4f}")
        means, values = self.criterion_curve(s["std"])
        right.plot(means, values, color="tab:purple", label=f"C(G) for std {s['std']:.2f}")
        right.plot([s["mean"]], [s["V"]], "o", color="tab:orange", label="current p_g")
        right.axhline(-LOG4, color="grey", linestyle="--", linewidth=1, label=r"$-\log 4$ (reached iff $p_g = p_\mathrm{data}$)")
        right.set_xlabel("mean of p_g")
        right.set_ylabel("C(G) = max_D V(D, G)")
        right.set_title("The generator's criterion as p_g moves")
        right.legend(loc="upper right", fontsize="small")
        fig.tight_layout()
        return fig

    def readout(self, s: dict) -> str:
        """One HTML line with the numbers of ``state``."""
        keys = ("V", "JSD", "gap", "spread", "mass_g")
        if not isinstance(s, dict) or not all(isinstance(s.get(k), float) for k in keys):
            raise TypeError(f"s must be the dict that state() returns (with {', '.join(keys)}), got {type(s).__name__}")
        return (f"<b>V(D*, G)</b> = {s['V']:.4f} &nbsp; <b>JSD</b> = {s['JSD']:.4f} &nbsp; "
                f"<b>−log 4 + 2·JSD</b> = {-LOG4 + 2 * s['JSD']:.4f} &nbsp; (difference {s['gap']:.1e}) &nbsp; "
                f"<b>average |D* − ½|</b> = {s['spread']:.3f} &nbsp; "
                f"(p_g's mass on the grid: {s['mass_g']:.5f})")

    def widget(self) -> widgets.VBox:
        """Sliders for p_g's mean and std, a line of numbers, and the live figure."""
        self.mean_slider = widgets.FloatSlider(value=self.mean, min=self.mean_range[0], max=self.mean_range[1],
                                               step=0.05, description="mean of p_g", continuous_update=False)
        self.std_slider = widgets.FloatSlider(value=self.std, min=self.std_range[0], max=self.std_range[1],
                                              step=0.05, description="std of p_g", continuous_update=False)
        self.html = widgets.HTML()
        self.output = widgets.Output()
        for slider in (self.mean_slider, self.std_slider):
            slider.observe(self._changed, names="value")
        self._redraw()
        return widgets.VBox([widgets.HBox([self.mean_slider, self.std_slider]), self.html, self.output])

    def _changed(self, _change) -> None:
        self.mean, self.std = self._check(self.mean_slider.value, self.std_slider.value)
        self._redraw()

    def _redraw(self) -> None:
        s = self.state()
        self.html.value = self.readout(s)
        with self.output:
            self.output.clear_output(wait=True)
            fig = self.figure()
            plt.show()
            plt.close(fig)

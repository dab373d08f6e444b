"""Bad-input cases of notebook 07's VAE side (the ELBO, saving and loading a VAE) and of the memorisation check,
for tests/bad_input_cases.py.

To hook in (tests/bad_input_cases.py, beside bad_input_rbm): ``import bad_input_vae``,
``REGISTRY.update(bad_input_vae.registry())`` and ``ALLOWED_ROWS += bad_input_vae.allowed_rows(_rows)`` before
``ALLOWED`` is built.
"""
from __future__ import annotations

from typing import Callable

import torch


def _rng():
    return torch.Generator().manual_seed(0)


def _binary_images(n=2, seed=0):
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) < 0.5).float() * 2 - 1


def _images(n=2, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def registry() -> dict[str, Callable]:
    from gancourse.metrics import memorisation as mm
    from gancourse.models import vae as mv
    from gancourse.training import vae as tv

    def vae():
        torch.manual_seed(0)
        return mv.VAE(latent_dim=2, hidden_dim=4)

    return {
        "gancourse.training.vae.elbo": lambda: (tv.elbo, dict(
            vae=vae(), images=_binary_images(3), samples=2, generator=_rng(), batch_size=2)),
        "gancourse.training.vae.save_vae": lambda: (tv.save_vae, dict(path="vae.pt", vae=vae(), info={"a": 1})),
        "gancourse.training.vae.load_vae": lambda: (tv.load_vae, dict(path_or_name="vae_mnist")),
        "gancourse.metrics.memorisation.nearest_neighbours": lambda: (mm.nearest_neighbours, dict(
            samples=_images(3), reference=_images(4, seed=1), chunk=2)),
        "gancourse.metrics.memorisation.memorisation_report": lambda: (mm.memorisation_report, dict(
            samples=_images(3), train=_images(4, seed=1), test=_images(5, seed=2), quantile=0.1, alpha=0.01,
            copy_distance=1e-3, chunk=2, closest=2)),
    }


_PATH = "'a string' is a valid relative path (the test runs in a temporary folder)"


def allowed_rows(_rows) -> list:
    """ALLOWED rows, built with bad_input_cases._rows."""
    f64 = "float64 images are converted to the VAE's dtype (float32)"
    in_f64 = "computed in float64 in any case"
    return [
        *_rows("gancourse.training.vae", [
            ("elbo", "images", "float64", f64),
            ("elbo", "generator", "None", "None is the documented default (torch's global generator)"),
            ("save_vae", "path", "str", _PATH),
            ("save_vae", "info", "None", "None is the documented default: no info"),
            ("load_vae", "path_or_name", "str", _PATH + "; a checkpoint another case saved there loads or is "
                                                        "refused as not a VAE"),
        ]),
        *_rows("gancourse.metrics.memorisation", [
            ("nearest_neighbours", "*", "float64", in_f64),
            ("memorisation_report", "*", "float64", in_f64),
            ("memorisation_report", "copy_distance", "zero float", "0 counts exact copies only; 1.5 is a valid "
                                                                   "(if wide) distance"),
            ("memorisation_report", "closest", "zero", "0: no list of the closest samples"),
        ]),
    ]

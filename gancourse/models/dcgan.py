"""DCGAN (Radford, Metz & Chintala, 2016) for 28×28 images, built from blocks up.

The paper's guidelines, each visible below:
* no pooling: the discriminator downsamples with strided convolutions, the generator upsamples with
  transposed (fractionally strided) convolutions;
* batch normalisation in both networks, except at the generator's output and the discriminator's input;
* ReLU in the generator with Tanh at the output; LeakyReLU(0.2) in the discriminator;
* weights drawn from N(0, 0.02) (``dcgan_init``).

``up_block`` → ``DCGANGenerator``; ``down_block`` → ``DCGANDiscriminator``. ``ngf``/``ndf`` set the width.
``DCGANConfig`` records how a DCGAN is trained (its defaults: the 2016 recipe); ``SHIPPED_RECIPE`` the fields the
shipped checkpoints change (notebook 03's measured extensions; ``scripts/build_pretrained.py``), and
``load_pretrained`` gives them back, so that a CPU user can skip the long run.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path

import torch
from torch import nn

from gancourse import _checks

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"


def up_block(in_channels: int, out_channels: int, kernel_size: int = 4, stride: int = 2, padding: int = 1) -> nn.Sequential:
    """ConvTranspose2d → BatchNorm2d → ReLU. With the defaults (4, 2, 1) it doubles the height and width.

    No bias in the convolution: the batch norm's learned shift does that job.
    """
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("kernel_size", kernel_size),
                        ("stride", stride)):
        _checks.positive_int(name, value)
    _checks.non_negative_int("padding", padding)
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),  # (B, out, H', W')
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


def down_block(in_channels: int, out_channels: int, batch_norm: bool = True,
               kernel_size: int = 4, stride: int = 2, padding: int = 1) -> nn.Sequential:
    """Conv2d (stride 2: halves height and width) → [BatchNorm2d] → LeakyReLU(0.2).

    The convolution has a bias only when there is no batch norm after it.
    """
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("kernel_size", kernel_size),
                        ("stride", stride)):
        _checks.positive_int(name, value)
    _checks.non_negative_int("padding", padding)
    _checks.boolean("batch_norm", batch_norm)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def dcgan_init(module: nn.Module) -> None:
    """The DCGAN paper's initialisation: conv weights ~ N(0, 0.02); batch-norm scale ~ N(1, 0.02), shift 0.

    Use as ``model.apply(dcgan_init)``; biases are set to 0 and modules without weights are left alone.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module (use model.apply(dcgan_init)), got {type(module).__name__}")
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z (B, latent_dim) → image (B, channels, 28, 28) in [-1, 1]."""

    def __init__(self, latent_dim: int = 64, ngf: int = 32, channels: int = 1):
        super().__init__()
        self.latent_dim = _checks.positive_int("latent_dim", latent_dim)
        self.ngf = _checks.positive_int("ngf", ngf)
        self.channels = _checks.positive_int("channels", channels)
        self.net = nn.Sequential(
            up_block(latent_dim, 4 * ngf, kernel_size=7, stride=1, padding=0),   # state size. (4ngf) x 7 x 7
            up_block(4 * ngf, 2 * ngf),                                          # state size. (2ngf) x 14 x 14
            nn.ConvTranspose2d(2 * ngf, channels, 4, 2, 1),                      # state size. channels x 28 x 28
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _checks.tensor("z", z, ndim=2)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}) for this generator, got {tuple(z.shape)}")
        z = _checks.like_weights(z, self)                                       # float64 noise → the weights' dtype
        return self.net(z[:, :, None, None])                                    # (B, d, 1, 1) → (B, C, 28, 28)


class DCGANDiscriminator(nn.Module):
    """image (B, channels, 28, 28) → one logit per image, shape (B,).

    ``spectral_norm=True`` (Miyato et al., 2018; notebook 03's measured extension): every convolution's weight is
    divided by its largest singular value (``torch.nn.utils.parametrizations.spectral_norm``, one power iteration
    per training step), which bounds how fast D's output can change with its input; batch normalisation is then
    left out, as in the paper's discriminators.
    """

    def __init__(self, ndf: int = 32, channels: int = 1, spectral_norm: bool = False):
        super().__init__()
        self.ndf = _checks.positive_int("ndf", ndf)
        self.channels = _checks.positive_int("channels", channels)
        self.spectral_norm = _checks.boolean("spectral_norm", spectral_norm)
        self.net = nn.Sequential(
            down_block(channels, ndf, batch_norm=False),                         # state size. ndf x 14 x 14
            down_block(ndf, 2 * ndf, batch_norm=not spectral_norm),              # state size. (2ndf) x 7 x 7
            nn.Conv2d(2 * ndf, 1, 7, 1, 0),                                      # state size. 1 x 1 x 1
        )
        self.apply(dcgan_init)
        if spectral_norm:
            for module in list(self.net.modules()):
                for name, child in module.named_children():
                    if isinstance(child, nn.Conv2d):
                        setattr(module, name, nn.utils.parametrizations.spectral_norm(child))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _checks.like_weights(_checks.images("x", x, (self.channels, 28, 28)), self)
        return self.net(x).flatten()                                            # (B,)


@dataclass
class DCGANConfig:
    """How the shipped DCGAN checkpoints are trained (``scripts/build_pretrained.py``); the notebook trains alike."""

    latent_dim: int = 64                # size of z
    ngf: int = 32                       # generator width: 4·ngf channels at 7×7, 2·ngf at 14×14
    ndf: int = 32                       # discriminator width: ndf channels at 14×14, 2·ndf at 7×7
    batch_size: int = 64                # images per step
    steps: int = 8000                   # alternating D and G updates
    lr: float = 2e-4                    # Adam, both networks (DCGAN paper)
    beta1: float = 0.5                  # Adam's beta1 (DCGAN paper)
    seed: int = 0                       # seeds the models, the data order and the noise
    # notebook 03's measured extensions; the defaults are the 2016 recipe
    loss: str = "bce"                   # "hinge": the hinge loss
    spectral_norm: bool = False         # spectral normalisation in D (and no batch norm there)
    lr_D: float | None = None           # D's own learning rate (two time scales); None: lr
    beta2: float = 0.999                # Adam's beta2
    ema: float = 0.0                    # decay of the average of G's weights that samples come from; 0: none

    def __post_init__(self):
        for name in ("latent_dim", "ngf", "ndf", "batch_size", "steps"):
            _checks.positive_int(name, getattr(self, name))
        _checks.positive_float("lr", self.lr)
        _checks.number("beta1", self.beta1, 0.0, 1.0, high_open=True)
        _checks.seed("seed", self.seed)
        _checks.one_of("loss", self.loss, ("bce", "hinge"))
        _checks.boolean("spectral_norm", self.spectral_norm)
        if self.lr_D is not None:
            _checks.positive_float("lr_D", self.lr_D)
        _checks.number("beta2", self.beta2, 0.0, 1.0, high_open=True)
        _checks.number("ema", self.ema, 0.0, 1.0, high_open=True)

    def models(self) -> tuple[DCGANGenerator, DCGANDiscriminator]:
        """A freshly initialised generator and discriminator of this configuration."""
        return DCGANGenerator(self.latent_dim, self.ngf), DCGANDiscriminator(self.ndf, spectral_norm=self.spectral_norm)

    def training(self) -> dict:
        """The keyword arguments of ``train_gan`` that this configuration sets: learning rates, betas, loss, ema."""
        return {"lr": self.lr, "lr_D": self.lr_D, "betas": (self.beta1, self.beta2), "loss": self.loss, "ema": self.ema}

    def to_dict(self) -> dict:
        return asdict(self)


# The shipped checkpoints' recipe, as DCGANConfig fields changed from the 2016 recipe: spectral normalisation in D,
# Adam without momentum at a larger rate, samples from an average of G's weights, and a longer run (notebook 03
# measures each change alone in the ablation its JSON records).
SHIPPED_RECIPE = {"steps": 20000, "spectral_norm": True, "lr": 1e-3, "beta1": 0.0, "beta2": 0.9, "ema": 0.999}


def pretrained_path(name: str) -> Path:
    """Where the shipped DCGAN checkpoint for data set ``name`` lives (``.json`` with its measurements beside it)."""
    from gancourse.data import canonical_name
    return PRETRAINED_DIR / f"dcgan_{canonical_name(name)}.pt"


def load_pretrained(name: str = "mnist", device=None, path: str | Path | None = None):
    """The shipped (or your own, at ``path``) DCGAN for ``name``: ``(G, D, info)`` in eval mode on ``device``.

    ``info`` is the JSON written beside the checkpoint: the training configuration, the time it took, and the
    measured classifier-FID and class coverage. Raises ``FileNotFoundError`` if there is no checkpoint.
    """
    shipped = pretrained_path(name)                     # also checks the name when a path is given
    path = _checks.path("path", path) if path is not None else shipped
    return load_configured(path, DCGANConfig, device,
                           missing=f"no DCGAN checkpoint at path={str(path)!r}; build it with "
                                   f"`python scripts/build_pretrained.py {name}`")


def load_configured(path: Path, config_class, device=None, missing: str = ""):
    """``(G, D, info)`` from the checkpoint at ``path``: the models are built by ``config_class`` (a dataclass with a
    ``models()`` method) from the ``config`` recorded in the JSON beside the checkpoint, then loaded, put on
    ``device`` (default CPU) and in eval mode. Raises ``FileNotFoundError(missing)`` if there is no checkpoint."""
    from gancourse.training import load_checkpoint
    path = _checks.path("path", path)
    if not (isinstance(config_class, type) and is_dataclass(config_class)
            and callable(getattr(config_class, "models", None))):
        raise TypeError(f"config_class must be a configuration dataclass with a models() method (e.g. DCGANConfig), "
                        f"got {config_class!r}")
    device = _checks.device("device", device) if device is not None else torch.device("cpu")
    _checks.text("missing", missing)
    if not path.is_file():
        raise FileNotFoundError(missing or f"no checkpoint at path={str(path)!r}")
    info_path = path.with_suffix(".json")
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    known = {k: v for k, v in info.get("config", {}).items() if k in config_class.__dataclass_fields__}
    G, D = config_class(**known).models()
    load_checkpoint(path, G, D, map_location="cpu")
    return G.to(device).eval(), D.to(device).eval(), info

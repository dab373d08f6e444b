"""StarGAN's networks (Choi et al., 2018) scaled to 28×28 digits: one generator for every domain, and one
discriminator with two heads.

* ``label_maps`` — a target label c (B, n) broadcast to n constant planes (B, n, H, W), one per attribute, so that
  a convolutional G can read it at every pixel;
* ``StarGenerator`` — G(x, c): the image and c's planes stacked (B, channels + n, H, W), then CycleGAN's ResNet
  generator (``gancourse.models.cyclegan``: c7s1-k, d2k, d4k, R4k × n_blocks, u2k, uk, c7s1 + tanh). Its first
  convolution pads with zeros, as the paper's: with reflection padding a constant label plane stays constant, and
  the instance normalisation after it would erase the label exactly (notebook 06 measures this). By default that
  first convolution has no normalisation at all (``first_norm=False``), so the label reaches every pixel; with
  ``skips=True`` the decoder also reads the encoder's 28×28 and 14×14 maps (U-Net skips, as in pix2pix);
* ``StarDiscriminator`` — D(x) → (src, cls): a shared trunk of 4×4 stride-2 convs with LeakyReLU(0.01) and no
  normalisation (the paper's, since its gradient penalty is per image), then a real/fake head (a 3×3 conv to one
  channel: a map of patch scores, as PatchGAN) and a domain-classification head (a conv whose kernel covers the
  whole remaining map: one logit per attribute).

Both keep PyTorch's default initialisation, as the authors' code does (not the DCGAN initialisation N(0, 0.02) of
notebook 05's networks).
``StarGANConfig`` records how the shipped checkpoint was trained (``scripts/build_pretrained_stargan.py``) and
``load_pretrained`` gives back its G.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from gancourse import _checks
from gancourse.models.cyclegan import ResidualBlock, _conv_norm_relu
from gancourse.models.dcgan import PRETRAINED_DIR


def label_maps(c: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """c (B, n) → (B, n, height, width): plane i is filled with c[:, i] (the paper's ``c.view(B, n, 1, 1)
    .repeat(1, 1, H, W)``, here an ``expand``: no copy until it is concatenated)."""
    _checks.tensor("c", c, ndim=2)
    _checks.positive_int("height", height)
    _checks.positive_int("width", width)
    return c[:, :, None, None].expand(-1, -1, height, width)


def _target(name: str, c, n_attributes: int, batch: int) -> torch.Tensor:
    _checks.tensor(name, c, ndim=2)
    if c.shape != (batch, n_attributes):
        raise ValueError(f"{name} must have shape ({batch}, {n_attributes}): one row of {n_attributes} target "
                         f"attribute values per image, got {tuple(c.shape)}")
    return c


class StarGenerator(nn.Module):
    """G(x, c): images x (B, channels, H, W) in [-1, 1] and target labels c (B, n_attributes) of 0/1 →
    images (B, channels, H, W) in [-1, 1]; H and W multiples of 4 (28 → 14 → 7 → 14 → 28).

    The input is ``torch.cat([x, label_maps(c, H, W)], dim=1)``: channels + n_attributes planes. The body is
    CycleGAN's ResNet generator with k = ``width`` (the paper's has k = 64 and 6 blocks on 128×128 faces)."""

    def __init__(self, n_attributes: int = 3, channels: int = 1, width: int = 16, n_blocks: int = 4,
                 first_norm: bool = False, skips: bool = False):
        super().__init__()
        self.n_attributes = _checks.positive_int("n_attributes", n_attributes)
        self.channels = _checks.positive_int("channels", channels)
        self.width = k = _checks.positive_int("width", width)
        self.n_blocks = _checks.non_negative_int("n_blocks", n_blocks)
        self.first_norm = _checks.boolean("first_norm", first_norm)
        self.skips = _checks.boolean("skips", skips)
        m = 2 if skips else 1                        # a decoder stage also reads the encoder's map of its size
        first = nn.Conv2d(channels + n_attributes, k, 7, padding=3)
        self.down1 = nn.Sequential(*(_conv_norm_relu(first, k) if first_norm else [first, nn.ReLU()]))  # k, 28
        self.down2 = nn.Sequential(*_conv_norm_relu(nn.Conv2d(k, 2 * k, 3, stride=2, padding=1), 2 * k))  # 2k, 14
        self.middle = nn.Sequential(*_conv_norm_relu(nn.Conv2d(2 * k, 4 * k, 3, stride=2, padding=1), 4 * k),
                                    *[ResidualBlock(4 * k) for _ in range(n_blocks)],                   # 4k, 7
                                    *_conv_norm_relu(nn.ConvTranspose2d(4 * k, 2 * k, 3, 2, padding=1,
                                                                        output_padding=1), 2 * k))      # 2k, 14
        self.up = nn.Sequential(*_conv_norm_relu(nn.ConvTranspose2d(m * 2 * k, k, 3, 2, padding=1,
                                                                    output_padding=1), k))              # k, 28
        self.out = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(m * k, channels, 7), nn.Tanh())       # C, 28

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        _checks.tensor("x", x, ndim=4)
        if x.shape[1] != self.channels or x.shape[2] % 4 or x.shape[3] % 4 or x.shape[2] < 4 or x.shape[3] < 4:
            raise ValueError(f"x must have shape (B, {self.channels}, H, W) with H and W multiples of 4 "
                             f"(e.g. 28), got {tuple(x.shape)}")
        x = _checks.like_weights(x, self)
        c = _target("c", c, self.n_attributes, x.shape[0]).to(device=x.device, dtype=x.dtype)
        planes = label_maps(c, x.shape[2], x.shape[3])                                 # (B, n, H, W)
        h1 = self.down1(torch.cat([x, planes], dim=1))                                 # (B, k, 28, 28)
        h2 = self.down2(h1)                                                            # (B, 2k, 14, 14)
        u2 = self.middle(h2)                                                           # (B, 2k, 14, 14)
        u1 = self.up(torch.cat([u2, h2], dim=1) if self.skips else u2)                 # (B, k, 28, 28)
        return self.out(torch.cat([u1, h1], dim=1) if self.skips else u1)              # (B, C, 28, 28)


def trunk_side(size: int, n_layers: int) -> int:
    """The side of the trunk's feature map on ``size``×``size`` images after ``n_layers`` 4×4 stride-2 convs
    with padding 1: 28 → 14 → 7 → 3."""
    _checks.positive_int("size", size)
    _checks.positive_int("n_layers", n_layers)
    side = size
    for _ in range(n_layers):
        side = (side + 2 - 4) // 2 + 1
    if side < 1:
        raise ValueError(f"n_layers={n_layers} stride-2 layers leave nothing of a {size}×{size} image "
                         f"(size={size}): use fewer layers")
    return side


class StarDiscriminator(nn.Module):
    """D(x) for images (B, channels, 28, 28) → ``(src, cls)``: src (B, 1, S, S) real/fake scores, one per patch,
    and cls (B, n_attributes) domain logits (attribute i is on when its logit is above 0).

    Trunk: ``n_layers`` 4×4 convs of stride 2 (width w, 2w, 4w, ...), each followed by LeakyReLU(0.01);
    28 → 14 → 7 → 3 for ``n_layers`` = 3, so S = 3 (``trunk_side``). Heads: src = 3×3 conv (padding 1) to one
    channel; cls = an S×S conv to ``n_attributes`` channels, i.e. a linear layer on the whole feature map."""

    def __init__(self, n_attributes: int = 3, channels: int = 1, width: int = 32, n_layers: int = 3):
        super().__init__()
        self.n_attributes = _checks.positive_int("n_attributes", n_attributes)
        self.channels = _checks.positive_int("channels", channels)
        self.width = w = _checks.positive_int("width", width)
        self.n_layers = _checks.positive_int("n_layers", n_layers)
        self.side = trunk_side(28, n_layers)
        layers: list[nn.Module] = []
        c_in, c_out = channels, w
        for _ in range(n_layers):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.01)]
            c_in, c_out = c_out, c_out * 2
        self.trunk = nn.Sequential(*layers)                                          # (B, c_in, S, S)
        self.src = nn.Conv2d(c_in, 1, 3, 1, 1, bias=False)                           # (B, 1, S, S)
        self.cls = nn.Conv2d(c_in, n_attributes, self.side, bias=False)              # (B, n, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = _checks.like_weights(_checks.images("x", x, (self.channels, 28, 28)), self)
        h = self.trunk(x)
        return self.src(h), self.cls(h).flatten(1)                                   # (B, 1, S, S), (B, n)


@dataclass
class StarGANConfig:
    """How the shipped StarGAN checkpoint is trained (``scripts/build_pretrained_stargan.py``)."""

    width: int = 16                     # generator width k: k channels at 28×28, 2k at 14×14, 4k at 7×7
    n_blocks: int = 4                   # residual blocks at 7×7
    skips: bool = False                 # U-Net skips (pix2pix): the decoder also reads the encoder's 28 and 14 maps
    first_norm: bool = False            # InstanceNorm after G's first conv (paper: yes; it erases the label planes
                                        # but at the zero-padded border, see StarGenerator)
    d_width: int = 32                   # discriminator width (w, 2w, 4w)
    d_layers: int = 3                   # stride-2 layers of D's trunk (3: a 3×3 map)
    batch_size: int = 16                # images per step
    steps: int = 4000                   # G updates
    decay_steps: int = 2000             # the learning rate falls linearly to 0 over the last decay_steps
    n_critic: int = 1                   # D updates per G update (paper: 5, with WGAN-GP)
    adversarial: str = "lsgan"          # "wgan-gp" (paper), "lsgan" or "bce"
    lambda_cls: float = 1.0             # domain classification weight (paper: 1)
    lambda_rec: float = 10.0            # reconstruction weight (paper: 10)
    lambda_gp: float = 10.0             # gradient penalty weight, with "wgan-gp" (paper: 10)
    lambda_id: float = 0.0              # identity weight: ‖G(x, c_x) − x‖₁ (notebook 05's; not in the paper)
    lr: float = 1e-4                    # Adam, G (paper: 1e-4, G and D)
    d_lr: float = 1e-4                  # Adam, D (paper: 1e-4; a larger one is the two time-scale rule, TTUR)
    beta1: float = 0.5                  # Adam's betas (paper: 0.5, 0.999)
    seed: int = 0                       # seeds the models, the data, its attributes and the targets

    def __post_init__(self):
        for name in ("width", "d_width", "d_layers", "batch_size", "steps", "n_critic"):
            _checks.positive_int(name, getattr(self, name))
        _checks.non_negative_int("n_blocks", self.n_blocks)
        _checks.non_negative_int("decay_steps", self.decay_steps)
        if self.decay_steps > self.steps:
            raise ValueError(f"decay_steps must be at most steps={self.steps} (the rate decays over the last "
                             f"decay_steps steps), got {self.decay_steps}")
        for name in ("lambda_cls", "lambda_rec", "lambda_gp", "lambda_id"):
            _checks.number(name, getattr(self, name), 0.0)
        _checks.positive_float("lr", self.lr)
        _checks.positive_float("d_lr", self.d_lr)
        _checks.number("beta1", self.beta1, 0.0, 1.0, high_open=True)
        _checks.one_of("adversarial", self.adversarial, ("wgan-gp", "lsgan", "bce"))
        _checks.boolean("first_norm", self.first_norm)
        _checks.boolean("skips", self.skips)
        _checks.seed("seed", self.seed)

    def models(self, n_attributes: int = 3) -> tuple[StarGenerator, StarDiscriminator]:
        """A fresh (G, D) for ``n_attributes`` attributes."""
        return (StarGenerator(n_attributes, 1, self.width, self.n_blocks, self.first_norm, self.skips),
                StarDiscriminator(n_attributes, 1, self.d_width, self.d_layers))

    def to_dict(self) -> dict:
        return asdict(self)


def pretrained_path() -> Path:
    """Where the shipped StarGAN checkpoint lives (``.json`` with its measurements beside it)."""
    return PRETRAINED_DIR / "stargan_digits.pt"


def load_pretrained(device=None, path: str | Path | None = None) -> StarGenerator:
    """The shipped (or your own, at ``path``) StarGAN generator G(x, c) over the attributes of
    ``gancourse.data.attributes`` (small, thick, inverted), in eval mode on ``device`` (default CPU). Its training
    configuration and measurements are in the JSON beside the checkpoint. Raises ``FileNotFoundError`` if there
    is no checkpoint."""
    from gancourse.data.attributes import ATTRIBUTES
    from gancourse.training.checkpoints import load_into, read_states
    path = _checks.path("path", path) if path is not None else pretrained_path()
    device = _checks.device("device", device) if device is not None else torch.device("cpu")
    if not path.is_file():
        raise FileNotFoundError(f"no StarGAN checkpoint at path={str(path)!r}; build it with "
                                f"`python scripts/build_pretrained_stargan.py`")
    info_path = path.with_suffix(".json")
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    known = {k: v for k, v in info.get("config", {}).items() if k in StarGANConfig.__dataclass_fields__}
    G, _ = StarGANConfig(**known).models(len(ATTRIBUTES))
    load_into(read_states(path, map_location="cpu"), {"G": G}, path)
    return G.to(device).eval()

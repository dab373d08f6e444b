"""CycleGAN's networks (Zhu, Park, Isola & Efros, 2017) scaled to 28×28 images, built from blocks up.

* ``ResidualBlock`` — x + [reflection pad, 3×3 conv, InstanceNorm, ReLU, reflection pad, 3×3 conv, InstanceNorm](x);
* ``ResnetGenerator`` — the paper's generator: c7s1-k, d2k, d4k, R4k × n_blocks, u2k, uk, c7s1-1 + tanh
  (28 → 14 → 7 → 14 → 28), one for each direction (G: X → Y and F: Y → X);
* ``PatchDiscriminator`` — the paper's 70×70 PatchGAN, scaled down: it gives a map of logits, one per patch
  of the input, so that D judges local texture and stroke rather than the whole image at once.

Instance normalisation (no learned scale or shift, no running statistics, as in the authors' code) normalises each
image on its own: train and eval mode compute the same thing, and a batch of 1 works. Weights start from
N(0, 0.02) (``dcgan_init``), as in the authors' code. ``CycleGANConfig`` records how the shipped checkpoint was
trained (``scripts/build_pretrained_cyclegan.py``) and ``load_pretrained`` gives back its G and F.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from gancourse import _checks
from gancourse.models.dcgan import PRETRAINED_DIR, dcgan_init


def _norm(channels: int) -> nn.InstanceNorm2d:
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResidualBlock(nn.Module):
    """(B, channels, H, W) → (B, channels, H, W): x + block(x), the block being reflection pad → 3×3 conv →
    InstanceNorm → ReLU → reflection pad → 3×3 conv → InstanceNorm (no ReLU after the sum, as in the paper)."""

    def __init__(self, channels: int):
        super().__init__()
        self.channels = _checks.positive_int("channels", channels)
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(channels), nn.ReLU(),   # (B, c, H, W)
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(channels),              # (B, c, H, W)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _checks.tensor("x", x, ndim=4)
        if x.shape[1] != self.channels:
            raise ValueError(f"x must have {self.channels} channels, shape (B, {self.channels}, H, W), "
                             f"got {tuple(x.shape)}")
        x = _checks.like_weights(x, self)                        # float64 input → the weights' dtype
        return x + self.block(x)


def _conv_norm_relu(conv: nn.Module, channels: int) -> list[nn.Module]:
    return [conv, _norm(channels), nn.ReLU()]


class ResnetGenerator(nn.Module):
    """image (B, channels, H, W) in [-1, 1] → image (B, channels, H, W) in [-1, 1]; H and W multiples of 4.

    c7s1-k → d2k → d4k → R4k × n_blocks → u2k → uk → c7s1-channels + tanh, with k = ``width``
    (c7s1-k: reflection pad 3, 7×7 conv, InstanceNorm, ReLU; dk: 3×3 conv of stride 2; uk: 3×3 transposed conv of
    stride 2; R: ``ResidualBlock``). The two downsamplings must halve exactly so that the upsamplings give the input
    size back: 28 → 14 → 7 → 14 → 28 works, 30 → 15 → 8 → 16 → 32 would not, hence the multiple-of-4 check."""

    def __init__(self, channels: int = 1, width: int = 32, n_blocks: int = 4):
        super().__init__()
        self.channels = _checks.positive_int("channels", channels)
        self.width = k = _checks.positive_int("width", width)
        self.n_blocks = _checks.non_negative_int("n_blocks", n_blocks)
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3), *_conv_norm_relu(nn.Conv2d(channels, k, 7), k),                 # (B, k, 28, 28)
            *_conv_norm_relu(nn.Conv2d(k, 2 * k, 3, stride=2, padding=1), 2 * k),                  # (B, 2k, 14, 14)
            *_conv_norm_relu(nn.Conv2d(2 * k, 4 * k, 3, stride=2, padding=1), 4 * k),              # (B, 4k, 7, 7)
            *[ResidualBlock(4 * k) for _ in range(n_blocks)],                                       # (B, 4k, 7, 7)
            *_conv_norm_relu(nn.ConvTranspose2d(4 * k, 2 * k, 3, 2, padding=1, output_padding=1), 2 * k),  # 14 × 14
            *_conv_norm_relu(nn.ConvTranspose2d(2 * k, k, 3, 2, padding=1, output_padding=1), k),  # (B, k, 28, 28)
            nn.ReflectionPad2d(3), nn.Conv2d(k, channels, 7), nn.Tanh(),                           # (B, C, 28, 28)
        )
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _checks.tensor("x", x, ndim=4)
        if x.shape[1] != self.channels or x.shape[2] % 4 or x.shape[3] % 4 or x.shape[2] < 4 or x.shape[3] < 4:
            raise ValueError(f"x must have shape (B, {self.channels}, H, W) with H and W multiples of 4 "
                             f"(e.g. 28), got {tuple(x.shape)}")
        return self.net(_checks.like_weights(x, self))


def patch_geometry(size: int, n_layers: int) -> tuple[int, int]:
    """(side of the logit map, side of each logit's receptive field) of a ``PatchDiscriminator`` with ``n_layers``
    on ``size``×``size`` images. The receptive field is walked back from one output: a k×k conv of stride s turns a
    field of r pixels into (r - 1)·s + k."""
    _checks.positive_int("size", size)
    _checks.positive_int("n_layers", n_layers)
    strides = [2] * n_layers + [1, 1]                    # n_layers stride-2 convs, then two stride-1 convs
    side = size
    for s in strides:
        side = (side + 2 - 4) // s + 1                   # 4×4 kernel, padding 1
    field = 1
    for s in reversed(strides):
        field = (field - 1) * s + 4
    return side, field


class PatchDiscriminator(nn.Module):
    """image (B, channels, 28, 28) → a map of patch logits (B, 1, S, S).

    C(w) → C(2w) → … (``n_layers`` 4×4 convs of stride 2, InstanceNorm on all but the first, LeakyReLU 0.2), then a
    4×4 conv of stride 1 (InstanceNorm, LeakyReLU) and a 4×4 conv of stride 1 to one channel: the paper's 70×70
    PatchGAN is this with ``n_layers=3`` on 256×256 images. On 28×28 images (``patch_geometry(28, n_layers)``):
    ``n_layers=1``: a 12×12 map, each logit seeing 16×16 pixels; ``n_layers=2`` (default): a 5×5 map, each logit
    seeing 34×34 pixels (with the zero padding: nearly the whole digit, a different part of it in the centre).
    """

    def __init__(self, channels: int = 1, width: int = 32, n_layers: int = 2):
        super().__init__()
        self.channels = _checks.positive_int("channels", channels)
        self.width = w = _checks.positive_int("width", width)
        self.n_layers = _checks.positive_int("n_layers", n_layers)
        layers: list[nn.Module] = [nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2)]     # (B, w, 14, 14)
        mult = 1
        for _ in range(1, n_layers):                                                          # (B, 2w, 7, 7) ...
            layers += [nn.Conv2d(w * mult, w * mult * 2, 4, 2, 1), _norm(w * mult * 2), nn.LeakyReLU(0.2)]
            mult *= 2
        layers += [nn.Conv2d(w * mult, w * mult * 2, 4, 1, 1), _norm(w * mult * 2), nn.LeakyReLU(0.2),  # side - 1
                   nn.Conv2d(w * mult * 2, 1, 4, 1, 1)]                                                 # side - 2
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    @property
    def output_side(self) -> int:
        """The side S of the (B, 1, S, S) logit map for 28×28 images."""
        return patch_geometry(28, self.n_layers)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _checks.like_weights(_checks.images("x", x, (self.channels, 28, 28)), self)
        return self.net(x)                                                                    # (B, 1, S, S)


@dataclass
class CycleGANConfig:
    """How the shipped CycleGAN checkpoint is trained (``scripts/build_pretrained_cyclegan.py``)."""

    width: int = 16                     # generator width k: k channels at 28×28, 2k at 14×14, 4k at 7×7
    n_blocks: int = 4                   # residual blocks at 7×7
    d_width: int = 16                   # discriminator width
    d_layers: int = 2                   # stride-2 layers of the PatchGAN (2: a 5×5 map of 34×34 patches)
    batch_size: int = 16                # x and y images per step (unpaired)
    steps: int = 3000                   # training steps (one G update and one D update each)
    decay_steps: int = 1500             # the learning rate falls linearly to 0 over the last decay_steps
    lambda_cycle: float = 20.0          # λ, the cycle-consistency weight (paper: 10); 20 here, and
    lambda_identity: float = 0.0        # identity weight as a fraction of λ (paper: 0.5, i.e. 0.5·λ); 0 here: with
                                        # the paper's pair (10, 0.5) the shipped recipe kept less of the digit (the
                                        # build measures it: "compare" in cyclegan_digits.json's baselines)
    pool_size: int = 50                 # past fakes kept for the discriminators (paper: 50)
    lr: float = 2e-4                    # Adam, all four networks (paper)
    beta1: float = 0.5                  # Adam's beta1 (paper)
    adversarial: str = "lsgan"          # "lsgan" (paper) or "bce"
    seed: int = 0                       # seeds the models, the data order and the pool

    def __post_init__(self):
        for name in ("width", "d_width", "d_layers", "batch_size", "steps"):
            _checks.positive_int(name, getattr(self, name))
        _checks.non_negative_int("n_blocks", self.n_blocks)
        _checks.non_negative_int("decay_steps", self.decay_steps)
        _checks.non_negative_int("pool_size", self.pool_size)
        _checks.number("lambda_cycle", self.lambda_cycle, 0.0)
        _checks.number("lambda_identity", self.lambda_identity, 0.0)
        _checks.positive_float("lr", self.lr)
        _checks.number("beta1", self.beta1, 0.0, 1.0, high_open=True)
        _checks.one_of("adversarial", self.adversarial, ("lsgan", "bce"))
        _checks.seed("seed", self.seed)

    def generators(self) -> tuple[ResnetGenerator, ResnetGenerator]:
        """Fresh G: X → Y and F: Y → X."""
        return (ResnetGenerator(1, self.width, self.n_blocks), ResnetGenerator(1, self.width, self.n_blocks))

    def discriminators(self) -> tuple[PatchDiscriminator, PatchDiscriminator]:
        """Fresh D_X (judges images of X) and D_Y (judges images of Y)."""
        return PatchDiscriminator(1, self.d_width, self.d_layers), PatchDiscriminator(1, self.d_width, self.d_layers)

    def to_dict(self) -> dict:
        return asdict(self)


def pretrained_path() -> Path:
    """Where the shipped CycleGAN checkpoint lives (``.json`` with its measurements beside it)."""
    return PRETRAINED_DIR / "cyclegan_digits.pt"


def load_pretrained(device=None, path: str | Path | None = None) -> tuple[ResnetGenerator, ResnetGenerator]:
    """The shipped (or your own, at ``path``) CycleGAN's ``(G, F)``: G translates handwritten → printed digits, F
    printed → handwritten; both in eval mode on ``device`` (default CPU). Their training configuration and
    measurements are in the JSON beside the checkpoint (``json.loads(pretrained_path().with_suffix('.json')
    .read_text())``). Raises ``FileNotFoundError`` if there is no checkpoint."""
    from gancourse.training.checkpoints import load_into, read_states
    path = _checks.path("path", path) if path is not None else pretrained_path()
    device = _checks.device("device", device) if device is not None else torch.device("cpu")
    if not path.is_file():
        raise FileNotFoundError(f"no CycleGAN checkpoint at path={str(path)!r}; build it with "
                                f"`python scripts/build_pretrained_cyclegan.py`")
    info_path = path.with_suffix(".json")
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    known = {k: v for k, v in info.get("config", {}).items() if k in CycleGANConfig.__dataclass_fields__}
    G, F = CycleGANConfig(**known).generators()
    load_into(read_states(path, map_location="cpu"), {"G": G, "F": F}, path)
    return G.to(device).eval(), F.to(device).eval()

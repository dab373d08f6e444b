"""Conditional DCGAN (Mirza & Osindero, 2014; Radford et al., 2016) for 28×28 images, built from the DCGAN blocks.

Both networks are told the class ``y`` as a one-hot vector:

* the generator reads the noise and the label side by side, ``[z, onehot(y)]`` of shape (B, latent_dim + K);
* the discriminator reads the image with the label broadcast to K constant channels, ``[x, onehot(y)[:, :, None, None]]``
  of shape (B, C + K, 28, 28): every pixel "knows" the class, so the first convolution can compare the strokes
  with the class they are supposed to draw.

``ConditionalDiscriminator(projection=True)`` adds the projection term of Miyato & Koyama (2018): the logit gets
``<embed(y), phi(x)>``, an inner product between a learned class embedding and the image features, which judges
"does this image look like class y?" directly instead of leaving it to the convolutions.

Labels may be given as class indices (B,) int64, or as rows of class weights (B, K) float, e.g. one-hot rows or
a blend of two classes.

``CGANConfig`` is the recipe the notebook trains with and ``scripts/build_pretrained_cgan.py`` builds the shipped
checkpoint with; ``load_pretrained`` gives that checkpoint back.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from gancourse import _checks
from gancourse.models.dcgan import PRETRAINED_DIR, dcgan_init, down_block, load_configured, up_block


def one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Class indices (B,) int64 in [0, n_classes) → float32 one-hot rows (B, n_classes) on the same device."""
    _checks.positive_int("n_classes", n_classes)
    _checks.class_labels("labels", labels)
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes - 1}] for n_classes={n_classes}, "
                         f"got values from {int(labels.min())} to {int(labels.max())}")
    out = torch.zeros(labels.shape[0], n_classes, device=labels.device)
    return out.scatter_(1, labels.long()[:, None], 1.0)                   # (B, K)


def label_weights(labels: torch.Tensor, n_classes: int, batch_size: int | None = None) -> torch.Tensor:
    """Labels as (B, n_classes) float rows: class indices are one-hot encoded, float rows are checked and kept."""
    _checks.positive_int("n_classes", n_classes)
    if batch_size is not None:
        _checks.positive_int("batch_size", batch_size)
    if isinstance(labels, torch.Tensor) and labels.is_floating_point():
        _checks.tensor("labels", labels, ndim=2)
        if labels.shape[1] != n_classes:
            raise ValueError(f"labels given as class weights must have shape (B, {n_classes}), got {tuple(labels.shape)}")
        rows = labels
    else:
        rows = one_hot(labels, n_classes)
    if batch_size is not None and rows.shape[0] != batch_size:
        raise ValueError(f"got {batch_size} inputs but {rows.shape[0]} labels: expected one label per input")
    return rows


def label_maps(weights: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Broadcast (B, K) label rows to K constant channels (B, K, height, width)."""
    _checks.tensor("weights", weights, ndim=2)
    _checks.positive_int("height", height)
    _checks.positive_int("width", width)
    return weights[:, :, None, None].expand(-1, -1, height, width)       # (B, K, H, W), a view: no copy


def generator_input(z: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """The generator's conditioned input: noise and one-hot label side by side, (B, latent_dim + n_classes)."""
    _checks.tensor("z", z, ndim=2)
    y = label_weights(labels, n_classes, z.shape[0]).to(device=z.device, dtype=z.dtype)  # (B, K)
    return torch.cat([z, y], dim=1)                                                       # (B, d + K)


def discriminator_input(images: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """The discriminator's conditioned input: the image, then K constant label channels, (B, C + K, H, W)."""
    _checks.tensor("images", images, ndim=4)
    y = label_weights(labels, n_classes, images.shape[0]).to(device=images.device, dtype=images.dtype)
    return torch.cat([images, label_maps(y, *images.shape[2:])], dim=1)                  # (B, C + K, H, W)


class ConditionalGenerator(nn.Module):
    """(z (B, latent_dim), y) → image (B, channels, 28, 28) in [-1, 1] of class y."""

    def __init__(self, latent_dim: int = 64, n_classes: int = 10, ngf: int = 32, channels: int = 1):
        super().__init__()
        self.latent_dim = _checks.positive_int("latent_dim", latent_dim)
        self.n_classes = _checks.positive_int("n_classes", n_classes)
        self.ngf = _checks.positive_int("ngf", ngf)
        self.channels = _checks.positive_int("channels", channels)
        self.net = nn.Sequential(
            up_block(latent_dim + n_classes, 4 * ngf, kernel_size=7, stride=1, padding=0),  # (B, 4ngf, 7, 7)
            up_block(4 * ngf, 2 * ngf),                                                     # (B, 2ngf, 14, 14)
            nn.ConvTranspose2d(2 * ngf, channels, 4, 2, 1),                                 # (B, channels, 28, 28)
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _checks.tensor("z", z, ndim=2)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}) for this generator, got {tuple(z.shape)}")
        h = generator_input(_checks.like_weights(z, self), labels, self.n_classes)      # (B, latent_dim + K)
        return self.net(h[:, :, None, None])                                            # (B, C, 28, 28)


class ConditionalDiscriminator(nn.Module):
    """(image (B, channels, 28, 28), y) → one logit per image, shape (B,): "a real image of class y?"."""

    def __init__(self, ndf: int = 32, n_classes: int = 10, channels: int = 1, projection: bool = False):
        super().__init__()
        self.ndf = _checks.positive_int("ndf", ndf)
        self.n_classes = _checks.positive_int("n_classes", n_classes)
        self.channels = _checks.positive_int("channels", channels)
        if not isinstance(projection, bool):
            raise TypeError(f"projection must be True or False, got {projection!r}")
        self.projection = projection
        self.features = nn.Sequential(
            down_block(channels + n_classes, ndf, batch_norm=False),                        # (B, ndf, 14, 14)
            down_block(ndf, 2 * ndf),                                                       # (B, 2ndf, 7, 7)
        )
        self.head = nn.Conv2d(2 * ndf, 1, 7, 1, 0)                                          # (B, 1, 1, 1)
        self.embed = nn.Linear(n_classes, 2 * ndf, bias=False) if projection else None      # y → (B, 2ndf)
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = _checks.like_weights(_checks.images("x", x, (self.channels, 28, 28)), self)
        h = self.features(discriminator_input(x, labels, self.n_classes))               # (B, 2ndf, 7, 7)
        logit = self.head(h).flatten()                                                  # (B,)
        if self.embed is not None:
            y = label_weights(labels, self.n_classes).to(x.dtype)                       # (B, K)
            logit = logit + (self.embed(y) * h.sum(dim=(2, 3))).sum(dim=1)              # + <embed(y), phi(x)>
        return logit


@dataclass
class CGANConfig:
    """The conditional GAN recipe of notebook 04 (measured in ``benchmarks/bench_cgan_accuracy.py``)."""

    latent_dim: int = 64                # size of z
    n_classes: int = 10                 # size of the one-hot label
    ngf: int = 32                       # generator width: 4·ngf channels at 7×7, 2·ngf at 14×14
    ndf: int = 32                       # discriminator width: ndf channels at 14×14, 2·ndf at 7×7
    projection: bool = True             # add the projection term <embed(y), phi(x)> to D's logit
    mismatched: bool = True             # D also learns that real images with wrong labels are fake
    batch_size: int = 64                # images per step
    steps: int = 1000                   # alternating D and G updates
    lr: float = 5e-4                    # Adam, both networks
    beta1: float = 0.5                  # Adam's beta1 (DCGAN paper)
    seed: int = 0                       # seeds the models, the data order, the noise and the labels

    def __post_init__(self):
        for name in ("latent_dim", "n_classes", "ngf", "ndf", "batch_size", "steps"):
            _checks.positive_int(name, getattr(self, name))
        _checks.boolean("projection", self.projection)
        _checks.boolean("mismatched", self.mismatched)
        _checks.positive_float("lr", self.lr)
        _checks.number("beta1", self.beta1, 0.0, 1.0, high_open=True)
        _checks.seed("seed", self.seed)

    def models(self) -> tuple[ConditionalGenerator, ConditionalDiscriminator]:
        """A freshly initialised generator and discriminator of this configuration."""
        return (ConditionalGenerator(self.latent_dim, self.n_classes, self.ngf),
                ConditionalDiscriminator(self.ndf, self.n_classes, projection=self.projection))

    def to_dict(self) -> dict:
        return asdict(self)


def pretrained_path(name: str = "mnist") -> Path:
    """Where the shipped conditional GAN for data set ``name`` lives (``.json`` with its measurements beside it)."""
    from gancourse.data import canonical_name
    return PRETRAINED_DIR / f"cgan_{canonical_name(name)}.pt"


def load_pretrained(name: str = "mnist", device=None, path: str | Path | None = None):
    """The shipped (or your own, at ``path``) conditional GAN: ``(G, D, info)`` in eval mode on ``device``.

    ``info`` is the JSON written beside the checkpoint: the ``CGANConfig``, the training time and the measured class
    accuracy. Raises ``FileNotFoundError`` if there is no checkpoint.
    """
    shipped = pretrained_path(name)                     # also checks the name when a path is given
    path = _checks.path("path", path) if path is not None else shipped
    return load_configured(path, CGANConfig, device,
                           missing=f"no conditional GAN checkpoint at path={str(path)!r}; build it with "
                                   f"`python scripts/build_pretrained_cgan.py {name}`")


def attributes_pretrained_path() -> Path:
    """Where the shipped conditional GAN on digits with attributes (notebook 04, Section 12) lives."""
    return PRETRAINED_DIR / "cgan_mnist_attributes.pt"


def load_pretrained_attributes(device=None, path: str | Path | None = None):
    """The shipped (or your own, at ``path``) conditional GAN on multi-hot rows (digit and attributes, n_classes 13):
    ``(G, D, info)`` in eval mode on ``device``; ``info`` holds its config and measured accuracies. Raises
    ``FileNotFoundError`` if there is no checkpoint."""
    path = _checks.path("path", path) if path is not None else attributes_pretrained_path()
    return load_configured(path, CGANConfig, device,
                           missing=f"no attribute GAN checkpoint at path={str(path)!r}; build it with "
                                   f"`python scripts/build_pretrained_attributes.py`")

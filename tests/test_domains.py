"""The two digit domains of the CycleGAN notebook (handwritten, printed) and the unpaired loader over them."""
import functools
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gancourse.data import DOMAINS, UnpairedLoader, domain_index, load_domain, unpaired_loader
from gancourse.training import Family, train

REPO = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=None)
def _builder():
    """scripts/build_domains.py as a module (registered first: its dataclass looks itself up in sys.modules)."""
    spec = importlib.util.spec_from_file_location("build_domains", REPO / "scripts" / "build_domains.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_domains", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", DOMAINS)
@pytest.mark.parametrize("split, count", [("train", 9000), ("test", 1000)])
def test_a_domain_is_white_digits_on_black_in_minus_one_to_one(name, split, count):
    images, labels = load_domain(name, split)
    assert images.shape == (count, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (count,) and labels.dtype == torch.int64
    assert images.min() == -1.0 and images.max() == 1.0
    assert (images[:, :, 0, :] == -1).float().mean() > 0.95          # black border: the digit sits inside
    assert set(labels.tolist()) == set(range(10))
    if split == "test":
        assert torch.bincount(labels).tolist() == [100] * 10
    assert domain_index(name) == DOMAINS.index(name)


def test_limit_takes_a_mix_of_digits_and_the_tensors_are_fresh():
    images, labels = load_domain("printed", "train", limit=50)
    assert images.shape == (50, 1, 28, 28) and len(set(labels.tolist())) >= 8
    images.fill_(0.0)
    assert load_domain("printed", "train", limit=50)[0].min() == -1.0


@pytest.mark.parametrize("name", DOMAINS)
def test_train_and_test_share_no_image(name):
    train_images, _ = load_domain(name, "train")
    test_images, _ = load_domain(name, "test")
    seen = {row.numpy().tobytes() for row in train_images}
    assert not any(row.numpy().tobytes() in seen for row in test_images)


def test_printed_digits_are_framed_like_mnist():
    """Longer side of the digit 16-20 px (MNIST: 20), centre of mass within 2 px of the field's centre."""
    images, _ = load_domain("printed", "test", limit=300)
    ink = (images[:, 0] + 1) / 2                                      # (N, 28, 28) in [0, 1]
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mass = ink.sum(dim=(1, 2))
    cy, cx = (ink * rows).sum(dim=(1, 2)) / mass, (ink * cols).sum(dim=(1, 2)) / mass
    assert ((cy - 13.5).abs() <= 2).all() and ((cx - 13.5).abs() <= 2).all()
    on = ink > 0
    height = on.any(2).float().sum(1)
    width = on.any(1).float().sum(1)
    side = torch.maximum(height, width)
    assert side.min() >= 15 and side.max() <= 21


def test_the_builder_renders_deterministically_and_reproduces_the_shipped_file():
    build = _builder()
    rng = np.random.default_rng(7)
    styles = [build.draw_style(rng) for _ in range(4)]
    first = [build.render_digit(d, s) for d, s in zip([0, 3, 7, 8], styles)]
    again = [build.render_digit(d, s) for d, s in zip([0, 3, 7, 8], styles)]
    assert all(a.dtype == np.uint8 and a.shape == (28, 28) and np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], first[2])                      # different digits look different
    images, labels, _ = build.render_split("test")
    shipped_images, shipped_labels = load_domain("printed", "test")
    assert np.array_equal(labels, shipped_labels.numpy())
    rendered = torch.tensor(images).float() / 127.5 - 1
    manifest = json.loads((REPO / "gancourse" / "data" / "embedded" / "manifest.json").read_text())
    source = manifest["files"]["printed_digits.npz"]["source"]
    import matplotlib
    import PIL
    if f"matplotlib {matplotlib.__version__} " in source and f"Pillow {PIL.__version__};" in source:
        assert torch.equal(rendered.unsqueeze(1), shipped_images)     # same fonts and Pillow: the same bytes
    else:                                                             # another rasteriser: nearly the same
        assert (rendered.unsqueeze(1) - shipped_images).abs().mean() < 0.02


def test_the_builder_refuses_a_bad_digit():
    build = _builder()
    style = build.draw_style(np.random.default_rng(0))
    with pytest.raises(ValueError, match="digit"):
        build.render_digit(10, style)
    with pytest.raises(TypeError, match="style"):
        build.render_digit(1, "DejaVuSans.ttf")


def _numbered(n: int, offset: float = 0.0) -> torch.Tensor:
    """n images whose pixels all hold the image's number (+ offset): a batch tells which images it holds."""
    return (torch.arange(n, dtype=torch.float32) + offset).view(n, 1, 1, 1).expand(n, 1, 28, 28).clone()


def _ids(batch: torch.Tensor) -> list[int]:
    return batch[:, 0, 0, 0].long().tolist()


def test_an_epoch_holds_each_image_at_most_once_and_shuffles_the_domains_independently():
    loader = UnpairedLoader(_numbered(20), _numbered(23, offset=100), batch_size=4,
                            generator=torch.Generator().manual_seed(3))
    assert len(loader) == 5
    epoch = list(loader)
    assert len(epoch) == 5 and all(x.shape == (4, 1, 28, 28) and y.shape == (4, 1, 28, 28) for x, y in epoch)
    xs = [i for x, _ in epoch for i in _ids(x)]
    ys = [i - 100 for _, y in epoch for i in _ids(y)]
    assert sorted(xs) == list(range(20)) and len(set(ys)) == 20 and max(ys) < 23
    assert xs != ys and xs != sorted(xs)                              # shuffled, and not in the same order
    second = [i for x, _ in loader for i in _ids(x)]
    assert second != xs                                               # a new permutation every epoch
    again = UnpairedLoader(_numbered(20), _numbered(23, offset=100), batch_size=4,
                           generator=torch.Generator().manual_seed(3))
    assert [i for x, _ in again for i in _ids(x)] == xs               # the same seed, the same batches


class _Recorder(Family):
    """A trivial family that records which images each step received."""

    def __init__(self):
        self.net = nn.Linear(1, 1)
        self.models = {"net": self.net}
        self.optimizers = {"opt": torch.optim.SGD(self.net.parameters(), lr=0.0)}
        self.seen = []

    def train_step(self, batch, rng):
        x, y = batch
        self.seen.append((_ids(x), _ids(y)))
        return {"n": float(len(x))}


def test_the_training_loop_cycles_over_unpaired_epochs_and_resumes_exactly(tmp_path):
    def loader():
        return UnpairedLoader(_numbered(12), _numbered(12, offset=100), batch_size=4,
                              generator=torch.Generator().manual_seed(0))
    whole = _Recorder()
    history = train(whole, loader(), steps=7, sample_every=3, device="cpu", progress=False)
    assert history.images_seen == 7 * 4 and len(whole.seen) == 7
    first_epoch = sorted(i for x, _ in whole.seen[:3] for i in x)
    assert first_epoch == list(range(12))                             # 3 batches of 4 = one epoch, then the next
    path = tmp_path / "run.pt"
    stopped = _Recorder()
    train(stopped, loader(), steps=7, sample_every=3, device="cpu", progress=False, checkpoint=path,
          callbacks=[lambda step, h, f: step >= 3])
    resumed = _Recorder()
    train(resumed, loader(), steps=7, device="cpu", progress=False, checkpoint=path, resume=True)
    assert stopped.seen + resumed.seen == whole.seen


def test_unpaired_loader_of_the_two_domains():
    loader = unpaired_loader(batch_size=8, limit=40)
    x, y = next(iter(loader))
    assert len(loader) == 5 and x.shape == y.shape == (8, 1, 28, 28)
    hand, _ = load_domain("handwritten", limit=40)
    printed, _ = load_domain("printed", limit=40)
    assert all(any(torch.equal(img, h) for h in hand) for img in x)
    assert all(any(torch.equal(img, p) for p in printed) for img in y)


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="name"):
        load_domain("mnist")
    with pytest.raises(ValueError, match="split"):
        load_domain("printed", "validation")
    with pytest.raises(ValueError, match="limit"):
        load_domain("printed", limit=0)
    with pytest.raises(ValueError, match="same shape"):
        UnpairedLoader(_numbered(4), torch.zeros(4, 3, 28, 28))
    with pytest.raises(ValueError, match="batch_size=8 is larger than the smaller domain"):
        UnpairedLoader(_numbered(4), _numbered(10), batch_size=8)
    with pytest.raises(TypeError, match="generator"):
        UnpairedLoader(_numbered(4), _numbered(4), batch_size=2, generator=0)
    with pytest.raises(TypeError, match="x_images"):
        UnpairedLoader(np.zeros((4, 1, 28, 28)), _numbered(4))
    with pytest.raises(ValueError, match="two different domains"):
        unpaired_loader("printed", "printed")
    with pytest.raises(ValueError, match="name"):
        domain_index("typed")

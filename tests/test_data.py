"""Tests for gancourse.data: the torchvision path, the embedded fallback, corrupt files and argument checks.

Everything runs offline: torchvision's files are written into a temporary root from the embedded arrays, and the
download is simulated by monkeypatching torchvision's downloader.
"""
from __future__ import annotations

import gzip
import shutil
import socket
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch

from gancourse import data
from gancourse.data import images as img_mod
from gancourse.data import DataFileError, EmbeddedDataNotice, load_images

TV_FOLDER = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}


@pytest.fixture(autouse=True)
def fresh_notices(monkeypatch):
    """Each test starts as a fresh session: no notice shown yet, no download failed yet."""
    monkeypatch.setattr(img_mod, "_noticed", set())
    monkeypatch.setattr(img_mod, "_failed_downloads", set())
SIZES = {"mnist": (9000, 1000), "fashion_mnist": (10000, 2000)}


def embedded(name: str) -> dict[str, np.ndarray]:
    """The verified embedded arrays of the installed package."""
    return img_mod._read_embedded(str(img_mod.EMBEDDED_DIR), name)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an uncompressed IDX file (magic 0x00 0x00 0x08 ndim, big-endian uint32 dims)."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def raw_files(name: str, n_train: int = 300, n_test: int = 100) -> dict[str, np.ndarray]:
    """The four arrays torchvision expects in raw/, keyed by file name (taken from the embedded subset)."""
    arrays = embedded(name)
    return {
        "train-images-idx3-ubyte": arrays["train_images"][:n_train],
        "train-labels-idx1-ubyte": arrays["train_labels"][:n_train],
        "t10k-images-idx3-ubyte": arrays["test_images"][:n_test],
        "t10k-labels-idx1-ubyte": arrays["test_labels"][:n_test],
    }


def make_torchvision_root(root: Path, name: str) -> Path:
    """Write torchvision's layout root/<MNIST|FashionMNIST>/raw/<4 IDX files>; return the raw folder."""
    raw = root / TV_FOLDER[name] / "raw"
    raw.mkdir(parents=True)
    for filename, array in raw_files(name).items():
        write_idx(raw / filename, array)
    return raw


@pytest.fixture(autouse=True)
def fresh_download_memory(monkeypatch):
    """Each test starts with no remembered download failures."""
    monkeypatch.setattr(img_mod, "_failed_downloads", set())


@pytest.mark.parametrize("name", data.DATASETS)
def test_torchvision_files_are_used_and_match_pixels(tmp_path, name):
    """IDX files in torchvision's layout are read by torchvision, scaled to [-1, 1], pixel for pixel."""
    make_torchvision_root(tmp_path, name)
    expected = raw_files(name)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = load_images(name, train=train, root=tmp_path, download=False)
        assert ds.source == "torchvision" and ds.split == ("train" if train else "test") and ds.name == name
        n = len(expected[f"{prefix}-labels-idx1-ubyte"])
        assert ds.images.shape == (n, 1, 28, 28) and ds.images.dtype == torch.float32
        assert ds.labels.shape == (n,) and ds.labels.dtype == torch.int64
        assert ds.images.min() >= -1 and ds.images.max() <= 1
        pixels = torch.round((ds.images[:, 0] + 1) * 127.5).to(torch.uint8).numpy()
        np.testing.assert_array_equal(pixels, expected[f"{prefix}-images-idx3-ubyte"])
        np.testing.assert_array_equal(ds.labels.numpy(), expected[f"{prefix}-labels-idx1-ubyte"])
        image, label = ds[0]
        assert image.shape == (1, 28, 28) and int(label) == int(ds.labels[0])


def test_gzipped_idx_files_are_unpacked(tmp_path):
    """IDX files placed as .gz (as distributed) are decompressed and then read by torchvision."""
    raw = make_torchvision_root(tmp_path, "fashion_mnist")
    for path in list(raw.iterdir()):
        (raw / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    ds = load_images("fashion_mnist", train=False, root=tmp_path, download=False)
    assert ds.source == "torchvision" and len(ds) == 100
    assert sorted(p.name for p in raw.iterdir() if not p.name.endswith(".gz")) == sorted(raw_files("mnist"))


def test_truncated_gz_raises_data_file_error(tmp_path):
    """A truncated .gz is reported by name, and no half-decompressed file is left behind."""
    raw = make_torchvision_root(tmp_path, "mnist")
    images_file = raw / "train-images-idx3-ubyte"
    packed = raw / "train-images-idx3-ubyte.gz"
    packed.write_bytes(gzip.compress(images_file.read_bytes())[:3000])
    images_file.unlink()
    with pytest.raises(DataFileError, match="train-images-idx3-ubyte.gz.*[Dd]elete"):
        load_images("mnist", root=tmp_path, download=False)
    assert not images_file.exists() and not list(raw.glob("*.partial"))


@pytest.mark.parametrize("name", data.DATASETS)
def test_embedded_fallback_sizes_and_classes(tmp_path, name):
    """With no files and download=False the embedded subset is used, with one notice."""
    with pytest.warns(EmbeddedDataNotice, match="embedded") as record:
        train = load_images(name, train=True, root=tmp_path, download=False)
    assert len([w for w in record if issubclass(w.category, EmbeddedDataNotice)]) == 1
    with pytest.warns(EmbeddedDataNotice):
        test = load_images(name, train=False, root=tmp_path, download=False)
    assert (train.source, test.source) == ("embedded", "embedded")
    assert (len(train), len(test)) == SIZES[name]
    assert train.images.shape == (SIZES[name][0], 1, 28, 28)
    assert train.images.min() == -1 and train.images.max() == 1
    assert len(train.classes) == 10 and train.classes == data.class_names(name)
    for ds in (train, test):
        counts = torch.bincount(ds.labels, minlength=10)
        assert len(counts) == 10 and counts.min() >= len(ds) // 20, f"{ds.split} per-class counts {counts}"
    assert not list(tmp_path.iterdir()), "download=False must not write anything"


def test_embedded_mnist_train_and_test_are_disjoint():
    """No MNIST test image of the embedded subset also appears in its train split."""
    arrays = embedded("mnist")
    train = {image.tobytes() for image in arrays["train_images"]}
    assert not any(image.tobytes() in train for image in arrays["test_images"])


def test_embedded_arrays_are_cached():
    """The verified arrays are read once, then served from memory."""
    embedded("mnist")
    hits = img_mod._read_embedded.cache_info().hits
    assert embedded("mnist") is embedded("mnist")
    assert img_mod._read_embedded.cache_info().hits == hits + 2


@pytest.mark.parametrize("damage", ["truncate_images", "truncate_labels", "bad_magic", "bad_labels"])
def test_corrupt_idx_files_raise_data_file_error(tmp_path, damage):
    """Broken torchvision files give a DataFileError naming the folder, never a wrong tensor."""
    raw = make_torchvision_root(tmp_path, "mnist")
    images_file, labels_file = raw / "train-images-idx3-ubyte", raw / "train-labels-idx1-ubyte"
    if damage == "truncate_images":
        images_file.write_bytes(images_file.read_bytes()[:5000])
    elif damage == "truncate_labels":
        labels_file.write_bytes(labels_file.read_bytes()[:100])
    elif damage == "bad_magic":
        images_file.write_bytes(b"\x12\x34" + images_file.read_bytes()[2:])
    else:
        write_idx(labels_file, np.full(300, 12, dtype=np.uint8))
    with pytest.raises(DataFileError, match="(corrupt|truncated).*[Dd]elete") as info:
        load_images("mnist", root=tmp_path, download=False)
    assert str(raw) in str(info.value) or str(raw.parent) in str(info.value)


@pytest.mark.parametrize("damage", ["flip_bytes", "truncate", "changed_pixel", "no_manifest"])
def test_corrupt_embedded_npz_raises_data_file_error(tmp_path, monkeypatch, damage):
    """A damaged embedded file fails its manifest check and says to reinstall."""
    folder = tmp_path / "embedded"
    shutil.copytree(img_mod.EMBEDDED_DIR, folder)
    npz = folder / "mnist.npz"
    if damage == "flip_bytes":
        raw = bytearray(npz.read_bytes())
        raw[len(raw) // 2: len(raw) // 2 + 64] = bytes(64)
        npz.write_bytes(bytes(raw))
    elif damage == "truncate":
        npz.write_bytes(npz.read_bytes()[:1000])
    elif damage == "changed_pixel":
        arrays = {k: v.copy() for k, v in embedded("mnist").items()}
        arrays["train_images"][0, 14, 14] ^= 1
        np.savez_compressed(npz, **arrays)
    else:
        (folder / "manifest.json").unlink()
    monkeypatch.setattr(img_mod, "EMBEDDED_DIR", folder)
    with pytest.raises(DataFileError, match="[Rr]einstall"):
        load_images("mnist", root=tmp_path / "root", download=False)


def test_failed_download_falls_back_with_notice(tmp_path, monkeypatch):
    """An offline download (URLError on every mirror) falls back quickly, once, and restores the socket timeout."""
    import torchvision.datasets.mnist as tv_mnist

    calls, timeouts = [], []

    def offline(url, download_root, filename=None, md5=None, **kwargs):
        calls.append(url)
        timeouts.append(socket.getdefaulttimeout())
        raise URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", offline)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(42.0)
    try:
        with pytest.warns(EmbeddedDataNotice, match="download failed"):
            ds = load_images("mnist", root=tmp_path, download=True, limit=50)
        assert socket.getdefaulttimeout() == 42.0
    finally:
        socket.setdefaulttimeout(previous)
    assert ds.source == "embedded" and len(ds) == 50
    assert calls and set(timeouts) == {img_mod.DOWNLOAD_TIMEOUT}
    n_calls = len(calls)
    with pytest.warns(EmbeddedDataNotice, match="earlier in this session"):
        load_images("mnist", train=False, root=tmp_path, download=True)
    assert len(calls) == n_calls, "a failed download is not retried in the same session"


def test_other_download_errors_fall_back(tmp_path, monkeypatch):
    """A timeout raised straight out of torchvision's download is treated as offline too."""
    import torchvision.datasets

    def timeout(self):
        raise TimeoutError("timed out")

    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "download", timeout)
    with pytest.warns(EmbeddedDataNotice, match="TimeoutError"):
        ds = load_images("fashion-mnist", root=tmp_path, download=True)
    assert ds.source == "embedded" and len(ds) == 10000


def test_simulated_download_uses_torchvision(tmp_path, monkeypatch):
    """When the download works, the downloaded files are read by torchvision."""
    import torchvision.datasets.mnist as tv_mnist

    arrays = raw_files("mnist")

    def fake_download(url, download_root, filename=None, md5=None, **kwargs):
        write_idx(Path(download_root) / filename.removesuffix(".gz"), arrays[filename.removesuffix(".gz")])

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", fake_download)
    ds = load_images("MNIST", train=False, root=tmp_path, download=True)
    assert ds.source == "torchvision" and len(ds) == 100


def test_limit_keeps_the_first_images(tmp_path):
    """limit=n gives the first n images of the full split."""
    with pytest.warns(EmbeddedDataNotice):
        full = load_images("mnist", root=tmp_path, download=False)
        small = load_images("mnist", root=tmp_path, download=False, limit=37)
    assert len(small) == 37 and torch.equal(small.images, full.images[:37])


def test_dataloader_batches_are_reproducible(tmp_path):
    """batch_size gives a DataLoader; the same seed gives the same batches, another seed others."""
    kwargs = dict(root=tmp_path, download=False, limit=200, batch_size=64)
    with pytest.warns(EmbeddedDataNotice):
        first, again, other = (load_images("mnist", seed=s, **kwargs) for s in (0, 0, 1))
        ordered = load_images("mnist", shuffle=False, **kwargs)
    batches = [labels for _, labels in first]
    assert len(batches) == 3, "200 images in batches of 64 with drop_last: 3 batches"
    x, y = next(iter(first))
    assert x.shape == (64, 1, 28, 28) and x.dtype == torch.float32 and y.shape == (64,) and y.dtype == torch.int64
    assert all(torch.equal(a, b) for a, b in zip(batches, (labels for _, labels in again)))
    assert not torch.equal(batches[0], next(iter(other))[1])
    sizes = [len(labels) for _, labels in ordered]
    assert sizes == [64, 64, 64, 8], "without shuffle every image is kept, in order"


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(name="cifar10"), ValueError, "fashion_mnist"),
    (dict(name=3), TypeError, "string"),
    (dict(train="yes"), TypeError, "True or False"),
    (dict(download=1), TypeError, "True or False"),
    (dict(root=5), TypeError, "folder path"),
    (dict(limit=0), ValueError, "limit must be a positive integer"),
    (dict(limit=2.5), ValueError, "limit must be a positive integer"),
    (dict(batch_size=-1), ValueError, "batch_size must be a positive integer"),
    (dict(batch_size=True), ValueError, "batch_size must be a positive integer"),
    (dict(seed=-1), ValueError, "seed must be a non-negative integer"),
    (dict(limit=10, batch_size=64), ValueError, "larger than the data set"),
])
@pytest.mark.filterwarnings("ignore::gancourse.data.EmbeddedDataNotice")
def test_bad_arguments_say_what_was_expected(tmp_path, kwargs, error, text):
    """Invalid arguments raise at once with a message naming the expected value."""
    with pytest.raises(error, match=text):
        load_images(**{"root": tmp_path, "download": False, **kwargs})


def test_root_that_is_a_file_is_rejected(tmp_path):
    """root must be a folder."""
    a_file = tmp_path / "x.txt"
    a_file.write_text("")
    with pytest.raises(ValueError, match="is a file"):
        load_images(root=a_file, download=False)


def test_class_names_and_aliases():
    """Names are case-insensitive, accept aliases, and give 10 class names."""
    assert data.class_names("MNIST") == [str(d) for d in range(10)]
    for alias in ("fashion_mnist", "Fashion-MNIST", "fashionmnist"):
        names = data.class_names(alias)
        assert len(names) == 10 and names[0] == "T-shirt/top" and names[-1] == "Ankle boot"
    with pytest.raises(ValueError, match="mnist"):
        data.class_names("svhn")


def test_default_root(monkeypatch, tmp_path):
    """$GANCOURSE_DATA wins; otherwise a folder in the user's cache, never the working directory."""
    monkeypatch.setenv("GANCOURSE_DATA", str(tmp_path / "d"))
    assert data.default_root() == tmp_path / "d"
    monkeypatch.delenv("GANCOURSE_DATA")
    root = data.default_root()
    assert root.is_absolute() and root == Path.home() / ".cache" / "gancourse" / "data"


def test_embedded_notice_is_shown_once_per_data_set_and_split(tmp_path):
    import warnings
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(3):
            load_images("mnist", train=True, root=tmp_path, download=False)
        load_images("mnist", train=False, root=tmp_path, download=False)
    notices = [w for w in record if issubclass(w.category, EmbeddedDataNotice)]
    assert len(notices) == 2

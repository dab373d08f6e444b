"""MNIST and Fashion-MNIST as float tensors in [-1, 1], online or offline.

``load_images`` looks for the data in this order:

1. torchvision's files already under ``root`` (``root/MNIST/raw/…``, ``root/FashionMNIST/raw/…``; IDX files
   placed there as ``.gz`` are decompressed first);
2. if ``download=True``, torchvision's download (with a short network timeout, so an offline machine gives up
   within seconds);
3. the small subsets embedded in the package (``gancourse/data/embedded/``, see its README), with one
   ``EmbeddedDataNotice`` warning that says so.

Whatever the source, a corrupt or truncated file raises ``DataFileError`` saying which file and what to do;
it never yields a silently wrong tensor. Images come as ``(N, 1, 28, 28)`` float32 in [-1, 1] (``x / 127.5 - 1``),
labels as ``(N,)`` int64.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import shutil
import socket
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from gancourse import _checks

DATASETS = ("mnist", "fashion_mnist")
DATA_ENV = "GANCOURSE_DATA"  # environment variable overriding the default data root
EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded"  # the shipped .npz subsets and manifest.json
DOWNLOAD_TIMEOUT = 3.0  # seconds per network operation while trying torchvision's download

_ALIASES = {"mnist": "mnist", "fashion_mnist": "fashion_mnist", "fashion-mnist": "fashion_mnist",
            "fashionmnist": "fashion_mnist"}
_TORCHVISION_NAME = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}  # class and folder name in torchvision
_DISPLAY = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
_CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}
_RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_ARRAY_ORDER = ("train_images", "train_labels", "test_images", "test_labels")  # order hashed in manifest.json
_failed_downloads: set[tuple[str, str]] = set()  # (name, root) whose download failed in this process
_noticed: set[tuple[str, str]] = set()  # (name, split) whose embedded-data notice was shown in this process


class EmbeddedDataNotice(UserWarning):
    """Warned once per call when ``load_images`` falls back to the small subset embedded in the package."""


class DataFileError(RuntimeError):
    """A data file is missing, truncated or corrupt; the message names it and says how to repair it."""


class ImageDataset(TensorDataset):
    """A ``TensorDataset`` of ``(image, label)`` pairs that also remembers where it came from.

    Attributes: ``images`` float32 (N, 1, 28, 28) in [-1, 1]; ``labels`` int64 (N,); ``classes`` the 10 class
    names; ``name`` (``"mnist"`` or ``"fashion_mnist"``); ``split`` (``"train"`` or ``"test"``);
    ``source`` (``"torchvision"`` or ``"embedded"``).
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, name: str, split: str, source: str):
        _checks.tensor("images", images, ndim=4)
        _checks.tensor("labels", labels, ndim=1, floating=False)
        if labels.shape[0] != images.shape[0]:
            raise ValueError(f"labels must hold one label per image: got {images.shape[0]} images "
                             f"but {labels.shape[0]} labels")
        _checks.one_of("split", split, ("train", "test"))
        _checks.one_of("source", source, ("torchvision", "embedded"))
        super().__init__(images, labels)
        self.images, self.labels = images, labels
        self.name, self.split, self.source = name, split, source
        self.classes = class_names(name)

    def __repr__(self) -> str:
        return (f"ImageDataset(name={self.name!r}, split={self.split!r}, source={self.source!r}, "
                f"images={tuple(self.images.shape)})")


def canonical_name(name) -> str:
    """Return the canonical data-set name for ``name`` (case-insensitive, aliases allowed)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, one of {DATASETS}, got {type(name).__name__}")
    key = _ALIASES.get(name.strip().lower())
    if key is None:
        raise ValueError(f"unknown data set name {name!r}: expected one of {DATASETS} (or 'fashion-mnist')")
    return key


def class_names(name: str) -> list[str]:
    """Return the 10 class names of a data set: ``"0"``..``"9"`` for MNIST, clothing names for Fashion-MNIST."""
    return list(_CLASSES[canonical_name(name)])


def default_root() -> Path:
    """Return the data root: ``$GANCOURSE_DATA`` if set, else ``~/.cache/gancourse/data`` (never the cwd)."""
    env = os.environ.get(DATA_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gancourse" / "data"


@contextmanager
def _socket_timeout(seconds: float):
    """Temporarily set the default socket timeout, restoring the previous one afterwards."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _describe(err: Exception) -> str:
    """``"TypeName: message"``, or just the type name when the message is empty."""
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _checked(images, labels, name: str, where: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Sanity-check arrays read from disk; raise ``DataFileError`` naming ``where`` if they look wrong."""
    problem = None
    if tuple(images.shape[1:]) != (28, 28) or images.ndim != 3:
        problem = f"images have shape {tuple(images.shape)}, expected (N, 28, 28)"
    elif labels.ndim != 1 or len(labels) != len(images):
        problem = f"{len(images)} images but {len(labels)} labels"
    elif len(labels) == 0:
        problem = "no images"
    elif int(labels.min()) < 0 or int(labels.max()) > 9:
        problem = f"labels outside 0..9 (min {int(labels.min())}, max {int(labels.max())})"
    if problem:
        raise DataFileError(f"The {_DISPLAY[name]} files in {where} are corrupt or truncated: {problem}. "
                            f"Delete {where.parent} and download them again.")
    return torch.as_tensor(images), torch.as_tensor(labels)


def _unpack_gz(raw: Path) -> None:
    """Decompress ``X.gz`` to ``X`` in ``raw`` when all four IDX files are there, some only compressed."""
    if not all((raw / f).is_file() or (raw / f"{f}.gz").is_file() for f in _RAW_FILES):
        return
    for f in _RAW_FILES:
        target, packed = raw / f, raw / f"{f}.gz"
        if target.is_file():
            continue
        partial = raw / f"{f}.partial"
        try:
            with gzip.open(packed, "rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except Exception as err:  # EOFError, BadGzipFile, zlib.error, OSError
            partial.unlink(missing_ok=True)
            raise DataFileError(f"Cannot decompress {packed} ({_describe(err)}): it is corrupt or truncated. "
                                f"Delete it and download it again.") from err
        partial.replace(target)  # atomic: a half-written file never takes the real name


def _from_torchvision(name: str, root: Path, train: bool, download: bool):
    """Load through torchvision; return (images, labels) or a reason string when it is not available."""
    folder = root / _TORCHVISION_NAME[name]
    _unpack_gz(folder / "raw")
    present = all((folder / "raw" / f).is_file() for f in _RAW_FILES)
    if not present and not download:
        return f"no torchvision copy was found in {folder} and download=False"
    if not present and (name, str(root)) in _failed_downloads:
        return "the download failed earlier in this session"
    import torchvision.datasets  # slow import: only when needed

    cls = getattr(torchvision.datasets, _TORCHVISION_NAME[name])
    try:
        if present:
            data = cls(str(root), train=train, download=False)
        else:
            with _socket_timeout(DOWNLOAD_TIMEOUT):
                data = cls(str(root), train=train, download=True)
    except Exception as err:  # any failure: a network error, or torchvision's reader choking on a bad file
        if present or all((folder / "raw" / f).is_file() for f in _RAW_FILES):
            raise DataFileError(f"Could not read the {_DISPLAY[name]} files in {folder / 'raw'} "
                                f"({_describe(err)}); they are corrupt or truncated. "
                                f"Delete {folder} and download them again.") from err
        _failed_downloads.add((name, str(root)))
        lines = [line for line in str(err).splitlines() if line.strip()] or [""]
        return f"the download failed ({type(err).__name__}: {lines[-1].strip()[:200]})"
    return _checked(data.data, data.targets, name, folder / "raw")


@functools.lru_cache(maxsize=None)
def _read_embedded(directory: str, name: str) -> dict[str, np.ndarray]:
    """Read and verify one embedded ``.npz`` against ``manifest.json``; cached after the first good read."""
    folder = Path(directory)
    path, manifest_path = folder / f"{name}.npz", folder / "manifest.json"
    fix = "Reinstall the gancourse package to restore it."
    try:
        entry = json.loads(manifest_path.read_text())["files"][path.name]
        expected_hash, layout = entry["sha256"], entry["arrays"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DataFileError(f"Cannot read the embedded-data manifest {manifest_path} "
                            f"({_describe(err)}). {fix}") from err
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in _ARRAY_ORDER}
    except Exception as err:  # BadZipFile, OSError, KeyError, ValueError, zlib.error, EOFError...
        raise DataFileError(f"Cannot read the embedded data file {path} ({_describe(err)}). "
                            f"{fix}") from err
    digest = hashlib.sha256()
    for key in _ARRAY_ORDER:
        arr = arrays[key]
        if str(arr.dtype) != layout[key]["dtype"] or list(arr.shape) != layout[key]["shape"]:
            raise DataFileError(f"The embedded data file {path} is corrupt: {key} has dtype {arr.dtype} and shape "
                                f"{arr.shape}, the manifest says {layout[key]}. {fix}")
        digest.update(np.ascontiguousarray(arr).tobytes())
        arr.flags.writeable = False  # the cached arrays are shared between calls
    if digest.hexdigest() != expected_hash:
        raise DataFileError(f"The embedded data file {path} is corrupt: its contents do not match the SHA-256 "
                            f"in {manifest_path}. {fix}")
    return arrays


def load_images(name: str = "mnist", train: bool = True, root=None, download: bool = True, limit: int | None = None,
                batch_size: int | None = None, shuffle: bool = True, seed: int = 0):
    """Load MNIST or Fashion-MNIST as an ``ImageDataset`` or, with ``batch_size``, a ``DataLoader`` over it.

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"`` (case-insensitive; ``"fashion-mnist"`` also works).
        train: the training split if True, else the test split.
        root: folder holding torchvision's files; default ``default_root()``.
        download: try torchvision's download when the files are not under ``root``. A failed download is
            not retried in the same Python session (restart the kernel to retry).
        limit: keep only the first ``limit`` images (a positive int).
        batch_size: if given (a positive int), return a ``DataLoader`` with this batch size.
        shuffle: shuffle the batches (then the last incomplete batch is dropped).
        seed: seeds the loader's ``torch.Generator``: the same seed gives the same batches.

    Returns:
        ``ImageDataset`` with ``images`` float32 (N, 1, 28, 28) in [-1, 1] and ``labels`` int64 (N,), or a
        ``DataLoader`` yielding ``(images (B, 1, 28, 28), labels (B,))``.

    Falls back to the embedded subset (MNIST 9,000 train / 1,000 test, Fashion-MNIST 10,000 / 2,000) with an
    ``EmbeddedDataNotice`` warning when torchvision's files are absent and cannot be downloaded.
    Raises ``DataFileError`` for corrupt or truncated files.
    """
    name = canonical_name(name)
    for arg, value in (("train", train), ("download", download), ("shuffle", shuffle)):
        if not isinstance(value, bool):
            raise TypeError(f"{arg} must be True or False, got {value!r}")
    if root is None:
        root = default_root()
    elif isinstance(root, (str, os.PathLike)):
        root = Path(root).expanduser()
    else:
        raise TypeError(f"root must be a folder path (str or pathlib.Path) or None, got {type(root).__name__}")
    if root.exists() and not root.is_dir():
        raise ValueError(f"root must be a folder, but {root} is a file")
    if limit is not None:
        _checks.positive_int("limit", limit)
    if batch_size is not None:
        _checks.positive_int("batch_size", batch_size)
    _checks.seed("seed", seed)

    split = "train" if train else "test"
    result = _from_torchvision(name, root, train, download)
    if isinstance(result, str):  # not available from torchvision: use the embedded subset
        arrays = _read_embedded(str(EMBEDDED_DIR), name)
        images, labels = torch.tensor(arrays[f"{split}_images"]), torch.tensor(arrays[f"{split}_labels"])
        if (name, split) not in _noticed:  # once per data set and split: a notebook loads the same data often
            _noticed.add((name, split))
            warnings.warn(
                f"Using the embedded {len(images):,}-image {_DISPLAY[name]} {split} subset because {result}. "
                f"For the full set call load_images({name!r}, download=True) with a network connection, "
                f"or put torchvision's IDX files in {root / _TORCHVISION_NAME[name] / 'raw'}.",
                EmbeddedDataNotice, stacklevel=2)
        source = "embedded"
    else:
        images, labels = result
        source = "torchvision"
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    images = (images.to(torch.float32) / 127.5 - 1.0).unsqueeze(1)  # (N, 28, 28) uint8 -> (N, 1, 28, 28) in [-1, 1]
    dataset = ImageDataset(images, labels.to(torch.int64), name=name, split=split, source=source)
    if batch_size is None:
        return dataset
    if shuffle and batch_size > len(dataset):
        raise ValueError(f"batch_size={batch_size} is larger than the data set ({len(dataset)} images): "
                         f"with shuffle=True the incomplete batch is dropped, so there would be no batch at all")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=shuffle, generator=generator)

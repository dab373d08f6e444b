"""Render the "printed" digit domain of notebook 05 (CycleGAN): digits set in the fonts matplotlib ships.

    python scripts/build_domains.py            # writes gancourse/data/embedded/printed_digits.npz + its manifest entry

The other domain, "handwritten", is the embedded MNIST subset (``mnist.npz``). The printed digits are made the way
MNIST's were: white on black, anti-aliased grey levels, the digit scaled (aspect ratio kept) so that its longer
side fits a box of about 20 pixels, and placed in a 28×28 field with its centre of mass at the centre. What varies,
drawn at random per image (``draw_style``): the font file (19 faces of DejaVu, STIX and Computer Modern), the box
size, a shear (slant), the stroke width (thickened or thinned before scaling) and a small shift of the centre.

Train and test are drawn from disjoint random streams (seeds ``TRAIN_SEED`` and ``TEST_SEED``) from the same
fonts and ranges; the script checks that no test image equals a training image. Labels are balanced: 900 per
digit in train, 100 per digit in test, in a seeded random order (so that ``limit=`` takes a mix of digits).
The arrays, and so the SHA-256 in ``manifest.json``, are identical on every run with the same matplotlib fonts
and Pillow version; the ``.npz`` is written with a fixed zip timestamp, so its bytes are identical too.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib
import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "gancourse" / "data" / "embedded"
FILENAME = "printed_digits.npz"
ARRAY_ORDER = ("train_images", "train_labels", "test_images", "test_labels")   # as in manifest.json
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
# (file, bold?) — every face matplotlib ships whose digits are ordinary lining figures (cmmi10's are old-style;
# the Display, NonUni, Siz* and symbol files hold no usable digits).
FONTS = (
    ("DejaVuSans.ttf", False), ("DejaVuSans-Bold.ttf", True), ("DejaVuSans-Oblique.ttf", False),
    ("DejaVuSans-BoldOblique.ttf", True), ("DejaVuSerif.ttf", False), ("DejaVuSerif-Bold.ttf", True),
    ("DejaVuSerif-Italic.ttf", False), ("DejaVuSerif-BoldItalic.ttf", True), ("DejaVuSansMono.ttf", False),
    ("DejaVuSansMono-Bold.ttf", True), ("STIXGeneral.ttf", False), ("STIXGeneralBol.ttf", True),
    ("STIXGeneralItalic.ttf", False), ("STIXGeneralBolIta.ttf", True), ("cmr10.ttf", False), ("cmb10.ttf", True),
    ("cmss10.ttf", False), ("cmti10.ttf", False), ("cmtt10.ttf", False),
)
RENDER_SIZE = 96          # font size (pixels) of the high-resolution drawing the 28×28 image is reduced from
CANVAS = 192              # side of the high-resolution canvas
BOX = (16.0, 20.0)        # longer side of the digit in the 28×28 image (MNIST: 20)
SLANT = (-0.2, 0.3)       # horizontal shear: x' = x + slant * (height above the centre); > 0 leans right
STROKE_REGULAR = (1, 5)   # stroke change, high-resolution pixels per side, regular faces (inclusive range)
STROKE_BOLD = (-2, 2)     # bold faces: < 0 thins (a minimum filter), > 0 thickens (the glyph's outline drawn too)
SHIFT = 1.5               # the centre of mass lands within ±SHIFT pixels of the field's centre
TRAIN_SEED, TEST_SEED = 2024_05_01, 2024_05_02
PER_DIGIT = {"train": 900, "test": 100}


@dataclass(frozen=True)
class Style:
    """How one printed digit is drawn: font file, box size (px), slant, stroke change, shift of the centre (px)."""

    font: str
    box: float
    slant: float
    stroke: int
    dx: float
    dy: float


def draw_style(rng: np.random.Generator) -> Style:
    """Draw one random style from ``rng`` (a numpy Generator): every font equally likely, the rest uniform."""
    font, bold = FONTS[int(rng.integers(len(FONTS)))]
    low, high = STROKE_BOLD if bold else STROKE_REGULAR
    return Style(font=font, box=float(rng.uniform(*BOX)), slant=float(rng.uniform(*SLANT)),
                 stroke=int(rng.integers(low, high + 1)), dx=float(rng.uniform(-SHIFT, SHIFT)),
                 dy=float(rng.uniform(-SHIFT, SHIFT)))


@functools.lru_cache(maxsize=None)
def _font(filename: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / filename), RENDER_SIZE)


def render_digit(digit: int, style: Style) -> np.ndarray:
    """The digit ``digit`` (0-9) drawn in ``style``: a (28, 28) uint8 array, white (255) on black (0)."""
    if isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit <= 9:
        raise ValueError(f"digit must be an int in 0..9, got {digit!r}")
    if not isinstance(style, Style):
        raise TypeError(f"style must be a Style (see draw_style), got {type(style).__name__}")
    hi = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(hi).text((CANVAS / 2, CANVAS / 2), str(digit), fill=255, font=_font(style.font), anchor="mm",
                            stroke_width=max(style.stroke, 0), stroke_fill=255)
    if style.stroke < 0:                                         # thin the strokes of a bold face
        hi = hi.filter(ImageFilter.MinFilter(2 * -style.stroke + 1))
    # shear about the canvas centre: output (x, y) samples input (x + slant * (y - c), y)
    c = CANVAS / 2
    hi = hi.transform(hi.size, Image.Transform.AFFINE, (1, style.slant, -style.slant * c, 0, 1, 0),
                      resample=Image.Resampling.BILINEAR)
    glyph = hi.crop(hi.getbbox())
    w, h = glyph.size
    scale = style.box / max(w, h)                                # the longer side fits the box, aspect ratio kept
    glyph = np.asarray(glyph.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX))
    gh, gw = glyph.shape
    mass = glyph.astype(np.float64)
    rows, cols = np.indices(glyph.shape)
    cy, cx = (rows * mass).sum() / mass.sum(), (cols * mass).sum() / mass.sum()
    top = int(np.clip(round(13.5 - cy + style.dy), 0, 28 - gh))  # centre of mass at the field's centre, shifted
    left = int(np.clip(round(13.5 - cx + style.dx), 0, 28 - gw))
    out = np.zeros((28, 28), np.uint8)
    out[top:top + gh, left:left + gw] = glyph
    return out


def render_split(split: str) -> tuple[np.ndarray, np.ndarray, list[Style]]:
    """All images, labels and styles of ``split`` ("train" or "test"), from that split's own seed."""
    rng = np.random.default_rng(TRAIN_SEED if split == "train" else TEST_SEED)
    labels = rng.permutation(np.repeat(np.arange(10, dtype=np.uint8), PER_DIGIT[split]))
    styles = [draw_style(rng) for _ in labels]
    images = np.stack([render_digit(int(d), s) for d, s in zip(labels, styles)])
    return images, labels, styles


def content_hash(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the C-order bytes of the four arrays in ``ARRAY_ORDER`` (as ``manifest.json`` states)."""
    digest = hashlib.sha256()
    for key in ARRAY_ORDER:
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` with a fixed timestamp on every member, so the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in ARRAY_ORDER:
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def manifest_entry(arrays: dict[str, np.ndarray]) -> dict:
    """The entry of ``printed_digits.npz`` in ``manifest.json``, in the format of the other entries."""
    splits = {split: {"count": int(len(arrays[f"{split}_labels"])),
                      "per_class": np.bincount(arrays[f"{split}_labels"], minlength=10).tolist()}
              for split in ("train", "test")}
    return {
        "dataset": "printed_digits",
        "source": (f"rendered by scripts/build_domains.py from the fonts of matplotlib {matplotlib.__version__} "
                   f"(DejaVu, STIX, Computer Modern) with Pillow {PIL.__version__}; train and test styles drawn "
                   f"from disjoint seeds ({TRAIN_SEED}, {TEST_SEED})"),
        "splits": splits,
        "arrays": {key: {"dtype": str(arrays[key].dtype), "shape": list(arrays[key].shape)} for key in ARRAY_ORDER},
        "sha256": content_hash(arrays),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder of the .npz and manifest.json")
    parser.add_argument("--preview", type=Path, default=None, help="save a PNG of 100 images per split")
    args = parser.parse_args()
    start = time.perf_counter()
    arrays, styles = {}, {}
    for split in ("train", "test"):
        arrays[f"{split}_images"], arrays[f"{split}_labels"], styles[split] = render_split(split)
    train_keys = {img.tobytes() for img in arrays["train_images"]}
    shared = sum(img.tobytes() in train_keys for img in arrays["test_images"])
    if shared:
        raise SystemExit(f"{shared} test images equal a training image: the splits must be disjoint")
    used = {split: np.unique([s.font for s in styles[split]]).size for split in styles}
    print(f"rendered {len(arrays['train_labels'])} train + {len(arrays['test_labels'])} test images in "
          f"{time.perf_counter() - start:.1f} s; fonts used: {used}; no test image equals a training image")
    args.out.mkdir(parents=True, exist_ok=True)
    write_npz(args.out / FILENAME, arrays)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {
        "hash": "sha256 of the C-order bytes of train_images, train_labels, test_images, test_labels, in that order",
        "array_order": list(ARRAY_ORDER), "files": {}}
    manifest["files"][FILENAME] = manifest_entry(arrays)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    size = (args.out / FILENAME).stat().st_size
    print(f"wrote {args.out / FILENAME} ({size / 1024:.0f} KiB), sha256 of the arrays "
          f"{manifest['files'][FILENAME]['sha256']}, and its entry in {manifest_path}")
    if args.preview is not None:
        grid = np.concatenate([arrays[f"{s}_images"][:100].reshape(10, 10, 28, 28).transpose(0, 2, 1, 3)
                               .reshape(280, 280) for s in ("train", "test")], axis=1)
        Image.fromarray(grid).save(args.preview)
        print(f"preview (train left, test right) in {args.preview}; first style: {asdict(styles['train'][0])}")


if __name__ == "__main__":
    sys.exit(main())

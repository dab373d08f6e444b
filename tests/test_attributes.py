"""Notebook 04's multi-hot example: exact attributes on digits, multi-hot label rows, the attribute GAN family and
its training path, the attribute judge and the accuracy per attribute, the grid, and the shipped files."""
import json

import pytest
import torch
import torch.nn.functional as F

from gancourse.data import attributes as da
from gancourse.metrics import SmallClassifier
from gancourse.metrics import attributes as ma
from gancourse.models.conditional import (ConditionalDiscriminator, ConditionalGenerator, attributes_pretrained_path,
                                          load_pretrained_attributes)
from gancourse.training import multihot as ta
from gancourse.training import conditional as tc
from gancourse.viz import attributes as va

pytestmark = pytest.mark.filterwarnings("ignore::gancourse.data.EmbeddedDataNotice")


def _digits(n=4, seed=0):
    """Tiny fake digits: a bright square stroke on black, in [-1, 1]."""
    x = -torch.ones(n, 1, 28, 28)
    x[:, :, 8:20, 12:15] = 1.0
    return x


def _rows(digits=(3, 7), combos=((0, 0, 0), (1, 0, 1))):
    return da.attribute_labels(torch.tensor(digits), torch.tensor(combos, dtype=torch.float32))


# --- the attributes are exact image operations ----------------------------------------------------------------------
def test_plain_changes_nothing_and_inverted_is_the_negative():
    x = _digits(2)
    assert torch.equal(da.apply_attributes(x, torch.zeros(2, 3)), x)
    assert torch.equal(da.apply_attributes(x, torch.tensor([[0.0, 0.0, 1.0]] * 2)), -x)


def test_thick_is_a_3x3_dilation_and_only_grows_the_stroke():
    x = _digits(1)
    thick = da.apply_attributes(x, torch.tensor([[0.0, 1.0, 0.0]]))
    assert torch.equal(thick, F.max_pool2d(x, 3, stride=1, padding=1))
    assert bool((thick >= x).all()) and (thick > 0).sum() > (x > 0).sum()


def test_small_shrinks_the_digit_into_the_centre():
    x = _digits(1)
    small = da.apply_attributes(x, torch.tensor([[1.0, 0.0, 0.0]]))
    pad = (28 - da.SMALL_SIZE) // 2
    border = torch.ones(28, 28, dtype=torch.bool)
    border[pad:pad + da.SMALL_SIZE, pad:pad + da.SMALL_SIZE] = False
    assert bool((small[0, 0][border] == -1).all()), "outside the centred 16x16 box everything is black"
    assert (small > 0).sum() < (x > 0).sum()


def test_the_attributes_are_applied_per_image_in_a_fixed_order():
    x = _digits(2)
    out = da.apply_attributes(x, torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]))
    one = -F.max_pool2d(da.apply_attributes(x[:1], torch.tensor([[1.0, 0.0, 0.0]])), 3, stride=1, padding=1)
    assert torch.equal(out[:1], one) and torch.equal(out[1:], x[1:])


@pytest.mark.parametrize("attributes,error", [
    (torch.zeros(2, 2), ValueError), (torch.zeros(3, 3), ValueError), (torch.full((2, 3), 0.5), ValueError),
    ("thick", TypeError), (None, TypeError)])
def test_apply_attributes_rejects_bad_attributes(attributes, error):
    with pytest.raises(error, match="attributes"):
        da.apply_attributes(_digits(2), attributes)


# --- multi-hot label rows ---------------------------------------------------------------------------------------------
def test_rows_are_one_hot_digits_then_attributes_and_split_back():
    rows = _rows()
    assert rows.shape == (2, 13) and rows.dtype == torch.float32
    assert rows[0].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert rows[1].tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
    digits, attributes = da.split_labels(rows)
    assert digits.tolist() == [3, 7] and attributes.tolist() == [[0, 0, 0], [1, 0, 1]]


def test_combination_names_and_the_held_out_combination():
    assert da.combination_name((1, 0, 1)) == "small + inverted"
    assert da.combination_name((0, 0, 0)) == "plain"
    allowed = da.allowed_combinations()
    assert allowed.shape == (7, 3) and [1, 1, 1] not in allowed.tolist()
    assert da.allowed_combinations(()).shape == (8, 3)
    with pytest.raises(ValueError, match="no attribute combination"):
        da.allowed_combinations(da.ALL_COMBINATIONS)
    with pytest.raises(TypeError, match="exclude"):
        da.allowed_combinations(None)


def test_the_data_set_never_holds_the_held_out_combination_and_is_seeded():
    data = da.attribute_dataset("mnist", train=False, seed=3, limit=200)
    assert data.images.shape == (200, 1, 28, 28) and data.labels.shape == (200, 13)
    assert not any(row == [1.0, 1.0, 1.0] for row in data.attributes.tolist())
    again = da.attribute_dataset("mnist", train=False, seed=3, limit=200)
    assert torch.equal(data.images, again.images) and torch.equal(data.labels, again.labels)
    from gancourse.data import load_images
    base = load_images("mnist", train=False, limit=200)
    assert torch.equal(data.images, da.apply_attributes(base.images, data.attributes))
    loader = da.attribute_loader("mnist", batch_size=16, seed=1, limit=64)
    x, y = next(iter(loader))
    assert x.shape == (16, 1, 28, 28) and y.shape == (16, 13)


# --- labels for training: random rows and mismatched rows -------------------------------------------------------------
def test_random_rows_draw_allowed_combinations_only():
    combos = da.allowed_combinations()
    rows = ta.random_rows(500, combos, generator=torch.Generator().manual_seed(0))
    digits, attributes = da.split_labels(rows)
    assert set(digits.tolist()) == set(range(10))
    assert {tuple(a) for a in attributes.int().tolist()} == {tuple(c) for c in combos.int().tolist()}


def test_mismatched_rows_always_differ_and_stay_allowed():
    combos = da.allowed_combinations()
    rows = ta.random_rows(400, combos, generator=torch.Generator().manual_seed(1))
    wrong = ta.mismatched_rows(rows, combos, generator=torch.Generator().manual_seed(2))
    assert wrong.shape == rows.shape
    assert bool((wrong != rows).any(dim=1).all()), "every wrong row differs from its row"
    digits, attributes = da.split_labels(wrong)
    assert not any(a == [1.0, 1.0, 1.0] for a in attributes.tolist())
    old_digits, old_attributes = da.split_labels(rows)
    only_attributes = (digits == old_digits) & (attributes != old_attributes).any(dim=1)
    assert only_attributes.float().mean() > 0.1, "some wrong rows change only attributes, so D must read them"
    assert (digits != old_digits).float().mean() > 0.6, "most wrong rows change the digit, the hardest part"
    again = ta.mismatched_rows(rows, combos, generator=torch.Generator().manual_seed(2))
    assert torch.equal(wrong, again)


def test_d_step_accepts_wrong_label_rows():
    torch.manual_seed(0)
    G, D = ConditionalGenerator(latent_dim=4, n_classes=13, ngf=2), ConditionalDiscriminator(ndf=2, n_classes=13)
    rows = _rows()
    opt_D = torch.optim.SGD(D.parameters(), lr=0.0)
    plain = tc.d_step(D, G, _digits(2), rows, torch.randn(2, 4), opt_D)
    more = tc.d_step(D, G, _digits(2), rows, torch.randn(2, 4), opt_D, wrong_labels=_rows((5, 1), ((1, 1, 0),) * 2))
    assert more > plain


# --- the family and its training path ---------------------------------------------------------------------------------
def _networks():
    torch.manual_seed(0)
    return ConditionalGenerator(latent_dim=4, n_classes=13, ngf=4), ConditionalDiscriminator(ndf=4, n_classes=13,
                                                                                            projection=True)


def test_training_runs_and_measures_each_attribute(tmp_path):
    G, D = _networks()
    torch.manual_seed(1)
    judge = SmallClassifier(n_classes=13)
    loader = da.attribute_loader("mnist", batch_size=8, seed=0, limit=32)
    history = ta.train_attribute_gan(G, D, loader, steps=3, sample_every=3, classifier=judge, per_digit=1,
                                     device="cpu", progress=False, checkpoint=tmp_path / "attr.pt")
    assert history.steps_done == 3 and (tmp_path / "attr.pt").is_file()
    for name in ("accuracy", "digit_accuracy", "small_accuracy", "thick_accuracy", "inverted_accuracy"):
        assert 0.0 <= history.points[name][-1] <= 1.0
    assert history.samples[-1].shape == (80, 1, 28, 28)         # 8 combinations x 10 digits, one noise vector


def test_the_family_refuses_a_generator_with_one_hot_labels_only():
    with pytest.raises(ValueError, match="generator"):
        ta.AttributeGAN(ConditionalGenerator(latent_dim=4, n_classes=10, ngf=2), ConditionalDiscriminator(ndf=2))


# --- the judge and the accuracy ---------------------------------------------------------------------------------------
class _Oracle(torch.nn.Module):
    """A stand-in judge that reads digit and attributes from marker pixels: exact by construction."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        logits = torch.full((x.shape[0], 13), -5.0)
        logits[torch.arange(x.shape[0]), (x[:, 0, 0, :10] > 0).float().argmax(1)] = 5.0
        logits[:, 10:] = torch.where(x[:, 0, 1, :3] > 0, 5.0, -5.0)
        return logits + 0 * self.w


def test_agreement_counts_each_part_and_all_at_once():
    rows = _rows((3, 7, 1), ((0, 0, 0), (1, 0, 1), (0, 1, 0)))
    x = -torch.ones(3, 1, 28, 28)
    x[0, 0, 0, 3], x[1, 0, 0, 7], x[2, 0, 0, 2] = 1, 1, 1          # image 2 shows a 2, not the requested 1
    x[1, 0, 1, 0], x[1, 0, 1, 2], x[2, 0, 1, 1] = 1, 1, 1
    x[0, 0, 1, 1] = 1                                              # image 0 is thick, although plain was asked
    shares = ma.agreement(_Oracle(), x, rows)
    assert shares["digit"] == pytest.approx(2 / 3) and shares["thick"] == pytest.approx(2 / 3)
    assert shares["small"] == 1.0 and shares["inverted"] == 1.0 and shares["all"] == pytest.approx(1 / 3)


def test_attribute_accuracy_asks_every_digit_under_every_combination():
    G, _ = _networks()
    shares, each = ma.attribute_accuracy(G, SmallClassifier(n_classes=13), da.allowed_combinations(), per_digit=2,
                                         per_combination_result=True)
    assert set(shares) == {"digit", *da.ATTRIBUTES, "all"} and len(each) == 7 and "plain" in each
    with pytest.raises(ValueError, match="n_classes"):
        ma.attribute_accuracy(ConditionalGenerator(latent_dim=4, ngf=2), SmallClassifier(n_classes=13),
                              da.allowed_combinations())


def test_the_grid_has_one_row_per_digit_and_one_column_per_combination():
    G, _ = _networks()
    grid = va.attribute_grid(G, digits=[0, 5], seed=1)
    assert grid.shape == (16, 1, 28, 28)
    assert torch.equal(grid, va.attribute_grid(G, digits=[0, 5], seed=1))
    ax = va.show_attribute_grid(G, digits=[0, 5], title="t", size=2.0)
    texts = [t.get_text() for t in ax.texts]
    assert "small\n+ thick\n+ inverted\n(held out)" in texts and "plain" in texts and "5" in texts
    with pytest.raises(ValueError, match="digits"):
        va.attribute_grid(G, digits=[10])


# --- the shipped files --------------------------------------------------------------------------------------------------
def test_the_shipped_judge_is_small_and_records_its_held_out_accuracy():
    path = ma.attribute_classifier_path()
    assert path.is_file(), "build it with python scripts/build_pretrained_attributes.py"
    assert path.stat().st_size < 1024 * 1024
    judge = ma.load_attribute_classifier()
    info = json.loads(path.with_suffix(".json").read_text())
    assert judge.info == info and set(info["test_accuracy"]) == {"digit", *da.ATTRIBUTES, "all"}
    assert len(info["test_accuracy_per_combination"]) == 8
    with pytest.raises(FileNotFoundError, match="path"):
        ma.load_attribute_classifier(path=path.with_name("missing.pt"))


def test_the_shipped_attribute_gan_loads_and_records_its_accuracy():
    path = attributes_pretrained_path()
    assert path.is_file(), "build it with python scripts/build_pretrained_attributes.py"
    G, D, info = load_pretrained_attributes()
    assert G.n_classes == 13 and not G.training
    assert {"trained_combinations", "held_out_combination"} <= set(info["evaluation"])
    with pytest.raises(FileNotFoundError, match="path"):
        load_pretrained_attributes(path=path.with_name("missing.pt"))

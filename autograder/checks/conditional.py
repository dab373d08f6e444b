"""Checks for notebook 04 (conditional GAN): each runs the student's answer and gancourse's reference on the same
seeded inputs and compares them. Hidden test cells call these; a failure says what differs and what was expected."""
from __future__ import annotations

import copy
import numbers

import torch
from torch import nn

from autograder.checks import as_number, as_tensor, assert_close, changed, dirty_grads, expect, seeded, snapshot
from autograder.references import forbid, use_globals
from gancourse import sampling
from gancourse.metrics import labels as label_metrics
from gancourse.training import conditional as training
from gancourse.losses import bce_with_logits, discriminator_loss, generator_loss
from gancourse.models import conditional


def _raises_value_error(fn, args: tuple, what: str) -> None:
    try:
        fn(*args)
    except ValueError:
        return
    except Exception as err:  # noqa: BLE001 — report what was raised instead
        raise AssertionError(f"{what} raised {type(err).__name__}, expected a ValueError") from None
    raise AssertionError(f"{what} returned a value, expected a ValueError")


# --- one-hot encoding ------------------------------------------------------------------------------------------
def check_one_hot(one_hot) -> None:
    """``one_hot(labels, n_classes)``: float32 (B, n_classes) rows with a single 1; ValueError for labels out of range."""
    labels = torch.tensor([3, 0, 9, 3, 7, 1])
    expected = conditional.one_hot(labels, 10)
    with forbid(conditional.one_hot, conditional.label_weights):
        got = as_tensor("one_hot(labels, 10)", one_hot(labels.clone(), 10))
        expect(got.dtype == torch.float32, f"one_hot returns dtype {got.dtype}, expected torch.float32: the networks "
               "multiply it with float weights (use .float())")
        assert_close("one_hot(torch.tensor([3, 0, 9, 3, 7, 1]), 10)", got, expected)
        three = as_tensor("one_hot(labels, 5)", one_hot(torch.tensor([2, 1, 0]), 5))
        expect(tuple(three.shape) == (3, 5), f"one_hot(torch.tensor([2, 1, 0]), 5) has shape {tuple(three.shape)}, "
               "expected (3, 5): the width is n_classes, not the largest label + 1")
        one = as_tensor("one_hot of a batch of one", one_hot(torch.tensor([1]), 3))
        assert_close("one_hot(torch.tensor([1]), 3)", one, torch.tensor([[0.0, 1.0, 0.0]]))
        for bad in (torch.tensor([0, 10]), torch.tensor([-1, 2])):
            _raises_value_error(one_hot, (bad, 10), f"one_hot({bad.tolist()}, 10)")


# --- the conditioned inputs -------------------------------------------------------------------------------------
def check_generator_input(generator_input) -> None:
    """``generator_input(z, labels, n_classes)``: [z, one_hot(labels)] of shape (B, latent_dim + n_classes)."""
    z = torch.randn(5, 4, generator=seeded(11))
    labels = torch.tensor([2, 0, 1, 2, 1])
    expected = conditional.generator_input(z, labels, 3)
    with use_globals(generator_input, one_hot=conditional.one_hot), \
            forbid(conditional.generator_input, conditional.label_weights):
        zz = z.clone().requires_grad_(True)
        got = as_tensor("generator_input(z, labels, 3)", generator_input(zz, labels, 3))
        expect(tuple(got.shape) == (5, 7), f"generator_input for z of shape (5, 4) and 3 classes has shape "
               f"{tuple(got.shape)}, expected (5, 7): concatenate along dim=1")
        swapped = torch.cat([conditional.one_hot(labels, 3), z], dim=1)
        if torch.allclose(got.detach(), swapped):
            raise AssertionError("generator_input puts the one-hot label before the noise; expected the noise first, "
                                 "then the label: torch.cat([z, one_hot(labels, n_classes)], dim=1)")
        assert_close("generator_input(z, labels, 3)", got, expected)
        got.sum().backward()
        expect(zz.grad is not None and bool((zz.grad == 1).all()),
               "no gradient reaches z through generator_input: build it with torch.cat, without detaching z")


def check_discriminator_input(discriminator_input) -> None:
    """``discriminator_input(images, labels, n_classes)``: the image, then n_classes constant label channels."""
    cases = [(torch.rand(4, 1, 28, 28, generator=seeded(12)) * 2 - 1, torch.tensor([7, 0, 3, 9]), 10),
             (torch.rand(3, 3, 5, 7, generator=seeded(13)) * 2 - 1, torch.tensor([1, 3, 0]), 4)]
    expected = [conditional.discriminator_input(images, labels, k) for images, labels, k in cases]
    with use_globals(discriminator_input, one_hot=conditional.one_hot), \
            forbid(conditional.discriminator_input, conditional.label_maps, conditional.label_weights):
        for (images, labels, k), want in zip(cases, expected):
            b, c, h, w = images.shape
            what = f"discriminator_input(images of shape {(b, c, h, w)}, labels, {k})"
            x = images.clone().requires_grad_(True)
            try:
                got = as_tensor(what, discriminator_input(x, labels, k))
            except (RuntimeError, ValueError, IndexError) as err:
                raise AssertionError(f"{what} raised {type(err).__name__}: {err}; it must work for any batch size, "
                                     "number of channels and image size: take them from images.shape") from None
            expect(tuple(got.shape) == (b, c + k, h, w),
                   f"{what} has shape {tuple(got.shape)}, expected {(b, c + k, h, w)}: the image's {c} channel(s) "
                   f"followed by {k} label channels of the image's height and width")
            maps = conditional.one_hot(labels, k)[:, :, None, None].expand(-1, -1, h, w)
            if torch.allclose(got.detach(), torch.cat([maps, images], dim=1)):
                raise AssertionError(f"{what} puts the label channels before the image; expected the image first: "
                                     "torch.cat([images, label_maps], dim=1)")
            assert_close(what, got, want)
            got.sum().backward()
            expect(x.grad is not None and bool((x.grad == 1).all()),
                   "no gradient reaches the images through discriminator_input: the generator learns through it")


# --- the training steps -----------------------------------------------------------------------------------------
def _tiny_cgan(seed: int) -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    G = conditional.ConditionalGenerator(latent_dim=4, n_classes=3, ngf=2)
    D = conditional.ConditionalDiscriminator(ndf=2, n_classes=3)
    gen = seeded(seed)
    real = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    labels = torch.tensor([0, 2, 1, 1, 0, 2])
    noise = torch.randn(6, 4, generator=gen)
    return G, D, real, labels, noise


def check_d_step(d_step) -> None:
    """``d_step(D, G, real, labels, noise, opt_D, wrong_labels=None)``: one step of D on real and generated pairs with
    the same labels, plus real images with wrong labels as fakes when ``wrong_labels`` is given."""
    _check_d_step(d_step, with_wrong=False)
    _check_d_step(d_step, with_wrong=True)


def _check_d_step(d_step, with_wrong: bool) -> None:
    G, D, real, labels, noise = _tiny_cgan(5)
    wrong = torch.tensor([1, 0, 2, 0, 2, 1]) if with_wrong else None
    ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
    ref_loss = training.d_step(ref_D, ref_G, real, labels, noise, torch.optim.SGD(ref_D.parameters(), lr=0.5),
                               wrong_labels=wrong)
    with torch.no_grad():
        fake = G(noise, labels)
        plain = discriminator_loss(D(real, labels), D(fake, labels)).item()
        unlabelled_fakes = discriminator_loss(D(real, labels), D(fake, labels.roll(1))).item()
        wrong_as_real = plain + bce_with_logits(D(real, wrong), 1.0).item() if with_wrong else None
    g_before = snapshot(G)
    dirty_grads(D)
    call = "d_step(D, G, real, labels, noise, opt_D" + (", wrong_labels=wrong_labels)" if with_wrong else ")")
    with use_globals(d_step, discriminator_loss=discriminator_loss, bce_with_logits=bce_with_logits), \
            forbid(training.d_step):
        opt = torch.optim.SGD(D.parameters(), lr=0.5)
        result = d_step(D, G, real, labels, noise, opt, wrong_labels=wrong) if with_wrong else \
            d_step(D, G, real, labels, noise, opt)
        loss = as_number(call, result)
    if abs(loss - ref_loss) > 1e-5:
        if abs(loss - unlabelled_fakes) < 1e-5:
            raise AssertionError(f"{call} returned loss {loss:.6g}, expected {ref_loss:.6g}: the generated images must "
                                 "be judged with the labels they were generated for, D(G(noise, labels).detach(), labels)")
        if with_wrong and abs(loss - plain) < 1e-5:
            raise AssertionError(f"{call} returned loss {loss:.6g}, expected {ref_loss:.6g}: with wrong_labels given, add "
                                 "a third term, real images paired with the wrong labels judged as fakes (target 0), "
                                 "e.g. bce_with_logits(D(real, wrong_labels), 0.0)")
        if with_wrong and abs(loss - wrong_as_real) < 1e-5:
            raise AssertionError(f"{call} returned loss {loss:.6g}, expected {ref_loss:.6g}: a real image with a wrong "
                                 "label is a *fake* pair: its target is 0, not 1")
    expect(abs(loss - ref_loss) < 1e-5, f"{call} returned loss {loss:.6g}, expected {ref_loss:.6g} = "
           "discriminator_loss(D(real, labels), D(G(noise, labels).detach(), labels))"
           + (" + bce_with_logits(D(real, wrong_labels), 0.0)" if with_wrong else "")
           + ", with real and generated images passed through D separately")
    expect(not changed(g_before, G), "d_step changed G's weights; only D should be updated in the discriminator step")
    stray = [n for n, p in G.named_parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)]
    expect(not stray, "after d_step, G's parameters hold gradients: detach the generated batch "
           f"(G(noise, labels).detach()) so that D's loss does not backpropagate into G (found them in {stray[:3]} ...)")
    for (name, got), want in zip(D.named_parameters(), ref_D.parameters()):
        if not torch.allclose(got.detach(), want.detach(), atol=1e-5):
            raise AssertionError(
                f"after {call}, D's parameter {name} differs from the reference step: zero the old gradients "
                "(opt_D.zero_grad()), backpropagate the discriminator loss, then call opt_D.step()")


def check_g_step(g_step) -> None:
    """``g_step(D, G, noise, labels, opt_G)``: one step of G on the non-saturating loss of D(G(z, y), y)."""
    G, D, _, labels, noise = _tiny_cgan(6)
    ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
    ref_loss = training.g_step(ref_D, ref_G, noise, labels, torch.optim.SGD(ref_G.parameters(), lr=0.5))
    with torch.no_grad():
        unlabelled = generator_loss(D(G(noise, labels), labels.roll(1))).item()
    d_before = snapshot(D)
    dirty_grads(G)
    with use_globals(g_step, generator_loss=generator_loss), forbid(training.g_step):
        loss = as_number("g_step", g_step(D, G, noise, labels, torch.optim.SGD(G.parameters(), lr=0.5)))
    if abs(loss - ref_loss) > 1e-5 and abs(loss - unlabelled) < 1e-5:
        raise AssertionError(f"g_step returned loss {loss:.6g}, expected {ref_loss:.6g}: D must judge the generated "
                             "images with the labels G was asked for, D(G(noise, labels), labels)")
    expect(abs(loss - ref_loss) < 1e-5, f"g_step returned loss {loss:.6g}, expected {ref_loss:.6g} = "
           "generator_loss(D(G(noise, labels), labels)) (the non-saturating form)")
    expect(not changed(d_before, D), "g_step changed D's weights; only G should be updated in the generator step")
    for (name, got), want in zip(G.named_parameters(), ref_G.parameters()):
        if not torch.allclose(got.detach(), want.detach(), atol=1e-5):
            raise AssertionError(
                f"after g_step, G's parameter {name} differs from the reference step: zero the old gradients "
                "(opt_G.zero_grad()), backpropagate generator_loss(D(G(noise, labels), labels)), then opt_G.step()")


# --- measuring class accuracy ---------------------------------------------------------------------------------
class _ScriptedGenerator(nn.Module):
    """A stand-in generator whose output class is known: in eval mode classes 0 and 1 come out right, class 2 right
    only when z[0] > 0 (half the time), class 3 never. In training mode every image comes out as class 0."""

    latent_dim, n_classes = 3, 4

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.calls: list[dict] = []

    def forward(self, z, labels):
        self.calls.append({"training": self.training, "grad": torch.is_grad_enabled(), "z": z.detach().clone(),
                           "labels": labels.detach().clone()})
        drawn = labels.clone()
        drawn[(labels == 2) & (z[:, 0] <= 0)] = 1
        drawn[labels == 3] = 0
        if self.training:
            drawn = torch.zeros_like(labels)
        value = (drawn.float() / 10 - 0.5) * self.scale                       # the class, written into every pixel
        return value[:, None, None, None].expand(-1, 1, 28, 28)


class _PixelClassifier(nn.Module):
    """Reads the class written into the pixels by ``_ScriptedGenerator`` (10 logits)."""

    def __init__(self):
        super().__init__()
        self.centres = nn.Parameter(torch.arange(10).float() / 10 - 0.5, requires_grad=False)

    def forward(self, x):
        return -1000 * (x.mean(dim=(1, 2, 3))[:, None] - self.centres) ** 2   # (B, 10)


def check_class_accuracy(class_accuracy) -> None:
    """``class_accuracy(G, classifier, per_class)``: per_class samples of every class, fresh N(0, I) noise, G in
    eval mode without gradients, the share classified as the requested class, G's mode restored."""
    with forbid(label_metrics.class_accuracy, sampling.generate):
        G, clf = _ScriptedGenerator(), _PixelClassifier()
        torch.manual_seed(0)
        result = class_accuracy(G, clf, per_class=400)
        if isinstance(result, torch.Tensor):
            raise AssertionError("class_accuracy returned a tensor; expected a Python float (use float(...) or .item())")
        expect(isinstance(result, numbers.Real), f"class_accuracy returned {type(result).__name__}, expected a float")
        expect(G.calls, "class_accuracy never called G(z, labels)")
        labels = torch.cat([c["labels"] for c in G.calls])
        counts = torch.bincount(labels.long(), minlength=4).tolist()
        expect(counts == [400] * 4, f"G was asked for {counts} images of classes 0..3 with per_class=400; expected "
               "exactly per_class images of every class, e.g. torch.arange(n_classes).repeat_interleave(per_class)")
        z = torch.cat([c["z"] for c in G.calls])
        expect(tuple(z.shape) == (1600, 3), f"the noise had shape {tuple(z.shape)}, expected (1600, G.latent_dim)")
        expect(abs(float(z.mean())) < 0.1 and abs(float(z.std()) - 1) < 0.1,
               f"the noise has mean {float(z.mean()):.2f} and std {float(z.std()):.2f}: expected standard normal noise")
        expect(not any(c["training"] for c in G.calls), "G was in training mode while generating: call G.eval() first "
               "(batch normalisation must use its running statistics when drawing samples)")
        expect(not any(c["grad"] for c in G.calls),
               "G ran with gradients enabled: generate under torch.no_grad(), nothing is trained here")
        expect(G.training, "class_accuracy left G in eval mode: put it back with G.train() (if it was training)")
        share = float(result)
        expect(0.0 <= share <= 1.0, f"class_accuracy returned {share}, expected a share between 0 and 1")
        expect(abs(share - 0.625) < 0.03, f"class_accuracy returned {share:.3f}; for this generator about 0.625 of the "
               "samples are classified as their requested class (classes 0 and 1 always, 2 half the time, 3 never): "
               "compare classifier(images).argmax(dim=1) with the requested labels")
        G.eval()
        class_accuracy(G, clf, per_class=5)
        expect(not G.training, "class_accuracy switched a generator that was in eval mode to training mode: "
               "restore the mode G was in")

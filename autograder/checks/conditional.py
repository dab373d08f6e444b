"""Checks for notebook 04 (conditional GAN): each has the student's answer run on seeded inputs by a probe
(``autograder.probes.conditional``) and compares the report with gancourse's reference on the same inputs. Hidden
test cells call these; a failure says what differs and what was expected."""
from __future__ import annotations

import copy

import torch

from autograder.checks import as_tensor, assert_close, expect, seeded
from autograder.checks.conditional_helpers import (CONFIG, d_step_mistakes, expect_value_error, first_difference,
                                                   g_step_mistakes, number, tiny_cgan, weights)
from autograder.grading.answers import Answer, graded, outcome
from autograder.probes import conditional as probes
from gancourse.models import conditional
from gancourse.training import conditional as training

MODELS = "gancourse.models.conditional"


# --- one-hot encoding ------------------------------------------------------------------------------------------
@graded(probes, guards=(f"{MODELS}.one_hot", f"{MODELS}.label_weights"))
def check_one_hot(one_hot: Answer) -> None:
    """``one_hot(labels, n_classes)``: float32 (B, n_classes) rows with a single 1; ValueError for labels out of range."""
    labels = torch.tensor([3, 0, 9, 3, 7, 1])
    expected = conditional.one_hot(labels, 10)

    def answer(what, *args):
        return as_tensor(what, outcome(one_hot.probe("call", args=list(args)), what))

    got = answer("one_hot(labels, 10)", labels, 10)
    expect(got.dtype == torch.float32, f"one_hot returns dtype {got.dtype}, expected torch.float32: the networks "
           "multiply it with float weights (use .float())")
    assert_close("one_hot(torch.tensor([3, 0, 9, 3, 7, 1]), 10)", got, expected)
    three = answer("one_hot(labels, 5)", torch.tensor([2, 1, 0]), 5)
    expect(tuple(three.shape) == (3, 5), f"one_hot(torch.tensor([2, 1, 0]), 5) has shape {tuple(three.shape)}, "
           "expected (3, 5): the width is n_classes, not the largest label + 1")
    one = answer("one_hot of a batch of one", torch.tensor([1]), 3)
    expect(tuple(one.shape) == (1, 3), f"one_hot(torch.tensor([1]), 3) has shape {tuple(one.shape)}, expected (1, 3): "
           "a batch of one label is still a batch, one row per label (do not squeeze the result)")
    assert_close("one_hot(torch.tensor([1]), 3)", one, torch.tensor([[0.0, 1.0, 0.0]]))
    for bad, hint in ((torch.tensor([0, 10]), ": 10 is not below n_classes"),
                      (torch.tensor([-1, 2]), ": labels below 0 are out of range too (as an index, -1 would silently "
                                              "pick the last class)")):
        expect_value_error(f"one_hot({bad.tolist()}, 10)", one_hot.probe("call", args=[bad, 10]), hint)


# --- the conditioned inputs -------------------------------------------------------------------------------------
def _conditioned(answer: Answer, what: str, args: list, shape_hint: str = "") -> tuple[torch.Tensor, dict]:
    """The answer's value on ``args`` (the first requiring grad, gancourse's one_hot lent to it), and the report."""
    report = answer.probe("conditioned_input", args=args)
    if not report.get("ok") and report.get("error") != "ReferenceUsed":
        message = report.get("message", "")
        if "grad" in message:
            raise AssertionError(f"{what} raised {report.get('error')} on inputs that require grad, as they do while "
                                 f"the GAN trains ({message}): build it with torch operations such as torch.cat, "
                                 "which keep the gradient, not NumPy")
        if shape_hint and report.get("error") in ("RuntimeError", "ValueError", "IndexError"):
            raise AssertionError(f"{what} raised {report.get('error')}: {message}{shape_hint}")
    return as_tensor(what, outcome(report, what)), report


def _same(got: torch.Tensor, other: torch.Tensor) -> bool:
    return got.shape == other.shape and torch.allclose(got.double(), other.double())


@graded(probes, guards=(f"{MODELS}.generator_input", f"{MODELS}.label_weights"))
def check_generator_input(generator_input: Answer) -> None:
    """``generator_input(z, labels, n_classes)``: [z, one_hot(labels)] of shape (B, latent_dim + n_classes)."""
    z = torch.randn(5, 4, generator=seeded(11))
    labels = torch.tensor([2, 0, 1, 2, 1])
    expected = conditional.generator_input(z, labels, 3)
    got, report = _conditioned(generator_input, "generator_input(z, labels, 3)", [z, labels, 3])
    expect(tuple(got.shape) == (5, 7), f"generator_input for z of shape (5, 4) and 3 classes has shape "
           f"{tuple(got.shape)}, expected (5, 7): concatenate along dim=1")
    swapped = torch.cat([conditional.one_hot(labels, 3), z], dim=1)
    if _same(got, swapped):
        raise AssertionError("generator_input puts the one-hot label before the noise; expected the noise first, "
                             "then the label: torch.cat([z, one_hot(labels, n_classes)], dim=1)")
    assert_close("generator_input(z, labels, 3)", got, expected)
    grad = report.get("grad")
    expect(report.get("requires_grad") and isinstance(grad, torch.Tensor) and grad.shape == z.shape
           and bool((grad == 1).all()),
           "no gradient reaches z through generator_input: build it with torch.cat, without detaching z")
    narrow = torch.tensor([0, 1, 0])
    what = "generator_input(z of shape (3, 2), torch.tensor([0, 1, 0]), 5)"
    got, _ = _conditioned(generator_input, what, [torch.randn(3, 2, generator=seeded(14)), narrow, 5])
    expect(tuple(got.shape) == (3, 7), f"{what} has shape {tuple(got.shape)}, expected (3, 2 + 5) = (3, 7): the label "
           "part has n_classes columns whatever labels the batch holds, one_hot(labels, n_classes), not a width "
           "taken from the labels")
    assert_close(what, got[:, 2:], conditional.one_hot(narrow, 5))


@graded(probes, guards=(f"{MODELS}.discriminator_input", f"{MODELS}.label_maps", f"{MODELS}.label_weights"))
def check_discriminator_input(discriminator_input: Answer) -> None:
    """``discriminator_input(images, labels, n_classes)``: the image, then n_classes constant label channels."""
    cases = [(torch.rand(4, 1, 28, 28, generator=seeded(12)) * 2 - 1, torch.tensor([7, 0, 3, 9]), 10),
             (torch.rand(3, 3, 5, 7, generator=seeded(13)) * 2 - 1, torch.tensor([1, 3, 0]), 4)]
    for images, labels, k in cases:
        want = conditional.discriminator_input(images, labels, k)
        b, c, h, w = images.shape
        what = f"discriminator_input(images of shape {(b, c, h, w)}, labels, {k})"
        got, report = _conditioned(discriminator_input, what, [images, labels, k],
                                   shape_hint="; it must work for any batch size, number of channels and image "
                                              "size: take them from images.shape")
        expect(tuple(got.shape) == (b, c + k, h, w),
               f"{what} has shape {tuple(got.shape)}, expected {(b, c + k, h, w)}: the image's {c} channel(s) "
               f"followed by {k} label channels of the image's height and width")
        maps = conditional.one_hot(labels, k)[:, :, None, None].expand(-1, -1, h, w)
        if _same(got, torch.cat([maps, images], dim=1)):
            raise AssertionError(f"{what} puts the label channels before the image; expected the image first: "
                                 "torch.cat([images, label_maps], dim=1)")
        assert_close(what, got, want)
        grad = report.get("grad")
        expect(report.get("requires_grad") and isinstance(grad, torch.Tensor) and grad.shape == images.shape
               and bool((grad == 1).all()),
               "no gradient reaches the images through discriminator_input: the generator learns through it")


# --- the training steps -----------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.training.conditional.d_step",))
def check_d_step(d_step: Answer) -> None:
    """``d_step(D, G, real, labels, noise, opt_D, wrong_labels=None)``: one step of D on real and generated pairs with
    the same labels, plus real images with wrong labels as fakes when ``wrong_labels`` is given."""
    _check_d_step(d_step, with_wrong=False)
    _check_d_step(d_step, with_wrong=True)


def _check_d_step(d_step: Answer, with_wrong: bool) -> None:
    G, D, real, labels, noise = tiny_cgan(5)
    wrong = torch.tensor([1, 0, 2, 0, 2, 1]) if with_wrong else None
    G_state, D_state = weights(G), weights(D)
    ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
    ref_loss = training.d_step(ref_D, ref_G, real, labels, noise, torch.optim.SGD(ref_D.parameters(), lr=0.5),
                               wrong_labels=wrong)
    mistakes = d_step_mistakes(G, D, real, labels, noise, wrong)
    call = "d_step(D, G, real, labels, noise, opt_D" + (", wrong_labels=wrong_labels)" if with_wrong else ")")
    report = d_step.probe("d_step_run", config=CONFIG, G_state=G_state, D_state=D_state, real=real, labels=labels,
                          noise=noise, wrong_labels=wrong, lr=0.5)
    loss = number(call, report)
    if abs(loss - ref_loss) > 1e-5:
        for value, hint in mistakes:
            if abs(loss - value) < 1e-5:
                raise AssertionError(f"{call} returned loss {loss:.6g}, expected {ref_loss:.6g}: {hint}")
    expect(abs(loss - ref_loss) < 1e-5, f"{call} returned loss {loss:.6g}, expected {ref_loss:.6g} = "
           "discriminator_loss(D(real, labels), D(G(noise, labels).detach(), labels))"
           + (" + bce_with_logits(D(real, wrong_labels), 0.0)" if with_wrong else "")
           + ", with real and generated images passed through D separately")
    expect(first_difference(report["G"], G) is None,
           "d_step changed G's weights; only D should be updated in the discriminator step")
    stray = report["G_grads"]
    expect(not stray, "after d_step, G's parameters hold gradients: detach the generated batch "
           f"(G(noise, labels).detach()) so that D's loss does not backpropagate into G (found them in {stray[:3]} ...)")
    expect(not report["G_frozen"], f"d_step left G's parameters frozen (requires_grad=False for {report['G_frozen'][:3]} "
           "...), so the next g_step cannot train G: detach the generated batch instead (G(noise, labels).detach()), "
           "or restore requires_grad")
    expect(report["G_training"], "d_step left G in eval mode: G trains between the steps, leave its mode alone")
    expect(report["D_training"], "d_step left D in eval mode: D is being trained, leave it in training mode")
    name = first_difference(report["D"], ref_D)
    if name is not None:
        raise AssertionError(
            f"after {call}, D's parameter {name} differs from the reference step: zero the old gradients "
            "(opt_D.zero_grad()), backpropagate the discriminator loss, then call opt_D.step()")


@graded(probes, guards=("gancourse.training.conditional.g_step",))
def check_g_step(g_step: Answer) -> None:
    """``g_step(D, G, noise, labels, opt_G)``: one step of G on the non-saturating loss of D(G(z, y), y)."""
    G, D, _, labels, noise = tiny_cgan(6)
    G_state, D_state = weights(G), weights(D)
    ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
    ref_loss = training.g_step(ref_D, ref_G, noise, labels, torch.optim.SGD(ref_G.parameters(), lr=0.5))
    mistakes = g_step_mistakes(G, D, noise, labels)
    report = g_step.probe("g_step_run", config=CONFIG, G_state=G_state, D_state=D_state, noise=noise, labels=labels,
                          lr=0.5)
    loss = number("g_step", report)
    if abs(loss - ref_loss) > 1e-5:
        for value, hint in mistakes:
            if abs(loss - value) < 1e-5:
                raise AssertionError(f"g_step returned loss {loss:.6g}, expected {ref_loss:.6g}: {hint}")
    expect(abs(loss - ref_loss) < 1e-5, f"g_step returned loss {loss:.6g}, expected {ref_loss:.6g} = "
           "generator_loss(D(G(noise, labels), labels)) (the non-saturating form)")
    expect(first_difference(report["D"], D) is None,
           "g_step changed D's weights; only G should be updated in the generator step")
    expect(not report["D_frozen"], f"g_step left D's parameters frozen (requires_grad=False for {report['D_frozen'][:3]} "
           "...), so the next d_step cannot train D: D's weights stay as they are anyway, since only opt_G steps")
    expect(report["D_training"], "g_step left D in eval mode: the next d_step would train D in eval mode; leave D's "
           "mode alone")
    expect(report["G_training"], "g_step left G in eval mode: G is being trained, leave it in training mode")
    name = first_difference(report["G"], ref_G)
    if name is not None:
        raise AssertionError(
            f"after g_step, G's parameter {name} differs from the reference step: zero the old gradients "
            "(opt_G.zero_grad()), backpropagate generator_loss(D(G(noise, labels), labels)), then opt_G.step()")


# --- measuring class accuracy ---------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.metrics.labels.class_accuracy", "gancourse.sampling.generate"))
def check_class_accuracy(class_accuracy: Answer) -> None:
    """``class_accuracy(G, classifier, per_class)``: per_class samples of every class, fresh N(0, I) noise, G in
    eval mode without gradients, the share classified as the requested class, G's mode restored.

    The probe's generator is scripted (``autograder.probes.conditional._ScriptedGenerator``, 4 classes, latent_dim
    3): in eval mode classes 0 and 1 come out right, class 2 half the time, class 3 never; in training mode all are 0.
    """
    report = class_accuracy.probe("class_accuracy_run", seed=0, per_class=400, eval_per_class=5)
    outcome(report, "class_accuracy")
    if report["tensor"]:
        raise AssertionError("class_accuracy returned a tensor; expected a Python float (use float(...) or .item())")
    expect(report["number"] is not None, f"class_accuracy returned {report['type']}, expected a float")
    calls = report["calls"]
    expect(calls, "class_accuracy never called G(z, labels)")
    labels = torch.cat([as_tensor("the labels G was asked for", c["labels"]).flatten() for c in calls])
    counts = torch.bincount(labels.long().clamp(min=0), minlength=4).tolist()
    expect(counts == [400] * 4, f"G was asked for {counts} images of classes 0..3 with per_class=400; expected "
           "exactly per_class images of every class, e.g. torch.arange(n_classes).repeat_interleave(per_class)")
    z = torch.cat([as_tensor("the noise G was given", c["z"]).float() for c in calls])
    expect(tuple(z.shape) == (1600, 3), f"the noise had shape {tuple(z.shape)}, expected (1600, G.latent_dim)")
    expect(abs(float(z.mean())) < 0.1 and abs(float(z.std()) - 1) < 0.1,
           f"the noise has mean {float(z.mean()):.2f} and std {float(z.std()):.2f}: expected standard normal noise")
    expect(not any(c["training"] for c in calls), "G was in training mode while generating: call G.eval() first "
           "(batch normalisation must use its running statistics when drawing samples)")
    expect(not any(c["grad"] for c in calls),
           "G ran with gradients enabled: generate under torch.no_grad(), nothing is trained here")
    expect(report["training_after"], "class_accuracy left G in eval mode: put it back with G.train() (if it was training)")
    share = report["number"]
    expect(0.0 <= share <= 1.0, f"class_accuracy returned {share}, expected a share between 0 and 1")
    expect(abs(share - 0.625) < 0.03, f"class_accuracy returned {share:.3f}; for this generator about 0.625 of the "
           "samples are classified as their requested class (classes 0 and 1 always, 2 half the time, 3 never): "
           "compare classifier(images).argmax(dim=1) with the requested labels")
    again = report["eval_run"]
    outcome(again, "class_accuracy on a generator in eval mode")
    expect(not again["training_after"], "class_accuracy switched a generator that was in eval mode to training mode: "
           "restore the mode G was in")

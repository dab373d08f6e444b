"""The check of notebook 03's last exercise, ``train_step``: one DCGAN update of D then G, against gancourse's
``d_step`` and ``g_step`` on the same seeded tiny networks and batch. The probe (``autograder.probes.dcgan.step``)
runs the answer on copies of those networks and reports its result and both networks' state afterwards.
``autograder.checks.dcgan.check_train_step`` is the graded check; this module holds its body."""
from __future__ import annotations

import copy

import torch

from autograder.checks import expect, manual_seed, seeded
from autograder.grading.answers import Answer, outcome
from gancourse import losses, training
from gancourse.models import dcgan

GUARDS = ("gancourse.training.gan.d_step", "gancourse.training.gan.g_step", "gancourse.training.gan.train_gan")
_KEYS = ("loss_D", "loss_G", "D_real", "D_fake")
_LR = 0.5


def _tiny_dcgan(seed: int):
    manual_seed(seed)
    G, D = dcgan.DCGANGenerator(latent_dim=8, ngf=4), dcgan.DCGANDiscriminator(ndf=4)
    gen = seeded(seed)
    real = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    noise = torch.randn(6, 8, generator=gen)
    return G, D, real, noise


def _reference_step(G, D, real, noise, lr: float) -> dict:
    """gancourse's d_step then g_step on G and D (updated in place), and what typical slips would give instead."""
    G0, D0 = copy.deepcopy(G), copy.deepcopy(D)
    fake = G0(noise)
    real_logits, fake_logits = copy.deepcopy(D0)(real), copy.deepcopy(D0)(fake)
    # D's loss without fake.detach(): the gradient it would leave in G
    leak = torch.autograd.grad(losses.discriminator_loss(real_logits, fake_logits), list(G0.parameters()))
    loss_D = training.d_step(D, G, real, noise, torch.optim.SGD(D.parameters(), lr=lr))
    loss_G = training.g_step(D, G, noise, torch.optim.SGD(G.parameters(), lr=lr))
    with torch.no_grad():
        return {"loss_D": loss_D, "loss_G": loss_G, "D_real": torch.sigmoid(real_logits).mean().item(),
                "D_fake": torch.sigmoid(fake_logits).mean().item(),
                "swapped": losses.discriminator_loss(fake_logits, real_logits).item(),
                "loss_G_old_D": losses.generator_loss(fake_logits).item(),
                "G_leaked": {n: p - lr * g for (n, p), g in zip(G.named_parameters(), leak)}}


def _failure(report: dict) -> None:
    """What the answer raised, named where the error is a typical mistake of a GAN step."""
    message = str(report.get("message", ""))
    if report.get("error") == "RuntimeError" and "backward through the graph a second time" in message:
        raise AssertionError("train_step ran backward twice through the generator's graph: in D's update use "
                             "fake.detach(), so that D's loss does not backpropagate into G and G's graph is "
                             "kept for G's own update")
    if report.get("error") == "RuntimeError" and "modified by an inplace operation" in message:
        raise AssertionError("train_step computed G's loss before D's update and backpropagated it after "
                             "opt_D.step() had changed D's weights: compute loss_G = generator_loss(D(fake)) "
                             "after opt_D.step(), with the updated D")
    outcome(report, "train_step")


def _same(got: dict, want: dict) -> bool:
    return all(got.get(name) is not None and tuple(got[name].shape) == tuple(w.shape)
               and torch.allclose(got[name], w.detach(), atol=1e-5) for name, w in want.items())


def _expect_same(net: str, got: dict, reference: torch.nn.Module, hint: str) -> None:
    for name, want in reference.named_parameters():
        if not _same(got, {name: want}):
            raise AssertionError(f"after train_step, {net}'s parameter {name} differs from the reference: {hint}")


def compare_train_step(train_step: Answer) -> None:
    """The body of ``autograder.checks.dcgan.check_train_step``, which is graded there, under the name the
    notebook's hidden test imports (the grader finds a check by the module it is imported from)."""
    G, D, real, noise = _tiny_dcgan(7)
    nets = {"generator": {"kwargs": {"latent_dim": 8, "ngf": 4}, "state": dict(G.state_dict())},
            "discriminator": {"kwargs": {"ndf": 4}, "state": dict(D.state_dict())}}
    report = train_step.probe("step", **nets, real=real, noise=noise, lr=_LR)
    expected = _reference_step(G, D, real, noise, lr=_LR)
    if not report.get("ok"):
        _failure(report)
    expect(report["is_dict"], f"train_step should return a dict with keys {list(_KEYS)}, got {report['type']}")
    entries = report["entries"]
    missing = [k for k in _KEYS if k not in entries]
    expect(not missing, f"train_step's result lacks the keys {missing}; expected {list(_KEYS)}")
    for key in _KEYS:
        if entries[key]["tensor"]:
            raise AssertionError(f"train_step's {key} is a tensor; expected a Python float (.item())")
        expect(entries[key]["real"], f"train_step's {key} is {entries[key]['type']}, expected a float")
    result = {key: entries[key]["value"] for key in _KEYS}
    if abs(result["D_real"] - expected["D_real"]) > 1e-5 or abs(result["D_fake"] - expected["D_fake"]) > 1e-5:
        raise AssertionError(
            f"train_step returned D_real={result['D_real']:.5f}, D_fake={result['D_fake']:.5f}, expected "
            f"{expected['D_real']:.5f} and {expected['D_fake']:.5f}: the mean of sigmoid(D(real)) and of "
            "sigmoid(D(fake)) in the discriminator's step, before its update (probabilities, not logits)")
    if abs(result["loss_D"] - expected["swapped"]) < 1e-5 < abs(result["loss_D"] - expected["loss_D"]):
        raise AssertionError(f"train_step returned loss_D={result['loss_D']:.6g}, expected {expected['loss_D']:.6g}: "
                             "the arguments of discriminator_loss are swapped; it takes the real logits first, "
                             "discriminator_loss(D(real), D(fake.detach()))")
    expect(abs(result["loss_D"] - expected["loss_D"]) < 1e-5,
           f"train_step returned loss_D={result['loss_D']:.6g}, expected {expected['loss_D']:.6g} = "
           "discriminator_loss(D(real), D(fake.detach()))")
    _expect_same("D", report["D"], D, "clear D's old gradients (opt_D.zero_grad()), backpropagate loss_D, "
                                      "then opt_D.step()")
    passes = sorted({int(v) for k, v in report["G"].items() if k.endswith("num_batches_tracked")})
    expect(passes == [1], f"G's batch-norm layers counted {', '.join(map(str, passes))} forward passes in training "
                          "mode during train_step, expected 1: draw one fake batch, fake = G(noise), and use "
                          "fake.detach() for D's update and fake itself for G's (no second G(...) call)")
    if abs(result["loss_G"] - expected["loss_G"]) > 1e-5:
        stale = abs(result["loss_G"] - expected["loss_G_old_D"]) < 1e-5
        raise AssertionError(
            f"train_step returned loss_G={result['loss_G']:.6g}, expected {expected['loss_G']:.6g} = "
            + ("generator_loss(D(fake)) computed with the *updated* D: call D(fake) again after opt_D.step()" if stale
               else "generator_loss(D(fake)), the non-saturating loss of the same fake batch through the updated D"))
    expect(not _same(report["G"], expected["G_leaked"]),
           "after train_step, G's parameters moved by the gradients of both losses: D's loss reached G through fake "
           "(loss_D.backward(retain_graph=True) hides the error, not the leak); use D(fake.detach()) in D's update")
    _expect_same("G", report["G"], G, "clear G's old gradients (opt_G.zero_grad()) before loss_G.backward(), "
                                      "then opt_G.step()")

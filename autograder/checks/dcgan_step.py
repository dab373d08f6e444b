"""The check of notebook 03's last exercise, ``train_step``: one DCGAN update of D then G, against gancourse's
``d_step`` and ``g_step`` on the same seeded tiny networks and batch."""
from __future__ import annotations

import copy
import numbers

import torch

from autograder.checks import dirty_grads, expect, seeded
from autograder.references import forbid, use_globals
from gancourse import losses, training
from gancourse.models import dcgan


_KEYS = ("loss_D", "loss_G", "D_real", "D_fake")


def _tiny_dcgan(seed: int):
    torch.manual_seed(seed)
    G, D = dcgan.DCGANGenerator(latent_dim=8, ngf=4), dcgan.DCGANDiscriminator(ndf=4)
    gen = seeded(seed)
    real = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    noise = torch.randn(6, 8, generator=gen)
    return G, D, real, noise


def _reference_step(G, D, real, noise, lr: float) -> dict:
    with torch.no_grad():
        D_real = torch.sigmoid(copy.deepcopy(D)(real)).mean().item()
        D_fake = torch.sigmoid(copy.deepcopy(D)(copy.deepcopy(G)(noise))).mean().item()
    loss_D = training.d_step(D, G, real, noise, torch.optim.SGD(D.parameters(), lr=lr))
    loss_G = training.g_step(D, G, noise, torch.optim.SGD(G.parameters(), lr=lr))
    return {"loss_D": loss_D, "loss_G": loss_G, "D_real": D_real, "D_fake": D_fake}


def check_train_step(train_step) -> None:
    """``train_step(G, D, real, noise, opt_G, opt_D)``: D's update on the detached fakes, then G's through the
    updated D, one generator pass; returns floats ``loss_D``, ``loss_G``, ``D_real``, ``D_fake``."""
    G, D, real, noise = _tiny_dcgan(7)
    ref_G, ref_D = copy.deepcopy(G), copy.deepcopy(D)
    expected = _reference_step(ref_G, ref_D, real, noise, lr=0.5)
    dirty_grads(G), dirty_grads(D)
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.5), torch.optim.SGD(D.parameters(), lr=0.5)
    with use_globals(train_step, discriminator_loss=losses.discriminator_loss, generator_loss=losses.generator_loss), \
            forbid(training.d_step, training.g_step, training.train_gan):
        try:
            result = train_step(G, D, real, noise, opt_G, opt_D)
        except RuntimeError as err:
            if "backward through the graph a second time" in str(err):
                raise AssertionError("train_step ran backward twice through the generator's graph: in D's update use "
                                     "fake.detach(), so that D's loss does not backpropagate into G and G's graph is "
                                     "kept for G's own update") from None
            if "modified by an inplace operation" in str(err):
                raise AssertionError("train_step computed G's loss before D's update and backpropagated it after "
                                     "opt_D.step() had changed D's weights: compute loss_G = generator_loss(D(fake)) "
                                     "after opt_D.step(), with the updated D") from None
            raise
    expect(isinstance(result, dict), f"train_step should return a dict with keys {list(_KEYS)}, "
                                     f"got {type(result).__name__}")
    missing = [k for k in _KEYS if k not in result]
    expect(not missing, f"train_step's result lacks the keys {missing}; expected {list(_KEYS)}")
    for key in _KEYS:
        if isinstance(result[key], torch.Tensor):
            raise AssertionError(f"train_step's {key} is a tensor; expected a Python float (.item())")
        expect(isinstance(result[key], numbers.Real), f"train_step's {key} is {type(result[key]).__name__}, expected a float")
    if abs(result["D_real"] - expected["D_real"]) > 1e-5 or abs(result["D_fake"] - expected["D_fake"]) > 1e-5:
        raise AssertionError(
            f"train_step returned D_real={result['D_real']:.5f}, D_fake={result['D_fake']:.5f}, expected "
            f"{expected['D_real']:.5f} and {expected['D_fake']:.5f}: the mean of sigmoid(D(real)) and of "
            "sigmoid(D(fake)) in the discriminator's step, before its update (probabilities, not logits)")
    expect(abs(result["loss_D"] - expected["loss_D"]) < 1e-5,
           f"train_step returned loss_D={result['loss_D']:.6g}, expected {expected['loss_D']:.6g} = "
           "discriminator_loss(D(real), D(fake.detach()))")
    for (name, got), want in zip(D.named_parameters(), ref_D.parameters()):
        if not torch.allclose(got.detach(), want.detach(), atol=1e-5):
            raise AssertionError(f"after train_step, D's parameter {name} differs from the reference: clear D's old "
                                 "gradients (opt_D.zero_grad()), backpropagate loss_D, then opt_D.step()")
    if abs(result["loss_G"] - expected["loss_G"]) > 1e-5:
        raise AssertionError(
            f"train_step returned loss_G={result['loss_G']:.6g}, expected {expected['loss_G']:.6g} = "
            "generator_loss(D(fake)) computed with the *updated* D: call D(fake) again after opt_D.step()")
    for (name, got), want in zip(G.named_parameters(), ref_G.parameters()):
        if not torch.allclose(got.detach(), want.detach(), atol=1e-5):
            raise AssertionError(f"after train_step, G's parameter {name} differs from the reference: clear G's old "
                                 "gradients (opt_G.zero_grad()) before loss_G.backward(), then opt_G.step()")

"""Checks for notebook 01 (intro): each runs the student's answer and gancourse's reference on the same
seeded inputs and compares them. Hidden test cells call these; a failure says what differs and what was expected."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from autograder.checks import (as_number, as_tensor, assert_close, changed, copy_parameters, dirty_grads, expect,
                               seeded, snapshot)
from autograder.references import forbid, use_globals
from gancourse import losses, sampling, training
from gancourse.models import MLPDiscriminator, MLPGenerator


def check_sample_noise(sample_noise) -> None:
    """``sample_noise(batch_size, latent_dim)``: standard normal, float32, reproducible with torch.manual_seed."""
    with forbid(sampling.sample_noise):
        z = as_tensor("sample_noise(4, 3)", sample_noise(4, 3))
        expect(tuple(z.shape) == (4, 3), f"sample_noise(4, 3) has shape {tuple(z.shape)}, expected (4, 3)")
        expect(z.dtype == torch.float32, f"sample_noise returns dtype {z.dtype}, expected torch.float32")
        big = sample_noise(20000, 8).double()
        mean, std = big.mean().item(), big.std().item()
        expect(abs(mean) < 0.03, f"the noise has mean {mean:.3f}, expected about 0 (standard normal)")
        expect(abs(std - 1) < 0.03, f"the noise has standard deviation {std:.3f}, expected about 1 (standard normal)")
        tails = (big.abs() > 2).double().mean().item()
        expect(0.035 < tails < 0.056,
               f"{tails:.1%} of the noise lies beyond ±2, expected about 4.6% as for a normal distribution "
               "(a uniform distribution has no tails): use torch.randn")
        torch.manual_seed(1234)
        first = sample_noise(5, 4)
        torch.manual_seed(1234)
        again = sample_noise(5, 4)
        expect(torch.equal(first, again),
               "after torch.manual_seed(1234) two calls gave different noise: draw it with torch's random generator")
        expect(not torch.equal(again, sample_noise(5, 4)), "two calls in a row returned the same noise")
        for bad in ((0, 4), (4, -1)):
            try:
                sample_noise(*bad)
            except ValueError:
                continue
            except Exception as err:  # noqa: BLE001 — report what was raised instead
                raise AssertionError(f"sample_noise{bad} raised {type(err).__name__}, expected ValueError") from None
            raise AssertionError(f"sample_noise{bad} returned a value, expected a ValueError for a non-positive size")


def _build(cls, what: str, reference: type, **kwargs) -> nn.Module:
    expect(isinstance(cls, type) and issubclass(cls, nn.Module), f"{what} should be a subclass of torch.nn.Module")
    expect(not issubclass(cls, reference),
           f"{what} subclasses gancourse's reference {reference.__name__}; it earns no credit: write the layers yourself")
    net = cls(**kwargs)
    expect(not any(isinstance(m, reference) for m in net.modules()),
           f"{what} contains gancourse's reference {reference.__name__}; it earns no credit: write the layers yourself")
    return net


def _grads_flow(net: nn.Module, out: torch.Tensor, what: str) -> None:
    net.zero_grad(set_to_none=True)
    out.float().pow(2).sum().backward()
    dead = [name for name, p in net.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    expect(not dead, f"no gradient reaches these parameters of {what}: {dead}; is something detached or unused?")


def check_generator(Generator) -> None:
    """``Generator(latent_dim, hidden_dim)``: the reference MLP layers, tanh output of shape (B, 1, 28, 28)."""
    reference = MLPGenerator(latent_dim=8, hidden_dim=16)
    torch.manual_seed(0)
    z = torch.randn(5, 8, generator=seeded(1))
    with torch.no_grad():
        expected, extreme_expected = reference(z), reference(z * 50)
    with forbid(MLPGenerator.forward):
        net = _build(Generator, "Generator", MLPGenerator, latent_dim=8, hidden_dim=16)
        copy_parameters(reference, net, "Generator(latent_dim=8, hidden_dim=16)")
        out = net(z)
        as_tensor("Generator's output", out)
        expect(tuple(out.shape) == (5, 1, 28, 28),
               f"Generator(z) for z of shape (5, 8) has shape {tuple(out.shape)}, expected (5, 1, 28, 28)")
        assert_close("Generator(z)", out, expected)
        extreme = net(z * 50)
        expect(float(extreme.detach().max()) <= 1 and float(extreme.detach().min()) >= -1,
               "Generator outputs leave [-1, 1]: end with Tanh so that samples match the data's range")
        assert_close("Generator(50 z)", extreme, extreme_expected)
        _grads_flow(net, net(z), "Generator")


def check_discriminator(Discriminator) -> None:
    """``Discriminator(hidden_dim)``: the reference MLP layers, one logit per image, shape (B,)."""
    reference = MLPDiscriminator(hidden_dim=16)
    x = torch.randn(6, 1, 28, 28, generator=seeded(2)).clamp(-1, 1)
    with torch.no_grad():
        for p in reference.parameters():
            p.mul_(4)  # larger weights: logits well outside [0, 1]
        big_expected = reference(x)
    with forbid(MLPDiscriminator.forward):
        net = _build(Discriminator, "Discriminator", MLPDiscriminator, hidden_dim=16)
        copy_parameters(reference, net, "Discriminator(hidden_dim=16)")
        out = as_tensor("Discriminator's output", net(x))
        expect(tuple(out.shape) != (6, 1), "Discriminator returns shape (B, 1), expected (B,): squeeze the last dimension")
        expect(tuple(out.shape) == (6,), f"Discriminator(x) for 6 images has shape {tuple(out.shape)}, expected (6,)")
        if torch.allclose(out.detach(), torch.sigmoid(big_expected), atol=1e-5):
            raise AssertionError("Discriminator returns probabilities (a sigmoid at the end); expected logits: "
                                 "the losses apply the sigmoid themselves, stably")
        assert_close("Discriminator(x) (weights scaled by 4)", out, big_expected)
        _grads_flow(net, net(x), "Discriminator")


def _inputs(seed: int) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    gen = seeded(seed)
    return [
        ("random logits", torch.randn(8, generator=gen) * 3, torch.randn(8, generator=gen) * 3),
        ("confident logits (±100)", torch.tensor([100.0, -100.0, 90.0, -80.0]), torch.tensor([-100.0, 100.0, 85.0, -95.0])),
        ("a batch of one", torch.tensor([0.3]), torch.tensor([-1.2])),
    ]


def _compare_loss(what: str, student_fn, reference_fn, *tensors: torch.Tensor, hints: dict | None = None,
                  forbidden: tuple = ()) -> None:
    ref_in = [t.clone().requires_grad_(True) for t in tensors]
    expected = reference_fn(*ref_in)
    expected.backward()
    got_in = [t.clone().requires_grad_(True) for t in tensors]
    with forbid(*forbidden):
        got = as_tensor(what, student_fn(*got_in))
    expect(got.ndim == 0, f"{what} has shape {tuple(got.shape)}, expected a scalar (0-dimensional) tensor: average the batch")
    for hint, variant in (hints or {}).items():
        if not torch.allclose(got.detach(), expected.detach(), atol=1e-5) and \
                torch.allclose(got.detach(), variant(*tensors), atol=1e-5):
            raise AssertionError(f"{what} = {got.item():.5g}, expected {expected.item():.5g}: {hint}")
    assert_close(what, got, expected)
    expect(got.requires_grad, f"{what} carries no gradient: build it from the input tensors with torch operations")
    got.backward()
    for i, (a, b) in enumerate(zip(got_in, ref_in)):
        expect(a.grad is not None, f"{what}: no gradient reaches input {i}")
        assert_close(f"the gradient of {what} with respect to input {i}", a.grad, b.grad)


def check_discriminator_loss(discriminator_loss) -> None:
    """``discriminator_loss(real_logits, fake_logits)``: mean BCE with real = 1, fake = 0, stable for any logits."""
    hints = {
        "the labels look swapped (real images should be labelled 1, generated ones 0)":
            lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(),
        "you summed over the batch; take the mean of each term":
            lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(),
    }
    for name, real, fake in _inputs(3):
        _compare_loss(f"discriminator_loss on {name}", discriminator_loss, losses.discriminator_loss, real, fake,
                      hints=hints, forbidden=(losses.discriminator_loss, losses.bce_with_logits))


def check_generator_loss(generator_loss) -> None:
    """``generator_loss(fake_logits, non_saturating=True)``: both forms, stable for any logits, with gradients."""
    ns_hints = {"with non_saturating=True the loss is -mean log D(G(z)); this looks like the saturating form":
                lambda f: -F.softplus(f).mean()}
    sat_hints = {"with non_saturating=False the loss is mean log(1 - D(G(z))); this looks like the non-saturating form":
                 lambda f: F.softplus(-f).mean()}
    forbidden = (losses.generator_loss, losses.bce_with_logits)
    for name, _, fake in _inputs(4):
        _compare_loss(f"generator_loss on {name} (default form)", lambda f: generator_loss(f),
                      lambda f: losses.generator_loss(f, non_saturating=True), fake, hints=ns_hints, forbidden=forbidden)
        _compare_loss(f"generator_loss on {name} (non_saturating=False)",
                      lambda f: generator_loss(f, non_saturating=False),
                      lambda f: losses.generator_loss(f, non_saturating=False), fake, hints=sat_hints,
                      forbidden=forbidden)


def _tiny_gan(seed: int) -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    G, D = MLPGenerator(latent_dim=4, hidden_dim=8), MLPDiscriminator(hidden_dim=8)
    gen = seeded(seed)
    real = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    noise = torch.randn(6, 4, generator=gen)
    return G, D, real, noise


def check_d_step(d_step) -> None:
    """``d_step(D, G, real, noise, opt_D)``: one SGD/Adam step of D on the BCE loss, G detached, returns a float."""
    G, D, real, noise = _tiny_gan(5)
    ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
    ref_loss = training.d_step(ref_D, ref_G, real, noise, torch.optim.SGD(ref_D.parameters(), lr=0.5))
    g_before = snapshot(G)
    dirty_grads(D)
    with use_globals(d_step, discriminator_loss=losses.discriminator_loss), forbid(training.d_step):
        loss = as_number("d_step", d_step(D, G, real, noise, torch.optim.SGD(D.parameters(), lr=0.5)))
    expect(abs(loss - ref_loss) < 1e-5, f"d_step returned loss {loss:.6g}, expected {ref_loss:.6g} = "
           "discriminator_loss(D(real), D(G(noise)))")
    expect(not changed(g_before, G), "d_step changed G's weights; only D should be updated in the discriminator step")
    stray = [n for n, p in G.named_parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)]
    expect(not stray, "after d_step, G's parameters hold gradients: detach the generated batch "
           f"(G(noise).detach()) so that D's loss does not backpropagate into G (found gradients in {stray[:3]} ...)")
    for (name, got), want in zip(D.named_parameters(), ref_D.parameters()):
        if not torch.allclose(got.detach(), want.detach(), atol=1e-5):
            raise AssertionError(
                f"after d_step, D's parameter {name} differs from the reference step: zero the old gradients "
                "(opt_D.zero_grad()), backpropagate the discriminator loss, then call opt_D.step()")


def check_g_step(g_step) -> None:
    """``g_step(D, G, noise, opt_G, non_saturating=True)``: one step of G through D; D's weights unchanged."""
    for non_saturating in (True, False):
        G, D, _, noise = _tiny_gan(6)
        ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
        ref_loss = training.g_step(ref_D, ref_G, noise, torch.optim.SGD(ref_G.parameters(), lr=0.5),
                                   non_saturating=non_saturating)
        d_before = snapshot(D)
        dirty_grads(G)
        with use_globals(g_step, generator_loss=losses.generator_loss), forbid(training.g_step):
            opt = torch.optim.SGD(G.parameters(), lr=0.5)
            result = g_step(D, G, noise, opt) if non_saturating else g_step(D, G, noise, opt, non_saturating=False)
        form = "non-saturating" if non_saturating else "saturating"
        loss = as_number("g_step", result)
        expect(abs(loss - ref_loss) < 1e-5, f"g_step ({form}) returned loss {loss:.6g}, expected {ref_loss:.6g} = "
               f"generator_loss(D(G(noise)), non_saturating={non_saturating})")
        expect(not changed(d_before, D), "g_step changed D's weights; only G should be updated in the generator step")
        for (name, got), want in zip(G.named_parameters(), ref_G.parameters()):
            if not torch.allclose(got.detach(), want.detach(), atol=1e-5):
                raise AssertionError(
                    f"after g_step ({form}), G's parameter {name} differs from the reference step: zero the old "
                    "gradients (opt_G.zero_grad()), backpropagate generator_loss(D(G(noise))), then opt_G.step()")

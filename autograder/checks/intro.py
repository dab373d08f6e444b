"""Checks for notebook 01 (intro): each has the student's answer run by a probe (``autograder.probes.intro``) on
seeded inputs and compares the report with gancourse's reference on the same inputs. Hidden test cells call these;
a failure says what differs and what was expected, and names the mistake where it is a common one."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from autograder.checks import assert_close, expect, manual_seed, seeded
from autograder.checks.intro_helpers import (built, compare_loss, discriminator_variants, generator_variants,
                                             grads_flow, name_variant, output, same_params, states, step_loss,
                                             stepped, tensor, tiny_gan)
from autograder.grading.answers import Answer, graded, outcome
from autograder.probes import intro as probes
from gancourse import losses, training
from gancourse.models import MLPDiscriminator, MLPGenerator


# ---- exercise 1: the noise ---------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.sampling.sample_noise",))
def check_sample_noise(sample_noise: Answer) -> None:
    """``sample_noise(batch_size, latent_dim)``: standard normal, float32, reproducible with torch.manual_seed."""
    bad = [(0, 4), (4, -1)]
    report = sample_noise.probe("noise", seed=1234, sizes=[[4, 3], [20000, 8]], bad=[list(b) for b in bad])
    z = tensor(report["sizes"][0], "sample_noise(4, 3)")
    expect(tuple(z.shape) == (4, 3), f"sample_noise(4, 3) has shape {tuple(z.shape)}, expected (4, 3)")
    expect(z.dtype == torch.float32, f"sample_noise returns dtype {z.dtype}, expected torch.float32")
    big = tensor(report["sizes"][1], "sample_noise(20000, 8)").double()
    mean, std = big.mean().item(), big.std().item()
    expect(abs(mean) < 0.03, f"the noise has mean {mean:.3f}, expected about 0 (standard normal)")
    expect(abs(std - 1) < 0.03, f"the noise has standard deviation {std:.3f}, expected about 1 (standard normal)")
    tails = (big.abs() > 2).double().mean().item()
    expect(0.035 < tails < 0.056,
           f"{tails:.1%} of the noise lies beyond ±2, expected about 4.6% as for a normal distribution "
           "(a uniform distribution has no tails): use torch.randn")
    first, again, third = (tensor(report[k], "sample_noise(5, 4)") for k in ("first", "again", "third"))
    expect(torch.equal(first, again),
           "after torch.manual_seed(1234) two calls gave different noise: draw it with torch's random generator")
    expect(not torch.equal(again, third), "two calls in a row returned the same noise")
    for size, got in zip(bad, report["bad"]):
        if got["ok"]:
            raise AssertionError(f"sample_noise{size} returned a value, expected a ValueError for a non-positive size")
        if got["error"] == "ReferenceUsed":
            outcome(got, f"sample_noise{size}")
        expect(got["error"] == "ValueError", f"sample_noise{size} raised {got['error']}, expected ValueError: "
               "check both sizes before drawing (each must be a positive integer)")


# ---- exercises 2 and 3: the two networks ---------------------------------------------------------------------------
@graded(probes, guards=("gancourse.models.mlp.MLPGenerator.forward",))
def check_generator(Generator: Answer) -> None:
    """``Generator(latent_dim, hidden_dim)``: the reference MLP layers, tanh output of shape (B, 1, 28, 28)."""
    manual_seed(0)
    reference = MLPGenerator(latent_dim=8, hidden_dim=16)
    z = torch.randn(5, 8, generator=seeded(1))
    sized_for = {"latent_dim=64": {"latent_dim": 64, "hidden_dim": 16},     # which argument an answer ignores
                 "hidden_dim=256": {"latent_dim": 8, "hidden_dim": 256},
                 "latent_dim=64 and hidden_dim=256": {"latent_dim": 64, "hidden_dim": 256}}
    what = "Generator(latent_dim=8, hidden_dim=16)"
    report = built(Generator, what, reference, {"latent_dim": 8, "hidden_dim": 16}, [z, z * 50], sized_for)
    with torch.no_grad():
        expected, extreme_expected = reference(z), reference(z * 50)
    out = output(report, 0, "Generator's output")
    expect(tuple(out.shape) == (5, 1, 28, 28),
           f"Generator(z) for z of shape (5, 8) has shape {tuple(out.shape)}, expected (5, 1, 28, 28)")
    name_variant("Generator(z)", out, expected, generator_variants(reference, z))
    assert_close("Generator(z)", out, expected)
    extreme = output(report, 1, "Generator(50 z)")
    expect(float(extreme.max()) <= 1 and float(extreme.min()) >= -1,
           "Generator outputs leave [-1, 1]: end with Tanh so that samples match the data's range")
    assert_close("Generator(50 z)", extreme, extreme_expected)
    grads_flow(report, "Generator")


@graded(probes, guards=("gancourse.models.mlp.MLPDiscriminator.forward",))
def check_discriminator(Discriminator: Answer) -> None:
    """``Discriminator(hidden_dim)``: the reference MLP layers, one logit per image, shape (B,)."""
    manual_seed(2)
    reference = MLPDiscriminator(hidden_dim=16)
    x = torch.randn(6, 1, 28, 28, generator=seeded(2)).clamp(-1, 1)
    with torch.no_grad():
        for p in reference.parameters():
            p.mul_(4)  # larger weights: logits well outside [0, 1]
        big_expected, one_expected = reference(x), reference(x[:1])
    what = "Discriminator(hidden_dim=16)"
    report = built(Discriminator, what, reference, {"hidden_dim": 16}, [x, x[:1]],
                   {"hidden_dim=256": {"hidden_dim": 256}})
    out = output(report, 0, "Discriminator's output")
    expect(tuple(out.shape) != (6, 1), "Discriminator returns shape (B, 1), expected (B,): squeeze the last dimension")
    expect(tuple(out.shape) == (6,), f"Discriminator(x) for 6 images has shape {tuple(out.shape)}, expected (6,)")
    if torch.allclose(out.double(), torch.sigmoid(big_expected).double(), atol=1e-5):
        raise AssertionError("Discriminator returns probabilities (a sigmoid at the end); expected logits: "
                             "the losses apply the sigmoid themselves, stably")
    name_variant("Discriminator(x) (weights scaled by 4)", out, big_expected, discriminator_variants(reference, x))
    assert_close("Discriminator(x) (weights scaled by 4)", out, big_expected)
    one = output(report, 1, "Discriminator on one image")
    expect(tuple(one.shape) == (1,), f"Discriminator(x) for a batch of one image has shape {tuple(one.shape)}, "
           "expected (1,): squeeze only the last dimension (squeeze(1)), not every dimension of size 1")
    assert_close("Discriminator(x) for a batch of one image", one, one_expected)
    grads_flow(report, "Discriminator")


# ---- exercises 4 and 5: the losses ----------------------------------------------------------------------------------
def _inputs(seed: int) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    gen = seeded(seed)
    return [
        ("random logits", torch.randn(8, generator=gen) * 3, torch.randn(8, generator=gen) * 3),
        ("confident logits (±100)", torch.tensor([100.0, -100.0, 90.0, -80.0]),
         torch.tensor([-100.0, 100.0, 85.0, -95.0])),
        ("a batch of one", torch.tensor([0.3]), torch.tensor([-1.2])),
    ]


PROBABILITIES = ("this is the cross-entropy of sigmoid probabilities, which round to exactly 0 or 1 for confident "
                 "logits (torch's BCE then clips log 0 to -100): compute it from the logits, with F.softplus or "
                 "F.binary_cross_entropy_with_logits")


def _bce_of_probabilities(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy(torch.sigmoid(logits), torch.full_like(logits, target))


@graded(probes, guards=("gancourse.losses.discriminator_loss", "gancourse.losses.bce_with_logits"))
def check_discriminator_loss(discriminator_loss: Answer) -> None:
    """``discriminator_loss(real_logits, fake_logits)``: mean BCE with real = 1, fake = 0, stable for any logits."""
    hints = {
        "the labels look swapped (real images should be labelled 1, generated ones 0)":
            lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(),
        "you summed over the batch; take the mean of each term":
            lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(),
        "you averaged over the real and generated logits together (times 2); take the mean of each batch "
        "separately and add the two terms, since the batches may differ in size":
            lambda r, f: 2 * torch.cat([F.softplus(-r), F.softplus(f)]).mean(),
        PROBABILITIES: lambda r, f: _bce_of_probabilities(r, 1.0) + _bce_of_probabilities(f, 0.0),
    }
    gen = seeded(13)
    cases = _inputs(3) + [("real and generated batches of different sizes (5 and 3)",
                           torch.randn(5, generator=gen) * 3, torch.randn(3, generator=gen) * 3)]
    for name, real, fake in cases:
        compare_loss(f"discriminator_loss on {name}", discriminator_loss, losses.discriminator_loss, [real, fake],
                     hints=hints, names=("real_logits", "fake_logits"))


@graded(probes, guards=("gancourse.losses.generator_loss", "gancourse.losses.bce_with_logits"))
def check_generator_loss(generator_loss: Answer) -> None:
    """``generator_loss(fake_logits, non_saturating=True)``: both forms, stable for any logits, with gradients."""
    ns_hints = {"with non_saturating=True the loss is -mean log D(G(z)); this looks like the saturating form":
                lambda f: -F.softplus(f).mean(),
                "you applied the loss to the mean logit; average the per-sample losses instead":
                lambda f: F.softplus(-f.mean()),
                PROBABILITIES: lambda f: _bce_of_probabilities(f, 1.0)}
    sat_hints = {"with non_saturating=False the loss is mean log(1 - D(G(z))); this looks like the "
                 "non-saturating form": lambda f: F.softplus(-f).mean(),
                 "with non_saturating=False the loss is mean log(1 - D(G(z))); this is mean log D(G(z)), minus the "
                 "non-saturating loss": lambda f: -F.softplus(-f).mean(),
                 "you applied the loss to the mean logit; average the per-sample losses instead":
                 lambda f: -F.softplus(f.mean()),
                 PROBABILITIES: lambda f: -_bce_of_probabilities(f, 0.0)}
    for name, _, fake in _inputs(4):
        compare_loss(f"generator_loss on {name} (default form)", generator_loss,
                     lambda f: losses.generator_loss(f, non_saturating=True), [fake], hints=ns_hints,
                     names=("fake_logits",))
        compare_loss(f"generator_loss on {name} (non_saturating=False)", generator_loss,
                     lambda f: losses.generator_loss(f, non_saturating=False), [fake], {"non_saturating": False},
                     hints=sat_hints, names=("fake_logits",))


# ---- exercises 6 and 7: the training steps -----------------------------------------------------------------------
def _modes(report: dict, what: str) -> None:
    for net, training_mode in report["training"].items():
        expect(training_mode, f"{what} left {net} in eval mode: the networks train in training mode (BatchNorm uses "
               f"the batch's statistics); use .detach() or torch.no_grad() instead of {net}.eval(), or put "
               f"{net}.train() back")


@graded(probes, guards=("gancourse.training.gan.d_step",))
def check_d_step(d_step: Answer) -> None:
    """``d_step(D, G, real, noise, opt_D)``: one SGD/Adam step of D on the BCE loss, G detached, returns a float."""
    G, D, real, noise = tiny_gan(5)
    report = d_step.probe("discriminator_step", **states(G, D), real=real, noise=noise, lr=0.5, dirty=7.0)
    loss = step_loss("d_step", report)
    ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
    ref_loss = training.d_step(ref_D, ref_G, real, noise, torch.optim.SGD(ref_D.parameters(), lr=0.5))
    with torch.no_grad():
        fake = copy.deepcopy(G)(noise)
        swapped = losses.discriminator_loss(D(fake), D(real)).item()
    _modes(report, "d_step")
    if abs(loss - ref_loss) > 1e-5 and abs(loss - swapped) < 1e-5:
        raise AssertionError(f"d_step returned loss {loss:.6g}, expected {ref_loss:.6g}: the real and generated "
                             "logits are swapped; call discriminator_loss(D(real), D(G(noise).detach()))")
    expect(abs(loss - ref_loss) < 1e-5, f"d_step returned loss {loss:.6g}, expected {ref_loss:.6g} = "
           "discriminator_loss(D(real), D(G(noise)))")
    expect(same_params(report["G"], ref_G),
           "d_step changed G's weights; only D should be updated in the discriminator step")
    stray = [n for n, g in report["G_grads"].items() if g is not None and bool(g.abs().sum() > 0)]
    expect(not stray, "after d_step, G's parameters hold gradients: detach the generated batch "
           f"(G(noise).detach()) so that D's loss does not backpropagate into G (found gradients in {stray[:3]} ...)")
    if not same_params(report["D"], ref_D):
        real_only = stepped(D, lambda d: losses.discriminator_loss(d(real), d(fake).detach()), 0.5)
        if same_params(report["D"], real_only):
            raise AssertionError("after d_step, D learned nothing from the generated batch: you detached D's logits "
                                 "D(G(noise)).detach(); detach the generated images instead, D(G(noise).detach()), "
                                 "so that the gradient stops at G but still reaches D")
        for name, p in ref_D.named_parameters():
            if not torch.allclose(report["D"][name].double(), p.detach().double(), atol=1e-5):
                raise AssertionError(
                    f"after d_step, D's parameter {name} differs from the reference step: zero the old gradients "
                    "(opt_D.zero_grad()), backpropagate the discriminator loss, then call opt_D.step()")


@graded(probes, guards=("gancourse.training.gan.g_step",))
def check_g_step(g_step: Answer) -> None:
    """``g_step(D, G, noise, opt_G, non_saturating=True)``: one step of G through D; D's weights unchanged."""
    for non_saturating in (True, False):
        G, D, _, noise = tiny_gan(6)
        kwargs = {} if non_saturating else {"non_saturating": False}
        report = g_step.probe("generator_step", **states(G, D), noise=noise, lr=0.5, dirty=7.0, kwargs=kwargs)
        form = "non-saturating" if non_saturating else "saturating"
        loss = step_loss("g_step", report)
        ref_D, ref_G = copy.deepcopy(D), copy.deepcopy(G)
        ref_loss = training.g_step(ref_D, ref_G, noise, torch.optim.SGD(ref_G.parameters(), lr=0.5),
                                   non_saturating=non_saturating)
        with torch.no_grad():
            other = losses.generator_loss(D(copy.deepcopy(G)(noise)), non_saturating=not non_saturating).item()
        _modes(report, "g_step")
        if abs(loss - ref_loss) > 1e-5 and abs(loss - other) < 1e-5:
            raise AssertionError(
                f"g_step ({form}) returned loss {loss:.6g}, expected {ref_loss:.6g}: " +
                ("called without non_saturating it used the saturating loss; the default must be non_saturating=True"
                 if non_saturating else "it ignores non_saturating=False; pass it on: "
                 "generator_loss(D(G(noise)), non_saturating=non_saturating)"))
        expect(abs(loss - ref_loss) < 1e-5, f"g_step ({form}) returned loss {loss:.6g}, expected {ref_loss:.6g} = "
               f"generator_loss(D(G(noise)), non_saturating={non_saturating})")
        expect(same_params(report["D"], D),
               "g_step changed D's weights; only G should be updated in the generator step")
        for name, p in ref_G.named_parameters():
            if not torch.allclose(report["G"][name].double(), p.detach().double(), atol=1e-5):
                raise AssertionError(
                    f"after g_step ({form}), G's parameter {name} differs from the reference step: zero the old "
                    "gradients (opt_G.zero_grad()), backpropagate generator_loss(D(G(noise))), then opt_G.step()")


"""Checks for notebook 02 (the BCE min-max game): each runs the student's answer and gancourse's reference
(``gancourse.theory``) on the same inputs and compares them. Hidden test cells call these; a failure says what
differs and what was expected. The two cross-entropy exercises ask for the formula itself, so torch's ready-made
binary cross-entropy functions earn no credit there either."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from autograder.checks import as_tensor, assert_close, expect, seeded
from autograder.checks.minmax_helpers import (broadcast_hint, capped, compare_scalar_with_grad, disjoint_densities,
                                              expect_value_error, hard_label_bce, integration_slip, over_first_dim,
                                              scalar)
from autograder.grading.answers import Answer, graded, outcome
from autograder.grading.guards import TORCH_BCE
from autograder.probes import minmax as probes
from gancourse import theory
from gancourse.data.toy import Gaussian

LOG2 = math.log(2.0)


# ---- exercise 1: BCE from probabilities --------------------------------------------------------------------
@graded(probes, guards=("gancourse.theory.binary_cross_entropy", TORCH_BCE))
def check_bce(bce: Answer) -> None:
    """``bce(probs, targets)``: mean -[y log p + (1-y) log(1-p)], 0 log 0 = 0, ValueError on mismatched shapes."""
    gen = seeded(21)
    cases = [
        ("random probabilities and 0/1 targets", torch.rand(10, generator=gen) * 0.98 + 0.01,
         (torch.rand(10, generator=gen) > 0.5).float()),
        ("soft targets (label smoothing)", torch.rand(3, 4, generator=gen) * 0.9 + 0.05,
         torch.rand(3, 4, generator=gen)),
        ("a batch of one", torch.tensor([0.3]), torch.tensor([1.0])),
    ]
    hints = {"you summed over the elements; take the mean": lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).sum(),
             "the sign is wrong: the cross-entropy is minus the mean log-likelihood, so it is >= 0":
                 lambda p, y: (y * p.log() + (1 - y) * (1 - p).log()).mean(),
             over_first_dim("probs"): lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).sum() / len(p),
             "the targets are treated as hard 0/1 labels; a soft target y (label smoothing) weights log p by y and "
             "log(1 - p) by 1 - y: -(y log p + (1 - y) log(1 - p))": hard_label_bce}
    for name, probs, targets in cases:
        compare_scalar_with_grad(f"bce on {name}", bce, theory.binary_cross_entropy, [probs, targets], 0, hints=hints)
    what = "bce(tensor([1., 0.]), tensor([1., 0.]))"
    exact = scalar(what, outcome(bce.probe("call", args=[torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0])]), what))
    expect(bool(torch.isfinite(exact)) and abs(exact.item()) < 1e-6,
               f"bce of perfectly confident, correct predictions (p = 1 for y = 1, p = 0 for y = 0) is {exact.item()}, "
           "expected 0: a term whose weight is 0 contributes nothing (0 · log 0 = 0), use torch.xlogy or torch.where")
    expect_value_error("bce with probs of shape (3,) and targets of shape (4,)", bce, torch.rand(3), torch.rand(4))
    expect_value_error("bce with probs of shape (4, 1) and targets of shape (4,)", bce, torch.full((4, 1), 0.5),
                       torch.ones(4), hint=broadcast_hint("probs", "targets"))


# ---- exercise 2: BCE from logits ---------------------------------------------------------------------------
@graded(probes, guards=("gancourse.theory.binary_cross_entropy_with_logits", "gancourse.theory.binary_cross_entropy",
                        "gancourse.losses.bce_with_logits", TORCH_BCE))
def check_bce_with_logits(bce_with_logits: Answer) -> None:
    """``bce_with_logits(logits, targets)``: the same mean BCE of sigmoid(logits), finite for any logit."""
    gen = seeded(22)
    cases = [
        ("random logits", torch.randn(12, generator=gen) * 3, (torch.rand(12, generator=gen) > 0.5).float()),
        ("soft targets", torch.randn(2, 5, generator=gen) * 2, torch.rand(2, 5, generator=gen)),
        ("confident logits (±100)", torch.tensor([100.0, -100.0, 100.0, -100.0]), torch.tensor([1.0, 0.0, 0.0, 1.0])),
        ("huge logits (±1000)", torch.tensor([1000.0, -1000.0, 30.0]), torch.tensor([0.0, 0.0, 1.0])),
    ]
    hints = {"you summed over the elements; take the mean": lambda l, y: (F.softplus(l) - y * l).sum(),
             "the targets look swapped (y = 1 should reward a large logit)": lambda l, y: (F.softplus(l) - (1 - y) * l).mean(),
             over_first_dim("logits"): lambda l, y: (F.softplus(l) - y * l).sum() / len(l)}
    for name, logits, targets in cases:
        compare_scalar_with_grad(f"bce_with_logits on {name}", bce_with_logits, theory.binary_cross_entropy_with_logits,
                                  [logits, targets], 0, hints=hints)
    expect_value_error("bce_with_logits with logits of shape (3,) and targets of shape (2,)", bce_with_logits,
                        torch.zeros(3), torch.zeros(2))
    expect_value_error("bce_with_logits with logits of shape (4, 1) and targets of shape (4,)", bce_with_logits,
                       torch.zeros(4, 1), torch.ones(4), hint=broadcast_hint("logits", "targets"))


# ---- exercise 3: the optimal discriminator ------------------------------------------------------------------
@graded(probes, guards=("gancourse.theory.optimal_discriminator", "gancourse.theory.virtual_training_criterion"))
def check_optimal_discriminator(optimal_discriminator: Answer) -> None:
    """``optimal_discriminator(p_data, p_g)``: p_data / (p_data + p_g) elementwise, 1/2 where both are 0."""
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    p_data, p_g = Gaussian(1.0, 0.5).pdf(x), Gaussian(-0.5, 0.8).pdf(x)
    gen = seeded(23)
    a, b = torch.rand(4, 6, generator=gen), torch.rand(4, 6, generator=gen)
    p = torch.tensor([0.0, 0.3, 0.0, 1.2, 0.0])
    q = torch.tensor([0.0, 0.0, 0.7, 0.4, 0.0])
    expected, expected_random, expected_edge = (theory.optimal_discriminator(*pair) for pair in ((p_data, p_g), (a, b), (p, q)))

    def answer(*args):
        return outcome(optimal_discriminator.probe("call", args=list(args)), "optimal_discriminator")

    got = as_tensor("optimal_discriminator(p_data, p_g)", answer(p_data, p_g))
    expect(tuple(got.shape) == tuple(x.shape),
           f"optimal_discriminator returns shape {tuple(got.shape)}, expected one value per grid point {tuple(x.shape)}")
    if torch.allclose(got.double(), 1 - expected, atol=1e-6):
        raise AssertionError("optimal_discriminator returns p_g / (p_data + p_g): D* is the probability that x "
                             "is REAL, p_data / (p_data + p_g)")
    edge = as_tensor("optimal_discriminator with zeros", answer(p, q))
    expect(tuple(edge.shape) == tuple(p.shape), f"optimal_discriminator returns shape {tuple(edge.shape)} for "
           f"densities of shape {tuple(p.shape)}, expected the same shape")
    if not bool(torch.isfinite(edge).all()):
        raise AssertionError(f"optimal_discriminator({p.tolist()}, {q.tolist()}) = {edge.tolist()}: where p_data "
                             "and p_g are both 0 no sample can land, and D* should be 1/2 there, not nan "
                             "(0 / 0); use torch.where")
    both, single = (p == 0) & (q == 0), (p == 0) ^ (q == 0)
    if not torch.allclose(edge[both].double(), expected_edge[both].double()):
        raise AssertionError(f"optimal_discriminator({p.tolist()}, {q.tolist()}) = {edge.tolist()}: D* should be "
                             "1/2 where both densities are 0 (no sample lands there, so D cannot tell); an epsilon "
                             "in the denominator or nan_to_num gives 0 there (and an epsilon also pulls D* down "
                             "wherever the densities are small): use torch.where(p_data + p_g > 0, ...)")
    if not torch.allclose(edge[single].double(), expected_edge[single].double()):
        raise AssertionError(f"optimal_discriminator({p.tolist()}, {q.tolist()}) = {edge.tolist()}: D* is 1 where "
                             "only p_data is positive and 0 where only p_g is; it is 1/2 only where BOTH are 0, so "
                             "the condition of torch.where should be p_data + p_g > 0")
    assert_close("optimal_discriminator on two Gaussians", got, expected, atol=1e-7)
    assert_close("optimal_discriminator on random densities of shape (4, 6)", answer(a, b), expected_random, atol=1e-6)
    assert_close(f"optimal_discriminator({p.tolist()}, {q.tolist()})", edge, expected_edge)
    expect_value_error("optimal_discriminator with shapes (3,) and (4,)", optimal_discriminator, torch.rand(3),
                       torch.rand(4))
    expect_value_error("optimal_discriminator with shapes (4, 1) and (4,)", optimal_discriminator,
                       torch.full((4, 1), 0.5), torch.ones(4), hint=broadcast_hint("p_data", "p_g"))


# ---- exercise 4: the value function --------------------------------------------------------------------------
@graded(probes, guards=("gancourse.theory.value_function", "gancourse.theory.virtual_training_criterion"))
def check_value_function(value_function: Answer) -> None:
    """``value_function(D, p_data, p_g, x)``: ∫ p_data log D + p_g log(1 - D) dx by the trapezoidal rule."""
    x = torch.linspace(-5, 5, 1001, dtype=torch.float64)
    p_data, p_g = Gaussian(1.0, 0.5).pdf(x), Gaussian(-0.5, 0.8).pdf(x)
    d_star = theory.optimal_discriminator(p_data, p_g)
    logistic = torch.sigmoid(2 * x)
    coarse = torch.tensor([-1.0, -0.2, 0.5, 1.1, 2.0], dtype=torch.float64)       # uneven, non-zero ends
    cp, cq, cd = torch.exp(-coarse ** 2), torch.exp(-(coarse - 1) ** 2), torch.sigmoid(coarse)
    dx, dp, dq = disjoint_densities()
    cases = [("D* for two Gaussians", d_star, p_data, p_g, x),
             ("a logistic D for two Gaussians", logistic, p_data, p_g, x),
             ("D = 1/2 everywhere", torch.full_like(x, 0.5), p_data, p_g, x),
             ("an uneven 5-point grid whose densities do not vanish at the ends", cd, cp, cq, coarse),
             ("disjoint supports, with D* exactly 0 and 1 where a density is 0", theory.optimal_discriminator(dp, dq),
              dp, dq, dx)]

    def answer(*args):
        return outcome(value_function.probe("call", args=list(args)), "value_function")

    for name, D, p, q, grid in cases:
        expected = theory.value_function(D, p, q, grid)
        got = scalar(f"value_function on {name}", answer(D, p, q, grid))
        integrand = torch.xlogy(p, D) + torch.xlogy(q, 1 - D)
        if not bool(torch.isfinite(got)) and bool(torch.isfinite(expected)):
            raise AssertionError(f"value_function on {name} is {got.item()}, expected {expected.item():.6g}: where "
                                 "a density is 0 its term contributes nothing even if log D is -inf (0 · log 0 = 0); "
                                 "use torch.xlogy or torch.where")
        riemann = (integrand * (grid[1] - grid[0])).sum()
        if not torch.allclose(got.double(), expected, atol=1e-6) and torch.allclose(got.double(), riemann, atol=1e-6):
            raise AssertionError(f"value_function on {name} = {got.item():.6g}, expected {expected.item():.6g}: this "
                                 "is a sum times the first spacing; integrate with the trapezoidal rule, "
                                 "torch.trapezoid(integrand, x), which also handles uneven grids")
        slip = None if torch.allclose(got.double(), expected, atol=1e-6) else integration_slip(got, integrand, grid)
        expect(slip is None, f"value_function on {name} = {got.item():.6g}, expected {expected.item():.6g}: {slip}")
        assert_close(f"value_function on {name}", got, expected, atol=1e-6)
    half = answer(torch.full_like(x, 0.5), p_data, p_g, x)
    expect(abs(float(half) + math.log(4)) < 1e-3, f"value_function with D = 1/2 is {float(half):.6g}, expected "
           "-log 4 = -1.386294 for densities that integrate to 1")


# ---- exercise 5: the Jensen-Shannon divergence ----------------------------------------------------------------
@graded(probes, guards=("gancourse.theory.js_divergence", "gancourse.theory.kl_divergence"))
def check_jsd(jsd: Answer) -> None:
    """``jsd(p, q, x)``: ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2, natural log, trapezoidal rule, 0 log 0 = 0."""
    x = torch.linspace(-5, 5, 1001, dtype=torch.float64)
    p, q = Gaussian(1.0, 0.5).pdf(x), Gaussian(-0.5, 0.8).pdf(x)
    dx, dp, dq = disjoint_densities()
    coarse = torch.tensor([-1.0, -0.2, 0.5, 1.1, 2.0], dtype=torch.float64)
    cp, cq = torch.exp(-coarse ** 2), torch.exp(-(coarse - 1) ** 2)
    expected, kl = theory.js_divergence(p, q, x), theory.kl_divergence(p, q, x)
    expected_disjoint, expected_coarse = theory.js_divergence(dp, dq, dx), theory.js_divergence(cp, cq, coarse)

    def answer(what, *args):
        return scalar(what, outcome(jsd.probe("call", args=list(args)), what))

    got = answer("jsd of two Gaussians", p, q, x)
    if torch.allclose(got.double(), expected / LOG2, atol=1e-6):
        raise AssertionError(f"jsd = {got.item():.6g}, expected {expected.item():.6g}: this is in bits; use the "
                             "natural logarithm (torch.log), so that JSD lies between 0 and log 2")
    if torch.allclose(got.double(), kl, atol=1e-6) or torch.allclose(got.double(), 0.5 * kl, atol=1e-6):
        raise AssertionError(f"jsd = {got.item():.6g} is a KL divergence between p and q themselves; the JSD "
                             "compares each with the mixture m = (p + q) / 2")
    assert_close("jsd of two Gaussians", got, expected, atol=1e-6)
    assert_close("jsd(q, p) (the JSD is symmetric)", answer("jsd(q, p)", q, p, x), expected, atol=1e-6)
    same = answer("jsd(p, p)", p, p, x)
    expect(abs(same.item()) < 1e-9, f"jsd(p, p) = {same.item():.3g}, expected 0")
    disjoint = answer("jsd of densities with disjoint supports", dp, dq, dx)
    expect(bool(torch.isfinite(disjoint)), f"jsd of densities with disjoint supports is {disjoint.item()}, expected "
           f"log 2 = {LOG2:.6f}: where p is 0 the term p log(p/m) is 0 (0 · log 0 = 0); use torch.xlogy or torch.where")
    assert_close("jsd of densities with disjoint supports (expected log 2)", disjoint, expected_disjoint)
    got = answer("jsd on an uneven grid", cp, cq, coarse)
    if not torch.allclose(got.double(), expected_coarse, atol=1e-6):
        what = f"jsd on an uneven 5-point grid = {got.item():.6g}, expected {expected_coarse.item():.6g}"
        cm = (cp + cq) / 2
        slip = integration_slip(got, (torch.xlogy(cp, cp) - torch.xlogy(cp, cm) + torch.xlogy(cq, cq)
                                      - torch.xlogy(cq, cm)) / 2, coarse)
        expect(slip is None, f"{what}: {slip}")
        expect(not torch.allclose(got.double(), LOG2 + theory.virtual_training_criterion(cp, cq, coarse) / 2,
                                  atol=1e-6),
               f"{what}: log 2 + ½ ∫ p log(p / (p + q)) + q log(q / (p + q)) dx, that is (C(G) + log 4) / 2, equals "
               "the JSD only when p and q each integrate to 1 (these do not); compute ½ KL(p‖m) + ½ KL(q‖m) with "
               "m = (p + q) / 2")
        norm = theory.js_divergence(cp / torch.trapezoid(cp, coarse), cq / torch.trapezoid(cq, coarse), coarse)
        expect(not torch.allclose(got.double(), norm, atol=1e-6),
               f"{what}: this rescales p and q to integrate to 1 first; the JSD is computed from p and q as given "
               "(½ KL(p‖m) + ½ KL(q‖m), m = (p + q) / 2), so leave them as they are")
    assert_close("jsd on an uneven 5-point grid (use torch.trapezoid(integrand, x))", got, expected_coarse, atol=1e-6)


# ---- exercises 6 and 7: the generator's two losses and their gradients ------------------------------------------
def _logit_cases(seed: int) -> list[tuple[str, torch.Tensor]]:
    gen = seeded(seed)
    return [("random logits", torch.randn(9, generator=gen) * 3),
            ("confident logits (±100)", torch.tensor([100.0, -100.0, 60.0, -60.0])),
            ("a batch of one", torch.tensor([-2.5])),
            ("logits of shape (4, 1), as a discriminator returns them", torch.tensor([[1.5], [-0.5], [3.0], [-4.0]]))]


@graded(probes, guards=("gancourse.theory.generator_losses", "gancourse.losses.generator_loss",
                        "gancourse.losses.bce_with_logits"))
def check_generator_losses(generator_losses: Answer) -> None:
    """``generator_losses(fake_logits)`` → (saturating, non_saturating): mean log(1 - D), -mean log D; stable."""
    for name, logits in _logit_cases(24):
        report = generator_losses.probe("call", args=[logits])
        outcome(report, "generator_losses")
        expect(report["type"] == "tuple" and report.get("len") == 2,
               f"generator_losses should return a tuple (saturating, non_saturating), got {report['type']}"
               + (f" of length {report['len']}" if "len" in report else ""))
        for i, form in enumerate(("saturating", "non-saturating")):
            def reference(l, i=i):
                return theory.generator_losses(l)[i]

            other = (lambda l, i=i: theory.generator_losses(l)[1 - i])
            compare_scalar_with_grad(f"the {form} loss on {name}", generator_losses, reference, [logits], 0,
                                      hints={"the two losses are in the wrong order: return (saturating, "
                                             "non_saturating)": other}, index=i,
                                      clues=[(capped, "the loss is capped: clamping a probability (or adding an "
                                              "epsilon inside the log) limits each term to about log(eps), while a "
                                              "logit of ±100 should cost about 100; write it with F.softplus or "
                                              "F.logsigmoid, which are exact for any logit")])


@graded(probes, guards=("gancourse.theory.generator_gradients",))
def check_generator_gradients(generator_gradients: Answer) -> None:
    """``generator_gradients(fake_logits)`` → per-sample d/dl of log(1 - sigmoid(l)) and of -log sigmoid(l)."""
    for name, logits in _logit_cases(25):
        sat, ns = theory.generator_gradients(logits)
        report = generator_gradients.probe("with_reference_losses", logits=logits)
        result = outcome(report, "generator_gradients")
        expect(report["type"] == "tuple" and report.get("len") == 2,
               f"generator_gradients should return a tuple (saturating, non_saturating), got {report['type']}")
        for got, expected, form in ((result[0], sat, "saturating"), (result[1], ns, "non-saturating")):
            what = f"the {form} gradient on {name}"
            got = as_tensor(what, got)
            expect(tuple(got.shape) == tuple(logits.shape),
                   f"{what} has shape {tuple(got.shape)}, expected one derivative per logit, {tuple(logits.shape)}")
            if logits.numel() > 1 and torch.allclose(got.double(), expected.double() / logits.numel(), atol=1e-7):
                raise AssertionError(f"{what} is the gradient of the batch mean (divided by the batch size {logits.numel()}); "
                                     "expected the derivative of each sample's own loss term with respect to its logit")
            if torch.allclose(got.double(), -expected.double(), atol=1e-6) and expected.abs().max() > 1e-3:
                raise AssertionError(f"{what} has the wrong sign: both losses are minimised by raising the logit, "
                                     "so both derivatives are <= 0")
            big = expected.abs() > 1e-3
            ratio = got.double()[big] / expected.double()[big]
            if ratio.numel() and bool(torch.isfinite(ratio).all()) and abs(ratio[0].item() - 1) > 1e-3 and \
                    torch.allclose(ratio, ratio[:1].expand_as(ratio), rtol=1e-4, atol=0):
                raise AssertionError(f"{what} is {ratio[0].item():.4g} times the per-sample derivative: each "
                                     "sample's derivative depends only on its own logit, so no factor for the batch "
                                     f"size belongs in it (this batch has {logits.numel()} logits)")
            assert_close(what, got, expected, atol=1e-6)

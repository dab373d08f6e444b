"""Checks for notebook 06 (StarGAN): each has the student's answer run on seeded inputs by a probe
(``autograder.probes.stargan``) and compares the report with gancourse's reference on the same inputs. Hidden test
cells call these; a failure says what differs and what was expected, and names the mistake where it is a common one.

The inputs vary what a notebook's visible test keeps fixed: several batch sizes, n ≠ 3 attributes, non-square
images, float64, large logits, and networks whose outputs depend on their inputs and labels (stand-ins, then small
real StarGAN networks). Each exercise is graded alone: ``d_objective`` and ``g_objective`` run with the reference
``classification_loss``, ``gradient_penalty`` and ``reconstruction_loss`` lent to them.
"""
from __future__ import annotations

import torch

from autograder.checks import assert_close, expect, seeded
from autograder.checks import stargan_helpers as H
from autograder.grading.answers import Answer, graded, outcome
from autograder.probes import stargan as probes
from gancourse import losses
from gancourse.models import stargan as models

DETACHED_FAKE = ("lacks the adversarial and classification terms' parts: pass the translation itself to D, "
                 "D(G(x, c_trg)), not a detached copy (G learns from D's verdict)")
NO_GRAPH = ("compute it with torch operations on the tensors themselves (no .item(), .detach(), torch.no_grad() or "
            "NumPy): the networks learn through it")


def _grads(what: str, report: dict, want: dict, detached: tuple[dict, str] | None = None, hint: str = "") -> None:
    """The gradients a probe reported against the reference's, parameter by parameter; ``detached``: the gradients
    a typical detached graph gives, and the message naming it."""
    expect(report["graph"] and report["grads"] is not None,
           f"{what} has no graph (requires_grad is False), so no gradient reaches the networks: {hint or NO_GRAPH}"
           + (f" ({report['grads_error']})" if report.get("grads_error") else ""))
    atol = H.grad_tolerance(want)
    for name, grad in want.items():
        got = report["grads"].get(name)
        got = torch.zeros_like(grad) if got is None else got
        if detached is not None and not H.close(got, grad, atol) and H.close(got, detached[0][name], atol):
            raise AssertionError(f"{what}: the gradient reaching {name} {detached[1]}")
        assert_close(f"the gradient of {what} with respect to {name}", got, grad, atol=atol)


def _scalar(what: str, got) -> torch.Tensor:
    expect(isinstance(got, torch.Tensor), f"{what} returned {type(got).__name__ if not isinstance(got, dict) else got}"
                                          ", expected a scalar tensor")
    expect(got.ndim == 0, f"{what} returned shape {tuple(got.shape)}, expected a scalar tensor")
    return got


def _named(what: str, got: torch.Tensor, expected: torch.Tensor, mistakes) -> None:
    if not H.close(got, expected):
        hint = H.named(got, mistakes)
        expect(hint is None, f"{what} is {got.item():.6g}, expected {expected.item():.6g}: {hint}")
    assert_close(what, got, expected)


# ---- generator_input ---------------------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.models.stargan.label_maps",))
def check_generator_input(generator_input: Answer) -> None:
    """``generator_input(x, c)``: torch.cat([x, planes], 1), plane i filled with c[:, i]; on several batch sizes,
    channels and attribute counts, non-square images and float64."""
    gen = seeded(61)
    for B, C, n, H_, W, dtype in ((3, 1, 3, 28, 28, torch.float32), (2, 3, 5, 12, 20, torch.float32),
                                  (4, 2, 2, 8, 6, torch.float64)):
        x, c = torch.randn(B, C, H_, W, generator=gen, dtype=dtype), H.labels(gen, B, n, dtype)
        what = f"generator_input(x, c) for x of shape {(B, C, H_, W)} and c of shape {(B, n)} ({dtype})"
        report = generator_input.probe("call", args=[x, c])
        if not report["ok"]:
            raise AssertionError(f"{what} raised {report.get('error')}: {report.get('message')}; the planes must be "
                                 "(B, n, H, W), with n from c and H, W from x's own height and width (x may not be "
                                 "square, nor 28×28)")
        got = report["value"]
        expect(isinstance(got, torch.Tensor), f"{what} returned {report['type']}, expected a tensor")
        expected = torch.cat([x, models.label_maps(c, H_, W)], 1)
        expect(tuple(got.shape) == tuple(expected.shape),
               f"{what} has shape {tuple(got.shape)}, expected {tuple(expected.shape)} = (B, C + n, H, W): the planes "
               "must be (B, n, H, W), with n from c and H, W from x's own height and width (x may not be square)")
        expect(got.dtype == x.dtype, f"{what} has dtype {got.dtype}, expected x's {x.dtype}")
        hint = None if torch.equal(got, expected) else H.named(got, H.input_mistakes(x, c))
        expect(hint is None, f"{what} differs from the expected input: {hint}")
        expect(torch.equal(got[:, :C], x), f"{what}: the first {C} channels must be the image x itself, unchanged")
        assert_close(what, got, expected, atol=0, rtol=0)


# ---- classification_loss -----------------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.losses.domain_classification_loss",))
def check_classification_loss(classification_loss: Answer) -> None:
    """``classification_loss(logits, target)``: Σ over attributes of BCE-with-logits, mean over images; its value
    and its gradient w.r.t. the logits, with n ≠ 3 and large (confident) logits."""
    gen = seeded(62)
    for B, n, scale, dtype in ((5, 3, 2.0, torch.float32), (3, 5, 3.0, torch.float64), (4, 4, 25.0, torch.float32),
                               (2, 3, 150.0, torch.float32)):
        logits, target = torch.randn(B, n, generator=gen, dtype=dtype) * scale, H.labels(gen, B, n, dtype)
        what = f"classification_loss(logits, target) for logits of shape {(B, n)} up to ±{logits.abs().max():.3g}"
        report = classification_loss.probe("call", args=[logits, target], grad_of=0)
        got = _scalar(what, outcome(report, what))
        expected = losses.domain_classification_loss(logits, target)
        expect(bool(torch.isfinite(got)), f"{what} is {got.item()}: {H.STABLE}")
        confident = scale > 10                         # the earlier cases passed: what differs now is saturation
        expect(not confident or H.close(got, expected), f"{what} is {got.item():.6g}, expected "
                                                        f"{expected.item():.6g}: {H.STABLE}")
        _named(what, got, expected, H.classification_mistakes(logits, target))
        expect(report["requires_grad"] and isinstance(report.get("grad"), torch.Tensor),
               f"no gradient flows from {what} to the logits: {NO_GRAPH}")
        leaf = logits.clone().requires_grad_(True)
        want, = torch.autograd.grad(losses.domain_classification_loss(leaf, target), leaf)
        assert_close(f"the gradient of {what} with respect to the logits"
                     + (f" ({H.STABLE})" if confident else ""), report["grad"], want)


# ---- reconstruction_loss -----------------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.losses.reconstruction_l1",))
def check_reconstruction_loss(reconstruction_loss: Answer) -> None:
    """``reconstruction_loss(G, x, c_org, c_trg)``: mean |G(G(x, c_trg), c_org) − x|, on a label-dependent stand-in
    (n = 4, float64, non-square) and a small StarGenerator (n = 2); its value and the gradients reaching G."""
    gen = seeded(63)
    cases = [(H.shift_spec(gen, 4), torch.rand(3, 2, 12, 20, generator=gen, dtype=torch.float64) * 2 - 1, 4,
              "a stand-in G(x, c) = a·x + c·w + b"),
             (H.real_spec("generator", 64, n=2), torch.rand(2, 1, 12, 20, generator=gen) * 2 - 1, 2,
              "StarGenerator(2, 1, width=2, n_blocks=1)")]
    for spec, x, n, name in cases:
        c_org = H.labels(gen, x.shape[0], n, x.dtype)
        c_trg = 1 - c_org
        what = f"reconstruction_loss(G, x, c_org, c_trg) with {name} and x of shape {tuple(x.shape)}"
        report = reconstruction_loss.probe("reconstruction", G=spec, x=x, c_org=c_org, c_trg=c_trg)
        got = _scalar(what, outcome(report, what))
        G = probes.build(spec)
        expected = probes.reference_reconstruction_loss(G, x, c_org, c_trg)
        _named(what, got, expected.detach(), H.reconstruction_mistakes(G, x, c_org, c_trg))
        inner = probes.reference_reconstruction_loss(lambda t, c: G(t.detach(), c) if t is not x else G(t, c),
                                                     x, c_org, c_trg)
        _grads(what, report, H.grads_of(expected, {"G": G}),
               (H.grads_of(inner, {"G": G}), "lacks the first translation's part: keep G(x, c_trg) in the graph "
                                            "(no .detach() between the two translations): G learns from both"),
               hint="keep the whole round trip in the graph: G learns from both translations (no .detach() between "
                    "them, no .item())")


# ---- gradient_penalty --------------------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.losses.gradient_penalty",))
def check_gradient_penalty(gradient_penalty: Answer) -> None:
    """``gradient_penalty(D, real, fake, alpha)``: mean over images of (‖∇x̂ src(x̂)‖ − 1)², x̂ = α·real + (1 − α)·fake,
    on a smooth stand-in critic (float64, non-square, norms on both sides of 1) and a small StarDiscriminator; its
    value and its gradient w.r.t. D's parameters (create_graph=True)."""
    gen = seeded(65)
    cases = [(H.critic_spec(gen, 2, 5), (4, 2, 12, 20), torch.float64, "a smooth stand-in critic"),
             (H.real_spec("discriminator", 66), (3, 1, 28, 28), torch.float32,
              "StarDiscriminator(3, 1, width=2, n_layers=2)")]
    for spec, shape, dtype, name in cases:
        scales = torch.linspace(0.02, 2.0, shape[0], dtype=dtype).view(-1, 1, 1, 1)     # norms below and above 1
        real = torch.randn(*shape, generator=gen, dtype=dtype) * scales
        fake = torch.randn(*shape, generator=gen, dtype=dtype) * scales.flip(0) + 0.3
        alpha = torch.rand(shape[0], generator=gen, dtype=dtype) * 0.8 + 0.1
        spec = H.balanced(spec, real, fake, alpha) if spec["kind"] == "critic" else spec
        what = f"gradient_penalty(D, real, fake, alpha) with {name} and images of shape {shape}"
        report = gradient_penalty.probe("penalty", D=spec, real=real, fake=fake, alpha=alpha)
        got = _scalar(what, outcome(report, what))
        D = probes.build(spec)
        expected = losses.gradient_penalty(D, real, fake, alpha=alpha)
        _named(what, got, expected.detach(), H.penalty_mistakes(D, real, fake, alpha))
        _grads(what, report, H.grads_of(expected, {"D": D}),
               hint="the penalty must be differentiable with respect to D's weights, since D minimises it: "
                    "torch.autograd.grad(..., create_graph=True), and no .detach() of the gradient")


# ---- the objectives ----------------------------------------------------------------------------------------------------
def _d_case(answer: Answer, what: str, spec: dict, x, c_org, fake, alpha, lambda_cls: float, lambda_gp: float):
    report = answer.probe("d_objective", D=spec, x=x, c_org=c_org, fake=fake, alpha=alpha, lambda_cls=lambda_cls,
                          lambda_gp=lambda_gp)
    got = _scalar(what, outcome(report, what))
    want = H.d_expectations(probes.build(spec), x, c_org, fake, alpha, lambda_cls, lambda_gp)
    if lambda_gp and not H.close(got, want["total"]) and not H.named(got, want["mistakes"]):
        raise AssertionError(f"{what} is {got.item():.6g}, expected {want['total'].item():.6g}; its penalty term "
                             "differs: call gradient_penalty(D, x, fake, alpha) with the alpha given (do not draw "
                             "your own), real images first")
    _named(what, got, want["total"], want["mistakes"])
    _grads(what, report, want["grads"])


@graded(probes, guards=("gancourse.training.stargan.discriminator_objective",
                        "gancourse.losses.wasserstein_critic_loss"))
def check_d_objective(d_objective: Answer) -> None:
    """``d_objective(D, x, c_org, fake, alpha, lambda_cls, lambda_gp)``: mean src(fake) − mean src(x) + λ_cls·cls +
    λ_gp·gp, the reference classification_loss and gradient_penalty lent; three weightings on a stand-in critic
    (n = 5, float64), then a small StarDiscriminator."""
    gen = seeded(67)
    x = torch.rand(3, 2, 12, 20, generator=gen, dtype=torch.float64) * 2 - 1
    fake = torch.rand(3, 2, 12, 20, generator=gen, dtype=torch.float64) * 1.6 - 0.5
    c_org, alpha = H.labels(gen, 3, 5, torch.float64), torch.rand(3, generator=gen, dtype=torch.float64)
    spec = H.critic_spec(gen, 2, 5)
    for lambda_cls, lambda_gp in ((0.7, 0.0), (0.0, 3.0), (2.0, 10.0)):
        what = f"d_objective(..., lambda_cls={lambda_cls:g}, lambda_gp={lambda_gp:g}) on a stand-in critic"
        _d_case(d_objective, what, spec, x, c_org, fake, alpha, lambda_cls, lambda_gp)
    x, fake = torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1, torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1
    what = "d_objective(..., lambda_cls=1, lambda_gp=10) on StarDiscriminator(3, 1, width=2, n_layers=2)"
    _d_case(d_objective, what, H.real_spec("discriminator", 68), x, H.labels(gen, 2, 3), fake,
            torch.rand(2, generator=gen), 1.0, 10.0)


def _g_case(answer: Answer, what: str, G: dict, D: dict, x, c_org, c_trg, lambda_cls: float, lambda_rec: float):
    report = answer.probe("g_objective", G=G, D=D, x=x, c_org=c_org, c_trg=c_trg, lambda_cls=lambda_cls,
                          lambda_rec=lambda_rec)
    outcome(report, what)
    expect(report["pair"], f"{what} returned {report['type']}, expected a pair (total, terms)")
    missing = [k for k in probes.TERMS if k not in report["terms"]]
    expect(not missing, f"{what}: terms ({report['terms_type']} with keys {report['keys']}) lacks {missing}; expected "
                        "a dict with the scalar tensors adv, cls and rec")
    want = H.g_expectations(probes.build(G), probes.build(D), x, c_org, c_trg, lambda_cls, lambda_rec)
    for key in probes.TERMS:
        got = report["terms"][key]
        expect(isinstance(got, torch.Tensor) and got.ndim == 0,
               f"{what}: terms[{key!r}] is a {report['term_types'][key]}, expected a scalar tensor (keep the terms "
               "as tensors: no .item())")
        _named(f"{what}: terms[{key!r}]", got, want["terms"][key], want["named_terms"][key])
    total = report["total"]
    expect(isinstance(total, torch.Tensor) and total.ndim == 0, f"{what}: the total is a {report['total_type']}, "
                                                                "expected a scalar tensor")
    _named(f"{what}: the total adv + λ_cls·cls + λ_rec·rec", total, want["total"], want["named_total"])
    _grads(what, report, want["grads"], (want["detached_grads"], DETACHED_FAKE))


@graded(probes, guards=("gancourse.training.stargan.generator_objective",
                        "gancourse.losses.wasserstein_generator_loss"))
def check_g_objective(g_objective: Answer) -> None:
    """``g_objective(G, D, x, c_org, c_trg, lambda_cls, lambda_rec)``: (total, {adv, cls, rec}), the reference
    classification_loss and reconstruction_loss lent; three weightings on stand-ins (n = 4, float64), then small
    real StarGAN networks; the total's gradient must reach G through D's verdict and the round trip."""
    gen = seeded(69)
    x = torch.rand(3, 2, 12, 20, generator=gen, dtype=torch.float64) * 2 - 1
    c_org = H.labels(gen, 3, 4, torch.float64)
    c_trg = c_org[torch.tensor([1, 2, 0])]
    G, D = H.shift_spec(gen, 4), H.critic_spec(gen, 2, 4)
    for lambda_cls, lambda_rec in ((1.0, 10.0), (0.5, 3.0), (2.0, 0.0)):
        what = f"g_objective(..., lambda_cls={lambda_cls:g}, lambda_rec={lambda_rec:g}) on stand-in networks"
        _g_case(g_objective, what, G, D, x, c_org, c_trg, lambda_cls, lambda_rec)
    x = torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1
    c_org = H.labels(gen, 2, 3)
    what = "g_objective(..., lambda_cls=1, lambda_rec=10) on StarGenerator and StarDiscriminator networks"
    _g_case(g_objective, what, H.real_spec("generator", 70), H.real_spec("discriminator", 71), x, c_org, 1 - c_org,
            1.0, 10.0)

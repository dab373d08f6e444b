"""Checks for notebook 07 (RBM vs VAE vs GAN): each has the student's answer run on seeded inputs by a probe
(``autograder.probes.compare``) and compares the report with gancourse's reference on the same inputs. Hidden test
cells call these; a failure says what differs and what was expected, and names the mistake where it is a common one.

The random exercises (``gibbs_step``, ``cd_gradient``, ``reparameterise``) are compared exactly with the reference
for the same generator seed, which the docstrings' draw order makes the normal case; an answer that draws another
way (torch.bernoulli, the global generator) is then judged by the distribution of its draws over many of them.
``cd_gradient`` is graded with gancourse's ``gibbs_step`` lent to it, so a broken ``gibbs_step`` cannot fail it.
"""
from __future__ import annotations

import math

import torch

from autograder.checks import as_tensor, assert_close, expect, seeded
from autograder.checks import compare_helpers as H
from autograder.checks import compare_likelihood as L
from autograder.grading.answers import Answer, graded, outcome
from autograder.probes import compare as probes
from gancourse import losses
from gancourse.metrics.parzen import parzen_log_likelihood as reference_parzen
from gancourse.models.vae import reparameterise as reference_reparameterise

RBM = "gancourse.models.rbm.BernoulliRBM"
GIBBS_GUARDS = (f"{RBM}.gibbs_step", f"{RBM}.sample_hidden", f"{RBM}.sample_visible", f"{RBM}.sample.__wrapped__",
                f"{RBM}.hidden_probs", f"{RBM}.visible_probs")
COPIES = 3000            # steps from each data row when a random answer is judged by its distribution


def _run(answer: Answer, what: str, args: list, **options):
    report = answer.probe("answer", args=args, **options)
    return outcome(report, what), report


# ---- the free energy -------------------------------------------------------------------------------------------------
@graded(probes, guards=(f"{RBM}.free_energy",))
def check_free_energy(free_energy: Answer) -> None:
    """``free_energy(v, W, b_v, b_h)``: −v·b_v − Σ_j softplus(b_h + v Wᵀ)_j per row, on a square RBM, a wide one with
    large weights (softplus must not overflow), and its gradient with respect to W, b_v and b_h."""
    gen = seeded(71)
    for B, n_h, n_v, scale in ((5, 6, 6, 0.8), (4, 5, 9, 40.0)):
        W = torch.randn(n_h, n_v, generator=gen) * scale
        b_v, b_h = torch.randn(n_v, generator=gen), torch.randn(n_h, generator=gen) * scale / 4
        b_h[:2], W[:2] = torch.tensor([5.0, -5.0]) * scale, W[:2] / 100    # hidden units 0, 1: ±5·scale whatever v
        v = H.bits((B, n_v), gen)
        what = f"free_energy(v, W, b_v, b_h) for v ({B}, {n_v}), W ({n_h}, {n_v}), |W| up to {W.abs().max():.3g}"
        weights = torch.rand(B, generator=gen) + 0.5
        got, report = _run(free_energy, what, [v, W, b_v, b_h], grad_of=[1, 2, 3], weights=weights)
        got = as_tensor(what, got)
        expected = H.rbm(W, b_v, b_h).free_energy(v)
        expect(tuple(got.shape) == (B,), f"{what} has shape {tuple(got.shape)}, expected ({B},): one free energy per "
                                         "row of v, summing the softplus over the hidden units (dim=1)")
        values = f"(got {H.few(got)}, expected {H.few(expected)})"
        expect(bool(torch.isfinite(got).all()), f"{what} contains inf or nan {values}: {H.OVERFLOW}")
        hint = None if H.close(got, expected) else H.named(got, H.free_energy_mistakes(v, W, b_v, b_h))
        expect(hint is None, f"{what} differs from F(v) {values}: {hint}")
        assert_close(what, got, expected, atol=1e-4)
        grads = report.get("grads")
        expect(report["requires_grad"] and grads is not None and all(g is not None for g in grads),
               f"no gradient flows from {what} to W, b_v and b_h: compute it with torch operations on the tensors "
               "themselves (no torch.no_grad(), .detach(), .item() or NumPy); training an RBM differentiates F"
               + (f" ({report['grads_error']})" if report.get("grads_error") else ""))
        model = H.rbm(W, b_v, b_h).requires_grad_(True)
        want = torch.autograd.grad((model.free_energy(v) * weights).sum(), [model.W, model.b_v, model.b_h])
        for name, g, w in zip(("W", "b_v", "b_h"), grads, want):
            expect(bool(torch.isfinite(g).all()), f"the gradient of {what} with respect to {name} contains nan or inf: "
                   "torch.where computes both branches, and the gradient of the unused log(1 + exp(a)) is nan where "
                   "exp overflows; use F.softplus")
            assert_close(f"the gradient of Σ weights · {what} with respect to {name}", g, w, atol=1e-4)


# ---- the Gibbs step --------------------------------------------------------------------------------------------------
def _binary(t: torch.Tensor, what: str, probabilities: torch.Tensor, symbol: str, p: str) -> None:
    expect(t.is_floating_point(), f"{what}: {symbol} has dtype {t.dtype}, expected floats 0. and 1.: convert the "
                                  f"comparison with .float(), ({H.UNIFORM} < p).float()")
    if not bool(((t == 0) | (t == 1)).all()):
        if H.close(t, probabilities):
            raise AssertionError(f"{what}: " + H.PROBS.format(x=symbol, p=p, uniform=H.UNIFORM))
        raise AssertionError(f"{what}: {symbol} has values other than 0 and 1 ({H.few(t)}); "
                             f"it is a sample of binary units: ({H.UNIFORM} < p).float()")


@graded(probes, guards=GIBBS_GUARDS)
def check_gibbs_step(gibbs_step: Answer) -> None:
    """``gibbs_step(v, W, b_v, b_h, generator)``: (h, v'), h ~ p(h | v) then v' ~ p(v | h), on a square RBM and a
    wide one; the same draws as gancourse for the same seed, or else the right distribution over many draws."""
    gen = seeded(72)
    cases = []
    for B, n_h, n_v in ((12, 5, 5), (4, 3, 7)):
        W = torch.randn(n_h, n_v, generator=gen) * 1.5
        b_v, b_h = torch.randn(n_v, generator=gen) * 0.5, torch.randn(n_h, generator=gen) * 0.5
        cases.append((H.bits((B, n_v), gen), W, b_v, b_h, int(torch.randint(2**30, (), generator=gen))))
    for v, W, b_v, b_h, seed in cases:
        what = f"gibbs_step(v, W, b_v, b_h, generator) for v {tuple(v.shape)} and W {tuple(W.shape)}"
        h, v_new = H.tensors(_run(gibbs_step, what, [v, W, b_v, b_h], seed=seed)[0], what)
        want_h, want_v = H.gibbs_reference(v, W, b_v, b_h, seed)
        for got, want, name in ((h, want_h, "h"), (v_new, want_v, "v'")):
            expect(tuple(got.shape) == tuple(want.shape), f"{what}: {name} has shape {tuple(got.shape)}, expected "
                                                          f"{tuple(want.shape)} (h: (B, H), v': (B, V))")
        _binary(h, what, H.sigmoid_h(v, W, b_h), "h", "p(h | v)")
        _binary(v_new, what, H.sigmoid_v(h, W, b_v), "v'", "p(v | h)")
        if torch.equal(h, want_h) and torch.equal(v_new, want_v):
            continue
        named = {m for (mh, mv), m in H.gibbs_mistakes(v, W, b_v, b_h, seed)
                 if torch.equal(h, mh) and torch.equal(v_new, mv)}
        many = v.repeat(COPIES, 1)                     # other draws: judge the distribution of many of them
        many_what = f"gibbs_step on {COPIES} copies of a batch v {tuple(v.shape)}, W {tuple(W.shape)}"
        h, v_new = H.tensors(_run(gibbs_step, many_what, [many, W, b_v, b_h], seed=seed)[0], many_what)
        _binary(h, many_what, H.sigmoid_h(many, W, b_h), "h", "p(h | v)")
        _binary(v_new, many_what, H.sigmoid_v(h, W, b_v), "v'", "p(v | h)")
        problem = H.gibbs_statistics(many, W, b_v, b_h, h, v_new, COPIES)
        if problem is not None:                        # draws that one mistake gives exactly: the likeliest
            raise AssertionError(f"{what}: {named.pop()}" if len(named) == 1 else f"{many_what}: {problem}")


# ---- contrastive divergence ------------------------------------------------------------------------------------------
def _cd(answer: Answer, what: str, v, W, b_v, b_h, k: int, seed: int) -> list:
    got = H.tensors(_run(answer, what, [v, W, b_v, b_h], kwargs={"k": k}, seed=seed, lend=True)[0], what, 3)
    n_h, n_v = W.shape
    if tuple(got[0].shape) == (n_v, n_h) and n_v != n_h:
        raise AssertionError(f"{what}: dW has shape {tuple(got[0].shape)}, expected W's shape ({n_h}, {n_v}): W has "
                             "one row per hidden unit, so dW = (p_hᵀ @ v) / B")
    for t, shape, name in zip(got, ((n_h, n_v), (n_v,), (n_h,)), ("dW", "db_v", "db_h")):
        expect(tuple(t.shape) == shape, f"{what}: {name} has shape {tuple(t.shape)}, expected {shape}")
    return got


def _cd_close(got: list, expected, atol: float = 1e-5) -> bool:
    return all(H.close(g, e, atol=atol) for g, e in zip(got, expected))


@graded(probes, guards=("gancourse.training.rbm.cd_gradient.__wrapped__",))
def check_cd_gradient(cd_gradient: Answer) -> None:
    """``cd_gradient(v_data, W, b_v, b_h, k, generator)``: (dW, db_v, db_h) of CD-k, gancourse's ``gibbs_step`` lent;
    first a chain that cannot move (the statistics alone), then a random one, exactly or in distribution."""
    gen = seeded(73)
    n_h, n_v, B = 4, 6, 5
    W, b_h = torch.randn(n_h, n_v, generator=gen) * 0.5, torch.randn(n_h, generator=gen)
    pattern = H.bits((n_v,), gen)
    b_v, v = 40.0 * (2 * pattern - 1), H.bits((B, n_v), gen)
    for k in (1, 2):
        what = f"cd_gradient(v_data, W, b_v, b_h, k={k}) where b_v sends every chain to one v"
        got = _cd(cd_gradient, what, v, W, b_v, b_h, k, 0)
        expected = H.cd_reference(v, W, b_v, b_h, k, 0)
        end = pattern.expand(B, n_v)
        mistakes = H.cd_term_mistakes(expected, v, W, b_h, end)
        p_data, p_end = H.sigmoid_h(v, W, b_h), H.sigmoid_h(end, W, b_h)
        parts = {"dW": (p_data.T @ v / B, p_end.T @ end / B), "db_h": (p_data.mean(0), p_end.mean(0))}
        for name, g, e, named in zip(("dW", "db_v", "db_h"), got, expected, mistakes):
            if H.close(g, e):
                continue
            hint = H.named(g, named) or (H.sampled_h(g, *parts[name], B) if name in parts else None)
            expect(hint is None, f"{what}: {name} differs from the CD statistics: {hint}")
            assert_close(f"{what}: {name}", g, e)
    W, b_v, b_h = (torch.randn(3, 5, generator=gen) * 2, torch.randn(5, generator=gen) * 0.5,
                   torch.randn(3, generator=gen) * 0.5)
    v, seed = H.bits((32, 5), gen), int(torch.randint(2**30, (), generator=gen))    # 32 chains: some move
    exact = True
    for k in (1, 3):
        what = f"cd_gradient(v_data, W, b_v, b_h, k={k}, generator)"
        got = _cd(cd_gradient, what, v, W, b_v, b_h, k, seed)
        if _cd_close(got, H.cd_reference(v, W, b_v, b_h, k, seed)):
            continue
        exact = False
        hint = next((m for value, m in H.cd_mistakes(v, W, b_v, b_h, k, seed) if _cd_close(got, value)), None)
        expect(hint is None, f"{what}: {hint}")
    if exact:
        return
    copies = COPIES // 3
    many, tol = v.repeat(copies, 1), math.sqrt(2) * H.tolerance(copies * v.shape[0])
    for k in (1, 3):                                   # drawn another way: compare the expected statistics
        what = f"cd_gradient on {copies} copies of a batch v_data {tuple(v.shape)}, k={k}"
        got = _cd(cd_gradient, what, many, W, b_v, b_h, k, seed)
        expected = H.cd_reference(many, W, b_v, b_h, k, seed + 1)
        if _cd_close(got, expected, atol=tol):
            continue
        hint = next((m for value, m in H.cd_mistakes(many, W, b_v, b_h, k, seed + 1)
                     if _cd_close(got, value, atol=tol)), None)
        hint = H.ONE_STEP if hint in (H.K_IGNORED, H.RESTART) else hint
        worst = max(float((g - e).abs().max()) for g, e in zip(got, expected))
        raise AssertionError(f"{what}: the statistics differ from CD-{k}'s expected ones by up to {worst:.3f} (more "
                             f"than chance allows, {tol:.3f}): " + (hint or "positive phase p(h | v_data) with v_data; "
                             "negative phase: k steps of gibbs_step from v_data, then p(h | v_k) with v_k; each the "
                             "batch mean, positive minus negative"))


# ---- the exact log partition function --------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.metrics.likelihood.exact_log_partition",
                        "gancourse.metrics.likelihood._log_sum_over.__wrapped__"))
def check_log_partition(log_partition: Answer) -> None:
    """``log_partition(W, b_v, b_h)``: log Z as a float, exact to float64 precision, on a wide RBM, a square one and
    one with weights large enough to overflow exp and to need float64."""
    gen = seeded(74)
    for n_h, n_v, scale in ((5, 5, 1.5), (7, 10, 1.0), (6, 9, 400.0)):
        W = torch.randn(n_h, n_v, generator=gen) * scale
        b_v, b_h = torch.randn(n_v, generator=gen) * scale / 3, torch.randn(n_h, generator=gen) * scale / 3
        what = f"log_partition(W, b_v, b_h) for W ({n_h}, {n_v}) with |W| up to {W.abs().max():.3g}"
        report = log_partition.probe("call", args=[W, b_v, b_h])
        got = H.as_float(what, outcome(report, what))
        expected = L.exact_log_z(W, b_v, b_h)
        expect(math.isfinite(got), f"{what} is {got}, expected {expected:.10g}: {L.LOG_Z_OVERFLOW}")
        tolerance = 1e-9 * max(1.0, abs(expected))
        if abs(got - expected) > tolerance:
            hint = next((m for value, m in L.log_z_mistakes(W, b_v, b_h) if abs(got - value) <= tolerance), None)
            if hint is None and abs(got - expected) <= 1e-4 * max(1.0, abs(expected)):
                hint = L.FLOAT32
            raise AssertionError(f"{what} is {got:.10g}, expected {expected:.10g}: "
                                 + (hint or "log Σ_h exp(h·b_h + Σ_i softplus(b_v,i + (h W)_i)) over every binary h"))


# ---- the reparameterisation trick ------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.models.vae.reparameterise",))
def check_reparameterise(reparameterise: Answer) -> None:
    """``reparameterise(mean, logvar, generator)``: mean + exp(logvar / 2)·ε, ε = torch.randn(mean.shape, generator),
    with the gradients of z with respect to mean (1) and logvar ((z − mean) / 2); the same draws as gancourse, or
    else standard normal ε over many draws."""
    gen = seeded(75)
    mean, logvar = torch.randn(6, 4, generator=gen) * 2, torch.randn(6, 4, generator=gen) * 1.5
    seed = int(torch.randint(2**30, (), generator=gen))
    z = L.reparameterised(reparameterise, mean, logvar, seed, torch.rand(6, 4, generator=gen) + 0.5, "")
    if torch.equal(z, reference_reparameterise(mean, logvar, torch.Generator().manual_seed(seed))):
        return
    hint = L.named_eps(z, mean, logvar, seed)
    expect(hint is None, f"reparameterise(mean, logvar, generator): {hint}")
    rows = 4000                                        # drawn another way: judge ε = (z − mean) / σ over many rows
    many_mean = torch.randn(rows, 4, generator=gen)
    many_logvar = torch.tensor([-1.5, -0.5, 0.4, 1.2]).repeat(rows, 1)
    z = L.reparameterised(reparameterise, many_mean, many_logvar, seed, torch.rand(rows, 4, generator=gen) + 0.5,
                          f" on {rows} rows")
    problem = L.eps_statistics((z - many_mean) / torch.exp(0.5 * many_logvar), many_logvar)
    expect(problem is None, f"reparameterise(mean, logvar) on {rows} rows: {problem}")


# ---- the negative ELBO -----------------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.losses.reconstruction_loss", "gancourse.losses.kl_to_standard_normal"))
def check_negative_elbo(negative_elbo: Answer) -> None:
    """``negative_elbo(logits, images, mean, logvar)``: (loss, reconstruction, kl), nats per image, with confident
    logits (right and wrong) and the gradients of the loss with respect to logits, mean and logvar."""
    gen = seeded(76)
    B, d = 3, 5
    logits = torch.randn(B, 1, 28, 28, generator=gen) * 3
    confident = torch.rand(logits.shape, generator=gen) < 0.1
    logits = torch.where(confident, 40 * torch.sign(logits), logits)
    images = 2 * H.bits((B, 1, 28, 28), gen) - 1
    mean, logvar = torch.randn(B, d, generator=gen), torch.randn(B, d, generator=gen) * 0.8
    args = [logits, images, mean, logvar]
    what = "negative_elbo(logits, images, mean, logvar)"
    rec, kl = losses.reconstruction_loss(logits, images), losses.kl_to_standard_normal(mean, logvar)
    got = H.tensors(outcome(negative_elbo.probe("call", args=args), what), what, 3)
    value = got[0]
    for name, g, e, mistakes in (("reconstruction", got[1], rec, L.reconstruction_mistakes(logits, images)),
                                 ("kl", got[2], kl, L.kl_mistakes(mean, logvar))):
        expect(g.ndim == 0, f"{what}: {name} has shape {tuple(g.shape)}, expected a scalar tensor (the batch mean "
                            "of per-image sums)")
        hint = None if H.close(g, e) else H.named(g, mistakes)
        expect(hint is None, f"{what}: {name} is {g.item():.6g}, expected {e.item():.6g}: {hint}")
        assert_close(f"{what}: {name}", g, e, atol=1e-4)
    expect(isinstance(value, torch.Tensor) and value.ndim == 0, f"{what}: loss should be a scalar tensor")
    assert_close(f"{what}: loss (= reconstruction + kl)", value, rec + kl, atol=1e-4)
    for i, name in ((0, "logits"), (2, "mean"), (3, "logvar")):
        report = negative_elbo.probe("call", args=args, grad_of=i, index=0)
        outcome(report, what)
        expect(report["requires_grad"] and isinstance(report.get("grad"), torch.Tensor),
               f"no gradient flows from {what}'s loss to {name}: use torch operations on the tensors themselves "
               "(no .item(), .detach() or NumPy), since the VAE learns through it")
        arg = args[i].clone().requires_grad_(True)
        call = [arg if j == i else a for j, a in enumerate(args)]
        want, = torch.autograd.grad(losses.reconstruction_loss(*call[:2]) + losses.kl_to_standard_normal(*call[2:]),
                                    arg)
        assert_close(f"the gradient of {what}'s loss with respect to {name}", report["grad"], want, atol=1e-4)


# ---- the Parzen window -----------------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.metrics.parzen.parzen_log_likelihood.__wrapped__",))
def check_parzen_log_likelihood(parzen_log_likelihood: Answer) -> None:
    """``parzen_log_likelihood(samples, test, sigma)``: the mean over test rows of log p̂(x), as a float, near the
    samples and far from them (exp underflows there)."""
    gen = seeded(77)
    cases = [(torch.randn(7, 5, generator=gen), torch.randn(4, 5, generator=gen) * 1.3, 0.8),
             (torch.rand(6, 784, generator=gen), torch.rand(3, 784, generator=gen) + 4.0, 0.1),
             (torch.randn(9, 3, generator=gen), torch.randn(5, 3, generator=gen), 0.35)]
    for samples, test, sigma in cases:
        what = (f"parzen_log_likelihood(samples {tuple(samples.shape)}, test {tuple(test.shape)}, sigma={sigma:g})")
        got = H.as_float(what, outcome(parzen_log_likelihood.probe("call", args=[samples, test, sigma]), what))
        expected = reference_parzen(samples, test, sigma)
        expect(math.isfinite(got), f"{what} is {got}, expected {expected:.6g}: {L.UNDERFLOW}")
        tolerance = 1e-6 * max(1.0, abs(expected))
        if abs(got - expected) > tolerance:
            hint = next((m for value, m in L.parzen_mistakes(samples, test, sigma)
                         if abs(got - value) <= tolerance), None)
            raise AssertionError(f"{what} is {got:.8g}, expected {expected:.8g}: " + (hint or (
                "log p̂(x) = logsumexp_n(−‖x − s_n‖² / (2σ²)) − log N − (D/2)·log(2πσ²), averaged over the test rows")))

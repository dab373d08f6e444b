"""How notebook 07's checks of log Z, the reparameterisation trick, the negative ELBO and the Parzen window read
the probes' reports (``autograder.probes.compare``): the reference values, the values typical mistakes give on the
checks' inputs, each with the message naming it, and the statistical test of ε for a reparameterisation that draws
from another generator. The answers themselves run only in the probes."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as tF

from autograder.checks import as_tensor, assert_close, expect
from autograder.checks.compare_helpers import Z_SCORE, close, rbm
from autograder.grading.answers import Answer, outcome
from gancourse.metrics.likelihood import exact_log_partition


# ---- log Z ---------------------------------------------------------------------------------------------------------
LOG_Z_OVERFLOW = ("exp overflows for large energies (exp(710) is inf even in float64): sum the states with "
                  "torch.logsumexp, and compute log(1 + e^a) with F.softplus")
FLOAT32 = ("close, but not to float64 precision: convert W, b_v and b_h to float64 (.double()) before the sums, as "
           "the docstring asks; float32 keeps only about 7 significant digits of log Z")


def exact_log_z(W, b_v, b_h) -> float:
    """gancourse's exact log Z, summed over the hidden states in float64."""
    return exact_log_partition(rbm(W.double(), b_v.double(), b_h.double()), over="hidden")


def _states(n: int) -> torch.Tensor:
    return ((torch.arange(2 ** n).unsqueeze(1) >> torch.arange(n)) & 1).double()


def log_z_mistakes(W, b_v, b_h) -> list[tuple[float, str]]:
    W, b_v, b_h = W.double(), b_v.double(), b_h.double()
    h = _states(W.shape[0])
    terms = h @ b_h + tF.softplus(h @ W + b_v).sum(1)
    out = [
        (torch.logsumexp(tF.softplus(h @ W + b_v).sum(1), 0).item(),
         "the term h·b_h is missing: log Z = log Σ_h exp(h·b_h + Σ_i softplus(b_v,i + (h W)_i))"),
        (-torch.logsumexp(terms, 0).item(), "this is −log Z: the sign is flipped"),
        (torch.logsumexp(terms[:-1], 0).item(), f"the sum misses a state: enumerate all 2^H = {2 ** W.shape[0]} "
                                                "hidden states, range(2 ** H), including the last one (all ones)"),
        (torch.logsumexp(terms[1:], 0).item(), "the sum misses the state h = 0: enumerate all 2^H hidden states"),
    ]
    if W.shape[0] == W.shape[1]:
        out.append((torch.logsumexp(h @ b_h + tF.softplus(h @ W.T + b_v).sum(1), 0).item(),
                    "the visible pre-activations given h are b_v + h W (h @ W, W is (H, V)); h @ W.T only has the "
                    "right shape because this RBM is square"))
        out.append((torch.logsumexp(h @ b_v + tF.softplus(h @ W + b_h).sum(1), 0).item(),
                    "the biases are swapped: h·b_h with the hidden states, softplus(b_v + h W) for the visible units"))
    return out


# ---- the reparameterisation trick ----------------------------------------------------------------------------------
STD = ("σ = exp(logvar / 2) is the standard deviation (logvar = log σ²): z = mean + torch.exp(0.5 * logvar) · ε, "
       "not exp(logvar) or ½·exp(logvar)")
NO_GRAD = ("no gradient flows from z to mean and logvar: torch.normal(mean, std) and .sample() draw z without "
           "one; write z = mean + σ·ε with ε = torch.randn(mean.shape, generator=generator) (the reparameterisation "
           "trick), with no .detach() or torch.no_grad()")


def reparameterised(answer: Answer, mean, logvar, seed: int, weights, where: str) -> torch.Tensor:
    """The answer's z on (mean, logvar) with a generator seeded with ``seed``, after checking its shape and its
    gradients, which z itself determines: ∂z/∂mean = 1 and ∂z/∂logvar = (z − mean) / 2."""
    what = f"reparameterise(mean, logvar, generator){where}"
    report = answer.probe("answer", args=[mean, logvar], seed=seed, grad_of=[0, 1], weights=weights)
    z = as_tensor(what, outcome(report, what))
    expect(tuple(z.shape) == tuple(mean.shape), f"{what} has shape {tuple(z.shape)}, expected mean's shape "
                                                f"{tuple(mean.shape)}: one ε per entry, torch.randn(mean.shape, ...)")
    expect(bool(torch.isfinite(z).all()), f"{what} contains inf or nan")
    grads = report.get("grads")
    expect(report["requires_grad"] and grads is not None, f"{what}: {NO_GRAD}")
    g_mean, g_logvar = grads
    flowing = [g is not None and bool(g.abs().sum() > 0) for g in grads]
    expect(any(flowing), f"{what}: {NO_GRAD}")
    expect(flowing[0] and close(g_mean, weights), f"{what}: ∂z/∂mean must be 1: z = mean + σ·ε, with mean itself "
                                                  "(not detached or scaled)")
    expect(g_logvar is not None, f"{what}: no gradient reaches logvar: compute σ = torch.exp(0.5 * logvar) from "
                                 "logvar itself (no .detach())")
    if close(g_logvar, weights * (z - mean)) or close(g_logvar, weights * (z - mean) * 2 * torch.exp(0.5 * logvar)):
        raise AssertionError(f"{what}: {STD}")
    assert_close(f"the gradient of Σ weights · {what} with respect to logvar (z = mean + exp(logvar / 2)·ε gives "
                 "(z − mean) / 2)", g_logvar, weights * (z - mean) / 2, atol=1e-4)
    return z


def named_eps(z, mean, logvar, seed: int) -> str | None:
    """The message of the typical mistake that draws exactly ``z`` from a generator seeded with ``seed``."""
    sigma = torch.exp(0.5 * logvar)

    def g():
        return torch.Generator().manual_seed(seed)
    variants = [
        (torch.rand(mean.shape, generator=g()), "ε must be standard normal, torch.randn(mean.shape, "
                                                "generator=generator), not uniform (torch.rand)"),
        (torch.randn(mean.shape[1], generator=g()), "the same ε serves every row of the batch: draw "
                                                    "torch.randn(mean.shape, ...), one ε per entry"),
        (torch.randn(mean.shape[0], 1, generator=g()), "one ε serves every latent dimension of a row: draw "
                                                       "torch.randn(mean.shape, ...), one ε per entry"),
    ]
    return next((message for eps, message in variants if close(z, mean + sigma * eps)), None)


def eps_statistics(eps: torch.Tensor, logvar: torch.Tensor) -> str | None:
    """What is wrong with ε = (z − mean) / σ over many rows, or None: each column mean 0 and standard deviation 1,
    columns uncorrelated, and every row its own."""
    rows = eps.shape[0]
    if bool(eps.std(0).max() < 1e-4):
        return "the same ε serves every row of the batch: draw torch.randn(mean.shape, ...), one ε per entry"
    if bool((eps >= 0).all()):
        return "ε must be standard normal, torch.randn(mean.shape, generator=generator), not uniform (torch.rand)"
    std = eps.std(0)
    if bool(((std - torch.exp(0.5 * logvar[0])).abs() < 0.02).all()):
        return STD
    for column in range(eps.shape[1]):
        m, s = eps[:, column].mean().item(), std[column].item()
        if abs(m) > Z_SCORE / math.sqrt(rows) or abs(s - 1) > Z_SCORE / math.sqrt(2 * rows):
            return (f"(z − mean) / σ should be standard normal; in latent dimension {column} its mean is {m:.3f} and "
                    f"its standard deviation {s:.3f} over {rows} rows (σ = exp(logvar / 2), "
                    "ε = torch.randn(mean.shape))")
    corr = torch.corrcoef(eps.T) - torch.eye(eps.shape[1])
    if bool(corr.abs().max() > Z_SCORE / math.sqrt(rows)):
        return ("the latent dimensions' ε are correlated (up to {:.2f}): draw one independent ε per entry, "
                "torch.randn(mean.shape, ...)".format(corr.abs().max().item()))
    return None


# ---- the negative ELBO ----------------------------------------------------------------------------------------------
SATURATED = ("σ(logit) rounds to exactly 0 or 1 in float32 for confident pixels, so the log of it is clamped or "
             "−inf: compute the cross-entropy from the logits, F.binary_cross_entropy_with_logits (log-sigmoid)")
BATCH_MEAN = "sum over each image's {what}, then average over the batch (divide by B), not the sum over the batch"


def reconstruction_mistakes(logits, images) -> list[tuple[torch.Tensor, str]]:
    B, target = images.shape[0], (images + 1) / 2

    def bce(l, t, reduction="sum"):
        return tF.binary_cross_entropy_with_logits(l, t, reduction=reduction)
    p = torch.sigmoid(logits)
    eps = -(target * torch.log(p + 1e-8) + (1 - target) * torch.log(1 - p + 1e-8)).sum() / B
    return [
        (bce(logits, target, "mean"), "sum the cross-entropy over the pixels (784 per image), not the mean"),
        (bce(logits, target) / target[0].numel() / B, "sum the cross-entropy over the pixels, not the mean"),
        (bce(logits, images) / B, "the targets are (images + 1) / 2, the intensities in [0, 1]: images are in [−1, 1]"),
        (bce(torch.sigmoid(logits), target) / B, "the logits go into the cross-entropy as they are: "
                                                 "binary_cross_entropy_with_logits applies the sigmoid itself"),
        (tF.binary_cross_entropy(p, target, reduction="sum") / B, SATURATED),
        (eps, SATURATED),
        (bce(logits, target), BATCH_MEAN.format(what="pixels")),
        (-bce(logits, target) / B, "the reconstruction term is −log p(x | z) ≥ 0: the sign is flipped"),
    ]


def kl_mistakes(mean, logvar) -> list[tuple[torch.Tensor, str]]:
    B = mean.shape[0]

    def kl(terms):
        return 0.5 * terms.sum() / B
    m2, var = mean.pow(2), logvar.exp()
    return [
        (kl(m2 + var - logvar), "the KL has a −1 per latent dimension: ½ Σ (mean² + exp(logvar) − 1 − logvar)"),
        (kl(m2 + logvar - 1 - logvar), "the variance is exp(logvar), not logvar: ½ Σ (mean² + exp(logvar) − 1 − "
                                       "logvar)"),
        (kl(m2 + var - 1 - logvar) * B, BATCH_MEAN.format(what="latent dimensions")),
        (kl(m2 + var - 1 - logvar) / mean.shape[1], "sum the KL over the latent dimensions, not the mean"),
        (kl(m2 + var - 1 + logvar), "the sign of logvar: ½ Σ (mean² + exp(logvar) − 1 − logvar)"),
        (kl(m2 + torch.exp(2 * logvar) - 1 - 2 * logvar), "logvar is log σ² (the log variance), not log σ: "
                                                          "σ² = exp(logvar), log σ² = logvar"),
        (2 * kl(m2 + var - 1 - logvar), "the KL has a factor ½: ½ Σ (mean² + exp(logvar) − 1 − logvar)"),
        (-kl(m2 + var - 1 - logvar), "KL(q ‖ p) ≥ 0: the sign is flipped"),
    ]


# ---- the Parzen window ----------------------------------------------------------------------------------------------
UNDERFLOW = ("far from every sample exp(−‖x − s‖² / (2σ²)) underflows to 0 and its log is −inf: use "
             "torch.logsumexp over the samples, not log(sum(exp(...)))")


def _parzen(samples, test, sigma, *, half=0.5, power=2, variance=None, log_n=True, reduce="mean", d_half=True):
    s, x = samples.reshape(len(samples), -1).double(), test.reshape(len(test), -1).double()
    n, d = s.shape
    values = -half * torch.cdist(x, s).pow(power) / sigma ** 2                     # (M, N)
    constant = (0.5 * d if d_half else 0.5) * math.log(2 * math.pi * (sigma ** 2 if variance is None else variance))
    if reduce == "density":
        return (torch.logsumexp(values.flatten(), 0) - math.log(n * len(x)) - constant).item()
    log_p = torch.logsumexp(values, 1) - (math.log(n) if log_n else 0.0) - constant
    return (log_p.sum() if reduce == "sum" else log_p.mean()).item()


def parzen_mistakes(samples, test, sigma) -> list[tuple[float, str]]:
    return [
        (_parzen(samples, test, sigma, variance=sigma), "the normaliser is (D/2)·log(2πσ²), with σ squared"),
        (_parzen(samples, test, sigma, log_n=False), "p̂ is the *mean* of the N kernels: subtract log N"),
        (_parzen(samples, test, sigma, reduce="density"), "average the log-likelihoods of the test points, not the "
                                                          "densities: the mean over rows of logsumexp_n(...) − ..."),
        (_parzen(samples, test, sigma, half=1.0), "the Gaussian's exponent is −‖x − s‖² / (2σ²): the 2 is missing"),
        (_parzen(samples, test, sigma, power=1), "the exponent needs the *squared* distance ‖x − s‖² "
                                                 "(torch.cdist gives the distance: .pow(2))"),
        (_parzen(samples, test, sigma, reduce="sum"), "average over the test rows (.mean()), not the sum"),
        (_parzen(samples, test, sigma, d_half=False), "the normaliser of a Gaussian in D dimensions is "
                                                      "(D/2)·log(2πσ²), with the D"),
    ]

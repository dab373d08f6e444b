"""How notebook 07's checks read the probes' reports (``autograder.probes.compare``): the values that typical
mistakes give on the checks' inputs, each with the message naming it, and the statistical tests that accept a Gibbs
step drawn another way (torch.bernoulli, another generator) when its draws have the right distribution. The
answers themselves run only in the probes."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as tF

from autograder.checks import as_number, expect
from gancourse.models.rbm import BernoulliRBM
from gancourse.training.rbm import cd_gradient as reference_cd

Z_SCORE = 5.0            # a statistical test fails beyond 5 standard errors of its estimate


def close(a, b, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Whether tensors (or numbers) ``a`` and ``b`` have one shape and the same values."""
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=atol, rtol=rtol))


def named(got, mistakes: list[tuple[object, str]], **tolerance) -> str | None:
    """The message of the first mistake whose value ``got`` matches."""
    return next((message for value, message in mistakes if value is not None and close(got, value, **tolerance)),
                None)


def few(t: torch.Tensor) -> str:
    """The first three values of ``t``, for a message."""
    return "[" + ", ".join(f"{x:.6g}" for x in t.flatten()[:3].tolist()) + (", ...]" if t.numel() > 3 else "]")


def as_float(what: str, value) -> float:
    """``value`` as a float, failing with a message if it is a tensor or no number."""
    expect(not isinstance(value, torch.Tensor), f"{what} returned a tensor; expected a Python float: return .item()")
    return as_number(what, value)


def tensors(value, what: str, n: int = 2) -> list:
    """``value``, failing unless it is a tuple (a list, once described) of ``n`` tensors."""
    expect(isinstance(value, list) and len(value) == n and all(isinstance(t, torch.Tensor) for t in value),
           f"{what} should return a tuple of {n} tensors, got {type(value).__name__}"
           + (f" of length {len(value)}" if isinstance(value, list) else ""))
    return value


def rbm(W: torch.Tensor, b_v: torch.Tensor, b_h: torch.Tensor) -> BernoulliRBM:
    """gancourse's RBM holding these parameters (in their dtype)."""
    model = BernoulliRBM(W.shape[1], W.shape[0], generator=torch.Generator()).to(W.dtype)   # global RNG untouched
    with torch.no_grad():
        model.W.copy_(W)
        model.b_v.copy_(b_v)
        model.b_h.copy_(b_h)
    return model.requires_grad_(False)


def bits(shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    return (torch.rand(shape, generator=gen) < 0.5).float()


# ---- the free energy -------------------------------------------------------------------------------------------------
OVERFLOW = ("log(1 + exp(a)) overflows to inf for large pre-activations a (exp(89) is inf in float32): use "
            "F.softplus(a), which computes log(1 + e^a) stably")


def free_energy_mistakes(v, W, b_v, b_h) -> list[tuple[torch.Tensor, str]]:
    a = v @ W.T + b_h
    square = W.shape[0] == W.shape[1]
    return [
        (-(v @ b_v) + tF.softplus(a).sum(1), "the hidden units lower the free energy: F(v) = −v·b_v − Σ_j "
                                             "softplus(b_h,j + W_j·v), minus the softplus sum, not plus"),
        (-tF.softplus(a).sum(1), "the visible bias term −v·b_v is missing: F(v) = −v·b_v − Σ_j softplus(...)"),
        ((v @ b_v) - tF.softplus(a).sum(1), "the visible bias term is −v·b_v (minus): F(v) = −v·b_v − Σ_j softplus"),
        (-(v @ b_v) - tF.softplus(v @ W + b_h).sum(1) if square else None,
         "W is (H, V), one row per hidden unit: the hidden pre-activations are b_h + v Wᵀ (v @ W.T); v @ W only has "
         "the right shape because this RBM is square"),
        (-(v @ b_v) - tF.softplus(a).mean(1), "sum the softplus over the hidden units (.sum(dim=1)), not the mean"),
        (-(v @ b_v) - torch.relu(a).sum(1), "softplus(a) = log(1 + e^a), not max(a, 0)"),
        (-(v @ b_v) - tF.softplus(v @ W.T).sum(1), "the hidden bias b_h is missing inside the softplus"),
    ]


# ---- the Gibbs step --------------------------------------------------------------------------------------------------
PROBS = "{x} is the probabilities {p}, not a sample: draw bits, ({uniform} < p).float()"
UNIFORM = "torch.rand(p.shape, generator=generator)"
W_H = ("p(h | v) = σ(b_h + v Wᵀ): W is (H, V), so use v @ W.T (v @ W only has the right shape because this RBM is "
       "square)")
W_V = "p(v | h) = σ(b_v + h W): use h @ W (h @ W.T only has the right shape because this RBM is square)"
FROM_PROBS = ("v' must be drawn from p(v | h) = σ(b_v + h W) with the *sampled* h, not with h's probabilities "
              "p(h | v)")
V_GIVEN_V = "v' is sampled from p(v | v): its probabilities must be σ(b_v + h W) with the sampled h, not the input v"
ROUND = ("{x} is rounded, (p > 0.5): that is not sampling; draw {x} = (" + UNIFORM + " < p).float() so that each "
         "unit is 1 with probability p")
SHARED_ROWS = ("the same uniforms serve every row of the batch: draw " + UNIFORM + ", one uniform per unit and row, "
               "so that the rows are independent chains")
SHARED_LAYERS = "h and v' share one uniform draw: draw fresh uniforms for v', after h"
FLIPPED = "a unit is 1 when its uniform is *below* its probability: (" + UNIFORM + " < p), not >"


def sigmoid_h(v, W, b_h):
    return torch.sigmoid(v @ W.T + b_h)


def sigmoid_v(h, W, b_v):
    return torch.sigmoid(h @ W + b_v)


def _draw(p, g):
    return (torch.rand(p.shape, generator=g) < p).float()


def gibbs_reference(v, W, b_v, b_h, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """gancourse's draws: h ~ p(h | v), then v' ~ p(v | h), uniforms from a generator seeded with ``seed``."""
    model, g = rbm(W, b_v, b_h), torch.Generator().manual_seed(seed)
    h = model.sample_hidden(v, g)
    return h, model.sample_visible(h, g)


def gibbs_mistakes(v, W, b_v, b_h, seed: int) -> list[tuple[tuple, str]]:
    """(h, v') as typical mistakes draw them from a generator seeded with ``seed``, each with its message."""
    square = W.shape[0] == W.shape[1]

    def draws(p_h_of, p_v_of, h_rule=_draw, v_rule=_draw):
        g = torch.Generator().manual_seed(seed)
        p_h = p_h_of()
        h = h_rule(p_h, g)
        return h, v_rule(p_v_of(h, p_h), g)

    def rounded(p, g):
        return (p > 0.5).float()

    def flipped(p, g):
        return (torch.rand(p.shape, generator=g) > p).float()

    def per_unit(p, g):
        return (torch.rand(p.shape[1], generator=g) < p).float()

    ph = lambda: sigmoid_h(v, W, b_h)                                     # noqa: E731
    pv = lambda h, p_h: sigmoid_v(h, W, b_v)                              # noqa: E731
    out = [
        (draws(ph, lambda h, p_h: sigmoid_v(p_h, W, b_v)), FROM_PROBS),
        (draws(ph, pv, h_rule=rounded), ROUND.format(x="h")),
        (draws(ph, pv, v_rule=rounded), ROUND.format(x="v'")),
        (draws(ph, pv, h_rule=flipped, v_rule=flipped), FLIPPED),
        (draws(ph, pv, h_rule=per_unit, v_rule=per_unit), SHARED_ROWS),
    ]
    if square:
        g = torch.Generator().manual_seed(seed)
        u = torch.rand(v.shape, generator=g)
        h = (u < sigmoid_h(v, W, b_h)).float()
        out += [
            (draws(lambda: torch.sigmoid(v @ W + b_h), pv), W_H),
            (draws(ph, lambda h, p_h: torch.sigmoid(h @ W.T + b_v)), W_V),
            (draws(ph, lambda h, p_h: torch.sigmoid(v @ W + b_v)), V_GIVEN_V),
            ((h, (u < sigmoid_v(h, W, b_v)).float()), SHARED_LAYERS),
        ]
    return out


def tolerance(n: int) -> float:
    """Z_SCORE standard errors of a mean of ``n`` values in [0, 1] (standard deviation at most ½)."""
    return Z_SCORE * 0.5 / math.sqrt(n)


def _h_off(h, v, p_h, copies: int) -> bool:
    freq = h.view(copies, -1, h.shape[1]).mean(0)
    return bool((freq - p_h).abs().max() > tolerance(copies))


def _v_off(v_new, h, mean, copies: int) -> bool:
    """Whether v' fails to have conditional mean ``mean`` (N, V) given h: per data row, per unit, and against h."""
    r = v_new - mean
    n = r.shape[0]
    per_row = r.view(copies, -1, r.shape[1]).mean(0)
    return bool(per_row.abs().max() > tolerance(copies) or (h.T @ r / n).abs().max() > tolerance(n))


def gibbs_statistics(v, W, b_v, b_h, h, v_new, copies: int) -> str | None:
    """What is wrong with the distribution of (h, v') drawn from ``v`` (``copies`` copies of a batch, stacked), or
    None: the fraction of 1s of h per data row ≈ p(h | v), and E[v' − σ(b_v + h W) | h] ≈ 0."""
    batch = v.shape[0] // copies
    square = W.shape[0] == W.shape[1]
    if all(torch.equal(t.view(copies, batch, -1)[c], t.view(copies, batch, -1)[0])
           for t in (h, v_new) for c in range(1, copies)):
        return SHARED_ROWS
    p_h = sigmoid_h(v[:batch], W, b_h)
    if _h_off(h, v, p_h, copies):
        guesses = [(1 - p_h, FLIPPED), ((p_h > 0.5).float(), ROUND.format(x="h"))]
        if square:
            guesses.append((torch.sigmoid(v[:batch] @ W + b_h), W_H))
        for guess, message in guesses:
            if not _h_off(h, v, guess, copies):
                return message
        freq = h.view(copies, batch, -1).mean(0)
        b, j = divmod(int((freq - p_h).abs().argmax()), p_h.shape[1])
        return (f"h is not distributed as p(h | v) = σ(b_h + v Wᵀ): over {copies} steps from the same v, hidden unit "
                f"{j} of row {b} was 1 in a fraction {freq[b, j].item():.3f} of them, expected {p_h[b, j].item():.3f}")
    mean = sigmoid_v(h, W, b_v)
    if _v_off(v_new, h, mean, copies):
        guesses = [(sigmoid_v(sigmoid_h(v, W, b_h), W, b_v), FROM_PROBS), (1 - mean, FLIPPED),
                   ((mean > 0.5).float(), ROUND.format(x="v'"))]
        if square:
            guesses += [(torch.sigmoid(h @ W.T + b_v), W_V), (torch.sigmoid(v @ W + b_v), V_GIVEN_V)]
        for guess, message in guesses:
            if not _v_off(v_new, h, guess, copies):
                return message
        return ("v' is not distributed as p(v | h) = σ(b_v + h W) given the h you returned: draw v' from the sampled "
                "h with fresh uniforms, (" + UNIFORM + " < p_v).float()")
    return None


# ---- contrastive divergence ------------------------------------------------------------------------------------------
K_IGNORED = ("the negative phase must run k steps of gibbs_step (for _ in range(k)), each from the previous step's "
             "v; this one ran a single step whatever k")
RESTART = ("each Gibbs step of the negative phase must start from the previous step's v', not again from v_data: "
           "the chain is v_data → v_1 → ... → v_k")
LAST_H = ("the negative statistics use p(h | v_k) = σ(b_h + v_k Wᵀ), the probabilities given the chain's last v, "
          "not the sampled h that gibbs_step returned")
ONE_STEP = ("the negative phase behaves like a single Gibbs step from v_data: run k steps, each from the previous "
            "step's v, for _ in range(k): _, v = gibbs_step(v, W, b_v, b_h, generator)")
EXTRA_STEP = "the chain ran k + 1 steps: run exactly k steps of gibbs_step, for _ in range(k)"
SIGN = ("the ascent direction is positive minus negative statistics, E_data[h vᵀ] − E_model[h vᵀ]: the signs are "
        "flipped")
SUM = "average the statistics over the batch (divide by B, .mean(0)), not the sum"
DATA_NEGATIVE = ("the negative statistics pair p(h | v_k) with the chain's v_k: h_modelᵀ @ v_k, not with v_data")
SAMPLED_H = ("use the probabilities p(h | v) in the statistics, not sampled h: σ(b_h + v Wᵀ) for both phases "
             "(sampled h only add noise)")


def sampled_h(got, positive, negative, n: int) -> str | None:
    """Where the chain's end is fixed, whether a statistic ``got`` (dW or db_h, a batch mean over ``n`` rows) holds
    sampled h: the batch sum of its positive (``got`` + the right ``negative``) or negative (the right ``positive``
    − ``got``) part is then whole (counts of 1s times bits), which the right parts are not."""
    def whole(t):
        return bool((t * n - (t * n).round()).abs().max() < 1e-4)
    if whole(got) or whole(got + negative):
        return SAMPLED_H
    if whole(positive - got):
        return LAST_H
    return None


def cd_reference(v, W, b_v, b_h, k: int, seed: int, restart: bool = False, last_h: bool = False):
    """(dW, db_v, db_h) of CD-k, the chain's draws from a generator seeded with ``seed``; with ``restart`` every step
    starts from the data, with ``last_h`` the negative statistics use the last sampled h (two typical mistakes)."""
    model = rbm(W, b_v, b_h)
    if not (restart or last_h):
        grad = reference_cd(model, v, k, torch.Generator().manual_seed(seed))
        return grad.W, grad.b_v, grad.b_h
    g = torch.Generator().manual_seed(seed)
    chain = v
    for _ in range(k):
        h = model.sample_hidden(v if restart else chain, g)
        chain = model.sample_visible(h, g)
    h_data = model.hidden_probs(v)
    h_model = h if last_h else model.hidden_probs(chain)
    n = v.shape[0]
    return (h_data.T @ v - h_model.T @ chain) / n, (v - chain).mean(0), (h_data - h_model).mean(0)


def cd_mistakes(v, W, b_v, b_h, k: int, seed: int) -> list[tuple[tuple, str]]:
    out = [(cd_reference(v, W, b_v, b_h, k, seed, restart=True), RESTART),
           (cd_reference(v, W, b_v, b_h, k, seed, last_h=True), LAST_H),
           (cd_reference(v, W, b_v, b_h, k + 1, seed), EXTRA_STEP)]
    if k > 1:
        out.insert(0, (cd_reference(v, W, b_v, b_h, 1, seed), K_IGNORED))
    return out


def cd_term_mistakes(expected: tuple, v, W, b_h, v_model) -> list[list[tuple[torch.Tensor, str]]]:
    """For each of (dW, db_v, db_h): its value under typical mistakes of the statistics, when the chain's end
    ``v_model`` is known (a chain that cannot move)."""
    n = v.shape[0]
    h_model = sigmoid_h(v_model, W, b_h)
    out = []
    for i, value in enumerate(expected):
        mistakes = [(-value, SIGN), (n * value, SUM)]
        if i == 0:
            mistakes.append(((sigmoid_h(v, W, b_h) - h_model).T @ v / n, DATA_NEGATIVE))
        out.append(mistakes)
    return out

"""Model answers for notebook 02's exercises, written independently of gancourse (as a student would),
plus typical wrong answers, used to test the autograder checks."""
import math

import torch
import torch.nn.functional as F


def bce(probs, targets):
    if probs.shape != targets.shape:
        raise ValueError("probs and targets must have the same shape")
    pos = torch.where(targets > 0, targets * torch.log(probs), torch.zeros_like(probs))
    neg = torch.where(targets < 1, (1 - targets) * torch.log(1 - probs), torch.zeros_like(probs))
    return -(pos + neg).mean()


def bce_with_logits(logits, targets):
    if logits.shape != targets.shape:
        raise ValueError("shapes differ")
    # max(l, 0) - l y + log(1 + exp(-|l|)): the textbook stable form
    return (logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))).mean()


def optimal_discriminator(p_data, p_g):
    if p_data.shape != p_g.shape:
        raise ValueError("p_data and p_g must have the same shape")
    total = p_data + p_g
    safe = torch.where(total > 0, total, torch.ones_like(total))
    return torch.where(total > 0, p_data / safe, torch.full_like(total, 0.5))


def _plogq(p, q):
    return torch.where(p > 0, p * torch.log(torch.where(p > 0, q, torch.ones_like(q))), torch.zeros_like(p))


def value_function(D, p_data, p_g, x):
    return torch.trapezoid(_plogq(p_data, D) + _plogq(p_g, 1 - D), x)


def jsd(p, q, x):
    m = (p + q) / 2
    kl_pm = torch.trapezoid(_plogq(p, p) - _plogq(p, m), x)
    kl_qm = torch.trapezoid(_plogq(q, q) - _plogq(q, m), x)
    return 0.5 * (kl_pm + kl_qm)


def generator_losses(fake_logits):
    saturating = F.logsigmoid(-fake_logits).mean()          # log(1 - sigmoid(l)) = log sigmoid(-l)
    non_saturating = -F.logsigmoid(fake_logits).mean()
    return saturating, non_saturating


def generator_gradients(fake_logits):
    # by autograd on the per-sample sums (each sample's term depends only on its own logit)
    l = fake_logits.detach().clone().requires_grad_(True)
    sat, = torch.autograd.grad(F.logsigmoid(-l).sum(), l)
    l2 = fake_logits.detach().clone().requires_grad_(True)
    ns, = torch.autograd.grad((-F.logsigmoid(l2)).sum(), l2)
    return sat, ns


# ---- wrong answers -------------------------------------------------------------------------------------------
def naive_bce(probs, targets):
    if probs.shape != targets.shape:
        raise ValueError
    return -(targets * torch.log(probs) + (1 - targets) * torch.log(1 - probs)).mean()


def summed_bce(probs, targets):
    if probs.shape != targets.shape:
        raise ValueError
    return -(torch.xlogy(targets, probs) + torch.xlogy(1 - targets, 1 - probs)).sum()


def torch_bce(probs, targets):
    return F.binary_cross_entropy(probs, targets)


def bce_via_sigmoid(logits, targets):
    if logits.shape != targets.shape:
        raise ValueError
    return bce(torch.sigmoid(logits), targets)


def torch_bce_with_logits(logits, targets):
    return torch.nn.BCEWithLogitsLoss()(logits, targets)


def naive_optimal_discriminator(p_data, p_g):
    if p_data.shape != p_g.shape:
        raise ValueError
    return p_data / (p_data + p_g)


def swapped_optimal_discriminator(p_data, p_g):
    return optimal_discriminator(p_g, p_data)


def riemann_value_function(D, p_data, p_g, x):
    return ((_plogq(p_data, D) + _plogq(p_g, 1 - D)) * (x[1] - x[0])).sum()


def naive_value_function(D, p_data, p_g, x):
    return torch.trapezoid(p_data * torch.log(D) + p_g * torch.log(1 - D), x)


def jsd_in_bits(p, q, x):
    return jsd(p, q, x) / math.log(2)


def kl_instead_of_jsd(p, q, x):
    return torch.trapezoid(_plogq(p, p) - _plogq(p, q), x)


def naive_jsd(p, q, x):
    m = (p + q) / 2
    return 0.5 * torch.trapezoid(p * torch.log(p / m) + q * torch.log(q / m), x)


def naive_generator_losses(fake_logits):
    d = torch.sigmoid(fake_logits)
    return torch.log(1 - d).mean(), -torch.log(d).mean()


def swapped_generator_losses(fake_logits):
    return generator_losses(fake_logits)[::-1]


def mean_generator_gradients(fake_logits):
    l = fake_logits.detach().clone().requires_grad_(True)
    sat, ns = generator_losses(l)
    g_sat, = torch.autograd.grad(sat, l)
    g_ns, = torch.autograd.grad(ns, l)
    return g_sat, g_ns


def sign_flipped_generator_gradients(fake_logits):
    d = torch.sigmoid(fake_logits)
    return d, 1 - d


# ---- wrong answers that pass the notebook's visible tests (the hidden checks must name the mistake) -----------
def bce_over_batch_size(probs, targets):
    """Divides the sum by len(probs): the mean for a 1-D batch, not for a (3, 4) one."""
    if probs.shape != targets.shape:
        raise ValueError
    return -(torch.xlogy(targets, probs) + torch.xlogy(1 - targets, 1 - probs)).sum() / len(probs)


def bce_hard_targets(probs, targets):
    """Picks log p or log(1 - p) by the label: right for 0/1 labels, wrong for soft (smoothed) targets."""
    if probs.shape != targets.shape:
        raise ValueError
    return -torch.where(targets == 1, torch.log(probs), torch.log(1 - probs)).mean()


def bce_python_floats(probs, targets):
    """A loop over Python floats: the right number, but a tensor without a gradient."""
    if probs.shape != targets.shape:
        raise ValueError
    total = 0.0
    for p, y in zip(probs.flatten().tolist(), targets.flatten().tolist()):
        if y > 0:
            total -= y * math.log(p)
        if y < 1:
            total -= (1 - y) * math.log(1 - p)
    return torch.tensor(total / probs.numel())


def bce_mean_over_dim0(probs, targets):
    """Averages over the batch dimension only: a vector for 2-D inputs."""
    if probs.shape != targets.shape:
        raise ValueError
    return -(torch.xlogy(targets, probs) + torch.xlogy(1 - targets, 1 - probs)).mean(dim=0)


def bce_len_check(probs, targets):
    """Compares lengths, not shapes: (4, 1) and (4,) broadcast silently to (4, 4)."""
    if len(probs) != len(targets):
        raise ValueError
    return -(torch.xlogy(targets, probs) + torch.xlogy(1 - targets, 1 - probs)).mean()


def bce_with_logits_unsafe_where(logits, targets):
    """Stable values, but torch.where keeps the overflowing branch in the backward pass: nan gradients."""
    if logits.shape != targets.shape:
        raise ValueError
    pos = logits - logits * targets + torch.log1p(torch.exp(-logits))
    neg = -logits * targets + torch.log1p(torch.exp(logits))
    return torch.where(logits > 0, pos, neg).mean()


def bce_with_logits_no_shape_check(logits, targets):
    """The right formula, but mismatched shapes fail with broadcasting's RuntimeError, not a ValueError."""
    return (F.softplus(logits) - targets * logits).mean()


def bce_with_logits_over_batch_size(logits, targets):
    if logits.shape != targets.shape:
        raise ValueError
    return (F.softplus(logits) - targets * logits).sum() / logits.shape[0]


def bce_with_logits_len_check(logits, targets):
    if len(logits) != len(targets):
        raise ValueError
    return (F.softplus(logits) - targets * logits).mean()


def optimal_discriminator_eps(p_data, p_g):
    """An epsilon in the denominator: 0, not 1/2, where both densities vanish, and too small in the tails."""
    if p_data.shape != p_g.shape:
        raise ValueError
    return p_data / (p_data + p_g + 1e-8)


def optimal_discriminator_nan_to_num(p_data, p_g):
    if p_data.shape != p_g.shape:
        raise ValueError
    return torch.nan_to_num(p_data / (p_data + p_g))


def optimal_discriminator_where_p_data(p_data, p_g):
    """Guards the wrong condition: 1/2 wherever p_data is 0, even where only p_g is positive (D* = 0 there)."""
    if p_data.shape != p_g.shape:
        raise ValueError
    return torch.where(p_data > 0, p_data / (p_data + p_g), torch.full_like(p_data, 0.5))


def optimal_discriminator_len_check(p_data, p_g):
    if len(p_data) != len(p_g):
        raise ValueError
    total = p_data + p_g
    safe = torch.where(total > 0, total, torch.ones_like(total))
    return torch.where(total > 0, p_data / safe, torch.full_like(total, 0.5))


def value_function_even_grid(D, p_data, p_g, x):
    """Trapezoids with the first spacing: right on an evenly spaced grid only."""
    return torch.trapezoid(_plogq(p_data, D) + _plogq(p_g, 1 - D), dx=(x[1] - x[0]).item())


def value_function_left_riemann(D, p_data, p_g, x):
    """Σ f(x_i) Δx_i: uneven spacings handled, but a left Riemann sum, not the trapezoidal rule."""
    integrand = _plogq(p_data, D) + _plogq(p_g, 1 - D)
    return (integrand[:-1] * torch.diff(x)).sum()


def value_function_half_guarded(D, p_data, p_g, x):
    """0 log 0 = 0 for the p_data term only: nan where p_g is 0 and D is 1."""
    return torch.trapezoid(torch.xlogy(p_data, D) + p_g * torch.log(1 - D), x)


def jsd_even_grid(p, q, x):
    """Trapezoids with the first spacing: right on an evenly spaced grid only."""
    m = (p + q) / 2
    integrand = 0.5 * (torch.xlogy(p, p) - torch.xlogy(p, m) + torch.xlogy(q, q) - torch.xlogy(q, m))
    return torch.trapezoid(integrand, dx=(x[1] - x[0]).item())


def jsd_from_criterion(p, q, x):
    """(C(G) + log 4) / 2, with C(G) = ∫ p log(p / (p + q)) + q log(q / (p + q)): JSD only if p, q integrate to 1."""
    total = p + q
    criterion = torch.trapezoid(_plogq(p, p) + _plogq(q, q) - _plogq(total, total), x)
    return (criterion + math.log(4)) / 2


def jsd_normalized(p, q, x):
    """Rescales p and q to integrate to 1 first: a different divergence for inputs that do not."""
    return jsd(p / torch.trapezoid(p, x), q / torch.trapezoid(q, x), x)


def generator_losses_naive_saturating(fake_logits):
    """Non-saturating loss made stable (the visible test needs it), the saturating one left as log(1 - D)."""
    return torch.log(1 - torch.sigmoid(fake_logits)).mean(), F.softplus(-fake_logits).mean()


def generator_losses_clamped(fake_logits):
    """log(1 - D) with D clamped: finite, but capped at log(1e-7) for a confidently accepted fake."""
    one_minus_d = (1 - torch.sigmoid(fake_logits)).clamp(min=1e-7)
    return torch.log(one_minus_d).mean(), F.softplus(-fake_logits).mean()


def generator_losses_detached(fake_logits):
    """Detaches the logits (as for D's step): right values, but no gradient reaches the generator."""
    l = fake_logits.detach()
    return -F.softplus(l).mean(), F.softplus(-l).mean()


def generator_losses_mean_dim0(fake_logits):
    """Averages over dim 0: a scalar for a 1-D batch, not for D's (N, 1) logits."""
    return -F.softplus(fake_logits).mean(dim=0), F.softplus(-fake_logits).mean(dim=0)


def generator_gradients_times_three(fake_logits):
    """The mean's gradient times 3: the per-sample derivative for the visible test's batch of 3 only."""
    l = fake_logits.detach().clone().requires_grad_(True)
    sat, ns = generator_losses(l)
    g_sat, = torch.autograd.grad(sat, l)
    g_ns, = torch.autograd.grad(ns, l)
    return 3 * g_sat, 3 * g_ns


def generator_gradients_overflow(fake_logits):
    """-e^l / (1 + e^l) and -1 / (1 + e^l): right until e^l overflows (inf / inf = nan for l = 100)."""
    e = torch.exp(fake_logits)
    return -e / (1 + e), -1 / (1 + e)


def generator_gradients_flattened(fake_logits):
    """Flattens the logits: one derivative per logit, but shape (N,) for D's (N, 1) logits."""
    d = torch.sigmoid(fake_logits).flatten()
    return -d, d - 1

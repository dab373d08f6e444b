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

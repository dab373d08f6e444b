"""Model answers for notebook 07's exercises (RBM vs VAE vs GAN), written independently of gancourse: the free energy
as scikit-learn's ``BernoulliRBM._free_energy`` writes it (logaddexp), log Z and the Parzen window in NumPy/SciPy
float64, the ELBO's cross-entropy from log-sigmoids. Then answers that are right but draw differently (they must
pass), and typical wrong answers, used to test the autograder checks. Later exercises call the earlier answers by
name, as in the notebook."""
import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import logsumexp


# ---- right answers ---------------------------------------------------------------------------------------------
def free_energy(v, W, b_v, b_h):
    return -(v * b_v).sum(dim=1) - torch.logaddexp(torch.zeros(()), v @ W.T + b_h).sum(dim=1)


def gibbs_step(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(b_h + torch.einsum("hv,bv->bh", W, v))
    h = (torch.rand(p_h.shape, generator=generator) < p_h).float()
    p_v = torch.sigmoid(b_v + torch.einsum("hv,bh->bv", W, h))
    v_new = (torch.rand(p_v.shape, generator=generator) < p_v).float()
    return h, v_new


def cd_gradient(v_data, W, b_v, b_h, k=1, generator=None):
    positive = torch.sigmoid(b_h + v_data @ W.T)
    v_model = v_data
    for _ in range(k):
        _, v_model = gibbs_step(v_model, W, b_v, b_h, generator)
    negative = torch.sigmoid(b_h + v_model @ W.T)
    dW = (torch.einsum("bh,bv->hv", positive, v_data) / len(v_data)
          - torch.einsum("bh,bv->hv", negative, v_model) / len(v_model))
    return dW, v_data.mean(0) - v_model.mean(0), positive.mean(0) - negative.mean(0)


def log_partition(W, b_v, b_h):
    W, b_v, b_h = (t.detach().double().numpy() for t in (W, b_v, b_h))
    states = np.array(list(itertools.product([0.0, 1.0], repeat=W.shape[0])))     # (2^H, H)
    return float(logsumexp(states @ b_h + np.logaddexp(0.0, states @ W + b_v).sum(axis=1)))


def reparameterise(mean, logvar, generator=None):
    eps = torch.randn(mean.shape, generator=generator)
    return mean + (logvar / 2).exp() * eps


def negative_elbo(logits, images, mean, logvar):
    target = (images + 1) / 2
    log_p = target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)
    reconstruction = -log_p.flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mean ** 2 + logvar.exp() - 1 - logvar)).sum(dim=1).mean()
    return reconstruction + kl, reconstruction, kl


def parzen_log_likelihood(samples, test, sigma):
    s, x = samples.double().numpy(), test.double().numpy()
    squared = ((x[:, None, :] - s[None, :, :]) ** 2).sum(axis=2)                    # (M, N)
    d = s.shape[1]
    normaliser = math.log(len(s)) + d / 2 * math.log(2 * math.pi * sigma ** 2)
    log_p = logsumexp(-squared / (2 * sigma ** 2), axis=1) - normaliser
    return float(log_p.mean())


# ---- right in distribution, other draws: these pass the statistical checks -------------------------------------
def gibbs_step_bernoulli(v, W, b_v, b_h, generator=None):
    h = torch.bernoulli(torch.sigmoid(v @ W.T + b_h), generator=generator)
    return h, torch.bernoulli(torch.sigmoid(h @ W + b_v), generator=generator)


def gibbs_step_global_generator(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand_like(p_h) < p_h).float()
    p_v = torch.sigmoid(h @ W + b_v)
    return h, (torch.rand_like(p_v) < p_v).float()


def gibbs_step_v_drawn_first(v, W, b_v, b_h, generator=None):
    u_v = torch.rand((v.shape[0], W.shape[1]), generator=generator)      # v's uniforms drawn before h's
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand(p_h.shape, generator=generator) < p_h).float()
    return h, (u_v < torch.sigmoid(h @ W + b_v)).float()


def cd_gradient_bernoulli(v_data, W, b_v, b_h, k=1, generator=None):
    h_data = torch.sigmoid(v_data @ W.T + b_h)
    v = v_data
    for _ in range(k):
        h = torch.bernoulli(torch.sigmoid(v @ W.T + b_h), generator=generator)
        v = torch.bernoulli(torch.sigmoid(h @ W + b_v), generator=generator)
    h_model = torch.sigmoid(v @ W.T + b_h)
    n = len(v_data)
    return (h_data.T @ v_data - h_model.T @ v) / n, (v_data - v).mean(0), (h_data - h_model).mean(0)


def reparameterise_randn_like(mean, logvar, generator=None):
    return mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)


# ---- wrong answers: free_energy -----------------------------------------------------------------------------------
def free_energy_plus_softplus(v, W, b_v, b_h):
    return -(v @ b_v) + F.softplus(v @ W.T + b_h).sum(dim=1)


def free_energy_log_exp(v, W, b_v, b_h):
    return -(v @ b_v) - torch.log(1 + torch.exp(v @ W.T + b_h)).sum(dim=1)


def free_energy_log1p_exp(v, W, b_v, b_h):
    return -(v @ b_v) - torch.log1p(torch.exp(v @ W.T + b_h)).sum(dim=1)


def free_energy_where(v, W, b_v, b_h):
    a = v @ W.T + b_h
    return -(v @ b_v) - torch.where(a > 20, a, torch.log1p(torch.exp(a))).sum(dim=1)


def free_energy_no_grad(v, W, b_v, b_h):
    with torch.no_grad():
        return -(v @ b_v) - F.softplus(v @ W.T + b_h).sum(dim=1)


def free_energy_W_not_transposed(v, W, b_v, b_h):
    return -(v @ b_v) - F.softplus(v @ W + b_h).sum(dim=1)


def free_energy_no_visible_bias(v, W, b_v, b_h):
    return -F.softplus(v @ W.T + b_h).sum(dim=1)


def free_energy_wrong_dim(v, W, b_v, b_h):
    return -(v @ b_v) - F.softplus(v @ W.T + b_h).sum(dim=0)


# ---- wrong answers: gibbs_step ------------------------------------------------------------------------------------
def gibbs_v_from_probabilities(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand(p_h.shape, generator=generator) < p_h).float()
    p_v = torch.sigmoid(p_h @ W + b_v)
    return h, (torch.rand(p_v.shape, generator=generator) < p_v).float()


def gibbs_round_h(v, W, b_v, b_h, generator=None):
    h = (torch.sigmoid(v @ W.T + b_h) > 0.5).float()
    p_v = torch.sigmoid(h @ W + b_v)
    return h, (torch.rand(p_v.shape, generator=generator) < p_v).float()


def gibbs_round_v(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand(p_h.shape, generator=generator) < p_h).float()
    return h, (torch.sigmoid(h @ W + b_v) > 0.5).float()


def gibbs_one_draw_per_unit(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand(p_h.shape[1], generator=generator) < p_h).float()
    p_v = torch.sigmoid(h @ W + b_v)
    return h, (torch.rand(p_v.shape[1], generator=generator) < p_v).float()


def gibbs_probabilities(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand(p_h.shape, generator=generator) < p_h).float()
    return h, torch.sigmoid(h @ W + b_v)


def gibbs_h_probabilities(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    p_v = torch.sigmoid(p_h @ W + b_v)
    return p_h, (torch.rand(p_v.shape, generator=generator) < p_v).float()


def gibbs_W_not_transposed(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W + b_h)
    h = (torch.rand(p_h.shape, generator=generator) < p_h).float()
    p_v = torch.sigmoid(h @ W + b_v)
    return h, (torch.rand(p_v.shape, generator=generator) < p_v).float()


def gibbs_v_given_v(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand(p_h.shape, generator=generator) < p_h).float()
    p_v = torch.sigmoid(v @ W + b_v)
    return h, (torch.rand(p_v.shape, generator=generator) < p_v).float()


def gibbs_shared_uniform(v, W, b_v, b_h, generator=None):
    u = torch.rand(v.shape, generator=generator)
    h = (u[:, :W.shape[0]] < torch.sigmoid(v @ W.T + b_h)).float()
    return h, (u < torch.sigmoid(h @ W + b_v)).float()


def gibbs_greater_than(v, W, b_v, b_h, generator=None):
    p_h = torch.sigmoid(v @ W.T + b_h)
    h = (torch.rand(p_h.shape, generator=generator) > p_h).float()
    p_v = torch.sigmoid(h @ W + b_v)
    return h, (torch.rand(p_v.shape, generator=generator) > p_v).float()


# ---- wrong answers: cd_gradient -----------------------------------------------------------------------------------
def cd_k_ignored(v_data, W, b_v, b_h, k=1, generator=None):
    h_data = torch.sigmoid(v_data @ W.T + b_h)
    _, v = gibbs_step(v_data, W, b_v, b_h, generator)
    h_model = torch.sigmoid(v @ W.T + b_h)
    n = v_data.shape[0]
    return (h_data.T @ v_data - h_model.T @ v) / n, (v_data - v).mean(0), (h_data - h_model).mean(0)


def cd_restarts(v_data, W, b_v, b_h, k=1, generator=None):
    h_data = torch.sigmoid(v_data @ W.T + b_h)
    for _ in range(k):
        _, v = gibbs_step(v_data, W, b_v, b_h, generator)
    h_model = torch.sigmoid(v @ W.T + b_h)
    n = v_data.shape[0]
    return (h_data.T @ v_data - h_model.T @ v) / n, (v_data - v).mean(0), (h_data - h_model).mean(0)


def cd_sum(v_data, W, b_v, b_h, k=1, generator=None):
    h_data = torch.sigmoid(v_data @ W.T + b_h)
    v = v_data
    for _ in range(k):
        _, v = gibbs_step(v, W, b_v, b_h, generator)
    h_model = torch.sigmoid(v @ W.T + b_h)
    return h_data.T @ v_data - h_model.T @ v, (v_data - v).sum(0), (h_data - h_model).sum(0)


def cd_sign_flipped(v_data, W, b_v, b_h, k=1, generator=None):
    dW, db_v, db_h = cd_gradient(v_data, W, b_v, b_h, k, generator)
    return -dW, -db_v, -db_h


def cd_data_in_negative_phase(v_data, W, b_v, b_h, k=1, generator=None):
    h_data = torch.sigmoid(v_data @ W.T + b_h)
    v = v_data
    for _ in range(k):
        _, v = gibbs_step(v, W, b_v, b_h, generator)
    h_model = torch.sigmoid(v @ W.T + b_h)
    n = v_data.shape[0]
    return (h_data.T @ v_data - h_model.T @ v_data) / n, (v_data - v).mean(0), (h_data - h_model).mean(0)


def cd_sampled_h(v_data, W, b_v, b_h, k=1, generator=None):
    v = v_data
    for _ in range(k):
        h, v_next = gibbs_step(v, W, b_v, b_h, generator)
        if v is v_data:
            h_data = h
        v = v_next
    h_model, _ = gibbs_step(v, W, b_v, b_h, generator)
    n = v_data.shape[0]
    return (h_data.T @ v_data - h_model.T @ v) / n, (v_data - v).mean(0), (h_data - h_model).mean(0)


def cd_last_h(v_data, W, b_v, b_h, k=1, generator=None):
    h_data = torch.sigmoid(v_data @ W.T + b_h)
    v = v_data
    for _ in range(k):
        h, v = gibbs_step(v, W, b_v, b_h, generator)
    n = v_data.shape[0]
    return (h_data.T @ v_data - h.T @ v) / n, (v_data - v).mean(0), (h_data - h).mean(0)


# ---- wrong answers: log_partition ---------------------------------------------------------------------------------
def _states(n, dtype=torch.float64):
    return torch.tensor(list(itertools.product([0, 1], repeat=n)), dtype=dtype)


def log_partition_float32(W, b_v, b_h):
    h = _states(W.shape[0], torch.float32)
    return torch.logsumexp(h @ b_h.float() + F.softplus(h @ W.float() + b_v.float()).sum(1), 0).item()


def log_partition_log_sum_exp(W, b_v, b_h):
    h, W, b_v, b_h = _states(W.shape[0]), W.double(), b_v.double(), b_h.double()
    return torch.log(torch.exp(h @ b_h + F.softplus(h @ W + b_v).sum(1)).sum()).item()


def log_partition_log1p_exp(W, b_v, b_h):
    h, W, b_v, b_h = _states(W.shape[0]), W.double(), b_v.double(), b_h.double()
    return torch.logsumexp(h @ b_h + torch.log1p(torch.exp(h @ W + b_v)).sum(1), 0).item()


def log_partition_no_hidden_bias(W, b_v, b_h):
    h, W, b_v = _states(W.shape[0]), W.double(), b_v.double()
    return torch.logsumexp(F.softplus(h @ W + b_v).sum(1), 0).item()


def log_partition_tensor(W, b_v, b_h):
    h, W, b_v, b_h = _states(W.shape[0]), W.double(), b_v.double(), b_h.double()
    return torch.logsumexp(h @ b_h + F.softplus(h @ W + b_v).sum(1), 0)


def log_partition_W_transposed(W, b_v, b_h):
    h, W, b_v, b_h = _states(W.shape[0]), W.double(), b_v.double(), b_h.double()
    return torch.logsumexp(h @ b_h + F.softplus(h @ W.T + b_v).sum(1), 0).item()


# ---- wrong answers: reparameterise --------------------------------------------------------------------------------
def reparameterise_half_variance(mean, logvar, generator=None):
    return mean + 0.5 * torch.exp(logvar) * torch.randn(mean.shape, generator=generator)


def reparameterise_normal(mean, logvar, generator=None):
    return torch.normal(mean, torch.exp(0.5 * logvar), generator=generator)


def reparameterise_one_eps_per_row(mean, logvar, generator=None):
    return mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape[0], 1, generator=generator)


def reparameterise_variance(mean, logvar, generator=None):
    return mean + torch.exp(logvar) * torch.randn(mean.shape, generator=generator)


def reparameterise_uniform(mean, logvar, generator=None):
    return mean + torch.exp(0.5 * logvar) * torch.rand(mean.shape, generator=generator)


def reparameterise_detached(mean, logvar, generator=None):
    return mean.detach() + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=generator)


def reparameterise_shared_eps(mean, logvar, generator=None):
    return mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape[1], generator=generator)


# ---- wrong answers: negative_elbo ---------------------------------------------------------------------------------
def _kl(mean, logvar):
    return 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum() / mean.shape[0]


def elbo_targets_not_rescaled(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, images, reduction="sum") / images.shape[0]
    kl = _kl(mean, logvar)
    return rec + kl, rec, kl


def elbo_bce_of_sigmoid(logits, images, mean, logvar):
    rec = F.binary_cross_entropy(torch.sigmoid(logits), (images + 1) / 2, reduction="sum") / images.shape[0]
    kl = _kl(mean, logvar)
    return rec + kl, rec, kl


def elbo_logvar_as_log_sigma(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, (images + 1) / 2, reduction="sum") / images.shape[0]
    kl = 0.5 * (mean.pow(2) + torch.exp(2 * logvar) - 1 - 2 * logvar).sum() / mean.shape[0]
    return rec + kl, rec, kl


def elbo_kl_plus_logvar(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, (images + 1) / 2, reduction="sum") / images.shape[0]
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 + logvar).sum() / mean.shape[0]
    return rec + kl, rec, kl


def elbo_mean_over_pixels(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, (images + 1) / 2)
    kl = _kl(mean, logvar)
    return rec + kl, rec, kl


def elbo_kl_no_minus_one(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, (images + 1) / 2, reduction="sum") / images.shape[0]
    kl = 0.5 * (mean.pow(2) + logvar.exp() - logvar).sum() / mean.shape[0]
    return rec + kl, rec, kl


def elbo_kl_logvar_for_variance(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, (images + 1) / 2, reduction="sum") / images.shape[0]
    kl = 0.5 * (mean.pow(2) + logvar - 1 - logvar).sum() / mean.shape[0]
    return rec + kl, rec, kl


def elbo_kl_summed_over_batch(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(logits, (images + 1) / 2, reduction="sum") / images.shape[0]
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum()
    return rec + kl, rec, kl


def elbo_sigmoid_twice(logits, images, mean, logvar):
    rec = F.binary_cross_entropy_with_logits(torch.sigmoid(logits), (images + 1) / 2, reduction="sum") / images.shape[0]
    kl = _kl(mean, logvar)
    return rec + kl, rec, kl


# ---- wrong answers: parzen_log_likelihood -------------------------------------------------------------------------
def _normaliser(n, d, sigma):
    return math.log(n) + d / 2 * math.log(2 * math.pi * sigma ** 2)


def _squared(samples, test):
    return torch.cdist(test.double(), samples.double()).pow(2)


def parzen_sum_over_test(samples, test, sigma):
    n, d = samples.shape
    log_p = torch.logsumexp(-_squared(samples, test) / (2 * sigma ** 2), 1) - _normaliser(n, d, sigma)
    return log_p.sum().item()


def parzen_no_half(samples, test, sigma):
    n, d = samples.shape
    log_p = torch.logsumexp(-_squared(samples, test) / sigma ** 2, 1) - _normaliser(n, d, sigma)
    return log_p.mean().item()


def parzen_distance_not_squared(samples, test, sigma):
    n, d = samples.shape
    distance = torch.cdist(test.double(), samples.double())
    log_p = torch.logsumexp(-distance / (2 * sigma ** 2), 1) - _normaliser(n, d, sigma)
    return log_p.mean().item()


def parzen_log_of_mean_density(samples, test, sigma):
    n, d = samples.shape
    m = test.shape[0]
    values = -_squared(samples, test) / (2 * sigma ** 2)
    return (torch.logsumexp(values.flatten(), 0) - math.log(n * m) - d / 2 * math.log(2 * math.pi * sigma ** 2)).item()


def parzen_sigma_not_squared(samples, test, sigma):
    n, d = samples.shape
    log_p = torch.logsumexp(-_squared(samples, test) / (2 * sigma ** 2), 1) - _normaliser(n, d, math.sqrt(sigma))
    return log_p.mean().item()


def parzen_no_log_n(samples, test, sigma):
    d = samples.shape[1]
    log_p = torch.logsumexp(-_squared(samples, test) / (2 * sigma ** 2), 1) - d / 2 * math.log(2 * math.pi * sigma ** 2)
    return log_p.mean().item()


def parzen_log_sum_exp(samples, test, sigma):
    n, d = samples.shape
    density = torch.exp(-_squared(samples, test) / (2 * sigma ** 2)).sum(1)
    return (torch.log(density) - _normaliser(n, d, sigma)).mean().item()

"""Model answers for notebook 01's exercises, written independently of gancourse (as a student would),
plus typical wrong answers, used to test the autograder checks."""
import torch
import torch.nn.functional as F
from torch import nn


def sample_noise(batch_size, latent_dim):
    if not isinstance(batch_size, int) or not isinstance(latent_dim, int) or batch_size <= 0 or latent_dim <= 0:
        raise ValueError("batch_size and latent_dim must be positive integers")
    return torch.randn(batch_size, latent_dim)


class Generator(nn.Module):
    def __init__(self, latent_dim=64, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, 2 * hidden_dim), nn.BatchNorm1d(2 * hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(2 * hidden_dim, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class Discriminator(nn.Module):
    def __init__(self, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 2 * hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(2 * hidden_dim, hidden_dim), nn.LeakyReLU(0.2), nn.Linear(hidden_dim, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits, non_saturating=True):
    if non_saturating:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def d_step(D, G, real, noise, opt_D):
    opt_D.zero_grad()
    fake = G(noise).detach()
    loss = discriminator_loss(D(real), D(fake))
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step(D, G, noise, opt_G, non_saturating=True):
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise)), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss.item()


# ---- wrong answers -------------------------------------------------------------------------------------------
def noise_uniform(batch_size, latent_dim):
    if batch_size <= 0 or latent_dim <= 0:
        raise ValueError
    return torch.rand(batch_size, latent_dim) * 3.4641 - 1.7320


def naive_discriminator_loss(real_logits, fake_logits):
    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())


def summed_discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()


def swapped_generator_loss(fake_logits, non_saturating=True):
    return generator_loss(fake_logits, not non_saturating)


def d_step_no_detach(D, G, real, noise, opt_D):
    opt_D.zero_grad()
    loss = discriminator_loss(D(real), D(G(noise)))
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_no_zero_grad(D, G, real, noise, opt_D):
    loss = discriminator_loss(D(real), D(G(noise).detach()))
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step_returns_tensor(D, G, noise, opt_G, non_saturating=True):
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise)), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss


class ProbDiscriminator(Discriminator):
    def forward(self, x):
        return torch.sigmoid(super().forward(x))


class SigmoidGenerator(Generator):
    def forward(self, z):
        return torch.sigmoid(super().forward(z)) * 2 - 1


# ---- more wrong answers, each passing the notebook's visible test ---------------------------------------------
def noise_checks_batch_size_only(batch_size, latent_dim):
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    return torch.randn(batch_size, latent_dim)


def noise_fixed_generator(batch_size, latent_dim):
    if batch_size <= 0 or latent_dim <= 0:
        raise ValueError("sizes must be positive")
    return torch.randn(batch_size, latent_dim, generator=torch.Generator().manual_seed(0))


def noise_numpy(batch_size, latent_dim):
    import numpy as np
    if batch_size <= 0 or latent_dim <= 0:
        raise ValueError("sizes must be positive")
    return torch.from_numpy(np.random.randn(batch_size, latent_dim)).float()


class GeneratorDefaultSlope(nn.Module):
    def __init__(self, latent_dim=64, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.LeakyReLU(),
            nn.Linear(hidden_dim, 2 * hidden_dim), nn.BatchNorm1d(2 * hidden_dim), nn.LeakyReLU(),
            nn.Linear(2 * hidden_dim, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class GeneratorBatchNormAfterActivation(nn.Module):
    def __init__(self, latent_dim=64, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.LeakyReLU(0.2), nn.BatchNorm1d(hidden_dim),
            nn.Linear(hidden_dim, 2 * hidden_dim), nn.LeakyReLU(0.2), nn.BatchNorm1d(2 * hidden_dim),
            nn.Linear(2 * hidden_dim, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class GeneratorFixedLatent(nn.Module):
    def __init__(self, latent_dim=64, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(64, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, 2 * hidden_dim), nn.BatchNorm1d(2 * hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(2 * hidden_dim, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


class DiscriminatorReLU(nn.Module):
    def __init__(self, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 2 * hidden_dim), nn.ReLU(),
            nn.Linear(2 * hidden_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


class DiscriminatorSqueezeAll(Discriminator):
    def forward(self, x):
        return self.net(x).squeeze()


class DiscriminatorFixedHidden(nn.Module):
    def __init__(self, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def probability_discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy(torch.sigmoid(real_logits), torch.ones_like(real_logits))
            + F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.zeros_like(fake_logits)))


def detached_fake_discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits.detach(), torch.zeros_like(fake_logits)))


def pooled_discriminator_loss(real_logits, fake_logits):
    logits = torch.cat([real_logits, fake_logits])
    labels = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])
    return 2 * F.binary_cross_entropy_with_logits(logits, labels)


def mean_logit_discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits.mean()) + F.softplus(fake_logits.mean())


def log_d_saturating_generator_loss(fake_logits, non_saturating=True):
    ns = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    return ns if non_saturating else -ns


def probability_generator_loss(fake_logits, non_saturating=True):
    p = torch.sigmoid(fake_logits)
    if non_saturating:
        return F.binary_cross_entropy(p, torch.ones_like(p))
    return -F.binary_cross_entropy(p, torch.zeros_like(p))


def mean_logit_generator_loss(fake_logits, non_saturating=True):
    m = fake_logits.mean()
    return F.softplus(-m) if non_saturating else -F.softplus(m)


def d_step_detached_logits(D, G, real, noise, opt_D):
    opt_D.zero_grad()
    loss = discriminator_loss(D(real), D(G(noise)).detach())
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_swapped(D, G, real, noise, opt_D):
    opt_D.zero_grad()
    loss = discriminator_loss(D(G(noise).detach()), D(real))
    loss.backward()
    opt_D.step()
    return loss.item()


def d_step_eval_generator(D, G, real, noise, opt_D):
    opt_D.zero_grad()
    G.eval()
    with torch.no_grad():
        fake = G(noise)
    loss = discriminator_loss(D(real), D(fake))
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step_no_zero_grad(D, G, noise, opt_G, non_saturating=True):
    loss = generator_loss(D(G(noise)), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss.item()


def g_step_ignores_flag(D, G, noise, opt_G, non_saturating=True):
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise)))
    loss.backward()
    opt_G.step()
    return loss.item()


def g_step_default_saturating(D, G, noise, opt_G, non_saturating=False):
    opt_G.zero_grad()
    loss = generator_loss(D(G(noise)), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss.item()


def g_step_zero_grad_on_D(D, G, noise, opt_G, non_saturating=True):
    D.zero_grad()
    loss = generator_loss(D(G(noise)), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss.item()


class GeneratorSigmoidRescaled(nn.Module):
    def __init__(self, latent_dim=64, hidden_dim=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, 2 * hidden_dim), nn.BatchNorm1d(2 * hidden_dim), nn.LeakyReLU(0.2),
            nn.Linear(2 * hidden_dim, 784), nn.Sigmoid())

    def forward(self, z):
        return (self.net(z) * 2 - 1).view(-1, 1, 28, 28)


def clamped_generator_loss(fake_logits, non_saturating=True):
    if non_saturating:
        return F.softplus(-fake_logits).mean()
    return torch.log((1 - torch.sigmoid(fake_logits)).clamp(min=1e-8)).mean()

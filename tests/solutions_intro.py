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

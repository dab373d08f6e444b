"""The small VAE (gancourse.models.vae) and its objective and family (gancourse.training.vae)."""
import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from gancourse.models import VAE, reparameterise
from gancourse.training import History, VAEFamily, kl_to_standard_normal, reconstruction_loss, train_vae, vae_loss


def _images(n=4, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_shapes():
    vae = VAE(latent_dim=5, hidden_dim=16)
    x = _images(3)
    mean, logvar = vae.encode(x)
    assert mean.shape == logvar.shape == (3, 5)
    logits, mean2, logvar2 = vae(x, torch.Generator().manual_seed(0))
    assert logits.shape == (3, 1, 28, 28) and torch.equal(mean, mean2) and torch.equal(logvar, logvar2)
    images = vae.decode(torch.randn(7, 5))
    assert images.shape == (7, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert vae.generate(6, seed=1).shape == (6, 1, 28, 28)
    assert torch.equal(vae.generate(6, seed=1), vae.generate(6, seed=1)), "the same seed must give the same images"
    assert vae.training, "generate must put the model back in training mode"


def test_reparameterise_is_a_sample_of_the_gaussian_and_differentiable():
    mean = torch.full((20000, 2), 1.5, requires_grad=True)
    logvar = torch.full((20000, 2), math.log(0.25), requires_grad=True)
    z = reparameterise(mean, logvar, torch.Generator().manual_seed(0))
    assert abs(z.mean().item() - 1.5) < 0.02 and abs(z.std().item() - 0.5) < 0.02
    z.sum().backward()
    assert mean.grad is not None and logvar.grad is not None
    same = reparameterise(mean, logvar, torch.Generator().manual_seed(0))
    assert torch.equal(z, same), "the same generator state must give the same sample"


def test_kl_matches_torch_distributions():
    gen = torch.Generator().manual_seed(3)
    mean, logvar = torch.randn(6, 4, generator=gen), torch.randn(6, 4, generator=gen)
    q = Normal(mean, torch.exp(0.5 * logvar))
    expected = kl_divergence(q, Normal(torch.zeros(4), torch.ones(4))).sum(1).mean()
    assert torch.allclose(kl_to_standard_normal(mean, logvar), expected, atol=1e-5)
    assert kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 3)).item() == 0.0, "KL(N(0, I) || N(0, I)) = 0"


def test_reconstruction_is_the_bernoulli_negative_log_likelihood():
    gen = torch.Generator().manual_seed(4)
    logits = torch.randn(3, 1, 28, 28, generator=gen)
    binary = (torch.rand(3, 1, 28, 28, generator=gen) > 0.5).float()
    expected = -Bernoulli(logits=logits).log_prob(binary).sum() / 3
    assert torch.allclose(reconstruction_loss(logits, binary * 2 - 1), expected, rtol=1e-5)
    assert torch.isfinite(reconstruction_loss(torch.full((1, 1, 28, 28), 200.0), -torch.ones(1, 1, 28, 28)))


def test_vae_loss_is_the_sum_of_its_terms():
    torch.manual_seed(0)
    loss, reconstruction, kl = vae_loss(VAE(latent_dim=3, hidden_dim=8), _images(), torch.Generator().manual_seed(0))
    assert loss.ndim == 0 and torch.allclose(loss, reconstruction + kl) and kl.item() >= 0


def test_negative_elbo_decreases_in_a_few_steps():
    torch.manual_seed(0)
    batch = _images(16).sign()                       # black-and-white images: an easy target
    history = train_vae(VAE(latent_dim=4, hidden_dim=32), [batch], steps=30, device="cpu", progress=False,
                        sample_every=10, seed=0)
    assert isinstance(history, History) and len(history.loss) == 30
    first, last = sum(history.loss[:5]) / 5, sum(history.loss[-5:]) / 5
    assert last < first - 10, f"the negative ELBO did not fall: {first:.1f} → {last:.1f}"
    assert history.sample_steps == [0, 10, 20, 30] and history.samples[0].shape == (64, 1, 28, 28)


def test_family_draws_fixed_codes_from_its_seed():
    def run():
        torch.manual_seed(0)
        return train_vae(VAE(latent_dim=4, hidden_dim=8), [_images(4)], steps=2, device="cpu", progress=False,
                         n_samples=5, seed=7)
    a, b = run(), run()
    assert torch.equal(a.samples[-1], b.samples[-1]) and a.loss == b.loss


def test_bad_input_is_named():
    vae = VAE(latent_dim=3, hidden_dim=8)
    with pytest.raises(ValueError, match="x must have shape"):
        vae.encode(torch.zeros(2, 1, 14, 14))
    with pytest.raises(ValueError, match="z must have shape"):
        vae.decode(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="logvar must have"):
        kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="logits must have"):
        reconstruction_loss(torch.zeros(2, 1, 28, 28), torch.zeros(3, 1, 28, 28))
    with pytest.raises(TypeError, match="model must be"):
        vae_loss(torch.nn.Linear(2, 2), _images())
    with pytest.raises(TypeError, match="model must be"):
        VAEFamily("vae")
    with pytest.raises(ValueError, match="latent_dim"):
        VAE(latent_dim=0)

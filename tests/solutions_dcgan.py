"""Model answers for notebook 03's exercises, written independently of gancourse (as a student would, in the
style of pytorch/examples' dcgan), plus typical wrong answers, used to test the autograder checks."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def up_block(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(True),
    )


def down_block(in_channels, out_channels, batch_norm=True):
    layers = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


def dcgan_init(m):
    """pytorch/examples' weights_init, by class name."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
        if m.bias is not None:
            m.bias.data.fill_(0)
    elif classname.find("BatchNorm") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


class Generator(nn.Module):
    def __init__(self, latent_dim=64, ngf=32):
        super().__init__()
        self.latent_dim = latent_dim
        self.main = nn.Sequential(
            up_block(latent_dim, ngf * 4, 7, 1, 0),
            up_block(ngf * 4, ngf * 2),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1),
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z):
        return self.main(z.view(z.size(0), -1, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, ndf=32):
        super().__init__()
        self.main = nn.Sequential(
            down_block(1, ndf, batch_norm=False),
            down_block(ndf, ndf * 2),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0),
        )
        self.apply(dcgan_init)

    def forward(self, x):
        return self.main(x).view(-1)


def discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits, non_saturating=True):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def train_step(G, D, real, noise, opt_G, opt_D):
    fake = G(noise)
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    D.zero_grad()
    real_logits = D(real)
    fake_logits = D(fake.detach())
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_D.backward()
    opt_D.step()
    # (2) Update G network: maximize log(D(G(z)))
    G.zero_grad()
    loss_G = generator_loss(D(fake))
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


# ---- wrong answers -------------------------------------------------------------------------------------------
def up_block_with_bias(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


def up_block_upsample(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    return nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


def up_block_fixed_kernel(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


def down_block_pooling(in_channels, out_channels, batch_norm=True):
    layers = [nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=not batch_norm), nn.MaxPool2d(2)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


def down_block_relu_slope(in_channels, out_channels, batch_norm=True):
    layers = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers, nn.LeakyReLU(0.01))


def down_block_always_bn(in_channels, out_channels, batch_norm=True):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.2))


def init_conv2d_only(m):
    if isinstance(m, nn.Conv2d):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def init_bn_like_conv(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def init_uniform(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.uniform_(m.weight, -0.0346, 0.0346)       # the same std, but not normal
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class GeneratorNoInit(Generator):
    def __init__(self, latent_dim=64, ngf=32):
        nn.Module.__init__(self)
        self.latent_dim = latent_dim
        self.main = nn.Sequential(up_block(latent_dim, ngf * 4, 7, 1, 0), up_block(ngf * 4, ngf * 2),
                                  nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1), nn.Tanh())


class GeneratorSigmoid(nn.Module):
    def __init__(self, latent_dim=64, ngf=32):
        super().__init__()
        self.main = nn.Sequential(up_block(latent_dim, ngf * 4, 7, 1, 0), up_block(ngf * 4, ngf * 2),
                                  nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1), nn.Sigmoid())
        self.apply(dcgan_init)

    def forward(self, z):
        return self.main(z[:, :, None, None])


class GeneratorWrongOrder(nn.Module):
    """The 7×7 block last: the parameter shapes do not match."""

    def __init__(self, latent_dim=64, ngf=32):
        super().__init__()
        self.main = nn.Sequential(up_block(latent_dim, ngf * 2, 4, 1, 0), up_block(ngf * 2, ngf * 4, 4, 1, 0),
                                  nn.ConvTranspose2d(ngf * 4, 1, 4, 4, 2), nn.Tanh())
        self.apply(dcgan_init)

    def forward(self, z):
        return self.main(z[:, :, None, None])


class DiscriminatorAllBatchNorm(nn.Module):
    def __init__(self, ndf=32):
        super().__init__()
        self.main = nn.Sequential(down_block(1, ndf, batch_norm=True), down_block(ndf, ndf * 2),
                                  nn.Conv2d(ndf * 2, 1, 7, 1, 0))
        self.apply(dcgan_init)

    def forward(self, x):
        return self.main(x).view(-1)


class DiscriminatorSigmoid(Discriminator):
    def forward(self, x):
        return torch.sigmoid(self.main(x).view(-1))


def train_step_no_detach(G, D, real, noise, opt_G, opt_D):
    fake = G(noise)
    opt_D.zero_grad()
    loss_D = discriminator_loss(D(real), D(fake))
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    loss_G = generator_loss(D(fake))
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(), "D_real": 0.5, "D_fake": 0.5}


def train_step_stale_d(G, D, real, noise, opt_G, opt_D):
    """Both losses computed first, then both updates: G's loss saw the old D."""
    fake = G(noise)
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_G = generator_loss(D(fake))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


def train_step_no_zero_grad_G(G, D, real, noise, opt_G, opt_D):
    fake = G(noise)
    opt_D.zero_grad()
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_D.backward()
    opt_D.step()
    loss_G = generator_loss(D(fake))
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


def train_step_logits(G, D, real, noise, opt_G, opt_D):
    """Reports mean logits instead of probabilities."""
    out = train_step(G, D, real, noise, opt_G, opt_D)
    with torch.no_grad():
        out["D_real"] = 0.0
    return out


def train_step_tensors(G, D, real, noise, opt_G, opt_D):
    out = train_step(G, D, real, noise, opt_G, opt_D)
    return {k: torch.tensor(v) for k, v in out.items()}


# ---- wrong answers that pass the notebook's visible tests --------------------------------------------------------
def up_block_bn_eps(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    """eriklindernoren/PyTorch-GAN's nn.BatchNorm2d(out, 0.8): meant as the momentum, it sets eps."""
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
                         nn.BatchNorm2d(out_channels, 0.8), nn.ReLU())


def up_block_keras_momentum(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    """Keras' momentum=0.9 (the weight of the old statistics) is PyTorch's 0.1."""
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
                         nn.BatchNorm2d(out_channels, momentum=0.9), nn.ReLU())


def up_block_instance_norm(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    """The same number of parameters, but instance normalisation."""
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
                         nn.InstanceNorm2d(out_channels, affine=True), nn.ReLU())


def up_block_dropout(in_channels, out_channels, kernel_size=4, stride=2, padding=1):
    """pix2pix's dropout in the generator's blocks."""
    return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(), nn.Dropout(0.5))


def down_block_bn_eps(in_channels, out_channels, batch_norm=True):
    """PyTorch-GAN's discriminator_block: nn.BatchNorm2d(out_filters, 0.8)."""
    layers = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels, 0.8))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


def down_block_activation_first(in_channels, out_channels, batch_norm=True):
    layers = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=not batch_norm), nn.LeakyReLU(0.2)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers)


def down_block_dropout(in_channels, out_channels, batch_norm=True):
    """PyTorch-GAN's discriminator_block: LeakyReLU then nn.Dropout2d(0.25)."""
    layers = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2), nn.Dropout2d(0.25))


def init_bn_ones(m):
    """γ = 1 exactly, as nn.BatchNorm2d starts: not the paper's N(1, 0.02)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def init_numpy(m):
    """The right distributions, drawn with numpy: torch.manual_seed does not repeat them."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        m.weight.data = torch.from_numpy(np.random.normal(0.0, 0.02, tuple(m.weight.shape))).float()
        if m.bias is not None:
            m.bias.data.zero_()
    elif isinstance(m, nn.BatchNorm2d):
        m.weight.data = torch.from_numpy(np.random.normal(1.0, 0.02, tuple(m.weight.shape))).float()
        m.bias.data.zero_()


class GeneratorNoTanh(nn.Module):
    """Forgets the Tanh: with N(0, 0.02) weights the raw outputs happen to stay in [-1, 1]."""

    def __init__(self, latent_dim=64, ngf=32):
        super().__init__()
        self.main = nn.Sequential(up_block(latent_dim, ngf * 4, 7, 1, 0), up_block(ngf * 4, ngf * 2),
                                  nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1))
        self.apply(dcgan_init)

    def forward(self, z):
        return self.main(z[:, :, None, None])


class GeneratorInitFirst(nn.Module):
    """self.apply(dcgan_init) before the layers exist: it initialises nothing."""

    def __init__(self, latent_dim=64, ngf=32):
        super().__init__()
        self.apply(dcgan_init)
        self.main = nn.Sequential(up_block(latent_dim, ngf * 4, 7, 1, 0), up_block(ngf * 4, ngf * 2),
                                  nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(z[:, :, None, None])


class GeneratorFixedLatent(Generator):
    """Reshapes z to the notebook table's (B, 64, 1, 1): right only for latent_dim=64."""

    def forward(self, z):
        return self.main(z.view(-1, 64, 1, 1))


class DiscriminatorSqueeze(Discriminator):
    """.squeeze() drops the batch dimension too when B = 1."""

    def forward(self, x):
        return self.main(x).squeeze()


class DiscriminatorNoInit(nn.Module):
    def __init__(self, ndf=32):
        super().__init__()
        self.main = nn.Sequential(down_block(1, ndf, batch_norm=False), down_block(ndf, ndf * 2),
                                  nn.Conv2d(ndf * 2, 1, 7, 1, 0))

    def forward(self, x):
        return self.main(x).view(-1)


class DiscriminatorDropout(nn.Module):
    """TensorFlow's DCGAN tutorial: Dropout(0.3) in the discriminator."""

    def __init__(self, ndf=32):
        super().__init__()
        self.main = nn.Sequential(down_block(1, ndf, batch_norm=False), down_block(ndf, ndf * 2), nn.Dropout(0.3),
                                  nn.Conv2d(ndf * 2, 1, 7, 1, 0))
        self.apply(dcgan_init)

    def forward(self, x):
        return self.main(x).view(-1)


def train_step_no_zero_grad_D(G, D, real, noise, opt_G, opt_D):
    fake = G(noise)
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    loss_G = generator_loss(D(fake))
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


def train_step_probs_after_update(G, D, real, noise, opt_G, opt_D):
    """D(x) and D(G(z)) measured with the updated D (pytorch/examples' D_G_z2)."""
    fake = G(noise)
    opt_D.zero_grad()
    loss_D = discriminator_loss(D(real), D(fake.detach()))
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    fake_logits = D(fake)
    loss_G = generator_loss(fake_logits)
    loss_G.backward()
    opt_G.step()
    with torch.no_grad():
        D_real = torch.sigmoid(D(real)).mean().item()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(), "D_real": D_real,
            "D_fake": torch.sigmoid(fake_logits).mean().item()}


def train_step_swapped_d_loss(G, D, real, noise, opt_G, opt_D):
    fake = G(noise)
    opt_D.zero_grad()
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_D = discriminator_loss(fake_logits, real_logits)
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    loss_G = generator_loss(D(fake))
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


def train_step_fresh_noise_for_G(G, D, real, noise, opt_G, opt_D):
    """Notebook 01's habit: G's update on a second generated batch."""
    fake = G(noise)
    opt_D.zero_grad()
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_D.backward()
    opt_D.step()
    opt_G.zero_grad()
    loss_G = generator_loss(D(G(torch.randn_like(noise))))
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


def train_step_G_first(G, D, real, noise, opt_G, opt_D):
    """G's update first, through the D of before its update."""
    fake = G(noise)
    opt_G.zero_grad()
    loss_G = generator_loss(D(fake))
    loss_G.backward()
    opt_G.step()
    opt_D.zero_grad()
    real_logits, fake_logits = D(real), D(fake.detach())
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_D.backward()
    opt_D.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


class DiscriminatorFinalActivation(nn.Module):
    """A LeakyReLU after the last convolution too: the "logits" can hardly be negative."""

    def __init__(self, ndf=32):
        super().__init__()
        self.main = nn.Sequential(down_block(1, ndf, batch_norm=False), down_block(ndf, ndf * 2),
                                  nn.Conv2d(ndf * 2, 1, 7, 1, 0), nn.LeakyReLU(0.2))
        self.apply(dcgan_init)

    def forward(self, x):
        return self.main(x).view(-1)


def train_step_retain_graph(G, D, real, noise, opt_G, opt_D):
    """No detach: "backward through the graph a second time" silenced with retain_graph=True, and both optimisers
    cleared at the start, so that D's loss leaves its gradient in G."""
    fake = G(noise)
    opt_D.zero_grad()
    opt_G.zero_grad()
    real_logits, fake_logits = D(real), D(fake)
    loss_D = discriminator_loss(real_logits, fake_logits)
    loss_D.backward(retain_graph=True)
    opt_D.step()
    loss_G = generator_loss(D(fake))
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(), "D_fake": torch.sigmoid(fake_logits).mean().item()}


class GeneratorNoGrad(Generator):
    """Generating "needs no gradients": but G's own update does."""

    @torch.no_grad()
    def forward(self, z):
        return self.main(z[:, :, None, None])

"""Model answers for notebook 03's exercises, written independently of gancourse (as a student would, in the
style of pytorch/examples' dcgan), plus typical wrong answers, used to test the autograder checks."""
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

"""Model answers for notebook 05's exercises, written independently of gancourse (as a student would:
torch.nn.functional losses, the authors' style of ImagePool with the draws the docstring asks for), plus typical
wrong answers, used to test the autograder checks. Later exercises call the earlier answers by name, as in the
notebook."""
import torch
import torch.nn.functional as tF
from torch import nn


# ---- right answers ---------------------------------------------------------------------------------------------
def lsgan_d_loss(real_out, fake_out):
    return 0.5 * (tF.mse_loss(real_out, torch.ones_like(real_out)) + tF.mse_loss(fake_out, torch.zeros_like(fake_out)))


def lsgan_g_loss(fake_out):
    return tF.mse_loss(fake_out, torch.ones_like(fake_out))


def cycle_loss(x, rec_x, y, rec_y):
    return tF.l1_loss(rec_x, x) + tF.l1_loss(rec_y, y)


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect")
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect")
        self.norm = nn.InstanceNorm2d(channels)

    def forward(self, x):
        h = torch.relu(self.norm(self.conv1(x)))
        return x + self.norm(self.conv2(h))


class ImagePool:
    def __init__(self, size=50, generator=None):
        self.size, self.generator, self.images = size, generator, []

    def query(self, images):
        if self.size == 0:
            return images
        returned = []
        for image in images:
            image = image.detach().clone()
            if len(self.images) < self.size:
                self.images.append(image)
                returned.append(image)
                continue
            p = torch.rand((), generator=self.generator)
            if p < 0.5:
                k = torch.randint(0, self.size, (), generator=self.generator).item()
                returned.append(self.images[k].clone())
                self.images[k] = image
            else:
                returned.append(image)
        return torch.stack(returned, dim=0)


def generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    fake_y = G(x)
    fake_x = F(y)
    gan_G = lsgan_g_loss(D_Y(fake_y))
    gan_F = lsgan_g_loss(D_X(fake_x))
    cycle = cycle_loss(x, F(fake_y), y, G(fake_x))
    identity = tF.l1_loss(G(y), y) + tF.l1_loss(F(x), x)
    total = gan_G + gan_F + lambda_cycle * cycle + lambda_cycle * lambda_identity * identity
    return total, {"gan_G": gan_G, "gan_F": gan_F, "cycle": cycle, "identity": identity}


def _set_requires_grad(nets, flag):
    saved = []
    for net in nets:
        for p in net.parameters():
            saved.append((p, p.requires_grad))
            p.requires_grad = flag
    return saved


def g_step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    saved = _set_requires_grad([D_X, D_Y], False)
    opt_G.zero_grad()
    loss, _ = generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle=lambda_cycle, lambda_identity=lambda_identity)
    loss.backward()
    opt_G.step()
    for p, flag in saved:
        p.requires_grad = flag
    return float(loss.detach())


# ---- wrong answers: the least-squares losses ---------------------------------------------------------------------
def d_loss_l1(real_out, fake_out):
    return 0.5 * ((real_out - 1).abs().mean() + fake_out.abs().mean())


def d_loss_square_of_mean(real_out, fake_out):
    return 0.5 * ((real_out.mean() - 1) ** 2 + fake_out.mean() ** 2)


def d_loss_one_sided(real_out, fake_out):
    return 0.5 * ((1 - real_out).clamp(min=0).pow(2).mean() + fake_out.clamp(min=0).pow(2).mean())


def d_loss_sigmoid(real_out, fake_out):
    return 0.5 * ((torch.sigmoid(real_out) - 1).pow(2).mean() + torch.sigmoid(fake_out).pow(2).mean())


def d_loss_bce(real_out, fake_out):
    return 0.5 * (tF.binary_cross_entropy_with_logits(real_out, torch.ones_like(real_out))
                  + tF.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out)))


def d_loss_no_half(real_out, fake_out):
    return (real_out - 1).pow(2).mean() + fake_out.pow(2).mean()


def d_loss_sum(real_out, fake_out):
    return 0.5 * ((real_out - 1).pow(2).sum() + fake_out.pow(2).sum())


def d_loss_swapped(real_out, fake_out):
    return 0.5 * (real_out.pow(2).mean() + (fake_out - 1).pow(2).mean())


def d_loss_per_image_sums(real_out, fake_out):
    return 0.5 * ((real_out - 1).pow(2).sum(dim=(1, 2, 3)).mean() + fake_out.pow(2).sum(dim=(1, 2, 3)).mean())


def g_loss_l1(fake_out):
    return (fake_out - 1).abs().mean()


def g_loss_square_of_mean(fake_out):
    return (fake_out.mean() - 1) ** 2


def g_loss_one_sided(fake_out):
    return (1 - fake_out).clamp(min=0).pow(2).mean()


def g_loss_rmse(fake_out):
    return torch.sqrt(tF.mse_loss(fake_out, torch.ones_like(fake_out)))


def g_loss_half(fake_out):
    return 0.5 * (fake_out - 1).pow(2).mean()


def g_loss_sigmoid(fake_out):
    return (torch.sigmoid(fake_out) - 1).pow(2).mean()


def g_loss_target_zero(fake_out):
    return fake_out.pow(2).mean()


def g_loss_sum(fake_out):
    return (fake_out - 1).pow(2).sum()


def cycle_one_direction(x, rec_x, y, rec_y):
    return tF.l1_loss(rec_x, x)


def cycle_abs_of_mean(x, rec_x, y, rec_y):
    return (rec_x - x).mean().abs() + (rec_y - y).mean().abs()


def cycle_rmse(x, rec_x, y, rec_y):
    return tF.mse_loss(rec_x, x).sqrt() + tF.mse_loss(rec_y, y).sqrt()


def cycle_worse_direction(x, rec_x, y, rec_y):
    return torch.maximum(tF.l1_loss(rec_x, x), tF.l1_loss(rec_y, y))


def cycle_mse(x, rec_x, y, rec_y):
    return tF.mse_loss(rec_x, x) + tF.mse_loss(rec_y, y)


def cycle_average(x, rec_x, y, rec_y):
    return 0.5 * (tF.l1_loss(rec_x, x) + tF.l1_loss(rec_y, y))


def cycle_sum(x, rec_x, y, rec_y):
    return (rec_x - x).abs().sum() + (rec_y - y).abs().sum()


def cycle_wrong_pair(x, rec_x, y, rec_y):
    return tF.l1_loss(rec_x, y) + tF.l1_loss(rec_y, x)


# ---- wrong answers: the residual block -----------------------------------------------------------------------------
def _block(channels, *, pad=True, norm=nn.InstanceNorm2d, end_relu=False, second_norm=True, dropout=False):
    conv = (lambda: nn.Conv2d(channels, channels, 3)) if pad else (lambda: nn.Conv2d(channels, channels, 3, padding=1))
    pad_layer = (lambda: [nn.ReflectionPad2d(1)]) if pad else (lambda: [])
    layers = [*pad_layer(), conv(), norm(channels), nn.ReLU(), *([nn.Dropout(0.5)] if dropout else []),
              *pad_layer(), conv(), *([norm(channels)] if second_norm else []), *([nn.ReLU()] if end_relu else [])]
    return nn.Sequential(*layers)


class BlockZeroPadding(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.block = _block(channels, pad=False)

    def forward(self, x):
        return x + self.block(x)


class BlockReluAfterSum(BlockZeroPadding):
    def __init__(self, channels):
        nn.Module.__init__(self)
        self.block = _block(channels)

    def forward(self, x):
        return torch.relu(x + self.block(x))


class BlockNoSkip(BlockReluAfterSum):
    def forward(self, x):
        return self.block(x)


class BlockReluInside(BlockZeroPadding):
    def __init__(self, channels):
        nn.Module.__init__(self)
        self.block = _block(channels, end_relu=True)


class BlockOneNorm(BlockZeroPadding):
    def __init__(self, channels):
        nn.Module.__init__(self)
        self.block = _block(channels, second_norm=False)


class BlockRunningStats(BlockZeroPadding):
    def __init__(self, channels):
        nn.Module.__init__(self)
        self.block = _block(channels, norm=lambda c: nn.InstanceNorm2d(c, track_running_stats=True))


class BlockDropout(BlockZeroPadding):
    def __init__(self, channels):
        nn.Module.__init__(self)
        self.block = _block(channels, dropout=True)


class BlockBatchNorm(BlockZeroPadding):
    def __init__(self, channels):
        nn.Module.__init__(self)
        self.block = _block(channels, norm=nn.BatchNorm2d)


class BlockAffineNorm(BlockZeroPadding):
    def __init__(self, channels):
        nn.Module.__init__(self)
        self.block = _block(channels, norm=lambda c: nn.InstanceNorm2d(c, affine=True))


# ---- wrong answers: the image pool ---------------------------------------------------------------------------------
class _Pool(ImagePool):
    """The right pool with one step changed by a subclass: ``_keep`` (store), ``_draw`` (u, i) and ``_swap``."""

    def _keep(self, image):
        return image.detach().clone()

    def _draw(self):
        u = torch.rand((), generator=self.generator).item()
        return u, (lambda: int(torch.randint(self.size, (), generator=self.generator)))

    def _swap(self, u):
        return u < 0.5

    def query(self, images):
        if self.size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(self._keep(image))
                out.append(image.detach())
                continue
            u, index = self._draw()
            if self._swap(u):
                i = index()
                out.append(self.images[i])
                self._replace(i, image)
            else:
                out.append(image.detach())
        return torch.stack(out)

    def _replace(self, i, image):
        self.images[i] = self._keep(image)


class PoolNoReplace(_Pool):
    def _replace(self, i, image):
        pass


class PoolIndexFirst(_Pool):
    def _draw(self):
        i = int(torch.randint(self.size, (), generator=self.generator))
        return torch.rand((), generator=self.generator).item(), (lambda: i)


class PoolSwapAbove(_Pool):
    def _swap(self, u):
        return u > 0.5


class PoolGlobalGenerator(_Pool):
    def _draw(self):
        return torch.rand(()).item(), (lambda: int(torch.randint(self.size, ())))


class PoolRandomModule(_Pool):
    """junyanz/pytorch-CycleGAN-and-pix2pix's draws: Python's random module, not the generator."""

    def _draw(self):
        import random
        return 1 - random.uniform(0, 1), (lambda: random.randint(0, self.size - 1))


class PoolRareSwaps(_Pool):
    def _swap(self, u):
        return u < 0.3


class PoolNoClone(_Pool):
    def _keep(self, image):
        return image.detach()


class PoolNoDetach(_Pool):
    def _keep(self, image):
        return image.clone()


class PoolNoSizeZero(_Pool):
    def query(self, images):
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image.detach().clone())
                out.append(image.detach())
            elif torch.rand((), generator=self.generator).item() < 0.5:
                i = int(torch.randint(self.size, (), generator=self.generator))
                out.append(self.images[i])
                self.images[i] = image.detach().clone()
            else:
                out.append(image.detach())
        return torch.stack(out)


class PoolReturnsList(_Pool):
    def query(self, images):
        return list(super().query(images))


# ---- wrong answers: the generator objective ------------------------------------------------------------------------
def _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, *, swap_d=False, identity_pairs=(True, True),
               detach=False, cycle_pair="round_trip", identity_weight=None):
    fake_y, fake_x = G(x), F(y)
    D_y, D_x = (D_X, D_Y) if swap_d else (D_Y, D_X)
    gan_G, gan_F = lsgan_g_loss(D_y(fake_y)), lsgan_g_loss(D_x(fake_x))
    src_y, src_x = (fake_y.detach(), fake_x.detach()) if detach else (fake_y, fake_x)
    if cycle_pair == "round_trip":
        cycle = cycle_loss(x, F(src_y), y, G(src_x))
    elif cycle_pair == "one_way":
        cycle = cycle_loss(x, fake_y, y, fake_x)
    else:
        cycle = cycle_loss(x, G(F(x)), y, F(G(y)))
    identity = (tF.l1_loss(G(y), y) + tF.l1_loss(F(x), x)) if identity_pairs[0] else \
        (tF.l1_loss(G(x), x) + tF.l1_loss(F(y), y))
    weight = lambda_identity * lambda_cycle if identity_weight is None else \
        identity_weight(lambda_cycle, lambda_identity)
    total = gan_G + gan_F + lambda_cycle * cycle + weight * identity
    return total, {"gan_G": gan_G, "gan_F": gan_F, "cycle": cycle, "identity": identity}


def objective_swapped_discriminators(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, swap_d=True)


def objective_identity_swapped(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, identity_pairs=(False, False))


def objective_detached_cycle(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, detach=True)


def objective_cycle_one_way(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, cycle_pair="one_way")


def objective_cycle_wrong_order(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, cycle_pair="wrong_order")


def objective_default_lambdas(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, 10.0, 0.5)


def objective_identity_weight(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, identity_weight=lambda c, i: i)


def objective_no_identity(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    return _objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, identity_weight=lambda c, i: 0.0)


# ---- wrong answers: the generator step -----------------------------------------------------------------------------
def _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, *, freeze=True, restore="saved",
          zero_grad=True, loss_of=None, result=float, step_D=False):
    saved = _set_requires_grad([D_X, D_Y], False) if freeze else []
    if zero_grad:
        opt_G.zero_grad()
    total, terms = generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity)
    (total if loss_of is None else terms[loss_of]).backward()
    opt_G.step()
    if step_D:
        torch.optim.SGD([*D_X.parameters(), *D_Y.parameters()], lr=0.01).step()
    for p, flag in saved:
        if restore == "saved":
            p.requires_grad = flag
        elif restore == "true":
            p.requires_grad = True
    return result(total.detach()) if result is float else total


def g_step_default_lambdas(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, 10.0, 0.5)


def g_step_restores_true(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, restore="true")


def g_step_no_zero_grad(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, zero_grad=False)


def g_step_clears_D_grads(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    """Not frozen: D's gradients are computed, then thrown away."""
    loss = _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, freeze=False)
    D_X.zero_grad(set_to_none=True)
    D_Y.zero_grad(set_to_none=True)
    return loss


def g_step_cycle_only(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, loss_of="cycle")


def g_step_adversarial_only(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, loss_of="gan_G")


def g_step_not_frozen(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, freeze=False)


def g_step_not_restored(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, restore="no")


def g_step_tensor(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, result=None)


def g_step_steps_D(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
    return _step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity, freeze=False, step_D=True)

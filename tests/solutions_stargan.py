"""Model answers for notebook 06's exercises, written independently of gancourse (as a student would: the
log-sigmoid form of the cross-entropy, the norm as a root of a sum of squares, the paper's ``repeat``), plus typical
wrong answers, used to test the autograder checks. Later exercises call the earlier answers by name, as in the
notebook."""
import torch
import torch.nn.functional as tF


# ---- right answers ---------------------------------------------------------------------------------------------
def generator_input(x, c):
    planes = c.view(c.size(0), c.size(1), 1, 1).repeat(1, 1, x.size(2), x.size(3))
    return torch.cat([x, planes.to(x.dtype)], dim=1)


def classification_loss(logits, target):
    per_entry = -(target * tF.logsigmoid(logits) + (1 - target) * tF.logsigmoid(-logits))
    return per_entry.sum(dim=1).mean()


def reconstruction_loss(G, x, c_org, c_trg):
    return tF.l1_loss(G(G(x, c_trg), c_org), x)


def gradient_penalty(D, real, fake, alpha):
    a = alpha.reshape(-1, *([1] * (real.dim() - 1)))
    mixed = (a * real + (1 - a) * fake).detach().requires_grad_()
    src = D(mixed)[0]
    grad = torch.autograd.grad(src, mixed, grad_outputs=torch.ones_like(src), create_graph=True)[0]
    return ((grad.pow(2).sum(dim=(1, 2, 3)).sqrt() - 1) ** 2).mean()


def d_objective(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    src_real, cls_real = D(x)
    src_fake, _ = D(fake)
    return (-src_real.mean() + src_fake.mean() + lambda_cls * classification_loss(cls_real, c_org)
            + lambda_gp * gradient_penalty(D, x, fake, alpha))


def g_objective(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    src, cls = D(G(x, c_trg))
    terms = {"adv": -src.mean(), "cls": classification_loss(cls, c_trg), "rec": reconstruction_loss(G, x, c_org, c_trg)}
    return terms["adv"] + lambda_cls * terms["cls"] + lambda_rec * terms["rec"], terms


# ---- wrong answers: generator_input ------------------------------------------------------------------------------
def gi_square(x, c):                       # planes H × H: right for 28 × 28 only
    return torch.cat([x, c[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[2])], 1)


def gi_28(x, c):                           # the image size hard-coded
    return torch.cat([x, c[:, :, None, None] * torch.ones(c.shape[0], c.shape[1], 28, 28)], 1)


def gi_width_height(x, c):                 # H and W swapped
    return torch.cat([x, c[:, :, None, None].expand(-1, -1, x.shape[3], x.shape[2])], 1)


def gi_planes_first(x, c):
    return torch.cat([c[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3]), x], 1)


def gi_mean(x, c):
    return torch.cat([x, c.mean(1)[:, None, None, None].expand(-1, c.shape[1], x.shape[2], x.shape[3])], 1)


def gi_first_row(x, c):                    # the first image's labels repeated over the batch
    return torch.cat([x, c[:1, :, None, None].expand(x.shape[0], -1, x.shape[2], x.shape[3])], 1)


def gi_wrong_dims(x, c):                   # c[:, None, :, None]: the labels along the rows
    return torch.cat([x, c[:, None, :, None].expand(-1, c.shape[1], -1, x.shape[3])], 1)


# ---- wrong answers: classification_loss -------------------------------------------------------------------------------
def cls_sigmoid_bce(logits, target):
    return tF.binary_cross_entropy(torch.sigmoid(logits), target, reduction="sum") / logits.shape[0]


def cls_clamped(logits, target):
    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)
    return -(target * p.log() + (1 - target) * (1 - p).log()).sum() / logits.shape[0]


def cls_times_three(logits, target):       # the mean over entries times 3 attributes
    return 3 * tF.binary_cross_entropy_with_logits(logits, target)


def cls_detached(logits, target):
    return tF.binary_cross_entropy_with_logits(logits.detach(), target, reduction="sum") / logits.shape[0]


def cls_mean(logits, target):
    return tF.binary_cross_entropy_with_logits(logits, target)


def cls_softmax(logits, target):
    return tF.cross_entropy(logits, target)


def cls_batch_sum(logits, target):
    return tF.binary_cross_entropy_with_logits(logits, target, reduction="sum")


def cls_swapped(logits, target):
    return tF.binary_cross_entropy_with_logits(target, torch.sigmoid(logits), reduction="sum") / logits.shape[0]


# ---- wrong answers: reconstruction_loss -----------------------------------------------------------------------------
def rec_wrong_order(G, x, c_org, c_trg):
    return (G(G(x, c_org), c_trg) - x).abs().mean()


def rec_target_back(G, x, c_org, c_trg):
    return (G(G(x, c_trg), c_trg) - x).abs().mean()


def rec_signed(G, x, c_org, c_trg):
    return (G(G(x, c_trg), c_org) - x).mean()


def rec_detached(G, x, c_org, c_trg):
    return (G(G(x, c_trg).detach(), c_org) - x).abs().mean()


def rec_once(G, x, c_org, c_trg):
    return (G(x, c_org) - x).abs().mean()


def rec_squared(G, x, c_org, c_trg):
    return (G(G(x, c_trg), c_org) - x).pow(2).mean()


def rec_sum(G, x, c_org, c_trg):
    return (G(G(x, c_trg), c_org) - x).abs().sum()


def rec_against_fake(G, x, c_org, c_trg):
    fake = G(x, c_trg)
    return (G(fake, c_org) - fake).abs().mean()


# ---- wrong answers: gradient_penalty --------------------------------------------------------------------------------
def _penalty(D, real, fake, alpha, mix=None, head=0, create_graph=True, batch_norm=False, distance=None):
    a = alpha.view(-1, 1, 1, 1)
    mixed = (mix(a, real, fake) if mix else a * real + (1 - a) * fake).detach().requires_grad_(True)
    grad, = torch.autograd.grad(D(mixed)[head].sum(), mixed, create_graph=create_graph)
    norm = grad.norm() if batch_norm else grad.flatten(1).norm(dim=1)
    return (distance or (lambda n: (n - 1).pow(2)))(norm).mean()


def gp_alpha0(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, mix=lambda a, r, f: alpha[0] * r + (1 - alpha[0]) * f)


def gp_swapped_mix(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, mix=lambda a, r, f: (1 - a) * r + a * f)


def gp_no_create_graph(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, create_graph=False)


def gp_one_sided(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, distance=lambda n: (n - 1).clamp(min=0).pow(2))


def gp_batch_norm(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, batch_norm=True)


def gp_no_minus_one(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, distance=lambda n: n.pow(2))


def gp_cls(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, head=1)


def gp_abs(D, real, fake, alpha):
    return _penalty(D, real, fake, alpha, distance=lambda n: (n - 1).abs())


# ---- wrong answers: d_objective -------------------------------------------------------------------------------------
def d_cls_on_fake(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    src_real, _ = D(x)
    src_fake, cls_fake = D(fake)
    return (src_fake.mean() - src_real.mean() + lambda_cls * classification_loss(cls_fake, c_org)
            + lambda_gp * gradient_penalty(D, x, fake, alpha))


def d_gp_swapped(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    src_real, cls_real = D(x)
    src_fake, _ = D(fake)
    return (src_fake.mean() - src_real.mean() + lambda_cls * classification_loss(cls_real, c_org)
            + lambda_gp * gradient_penalty(D, fake, x, alpha))


def d_own_alpha(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    src_real, cls_real = D(x)
    src_fake, _ = D(fake)
    return (src_fake.mean() - src_real.mean() + lambda_cls * classification_loss(cls_real, c_org)
            + lambda_gp * gradient_penalty(D, x, fake, torch.rand(x.shape[0])))


def d_signs(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    src_real, cls_real = D(x)
    src_fake, _ = D(fake)
    return (src_real.mean() - src_fake.mean() + lambda_cls * classification_loss(cls_real, c_org)
            + lambda_gp * gradient_penalty(D, x, fake, alpha))


def d_gp_weight_on_cls(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    src_real, cls_real = D(x)
    src_fake, _ = D(fake)
    return (src_fake.mean() - src_real.mean() + lambda_gp * classification_loss(cls_real, c_org)
            + lambda_gp * gradient_penalty(D, x, fake, alpha))


def d_per_image_sums(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    src_real, cls_real = D(x)
    src_fake, _ = D(fake)
    return (src_fake.mean((1, 2, 3)).sum() - src_real.mean((1, 2, 3)).sum()
            + lambda_cls * classification_loss(cls_real, c_org) + lambda_gp * gradient_penalty(D, x, fake, alpha))


# ---- wrong answers: g_objective -------------------------------------------------------------------------------------
def _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec, sign=-1, cls_to=None, rec_args=None, detach=False,
       weights=None):
    fake = G(x, c_trg)
    src, cls = D(fake.detach() if detach else fake)
    terms = {"adv": sign * src.mean(), "cls": classification_loss(cls, c_trg if cls_to is None else cls_to),
             "rec": reconstruction_loss(G, x, *(rec_args or (c_org, c_trg)))}
    w_cls, w_rec = weights or (lambda_cls, lambda_rec)
    return terms["adv"] + w_cls * terms["cls"] + w_rec * terms["rec"], terms


def g_cls_org(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    return _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec, cls_to=c_org)


def g_rec_swapped(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    return _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec, rec_args=(c_trg, c_org))


def g_detached(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    return _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec, detach=True)


def g_plus_src(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    return _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec, sign=1)


def g_weights_swapped(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    return _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec, weights=(lambda_rec, lambda_cls))


def g_floats(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    total, terms = _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec)
    return total, {k: v.item() for k, v in terms.items()}


def g_rec_weight_on_cls(G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0):
    return _g(G, D, x, c_org, c_trg, lambda_cls, lambda_rec, weights=(lambda_rec, lambda_rec))


def d_default_lambdas(D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0):
    return d_objective(D, x, c_org, fake, alpha)

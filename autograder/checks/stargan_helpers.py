"""How notebook 06's checks read the probes' reports (``autograder.probes.stargan``): the networks the checks send
(stand-ins and small real StarGAN networks, as plain specs), and the values that typical mistakes give on the
checks' inputs, each with the message naming it. The answers themselves run only in the probes."""
from __future__ import annotations

import torch
import torch.nn.functional as tF

from autograder.checks import manual_seed
from autograder.probes import stargan as probes
from gancourse import losses
from gancourse.models import stargan as models
from gancourse.training import stargan as training


def close(a, b, atol: float | None = None) -> bool:
    """Whether tensors (or numbers) ``a`` and ``b`` have one shape and the same values: to float64's precision where
    ``a`` is float64 (so that a mistake is named only when it gives the value exactly), else float32's."""
    if not isinstance(a, (torch.Tensor, float, int)) or not isinstance(b, (torch.Tensor, float, int)):
        return False
    exact = isinstance(a, torch.Tensor) and a.dtype == torch.float64
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    atol = atol if atol is not None else (1e-10 if exact else 1e-5)
    return a.shape == b.shape and torch.allclose(a, b, atol=atol, rtol=1e-8 if exact else 1e-4)


def named(got, mistakes: list[tuple[object, str]]) -> str | None:
    """The message of the first mistake whose value ``got`` matches."""
    return next((message for value, message in mistakes if close(got, value)), None)


def grad_tolerance(want: dict) -> float:
    """The absolute tolerance for comparing gradients: float32 rounding, relative to the largest of them (a bias
    that a normalisation follows has a gradient of 0 plus rounding noise)."""
    scale = max((g.abs().max().item() for g in want.values() if g.numel()), default=0.0)
    exact = all(g.dtype == torch.float64 for g in want.values())
    return max(1e-9, 1e-8 * scale) if exact else max(1e-6, 1e-4 * scale)


# ---- the networks ---------------------------------------------------------------------------------------------------
def shift_spec(gen: torch.Generator, n: int, dtype: str = "float64") -> dict:
    """A ``LabelShiftGenerator`` for n attributes: scale in [0.6, 0.8] (not 1, so that a round trip's order shows)."""
    u = torch.rand(n + 2, generator=gen)
    weights = (u[2:] * 0.6 + 0.2) * torch.tensor([(-1) ** i for i in range(n)])
    return {"kind": "shift", "args": [0.6 + 0.2 * u[0].item(), weights.tolist(), 0.1 + 0.1 * u[1].item()],
            "dtype": dtype}


def critic_spec(gen: torch.Generator, channels: int, n: int, dtype: str = "float64") -> dict:
    """A ``SmoothCritic`` for images of ``channels`` channels and n attributes."""
    u = torch.rand(channels + 2 + 3 * n, generator=gen)
    w = (u[:channels] * 2 + 1).tolist()
    v, rest = u[channels + 2:channels + 2 + n], u[channels + 2 + n:]
    return {"kind": "critic", "args": [w, 1.5 + u[channels].item(), u[channels + 1].item() - 0.5,
                                       (v * 4 - 2).tolist(), (rest[:n] * 2 - 1).tolist(), (rest[n:] - 0.5).tolist()],
            "dtype": dtype}


def balanced(spec: dict, real, fake, alpha) -> dict:
    """``spec`` (a ``SmoothCritic``) with its channel weights scaled so that the per-image gradient norms at
    x̂ = α·real + (1 − α)·fake lie on both sides of 1 (the norms are proportional to those weights)."""
    a = alpha.view(-1, 1, 1, 1)
    mixed = (a * real + (1 - a) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(probes.build(spec)(mixed)[0].sum(), mixed)
    norms = grad.flatten(1).norm(dim=1)
    factor = (norms.min() * norms.max()).sqrt().item()
    args = list(spec["args"])
    args[0] = [w / factor for w in args[0]]
    return {**spec, "args": args}


def real_spec(kind: str, seed: int, n: int = 3) -> dict:
    """A small StarGenerator(n, 1, width=2, n_blocks=1) or StarDiscriminator(n, 1, width=2, n_layers=2), its
    weights drawn after ``manual_seed(seed)``, torch's generator left as it was."""
    kwargs = ({"n_attributes": n, "channels": 1, "width": 2, "n_blocks": 1} if kind == "generator" else
              {"n_attributes": n, "channels": 1, "width": 2, "n_layers": 2})
    with torch.random.fork_rng(devices=[]):
        manual_seed(seed)
        net = (models.StarGenerator if kind == "generator" else models.StarDiscriminator)(**kwargs)
    return {"kind": kind, "kwargs": kwargs, "state": {k: v.detach().clone() for k, v in net.state_dict().items()}}


def labels(gen: torch.Generator, batch: int, n: int, dtype=torch.float32) -> torch.Tensor:
    """Random 0/1 label rows (B, n), each row differing from the next (so that targets differ from origins)."""
    c = (torch.rand(batch, n, generator=gen) < 0.5).to(dtype)
    c[:, 0] = torch.arange(batch) % 2
    return c


def grads_of(value: torch.Tensor, nets: dict) -> dict:
    """{"G.scale": gradient of ``value`` …} for every parameter of ``nets`` (zeros where none reaches it)."""
    params = [(f"{k}.{n}", p) for k, net in nets.items() for n, p in net.named_parameters()]
    got = torch.autograd.grad(value, [p for _, p in params], allow_unused=True, retain_graph=True)
    return {name: (g if g is not None else torch.zeros_like(p)).detach() for (name, p), g in zip(params, got)}


# ---- generator_input and classification_loss -------------------------------------------------------------------------
def input_mistakes(x, c) -> list[tuple[torch.Tensor, str]]:
    B, n, H, W = c.shape[0], c.shape[1], x.shape[2], x.shape[3]
    maps = models.label_maps(c, H, W).to(x)
    return [
        (torch.cat([maps, x], 1), "the image's channels come first, then the n label planes: torch.cat([x, planes], "
                                  "dim=1)"),
        (torch.cat([x, c.mean(1)[:, None, None, None].expand(B, n, H, W).to(x)], 1),
         "plane i holds the image's own label c[:, i], not the mean of its labels"),
        (torch.cat([x, models.label_maps(c[:1].expand(B, n), H, W).to(x)], 1),
         "each image gets its own labels: plane i of image b holds c[b, i] (do not repeat one row over the batch)"),
        (torch.cat([x, models.label_maps(c[torch.arange(B).flip(0)], H, W).to(x)], 1),
         "each image gets its own labels, in the batch's order: plane i of image b holds c[b, i]"),
    ]


STABLE = ("compute it from the logits in a numerically stable way (F.binary_cross_entropy_with_logits, or softplus): "
          "sigmoid then log saturates for large logits (a confident classifier)")


def classification_mistakes(logits, target) -> list[tuple[torch.Tensor, str]]:
    B, n = logits.shape
    bce = tF.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p = torch.sigmoid(logits)
    return [
        (bce.mean(), "sum the binary cross-entropies over the n attributes, then average over the B images: "
                     "reduction='sum' / B, not the mean over every entry (that divides by n as well)"),
        (bce.sum(), "average over the B images (divide the sum by logits.shape[0]); do not sum over the batch"),
        (bce.mean() * 3, "there are logits.shape[1] attributes, not always 3: sum over them, reduction='sum' / B"),
        (tF.cross_entropy(logits, target),
         "the attributes are independent yes/no questions: a binary cross-entropy per attribute (sigmoid), not a "
         "softmax cross-entropy across them"),
        (tF.binary_cross_entropy_with_logits(target, p, reduction="sum") / B,
         "the logits are the first argument and the 0/1 target the second: binary_cross_entropy_with_logits(logits, "
         "target)"),
        (tF.binary_cross_entropy(p, target, reduction="sum") / B, STABLE),
        (tF.binary_cross_entropy(p.clamp(1e-7, 1 - 1e-7), target, reduction="sum") / B, STABLE),
    ]


# ---- reconstruction_loss and gradient_penalty ------------------------------------------------------------------------
ROUND_TRIP = ("the round trip goes to the target first and comes back to the image's own labels: "
              "G(G(x, c_trg), c_org)")


def reconstruction_mistakes(G, x, c_org, c_trg) -> list[tuple[torch.Tensor, str]]:
    def l1(a):
        return (a - x).abs().mean()
    fake = G(x, c_trg)
    return [
        (l1(G(x, c_org)), "translate twice: to c_trg, then back to c_org, and compare G(G(x, c_trg), c_org) with x "
                          "(one translation is not a round trip)"),
        (l1(G(G(x, c_org), c_trg)), ROUND_TRIP + ", not G(G(x, c_org), c_trg)"),
        (l1(G(fake, c_trg)), ROUND_TRIP + ": the way back uses the original labels c_org, not c_trg"),
        (l1(G(G(x, c_org), c_org)), ROUND_TRIP + ": the way there uses the target labels c_trg"),
        ((G(fake, c_org) - fake).abs().mean(), "compare the reconstruction with the image x itself, not with the "
                                               "translation G(x, c_trg)"),
        ((G(fake, c_org) - x).pow(2).mean(), "StarGAN's reconstruction loss is the L1 error, mean |G(G(x, c_trg), "
                                             "c_org) − x|: use .abs(), not .pow(2)"),
        ((G(fake, c_org) - x).abs().sum(), "take the mean over pixels and images (.mean()), not the sum"),
        ((G(fake, c_org) - x).mean(), "take each pixel's absolute error, then the mean, .abs().mean(): errors of "
                                      "opposite sign must not cancel"),
        ((G(fake, c_org) - x).mean().abs(), "take each pixel's absolute error, then the mean, .abs().mean(): errors "
                                            "of opposite sign must not cancel"),
    ]


def penalty_mistakes(D, real, fake, alpha) -> list[tuple[torch.Tensor, str]]:
    def grad_at(mixed, head=0):
        mixed = mixed.detach().requires_grad_(True)
        g, = torch.autograd.grad(D(mixed)[head].sum(), mixed)
        return g

    a = alpha.to(real).view(-1, 1, 1, 1)
    g = grad_at(a * real + (1 - a) * fake)
    norms = g.flatten(1).norm(dim=1)
    norms0 = grad_at(alpha[0].to(real) * real + (1 - alpha[0].to(real)) * fake).flatten(1).norm(dim=1)
    norms_swapped = grad_at((1 - a) * real + a * fake).flatten(1).norm(dim=1)
    norms_cls = grad_at(a * real + (1 - a) * fake, head=1).flatten(1).norm(dim=1)
    return [
        ((g.norm() - 1).pow(2), "take the gradient's norm per image, grad.flatten(1).norm(dim=1), then the mean of "
                                "(norm − 1)² over the images: not one norm over the whole batch"),
        (norms.pow(2).mean(), "the penalty is (‖grad‖ − 1)²: it pulls the norm to 1, not to 0"),
        ((norms - 1).pow(2).sum(), "take the mean over the images, not the sum"),
        ((norms0 - 1).pow(2).mean(), "use one α per image, alpha.view(-1, 1, 1, 1): not alpha[0] for every image"),
        ((norms_swapped - 1).pow(2).mean(), "mix x̂ = α·real + (1 − α)·fake, not (1 − α)·real + α·fake"),
        ((norms_cls - 1).pow(2).mean(), "differentiate the real/fake scores, the *first* of D's two outputs (src), "
                                        "not the classification logits"),
        ((norms - 1).abs().mean(), "square the distance to 1, (norm − 1)², not its absolute value"),
        ((norms - 1).clamp(min=0).pow(2).mean(), "penalise norms below 1 too: (norm − 1)², not max(0, norm − 1)² "
                                                 "(the two-sided penalty of WGAN-GP)"),
    ]


# ---- the objectives ----------------------------------------------------------------------------------------------------
def d_expectations(D, x, c_org, fake, alpha, lambda_cls: float, lambda_gp: float) -> dict:
    """The reference total, its gradients w.r.t. D's parameters, and the totals of typical mistakes."""
    total, _ = training.discriminator_objective(D, x, c_org, fake, "wgan-gp", lambda_cls, lambda_gp, alpha=alpha)
    (src_r, cls_r), (src_f, cls_f) = D(x), D(fake)
    cls, cls_fake = losses.domain_classification_loss(cls_r, c_org), losses.domain_classification_loss(cls_f, c_org)
    gp = probes.reference_gradient_penalty(D, x, fake, alpha)
    gp_swapped = probes.reference_gradient_penalty(D, fake, x, alpha)
    adv = src_f.mean() - src_r.mean()
    mistakes = [
        (-adv + lambda_cls * cls + lambda_gp * gp, "the critic lowers its loss by scoring real images high: "
                                                   "mean src(fake) − mean src(x), not mean src(x) − mean src(fake)"),
        (adv + lambda_cls * cls_fake + lambda_gp * gp, "D learns to classify the *real* images' labels: "
                                                       "classification_loss(cls(x), c_org), not cls(fake)"),
        (adv + lambda_gp * cls + lambda_gp * gp, "weight the classification term by lambda_cls, not lambda_gp"),
        (adv + lambda_cls * cls + lambda_cls * gp, "weight the penalty by lambda_gp, not lambda_cls"),
        (adv + 1.0 * cls + 10.0 * gp, "use the weights passed as lambda_cls and lambda_gp, not the defaults 1 and 10"),
        (src_f.flatten(1).mean(1).sum() - src_r.flatten(1).mean(1).sum() + lambda_cls * cls + lambda_gp * gp,
         "take the mean of the patch scores over every image and patch (.mean()), not per-image means summed"),
        (adv + lambda_cls * cls + lambda_gp * gp_swapped, "call gradient_penalty(D, x, fake, alpha): real images "
                                                          "first, so that x̂ = α·x + (1 − α)·fake"),
    ]
    return {"total": total.detach(), "grads": grads_of(total, {"D": D}), "mistakes": mistakes}


def g_expectations(G, D, x, c_org, c_trg, lambda_cls: float, lambda_rec: float) -> dict:
    """The reference total and terms, the gradients of the total w.r.t. G's parameters, and typical mistakes: per
    term, for the total, and for the gradients (fake detached before D)."""
    total, terms = training.generator_objective(G, D, x, c_org, c_trg, "wgan-gp", lambda_cls, lambda_rec)
    adv, cls, rec = terms["adv"], terms["cls"], terms["rec"]
    fake = terms["fake"]
    src, logits = D(fake)
    rec_swapped = probes.reference_reconstruction_loss(G, x, c_trg, c_org)
    rec_trg = losses.reconstruction_l1(x, G(fake, c_trg))
    cls_org = losses.domain_classification_loss(logits, c_org)
    named_terms = {
        "adv": [(-adv, "G wants its translations scored real: adv = −mean src(G(x, c_trg)), not +mean src")],
        "cls": [(cls_org, "G's translation should be classified as its *target*: classification_loss(cls, c_trg), "
                          "not c_org")],
        "rec": [(rec_swapped, "call reconstruction_loss(G, x, c_org, c_trg): the round trip goes to c_trg and back "
                              "to c_org"),
                (rec_trg, "the way back uses the original labels c_org: reconstruction_loss(G, x, c_org, c_trg)")],
    }
    named_total = [
        (adv + lambda_rec * cls + lambda_cls * rec, "weight cls by lambda_cls and rec by lambda_rec (swapped)"),
        (adv + lambda_rec * cls + lambda_rec * rec, "weight the classification term by lambda_cls, not lambda_rec"),
        (adv + 1.0 * cls + 10.0 * rec, "use the weights passed as lambda_cls and lambda_rec, not the defaults 1, 10"),
        (adv + cls + rec, "weight the terms: adv + lambda_cls · cls + lambda_rec · rec"),
    ]
    detached = grads_of(lambda_rec * rec, {"G": G})
    return {"total": total.detach(), "terms": {k: terms[k].detach() for k in probes.TERMS},
            "grads": grads_of(total, {"G": G}), "detached_grads": detached, "named_terms": named_terms,
            "named_total": named_total}

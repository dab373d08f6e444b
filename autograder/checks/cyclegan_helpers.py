"""How notebook 05's checks read the probes' reports (``autograder.probes.cyclegan``): the values that typical
mistakes give on the checks' inputs, each with the message naming it, for the losses, the residual block, the image
pool and the generator objective. The answers themselves run only in the probes."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as tF
from torch import nn

from autograder.checks import expect, manual_seed
from autograder.grading.answers import outcome
from gancourse import losses
from gancourse.models import cyclegan as models


def close(a, b, atol: float = 1e-5) -> bool:
    """Whether tensors (or numbers) ``a`` and ``b`` have one shape and the same values."""
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    return a.shape == b.shape and torch.allclose(a, b, atol=atol, rtol=1e-4)


def named(got, mistakes: list[tuple[object, str]]) -> str | None:
    """The message of the first mistake whose value ``got`` matches."""
    return next((message for value, message in mistakes if close(got, value)), None)


# ---- the least-squares losses ----------------------------------------------------------------------------------
SIGMOID = ("D's outputs are raw scores, not probabilities: the least-squares loss squares them as they are "
           "(no torch.sigmoid)")
BCE = ("this is the binary cross-entropy; the least-squares loss is a mean of squared errors, "
       "e.g. (out - 1).pow(2).mean()")
SUM = "take the mean over every entry (.mean()), not the sum: the loss must not grow with the batch or the patch map"
PER_IMAGE = ("this averages per-image sums over the batch; take the mean over every entry of the patch map: "
             "(out - 1).pow(2).mean()")
L1 = "square the errors, (out - 1).pow(2), not their absolute value: this is the least-squares loss"
SQUARED_MEAN = ("square each entry's error, then take the mean, (out - 1).pow(2).mean(), not the square of the mean "
                "output")
ONE_SIDED = ("an output above its target is an error too: square (out - 1) for every entry, without clamping "
             "(the least-squares loss pulls D's scores *to* the targets)")


def d_loss_mistakes(real: torch.Tensor, fake: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """``lsgan_d_loss(real, fake)`` as typical mistakes compute it, each with the message naming it."""
    def half(a, b):
        return 0.5 * (a + b)
    sr, sf = torch.sigmoid(real), torch.sigmoid(fake)
    return [
        (half((sr - 1).pow(2).mean(), sf.pow(2).mean()), SIGMOID),
        (half(tF.binary_cross_entropy_with_logits(real, torch.ones_like(real)),
              tF.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))), BCE),
        (tF.binary_cross_entropy_with_logits(real, torch.ones_like(real))
         + tF.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)), BCE),
        ((real - 1).pow(2).mean() + fake.pow(2).mean(),
         "D's loss is *half* the sum of the two mean squared errors: ½ [mean (D(y) - 1)² + mean D(G(x))²] (the "
         "authors halve it so that D learns at half G's rate)"),
        (half((real - 1).pow(2).sum(), fake.pow(2).sum()), SUM),
        (half((real - 1).pow(2).flatten(1).sum(1).mean(), fake.pow(2).flatten(1).sum(1).mean()), PER_IMAGE),
        (half(real.pow(2).mean(), (fake - 1).pow(2).mean()),
         "the targets are swapped: real images should score 1, (real_out - 1)², and generated ones 0, fake_out²"),
        (half((real - 1).abs().mean(), fake.abs().mean()), L1),
        (half((real.mean() - 1).pow(2), fake.mean().pow(2)), SQUARED_MEAN),
        (half((1 - real).clamp(min=0).pow(2).mean(), fake.clamp(min=0).pow(2).mean()), ONE_SIDED),
    ]


def g_loss_mistakes(fake: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """``lsgan_g_loss(fake)`` as typical mistakes compute it, each with the message naming it."""
    return [
        ((torch.sigmoid(fake) - 1).pow(2).mean(), SIGMOID),
        (tF.binary_cross_entropy_with_logits(fake, torch.ones_like(fake)), BCE),
        (0.5 * (fake - 1).pow(2).mean(), "G's least-squares loss has no ½ (only D's is halved): mean (D(G(x)) - 1)²"),
        (fake.pow(2).mean(), "G wants its images judged real: the target is 1, mean (fake_out - 1)², not 0"),
        ((fake - 1).pow(2).sum(), SUM),
        ((fake - 1).pow(2).flatten(1).sum(1).mean(), PER_IMAGE),
        ((fake - 1).abs().mean(), L1),
        ((fake.mean() - 1).pow(2), SQUARED_MEAN),
        ((1 - fake).clamp(min=0).pow(2).mean(), ONE_SIDED),
        ((fake - 1).pow(2).mean().sqrt(), "this is the root of the mean squared error; the loss is the mean squared "
                                          "error itself, without .sqrt()"),
    ]


def cycle_mistakes(x, rec_x, y, rec_y) -> list[tuple[torch.Tensor, str]]:
    """``cycle_loss(x, rec_x, y, rec_y)`` as typical mistakes compute it, each with the message naming it."""
    ex, ey = rec_x - x, rec_y - y
    return [
        (ex.pow(2).mean() + ey.pow(2).mean(), "CycleGAN's cycle loss is the L1 error, mean |F(G(x)) - x|, not the "
                                              "squared error: use .abs(), not .pow(2)"),
        (ex.abs().mean(), "this is the error of the x direction alone; add the y direction's, mean |G(F(y)) - y|: "
                          "the cycle loss is the sum of both (not one of them, nor the larger)"),
        (ey.abs().mean(), "this is the error of the y direction alone; add the x direction's, mean |F(G(x)) - x|: "
                          "the cycle loss is the sum of both (not one of them, nor the larger)"),
        (0.5 * (ex.abs().mean() + ey.abs().mean()), "sum the two directions' mean errors; do not average them"),
        (ex.abs().sum() + ey.abs().sum(), "take the mean over pixels and images (.mean()), not the sum"),
        (ex.mean().abs() + ey.mean().abs(), "take the absolute value of each pixel's error, then the mean, "
                                            "(rec_x - x).abs().mean(): errors of opposite sign must not cancel"),
        (ex.pow(2).mean().sqrt() + ey.pow(2).mean().sqrt(), "this is the root mean squared error; the cycle loss is "
                                                            "the mean absolute error, (rec_x - x).abs().mean()"),
        ((rec_x - y).abs().mean() + (rec_y - x).abs().mean(), "compare each image with its own reconstruction: "
                                                              "x with rec_x = F(G(x)), y with rec_y = G(F(y))"),
    ]


# ---- the residual block ------------------------------------------------------------------------------------------
def build_reference(seed: int, channels: int) -> nn.Module:
    """gancourse's ``ResidualBlock(channels)`` built after ``manual_seed(seed)``, torch's generator left as it was."""
    with torch.random.fork_rng(devices=[]):
        manual_seed(seed)
        return models.ResidualBlock(channels)


class _Variant(nn.Module):
    """The reference block's two convolutions (same weights) in a typical wrong arrangement."""

    def __init__(self, reference: nn.Module, kind: str):
        super().__init__()
        self.conv1, self.conv2 = (copy.deepcopy(m) for m in reference.block if isinstance(m, nn.Conv2d))
        self.kind = kind

    def forward(self, x):
        pad = (lambda t: tF.pad(t, (1, 1, 1, 1), mode="reflect")) if self.kind != "zeros" else \
            (lambda t: tF.pad(t, (1, 1, 1, 1)))
        norm = tF.instance_norm if self.kind != "batch_norm" else \
            (lambda t: tF.batch_norm(t, None, None, training=True))
        h = torch.relu(norm(self.conv1(pad(x))))
        h = self.conv2(pad(h))
        if self.kind != "no_second_norm":
            h = norm(h)
        if self.kind == "relu_in_block":
            h = torch.relu(h)
        if self.kind == "no_skip":
            return h
        return torch.relu(x + h) if self.kind == "relu_after_sum" else x + h


BLOCK_MISTAKES = {
    "zeros": "pad with nn.ReflectionPad2d(1) before each 3×3 convolution (no padding in the Conv2d): zero padding "
             "makes the image's borders darker than its inside, which the paper's reflection padding avoids",
    "relu_after_sum": "no ReLU after the sum: return x + block(x) as it is (the paper's residual block, unlike "
                      "ResNet's classifier, adds the input back last)",
    "relu_in_block": "the block ends with the second InstanceNorm2d, without a ReLU after it: the ReLU follows only "
                     "the first normalisation",
    "no_skip": "add the input back: forward returns x + self.block(x), not self.block(x) (the skip connection is "
               "what makes it a residual block)",
    "no_second_norm": "normalise after the second convolution too: ... → ReflectionPad2d(1) → Conv2d(c, c, 3) → "
                      "InstanceNorm2d(c)",
    "batch_norm": "normalise with nn.InstanceNorm2d(channels) (each image on its own), not batch normalisation",
}


def block_mistakes(reference: nn.Module, x: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    with torch.no_grad():
        return [(_Variant(reference, kind)(x), message) for kind, message in BLOCK_MISTAKES.items()]


def block_hints(structure: list[dict]) -> list[tuple[bool, str]]:
    """Make-up that the outputs alone would only show as "differs": named before the values are compared."""
    norms = [e for e in structure if "InstanceNorm2d" in e["kinds"]]
    kinds = {k for e in structure for k in e["kinds"]}
    return [
        ("BatchNorm2d" in kinds or "GroupNorm" in kinds or "LayerNorm" in kinds, BLOCK_MISTAKES["batch_norm"]),
        (any(e["settings"].get("affine") for e in norms),
         "use nn.InstanceNorm2d(channels) with its defaults: affine=True adds a learned scale and shift that the "
         "paper's instance normalisation does not have"),
        (any(e["settings"].get("track_running_stats") for e in norms),
         "use nn.InstanceNorm2d(channels) with its defaults: track_running_stats=True makes eval mode use running "
         "statistics; instance normalisation normalises each image on its own, in both modes"),
        ("Dropout" in kinds, "the block has no dropout here: remove the nn.Dropout layer"),
        ("LeakyReLU" in kinds, "the block's activation is a plain nn.ReLU(), not LeakyReLU"),
    ]


# ---- the image pool ----------------------------------------------------------------------------------------------
def id_batch(first: int, n: int) -> torch.Tensor:
    """n images (n, 1, 2, 2), image k filled with the value k: what the pool returns can be read off."""
    return torch.arange(first, first + n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()


def ids(t: torch.Tensor) -> list[int]:
    return [int(round(v)) for v in t[:, 0, 0, 0].tolist()]


def simulate(size: int, counts: list[int], gen: torch.Generator, order: str = "rand_first", swap_below: bool = True,
             replace: bool = True) -> list[list[int]]:
    """The image ids an ImagePool returns for batches of ``counts`` ids (numbered on), drawing from ``gen``: the
    docstring's rule, or a variant (``order="randint_first"``, ``swap_below=False``: swap when u >= 0.5,
    ``replace=False``: the stored image is returned but not replaced)."""
    stored, out, k = [], [], 0
    for n in counts:
        got = []
        for _ in range(n):
            if len(stored) < size:
                stored.append(k)
                got.append(k)
            else:
                if order == "randint_first":
                    i = int(torch.randint(size, (), generator=gen))
                    u = torch.rand((), generator=gen).item()
                else:
                    u = torch.rand((), generator=gen).item()
                    i = int(torch.randint(size, (), generator=gen)) if (u < 0.5) == swap_below else None
                if (u < 0.5) == swap_below:
                    got.append(stored[i])
                    if replace:
                        stored[i] = k
                else:
                    got.append(k)
            k += 1
        out.append(got)
    return out


def stored_ids(report: dict, what: str) -> list[int] | None:
    """The ids of the images a pool holds, from the probe's ``_stored`` report (None: not a list of images)."""
    expect(report["list"], f"{what}, pool.images is a {report.get('type')}; keep the stored images in the list "
                           "self.images that __init__ creates (append while filling, replace by index when full)")
    return [int(round(float(t.flatten()[0]))) for t in report["images"]]


def query_value(report: dict, what: str, shape: tuple) -> torch.Tensor:
    value = outcome(report, what)
    expect(report.get("tensor"), f"{what} returned {report.get('type')}, expected a tensor (torch.stack the images)")
    expect(tuple(value.shape) == shape, f"{what} returned shape {tuple(value.shape)}, expected {shape}: one image per "
                                        "image queried, stacked into one batch")
    return value


# ---- the generator objective ---------------------------------------------------------------------------------------
def objective_expectations(build, nets: dict, x, y, lambda_cycle: float, lambda_identity: float) -> dict:
    """The reference objective's terms, total and gradients (for G's and F's parameters) on the networks ``build``
    makes from ``nets``, and what typical mistakes give instead, each with the message naming it."""
    from gancourse.training.cyclegan import cyclegan_generator_objective
    G, F, D_X, D_Y = (build(nets[k]) for k in ("G", "F", "D_X", "D_Y"))
    params = {f"{k}.{n}": p for k, net in (("G", G), ("F", F)) for n, p in net.named_parameters()}
    total, terms = cyclegan_generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity)
    grads = dict(zip(params, torch.autograd.grad(total, list(params.values()))))
    fake_y, fake_x = G(x), F(y)
    identity = losses.identity_loss(y, G(y), x, F(x))
    g = losses.lsgan_generator_loss
    detached = (g(D_Y(fake_y)) + g(D_X(fake_x)) + lambda_cycle * losses.cycle_consistency_loss(
        x, F(fake_y.detach()), y, G(fake_x.detach())) + lambda_identity * lambda_cycle * identity)
    detached_grads = dict(zip(params, torch.autograd.grad(detached, list(params.values()), allow_unused=True)))
    with torch.no_grad():
        gan, cycle = terms["gan_G"] + terms["gan_F"], lambda_cycle * terms["cycle"]
        named_terms = {
            "gan_G": [(g(D_X(fake_y)), "G turns x into an image of Y, so D_Y judges it: "
                                       "gan_G = lsgan_g_loss(D_Y(G(x))), "
                                       "and gan_F = lsgan_g_loss(D_X(F(y))); D_X and D_Y are swapped")],
            "cycle": [(losses.cycle_consistency_loss(x, fake_y, y, fake_x),
                       "the cycle compares x with its round trip F(G(x)) and y with G(F(y)), not with G(x) and F(y): "
                       "cycle_loss(x, F(G(x)), y, G(F(y)))"),
                      (losses.cycle_consistency_loss(x, G(F(x)), y, F(G(y))),
                       "x goes to Y and back: rec_x = F(G(x)) (G first), rec_y = G(F(y)) (F first)")],
            "identity": [(losses.identity_loss(x, G(x), y, F(y)),
                          "the identity term feeds each generator an image that is already in its target domain: "
                          "mean |G(y) - y| + mean |F(x) - x|, not G(x) and F(y)")],
        }
        named_terms["gan_F"] = [(g(D_Y(fake_x)), named_terms["gan_G"][0][1])]
        weight = lambda_identity * lambda_cycle
        named_total = [
            (gan + cycle + lambda_identity * identity,
             f"the identity weight is lambda_identity·lambda_cycle = {weight:g} here, not lambda_identity "
             f"= {lambda_identity:g} (the paper's identity weight is 0.5·λ)"),
            (gan + cycle + lambda_cycle * identity,
             f"the identity weight is lambda_identity·lambda_cycle = {weight:g} here, not lambda_cycle"),
            (gan + cycle, f"add the identity term, weighted lambda_identity·lambda_cycle = {weight:g} here"),
            (gan + 10.0 * terms["cycle"] + 5.0 * identity,
             "use the lambda_cycle and lambda_identity passed in, not the defaults 10 and 0.5"),
            (gan + terms["cycle"] + weight * identity, f"weight the cycle term by lambda_cycle = {lambda_cycle:g}"),
        ]
    return {"total": total.detach(), "terms": {k: terms[k].detach() for k in ("gan_G", "gan_F", "cycle")},
            "identity": identity.detach(), "grads": grads, "detached_grads": detached_grads,
            "named_terms": named_terms, "named_total": named_total}


def stand_ins(gen: torch.Generator) -> dict:
    """Stand-in networks (plain specs for ``autograder.probes.cyclegan.build``): G and F scaled identities, D_X and
    D_Y patch maps around different constants, so that each term has its own value and gradient."""
    u = torch.rand(6, generator=gen).tolist()
    return {"G": {"kind": "affine", "scale": 0.8 + 0.1 * u[0], "shift": 0.1 + 0.1 * u[1]},
            "F": {"kind": "affine", "scale": -0.6 - 0.1 * u[2], "shift": -0.2},
            "D_X": {"kind": "patch", "constant": 0.2 + 0.1 * u[3], "weight": 0.5},
            "D_Y": {"kind": "patch", "constant": -0.5 - 0.1 * u[4], "weight": 0.3 + 0.1 * u[5]}}


def real_nets(seed: int) -> dict:
    """Small real networks (specs for ``build``): ResnetGenerator(width=2, n_blocks=1), PatchDiscriminator(width=2,
    n_layers=1), their weights drawn after ``manual_seed(seed)``."""
    with torch.random.fork_rng(devices=[]):
        manual_seed(seed)
        nets = {"G": models.ResnetGenerator(1, 2, 1), "F": models.ResnetGenerator(1, 2, 1),
                "D_X": models.PatchDiscriminator(1, 2, 1), "D_Y": models.PatchDiscriminator(1, 2, 1)}
    return {k: {"kind": "resnet" if k in ("G", "F") else "patchgan",
                "kwargs": {"channels": 1, "width": 2, ("n_blocks" if k in ("G", "F") else "n_layers"): 1},
                "state": {n: v.detach().clone() for n, v in net.state_dict().items()}} for k, net in nets.items()}

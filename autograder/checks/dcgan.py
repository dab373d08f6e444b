"""Checks for notebook 03 (DCGAN): a probe (``autograder.probes.dcgan``) builds the student's answer, loads the
reference's weights into it and reports its make-up and outputs on seeded inputs; the check compares that report
with gancourse's reference. Hidden test cells call these; a failure says what differs and what was expected.

Each exercise is graded alone: the generator and discriminator are built with the reference blocks and
initialisation lent to them, so a broken ``up_block`` cannot cost the ``Generator`` points.
"""
from __future__ import annotations

import torch

from autograder.checks import expect, seeded
from autograder.checks.dcgan_helpers import (after_last, bn_hints, build_reference, built, compare_outputs,
                                             expect_loaded, expected_outputs, kinds, numel, of_kind, position, state,
                                             tensor)
from autograder.checks import dcgan_step
from autograder.grading.answers import Answer, graded
from autograder.probes import dcgan as probes
from gancourse.models import dcgan


def _block(answer: Answer, what: str, args: list, kwargs: dict, x: torch.Tensor,
           reference) -> tuple[dict, torch.Tensor]:
    """The probe's report on the block ``what`` and its output on ``x`` before loading any weights."""
    report = answer.probe("block", args=args, kwargs=kwargs, x=x, **state(reference))
    built(report, what)
    expect(report["module"], f"{what} should return a torch.nn.Module (e.g. nn.Sequential), got {report['type']}")
    return report, tensor(report["first"], f"{what}(x)")


def _compare_block(what: str, report: dict, reference, x: torch.Tensor, hints, suspects=()) -> torch.Tensor:
    """The hints first, then the same output for the same weights, in training mode then in eval mode."""
    for condition, hint in hints:
        expect(not condition, f"{what}: {hint}")
    expect_loaded(what, report, reference, shapes="layer shapes")
    return compare_outputs(what, report, expected_outputs(reference, x), tuple(x.shape), suspects,
                           train_label=f"{what}(x) for x of shape {tuple(x.shape)}", output_label=f"{what}(x)")


@graded(probes, guards=("gancourse.models.dcgan.up_block",))
def check_up_block(up_block: Answer) -> None:
    """``up_block(in, out, kernel_size=4, stride=2, padding=1)``: ConvTranspose2d (no bias) → BatchNorm2d → ReLU."""
    x = torch.randn(6, 8, 7, 7, generator=seeded(1))
    z = torch.randn(6, 16, 1, 1, generator=seeded(2))
    reference = build_reference(1, lambda: dcgan.up_block(8, 4))
    reference_first = build_reference(2, lambda: dcgan.up_block(16, 8, kernel_size=7, stride=1, padding=0))
    what = "up_block(8, 4)"
    report, out = _block(up_block, what, [8, 4], {}, x, reference)
    expect(tuple(out.shape) == (6, 4, 14, 14),
           f"up_block(8, 4) maps (6, 8, 7, 7) to {tuple(out.shape)}, expected (6, 4, 14, 14): "
           "ConvTranspose2d(in, out, kernel_size=4, stride=2, padding=1) doubles height and width")
    layers = kinds(report["structure"])
    hints = [
        ("ConvTranspose2d" not in layers, "upsample with nn.ConvTranspose2d (a transposed convolution)"),
        ("BatchNorm2d" not in layers, "follow the transposed convolution with nn.BatchNorm2d(out_channels)"),
        ("LeakyReLU" in layers or "ReLU" not in layers, "the generator's blocks end with a plain nn.ReLU()"),
        (numel(report["param_shapes"]) == numel(p.shape for p in reference.parameters()) + 4,
         "the transposed convolution should have no bias (bias=False): batch norm's shift β already adds one"),
        *bn_hints(report["structure"]),
    ]
    order = [(position(report["structure"], "ReLU") < position(report["structure"], "BatchNorm2d"),
              "apply the batch norm before the ReLU: ConvTranspose2d → BatchNorm2d → ReLU")]
    out = _compare_block(what, report, reference, x, hints, order)
    expect(float(out.min()) >= 0, "up_block's output has negative values: end with ReLU")
    what = "up_block(16, 8, kernel_size=7, stride=1, padding=0)"
    report, out = _block(up_block, what, [16, 8], {"kernel_size": 7, "stride": 1, "padding": 0}, z, reference_first)
    expect(tuple(out.shape) == (6, 8, 7, 7), f"{what} maps (6, 16, 1, 1) to {tuple(out.shape)}, expected (6, 8, 7, 7): "
                                             "pass kernel_size, stride and padding on to the transposed convolution")
    _compare_block(what, report, reference_first, z, [])


@graded(probes, guards=("gancourse.models.dcgan.down_block",))
def check_down_block(down_block: Answer) -> None:
    """``down_block(in, out, batch_norm=True)``: Conv2d(4, 2, 1) → [BatchNorm2d] → LeakyReLU(0.2)."""
    x = torch.randn(6, 3, 28, 28, generator=seeded(3))
    for batch_norm in (True, False):
        reference = build_reference(3, lambda: dcgan.down_block(3, 5, batch_norm=batch_norm))
        what = f"down_block(3, 5, batch_norm={batch_norm})"
        report, out = _block(down_block, what, [3, 5], {"batch_norm": batch_norm}, x, reference)
        expect(tuple(out.shape) == (6, 5, 14, 14),
               f"{what} maps (6, 3, 28, 28) to {tuple(out.shape)}, expected (6, 5, 14, 14): "
               "Conv2d(in, out, kernel_size=4, stride=2, padding=1) halves height and width")
        structure = report["structure"]
        layers = kinds(structure)
        has_bias = any(entry["has_bias"] for entry in of_kind(structure, "Conv2d"))
        slopes = [entry["settings"].get("negative_slope") for entry in of_kind(structure, "LeakyReLU")]
        hints = [
            ("Conv2d" not in layers, "downsample with a strided nn.Conv2d, not with pooling"),
            ("MaxPool2d" in layers or "AvgPool2d" in layers, "DCGAN uses no pooling: use a strided convolution"),
            (batch_norm and "BatchNorm2d" not in layers, "with batch_norm=True add nn.BatchNorm2d(out_channels)"),
            (not batch_norm and "BatchNorm2d" in layers, "with batch_norm=False the block has no batch norm"),
            (batch_norm and has_bias, "with batch norm after it the convolution needs no bias (bias=False)"),
            (not batch_norm and not has_bias, "without batch norm the convolution keeps its bias (bias=True)"),
            ("LeakyReLU" not in layers, "the discriminator's blocks end with nn.LeakyReLU(0.2)"),
            (bool(slopes) and abs(slopes[0] - 0.2) > 1e-9,
             f"LeakyReLU has negative_slope={slopes[0] if slopes else None}, expected 0.2"),
            *bn_hints(structure),
        ]
        order = [(batch_norm and position(structure, "LeakyReLU") < position(structure, "BatchNorm2d"),
                  "apply the batch norm before the activation: Conv2d → BatchNorm2d → LeakyReLU(0.2)")]
        _compare_block(what, report, reference, x, hints, order)


def _stats(t: torch.Tensor) -> tuple[float, float]:
    t = t.detach().double()
    return t.mean().item(), t.std().item()


@graded(probes, guards=("gancourse.models.dcgan.dcgan_init",))
def check_dcgan_init(dcgan_init: Answer) -> None:
    """``model.apply(dcgan_init)``: every Conv2d/ConvTranspose2d weight ~ N(0, 0.02), bias 0; BatchNorm2d
    γ ~ N(1, 0.02), β 0."""
    report = dcgan_init.probe("init")
    expect(report["callable"], "dcgan_init should be a function of one module")
    built(report["apply"], "model.apply(dcgan_init)")
    expect(report["apply"]["returns_model"], "model.apply(dcgan_init) should return the model")
    for entry in report["structure"]:
        name, params = entry["name"], entry["params"]
        if {"Conv2d", "ConvTranspose2d"} & set(entry["kinds"]):
            kind = entry["type"]
            expect(f"{name}.weight" not in report["untouched"],
                   f"dcgan_init left the {kind} weights (layer {name}) as PyTorch initialised them: draw every "
                   "Conv2d and ConvTranspose2d weight from N(0, 0.02) (they are different classes: check for both)")
            mean, std = _stats(params["weight"])
            expect(abs(std - 0.02) < 0.002 and abs(mean) < 0.002,
                   f"the {kind} weights (layer {name}) have mean {mean:.4f} and std {std:.4f}, expected a normal "
                   "distribution with mean 0 and std 0.02: nn.init.normal_(module.weight, 0.0, 0.02) for every "
                   "Conv2d and ConvTranspose2d (they are different classes: check for both)")
            tail = (params["weight"].abs() > 0.04).double().mean().item()
            expect(0.03 < tail < 0.065, f"{tail:.1%} of the {kind} weights lie beyond two standard deviations, "
                   "expected about 4.6% as for a normal distribution: use nn.init.normal_, not a uniform one")
            if "bias" in params:
                expect(bool((params["bias"] == 0).all()), f"the {kind} bias (layer {name}) should be set to 0")
        elif "BatchNorm2d" in entry["kinds"]:
            mean, std = _stats(params["weight"])
            expect(abs(mean - 1) < 0.01 and abs(std - 0.02) < 0.008,
                   f"the BatchNorm2d weights γ (layer {name}) have mean {mean:.3f} and std {std:.4f}, expected "
                   "N(1, 0.02): batch norm multiplies its normalised output by γ, so γ near 0 would silence the "
                   "layer; use nn.init.normal_(module.weight, 1.0, 0.02)")
            expect(bool((params["bias"] == 0).all()), f"the BatchNorm2d shift β (layer {name}) should be set to 0")
    built(report["relu"], "nn.ReLU().apply(dcgan_init) (modules without weights must be accepted)")
    expect(report["unchanged"], "dcgan_init changed a model it was not applied to")
    expect(report["repeatable"],
           "after the same torch.manual_seed dcgan_init gave different weights: draw them with torch's generator")


def _model(answer: Answer, what: str, reference_name: str, kwargs: dict, x: torch.Tensor, reference,
           extra: list) -> dict:
    """The probe's report on ``answer(**kwargs)``: built with the reference blocks lent, never the reference."""
    report = answer.probe("model", kwargs=kwargs, reference=reference_name, seed=0, x=x, extra=extra,
                          **state(reference))
    built(report, what)
    expect(report["is_module_class"], f"{what} should be a subclass of torch.nn.Module")
    expect(not report["subclasses_reference"],
           f"{what} subclasses gancourse's reference {reference_name}; it earns no credit: write the layers yourself")
    expect(not report["contains_reference"],
           f"{what} contains gancourse's reference {reference_name}; it earns no credit: write the layers yourself")
    convs = [e["params"]["weight"].flatten() for e in report["structure"]
             if {"Conv2d", "ConvTranspose2d"} & set(e["kinds"]) and "weight" in e["params"]]
    mean, std = _stats(torch.cat(convs) if convs else torch.zeros(1))
    expect(abs(std - 0.02) < 0.003 and abs(mean) < 0.003,
           f"{what}'s convolution weights have std {std:.4f}, expected 0.02: end __init__ with self.apply(dcgan_init)")
    return report


def _forward_failed(what: str, report: dict, sizes: str, advice: str) -> None:
    """A forward pass that breaks only on the checks' sizes hard-codes the visible test's."""
    train = report.get("train", {})
    if train.get("ok") is False and train.get("error") in ("RuntimeError", "ValueError", "IndexError"):
        raise AssertionError(f"{what}'s forward raised {train['error']}: {train['message']}; the checks use {sizes}, "
                             f"not the visible test's sizes: do not hard-code them ({advice})")


@graded(probes, guards=("gancourse.models.dcgan.DCGANGenerator.forward",))
def check_generator(Generator: Answer) -> None:
    """``Generator(latent_dim, ngf)``: the reference DCGAN layers, z (B, d) → tanh images (B, 1, 28, 28)."""
    reference = build_reference(4, lambda: dcgan.DCGANGenerator(latent_dim=8, ngf=4))
    z = torch.randn(5, 8, generator=seeded(4))
    what = "Generator(latent_dim=8, ngf=4)"
    report = _model(Generator, "Generator", "DCGANGenerator", {"latent_dim": 8, "ngf": 4}, z, reference, [z * 100])
    layers = kinds(report["structure"])
    expect("Upsample" not in layers, "DCGAN's generator upsamples with transposed convolutions, not nn.Upsample")
    expect("Sigmoid" not in layers, "the generator's output layer is Tanh (images are in [-1, 1]), not Sigmoid")
    expect("Tanh" in layers, "the generator's output layer is Tanh (images are in [-1, 1]): end the nn.Sequential "
                             "with nn.Tanh() after the last transposed convolution")
    for condition, hint in bn_hints(report["structure"]):
        expect(not condition, f"Generator: {hint}")
    expect_loaded(what, report, reference)
    _forward_failed(what, report, "latent_dim=8, ngf=4", "use self.latent_dim or z.shape[1], not 64")
    compare_outputs(what, report, expected_outputs(reference, z), tuple(z.shape))
    big = tensor(report["extra"][0], f"{what} on large z")
    expect(float(big.abs().max()) <= 1, "the generator's outputs leave [-1, 1]: end with Tanh")


@graded(probes, guards=("gancourse.models.dcgan.DCGANDiscriminator.forward",))
def check_discriminator(Discriminator: Answer) -> None:
    """``Discriminator(ndf)``: the reference DCGAN layers, images (B, 1, 28, 28) → logits (B,)."""
    reference = build_reference(5, lambda: dcgan.DCGANDiscriminator(ndf=4))
    x = torch.rand(6, 1, 28, 28, generator=seeded(5)) * 2 - 1
    what = "Discriminator(ndf=4)"
    report = _model(Discriminator, "Discriminator", "DCGANDiscriminator", {"ndf": 4}, x, reference, [x[:1]])
    layers = kinds(report["structure"])
    expect("MaxPool2d" not in layers and "AvgPool2d" not in layers,
           "DCGAN's discriminator uses no pooling: downsample with strided convolutions")
    n_bn = len(of_kind(report["structure"], "BatchNorm2d"))
    expect(n_bn <= 1, f"Discriminator has {n_bn} BatchNorm2d layers, expected 1: the first block (on the image) "
                      "has no batch norm, only the second")
    expect("Sigmoid" not in layers, "Discriminator ends with a Sigmoid; return logits: the loss applies the sigmoid")
    for condition, hint in bn_hints(report["structure"]):
        expect(not condition, f"Discriminator: {hint}")
    expect_loaded(what, report, reference)
    _forward_failed(what, report, "ndf=4", "use ndf and x.shape[0], not 32 or the batch size")
    activation = {"ReLU", "LeakyReLU", "Tanh", "Sigmoid"} & after_last(report["structure"], "Conv2d")
    suspects = [(bool(activation), f"the last convolution's output is the logit: remove the "
                                   f"{min(activation, default='')} after it (the losses take logits of any sign)")]
    compare_outputs(what, report, expected_outputs(reference, x), tuple(x.shape), suspects, logits=True)
    one = tensor(report["extra"][0], f"{what} on a batch of one image")
    expect(tuple(one.shape) == (1,), f"{what} maps a batch of one image to shape {tuple(one.shape)}, expected (1,): "
                                     "one logit per image whatever the batch size; flatten with .flatten() or "
                                     ".view(-1), not .squeeze()")


@graded(probes, guards=dcgan_step.GUARDS)
def check_train_step(train_step: Answer) -> None:
    """``train_step(G, D, real, noise, opt_G, opt_D)``: D's update on the detached fakes, then G's through the
    updated D, one generator pass; returns floats ``loss_D``, ``loss_G``, ``D_real``, ``D_fake``."""
    dcgan_step.compare_train_step(train_step)

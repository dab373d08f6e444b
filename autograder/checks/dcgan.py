"""Checks for notebook 03 (DCGAN): each runs the student's answer and gancourse's reference on the same seeded
inputs and compares them. Hidden test cells call these; a failure says what differs and what was expected.

Each exercise is graded alone: the generator and discriminator are checked with the reference blocks and
initialisation lent to them (``use_globals``), so a broken ``up_block`` cannot cost the ``Generator`` points.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from autograder.checks import (as_tensor, assert_close, changed, copy_parameters, expect, param_shapes,
                               seeded, snapshot)
from autograder.checks.dcgan_step import check_train_step  # noqa: F401  (notebook 03's hidden test imports it here)
from autograder.references import forbid, use_globals
from gancourse.models import dcgan

_LENT = {"up_block": dcgan.up_block, "down_block": dcgan.down_block, "dcgan_init": dcgan.dcgan_init}


def _module(what: str, value) -> nn.Module:
    expect(isinstance(value, nn.Module), f"{what} should return a torch.nn.Module (e.g. nn.Sequential), "
                                         f"got {type(value).__name__}")
    return value


def _numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _has(module: nn.Module, kind: type) -> bool:
    return any(isinstance(m, kind) for m in module.modules())


def _compare_block(what: str, got: nn.Module, reference: nn.Module, x: torch.Tensor, hints: list[tuple[bool, str]]) -> None:
    """Same parameter shapes, then the same output in training mode (batch statistics) for the same weights."""
    for condition, hint in hints:
        expect(not condition, f"{what}: {hint}")
    copy_parameters(reference, got, what)
    got.train(), reference.train()
    with torch.no_grad():
        expected = reference(x)
    out = as_tensor(f"{what}(x)", got(x))
    assert_close(f"{what}(x) for x of shape {tuple(x.shape)}", out, expected)
    got.zero_grad(set_to_none=True)
    got(x).pow(2).sum().backward()
    dead = [n for n, p in got.named_parameters() if p.grad is None]
    expect(not dead, f"no gradient reaches these parameters of {what}: {dead}")


def check_up_block(up_block) -> None:
    """``up_block(in, out, kernel_size=4, stride=2, padding=1)``: ConvTranspose2d (no bias) → BatchNorm2d → ReLU."""
    x = torch.randn(6, 8, 7, 7, generator=seeded(1))
    z = torch.randn(6, 16, 1, 1, generator=seeded(2))
    reference = dcgan.up_block(8, 4)
    reference_first = dcgan.up_block(16, 8, kernel_size=7, stride=1, padding=0)
    with forbid(dcgan.up_block):
        block = _module("up_block(8, 4)", up_block(8, 4))
        out = as_tensor("up_block(8, 4)(x)", block(x))
        expect(tuple(out.shape) == (6, 4, 14, 14),
               f"up_block(8, 4) maps (6, 8, 7, 7) to {tuple(out.shape)}, expected (6, 4, 14, 14): "
               "ConvTranspose2d(in, out, kernel_size=4, stride=2, padding=1) doubles height and width")
        hints = [
            (not _has(block, nn.ConvTranspose2d), "upsample with nn.ConvTranspose2d (a transposed convolution)"),
            (not _has(block, nn.BatchNorm2d), "follow the transposed convolution with nn.BatchNorm2d(out_channels)"),
            (_has(block, nn.LeakyReLU) or not _has(block, nn.ReLU), "the generator's blocks end with a plain nn.ReLU()"),
            (_numel(block) == _numel(reference) + 4,
             "the transposed convolution should have no bias (bias=False): batch norm's shift β already adds one"),
        ]
        _compare_block("up_block(8, 4)", block, reference, x, hints)
        expect(float(block(x).detach().min()) >= 0, "up_block's output has negative values: end with ReLU")
        what = "up_block(16, 8, kernel_size=7, stride=1, padding=0)"
        first = _module(what, up_block(16, 8, kernel_size=7, stride=1, padding=0))
        shape = tuple(as_tensor(f"{what}(z)", first(z)).shape)
        expect(shape == (6, 8, 7, 7), f"{what} maps (6, 16, 1, 1) to {shape}, expected (6, 8, 7, 7): "
                                      "pass kernel_size, stride and padding on to the transposed convolution")
        _compare_block(what, first, reference_first, z, [])


def check_down_block(down_block) -> None:
    """``down_block(in, out, batch_norm=True)``: Conv2d(4, 2, 1) → [BatchNorm2d] → LeakyReLU(0.2)."""
    x = torch.randn(6, 3, 28, 28, generator=seeded(3))
    for batch_norm in (True, False):
        reference = dcgan.down_block(3, 5, batch_norm=batch_norm)
        what = f"down_block(3, 5, batch_norm={batch_norm})"
        with forbid(dcgan.down_block):
            block = _module(what, down_block(3, 5, batch_norm=batch_norm))
            out = as_tensor(f"{what}(x)", block(x))
            expect(tuple(out.shape) == (6, 5, 14, 14),
                   f"{what} maps (6, 3, 28, 28) to {tuple(out.shape)}, expected (6, 5, 14, 14): "
                   "Conv2d(in, out, kernel_size=4, stride=2, padding=1) halves height and width")
            has_bias = any(isinstance(m, nn.Conv2d) and m.bias is not None for m in block.modules())
            hints = [
                (not _has(block, nn.Conv2d), "downsample with a strided nn.Conv2d, not with pooling"),
                (_has(block, nn.MaxPool2d) or _has(block, nn.AvgPool2d), "DCGAN uses no pooling: use a strided convolution"),
                (batch_norm and not _has(block, nn.BatchNorm2d), "with batch_norm=True add nn.BatchNorm2d(out_channels)"),
                (not batch_norm and _has(block, nn.BatchNorm2d), "with batch_norm=False the block has no batch norm"),
                (batch_norm and has_bias, "with batch norm after it the convolution needs no bias (bias=False)"),
                (not batch_norm and not has_bias, "without batch norm the convolution keeps its bias (bias=True)"),
                (not _has(block, nn.LeakyReLU), "the discriminator's blocks end with nn.LeakyReLU(0.2)"),
            ]
            slopes = [m.negative_slope for m in block.modules() if isinstance(m, nn.LeakyReLU)]
            hints.append((bool(slopes) and abs(slopes[0] - 0.2) > 1e-9,
                          f"LeakyReLU has negative_slope={slopes[0] if slopes else None}, expected 0.2"))
            _compare_block(what, block, reference, x, hints)


def _init_probe() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 48, 3),
    )


def _stats(t: torch.Tensor) -> tuple[float, float]:
    t = t.detach().double()
    return t.mean().item(), t.std().item()


def check_dcgan_init(dcgan_init) -> None:
    """``model.apply(dcgan_init)``: every Conv2d/ConvTranspose2d weight ~ N(0, 0.02), bias 0; BatchNorm2d γ ~ N(1, 0.02), β 0."""
    expect(callable(dcgan_init), "dcgan_init should be a function of one module")
    torch.manual_seed(0)
    model = _init_probe()
    with forbid(dcgan.dcgan_init):
        result = model.apply(dcgan_init)
        expect(result is model, "model.apply(dcgan_init) should return the model")
        for name, module in model.named_modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                kind = type(module).__name__
                mean, std = _stats(module.weight)
                expect(abs(std - 0.02) < 0.002 and abs(mean) < 0.002,
                       f"the {kind} weights (layer {name}) have mean {mean:.4f} and std {std:.4f}, expected a normal "
                       "distribution with mean 0 and std 0.02: nn.init.normal_(module.weight, 0.0, 0.02) for every "
                       "Conv2d and ConvTranspose2d (they are different classes: check for both)")
                tail = (module.weight.detach().abs() > 0.04).double().mean().item()
                expect(0.03 < tail < 0.065, f"{tail:.1%} of the {kind} weights lie beyond two standard deviations, "
                       "expected about 4.6% as for a normal distribution: use nn.init.normal_, not a uniform one")
                if module.bias is not None:
                    expect(bool((module.bias == 0).all()), f"the {kind} bias (layer {name}) should be set to 0")
            elif isinstance(module, nn.BatchNorm2d):
                mean, std = _stats(module.weight)
                expect(abs(mean - 1) < 0.01 and abs(std - 0.02) < 0.008,
                       f"the BatchNorm2d weights γ (layer {name}) have mean {mean:.3f} and std {std:.4f}, expected "
                       "N(1, 0.02): batch norm multiplies its normalised output by γ, so γ near 0 would silence the "
                       "layer; use nn.init.normal_(module.weight, 1.0, 0.02)")
                expect(bool((module.bias == 0).all()), f"the BatchNorm2d shift β (layer {name}) should be set to 0")
        before = snapshot(model)
        nn.ReLU().apply(dcgan_init)              # modules without weights must be accepted
        expect(not changed(before, model), "dcgan_init changed a model it was not applied to")
        torch.manual_seed(1)
        first = [p.detach().clone() for p in _init_probe().apply(dcgan_init).parameters()]
        torch.manual_seed(1)
        again = [p.detach() for p in _init_probe().apply(dcgan_init).parameters()]
        expect(all(torch.equal(a, b) for a, b in zip(first, again)),
               "after the same torch.manual_seed dcgan_init gave different weights: draw them with torch's generator")


def _build(cls, what: str, reference: type, **kwargs) -> nn.Module:
    expect(isinstance(cls, type) and issubclass(cls, nn.Module), f"{what} should be a subclass of torch.nn.Module")
    expect(not issubclass(cls, reference),
           f"{what} subclasses gancourse's reference {reference.__name__}; it earns no credit: write the layers yourself")
    with use_globals(cls.__init__, **_LENT):
        net = cls(**kwargs)
    expect(not any(isinstance(m, reference) for m in net.modules()),
           f"{what} contains gancourse's reference {reference.__name__}; it earns no credit: write the layers yourself")
    return net


def _check_initialised(net: nn.Module, what: str) -> None:
    convs = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    weights = torch.cat([m.weight.detach().flatten() for m in convs]) if convs else torch.zeros(1)
    mean, std = _stats(weights)
    expect(abs(std - 0.02) < 0.003 and abs(mean) < 0.003,
           f"{what}'s convolution weights have std {std:.4f}, expected 0.02: end __init__ with self.apply(dcgan_init)")


def _expected(reference: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's output in training mode, then in eval mode (running statistics updated once)."""
    with torch.no_grad():
        reference.train()
        train_out = reference(x)
        reference.eval()
        eval_out = reference(x)
    reference.train()
    return train_out, eval_out


def _compare_model(what: str, net: nn.Module, reference: nn.Module, x: torch.Tensor, expected, out_shape: tuple,
                   logits: bool = False):
    want, got = param_shapes(reference), param_shapes(net)
    n_want, n_got = _numel(reference), _numel(net)
    expect(n_got == n_want, f"{what} has {n_got:,} parameters, expected {n_want:,} "
                            f"(parameter shapes expected {want}, got {got})")
    copy_parameters(reference, net, what)
    net.train()
    out = as_tensor(f"{what}'s output", net(x))
    expect(tuple(out.shape) == out_shape, f"{what} maps input of shape {tuple(x.shape)} to {tuple(out.shape)}, "
                                          f"expected {out_shape}")
    if logits and torch.allclose(out.detach(), torch.sigmoid(expected[0]), atol=1e-5):
        raise AssertionError(f"{what} returns probabilities (a sigmoid at the end); expected logits: the losses "
                             "apply the sigmoid themselves, stably")
    assert_close(f"{what} in training mode", out, expected[0])
    net.eval()
    with torch.no_grad():
        assert_close(f"{what} in eval mode (batch-norm running statistics)", net(x), expected[1])
    net.train()
    return out


def check_generator(Generator) -> None:
    """``Generator(latent_dim, ngf)``: the reference DCGAN layers, z (B, d) → tanh images (B, 1, 28, 28)."""
    reference = dcgan.DCGANGenerator(latent_dim=8, ngf=4)
    z = torch.randn(5, 8, generator=seeded(4))
    expected = _expected(copy.deepcopy(reference), z)
    with forbid(dcgan.DCGANGenerator.forward):
        torch.manual_seed(0)
        net = _build(Generator, "Generator", dcgan.DCGANGenerator, latent_dim=8, ngf=4)
        _check_initialised(net, "Generator")
        kinds = [type(m) for m in net.modules()]
        expect(nn.Upsample not in kinds, "DCGAN's generator upsamples with transposed convolutions, not nn.Upsample")
        expect(nn.Tanh in kinds and nn.Sigmoid not in kinds,
               "the generator's output layer is Tanh (images are in [-1, 1]), not Sigmoid")
        out = _compare_model("Generator(latent_dim=8, ngf=4)", net, reference, z, expected, (5, 1, 28, 28))
        expect(float(net(z * 100).detach().abs().max()) <= 1, "the generator's outputs leave [-1, 1]: end with Tanh")
        net.zero_grad(set_to_none=True)
        out.pow(2).sum().backward()
        dead = [n for n, p in net.named_parameters() if p.grad is None]
        expect(not dead, f"no gradient reaches these parameters of Generator: {dead}")


def check_discriminator(Discriminator) -> None:
    """``Discriminator(ndf)``: the reference DCGAN layers, images (B, 1, 28, 28) → logits (B,)."""
    reference = dcgan.DCGANDiscriminator(ndf=4)
    x = torch.rand(6, 1, 28, 28, generator=seeded(5)) * 2 - 1
    expected = _expected(copy.deepcopy(reference), x)
    with forbid(dcgan.DCGANDiscriminator.forward):
        torch.manual_seed(0)
        net = _build(Discriminator, "Discriminator", dcgan.DCGANDiscriminator, ndf=4)
        _check_initialised(net, "Discriminator")
        kinds = [type(m) for m in net.modules()]
        expect(nn.MaxPool2d not in kinds and nn.AvgPool2d not in kinds,
               "DCGAN's discriminator uses no pooling: downsample with strided convolutions")
        n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())
        expect(n_bn <= 1, f"Discriminator has {n_bn} BatchNorm2d layers, expected 1: the first block (on the image) "
                          "has no batch norm, only the second")
        expect(nn.Sigmoid not in kinds, "Discriminator ends with a Sigmoid; return logits: the loss applies the sigmoid")
        out = _compare_model("Discriminator(ndf=4)", net, reference, x, expected, (6,), logits=True)
        net.zero_grad(set_to_none=True)
        out.pow(2).sum().backward()
        dead = [n for n, p in net.named_parameters() if p.grad is None]
        expect(not dead, f"no gradient reaches these parameters of Discriminator: {dead}")

"""How notebook 01's checks read the probes' reports (``autograder.probes.intro``): a network built and run on
the reference's weights, a loss and its gradients, a training step's result; and the reference's near misses
(a wrong activation, BatchNorm after the activation, the logits detached...) that name a mistake in a message.
Nothing here runs an answer: the probes do, and the reference runs here."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from autograder.checks import as_number, assert_close, expect, manual_seed, param_shapes, seeded
from autograder.grading.answers import Answer, outcome
from gancourse.models import MLPDiscriminator, MLPGenerator


def tensor(report: dict, what: str) -> torch.Tensor:
    """The tensor a probed call returned, or a failure naming what it returned instead (its type, not a list's)."""
    value = outcome(report, what)
    expect(isinstance(value, torch.Tensor), f"{what} should be a torch.Tensor, got {report.get('type')}")
    return value


def succeeded(report: dict, what: str) -> None:
    """Fail saying what the answer raised (or that it used the reference) unless the probed call succeeded."""
    if not report.get("ok"):
        outcome(report, what)


# ---- networks ------------------------------------------------------------------------------------------------
def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def built(answer: Answer, what: str, reference: nn.Module, kwargs: dict, inputs: list[torch.Tensor],
          sized_for: dict[str, dict]) -> dict:
    """Probe the class on ``inputs`` with ``reference``'s weights copied in: the report, after the class checks and
    the layer shapes. ``sized_for`` maps "latent_dim=64"-style descriptions to the reference's constructor arguments
    with that size fixed at its default, to say which argument an answer ignores."""
    name, cls = type(reference).__name__, what.split("(")[0]
    report = answer.probe("network", kwargs=kwargs, reference=name,
                          params=[p.detach().clone() for p in reference.parameters()], inputs=inputs)
    expect(report["module_class"], f"{cls} should be a subclass of torch.nn.Module")
    expect(not report["subclasses_reference"],
           f"{cls} subclasses gancourse's reference {name}; it earns no credit: write the layers yourself")
    succeeded(report["build"], what)
    expect("contains_reference" in report, f"{what} did not build an nn.Module (got {report['build'].get('type')})")
    expect(not report["contains_reference"],
           f"{cls} contains gancourse's reference {name}; it earns no credit: write the layers yourself")
    if not report["copied"]:
        want, got = param_shapes(reference), [tuple(s) for _, s in report["shapes"]]
        for ignored, sizes in sized_for.items():
            if got == param_shapes(type(reference)(**sizes)):
                raise AssertionError(f"{what}'s layers are sized for {ignored} (parameter shapes {got}): build "
                                     "them from the constructor's arguments, not from fixed numbers")
        expect(sum(map(_numel, got)) == sum(map(_numel, want)),
               f"{what} has {sum(map(_numel, got))} parameters, expected {sum(map(_numel, want))} "
               f"(layer shapes expected {want}, got {got})")
        raise AssertionError(f"{what}'s layers have parameter shapes {got}, expected {want} in this order")
    return report


def output(report: dict, i: int, what: str) -> torch.Tensor:
    return tensor(report["outputs"][i], what)


def grads_flow(report: dict, what: str) -> None:
    succeeded(report["backward"], f"backpropagating through {what}")
    dead = [name for name, g in report["grads"].items() if g is None or not bool(g.abs().sum() > 0)]
    expect(not dead, f"no gradient reaches these parameters of {what}: {dead}; is something detached or unused?")


def _bn(h: torch.Tensor, bn: nn.BatchNorm1d) -> torch.Tensor:
    return F.batch_norm(h, None, None, bn.weight, bn.bias, True, 0.0, bn.eps)


def _leaky(t):
    return F.leaky_relu(t, 0.2)


def generator_variants(reference: MLPGenerator, z: torch.Tensor) -> dict[str, torch.Tensor]:
    """The outputs of plausible misreadings of the generator's layers, on ``reference``'s weights (training mode)."""
    blocks = [(block[0], block[1]) for block in reference.net[:2]]
    last = reference.net[2]

    def forward(act=_leaky, bn_first=True, out=torch.tanh):
        h = z
        for linear, bn in blocks:
            h = linear(h)
            h = act(_bn(h, bn)) if bn_first else _bn(act(h), bn)
        return out(last(h)).view(z.shape[0], 1, 28, 28)

    with torch.no_grad():
        return {
            "the output layer is not Tanh (2·sigmoid − 1 is tanh(x/2)): end with nn.Tanh()":
                forward(out=lambda t: 2 * torch.sigmoid(t) - 1),
            "the hidden layers use ReLU: use nn.LeakyReLU(0.2)": forward(act=F.relu),
            "the hidden layers use LeakyReLU's default slope 0.01: use nn.LeakyReLU(0.2)":
                forward(act=F.leaky_relu),
            "BatchNorm1d comes after the LeakyReLU: each hidden layer is Linear → BatchNorm1d → LeakyReLU(0.2)":
                forward(bn_first=False),
        }


def discriminator_variants(reference: MLPDiscriminator, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The logits of plausible misreadings of the discriminator's layers, on ``reference``'s weights."""
    linears = [reference.net[1][0], reference.net[2][0], reference.net[3]]

    def forward(act):
        h = x.flatten(1)
        for linear in linears[:2]:
            h = act(linear(h))
        return linears[2](h).squeeze(1)

    with torch.no_grad():
        return {"the hidden layers use ReLU: use nn.LeakyReLU(0.2)": forward(F.relu),
                "the hidden layers use LeakyReLU's default slope 0.01: use nn.LeakyReLU(0.2)": forward(F.leaky_relu)}


def name_variant(what: str, got: torch.Tensor, expected: torch.Tensor, variants: dict[str, torch.Tensor]) -> None:
    """Fail naming the mistake if ``got`` is not ``expected`` but one of the ``variants``."""
    got, expected = got.double(), expected.double()
    if tuple(got.shape) != tuple(expected.shape) or torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
        return
    for hint, variant in variants.items():
        if torch.allclose(got, variant.double(), atol=1e-5, rtol=1e-4):
            raise AssertionError(f"{what} differs from the expected values: {hint}")


# ---- losses ----------------------------------------------------------------------------------------------------
def compare_loss(what: str, answer: Answer, reference_fn, tensors: list[torch.Tensor], kwargs: dict | None = None,
                 hints: dict | None = None, names: tuple[str, ...] = ()) -> None:
    """The answer's loss on ``tensors`` (and ``kwargs``) and its gradient with respect to each, against the
    reference's; ``hints`` maps a message to a variant that the answer may have computed instead."""
    ref_in = [t.clone().requires_grad_(True) for t in tensors]
    expected = reference_fn(*ref_in)
    expected.backward()
    report = answer.probe("loss", args=list(tensors), kwargs=kwargs or {})
    got = tensor(report, what)
    expect(got.ndim == 0,
           f"{what} has shape {tuple(got.shape)}, expected a scalar (0-dimensional) tensor: average the batch")
    wrong = not torch.allclose(got.double(), expected.detach().double(), atol=1e-5)
    for hint, variant in (hints or {}).items():
        if wrong and torch.allclose(got.double(), variant(*tensors).double(), atol=1e-5):
            raise AssertionError(f"{what} = {got.item():.5g}, expected {expected.item():.5g}: {hint}")
    if wrong and _flat_where_steep(report.get("grads"), ref_in):
        raise AssertionError(f"{what} = {got.item():.5g}, expected {expected.item():.5g}, and its gradient is 0 at "
                             "some logits where the loss is not flat: a probability clamped (or rounded to 0 or 1) "
                             "before the log; compute it from the logits, with F.softplus or "
                             "F.binary_cross_entropy_with_logits")
    assert_close(what, got, expected)
    expect(report["requires_grad"],
           f"{what} carries no gradient: build it from the input tensors with torch operations")
    succeeded(report["backward"], f"backpropagating {what}")
    for i, (grad, ref) in enumerate(zip(report["grads"], ref_in)):
        arg = f" ({names[i]})" if i < len(names) else ""
        expect(grad is not None, f"{what}: no gradient reaches input {i}{arg}: do not detach it, build the loss "
               "from the logits with torch operations")
        assert_close(f"the gradient of {what} with respect to input {i}{arg}", grad, ref.grad)


def _flat_where_steep(grads, ref_in: list[torch.Tensor]) -> bool:
    """Whether some gradient the answer reports is exactly 0 where the reference's is clearly not."""
    return any(g is not None and tuple(g.shape) == tuple(r.grad.shape)
               and bool(((g == 0) & (r.grad.abs() > 1e-3)).any()) for g, r in zip(grads or [], ref_in))


# ---- training steps ----------------------------------------------------------------------------------------------
def tiny_gan(seed: int) -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    manual_seed(seed)
    G, D = MLPGenerator(latent_dim=4, hidden_dim=8), MLPDiscriminator(hidden_dim=8)
    gen = seeded(seed)
    real = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    noise = torch.randn(6, 4, generator=gen)
    return G, D, real, noise


def states(G: nn.Module, D: nn.Module) -> dict:
    """The probe's inputs for these networks: their full state (BatchNorm's running statistics too) and sizes."""
    return {"G_state": {k: v.clone() for k, v in G.state_dict().items()},
            "D_state": {k: v.clone() for k, v in D.state_dict().items()}, "latent_dim": 4, "hidden_dim": 8}


def step_loss(what: str, report: dict) -> float:
    """The float a step returned (``as_number``'s messages), from the probe's report."""
    value = outcome(report, what)
    if isinstance(value, torch.Tensor):
        as_number(what, value)
    expect(isinstance(value, (int, float)) and not isinstance(value, bool),
           f"{what} returned {report['type']}, expected a float (loss.item())")
    return float(value)


def same_params(got: dict, net: nn.Module) -> bool:
    return all(torch.allclose(got[name].double(), p.detach().double(), atol=1e-5) for name, p in net.named_parameters())


def stepped(net: nn.Module, loss_of, lr: float) -> nn.Module:
    """A copy of ``net`` after one clean SGD step on ``loss_of(copy)``."""
    net = copy.deepcopy(net)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    opt.zero_grad(set_to_none=True)
    loss_of(net).backward()
    opt.step()
    return net

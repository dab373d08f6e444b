"""How notebook 04's checks read an answer's reports: a ValueError where one is expected, a returned float, the
tiny networks the training steps are checked on, and the losses of typical mistakes that name them. The answers
themselves run in probes (``autograder.probes.conditional``)."""
from __future__ import annotations

import copy

import torch
from torch import nn

from autograder.checks import expect, manual_seed, seeded
from autograder.grading.answers import outcome
from gancourse.losses import bce_with_logits, discriminator_loss, generator_loss
from gancourse.models import conditional

#: the tiny conditional GAN of the step checks (the probe builds the same networks from these and the weights)
CONFIG = {"latent_dim": 4, "n_classes": 3, "ngf": 2, "ndf": 2}


def expect_value_error(what: str, report: dict, hint: str = "") -> None:
    """``report`` (of the probe ``call``) must record a ValueError."""
    if report.get("ok"):
        raise AssertionError(f"{what} returned a value, expected a ValueError{hint}")
    if report.get("error") == "ValueError":
        return
    if report.get("error") == "ReferenceUsed":
        outcome(report, what)                              # the "no credit" message
    raise AssertionError(f"{what} raised {report.get('error')}, expected a ValueError{hint}")


def number(what: str, report: dict) -> float:
    """The float a step or measurement returned (``loss.item()``), or a message saying what it returned instead."""
    outcome(report, what)
    if report.get("tensor"):
        raise AssertionError(f"{what} returned a tensor; expected a Python float: return loss.item()")
    expect(report.get("number") is not None, f"{what} returned {report.get('type')}, expected a float (loss.item())")
    return report["number"]


def tiny_cgan(seed: int) -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A tiny conditional G and D (their weights drawn after ``manual_seed(seed)``) and a batch of inputs."""
    manual_seed(seed)
    G = conditional.ConditionalGenerator(CONFIG["latent_dim"], CONFIG["n_classes"], ngf=CONFIG["ngf"])
    D = conditional.ConditionalDiscriminator(CONFIG["ndf"], CONFIG["n_classes"])
    gen = seeded(seed)
    real = torch.rand(6, 1, 28, 28, generator=gen) * 2 - 1
    labels = torch.tensor([0, 2, 1, 1, 0, 2])
    noise = torch.randn(6, 4, generator=gen)
    return G, D, real, labels, noise


def weights(net: nn.Module) -> dict:
    """``net``'s state (parameters and batch-norm statistics) as a plain dict, for the probe to load."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def first_difference(got: dict, net: nn.Module) -> str | None:
    """The name of the first parameter of ``net`` that differs from the reported ``got`` (None if all agree)."""
    for name, want in net.named_parameters():
        value = got.get(name)
        if not isinstance(value, torch.Tensor) or value.shape != want.shape or \
                not torch.allclose(value.double(), want.detach().double(), atol=1e-5):
            return name
    return None


EVAL_G = ("the generated images look produced with G in eval mode: d_step trains D on G's samples as G makes them "
          "while training, so call G(noise, labels) in the mode G is in (no G.eval()); detach the batch instead")


def d_step_mistakes(G: nn.Module, D: nn.Module, real, labels, noise, wrong) -> list[tuple[float, str]]:
    """The losses that typical mistakes in ``d_step`` return on these inputs, each with the message naming it."""
    with torch.no_grad():
        eval_fake = copy.deepcopy(G).eval()(noise, labels)           # batch norm with G's running statistics
        G, D = copy.deepcopy(G), copy.deepcopy(D)                     # (a forward in training mode updates them)
        fake = G(noise, labels)
        real_logits, fake_logits = D(real, labels), D(fake, labels)
        plain = discriminator_loss(real_logits, fake_logits)
        eval_plain = discriminator_loss(real_logits, D(eval_fake, labels))
        mistakes = [(discriminator_loss(real_logits, D(fake, labels.roll(1))),
                     "the generated images must be judged with the labels they were generated for, "
                     "D(G(noise, labels).detach(), labels)")]
        if wrong is None:
            return [(float(v), m) for v, m in mistakes + [(eval_plain, EVAL_G)]]
        mismatched = D(real, wrong)
        mistakes += [
            (plain, "with wrong_labels given, add a third term, real images paired with the wrong labels judged as "
                    "fakes (target 0), e.g. bce_with_logits(D(real, wrong_labels), 0.0)"),
            (plain + bce_with_logits(mismatched, 1.0), "a real image with a wrong label is a *fake* pair: its target "
                                                       "is 0, not 1"),
            (plain + bce_with_logits(D(fake, wrong), 0.0), "the third term pairs the *real* images with the wrong "
                                                           "labels, bce_with_logits(D(real, wrong_labels), 0.0), not "
                                                           "the generated ones: it teaches D to check the label "
                                                           "against a realistic image"),
            (plain + discriminator_loss(real_logits, mismatched), "discriminator_loss(D(real, labels), D(real, "
                                                                  "wrong_labels)) counts the real pairs a second time; "
                                                                  "the third term is only bce_with_logits(D(real, "
                                                                  "wrong_labels), 0.0)"),
            (eval_plain + bce_with_logits(mismatched, 0.0), EVAL_G)]
    return [(float(v), m) for v, m in mistakes]


def g_step_mistakes(G: nn.Module, D: nn.Module, noise, labels) -> list[tuple[float, str]]:
    """The losses that typical mistakes in ``g_step`` return on these inputs, each with the message naming it."""
    with torch.no_grad():
        eval_D = copy.deepcopy(D).eval()                              # before a forward in training mode moves
        G, D = copy.deepcopy(G), copy.deepcopy(D)                     # its running statistics
        fake = G(noise, labels)
        mistakes = [
            (generator_loss(D(fake, labels.roll(1))), "D must judge the generated images with the labels G was asked "
                                                      "for, D(G(noise, labels), labels)"),
            (generator_loss(D(fake, labels), non_saturating=False),
             "this is the saturating form, mean log(1 - D(G(z, y), y)); use the non-saturating "
             "generator_loss(D(G(noise, labels), labels)) (its default), whose gradient does not vanish while D "
             "rejects the generated images"),
            (generator_loss(eval_D(fake, labels)),
             "D judged the generated images in eval mode (batch normalisation with its running statistics); leave D "
             "in training mode, as in d_step: only opt_G steps, so D's weights do not move anyway")]
    return [(float(v), m) for v, m in mistakes]

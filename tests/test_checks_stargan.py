"""The autograder checks of notebook 06: a correct answer passes, typical mistakes fail with a message that
says what to fix, an answer that calls gancourse's reference earns nothing, and each exercise is graded alone."""
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from torch import nn

import solutions_stargan as s
from autograder.checks import stargan as checks
from autograder.probes.stargan import SmoothCritic
from gancourse import losses
from gancourse.exercises import exercise
from gancourse.models import stargan as models
from gancourse.training import stargan as training

pytestmark = pytest.mark.usefixtures("one_torch_thread")   # small networks on a shared 2-core CPU

CHECKS = [checks.check_generator_input, checks.check_classification_loss, checks.check_reconstruction_loss,
          checks.check_gradient_penalty, checks.check_d_objective, checks.check_g_objective]

CORRECT = [
    (checks.check_generator_input, s.generator_input),
    (checks.check_classification_loss, s.classification_loss),
    (checks.check_reconstruction_loss, s.reconstruction_loss),
    (checks.check_gradient_penalty, s.gradient_penalty),
    (checks.check_d_objective, s.d_objective),
    (checks.check_g_objective, s.g_objective),
]


@pytest.mark.parametrize("check,answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass(check, answer):
    check(answer)


NOT_28 = r"H, W from x's own height and width \(x may not be square, nor 28×28\)"
STABLE = r"numerically stable way .* sigmoid then log saturates"
WRONG = [
    (checks.check_generator_input, s.gi_square, NOT_28),
    (checks.check_generator_input, s.gi_28, NOT_28),
    (checks.check_generator_input, s.gi_width_height, NOT_28),
    (checks.check_generator_input, s.gi_planes_first, r"image's channels come first"),
    (checks.check_generator_input, s.gi_mean, "not the mean of its labels"),
    (checks.check_generator_input, s.gi_first_row, "do not repeat one row over the batch"),
    (checks.check_generator_input, s.gi_wrong_dims, NOT_28),
    (checks.check_classification_loss, s.cls_sigmoid_bce, STABLE),
    (checks.check_classification_loss, s.cls_clamped, STABLE),
    (checks.check_classification_loss, s.cls_times_three, r"logits.shape\[1\] attributes, not always 3"),
    (checks.check_classification_loss, s.cls_detached, "no gradient flows"),
    (checks.check_classification_loss, s.cls_mean, "that divides by n as well"),
    (checks.check_classification_loss, s.cls_softmax, "not a softmax cross-entropy"),
    (checks.check_classification_loss, s.cls_batch_sum, "do not sum over the batch"),
    (checks.check_classification_loss, s.cls_swapped, "the logits are the first argument"),
    (checks.check_reconstruction_loss, s.rec_wrong_order, r"not G\(G\(x, c_org\), c_trg\)"),
    (checks.check_reconstruction_loss, s.rec_target_back, "the way back uses the original labels c_org"),
    (checks.check_reconstruction_loss, s.rec_signed, "errors of opposite sign must not cancel"),
    (checks.check_reconstruction_loss, s.rec_detached, r"no .detach\(\) between the two translations"),
    (checks.check_reconstruction_loss, s.rec_once, "one translation is not a round trip"),
    (checks.check_reconstruction_loss, s.rec_squared, r"use .abs\(\), not .pow\(2\)"),
    (checks.check_reconstruction_loss, s.rec_sum, r"not the sum"),
    (checks.check_reconstruction_loss, s.rec_against_fake, "not with the translation"),
    (checks.check_gradient_penalty, s.gp_alpha0, r"not alpha\[0\] for every image"),
    (checks.check_gradient_penalty, s.gp_swapped_mix, r"not \(1 − α\)·real \+ α·fake"),
    (checks.check_gradient_penalty, s.gp_no_create_graph, r"create_graph=True"),
    (checks.check_gradient_penalty, s.gp_one_sided, r"penalise norms below 1 too"),
    (checks.check_gradient_penalty, s.gp_batch_norm, "not one norm over the whole batch"),
    (checks.check_gradient_penalty, s.gp_no_minus_one, "not to 0"),
    (checks.check_gradient_penalty, s.gp_cls, "not the classification logits"),
    (checks.check_gradient_penalty, s.gp_abs, "not its absolute value"),
    (checks.check_d_objective, s.d_cls_on_fake, r"\*real\* images' labels"),
    (checks.check_d_objective, s.d_gp_swapped, "real images first"),
    (checks.check_d_objective, s.d_own_alpha, "do not draw your own"),
    (checks.check_d_objective, s.d_signs, "scoring real images high"),
    (checks.check_d_objective, s.d_gp_weight_on_cls, "by lambda_cls, not lambda_gp"),
    (checks.check_d_objective, s.d_per_image_sums, "not per-image means summed"),
    (checks.check_d_objective, s.d_default_lambdas, "not the defaults 1 and 10"),
    (checks.check_g_objective, s.g_cls_org, r"as its \*target\*"),
    (checks.check_g_objective, s.g_rec_swapped, r"call reconstruction_loss\(G, x, c_org, c_trg\)"),
    (checks.check_g_objective, s.g_detached, "not a detached copy"),
    (checks.check_g_objective, s.g_plus_src, r"not \+mean src"),
    (checks.check_g_objective, s.g_weights_swapped, r"\(swapped\)"),
    (checks.check_g_objective, s.g_floats, r"no .item\(\)"),
    (checks.check_g_objective, s.g_rec_weight_on_cls, "by lambda_cls, not lambda_rec"),
]


@pytest.mark.parametrize("check,answer,message", WRONG, ids=[a.__name__ for _, a, _ in WRONG])
def test_wrong_answers_fail_with_a_helpful_message(check, answer, message):
    with pytest.raises(AssertionError, match=message):
        check(answer)


# The wrong answers above that a student could hand in believing them right: the notebook's visible test passes.
VISIBLE_PASSES = {
    "generator_input": [s.gi_square, s.gi_28, s.gi_width_height],
    "classification_loss": [s.cls_sigmoid_bce, s.cls_clamped, s.cls_times_three, s.cls_detached],
    "reconstruction_loss": [s.rec_wrong_order, s.rec_target_back, s.rec_signed, s.rec_detached],
    "gradient_penalty": [s.gp_alpha0, s.gp_swapped_mix, s.gp_no_create_graph, s.gp_one_sided],
    "d_objective": [s.d_cls_on_fake, s.d_gp_swapped, s.d_own_alpha],
    "g_objective": [s.g_cls_org, s.g_rec_swapped, s.g_detached],
}
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_stargan.ipynb"


def visible_test(name: str, notebook: Path = NOTEBOOK) -> str:
    """The visible part of exercise ``name``'s test cell (grade_id ``<name>_tests``) in notebook 06."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"{name}_tests")
    return cell.source.split("### BEGIN HIDDEN TESTS")[0]


def run_visible(name: str, answer, source: str) -> None:
    """Run the visible test ``source`` with ``answer`` under ``name`` and the right answers to the other exercises."""
    namespace = {"torch": torch, "nn": nn, "F": tF, "exercise": exercise, **{k: getattr(s, k) for k in VISIBLE_PASSES},
                 name: answer}
    torch.manual_seed(0)
    exec(source, namespace)  # noqa: S102 — the notebook's own test cell


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="notebooks/06_stargan.ipynb is not written yet")
@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in VISIBLE_PASSES.items() for a in answers],
                         ids=[a.__name__ for answers in VISIBLE_PASSES.values() for a in answers])
def test_these_wrong_answers_pass_the_visible_test_and_fail_the_check(name, answer):
    run_visible(name, answer, visible_test(name))
    assert any(a is answer for _, a, _ in WRONG), f"{answer.__name__} is not in WRONG"


REFERENCE_CALLS = [
    (checks.check_generator_input, lambda x, c: torch.cat([x, models.label_maps(c, x.shape[2], x.shape[3])], 1)),
    (checks.check_classification_loss, losses.domain_classification_loss),
    (checks.check_reconstruction_loss, lambda G, x, c_org, c_trg: losses.reconstruction_l1(x, G(G(x, c_trg), c_org))),
    (checks.check_gradient_penalty, lambda D, real, fake, alpha: losses.gradient_penalty(D, real, fake, alpha=alpha)),
    (checks.check_d_objective, lambda D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0:
        training.discriminator_objective(D, x, c_org, fake, "wgan-gp", lambda_cls, lambda_gp, alpha=alpha)[0]),
    (checks.check_d_objective, lambda D, x, c_org, fake, alpha, lambda_cls=1.0, lambda_gp=10.0:
        losses.wasserstein_critic_loss(D(x)[0], D(fake)[0]) + lambda_cls * s.classification_loss(D(x)[1], c_org)
        + lambda_gp * s.gradient_penalty(D, x, fake, alpha)),
    (checks.check_g_objective, lambda G, D, x, c_org, c_trg, lambda_cls=1.0, lambda_rec=10.0: (lambda out: (
        out[0], {k: out[1][k] for k in ("adv", "cls", "rec")}))(
        training.generator_objective(G, D, x, c_org, c_trg, "wgan-gp", lambda_cls, lambda_rec))),
]


@pytest.mark.parametrize("check,answer", REFERENCE_CALLS)
def test_calling_the_reference_earns_no_credit_and_the_reference_is_restored(check, answer):
    with pytest.raises(AssertionError, match="no credit"):
        check(answer)
    torch.manual_seed(0)
    G, D = models.StarGenerator(3, 1, 2, 1), models.StarDiscriminator(3, 1, 2, 2)
    x, c = torch.rand(2, 1, 28, 28), torch.tensor([[1., 0., 1.], [0., 1., 0.]])
    assert models.label_maps(c, 3, 5).shape == (2, 3, 3, 5)
    assert losses.domain_classification_loss(torch.zeros(2, 3), c).item() == pytest.approx(3 * np.log(2))
    assert losses.reconstruction_l1(x, x).item() == 0
    assert losses.gradient_penalty(D, x, x, alpha=torch.rand(2)).item() >= 0
    assert losses.wasserstein_critic_loss(x, x).item() == 0
    assert training.discriminator_objective(D, x, c, x, alpha=torch.rand(2))[0].ndim == 0
    assert training.generator_objective(G, D, x, c, 1 - c)[0].ndim == 0


def test_each_exercise_is_graded_alone():
    """Broken classification_loss, gradient_penalty and reconstruction_loss do not fail d_objective and g_objective:
    the reference ones are lent to them while they are checked, and the student's own are back afterwards."""
    namespace = {}
    exec(Path(s.__file__).read_text(), namespace)  # noqa: S102 — the right answers, calling the earlier ones by name
    exec("def classification_loss(logits, target):\n    raise NotImplementedError()\n"
         "def gradient_penalty(D, real, fake, alpha):\n    return torch.zeros(())\n"
         "def reconstruction_loss(G, x, c_org, c_trg):\n    return (G(x, c_org) - x).pow(2).sum()\n", namespace)
    checks.check_d_objective(namespace["d_objective"])
    checks.check_g_objective(namespace["g_objective"])
    with pytest.raises(NotImplementedError):
        namespace["classification_loss"](None, None)
    assert namespace["gradient_penalty"](None, None, None, None).item() == 0


# ---- the right answers against independent computations -------------------------------------------------------------
def test_classification_loss_matches_a_numpy_computation():
    gen = torch.Generator().manual_seed(3)
    logits, target = torch.randn(6, 4, generator=gen, dtype=torch.float64) * 30, torch.randint(0, 2, (6, 4)).double()
    l, t = logits.numpy(), target.numpy()
    expected = (t * np.logaddexp(0, -l) + (1 - t) * np.logaddexp(0, l)).sum(1).mean()
    assert s.classification_loss(logits, target).item() == pytest.approx(expected, rel=1e-12)
    assert losses.domain_classification_loss(logits, target).item() == pytest.approx(expected, rel=1e-12)


def test_gradient_penalty_matches_finite_differences():
    """The penalty's per-image gradient norm from central differences of the critic's summed src scores."""
    torch.manual_seed(4)
    critic = SmoothCritic([1.3, -0.7], 1.8, 0.1, [0.5, -1.0], [0.2, 0.3], [0.0, 0.1]).double()
    real, fake = torch.randn(3, 2, 4, 6, dtype=torch.float64), torch.randn(3, 2, 4, 6, dtype=torch.float64)
    alpha = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
    mixed = alpha.view(-1, 1, 1, 1) * real + (1 - alpha.view(-1, 1, 1, 1)) * fake
    eps, grad = 1e-6, torch.zeros_like(mixed)
    with torch.no_grad():
        for k in range(mixed[0].numel()):
            step = torch.zeros(mixed[0].numel(), dtype=torch.float64)
            step[k] = eps
            step = step.view_as(mixed[0])
            grad[:, ...].view(3, -1)[:, k] = ((critic(mixed + step)[0] - critic(mixed - step)[0]).flatten(1).sum(1)
                                              / (2 * eps))
    expected = (grad.flatten(1).norm(dim=1) - 1).pow(2).mean().item()
    assert s.gradient_penalty(critic, real, fake, alpha).item() == pytest.approx(expected, rel=1e-6)
    assert losses.gradient_penalty(critic, real, fake, alpha=alpha).item() == pytest.approx(expected, rel=1e-6)

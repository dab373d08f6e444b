"""The autograder checks of notebook 05: a correct answer passes, typical mistakes fail with a message that
says what to fix, an answer that calls gancourse's reference earns nothing, and each exercise is graded alone."""
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn

import solutions_cyclegan as s
from autograder.checks import cyclegan as checks
from gancourse import losses
from gancourse.exercises import exercise
from gancourse.models import cyclegan as models
from gancourse.training import cyclegan as training

pytestmark = pytest.mark.usefixtures("one_torch_thread")   # small networks on a shared 2-core CPU

CHECKS = [checks.check_lsgan_d_loss, checks.check_lsgan_g_loss, checks.check_cycle_loss, checks.check_residual_block,
          checks.check_image_pool, checks.check_generator_objective, checks.check_g_step]

CORRECT = [
    (checks.check_lsgan_d_loss, s.lsgan_d_loss),
    (checks.check_lsgan_g_loss, s.lsgan_g_loss),
    (checks.check_cycle_loss, s.cycle_loss),
    (checks.check_residual_block, s.ResidualBlock),
    (checks.check_image_pool, s.ImagePool),
    (checks.check_generator_objective, s.generator_objective),
    (checks.check_g_step, s.g_step),
]


@pytest.mark.parametrize("check,answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass(check, answer):
    check(answer)


WRONG = [
    (checks.check_lsgan_d_loss, s.d_loss_l1, r"square the errors"),
    (checks.check_lsgan_d_loss, s.d_loss_square_of_mean, "not the square of the mean output"),
    (checks.check_lsgan_d_loss, s.d_loss_one_sided, "without clamping"),
    (checks.check_lsgan_d_loss, s.d_loss_sigmoid, r"no torch.sigmoid"),
    (checks.check_lsgan_d_loss, s.d_loss_bce, "binary cross-entropy"),
    (checks.check_lsgan_d_loss, s.d_loss_no_half, r"\*half\* the sum"),
    (checks.check_lsgan_d_loss, s.d_loss_sum, "not the sum"),
    (checks.check_lsgan_d_loss, s.d_loss_swapped, "targets are swapped"),
    (checks.check_lsgan_d_loss, s.d_loss_per_image_sums, "per-image sums"),
    (checks.check_lsgan_g_loss, s.g_loss_l1, "square the errors"),
    (checks.check_lsgan_g_loss, s.g_loss_square_of_mean, "not the square of the mean output"),
    (checks.check_lsgan_g_loss, s.g_loss_one_sided, "without clamping"),
    (checks.check_lsgan_g_loss, s.g_loss_rmse, r"without .sqrt\(\)"),
    (checks.check_lsgan_g_loss, s.g_loss_half, "has no ½"),
    (checks.check_lsgan_g_loss, s.g_loss_sigmoid, r"no torch.sigmoid"),
    (checks.check_lsgan_g_loss, s.g_loss_target_zero, "the target is 1"),
    (checks.check_lsgan_g_loss, s.g_loss_sum, "not the sum"),
    (checks.check_cycle_loss, s.cycle_one_direction, "the sum of both"),
    (checks.check_cycle_loss, s.cycle_abs_of_mean, "must not cancel"),
    (checks.check_cycle_loss, s.cycle_rmse, "root mean squared error"),
    (checks.check_cycle_loss, s.cycle_worse_direction, "the sum of both"),
    (checks.check_cycle_loss, s.cycle_mse, r"use .abs\(\), not .pow\(2\)"),
    (checks.check_cycle_loss, s.cycle_average, "do not average them"),
    (checks.check_cycle_loss, s.cycle_sum, "not the sum"),
    (checks.check_cycle_loss, s.cycle_wrong_pair, "its own reconstruction"),
    (checks.check_residual_block, s.BlockZeroPadding, r"nn.ReflectionPad2d\(1\)"),
    (checks.check_residual_block, s.BlockReluAfterSum, "no ReLU after the sum"),
    (checks.check_residual_block, s.BlockNoSkip, "add the input back"),
    (checks.check_residual_block, s.BlockReluInside, "without a ReLU after it"),
    (checks.check_residual_block, s.BlockOneNorm, "normalise after the second convolution too"),
    (checks.check_residual_block, s.BlockRunningStats, "track_running_stats=True"),
    (checks.check_residual_block, s.BlockDropout, "no dropout"),
    (checks.check_residual_block, s.BlockBatchNorm, r"nn.InstanceNorm2d\(channels\) \(each image on its own\)"),
    (checks.check_residual_block, s.BlockAffineNorm, "affine=True"),
    (checks.check_image_pool, s.PoolNoReplace, "put the new image in its place"),
    (checks.check_image_pool, s.PoolIndexFirst, "draws are in another order"),
    (checks.check_image_pool, s.PoolSwapAbove, r"swap when u < 0.5, not when u >= 0.5"),
    (checks.check_image_pool, s.PoolGlobalGenerator, "generator=self.generator to torch.rand"),
    (checks.check_image_pool, s.PoolRandomModule, r"first u = torch.rand\(\(\), generator=self.generator\)"),
    (checks.check_image_pool, s.PoolRareSwaps, r"only if u < 0.5"),
    (checks.check_image_pool, s.PoolNoClone, r"share its memory; store copies"),
    (checks.check_image_pool, s.PoolNoDetach, "still attached to the generator's graph"),
    (checks.check_image_pool, s.PoolNoSizeZero, "with size=0 there is no pool"),
    (checks.check_image_pool, s.PoolReturnsList, "expected a tensor"),
    (checks.check_generator_objective, s.objective_swapped_discriminators, "D_X and D_Y are swapped"),
    (checks.check_generator_objective, s.objective_identity_swapped, "already in its target domain"),
    (checks.check_generator_objective, s.objective_detached_cycle, "not detached copies"),
    (checks.check_generator_objective, s.objective_cycle_one_way, "with its round trip"),
    (checks.check_generator_objective, s.objective_cycle_wrong_order, r"rec_x = F\(G\(x\)\) \(G first\)"),
    (checks.check_generator_objective, s.objective_default_lambdas, "not the defaults 10 and 0.5"),
    (checks.check_generator_objective, s.objective_identity_weight, "not lambda_identity"),
    (checks.check_generator_objective, s.objective_no_identity, "add the identity term"),
    (checks.check_g_step, s.g_step_default_lambdas, "pass lambda_cycle and lambda_identity on"),
    (checks.check_g_step, s.g_step_restores_true, "restore each parameter's own flag"),
    (checks.check_g_step, s.g_step_no_zero_grad, r"stale gradients .* opt_G.zero_grad\(\)"),
    (checks.check_g_step, s.g_step_clears_D_grads, "ran with parameters that require grad: freeze D_X and D_Y"),
    (checks.check_g_step, s.g_step_cycle_only, r"backpropagate the total of generator_objective"),
    (checks.check_g_step, s.g_step_adversarial_only, r"backpropagate the total of generator_objective"),
    (checks.check_g_step, s.g_step_not_frozen, "received gradients"),
    (checks.check_g_step, s.g_step_not_restored, "still do not require grad"),
    (checks.check_g_step, s.g_step_tensor, "expected a Python float"),
    (checks.check_g_step, s.g_step_steps_D, "freeze D_X and D_Y"),
]


@pytest.mark.parametrize("check,answer,message", WRONG, ids=[a.__name__ for _, a, _ in WRONG])
def test_wrong_answers_fail_with_a_helpful_message(check, answer, message):
    with pytest.raises(AssertionError, match=message):
        check(answer)


# The wrong answers above that a student could hand in believing them right: the notebook's visible test passes.
VISIBLE_PASSES = {
    "lsgan_d_loss": [s.d_loss_l1, s.d_loss_square_of_mean, s.d_loss_one_sided],
    "lsgan_g_loss": [s.g_loss_l1, s.g_loss_square_of_mean, s.g_loss_one_sided, s.g_loss_rmse],
    "cycle_loss": [s.cycle_abs_of_mean, s.cycle_rmse, s.cycle_worse_direction],
    "ResidualBlock": [s.BlockZeroPadding, s.BlockReluAfterSum, s.BlockNoSkip, s.BlockReluInside, s.BlockOneNorm,
                      s.BlockRunningStats, s.BlockDropout],
    "ImagePool": [s.PoolNoReplace, s.PoolIndexFirst, s.PoolSwapAbove, s.PoolGlobalGenerator, s.PoolRandomModule,
                  s.PoolRareSwaps, s.PoolNoClone, s.PoolNoDetach, s.PoolNoSizeZero],
    "generator_objective": [s.objective_swapped_discriminators, s.objective_identity_swapped,
                            s.objective_detached_cycle, s.objective_cycle_one_way, s.objective_cycle_wrong_order,
                            s.objective_default_lambdas],
    "g_step": [s.g_step_default_lambdas, s.g_step_restores_true, s.g_step_no_zero_grad, s.g_step_clears_D_grads,
               s.g_step_cycle_only, s.g_step_adversarial_only],
}
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_cyclegan.ipynb"


def visible_test(name: str, notebook: Path = NOTEBOOK) -> str:
    """The visible part of exercise ``name``'s test cell (grade_id ``<name>_tests``) in notebook 05."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"{name}_tests")
    return cell.source.split("### BEGIN HIDDEN TESTS")[0]


def run_visible(name: str, answer, source: str) -> None:
    """Run the visible test ``source`` with ``answer`` under ``name`` and the right answers to the other exercises."""
    namespace = {"torch": torch, "nn": nn, "exercise": exercise, "ResnetGenerator": models.ResnetGenerator,
                 "PatchDiscriminator": models.PatchDiscriminator, "lsgan_d_loss": s.lsgan_d_loss,
                 "lsgan_g_loss": s.lsgan_g_loss, "cycle_loss": s.cycle_loss, "ResidualBlock": s.ResidualBlock,
                 "ImagePool": s.ImagePool, "generator_objective": s.generator_objective, "g_step": s.g_step,
                 name: answer}
    torch.manual_seed(0)
    exec(source, namespace)  # noqa: S102 — the notebook's own test cell


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="notebooks/05_cyclegan.ipynb is not written yet")
@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in VISIBLE_PASSES.items() for a in answers],
                         ids=[a.__name__ for answers in VISIBLE_PASSES.values() for a in answers])
def test_these_wrong_answers_pass_the_visible_test_and_fail_the_check(name, answer):
    run_visible(name, answer, visible_test(name))
    assert any(a is answer for _, a, _ in WRONG), f"{answer.__name__} is not in WRONG"


REFERENCE_CALLS = [
    (checks.check_lsgan_d_loss, losses.lsgan_discriminator_loss),
    (checks.check_lsgan_d_loss, lambda r, f: 0.5 * (losses.lsgan_generator_loss(r) + f.pow(2).mean())),
    (checks.check_lsgan_g_loss, losses.lsgan_generator_loss),
    (checks.check_lsgan_g_loss, lambda f: 2 * losses.lsgan_discriminator_loss(f, torch.ones_like(f))),
    (checks.check_cycle_loss, losses.cycle_consistency_loss),
    (checks.check_cycle_loss, lambda x, rx, y, ry: losses.identity_loss(x, rx, y, ry)),
    (checks.check_residual_block, models.ResidualBlock),
    (checks.check_image_pool, training.ImagePool),
    (checks.check_generator_objective, training.cyclegan_generator_objective),
    (checks.check_generator_objective, lambda G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5: (
        s.generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, 0.0)[0]
        + lambda_identity * lambda_cycle * losses.identity_loss(y, G(y), x, F(x)), {})),
    (checks.check_g_step, lambda G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5:
        training.g_step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity)[0]["loss_G"]),
]


@pytest.mark.parametrize("check,answer", REFERENCE_CALLS)
def test_calling_the_reference_earns_no_credit_and_the_reference_is_restored(check, answer):
    with pytest.raises(AssertionError, match="no credit"):
        check(answer)
    x = torch.rand(2, 1, 28, 28)
    assert losses.cycle_consistency_loss(x, x, x, x).item() == 0
    assert losses.lsgan_generator_loss(torch.ones(2, 1)).item() == 0
    assert models.ResidualBlock(2)(torch.randn(1, 2, 4, 4)).shape == (1, 2, 4, 4)
    assert training.ImagePool(1).query(x).shape == x.shape
    with training.frozen(nn.Linear(2, 2)):
        pass


def test_frozen_from_gancourse_earns_no_credit_in_g_step():
    def g_step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle=10.0, lambda_identity=0.5):
        from gancourse.training.gan import frozen
        generator_objective = s.generator_objective
        opt_G.zero_grad()
        with frozen(D_X), frozen(D_Y):
            total, _ = generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity)
            total.backward()
        opt_G.step()
        return total.item()
    with pytest.raises(AssertionError, match="no credit"):
        checks.check_g_step(g_step)


def test_each_exercise_is_graded_alone():
    """A broken lsgan_g_loss or cycle_loss does not fail generator_objective, nor a broken objective g_step: the
    reference ones are lent to them while they are checked, and the student's own are back afterwards."""
    namespace = {}
    exec(Path(s.__file__).read_text(), namespace)  # noqa: S102 — the right answers, calling the earlier ones by name
    exec("def lsgan_g_loss(fake_out):\n    raise NotImplementedError()\n"
         "def cycle_loss(x, rec_x, y, rec_y):\n    raise NotImplementedError()\n", namespace)
    checks.check_generator_objective(namespace["generator_objective"])
    exec("def generator_objective(*args, **kwargs):\n    raise NotImplementedError()\n", namespace)
    checks.check_g_step(namespace["g_step"])
    for name, args in (("lsgan_g_loss", (None,)), ("cycle_loss", (None,) * 4), ("generator_objective", ())):
        with pytest.raises(NotImplementedError):
            namespace[name](*args)

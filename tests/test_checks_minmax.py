"""The autograder checks of notebook 02: a correct answer passes, typical mistakes fail with a message that
says what to fix, and an answer that calls gancourse's reference (or torch's ready-made BCE where the formula is
the exercise) earns nothing."""
import pytest
import torch
import torch.nn.functional as F

import solutions_minmax as s
from autograder.checks import minmax as checks
from gancourse import losses, theory

CORRECT = [
    (checks.check_bce, s.bce),
    (checks.check_bce_with_logits, s.bce_with_logits),
    (checks.check_optimal_discriminator, s.optimal_discriminator),
    (checks.check_value_function, s.value_function),
    (checks.check_jsd, s.jsd),
    (checks.check_generator_losses, s.generator_losses),
    (checks.check_generator_gradients, s.generator_gradients),
]


@pytest.mark.parametrize("check,answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass(check, answer):
    check(answer)


CHECKS = [checks.check_bce, checks.check_bce_with_logits, checks.check_optimal_discriminator,
          checks.check_value_function, checks.check_jsd, checks.check_generator_losses,
          checks.check_generator_gradients]

# (check, wrong answer, the message that names its mistake). The answers under "wrong answers that pass the
# notebook's visible tests" in solutions_minmax.py pass the visible part of their exercise's test cell, so only the
# hidden check stands between them and full marks. The first answer of each check is one of those and needs no
# helper: tests/test_grading_isolation.py hands it in as a notebook's answer.
WRONG = [
    (checks.check_bce, s.bce_over_batch_size, r"len\(probs\), the size of the first dimension"),
    (checks.check_bce, s.naive_bce, r"0 · log 0 = 0"),
    (checks.check_bce, s.summed_bce, "take the mean"),
    (checks.check_bce, s.bce_hard_targets, "hard 0/1 labels"),
    (checks.check_bce, s.bce_python_floats, "carries no gradient"),
    (checks.check_bce, s.bce_mean_over_dim0, r"has shape \(4,\), expected a scalar"),
    (checks.check_bce, s.bce_len_check, r"compare the whole shapes \(probs.shape != targets.shape\)"),
    (checks.check_bce_with_logits, s.bce_with_logits_unsafe_where, "although the value is finite.*torch.where"),
    (checks.check_bce_with_logits, s.bce_via_sigmoid, "inf or nan"),
    (checks.check_bce_with_logits, s.bce_with_logits_no_shape_check, "raised RuntimeError, expected ValueError"),
    (checks.check_bce_with_logits, s.bce_with_logits_over_batch_size, r"len\(logits\), the size of the first"),
    (checks.check_bce_with_logits, s.bce_with_logits_len_check, r"compare the whole shapes \(logits.shape"),
    (checks.check_optimal_discriminator, s.naive_optimal_discriminator, "should be 1/2 there, not nan"),
    (checks.check_optimal_discriminator, s.swapped_optimal_discriminator, "probability that x is REAL"),
    (checks.check_optimal_discriminator, s.optimal_discriminator_eps, "1/2 where both densities are 0.*epsilon"),
    (checks.check_optimal_discriminator, s.optimal_discriminator_nan_to_num,
     "1/2 where both densities are 0.*nan_to_num"),
    (checks.check_optimal_discriminator, s.optimal_discriminator_where_p_data, "D\\* is 1 where only p_data"),
    (checks.check_optimal_discriminator, s.optimal_discriminator_len_check, r"compare the whole shapes \(p_data.shape"),
    (checks.check_value_function, s.value_function_half_guarded, r"0 · log 0 = 0"),
    (checks.check_value_function, s.riemann_value_function, "trapezoidal rule"),
    (checks.check_value_function, s.naive_value_function, r"0 · log 0 = 0"),
    (checks.check_value_function, s.value_function_even_grid, "evenly spaced grid points"),
    (checks.check_value_function, s.value_function_left_riemann, "Riemann sum.*trapezoidal rule"),
    (checks.check_jsd, s.jsd_even_grid, "evenly spaced grid points"),
    (checks.check_jsd, s.jsd_in_bits, "natural logarithm"),
    (checks.check_jsd, s.kl_instead_of_jsd, "mixture m"),
    (checks.check_jsd, s.naive_jsd, r"0 · log 0 = 0"),
    (checks.check_jsd, s.jsd_from_criterion, "only when p and q each integrate to 1"),
    (checks.check_jsd, s.jsd_normalized, "rescales p and q to integrate to 1"),
    (checks.check_generator_losses, s.generator_losses_clamped, "the loss is capped"),
    (checks.check_generator_losses, s.naive_generator_losses, "inf or nan"),
    (checks.check_generator_losses, s.swapped_generator_losses, "wrong order"),
    (checks.check_generator_losses, s.generator_losses_naive_saturating, "saturating loss .*inf or nan.*stable"),
    (checks.check_generator_losses, s.generator_losses_detached, "carries no gradient"),
    (checks.check_generator_losses, s.generator_losses_mean_dim0,
     r"shape \(4, 1\).*has shape \(1,\), expected a scalar"),
    (checks.check_generator_gradients, s.generator_gradients_overflow, "inf or nan.*numerically stable"),
    (checks.check_generator_gradients, s.mean_generator_gradients, "gradient of the batch mean"),
    (checks.check_generator_gradients, s.sign_flipped_generator_gradients, "wrong sign"),
    (checks.check_generator_gradients, s.generator_gradients_times_three, "times the per-sample derivative"),
    (checks.check_generator_gradients, s.generator_gradients_flattened,
     r"has shape \(4,\), expected one derivative per logit"),
]


@pytest.mark.parametrize("check,answer,message", WRONG, ids=[a.__name__ for _, a, _ in WRONG])
def test_wrong_answers_fail_with_a_helpful_message(check, answer, message):
    with pytest.raises(AssertionError, match=message):
        check(answer)


REFERENCE_CALLS = [
    (checks.check_bce, theory.binary_cross_entropy),
    (checks.check_bce, s.torch_bce),
    (checks.check_bce_with_logits, theory.binary_cross_entropy_with_logits),
    (checks.check_bce_with_logits, s.torch_bce_with_logits),
    (checks.check_bce_with_logits, lambda l, y: F.binary_cross_entropy_with_logits(l, y)),
    (checks.check_bce_with_logits, lambda l, y: torch.binary_cross_entropy_with_logits(l, y, None, None, 1)),
    (checks.check_optimal_discriminator, lambda p, q: theory.optimal_discriminator(p, q)),
    (checks.check_value_function, theory.value_function),
    (checks.check_jsd, theory.js_divergence),
    (checks.check_jsd, lambda p, q, x: 0.5 * (theory.kl_divergence(p, (p + q) / 2, x)
                                              + theory.kl_divergence(q, (p + q) / 2, x))),
    (checks.check_generator_losses, theory.generator_losses),
    (checks.check_generator_losses, lambda l: (losses.generator_loss(l, False), losses.generator_loss(l, True))),
    (checks.check_generator_gradients, theory.generator_gradients),
]


@pytest.mark.parametrize("check,answer", REFERENCE_CALLS)
def test_calling_the_reference_earns_no_credit_and_everything_is_restored(check, answer):
    with pytest.raises(AssertionError, match="no credit"):
        check(answer)
    logits, targets = torch.tensor([0.5, -2.0]), torch.tensor([1.0, 0.0])
    expected = F.softplus(logits) - targets * logits
    assert torch.allclose(F.binary_cross_entropy_with_logits(logits, targets), expected.mean())
    assert torch.allclose(torch.nn.BCELoss()(torch.sigmoid(logits), targets), expected.mean())
    assert torch.allclose(theory.binary_cross_entropy_with_logits(logits, targets), expected.mean())
    assert theory.js_divergence(torch.ones(3), torch.ones(3), torch.arange(3.0)).item() == 0


def test_a_broken_generator_losses_does_not_fail_generator_gradients():
    """Each exercise is graded alone: generator_gradients is checked with the reference losses lent to it."""
    namespace = {}
    exec("import torch\n"
         "def generator_losses(l):\n    raise NotImplementedError()\n"
         "def generator_gradients(l):\n"
         "    l = l.detach().clone().requires_grad_(True)\n"
         "    sat, ns = generator_losses(l)\n"
         "    n = l.numel()\n"
         "    g_sat, = torch.autograd.grad(sat * n, l)\n"
         "    g_ns, = torch.autograd.grad(ns * n, l)\n"
         "    return g_sat, g_ns\n", namespace)
    checks.check_generator_gradients(namespace["generator_gradients"])
    with pytest.raises(NotImplementedError):   # the student's own global is back afterwards
        namespace["generator_losses"](None)

"""The autograder checks of notebook 04: a correct answer passes, typical mistakes fail with a message that
says what to fix, and an answer that calls gancourse's reference earns nothing."""
import pytest
import torch

import solutions_conditional as s
from autograder.checks import conditional as checks
from gancourse import sampling
from gancourse.metrics import labels as label_metrics
from gancourse.training import conditional as training
from gancourse.models import conditional

CHECKS = [checks.check_one_hot, checks.check_generator_input, checks.check_discriminator_input, checks.check_d_step,
          checks.check_g_step, checks.check_class_accuracy]

CORRECT = [
    (checks.check_one_hot, s.one_hot),
    (checks.check_generator_input, s.generator_input),
    (checks.check_discriminator_input, s.discriminator_input),
    (checks.check_d_step, s.d_step),
    (checks.check_g_step, s.g_step),
    (checks.check_class_accuracy, s.class_accuracy),
]


@pytest.mark.parametrize("check,answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass(check, answer):
    check(answer)


# Each wrong answer passes the notebook's visible test, except one_hot_int, one_hot_no_check, one_hot_max_width,
# generator_input_swapped, discriminator_input_mnist_only, d_step_no_detach, d_step_ignores_wrong_labels and
# class_accuracy_stays_in_eval, which the visible test already rejects (kept: their hidden messages still matter).
WRONG = [
    (checks.check_one_hot, s.one_hot_int, "expected torch.float32"),
    (checks.check_one_hot, s.one_hot_no_check, "expected a ValueError"),
    (checks.check_one_hot, s.one_hot_max_width, "the width is n_classes"),
    (checks.check_one_hot, s.one_hot_negative_wraps, "expected a ValueError: labels below 0 are out of range"),
    (checks.check_one_hot, s.one_hot_width_from_labels, "the width is n_classes"),
    (checks.check_one_hot, s.one_hot_squeezed, "do not squeeze"),
    (checks.check_one_hot, s.one_hot_torch_rejects_negatives, "expected a ValueError: labels below 0 are out of range"),
    (checks.check_generator_input, s.generator_input_swapped, "expected the noise first"),
    (checks.check_generator_input, s.generator_input_no_grad, "no gradient reaches z"),
    (checks.check_generator_input, s.generator_input_width_from_labels, "n_classes columns whatever labels"),
    (checks.check_generator_input, s.generator_input_numpy, "not NumPy"),
    (checks.check_discriminator_input, s.discriminator_input_swapped, "expected the image first"),
    (checks.check_discriminator_input, s.discriminator_input_mnist_only, "take them from images.shape"),
    (checks.check_discriminator_input, s.discriminator_input_square, "take them from images.shape"),
    (checks.check_discriminator_input, s.discriminator_input_hw_swapped, "take them from images.shape"),
    (checks.check_discriminator_input, s.discriminator_input_no_grad, "no gradient reaches the images"),
    (checks.check_d_step, s.d_step_fakes_relabelled, "labels they were generated for"),
    (checks.check_d_step, s.d_step_no_detach, "detach the generated batch"),
    (checks.check_d_step, s.d_step_one_batch, "passed through D separately"),
    (checks.check_d_step, s.d_step_ignores_wrong_labels, "add a third term"),
    (checks.check_d_step, s.d_step_wrong_labels_as_real, "its target is 0, not 1"),
    (checks.check_d_step, s.d_step_no_zero_grad, "zero the old gradients"),
    (checks.check_d_step, s.d_step_wrong_labels_on_fakes, r"pairs the \*real\* images with the wrong labels"),
    (checks.check_d_step, s.d_step_real_counted_twice, "counts the real pairs a second time"),
    (checks.check_d_step, s.d_step_freezes_G, "left G's parameters frozen"),
    (checks.check_d_step, s.d_step_fakes_in_eval_mode, "produced with G in eval mode"),
    (checks.check_g_step, s.g_step_wrong_labels, "labels G was asked for"),
    (checks.check_g_step, s.g_step_no_zero_grad, "zero the old gradients"),
    (checks.check_g_step, s.g_step_saturating, "saturating form"),
    (checks.check_g_step, s.g_step_eval_D, "D judged the generated images in eval mode"),
    (checks.check_g_step, s.g_step_freezes_D, "left D's parameters frozen"),
    (checks.check_class_accuracy, s.class_accuracy_train_mode, r"call G.eval\(\)"),
    (checks.check_class_accuracy, s.class_accuracy_random_labels, "exactly per_class images of every class"),
    (checks.check_class_accuracy, s.class_accuracy_stays_in_eval, "left G in eval mode"),
    (checks.check_class_accuracy, s.class_accuracy_with_grad, "gradients enabled"),
    (checks.check_class_accuracy, s.class_accuracy_always_train, "switched a generator that was in eval mode"),
    (checks.check_class_accuracy, s.class_accuracy_uniform_noise, "standard normal noise"),
    (checks.check_class_accuracy, s.class_accuracy_fixed_latent, r"expected \(1600, G.latent_dim\)"),
    (checks.check_class_accuracy, s.class_accuracy_per_class_total, "exactly per_class images of every class"),
]


@pytest.mark.parametrize("check,answer,message", WRONG, ids=[a.__name__ for _, a, _ in WRONG])
def test_wrong_answers_fail_with_a_helpful_message(check, answer, message):
    with pytest.raises(AssertionError, match=message):
        check(answer)


REFERENCE_CALLS = [
    (checks.check_one_hot, conditional.one_hot),
    (checks.check_one_hot, lambda y, k: conditional.label_weights(y, k)),
    (checks.check_generator_input, conditional.generator_input),
    (checks.check_discriminator_input, conditional.discriminator_input),
    (checks.check_discriminator_input,
     lambda x, y, k: torch.cat([x, conditional.label_maps(conditional.one_hot(y, k), *x.shape[2:])], dim=1)),
    (checks.check_d_step, training.d_step),
    (checks.check_d_step, lambda D, G, x, y, z, opt, wrong_labels=None: training.d_step(D, G, x, y, z, opt, wrong_labels)),
    (checks.check_g_step, training.g_step),
    (checks.check_class_accuracy, label_metrics.class_accuracy),
    (checks.check_class_accuracy, lambda G, clf, per_class=100: float(
        (clf(sampling.generate(G, torch.arange(G.n_classes).repeat_interleave(per_class))).argmax(1)
         == torch.arange(G.n_classes).repeat_interleave(per_class)).float().mean())),
]


@pytest.mark.parametrize("check,answer", REFERENCE_CALLS)
def test_calling_the_reference_earns_no_credit_and_the_reference_is_restored(check, answer):
    with pytest.raises(AssertionError, match="no credit"):
        check(answer)
    assert conditional.one_hot(torch.tensor([1]), 3).tolist() == [[0.0, 1.0, 0.0]]
    assert training.sample_labels(4, 3).shape == (4,)


def test_a_broken_one_hot_does_not_fail_the_later_exercises():
    """Each exercise is graded alone: the conditioned inputs are checked with the reference one_hot lent to them."""
    namespace = {}
    exec("import torch\n"
         "def one_hot(labels, n_classes):\n    raise NotImplementedError()\n"
         "def generator_input(z, labels, n_classes):\n    return torch.cat([z, one_hot(labels, n_classes)], dim=1)\n"
         "def discriminator_input(x, labels, n_classes):\n"
         "    y = one_hot(labels, n_classes)[:, :, None, None].expand(-1, -1, *x.shape[2:])\n"
         "    return torch.cat([x, y], dim=1)\n", namespace)
    checks.check_generator_input(namespace["generator_input"])
    checks.check_discriminator_input(namespace["discriminator_input"])
    with pytest.raises(NotImplementedError):   # the student's own global is back afterwards
        namespace["one_hot"](None, None)

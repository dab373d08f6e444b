"""The autograder checks of notebook 01: a correct answer passes, typical mistakes fail with a message that
says what to fix, and an answer that calls gancourse's reference earns nothing."""
import pytest

import solutions_intro as s
from autograder.checks import intro as checks
from gancourse import losses, sampling, training
from gancourse.models import MLPGenerator

CHECKS = [checks.check_sample_noise, checks.check_generator, checks.check_discriminator,
          checks.check_discriminator_loss, checks.check_generator_loss, checks.check_d_step, checks.check_g_step]

CORRECT = [
    (checks.check_sample_noise, s.sample_noise),
    (checks.check_generator, s.Generator),
    (checks.check_discriminator, s.Discriminator),
    (checks.check_discriminator_loss, s.discriminator_loss),
    (checks.check_generator_loss, s.generator_loss),
    (checks.check_d_step, s.d_step),
    (checks.check_g_step, s.g_step),
]


@pytest.mark.parametrize("check,answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass(check, answer):
    check(answer)


WRONG = [
    (checks.check_sample_noise, s.noise_uniform, "use torch.randn"),
    (checks.check_sample_noise, s.noise_checks_batch_size_only,
     r"sample_noise\(4, -1\) raised RuntimeError, expected ValueError: check both sizes"),
    (checks.check_sample_noise, s.noise_fixed_generator, "two calls in a row returned the same noise"),
    (checks.check_sample_noise, s.noise_numpy, "draw it with torch's random generator"),
    (checks.check_generator, s.SigmoidGenerator, "differs from the expected values"),
    (checks.check_generator, s.GeneratorSigmoidRescaled, "the output layer is not Tanh"),
    (checks.check_generator, s.GeneratorDefaultSlope, r"default slope 0.01: use nn.LeakyReLU\(0.2\)"),
    (checks.check_generator, s.GeneratorBatchNormAfterActivation, "BatchNorm1d comes after the LeakyReLU"),
    (checks.check_generator, s.GeneratorFixedLatent, "sized for latent_dim=64"),
    (checks.check_discriminator, s.ProbDiscriminator, "returns probabilities"),
    (checks.check_discriminator, s.DiscriminatorReLU, r"use ReLU: use nn.LeakyReLU\(0.2\)"),
    (checks.check_discriminator, s.DiscriminatorSqueezeAll, r"squeeze only the last dimension"),
    (checks.check_discriminator, s.DiscriminatorFixedHidden, "sized for hidden_dim=256"),
    (checks.check_discriminator_loss, s.naive_discriminator_loss, "numerically stable"),
    (checks.check_discriminator_loss, s.summed_discriminator_loss, "take the mean"),
    (checks.check_discriminator_loss, s.probability_discriminator_loss, "cross-entropy of sigmoid probabilities"),
    (checks.check_discriminator_loss, s.detached_fake_discriminator_loss,
     r"no gradient reaches input 1 \(fake_logits\)"),
    (checks.check_discriminator_loss, s.pooled_discriminator_loss,
     "averaged over the real and generated logits together"),
    (checks.check_discriminator_loss, s.mean_logit_discriminator_loss,
     "discriminator_loss on random logits differs from the expected values"),
    (checks.check_generator_loss, s.swapped_generator_loss, "saturating form"),
    (checks.check_generator_loss, s.log_d_saturating_generator_loss, "minus the non-saturating loss"),
    (checks.check_generator_loss, s.probability_generator_loss, "cross-entropy of sigmoid probabilities"),
    (checks.check_generator_loss, s.mean_logit_generator_loss, "applied the loss to the mean logit"),
    (checks.check_generator_loss, s.clamped_generator_loss, "a probability clamped"),
    (checks.check_d_step, s.d_step_no_detach, "detach the generated batch"),
    (checks.check_d_step, s.d_step_no_zero_grad, "zero the old gradients"),
    (checks.check_d_step, s.d_step_detached_logits, "D learned nothing from the generated batch"),
    (checks.check_d_step, s.d_step_swapped, "logits are swapped"),
    (checks.check_d_step, s.d_step_eval_generator, "left G in eval mode"),
    (checks.check_g_step, s.g_step_returns_tensor, r"return loss.item\(\)"),
    (checks.check_g_step, s.g_step_no_zero_grad, r"zero the old gradients \(opt_G.zero_grad\(\)\)"),
    (checks.check_g_step, s.g_step_zero_grad_on_D, r"zero the old gradients \(opt_G.zero_grad\(\)\)"),
    (checks.check_g_step, s.g_step_ignores_flag, "ignores non_saturating=False"),
    (checks.check_g_step, s.g_step_default_saturating, "the default must be non_saturating=True"),
]


@pytest.mark.parametrize("check,answer,message", WRONG, ids=[a.__name__ for _, a, _ in WRONG])
def test_wrong_answers_fail_with_a_helpful_message(check, answer, message):
    with pytest.raises(AssertionError, match=message):
        check(answer)


REFERENCE_CALLS = [
    (checks.check_sample_noise, lambda b, d: sampling.sample_noise(b, d)),
    (checks.check_discriminator_loss, losses.discriminator_loss),
    (checks.check_discriminator_loss, lambda r, f: losses.bce_with_logits(r, 1.0) + losses.bce_with_logits(f, 0.0)),
    (checks.check_generator_loss, lambda f, non_saturating=True: losses.generator_loss(f, non_saturating)),
    (checks.check_d_step, training.d_step),
    (checks.check_g_step, lambda D, G, z, opt, non_saturating=True: training.g_step(D, G, z, opt, non_saturating)),
    (checks.check_generator, MLPGenerator),
]


@pytest.mark.parametrize("check,answer", REFERENCE_CALLS)
def test_calling_the_reference_earns_no_credit_and_the_reference_is_restored(check, answer):
    with pytest.raises(AssertionError, match="no credit"):
        check(answer)
    # the guard put the reference code back
    import torch
    assert losses.discriminator_loss(torch.zeros(2), torch.zeros(2)).item() > 0
    assert sampling.sample_noise(2, 3).shape == (2, 3)


def test_wrapping_the_reference_module_earns_no_credit():
    from torch import nn

    class Wrapper(nn.Module):
        def __init__(self, latent_dim=64, hidden_dim=256):
            super().__init__()
            self.inner = MLPGenerator(latent_dim, hidden_dim)

        def forward(self, z):
            return self.inner(z)

    with pytest.raises(AssertionError, match="no credit"):
        checks.check_generator(Wrapper)


def test_a_broken_discriminator_loss_does_not_fail_d_step():
    """Each exercise is graded alone: d_step is checked with the reference loss lent to it."""
    namespace = {}
    exec("import torch\n"
         "def discriminator_loss(r, f):\n    raise NotImplementedError()\n"
         "def d_step(D, G, real, noise, opt_D):\n"
         "    opt_D.zero_grad()\n"
         "    loss = discriminator_loss(D(real), D(G(noise).detach()))\n"
         "    loss.backward(); opt_D.step()\n    return loss.item()\n", namespace)
    checks.check_d_step(namespace["d_step"])
    with pytest.raises(NotImplementedError):   # the student's own global is back afterwards
        namespace["discriminator_loss"](None, None)

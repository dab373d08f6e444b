"""The autograder checks of notebook 03: a correct answer passes, typical mistakes fail with a message that
says what to fix, and an answer that calls gancourse's reference earns nothing."""
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn

import solutions_dcgan as s
from autograder.checks import dcgan as checks
from gancourse import training
from gancourse.exercises import exercise
from gancourse.models import dcgan
from notebook_tools import grade_id

CHECKS = [checks.check_up_block, checks.check_down_block, checks.check_dcgan_init, checks.check_generator,
          checks.check_discriminator, checks.check_train_step]

CORRECT = [
    (checks.check_up_block, s.up_block),
    (checks.check_down_block, s.down_block),
    (checks.check_dcgan_init, s.dcgan_init),
    (checks.check_generator, s.Generator),
    (checks.check_discriminator, s.Discriminator),
    (checks.check_train_step, s.train_step),
]


@pytest.mark.parametrize("check,answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_answers_pass(check, answer):
    check(answer)


WRONG = [
    (checks.check_up_block, s.up_block_with_bias, "no bias"),
    (checks.check_up_block, s.up_block_upsample, "nn.ConvTranspose2d"),
    (checks.check_up_block, s.up_block_fixed_kernel, "pass kernel_size, stride and padding on"),
    (checks.check_down_block, s.down_block_pooling, "no pooling"),
    (checks.check_down_block, s.down_block_relu_slope, "negative_slope=0.01, expected 0.2"),
    (checks.check_down_block, s.down_block_always_bn, "batch_norm=False the block has no batch norm"),
    (checks.check_dcgan_init, s.init_conv2d_only, "left the ConvTranspose2d weights .* check for both"),
    (checks.check_dcgan_init, s.init_bn_like_conv, r"expected N\(1, 0.02\)"),
    (checks.check_dcgan_init, s.init_uniform, "not a uniform one"),
    (checks.check_generator, s.GeneratorNoInit, r"self.apply\(dcgan_init\)"),
    (checks.check_generator, s.GeneratorSigmoid, "not Sigmoid"),
    (checks.check_generator, s.GeneratorWrongOrder, "parameters, expected"),
    (checks.check_discriminator, s.DiscriminatorAllBatchNorm, "first block"),
    (checks.check_discriminator, s.DiscriminatorSigmoid, "returns probabilities"),
    (checks.check_train_step, s.train_step_no_detach, r"fake.detach\(\)"),
    (checks.check_train_step, s.train_step_stale_d, "after opt_D.step"),
    (checks.check_train_step, s.train_step_no_zero_grad_G, r"opt_G.zero_grad\(\)"),
    (checks.check_train_step, s.train_step_logits, "probabilities, not logits"),
    (checks.check_train_step, s.train_step_tensors, r"expected a Python float"),
    # wrong answers that pass the notebook's visible tests (VISIBLE_PASSES below)
    (checks.check_up_block, s.up_block_bn_eps, r"eps=0.8, expected the default"),
    (checks.check_up_block, s.up_block_keras_momentum, r"momentum=0.9, expected PyTorch's default 0.1"),
    (checks.check_up_block, s.up_block_instance_norm, r"nn.BatchNorm2d\(out_channels\)"),
    (checks.check_up_block, s.up_block_dropout, "no dropout"),
    (checks.check_down_block, s.down_block_bn_eps, r"eps=0.8, expected the default"),
    (checks.check_down_block, s.down_block_activation_first, "batch norm before the activation"),
    (checks.check_down_block, s.down_block_dropout, "no dropout"),
    (checks.check_dcgan_init, s.init_bn_ones, r"expected N\(1, 0.02\)"),
    (checks.check_dcgan_init, s.init_numpy, "torch's generator"),
    (checks.check_generator, s.GeneratorNoTanh, "output layer is Tanh"),
    (checks.check_generator, s.GeneratorInitFirst, r"self.apply\(dcgan_init\)"),
    (checks.check_generator, s.GeneratorFixedLatent, "do not hard-code"),
    (checks.check_discriminator, s.DiscriminatorSqueeze, "batch of one"),
    (checks.check_discriminator, s.DiscriminatorNoInit, r"self.apply\(dcgan_init\)"),
    (checks.check_discriminator, s.DiscriminatorDropout, "no dropout"),
    (checks.check_train_step, s.train_step_no_zero_grad_D, r"opt_D.zero_grad\(\)"),
    (checks.check_train_step, s.train_step_probs_after_update, "before its update"),
    (checks.check_train_step, s.train_step_swapped_d_loss, "arguments of discriminator_loss are swapped"),
    (checks.check_train_step, s.train_step_fresh_noise_for_G, "counted 2 forward passes"),
    (checks.check_train_step, s.train_step_G_first, r"with the \*updated\* D"),
    (checks.check_generator, s.GeneratorNoGrad, r"does not require grad; do not use torch.no_grad\(\)"),
    (checks.check_discriminator, s.DiscriminatorFinalActivation, "output is the logit: remove the LeakyReLU"),
    (checks.check_train_step, s.train_step_retain_graph, r"D's loss reached G .* use D\(fake.detach\(\)\)"),
]


@pytest.mark.parametrize("check,answer,message", WRONG, ids=[a.__name__ for _, a, _ in WRONG])
def test_wrong_answers_fail_with_a_helpful_message(check, answer, message):
    with pytest.raises(AssertionError, match=message):
        check(answer)


# The wrong answers above that a student could hand in believing them right: the notebook's visible test passes.
VISIBLE_PASSES = {
    "up_block": [s.up_block_bn_eps, s.up_block_keras_momentum, s.up_block_instance_norm, s.up_block_dropout],
    "down_block": [s.down_block_relu_slope, s.down_block_bn_eps, s.down_block_activation_first, s.down_block_dropout],
    "dcgan_init": [s.init_bn_like_conv, s.init_uniform, s.init_bn_ones, s.init_numpy],
    "Generator": [s.GeneratorNoInit, s.GeneratorSigmoid, s.GeneratorNoTanh, s.GeneratorInitFirst,
                  s.GeneratorFixedLatent, s.GeneratorNoGrad],
    "Discriminator": [s.DiscriminatorSigmoid, s.DiscriminatorSqueeze, s.DiscriminatorNoInit, s.DiscriminatorDropout,
                      s.DiscriminatorFinalActivation],
    "train_step": [s.train_step_no_zero_grad_G, s.train_step_no_zero_grad_D, s.train_step_probs_after_update,
                   s.train_step_swapped_d_loss, s.train_step_fresh_noise_for_G, s.train_step_G_first,
                   s.train_step_retain_graph],
}
_TEST_CELLS = {"up_block": "up_block_tests", "down_block": "down_block_tests", "dcgan_init": "dcgan_init_tests",
               "Generator": "generator_tests", "Discriminator": "discriminator_tests", "train_step": "train_step_tests"}


def _visible_test(name: str) -> str:
    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "03_dcgan.ipynb", as_version=4)
    cell = next(c for c in nb.cells if grade_id(c) == _TEST_CELLS[name])
    return cell.source.split("### BEGIN HIDDEN TESTS")[0]


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in VISIBLE_PASSES.items() for a in answers],
                         ids=[a.__name__ for answers in VISIBLE_PASSES.values() for a in answers])
def test_these_wrong_answers_pass_the_visible_test_and_fail_the_check(name, answer):
    namespace = {"torch": torch, "nn": nn, "dcgan": dcgan, "exercise": exercise, "DCGANGenerator": dcgan.DCGANGenerator,
                 "DCGANDiscriminator": dcgan.DCGANDiscriminator, "up_block": s.up_block, "down_block": s.down_block,
                 "dcgan_init": s.dcgan_init, name: answer}
    torch.manual_seed(0)
    exec(_visible_test(name), namespace)  # noqa: S102 — the notebook's own test cell
    assert any(a is answer for _, a, _ in WRONG), f"{answer.__name__} is not in WRONG"


REFERENCE_CALLS = [
    (checks.check_up_block, dcgan.up_block),
    (checks.check_down_block, lambda i, o, batch_norm=True: dcgan.down_block(i, o, batch_norm)),
    (checks.check_dcgan_init, dcgan.dcgan_init),
    (checks.check_dcgan_init, lambda m: dcgan.dcgan_init(m)),
    (checks.check_generator, dcgan.DCGANGenerator),
    (checks.check_discriminator, dcgan.DCGANDiscriminator),
    (checks.check_train_step, lambda G, D, real, noise, opt_G, opt_D: {
        "loss_D": training.d_step(D, G, real, noise, opt_D), "loss_G": training.g_step(D, G, noise, opt_G),
        "D_real": 0.5, "D_fake": 0.5}),
]


@pytest.mark.parametrize("check,answer", REFERENCE_CALLS)
def test_calling_the_reference_earns_no_credit_and_the_reference_is_restored(check, answer):
    with pytest.raises(AssertionError, match="no credit"):
        check(answer)
    # the guards put the reference code back
    assert dcgan.DCGANGenerator(8, 4)(torch.randn(2, 8)).shape == (2, 1, 28, 28)
    assert dcgan.up_block(2, 3)(torch.randn(2, 2, 7, 7)).shape == (2, 3, 14, 14)


def test_wrapping_or_subclassing_the_reference_model_earns_no_credit():
    from torch import nn

    class Wrapper(nn.Module):
        def __init__(self, latent_dim=64, ngf=32):
            super().__init__()
            self.inner = dcgan.DCGANGenerator(latent_dim, ngf)

        def forward(self, z):
            return self.inner(z)

    class Subclass(dcgan.DCGANDiscriminator):
        pass

    with pytest.raises(AssertionError, match="no credit"):
        checks.check_generator(Wrapper)
    with pytest.raises(AssertionError, match="no credit"):
        checks.check_discriminator(Subclass)


def test_models_are_graded_with_the_reference_blocks_lent_to_them():
    """A broken up_block / down_block / dcgan_init in the notebook does not cost the model exercises their points."""
    namespace = {}
    exec("import torch\nfrom torch import nn\n"
         "def up_block(*a, **k):\n    raise NotImplementedError()\n"
         "def down_block(*a, **k):\n    raise NotImplementedError()\n"
         "def dcgan_init(m):\n    raise NotImplementedError()\n"
         "class Generator(nn.Module):\n"
         "    def __init__(self, latent_dim=64, ngf=32):\n"
         "        super().__init__()\n"
         "        self.net = nn.Sequential(up_block(latent_dim, 4 * ngf, 7, 1, 0), up_block(4 * ngf, 2 * ngf),\n"
         "                                 nn.ConvTranspose2d(2 * ngf, 1, 4, 2, 1), nn.Tanh())\n"
         "        self.apply(dcgan_init)\n"
         "    def forward(self, z):\n        return self.net(z[:, :, None, None])\n"
         "class Discriminator(nn.Module):\n"
         "    def __init__(self, ndf=32):\n"
         "        super().__init__()\n"
         "        self.net = nn.Sequential(down_block(1, ndf, batch_norm=False), down_block(ndf, 2 * ndf),\n"
         "                                 nn.Conv2d(2 * ndf, 1, 7, 1, 0))\n"
         "        self.apply(dcgan_init)\n"
         "    def forward(self, x):\n        return self.net(x).flatten()\n", namespace)
    checks.check_generator(namespace["Generator"])
    checks.check_discriminator(namespace["Discriminator"])
    with pytest.raises(NotImplementedError):      # the student's own globals are back afterwards
        namespace["up_block"](1, 2)


def test_a_broken_loss_in_the_notebook_does_not_fail_train_step():
    namespace = {}
    exec("import torch\n"
         "def discriminator_loss(r, f):\n    raise NotImplementedError()\n"
         "def generator_loss(f):\n    raise NotImplementedError()\n", namespace)
    source = ("def train_step(G, D, real, noise, opt_G, opt_D):\n"
              "    fake = G(noise)\n"
              "    opt_D.zero_grad()\n"
              "    r, f = D(real), D(fake.detach())\n"
              "    loss_D = discriminator_loss(r, f)\n"
              "    loss_D.backward(); opt_D.step()\n"
              "    opt_G.zero_grad()\n"
              "    loss_G = generator_loss(D(fake))\n"
              "    loss_G.backward(); opt_G.step()\n"
              "    return {'loss_D': loss_D.item(), 'loss_G': loss_G.item(),\n"
              "            'D_real': torch.sigmoid(r).mean().item(), 'D_fake': torch.sigmoid(f).mean().item()}\n")
    exec(source, namespace)
    checks.check_train_step(namespace["train_step"])

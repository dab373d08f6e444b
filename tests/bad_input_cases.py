"""Every public callable of gancourse, one valid call of each, and what a careless user's bad arguments must give.

Shared by ``tests/test_bad_input.py`` (one test per callable × parameter × bad value) and
``benchmarks/bad_input_report.py`` (the score: "N calls, P % clear").

* ``discover()`` walks every public module of the package (``pkgutil.walk_packages``) and returns the public
  functions and classes *defined* there, and the public methods of those classes (a model's ``forward`` is
  called through the instance, so that its hooks run), by qualified name.
* ``REGISTRY`` maps each qualified name to a factory ``make() -> (target, arguments)``: the callable to call and
  the arguments of one call that works (tiny models, seeded tensors, paths under the current folder, which the
  caller makes a temporary one). Parameters left out take their defaults.
* ``bad_values(valid)`` are the careless user's arguments: None, a string, 0, -1, 1.5, NaN, an empty tensor, a
  tensor of the wrong shape, float64 where a float32 tensor is expected, and an empty list.
* ``attempt(name, parameter, bad)`` replaces that one argument and calls. It passes if the call raises a
  ValueError or TypeError (or an exception class the docstring names, such as ``FileNotFoundError``) whose
  message names the parameter, or returns normally where ``ALLOWED`` says why that result is meaningful.
* ``SKIP`` lists the few callables that cannot take bad input meaningfully, each with its reason; ``PENDING`` the
  cases of ``gancourse/training/`` that fail until the fix written beside each is applied there.
* ``sandbox(folder)`` runs attempts in a temporary folder, offline, on one thread, and restores the random states.
"""
from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

import gancourse


# ---- discovery ----------------------------------------------------------------------------------------------------
def public_modules() -> list:
    """gancourse and every public module below it (no name part with a leading underscore)."""
    names = [info.name for info in pkgutil.walk_packages(gancourse.__path__, "gancourse.")]
    return [gancourse] + [importlib.import_module(n) for n in names
                          if not any(part.startswith("_") for part in n.split("."))]


def _function_of(member) -> Callable | None:
    if isinstance(member, (classmethod, staticmethod)):
        return member.__func__
    return member if inspect.isfunction(member) else None


def discover() -> dict[str, Callable]:
    """Qualified name → the function (for a class: the class; for a method: the function in the class body)."""
    found: dict[str, Callable] = {}
    for module in public_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                found[f"{module.__name__}.{name}"] = obj
            elif inspect.isclass(obj):
                found[f"{module.__name__}.{name}"] = obj
                for attr, member in vars(obj).items():
                    fn = _function_of(member)
                    if fn is not None and (not attr.startswith("_") or attr == "forward"):
                        found[f"{module.__name__}.{name}.{attr}"] = fn
    return dict(sorted(found.items()))


def parameters(obj: Callable) -> list[inspect.Parameter]:
    """The parameters a caller gives (no ``self``/``cls``, no ``**kwargs``)."""
    params = list(inspect.signature(obj).parameters.values())
    if not inspect.isclass(obj) and params and params[0].name in ("self", "cls"):
        params = params[1:]
    return [p for p in params if p.kind is not p.VAR_KEYWORD]


# ---- tiny valid arguments -----------------------------------------------------------------------------------------
def _seeded(*shape, low=-1.0, high=1.0, seed=0) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * (high - low) + low


def images(n: int = 2) -> torch.Tensor:
    return _seeded(n, 1, 28, 28)                                          # (n, 1, 28, 28) in [-1, 1]


def mlp_G():
    from gancourse.models import MLPGenerator
    torch.manual_seed(0)
    return MLPGenerator(4, 8)


def mlp_D():
    from gancourse.models import MLPDiscriminator
    torch.manual_seed(0)
    return MLPDiscriminator(8)


def dc_G():
    from gancourse.models import DCGANGenerator
    torch.manual_seed(0)
    return DCGANGenerator(latent_dim=4, ngf=4)


def dc_D():
    from gancourse.models import DCGANDiscriminator
    torch.manual_seed(0)
    return DCGANDiscriminator(ndf=4)


def c_G():
    from gancourse.models import ConditionalGenerator
    torch.manual_seed(0)
    return ConditionalGenerator(latent_dim=4, n_classes=3, ngf=4)


def c_D():
    from gancourse.models import ConditionalDiscriminator
    torch.manual_seed(0)
    return ConditionalDiscriminator(ndf=4, n_classes=3)


def classifier():
    from gancourse.metrics import SmallClassifier
    torch.manual_seed(0)
    return SmallClassifier()


def grid(n: int = 41) -> torch.Tensor:
    return torch.linspace(-4, 4, n, dtype=torch.float64)


def history():
    """A History as a short run leaves it: 3 steps, sample points at 0 and 3 with images, and a class accuracy."""
    from gancourse.training import History
    return History(step=[1, 2, 3], logs={"loss_D": [1.4, 1.3, 1.2], "loss_G": [0.7, 0.8, 0.9]},
                   sample_steps=[0, 3], point_seconds=[0.0, 0.5],
                   points={"D_real": [0.5, 0.6], "D_fake": [0.5, 0.4], "accuracy": [0.1, 0.4]},
                   samples=[images(2), images(2)], seconds=0.5, images_seen=12)


def loader(n: int = 4, batch_size: int = 2, labelled: bool = False):
    x = images(n)
    if labelled:
        return [(x[i:i + batch_size], torch.arange(i, i + batch_size) % 3) for i in range(0, n, batch_size)]
    return [x[i:i + batch_size] for i in range(0, n, batch_size)]


def opt(module: nn.Module):
    return torch.optim.Adam(module.parameters(), lr=1e-3)


def checkpoint_file(name: str = "ckpt.pt") -> Path:
    """A checkpoint of ``mlp_G()`` and ``mlp_D()`` written by ``save_checkpoint`` under the current folder."""
    from gancourse.training import save_checkpoint
    path = Path(name).resolve()
    if not path.is_file():
        save_checkpoint(path, mlp_G(), mlp_D(), config={"latent_dim": 4})
    return path


def _enter(context_manager: Callable) -> Callable:
    """A function that builds the context manager and enters it (its arguments are checked on entry)."""
    def call(*args, **kwargs):
        with context_manager(*args, **kwargs):
            pass
    return call


def _gan(**kw):
    from gancourse.training import GAN
    G, D = mlp_G(), mlp_D()
    family = GAN(G, D, n_samples=2, **kw)
    family.setup(torch.device("cpu"), torch.Generator().manual_seed(0))
    return family


def _cgan(**kw):
    from gancourse.training.conditional import ConditionalGAN
    family = ConditionalGAN(c_G(), c_D(), n_columns=2, **kw)
    family.setup(torch.device("cpu"), torch.Generator().manual_seed(0))
    return family


def _dfit():
    from gancourse.models import Discriminator1D, Generator1D
    from gancourse.training.discriminator import DiscriminatorFit
    torch.manual_seed(0)
    family = DiscriminatorFit(Discriminator1D(4), Generator1D(1, 4), steps=2)
    family.setup(torch.device("cpu"), torch.Generator().manual_seed(0))
    return family


def _minmax():
    from gancourse.data.toy import Gaussian
    from gancourse.viz.minmax_explorer import MinMaxExplorer
    return MinMaxExplorer(Gaussian(0.0, 1.0), grid(), mean_range=(-2.0, 2.0))


def _explorer():
    from gancourse.viz.class_explorer import ClassExplorer
    return ClassExplorer(c_G(), ["a", "b", "c"], walk_steps=3)


def _rng():
    return torch.Generator().manual_seed(0)


# ---- the registry: one valid call per public callable -------------------------------------------------------------
# name → make() returning (target, {parameter: valid value}); parameters not given take their defaults.
def _registry() -> dict[str, Callable[[], tuple[Callable, dict[str, Any]]]]:
    from gancourse import device, exercises, losses, sampling, theory
    from gancourse.data import images as data_images
    from gancourse.data import toy
    from gancourse.metrics import classifier as clf, fid, labels
    from gancourse.data import domains
    from gancourse.metrics import translation
    from gancourse.models import conditional as mc, dcgan, mlp, toy as mtoy
    from gancourse.training import checkpoints, conditional as tc, discriminator as td, gan, history as th, loop
    from gancourse.viz import class_explorer as ce, minmax_explorer as mm, plots

    two = lambda: torch.tensor([0, 1])                                                  # noqa: E731
    z = lambda n=2, d=4: _seeded(n, d, seed=1)                                          # noqa: E731
    R: dict[str, Callable] = {
        # data.images
        "gancourse.data.images.ImageDataset": lambda: (data_images.ImageDataset, dict(
            images=images(2), labels=two(), name="mnist", split="train", source="embedded")),
        "gancourse.data.images.canonical_name": lambda: (data_images.canonical_name, dict(name="mnist")),
        "gancourse.data.images.class_names": lambda: (data_images.class_names, dict(name="fashion_mnist")),
        "gancourse.data.images.load_images": lambda: (data_images.load_images, dict(
            name="mnist", root=Path("data").resolve(), download=False, limit=8, batch_size=4)),
        # data.domains
        "gancourse.data.domains.UnpairedLoader": lambda: (domains.UnpairedLoader, dict(
            x_images=images(4), y_images=_seeded(3, 1, 28, 28, seed=5), batch_size=2, generator=_rng())),
        "gancourse.data.domains.domain_index": lambda: (domains.domain_index, dict(name="printed")),
        "gancourse.data.domains.load_domain": lambda: (domains.load_domain, dict(name="printed", split="test", limit=4)),
        "gancourse.data.domains.unpaired_loader": lambda: (domains.unpaired_loader, dict(
            x_name="handwritten", y_name="printed", split="test", batch_size=2, limit=4, generator=_rng())),
        # data.toy
        "gancourse.data.toy.Gaussian": lambda: (toy.Gaussian, dict(mean=0.0, std=1.0)),
        "gancourse.data.toy.Gaussian.pdf": lambda: (toy.Gaussian(0.0, 1.0).pdf, dict(x=grid(5).float())),
        "gancourse.data.toy.Gaussian.sample": lambda: (toy.Gaussian(0.0, 1.0).sample, dict(n=4, generator=_rng())),
        "gancourse.data.toy.Mixture": lambda: (toy.Mixture, dict(
            components=[toy.Gaussian(-1.0, 0.5), toy.Gaussian(1.0, 0.5)], weights=[1.0, 3.0])),
        "gancourse.data.toy.Mixture.pdf": lambda: (
            toy.Mixture([toy.Gaussian(-1.0, 0.5), toy.Gaussian(1.0, 0.5)]).pdf, dict(x=grid(5).float())),
        "gancourse.data.toy.Mixture.sample": lambda: (
            toy.Mixture([toy.Gaussian(-1.0, 0.5), toy.Gaussian(1.0, 0.5)]).sample, dict(n=4, generator=_rng())),
        "gancourse.data.toy.SampleStream": lambda: (toy.SampleStream, dict(
            density=toy.Gaussian(0.0, 1.0), batch_size=8, seed=0)),
        # device
        "gancourse.device.budget": lambda: (device.budget, dict(default=10, quick=2)),
        "gancourse.device.get_device": lambda: (device.get_device, dict(prefer="cpu")),
        "gancourse.device.seed_everything": lambda: (device.seed_everything, dict(seed=0)),
        # exercises
        "gancourse.exercises.exercise": lambda: (_enter(exercises.exercise), dict(name="d_step")),
        "gancourse.exercises.answer_or_reference": lambda: (exercises.answer_or_reference, dict(
            answer=torch.zeros, reference=torch.ones, name="zeros")),
        # losses
        "gancourse.losses.bce_with_logits": lambda: (losses.bce_with_logits, dict(logits=_seeded(3), target=1.0)),
        "gancourse.losses.discriminator_loss": lambda: (losses.discriminator_loss, dict(
            real_logits=_seeded(3), fake_logits=_seeded(3, seed=1))),
        "gancourse.losses.generator_loss": lambda: (losses.generator_loss, dict(fake_logits=_seeded(3))),
        "gancourse.losses.hinge_discriminator_loss": lambda: (losses.hinge_discriminator_loss, dict(
            real_logits=_seeded(3), fake_logits=_seeded(3, seed=1))),
        "gancourse.losses.hinge_generator_loss": lambda: (losses.hinge_generator_loss, dict(fake_logits=_seeded(3))),
        # metrics
        "gancourse.metrics.classifier.SmallClassifier": lambda: (clf.SmallClassifier, dict(n_classes=10)),
        "gancourse.metrics.classifier.SmallClassifier.features": lambda: (classifier().features, dict(x=images(2))),
        "gancourse.metrics.classifier.SmallClassifier.forward": lambda: (classifier(), dict(x=images(2))),
        "gancourse.metrics.classifier.accuracy": lambda: (clf.accuracy, dict(
            classifier=classifier(), images=images(2), labels=two())),
        "gancourse.metrics.classifier.classifier_path": lambda: (clf.classifier_path, dict(name="mnist")),
        "gancourse.metrics.classifier.load_classifier": lambda: (clf.load_classifier, dict(name="mnist", device="cpu")),
        "gancourse.metrics.classifier.predict": lambda: (clf.predict, dict(
            classifier=classifier(), images=images(3), batch_size=2)),
        "gancourse.metrics.classifier.sample_report": lambda: (clf.sample_report, dict(
            classifier=classifier(), images=images(3), confident=0.9)),
        "gancourse.metrics.fid.classifier_features": lambda: (fid.classifier_features, dict(
            images=images(3), classifier=classifier(), batch_size=2)),
        "gancourse.metrics.fid.classifier_fid": lambda: (fid.classifier_fid, dict(
            images_a=images(3), images_b=_seeded(3, 1, 28, 28, seed=5), name=classifier())),
        "gancourse.metrics.fid.evaluate_generator": lambda: (fid.evaluate_generator, dict(
            generator=dc_G(), name="mnist", n=4, seed=0)),
        "gancourse.metrics.fid.feature_statistics": lambda: (fid.feature_statistics, dict(features=_seeded(5, 3))),
        "gancourse.metrics.fid.frechet_distance": lambda: (fid.frechet_distance, dict(
            mu_a=torch.zeros(2), sigma_a=torch.eye(2), mu_b=torch.ones(2), sigma_b=2 * torch.eye(2))),
        "gancourse.metrics.labels.class_accuracy": lambda: (labels.class_accuracy, dict(
            G=c_G(), classifier=classifier(), per_class=2, seed=0, per_class_result=False)),
        # metrics.translation
        "gancourse.metrics.translation.content_kept": lambda: (translation.content_kept, dict(
            translated=images(3), source_labels=torch.tensor([0, 1, 2]), digit_classifier=classifier())),
        "gancourse.metrics.translation.cycle_error": lambda: (translation.cycle_error, dict(
            G=nn.Identity(), F=nn.Identity(), x=images(3), batch_size=2)),
        "gancourse.metrics.translation.domain_reached": lambda: (translation.domain_reached, dict(
            translated=images(3), target_domain=1, domain_classifier=classifier())),
        "gancourse.metrics.translation.load_translation_classifiers": lambda: (
            translation.load_translation_classifiers, dict(device="cpu")),
        "gancourse.metrics.translation.translation_fd": lambda: (translation.translation_fd, dict(
            translated=images(3), real_target=_seeded(3, 1, 28, 28, seed=5), digit_classifier=classifier())),
        "gancourse.metrics.translation.translation_report": lambda: (translation.translation_report, dict(
            G=nn.Identity(), F=nn.Identity(), x_test=images(4), x_labels=torch.tensor([0, 1, 2, 3]),
            y_test=_seeded(4, 1, 28, 28, seed=5), y_labels=torch.tensor([3, 2, 1, 0]),
            classifiers=(classifier(), classifier()), batch_size=2, x_domain="handwritten", y_domain="printed")),
        # models.conditional
        "gancourse.models.conditional.CGANConfig": lambda: (mc.CGANConfig, {}),
        "gancourse.models.conditional.ConditionalDiscriminator": lambda: (mc.ConditionalDiscriminator, dict(
            ndf=4, n_classes=3)),
        "gancourse.models.conditional.ConditionalDiscriminator.forward": lambda: (c_D(), dict(
            x=images(2), labels=two())),
        "gancourse.models.conditional.ConditionalGenerator": lambda: (mc.ConditionalGenerator, dict(
            latent_dim=4, n_classes=3, ngf=4)),
        "gancourse.models.conditional.ConditionalGenerator.forward": lambda: (c_G(), dict(z=z(), labels=two())),
        "gancourse.models.conditional.discriminator_input": lambda: (mc.discriminator_input, dict(
            images=images(2), labels=two(), n_classes=3)),
        "gancourse.models.conditional.generator_input": lambda: (mc.generator_input, dict(
            z=z(), labels=two(), n_classes=3)),
        "gancourse.models.conditional.label_maps": lambda: (mc.label_maps, dict(
            weights=torch.eye(3)[:2], height=2, width=2)),
        "gancourse.models.conditional.label_weights": lambda: (mc.label_weights, dict(
            labels=two(), n_classes=3, batch_size=2)),
        "gancourse.models.conditional.load_pretrained": lambda: (mc.load_pretrained, dict(name="mnist", device="cpu")),
        "gancourse.models.conditional.one_hot": lambda: (mc.one_hot, dict(labels=two(), n_classes=3)),
        "gancourse.models.conditional.pretrained_path": lambda: (mc.pretrained_path, dict(name="mnist")),
        # models.dcgan
        "gancourse.models.dcgan.DCGANConfig": lambda: (dcgan.DCGANConfig, dict(
            loss="hinge", spectral_norm=True, lr_D=4e-4, beta2=0.9, ema=0.999)),
        "gancourse.models.dcgan.DCGANDiscriminator": lambda: (dcgan.DCGANDiscriminator, dict(ndf=4,
                                                                                            spectral_norm=True)),
        "gancourse.models.dcgan.DCGANDiscriminator.forward": lambda: (dc_D(), dict(x=images(2))),
        "gancourse.models.dcgan.DCGANGenerator": lambda: (dcgan.DCGANGenerator, dict(latent_dim=4, ngf=4)),
        "gancourse.models.dcgan.DCGANGenerator.forward": lambda: (dc_G(), dict(z=z())),
        "gancourse.models.dcgan.dcgan_init": lambda: (dcgan.dcgan_init, dict(module=nn.Linear(2, 2))),
        "gancourse.models.dcgan.down_block": lambda: (dcgan.down_block, dict(in_channels=2, out_channels=3)),
        "gancourse.models.dcgan.load_configured": lambda: (dcgan.load_configured, dict(
            path=dcgan.pretrained_path("mnist"), config_class=dcgan.DCGANConfig, device="cpu")),
        "gancourse.models.dcgan.load_pretrained": lambda: (dcgan.load_pretrained, dict(name="mnist", device="cpu")),
        "gancourse.models.dcgan.pretrained_path": lambda: (dcgan.pretrained_path, dict(name="mnist")),
        "gancourse.models.dcgan.up_block": lambda: (dcgan.up_block, dict(in_channels=2, out_channels=3)),
        # models.mlp
        "gancourse.models.mlp.MLPDiscriminator": lambda: (mlp.MLPDiscriminator, dict(hidden_dim=8, spectral_norm=True)),
        "gancourse.models.mlp.MLPDiscriminator.forward": lambda: (mlp_D(), dict(x=images(2))),
        "gancourse.models.mlp.MLPGenerator": lambda: (mlp.MLPGenerator, dict(latent_dim=4, hidden_dim=8)),
        "gancourse.models.mlp.MLPGenerator.forward": lambda: (mlp_G(), dict(z=z())),
        "gancourse.models.mlp.dense_block": lambda: (mlp.dense_block, dict(in_features=4, out_features=3)),
        # models.toy
        "gancourse.models.toy.AffineGenerator": lambda: (mtoy.AffineGenerator, dict(mean=0.0, std=1.0)),
        "gancourse.models.toy.AffineGenerator.forward": lambda: (mtoy.AffineGenerator(), dict(z=z(3, 1))),
        "gancourse.models.toy.Discriminator1D": lambda: (mtoy.Discriminator1D, dict(hidden_dim=4)),
        "gancourse.models.toy.Discriminator1D.forward": lambda: (mtoy.Discriminator1D(4), dict(
            x=_seeded(3, 1, 1, 1))),
        "gancourse.models.toy.Generator1D": lambda: (mtoy.Generator1D, dict(latent_dim=1, hidden_dim=4)),
        "gancourse.models.toy.Generator1D.forward": lambda: (mtoy.Generator1D(1, 4), dict(z=z(3, 1))),
        # sampling
        "gancourse.sampling.evaluating": lambda: (_enter(sampling.evaluating), dict(modules=(nn.Linear(2, 2),))),
        "gancourse.sampling.generate": lambda: (sampling.generate, dict(
            generator=c_G(), labels=torch.tensor([0, 1, 2]), seed=0, batch_size=2)),
        "gancourse.sampling.grid_inputs": lambda: (sampling.grid_inputs, dict(
            n_classes=3, n_columns=2, latent_dim=4, seed=0)),
        "gancourse.sampling.interpolate_images": lambda: (sampling.interpolate_images, dict(
            generator=mlp_G(), z0=z(), z1=z(2, 4) + 1, steps=3, method="linear")),
        "gancourse.sampling.lerp": lambda: (sampling.lerp, dict(z0=z()[0], z1=z()[1], steps=3)),
        "gancourse.sampling.sample_images": lambda: (sampling.sample_images, dict(
            generator=mlp_G(), n=3, seed=0, batch_size=2)),
        "gancourse.sampling.sample_labels": lambda: (sampling.sample_labels, dict(
            batch_size=2, n_classes=3, device="cpu", generator=_rng())),
        "gancourse.sampling.sample_noise": lambda: (sampling.sample_noise, dict(
            batch_size=2, latent_dim=3, device="cpu", generator=_rng())),
        "gancourse.sampling.slerp": lambda: (sampling.slerp, dict(z0=z()[0], z1=z()[1], steps=3)),
        # theory
        "gancourse.theory.binary_cross_entropy": lambda: (theory.binary_cross_entropy, dict(
            probs=torch.tensor([0.2, 0.7]), targets=torch.tensor([0.0, 1.0]))),
        "gancourse.theory.binary_cross_entropy_with_logits": lambda: (theory.binary_cross_entropy_with_logits, dict(
            logits=torch.tensor([-1.0, 2.0]), targets=torch.tensor([0.0, 1.0]))),
        "gancourse.theory.check_grid": lambda: (theory.check_grid, dict(x=grid(5).float())),
        "gancourse.theory.discriminator_on_grid": lambda: (theory.discriminator_on_grid, dict(
            D=mtoy.Discriminator1D(4), x=grid(5))),
        "gancourse.theory.generator_gradients": lambda: (theory.generator_gradients, dict(fake_logits=_seeded(3))),
        "gancourse.theory.generator_losses": lambda: (theory.generator_losses, dict(fake_logits=_seeded(3))),
        "gancourse.theory.js_divergence": lambda: (theory.js_divergence, dict(
            p=toy.Gaussian(0, 1).pdf(grid()), q=toy.Gaussian(1, 1).pdf(grid()), x=grid())),
        "gancourse.theory.kde": lambda: (theory.kde, dict(samples=_seeded(20), x=grid(5).float(), chunk=8)),
        "gancourse.theory.kl_divergence": lambda: (theory.kl_divergence, dict(
            p=toy.Gaussian(0, 1).pdf(grid()), q=toy.Gaussian(1, 1).pdf(grid()), x=grid())),
        "gancourse.theory.optimal_discriminator": lambda: (theory.optimal_discriminator, dict(
            p_data=torch.tensor([0.1, 0.3]), p_g=torch.tensor([0.2, 0.0]))),
        "gancourse.theory.value_function": lambda: (theory.value_function, dict(
            D=torch.full((41,), 0.5, dtype=torch.float64), p_data=toy.Gaussian(0, 1).pdf(grid()),
            p_g=toy.Gaussian(1, 1).pdf(grid()), x=grid())),
        "gancourse.theory.virtual_training_criterion": lambda: (theory.virtual_training_criterion, dict(
            p_data=toy.Gaussian(0, 1).pdf(grid()), p_g=toy.Gaussian(1, 1).pdf(grid()), x=grid())),
        # training.checkpoints
        "gancourse.training.checkpoints.load_checkpoint": lambda: (checkpoints.load_checkpoint, dict(
            path=checkpoint_file(), generator=mlp_G(), discriminator=mlp_D(), map_location="cpu")),
        "gancourse.training.checkpoints.load_into": lambda: (checkpoints.load_into, dict(
            states={"generator": mlp_G().state_dict()}, targets={"generator": mlp_G()}, path="ckpt.pt")),
        "gancourse.training.checkpoints.read_states": lambda: (checkpoints.read_states, dict(
            path=checkpoint_file(), map_location="cpu")),
        "gancourse.training.checkpoints.save_checkpoint": lambda: (checkpoints.save_checkpoint, dict(
            path=Path("saved.pt").resolve(), generator=mlp_G(), discriminator=mlp_D(), history=history(),
            config={"latent_dim": 4})),
        "gancourse.training.checkpoints.write_states": lambda: (checkpoints.write_states, dict(
            path=Path("states.pt").resolve(), states={"step": 1}, config={"note": "x"})),
        # training.conditional
        "gancourse.training.conditional.ConditionalGAN": lambda: (tc.ConditionalGAN, dict(
            generator=c_G(), discriminator=c_D(), n_columns=2, accuracy_per_class=2)),
        "gancourse.training.conditional.ConditionalGAN.measure": lambda: (_cgan().measure, dict(
            batch=(images(2), two()))),
        "gancourse.training.conditional.ConditionalGAN.setup": lambda: (_cgan().setup, dict(
            device=torch.device("cpu"), rng=_rng())),
        "gancourse.training.conditional.ConditionalGAN.train_step": lambda: (_cgan().train_step, dict(
            batch=(images(2), two()), rng=_rng())),
        "gancourse.training.conditional.d_step": lambda: (tc.d_step, _cgan_step_args("d")),
        "gancourse.training.conditional.g_step": lambda: (tc.g_step, _cgan_step_args("g")),
        "gancourse.training.conditional.labelled": lambda: (tc.labelled, dict(batch=(images(2), two()))),
        "gancourse.training.conditional.mismatched_labels": lambda: (tc.mismatched_labels, dict(
            labels=two(), n_classes=3, generator=_rng())),
        "gancourse.training.conditional.train_cgan": lambda: (tc.train_cgan, dict(
            generator=c_G(), discriminator=c_D(), data=loader(labelled=True), steps=1, device="cpu",
            n_columns=2, accuracy_per_class=2, progress=False)),
        # training.discriminator
        "gancourse.training.discriminator.DiscriminatorFit": lambda: (td.DiscriminatorFit, dict(
            D=mtoy.Discriminator1D(4), G=mtoy.Generator1D(1, 4), steps=2)),
        "gancourse.training.discriminator.DiscriminatorFit.load_extra_state": lambda: (
            _dfit().load_extra_state, dict(state=_dfit().extra_state())),
        "gancourse.training.discriminator.DiscriminatorFit.setup": lambda: (_dfit().setup, dict(
            device=torch.device("cpu"), rng=_rng())),
        "gancourse.training.discriminator.DiscriminatorFit.train_step": lambda: (_dfit().train_step, dict(
            batch=_seeded(8, 1, 1, 1), rng=_rng())),
        "gancourse.training.discriminator.fit_discriminator": lambda: (td.fit_discriminator, dict(
            D=mtoy.Discriminator1D(4), p_data=toy.Gaussian(0.0, 1.0), G=mtoy.Generator1D(1, 4), steps=2,
            batch_size=8, device="cpu")),
        # training.gan
        "gancourse.training.gan.GAN": lambda: (gan.GAN, dict(generator=mlp_G(), discriminator=mlp_D(), n_samples=2,
                                                             loss="hinge", lr_D=1e-3, ema=0.9)),
        "gancourse.training.gan.GAN.measure": lambda: (_gan().measure, dict(batch=images(2))),
        "gancourse.training.gan.GAN.noise": lambda: (_gan().noise, dict(batch_size=2, rng=_rng())),
        "gancourse.training.gan.GAN.setup": lambda: (_gan().setup, dict(device=torch.device("cpu"), rng=_rng())),
        "gancourse.training.gan.GAN.train_step": lambda: (_gan().train_step, dict(batch=images(2), rng=_rng())),
        "gancourse.training.gan.adam": lambda: (gan.adam, dict(module=mlp_G(), lr=1e-3, betas=(0.5, 0.999))),
        "gancourse.training.gan.check_step_args": lambda: (gan.check_step_args, _check_step_args()),
        "gancourse.training.gan.d_step": lambda: (gan.d_step, _gan_step_args("d")),
        "gancourse.training.gan.g_step": lambda: (gan.g_step, _gan_step_args("g")),
        "gancourse.training.gan.images_of": lambda: (gan.images_of, dict(batch=images(2))),
        "gancourse.training.gan.weight_average": lambda: (gan.weight_average, dict(generator=mlp_G(), decay=0.9)),
        "gancourse.training.gan.frozen": lambda: (lambda module: gan.frozen(module).__enter__(), dict(module=mlp_G())),
        "gancourse.training.gan.networks_callbacks": lambda: (gan.networks_callbacks, dict(
            callbacks=[lambda step, history, G, D: None])),
        "gancourse.training.gan.train_gan": lambda: (gan.train_gan, dict(
            generator=mlp_G(), discriminator=mlp_D(), data=loader(), steps=1, device="cpu", n_samples=2,
            progress=False, loss="hinge", lr_D=1e-3, ema=0.9)),
        # training.history
        "gancourse.training.history.History": lambda: (th.History, {}),
        "gancourse.training.history.History.first_reaching": lambda: (history().first_reaching, dict(
            name="accuracy", level=0.3)),
        "gancourse.training.history.History.from_dict": lambda: (th.History.from_dict, dict(
            data=history().to_dict())),
        "gancourse.training.history.History.to_dict": lambda: (history().to_dict, dict(with_samples=False)),
        # training.loop
        "gancourse.training.loop.Family.setup": lambda: (lambda device, rng: loop.Family.setup(
            _gan(), device, rng), dict(device=torch.device("cpu"), rng=_rng())),
        "gancourse.training.loop.Family.to_device": lambda: (_set_up(_gan()).to_device, dict(tensor=images(2))),
        "gancourse.training.loop.batch_size_of": lambda: (loop.batch_size_of, dict(batch=images(2))),
        "gancourse.training.loop.train": lambda: (loop.train, dict(
            family=_gan(), data=loader(), steps=1, device="cpu", progress=False)),
        # models.vae, training.vae (notebook 01's VAE)
        **_vae_registry(z),
        **_attributes_registry(z),   # notebook 04's multi-hot attribute example
        # viz
        "gancourse.viz.class_explorer.ClassExplorer": lambda: (ce.ClassExplorer, dict(
            generator=c_G(), class_names=["a", "b", "c"], walk_steps=3)),
        "gancourse.viz.class_explorer.ClassExplorer.draw": lambda: (_explorer().draw, dict(label=1, seed=0, position=1)),
        "gancourse.viz.class_explorer.ClassExplorer.images": lambda: (_explorer().images, dict(
            label=1, seed=0, position=1)),
        "gancourse.viz.class_explorer.ClassExplorer.noise": lambda: (_explorer().noise, dict(seed=0, position=1)),
        "gancourse.viz.class_explorer.class_explorer": lambda: (ce.class_explorer, dict(
            generator=c_G(), class_names=["a", "b", "c"], walk_steps=3)),
        "gancourse.viz.minmax_explorer.MinMaxExplorer": lambda: (mm.MinMaxExplorer, dict(
            p_data=toy.Gaussian(0.0, 1.0), x=grid(41).float(), mean=0.5, std=1.0, mean_range=(-2.0, 2.0))),
        "gancourse.viz.minmax_explorer.MinMaxExplorer.criterion_curve": lambda: (_minmax().criterion_curve, dict(
            std=1.0, points=5)),
        "gancourse.viz.minmax_explorer.MinMaxExplorer.figure": lambda: (_minmax().figure, dict(mean=0.5, std=1.0)),
        "gancourse.viz.minmax_explorer.MinMaxExplorer.readout": lambda: (_readout_call()),
        "gancourse.viz.minmax_explorer.MinMaxExplorer.state": lambda: (_minmax().state, dict(mean=0.5, std=1.0)),
        "gancourse.viz.plots.grid_image": lambda: (plots.grid_image, dict(images=images(2), nrow=2)),
        "gancourse.viz.plots.plot_class_accuracy": lambda: (plots.plot_class_accuracy, dict(
            history=history(), per_class=torch.tensor([0.5, 0.9, 1.0]), class_names=["a", "b", "c"], title="t")),
        "gancourse.viz.plots.plot_class_counts": lambda: (plots.plot_class_counts, dict(
            reports={"real": {"class_counts": [1, 2, 3]}}, class_names=["a", "b", "c"], title="t")),
        "gancourse.viz.plots.plot_interpolation": lambda: (plots.plot_interpolation, dict(
            generator=mlp_G(), z0=z(), z1=z(2, 4) + 1, steps=3, methods=("linear",), size=0.5)),
        "gancourse.viz.plots.plot_losses": lambda: (plots.plot_losses, dict(history=history(), smooth=2, title="t")),
        "gancourse.viz.plots.evenly_spaced_points": lambda: (plots.evenly_spaced_points, dict(
            steps=[0, 10, 20], max_points=2)),
        "gancourse.viz.plots.plot_samples_over_training": lambda: (plots.plot_samples_over_training, dict(
            history=history(), n_show=2, max_points=2)),
        "gancourse.viz.plots.plot_training": lambda: (plots.plot_training, dict(history=history(), title="t")),
        "gancourse.viz.plots.show_class_grid": lambda: (plots.show_class_grid, dict(
            images=images(6), class_names=["a", "b", "c"], title="t", size=2.0)),
        "gancourse.viz.plots.show_grid": lambda: (plots.show_grid, dict(images=images(2), nrow=2, title="t", size=2.0)),
    }
    return R


def _gan_step_args(which: str) -> dict:
    G, D = mlp_G(), mlp_D()
    if which == "d":
        return dict(D=D, G=G, real=images(2), noise=_seeded(2, 4, seed=1), opt_D=opt(D), loss="hinge")
    return dict(D=D, G=G, noise=_seeded(2, 4, seed=1), opt_G=opt(G), non_saturating=True, loss="hinge")


def _cgan_step_args(which: str) -> dict:
    G, D = c_G(), c_D()
    labels = torch.tensor([0, 1])
    if which == "d":
        return dict(D=D, G=G, real=images(2), labels=labels, noise=_seeded(2, 4, seed=1), opt_D=opt(D),
                    wrong_labels=torch.tensor([2, 0]))
    return dict(D=D, G=G, noise=_seeded(2, 4, seed=1), labels=labels, opt_G=opt(G), non_saturating=True)


def _check_step_args() -> dict:
    G, D = mlp_G(), mlp_D()
    return dict(D=D, G=G, optimizer=opt(D))


def _readout_call():
    explorer = _minmax()
    return explorer.readout, dict(s=explorer.state())


def _set_up(family):
    family.setup(torch.device("cpu"), _rng())
    return family


def _vae_registry(z) -> dict[str, Callable]:
    """The VAE's valid calls (gancourse.models.vae, its terms in gancourse.losses, gancourse.training.vae)."""
    from gancourse import losses
    from gancourse.models import vae as mvae
    from gancourse.training import vae as tvae

    def model():
        torch.manual_seed(0)
        return mvae.VAE(latent_dim=4, hidden_dim=8)

    def family():
        f = tvae.VAEFamily(model(), n_samples=2)
        f.setup(torch.device("cpu"), _rng())
        return f

    codes = lambda: (z(), _seeded(2, 4, seed=2))                                       # noqa: E731
    return {
        "gancourse.models.vae.VAE": lambda: (mvae.VAE, dict(latent_dim=4, hidden_dim=8)),
        "gancourse.models.vae.VAE.encode": lambda: (model(), dict(x=images(2))),
        "gancourse.models.vae.VAE.decode": lambda: (model().decode, dict(z=z())),
        "gancourse.models.vae.VAE.decode_logits": lambda: (model().decode_logits, dict(z=z())),
        "gancourse.models.vae.VAE.forward": lambda: (model(), dict(x=images(2), generator=_rng())),
        "gancourse.models.vae.VAE.generate": lambda: (model().generate, dict(n=2, seed=1)),
        "gancourse.models.vae.reparameterise": lambda: (mvae.reparameterise, dict(
            mean=codes()[0], logvar=codes()[1], generator=_rng())),
        "gancourse.losses.reconstruction_loss": lambda: (losses.reconstruction_loss, dict(
            logits=images(2), images=images(2))),
        "gancourse.losses.kl_to_standard_normal": lambda: (losses.kl_to_standard_normal, dict(
            mean=codes()[0], logvar=codes()[1])),
        "gancourse.training.vae.vae_loss": lambda: (tvae.vae_loss, dict(model=model(), images=images(2),
                                                                         generator=_rng())),
        "gancourse.training.vae.VAEFamily": lambda: (tvae.VAEFamily, dict(model=model(), n_samples=2)),
        "gancourse.training.vae.VAEFamily.setup": lambda: (tvae.VAEFamily(model()).setup, dict(
            device=torch.device("cpu"), rng=_rng())),
        "gancourse.training.vae.VAEFamily.train_step": lambda: (family().train_step, dict(
            batch=images(2), rng=_rng())),
        "gancourse.training.vae.train_vae": lambda: (tvae.train_vae, dict(
            model=model(), data=loader(), steps=1, device="cpu", n_samples=2, progress=False)),
    }


def _attributes_registry(z) -> dict[str, Callable]:
    """The multi-hot attribute example's valid calls (notebook 04, Section 12)."""
    from gancourse.data import attributes as da
    from gancourse.metrics import attributes as ma
    from gancourse.models import conditional as mc
    from gancourse.training import multihot as ta
    from gancourse.viz import attributes as va

    def G():
        from gancourse.models import ConditionalGenerator
        torch.manual_seed(0)
        return ConditionalGenerator(latent_dim=4, n_classes=13, ngf=4)

    def D():
        from gancourse.models import ConditionalDiscriminator
        torch.manual_seed(0)
        return ConditionalDiscriminator(ndf=4, n_classes=13)

    def judge():
        from gancourse.metrics import SmallClassifier
        torch.manual_seed(0)
        return SmallClassifier(n_classes=13)

    combos = lambda: torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 1.0]])                   # noqa: E731
    rows = lambda: da.attribute_labels(torch.tensor([3, 7]), combos())                   # noqa: E731
    batches = lambda: [(images(2), rows()), (images(2), rows())]                          # noqa: E731

    def family():
        f = ta.AttributeGAN(G(), D(), combinations=combos(), classifier=judge(), per_digit=1)
        f.setup(torch.device("cpu"), _rng())
        return f

    p = "gancourse."
    return {
        p + "data.attributes.allowed_combinations": lambda: (da.allowed_combinations, dict(exclude=((1, 1, 1),))),
        p + "data.attributes.apply_attributes": lambda: (da.apply_attributes, dict(images=images(2), attributes=combos())),
        p + "data.attributes.attribute_dataset": lambda: (da.attribute_dataset, dict(
            name="mnist", train=False, exclude=((1, 1, 1),), seed=1, limit=8)),
        p + "data.attributes.attribute_labels": lambda: (da.attribute_labels, dict(
            digits=torch.tensor([3, 7]), attributes=combos())),
        p + "data.attributes.attribute_loader": lambda: (da.attribute_loader, dict(
            name="mnist", batch_size=4, exclude=((1, 1, 1),), seed=1, limit=8)),
        p + "data.attributes.combination_name": lambda: (da.combination_name, dict(combination=(1, 0, 1))),
        p + "data.attributes.sample_combinations": lambda: (da.sample_combinations, dict(
            n=3, combinations=combos(), generator=_rng())),
        p + "data.attributes.split_labels": lambda: (da.split_labels, dict(rows=rows())),
        p + "metrics.attributes.agreement": lambda: (ma.agreement, dict(classifier=judge(), images=images(2), rows=rows())),
        p + "metrics.attributes.attribute_accuracy": lambda: (ma.attribute_accuracy, dict(
            G=G(), classifier=judge(), combinations=combos(), per_digit=1, seed=1, per_combination_result=True)),
        p + "metrics.attributes.judge": lambda: (ma.judge, dict(classifier=judge(), images=images(2), batch_size=1)),
        p + "metrics.attributes.load_attribute_classifier": lambda: (ma.load_attribute_classifier, dict(device="cpu")),
        p + "models.conditional.load_pretrained_attributes": lambda: (mc.load_pretrained_attributes, dict(device="cpu")),
        p + "training.multihot.AttributeGAN": lambda: (ta.AttributeGAN, dict(
            generator=G(), discriminator=D(), combinations=combos(), classifier=judge(), per_digit=1)),
        p + "training.multihot.AttributeGAN.measure": lambda: (family().measure, dict(batch=batches()[0])),
        p + "training.multihot.AttributeGAN.setup": lambda: (ta.AttributeGAN(G(), D()).setup, dict(
            device=torch.device("cpu"), rng=_rng())),
        p + "training.multihot.AttributeGAN.train_step": lambda: (family().train_step, dict(
            batch=batches()[0], rng=_rng())),
        p + "training.multihot.mismatched_rows": lambda: (ta.mismatched_rows, dict(
            rows=rows(), combinations=combos(), generator=_rng())),
        p + "training.multihot.random_rows": lambda: (ta.random_rows, dict(n=3, combinations=combos(), generator=_rng())),
        p + "training.multihot.train_attribute_gan": lambda: (ta.train_attribute_gan, dict(
            generator=G(), discriminator=D(), data=batches(), steps=1, combinations=combos(), device="cpu",
            classifier=judge(), per_digit=1, progress=False)),
        p + "viz.attributes.attribute_grid": lambda: (va.attribute_grid, dict(
            generator=G(), digits=[1, 2], combinations=combos(), seed=1)),
        p + "viz.attributes.show_attribute_grid": lambda: (va.show_attribute_grid, dict(
            generator=G(), digits=[1, 2], combinations=combos(), held_out=((1, 0, 1),), seed=1, title="t", size=2.0)),
    }


def _attributes_allowed() -> list[tuple[str, str, tuple[str, ...], str]]:
    """The attribute example's meaningful careless-looking arguments."""
    bits = "0/1 values in any floating dtype are the same attributes"
    return [
        *_rows("gancourse.data.attributes", [
            ("allowed_combinations", "exclude", "empty_list", "an empty list excludes nothing"),
            ("apply_attributes", "images", "float64", "the operations are computed in the images' dtype"),
            ("apply_attributes", "attributes", "float64", bits),
            ("attribute_labels", "attributes", "float64", bits),
            ("attribute_dataset", "exclude", "empty_list", "an empty list excludes nothing"),
            ("attribute_dataset", "limit", "None", _DEFAULT + ": the whole split"),
            ("attribute_dataset", "seed", "zero", _SEED0),
            ("attribute_loader", "exclude", "empty_list", "an empty list excludes nothing"),
            ("attribute_loader", "limit", "None", _DEFAULT + ": the whole split"),
            ("attribute_loader", "seed", "zero", _SEED0),
            ("sample_combinations", "combinations", "float64", bits),
            ("sample_combinations", "generator", "None", _DEFAULT + ": torch's global generator"),
            ("split_labels", "rows", "float64", "label rows in any floating dtype are split the same way"),
        ]),
        *_rows("gancourse.metrics.attributes", [
            ("agreement", "images", "float64", _F64_CONVERTED),
            ("agreement", "rows", "float64", "label rows in any floating dtype are compared the same way"),
            ("attribute_accuracy", "combinations", "float64", bits),
            ("attribute_accuracy", "seed", "zero", _SEED0),
            ("judge", "images", "float64", _F64_CONVERTED),
            ("load_attribute_classifier", "device", "None", _DEFAULT + ": the CPU"),
            ("load_attribute_classifier", "path", "None", _DEFAULT + ": the shipped classifier"),
        ]),
        *_rows("gancourse.models.conditional", [
            ("load_pretrained_attributes", "device", "None", _DEFAULT + ": the CPU"),
            ("load_pretrained_attributes", "path", "None", _DEFAULT + ": the shipped checkpoint"),
        ]),
        *_rows("gancourse.training.multihot", [
            ("AttributeGAN", "combinations", "None", _DEFAULT + ": every combination but the held-out one"),
            ("AttributeGAN", "combinations", "float64", bits),
            ("AttributeGAN", "classifier", "None", _DEFAULT + ": no accuracy measured"),
            ("AttributeGAN.setup", "rng", "None", "None: torch's global generator"),
            ("AttributeGAN.train_step", "rng", "None", "None: torch's global generator"),
            ("mismatched_rows", "rows", "float64", "label rows in any floating dtype are changed the same way"),
            ("mismatched_rows", "combinations", "float64", bits),
            ("mismatched_rows", "generator", "None", _DEFAULT + ": torch's global generator"),
            ("random_rows", "combinations", "float64", bits),
            ("random_rows", "generator", "None", _DEFAULT + ": torch's global generator"),
            ("train_attribute_gan", "combinations", "None", _DEFAULT + ": every combination but the held-out one"),
            ("train_attribute_gan", "combinations", "float64", bits),
            ("train_attribute_gan", "lr", "float", "1.5 is a valid (if large) learning rate"),
            ("train_attribute_gan", "lr_D", "None", _DEFAULT + ": G's learning rate"),
            ("train_attribute_gan", "lr_D", "float", "1.5 is a valid (if large) learning rate"),
            ("train_attribute_gan", "device", "None", _DEFAULT + ": get_device()"),
            ("train_attribute_gan", "sample_every", "None", _DEFAULT + ": 10 sample points"),
            ("train_attribute_gan", "classifier", "None", _DEFAULT + ": no accuracy measured"),
            ("train_attribute_gan", "seed", "zero", _SEED0),
            ("train_attribute_gan", "callbacks", "empty_list", "an empty list: no callbacks"),
            ("train_attribute_gan", "checkpoint", "None", _DEFAULT + ": no checkpoint"),
            ("train_attribute_gan", "checkpoint", "str", _PATH),
            ("train_attribute_gan", "desc", "str", "any string labels the progress bar"),
        ]),
        *_rows("gancourse.viz.attributes", [
            ("attribute_grid", "combinations", "float64", bits),
            ("attribute_grid", "seed", "zero", _SEED0),
            ("show_attribute_grid", "combinations", "float64", bits),
            ("show_attribute_grid", "held_out", "empty_list", "an empty list marks no column as held out"),
            ("show_attribute_grid", "seed", "zero", _SEED0),
            ("show_attribute_grid", "title", "None str", _TITLE),
            ("show_attribute_grid", "size", "float", "1.5 inches is a valid figure size"),
        ]),
    ]


REGISTRY = _registry()

# ---- callables that cannot take bad input meaningfully (each with its reason) -------------------------------------
# Callables without parameters (``default_root()``, ``CGANConfig.to_dict()``, ``Family.sample()`` ...) need no
# entry: there is nothing to replace. They are listed by ``no_parameters()``.
SKIP = {
    "gancourse.data.images.DataFileError": "an exception class: the library raises it with its own message",
    "gancourse.data.images.EmbeddedDataNotice": "a warning category: the library warns with its own message",
    "gancourse.exercises.NotAnswered": "an exception class: the library raises it with its own message",
    "gancourse.training.loop.Family.train_step": "abstract: raises NotImplementedError, whatever it is given",
    "gancourse.training.loop.Family.measure": "the base hook measures nothing: its batch is ignored by design",
    "gancourse.training.loop.Family.load_extra_state": "the base hook has no extra state: its argument is ignored "
                                                       "by design",
}


def no_parameters(found: dict[str, Callable]) -> list[str]:
    out = []
    for name, obj in found.items():
        if name in SKIP:
            continue
        try:
            if not parameters(obj):
                out.append(name)
        except (TypeError, ValueError):     # no signature (a builtin constructor)
            pass
    return out


# ---- the careless user's arguments --------------------------------------------------------------------------------
BAD_IDS = ("None", "str", "zero", "neg", "float", "nan", "empty_tensor", "wrong_shape", "float64", "empty_list")
_ALL = " ".join(b for b in BAD_IDS if b != "float64")       # every id but float64 (tried on float32 tensors only)


def bad_values(valid) -> dict[str, Any]:
    """The bad arguments for one parameter whose valid value is ``valid`` (float64 only for float32 tensors)."""
    if isinstance(valid, torch.Tensor):
        shape = (3, 5, 7) if tuple(valid.shape) != (3, 5, 7) else (2, 2)
        wrong = torch.zeros(shape, dtype=valid.dtype)
    else:
        wrong = torch.zeros(3, 5, 7)
    values = {"None": None, "str": "a string", "zero": 0, "neg": -1, "float": 1.5, "nan": float("nan"),
              "empty_tensor": torch.empty(0), "wrong_shape": wrong}
    if isinstance(valid, torch.Tensor) and valid.dtype == torch.float32:
        values["float64"] = valid.double()
    values["empty_list"] = []
    return values


# ---- results that are meaningful although the argument looks careless ---------------------------------------------
# (callable, parameter or "*" for every parameter, the bad value ids, a one-line reason). A call listed here may
# also raise a clear error; one not listed must raise.
_ELEMENTWISE = "elementwise: any shape is meaningful, the result has the input's shape"
_F64 = "float64 is meaningful: computed in the input's dtype (the 1-D grids are float64)"
_F64_CONVERTED = "float64 is converted to the weights' dtype (float32)"
_F64_DRAWN = "float64 images are converted to float32 for drawing"
_DEFAULT = "None is the documented default"
_SEED0 = "0 is a valid seed"
_PATH = "'a string' is a valid relative path (the test runs in a temporary folder)"
_TITLE = "any string is a title, None is no title"


def _rows(prefix: str, rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(f"{prefix}.{name}", parameter, tuple(bad.split()), reason) for name, parameter, bad, reason in rows]


ALLOWED_ROWS = [
    *_rows("gancourse.data.images", [
        ("ImageDataset", "images", "float64", "a data set keeps the floating dtype it is given"),
        ("load_images", "root", "None", _DEFAULT + ": default_root()"),
        ("load_images", "root", "str", _PATH + "; a folder without data gives the embedded subset"),
        ("load_images", "limit", "None", _DEFAULT + ": the whole split"),
        ("load_images", "batch_size", "None", _DEFAULT + ": the ImageDataset itself"),
        ("load_images", "seed", "zero", _SEED0),
    ]),
    *_rows("gancourse.data.toy", [
        ("Gaussian", "mean", "zero neg float", "any finite number is a mean"),
        ("Gaussian", "std", "float", "1.5 is a valid standard deviation"),
        ("Gaussian.pdf", "x", "wrong_shape empty_tensor float64", _ELEMENTWISE + ", in its dtype"),
        ("Gaussian.sample", "generator", "None", _DEFAULT + ": torch's global generator"),
        ("Mixture", "weights", "None", _DEFAULT + ": equal weights"),
        ("Mixture.pdf", "x", "wrong_shape empty_tensor float64", _ELEMENTWISE + ", in its dtype"),
        ("Mixture.sample", "generator", "None", _DEFAULT + ": torch's global generator"),
        ("SampleStream", "seed", "zero", _SEED0),
    ]),
    *_rows("gancourse.exercises", [
        ("answer_or_reference", "name", "None", _DEFAULT + ": the answer's own name"),
        ("answer_or_reference", "name", "str", "any string can name the answer in the notice"),
        ("exercise", "name", "str", "any string can name the exercise in the message"),
    ]),
    *_rows("gancourse.device", [
        ("get_device", "prefer", "None", _DEFAULT + ": $GANCOURSE_DEVICE, else the best device available"),
        ("seed_everything", "seed", "zero", _SEED0),
    ]),
    *_rows("gancourse.losses", [
        ("bce_with_logits", "logits", "float64", _F64),
        ("bce_with_logits", "target", "zero", "0 is the label of generated images"),
        ("discriminator_loss", "*", "float64", _F64),
        ("generator_loss", "fake_logits", "float64", _F64),
        ("hinge_discriminator_loss", "*", "float64", _F64),
        ("hinge_generator_loss", "fake_logits", "float64", _F64),
    ]),
    *_rows("gancourse.metrics", [
        ("classifier.SmallClassifier.features", "x", "float64", _F64_CONVERTED),
        ("classifier.SmallClassifier.forward", "x", "float64", _F64_CONVERTED),
        ("classifier.accuracy", "images", "float64", _F64_CONVERTED),
        ("classifier.load_classifier", "device", "None", _DEFAULT + ": the CPU"),
        ("classifier.predict", "images", "float64", _F64_CONVERTED),
        ("classifier.sample_report", "images", "float64", _F64_CONVERTED),
        ("classifier.sample_report", "confident", "zero", "0: every sample with a top class counts as confident"),
        ("fid.classifier_features", "images", "float64", _F64_CONVERTED),
        ("fid.classifier_fid", "*", "float64", _F64_CONVERTED),
        ("fid.evaluate_generator", "seed", "zero", _SEED0),
        ("fid.feature_statistics", "features", "float64", "the statistics are computed in float64 anyway"),
        ("fid.frechet_distance", "*", "float64", "the distance is computed in float64 anyway"),
        ("labels.class_accuracy", "seed", "zero", _SEED0),
    ]),
    *_rows("gancourse.models", [
        ("conditional.CGANConfig", "beta1", "zero", "0 is a valid Adam beta1 (no momentum)"),
        ("conditional.CGANConfig", "seed", "zero", _SEED0),
        ("conditional.CGANConfig", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("conditional.ConditionalDiscriminator.forward", "x", "float64", _F64_CONVERTED),
        ("conditional.ConditionalGenerator.forward", "z", "float64", _F64_CONVERTED),
        ("conditional.discriminator_input", "images", "float64", _F64),
        ("conditional.generator_input", "z", "float64", _F64),
        ("conditional.label_maps", "weights", "float64", _F64),
        ("conditional.label_weights", "batch_size", "None", _DEFAULT + ": any number of rows"),
        ("conditional.load_pretrained", "device", "None", _DEFAULT + ": the CPU"),
        ("conditional.load_pretrained", "path", "None", _DEFAULT + ": the shipped checkpoint"),
        ("dcgan.DCGANConfig", "beta1", "zero", "0 is a valid Adam beta1 (no momentum)"),
        ("dcgan.DCGANConfig", "seed", "zero", _SEED0),
        ("dcgan.DCGANConfig", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("dcgan.DCGANConfig", "lr_D", "None", _DEFAULT + ": lr"),
        ("dcgan.DCGANConfig", "lr_D", "float", "1.5 is a valid (if large) learning rate"),
        ("dcgan.DCGANConfig", "beta2", "zero", "0 is a valid Adam beta2 (no average of squared gradients)"),
        ("dcgan.DCGANConfig", "ema", "zero", "0: no weight average (the 2016 recipe)"),
        ("dcgan.DCGANDiscriminator.forward", "x", "float64", _F64_CONVERTED),
        ("dcgan.DCGANGenerator.forward", "z", "float64", _F64_CONVERTED),
        ("dcgan.down_block", "padding", "zero", "0 is a valid padding"),
        ("dcgan.up_block", "padding", "zero", "0 is a valid padding"),
        ("dcgan.load_configured", "device", "None", _DEFAULT + ": the CPU"),
        ("dcgan.load_configured", "missing", "str", "any string is a message for a missing checkpoint"),
        ("dcgan.load_pretrained", "device", "None", _DEFAULT + ": the CPU"),
        ("dcgan.load_pretrained", "path", "None", _DEFAULT + ": the shipped checkpoint"),
        ("mlp.MLPDiscriminator.forward", "x", "float64", _F64_CONVERTED),
        ("mlp.MLPGenerator.forward", "z", "float64", _F64_CONVERTED),
        ("toy.AffineGenerator", "mean", "zero neg float", "any finite number is a mean"),
        ("toy.AffineGenerator", "std", "float", "1.5 is a valid standard deviation"),
        ("toy.AffineGenerator.forward", "z", "float64", "G(z) = mean + std·z is computed in z's dtype"),
        ("toy.Discriminator1D.forward", "x", "float64", _F64_CONVERTED),
        ("toy.Generator1D.forward", "z", "float64", _F64_CONVERTED),
    ]),
    *_rows("gancourse.sampling", [
        ("generate", "seed", "zero", _SEED0),
        ("grid_inputs", "seed", "zero", _SEED0),
        ("sample_images", "seed", "zero", _SEED0),
        ("interpolate_images", "z0", "float64", "the path is float64, the generator converts it"),
        ("interpolate_images", "z1", "float64", "the path is float64, the generator converts it"),
        ("lerp", "*", "float64", _F64),
        ("slerp", "*", "float64", _F64),
        ("sample_labels", "device", "None", _DEFAULT + ": the CPU"),
        ("sample_labels", "generator", "None", _DEFAULT + ": torch's global generator"),
        ("sample_noise", "device", "None", _DEFAULT + ": the CPU"),
        ("sample_noise", "generator", "None", _DEFAULT + ": torch's global generator"),
    ]),
    *_rows("gancourse.theory", [
        ("binary_cross_entropy", "*", "float64", _F64),
        ("binary_cross_entropy_with_logits", "*", "float64", _F64),
        ("check_grid", "x", "float64", _F64),
        ("generator_gradients", "fake_logits", "wrong_shape empty_tensor float64", _ELEMENTWISE + ", in its dtype"),
        ("generator_losses", "fake_logits", "wrong_shape", "any shape: the losses are means over all logits"),
        ("generator_losses", "fake_logits", "float64", _F64),
        ("kde", "samples", "float64", _F64),
        ("kde", "x", "float64", _F64),
        ("kde", "bandwidth", "None", _DEFAULT + ": Silverman's rule"),
        ("kde", "bandwidth", "float", "1.5 is a valid bandwidth"),
        ("optimal_discriminator", "*", "float64", _F64),
    ]),
    *_rows("gancourse.viz", [
        ("class_explorer.ClassExplorer.draw", "*", "zero", "0 is a valid class, seed and walk position"),
        ("class_explorer.ClassExplorer.images", "*", "zero", "0 is a valid class, seed and walk position"),
        ("class_explorer.ClassExplorer.noise", "*", "zero", "0 is a valid seed and walk position"),
        ("minmax_explorer.MinMaxExplorer", "x", "float64", "the grid is converted to float64 anyway"),
        ("minmax_explorer.MinMaxExplorer", "mean", "zero neg float", "a mean inside mean_range (-2, 2)"),
        ("minmax_explorer.MinMaxExplorer", "std", "float", "a std inside std_range (0.1, 2)"),
        ("minmax_explorer.MinMaxExplorer", "mean_range", "None", _DEFAULT + ": the grid's ends"),
        ("minmax_explorer.MinMaxExplorer.criterion_curve", "std", "None", _DEFAULT + ": the current std"),
        ("minmax_explorer.MinMaxExplorer.criterion_curve", "std", "float", "a std inside std_range (0.1, 2)"),
        ("minmax_explorer.MinMaxExplorer.figure", "mean", "None", _DEFAULT + ": the current mean"),
        ("minmax_explorer.MinMaxExplorer.figure", "mean", "zero neg float", "a mean inside mean_range (-2, 2)"),
        ("minmax_explorer.MinMaxExplorer.figure", "std", "None", _DEFAULT + ": the current std"),
        ("minmax_explorer.MinMaxExplorer.figure", "std", "float", "a std inside std_range (0.1, 2)"),
        ("minmax_explorer.MinMaxExplorer.state", "mean", "None", _DEFAULT + ": the current mean"),
        ("minmax_explorer.MinMaxExplorer.state", "mean", "zero neg float", "a mean inside mean_range (-2, 2)"),
        ("minmax_explorer.MinMaxExplorer.state", "std", "None", _DEFAULT + ": the current std"),
        ("minmax_explorer.MinMaxExplorer.state", "std", "float", "a std inside std_range (0.1, 2)"),
        ("plots.grid_image", "images", "float64", _F64_DRAWN),
        ("plots.grid_image", "value_range", "None", "None: each grid scaled by its own min and max (make_grid)"),
        ("plots.show_grid", "images", "float64", _F64_DRAWN),
        ("plots.show_grid", "value_range", "None", "None: each grid scaled by its own min and max (make_grid)"),
        ("plots.show_grid", "title", "None str", _TITLE),
        ("plots.show_grid", "ax", "None", _DEFAULT + ": a new figure"),
        ("plots.show_grid", "size", "float", "1.5 inches is a valid figure size"),
        ("plots.show_class_grid", "images", "float64", _F64_DRAWN),
        ("plots.show_class_grid", "title", "None str", _TITLE),
        ("plots.show_class_grid", "ax", "None", _DEFAULT + ": a new figure"),
        ("plots.show_class_grid", "size", "float", "1.5 inches is a valid figure size"),
        ("plots.plot_class_accuracy", "history", "None", _DEFAULT + ": only the per-class panel"),
        ("plots.plot_class_accuracy", "per_class", "None", _DEFAULT + ": only the training panel"),
        ("plots.plot_class_accuracy", "per_class", "float64", "accuracies are drawn as numbers"),
        ("plots.plot_class_accuracy", "class_names", "None", _DEFAULT + ": the class indices"),
        ("plots.plot_class_accuracy", "title", "None str", _TITLE),
        ("plots.plot_class_counts", "title", "None str", _TITLE),
        ("plots.plot_interpolation", "z0", "float64", "the path is float64, the generator converts it"),
        ("plots.plot_interpolation", "size", "float", "1.5 inches per image is a valid size"),
        ("plots.plot_interpolation", "z1", "float64", "the path is float64, the generator converts it"),
        ("plots.plot_losses", "ax", "None", _DEFAULT + ": a new figure"),
        ("plots.plot_losses", "smooth", "None", _DEFAULT + ": a window of 1/50 of the run"),
        ("plots.plot_losses", "title", "None str", _TITLE),
        ("plots.plot_training", "title", "None str", _TITLE),
    ]),
    *_rows("gancourse.training.checkpoints", [
        ("load_checkpoint", "discriminator", "None", _DEFAULT + ": load G only"),
        ("load_checkpoint", "opt_G", "None", _DEFAULT + ": no optimiser state"),
        ("load_checkpoint", "opt_D", "None", _DEFAULT + ": no optimiser state"),
        ("load_checkpoint", "map_location", "None", _DEFAULT + ": get_device()"),
        ("read_states", "map_location", "None", _DEFAULT + ": get_device()"),
        ("load_into", "path", _ALL, "path only names the file in error messages, shown as given"),
        ("save_checkpoint", "path", "str", _PATH),
        ("save_checkpoint", "discriminator", "None", _DEFAULT + ": save G only"),
        ("save_checkpoint", "history", "None", _DEFAULT + ": no history"),
        ("save_checkpoint", "config", "None", _DEFAULT + ": an empty config"),
        ("save_checkpoint", "opt_G", "None", _DEFAULT + ": no optimiser state"),
        ("save_checkpoint", "opt_D", "None", _DEFAULT + ": no optimiser state"),
        ("write_states", "path", "str", _PATH),
        ("write_states", "config", "None", _DEFAULT + ": an empty config"),
    ]),
    *_rows("gancourse.training.conditional", [
        ("ConditionalGAN", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("ConditionalGAN", "lr_D", "None", _DEFAULT + ": G's learning rate"),
        ("ConditionalGAN", "lr_D", "float", "1.5 is a valid (if large) learning rate"),
        ("ConditionalGAN", "classifier", "None", _DEFAULT + ": no class accuracy measured"),
        ("ConditionalGAN", "seed", "zero", _SEED0),
        ("ConditionalGAN", "opt_G", "None", _DEFAULT + ": Adam"),
        ("ConditionalGAN", "opt_D", "None", _DEFAULT + ": Adam"),
        ("ConditionalGAN.setup", "rng", "None", "None: torch's global generator"),
        ("ConditionalGAN.train_step", "rng", "None", "None: torch's global generator"),
        ("d_step", "real", "float64", _F64_CONVERTED),
        ("d_step", "noise", "float64", _F64_CONVERTED),
        ("d_step", "wrong_labels", "None", _DEFAULT + ": no mismatched pairs"),
        ("g_step", "noise", "float64", _F64_CONVERTED),
        ("mismatched_labels", "generator", "None", _DEFAULT + ": torch's global generator"),
        ("train_cgan", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("train_cgan", "lr_D", "None", _DEFAULT + ": G's learning rate"),
        ("train_cgan", "lr_D", "float", "1.5 is a valid (if large) learning rate"),
        ("train_cgan", "device", "None", _DEFAULT + ": get_device()"),
        ("train_cgan", "sample_every", "None", _DEFAULT + ": 10 sample points"),
        ("train_cgan", "classifier", "None", _DEFAULT + ": no class accuracy measured"),
        ("train_cgan", "seed", "zero", _SEED0),
        ("train_cgan", "opt_G", "None", _DEFAULT + ": Adam"),
        ("train_cgan", "opt_D", "None", _DEFAULT + ": Adam"),
        ("train_cgan", "callbacks", "empty_list", "an empty list: no callbacks"),
        ("train_cgan", "checkpoint", "None", _DEFAULT + ": no checkpoint"),
        ("train_cgan", "checkpoint", "str", _PATH),
        ("train_cgan", "desc", "str", "any string labels the progress bar"),
    ]),
    *_rows("gancourse.training.discriminator", [
        ("DiscriminatorFit", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("DiscriminatorFit.setup", "rng", "None", "None: torch's global generator"),
        ("DiscriminatorFit.train_step", "batch", "float64", _F64_CONVERTED),
        ("DiscriminatorFit.train_step", "rng", "None", "None: torch's global generator"),
        ("fit_discriminator", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("fit_discriminator", "seed", "zero", _SEED0),
        ("fit_discriminator", "device", "None", "None: get_device()"),
    ]),
    *_rows("gancourse.training.gan", [
        ("GAN", "latent_dim", "None", _DEFAULT + ": the generator's latent_dim"),
        ("GAN", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("GAN", "opt_G", "None", _DEFAULT + ": Adam"),
        ("GAN", "opt_D", "None", _DEFAULT + ": Adam"),
        ("GAN", "fixed_noise", "None", _DEFAULT + ": drawn at setup"),
        ("GAN", "lr_D", "None", _DEFAULT + ": lr"),
        ("GAN", "lr_D", "float", "1.5 is a valid (if large) learning rate"),
        ("GAN", "ema", "zero", "0: no weight average (the default)"),
        ("GAN", "average", "None", _DEFAULT + ": none, or the one ema makes"),
        ("weight_average", "decay", "zero", "decay 0: the average is the latest weights (a copy of G)"),
        ("GAN.measure", "batch", "float64", _F64_CONVERTED),
        ("GAN.noise", "rng", "None", "None: torch's global generator"),
        ("GAN.setup", "rng", "None", "None: torch's global generator"),
        ("GAN.train_step", "batch", "float64", _F64_CONVERTED),
        ("GAN.train_step", "rng", "None", "None: torch's global generator"),
        ("adam", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("d_step", "real", "float64", _F64_CONVERTED),
        ("d_step", "noise", "float64", _F64_CONVERTED),
        ("g_step", "noise", "float64", _F64_CONVERTED),
        ("images_of", "batch", "empty_tensor wrong_shape float64", "images_of returns the tensor it is given: "
                                                                   "whoever uses the images checks their shape"),
        ("networks_callbacks", "callbacks", "empty_list", "an empty list: no callbacks"),
        ("train_gan", "latent_dim", "None", _DEFAULT + ": the generator's latent_dim"),
        ("train_gan", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("train_gan", "device", "None", _DEFAULT + ": get_device()"),
        ("train_gan", "fixed_noise", "None", _DEFAULT + ": drawn at setup"),
        ("train_gan", "lr_D", "None", _DEFAULT + ": lr"),
        ("train_gan", "lr_D", "float", "1.5 is a valid (if large) learning rate"),
        ("train_gan", "ema", "zero", "0: no weight average (the default)"),
        ("train_gan", "average", "None", _DEFAULT + ": none, or the one ema makes"),
        ("train_gan", "sample_every", "None", _DEFAULT + ": 10 sample points"),
        ("train_gan", "seed", "zero", _SEED0),
        ("train_gan", "opt_G", "None", _DEFAULT + ": Adam"),
        ("train_gan", "opt_D", "None", _DEFAULT + ": Adam"),
        ("train_gan", "callbacks", "empty_list", "an empty list: no callbacks"),
        ("train_gan", "checkpoint", "None", _DEFAULT + ": no checkpoint"),
        ("train_gan", "checkpoint", "str", _PATH),
        ("train_gan", "desc", "str", "any string labels the progress bar"),
    ]),
    *_rows("gancourse.training.history", [
        ("History", "step", "empty_list", "an empty list: no steps yet"),
        ("History", "sample_steps", "empty_list", "an empty list: no sample points yet"),
        ("History", "point_seconds", "empty_list", "an empty list: no sample points yet"),
        ("History", "samples", "empty_list", "an empty list: no samples yet"),
        ("History", "seconds", "zero float", "a valid number of training seconds"),
        ("History", "images_seen", "zero", "a valid number of images seen"),
        ("History.first_reaching", "level", "zero neg float", "any number is a level (None when never reached)"),
    ]),
    *_rows("gancourse.training.loop", [
        ("Family.setup", "rng", "None", "None: torch's global generator"),
        ("Family.to_device", "tensor", "empty_tensor wrong_shape float64", "moves any tensor to the device as it is"),
        ("batch_size_of", "batch", "empty_tensor wrong_shape float64", "any tensor's leading dimension is its "
                                                                      "batch size"),
        ("train", "device", "None", _DEFAULT + ": get_device()"),
        ("train", "sample_every", "None", _DEFAULT + ": 10 sample points"),
        ("train", "seed", "zero", _SEED0),
        ("train", "callbacks", "empty_list", "an empty list: no callbacks"),
        ("train", "checkpoint", "None", _DEFAULT + ": no checkpoint"),
        ("train", "checkpoint", "str", _PATH),
        ("train", "desc", "str", "any string labels the progress bar"),
    ]),
    *_rows("gancourse.models.vae", [
        ("VAE.decode", "z", "float64", _F64_CONVERTED),
        ("VAE.decode_logits", "z", "float64", _F64_CONVERTED),
        ("VAE.encode", "x", "float64", _F64_CONVERTED),
        ("VAE.forward", "x", "float64", _F64_CONVERTED),
        ("VAE.forward", "generator", "None", "None: torch's global generator"),
        ("VAE.generate", "seed", "zero", _SEED0),
        ("reparameterise", "*", "float64", _F64),
        ("reparameterise", "generator", "None", "None: torch's global generator"),
    ]),
    *_rows("gancourse.losses", [
        ("kl_to_standard_normal", "*", "float64", _F64),
        ("reconstruction_loss", "*", "float64", _F64),
    ]),
    *_rows("gancourse.training.vae", [
        ("VAEFamily", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("VAEFamily.setup", "rng", "None", "None: torch's global generator"),
        ("VAEFamily.train_step", "batch", "float64", _F64_CONVERTED),
        ("VAEFamily.train_step", "rng", "None", "None: torch's global generator"),
        ("vae_loss", "images", "float64", _F64_CONVERTED),
        ("vae_loss", "generator", "None", "None: torch's global generator"),
        ("train_vae", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("train_vae", "device", "None", _DEFAULT + ": get_device()"),
        ("train_vae", "sample_every", "None", _DEFAULT + ": 10 sample points"),
        ("train_vae", "seed", "zero", _SEED0),
        ("train_vae", "callbacks", "empty_list", "an empty list: no callbacks"),
        ("train_vae", "checkpoint", "None", _DEFAULT + ": no checkpoint"),
        ("train_vae", "checkpoint", "str", _PATH),
        ("train_vae", "desc", "str", "any string labels the progress bar"),
    ]),
]
ALLOWED_ROWS += _attributes_allowed()   # notebook 04's multi-hot attribute example
ALLOWED_ROWS += [   # notebook 05's digit domains and translation metrics
    *_rows("gancourse.data.domains", [
        ("UnpairedLoader", "x_images", "float64", "a loader keeps the floating dtype it is given"),
        ("UnpairedLoader", "y_images", "float64", "a loader keeps the floating dtype it is given"),
        ("UnpairedLoader", "generator", "None", _DEFAULT + ": a generator seeded with 0"),
        ("load_domain", "limit", "None", _DEFAULT + ": the whole split"),
        ("unpaired_loader", "limit", "None", _DEFAULT + ": the whole split"),
        ("unpaired_loader", "generator", "None", _DEFAULT + ": a generator seeded with 0"),
    ]),
    *_rows("gancourse.metrics.translation", [
        ("content_kept", "translated", "float64", _F64_CONVERTED),
        ("cycle_error", "x", "float64", "the difference is taken in float32 either way"),
        ("domain_reached", "translated", "float64", _F64_CONVERTED),
        ("domain_reached", "target_domain", "zero", "0 is a valid class (handwritten)"),
        ("load_translation_classifiers", "device", "None", _DEFAULT + ": the CPU"),
        ("translation_fd", "translated", "float64", _F64_CONVERTED),
        ("translation_fd", "real_target", "float64", _F64_CONVERTED),
        ("translation_report", "x_test", "float64", "the images are converted to float32 first"),
        ("translation_report", "y_test", "float64", "the images are converted to float32 first"),
        ("translation_report", "classifiers", "None", _DEFAULT + ": the shipped classifiers"),
    ]),
]

# The families of notebooks 05 and 07 keep their cases beside this file (imported here, after what they use).
import bad_input_cyclegan  # noqa: E402
import bad_input_rbm  # noqa: E402
import bad_input_vae  # noqa: E402

REGISTRY.update(bad_input_cyclegan.registry())
REGISTRY.update(bad_input_rbm.registry())
SKIP.update(bad_input_rbm.SKIP)
ALLOWED_ROWS += bad_input_cyclegan.ALLOWED_ROWS + bad_input_rbm.allowed_rows(_rows)
REGISTRY.update(bad_input_vae.registry())
ALLOWED_ROWS += bad_input_vae.allowed_rows(_rows)
ALLOWED: dict[tuple[str, str, str], str] = {(name, parameter, bad): reason
                                            for name, parameter, bads, reason in ALLOWED_ROWS for bad in bads}

# A message may name the parameter by another word where that word is the one the user knows it by.
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    # get_device's messages say "device": train(device=...) and load_classifier(device=...) reach it too.
    ("gancourse.device.get_device", "prefer"): ("device",),
}

# ---- training/ cases that fail until the fixes proposed for gancourse/training/ are applied -------------------------
# (callable, parameter, the failing bad value ids, the fix). The test marks them xfail(strict=True): once the fix is
# in, the case passes, the strict xfail fails, and its row here must go.
PENDING_ROWS: list = []   # (module, callable, parameter, bad values, fix): cases waiting for a library fix
PENDING: dict[tuple[str, str, str], str] = {(name, parameter, bad): fix
                                            for name, parameter, bads, fix in PENDING_ROWS for bad in bads}


def allowed_reason(name: str, parameter: str, bad: str) -> str | None:
    return ALLOWED.get((name, parameter, bad)) or ALLOWED.get((name, "*", bad))


# ---- one attempt --------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    ok: bool
    kind: str                 # "clear error", "meaningful result", "unclear message", "internal error", "returned"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def _call(target: Callable, params: list[inspect.Parameter], args: dict[str, Any]):
    positional, keyword = [], {}
    for p in params:
        if p.name not in args:
            continue
        if p.kind is p.VAR_POSITIONAL:
            positional.extend(args[p.name])
        elif p.kind is p.POSITIONAL_ONLY:
            positional.append(args[p.name])
        else:
            keyword[p.name] = args[p.name]
    return target(*positional, **keyword)


def _documented(exc: BaseException, obj: Callable) -> bool:
    """Whether ``obj``'s docstring names the exception's class (e.g. "Raises FileNotFoundError")."""
    return type(exc).__name__ in (inspect.getdoc(obj) or "")


def _names(message: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", message) for w in words)


def valid_call(name: str, obj: Callable | None = None):
    """(target, parameters, the valid arguments: the registry's, plus the defaults of the parameters it leaves out)."""
    obj = obj if obj is not None else discover()[name]
    target, given = REGISTRY[name]()
    params = parameters(obj)
    args = {}
    for p in params:
        if p.name in given:
            args[p.name] = given[p.name]
        elif p.default is not p.empty:
            args[p.name] = p.default
        elif p.kind is p.VAR_POSITIONAL:
            args[p.name] = ()
        else:
            raise KeyError(f"the registry's call of {name} gives no value for its required parameter {p.name!r}")
    return target, params, args


def attempt(name: str, parameter: str, bad: str, obj: Callable | None = None) -> Outcome:
    """Call ``name`` with its valid arguments, except ``parameter`` = the bad value ``bad``; judge what happens."""
    import matplotlib.pyplot as plt

    obj = obj if obj is not None else discover()[name]
    target, params, args = valid_call(name, obj)
    kind = next(p.kind for p in params if p.name == parameter)
    valid = args[parameter][0] if kind is inspect.Parameter.VAR_POSITIONAL else args[parameter]
    value = bad_values(valid)[bad]
    args[parameter] = [value] if kind is inspect.Parameter.VAR_POSITIONAL else value
    shown = f"{name}({parameter}={_short(value)})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _call(target, params, args)
    except Exception as exc:          # noqa: BLE001 — judging every exception is the point
        message = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, (ValueError, TypeError)) and not _documented(exc, obj):
            return Outcome(False, "internal error", f"{shown} raised {message}")
        words = (parameter,) + ALIASES.get((name, parameter), ())
        if not _names(str(exc), words):
            return Outcome(False, "unclear message", f"{shown} raised {message} (the message does not name "
                                                     f"{parameter!r})")
        return Outcome(True, "clear error", f"{shown} raised {message}")
    finally:
        plt.close("all")
    reason = allowed_reason(name, parameter, bad)
    if reason:
        return Outcome(True, "meaningful result", f"{shown}: {reason}")
    return Outcome(False, "returned", f"{shown} returned normally; refuse it with a ValueError/TypeError naming "
                                      f"{parameter!r}, or add (callable, parameter, value) to ALLOWED with a reason")


def _short(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor(shape={tuple(value.shape)}, dtype={value.dtype})"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return repr(value)


def cases(found: dict[str, Callable] | None = None) -> list[tuple[str, str, str]]:
    """Every (callable, parameter, bad value id) to try, for the callables the registry covers.

    The valid calls are built (in a temporary folder: some write a checkpoint) to see which arguments are float32
    tensors, the only ones tried as float64."""
    found = found if found is not None else discover()
    out = []
    with tempfile.TemporaryDirectory() as folder, sandbox(Path(folder)):
        for name, obj in found.items():
            if name in SKIP or name not in REGISTRY:
                continue
            _, params, args = valid_call(name, obj)
            for p in params:
                valid = args[p.name][0] if p.kind is p.VAR_POSITIONAL else args[p.name]
                out.extend((name, p.name, bad) for bad in bad_values(valid))
    return out


@contextmanager
def sandbox(folder: Path):
    """Run the attempts in ``folder`` as a quiet, offline, single-threaded session, and restore everything after.

    * the current folder is ``folder`` (the relative path 'a string' and the checkpoints land there);
    * ``$GANCOURSE_DATA`` points into it and its downloads count as failed already, so data comes from the embedded
      subsets without touching the network, and no notice leaks to other tests;
    * one torch thread (these tiny calls are 10x slower on two busy cores with two), matplotlib's Agg backend;
    * the random states of Python, NumPy and torch are put back afterwards (the registry seeds them).
    """
    import random

    import matplotlib
    import numpy as np
    import pytest

    from gancourse.data import images as data_images

    data_root = (folder / "data-root").resolve()
    states = random.getstate(), np.random.get_state(), torch.get_rng_state(), torch.get_num_threads()
    backend = matplotlib.get_backend()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv(data_images.DATA_ENV, str(data_root))
        mp.delenv("GANCOURSE_DEVICE", raising=False)
        mp.setattr(data_images, "_noticed", set())
        mp.setattr(data_images, "_failed_downloads", {(n, str(data_root)) for n in data_images.DATASETS})
        matplotlib.use("Agg")
        torch.set_num_threads(1)
        try:
            yield
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])
            torch.set_num_threads(states[3])
            matplotlib.use(backend)


# Notebook 06's StarGAN keeps its cases beside this file too (hooked in last: it uses the helpers above).
import bad_input_stargan  # noqa: E402

REGISTRY.update(bad_input_stargan.registry())
ALLOWED.update({(name, parameter, bad): reason
                for name, parameter, bads, reason in bad_input_stargan.allowed_rows(_rows) for bad in bads})

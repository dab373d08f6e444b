"""Bad-input cases of notebook 07's library part (the RBM, binarised data, likelihoods), for tests/bad_input_cases.py.

To hook in (tests/bad_input_cases.py): ``REGISTRY.update(bad_input_rbm.registry())``,
``SKIP.update(bad_input_rbm.SKIP)`` and ``ALLOWED_ROWS += bad_input_rbm.allowed_rows(_rows)`` before ``ALLOWED`` is built.
"""
from __future__ import annotations

from typing import Callable

import torch

SKIP = {
    "gancourse.training.rbm.CDGradient": "a NamedTuple of results that the library builds, never a user",
    "gancourse.metrics.likelihood.AISResult": "a NamedTuple of results that the library builds, never a user",
}


def _rng():
    return torch.Generator().manual_seed(0)


def _bits(n=2, v=784, seed=0):
    return (torch.rand(n, v, generator=torch.Generator().manual_seed(seed)) < 0.5).float()


def _binary_images(n=2):
    return _bits(n) * 2 - 1


def registry() -> dict[str, Callable]:
    from gancourse.data import binary as db
    from gancourse.metrics import likelihood as ml
    from gancourse.metrics import parzen as mp
    from gancourse.models import rbm as mr
    from gancourse.models import vae as mv
    from gancourse.training import rbm as tr

    def rbm(hidden=3):
        return mr.BernoulliRBM(784, hidden, generator=_rng())

    def family(persistent=False):
        f = tr.RBMFamily(rbm(), persistent=persistent, n_samples=2, sample_steps=1)
        f.setup(torch.device("cpu"), _rng())
        return f

    def vae():
        torch.manual_seed(0)
        return mv.VAE(latent_dim=2, hidden_dim=4)

    batches = lambda: [_binary_images(2), _binary_images(2)]                               # noqa: E731
    M = "gancourse.models.rbm.BernoulliRBM"
    return {
        M: lambda: (mr.BernoulliRBM, dict(n_visible=784, n_hidden=3, generator=_rng())),
        f"{M}.energy": lambda: (rbm().energy, dict(v=_bits(), h=_bits(2, 3))),
        f"{M}.free_energy": lambda: (rbm().free_energy, dict(v=_bits())),
        f"{M}.hidden_probs": lambda: (rbm().hidden_probs, dict(v=_bits())),
        f"{M}.visible_probs": lambda: (rbm().visible_probs, dict(h=_bits(2, 3))),
        f"{M}.sample_hidden": lambda: (rbm().sample_hidden, dict(v=_bits(), generator=_rng())),
        f"{M}.sample_visible": lambda: (rbm().sample_visible, dict(h=_bits(2, 3), generator=_rng())),
        f"{M}.gibbs_step": lambda: (rbm().gibbs_step, dict(v=_bits(), generator=_rng())),
        f"{M}.sample": lambda: (rbm().sample, dict(n=2, steps=2, generator=_rng(), init=_bits(2), return_probs=True)),
        f"{M}.sample_images": lambda: (rbm().sample_images, dict(n=2, steps=2, generator=_rng(), init=_bits(2))),
        f"{M}.set_visible_bias_from": lambda: (rbm().set_visible_bias_from, dict(v=_bits(), eps=1e-3)),
        "gancourse.data.binary.binarise": lambda: (db.binarise, dict(images=_binary_images().view(2, 1, 28, 28) * 0.5,
                                                                     generator=_rng())),
        "gancourse.data.binary.is_binary_images": lambda: (db.is_binary_images, dict(images=_binary_images())),
        "gancourse.data.binary.images_to_bits": lambda: (db.images_to_bits, dict(
            images=_binary_images().view(2, 1, 28, 28))),
        "gancourse.data.binary.bits_to_images": lambda: (db.bits_to_images, dict(bits=_bits(),
                                                                                 image_shape=(1, 28, 28))),
        "gancourse.data.binary.binarised_set": lambda: (db.binarised_set, dict(name="mnist", train=False, seed=1,
                                                                               limit=3)),
        "gancourse.data.binary.binarised_test_set": lambda: (db.binarised_test_set, dict(name="mnist", seed=1,
                                                                                         limit=3)),
        "gancourse.training.rbm.cd_gradient": lambda: (tr.cd_gradient, dict(
            rbm=rbm(), v_data=_bits(), k=1, generator=_rng(), persistent_chain=_bits(2, seed=1))),
        "gancourse.training.rbm.reconstruction_error": lambda: (tr.reconstruction_error, dict(rbm=rbm(), v=_bits())),
        "gancourse.training.rbm.RBMFamily": lambda: (tr.RBMFamily, dict(rbm=rbm(), n_samples=2, sample_steps=1)),
        "gancourse.training.rbm.RBMFamily.setup": lambda: (tr.RBMFamily(rbm()).setup, dict(
            device=torch.device("cpu"), rng=_rng())),
        "gancourse.training.rbm.RBMFamily.train_step": lambda: (family().train_step, dict(
            batch=_binary_images().view(2, 1, 28, 28), rng=_rng())),
        "gancourse.training.rbm.RBMFamily.measure": lambda: (family().measure, dict(
            batch=_binary_images().view(2, 1, 28, 28))),
        "gancourse.training.rbm.RBMFamily.load_extra_state": lambda: (family(True).load_extra_state, dict(
            state={"chain": _bits(2), "steps_taken": 1, "fixed_batch": None})),
        "gancourse.training.rbm.train_rbm": lambda: (tr.train_rbm, dict(
            rbm=rbm(), data=[b.view(2, 1, 28, 28) for b in batches()], steps=1, device="cpu", n_samples=2,
            sample_steps=1, progress=False)),
        "gancourse.training.rbm.save_rbm": lambda: (tr.save_rbm, dict(path="rbm.pt", rbm=rbm(), info={"a": 1})),
        "gancourse.training.rbm.load_rbm": lambda: (tr.load_rbm, dict(path_or_name="rbm_mnist")),
        "gancourse.metrics.likelihood.exact_log_partition": lambda: (ml.exact_log_partition, dict(
            rbm=rbm(), chunk=4, over="hidden", max_units=10)),
        "gancourse.metrics.likelihood.ais_betas": lambda: (ml.ais_betas, dict(scale=0.01)),
        "gancourse.metrics.likelihood.ais_log_partition": lambda: (ml.ais_log_partition, dict(
            rbm=rbm(), n_chains=2, betas=ml.ais_betas(0.002), generator=_rng(), data=_bits())),
        "gancourse.metrics.likelihood.rbm_log_likelihood": lambda: (ml.rbm_log_likelihood, dict(
            rbm=rbm(), v=_bits(), log_z=500.0)),
        "gancourse.metrics.likelihood.pseudo_log_likelihood": lambda: (ml.pseudo_log_likelihood, dict(
            rbm=rbm(), v=_bits(), generator=_rng(), index=torch.tensor([0, 5]))),
        "gancourse.metrics.likelihood.iwae_bound": lambda: (ml.iwae_bound, dict(
            vae=vae(), images=_binary_images().view(2, 1, 28, 28), k=2, generator=_rng(), chunk=4)),
        "gancourse.metrics.parzen.parzen_log_likelihood": lambda: (mp.parzen_log_likelihood, dict(
            samples=_bits(3), test=_bits(2, seed=1), sigma=0.5, chunk=2)),
        "gancourse.metrics.parzen.choose_parzen_sigma": lambda: (mp.choose_parzen_sigma, dict(
            samples=_bits(3), validation=_bits(2, seed=1), sigmas=[0.2, 0.5])),
    }


_PATH = "'a string' is a valid relative path (the test runs in a temporary folder)"


def allowed_rows(_rows) -> list:
    """ALLOWED rows, built with bad_input_cases._rows."""
    f64 = "float64 is converted to the RBM's dtype (float32)"
    return [
        *_rows("gancourse.models.rbm", [
            ("BernoulliRBM", "generator", "None", "None is the documented default (torch's global generator)"),
            ("BernoulliRBM", "image_shape", "None", "None is the documented default: (1, 28, 28) for 784 pixels"),
            ("BernoulliRBM.energy", "*", "float64", f64),
            ("BernoulliRBM.free_energy", "v", "float64", f64),
            ("BernoulliRBM.hidden_probs", "v", "float64", f64),
            ("BernoulliRBM.visible_probs", "h", "float64", f64),
            ("BernoulliRBM.sample_hidden", "v", "float64", f64),
            ("BernoulliRBM.sample_hidden", "generator", "None", "None is the documented default"),
            ("BernoulliRBM.sample_visible", "h", "float64", f64),
            ("BernoulliRBM.sample_visible", "generator", "None", "None is the documented default"),
            ("BernoulliRBM.gibbs_step", "v", "float64", f64),
            ("BernoulliRBM.gibbs_step", "generator", "None", "None is the documented default"),
            ("BernoulliRBM.sample", "*", "None", "None is the documented default (random start, global generator)"),
            ("BernoulliRBM.sample", "steps", "zero", "0 steps returns the start state"),
            ("BernoulliRBM.sample", "init", "float64", f64),
            ("BernoulliRBM.sample_images", "*", "None", "None is the documented default"),
            ("BernoulliRBM.sample_images", "steps", "zero", "0 steps returns the start state"),
            ("BernoulliRBM.sample_images", "init", "float64", f64),
            ("BernoulliRBM.set_visible_bias_from", "v", "float64", f64),
        ]),
        *_rows("gancourse.data.binary", [
            ("binarise", "generator", "None", "None is the documented default (torch's global generator)"),
            ("binarise", "images", "float64", "binary images keep the input's dtype"),
            ("binarise", "threshold", "None", "None is the documented default: stochastic binarisation"),
            ("binarised_set", "threshold", "zero", "0 is a valid threshold: every pixel brighter than black is 1"),
            ("bits_to_images", "bits", "float64", "images keep the input's floating dtype"),
            ("images_to_bits", "images", "float64", "bits keep the input's floating dtype"),
            ("is_binary_images", "images", "float64 wrong_shape empty_tensor",
             "any shape and dtype: the answer is whether every value is -1 or 1"),
            ("binarised_set", "seed", "zero", "0 is a valid seed"),
            ("binarised_set", "*", "None", "None is the documented default"),
            ("binarised_test_set", "seed", "zero", "0 is a valid seed"),
            ("binarised_test_set", "limit", "None", "None is the documented default: every test image"),
        ]),
        *_rows("gancourse.training.rbm", [
            ("load_rbm", "path_or_name", "str", _PATH + "; an RBM another case saved there loads"),
            ("cd_gradient", "v_data", "float64", f64),
            ("cd_gradient", "persistent_chain", "None float64", "None is CD (the chain starts at the data); "
                                                                  "float64 is converted"),
            ("cd_gradient", "generator", "None", "None is the documented default"),
            ("reconstruction_error", "v", "float64", f64),
            ("RBMFamily", "*", "float", "1.5 is a valid (if large) learning rate or weight decay"),
            ("RBMFamily.train_step", "batch", "float64", f64),
            ("RBMFamily.measure", "batch", "float64", f64),
            ("train_rbm", "*", "float", "1.5 is a valid (if large) learning rate or weight decay"),
            ("train_rbm", "callbacks", "empty_list", "an empty list: no callbacks"),
            ("train_rbm", "checkpoint", "str", _PATH),
            ("train_rbm", "desc", "str", "any string labels the progress bar"),
            ("save_rbm", "path", "str", _PATH),
            ("RBMFamily", "*", "zero", "0 is meaningful for momentum, weight decay, steps of momentum or sampling"),
            ("RBMFamily.load_extra_state", "state", "empty_list", "an empty state restores nothing"),
            ("train_rbm", "*", "zero", "0 is meaningful for momentum, weight decay, steps of momentum or sampling"),
            ("train_rbm", "*", "None", "None is the documented default"),
            ("save_rbm", "info", "None", "None is the documented default: no info"),
        ]),
        *_rows("gancourse.metrics.likelihood", [
            ("ais_log_partition", "*", "None", "None is the documented default"),
            ("ais_log_partition", "data", "float64", f64),
            ("ais_betas", "scale", "float", "1.5 times Salakhutdinov & Murray's temperatures is a valid schedule"),
            ("iwae_bound", "images", "float64", "float64 images are converted to the VAE's dtype"),
            ("pseudo_log_likelihood", "v", "float64", f64),
            ("rbm_log_likelihood", "v", "float64", f64),
            ("pseudo_log_likelihood", "*", "None", "None is the documented default (a random flipped bit)"),
            ("iwae_bound", "generator", "None", "None is the documented default"),
            ("rbm_log_likelihood", "log_z", "zero neg float", "any finite log Z is a number"),
        ]),
        *_rows("gancourse.metrics.parzen", [
            ("parzen_log_likelihood", "*", "float64", "computed in float64 in any case"),
            ("parzen_log_likelihood", "sigma", "float", "1.5 is a valid (if wide) window"),
            ("choose_parzen_sigma", "*", "float64", "computed in float64 in any case"),
        ]),
    ]

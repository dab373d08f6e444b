"""Bad-input cases of notebook 06's library part (the StarGAN models, losses, training family and report), hooked
into tests/bad_input_cases.py: ``registry()`` adds to REGISTRY, ``allowed_rows(_rows)`` to its ALLOWED_ROWS."""
from __future__ import annotations

from typing import Callable

import torch

from bad_input_cases import _DEFAULT, _F64_CONVERTED, _PATH, _SEED0, _rng, _seeded, images


def _bits(n: int = 2, seed: int = 0) -> torch.Tensor:
    """(n, 3) float32 attribute rows of 0 and 1."""
    return (torch.rand(n, 3, generator=torch.Generator().manual_seed(seed)) < 0.5).float()


def _nets():
    from gancourse.models.stargan import StarDiscriminator, StarGenerator
    torch.manual_seed(0)
    return StarGenerator(3, 1, 2, 1), StarDiscriminator(3, 1, 2, 2)


def _batch():
    return (images(2), _bits(2))


def _family(**kw):
    from gancourse.training.stargan import StarGAN
    G, D = _nets()
    family = StarGAN(G, D, steps=4, n_critic=1, fixed_x=images(2), fixed_targets=_bits(2, 1), **kw)
    family.setup(torch.device("cpu"), _rng())
    return family


class _Identity(torch.nn.Module):
    def forward(self, x, c):
        return x


def registry() -> dict[str, Callable]:
    from gancourse import losses
    from gancourse.metrics import stargan as ms
    from gancourse.models import stargan as mst
    from gancourse.training import stargan as tst
    x, fake = images(2), _seeded(2, 1, 28, 28, seed=3)
    maps = lambda seed=0: _seeded(2, 1, 3, 3, seed=seed)              # noqa: E731

    def adam(module):
        return torch.optim.Adam(module.parameters(), lr=1e-3)

    def d_args():
        _, D = _nets()
        return dict(D=D, x=x, c_org=_bits(2), fake=fake, adversarial="wgan-gp", lambda_cls=1.0, lambda_gp=10.0,
                    generator=_rng(), alpha=torch.tensor([0.25, 0.75]))

    def g_args():
        G, D = _nets()
        return dict(G=G, D=D, x=x, c_org=_bits(2), c_trg=_bits(2, 1), adversarial="wgan-gp", lambda_cls=1.0,
                    lambda_rec=10.0, lambda_id=0.5)

    def ckpt():
        from pathlib import Path
        from gancourse.training.checkpoints import write_states
        config = mst.StarGANConfig(width=2, n_blocks=1, d_width=2)
        G, _ = config.models()
        path = Path("stargan.pt").resolve()
        write_states(path, {"G": G.state_dict()}, config={"config": config.to_dict()})
        return path

    def judge():
        from gancourse.metrics import SmallClassifier
        torch.manual_seed(0)
        return SmallClassifier(n_classes=13)

    def report_args():
        G, _ = _nets()
        return dict(G=G, classifier=judge(), images=images(4), digits=torch.arange(4), sources=_bits(4),
                    plain=_seeded(4, 1, 28, 28, seed=3), targets=_bits(2, 1), batch_size=3)

    def history():
        G, D = _nets()
        return tst.train_stargan(G, D, [_batch()], steps=2, n_critic=1, device="cpu", progress=False,
                                 sample_every=1)

    def report():
        from gancourse.data.attributes import ALL_COMBINATIONS
        return ms.stargan_report(_Identity(), judge(), images(2), torch.arange(2), _bits(2), images(2),
                                 targets=ALL_COMBINATIONS[:2])

    from gancourse.viz import stargan as vs
    return {
        "gancourse.viz.stargan.show_stargan_grid": lambda: (vs.show_stargan_grid, dict(
            sources=images(2), translations=_seeded(2, 3, 1, 28, 28, seed=4), target_names=["a", "b", "c"],
            title="t", marks=torch.tensor([[True, False, True], [False, False, True]]), size=0.5)),
        "gancourse.viz.stargan.plot_stargan_training": lambda: (vs.plot_stargan_training, dict(
            history=history(), smooth=1, title="t")),
        "gancourse.viz.stargan.stargan_table": lambda: (vs.stargan_table, dict(reports={"identity": report()})),
        "gancourse.losses.domain_classification_loss": lambda: (losses.domain_classification_loss, dict(
            logits=_seeded(2, 3, low=-3.0, high=3.0), target=_bits(2))),
        "gancourse.losses.reconstruction_l1": lambda: (losses.reconstruction_l1, dict(x=x, x_rec=fake)),
        "gancourse.losses.wasserstein_critic_loss": lambda: (losses.wasserstein_critic_loss, dict(
            real_out=maps(0), fake_out=maps(1))),
        "gancourse.losses.wasserstein_generator_loss": lambda: (losses.wasserstein_generator_loss, dict(
            fake_out=maps(1))),
        "gancourse.losses.gradient_penalty": lambda: (losses.gradient_penalty, dict(
            critic=_nets()[1], real=x, fake=fake, generator=_rng(), alpha=torch.tensor([0.25, 0.75]))),
        "gancourse.models.stargan.label_maps": lambda: (mst.label_maps, dict(c=_bits(2), height=4, width=5)),
        "gancourse.models.stargan.StarGenerator": lambda: (mst.StarGenerator, dict(
            n_attributes=3, channels=1, width=2, n_blocks=1)),
        "gancourse.models.stargan.StarGenerator.forward": lambda: (_nets()[0], dict(x=x, c=_bits(2))),
        "gancourse.models.stargan.trunk_side": lambda: (mst.trunk_side, dict(size=28, n_layers=3)),
        "gancourse.models.stargan.StarDiscriminator": lambda: (mst.StarDiscriminator, dict(
            n_attributes=3, channels=1, width=2, n_layers=2)),
        "gancourse.models.stargan.StarDiscriminator.forward": lambda: (_nets()[1], dict(x=x)),
        "gancourse.models.stargan.StarGANConfig": lambda: (mst.StarGANConfig, dict(
            width=2, n_blocks=1, d_width=2, steps=4, decay_steps=2)),
        "gancourse.models.stargan.StarGANConfig.models": lambda: (mst.StarGANConfig(width=2, d_width=2).models,
                                                                  dict(n_attributes=3)),
        "gancourse.models.stargan.load_pretrained": lambda: (mst.load_pretrained, dict(device="cpu", path=ckpt())),
        "gancourse.training.stargan.target_labels": lambda: (tst.target_labels, dict(c=_bits(4), generator=_rng())),
        "gancourse.training.stargan.discriminator_objective": lambda: (tst.discriminator_objective, d_args()),
        "gancourse.training.stargan.generator_objective": lambda: (tst.generator_objective, g_args()),
        "gancourse.training.stargan.d_step": lambda: (tst.d_step, (lambda a: dict(**a, opt_D=adam(a["D"])))(d_args())),
        "gancourse.training.stargan.g_step": lambda: (tst.g_step, (lambda a: dict(**a, opt_G=adam(a["G"])))(g_args())),
        "gancourse.training.stargan.StarGAN": lambda: (tst.StarGAN, dict(
            **dict(zip(("G", "D"), _nets())), steps=4, decay_steps=2, n_critic=2, fixed_x=images(2),
            fixed_targets=_bits(2, 1))),
        "gancourse.training.stargan.StarGAN.setup": lambda: (_family().setup, dict(device="cpu", rng=_rng())),
        "gancourse.training.stargan.StarGAN.train_step": lambda: (_family().train_step, dict(batch=_batch(),
                                                                                             rng=_rng())),
        "gancourse.training.stargan.StarGAN.measure": lambda: (_family().measure, dict(batch=_batch())),
        "gancourse.training.stargan.StarGAN.load_extra_state": lambda: (
            (lambda f: (f.load_extra_state, dict(state=f.extra_state())))(_family())),
        "gancourse.training.stargan.train_stargan": lambda: (tst.train_stargan, dict(
            **dict(zip(("G", "D"), _nets())), data=[_batch()], steps=2, n_critic=1, device="cpu", progress=False,
            fixed_x=images(2), fixed_targets=_bits(2, 1))),
        "gancourse.metrics.stargan.translate": lambda: (ms.translate, dict(
            G=_nets()[0], images=x, targets=_bits(2), batch_size=1)),
        "gancourse.metrics.stargan.stargan_report": lambda: (ms.stargan_report, report_args()),
    }


_F64_LOSS = "float64 is meaningful: computed in the inputs' dtype"
_LAMBDA = "0 turns the term off (an ablation), 1.5 is a valid weight"
_NO_DECAY = "0: no decay, the rate stays constant"
_BITS_F64 = "0/1 rows in float64 are the same labels (converted where used)"
_FIXED = _DEFAULT + ": no picture at the sample points"
_TRAIN_ROWS = [("lr_D", "None", _DEFAULT + ": G's rate"), ("lr_D", "float", "1.5 is a valid (if large) learning rate"),
               ("lambda_cls", "zero float", _LAMBDA), ("lambda_id", "zero float", _LAMBDA), ("lambda_rec", "zero float", _LAMBDA),
               ("lambda_gp", "zero float", _LAMBDA), ("lr", "float", "1.5 is a valid (if large) learning rate"),
               ("decay_steps", "None", _DEFAULT + ": half the steps"), ("decay_steps", "zero", _NO_DECAY),
               ("fixed_x", "None", _FIXED), ("fixed_targets", "None", _FIXED),
               ("fixed_x", "float64", _F64_CONVERTED), ("fixed_targets", "float64", _BITS_F64)]


def allowed_rows(_rows) -> list:
    """ALLOWED rows, built with bad_input_cases._rows."""
    return [
        *_rows("gancourse.losses", [
            *[("domain_classification_loss", p, "float64", _F64_LOSS) for p in ("logits", "target")],
            ("reconstruction_l1", "x", "float64", _F64_LOSS), ("reconstruction_l1", "x_rec", "float64", _F64_LOSS),
            *[("wasserstein_critic_loss", p, "float64 wrong_shape", "critic scores of any shape (B, ...): a mean "
               "over each, in their dtype") for p in ("real_out", "fake_out")],
            ("wasserstein_generator_loss", "fake_out", "float64 wrong_shape",
             "critic scores of any shape (B, ...): a mean over all, in their dtype"),
            *[("gradient_penalty", p, "float64", "the mixed images take the real ones' dtype; the critic converts "
               "them to its weights'") for p in ("real", "fake")],
            ("gradient_penalty", "generator", "None", _DEFAULT + ": torch's global generator"),
            ("gradient_penalty", "alpha", "None", _DEFAULT + ": α drawn from generator"),
            ("gradient_penalty", "alpha", "float64", "α is converted to the images' dtype"),
        ]),
        *_rows("gancourse.models.stargan", [
            ("label_maps", "c", "float64", "the planes keep c's dtype"),
            ("StarGenerator", "n_blocks", "zero", "a generator without residual blocks is valid (an ablation)"),
            ("StarGenerator.forward", "x", "float64", _F64_CONVERTED),
            ("StarGenerator.forward", "c", "float64", "c is converted to x's dtype"),
            ("StarDiscriminator.forward", "x", "float64", _F64_CONVERTED),
            ("StarGANConfig", "beta1", "zero", "0 is a valid Adam beta1"),
            ("StarGANConfig", "decay_steps", "zero", _NO_DECAY),
            *[("StarGANConfig", p, "zero float", _LAMBDA) for p in ("lambda_cls", "lambda_rec", "lambda_gp",
                                                                          "lambda_id")],
            *[("StarGANConfig", p, "float", "1.5 is a valid (if large) learning rate") for p in ("lr", "d_lr")],
            ("StarGANConfig", "n_blocks", "zero", "a generator without residual blocks is valid (an ablation)"),
            ("StarGANConfig", "seed", "zero", _SEED0),
            ("load_pretrained", "device", "None", _DEFAULT + ": the CPU"),
            ("load_pretrained", "path", "None", _DEFAULT + ": the shipped checkpoint"),
        ]),
        *_rows("gancourse.training.stargan", [
            ("target_labels", "c", "float64", "the rows are shuffled in their dtype"),
            ("target_labels", "generator", "None", _DEFAULT + ": torch's global generator"),
            *[(f, p, "zero float", _LAMBDA) for f in ("discriminator_objective", "d_step")
              for p in ("lambda_cls", "lambda_gp")],
            *[(f, p, "zero float", _LAMBDA) for f in ("generator_objective", "g_step")
              for p in ("lambda_cls", "lambda_rec", "lambda_id")],
            *[(f, "generator", "None", _DEFAULT + ": torch's global generator")
              for f in ("discriminator_objective", "d_step")],
            ("discriminator_objective", "alpha", "None", _DEFAULT + ": α drawn from generator"),
            ("discriminator_objective", "alpha", "float64", "α is converted to the images' dtype"),
            *[(f, p, "float64", _F64_CONVERTED) for f in ("discriminator_objective", "d_step") for p in ("x", "fake")],
            *[(f, p, "float64", _F64_CONVERTED) for f in ("generator_objective", "g_step") for p in ("x",)],
            *[(f, p, "float64", _BITS_F64) for f in ("discriminator_objective", "d_step") for p in ("c_org",)],
            *[(f, p, "float64", _BITS_F64) for f in ("generator_objective", "g_step") for p in ("c_org", "c_trg")],
            *[("StarGAN", p, b, r) for p, b, r in _TRAIN_ROWS],
            *[("train_stargan", p, b, r) for p, b, r in _TRAIN_ROWS],
            ("StarGAN.setup", "rng", "None", _DEFAULT + ": nothing is drawn from it"),
            ("StarGAN.train_step", "rng", "None", _DEFAULT + ": the targets and the penalty's mixing draw from "
                                                  "torch's global generator"),
            ("train_stargan", "callbacks", "empty_list", "an empty list: no callbacks"),
            ("train_stargan", "checkpoint", "None", _DEFAULT + ": no checkpoint"),
            ("train_stargan", "checkpoint", "str", _PATH),
            ("train_stargan", "desc", "str", "any string labels the progress bar"),
            ("train_stargan", "device", "None", _DEFAULT + ": get_device()"),
            ("train_stargan", "sample_every", "None", _DEFAULT + ": 10 sample points"),
            ("train_stargan", "seed", "zero", _SEED0),
        ]),
        *_rows("gancourse.viz.stargan", [
            ("show_stargan_grid", "title", "None str", "any string is a title, None is no title"),
            ("show_stargan_grid", "marks", "None", _DEFAULT + ": no translation is marked"),
            ("show_stargan_grid", "size", "float", "1.5 inches per image is a valid size"),
            *[("show_stargan_grid", p, "float64", "float64 images are converted to float32 for drawing")
              for p in ("sources", "translations")],
            ("plot_stargan_training", "smooth", "None", _DEFAULT + ": a window of 1/50 of the steps"),
            ("plot_stargan_training", "title", "str", "any string is a title"),
        ]),
        *_rows("gancourse.metrics.stargan", [
            ("translate", "images", "float64", _F64_CONVERTED),
            ("translate", "targets", "float64", _BITS_F64),
            *[("stargan_report", p, "float64", _F64_CONVERTED) for p in ("images", "plain")],
            *[("stargan_report", p, "float64", _BITS_F64) for p in ("sources", "targets")],
        ]),
    ]

"""Bad-input cases of notebook 05's library part (the CycleGAN models, losses and training family), hooked into
tests/bad_input_cases.py: ``registry()`` adds to REGISTRY, ``ALLOWED_ROWS`` to its ALLOWED_ROWS."""
import torch
from torch import nn

import bad_input_cases as bic
from bad_input_cases import _DEFAULT, _F64_CONVERTED, _PATH, _SEED0, _rows, _seeded, _rng, images


def _nets():
    from gancourse.models.cyclegan import PatchDiscriminator, ResnetGenerator
    torch.manual_seed(0)
    return ResnetGenerator(1, 2, 1), ResnetGenerator(1, 2, 1), PatchDiscriminator(1, 2, 1), PatchDiscriminator(1, 2, 1)


def _family(**kw):
    from gancourse.training.cyclegan import CycleGAN
    G, F, D_X, D_Y = _nets()
    family = CycleGAN(G, F, D_X, D_Y, steps=4, fixed_x=images(2), fixed_y=images(2), **kw)
    family.setup(torch.device("cpu"), _rng())
    return family


def _pair():
    return (images(2), _seeded(2, 1, 28, 28, seed=3))


def registry():
    from gancourse import losses
    from gancourse.models import cyclegan as mcg
    from gancourse.training import cyclegan as tcg
    x, y = images(2), _seeded(2, 1, 28, 28, seed=3)
    maps = lambda seed=0: _seeded(2, 1, 5, 5, seed=seed)              # noqa: E731

    def adam(*modules):
        return torch.optim.Adam(nn.ModuleList(modules).parameters(), lr=1e-3)

    def g_args():
        G, F, D_X, D_Y = _nets()
        return dict(G=G, F=F, D_X=D_X, D_Y=D_Y, x=x, y=y)

    def d_args():
        _, _, D_X, D_Y = _nets()
        return dict(D_X=D_X, D_Y=D_Y, x=x, y=y, fake_x=_seeded(2, 1, 28, 28, seed=4),
                    fake_y=_seeded(2, 1, 28, 28, seed=5), opt_D=adam(D_X, D_Y))

    def ckpt():
        from gancourse.training.checkpoints import write_states
        from pathlib import Path
        config = mcg.CycleGANConfig(width=2, n_blocks=1, d_width=2)
        G, F = config.generators()
        path = Path("cyclegan.pt").resolve()
        write_states(path, {"G": G.state_dict(), "F": F.state_dict()}, config={"config": config.to_dict()})
        return path

    def pooled():
        pool = tcg.ImagePool(2, generator=_rng())
        pool.query(images(2))
        return pool

    def history():
        G, F, D_X, D_Y = _nets()
        return tcg.train_cyclegan(G, F, D_X, D_Y, [_pair()], steps=2, device="cpu", progress=False,
                                  fixed_x=images(2), fixed_y=images(2), sample_every=1)

    def report():
        from gancourse.metrics.classifier import SmallClassifier
        torch.manual_seed(0)
        return translation_report(nn.Identity(), nn.Identity(), images(4), torch.arange(4), _seeded(4, 1, 28, 28,
                                  seed=3), torch.arange(4), classifiers=(SmallClassifier(10), SmallClassifier(2)))

    def digits():
        from gancourse.metrics.classifier import SmallClassifier
        torch.manual_seed(0)
        return SmallClassifier(10)

    from gancourse.metrics.translation import translation_report
    from gancourse.viz import translation as vt
    return {
        "gancourse.viz.translation.show_translation": lambda: (vt.show_translation, dict(
            rows={"x": x, "G(x)": y}, classifier=digits(), class_names=[str(k) for k in range(10)], title="t",
            size=0.5)),
        "gancourse.viz.translation.plot_translation_samples": lambda: (vt.plot_translation_samples, dict(
            history=history(), n_show=2, max_points=2)),
        "gancourse.viz.translation.plot_cyclegan_training": lambda: (vt.plot_cyclegan_training, dict(
            history=history(), smooth=1, title="t")),
        "gancourse.viz.translation.translation_table": lambda: (vt.translation_table, dict(
            reports={"identity": report()})),
        "gancourse.losses.lsgan_discriminator_loss": lambda: (losses.lsgan_discriminator_loss, dict(
            real_out=maps(0), fake_out=maps(1))),
        "gancourse.losses.lsgan_generator_loss": lambda: (losses.lsgan_generator_loss, dict(fake_out=maps(1))),
        "gancourse.losses.cycle_consistency_loss": lambda: (losses.cycle_consistency_loss, dict(
            x=x, x_rec=_seeded(2, 1, 28, 28, seed=6), y=y, y_rec=_seeded(2, 1, 28, 28, seed=7))),
        "gancourse.losses.identity_loss": lambda: (losses.identity_loss, dict(
            y=y, G_y=_seeded(2, 1, 28, 28, seed=6), x=x, F_x=_seeded(2, 1, 28, 28, seed=7))),
        "gancourse.models.cyclegan.ResidualBlock": lambda: (mcg.ResidualBlock, dict(channels=2)),
        "gancourse.models.cyclegan.ResidualBlock.forward": lambda: (mcg.ResidualBlock(2), dict(
            x=_seeded(2, 2, 7, 7))),
        "gancourse.models.cyclegan.ResnetGenerator": lambda: (mcg.ResnetGenerator, dict(channels=1, width=2, n_blocks=1)),
        "gancourse.models.cyclegan.ResnetGenerator.forward": lambda: (mcg.ResnetGenerator(1, 2, 1), dict(x=x)),
        "gancourse.models.cyclegan.PatchDiscriminator": lambda: (mcg.PatchDiscriminator, dict(
            channels=1, width=2, n_layers=1)),
        "gancourse.models.cyclegan.PatchDiscriminator.forward": lambda: (mcg.PatchDiscriminator(1, 2, 1), dict(x=x)),
        "gancourse.models.cyclegan.patch_geometry": lambda: (mcg.patch_geometry, dict(size=28, n_layers=2)),
        "gancourse.models.cyclegan.CycleGANConfig": lambda: (mcg.CycleGANConfig, dict(width=2, n_blocks=1, d_width=2)),
        "gancourse.models.cyclegan.load_pretrained": lambda: (mcg.load_pretrained, dict(device="cpu", path=ckpt())),
        "gancourse.training.cyclegan.ImagePool": lambda: (tcg.ImagePool, dict(size=2, generator=_rng())),
        "gancourse.training.cyclegan.ImagePool.query": lambda: (pooled().query, dict(images=x, generator=_rng())),
        "gancourse.training.cyclegan.ImagePool.load_state_dict": lambda: (tcg.ImagePool(2).load_state_dict, dict(
            state=pooled().state_dict(), device="cpu")),
        "gancourse.training.cyclegan.cyclegan_generator_objective": lambda: (tcg.cyclegan_generator_objective, dict(
            **g_args(), lambda_cycle=10.0, lambda_identity=0.5, adversarial="lsgan")),
        "gancourse.training.cyclegan.g_step": lambda: (tcg.g_step, (lambda a: dict(
            **a, opt_G=adam(a["G"], a["F"])))(g_args())),
        "gancourse.training.cyclegan.d_step": lambda: (tcg.d_step, d_args()),
        "gancourse.training.cyclegan.linear_decay": lambda: (tcg.linear_decay, dict(steps=4, decay_steps=2)),
        "gancourse.training.cyclegan.CycleGAN": lambda: (tcg.CycleGAN, dict(
            **{k: v for k, v in zip(("G", "F", "D_X", "D_Y"), _nets())}, steps=4, decay_steps=2,
            fixed_x=images(2), fixed_y=images(2))),
        "gancourse.training.cyclegan.CycleGAN.setup": lambda: (_family().setup, dict(device="cpu", rng=_rng())),
        "gancourse.training.cyclegan.CycleGAN.train_step": lambda: (_family().train_step, dict(
            batch=_pair(), rng=_rng())),
        "gancourse.training.cyclegan.CycleGAN.measure": lambda: (_family().measure, dict(batch=_pair())),
        "gancourse.training.cyclegan.CycleGAN.load_extra_state": lambda: (
            (lambda f: (f.load_extra_state, dict(state=f.extra_state())))(_family())),
        "gancourse.training.cyclegan.train_cyclegan": lambda: (tcg.train_cyclegan, dict(
            **{k: v for k, v in zip(("G", "F", "D_X", "D_Y"), _nets())}, data=[_pair()], steps=2,
            device="cpu", progress=False, fixed_x=images(2), fixed_y=images(2))),
    }


_F64_LOSS = "float64 is meaningful: computed in the inputs' dtype"
_LAMBDA = "0 turns the term off (the λ = 0 baseline), 1.5 is a valid weight"
_NO_POOL = "0 turns the pool off: the discriminators see the newest fakes"
_NO_DECAY = "0: no decay, the rate stays constant"
_FIXED = _DEFAULT + ": no picture at the sample points"
_TRAIN_ROWS = [("lambda_cycle", "zero float", _LAMBDA), ("lambda_identity", "zero float", _LAMBDA),
               ("pool_size", "zero", _NO_POOL), ("lr", "float", "1.5 is a valid (if large) learning rate"),
               ("decay_steps", "None", _DEFAULT + ": half the steps"), ("decay_steps", "zero", _NO_DECAY),
               ("fixed_x", "None", _FIXED), ("fixed_y", "None", _FIXED),
               ("fixed_x", "float64", _F64_CONVERTED), ("fixed_y", "float64", _F64_CONVERTED)]
ALLOWED_ROWS = [
    *_rows("gancourse.viz.translation", [
        ("plot_cyclegan_training", "smooth", "None", _DEFAULT + ": a window of 1/50 of the steps"),
        ("plot_cyclegan_training", "title", "None str", "any string is a title, None is no title"),
        ("show_translation", "title", "None str", "any string is a title, None is no title"),
        ("show_translation", "classifier", "None", _DEFAULT + ": images without titles"),
        ("show_translation", "class_names", "None", _DEFAULT + ": the class indices as titles"),
        ("show_translation", "size", "float", "1.5 inches per image is a valid size"),
    ]),
    *_rows("gancourse.losses", [
        *[("cycle_consistency_loss", p, "float64", _F64_LOSS) for p in ("x", "x_rec", "y", "y_rec")],
        *[("identity_loss", p, "float64", _F64_LOSS) for p in ("y", "G_y", "x", "F_x")],
        *[("lsgan_discriminator_loss", p, "float64", _F64_LOSS) for p in ("real_out", "fake_out")],
        ("lsgan_generator_loss", "fake_out", "float64", _F64_LOSS),
        ("lsgan_generator_loss", "fake_out", "wrong_shape", "D's outputs of any shape (B, ...): a mean over all"),
    ]),
    *_rows("gancourse.models.cyclegan", [
        ("CycleGANConfig", "beta1", "zero", "0 is a valid Adam beta1"),
        ("CycleGANConfig", "decay_steps", "zero", _NO_DECAY),
        ("CycleGANConfig", "lambda_cycle", "zero float", _LAMBDA),
        ("CycleGANConfig", "lambda_identity", "zero float", _LAMBDA),
        ("CycleGANConfig", "lr", "float", "1.5 is a valid (if large) learning rate"),
        ("CycleGANConfig", "n_blocks", "zero", "a generator without residual blocks is valid (an ablation)"),
        ("CycleGANConfig", "pool_size", "zero", _NO_POOL),
        ("CycleGANConfig", "seed", "zero", _SEED0),
        ("ResnetGenerator", "n_blocks", "zero", "a generator without residual blocks is valid (an ablation)"),
        ("ResnetGenerator.forward", "x", "float64", _F64_CONVERTED),
        ("ResidualBlock.forward", "x", "float64", _F64_CONVERTED),
        ("PatchDiscriminator.forward", "x", "float64", _F64_CONVERTED),
        ("load_pretrained", "device", "None", _DEFAULT + ": the CPU"),
        ("load_pretrained", "path", "None", _DEFAULT + ": the shipped checkpoint"),
    ]),
    *_rows("gancourse.training.cyclegan", [
        *[("CycleGAN", p, b, r) for p, b, r in _TRAIN_ROWS],
        *[("train_cyclegan", p, b, r) for p, b, r in _TRAIN_ROWS],
        ("CycleGAN.setup", "rng", "None", _DEFAULT + ": nothing is drawn from it"),
        ("CycleGAN.train_step", "rng", "None", _DEFAULT + ": the pools draw from torch's global generator"),
        ("ImagePool", "generator", "None", _DEFAULT + ": torch's global generator"),
        ("ImagePool", "size", "zero", _NO_POOL),
        ("ImagePool.load_state_dict", "device", "None", _DEFAULT + ": the images stay where they are"),
        ("ImagePool.query", "generator", "None", _DEFAULT + ": the pool's own generator"),
        ("ImagePool.query", "images", "float64", "the pool keeps images in their dtype"),
        *[("cyclegan_generator_objective", p, "zero float", _LAMBDA) for p in ("lambda_cycle", "lambda_identity")],
        *[("g_step", p, "zero float", _LAMBDA) for p in ("lambda_cycle", "lambda_identity")],
        *[(f, p, "float64", _F64_CONVERTED) for f in ("cyclegan_generator_objective", "g_step") for p in ("x", "y")],
        *[("d_step", p, "float64", _F64_CONVERTED) for p in ("x", "y", "fake_x", "fake_y")],
        ("linear_decay", "decay_steps", "zero", _NO_DECAY),
        ("train_cyclegan", "callbacks", "empty_list", "an empty list: no callbacks"),
        ("train_cyclegan", "checkpoint", "None", _DEFAULT + ": no checkpoint"),
        ("train_cyclegan", "checkpoint", "str", _PATH),
        ("train_cyclegan", "desc", "str", "any string labels the progress bar"),
        ("train_cyclegan", "device", "None", _DEFAULT + ": get_device()"),
        ("train_cyclegan", "sample_every", "None", _DEFAULT + ": 10 sample points"),
        ("train_cyclegan", "seed", "zero", _SEED0),
    ]),
]

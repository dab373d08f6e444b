"""The one training loop: a family without a discriminator, sample points, timing, callbacks, Ctrl-C, checkpoints and
an exact resume (a resumed run's history equals an uninterrupted one's, on the CPU)."""
import time

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.training import GAN, Family, History, train, train_gan
from gancourse.training.conditional import train_cgan


class Regression(Family):
    """A family with no discriminator at all: least squares y ≈ w·x by SGD. Samples are the current weights."""

    def __init__(self, interrupt_at=None, measure_sleep=0.0):
        torch.manual_seed(0)
        self.net = nn.Linear(3, 1)
        self.models = {"net": self.net}
        self.optimizers = {"opt": torch.optim.SGD(self.net.parameters(), lr=0.1)}
        self.interrupt_at, self.measure_sleep, self.calls = interrupt_at, measure_sleep, 0

    def train_step(self, batch, rng):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        x, y = batch
        opt = self.optimizers["opt"]
        opt.zero_grad()
        noise = 0.01 * torch.randn(y.shape, generator=rng)            # randomness from the loop's generator
        loss = ((self.net(x).squeeze(1) - y - noise) ** 2).mean()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    def sample(self):
        return self.net.weight.detach().clone()

    def measure(self, batch):
        time.sleep(self.measure_sleep)
        return {"weight_norm": self.net.weight.norm().item()}


def _regression_data(n=40, batch_size=8, seed=0):
    gen = torch.Generator().manual_seed(123)
    x = torch.randn(n, 3, generator=gen)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, drop_last=True,
                      generator=torch.Generator().manual_seed(seed))


def _same(a: History, b: History) -> None:
    assert a.step == b.step and a.sample_steps == b.sample_steps and a.images_seen == b.images_seen
    assert a.logs == b.logs and a.points == b.points
    assert len(a.samples) == len(b.samples) and all(torch.equal(x, y) for x, y in zip(a.samples, b.samples))


def test_a_family_without_a_discriminator_trains_and_is_measured():
    family = Regression()
    seen = []
    history = train(family, _regression_data(), steps=30, sample_every=10, device="cpu", progress=False,
                    callbacks=[lambda step, h, fam: seen.append((step, fam is family))])
    assert history.step == list(range(1, 31)) and history.sample_steps == [0, 10, 20, 30]
    assert seen == [(10, True), (20, True), (30, True)]
    assert history.loss[-1] < 0.1 * history.loss[0]                    # it learned
    assert len(history.weight_norm) == 4 and history.samples[-1].shape == (1, 3)
    assert history.images_seen == 30 * 8 and not history.interrupted
    with pytest.raises(AttributeError, match="per step \\['loss'\\]"):
        history.loss_D


def test_sample_points_callbacks_and_measurement_are_not_training_time():
    history = train(Regression(measure_sleep=0.2), _regression_data(), steps=4, sample_every=1, device="cpu",
                    progress=False, callbacks=[lambda *args: time.sleep(0.2)])
    assert history.seconds < 0.5                    # 5 measurements and 4 callbacks slept 1.8 s in all
    assert history.point_seconds[0] == 0.0 and history.point_seconds == sorted(history.point_seconds)


def test_a_callback_returning_true_stops_and_ctrl_c_returns_the_history(tmp_path):
    history = train(Regression(), _regression_data(), steps=50, sample_every=5, device="cpu", progress=False,
                    callbacks=[lambda step, h, f: step >= 10])
    assert history.steps_done == 10
    path = tmp_path / "run.pt"
    interrupted = train(Regression(interrupt_at=13), _regression_data(), steps=50, sample_every=5, device="cpu",
                        progress=False, checkpoint=path)
    assert interrupted.interrupted and interrupted.steps_done == 12 and interrupted.sample_steps == [0, 5, 10]
    assert path.is_file() and not path.with_name("run.pt.tmp").exists()


@pytest.mark.parametrize("interrupt", ["callback", "ctrl-c"])
def test_a_resumed_run_reproduces_an_uninterrupted_one_exactly(tmp_path, interrupt):
    """Across epochs of a shuffled DataLoader, with random noise drawn every step: stop at 15, resume to 23."""
    whole = train(Regression(), _regression_data(), steps=23, sample_every=5, device="cpu", progress=False)
    path = tmp_path / "run.pt"
    if interrupt == "callback":
        first = train(Regression(), _regression_data(), steps=23, sample_every=5, device="cpu", progress=False,
                      checkpoint=path, callbacks=[lambda step, h, f: step >= 15])
        assert first.steps_done == 15
    else:
        first = train(Regression(interrupt_at=18), _regression_data(), steps=23, sample_every=5, device="cpu",
                      progress=False, checkpoint=path)
        assert first.interrupted and first.steps_done == 17          # the checkpoint holds step 15
    resumed = train(Regression(), _regression_data(), steps=23, device="cpu", progress=False, checkpoint=path,
                    resume=True)                                     # sample_every comes from the checkpoint
    _same(resumed, whole)


def test_a_resumed_gan_reproduces_an_uninterrupted_one_exactly(tmp_path):
    """The GAN family (batch norm, Adam, fresh noise every step) and a plain list of batches (replayed on resume)."""
    data = [(torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(i)) * 2 - 1, torch.zeros(16))
            for i in range(3)]

    def run(steps, **kw):
        torch.manual_seed(0)
        G, D = MLPGenerator(8, 16), MLPDiscriminator(16)
        return train_gan(G, D, data, steps=steps, sample_every=4, n_samples=6, device="cpu", progress=False, **kw)

    whole = run(14)
    path = tmp_path / "gan.pt"
    run(14, checkpoint=path, callbacks=[lambda step, h, g, d: step >= 8])
    _same(run(14, checkpoint=path, resume=True), whole)


def test_a_resumed_conditional_gan_reproduces_an_uninterrupted_one_exactly(tmp_path):
    from gancourse.models import ConditionalDiscriminator, ConditionalGenerator

    gen = torch.Generator().manual_seed(0)
    images, labels = torch.rand(48, 1, 28, 28, generator=gen) * 2 - 1, torch.randint(0, 10, (48,), generator=gen)

    def run(**kw):
        torch.manual_seed(0)
        G, D = ConditionalGenerator(latent_dim=8, ngf=4), ConditionalDiscriminator(ndf=4, projection=True)
        data = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True, drop_last=True,
                          generator=torch.Generator().manual_seed(1))          # a fresh loader, as a new session has
        return train_cgan(G, D, data, steps=8, sample_every=3, n_columns=2, device="cpu", progress=False, **kw)

    whole = run()
    path = tmp_path / "cgan.pt"
    run(checkpoint=path, callbacks=[lambda step, h, g, d: step >= 6])
    _same(run(checkpoint=path, resume=True), whole)


def test_the_loop_refuses_bad_arguments_clearly(tmp_path):
    with pytest.raises(TypeError, match="family must be a gancourse.training.Family"):
        train("gan", [1], steps=1)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        train(Regression(), _regression_data(), steps=0)
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        train(Regression(), _regression_data(), steps=1, resume=True)
    with pytest.raises(TypeError, match="data must be an iterable"):
        train(Regression(), 5, steps=1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="no batches"):
        train(Regression(), [], steps=1, device="cpu", progress=False)
    with pytest.raises(TypeError, match="callbacks must be functions"):
        train(Regression(), _regression_data(), steps=1, callbacks=["print"])
    path = tmp_path / "reg.pt"
    train(Regression(), _regression_data(), steps=2, device="cpu", progress=False, checkpoint=path)
    G, D = MLPGenerator(8, 16), MLPDiscriminator(16)
    with pytest.raises(ValueError, match="holds no state for 'generator'"):
        train(GAN(G, D), [torch.zeros(2, 1, 28, 28)], steps=3, device="cpu", progress=False, checkpoint=path, resume=True)
    with pytest.raises(NotImplementedError, match="must define train_step"):
        train(type("Bare", (Family,), {"models": {}, "optimizers": {}})(), [torch.zeros(1)], steps=1,
              device="cpu", progress=False)


@pytest.mark.parametrize("d_steps, g_first", [(1, False), (3, False), (1, True)])
def test_gan_step_order_and_d_steps_per_g_step(d_steps, g_first):
    calls = []

    def d_fn(D, G, real, noise, opt_D):
        calls.append("D")
        from gancourse.training.gan import d_step
        return d_step(D, G, real, noise, opt_D)

    def g_fn(D, G, noise, opt_G, non_saturating=True):
        calls.append("G")
        from gancourse.training.gan import g_step
        return g_step(D, G, noise, opt_G, non_saturating=non_saturating)

    torch.manual_seed(0)
    G, D = MLPGenerator(4, 8), MLPDiscriminator(8)
    data = DataLoader(TensorDataset(torch.rand(16, 1, 28, 28) * 2 - 1), batch_size=4, shuffle=False)
    history = train_gan(G, D, data, steps=2, latent_dim=4, d_steps=d_steps, g_first=g_first, d_step_fn=d_fn,
                        g_step_fn=g_fn, device="cpu", progress=False, sample_every=2)
    one_step = (["G"] + ["D"] * d_steps) if g_first else (["D"] * d_steps + ["G"])
    assert calls == one_step * 2
    assert len(history.loss_D) == 2

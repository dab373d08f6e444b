"""One training loop for every model family.

``train(family, data, steps=...)`` owns what every family shares:

* the step counter and a ``tqdm.auto`` bar whose postfix shows the family's numbers;
* sample points: every ``sample_every`` steps (and before the first step) the family draws its fixed input
  (``Family.sample``) and measures what it wants (``Family.measure``);
* the returned ``History``: the numbers of every step, the measurements and samples of every sample point, and
  the training time (sample points, checkpoints and callbacks are not counted);
* checkpoints written atomically at sample points, and an exact resume from one: models, optimisers, history,
  the step counter, the random generators and the position in the data, so that a resumed run continues as if
  it had never stopped;
* callbacks at sample points (``fn(step, history, family)``; returning True stops the run);
* a clean stop on Ctrl-C (KeyboardInterrupt): the history so far is returned, the last checkpoint is kept.

A family (a subclass of ``Family``) supplies only what is its own: its ``models`` and ``optimizers`` (dicts, saved
under those names), ``train_step(batch, rng)`` (one update, its losses, returning numbers by name), and optionally
``sample()``, ``measure(batch)``, ``config()`` and extra state. The steps a student writes (``d_step``,
``g_step``) stay plain functions that a family calls. Models on minGPT's trainer, Keras' ``train_step`` and
Lightning's ``training_step``.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Iterable

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from gancourse import _checks
from gancourse.device import get_device
from gancourse.training.checkpoints import load_into, read_states, write_states
from gancourse.training.history import History


class Family:
    """What a model family gives the loop. Subclass it and set ``models`` and ``optimizers`` in ``__init__``."""

    models: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]

    def setup(self, device: torch.device, rng: torch.Generator) -> None:
        """Called once before training: move the models to ``device``, put them in training mode, draw fixed
        inputs from ``rng`` (a seeded CPU generator). The default moves and sets the modes.

        On the CPU, convolutional models are kept in ``torch.channels_last`` memory format (oneDNN's NHWC kernels:
        the same maths, 1.17-1.19x faster steps on a 2-core CPU, ``benchmarks/bench_cpu_efficiency.py``; not yet
        measured on CUDA or MPS, so those keep the default format); ``to_device``
        moves image batches in the same format."""
        self.device = _checks.device("device", device)
        _checks.rng("rng", rng)
        convolutional = any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
                            for model in self.models.values() for m in model.modules())
        on_cpu = self.device.type == "cpu"
        self.memory_format = torch.channels_last if convolutional and on_cpu else torch.contiguous_format
        for model in self.models.values():
            model.to(self.device, memory_format=self.memory_format).train()

    def to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` on the family's device; a batch of images (4 dimensions) in the models' memory format."""
        _checks.tensor("tensor", tensor, floating=False)
        if tensor.ndim == 4:
            return tensor.to(self.device, memory_format=self.memory_format, non_blocking=True)
        return tensor.to(self.device, non_blocking=True)

    def train_step(self, batch, rng: torch.Generator) -> dict[str, float]:
        """One training step on ``batch`` (as the data yields it, on the CPU); draw randomness from ``rng``.
        Returns the step's numbers by name, e.g. ``{"loss_D": 0.69, "loss_G": 0.71}``."""
        raise NotImplementedError(f"{type(self).__name__} must define train_step(batch, rng)")

    def sample(self) -> torch.Tensor | None:
        """What to draw at a sample point (on the CPU), e.g. G's images for a fixed noise batch; None: nothing."""
        return None

    def measure(self, batch) -> dict[str, float]:
        """Extra numbers at a sample point, given the latest training batch (e.g. D(x) and D(G(z)))."""
        return {}

    def config(self) -> dict:
        """A JSON-ready description of the run, written beside every checkpoint."""
        return {}

    def extra_state(self) -> dict:
        """State beyond models and optimisers that a resumed run needs (e.g. a pool of past fakes)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore what ``extra_state`` returned."""


class _Batches:
    """Cycles over ``data`` for ever and remembers where it is, so that a resumed run gets the same batches.

    For data with a ``generator`` (a ``torch.Generator`` that it draws each epoch's order from when iterated: a
    ``DataLoader`` as ``load_images`` makes, an ``UnpairedLoader``) the generator's state at the start of the
    current epoch is kept, and a resume replays only that epoch's batches; any other iterable is replayed from
    its start (cheap for an endless stream of fresh draws, which then needs its own seeded generator)."""

    def __init__(self, data: Iterable):
        if isinstance(data, (str, bytes, torch.Tensor)) or not isinstance(data, Iterable):
            raise TypeError(f"data must be an iterable of batches (e.g. a DataLoader, or a list of tensors), "
                            f"got {type(data).__name__}")
        self.data, self.epoch, self.position, self.consumed = data, 0, 0, 0
        generator = getattr(data, "generator", None)
        self._generator = generator if isinstance(generator, torch.Generator) else None
        self._epoch_state, self._iterator = None, None

    def _start_epoch(self) -> None:
        if self._generator is not None:
            self._epoch_state = self._generator.get_state()
        self._iterator = iter(self.data)

    def __next__(self):
        if self._iterator is None:
            self._start_epoch()
        try:
            batch = next(self._iterator)
        except StopIteration:
            if self.position == 0:
                raise ValueError("data yielded no batches: expected a DataLoader or an iterable of batches") from None
            self.epoch, self.position = self.epoch + 1, 0
            self._start_epoch()
            return next(self)
        self.position, self.consumed = self.position + 1, self.consumed + 1
        return batch

    def state(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, "consumed": self.consumed,
                "generator": self._epoch_state}

    def restore(self, state: dict) -> None:
        if self._generator is not None and state.get("generator") is not None:
            self._generator.set_state(state["generator"])
            self._start_epoch()
            self.epoch, skip = state["epoch"], state["position"]
        else:
            skip = state["consumed"]
        for _ in range(skip):
            next(self)
        self.epoch, self.position, self.consumed = state["epoch"], state["position"], state["consumed"]


def batch_size_of(batch) -> int:
    """The number of examples in a batch: a tensor, or a tuple/list/dict whose first tensor leads with it."""
    if isinstance(batch, dict):
        batch = list(batch.values())
    first = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
    if not isinstance(first, torch.Tensor) or first.ndim == 0:
        raise TypeError(f"a batch must be a tensor or a tuple of tensors, got {type(first).__name__}")
    return first.shape[0]


def _postfix(numbers: dict) -> dict:
    return {name: f"{value:.3f}" for name, value in numbers.items() if isinstance(value, (int, float))}


def train(family: Family, data: Iterable, *, steps: int, device=None, sample_every: int | None = None,
          sample_at_start: bool = True, seed: int = 0, callbacks: Iterable[Callable] = (),
          checkpoint: str | os.PathLike | None = None, resume: bool = False, progress: bool = True,
          desc: str = "Training") -> History:
    """Train ``family`` on ``data`` until step ``steps`` and return the measured ``History``.

    Args:
        family: a ``Family`` (its models, optimisers and step).
        data: an iterable of batches, cycled over for as long as needed (a ``DataLoader``, a stream...).
        steps: the step the run ends at; a resumed run continues up to it.
        device: None for ``gancourse.get_device()``, else a device name or ``torch.device``.
        sample_every: steps between sample points; None: 10 sample points over the run. The last step is one too.
        sample_at_start: also sample before the first step (step 0), to see the untrained model.
        seed: seeds the generator the family draws its fixed input and its per-step randomness from.
        callbacks: ``fn(step, history, family)`` run at each sample point after the first step; True stops.
        checkpoint: a file written (atomically) at every sample point and at the end.
        resume: continue from ``checkpoint`` if that file exists (models, optimisers, history, step, random
            state, position in the data); the resumed run gives the same history as one never stopped.
        progress: show the tqdm bar.
        desc: the bar's label.
    """
    if not isinstance(family, Family):
        raise TypeError(f"family must be a gancourse.training.Family, got {type(family).__name__}")
    _checks.positive_int("steps", steps)
    if sample_every is not None:
        _checks.positive_int("sample_every", sample_every)
    seed = _checks.seed("seed", seed)
    for name, flag in (("sample_at_start", sample_at_start), ("resume", resume), ("progress", progress)):
        _checks.boolean(name, flag)
    _checks.text("desc", desc)
    if isinstance(callbacks, (str, bytes, torch.Tensor)) or not isinstance(callbacks, Iterable):
        raise TypeError(f"callbacks must be a list of functions fn(step, history, family), "
                        f"got {type(callbacks).__name__}")
    callbacks = list(callbacks)
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"callbacks must be functions fn(step, history, family), got {type(callback).__name__}")
    if checkpoint is not None:
        checkpoint = _checks.path("checkpoint", checkpoint)
    elif resume:
        raise ValueError("resume=True needs checkpoint=...: the file to continue from")
    saved = read_states(checkpoint, map_location="cpu") if resume and checkpoint.is_file() else None
    if saved is not None and not isinstance(saved.get("loop"), dict):
        raise ValueError(f"{checkpoint} is not a resumable checkpoint of gancourse.training.train (it has no loop state)")
    if sample_every is None:      # a resumed run keeps the sample points of the run it continues
        sample_every = saved["loop"]["sample_every"] if saved is not None else max(1, steps // 10)
    device = get_device(device)
    rng = torch.Generator().manual_seed(seed)
    family.setup(device, rng)
    batches, history = _Batches(data), History()
    if saved is not None:
        _restore(saved, checkpoint, family, history, batches, rng)
    if history.steps_done >= steps:
        return history

    bar = tqdm(total=steps, initial=history.steps_done, desc=desc, disable=not progress, leave=True)
    step, pending, started = history.steps_done, None, time.perf_counter()
    try:
        if sample_at_start and not history.sample_steps:
            pending = next(batches)                    # the first step's batch, measured before training on it
            history._record_point(0, family.measure(pending), family.sample())
        started = time.perf_counter()
        while step < steps:
            step += 1
            batch, pending = (pending if pending is not None else next(batches)), None
            numbers = family.train_step(batch, rng)
            history._record_step(step, numbers, batch_size_of(batch))
            if step % 10 == 0 or step == steps:
                bar.set_postfix(_postfix({**numbers, **{k: v[-1] for k, v in history.points.items()}}), refresh=False)
            bar.update(1)
            if step % sample_every == 0 or step == steps:
                history.seconds += time.perf_counter() - started
                history._record_point(step, family.measure(batch), family.sample())
                if checkpoint is not None:
                    _save(checkpoint, family, history, batches, rng, step, sample_every)
                stop = [callback(step, history, family) is True for callback in callbacks]
                started = time.perf_counter()
                if any(stop):
                    break
        history.seconds += time.perf_counter() - started
    except KeyboardInterrupt:
        history.seconds += time.perf_counter() - started
        history.interrupted = True
        bar.write(f"{desc}: stopped at step {history.steps_done}; returning the history so far"
                  + (f" (the last checkpoint, {checkpoint}, is kept)" if checkpoint is not None else ""))
    finally:
        bar.close()
    return history


def _save(path, family: Family, history: History, batches: _Batches, rng: torch.Generator, step: int,
          sample_every: int) -> None:
    states = {name: model.state_dict() for name, model in family.models.items()}
    states.update({name: opt.state_dict() for name, opt in family.optimizers.items()})
    states["history"] = history.to_dict(with_samples=True)
    states["config"] = family.config()
    states["loop"] = {"step": step, "sample_every": sample_every, "rng": rng.get_state(),
                      "torch_rng": torch.get_rng_state(),
                      "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                      "data": batches.state(), "extra": family.extra_state()}
    write_states(path, states, config=states["config"])


def _restore(states: dict, path, family: Family, history: History, batches: _Batches, rng: torch.Generator) -> None:
    loop = states["loop"]
    load_into(states, {**family.models, **family.optimizers}, path)
    restored = History.from_dict(states["history"])
    history.__dict__.update(restored.__dict__)
    rng.set_state(loop["rng"])
    torch.set_rng_state(loop["torch_rng"])
    if loop.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(loop["cuda_rng"])
    batches.restore(loop["data"])
    family.load_extra_state(loop.get("extra") or {})

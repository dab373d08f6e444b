"""What a training run measured: ``History``, returned by ``gancourse.training.train`` and saved in checkpoints."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from gancourse import _checks


@dataclass
class History:
    """What a run measured. ``logs[name]``: one number per step (``step``); ``points[name]``: one per sample point
    (``sample_steps``, with ``point_seconds`` the training time at each); ``samples``: what was drawn there.
    Every name is also an attribute: ``history.loss_D`` is ``history.logs["loss_D"]``."""

    step: list[int] = field(default_factory=list)
    logs: dict[str, list[float]] = field(default_factory=dict)
    sample_steps: list[int] = field(default_factory=list)
    point_seconds: list[float] = field(default_factory=list)
    points: dict[str, list[float]] = field(default_factory=dict)
    samples: list[torch.Tensor] = field(default_factory=list)
    seconds: float = 0.0
    images_seen: int = 0
    interrupted: bool = False

    def __post_init__(self):
        for name in ("step", "sample_steps", "point_seconds", "samples"):
            if not isinstance(getattr(self, name), list):
                raise TypeError(f"{name} must be a list, got {type(getattr(self, name)).__name__}")
        for name in ("logs", "points"):
            if not isinstance(getattr(self, name), dict):
                raise TypeError(f"{name} must be a dict of lists by name, got {type(getattr(self, name)).__name__}")
        _checks.number("seconds", self.seconds, 0.0)
        _checks.non_negative_int("images_seen", self.images_seen)
        _checks.boolean("interrupted", self.interrupted)

    def __getattr__(self, name: str):
        if not name.startswith("_"):
            for table in ("logs", "points"):
                values = self.__dict__.get(table, {})
                if name in values:
                    return values[name]
        raise AttributeError(f"History has no {name!r}: logged per step {sorted(self.__dict__.get('logs', {}))}, "
                             f"per sample point {sorted(self.__dict__.get('points', {}))}")

    @property
    def steps_done(self) -> int:
        return self.step[-1] if self.step else 0

    def first_reaching(self, name: str, level: float) -> tuple[int, float] | None:
        """(step, training seconds) of the first sample point where ``points[name]`` reached ``level``, or None.

        Raises KeyError if ``name`` was not measured."""
        _checks.text("name", name)
        level = _checks.number("level", level)
        if name not in self.points:
            raise KeyError(f"name must be one of the measurements {sorted(self.points)}, got {name!r}")
        for step, value, seconds in zip(self.sample_steps, self.points[name], self.point_seconds):
            if value >= level:
                return step, seconds
        return None

    def to_dict(self, with_samples: bool = False) -> dict:
        """A plain dict (JSON-ready without samples)."""
        _checks.boolean("with_samples", with_samples)
        out = {"step": list(self.step), "logs": {k: list(v) for k, v in self.logs.items()},
               "sample_steps": list(self.sample_steps), "point_seconds": list(self.point_seconds),
               "points": {k: list(v) for k, v in self.points.items()}, "seconds": self.seconds,
               "images_seen": self.images_seen, "interrupted": self.interrupted}
        if with_samples:
            out["samples"] = [s.clone() for s in self.samples]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        """Read ``to_dict``'s output, or the flat layout of older checkpoints (``loss_D``, ``D_real`` ... as keys)."""
        if not isinstance(data, dict):
            raise TypeError(f"data must be a dict from History.to_dict(), got {type(data).__name__}")
        history = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        for key, values in data.items():          # the flat layout of checkpoints written before the one loop
            if key not in cls.__dataclass_fields__ and isinstance(values, list):
                per_step = len(values) == len(history.step)
                if per_step and len(values) == len(history.sample_steps):
                    per_step = key.startswith("loss")
                (history.logs if per_step else history.points)[key] = values
        return history

    def _record_step(self, step: int, numbers: dict, batch_size: int) -> None:
        self.step.append(step)
        for name, value in numbers.items():
            self.logs.setdefault(name, [math.nan] * (len(self.step) - 1)).append(float(value))
        for name, values in self.logs.items():
            if len(values) < len(self.step):
                values.append(math.nan)
        self.images_seen += batch_size

    def _record_point(self, step: int, numbers: dict, sample) -> None:
        self.sample_steps.append(step)
        self.point_seconds.append(self.seconds)
        for name, value in numbers.items():
            self.points.setdefault(name, [math.nan] * (len(self.sample_steps) - 1)).append(float(value))
        for name, values in self.points.items():
            if len(values) < len(self.sample_steps):
                values.append(math.nan)
        if sample is not None:
            self.samples.append(sample)

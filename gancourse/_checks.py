"""Argument checks shared by the public functions: each raises a clear error that says what was expected."""
from __future__ import annotations

import math
import os
from pathlib import Path

import torch
from torch import nn


def positive_int(name: str, value) -> int:
    """Return ``value`` if it is a positive ``int`` (not a bool), else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def positive_float(name: str, value) -> float:
    """Return ``value`` as a float if it is a positive number, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def tensor(name: str, value, *, ndim: int | tuple[int, ...] | None = None, floating: bool = True) -> torch.Tensor:
    """Check that ``value`` is a tensor (floating point unless ``floating=False``) with ``ndim`` dimensions."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if value.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimensions, got shape {tuple(value.shape)}")
    return value


def logits(name: str, value) -> torch.Tensor:
    """Check a batch of discriminator logits: a floating tensor of shape (B,) or (B, 1), B >= 1."""
    tensor(name, value, ndim=(1, 2))
    if value.ndim == 2 and value.shape[1] != 1:
        raise ValueError(f"{name} must have shape (B,) or (B, 1), got {tuple(value.shape)}")
    if value.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one logit")
    return value.reshape(-1)


def images(name: str, value, shape: tuple[int, int, int]) -> torch.Tensor:
    """Check a batch of images of shape (B, C, H, W) matching ``shape`` = (C, H, W)."""
    tensor(name, value, ndim=4)
    if tuple(value.shape[1:]) != tuple(shape):
        raise ValueError(f"{name} must have shape (B, {', '.join(map(str, shape))}), got {tuple(value.shape)}")
    return value


def boolean(name: str, value) -> bool:
    """Return ``value`` if it is True or False, else raise ``TypeError``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def seed(name: str, value) -> int:
    """Return ``value`` if it is a non-negative int (not a bool), else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def module(name: str, value) -> nn.Module:
    """Return ``value`` if it is a ``torch.nn.Module``, else raise ``TypeError``."""
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def rng(name: str, value) -> torch.Generator | None:
    """Return ``value`` if it is None or a ``torch.Generator``, else raise ``TypeError``."""
    if value is not None and not isinstance(value, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator (e.g. torch.Generator().manual_seed(0)) or None, "
                        f"got {type(value).__name__}")
    return value


def path(name: str, value) -> Path:
    """Return ``value`` as a ``Path`` if it is a str or path-like (not empty), else raise."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or pathlib.Path), got {type(value).__name__}")
    if str(value) == "":
        raise ValueError(f"{name} is an empty path")
    return Path(value).expanduser()


def non_negative_int(name: str, value) -> int:
    """Return ``value`` if it is an ``int`` (not a bool) >= 0, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def number(name: str, value, low: float = -math.inf, high: float = math.inf, *, high_open: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number in [low, high] (or [low, high) with ``high_open``)."""
    inside = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
              and low <= value and (value < high if high_open else value <= high))
    if not inside:
        if low == -math.inf and high == math.inf:
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        raise ValueError(f"{name} must be a number in [{low:g}, {high:g}{')' if high_open else ']'}, got {value!r}")
    return float(value)


def text(name: str, value, *, optional: bool = False) -> str | None:
    """Return ``value`` if it is a ``str`` (or None when ``optional``), else raise ``TypeError``."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string{' or None' if optional else ''}, got {type(value).__name__}")
    return value


def one_of(name: str, value, choices) -> str:
    """Return ``value`` if it is one of the strings ``choices``, else raise ``ValueError``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def names(name: str, value, count: int | None = None) -> list[str]:
    """Return ``value`` as a list if it is a non-empty list or tuple of strings (``count`` of them, if given)."""
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{name} must be a non-empty list of strings, got {value!r}")
    if count is not None and len(value) != count:
        raise ValueError(f"{name} must hold {count} names, one per class, got {len(value)}")
    return list(value)


def interval(name: str, value) -> tuple[float, float]:
    """Return ``value`` as ``(low, high)`` if it is a pair of finite numbers with low < high, else raise."""
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)):
        raise TypeError(f"{name} must be a pair of numbers (low, high), got {value!r}")
    if not value[0] < value[1]:
        raise ValueError(f"{name} must be (low, high) with low < high, got {tuple(value)}")
    return float(value[0]), float(value[1])


def device(name: str, value) -> torch.device:
    """Return the ``torch.device`` that ``value`` names ('cpu', 'cuda', 'cuda:1', 'mps', 'auto' or a torch.device)."""
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be a device name such as 'cpu' or 'cuda', or a torch.device, "
                        f"got {type(value).__name__}")
    from gancourse.device import get_device
    try:
        return get_device(value)
    except ValueError:
        raise ValueError(f"{name} must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {value!r}") from None


def axes(name: str, value):
    """Return ``value`` if it is None or a matplotlib ``Axes``, else raise ``TypeError``."""
    from matplotlib.axes import Axes
    if value is not None and not isinstance(value, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes (e.g. from plt.subplots()) or None, "
                        f"got {type(value).__name__}")
    return value


def like_weights(value: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """``value`` in the floating dtype of ``model``'s weights (float64 input to a float32 model is converted)."""
    weight = next(model.parameters(), None)
    if weight is not None and value.is_floating_point() and value.dtype != weight.dtype:
        return value.to(weight.dtype)
    return value


def optimizer(name: str, value) -> torch.optim.Optimizer:
    """Return ``value`` if it is a ``torch.optim.Optimizer``, else raise ``TypeError``."""
    if not isinstance(value, torch.optim.Optimizer):
        raise TypeError(f"{name} must be a torch.optim.Optimizer (e.g. torch.optim.Adam(model.parameters())), "
                        f"got {type(value).__name__}")
    return value


def class_labels(name: str, value) -> torch.Tensor:
    """Return ``value`` if it is a 1-D integer tensor of class indices, else raise."""
    tensor(name, value, ndim=1, floating=False)
    if value.dtype == torch.bool or value.is_floating_point() or value.is_complex():
        raise TypeError(f"{name} must be an integer tensor of class indices, got dtype {value.dtype}")
    return value

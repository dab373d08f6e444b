"""Argument checks shared by the public functions: each raises a clear error that says what was expected."""
from __future__ import annotations

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

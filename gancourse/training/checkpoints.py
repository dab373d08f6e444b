"""Checkpoints: named state dicts in one file, written atomically, with a JSON of the run's config beside it.

* ``write_states`` / ``read_states`` — the file format: a dict of named states (``"generator"``, ``"opt_G"``,
  ``"history"``, ``"config"``...). The file is written under a temporary name and then renamed, so a crash or
  Ctrl-C mid-write never destroys the previous checkpoint.
* ``save_checkpoint`` / ``load_checkpoint`` — a GAN's generator and discriminator (and optionally their
  optimisers and history) under the names the training loop uses for them, so ``load_checkpoint`` also reads the
  checkpoints that ``gancourse.training.train`` writes for the GAN families.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from gancourse import _checks
from gancourse.device import get_device
from gancourse.training.history import History


def write_states(path: str | os.PathLike, states: dict, config: dict | None = None) -> Path:
    """Save ``states`` (a dict) to ``path`` atomically, and ``config`` as JSON beside it (``.json``). Returns the path."""
    path = _checks.path("path", path)
    if not isinstance(states, dict):
        raise TypeError(f"states must be a dict of named states, got {type(states).__name__}")
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config must be a dict of JSON-ready settings or None, got {type(config).__name__}")
    config = dict(config or {})
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"          # fails early on a config JSON cannot hold
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(states, tmp)
    os.replace(tmp, path)
    path.with_suffix(".json").write_text(text)
    return path


def read_states(path: str | os.PathLike, map_location=None) -> dict:
    """Load the dict that ``write_states`` saved. ``FileNotFoundError`` if absent, ``ValueError`` if unreadable."""
    path = _checks.path("path", path)
    if map_location is not None:
        map_location = _checks.device("map_location", map_location)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at path={str(path)!r}")
    try:
        states = torch.load(path, map_location=map_location if map_location is not None else get_device(),
                            weights_only=True)
    except Exception as err:  # pickle, zip and torch errors alike
        raise ValueError(f"{path} is not a readable gancourse checkpoint ({err}); delete it and train again") from err
    if not isinstance(states, dict):
        raise ValueError(f"{path} is not a gancourse checkpoint: expected a dict of named states")
    return states


def load_into(states: dict, targets: dict, path) -> None:
    """Load ``states[name]`` into each ``targets[name]`` (a module or optimiser), with an error naming what does not fit."""
    if not isinstance(states, dict):
        raise TypeError(f"states must be the dict of named states of a checkpoint, got {type(states).__name__}")
    if not isinstance(targets, dict):
        raise TypeError(f"targets must be a dict {{name: module or optimiser}}, got {type(targets).__name__}")
    for name, target in targets.items():
        if states.get(name) is None:
            raise ValueError(f"{path} holds no state for {name!r}: it was written for other models")
        try:
            target.load_state_dict(states[name])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(f"the {name} in {path} does not fit the given {type(target).__name__}: {err}") from err


def save_checkpoint(path: str | os.PathLike, generator: nn.Module, discriminator: nn.Module | None = None, *,
                    history=None, config: dict | None = None, opt_G: torch.optim.Optimizer | None = None,
                    opt_D: torch.optim.Optimizer | None = None) -> Path:
    """Write a GAN (and optionally its optimisers, a ``History`` and a config) to ``path``; ``config`` also goes to
    a JSON file beside it. Returns the path written."""
    _checks.module("generator", generator)
    if discriminator is not None:
        _checks.module("discriminator", discriminator)
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be a History (from training) or None, got {type(history).__name__}")
    for name, opt in (("opt_G", opt_G), ("opt_D", opt_D)):
        if opt is not None:
            _checks.optimizer(name, opt)
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config must be a dict of JSON-ready settings or None, got {type(config).__name__}")
    states = {
        "generator": generator.state_dict(),
        "discriminator": discriminator.state_dict() if discriminator is not None else None,
        "opt_G": opt_G.state_dict() if opt_G is not None else None,
        "opt_D": opt_D.state_dict() if opt_D is not None else None,
        "history": history.to_dict() if history is not None else None,
        "config": dict(config or {}),
    }
    return write_states(path, states, config=states["config"])


def load_checkpoint(path: str | os.PathLike, generator: nn.Module, discriminator: nn.Module | None = None, *,
                    opt_G: torch.optim.Optimizer | None = None, opt_D: torch.optim.Optimizer | None = None,
                    map_location=None) -> dict:
    """Load a checkpoint into the given models (and optimisers).

    Returns ``{"config": dict, "history": History | None}``. Raises ``FileNotFoundError`` if there is no
    such file and ``ValueError`` if it does not fit the given models.
    """
    _checks.module("generator", generator)
    if discriminator is not None:
        _checks.module("discriminator", discriminator)
    states = read_states(path, map_location)
    if "generator" not in states:
        raise ValueError(f"{path} is not a GAN checkpoint: expected a dict with a 'generator' entry")
    targets = {"generator": generator, "discriminator": discriminator, "opt_G": opt_G, "opt_D": opt_D}
    load_into(states, {key: target for key, target in targets.items() if target is not None}, path)
    history = History.from_dict(states["history"]) if states.get("history") else None
    return {"config": states.get("config", {}), "history": history}

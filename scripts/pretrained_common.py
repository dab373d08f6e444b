"""What the checkpoint builders (``build_pretrained*.py``) share: the command-line options (``--compare`` too), the
recorded command line, float16 storage and the size limit of a shipped checkpoint."""
from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path
from typing import Callable

import torch

from gancourse.training import save_checkpoint

MAX_BYTES = 2 * 1024 * 1024   # a shipped checkpoint stays below 2 MiB


def build_parser(doc: str, names: list[str], steps: int, seed: int, out: Path) -> argparse.ArgumentParser:
    """The options every builder takes: data sets, steps, seed, threads, device, output folder, progress bar."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=names)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    parser.add_argument("--out", default=str(out))
    parser.add_argument("--no-progress", action="store_true")
    return parser


def prepare(args: argparse.Namespace) -> Path:
    """Apply ``--threads`` and create ``--out``; returns the output folder."""
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: CPU timings are only comparable on an otherwise idle machine."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def save_half(path: Path, G: torch.nn.Module, D: torch.nn.Module, history, info: dict) -> None:
    """Save float16 copies of G and D (half the file; ``load_state_dict`` casts back to float32 on loading)."""
    save_checkpoint(path, copy.deepcopy(G).cpu().half(), copy.deepcopy(D).cpu().half(), history=history, config=info)


def check_size(path: Path, hint: str = "use smaller widths") -> None:
    """Stop with a clear message if the checkpoint at ``path`` is over the 2 MiB limit."""
    if path.stat().st_size > MAX_BYTES:
        raise SystemExit(f"{path} is {path.stat().st_size / 2**20:.2f} MiB, over the 2 MiB limit: {hint}")


def command_line(script: str) -> str:
    """``python scripts/<script>`` with this run's arguments, less ``--out``, ``--no-progress`` and ``--note`` (with
    their values): the ``built_by`` of a builder's JSON."""
    args = sys.argv[1:]
    return f"python scripts/{script} " + " ".join(
        a for a, before in zip(args, ["", *args])
        if a not in ("--out", "--no-progress", "--note") and before not in ("--out", "--note"))

def spelled(changes: dict, sep: str) -> str:
    """{'lambda_cycle': 10.0, 'adversarial': 'bce'} → 'lambda_cycle=10<sep>adversarial=bce' (a --compare's name)."""
    return sep.join(f"{k}={v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"{k}={v}"
                    for k, v in changes.items())


def config_changes(config_class) -> Callable[[str], dict]:
    """The argparse type of ``--compare``: 'lambda_cycle=10,adversarial=bce' → {'lambda_cycle': 10.0,
    'adversarial': 'bce'}, each NAME a field of the dataclass ``config_class``, each value of that field's type
    (a number, or ``none``, for a field whose default is None)."""
    defaults = config_class()

    def parse(text: str) -> dict:
        changes = {}
        for item in text.split(","):
            key, _, value = item.partition("=")
            if key not in config_class.__dataclass_fields__ or not value:
                raise argparse.ArgumentTypeError(f"expected NAME=VALUE with NAME a {config_class.__name__} field, "
                                                 f"got {item!r}")
            default = getattr(defaults, key)
            kind = float if default is None else type(default)       # a field whose default is None takes a number
            if default is None and value.lower() == "none":
                changes[key] = None
            elif kind is bool:
                if value.lower() not in ("true", "false", "1", "0"):
                    raise argparse.ArgumentTypeError(f"{key} takes true or false, got {value!r}")
                changes[key] = value.lower() in ("true", "1")
            else:
                try:
                    changes[key] = kind(float(value)) if kind in (int, float) else value
                except ValueError:
                    raise argparse.ArgumentTypeError(f"{key} takes a number, got {value!r}") from None
        return changes

    return parse

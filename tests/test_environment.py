"""pyproject.toml (pip) and environment.yml (conda) name the same packages, and pin the same torch pair."""
import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(_split(r) for r in reqs)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            out.update(_split(d) for d in dep["pip"] if not d.startswith("-e"))
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pip "):
            out.update([_split(dep)])
    return out


def _constraints() -> dict[str, str]:
    lines = (REPO / "requirements" / "constraints.txt").read_text().splitlines()
    return dict(_split(line) for line in lines if line.strip() and not line.startswith("#"))


def test_same_packages_in_pyproject_and_environment():
    assert set(_pyproject()) == set(_environment())


def test_same_version_ranges_except_the_pinned_pair():
    pinned = _constraints()
    py, env = _pyproject(), _environment()
    for name in py:
        if name in pinned:
            assert env[name] == pinned[name], f"environment.yml should pin {name}{pinned[name]} like constraints.txt"
        else:
            assert py[name] == env[name], f"{name}: pyproject says {py[name]!r}, environment.yml says {env[name]!r}"


def test_pinned_pair_satisfies_pyproject():
    from packaging.specifiers import SpecifierSet
    py = _pyproject()
    for name, pin in _constraints().items():
        version = pin.removeprefix("==")
        assert version in SpecifierSet(py[name]), f"constraints pin {name}=={version} outside pyproject's {py[name]}"

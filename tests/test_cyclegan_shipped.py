"""The shipped CycleGAN (handwritten ↔ printed digits) and its builder: the checkpoint is small, loads, and gives
back on re-measurement the numbers its JSON records, which notebook 05 quotes; the builder writes such a pair."""
import importlib.util
import json

import pytest
import torch

from gancourse.data.domains import load_domain
from gancourse.metrics.translation import translation_report
from gancourse.models.cyclegan import CycleGANConfig, load_pretrained, pretrained_path

REPO = pretrained_path().parents[2]
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _test_sets():
    xt, xl = load_domain("handwritten", "test")
    yt, yl = load_domain("printed", "test")
    return xt, xl, yt, yl


def test_the_shipped_cyclegan_reproduces_what_its_json_records():
    path = pretrained_path()
    assert path.is_file() and path.stat().st_size < 2 * 1024 * 1024
    info = json.loads(path.with_suffix(".json").read_text())
    G, F = load_pretrained()
    assert not G.training and G.width == info["config"]["width"]
    measured = translation_report(G, F, *_test_sets())
    recorded = info["evaluation"]
    for direction in ("x_to_y", "y_to_x"):
        for key in ("content_kept", "domain_reached", "cycle_error", "fd", "fd_floor"):
            assert measured[direction][key] == pytest.approx(recorded[direction][key], abs=2e-3, rel=1e-3), (
                direction, key)


def test_the_shipped_cyclegan_beats_its_baselines_where_the_notebook_says_it_does():
    info = json.loads(pretrained_path().with_suffix(".json").read_text())
    shipped, identity, no_cycle = info["evaluation"], info["baselines"]["identity"], info["baselines"]["lambda_0"]
    for direction in ("x_to_y", "y_to_x"):
        assert shipped[direction]["domain_reached"] > 0.8 > 0.1 > identity[direction]["domain_reached"]
        assert shipped[direction]["content_kept"] > 0.8 > 0.2 > no_cycle[direction]["content_kept"]
        assert no_cycle[direction]["domain_reached"] > 0.8           # λ = 0 reaches the domain and loses the digit
    compared = [run for name, run in info["baselines"].items() if name.startswith("compare")]
    assert compared and all(run["config"]["lambda_cycle"] != info["config"]["lambda_cycle"] for run in compared)


def test_the_builder_writes_a_measured_loadable_checkpoint_with_its_baselines(tmp_path):
    spec = importlib.util.spec_from_file_location("build_cyclegan", REPO / "scripts" / "build_pretrained_cyclegan.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    config = CycleGANConfig(width=2, n_blocks=1, d_width=2, steps=2, decay_steps=1, batch_size=4)
    info = script.build(config, tmp_path, baseline_steps=2, device="cpu", progress=False, monitor=8,
                        compare=({"lambda_cycle": 5.0},))
    path = tmp_path / "cyclegan_digits.pt"
    assert json.loads(path.with_suffix(".json").read_text()) == info
    assert set(info["baselines"]) == {"identity", "lambda_0", "compare lambda_cycle=5"}
    assert info["baselines"]["compare lambda_cycle=5"]["config"]["lambda_cycle"] == 5.0
    assert "--compare lambda_cycle=5" in info["built_by"]
    G, F = load_pretrained(path=path)
    assert G.width == 2 and G(torch.zeros(1, 1, 28, 28)).shape == (1, 1, 28, 28)
    with pytest.raises(SystemExit):
        script.main(["--compare", "no_such_field=1"])

"""The StarGAN builder (scripts/build_pretrained_stargan.py) on a tiny configuration: it writes a checkpoint that
``load_pretrained`` reads back, and a JSON with the configuration, the reports during training, the evaluation of
the checkpoint as written, the identity baseline, each ``compare`` run, and the command that built it."""
import importlib.util
import json
import sys

import pytest
import torch

from gancourse.models.stargan import StarGANConfig, StarGenerator, load_pretrained, pretrained_path

REPO = pretrained_path().parents[2]
pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              pytest.mark.filterwarnings("ignore::gancourse.data.EmbeddedDataNotice")]

REPORT_KEYS = {"all", "attributes", "changed", "untouched", "content_kept", "content_ceiling", "reconstruction_error",
               "exact_error", "translations", "per_target"}


def _builder():
    spec = importlib.util.spec_from_file_location("build_stargan", REPO / "scripts" / "build_pretrained_stargan.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_the_builder_writes_a_loadable_checkpoint_and_records_how(tmp_path, monkeypatch):
    script = _builder()
    monkeypatch.setattr(sys, "argv", ["build_pretrained_stargan.py", "--steps", "4", "--width", "2",
                                      "--out", str(tmp_path), "--no-progress"])
    config = StarGANConfig(width=2, d_width=2, n_blocks=1, steps=4, decay_steps=2, batch_size=4)
    info = script.build(config, tmp_path, device="cpu", progress=False, monitor=20,
                        compare=({"adversarial": "wgan-gp", "n_critic": 2},))
    written = json.loads((tmp_path / "stargan_digits.json").read_text())
    assert written["config"] == info["config"] == config.to_dict()
    assert {"parameters", "train_seconds", "seconds_per_step", "device", "machine", "evaluation", "baselines",
            "reports_during_training", "built_by", "build_seconds", "stored_dtype"} <= set(written)
    assert written["built_by"] == "python scripts/build_pretrained_stargan.py --steps 4 --width 2"
    points = written["reports_during_training"]["points"]
    assert written["reports_during_training"]["test_images"] == 20 and [p["step"] for p in points] == [1, 2, 3, 4]
    assert all(REPORT_KEYS <= set(p) and p["translations"] == 8 * 20 for p in points)
    n_test = written["evaluation"]["test_images"]
    assert REPORT_KEYS <= set(written["evaluation"]) and written["evaluation"]["translations"] == 8 * n_test
    assert set(written["baselines"]) == {"identity", "compare adversarial=wgan-gp, n_critic=2"}
    assert written["baselines"]["identity"]["reconstruction_error"] == 0
    compared = written["baselines"]["compare adversarial=wgan-gp, n_critic=2"]
    assert compared["config"]["n_critic"] == 2 and compared["config"]["width"] == 2 and REPORT_KEYS <= set(compared)

    G = load_pretrained(path=tmp_path / "stargan_digits.pt")
    assert isinstance(G, StarGenerator) and not G.training and G.width == 2 and G.n_blocks == 1
    assert sum(p.numel() for p in G.parameters()) == written["parameters"]["G"]
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert G(x, torch.tensor([[1.0, 0, 1], [0, 1, 0]])).shape == (2, 1, 28, 28)

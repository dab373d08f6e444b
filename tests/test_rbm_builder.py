"""The RBM builder (scripts/build_pretrained_rbm.py) records AIS at every schedule asked for, uses the longest, keeps
a --note out of its command line, and the shipped JSONs follow that layout (notebook 07 reads ais_by_schedule)."""
import importlib.util
import json
import sys

import pytest

from gancourse.training.rbm import PRETRAINED_DIR, load_rbm

REPO = PRETRAINED_DIR.parents[1]
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_builder_records_each_ais_schedule_and_uses_the_longest(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_rbm", REPO / "scripts" / "build_pretrained_rbm.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    note = "Chosen because it is a test."
    monkeypatch.setattr(sys, "argv", ["build_pretrained_rbm.py", "--hidden", "4", "--epochs", "1", "--ais-chains", "8",
                                      "--ais-scale", "0.02", "0.01", "--name", "tiny", "--out", str(tmp_path),
                                      "--no-progress", "--note", note])
    script.main()
    info = json.loads((tmp_path / "tiny.json").read_text())
    schedules = info["ais_by_schedule"]
    assert [e["scale"] for e in schedules] == [0.01, 0.02]                      # shortest first
    assert schedules[0]["temperatures"] < schedules[1]["temperatures"]
    assert {k: v for k, v in schedules[-1].items() if k != "scale"} == info["log_likelihood"]["ais"]
    assert all("error_vs_exact" in e for e in schedules)                        # 2^4 states: the exact log Z exists
    assert info["notes"] == note and note not in info["built_by"] and "--note" not in info["built_by"]
    assert "--ais-scale 0.02 0.01" in info["built_by"]
    assert "Shorter schedules gave" in info["notes_ais"]
    assert load_rbm(tmp_path / "tiny.pt").n_hidden == 4


@pytest.mark.parametrize("name", ["rbm_mnist", "rbm500_mnist"])
def test_the_shipped_rbms_record_ais_at_growing_schedules(name):
    info = json.loads((PRETRAINED_DIR / f"{name}.json").read_text())
    schedules = info["ais_by_schedule"]
    assert len(schedules) >= 3 and [e["temperatures"] for e in schedules] == sorted(e["temperatures"] for e in schedules)
    assert {k: v for k, v in schedules[-1].items() if k != "scale"} == info["log_likelihood"]["ais"]
    if "exact" in info["log_likelihood"]:             # the longest schedule is the closest to the exact value
        errors = [abs(e["error_vs_exact"]) for e in schedules]
        assert errors[-1] == min(errors) and errors[-1] < 1.0

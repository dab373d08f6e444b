"""The pieces of isolated grading on their own: plain data only, answers judged in a sandboxed worker that an
answer can crash, stall or try to cheat in without changing any verdict but its own, checks found in a test cell's
source, tampering and copied reference code found in what students hand in."""
import json
import sys
import types
from pathlib import Path

import cloudpickle
import pytest
import torch

import solutions_minmax as s
from autograder.checks import minmax as checks
from autograder.grading import judge, scan
from autograder.grading.answers import AnswerUnavailable, collect, plain
from autograder.grading.guards import resolve
from autograder.grading.sandbox import Plan
from autograder.grading.worker import Worker
from autograder.probes import describe
from gancourse import theory

REPO = Path(__file__).resolve().parents[1]


class Agreeable(torch.Tensor):
    """A tensor subclass that answers every torch function with "equal"."""
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal, torch.Tensor.__eq__):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


def test_plain_refuses_objects_and_describe_unwraps_tensor_subclasses():
    with pytest.raises(TypeError, match="not plain data"):
        plain({"net": torch.nn.Linear(2, 2)})
    sneaky = torch.tensor([1.0, 2.0]).as_subclass(Agreeable)
    out = describe(sneaky)
    assert type(out) is torch.Tensor and out.tolist() == [1.0, 2.0]
    assert describe((1, "a", None, [2.5])) == [1, "a", None, [2.5]]
    assert describe(object()) == {"object": "object"}


def test_a_tensor_subclass_cannot_answer_for_a_wrong_answer():
    def bce(probs, targets):
        return torch.tensor(0.0, requires_grad=True).as_subclass(Agreeable)
    with pytest.raises(AssertionError, match="differs"):
        checks.check_bce(bce)


@pytest.mark.parametrize("source,keys", [
    ("from autograder.checks.intro import check_d_step\ncheck_d_step(d_step)", ["intro.check_d_step"]),
    ("from autograder.checks.minmax import check_bce as c, check_jsd\nc(bce)\ncheck_jsd(jsd)",
     ["minmax.check_bce", "minmax.check_jsd"]),
    ("import autograder.checks.dcgan as k\nk.check_generator(Generator)", ["dcgan.check_generator"]),
    ("assert True", []), ("this is not python(", []),
])
def test_check_keys_are_read_from_the_cells_source(source, keys):
    assert judge.check_keys(source) == keys


def test_collect_explains_what_cannot_be_handed_over(tmp_path, monkeypatch):
    with pytest.raises(AnswerUnavailable, match="could not be handed"):
        collect("minmax.check_bce", (x for x in range(3)), tmp_path)
    monkeypatch.setattr("autograder.grading.answers.MAX_ANSWER_BYTES", 10)
    with pytest.raises(AnswerUnavailable, match="MiB"):
        collect("minmax.check_bce", s.bce, tmp_path)


def test_guard_names_must_name_functions():
    assert resolve("gancourse.theory.binary_cross_entropy") is theory.binary_cross_entropy
    with pytest.raises((ValueError, AttributeError)):
        resolve("gancourse.theory.no_such_function")


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    root = tmp_path_factory.mktemp("worker")
    for sub in ("answers", "sock"):
        (root / sub).mkdir()
    plan = Plan(hide=[str(REPO)], expose=[str(REPO / "gancourse"), str(REPO / "autograder"), sys.prefix],
                writable=[str(root / "sock")])
    w = Worker(plan, root / "sock", hide_in_child=[str(REPO / "gancourse"), str(REPO / "autograder")])
    yield w, root
    w.close()


def _judge(worker, check, answer, timeout=30):
    w, root = worker
    cloudpickle.register_pickle_by_value(sys.modules[answer.__module__]) if answer.__module__ != "__main__" else None
    blob = root / "answers" / f"{check.key}-{answer.__name__}.pkl"
    blob.write_bytes(cloudpickle.dumps(answer))
    with w.answer(check.key, blob, check.probes.__name__, check.guards, timeout) as remote:
        check(remote)


def test_the_worker_passes_a_right_answer_and_fails_a_wrong_one(worker):
    _judge(worker, checks.check_bce, s.bce)
    with pytest.raises(AssertionError, match="take the mean"):
        _judge(worker, checks.check_bce, s.summed_bce)


def exits(probs, targets):
    import os
    os._exit(0)


def sleeps(probs, targets):
    import time
    time.sleep(60)


def calls_the_reference(probs, targets):
    from gancourse import theory
    return theory.binary_cross_entropy(probs, targets)


def reads_the_source(probs, targets):
    import gancourse.theory
    exec(open(gancourse.theory.__file__).read(), namespace := {})
    return namespace["binary_cross_entropy"](probs, targets)


@pytest.mark.parametrize("answer,message,timeout", [
    (exits, "ended its process", 30), (sleeps, "longer than 5 s", 5),
    (calls_the_reference, "no credit", 30), (reads_the_source, "FileNotFoundError", 30),
])
def test_an_answer_cannot_crash_stall_or_borrow_the_reference_in_the_worker(worker, answer, message, timeout):
    with pytest.raises(AssertionError, match=message):
        _judge(worker, checks.check_bce, answer, timeout)
    _judge(worker, checks.check_bce, s.bce)            # and the next answer is judged as usual


def test_copied_reference_code_is_found_without_unpickling(tmp_path):
    copy = types.FunctionType(theory.binary_cross_entropy.__code__, {"torch": torch}, "bce")
    (tmp_path / "copy.pkl").write_bytes(cloudpickle.dumps(copy))
    cloudpickle.register_pickle_by_value(s)
    (tmp_path / "own.pkl").write_bytes(cloudpickle.dumps(s.bce))
    found = scan.copied_reference({"minmax.check_bce": tmp_path / "copy.pkl", "minmax.check_jsd": tmp_path / "own.pkl"})
    assert [f["check"] for f in found if not f.get("same_bytecode")] == ["minmax.check_bce"]


@pytest.mark.parametrize("notebook", sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")))
def test_the_solutions_raise_no_tampering_flag(notebook):
    import nbformat
    nb = nbformat.read(REPO / "notebooks" / notebook, as_version=4)
    solutions = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    nb.cells = solutions
    assert scan.scan_notebook(nb) == [], json.dumps(scan.scan_notebook(nb), indent=1)

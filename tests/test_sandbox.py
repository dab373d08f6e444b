"""The sandbox a student's kernel and the judge's worker run in: hidden paths are gone, exposed ones read-only,
the submission's folder writable, the covers cannot be lifted from inside, and memory is bounded."""
import subprocess
import sys

import pytest

from autograder.grading.sandbox import Limits, Plan, isolation_available

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="namespaces are Linux's")

PROBE = r"""
import ctypes, os, sys
def attempt(what, fn):
    try:
        fn()
        print(what, "ok")
    except Exception as err:
        print(what, "blocked", type(err).__name__)
attempt("read hidden", lambda: open(sys.argv[1]).read())
attempt("read exposed", lambda: open(sys.argv[2]).read())
attempt("write exposed", lambda: open(sys.argv[2], "a").write("x"))
attempt("write own", lambda: open(sys.argv[3] + "/out.txt", "w").write("x"))
libc = ctypes.CDLL(None, use_errno=True)
print("unmount", libc.umount2(os.path.dirname(os.path.dirname(sys.argv[1])).encode(), 2))
attempt("allocate", lambda: bytearray(3 * 2 ** 30))
"""


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "course" / "secret").mkdir(parents=True)
    (tmp_path / "course" / "secret" / "gradebook.db").write_text("grades")
    (tmp_path / "course" / "pkg").mkdir()
    (tmp_path / "course" / "pkg" / "module.py").write_text("x = 1")
    (tmp_path / "course" / "work").mkdir()
    return tmp_path / "course"


def test_this_machine_can_isolate():
    assert isolation_available() is None


def test_the_sandbox_hides_exposes_and_bounds(tree):
    plan = Plan(hide=[str(tree)], expose=[str(tree / "pkg")], writable=[str(tree / "work")],
                limits=Limits(memory_mb=1024))
    done = subprocess.run(plan.command([sys.executable, "-c", PROBE, str(tree / "secret" / "gradebook.db"),
                                        str(tree / "pkg" / "module.py"), str(tree / "work")]),
                          capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert "read hidden blocked FileNotFoundError" in out, done.stderr
    assert "read exposed ok" in out and "write exposed blocked OSError" in out
    assert "write own ok" in out and (tree / "work" / "out.txt").read_text() == "x"
    assert "unmount -1" in out and "allocate blocked MemoryError" in out
    assert (tree / "secret" / "gradebook.db").read_text() == "grades"


@pytest.mark.parametrize("field,value", [("memory_mb", 0), ("processes", -1), ("file_mb", "big"), ("memory_mb", True)])
def test_limits_reject_nonsense(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


def test_nested_hidden_paths_are_covered_once(tree):
    """A repository inside $HOME, or a grading job's course inside the scratch folder: both paths hidden, the inner
    one inside the outer one's cover, and the submission's folder still writable."""
    plan = Plan(hide=[str(tree), str(tree / "secret"), str(tree.parent)], writable=[str(tree / "work")])
    probe = ("import os, sys; print(os.listdir(sys.argv[1])); open(sys.argv[2] + '/out.txt', 'w').write('y'); "
             "print(os.path.exists(sys.argv[3]))")
    done = subprocess.run(plan.command([sys.executable, "-c", probe, str(tree.parent), str(tree / "work"),
                                        str(tree / "secret" / "gradebook.db")]), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['course']", "False"]
    assert (tree / "work" / "out.txt").read_text() == "y"

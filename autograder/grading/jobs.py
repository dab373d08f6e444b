"""One submission graded as one self-contained job, on whatever machine runs it.

A ``Job`` carries everything the grading needs as bytes: the assignment's gradebook (built once from the course's
release, with no student in it), its source folder, the student's submitted folder and intake notes. ``grade_job``
writes them into a private course directory of its own under the machine's scratch folder, autogrades there with
the course's isolated grading (``IsolatedExecute``: the kernel sees neither this scratch folder, where other
submissions are being graded, nor the course it grades for), and returns an ``Outcome``: the graded folder, the
notes and the notebook actually graded, as bytes again. Nothing is shared between jobs and nothing is written to
the course: ``autograder.grading.merge`` puts outcomes into the course's gradebook, in one process.

So a job needs no shared file system: a dask worker on another machine grades it as well as one on this machine,
provided it runs the same grader (``fingerprint``), which every job checks first.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course import REPO_ROOT

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@functools.lru_cache(maxsize=None)
def fingerprint() -> str:
    """SHA-256 of the grader's code: every ``.py`` file of ``autograder`` and ``gancourse`` (the checks and the
    reference they compare with). Two machines with the same fingerprint give the same verdicts."""
    digest = hashlib.sha256()
    for package in ("autograder", "gancourse"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def read_tree(folder: Path, prefix: str) -> dict[str, bytes]:
    """Every file under ``folder`` as ``{prefix/relative/path: bytes}`` (POSIX separators)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {str(PurePosixPath(prefix, *p.relative_to(folder).parts)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Write ``{relative path: bytes}`` under ``root``; a path that would leave ``root`` is refused."""
    root = Path(root).resolve()
    for relative, data in files.items():
        path = (root / relative).resolve()
        if PurePosixPath(relative).is_absolute() or root not in path.parents:
            raise ValueError(f"a job's file {relative!r} would be written outside its course directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclass
class Job:
    """One submission to grade: ``files`` is a course directory (gradebook, source, the submission, its notes)."""
    assignment: str
    student: str
    files: dict[str, bytes]
    settings: dict = field(default_factory=dict)   # IsolatedExecute traits (timeouts, memory, allow_unisolated)
    hide: list[str] = field(default_factory=list)  # paths the kernel must not see: the course graded for
    threads: int | None = None                     # torch/BLAS threads of the kernel (None: the library's default)
    fingerprint: str = ""


@dataclass
class Outcome:
    """What grading one submission produced; ``error`` is set when it could not be graded (no grade recorded)."""
    assignment: str
    student: str
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    host: str = ""


def scratch_root() -> Path:
    """This machine's folder for jobs in progress (private to the user; hidden from every student kernel)."""
    root = Path(tempfile.gettempdir()) / f"gancourse-grading-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


@contextlib.contextmanager
def environ(values: dict[str, str]):
    """Set environment variables for the block (a kernel started meanwhile inherits them), then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def grade_job(job: Job) -> Outcome:
    """Grade one submission in a private course directory and return what it produced (runs on a dask worker, or
    in this process). A fault of the grader (another grader's code, no isolation) is an ``error``, never a 0."""
    from autograder.course import Course, NbgraderError
    started = time.monotonic()
    outcome = Outcome(job.assignment, job.student, host=socket.gethostname())
    if job.fingerprint and job.fingerprint != fingerprint():
        outcome.error = (f"GraderError: the worker on {outcome.host} runs different grader code (fingerprint "
                         f"{fingerprint()[:12]}, expected {job.fingerprint[:12]}); install the same gancourse there")
        return outcome
    scratch = scratch_root()
    workspace = Path(tempfile.mkdtemp(prefix=f"{job.assignment}-", dir=scratch))
    try:
        root = workspace / "course"
        write_tree(root, job.files)
        course = Course(root)
        settings = course.api.config.IsolatedExecute
        for trait, value in job.settings.items():
            settings[trait] = value
        settings["hide"] = list(job.hide)        # IsolatedExecute hides the scratch folder itself
        with environ({k: str(job.threads) for k in THREAD_VARIABLES} if job.threads else {}):
            try:
                course.autograde(job.assignment, job.student)
            except NbgraderError as err:
                outcome.error = str(err)
                return outcome
        a, s = job.assignment, job.student
        outcome.files = {**read_tree(root / "autograded" / s / a, f"autograded/{s}/{a}"),
                         **read_tree(root / "submitted" / s / a, f"submitted/{s}/{a}"),
                         **read_tree(root / "reports" / a, f"reports/{a}")}
        return outcome
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
        outcome.seconds = round(time.monotonic() - started, 1)

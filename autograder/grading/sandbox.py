"""Run a student's code where it can reach nothing but its own submission, with bounded resources.

``python -m autograder.grading.sandbox CONFIG_JSON -- COMMAND ...`` isolates itself, then ``exec``s COMMAND (the
Jupyter kernel, or the judge's worker), so the command keeps the launcher's process id and the caller's signals
and kills reach it unchanged. Isolation uses Linux user and mount namespaces, which need no privileges:

* every path in ``hide`` (the course directory with its gradebook, source notebooks and other students' files;
  the repository with its solutions) is covered by an empty, read-only tmpfs;
* every path in ``expose`` (the ``gancourse`` and ``autograder`` packages, the Python environment, the Jupyter
  runtime folder that holds the kernel's connection file) is put back at the same place, read-only, and
  ``writable`` (the submission's own scratch folder) read-write;
* resource limits: address space, number of processes (a fork bomb), size of any file written, no core dumps.

Where namespaces are unavailable (macOS, Windows, a kernel that forbids them), ``isolation_available()`` says why;
the grader then refuses to grade unless told to go on without isolation.
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import resource
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = (
    1, 2, 4, 32, 4096, 16384, 1 << 18)
_PR_SET_PDEATHSIG = 1


class IsolationUnavailable(RuntimeError):
    """This machine cannot isolate a process (no unprivileged user namespaces, or not Linux)."""


@dataclass
class Limits:
    """What one sandboxed process may use. ``memory_mb`` bounds its address space (torch alone maps about 2 GB)."""
    memory_mb: int = 6144
    processes: int = 256
    file_mb: int = 512

    def __post_init__(self):
        for name in ("memory_mb", "processes", "file_mb"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")


@dataclass
class Plan:
    hide: list[str] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    writable: list[str] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    isolate: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        data = json.loads(text)
        return cls(hide=data["hide"], expose=data["expose"], writable=data["writable"],
                   limits=Limits(**data["limits"]), isolate=data["isolate"])

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` run under this plan."""
        return [sys.executable, "-m", "autograder.grading.sandbox", self.to_json(), "--", *argv]


def _libc():
    if not sys.platform.startswith("linux"):
        raise IsolationUnavailable(f"process isolation needs Linux namespaces; this is {sys.platform}")
    return ctypes.CDLL(None, use_errno=True)


def _call(libc, name: str, *args) -> None:
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise IsolationUnavailable(f"{name}{tuple(a.decode() if isinstance(a, bytes) else a for a in args)} failed: "
                                   f"{os.strerror(err)}")


def _mount(libc, source, target, fstype, flags: int, data=None) -> None:
    enc = (lambda s: None if s is None else str(s).encode())
    _call(libc, "mount", enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def isolate(plan: Plan) -> None:
    """Apply ``plan`` to this process. Must run before the process starts a thread (before ``import torch``)."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    hide = [Path(p).resolve() for p in plan.hide if Path(p).exists()]
    hide = sorted({p for p in hide if not any(p != q and q in p.parents for q in hide)})   # one cover per tree
    keep = [(Path(p).resolve(), False) for p in plan.expose if Path(p).exists()]
    keep += [(Path(p).resolve(), True) for p in plan.writable if Path(p).exists()]
    keep = [(p, rw) for p, rw in keep if _under(p, hide)]
    _call(libc, "unshare", _CLONE_NEWUSER | _CLONE_NEWNS)
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
    stage = Path(tempfile.mkdtemp(prefix="gancourse-stage-"))
    staged = []
    for i, (path, rw) in enumerate(keep):          # bind what stays visible somewhere safe first
        spot = stage / str(i)
        spot.mkdir() if path.is_dir() else spot.touch()
        _mount(libc, path, spot, None, _MS_BIND | _MS_REC)
        staged.append((spot, path, rw))
    for root in sorted(hide, key=lambda p: len(p.parts)):
        _mount(libc, "tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=16m,mode=0755")
    for spot, path, rw in sorted(staged, key=lambda s: len(s[1].parts)):
        if spot.is_dir():
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        _mount(libc, spot, path, None, _MS_BIND | _MS_REC)
        if not rw:
            _mount(libc, None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    for root in hide:                               # the empty covers are read-only once filled in
        _mount(libc, None, root, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, "size=16m,mode=0755")
    # A second, nested user namespace locks every mount above: code inside can neither unmount a cover nor make a
    # read-only mount writable, although it is "root" in its own namespace.
    _call(libc, "unshare", _CLONE_NEWUSER | _CLONE_NEWNS)
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def limit(limits: Limits) -> None:
    """Resource limits for this process and its children, and death with the parent."""
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, 9)


@functools.lru_cache(maxsize=1)
def isolation_available() -> str | None:
    """None if this machine can isolate a process, else the reason it cannot (tried once per process)."""
    import subprocess
    probe = Plan(hide=[tempfile.gettempdir() + "/gancourse-probe-does-not-exist"], isolate=True)
    code = ("import sys; from autograder.grading.sandbox import isolate, Plan, IsolationUnavailable\n"
            "try: isolate(Plan.from_json(sys.argv[1]))\n"
            "except IsolationUnavailable as e: print(e); sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code, probe.to_json()], capture_output=True, text=True, timeout=60)
    if done.returncode == 0:
        return None
    return (done.stdout.strip() or done.stderr.strip().splitlines()[-1:] or ["unknown error"])[-1] \
        if isinstance(done.stdout, str) else "unknown error"


def _run_as_namespace_init(argv: list[str]) -> None:
    """Fork ``argv`` as process 1 of a new PID namespace and wait for it: when it dies, the kernel kills every
    process it left behind (daemons, a fork bomb). Signals sent to this launcher are passed on to it."""
    import signal
    _call(_libc(), "unshare", _CLONE_NEWPID)
    child = os.fork()
    if child == 0:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, 9)
        os.execvp(argv[0], argv)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, lambda number, frame: os.kill(child, number))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            status = 0
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def namespace_init(launcher_pid: int) -> int | None:
    """The process a launcher started as process 1 of its PID namespace (killing it kills the namespace)."""
    try:
        with open(f"/proc/{launcher_pid}/task/{launcher_pid}/children") as f:
            children = [int(pid) for pid in f.read().split()]
    except (OSError, ValueError):
        return None
    return children[0] if children else None


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: python -m autograder.grading.sandbox PLAN_JSON -- COMMAND [ARGS...]")
    plan = Plan.from_json(argv[0])
    limit(plan.limits)
    if plan.isolate:
        isolate(plan)
        _run_as_namespace_init(argv[2:])
    os.execvp(argv[2], argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])

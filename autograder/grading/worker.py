"""The judge's worker: the only process, besides the student's kernel, that runs a student's code while grading.

The grader starts one worker per submission, sandboxed (``autograder.grading.sandbox``). It imports torch,
gancourse and the probes once, then, for each answer to judge, forks a child that

1. moves into a further namespace where gancourse's and the autograder's source files are gone,
2. turns the references that the check forbids into tripwires for good (``guards.lock``),
3. unpickles the answer the student's kernel handed over, and
4. runs the probes the check asks for, sending back plain data only, until the check is done.

So an answer meets a clean interpreter: nothing its notebook did (modules replaced, hooks installed, functions
patched) is there, and no copy of the reference can be kept or reloaded. The child may still do anything with its
own process; the check, in the grader's process, only ever sees the data it sent, loaded with
``torch.load(weights_only=True)``. The worker kills a child that overruns its time; the grader kills the worker.

Messages are frames: 8 bytes of length, then a ``torch.save`` payload.
"""
from __future__ import annotations

import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from autograder.grading.answers import Answer, AnswerUnavailable, load_plain

MAX_FRAME = 256 * 1024 * 1024


def send(sock: socket.socket, value) -> None:
    import torch
    buffer = io.BytesIO()
    torch.save(value, buffer)
    data = buffer.getvalue()
    sock.sendall(struct.pack("!Q", len(data)) + data)


def receive_bytes(sock: socket.socket) -> bytes | None:
    header = _exactly(sock, 8)
    if header is None:
        return None
    (size,) = struct.unpack("!Q", header)
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes is over the {MAX_FRAME}-byte limit")
    return _exactly(sock, size)


def _exactly(sock: socket.socket, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# --- inside the sandbox ---------------------------------------------------------------------------------------
def _import_everything() -> None:
    import importlib
    import pkgutil

    import cloudpickle  # noqa: F401
    import torch  # noqa: F401

    import autograder.grading.guards  # noqa: F401
    import autograder.probes
    import gancourse
    for package in (gancourse, autograder.probes):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)


def _serve_answer(conn: socket.socket, header: dict, hide: list[str]) -> None:
    """In the forked child: isolate further, lock the guards, load the answer, answer probe requests."""
    import importlib

    import cloudpickle
    import torch

    from autograder.grading.answers import probe_function
    from autograder.grading.guards import lock
    from autograder.grading.sandbox import Plan, isolate
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    torch.set_num_threads(1)
    if hide:
        isolate(Plan(hide=hide))
    probes = importlib.import_module(header["probes"])
    lock(header["guards"])
    try:
        answer = cloudpickle.loads(Path(header["answer"]).read_bytes())
    except BaseException as err:  # noqa: BLE001 — reported to the check, which fails with it
        send(conn, {"loaded": False, "error": type(err).__name__, "message": str(err)[:600]})
        return
    send(conn, {"loaded": True})
    while True:
        data = receive_bytes(conn)
        if data is None:
            return
        request = load_plain(data, "a probe request")
        if request.get("done"):
            return
        try:
            report = probe_function(probes, request["probe"])(answer, **request["inputs"])
            send(conn, report)
        except BaseException as err:  # noqa: BLE001
            send(conn, {"ok": False, "error": type(err).__name__, "message": f"the probe failed: {err}"[:600]})


def serve(socket_path: str, hide: list[str]) -> None:
    _import_everything()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(1)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        data = receive_bytes(conn)
        if data is None:
            conn.close()
            continue
        header = load_plain(data, "an answer request")
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                listener.close()
                _serve_answer(conn, header, hide)
            finally:
                os._exit(0)
        conn.close()
        deadline = time.monotonic() + float(header["timeout"])
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)


# --- in the grader ------------------------------------------------------------------------------------------------
class Worker:
    """One sandboxed worker; ``answer(...)`` opens a ``WorkerAnswer`` for one collected answer."""

    def __init__(self, plan, folder: Path, hide_in_child: list[str], start_timeout: float = 300):
        self.folder = Path(folder)
        self.socket_path = self.folder / "worker.sock"
        if self.socket_path.exists():
            self.socket_path.unlink()
        argv = [sys.executable, "-m", "autograder.grading.worker", str(self.socket_path), json.dumps(hide_in_child)]
        self.proc = subprocess.Popen(plan.command(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True, text=True)
        import select
        ready, _, _ = select.select([self.proc.stdout], [], [], start_timeout)
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
            self.close()
            err = self.proc.stderr.read()[-2000:] if self.proc.stderr else ""
            raise RuntimeError(f"the grading worker did not start: {line.strip()!r} {err}")

    def answer(self, key: str, blob: Path, probes: str, guards, timeout: float) -> "WorkerAnswer":
        return WorkerAnswer(key, self.socket_path, {"answer": str(blob), "probes": probes, "guards": list(guards),
                                                   "timeout": float(timeout)}, timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()


class WorkerAnswer(Answer):
    def __init__(self, key: str, socket_path: Path, header: dict, timeout: float):
        super().__init__(key)
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.connect(str(socket_path))
        send(self.conn, header)
        loaded = self._receive("loading your answer")
        if not loaded.get("loaded"):
            raise AnswerUnavailable(f"your answer could not be loaded in a fresh process for grading "
                                    f"({loaded.get('error')}: {loaded.get('message')}); it must not depend on "
                                    "anything outside its own definition and the modules it imports")

    def _receive(self, doing: str):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise AnswerUnavailable(f"your answer took longer than {self.timeout:.0f} s in total while {doing}")
        self.conn.settimeout(remaining)
        try:
            data = receive_bytes(self.conn)
        except (socket.timeout, TimeoutError):
            raise AnswerUnavailable(f"your answer took longer than {self.timeout:.0f} s in total while {doing}") from None
        except (ValueError, OSError) as err:
            raise AnswerUnavailable(f"the grader lost contact with your answer while {doing}: {err}") from None
        if data is None:
            raise AnswerUnavailable(f"your answer ended its process (it exited, crashed or ran out of memory, or "
                                    f"took longer than {self.timeout:.0f} s) while {doing}")
        return load_plain(data, "the worker's report")

    def probe(self, name: str, /, **inputs):
        try:
            send(self.conn, {"probe": name, "inputs": inputs})
        except OSError as err:
            raise AnswerUnavailable(f"your answer ended its process before the probe {name!r} ({err})") from None
        return self._receive(f"running the probe {name!r}")

    def close(self) -> None:
        try:
            send(self.conn, {"done": True})
        except OSError:
            pass
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    serve(sys.argv[1], json.loads(sys.argv[2]))

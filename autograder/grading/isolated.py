"""nbgrader's Execute step, made safe for a class: the submission runs in a sandboxed kernel under hard limits, and
every graded test cell's verdict is computed by the grader, outside that kernel.

``IsolatedExecute`` replaces ``nbgrader.preprocessors.Execute`` in the autograde pipeline (nbgrader_config.py):

1. The kernel starts under ``autograder.grading.sandbox``: it sees its own submission folder (writable), the
   ``gancourse``/``autograder`` packages and the Python environment (read-only), and nothing of the course
   directory (gradebook, source notebooks, other students) or the repository (solutions). Its address space,
   process count and file sizes are bounded.
2. Cells run one by one under one deadline for the whole notebook. A cell that overruns its share is not
   interrupted but the kernel is killed (a kernel may ignore interrupts); so is a kernel past the deadline. Every
   cell after that is marked "not run" and the grading goes on.
3. Output is capped: past ``max_output_bytes`` for the notebook, outputs are dropped and one notice says so.
4. In a graded test cell, ``check_xxx(answer)`` does not judge: it hands the answer to the grader
   (``autograder.grading.answers.collect``), which moves it out of the kernel's reach as soon as the cell ends.
5. After the run, each graded test cell is judged: its checks (read from the cell's own source, which nbgrader
   restored from the gradebook) run here against a ``WorkerAnswer`` in an isolated worker, and the cell's outputs
   are set from that verdict alone, so nothing the kernel printed or suppressed in that cell counts.
6. A report (``grading_report.json`` beside the graded notebook) lists what happened and what looks like tampering.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import site
import sys
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from autograder import checks
from autograder.course import REPO_ROOT
from autograder.grading import judge, scan
from autograder.grading.answers import ANSWER_DIR_ENV
from autograder.grading.jobs import environ, scratch_root
from autograder.grading.judge import error_output, stream_output
from autograder.grading.report import REPORT_NAME
from autograder.grading.sandbox import Limits, Plan, isolation_available, namespace_init

PACKAGE_DIRS = [REPO_ROOT / name for name in ("gancourse", "autograder")]


class GraderError(RuntimeError):
    """The grader itself could not do its work (no isolation, no worker): the submission is not graded, so that a
    fault of the grading machine is never recorded as a student's 0."""


class IsolatedExecute(Execute):
    submission_timeout = Integer(900, help="seconds for the whole notebook; the kernel is killed past it").tag(config=True)
    answer_timeout = Integer(120, help="seconds for judging one answer in the worker").tag(config=True)
    max_output_bytes = Integer(2_000_000, help="output kept per notebook; the rest is dropped").tag(config=True)
    memory_mb = Integer(8192, help="address-space limit of the kernel and of the worker, in MiB").tag(config=True)
    allow_unisolated = Bool(False, help="grade even where the kernel cannot be isolated (it could then read "
                                        "the gradebook and other students' files)").tag(config=True)
    hide = List(Unicode(), help="more paths the kernel must not see (the course directory that a parallel "
                                "grading job grades for)").tag(config=True)
    interrupt_on_timeout = Bool(False)

    # --- set-up -----------------------------------------------------------------------------------------------
    def _plans(self, course_root: Path, workdir: Path, private: Path) -> tuple[Plan, Plan]:
        reason = isolation_available()
        if reason and not self.allow_unisolated:
            raise GraderError(f"cannot isolate the students' kernels on this machine ({reason}); grading without "
                               "isolation lets a submission read and change the gradebook. Set "
                               "IsolatedExecute.allow_unisolated = True (CLI: --allow-unisolated) to grade anyway.")
        self.isolation = reason or "isolated"
        from jupyter_core.paths import jupyter_runtime_dir
        hide = [str(course_root), str(REPO_ROOT), str(scratch_root()), *self.hide]   # scratch: parallel jobs
        home = Path.home().resolve()
        if home != Path("/") and home.exists():
            hide.append(str(home))
        expose = [str(p) for p in PACKAGE_DIRS] + [sys.prefix, sys.base_prefix, jupyter_runtime_dir()]
        expose += [site.getusersitepackages()] if os.path.isdir(site.getusersitepackages()) else []
        limits = Limits(memory_mb=self.memory_mb)
        kernel = Plan(hide=hide, expose=expose, writable=[str(workdir)], limits=limits, isolate=reason is None)
        worker = Plan(hide=hide, expose=expose + [str(private / "answers")], writable=[str(private / "worker")],
                      limits=limits, isolate=reason is None)
        return kernel, worker

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        workdir = Path(resources.get("metadata", {}).get("path") or os.getcwd()).resolve()
        course_root = Path(self.config.CourseDirectory.get("root", os.getcwd())).resolve()
        private = course_root / ".grading" / secrets.token_hex(8)
        for sub in ("answers", "worker"):
            (private / sub).mkdir(parents=True)
        self.kernel_answers = workdir / f".answers-{secrets.token_hex(4)}"
        self.private = private
        self.report = {"isolation": None, "events": [], "cells": {}, "tampering": [], "copied_reference": []}
        kernel_plan, self.worker_plan = self._plans(course_root, workdir, private)
        self.report["isolation"] = self.isolation
        started = time.monotonic()
        self.deadline = started + self.submission_timeout
        self.dead = None
        self.output_bytes, self.truncated = 0, False
        self.collected: dict[str, Path] = {}
        self.worker, self.launcher = None, None
        env = {ANSWER_DIR_ENV: str(self.kernel_answers), "MPLCONFIGDIR": str(workdir / ".mpl"),
               "IPYTHONDIR": str(workdir / ".ipython")}
        manager = type("SandboxedKernelManager", (AsyncKernelManager,),
                       {"format_kernel_cmd": lambda km_self, extra_arguments=None: kernel_plan.command(
                           AsyncKernelManager.format_kernel_cmd(km_self, extra_arguments))})
        try:
            with environ(env):
                km = manager(kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"), config=self.config)
                nb, resources = super().preprocess(nb, resources, km=km)
        except DeadKernelError as err:          # the kernel died before or while starting
            self._died(f"the kernel could not start or died at once ({err})")
        self.report["run_seconds"] = round(time.monotonic() - started, 1)
        salt = secrets.randbelow(2 ** 31)
        self.report["salt"] = salt                      # lets an instructor re-run a verdict exactly
        checks.set_salt(salt)
        try:
            judge.judge_notebook(self, nb)
            self.report["tampering"] = scan.scan_notebook(nb)
            self.report["copied_reference"] = scan.copied_reference(self.collected)
            judge.zero_copied(self, nb)
        finally:
            checks.set_salt(0)
            self._kill()                                # whatever the kernel left running, even after shutdown
            if self.worker is not None:
                self.worker.close()
            for folder in (private, self.kernel_answers, workdir / ".mpl", workdir / ".ipython"):
                shutil.rmtree(folder, ignore_errors=True)
        self.report["seconds"] = round(time.monotonic() - started, 1)
        (workdir / REPORT_NAME).write_text(json.dumps(self.report, indent=1))
        return nb, resources

    # --- running cells ------------------------------------------------------------------------------------------
    def _kill(self) -> None:
        """Kill the kernel's PID namespace (its process 1 first: that ends every process in it), then its launcher."""
        if self.launcher is None:
            return
        init = namespace_init(self.launcher)
        for target in ((lambda: os.kill(init, signal.SIGKILL)) if init else None,
                       lambda: os.killpg(self.launcher, signal.SIGKILL), lambda: os.kill(self.launcher, signal.SIGKILL)):
            try:
                target and target()
            except (ProcessLookupError, PermissionError):
                pass

    def _died(self, why: str) -> None:
        if self.dead is None:
            self.dead = why
            self.report["events"].append(why)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self.dead:
            cell.outputs = [error_output("NotRun", f"not run by the grader: {self.dead}")]
            return cell, resources
        remaining = self.deadline - time.monotonic()
        if remaining <= 1:
            self._kill()
            self._died(f"the notebook ran past the grader's limit of {self.submission_timeout} s and its kernel "
                       "was stopped")
            return self.preprocess_cell(cell, resources, index)
        shutil.rmtree(self.kernel_answers, ignore_errors=True)
        if self.launcher is None:
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            self.launcher = getattr(process, "pid", None)
        self.timeout = int(min(self.timeout or remaining, remaining))
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            self._kill()
            self._died(f"cell {index} ran longer than {self.timeout} s, so the grader stopped the kernel")
            cell.outputs.append(error_output("CellTimeoutError", self.dead))
        except DeadKernelError:
            self._died(f"the kernel died in cell {index} (it exited, crashed, or ran out of its "
                       f"{self.memory_mb} MiB of memory)")
            cell.outputs.append(error_output("DeadKernelError", self.dead))
        if judge.is_graded_test(cell):
            for key in judge.collected_keys(cell.source):
                blob = self.kernel_answers / f"{key}.pkl"
                if blob.is_file() and not blob.is_symlink():
                    target = self.private / "answers" / f"{key}.pkl"
                    shutil.copyfile(blob, target)
                    self.collected[key] = target
        return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        self.output_bytes += size
        if self.output_bytes > self.max_output_bytes:
            if not self.truncated:
                self.truncated = True
                self.report["events"].append(f"output past {self.max_output_bytes} bytes was dropped (cell {cell_index})")
                outs.append(stream_output(f"[the grader dropped further output: more than {self.max_output_bytes} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

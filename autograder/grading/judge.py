"""The verdict of each graded test cell, computed in the grader from the answers the kernel handed over.

A graded test cell names its checks in its own source (``from autograder.checks.intro import check_d_step`` and
``check_d_step(d_step)``); that source is the instructor's, put back by nbgrader from the gradebook, so the
student cannot change which checks run. Each check runs here against a ``WorkerAnswer``.
"""
from __future__ import annotations

import ast
import importlib

from nbformat.notebooknode import NotebookNode


def is_graded_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def check_keys(source: str) -> list[str]:
    """``["intro.check_d_step", ...]``: the checks a test cell's source calls, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: dict[str, str] = {}
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder.checks."):
            for alias in node.names:
                if alias.name.startswith("check_"):
                    names[alias.asname or alias.name] = f"{node.module.rsplit('.', 1)[-1]}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("autograder.checks.") and alias.asname:
                    modules[alias.asname] = alias.name.rsplit(".", 1)[-1]
    keys = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        key = None
        if isinstance(func, ast.Name) and func.id in names:
            key = names[func.id]
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules \
                and func.attr.startswith("check_"):
            key = f"{modules[func.value.id]}.{func.attr}"
        if key and key not in keys:
            keys.append(key)
    return keys


def resolve_check(key: str):
    module, _, name = key.partition(".")
    check = getattr(importlib.import_module(f"autograder.checks.{module}"), name)
    if not hasattr(check, "probes"):
        raise LookupError(f"{key} is not a @graded check")
    return check


def collected_keys(source: str) -> list[str]:
    """The keys under which the checks a test cell calls collect their answers (a check re-exported from another
    module keeps its own key)."""
    keys = []
    for key in check_keys(source):
        try:
            keys.append(resolve_check(key).key)
        except (ImportError, AttributeError, LookupError, ValueError):
            continue
    return keys


def worker_for(executor):
    """The submission's worker, started at its first answer. One per submission: killing it at the end kills every
    process an answer left behind (the worker is process 1 of its own PID namespace)."""
    from autograder.grading.isolated import PACKAGE_DIRS
    from autograder.grading.worker import Worker
    if executor.worker is None or executor.worker.proc.poll() is not None:
        executor.worker = Worker(executor.worker_plan, executor.private / "worker", [str(p) for p in PACKAGE_DIRS])
    return executor.worker


def verdict(executor, key: str) -> str | None:
    """None if the answer passes the check ``key``, else the message for the student."""
    try:
        check = resolve_check(key)
    except (ImportError, AttributeError, LookupError) as err:
        return f"the grader has no check {key} ({err})"
    blob = executor.collected.get(check.key)          # the key the answer was collected under (its defining module)
    if blob is None:
        return ("no answer reached the grader from this cell: the cell did not get as far as the check (an error "
                "above, or the kernel stopped), or the answer is not defined")
    from autograder.grading.answers import AnswerUnavailable
    from autograder.grading.isolated import GraderError
    try:
        worker = worker_for(executor)
    except Exception as err:  # noqa: BLE001 — the grading machine's fault, not the student's
        raise GraderError(f"the grading worker could not start: {err}") from err
    try:
        with worker.answer(key, blob, check.probes.__name__, check.guards, executor.answer_timeout) as answer:
            check(answer)
    except AnswerUnavailable as err:
        return str(err)
    except AssertionError as err:
        return str(err) or "the check failed"
    except Exception as err:  # noqa: BLE001 — a report the check could not read is the answer's failure
        return f"the grader could not evaluate your answer ({type(err).__name__}: {err})"
    return None


def error_output(ename: str, message: str) -> NotebookNode:
    """A cell output that nbgrader scores as a failure, showing ``ename: message``."""
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"])


def stream_output(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text)


def set_verdict(cell, failures: list[str]) -> None:
    kept = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    kept.append(error_output("AssertionError", "; ".join(failures)) if failures
                else stream_output("graded: every hidden check passed\n"))
    cell.outputs = kept


def judge_notebook(executor, nb) -> None:
    for cell in nb.cells:
        if not is_graded_test(cell):
            continue
        grade_id = cell.metadata.nbgrader.get("grade_id", "?")
        keys = check_keys(cell.source)
        if not keys:
            executor.report["events"].append(f"{grade_id}: no isolated check in this cell; its verdict is the kernel's")
            continue
        failures = [f for f in (verdict(executor, key) for key in keys) if f]
        executor.report["cells"][grade_id] = {"checks": keys, "passed": not failures, "failures": failures}
        set_verdict(cell, failures)


def zero_copied(executor, nb) -> None:
    """A graded cell whose answer carries gancourse's own code fails, whatever its checks said."""
    copied = {item["check"] for item in executor.report["copied_reference"] if not item.get("same_bytecode")}
    for cell in nb.cells:
        if is_graded_test(cell) and copied & set(collected_keys(cell.source)):
            set_verdict(cell, ["your answer contains the code of gancourse's reference implementation; it earns "
                               "no credit"])
            executor.report["cells"].setdefault(cell.metadata.nbgrader.get("grade_id", "?"), {})["passed"] = False

"""A notebook open in JupyterLab, driven the way a student drives it: the menus, the toolbar, the kernel indicator.

What a run produced is read back from the saved file (``Notebook.save`` then ``Notebook.read``), where an error
output is an ``error`` and not just red text.
"""
from __future__ import annotations

import re
import time
import uuid

import nbformat

try:
    from playwright.sync_api import expect   # noqa: F401 — for the tests
except ImportError:                           # the `browser` fixture skips them, saying how to install it
    expect = None

EXECUTED = re.compile(r"^\[\d+\]:$")


class RunStopped(AssertionError):
    """Run All stopped before the last cell."""


class Notebook:
    def __init__(self, page, lab, path: str):
        self.page, self.lab, self.path = page, lab, path

    @classmethod
    def open(cls, page, lab, path: str, timeout: float = 180) -> "Notebook":
        """Open ``path`` (relative to the server's root) in a workspace of its own, and wait for an idle kernel."""
        page.goto(f"{lab.url}/lab/workspaces/{uuid.uuid4().hex[:12]}/tree/{path}?reset")
        page.locator(".jp-NotebookPanel .jp-Notebook").wait_for(timeout=timeout * 1000)
        notebook = cls(page, lab, path)
        notebook.wait_for_idle_kernel(timeout)
        return notebook

    # --- what is on the screen ---------------------------------------------------------------------------------
    @property
    def panel(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    def cells(self):
        return self.panel.locator(".jp-Notebook .jp-Cell")

    def prompts(self) -> list[str]:
        """The input prompts of the code cells, stripped: ``[3]:``, ``[*]:`` or ``[ ]:``."""
        return [p.strip() for p in self.panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]

    def kernel_status(self) -> str:
        """The kernel's state as the status bar shows it (``Idle``, ``Busy``, ``Starting``, ...)."""
        text = self.page.locator("#jp-main-statusbar").inner_text()
        found = re.search(r"\|\s*(\w+)", text)
        return found.group(1) if found else text

    def wait_for_idle_kernel(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while (status := self.kernel_status()) != "Idle":
            if time.monotonic() > deadline:
                raise AssertionError(f"the kernel of {self.path} is {status!r}, not Idle, after {timeout:.0f} s")
            time.sleep(0.5)

    # --- what a student does -----------------------------------------------------------------------------------
    def menu(self, menu: str, item: str) -> None:
        """Click ``menu`` in the menu bar, then its entry ``item``."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
        label = self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))
        self.page.locator(".lm-Menu-item").filter(has=label).click()

    def run_all(self, timeout: float = 600) -> float:
        """Run → Run All Cells, and wait until the last code cell has run and the kernel is idle; returns seconds.

        Raises ``RunStopped`` when the kernel stays idle for 15 s with the last cell not run (the run stopped)."""
        start = time.monotonic()
        self.menu("Run", "Run All Cells")
        idle_since, done_checks = None, 0
        while True:
            time.sleep(1)
            prompts, status = self.prompts(), self.kernel_status()
            finished = bool(prompts) and EXECUTED.match(prompts[-1]) and status == "Idle"
            done_checks = done_checks + 1 if finished else 0
            if done_checks >= 2:
                return time.monotonic() - start
            now = time.monotonic()
            idle = status == "Idle" and not any("*" in p for p in prompts)
            idle_since = (idle_since or now) if idle else None
            if idle_since is not None and now - idle_since > 15:
                ran = sum(bool(EXECUTED.match(p)) for p in prompts)
                raise RunStopped(f"Run All stopped in {self.path}: {ran} of {len(prompts)} code cells ran "
                                 f"(prompts: {' '.join(prompts)})\n{self._diagnostics()}")
            if now - start > timeout:
                raise AssertionError(f"Run All of {self.path} had not finished after {timeout:.0f} s "
                                     f"(kernel {status}; prompts: {' '.join(prompts)})")

    def _diagnostics(self) -> str:
        """What the page and the server reported: errors in the browser, warnings and errors in the server's log."""
        server = [line for line in self.lab.log_tail(400).splitlines() if re.match(r"\[[WE] ", line)]
        return ("browser errors:\n  " + "\n  ".join(self.page.errors[-10:] or ["(none)"]) +
                "\nserver warnings and errors:\n  " + "\n  ".join(server[-10:] or ["(none)"]))

    def save(self) -> None:
        """File → Save Notebook, and wait until the tab no longer shows unsaved changes."""
        self.menu("File", "Save Notebook")
        self.page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").wait_for(state="detached", timeout=60_000)

    def read(self) -> nbformat.NotebookNode:
        return nbformat.read(self.lab.root / self.path, as_version=4)


def error_outputs(nb: nbformat.NotebookNode) -> dict[int, nbformat.NotebookNode]:
    """The first error output of each code cell that has one, by cell index."""
    found = {}
    for i, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"] if cell.cell_type == "code" else []
        if errors:
            found[i] = errors[0]
    return found


def describe(nb: nbformat.NotebookNode, i: int, error) -> str:
    cell = nb.cells[i]
    label = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.source.strip().splitlines()[0][:60]
    return f"cell {i} ({label}): {error.ename}: {error.evalue[:200]}"

"""Fixtures of the browser tests: one JupyterLab server on a temporary copy of the course, as `make lab` serves it,
and headless Chromium driven by Playwright.

Chromium comes from the system (Debian: `apt-get install chromium`), never from Playwright's own download, which
needs the internet. Without it the browser tests are skipped with a message saying how to install it; with
``GANCOURSE_REQUIRE_BROWSER=1`` (set by `.ci/run`) they fail instead. ``GANCOURSE_CHROMIUM`` names another
executable. A failing test leaves a screenshot of its pages in ``build/browser-artifacts/``.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main as cli
from autograder.course import Course
from notebook_tools import NOTEBOOKS, REPO, solved_submission

ARTIFACTS = REPO / "build" / "browser-artifacts"
ASSIGNMENTS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
INSTALL_HINT = ("install Chromium from your package manager (Debian/Ubuntu: `sudo apt-get install chromium`) "
                "or point GANCOURSE_CHROMIUM at a Chrome or Chromium executable, and the test extras (`make install`)")
# What JupyterLab's user settings would otherwise do to a test: ask about news in a pop-up over the notebook,
# and attach only the cells in view to the page (the tests read every cell).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


# --- Chromium and Playwright ----------------------------------------------------------------------------------
def chromium_executable() -> str | None:
    named = os.environ.get("GANCOURSE_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    for app in ("Chromium.app/Contents/MacOS/Chromium", "Google Chrome.app/Contents/MacOS/Google Chrome"):
        if (Path("/Applications") / app).is_file():
            return str(Path("/Applications") / app)
    return None


def _unavailable(reason: str):
    message = f"browser tests need {reason}: {INSTALL_HINT}"
    if os.environ.get("GANCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (GANCOURSE_REQUIRE_BROWSER=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright")
    executable = chromium_executable()
    if executable is None:
        _unavailable("Chromium, which was not found" + (f" at GANCOURSE_CHROMIUM={os.environ['GANCOURSE_CHROMIUM']}"
                                                         if os.environ.get("GANCOURSE_CHROMIUM") else ""))
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable)
    except Exception as err:  # noqa: BLE001 — an unusable executable is reported like a missing one
        playwright.stop()
        _unavailable(f"a Chromium that starts ({executable}: {str(err).splitlines()[0]})")
    yield chromium
    chromium.close()
    playwright.stop()


# --- the course as `make lab` serves it ---------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server over ``root``: ``course/`` (an nbgrader course directory, the server's working directory,
    so that the formgrader and the Validate button use it), ``student/`` (the student versions), ``instructor/``
    (the source notebooks, with solutions and hidden tests) and ``validate/`` (submissions to validate)."""

    def __init__(self, root: Path):
        self.root, self.token, self.port = root, secrets.token_hex(16), _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.course = Course(root / "course")
        self.process: subprocess.Popen | None = None
        self.log = root / "jupyter" / "server.log"

    def build(self) -> None:
        for folder in ("instructor", "validate/solved", "validate/unanswered"):
            (self.root / folder).mkdir(parents=True)
        # the student versions exactly as `make lab` makes them
        assert cli(["--course", str(self.course.root), "student", "--out", str(self.root / "student")]) == 0
        for assignment in ASSIGNMENTS:
            shutil.copy(NOTEBOOKS / f"{assignment}.ipynb", self.root / "instructor" / f"{assignment}.ipynb")
        for folder in ("settings", "workspaces", "config", "runtime"):
            (self.root / "jupyter" / folder).mkdir(parents=True)
        for name, values in LAB_SETTINGS.items():
            path = self.root / "jupyter" / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def validation_copy(self, assignment: str, solved: bool) -> str:
        """A submission of ``assignment`` in ``validate/``, solved or untouched; returns its path in the server."""
        release = self.course.path("release", assignment, f"{assignment}.ipynb")
        nb = solved_submission(NOTEBOOKS / f"{assignment}.ipynb", release) if solved else nbformat.read(release, 4)
        where = f"validate/{'solved' if solved else 'unanswered'}/{assignment}.ipynb"
        nbformat.write(nb, self.root / where)
        return where

    def start(self, timeout: float = 180) -> None:
        jupyter = self.root / "jupyter"
        env = dict(os.environ, GANCOURSE_QUICK="1", GANCOURSE_DEVICE="cpu",
                   MPLBACKEND="module://matplotlib_inline.backend_inline",
                   JUPYTERLAB_SETTINGS_DIR=str(jupyter / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(jupyter / "workspaces"),
                   JUPYTER_CONFIG_DIR=str(jupyter / "config"), JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"))
        env.pop("NBGRADER_EXECUTION", None)
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                   f"--ServerApp.root_dir={self.root}", f"--IdentityProvider.token={self.token}",
                   "--ServerApp.port_retries=0"]
        if os.geteuid() == 0:
            command.append("--allow-root")
        self.process = subprocess.Popen(command, cwd=self.course.root, env=env, stdout=self.log.open("w"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                return
            except OSError:                  # not listening yet (URLError and refused connections are OSErrors)
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.shut_down_kernels()
        except OSError:
            pass
        os.killpg(self.process.pid, signal.SIGTERM)     # the server's own process group, nothing else
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def api(self, method: str, path: str):
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernel_ids(self) -> set[str]:
        return {k["id"] for k in self.api("GET", "/api/kernels")}

    def shut_down_kernels(self, keep: set[str] = frozenset()) -> None:
        for kernel in self.kernel_ids() - set(keep):
            try:
                self.api("DELETE", f"/api/kernels/{kernel}")
            except urllib.error.HTTPError:
                pass

    def shut_down_notebook(self, path: str) -> None:
        """End the session (and kernel) of the notebook at ``path``."""
        for session in self.api("GET", "/api/sessions"):
            if session["path"] == path:
                self.api("DELETE", f"/api/sessions/{session['id']}")

    def new_page(self, browser):
        """A page in a fresh browser context, logged in with the server's token."""
        context = browser.new_context(viewport={"width": 1400, "height": 900},
                                      extra_http_headers={"Authorization": f"token {self.token}"})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda err: page.errors.append(f"uncaught: {err}"))
        page.on("console", lambda msg: page.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        return page


@pytest.fixture(scope="session")
def lab(browser, tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    server.build()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(browser, lab):
    """A fresh page; kernels it started are shut down afterwards."""
    kernels = lab.kernel_ids()
    page = lab.new_page(browser)
    yield page
    page.context.close()
    lab.shut_down_kernels(keep=kernels)


# --- screenshots of failing tests ---------------------------------------------------------------------------
def _pages(item) -> list:
    pages = []
    for value in getattr(item, "funcargs", {}).values():
        for candidate in (value, getattr(value, "page", None)):
            if candidate is not None and type(candidate).__name__ == "Page" and not candidate.is_closed():
                pages.append(candidate)
    return pages


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
    saved = []
    for i, page in enumerate(dict.fromkeys(_pages(item))):
        path = ARTIFACTS / f"{name}{f'-{i}' if i else ''}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            saved.append(str(path.relative_to(REPO)))
        except Exception as err:  # noqa: BLE001 — a screenshot must not hide the test's own failure
            saved.append(f"(no screenshot: {err})")
    if saved:
        report.sections.append(("browser screenshots", "\n".join(saved)))

"""nbgrader configuration for gancourse (loaded by the instructor CLI, and by plain `nbgrader` commands run in a
course directory the CLI created, whose own nbgrader_config.py loads this file)."""
c = get_config()  # noqa: F821 — provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "gancourse"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.pt", "*.json"]

# Executing submissions. The course's notebooks train with a tiny budget while nbgrader runs them
# (nbgrader sets NBGRADER_EXECUTION), so no cell needs long; 30 s (the default) is too tight for a kernel
# start plus `import torch` plus a short training run on a slow laptop, so the limit is explicit.
c.Execute.timeout = 180                     # seconds per cell
c.Execute.interrupt_on_timeout = True       # interrupt a runaway cell, then go on with the next one
c.Execute.raise_on_iopub_timeout = False    # a kernel that ignores SIGINT must not fail the whole submission
c.Execute.execute_retries = 0

# Grading runs each submission in a sandboxed kernel under hard limits and judges every graded test cell outside
# it (autograder/grading/isolated.py); only an exception fails a test: a warning a library printed to stderr does
# not (nbgrader would score it 0).
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

from autograder.grading.isolated import IsolatedExecute  # noqa: E402
from autograder.preprocessors import StderrIsNotFailure  # noqa: E402

_steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
_at = _steps.index(Execute)
c.Autograde.autograde_preprocessors = _steps[:_at] + [IsolatedExecute, StderrIsNotFailure] + _steps[_at + 1:]
c.IsolatedExecute.timeout = 180                 # seconds per cell, within one limit for the whole notebook:
c.IsolatedExecute.submission_timeout = 900      # past either, the kernel is killed (it may ignore interrupts)
c.IsolatedExecute.memory_mb = 8192              # address space of the kernel and of the judge's worker
c.IsolatedExecute.max_output_bytes = 6_000_000  # output kept per notebook (notebook 01 alone makes about 2 MB)

# Students cannot get points by deleting or rewriting test cells: locked cells are overwritten from the
# gradebook, and deleted graded cells are put back.
c.OverwriteCells.add_missing_cells = True

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback shows the graded notebook, but never the hidden tests' source (nbgrader issue #917): the regions
# between BEGIN/END HIDDEN TESTS are cut from every test cell before the HTML is written; the verdict stays.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).parent))   # lets tests import solutions_intro

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module of small matrices (gancourse.device.one_thread): two threads fighting over a
    loaded 2-core CPU ran annealed importance sampling 30x slower."""
    from gancourse.device import one_thread
    with one_thread():
        yield

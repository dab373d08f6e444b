"""Every public function refuses bad input clearly (issue 12): each public callable of gancourse, called the way a
careless user would, either raises a ValueError or TypeError that names the argument, or returns a result that
``ALLOWED`` in ``tests/bad_input_cases.py`` says is meaningful.

The callables are discovered by walking the package, so a new public function without a valid call in
``REGISTRY`` fails ``test_every_public_callable_has_a_valid_call``. Cases of ``gancourse/training/`` whose fix is
still to be applied are ``xfail(strict=True)`` (``PENDING``). The share of clear calls is printed by
``python benchmarks/bad_input_report.py``.
"""
import pytest

import bad_input_cases as cases

FOUND = cases.discover()
CASES = cases.cases(FOUND)


@pytest.fixture(scope="module", autouse=True)
def sandbox(tmp_path_factory):
    with cases.sandbox(tmp_path_factory.mktemp("bad_input")):
        yield


def test_every_public_callable_has_a_valid_call():
    """A public callable with parameters needs one valid call in REGISTRY (or a reasoned entry in SKIP)."""
    exempt = set(cases.SKIP) | set(cases.no_parameters(FOUND))
    missing = sorted(name for name in FOUND if name not in cases.REGISTRY and name not in exempt)
    assert not missing, (f"add one valid call of each to REGISTRY in tests/bad_input_cases.py (tiny tensors and "
                         f"models), or a reasoned entry to SKIP: {missing}")
    stale = sorted(name for name in [*cases.REGISTRY, *cases.SKIP] if name not in FOUND)
    assert not stale, f"REGISTRY or SKIP names callables that are no longer public: {stale}"
    assert len(CASES) > 1000


def test_the_allow_list_and_the_pending_list_name_real_cases():
    """Every ALLOWED and PENDING row names a (callable, parameter, bad value) that is tried, and PENDING is in training/."""
    tried = set(CASES)
    tried_any_parameter = {(name, "*", bad) for name, _, bad in CASES}
    stale = sorted(key for key in cases.ALLOWED if key not in tried and key not in tried_any_parameter)
    assert not stale, f"ALLOWED rows that match no case: {stale}"
    stale = sorted(key for key in cases.PENDING if key not in tried)
    assert not stale, f"PENDING rows that match no case: {stale}"
    outside = sorted(key for key in cases.PENDING if not key[0].startswith("gancourse.training."))
    assert not outside, f"only gancourse/training/ may have pending fixes: {outside}"


@pytest.mark.filterwarnings("ignore::gancourse.data.EmbeddedDataNotice")
@pytest.mark.parametrize("name", sorted(cases.REGISTRY))
def test_the_valid_call_works(name):
    """The registry's call succeeds, so a refused bad value is refused for the value, not for the rest of the call."""
    target, params, args = cases.valid_call(name, FOUND[name])
    cases._call(target, params, args)


def _param(name: str, parameter: str, bad: str):
    fix = cases.PENDING.get((name, parameter, bad))
    marks = [pytest.mark.xfail(strict=True, reason=f"training/ fix pending: {fix}")] if fix else []
    return pytest.param(name, parameter, bad, id=f"{name.removeprefix('gancourse.')}-{parameter}-{bad}", marks=marks)


@pytest.mark.parametrize("name, parameter, bad", [_param(*case) for case in CASES])
def test_a_bad_argument_is_refused_clearly(name, parameter, bad):
    """One careless argument: a clear ValueError/TypeError naming the parameter, or a result ALLOWED explains."""
    outcome = cases.attempt(name, parameter, bad, FOUND[name])
    assert outcome.ok, str(outcome)

"""The autograder checks of notebook 07: a correct answer passes (also one that draws its random numbers another way
but with the right distribution), typical mistakes fail with a message that says what to fix, an answer that calls
gancourse's reference earns nothing, and each exercise is graded alone."""
import math
import sys
from pathlib import Path

import cloudpickle
import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import solutions_compare as s
from autograder.checks import compare as checks
from autograder.grading.sandbox import Plan
from autograder.grading.worker import Worker
from gancourse import losses
from gancourse.exercises import exercise
from gancourse.metrics import likelihood, parzen
from gancourse.models import vae
from gancourse.models.rbm import BernoulliRBM
from gancourse.training import rbm as training

pytestmark = pytest.mark.usefixtures("one_torch_thread")   # small matrices on a shared 2-core CPU

CHECKS = [checks.check_free_energy, checks.check_gibbs_step, checks.check_cd_gradient, checks.check_log_partition,
          checks.check_reparameterise, checks.check_negative_elbo, checks.check_parzen_log_likelihood]

CORRECT = [
    (checks.check_free_energy, s.free_energy),
    (checks.check_gibbs_step, s.gibbs_step),
    (checks.check_gibbs_step, s.gibbs_step_bernoulli),              # other draws, the right distribution
    (checks.check_gibbs_step, s.gibbs_step_global_generator),
    (checks.check_gibbs_step, s.gibbs_step_v_drawn_first),          # the docstring's order broken, not the law
    (checks.check_cd_gradient, s.cd_gradient),
    (checks.check_cd_gradient, s.cd_gradient_bernoulli),
    (checks.check_log_partition, s.log_partition),
    (checks.check_reparameterise, s.reparameterise),
    (checks.check_reparameterise, s.reparameterise_randn_like),
    (checks.check_negative_elbo, s.negative_elbo),
    (checks.check_parzen_log_likelihood, s.parzen_log_likelihood),
]


@pytest.mark.parametrize("check,answer", CORRECT, ids=[a.__name__ for _, a in CORRECT])
def test_correct_answers_pass(check, answer):
    check(answer)


WRONG = [
    (checks.check_free_energy, s.free_energy_log_exp, r"overflows to inf .* F.softplus"),
    (checks.check_free_energy, s.free_energy_log1p_exp, r"overflows to inf .* F.softplus"),
    (checks.check_free_energy, s.free_energy_where, r"torch.where computes both branches"),
    (checks.check_free_energy, s.free_energy_no_grad, r"no gradient flows .*no torch.no_grad\(\)"),
    (checks.check_free_energy, s.free_energy_plus_softplus, "minus the softplus sum, not plus"),
    (checks.check_free_energy, s.free_energy_W_not_transposed, r"v @ W.T\); v @ W only has the right shape"),
    (checks.check_free_energy, s.free_energy_no_visible_bias, "the visible bias term −v·b_v is missing"),
    (checks.check_free_energy, s.free_energy_wrong_dim, "raised RuntimeError"),
    (checks.check_gibbs_step, s.gibbs_v_from_probabilities, r"with the \*sampled\* h, not with h's probabilities"),
    (checks.check_gibbs_step, s.gibbs_round_h, r"h is rounded, \(p > 0.5\): that is not sampling"),
    (checks.check_gibbs_step, s.gibbs_round_v, r"v' is rounded, \(p > 0.5\): that is not sampling"),
    (checks.check_gibbs_step, s.gibbs_one_draw_per_unit, "the same uniforms serve every row of the batch"),
    (checks.check_gibbs_step, s.gibbs_shared_uniform, "h and v' share one uniform draw"),
    (checks.check_gibbs_step, s.gibbs_probabilities, r"v' is the probabilities p\(v \| h\), not a sample"),
    (checks.check_gibbs_step, s.gibbs_h_probabilities, r"h is the probabilities p\(h \| v\), not a sample"),
    (checks.check_gibbs_step, s.gibbs_W_not_transposed, r"use v @ W.T \(v @ W only has the right shape"),
    (checks.check_gibbs_step, s.gibbs_v_given_v, r"sampled from p\(v \| v\)"),
    (checks.check_gibbs_step, s.gibbs_greater_than, r"\*below\* its probability"),
    (checks.check_cd_gradient, s.cd_k_ignored, "ran a single step whatever k"),
    (checks.check_cd_gradient, s.cd_restarts, "not again from v_data"),
    (checks.check_cd_gradient, s.cd_sum, r"not the sum"),
    (checks.check_cd_gradient, s.cd_sign_flipped, "the signs are flipped"),
    (checks.check_cd_gradient, s.cd_data_in_negative_phase, r"with the chain's v_k: h_modelᵀ @ v_k, not with v_data"),
    (checks.check_cd_gradient, s.cd_sampled_h, r"use the probabilities p\(h \| v\) in the statistics, not sampled h"),
    (checks.check_cd_gradient, s.cd_last_h, "not the sampled h that gibbs_step returned"),
    (checks.check_log_partition, s.log_partition_float32, "not to float64 precision"),
    (checks.check_log_partition, s.log_partition_log_sum_exp, r"exp overflows .* torch.logsumexp"),
    (checks.check_log_partition, s.log_partition_log1p_exp, r"exp overflows .* F.softplus"),
    (checks.check_log_partition, s.log_partition_no_hidden_bias, "the term h·b_h is missing"),
    (checks.check_log_partition, s.log_partition_tensor, "expected a Python float"),
    (checks.check_log_partition, s.log_partition_W_transposed, r"h @ W.T only has the right shape"),
    (checks.check_reparameterise, s.reparameterise_half_variance, r"not exp\(logvar\) or ½·exp\(logvar\)"),
    (checks.check_reparameterise, s.reparameterise_normal, r"torch.normal\(mean, std\) .* draw z without"),
    (checks.check_reparameterise, s.reparameterise_one_eps_per_row, "one ε serves every latent dimension of a row"),
    (checks.check_reparameterise, s.reparameterise_variance, r"σ = exp\(logvar / 2\) is the standard deviation"),
    (checks.check_reparameterise, s.reparameterise_uniform, r"not uniform \(torch.rand\)"),
    (checks.check_reparameterise, s.reparameterise_detached, r"∂z/∂mean must be 1"),
    (checks.check_reparameterise, s.reparameterise_shared_eps, "the same ε serves every row of the batch"),
    (checks.check_negative_elbo, s.elbo_targets_not_rescaled, r"the targets are \(images \+ 1\) / 2"),
    (checks.check_negative_elbo, s.elbo_bce_of_sigmoid, r"rounds to exactly 0 or 1 .*_with_logits"),
    (checks.check_negative_elbo, s.elbo_logvar_as_log_sigma, "logvar is log σ² \\(the log variance\\), not log σ"),
    (checks.check_negative_elbo, s.elbo_kl_plus_logvar, "the sign of logvar"),
    (checks.check_negative_elbo, s.elbo_mean_over_pixels, "over the pixels .* not the mean"),
    (checks.check_negative_elbo, s.elbo_kl_no_minus_one, "the KL has a −1"),
    (checks.check_negative_elbo, s.elbo_kl_logvar_for_variance, r"the variance is exp\(logvar\), not logvar"),
    (checks.check_negative_elbo, s.elbo_kl_summed_over_batch, "average over the batch .* not the sum"),
    (checks.check_negative_elbo, s.elbo_sigmoid_twice, "applies the sigmoid itself"),
    (checks.check_parzen_log_likelihood, s.parzen_sum_over_test, r"average over the test rows .* not the sum"),
    (checks.check_parzen_log_likelihood, s.parzen_no_half, r"−‖x − s‖² / \(2σ²\): the 2 is missing"),
    (checks.check_parzen_log_likelihood, s.parzen_distance_not_squared, r"needs the \*squared\* distance"),
    (checks.check_parzen_log_likelihood, s.parzen_log_of_mean_density, "log-likelihoods of the test points, not the "
                                                                       "densities"),
    (checks.check_parzen_log_likelihood, s.parzen_sigma_not_squared, "with σ squared"),
    (checks.check_parzen_log_likelihood, s.parzen_no_log_n, "subtract log N"),
    (checks.check_parzen_log_likelihood, s.parzen_log_sum_exp, r"underflows .* torch.logsumexp"),
]


@pytest.mark.parametrize("check,answer,message", WRONG, ids=[a.__name__ for _, a, _ in WRONG])
def test_wrong_answers_fail_with_a_helpful_message(check, answer, message):
    with pytest.raises(AssertionError, match=message):
        check(answer)


def _bernoulli_variant(mistake):
    """``mistake`` with its draws made by torch.bernoulli on the global generator: no draw matches gancourse's, so
    only the statistical test can catch it."""
    def answer(v, W, b_v, b_h, generator=None):
        return mistake(v, W, b_v, b_h)
    return answer


def _from_probabilities(v, W, b_v, b_h):
    p_h = torch.sigmoid(v @ W.T + b_h)
    return torch.bernoulli(p_h), torch.bernoulli(torch.sigmoid(p_h @ W + b_v))


def _not_transposed(v, W, b_v, b_h):
    h = torch.bernoulli(torch.sigmoid(v @ W + b_h))
    return h, torch.bernoulli(torch.sigmoid(h @ W + b_v))


def _from_input(v, W, b_v, b_h):
    return torch.bernoulli(torch.sigmoid(v @ W.T + b_h)), torch.bernoulli(torch.sigmoid(v @ W + b_v))


@pytest.mark.parametrize("mistake,message", [(_from_probabilities, r"\*sampled\* h"), (_not_transposed, "v @ W.T"),
                                             (_from_input, r"p\(v \| v\)")])
def test_wrong_distributions_drawn_another_way_are_caught_by_the_statistics(mistake, message):
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match=f"3000 copies.*{message}"):
        checks.check_gibbs_step(_bernoulli_variant(mistake))


def test_a_cd_chain_restarted_from_the_data_and_drawn_another_way_is_caught_by_the_statistics():
    def cd_restarts(v_data, W, b_v, b_h, k=1, generator=None):
        for _ in range(k):
            v = torch.bernoulli(torch.sigmoid(torch.bernoulli(torch.sigmoid(v_data @ W.T + b_h)) @ W + b_v))
        h_data, h_model = torch.sigmoid(v_data @ W.T + b_h), torch.sigmoid(v @ W.T + b_h)
        n = len(v_data)
        return (h_data.T @ v_data - h_model.T @ v) / n, (v_data - v).mean(0), (h_data - h_model).mean(0)
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match="1000 copies.*behaves like a single Gibbs step"):
        checks.check_cd_gradient(cd_restarts)


# The wrong answers above that a student could hand in believing them right: the notebook's visible test passes.
VISIBLE_PASSES = {
    "free_energy": [s.free_energy_log_exp, s.free_energy_log1p_exp, s.free_energy_where, s.free_energy_no_grad],
    "gibbs_step": [s.gibbs_v_from_probabilities, s.gibbs_round_h, s.gibbs_round_v, s.gibbs_one_draw_per_unit,
                   s.gibbs_shared_uniform],
    "cd_gradient": [s.cd_k_ignored, s.cd_restarts, s.cd_sum, s.cd_sign_flipped, s.cd_data_in_negative_phase],
    "log_partition": [s.log_partition_float32, s.log_partition_log_sum_exp, s.log_partition_log1p_exp],
    "reparameterise": [s.reparameterise_half_variance, s.reparameterise_normal, s.reparameterise_one_eps_per_row],
    "negative_elbo": [s.elbo_targets_not_rescaled, s.elbo_bce_of_sigmoid, s.elbo_logvar_as_log_sigma,
                      s.elbo_kl_plus_logvar],
    "parzen_log_likelihood": [s.parzen_sum_over_test, s.parzen_no_half, s.parzen_distance_not_squared,
                              s.parzen_log_of_mean_density],
}
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "07_compare.ipynb"


def visible_test(name: str, notebook: Path = NOTEBOOK) -> str:
    """The visible part of exercise ``name``'s test cell (grade_id ``<name>_tests``) in notebook 07."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == f"{name}_tests")
    return cell.source.split("### BEGIN HIDDEN TESTS")[0]


def run_visible(name: str, answer, source: str) -> None:
    """Run the visible test ``source`` with ``answer`` under ``name`` and the right answers to the other exercises."""
    namespace = {"torch": torch, "math": math, "F": F, "nn": nn, "exercise": exercise,
                 **{k: getattr(s, k) for k in VISIBLE_PASSES}, name: answer}
    torch.manual_seed(0)
    exec(source, namespace)  # noqa: S102 — the notebook's own test cell


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="notebooks/07_compare.ipynb is not written yet")
@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in VISIBLE_PASSES.items() for a in answers],
                         ids=[a.__name__ for answers in VISIBLE_PASSES.values() for a in answers])
def test_these_wrong_answers_pass_the_visible_test_and_fail_the_check(name, answer):
    run_visible(name, answer, visible_test(name))
    assert any(a is answer for _, a, _ in WRONG), f"{answer.__name__} is not in WRONG"


def _rbm(W, b_v, b_h):
    rbm = BernoulliRBM(W.shape[1], W.shape[0])
    with torch.no_grad():
        rbm.W.copy_(W), rbm.b_v.copy_(b_v), rbm.b_h.copy_(b_h)
    return rbm


def _reference_gibbs(v, W, b_v, b_h, generator=None):
    rbm = _rbm(W, b_v, b_h)
    h = rbm.sample_hidden(v, generator)
    return h, rbm.sample_visible(h, generator)


def _reference_gibbs_by_step(v, W, b_v, b_h, generator=None):
    rbm = _rbm(W, b_v, b_h)
    return torch.sigmoid(v @ W.T + b_h).bernoulli(generator=generator), rbm.gibbs_step(v, generator)


REFERENCE_CALLS = [
    (checks.check_free_energy, lambda v, W, b_v, b_h: _rbm(W, b_v, b_h).free_energy(v)),
    (checks.check_gibbs_step, _reference_gibbs),
    (checks.check_gibbs_step, _reference_gibbs_by_step),
    (checks.check_cd_gradient, lambda v, W, b_v, b_h, k=1, generator=None:
        tuple(training.cd_gradient(_rbm(W, b_v, b_h), v, k, generator))[:3]),
    (checks.check_log_partition, lambda W, b_v, b_h: likelihood.exact_log_partition(_rbm(W, b_v, b_h).double())),
    (checks.check_reparameterise, vae.reparameterise),
    (checks.check_negative_elbo, lambda logits, images, mean, logvar: (
        losses.reconstruction_loss(logits, images) + losses.kl_to_standard_normal(mean, logvar),
        losses.reconstruction_loss(logits, images), losses.kl_to_standard_normal(mean, logvar))),
    (checks.check_parzen_log_likelihood, parzen.parzen_log_likelihood),
    (checks.check_parzen_log_likelihood, likelihood.parzen_log_likelihood),
]


@pytest.mark.parametrize("check,answer", REFERENCE_CALLS)
def test_calling_the_reference_earns_no_credit_and_the_reference_is_restored(check, answer):
    with pytest.raises(AssertionError, match="no credit"):
        check(answer)
    rbm = _rbm(torch.zeros(2, 3), torch.zeros(3), torch.zeros(2))
    v = torch.ones(4, 3)
    assert rbm.free_energy(v).tolist() == pytest.approx([-2 * math.log(2)] * 4)
    assert rbm.gibbs_step(v).shape == (4, 3) and rbm.sample(2, steps=1).shape == (2, 3)
    assert training.cd_gradient(rbm, v, 1, torch.Generator().manual_seed(0)).W.shape == (2, 3)
    assert likelihood.exact_log_partition(rbm.double()) == pytest.approx(5 * math.log(2))
    assert vae.reparameterise(torch.zeros(2, 2), torch.full((2, 2), -200.0)).abs().max() < 1e-6
    assert losses.kl_to_standard_normal(torch.zeros(2, 2), torch.zeros(2, 2)).item() == 0
    assert losses.reconstruction_loss(torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)).item() == pytest.approx(
        4 * math.log(2))
    lp = parzen.parzen_log_likelihood(torch.zeros(1, 2), torch.zeros(1, 2), 1.0)
    assert lp == pytest.approx(-math.log(2 * math.pi))


def test_each_exercise_is_graded_alone():
    """A broken gibbs_step does not fail cd_gradient: the reference one is lent to it while it is checked, and the
    student's own is back afterwards."""
    namespace = {}
    exec(Path(s.__file__).read_text(), namespace)  # noqa: S102 — the right answers, calling the earlier ones by name
    exec("def gibbs_step(v, W, b_v, b_h, generator=None):\n    raise NotImplementedError()\n", namespace)
    checks.check_cd_gradient(namespace["cd_gradient"])
    with pytest.raises(NotImplementedError):
        namespace["gibbs_step"](None, None, None, None)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    """A sandboxed grading worker, as the grader starts one per submission."""
    repo = Path(__file__).resolve().parents[1]
    root = tmp_path_factory.mktemp("worker")
    for sub in ("answers", "sock"):
        (root / sub).mkdir()
    plan = Plan(hide=[str(repo)], expose=[str(repo / "gancourse"), str(repo / "autograder"), sys.prefix],
                writable=[str(root / "sock")])
    w = Worker(plan, root / "sock", hide_in_child=[str(repo / "gancourse"), str(repo / "autograder")])
    yield w, root
    w.close()


@pytest.mark.parametrize("check,answer,message", [
    (checks.check_cd_gradient, s.cd_gradient, None),                  # the reference gibbs_step lent in the worker
    (checks.check_gibbs_step, s.gibbs_step_bernoulli, None),          # judged by the distribution of its draws
    (checks.check_cd_gradient, s.cd_restarts, "not again from v_data"),
    (checks.check_gibbs_step, _reference_gibbs, "no credit"),
])
def test_the_checks_judge_answers_in_the_grading_worker(worker, check, answer, message):
    w, root = worker
    cloudpickle.register_pickle_by_value(sys.modules[answer.__module__])
    blob = root / "answers" / f"{check.key}-{answer.__name__}.pkl"
    blob.write_bytes(cloudpickle.dumps(answer))
    with w.answer(check.key, blob, check.probes.__name__, check.guards, 60) as remote:
        if message is None:
            check(remote)
        else:
            with pytest.raises(AssertionError, match=message):
                check(remote)

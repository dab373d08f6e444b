"""The check of notebook 05's last exercise, ``g_step``: one SGD step of G and F on the (lent) reference objective
with D_X and D_Y frozen, against gancourse's ``g_step`` on the same seeded small networks. The probe
(``autograder.probes.cyclegan.g_step_run``) runs the answer on copies of those networks and reports its result, what
D saw while it ran and every network's state afterwards. ``autograder.checks.cyclegan.check_g_step`` is the graded
check; this module holds its body."""
from __future__ import annotations

import copy

import torch

from autograder.checks import expect, seeded
from autograder.checks.cyclegan_helpers import close, real_nets
from autograder.grading.answers import Answer, outcome
from autograder.probes import cyclegan as probes

GUARDS = ("gancourse.training.cyclegan.g_step", "gancourse.training.gan.frozen.__wrapped__")
_LR, _FROZEN = 0.5, "net.5.bias"


def compare_g_step(g_step: Answer) -> None:
    from gancourse.training.cyclegan import g_step as reference_step
    gen = seeded(59)
    x, y = torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1, torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1
    nets, lambdas = real_nets(59), (3.0, 0.2)
    report = g_step.probe("g_step_run", nets=nets, x=x, y=y, lr=_LR, lambda_cycle=lambdas[0],
                          lambda_identity=lambdas[1], frozen_before=_FROZEN)
    G, F, D_X, D_Y = (probes.build(nets[k]) for k in ("G", "F", "D_X", "D_Y"))
    with torch.no_grad():
        default_loss = probes.reference_objective(copy.deepcopy(G), copy.deepcopy(F), D_X, D_Y, x, y)[0].item()
    numbers, _, _ = reference_step(G, F, D_X, D_Y, x, y, torch.optim.SGD([*G.parameters(), *F.parameters()], lr=_LR),
                                   *lambdas)
    outcome(report, "g_step")
    expect(not report["tensor"], "g_step returned a tensor; expected a Python float: return total.item()")
    expect(report["number"] is not None, f"g_step returned {report['type']}, expected a float (total.item())")
    loss = report["number"]
    if abs(loss - numbers["loss_G"]) > 1e-4 and abs(loss - default_loss) < 1e-4:
        raise AssertionError(f"g_step returned {loss:.6g}, expected {numbers['loss_G']:.6g}: pass lambda_cycle and "
                             "lambda_identity on to generator_objective (the check uses lambda_cycle=3, "
                             "lambda_identity=0.2), not its defaults")
    expect(abs(loss - numbers["loss_G"]) < 1e-4, f"g_step returned {loss:.6g}, expected {numbers['loss_G']:.6g}: the "
                                                 "total of generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, "
                                                 "lambda_identity), as total.item()")
    unfrozen = sorted({name for name, frozen in report["D_calls"] if not frozen})
    expect(not report["D_grads"] and not unfrozen,
           f"{' and '.join(unfrozen) or 'D_X or D_Y'} ran with parameters that require grad"
           + (f" and received gradients ({report['D_grads'][:2]} ...)" if report["D_grads"] else "")
           + ": freeze D_X and D_Y for the step (p.requires_grad_(False) for each of their parameters), so that "
             "autograd computes no gradient for them")
    flags = report["D_requires_grad"]
    stuck = [n for n, flag in flags.items() if not flag and n != f"D_Y.{_FROZEN}"]
    expect(not stuck, f"after g_step, D's parameters {stuck[:3]} ... still do not require grad: put each flag back "
                      "afterwards (in a finally: block), or the next d_step cannot train D")
    expect(not flags[f"D_Y.{_FROZEN}"], f"D_Y's parameter {_FROZEN} did not require grad before g_step and does "
                                        "after it: restore each parameter's own flag as it was (save them first), "
                                        "not True for all")
    after = report["params"]
    for net, module in (("D_X", D_X), ("D_Y", D_Y)):
        for name, p in module.named_parameters():
            expect(close(after[net][name], p), f"g_step changed {net}'s parameter {name}: only G and F are updated "
                                               "(opt_G.step()); D_X and D_Y stay as they are")
    for net, module in (("G", G), ("F", F)):
        for name, p in module.named_parameters():
            got = after[net][name]
            if close(got, p):
                continue
            expect(not close(got, p.detach() - _LR * 7.0),
                   f"after g_step, {net}'s parameter {name} moved by stale gradients too (the check leaves 7s in "
                   "them, as from an earlier step): call opt_G.zero_grad() before total.backward()")
            raise AssertionError(f"after g_step, {net}'s parameter {name} differs from the reference step: zero the "
                                 "old gradients (opt_G.zero_grad()), backpropagate the total of generator_objective "
                                 "(total.backward()), then opt_G.step()")

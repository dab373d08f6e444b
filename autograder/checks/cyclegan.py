"""Checks for notebook 05 (CycleGAN): each has the student's answer run on seeded inputs by a probe
(``autograder.probes.cyclegan``) and compares the report with gancourse's reference on the same inputs. Hidden test
cells call these; a failure says what differs and what was expected, and names the mistake where it is a common one.

Each exercise is graded alone: ``generator_objective`` is run with the reference ``lsgan_g_loss`` and ``cycle_loss``
lent to it, ``g_step`` with the reference ``generator_objective``; the objective is checked on stand-in networks
whose outputs make every term's weight visible (``autograder.probes.cyclegan.build``), then on small real ones.
"""
from __future__ import annotations

import torch

from autograder.checks import assert_close, cyclegan_step, expect, seeded
from autograder.checks.cyclegan_helpers import (block_hints, block_mistakes, build_reference, close, cycle_mistakes,
                                                d_loss_mistakes, g_loss_mistakes, id_batch, ids, named, query_value,
                                                objective_expectations, real_nets, simulate, stand_ins, stored_ids)
from autograder.grading.answers import Answer, graded, outcome
from autograder.probes import cyclegan as probes
from gancourse import losses
from gancourse.training.cyclegan import ImagePool as ReferencePool

LOSSES = ("gancourse.losses.lsgan_discriminator_loss", "gancourse.losses.lsgan_generator_loss")
CYCLE = ("gancourse.losses.cycle_consistency_loss", "gancourse.losses.identity_loss")


def _loss(answer: Answer, what: str, reference, args: list, mistakes) -> None:
    """The answer's value and its gradient with respect to each argument, against ``reference``'s."""
    expected = reference(*args)
    for i in range(len(args)):
        report = answer.probe("call", args=args, grad_of=i)
        got = outcome(report, what)
        expect(isinstance(got, torch.Tensor), f"{what} returned {report.get('type')}, expected a scalar tensor")
        expect(got.ndim == 0, f"{what} returned shape {tuple(got.shape)}, expected a scalar tensor: take the mean "
                              "over every entry (.mean())")
        hint = named(got, mistakes) if not close(got, expected) else None
        if hint:
            raise AssertionError(f"{what} returned {got.item():.6g}, expected {expected.item():.6g}: {hint}")
        assert_close(what, got, expected)
        expect(report["requires_grad"] and isinstance(report.get("grad"), torch.Tensor),
               f"no gradient flows from {what} to its argument {i + 1}: compute it with torch operations on the "
               "tensors themselves (no .item(), .detach() or NumPy), since the networks learn through it")
        arg = args[i].clone().requires_grad_(True)
        want, = torch.autograd.grad(reference(*[arg if j == i else a for j, a in enumerate(args)]), arg)
        assert_close(f"the gradient of {what} with respect to argument {i + 1}", report["grad"], want)


# ---- the least-squares losses ---------------------------------------------------------------------------------
@graded(probes, guards=LOSSES)
def check_lsgan_d_loss(lsgan_d_loss: Answer) -> None:
    """``lsgan_d_loss(real_out, fake_out)``: ½ [mean (real_out - 1)² + mean fake_out²] over D's raw outputs."""
    gen = seeded(51)
    for shape in ((4, 1, 5, 5), (3, 1, 12, 12)):
        real, fake = torch.randn(*shape, generator=gen) + 0.6, torch.randn(*shape, generator=gen) - 0.2
        what = f"lsgan_d_loss(real_out, fake_out) for patch maps of shape {shape}"
        _loss(lsgan_d_loss, what, losses.lsgan_discriminator_loss, [real, fake], d_loss_mistakes(real, fake))


@graded(probes, guards=LOSSES)
def check_lsgan_g_loss(lsgan_g_loss: Answer) -> None:
    """``lsgan_g_loss(fake_out)``: mean (fake_out - 1)² over D's raw outputs (no ½)."""
    gen = seeded(52)
    for shape in ((4, 1, 5, 5), (2, 1, 12, 12)):
        fake = torch.randn(*shape, generator=gen) + 0.3
        _loss(lsgan_g_loss, f"lsgan_g_loss(fake_out) for patch maps of shape {shape}", losses.lsgan_generator_loss,
              [fake], g_loss_mistakes(fake))


@graded(probes, guards=CYCLE)
def check_cycle_loss(cycle_loss: Answer) -> None:
    """``cycle_loss(x, rec_x, y, rec_y)``: mean |rec_x - x| + mean |rec_y - y|."""
    gen = seeded(53)
    x, y = torch.rand(4, 1, 28, 28, generator=gen) * 2 - 1, torch.rand(4, 1, 28, 28, generator=gen) * 2 - 1
    rec_x = (x + 0.3 * torch.randn(x.shape, generator=gen)).clamp(-1, 1)
    rec_y = (y + 0.6 * torch.randn(y.shape, generator=gen)).clamp(-1, 1)
    _loss(cycle_loss, "cycle_loss(x, rec_x, y, rec_y)", losses.cycle_consistency_loss, [x, rec_x, y, rec_y],
          cycle_mistakes(x, rec_x, y, rec_y))


# ---- the residual block ------------------------------------------------------------------------------------------
@graded(probes, guards=("gancourse.models.cyclegan.ResidualBlock.forward",))
def check_residual_block(ResidualBlock: Answer) -> None:
    """``ResidualBlock(c)``: x + [ReflectionPad2d(1), Conv2d(c, c, 3), InstanceNorm2d(c), ReLU, ReflectionPad2d(1),
    Conv2d(c, c, 3), InstanceNorm2d(c)](x), compared with the reference's weights loaded, in both modes."""
    for channels, shape, seed in ((6, (3, 6, 7, 7), 54), (3, (2, 3, 5, 8), 55)):
        what = f"ResidualBlock({channels})"
        reference = build_reference(seed, channels)
        x = torch.randn(*shape, generator=seeded(seed)) * 1.5 + 0.3
        params = [p.detach().clone() for p in reference.parameters()]
        report = ResidualBlock.probe("residual_block", channels=channels, seed=seed, x=x, params=params)
        outcome(report, what)
        expect(report["is_module_class"], "ResidualBlock should be a subclass of torch.nn.Module")
        for key in ("subclasses_reference", "contains_reference"):
            expect(not report.get(key), f"{what} {key.split('_')[0]} gancourse's reference ResidualBlock; it earns "
                                        "no credit: write the layers yourself")
        for condition, hint in block_hints(report["structure"]):
            expect(not condition, f"{what}: {hint}")
        want = [list(p.shape) for p in params]
        expect(report["loaded"], f"{what}'s parameters have shapes {report['param_shapes']}, expected {want}: two "
                                 "Conv2d(channels, channels, 3) with bias, in this order, and normalisations without "
                                 "learned parameters")
        out = outcome(report["train"], f"{what}(x)")
        expect(isinstance(out, torch.Tensor) and tuple(out.shape) == shape,
               f"{what} maps x of shape {shape} to {tuple(getattr(out, 'shape', ()))}, expected {shape}")
        expected = reference(x).detach()
        if not close(out, expected):
            hint = named(out, block_mistakes(reference, x))
            expect(hint is None, f"{what}(x) differs from the reference with the same weights: {hint}")
        assert_close(f"{what}(x) in training mode, with the reference's weights", out, expected)
        assert_close(f"{what}(x) in eval mode (instance normalisation computes the same in both modes)",
                     outcome(report["eval"], f"{what}(x) in eval mode"), expected)
        dead = report["dead"]
        outcome(dead, f"{what} (for the gradients)")
        expect(dead["graph"], f"no gradient reaches {what}'s parameters: do not use torch.no_grad() or .detach()")
        expect(not dead["value"], f"no gradient reaches these parameters of {what}: {dead['value']}")


# ---- the image pool ----------------------------------------------------------------------------------------------
DRAW_ORDER = ("for each image once the pool is full, first u = torch.rand((), generator=self.generator); only if "
              "u < 0.5, then i = torch.randint(self.size, (), generator=self.generator): return self.images[i] and put "
              "the new image in its place; else return the new image")


def _pool_run(answer: Answer, size: int, counts: list[int], seed: int) -> tuple[list, list]:
    batches, k = [], 0
    for n in counts:
        batches.append(id_batch(k, n))
        k += n
    report = answer.probe("image_pool", size=size, seed=seed, global_seed=seed + 1, batches=batches)
    outcome(report, f"ImagePool(size={size})")
    return batches, report["queries"]


@graded(probes, guards=("gancourse.training.cyclegan.ImagePool.query",))
def check_image_pool(ImagePool: Answer) -> None:
    """``ImagePool(size, generator).query(images)``: image by image, fill, then swap with probability ½, drawing
    u then i from ``generator`` in the docstring's order; detached copies stored; size=0 returns the images."""
    size, counts = 5, [3, 4, 6, 1, 8, 9, 30]
    seed = int(torch.randint(2**31, (), generator=seeded(56)))
    batches, queries = _pool_run(ImagePool, size, counts, seed)
    reference = ReferencePool(size, generator=torch.Generator().manual_seed(seed))
    expected = [ids(reference.query(b)) for b in batches]
    got = []
    for q, (batch, report) in enumerate(zip(batches, queries)):
        what = f"query number {q + 1} (a batch of {len(batch)} images)"
        got.append(ids(query_value(report, what, tuple(batch.shape))))
        held = stored_ids(report["stored"], f"after {what}")
        if len(held) > size:
            raise AssertionError(f"after {what}, the pool holds {len(held)} images, expected at most size={size}")
    if got != expected:
        flat, want = sum(got, []), sum(expected, [])
        if flat[:size] != want[:size]:
            raise AssertionError(f"while the pool fills, query should store each image and return it: the first "
                                 f"{size} images returned were {flat[:size]}, expected {want[:size]}")
        variants = [
            (dict(replace=False), "once full, when you return a stored image put the new image in its place "
                                  "(self.images[i] = the new image): the pool must keep renewing its history"),
            (dict(order="randint_first"), f"the draws are in another order; {DRAW_ORDER}"),
            (dict(swap_below=False), f"swap when u < 0.5, not when u >= 0.5; {DRAW_ORDER}"),
        ]
        for kwargs, message in variants:
            if simulate(size, counts, torch.Generator().manual_seed(seed), **kwargs) == got:
                raise AssertionError(f"ImagePool.query: {message}")
        if simulate(size, counts, torch.Generator().manual_seed(seed + 1)) == got:
            raise AssertionError("ImagePool.query draws from torch's global generator: pass "
                                 "generator=self.generator to torch.rand and torch.randint (the grader must be able "
                                 "to repeat the draws)")
        returned_old = sum(v != sum(counts[:q]) + j for q, g in enumerate(got) for j, v in enumerate(g))
        share = returned_old / (sum(counts) - size)
        expect(0.25 <= share <= 0.75, f"once the pool is full, a stored image should be returned about half the "
                                      f"time; {share:.0%} of the images were stored ones: {DRAW_ORDER}")
        k = next(k for k, (a, b) in enumerate(zip(flat, want)) if a != b)
        raise AssertionError(f"ImagePool.query returned image {flat[k]} for the image number {k} queried (numbered "
                             f"from 0 in the order queried into a pool of size {size}), expected image {want[k]}: "
                             f"{DRAW_ORDER}; draw nothing else from the generator, and nothing from Python's random")
    _check_copies(ImagePool, seed)
    report = ImagePool.probe("image_pool", size=0, seed=seed, global_seed=seed, batches=[id_batch(0, 3)])
    outcome(report, "ImagePool(size=0)")
    failed = report["queries"][0]
    expect(failed["ok"], f"ImagePool(size=0).query raised {failed.get('error')}: {failed.get('message')}; with size=0 "
                         "there is no pool: return the images unchanged (check self.size == 0 first)")
    out = query_value(report["queries"][0], "ImagePool(size=0).query(images)", (3, 1, 2, 2))
    expect(ids(out) == [0, 1, 2], f"ImagePool(size=0).query returned images {ids(out)}, expected [0, 1, 2]: with "
                                  "size=0 there is no pool, return the images unchanged")


def _check_copies(answer: Answer, seed: int) -> None:
    report = answer.probe("image_pool_copies", size=3, seed=seed, batch=id_batch(0, 3))
    outcome(report, "ImagePool(size=3).query(G's output)")
    before = report["before"]
    stored_ids(before, "after query")
    expect(not any(before["grad"]), "the pool stores images that are still attached to the generator's graph "
                                    "(requires_grad): store detached copies, image.detach().clone(), or every "
                                    "stored fake keeps its whole computation graph alive")
    after = stored_ids(report["after"], "after the caller changed its batch")
    expect(after == [0, 1, 2], "the pool's stored images changed when the caller changed its batch in place "
                               "afterwards: they share its memory; store copies, image.detach().clone()")


# ---- the generator objective ---------------------------------------------------------------------------------------
def _objective_case(answer: Answer, what: str, nets: dict, x, y, lambda_cycle: float, lambda_identity: float) -> None:
    report = answer.probe("objective", nets=nets, x=x, y=y, lambda_cycle=lambda_cycle, lambda_identity=lambda_identity)
    outcome(report, what)
    expect(report["pair"], f"{what} returned {report['type']}, expected a pair (total, terms)")
    total = report["total"]
    expect(total is not None and total.ndim == 0, f"{what}: the total is a {report['total_type']}"
           + ("" if total is None else f" of shape {tuple(total.shape)}") + ", expected a scalar tensor")
    missing = [k for k in probes.TERMS if k not in report["terms"]]
    expect(not missing, f"{what}: terms ({report['terms_type']} with keys {report['keys']}) lacks {missing}; expected "
                        "a dict with the scalar tensors gan_G, gan_F, cycle and identity")
    want = objective_expectations(probes.build, nets, x, y, lambda_cycle, lambda_identity)
    expected_terms = {**want["terms"], "identity": want["identity"]}
    for key in probes.TERMS:
        if key == "identity" and lambda_identity * lambda_cycle == 0:
            continue                                    # its weight is 0: whether it is computed does not matter
        got = report["terms"][key]
        expect(isinstance(got, torch.Tensor) and got.ndim == 0, f"{what}: terms[{key!r}] is not a scalar tensor")
        if not close(got, expected_terms[key]):
            hint = named(got, want["named_terms"].get(key, []))
            expect(hint is None, f"{what}: terms[{key!r}] is {got.item():.6g}, expected "
                                 f"{expected_terms[key].item():.6g}: {hint}")
        assert_close(f"{what}: terms[{key!r}]", got, expected_terms[key])
    if not close(total, want["total"]):
        hint = named(total, want["named_total"])
        expect(hint is None, f"{what}: the total is {total.item():.6g}, expected {want['total'].item():.6g}: {hint}")
    assert_close(f"{what}: the total gan_G + gan_F + λ·cycle + (lambda_identity·λ)·identity", total, want["total"])
    expect(report["graph"] and report["grads"] is not None,
           f"{what}: the total has no graph (requires_grad False): G and F are trained on it, so compute it from "
           "their outputs without torch.no_grad() or .detach()")
    for name, grad in want["grads"].items():
        got = report["grads"].get(name)
        if got is None or not close(got, grad):
            detached = want["detached_grads"].get(name)
            expect(not (got is not None and detached is not None and close(got, detached)),
                   f"{what}: the gradient reaching {name} lacks the cycle term's part: the round trip must use the "
                   "fakes themselves, F(G(x)) and G(F(y)), not detached copies (G and F learn from the cycle)")
            raise AssertionError(f"{what}: the gradient of the total with respect to {name} is "
                                 f"{None if got is None else got.tolist()}, expected {grad.tolist()}: compute every "
                                 "term from the networks' outputs, with nothing detached")


@graded(probes, guards=("gancourse.training.cyclegan.cyclegan_generator_objective", "gancourse.losses.identity_loss"))
def check_generator_objective(generator_objective: Answer) -> None:
    """``generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity)``: (total, terms), the reference
    lsgan_g_loss and cycle_loss lent; on stand-ins with three weightings, then on small real networks."""
    gen = seeded(57)
    x, y = torch.rand(3, 1, 28, 28, generator=gen) * 2 - 1, torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1
    nets = stand_ins(gen)
    for lambda_cycle, lambda_identity in ((10.0, 0.5), (3.0, 0.2), (4.0, 0.0)):
        what = (f"generator_objective(..., lambda_cycle={lambda_cycle:g}, lambda_identity={lambda_identity:g}) "
                "on stand-in networks")
        _objective_case(generator_objective, what, nets, x, y, lambda_cycle, lambda_identity)
    what = "generator_objective(...) on ResnetGenerator and PatchDiscriminator networks"
    _objective_case(generator_objective, what, real_nets(58), x, y, 10.0, 0.5)


# ---- the generator step --------------------------------------------------------------------------------------------
@graded(probes, guards=cyclegan_step.GUARDS)
def check_g_step(g_step: Answer) -> None:
    """``g_step(G, F, D_X, D_Y, x, y, opt_G, lambda_cycle, lambda_identity)``: one SGD step of G and F on the
    (lent) reference objective, D_X and D_Y frozen meanwhile and their flags restored; returns the total as a float."""
    cyclegan_step.compare_g_step(g_step)

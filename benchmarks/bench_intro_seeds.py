"""Notebook 01's runs over several seeds: what holds in every run, and the ranges its prose quotes.

    python benchmarks/bench_intro_seeds.py [--seeds 0 1 2] [--runs main fashion g_first ...] [--jobs 1]
                                           [--threads 2] [--device cpu] [--out intro_seeds.jsonl]

Each run trains as notebook 01 does (``seed_everything(seed)``, the reference MLP networks, batches of 128 from
``load_images(..., seed=seed)``, ``train_gan(..., seed=seed)``); seed 0 is the notebook's own run. At the listed
steps it asks the shipped classifier about 1,000 samples (noise seeded 123, as the notebook's ``generated``):
``confidence``, ``confident_share``, ``class_entropy``, ``classes_covered`` (classes with at least 2 % of the
samples) and the class counts. It also records the discriminator's mean outputs D(x), D(G(z)) at every sample point.

Runs (``--runs``):

* ``main`` — MNIST, 4,000 steps (section 7); ``fashion`` — Fashion-MNIST, 3,000 steps (section 8), both with the
  notebook's three settings (``gancourse.models.mlp.INTRO_RECIPE``; measured by ``bench_intro_recipe.py``);
* ``d_first`` — MNIST, the experiments' baseline (the standard order: D, then G); ``g_first`` — G updated before D;
  ``d_steps3`` — three D updates per G update; ``saturating`` — the min-max generator loss; ``no_bn`` — a generator
  without batch normalisation; ``saturating_no_bn`` — both (section 9's experiments, ``EXPERIMENT_STEPS`` steps each);
* ``sgd_headstart_saturating`` / ``sgd_headstart_nonsaturating`` — section 9.2's run that stalls: plain SGD for
  both networks (``SGD_HEADSTART``), ``HEAD_START_STEPS`` steps of D alone (G held fixed) and then
  ``HEAD_START_RUN_STEPS`` steps of the usual alternation from that pair (the notebook trains the first 600 of
  them), with the min-max or the non-saturating generator loss; ``sgd_headstart_saturating_adam`` — the same head
  start, then the min-max loss with Adam (``train_gan``'s default optimisers) instead of SGD. The summary adds
  the step after the head start at which the mean D(G(z)) on the fixed batch first reached ``STALL_LEVEL`` (the
  min-max loss's gradient per logit is D(G(z)) in size: below 0.01 it is at most 0.01, while the non-saturating
  one, 1 - D(G(z)), is at least 0.99), and the steps at which it first reached 0.001 and 0.1;
* ``vae`` — the small VAE of section 10 (``VAE_STEPS`` steps), measured like a generator;
* ``untrained`` — freshly initialised generators (the "untrained G" rows).

Every (run, seed) is one process (``--jobs`` at a time, ``--threads`` torch threads each); one JSON line per result
goes to ``--out``, and a table of the ranges over the seeds is printed at the end.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MAIN_STEPS, FASHION_STEPS, EXPERIMENT_STEPS, VAE_STEPS = 4000, 3000, 1000, 1500
HEAD_START_STEPS, HEAD_START_RUN_STEPS, STALL_LEVEL = 300, 1000, 0.01     # the notebook trains 600 of the 1,000
SGD_HEADSTART = {"lr": 0.05, "momentum": 0.5}       # plain SGD for both networks (section 9.2)
REPORT_AT = {"main": (0, 250, 500, 1000, 1500, 2000, 4000), "fashion": (0, 1000, 3000),
             "experiment": (0, 250, 500, 1000), "vae": (250, 500, 1000, 1500), "headstart": (0, 200, 400, 600, 1000)}
EXPERIMENTS = {"d_first": {}, "g_first": {"g_first": True}, "d_steps3": {"d_steps": 3},
               "saturating": {"non_saturating": False}, "no_bn": {"batch_norm": False},
               "saturating_no_bn": {"non_saturating": False, "batch_norm": False}}
HEAD_STARTS = {"sgd_headstart_saturating": (False, "sgd"), "sgd_headstart_nonsaturating": (True, "sgd"),
               "sgd_headstart_saturating_adam": (False, "adam")}   # (non_saturating, optimiser after the head start)
RUNS = ("main", "fashion", *EXPERIMENTS, *HEAD_STARTS, "vae", "untrained")


def generated(G, n: int = 1000, seed: int = 123):
    """n samples of G for noise seeded ``seed``, as the notebook's ``generated`` draws them (in eval mode)."""
    import torch
    from gancourse.sampling import evaluating
    with evaluating(G), torch.no_grad():
        z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
        return G(z.to(next(G.parameters()).device)).cpu()


def report(classifier, images) -> dict:
    from gancourse.metrics import sample_report
    r = sample_report(classifier, images)
    return {k: r[k] for k in ("confidence", "confident_share", "class_entropy", "classes_covered", "class_counts")}


def hold_G(D, G, noise, opt_G, non_saturating=True) -> float:
    """A generator step that does nothing (G stays as it is while D trains alone); no loss, so NaN."""
    return float("nan")


def head_start_run(run: str, seed: int, device: str, classifier, out: dict) -> dict:
    """Section 9.2 as the notebook trains it: D alone for HEAD_START_STEPS steps with SGD, then a copy of both
    networks trained together with fresh optimisers, SGD or Adam (the notebook's run when ``seed`` is 0)."""
    import torch
    from gancourse.data import load_images
    from gancourse.device import seed_everything
    from gancourse.models import MLPDiscriminator, MLPGenerator
    from gancourse.training import train_gan

    def sgd(module):
        return torch.optim.SGD(module.parameters(), **SGD_HEADSTART)

    seed_everything(seed)
    G, D = MLPGenerator(latent_dim=64, hidden_dim=256), MLPDiscriminator(hidden_dim=256)
    head = train_gan(G, D, load_images("mnist", train=True, batch_size=128, seed=seed), steps=HEAD_START_STEPS,
                     device=device, opt_G=sgd(G), opt_D=sgd(D), g_step_fn=hold_G, sample_every=10, seed=seed,
                     progress=False)
    G_head, D_head = G, D
    G, D = MLPGenerator(latent_dim=64, hidden_dim=256), MLPDiscriminator(hidden_dim=256)
    G.load_state_dict(G_head.state_dict())
    D.load_state_dict(D_head.state_dict())
    G, D = G.to(device), D.to(device)
    at = REPORT_AT["headstart"]
    out["reports"]["0"] = report(classifier, generated(G))

    def measure(step, history, G, D):
        if step in at:
            out["reports"][str(step)] = report(classifier, generated(G))

    non_saturating, optimiser = HEAD_STARTS[run]
    optimisers = {"opt_G": sgd(G), "opt_D": sgd(D)} if optimiser == "sgd" else {}     # {}: train_gan's Adam
    history = train_gan(G, D, load_images("mnist", train=True, batch_size=128, seed=seed), steps=HEAD_START_RUN_STEPS,
                        device=device, non_saturating=non_saturating, sample_every=10, seed=seed, callbacks=[measure],
                        progress=False, **optimisers)
    reached = history.first_reaching("D_fake", STALL_LEVEL)
    out.update(head_D_real=head.D_real, head_D_fake=head.D_fake, sample_steps=history.sample_steps,
               D_real=history.D_real, D_fake=history.D_fake, seconds=head.seconds + history.seconds,
               below_level_until=reached[0] if reached else None)
    return out


def one(run: str, seed: int, threads: int, device: str) -> dict:
    import torch
    torch.set_num_threads(threads)
    from gancourse.data import load_images
    from gancourse.device import seed_everything
    from gancourse.metrics import load_classifier
    from gancourse.models import MLPDiscriminator, MLPGenerator
    from gancourse.training import train_gan

    data = "fashion_mnist" if run == "fashion" else "mnist"
    classifier = load_classifier(data, device)
    out = {"run": run, "seed": seed, "reports": {}}
    started = time.perf_counter()
    if run == "untrained":
        seed_everything(seed)
        out["reports"]["0"] = report(classifier, generated(MLPGenerator(64, 256).to(device)))
        out["reports"]["fashion 0"] = report(load_classifier("fashion_mnist", device),
                                             generated(MLPGenerator(64, 256).to(device)))
        return out
    if run in HEAD_STARTS:
        return {**head_start_run(run, seed, device, classifier, out), "wall": time.perf_counter() - started}
    loader = load_images(data, train=True, batch_size=128, seed=seed)
    if run == "vae":
        from gancourse.training import train_vae
        from gancourse.models import VAE
        seed_everything(seed)
        vae = VAE()
        at = REPORT_AT["vae"]

        def measure_vae(step, history, family):
            if step in at:
                out["reports"][str(step)] = report(classifier, family.model.generate(1000, seed=123))
        history = train_vae(vae, loader, steps=VAE_STEPS, device=device, sample_every=50, seed=seed,
                            callbacks=[measure_vae], progress=False)
        out["loss"] = history.loss[-50:]
        out["seconds"] = history.seconds
        return out
    steps = {"main": MAIN_STEPS, "fashion": FASHION_STEPS}.get(run, EXPERIMENT_STEPS)
    at = REPORT_AT.get(run, REPORT_AT["experiment"])
    options = dict(EXPERIMENTS.get(run, {}))
    batch_norm = options.pop("batch_norm", True)
    spectral_norm = False
    if run in ("main", "fashion"):            # sections 7 and 8 train with notebook 01's three settings
        from gancourse.models.mlp import INTRO_RECIPE
        options = {k: v for k, v in INTRO_RECIPE.items() if k != "spectral_norm"}
        spectral_norm = INTRO_RECIPE["spectral_norm"]
    seed_everything(seed)
    G = MLPGenerator(latent_dim=64, hidden_dim=256, batch_norm=batch_norm)
    D = MLPDiscriminator(hidden_dim=256, spectral_norm=spectral_norm)
    if 0 in at:
        out["reports"]["0"] = report(classifier, generated(G.to(device)))

    def measure(step, history, G, D):
        if step in at:
            out["reports"][str(step)] = report(classifier, generated(G))

    history = train_gan(G, D, loader, steps=steps, device=device, sample_every=25, seed=seed, callbacks=[measure],
                        progress=False, **options)
    out.update(sample_steps=history.sample_steps, D_real=history.D_real, D_fake=history.D_fake,
               seconds=history.seconds, wall=time.perf_counter() - started)
    return out


def summary(results: list[dict]) -> None:
    def span(values, fmt):
        return f"{fmt(min(values))} to {fmt(max(values))}" if values else "-"

    runs = sorted({r["run"] for r in results}, key=RUNS.index)
    for run in runs:
        rows = sorted((r for r in results if r["run"] == run), key=lambda r: r["seed"])
        print(f"\n== {run}: seeds {[r['seed'] for r in rows]}")
        if "D_real" in rows[0]:
            for r in rows:
                i = max(range(len(r["D_real"])), key=r["D_real"].__getitem__)
                j = min(range(len(r["D_fake"])), key=r["D_fake"].__getitem__)
                print(f"  seed {r['seed']}: max D(x) {r['D_real'][i]:.3f} at step {r['sample_steps'][i]}, "
                      f"min D(G(z)) {r['D_fake'][j]:.3f} at step {r['sample_steps'][j]}; final D(x) "
                      f"{r['D_real'][-1]:.3f}, D(G(z)) {r['D_fake'][-1]:.3f}; {r['seconds']:.0f} s training")
        if run in HEAD_STARTS:
            for r in rows:
                until = r["below_level_until"] if r["below_level_until"] is not None else "the end"
                print(f"  seed {r['seed']}: after {HEAD_START_STEPS} steps of D alone, D(x) "
                      f"{r['head_D_real'][-1]:.5f}, D(G(z)) {r['head_D_fake'][-1]:.5f}; "
                      f"then D(G(z)) < {STALL_LEVEL} until step {until}")
            until = [r["below_level_until"] for r in rows]
            print(f"  D(G(z)) first reached {STALL_LEVEL} at steps {until} after the head start (None: never, "
                  f"within {HEAD_START_RUN_STEPS}; sample points every 10 steps)")
            for level in (0.001, 0.1):
                first = [next((s for s, v in zip(r["sample_steps"], r["D_fake"]) if v >= level), None) for r in rows]
                print(f"  D(G(z)) first reached {level} at steps {first}")
        for key in sorted(rows[0]["reports"], key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k)):
            reps = [r["reports"][key] for r in rows if key in r["reports"]]
            print(f"  at {key:>8}: confidence {span([x['confidence'] for x in reps], '{:.3f}'.format)} | "
                  f"share > 0.9 {span([x['confident_share'] for x in reps], '{:.1%}'.format)} | "
                  f"entropy {span([x['class_entropy'] for x in reps], '{:.2f}'.format)} | "
                  f"classes covered {[x['classes_covered'] for x in reps]}")
            shares = [[c / sum(x["class_counts"]) for c in x["class_counts"]] for x in reps]
            print(f"  {'':11s} smallest class share per seed {[f'{min(s):.1%}' for s in shares]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    parser.add_argument("--jobs", type=int, default=1, help="processes at a time")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per process")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="intro_seeds.jsonl", help="one JSON line per (run, seed)")
    parser.add_argument("--summary-only", action="store_true", help="print the table of an existing --out file")
    args = parser.parse_args()
    out = Path(args.out)
    if args.summary_only:
        summary([json.loads(line) for line in out.read_text().splitlines() if line.strip()])
        return
    jobs = [(run, seed) for run in args.runs for seed in args.seeds]
    results = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool, out.open("a") as sink:
        futures = {pool.submit(one, run, seed, args.threads, args.device): (run, seed) for run, seed in jobs}
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            sink.write(json.dumps(result) + "\n")
            sink.flush()
            print(f"done {futures[future]} in {result.get('wall', 0):.0f} s", flush=True)
    summary(results)


if __name__ == "__main__":
    main()

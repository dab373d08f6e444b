"""How much of the CPU's fp32 matmul peak a GAN training step reaches, before and after the CPU speed-ups.

    python benchmarks/bench_cpu_efficiency.py [--families dcgan cgan] [--batch-size N] [--generations 3]
        [--rounds 8] [--steps 10] [--candidates] [--[no-]channels-last] [--[no-]freeze] [--adam {default,foreach,fused}]
        [--[no-]keep-memory] [--threads N] [--[no-]compile] [--[no-]mkldnn]

In one run it measures
* the fp32 matmul peak: a 2048 x 2048 @ 2048 x 2048 product, median of 9 after warm-up, in GFLOP/s, twice: with
  ``torch.mm`` (MKL's sgemm, the yardstick of issue 12) and as a 1 x 1 convolution through oneDNN, the library
  that runs the GANs' convolutions (on AMD CPUs MKL may take its AVX2 path where oneDNN uses AVX-512: up to 2x);
* for the DCGAN (``DCGANConfig()``) and the conditional GAN (``CGANConfig()``), with their default widths, batch
  size (or ``--batch-size``), learning rate and betas, on real MNIST batches held in memory: the FLOPs of one
  training step (``d_step`` then ``g_step``, forward and backward, counted by ``torch.utils.flop_counter``), the
  median step time, and from them GFLOP/s, images/s and the fraction of each peak. Each row counts its own
  FLOPs: a ``--freeze`` step does 4 % fewer (no weight gradients for D in the G step), so compare speed by the
  images/s and the speed-up column.

``baseline`` is a step as the training loop makes it today (PyTorch's defaults); ``optimised`` switches on the
speed-ups chosen by the flags (default: the two that help here); ``--candidates`` adds a row for every speed-up on
its own, those that do not help included. None changes the maths: same models, losses, noise and Adam update in
fp32 (channels_last and fused Adam change the rounding, not the result's distribution).

* ``--channels-last``: models and batches in ``torch.channels_last`` memory format (oneDNN's NHWC kernels);
* ``--freeze``: the network that a step does not update gets ``requires_grad_(False)`` for that step, so that
  G's forward in the D step records no graph and the G step computes no gradients for D's weights (which the
  next D step would throw away); the results are bit for bit the same;
* ``--adam fused`` / ``foreach``: Adam's one-kernel or multi-tensor implementation of the same update;
* ``--keep-memory``: glibc keeps freed memory for reuse (``mallopt``) instead of returning it to the kernel and
  page-faulting it in again; ``--threads N``: ``torch.set_num_threads(N)``; ``--compile``: ``torch.compile`` on
  both networks (the first step's time is printed); ``--no-mkldnn``: PyTorch's own convolutions, not oneDNN's.

Every configuration lives in its own process (threads and the allocator are process-wide), set up and warmed up
once; then, round after round, each runs ``--steps`` steps while the others wait, in a rotating order, after
waiting (up to ``--patience`` seconds) for other processes to leave the CPUs idle. A process can run a few per
cent faster or slower than another of the same configuration for its whole life, so this is done
``--generations`` times with fresh processes. The table gives the median over generations of the median over
rounds, and of each configuration's speed-up over the baseline of the same rounds.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from gancourse.data import load_images
from gancourse.models.conditional import CGANConfig
from gancourse.models.dcgan import DCGANConfig
from gancourse.training import conditional as cgan_steps
from gancourse.training import gan as gan_steps

FAMILIES = {"dcgan": DCGANConfig, "cgan": CGANConfig}


@dataclass(frozen=True)
class Speedups:
    """The process-wide and loop-level settings of one measured configuration; all off is the baseline."""

    keep_memory: bool = False           # mallopt: no mmap for big blocks, no trimming of the heap
    channels_last: bool = False         # models and batches in channels_last memory format
    freeze: bool = False                # requires_grad_(False) on the network a step does not update
    adam: str = "default"               # "default" (for-loop on CPU), "foreach" or "fused"
    threads: int = 0                    # torch.set_num_threads; 0: PyTorch's default (one per core)
    compile: bool = False               # torch.compile both networks
    mkldnn: bool = True                 # oneDNN convolutions (PyTorch's default)

    def label(self) -> str:
        """The settings that differ from the baseline, e.g. ``channels_last+freeze+adam=fused``."""
        base = Speedups()
        parts = [f.name if isinstance(getattr(self, f.name), bool) and getattr(self, f.name)
                 else f"{f.name}={getattr(self, f.name)}"
                 for f in fields(self) if getattr(self, f.name) != getattr(base, f.name)]
        return "+".join(p if p != "mkldnn=False" else "no_mkldnn" for p in parts) or "none"


CANDIDATES = [Speedups(channels_last=True), Speedups(freeze=True), Speedups(adam="foreach"), Speedups(adam="fused"),
              Speedups(keep_memory=True), Speedups(threads=1), Speedups(compile=True), Speedups(mkldnn=False)]


# ---------------------------------------------------------------------------------------------------------------
# The peak: a 2048³ fp32 matrix product, through MKL (torch.mm) and through oneDNN (a 1 x 1 convolution)
# ---------------------------------------------------------------------------------------------------------------

def median_seconds(fn, repeats: int = 9, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_peaks(n: int = 2048) -> dict[str, float]:
    """GFLOP/s of an (n, n) @ (n, n) fp32 product: ``torch.mm`` (MKL sgemm) and oneDNN (a 1 x 1 convolution of
    n input channels into n output channels over n pixels, channels_last: the same 2n³ FLOPs)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    x = torch.randn(1, n, n // 64, 64).contiguous(memory_format=torch.channels_last)   # (1, n, 32, 64): n pixels
    w = torch.randn(n, n, 1, 1).contiguous(memory_format=torch.channels_last)
    flops = 2 * n ** 3
    return {"sgemm": flops / median_seconds(lambda: torch.mm(a, b)) / 1e9,
            "onednn": flops / median_seconds(lambda: F.conv2d(x, w)) / 1e9}


# ---------------------------------------------------------------------------------------------------------------
# One configuration, in its own process
# ---------------------------------------------------------------------------------------------------------------

def keep_freed_memory() -> None:
    """Make glibc's malloc keep freed blocks for reuse: big tensors are then not mmap-ed and unmapped at every
    step (each time page-faulting their memory in again), and the heap is not trimmed. Linux/glibc only."""
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    if not (libc.mallopt(M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)):
        raise RuntimeError("mallopt refused the settings")


def cached_batches(config, batch_size: int, count: int) -> tuple[list, int]:
    """The first ``count`` batches of MNIST (seed 0), held in memory; and the size of the data set."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # the note that the embedded subset is used
        loader = load_images("mnist", batch_size=batch_size, seed=0)
    batches = []
    while len(batches) < count:
        batches.extend(b for b, _ in zip(loader, range(count - len(batches))))
    return batches, len(loader.dataset)


@contextmanager
def frozen(module: torch.nn.Module):
    """``requires_grad_(False)`` on ``module``'s parameters for the block, then each flag back as it was."""
    flags = [p.requires_grad for p in module.parameters()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(module.parameters(), flags):
            p.requires_grad_(flag)


class Step:
    """One training step of a family, d_step then g_step, as the training loop makes it (noise, labels)."""

    def __init__(self, family: str, speedups: Speedups, batch_size: int | None):
        config = FAMILIES[family]()
        self.family, self.speedups = family, speedups
        self.batch_size = batch_size or config.batch_size
        self.latent_dim, self.n_classes = config.latent_dim, getattr(config, "n_classes", None)
        self.mismatched = getattr(config, "mismatched", False)
        torch.manual_seed(config.seed)
        self.G, self.D = config.models()
        self.format = torch.channels_last if speedups.channels_last else torch.contiguous_format
        self.G.to(memory_format=self.format).train()
        self.D.to(memory_format=self.format).train()
        adam = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[speedups.adam]
        betas = (config.beta1, 0.999)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=config.lr, betas=betas, **adam)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=betas, **adam)
        self.rng = torch.Generator().manual_seed(config.seed)

    def compile(self) -> None:
        self.G.compile()
        self.D.compile()

    def __call__(self, batch) -> tuple[float, float]:
        images, labels = batch
        real = images.contiguous(memory_format=self.format)
        b = real.shape[0]
        keep = frozen if self.speedups.freeze else lambda module: nullcontext()
        noise = torch.randn(b, self.latent_dim, generator=self.rng)
        with keep(self.G):                              # (1) D step: G's forward records no graph when frozen
            if self.family == "dcgan":
                loss_D = gan_steps.d_step(self.D, self.G, real, noise, self.opt_D)
            else:
                wrong = None                            # as mismatched_labels draws them: another class
                if self.mismatched:
                    shift = torch.randint(1, self.n_classes, labels.shape, generator=self.rng)
                    wrong = (labels + shift) % self.n_classes
                loss_D = cgan_steps.d_step(self.D, self.G, real, labels, noise, self.opt_D, wrong_labels=wrong)
        noise = torch.randn(b, self.latent_dim, generator=self.rng)
        with keep(self.D):                              # (2) G step: no gradients for D's weights when frozen
            if self.family == "dcgan":
                loss_G = gan_steps.g_step(self.D, self.G, noise, self.opt_G)
            else:
                fake_labels = torch.randint(0, self.n_classes, (b,), generator=self.rng)
                loss_G = cgan_steps.g_step(self.D, self.G, noise, fake_labels, self.opt_G)
        return loss_D, loss_G


class Worker:
    """One configuration in its own process (threads and the allocator are process-wide settings): set up, FLOPs
    counted and warmed up at start, then it times as many steps as it is asked for, while the others wait."""

    def __init__(self, family: str, speedups: Speedups, args):
        self.family, self.speedups = family, speedups
        spec = json.dumps({"family": family, **asdict(speedups)})
        command = [sys.executable, os.path.abspath(__file__), "--worker", spec, "--warmup", str(args.warmup)]
        if args.batch_size:
            command += ["--batch-size", str(args.batch_size)]
        self.errors = tempfile.TemporaryFile(mode="w+")   # a file, not a pipe: a chatty worker never blocks
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors,
                                        text=True)
        self.info = self._answer()                     # FLOPs, batch size, compile time: once set up
        self.times: list[list[float]] = []             # per round: the step times

    def _answer(self):
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.errors.seek(0)
            raise RuntimeError(f"the {self.family} {self.speedups.label()} worker failed:\n"
                               f"{self.errors.read()[-3000:]}")
        return json.loads(line)

    def time_steps(self, steps: int) -> None:
        self.process.stdin.write(f"{steps}\n")
        self.process.stdin.flush()
        self.times.append(self._answer())

    def close(self) -> None:
        """End the worker (an end of input ends its loop) and wait for it."""
        try:
            self.process.stdin.close()
        except OSError:                                # it has already gone
            pass
        self.process.wait()
        self.errors.close()


def serve(family: str, speedups: Speedups, batch_size: int | None, warmup: int) -> None:
    """The worker's side: set up, report the FLOPs of a step, then time ``n`` steps for each ``n`` read on stdin."""
    if speedups.keep_memory:
        keep_freed_memory()
    if speedups.threads:
        torch.set_num_threads(speedups.threads)
    torch.backends.mkldnn.enabled = speedups.mkldnn
    step = Step(family, speedups, batch_size)
    batches, n_images = cached_batches(FAMILIES[family](), step.batch_size, 50)
    with FlopCounterMode(display=False) as counter:     # counted eagerly: compiling changes no FLOP
        step(batches[0])
    compile_s = None
    if speedups.compile:
        step.compile()
        start = time.perf_counter()
        step(batches[0])
        compile_s = time.perf_counter() - start
    for i in range(warmup):
        step(batches[i % len(batches)])
    print(json.dumps({"flops": counter.get_total_flops(), "batch_size": step.batch_size, "compile_s": compile_s,
                      "threads": torch.get_num_threads(), "n_images": n_images}), flush=True)
    done = 0
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            batch = batches[done % len(batches)]
            start = time.perf_counter()
            step(batch)
            times.append(time.perf_counter() - start)
            done += 1
        print(json.dumps(times), flush=True)


def busy_share(seconds: float = 0.5) -> float:
    """The share of CPU time that was busy over the next ``seconds`` (all processes; Linux's /proc/stat, else 0)."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values), values[3] + values[4]      # total, idle + iowait
    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return 0.0
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(threshold: float = 0.15, patience_s: float = 120) -> float:
    """Wait (at most ``patience_s``) until other processes leave the CPUs idle; returns the seconds waited."""
    start = time.perf_counter()
    while busy_share() > threshold and time.perf_counter() - start < patience_s:
        time.sleep(2)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------------------
# The run: alternate the configurations, then print the table
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Result:
    """What one configuration measured: per process generation, the median step time and the median speed-up over
    the baseline of the same rounds; and what its first process reported (FLOPs, batch size, compile time)."""

    info: dict
    step_s: list[float]
    speedup: list[float]


def measure_family(family: str, variants: list[tuple[str, Speedups]], args, peaks: dict[str, list[float]]):
    """Time every configuration of ``family``, ``args.generations`` times in fresh processes (a process can be a
    few per cent faster or slower than the next, for as long as it lives); returns the results by name and the
    seconds spent waiting for idle CPUs."""
    results: dict[str, Result] = {}
    waited = 0.0
    for _ in range(args.generations):
        workers: dict[str, Worker] = {}
        try:
            for name, speedups in variants:
                workers[name] = Worker(family, speedups, args)
            order = list(workers.values())
            for round_ in range(args.rounds):
                waited += wait_for_quiet(patience_s=args.patience)
                for name, value in matmul_peaks().items():
                    peaks[name].append(value)
                for worker in order[round_ % len(order):] + order[:round_ % len(order)]:     # a rotating start
                    worker.time_steps(args.steps)
        finally:
            for worker in workers.values():
                worker.close()
        base = [statistics.median(t) for t in workers["baseline"].times]
        for name, worker in workers.items():
            per_round = [statistics.median(t) for t in worker.times]
            result = results.setdefault(name, Result(worker.info, [], []))
            result.step_s.append(statistics.median(per_round))
            result.speedup.append(statistics.median(b / t for b, t in zip(base, per_round)))
    return results, waited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILIES), default=["dcgan", "cgan"])
    parser.add_argument("--batch-size", type=int, default=None, help="default: each config's batch_size")
    parser.add_argument("--generations", type=int, default=3, help="fresh processes per configuration, in turn")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of alternated configurations per generation")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per configuration and round")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per configuration before timing")
    parser.add_argument("--candidates", action="store_true", help="also time every speed-up on its own")
    parser.add_argument("--patience", type=float, default=120,
                        help="seconds to wait, before each round, for other processes to leave the CPUs idle")
    on = argparse.BooleanOptionalAction
    optimised = parser.add_argument_group("the optimised configuration (the baseline has all of them off)")
    optimised.add_argument("--channels-last", action=on, default=True)
    optimised.add_argument("--freeze", action=on, default=True)
    optimised.add_argument("--adam", choices=["default", "foreach", "fused"], default="default")
    optimised.add_argument("--keep-memory", action=on, default=False)
    optimised.add_argument("--threads", type=int, default=0, help="0: PyTorch's default")
    optimised.add_argument("--compile", action=on, default=False)
    optimised.add_argument("--mkldnn", action=on, default=True)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:                                    # a child process: one configuration
        spec = json.loads(args.worker)
        family = spec.pop("family")
        serve(family, Speedups(**spec), args.batch_size, args.warmup)
        return

    chosen = Speedups(keep_memory=args.keep_memory, channels_last=args.channels_last, freeze=args.freeze,
                      adam=args.adam, threads=args.threads, compile=args.compile, mkldnn=args.mkldnn)
    variants = [("baseline", Speedups()), ("optimised", chosen)]
    if args.candidates:
        variants += [(s.label(), s) for s in CANDIDATES]
    peaks: dict[str, list[float]] = {"sgemm": [], "onednn": []}
    results, waited = {}, 0.0
    for family in args.families:
        results[family], seconds = measure_family(family, variants, args, peaks)
        waited += seconds

    peak = {name: statistics.median(values) for name, values in peaks.items()}
    first = results[args.families[0]]["baseline"].info
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {first['threads']} threads by default; "
          f"MNIST ({first['n_images']:,} training images); {args.generations} generations of processes x "
          f"{args.rounds} rounds x {args.steps} steps per configuration, alternated; medians; "
          f"{waited:.0f} s spent waiting for idle CPUs")
    print(f"fp32 matmul peak, 2048³: sgemm (torch.mm) {peak['sgemm']:.0f} GFLOP/s, "
          f"oneDNN (1x1 conv, channels_last) {peak['onednn']:.0f} GFLOP/s")
    print(f"optimised = {chosen.label()}")
    print(f"{'family':6s} {'variant':32s} {'batch':>5s} {'MFLOP/step':>10s} {'MFLOP/img':>9s} {'step ms':>8s} "
          f"{'images/s':>8s} {'GFLOP/s':>8s} {'of sgemm':>8s} {'of oneDNN':>9s} {'speed-up':>8s}")
    for family in args.families:
        for name, _ in variants:
            result = results[family][name]
            b, flops = result.info["batch_size"], result.info["flops"]
            step_s, rate = statistics.median(result.step_s), flops / statistics.median(result.step_s) / 1e9
            print(f"{family:6s} {name:32s} {b:5d} {flops / 1e6:10.1f} {flops / b / 1e6:9.2f} {step_s * 1e3:8.2f} "
                  f"{b / step_s:8,.0f} {rate:8.1f} {rate / peak['sgemm']:8.1%} {rate / peak['onednn']:9.1%} "
                  f"{statistics.median(result.speedup):7.2f}x")
            if result.info["compile_s"] is not None:
                print(f"{'':6s}   (torch.compile: the first step of the first process took "
                      f"{result.info['compile_s']:.1f} s)")


if __name__ == "__main__":
    main()

"""Grading many submissions at once with dask.distributed: on this machine's cores, or on a cluster.

``grade_many`` sends one job per submission (``autograder.grading.jobs``) to dask workers and merges each outcome into
the course as it arrives (``autograder.grading.merge``, one writer). By default it starts a ``LocalCluster`` with one
single-threaded worker process per core, and gives each submission's kernel ``cores // workers`` threads for torch;
with ``scheduler="tcp://host:8786"`` it uses a cluster that dask-jobqueue, dask-kubernetes or ``dask scheduler`` /
``dask worker`` started, whose workers have the same gancourse installed (each job checks the grader's fingerprint).
No shared file system is needed: jobs and outcomes travel as bytes.

dask's own memory limit is off for the local workers: a worker's memory is mostly its students' kernels, which the
grading bounds itself (``IsolatedExecute.memory_mb``), and dask would restart a worker in the middle of a grading.
"""
from __future__ import annotations

import logging
import os
from typing import Callable

from autograder.grading.jobs import Outcome, grade_job
from autograder.grading.merge import JobMaker, Merger


def local_cluster(workers: int):
    from dask.distributed import LocalCluster
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
                        dashboard_address=None, silence_logs=logging.ERROR)


def grade_many(course, assignment: str, students: list[str], *, workers: int | None = None,
               scheduler: str | None = None, threads: int | None = None, settings: dict | None = None,
               done: Callable[[Outcome, str | None], None] | None = None) -> list[tuple[str, str]]:
    """Grade ``students``' submissions of ``assignment`` in parallel and put the results into ``course``.

    ``done(outcome, error)`` is called in this process after each submission, merged (``error`` None) or not.
    Returns the (student, message) pairs that could not be graded; those have no grade recorded.
    """
    from dask.distributed import Client, as_completed
    cores = os.cpu_count() or 1
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if scheduler is None:
        workers = workers or cores
        threads = threads or max(1, cores // workers)
    maker = JobMaker(course, assignment, settings=settings, threads=threads)
    merger = Merger(course)
    failures: list[tuple[str, str]] = []
    cluster = local_cluster(min(workers, len(students)) or 1) if scheduler is None else None
    client = Client(cluster if cluster is not None else scheduler)
    try:
        futures = {client.submit(grade_job, maker.job(s), key=f"grade-{assignment}-{s}", pure=False): s
                   for s in students}
        for future in as_completed(futures):
            student = futures[future]
            try:
                outcome = future.result()
            except Exception as err:  # noqa: BLE001 — a worker died or the job raised: the grader's fault
                outcome, error = Outcome(assignment, student), f"{type(err).__name__}: {err}"
            else:
                error = outcome.error
            if error is None:
                try:
                    merger.merge(outcome)
                except Exception as err:  # noqa: BLE001 — recorded as a failure, the others go on
                    error = f"merging the result failed: {type(err).__name__}: {err}"
            if error is not None:
                failures.append((student, error))
            future.release()
            if done is not None:
                done(outcome, error)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return failures

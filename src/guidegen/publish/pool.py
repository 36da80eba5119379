"""Running one job per guide, in this process or in a pool of worker processes.

Workers start by fork with the loaded project already in memory: the job's first argument (the
plan) is handed to each worker once, through the pool initializer, and never pickled per guide.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Generic, TypeVar

P = TypeVar("P")
"""What every job needs (loaded once)."""
R = TypeVar("R")
"""What a job returns."""

_worker: tuple[Callable[[Any, Any], Any], Any] | None = None
"""Inside a worker process only: the job and its plan, set by the pool initializer."""


def _start_worker(job: Callable[[Any, Any], Any], plan: Any) -> None:
    global _worker
    _worker = (job, plan)


def _run_in_worker(item: Any) -> Any:
    assert _worker is not None, "runs in a worker started by run_jobs"
    job, plan = _worker
    return job(plan, item)


class Jobs(Generic[P, R]):
    """A job over many items with one shared plan."""

    def __init__(self, job: Callable[[P, Any], R], plan: P) -> None:
        self.job = job
        self.plan = plan

    def run(self, items: Sequence[Any], workers: int, *, one_by_one: bool = False) -> Iterator[tuple[int, R]]:
        """Yield (position in items, result) for every item, in the order of the items.

        With `one_by_one` (long jobs: PDFs), each item goes to whichever worker is free, so no
        worker waits while another still holds several; without, items go in chunks (cheap jobs,
        many of them). Nothing is worked out per item here: that is the workers' job.
        """
        # What is loaded now (the plan's project) is left out of the collector's full passes, which
        # would otherwise walk it again and again during every job; forked workers share it with
        # this process instead of the collector copying it into each of them.
        gc.freeze()
        try:
            if workers <= 1 or len(items) <= 1:
                yield from ((i, self.job(self.plan, item)) for i, item in enumerate(items))
                return
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            with ProcessPoolExecutor(
                workers, mp_context=context, initializer=_start_worker, initargs=(self.job, self.plan)
            ) as pool:
                chunk = 1 if one_by_one else max(1, min(32, len(items) // (workers * 4)))
                yield from enumerate(pool.map(_run_in_worker, items, chunksize=chunk))
        finally:
            gc.unfreeze()

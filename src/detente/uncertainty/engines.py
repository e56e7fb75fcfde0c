"""Where chunks of draws run: in process, a local process pool, or Dask.

All engines share one interface, :class:`Engine`: ``map(fn, tasks)`` yields
``(index, result)`` pairs **in task order**, with at most ``window`` tasks in flight, so
the caller can reduce results as they arrive with flat memory and in the same order on
every engine. Results therefore do not depend on the engine or the number of workers:
what a chunk computes depends only on its task (which carries its own random stream).

* ``local`` (default): :class:`concurrent.futures.ProcessPoolExecutor`; with one worker
  the chunks run in this process.
* ``dask-local``: starts a :class:`distributed.LocalCluster` (``processes=True`` unless
  asked otherwise) and a client on it; closed with the engine.
* ``dask``: connects to a running scheduler at ``scheduler`` (``tcp://host:8786``).
"""

from __future__ import annotations

import importlib
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, Protocol, TypeVar

from detente.uncertainty.errors import UncertaintyError

__all__ = [
    "DASK_GROUPS_PER_WORKER",
    "DASK_MAX_GROUP",
    "ENGINES",
    "LEAN_DASK_CONFIG",
    "Engine",
    "InlineEngine",
    "dask_groups",
    "make_engine",
]

ENGINES = ("local", "dask-local", "dask")
"""Engine names accepted by :func:`make_engine` and ``--engine``."""

LEAN_DASK_CONFIG: dict[str, Any] = {
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 (and one BLAS thread) in its worker
    # processes. The trim setting halved the speed of the smp and bdm models here (their
    # many mid-size numpy temporaries go back to the OS and fault back in). The local
    # pool's workers inherit the caller's environment; so do these. An empty mapping
    # replaces Dask's.
    "distributed.nanny.pre-spawn-environ": {},
    # The statistical profiler samples every worker's stack every 10 ms for the
    # dashboard (not installed here): a quarter more CPU per chunk of bdm draws.
    "distributed.worker.profile.enabled": False,
    # The event-loop health tick (20 ms) in every worker and in the scheduler, which
    # shares this process: most of the rest of the tax (docs/performance.md, "Dask
    # without the tax"); a 1 s tick still reports a blocked loop.
    "distributed.admin.tick.interval": "1000ms",
    # Process and network counters every 500 ms (scheduler and workers) and the workers'
    # memory check every 100 ms: most of what an idle cluster costs (2% of a core in the
    # scheduler here); a memory limit is still enforced, within a second.
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""Dask settings for ``dask-local`` (set them on your own cluster for ``dask``)."""

DASK_MAX_GROUP = 8
"""The most tasks (chunks) one Dask task runs, one after another (:func:`dask_groups`)."""

DASK_GROUPS_PER_WORKER = 4
"""Guided grouping: a group is at most the remaining tasks over this many per worker."""

T = TypeVar("T")
R = TypeVar("R")


def dask_groups(n_tasks: int, workers: int, max_group: int = DASK_MAX_GROUP) -> list[range]:
    """Consecutive groups of tasks that each Dask task runs, covering ``0..n_tasks``.

    Guided self-scheduling (Polychronopoulos & Kuck 1987, "Guided self-scheduling: a
    practical scheduling scheme for parallel supercomputers", IEEE Trans. Computers
    36(12)): each group takes the remaining tasks over ``DASK_GROUPS_PER_WORKER x
    workers``, at most ``max_group`` and at least one. Early groups are large, so the
    scheduler round trips, the transfer of a task (its case included, pickled once per
    group) and the workers' per-task bookkeeping are paid once per group; the last
    groups are single tasks, so no worker is left waiting for another's long group at
    the end. 200 chunks on 2 workers make 44 Dask tasks instead of 200.
    """
    if n_tasks < 0 or workers < 1 or max_group < 1:
        raise UncertaintyError("dask_groups needs n_tasks >= 0, workers >= 1, max_group >= 1")
    out: list[range] = []
    start = 0
    while start < n_tasks:
        size = max(1, min(max_group, (n_tasks - start) // (DASK_GROUPS_PER_WORKER * workers)))
        out.append(range(start, start + size))
        start += size
    return out


def _run_group(fn: Callable[[T], R], tasks: list[T]) -> list[R]:
    """``fn`` over a group of tasks in order (one Dask task: see :func:`dask_groups`)."""
    return [fn(t) for t in tasks]


class Engine(Protocol):
    """Runs tasks and yields their results in task order."""

    name: str
    workers: int

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(index, fn(tasks[index]))`` in index order."""
        ...

    def close(self) -> None:
        """Release workers (idempotent)."""
        ...


class _Base:
    name = "inline"
    workers = 1

    def close(self) -> None:
        """Release workers (idempotent)."""

    def __enter__(self) -> _Base:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class InlineEngine(_Base):
    """Runs every task in this process, one after another."""

    def __init__(self) -> None:
        self.name = "local"
        self.workers = 1

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(index, fn(task))`` in order."""
        for k, task in enumerate(tasks):
            yield k, fn(task)


def _ordered(
    submit: Callable[[Any], Any],
    result: Callable[[Any], Any],
    cancel: Callable[[Any], None],
    tasks: Sequence[Any],
    window: int,
) -> Iterator[tuple[int, Any]]:
    """Submit with at most ``window`` in flight; yield results in task order."""
    pending: deque[tuple[int, Any]] = deque()
    nxt = 0
    try:
        while nxt < len(tasks) or pending:
            while nxt < len(tasks) and len(pending) < window:
                pending.append((nxt, submit(tasks[nxt])))
                nxt += 1
            k, fut = pending.popleft()
            yield k, result(fut)
    finally:
        for _, fut in pending:
            cancel(fut)


class LocalPoolEngine(_Base):
    """A pool of local worker processes."""

    def __init__(self, workers: int) -> None:
        self.name = "local"
        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(index, fn(task))`` in order, ``2 x workers`` tasks in flight."""

        def cancel(f: Future[R]) -> None:
            f.cancel()

        yield from _ordered(
            lambda t: self._pool.submit(fn, t),
            lambda f: f.result(),
            cancel,
            tasks,
            2 * self.workers,
        )

    def close(self) -> None:
        """Shut the pool down, dropping queued tasks."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine(_Base):
    """Dask distributed: a new LocalCluster (``dask-local``) or a running scheduler."""

    def __init__(
        self,
        workers: int,
        scheduler: str | None = None,
        processes: bool = True,
        max_group: int = DASK_MAX_GROUP,
    ) -> None:
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise UncertaintyError(
                "the dask engines need dask[distributed]; install detente[dask]"
            ) from exc
        self._cluster: Any = None
        self.max_group = max_group
        if scheduler is None:
            self.name = "dask-local"
            dask: Any = importlib.import_module("dask")
            with dask.config.set(LEAN_DASK_CONFIG):
                self._cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=":0",  # any free port: several clusters may run at once
                )
            self._client: Any = distributed.Client(self._cluster)
            self.workers = workers
        else:
            self.name = "dask"
            try:
                self._client = distributed.Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise UncertaintyError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                ) from exc
            self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(index, fn(task))`` in order, tasks in groups (:func:`dask_groups`).

        ``2 x workers`` groups are in flight. Each task still runs on its own and its
        result is yielded on its own, in task order: grouping changes what one Dask task
        carries, never a number.
        """
        groups = dask_groups(len(tasks), self.workers, self.max_group)
        for g, results in _ordered(
            lambda r: self._client.submit(_run_group, fn, [tasks[k] for k in r], pure=False),
            lambda f: f.result(),
            lambda f: f.cancel(),
            groups,
            2 * self.workers,
        ):
            yield from zip(groups[g], results, strict=True)

    def close(self) -> None:
        """Close the client and, for ``dask-local``, the cluster."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_engine(
    name: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
) -> InlineEngine | LocalPoolEngine | DaskEngine:
    """The engine called ``name``.

    Args:
        name: ``local``, ``dask-local`` or ``dask``.
        workers: Worker processes (default: CPU count; ignored by ``dask``).
        scheduler: Scheduler address, required by ``dask``.
        processes: For ``dask-local``: worker processes (True) or threads in this process.

    Raises:
        UncertaintyError: For an unknown engine, bad worker count or missing scheduler.
    """
    if name not in ENGINES:
        raise UncertaintyError(f"unknown engine '{name}'; choose one of: {', '.join(ENGINES)}")
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise UncertaintyError(f"--workers must be at least 1, not {n}")
    if name == "local":
        return InlineEngine() if n == 1 else LocalPoolEngine(n)
    if name == "dask-local":
        return DaskEngine(n, processes=processes)
    if not scheduler:
        raise UncertaintyError(
            "--engine dask needs --scheduler ADDRESS (for example tcp://10.0.0.5:8786); "
            "use --engine dask-local to start a cluster on this machine"
        )
    return DaskEngine(n, scheduler=scheduler)

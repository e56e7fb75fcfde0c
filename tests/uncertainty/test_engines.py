"""Same seed, same numbers: on every engine and with any number of workers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.sweep import run_sweep

MODELS = ["compromise", "median", "nash"]
N = 12_000
CHUNK = 2_500  # five chunks, the last one short


def numbers(d: dict[str, Any]) -> dict[str, Any]:
    keep = ("seed", "draws", "draws_done", "chunk_size", "issues", "inputs", "models")
    return {k: d[k] for k in keep}


@pytest.fixture(scope="module")
def reference(istanbul) -> dict[str, Any]:
    return run_sweep(istanbul, N, seed=42, models=MODELS, chunk_size=CHUNK).to_dict()


def test_local_pool_matches_in_process(istanbul, reference) -> None:
    r = run_sweep(istanbul, N, seed=42, models=MODELS, chunk_size=CHUNK, workers=2)
    assert r.engine == "local" and r.workers == 2
    assert numbers(r.to_dict()) == numbers(reference)


@pytest.mark.parametrize("workers", [1, 3])
def test_dask_local_threads_match(istanbul, reference, workers: int) -> None:
    r = run_sweep(
        istanbul,
        N,
        seed=42,
        models=MODELS,
        chunk_size=CHUNK,
        engine="dask-local",
        workers=workers,
        processes=False,
    )
    assert r.engine == "dask-local" and r.workers == workers
    assert numbers(r.to_dict()) == numbers(reference)


def test_dask_local_processes_match(istanbul, reference) -> None:
    r = run_sweep(
        istanbul,
        N,
        seed=42,
        models=MODELS,
        chunk_size=CHUNK,
        engine="dask-local",
        workers=2,
        processes=True,
    )
    assert numbers(r.to_dict()) == numbers(reference)


def test_another_seed_gives_other_numbers(istanbul, reference) -> None:
    r = run_sweep(istanbul, N, seed=43, models=MODELS, chunk_size=CHUNK)
    assert r.to_dict()["issues"] != reference["issues"]


def test_result_records_seed_and_version(reference) -> None:
    from detente import __version__

    assert reference["seed"] == 42 and reference["detente_version"] == __version__
    entry = reference["issues"]["sanctuaries"]["models"]["compromise"]
    assert set(entry["intervals"]) == {"50", "80", "95"}
    lo95, hi95 = entry["intervals"]["95"]
    lo50, hi50 = entry["intervals"]["50"]
    assert lo95 <= lo50 <= entry["median"] <= hi50 <= hi95


def test_interrupt_reports_what_finished(istanbul) -> None:
    def stop(done: int) -> None:
        if done >= 2 * CHUNK:
            raise KeyboardInterrupt

    r = run_sweep(istanbul, N, seed=42, models=MODELS, chunk_size=CHUNK, progress=stop)
    assert r.interrupted and r.draws_done == 2 * CHUNK
    assert r.count["sanctuaries"]["compromise"] == 2 * CHUNK


@pytest.mark.parametrize("draws", [0, -5, 2.5, True])
def test_bad_draws(istanbul, draws: Any) -> None:
    with pytest.raises(UncertaintyError, match="draws"):
        run_sweep(istanbul, draws)


def test_bad_engine_and_missing_scheduler(istanbul) -> None:
    with pytest.raises(UncertaintyError, match="unknown engine"):
        run_sweep(istanbul, 10, engine="spark")
    with pytest.raises(UncertaintyError, match="--scheduler"):
        run_sweep(istanbul, 10, engine="dask")


def test_memory_stays_flat_as_draws_grow(istanbul) -> None:
    import tracemalloc

    def peak(draws: int) -> int:
        tracemalloc.start()
        try:
            run_sweep(istanbul, draws, seed=1, models=["compromise", "median"])
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(20_000), peak(200_000)
    # ten times the draws, about the same peak (one chunk's arrays plus fixed accumulators)
    assert large < 1.3 * small, (small, large)


def test_one_engine_reused_across_sweeps(istanbul, reference) -> None:
    from detente.uncertainty.engines import make_engine

    with make_engine("dask-local", 2, processes=False) as eng:
        for _ in range(2):
            r = run_sweep(istanbul, N, seed=42, models=MODELS, chunk_size=CHUNK, engine=eng)
            assert numbers(r.to_dict()) == numbers(reference)


def test_dask_engine_on_a_running_scheduler(istanbul, reference) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        r = run_sweep(
            istanbul,
            N,
            seed=42,
            models=MODELS,
            chunk_size=CHUNK,
            engine="dask",
            scheduler=cluster.scheduler_address,
        )
    assert r.engine == "dask" and r.workers == 2
    assert numbers(r.to_dict()) == numbers(reference)


def _worker_settings() -> tuple[Any, ...]:
    import os

    import dask

    return (
        dask.config.get("distributed.worker.profile.enabled"),
        dask.config.get("distributed.admin.tick.interval"),
        dask.config.get("distributed.admin.system-monitor.interval"),
        dask.config.get("distributed.worker.memory.monitor-interval"),
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
    )


def test_dask_local_workers_run_without_the_tax() -> None:
    # The settings that cost dask-local a third of its rate (docs/performance.md): the
    # profiler, the 20 ms tick, the monitors and the malloc trim, in every worker, and
    # the caller's own Dask configuration is left as it was, engine after engine.
    import dask

    from detente.uncertainty.engines import make_engine

    before = _worker_settings()[:4]
    for _ in range(2):
        eng = make_engine("dask-local", 2)
        try:
            seen = eng._client.run(_worker_settings)  # type: ignore[union-attr]
        finally:
            eng.close()
        assert len(seen) == 2
        assert all(v == (False, "1000ms", "5s", "1s", None) for v in seen.values()), seen
        assert _worker_settings()[:4] == before
    dask.config.get("distributed.comm.require-encryption")  # the config tree is intact


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2_000), st.integers(1, 16), st.integers(1, 32))
def test_dask_groups_cover_every_task_once_in_order(n: int, workers: int, cap: int) -> None:
    from detente.uncertainty.engines import dask_groups

    groups = dask_groups(n, workers, cap)
    assert [k for g in groups for k in g] == list(range(n))  # every task, once, in order
    assert all(1 <= len(g) <= cap for g in groups)
    if n:
        assert len(groups[-1]) == 1  # the last group is one task: no long tail
    sizes = [len(g) for g in groups]
    assert sizes == sorted(sizes, reverse=True)  # guided: never growing


def test_grouped_dask_tasks_give_the_same_numbers(istanbul) -> None:
    from detente.uncertainty.engines import DaskEngine, dask_groups

    chunk = 500  # 24 chunks: groups of 3, 3, ... then single chunks on 2 workers
    assert max(len(g) for g in dask_groups(-(-N // chunk), 2)) > 1
    plain = run_sweep(istanbul, N, seed=42, models=MODELS, chunk_size=chunk).to_dict()
    with DaskEngine(2, processes=False) as eng:
        r = run_sweep(istanbul, N, seed=42, models=MODELS, chunk_size=chunk, engine=eng)
    assert numbers(r.to_dict()) == numbers(plain)
    with DaskEngine(2, processes=False, max_group=1) as eng:  # one chunk per task
        r = run_sweep(istanbul, N, seed=42, models=MODELS, chunk_size=chunk, engine=eng)
    assert numbers(r.to_dict()) == numbers(plain)

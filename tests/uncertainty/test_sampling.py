"""Sampling: the ranged inputs of a case, their distributions, and known answers."""

from __future__ import annotations

import numpy as np
import pytest

from detente.uncertainty.sampling import input_space
from detente.uncertainty.sweep import run_sweep


def test_istanbul_inputs_cover_every_range(istanbul) -> None:
    space = input_space(istanbul)
    # 2 status quos + 5 actors x 2 issues x (position, salience) + 5 actor capabilities
    assert space.size == 2 + 20 + 5
    assert "capability:PAK" in space.names
    # an actor-level capability is one input applied to both issues
    cap = space.inputs[space.names.index("capability:PAK")]
    assert len(cap.cells) == 2


def test_pert_mean_and_bounds(istanbul) -> None:
    space = input_space(istanbul)
    x = space.sample(np.random.default_rng(7), 200_000)
    assert (x >= space.low).all() and (x <= space.high).all()
    pert = space.dist == 0
    expected = (space.low + 4 * space.mode + space.high) / 6  # Malcolm et al. (1959)
    span = space.high - space.low
    assert np.all(np.abs(x.mean(axis=0) - expected)[pert] < 0.01 * span[pert])


def test_from_unit_matches_sampling_distribution(istanbul) -> None:
    space = input_space(istanbul)
    u = np.random.default_rng(3).random((40_000, space.size))
    a = space.from_unit(u)
    b = space.sample(np.random.default_rng(4), 40_000)
    span = space.high - space.low
    assert np.all(np.abs(np.median(a, 0) - np.median(b, 0)) < 0.02 * span)


def test_triangular_and_uniform_inverse_cdf(load) -> None:
    space = input_space(load("uniform-two.yaml"))
    u = np.array([[0.0, 0.25], [0.5, 1.0]])
    assert np.allclose(space.from_unit(u), [[0.0, 70.0], [20.0, 100.0]])


def test_compromise_with_uniform_inputs_has_triangular_distribution(load) -> None:
    # (U[0,40] + U[60,100]) / 2 is triangular on [30, 70] with mode 50:
    # mean 50, variance 2 * 40**2 / 12 / 4 = 66.67, quantile q <= .5 at 30 + 40 sqrt(q / 2).
    case = load("uniform-two.yaml")
    n = 200_000
    r = run_sweep(case, n, seed=11, models=["compromise"])
    mean = r.mean["x"]["compromise"]
    assert abs(mean - 50.0) < 4 * np.sqrt(66.67 / n)

    def q(p: float) -> float:
        return 30 + 40 * np.sqrt(p / 2) if p <= 0.5 else 70 - 40 * np.sqrt((1 - p) / 2)

    iv = r.intervals["x"]["compromise"]
    for key, (lo, hi) in {"50": (0.25, 0.75), "80": (0.1, 0.9), "95": (0.025, 0.975)}.items():
        assert iv[key][0] == pytest.approx(q(lo), abs=0.25)
        assert iv[key][1] == pytest.approx(q(hi), abs=0.25)
    assert r.median["x"]["compromise"] == pytest.approx(50.0, abs=0.25)
    assert 30.0 <= r.minimum["x"]["compromise"] < 31.0
    assert 69.0 < r.maximum["x"]["compromise"] <= 70.0


def test_histogram_quantiles_within_one_bin_of_exact(load, tmp_path) -> None:
    case = load("uniform-two.yaml")
    out = tmp_path / "draws.csv"
    r = run_sweep(case, 20_000, seed=5, models=["compromise"], draws_out=out, chunk_size=3000)
    import csv

    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 20_000
    assert [int(row["draw"]) for row in rows] == list(range(20_000))
    values = np.array([float(row["compromise:x"]) for row in rows])
    assert values.mean() == pytest.approx(r.mean["x"]["compromise"], abs=1e-9)
    bin_width = 100 / r.bins
    for key, (lo, hi) in {"50": (0.25, 0.75), "95": (0.025, 0.975)}.items():
        exact = np.quantile(values, [lo, hi], method="inverted_cdf")
        got = r.intervals["x"]["compromise"][key]
        assert abs(got[0] - exact[0]) <= bin_width + 1e-9
        assert abs(got[1] - exact[1]) <= bin_width + 1e-9
    # the inputs written are the ones sampled: A on [0, 40], B on [60, 100]
    a = np.array([float(row["position:A:x"]) for row in rows])
    assert a.min() >= 0 and a.max() <= 40
    assert np.allclose((a + np.array([float(row["position:B:x"]) for row in rows])) / 2, values)


def test_parquet_draws(load, tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "draws.parquet"
    run_sweep(
        load("uniform-two.yaml"),
        7_000,
        seed=1,
        models=["compromise"],
        draws_out=out,
        chunk_size=2000,
    )
    table = pq.read_table(out)
    assert table.num_rows == 7_000
    assert table.column_names[:3] == ["draw", "position:A:x", "position:B:x"]

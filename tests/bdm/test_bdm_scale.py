"""bdm at scale: votes over sorted voters, and the opt-in convergence stop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ModelError
from detente.forecast import bdm, get_model
from detente.forecast.bdm import (
    CHOICES,
    BdmOptions,
    Convergence,
    _block,
    _probability,
    _voter_order,
    bdm_run,
    bdm_run_counted,
)
from detente.forecast.closed_form import weighted_median
from detente.forecast.registry import ModelInput


def _input(x: np.ndarray, c: np.ndarray, s: np.ndarray, present: np.ndarray) -> ModelInput:
    b, a, i = x.shape
    return ModelInput(
        position=x,
        salience=s,
        capability=c,
        present=present,
        status_quo=np.full((b, i), np.nan),
        scale_min=np.zeros(i),
        scale_max=np.full(i, 100.0),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 14),
    st.integers(1, 4),
    st.sampled_from(CHOICES["voters"]),
    st.sampled_from(CHOICES["probability"]),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_sorted_votes_equal_the_voter_loop(
    a: int, n: int, voters: str, probability: str, grid: bool, risky: bool, seed: int
) -> None:
    # On a coarse grid many voters sit exactly on a contest's midpoint and many actors
    # share a position: the boundary cases of the prefix/suffix sums.
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 7, (a, n)).astype(float) if grid else rng.uniform(0, 100, (a, n))
    present = rng.random((a, n)) < 0.85
    c = np.where(present, rng.uniform(0.05, 1, (a, n)), 0.0)
    s = np.where(present, rng.uniform(0.05, 1, (a, n)), 0.0)
    opts = BdmOptions(voters=voters, probability=probability)
    blk = _block(c, s, present, opts)
    dx = np.maximum(x.max(axis=0) - x.min(axis=0), 1.0)
    d = np.abs(x[:, None, :] - x[None, :, :]) / dx
    dist = d ** rng.uniform(0.5, 2.0, (a, 1, n)) if risky else d
    loop = _probability(dist, blk, opts)
    fast = _probability(dist, blk, opts, _voter_order(x))
    # The sorted path sums the same terms in another order: equal up to rounding (1e-12
    # relative has been seen; the bdm tie margins are 1e-9 and above, far above this).
    np.testing.assert_allclose(fast, loop, rtol=1e-10, atol=1e-12)


def test_many_actors_trajectory_equals_the_voter_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    a = 90
    inp = _input(
        rng.uniform(0, 100, (2, a, 1)),
        rng.uniform(0.1, 1, (2, a, 1)),
        rng.uniform(0.1, 1, (2, a, 1)),
        np.ones((a, 1), bool),
    )
    assert a >= bdm.SORTED_FROM_ACTORS
    fast, states = bdm_run(inp, 8, BdmOptions())
    monkeypatch.setattr(bdm, "SORTED_FROM_ACTORS", 10**9)  # the voter loop throughout
    loop, ref = bdm_run(inp, 8, BdmOptions())
    np.testing.assert_allclose(fast, loop, rtol=0, atol=1e-9)
    np.testing.assert_allclose(states[0].prob, ref[0].prob, rtol=1e-12, atol=1e-15)


# ---- the convergence stop -----------------------------------------------------------


def _random(b: int, a: int, i: int, seed: int) -> ModelInput:
    rng = np.random.default_rng(seed)
    return _input(
        rng.uniform(0, 100, (b, a, i)),
        rng.uniform(0.05, 1, (b, a, i)),
        rng.uniform(0.05, 1, (b, a, i)),
        rng.random((a, i)) < 0.9,
    )


def test_default_runs_every_round_and_says_nothing_more() -> None:
    inp = _random(3, 7, 2, 1)
    spec = get_model("bdm")
    res = spec(inp)
    assert res.extras["trajectory"].shape[1] == 9
    assert "rounds_run" not in res.extras
    same = spec(inp, converge_tol=0.0)
    assert np.array_equal(same.extras["trajectory"], res.extras["trajectory"])


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(2, 9),
    st.integers(1, 3),
    st.sampled_from([1e-3, 1e-2, 0.05]),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
)
def test_stop_follows_its_rule_and_batches_exactly(
    b: int, a: int, i: int, tol: float, k: int, seed: int
) -> None:
    inp = _random(b, a, i, seed)
    rounds = 12
    stop = Convergence(tol, k)
    traj, _states, ran = bdm_run_counted(inp, rounds, BdmOptions(), "none", stop)
    full, _s = bdm_run(inp, rounds, BdmOptions(), "none")
    w = np.where(inp.present, inp.capability * inp.salience, 0.0)
    med = np.stack([weighted_median(traj[:, t], w) for t in range(rounds + 1)], axis=1)
    moved = np.abs(np.diff(med, axis=1)) < tol * 100.0  # (B, T, I)
    for bb in range(b):
        for ii in range(i):
            t = int(ran[bb, ii])
            calm = 0
            for step in range(t):  # the stop fires exactly when k calm rounds end
                calm = calm + 1 if moved[bb, step, ii] else 0
                assert step == t - 1 or calm < k
            assert t == rounds or calm >= k
            # until it stops, the same path as without a stop; then it stays
            assert np.array_equal(traj[bb, : t + 1, :, ii], full[bb, : t + 1, :, ii])
            assert (traj[bb, t:, :, ii] == traj[bb, t, :, ii]).all()
    spec = get_model("bdm")
    whole = spec(inp, rounds=rounds, converge_tol=tol, converge_rounds=k)
    for bb in range(b):
        one = spec(inp.take(bb), rounds=rounds, converge_tol=tol, converge_rounds=k)
        assert np.array_equal(whole.extras["trajectory"][bb], one.extras["trajectory"][0])
        assert np.array_equal(whole.extras["rounds_run"][bb], one.extras["rounds_run"][0])


def test_a_loose_stop_ends_early() -> None:
    inp = _random(1, 6, 1, 4)
    res = get_model("bdm")(inp, rounds=8, converge_tol=0.5, converge_rounds=1)
    assert int(res.extras["rounds_run"][0, 0]) == 1  # the median never moves half the scale


@pytest.mark.parametrize(
    "params",
    [
        {"converge_tol": -0.1},
        {"converge_tol": float("nan")},
        {"converge_tol": "abc"},
        {"converge_rounds": 0},
        {"converge_rounds": "x"},
    ],
)
def test_bad_stop_parameters_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ModelError, match="converge"):
        get_model("bdm")(_random(1, 4, 1, 0), **params)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 60),
    st.integers(1, 3),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_voter_order_counts_equal_a_direct_search_of_every_midpoint(
    a: int, n: int, grid: bool, seed: int
) -> None:
    """The sorted-needle search gives exactly the counts of searching each actor pair's
    midpoint, ties at a midpoint included (positions on a coarse grid make many)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, (a, n)) * 12.5 if grid else rng.uniform(0, 100, (a, n))
    vo = _voter_order(x)
    xs = np.take_along_axis(x, vo.order, axis=0)
    mid = 0.5 * (x[:, None, :] + x[None, :, :])
    for col in range(n):
        below = np.searchsorted(xs[:, col], mid[:, :, col], side="left")
        above = np.searchsorted(xs[:, col], mid[:, :, col], side="right")
        assert (vo.below[:, :, col] == below).all()
        # upto differs from below only where some voter sits exactly at the midpoint of
        # a contested pair; there it is the count up to and including that voter
        contested = vo.less[:, :, col] | vo.more[:, :, col]
        at = (below < a) & (xs[np.minimum(below, a - 1), col] == mid[:, :, col]) & contested
        if at.any():
            assert (vo.upto[:, :, col] == above).all()
        else:
            assert (vo.upto[:, :, col] == below).all()

"""Known answers and properties of the closed-form models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.forecast.closed_form import nash_bargaining, weighted_mean, weighted_median
from tests.strategies import batches, model_inputs


def _col(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=float)[None, :, None]


# ---- known answers computed by hand --------------------------------------------------


def test_compromise_by_hand() -> None:
    # (1*0.5*20 + 2*1*80) / (0.5 + 2) = 170 / 2.5 = 68
    assert weighted_mean(_col(20, 80), _col(0.5, 2)).item() == pytest.approx(68.0)


def test_median_by_hand() -> None:
    # sorted 10 (w1) 40 (w1) 80 (w3): half of 5 is 2.5, first cumulative >= 2.5 is at 80
    assert weighted_median(_col(80, 10, 40), _col(3, 1, 1)).item() == 80.0
    # an even split takes the lower median
    assert weighted_median(_col(10, 90), _col(1, 1)).item() == 10.0


def test_nash_by_hand_quadratic_and_linear() -> None:
    # status quo 0, actors at 10, 40, 80 with equal weight: feasible [0, 20].
    # quadratic: maximise 3 log x + log(20-x) + log(80-x) + log(160-x);
    # linear: for x in (10, 20) maximise log(20-x) + 2 log x -> x = 40/3.
    p, w, q = _col(10, 40, 80), _col(1, 1, 1), np.zeros((1, 1))
    x = nash_bargaining(p, w, q).item()
    grad = 3 / x - 1 / (20 - x) - 1 / (80 - x) - 1 / (160 - x)
    assert abs(grad) < 1e-9 and 0 < x < 20
    assert nash_bargaining(p, w, q, "linear").item() == pytest.approx(40 / 3, abs=1e-9)


def test_nash_returns_status_quo_when_actors_straddle_it() -> None:
    assert nash_bargaining(_col(0, 100), _col(1, 1), np.full((1, 1), 50.0)).item() == 50.0


def test_nash_two_actors_same_side_symmetric_weights() -> None:
    # q=0, actors at 50 and 50: the unique optimum is 50 (both get everything they want)
    assert nash_bargaining(_col(50, 50), _col(1, 3), np.zeros((1, 1))).item() == pytest.approx(50.0)


def test_models_give_nan_without_weight() -> None:
    p, w = _col(10, 20), _col(0, 0)
    assert np.isnan(weighted_mean(p, w)).all()
    assert np.isnan(weighted_median(p, w)).all()
    assert np.isnan(nash_bargaining(p, w, np.zeros((1, 1)))).all()
    assert np.isnan(nash_bargaining(p, _col(1, 1), np.full((1, 1), np.nan))).all()


# ---- properties -----------------------------------------------------------------------

MODELS = {
    "compromise": lambda p, w, q: weighted_mean(p, w),
    "median": lambda p, w, q: weighted_median(p, w),
    "nash": lambda p, w, q: nash_bargaining(p, w, q),
}


@pytest.mark.parametrize("name", MODELS)
@given(data=model_inputs(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_permuting_actors_changes_nothing(name: str, data: tuple, seed: int) -> None:
    p, w, q = data
    perm = np.random.default_rng(seed).permutation(p.shape[1])
    a = MODELS[name](p, w, q)
    b = MODELS[name](p[:, perm], w[:, perm], q)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", MODELS)
@given(data=model_inputs(), scale=st.floats(0.1, 10), shift=st.floats(-100, 100))
@settings(max_examples=60, deadline=None)
def test_rescaling_the_scale_maps_outcomes(
    name: str, data: tuple, scale: float, shift: float
) -> None:
    p, w, q = data
    a = MODELS[name](p, w, q)
    b = MODELS[name](p * scale + shift, w, q * scale + shift)
    np.testing.assert_allclose(a * scale + shift, b, rtol=1e-7, atol=1e-6 * scale)


@pytest.mark.parametrize("name", ["compromise", "median"])
@given(data=model_inputs())
@settings(max_examples=60, deadline=None)
def test_outcome_within_range_of_positions(name: str, data: tuple) -> None:
    p, w, q = data
    out = MODELS[name](p, w, q)
    pos = np.where(w > 0, p, np.nan)
    lo, hi = np.nanmin(pos, axis=1), np.nanmax(pos, axis=1)
    assert np.all((out >= lo - 1e-9) & (out <= hi + 1e-9))


@given(data=model_inputs())
@settings(max_examples=60, deadline=None)
def test_nash_never_leaves_anyone_worse_than_status_quo(data: tuple) -> None:
    p, w, q = data
    out = nash_bargaining(p, w, q)
    dist_out = np.abs(out[:, None, :] - p)
    dist_q = np.abs(q[:, None, :] - p)
    assert np.all((w == 0) | (dist_out <= dist_q + 1e-7))


@pytest.mark.parametrize("name", MODELS)
@given(data=model_inputs(), extra=st.floats(0, 100), at=st.integers(0, 10))
@settings(max_examples=60, deadline=None)
def test_zero_salience_actor_has_no_influence(
    name: str, data: tuple, extra: float, at: int
) -> None:
    p, w, q = data
    at = at % (p.shape[1] + 1)
    p2 = np.insert(p, at, extra, axis=1)
    w2 = np.insert(w, at, 0.0, axis=1)
    # No influence up to rounding: a new summand may regroup numpy's summation.
    np.testing.assert_allclose(
        MODELS[name](p, w, q), MODELS[name](p2, w2, q), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("name", MODELS)
@given(data=batches())
@settings(max_examples=40, deadline=None)
def test_batched_equals_one_by_one(name: str, data: tuple) -> None:
    p, w, q = data
    batched = MODELS[name](p, w, q)
    single = np.concatenate(
        [MODELS[name](p[b : b + 1], w[b : b + 1], q[b : b + 1]) for b in range(p.shape[0])]
    )
    np.testing.assert_array_equal(batched, single)

"""Known answers for KTAB's hand-checkable pieces of the SMP.

Two kinds: numbers computed by hand here, and intermediate numbers KTAB printed in its
reference run on dummyData_3Dim.csv (``tests/assets/ktab/20170530_ref-dummyData_3Dim.txt``,
turn 0), compared at the precision KTAB printed them.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.case.arrays import case_arrays
from detente.case.formats import ktab
from detente.errors import ModelError
from detente.forecast.registry import ModelInput
from detente.forecast.smp import (
    SMPParams,
    _prepare,
    _utilities,
    bargain_interpolate,
    big_r_from_prob,
    bs_util,
    coalitions,
    cond_pce,
    estimate_nra,
    estimator_utilities,
    pce,
    prob_edu_challenge,
    victory_prob,
    vote,
)
from tests.conftest import ASSETS


def a(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=float)


# ---- computed by hand --------------------------------------------------------------------


def test_utility_of_distance() -> None:
    # (1 - d)(1 + d R): d = 0.5 -> 0.5 * 1.5 risk averse, 0.5 * 0.75 risk seeking
    assert bs_util(a(0.5, 0.5, 0.5), a(0.0, 1.0, -0.5)).tolist() == [0.5, 0.75, 0.375]
    # beyond 1 KTAB uses (1 - d)(1 + R)
    assert bs_util(a(1.25), a(1.0)).item() == pytest.approx(-0.5)


def test_voting_rules() -> None:
    w, ui, uj = a(2.0), a(0.75), a(0.5)
    assert vote("Prop", w, ui, uj).item() == 0.5
    assert vote("PropCbc", w, ui, uj).item() == pytest.approx(2 * (0.5 * 0.25 + 0.5 * 0.25**3))
    assert vote("Cubic", w, ui, uj).item() == pytest.approx(2 * 0.25**3)
    assert vote("Binary", w, ui, uj).item() == 2.0
    assert vote("PropBin", w, ui, uj).item() == pytest.approx(2 * (0.8 * 0.25 + 0.2))
    assert vote("ASymProsp", w, ui, uj).item() == pytest.approx(2 * 2 * 0.25 / 3)
    assert vote("ASymProsp", w, uj, ui).item() == pytest.approx(-0.5)
    with pytest.raises(ModelError):
        vote("Nope", w, ui, uj)


def test_coalitions_and_victory_probability() -> None:
    # voters: (w=1, prefers option 0 by 0.3), (w=2, prefers option 1 by 0.1)
    u = np.array([[[0.8, 0.5], [0.4, 0.5]]])
    c = coalitions("Prop", a(1.0, 2.0)[None], u)
    assert c[0, 0, 1] == pytest.approx(0.3 + 1e-8)
    assert c[0, 1, 0] == pytest.approx(0.2 + 1e-8)
    assert c[0, 0, 0] == 1e-8
    pv = victory_prob("Linear", c)[0]
    assert pv[0, 1] == pytest.approx(0.6) and pv[1, 0] == pytest.approx(0.4)
    assert pv[0, 0] == 0.5
    assert victory_prob("Square", c)[0, 0, 1] == pytest.approx(0.09 / 0.13)
    # Binary: a 10% edge decides for certain (up to 1e-6)
    assert victory_prob("Binary", np.array([[[1e-8, 1.2], [1.0, 1e-8]]]))[0, 0, 1] == (
        pytest.approx(1 / (1 + 1e-6))
    )


def test_conditional_pce_three_options() -> None:
    pv = np.array([[[0.5, 0.75, 0.6], [0.25, 0.5, 0.4], [0.4, 0.6, 0.5]]])
    # row products 0.225, 0.05, 0.12 over their sum 0.395
    p = cond_pce(pv, np.ones((1, 3), bool))[0]
    assert p == pytest.approx([0.225 / 0.395, 0.05 / 0.395, 0.12 / 0.395])
    # leaving option 1 out renormalises over the other two: 0.5*0.6 vs 0.4*0.5
    p2 = cond_pce(pv, np.array([[True, False, True]]))[0]
    assert p2 == pytest.approx([0.6, 0.0, 0.4])


@pytest.mark.parametrize("model", ["MarkovIncentive", "MarkovUniform"])
def test_markov_pce_is_a_stationary_distribution(model: str) -> None:
    c = np.array([[[1e-8, 3.0, 2.0], [1.0, 1e-8, 1.5], [2.0, 0.5, 1e-8]]])
    pv = victory_prob("Linear", c)
    p = pce(model, c, pv, np.ones((1, 3), bool))[0]
    assert p.sum() == pytest.approx(1.0) and (p > 0).all()
    assert np.argmax(p) == 0  # option 0 beats both others


def test_two_option_pce_from_ktab_log() -> None:
    # KTAB turn 0, "scalarPCE for the 2 bargains of actor 2": coalition strengths
    # 19.138 / 11.016 -> probabilities 0.6347 / 0.3653
    c = np.array([[[1e-8, 19.138], [11.016, 1e-8]]])
    p = pce("Conditional", c, victory_prob("Linear", c), np.ones((1, 2), bool))[0]
    assert [f"{x:.4f}" for x in p] == ["0.6347", "0.3653"]


def test_risk_attitudes_from_win_probabilities() -> None:
    p = a(0.1, 0.2, 0.7)[None]
    assert big_r_from_prob(p, "Mid")[0] == pytest.approx([-0.5, -0.25, 1.0])
    assert big_r_from_prob(p, "Min")[0] == pytest.approx([0.0, 1 / 6, 1.0])
    assert big_r_from_prob(p, "Max")[0] == pytest.approx([-1.0, -2 / 3, 1.0])
    # all equal: KTAB divides by zero; detente makes everyone risk neutral
    assert big_r_from_prob(a(0.5, 0.5)[None], "Mid")[0].tolist() == [0.0, 0.0]


def test_risk_adjustment_rules() -> None:
    rh, ri = a(0.9), a(-0.3)
    assert estimate_nra(rh, ri, "OneThird").item() == pytest.approx(0.5)
    assert estimate_nra(rh, ri, "TwoThirds").item() == pytest.approx(0.1)
    assert estimate_nra(rh, ri, "Half").item() == pytest.approx(0.3)
    assert estimate_nra(rh, ri, "Full").item() == pytest.approx(-0.3)
    assert estimate_nra(rh, ri, "None").item() == pytest.approx(0.9)


def test_s2p2_bargain_by_hand() -> None:
    # i at 0.2 (salience 0.5, p 0.8), j at 0.6 (salience 0.4, p 0.2):
    # wi = 0.25 * 0.64 = 0.16, wj = 0.16 * 0.04 = 0.0064,
    # (0.160001 * 0.2 + 0.0064 * 0.6) / 0.166401 = 0.21538... -> 0.2154 (4 decimals)
    bi, bj = bargain_interpolate(
        "S2P2", a(0.2)[None], a(0.5)[None], a(0.8), a(0.6)[None], a(0.4)[None], a(0.2)
    )
    assert bi.item() == 0.2154 and bj.item() == 0.2154
    # S1P1: wi = 0.4, wj = 0.08 -> (0.400001*0.2 + 0.08*0.6)/0.480001 = 0.26667 -> 0.2667
    bi, _ = bargain_interpolate(
        "S1P1", a(0.2)[None], a(0.5)[None], a(0.8), a(0.6)[None], a(0.4)[None], a(0.2)
    )
    assert bi.item() == 0.2667
    # S2PMax: the stronger side does not move; the weaker moves toward it
    bi, bj = bargain_interpolate(
        "S2PMax", a(0.2)[None], a(0.5)[None], a(0.8), a(0.6)[None], a(0.4)[None], a(0.2)
    )
    assert bi.item() == 0.2
    assert bj.item() == pytest.approx(0.6 + (0.6 * 0.25 / (0.6 * 0.25 + 1e-6 + 0.4 * 0.16)) * -0.4)


# ---- intermediate numbers KTAB printed (turn 0 of dummyData_3Dim) ------------------------


@pytest.fixture(scope="module")
def turn0() -> tuple[np.ndarray, ...]:
    name = "dummyData_3Dim.csv"
    text = (ASSETS / "ktab" / name).read_text(encoding="utf-8-sig")
    inp = ModelInput.from_arrays(case_arrays(ktab.read_ktab_csv(text, name)[0]))
    pos, sal, cap, _lo, _hi = _prepare(inp)
    d, nra, rhi = _utilities(pos, sal, cap, SMPParams())
    return pos, sal, cap, nra, d, rhi


def test_inferred_risk_attitudes_turn0(turn0: tuple[np.ndarray, ...]) -> None:
    _pos, _sal, _cap, nra, _d, _rhi = turn0
    printed = ["-0.500", "-0.459", "-0.499", "-0.274", "+1.000", "-0.232", "-0.430"]
    assert [f"{r:+.3f}" for r in nra[0]] == printed


def test_estimator_utility_matrix_turn0(turn0: tuple[np.ndarray, ...]) -> None:
    *_, d, rhi = turn0
    au = estimator_utilities(d, rhi)
    # "Estimate by 4 of risk-aware utility matrix", first row
    printed = ["+1.0000", "+0.9468", "+0.7540", "+0.9266", "+0.9619", "+0.9339", "+0.9389"]
    assert [f"{u:+.4f}" for u in au[0, 4, 0]] == printed


def test_challenge_estimates_turn0(turn0: tuple[np.ndarray, ...]) -> None:
    pos, sal, cap, _nra, d, rhi = turn0
    stot = sal.sum(axis=-1)

    def est(h: int, k: int, i: int, j: int) -> tuple[str, str]:
        hh, kk, ii, jj = (np.array([[x]]) for x in (h, k, i, j))
        p, g = prob_edu_challenge(d, rhi, cap, stot, hh, kk, ii, jj, SMPParams())
        return f"{p.item():.4f}", f"{g.item():+.4f}"

    # "Est by 0 of prob 0.7643 that [ 0> 6], with expected gain to 0 of +0.0947" etc.
    assert est(0, 0, 0, 6) == ("0.7643", "+0.0947")
    assert est(0, 6, 0, 6) == ("0.7643", "-0.1548")
    assert est(6, 0, 0, 6) == ("0.7660", "+0.0925")
    assert est(6, 6, 0, 6) == ("0.7660", "-0.1514")
    # bargain [1006, 0:6] from 0's perspective
    zero, six = np.array([[0]]), np.array([[6]])
    pr, _ = prob_edu_challenge(d, rhi, cap, stot, zero, zero, zero, six, SMPParams())
    bi, bj = bargain_interpolate(
        "S2P2", pos[:, 0], sal[:, 0], pr[:, 0], pos[:, 6], sal[:, 6], 1 - pr[:, 0]
    )
    assert [f"{100 * x:.3f}" for x in bi[0]] == ["75.610", "24.780", "71.950"]
    assert [f"{100 * x:.3f}" for x in bj[0]] == ["75.610", "24.790", "71.950"]

"""The shipped ``deu-compromise`` model and the research protocol behind it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.backtest import load_benchmark
from detente.backtest.research import (
    VARIANTS,
    conformal_half_width,
    evaluate,
    group_folds,
    split_by_proposal,
)
from detente.forecast.closed_form import weighted_mean
from detente.forecast.deu_compromise import GAMMA, HALF_WIDTH, MIX, deu_compromise
from detente.forecast.registry import ModelInput, get_model


def _input(
    position: list[list[float]], salience: list[list[float]], capability: list[float]
) -> ModelInput:
    pos = np.array(position, dtype=float)[None]
    sal = np.array(salience, dtype=float)[None]
    cap = np.broadcast_to(np.array(capability, dtype=float)[:, None], pos.shape[1:])[None].copy()
    n_issues = pos.shape[-1]
    return ModelInput(
        position=pos,
        salience=sal,
        capability=cap,
        present=np.ones(pos.shape[1:], dtype=bool),
        status_quo=np.full((1, n_issues), np.nan),
        scale_min=np.zeros(n_issues),
        scale_max=np.full(n_issues, 100.0),
    )


def test_known_answer_with_relative_salience() -> None:
    # Actor a: capability 1, salience (1, 0.5); actor b: capability 4, salience (0.5, 0.5).
    # gamma 0.5, mix 1: relative salience a = (4/3, 2/3), b = (1, 1); c ** 0.5 = (1, 2).
    # Issue 1: a at 0 (w 4/3), b at 100 (w 2) -> 200 / (10/3) = 60.
    # Issue 2: a at 100 (w 2/3), b at 0 (w 2) -> (200/3) / (8/3) = 25.
    inp = _input([[0, 100], [100, 0]], [[1.0, 0.5], [0.5, 0.5]], [1.0, 4.0])
    out = get_model("deu-compromise")(inp, gamma=0.5, mix=1.0).outcome
    assert out[0] == pytest.approx([60.0, 25.0])


@pytest.mark.parametrize(
    ("gamma", "mix", "expected"),
    # mix 0: plain salience. gamma 0.5: issue 1: a w 1, b w 2 * 0.5 = 1 -> 50; issue 2:
    # a w 0.5, b w 1 -> 50 / 1.5 = 100/3. gamma 1 (the compromise model): issue 1: a w 1,
    # b w 4 * 0.5 = 2 -> 200/3; issue 2: a w 0.5, b w 2 -> 50 / 2.5 = 20.
    [(0.5, 0.0, [50.0, 100 / 3]), (1.0, 0.0, [200 / 3, 20.0])],
)
def test_table_of_expected_outcomes(gamma: float, mix: float, expected: list[float]) -> None:
    inp = _input([[0, 100], [100, 0]], [[1.0, 0.5], [0.5, 0.5]], [1.0, 4.0])
    out = get_model("deu-compromise")(inp, gamma=gamma, mix=mix).outcome
    assert out[0] == pytest.approx(expected)


def test_gamma_one_mix_zero_is_the_compromise_model() -> None:
    rng = np.random.default_rng(5)
    pos = rng.uniform(0, 100, size=(4, 6, 3))
    sal = rng.uniform(0, 1, size=(4, 6, 3))
    cap = rng.uniform(0, 5, size=(4, 6, 3))
    present = np.ones((6, 3), dtype=bool)
    got = deu_compromise(pos, sal, cap, present, gamma=1.0, mix=0.0)
    assert np.allclose(got, weighted_mean(pos, cap * sal))


def test_batched_equals_one_by_one() -> None:
    rng = np.random.default_rng(9)
    pos = rng.uniform(0, 100, size=(5, 7, 4))
    sal = rng.uniform(0, 1, size=(5, 7, 4))
    cap = rng.uniform(0, 5, size=(5, 7, 4))
    present = rng.uniform(size=(7, 4)) > 0.3
    batched = deu_compromise(pos, sal, cap, present)
    for b in range(5):
        one = deu_compromise(pos[b : b + 1], sal[b : b + 1], cap[b : b + 1], present)
        assert np.array_equal(batched[b : b + 1], one)


def test_intervals_scale_with_the_issue() -> None:
    inp = _input([[0.0], [100.0]], [[1.0], [1.0]], [1.0, 1.0])
    res = get_model("deu-compromise")(inp, level=0.8)
    assert res.outcome[0, 0] == pytest.approx(50.0)
    assert res.extras["interval_low"][0, 0] == pytest.approx(50.0 - HALF_WIDTH[0.8])
    assert res.extras["interval_high"][0, 0] == pytest.approx(50.0 + HALF_WIDTH[0.8])


def test_split_is_by_proposal_and_fixed(data_dir: Path) -> None:
    bench = load_benchmark(data_dir / "deu3" / "deu3-public.csv")
    dev = split_by_proposal(bench.proposal)
    assert np.array_equal(dev, split_by_proposal(bench.proposal))
    train_p = {p for p, d in zip(bench.proposal, dev, strict=True) if not d}
    dev_p = {p for p, d in zip(bench.proposal, dev, strict=True) if d}
    assert not train_p & dev_p
    assert len(dev_p) == round(0.4 * len(train_p | dev_p))
    folds = group_folds(bench.proposal)
    for p in set(bench.proposal):
        assert len({f for q, f in zip(bench.proposal, folds, strict=True) if q == p}) == 1


def test_conformal_half_width() -> None:
    r = np.arange(1.0, 11.0)  # n = 10: the ceil(11 * 0.8) = 9th smallest is 9
    assert conformal_half_width(r, 0.8) == 9.0
    assert conformal_half_width(r, 0.95) == 10.0


def test_shipped_parameters_are_what_the_protocol_chooses(data_dir: Path) -> None:
    result = evaluate(str(data_dir / "deu3" / "deu3-public.csv"), n_boot=200)
    rows = {r["variant"]: r for r in result["variants"]}
    assert len(rows) == len(VARIANTS)
    best = min(result["variants"], key=lambda r: r["train_cv_mae"])
    assert best["variant"] == "exchange-salience"
    assert best["params"] == {"gamma": GAMMA, "mix": MIX}
    for level, r in result["intervals"].items():
        assert HALF_WIDTH[float(level)] == pytest.approx(r["half_width_all"], abs=0.05)

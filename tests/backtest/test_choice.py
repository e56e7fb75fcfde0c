"""The ``choice`` model: known answers, probabilities, invariances, shipped coefficients."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.backtest.choice_train import L2_GRID, train
from detente.case.formats import read_any
from detente.cli import cli
from detente.errors import ModelError
from detente.forecast import forecast, get_model
from detente.forecast.choice import (
    FEATURES,
    Candidates,
    candidate_set,
    choice_probabilities,
    distribution_median,
    fit_choice,
    option_probabilities,
    read_coefficients,
    shipped_coefficients,
)
from detente.forecast.registry import ModelInput
from tests.strategies import batches, model_inputs


def _two_actors() -> Candidates:
    # a at 0 with weight 1, b at 100 with weight 3, scale 0-100, no reference point.
    return candidate_set(
        np.array([[0.0, 100.0]]),
        np.array([[1.0, 3.0]]),
        np.ones((1, 2), bool),
        np.array([np.nan]),
        np.array([0.0]),
        np.array([100.0]),
    )


def test_candidates_and_features_by_hand() -> None:
    # Compromise (0*1 + 100*3) / 4 = 75; lower weighted median 100 (cum weight 1, 4 of 4).
    # Candidates: the positions 0 and 100 (also the scale's ends) and the compromise 75.
    cand = _two_actors()
    assert cand.value[0].tolist() == [0.0, 75.0, 100.0]
    f = dict(zip(FEATURES, np.moveaxis(cand.features[0], 1, 0), strict=True))
    assert f["dist_compromise"].tolist() == pytest.approx([0.75, 0.0, 0.25])
    assert f["dist_median"].tolist() == pytest.approx([1.0, 0.25, 0.0])
    assert f["weight_share"].tolist() == pytest.approx([0.25, 0.0, 0.75])
    assert f["scale_end"].tolist() == [1.0, 0.0, 1.0]
    assert f["compromise"].tolist() == [0.0, 1.0, 0.0]
    assert f["status_quo"].tolist() == [0.0, 0.0, 0.0]


def test_logit_known_answer() -> None:
    # beta: dist_compromise -2, dist_median -1, weight_share 4, scale_end 0.5, compromise 1.
    # Utilities: c=0: -1.5 - 1 + 1 + 0.5 = -1; c=75: -0.25 + 1 = 0.75; c=100: -0.5 + 3 + 0.5 = 3.
    beta = np.zeros(len(FEATURES))
    beta[[0, 1, 2, 4, 7]] = [-2.0, -1.0, 4.0, 0.5, 1.0]
    cand = _two_actors()
    p = choice_probabilities(cand, beta)[0]
    z = math.exp(-1) + math.exp(0.75) + math.exp(3)
    assert p.tolist() == pytest.approx([math.exp(-1) / z, math.exp(0.75) / z, math.exp(3) / z])
    # P(X <= 75) = (e^-1 + e^0.75) / z < 1/2, so the median is 100.
    assert distribution_median(cand.value, p[None])[0] == 100.0


def test_fit_known_answer_one_feature() -> None:
    # Three issues with the same two candidates, feature (1, 0); the first is chosen twice.
    # The penalised likelihood's stationary point: 3 sigma(b) - 2 + l2 b = 0, so b = ln 2
    # without penalty; with l2 = 1 the root of 3 sigma(b) - 2 + b = 0.
    cand = Candidates(
        value=np.tile([0.0, 100.0], (3, 1)),
        mask=np.ones((3, 2), bool),
        features=np.tile(np.array([[1.0], [0.0]]), (3, 1, 1)),
    )
    chosen = np.array([0, 0, 1])
    assert fit_choice(cand, chosen, 1e-9).beta[0] == pytest.approx(math.log(2), abs=1e-6)
    b = fit_choice(cand, chosen, 1.0).beta[0]
    assert 3 / (1 + math.exp(-b)) - 2 + b == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ModelError, match="positive"):
        fit_choice(cand, chosen, 0.0)


def _inp(p: np.ndarray, w: np.ndarray, q: np.ndarray) -> ModelInput:
    a, i = p.shape[1], p.shape[2]
    return ModelInput(
        position=p,
        salience=np.ones_like(w),
        capability=w,
        present=np.ones((a, i), bool),
        status_quo=q,
        scale_min=np.zeros(i),
        scale_max=np.full(i, 100.0),
        actor_ids=tuple(f"a{k}" for k in range(a)),
    )


@settings(max_examples=60, deadline=None)
@given(model_inputs())
def test_probabilities_sum_to_one(arrays: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    res = get_model("choice")(_inp(*arrays))
    prob = res.extras["candidate_probability"]
    assert np.allclose(prob.sum(axis=-1), 1.0)
    assert (prob >= 0).all()
    values = res.extras["candidate_value"]
    assert np.isin(res.outcome, values).all()  # the median is a candidate


@settings(max_examples=60, deadline=None)
@given(model_inputs(), st.integers(0, 2**32 - 1))
def test_invariant_to_permuting_actors(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int
) -> None:
    p, w, q = arrays
    perm = np.random.default_rng(seed).permutation(p.shape[1])
    a = get_model("choice")(_inp(p, w, q))
    b = get_model("choice")(_inp(p[:, perm], w[:, perm], q))
    assert np.allclose(a.extras["candidate_probability"], b.extras["candidate_probability"])
    assert np.allclose(a.extras["mean"], b.extras["mean"])
    # The compromise candidate is a sum over actors: equal up to rounding in another order.
    assert np.allclose(a.extras["candidate_value"], b.extras["candidate_value"], equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(batches())
def test_batched_equals_one_by_one(arrays: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    p, w, q = arrays
    whole = get_model("choice")(_inp(p, w, q))
    for k in range(p.shape[0]):
        one = get_model("choice")(_inp(p[k : k + 1], w[k : k + 1], q[k : k + 1]))
        assert np.array_equal(whole.outcome[k], one.outcome[0], equal_nan=True)
        c = one.extras["candidate_probability"].shape[-1]
        assert np.allclose(
            whole.extras["candidate_probability"][k, :, :c], one.extras["candidate_probability"][0]
        )


def test_shipped_coefficients_come_from_the_documented_command(data_dir: Path) -> None:
    shipped = shipped_coefficients()
    assert shipped.command.startswith("python -m detente.backtest.choice_train ")
    again = train(data_dir / "deu3" / "deu3-public.csv")
    assert again["l2"] == shipped.l2 and shipped.l2 in L2_GRID
    assert again["beta"] == pytest.approx(list(shipped.beta), abs=1e-8)
    assert again["data"]["sha256"] == shipped.data["sha256"]
    assert shipped.issues == 213 and shipped.proposals == 82
    # The record the command writes is what the package reads back.
    assert read_coefficients(json.dumps(again)).beta == pytest.approx(shipped.beta, abs=1e-8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"beta": [1.0]}, "one finite number per feature"),
        ({"features": ["x"]}, "other features"),
        ({"l2": -1}, "l2"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_coefficients_file_is_a_clean_error(change: dict[str, object], message: str) -> None:
    record = shipped_coefficients().model_dump()
    record.update(change)
    with pytest.raises(ModelError, match=message):
        read_coefficients(json.dumps(record))
    with pytest.raises(ModelError, match="choice coefficients"):
        read_coefficients("{not json")


def test_option_probabilities_go_to_the_nearest_label() -> None:
    anchors = [(0.0, "none"), (50.0, "half"), (100.0, "all")]
    value = np.array([0.0, 25.0, 60.0, 100.0, np.nan])
    prob = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    got = option_probabilities(anchors, value, prob)
    # 25 is equally far from 0 and 50: the lower label takes it.
    assert [g["probability"] for g in got] == pytest.approx([0.3, 0.3, 0.4])
    assert [g["label"] for g in got] == ["none", "half", "all"]


def test_flagship_option_probabilities(istanbul_case_path: Path) -> None:
    case = read_any(istanbul_case_path)
    data = forecast(case, ["choice"]).to_dict()
    assert data["models"]["choice"]["params_used"]["mediators"] == ["TUR", "QAT"]
    for issue in case.issues:
        entry = data["issues"][issue.id]["models"]["choice"]
        opts = entry["option_probabilities"]
        assert [o["label"] for o in opts] == [a.label for a in issue.scale.anchors]
        assert sum(o["probability"] for o in opts) == pytest.approx(1.0)
        # Every labelled point is a candidate of its own.
        cand = {c["value"] for c in entry["candidates"]}
        assert {a.value for a in issue.scale.anchors} <= cand
        assert entry["outcome"] in cand
        assert min(cand) <= entry["mean"] <= max(cand)


def test_cli_forecast_shows_option_probabilities(istanbul_case_path: Path) -> None:
    run = CliRunner().invoke(cli, ["forecast", str(istanbul_case_path), "-m", "choice"])
    assert run.exit_code == 0, run.output
    assert "Probability of each labelled option" in run.output
    assert "Written commitment with third-party verification" in run.output
    run = CliRunner().invoke(
        cli, ["forecast", str(istanbul_case_path), "-m", "choice", "--format", "json"]
    )
    data = json.loads(run.output)
    assert data["issues"]["guarantee"]["models"]["choice"]["option_probabilities"]


def test_bad_parameters_are_clean_errors(istanbul_case_path: Path) -> None:
    for param in (
        'choice.anchors=[[1, "x"]]',
        "choice.anchors=[[1, 2]]",
        "choice.rule=majority",
        'choice.setters="AFG"',
    ):
        run = CliRunner().invoke(
            cli, ["forecast", str(istanbul_case_path), "-m", "choice", "-p", param]
        )
        assert run.exit_code == 2, (param, run.output)
        assert "choice:" in run.output and "Traceback" not in run.output


def test_backtest_passes_the_council_rule_issue_by_issue(data_dir: Path) -> None:
    from detente.backtest import load_benchmark
    from detente.backtest.scoring import predict

    bench = load_benchmark(data_dir / "deu3" / "deu3-public.csv")
    per_issue = predict(bench, "choice")
    all_unan = predict(bench, "choice", {"rule": "unanimity"})
    all_qmv = predict(bench, "choice", {"rule": "qmv"})
    unan = np.array([v.startswith("Unan") for v in bench.vote])
    assert np.array_equal(per_issue[unan], all_unan[unan])
    assert np.array_equal(per_issue[~unan], all_qmv[~unan])

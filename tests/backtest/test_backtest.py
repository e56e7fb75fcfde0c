"""The backtest: known scores on a hand-made file, bootstrap, capability options, CLI."""

from __future__ import annotations

import datetime as dt
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from detente.backtest import capability_table, load_benchmark, run_backtest
from detente.backtest.capability import (
    POPULATION_2015,
    VOTES_EU15,
    VOTES_NICE,
    VOTES_TRANSITION_2004,
    treaty_period,
)
from detente.backtest.scoring import bootstrap_weights, metrics, weighted_metrics
from detente.cli import cli

# Hand computation on tests/assets/backtest/deu3-handmade.tsv (GDP: com 4, ep 4, de 4,
# fr 3, it 2; weight = GDP x salience/100; a blank salience counts 0.5):
#   h001i1: com 100 (w 4), ep 0 (w 2), de 50 (w 4) -> 600/10 = 60; outcome 60 -> error 0
#   h001i2: com 0 (w 2), fr 100 (w 3), it 50 (w 1) -> 350/6 = 175/3; outcome 50 -> 25/3
#   h002i1: de 20 (w 2), fr 80 (w 1.5), it 40 (w 2) -> 240/5.5 = 480/11; outcome 30 -> 150/11
#   h002i2: no outcome -> skipped
#   h003i1: only com and ep hold a position -> skipped
#   h003i2: com 0 (w 4), ep 100 (w 0), de 100 (w 4), fr 0 (w 1.5) -> 400/9.5 = 800/19;
#           outcome 40 -> 40/19
ERRORS = [Fraction(0), Fraction(25, 3), Fraction(150, 11), Fraction(40, 19)]
MAE = float(sum(ERRORS) / 4)
RMSE = math.sqrt(float(sum(e * e for e in ERRORS) / 4))
MEDIAN_AE = float((Fraction(40, 19) + Fraction(25, 3)) / 2)


@pytest.fixture(scope="module")
def handmade(assets: Path) -> Path:
    return assets / "backtest" / "deu3-handmade.tsv"


@pytest.fixture(scope="module")
def public_file(data_dir: Path) -> Path:
    return data_dir / "deu3" / "deu3-public.csv"


def test_compromise_known_scores(handmade: Path) -> None:
    bench = load_benchmark(handmade)
    assert bench.issue_ids == ("h001i1", "h001i2", "h002i1", "h003i2")
    assert set(bench.skipped) == {"h002i2", "h003i1"}
    result = run_backtest(bench, ["compromise"], seed=1, n_boot=500)
    s = result.models["compromise"]
    assert s["n"] == 4
    assert s["mae"] == pytest.approx(MAE, abs=1e-12)
    assert s["rmse"] == pytest.approx(RMSE, abs=1e-12)
    assert s["median_ae"] == pytest.approx(MEDIAN_AE, abs=1e-12)
    lo, hi = s["mae_ci"]
    assert 0.0 <= lo <= s["mae"] <= hi <= float(max(ERRORS))


def test_cli_json_reports_hand_computed_baseline(handmade: Path) -> None:
    run = CliRunner().invoke(
        cli, ["backtest", "deu", str(handmade), "--models", "compromise,median", "--format", "json"]
    )
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert data["issues"] == 4
    assert list(data["models"]) == ["compromise", "median"]
    comp = data["models"]["compromise"]
    assert comp["mae"] == pytest.approx(MAE, abs=1e-12)
    assert comp["rmse"] == pytest.approx(RMSE, abs=1e-12)
    assert comp["median_ae"] == pytest.approx(MEDIAN_AE, abs=1e-12)
    assert "vs_compromise" in data["models"]["median"]
    assert data["settings"]["seed"] == 0


def test_table_output(handmade: Path) -> None:
    run = CliRunner().invoke(cli, ["backtest", "deu", str(handmade), "-m", "compromise"])
    assert run.exit_code == 0, run.output
    assert "4 issues in 3 proposals (2 skipped)" in run.output
    assert f"{MAE:.2f}" in run.output


def test_bootstrap_is_deterministic_with_a_seed(public_file: Path) -> None:
    bench = load_benchmark(public_file)
    a = run_backtest(bench, ["compromise", "median"], seed=7, n_boot=300).to_dict()
    b = run_backtest(bench, ["compromise", "median"], seed=7, n_boot=300).to_dict()
    c = run_backtest(bench, ["compromise", "median"], seed=8, n_boot=300).to_dict()
    assert a == b
    assert a["models"]["compromise"]["mae_ci"] != c["models"]["compromise"]["mae_ci"]
    assert a["models"]["compromise"]["mae"] == c["models"]["compromise"]["mae"]


def test_bootstrap_resamples_whole_proposals() -> None:
    proposal = ["a", "a", "b", "c", "c", "c"]
    counts = bootstrap_weights(proposal, 200, seed=3)
    assert counts.shape == (200, 6)
    assert (counts[:, 0] == counts[:, 1]).all()
    assert (counts[:, 3] == counts[:, 4]).all() and (counts[:, 4] == counts[:, 5]).all()
    # Each replicate draws 3 proposals.
    assert (counts[:, [0, 2, 3]].sum(axis=1) == 3).all()


def test_weighted_metrics_equal_plain_metrics_and_repetition() -> None:
    rng = np.random.default_rng(0)
    err = np.abs(rng.normal(size=11)) * 30
    ones = np.ones((1, 11), dtype=np.int64)
    got = {k: float(v[0]) for k, v in weighted_metrics(err, ones).items()}
    assert got == pytest.approx(metrics(err))
    counts = rng.integers(0, 4, size=(5, 11))
    counts[:, 0] += 1
    w = weighted_metrics(err, counts)
    for r in range(5):
        expanded = np.repeat(err, counts[r])
        assert w["median_ae"][r] == pytest.approx(np.median(expanded))
        assert w["mae"][r] == pytest.approx(expanded.mean())


def test_public_file_compromise_bar(public_file: Path) -> None:
    result = run_backtest(load_benchmark(public_file), ["compromise", "deu-compromise"], n_boot=200)
    assert result.n_issues == 213 and result.n_proposals == 82
    assert 22.0 < result.models["compromise"]["mae"] < 24.5  # the published bar is about 23
    dc = result.models["deu-compromise"]
    assert 0.7 < dc["interval_coverage"] < 0.9


def test_vote_tables() -> None:
    assert sum(VOTES_EU15.values()) == 87
    assert sum(VOTES_TRANSITION_2004.values()) == 124
    assert sum(VOTES_NICE.values()) == 352
    assert sum(v for k, v in VOTES_NICE.items() if k != "cr") == 345
    assert len(POPULATION_2015) == 28
    assert 500 < sum(POPULATION_2015.values()) < 515


@pytest.mark.parametrize(
    ("date", "period"),
    [
        (None, "eu15"),
        (dt.date(2004, 4, 30), "eu15"),
        (dt.date(2004, 5, 1), "transition-2004"),
        (dt.date(2004, 11, 1), "nice"),
        (dt.date(2014, 10, 31), "nice"),
        (dt.date(2014, 11, 1), "lisbon"),
    ],
)
def test_treaty_period(date: dt.date | None, period: str) -> None:
    assert treaty_period(date) == period


def test_capability_options() -> None:
    gdp = {"com": 4.1, "ep": 4.1, "de": 4.1, "fr": 2.8, "pl": 0.75}
    assert capability_table("gdp", gdp) == gdp
    assert capability_table("equal", gdp) == {k: 1.0 for k in gdp}
    v = capability_table("votes", gdp, dt.date(2000, 1, 1))
    assert v == {"com": 10.0, "ep": 10.0, "de": 10.0, "fr": 10.0, "pl": 0.0}
    v = capability_table("votes", gdp, dt.date(2008, 1, 1))
    assert (v["de"], v["pl"], v["com"]) == (29.0, 27.0, 29.0)
    assert capability_table("votes", gdp, dt.date(2017, 1, 1)) == capability_table(
        "population", gdp
    )
    with pytest.raises(ValueError, match="unknown capability"):
        capability_table("wealth", gdp)


def test_capability_option_changes_scores(handmade: Path) -> None:
    # Equal capability on h001i1: weights 1, 0.5, 1 -> (100 + 0 + 50) / 2.5 = 60, unchanged;
    # on h001i2: 0.5, 1, 0.5 -> (0 + 100 + 25) / 2 = 62.5, error 12.5 (was 25/3).
    bench = load_benchmark(handmade, "equal")
    pred = run_backtest(bench, ["compromise"], n_boot=100).predictions["compromise"]
    assert pred[:2] == pytest.approx([60.0, 62.5])


def test_unknown_model_is_a_clean_error(handmade: Path) -> None:
    run = CliRunner().invoke(cli, ["backtest", "deu", str(handmade), "-m", "oracle"])
    assert run.exit_code == 2
    assert "unknown model 'oracle'" in run.output

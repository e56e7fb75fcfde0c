"""The honest protocol: nested CV grouped by proposal, leak detection, probabilistic scores."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from detente.backtest import Benchmark, load_benchmark
from detente.backtest.choice_train import grouped_folds
from detente.backtest.protocol import (
    LOG_SCORE_FLOOR,
    SUBSETS,
    Audit,
    LeakError,
    Learner,
    Prediction,
    crps_discrete,
    learner,
    log_score_binned,
    markdown,
    nested_cv,
    run_protocol,
)
from detente.cli import cli


@pytest.fixture(scope="module")
def public(data_dir: Path) -> Benchmark:
    return load_benchmark(data_dir / "deu3" / "deu3-public.csv")


@pytest.fixture(scope="module")
def small_file(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 20 proposals of the public file, in the same format."""
    src = data_dir / "deu3" / "deu3-public.csv"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    header, gdp, rows = lines[0], lines[1], lines[2:]
    prnr = header.split("\t").index('"prnr"')
    keep = sorted({r.split("\t")[prnr] for r in rows})[:20]
    out = tmp_path_factory.mktemp("deu") / "deu3-small.csv"
    out.write_text(
        header + gdp + "".join(r for r in rows if r.split("\t")[prnr] in keep), encoding="utf-8"
    )
    return out


def test_folds_keep_proposals_together(public: Benchmark) -> None:
    folds = grouped_folds(public.proposal, 5, 3)
    for p in set(public.proposal):
        assert len({f for q, f in zip(public.proposal, folds, strict=True) if q == p}) == 1
    sizes = np.bincount([folds[public.proposal.index(p)] for p in set(public.proposal)])
    assert sizes.max() - sizes.min() <= 1


def test_tuning_and_fitting_never_see_a_test_proposal(public: Benchmark) -> None:
    audit = Audit()
    folds = grouped_folds(public.proposal, 5, 0)
    nested_cv(public, learner("choice"), folds, inner_k=5, seed=0, audit=audit)
    assert {stage for _, _, stage, _ in audit.seen} == {"tuning", "fitting"}
    props = np.asarray(public.proposal)
    for _, fold, _, seen in audit.seen:
        test = set(props[folds == fold])
        assert seen and not seen & test
        assert seen | test == set(props)  # it used all the rest


def test_a_planted_leak_is_detected(public: Benchmark) -> None:
    # The classic leak: folds dealt by issue, not by proposal, so issues negotiated
    # together end up on both sides of a split.
    by_issue = np.arange(public.n_issues) % 5
    with pytest.raises(LeakError, match="saw test proposal"):
        nested_cv(public, learner("compromise"), by_issue, inner_k=5, seed=0)
    with pytest.raises(LeakError):
        nested_cv(public, learner("deu-compromise"), by_issue, inner_k=5, seed=0)


def _memoriser() -> Learner:
    """A cheat: remembers each proposal's mean outcome and predicts it back."""

    def fit(b: Benchmark, p: object) -> dict[str, float]:
        props = np.asarray(b.proposal)
        return {q: float(b.outcome[props == q].mean()) for q in set(b.proposal)}

    def predict(b: Benchmark, p: object, s: dict[str, float]) -> Prediction:
        return Prediction(np.array([s.get(q, np.nan) for q in b.proposal]))

    return Learner("memoriser", predict, fit=fit)


def _peeker() -> Learner:
    """A cheat: predicts the outcome it is handed."""

    def predict(b: Benchmark, p: object, s: object) -> Prediction:
        return Prediction(b.outcome.copy())

    return Learner("peeker", predict)


def test_cheating_models_get_nothing_from_test_outcomes(public: Benchmark) -> None:
    folds = grouped_folds(public.proposal, 5, 0)
    for cheat in (_memoriser(), _peeker()):
        out = nested_cv(public, cheat, folds, inner_k=5, seed=0)
        assert np.isnan(out.point).all()


def test_changing_test_outcomes_changes_no_test_forecast(public: Benchmark) -> None:
    folds = grouped_folds(public.proposal, 5, 0)
    fold0 = folds == 0
    noisy = replace(public, outcome=np.where(fold0, 100.0 - public.outcome, public.outcome))
    for name in ("choice", "deu-compromise"):
        a = nested_cv(public, learner(name), folds, inner_k=5, seed=0)
        b = nested_cv(noisy, learner(name), folds, inner_k=5, seed=0)
        assert np.array_equal(a.point[fold0], b.point[fold0])
        assert np.array_equal(a.lo[0.8][fold0], b.lo[0.8][fold0])
    # ... while the training folds' outcomes do matter (the check is not vacuous).
    assert not np.array_equal(a.point[~fold0], b.point[~fold0])


def test_scores_known_answers() -> None:
    # Half the mass at 0, half at 100: E|X - 0| = 50, E|X - X'| = 50, CRPS = 25.
    value = np.array([[0.0, 100.0]])
    prob = np.array([[0.5, 0.5]])
    assert crps_discrete(value, prob, np.array([0.0]))[0] == pytest.approx(25.0)
    # A point mass at y: CRPS 0; at distance d: d.
    assert crps_discrete(np.array([[40.0]]), np.array([[1.0]]), np.array([40.0]))[0] == 0.0
    assert crps_discrete(np.array([[40.0]]), np.array([[1.0]]), np.array([55.0]))[0] == 15.0
    # Log score: bins are {0}, (0, 10), ..., [90, 100), {100}.
    floor = LOG_SCORE_FLOOR / 12
    ls = log_score_binned(value, prob, np.array([0.0]))[0]
    assert ls == pytest.approx(-np.log((1 - LOG_SCORE_FLOOR) * 0.5 + floor))
    ls = log_score_binned(value, prob, np.array([3.0]))[0]  # 3 is interior, not the end
    assert ls == pytest.approx(-np.log(floor))
    ls = log_score_binned(np.array([[12.0]]), np.array([[1.0]]), np.array([19.0]))[0]
    assert ls == pytest.approx(-np.log(1 - LOG_SCORE_FLOOR + floor))


def test_subsets_partition_the_issues(public: Benchmark) -> None:
    masks = {k: f(public) for k, f in SUBSETS.items()}
    for a, b in [
        ("procedure=COD", "procedure=CNS"),
        ("vote=QMV", "vote=unanimity"),
        ("reference point", "no reference point"),
        ("outcome at an end", "outcome interior"),
    ]:
        assert not (masks[a] & masks[b]).any() and (masks[a] | masks[b]).all()
    assert masks["no reference point"].sum() == 68
    assert masks["outcome at an end"].sum() == 70


def test_protocol_result_shape_and_determinism(small_file: Path) -> None:
    bench = load_benchmark(small_file)
    a = run_protocol(bench, k=3, repeats=2, n_boot=200).to_dict()
    b = run_protocol(bench, k=3, repeats=2, n_boot=200).to_dict()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert list(a["models"]) == ["compromise", "median", "deu-compromise", "choice"]
    ch = a["models"]["choice"]
    assert len(ch["chosen_params"]) == 2 and len(ch["chosen_params"][0]) == 3
    assert len(ch["vs_compromise"]["mae_by_repeat"]) == 2
    for m in a["models"].values():
        assert 0 <= m["coverage"]["0.5"] <= m["coverage"]["0.8"] <= 1
        assert set(m["subsets"]) == set(SUBSETS)
        lo, hi = m["mae_ci"]
        assert lo <= m["mae"] <= hi


def test_docs_tables_are_regenerated_by_the_command(small_file: Path) -> None:
    """The command behind docs/backtest.md's protocol tables, on 20 proposals."""
    args = ["backtest", "deu", str(small_file), "--cv", "3", "--repeats", "2", "--bootstrap", "200"]
    run = CliRunner().invoke(cli, [*args, "--format", "markdown"])
    assert run.exit_code == 0, run.output
    result = run_protocol(load_benchmark(small_file), k=3, repeats=2, n_boot=200)
    assert run.output.strip() == markdown(result).strip()
    comp = result.to_dict()["models"]["compromise"]
    assert f"| compromise | {comp['n']} | {comp['mae']:.2f} " in run.output
    run = CliRunner().invoke(cli, [*args, "--format", "json", "-m", "choice"])
    data = json.loads(run.output)
    assert list(data["models"]) == ["compromise", "choice"]
    assert data["settings"]["cv"] == 3 and data["settings"]["repeats"] == 2


def test_cli_refuses_bad_protocol_options(small_file: Path) -> None:
    run = CliRunner().invoke(cli, ["backtest", "deu", str(small_file), "--cv", "99"])
    assert run.exit_code == 2 and "--cv needs" in run.output
    run = CliRunner().invoke(cli, ["backtest", "deu", str(small_file), "--repeats", "3"])
    assert run.exit_code == 2 and "--repeats needs --cv" in run.output
    run = CliRunner().invoke(cli, ["backtest", "deu", str(small_file), "--cv", "3", "-m", "oracle"])
    assert run.exit_code == 2 and "unknown model 'oracle'" in run.output


@pytest.mark.slow
def test_docs_tables_equal_the_command_on_the_public_file(repo: Path) -> None:
    """docs/backtest.md holds the command's output verbatim (about 30 s)."""
    line = next(
        x
        for x in (repo / "docs" / "backtest.md").read_text(encoding="utf-8").splitlines()
        if x.startswith("detente backtest deu") and "--cv" in x and "--format markdown" in x
    )
    args = line.split()[1:]
    args[args.index("data/deu3/deu3-public.csv")] = str(repo / "data/deu3/deu3-public.csv")
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 0, run.output
    assert run.output.strip() in (repo / "docs" / "backtest.md").read_text(encoding="utf-8")

"""Deadlock diagnosis on constructed cases with known answers, and on the Istanbul case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.case.loader import load_case
from detente.case.model import Actor, Case, CaseInfo, Issue, Position
from detente.cli import cli
from detente.diagnose import VERDICTS, diagnose, verdict_rule
from detente.errors import ModelError


def make_case(x: list[float], c: list[float], s: list[float], ids: list[str] | None = None) -> Case:
    ids = ids or [f"A{k}" for k in range(len(x))]
    return Case(
        case=CaseInfo(id="t", title="constructed", require_sources=False),
        actors=[Actor(id=i, name=f"Actor {i}") for i in ids],
        issues=[Issue(id="q", question="Where?")],
        positions=[
            Position(actor=i, issue="q", position=xx, salience=ss, capability=cc)
            for i, xx, ss, cc in zip(ids, x, s, c, strict=True)
        ],
    )


def test_entrenched_principals_far_apart_deadlock() -> None:
    case = make_case([90, 10, 50], [1, 1, 0.2], [0.95, 0.95, 0.3], ["NORTH", "SOUTH", "MED"])
    d = diagnose(case).issues["q"]
    assert d.verdict == "deadlock"
    assert d.principals == ("NORTH", "SOUTH")
    assert d.mutual_stalemate
    pair = next(p for p in d.pairs if (p.initiator, p.receiver) == ("NORTH", "SOUTH"))
    assert pair.octant_initiator_view == pair.octant_receiver_view == "stalemate"
    assert pair.eu_initiator < 0 and pair.eu_receiver < 0
    assert d.final_positions["NORTH"] == 90 and d.final_positions["SOUTH"] == 10
    assert d.gap_end == pytest.approx(0.8)
    assert "Deadlock" in d.explanation and "NORTH" in d.explanation and "80%" in d.explanation
    assert f"{pair.eu_initiator:+.3f}" in d.explanation


def test_weak_outlier_facing_a_strong_bloc_capitulates() -> None:
    case = make_case([60, 60, 60, 0], [1, 1, 1, 0.02], [0.9, 0.9, 0.9, 0.1])
    d = diagnose(case).issues["q"]
    for bloc in ("A0", "A1", "A2"):
        pair = next(p for p in d.pairs if (p.initiator, p.receiver) == (bloc, "A3"))
        assert pair.octant_initiator_view == "receiver_capitulates"
        assert pair.eu_initiator > 0 > pair.eu_receiver
        assert abs(pair.eu_receiver) > pair.eu_initiator
    assert d.final_positions["A3"] == pytest.approx(60, abs=0.01)
    assert d.verdict == "agreement_likely"
    assert not d.mutual_stalemate


def test_the_rule_between_thresholds() -> None:
    # Both expect +0.5 from challenging the other (an exact tie: nobody wins, nobody moves):
    # not a mutual stalemate, and 20% apart: compromise expected by the rule.
    d = diagnose(make_case([30, 50], [1, 1], [0.5, 0.5])).issues["q"]
    assert d.verdict == "compromise_expected"
    assert d.gap_end == pytest.approx(0.2)
    assert d.verdict in VERDICTS
    tight = diagnose(make_case([30, 50], [1, 1], [0.5, 0.5]), deadlock_gap=0.1).issues["q"]
    assert tight.verdict == "deadlock"
    assert "0.1" in verdict_rule(deadlock_gap=0.1)


def test_principals_can_be_named_and_are_checked() -> None:
    case = make_case([90, 10, 50], [1, 1, 0.2], [0.95, 0.95, 0.3])
    d = diagnose(case, principals=["A2", "A0"]).issues["q"]
    assert d.principals == ("A0", "A2")
    with pytest.raises(ModelError, match="unknown actor"):
        diagnose(case, principals=["A0", "ZZ"])
    with pytest.raises(ModelError, match="thresholds"):
        diagnose(case, deadlock_gap=0.01, agreement_gap=0.5)
    with pytest.raises(ModelError, match="no parameter"):
        diagnose(case, colour="red")


def test_to_dict_shape_and_json() -> None:
    d = diagnose(make_case([90, 10, 50], [1, 1, 0.2], [0.95, 0.95, 0.3]), rounds=3).to_dict()
    assert d["case"]["params"]["rounds"] == 3
    issue = d["issues"]["q"]
    assert issue["verdict"] in VERDICTS
    assert len(issue["pairs"]) == 3
    assert set(issue["pairs"][0]) >= {
        "initiator",
        "receiver",
        "octant_initiator_view",
        "octant_receiver_view",
        "eu_initiator",
        "eu_receiver",
    }
    json.dumps(d)


def test_cli_table_and_json(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Actor,Capability,Position,Salience\nN,1,90,0.95\nS,1,10,0.95\nM,0.2,50,0.3\n")
    runner = CliRunner()
    out = runner.invoke(cli, ["diagnose", str(path)])
    assert out.exit_code == 0, out.output
    assert "DEADLOCK" in out.output and "initiator" in out.output
    out = runner.invoke(cli, ["diagnose", str(path), "--format", "json", "--rounds", "2"])
    data = json.loads(out.output)
    assert data["issues"]["issue"]["verdict"] == "deadlock"
    bad = runner.invoke(cli, ["diagnose", str(path), "--principals", "N,X"])
    assert bad.exit_code == 2 and "unknown actor" in bad.output
    bad = runner.invoke(cli, ["diagnose", str(path), "-p", "nash.utility=linear"])
    assert bad.exit_code == 2 and "bdm model only" in bad.output


def test_istanbul_case(istanbul_case_path: Path) -> None:
    case = load_case(istanbul_case_path)
    d = diagnose(case)
    for issue_id in ("sanctuaries", "guarantee"):
        issue = d.issues[issue_id]
        assert issue.principals == ("PAK", "AFG")
        assert issue.verdict == "deadlock"
        assert issue.mutual_stalemate
        pair = next(p for p in issue.pairs if (p.initiator, p.receiver) == ("PAK", "AFG"))
        assert pair.eu_initiator < 0 and pair.eu_receiver < 0


def test_batched_verdict_codes_agree_with_diagnose(istanbul_case_path: Path) -> None:
    import numpy as np

    from detente.case.arrays import case_arrays
    from detente.diagnose import verdict_codes
    from detente.forecast.registry import ModelInput

    cases = [
        make_case([90, 10, 50], [1, 1, 0.2], [0.95, 0.95, 0.3]),
        make_case([60, 60, 60, 0], [1, 1, 1, 0.02], [0.9, 0.9, 0.9, 0.1]),
        make_case([30, 50], [1, 1], [0.5, 0.5]),
    ]
    if istanbul_case_path.exists():
        cases.append(load_case(istanbul_case_path))
    for case in cases:
        inp = ModelInput.from_arrays(case_arrays(case))
        codes = verdict_codes(inp)
        d = diagnose(case)
        assert [VERDICTS[c] for c in codes[0]] == [d.issues[i.id].verdict for i in case.issues]
    # A batch of copies with noise equals the copies one by one.
    inp = ModelInput.from_arrays(case_arrays(cases[0]))
    rng = np.random.default_rng(3)
    noisy = ModelInput(
        position=inp.position + rng.uniform(-30, 30, (20, 3, 1)),
        salience=np.clip(inp.salience + rng.uniform(-0.3, 0.3, (20, 3, 1)), 0.01, 1),
        capability=inp.capability + rng.uniform(0, 0.5, (20, 3, 1)),
        present=inp.present,
        status_quo=np.full((20, 1), np.nan),
        scale_min=inp.scale_min,
        scale_max=inp.scale_max,
    )
    whole = verdict_codes(noisy, rounds=4)
    assert set(whole[:, 0].tolist()) <= {0, 1, 2}
    for k in range(20):
        assert np.array_equal(whole[k], verdict_codes(noisy.take(k), rounds=4)[0])


def test_docs_cli_examples_run(istanbul_case_path: Path, data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    table = data_dir / "bdm" / "bdm1994-eu-emissions.csv"
    examples = [
        ["forecast", str(table), "--model", "bdm", "--rounds", "8", "--trajectory"],
        ["forecast", str(table), "--model", "bdm", "-p", "bdm.offer_selection=least_move"],
        ["convert", str(table), "--to", "yaml", "-o", str(tmp_path / "t.yaml")],
    ]
    if istanbul_case_path.exists():
        case = str(istanbul_case_path)
        examples += [
            ["diagnose", case],
            ["diagnose", case, "--format", "json"],
            [
                "diagnose",
                case,
                "--principals",
                "PAK,AFG",
                "--deadlock-gap",
                "0.3",
                "--rounds",
                "12",
                "-p",
                "bdm.q=0.8",
            ],
        ]
    for args in examples:
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    assert (tmp_path / "t.yaml").read_text().startswith("%YAML 1.2")


def test_verdicts_from_a_bdm_run_equal_verdict_codes(istanbul_case_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from detente.case.loader import load_case
    from detente.diagnose import verdict_codes, verdicts_from_run
    from detente.errors import ModelError
    from detente.forecast.registry import get_model
    from detente.uncertainty.sampling import input_space

    case = load_case(istanbul_case_path)
    space = input_space(case)
    inp = space.build(space.sample(np.random.default_rng(5), 300))
    spec = get_model("bdm")
    params = spec.resolve_params({})
    run = spec.fn(inp, **params)
    codes = verdicts_from_run(
        inp, run.extras["trajectory"], run.extras["eu_own_round1"], int(params["rounds"])
    )
    np.testing.assert_array_equal(codes, verdict_codes(inp))
    assert set(np.unique(codes)) <= {0, 1, 2}
    with pytest.raises(ModelError):
        verdicts_from_run(inp, run.extras["trajectory"][:10], run.extras["eu_own_round1"], 8)

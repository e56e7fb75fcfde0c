"""Model parameters and what-if files that a user gets wrong: located exit-2 errors.

Before issue 11: ``-p deu-compromise.gamma=abc`` and ``-p smp.max_turns='"x"'`` were
internal errors, ``-p bmd.q=0.5`` (a typo for bdm) was silently ignored, and a what-if
moving a position to 500 on a 0-100 scale was applied (clipped).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.case.formats import read_cases
from detente.cli import cli
from detente.errors import ModelError
from detente.forecast.registry import Param, get_model
from detente.forecast.run import forecast
from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.whatif import apply_whatif, parse_whatif
from tests.conftest import ASSETS, REPO

CASE = str(REPO / "examples" / "istanbul-2025" / "case.yaml")


@pytest.mark.parametrize(
    ("param", "code", "says"),
    [
        ("deu-compromise.gamma=abc", "bad-param", "'abc' is not a number"),
        ('smp.max_turns="x"', "bad-param", "'x' is not a whole number"),
        ("smp.max_turns=2.5", "bad-param", "2.5 is not a whole number"),
        ("deu-compromise.gamma=NaN", "bad-param", "not a finite number"),
        ("deu-compromise.gamma=Infinity", "bad-param", "not a finite number"),
        ("smp.voting_rule=prop", "bad-param", "did you mean 'Prop'?"),
        ("nash.utility=3", "bad-param", "must be one of quadratic, linear"),
        ("smp.maxturns=4", "unknown-param", "did you mean 'max_turns'?"),
        ("bmd.q=0.5", "unknown-model", "did you mean 'bdm'?"),
        ("smp.seed=-1", "param-range", "a whole number >= 0"),
        ("smp.max_turns=1e9", "param-range", "a whole number in [1, 1000]"),
        ("bdm.rounds=-3", "param-range", "a whole number in [0, 1000]"),
        ("bdm.q=1.5", "param-range", "a number in [0, 1]"),
        ("deu-compromise.mix=-0.1", "param-range", "a number in [0, 1]"),
    ],
)
def test_bad_parameters_are_located_exit_2_errors(param: str, code: str, says: str) -> None:
    result = CliRunner().invoke(cli, ["forecast", CASE, "-m", "smp", "-p", param])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert f"--param {param.split('=')[0]}: error[{code}]" in result.output
    assert says in result.output


def test_a_models_own_refusal_is_located_at_the_model(tmp_path: Path) -> None:
    # smp refuses a case of one actor itself (bdm's rounds=-3, refused here before,
    # is now out of the parameter's declared bounds)
    text = (ASSETS / "case" / "minimal.yaml").read_text(encoding="utf-8")
    one = tmp_path / "one.yaml"
    one.write_text(
        "\n".join(line for line in text.splitlines() if "NO" not in line) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["forecast", str(one), "-m", "smp"])
    assert result.exit_code == 2, result.output
    assert "--model smp: error[model-refused]: smp: needs at least two actors" in result.output


def test_typed_parameters_are_converted_and_defaults_keep_working() -> None:
    case = read_cases(ASSETS / "case" / "minimal.yaml")[0]
    used = forecast(case, ["smp"], {"smp": {"max_turns": 5.0}}).params["smp"]
    assert used["max_turns"] == 5 and isinstance(used["max_turns"], int)
    used = forecast(case, ["deu-compromise"], {"deu-compromise": {"gamma": 1}}).params
    assert used["deu-compromise"]["gamma"] == 1.0
    assert isinstance(used["deu-compromise"]["gamma"], float)


def test_param_type_is_inferred_from_the_default_and_bounds_apply() -> None:
    p = Param(10, "turns", low=1, high=500)
    assert p.effective_type() is int and p.check(3, "x") == 3
    assert Param(0.5, "share").effective_type() is float
    assert Param(True, "flag").check(False, "x") is False
    with pytest.raises(ModelError) as err:
        p.check(0, "--param m.turns")
    (d,) = err.value.items
    assert (d.code, d.file, d.expected) == (
        "param-range",
        "--param m.turns",
        "a whole number in [1, 500]",
    )
    with pytest.raises(ModelError):
        Param(True, "flag").check(1, "x")  # 1 is not a boolean
    with pytest.raises(ModelError):
        Param(3, "n").check(True, "x")  # nor True a number
    meta = get_model("smp").metadata()["params"]["max_turns"]
    assert meta["type"] == "int"


def test_a_case_files_model_params_apply_and_are_checked(tmp_path: Path) -> None:
    text = (ASSETS / "case" / "minimal.yaml").read_text(encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(text + "model_params:\n  smp: {max_turns: 3}\n", encoding="utf-8")
    case = read_cases(path)[0]
    assert forecast(case, ["smp"]).params["smp"]["max_turns"] == 3
    assert forecast(case, ["smp"], {"smp": {"max_turns": 4}}).params["smp"]["max_turns"] == 4
    path.write_text(text + "model_params:\n  smpp: {max_turns: 3}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["forecast", str(path)])
    assert result.exit_code == 2 and "did you mean 'smp'?" in result.output


def whatif(change: str) -> str:
    return f"name: w\nchanges:\n  - {change}\n"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ("move: {actor: TUR, issue: guarantee, to: 500}", 3),
        ("move: {actor: TUR, issue: guarantee, by: -400}", 3),
        ("commit: {actor: AFG, issue: guarantee, to: 101}", 3),
        ("salience: {actor: QAT, issue: guarantee, by: 2}", 3),
        (
            "add_actor: {id: N, name: N, capability: 1, positions: "
            "[{issue: guarantee, position: -5, salience: 0.5}]}",
            3,
        ),
    ],
)
def test_whatif_outside_the_scale_is_refused_with_its_line(change: str, line: int) -> None:
    case = read_cases(CASE)[0]
    with pytest.raises(UncertaintyError) as err:
        apply_whatif(case, parse_whatif(whatif(change), "w.yaml"))
    (d,) = err.value.items
    assert (d.code, d.file, d.line) == ("out-of-scale", "w.yaml", line)


def test_whatif_non_finite_values_are_refused() -> None:
    with pytest.raises(UncertaintyError) as err:
        parse_whatif(whatif("move: {actor: TUR, issue: guarantee, to: .inf}"), "w.yaml")
    assert err.value.items[0].line == 3


def test_whatif_cli_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(whatif("move: {actor: TUR, issue: guarantee, to: 500}"))
    result = CliRunner().invoke(cli, ["whatif", CASE, str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:3" in result.output and "out-of-scale" in result.output

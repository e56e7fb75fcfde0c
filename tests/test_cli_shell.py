"""The CLI shell itself: lazy commands, one error path, checked output paths, complete help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from detente.cli import COMMANDS, SHORT_HELP, cli
from detente.cli._common import INPUT_FORMATS
from tests.conftest import ASSETS, REPO

BAD = ASSETS / "case" / "bad"
HEAVY = ("numpy", "pydantic", "jinja2", "cryptography", "ruamel.yaml", "scipy")


def _all_commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    out: list[tuple[str, click.Command]] = []

    def walk(path: str, cmd: click.Command) -> None:
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(f"{path} {name}", sub)

    for name in COMMANDS:
        cmd = cli.get_command(ctx, name)
        assert cmd is not None, name
        walk(name, cmd)
    return out


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from detente.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"
    assert "Commands:" in r.stdout and "\\b" not in r.stdout


def test_forecast_imports_no_renderer_crypto_or_scipy() -> None:
    """`detente forecast` loads what a forecast needs, not the brief's or the ledger's parts."""
    case = REPO / "examples" / "istanbul-2025" / "case.yaml"
    code = (
        "import sys\n"
        "from detente.cli import main\n"
        f"try:\n    main(['forecast', {str(case)!r}])\nexcept SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print([m for m in ('jinja2', 'cryptography', 'scipy', 'detente.report', "
        "'detente.ledger') if m in sys.modules])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "compromise" in r.stdout  # the forecast ran
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_every_listed_command_loads_and_its_short_help_is_what_help_shows() -> None:
    assert set(SHORT_HELP) == set(COMMANDS)
    ctx = click.Context(cli)
    for name in COMMANDS:
        cmd = cli.get_command(ctx, name)
        assert cmd is not None and cmd.name == name
        assert SHORT_HELP[name] == cmd.get_short_help_str(limit=200), name


def test_every_option_has_help_text_and_no_help_shows_a_literal_backslash_b() -> None:
    missing = []
    runner = CliRunner()
    for path, cmd in _all_commands():
        for p in cmd.params:
            if isinstance(p, click.Option) and not (p.help or "").strip():
                missing.append(f"{path} {p.opts[-1]}")
        r = runner.invoke(cli, [*path.split(), "--help"])
        assert r.exit_code == 0, (path, r.output)
        assert "\\b" not in r.output, path
    assert not missing, missing


def test_input_formats_of_the_shell_match_the_readers() -> None:
    from detente.case.formats import FORMATS

    assert tuple(INPUT_FORMATS) == tuple(FORMATS)


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_subcommand_shows_the_traceback(where: str) -> None:
    bad = str(BAD / "02-salience-above-one.yaml")
    args = ["--verbose", "forecast", bad] if where == "before" else ["forecast", bad, "--verbose"]
    r = subprocess.run(
        [sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2
    assert "Traceback" in r.stderr
    assert "02-salience-above-one.yaml:8:" in r.stderr


def test_errors_come_out_as_json_with_format_json() -> None:
    r = CliRunner().invoke(
        cli, ["forecast", str(BAD / "02-salience-above-one.yaml"), "--format", "json"]
    )
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    err = doc["error"]
    assert set(err) == {"status", "code", "message", "diagnostics"}
    assert err["status"] == 2 and err["code"] == "invalid-input"
    assert err["diagnostics"][0]["line"] == 8
    assert "02-salience-above-one.yaml" in err["diagnostics"][0]["file"]


def test_convert_refuses_a_missing_folder_and_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "case.yaml"
    r = CliRunner().invoke(
        cli, ["convert", str(ASSETS / "case" / "minimal.yaml"), "--to", "json", "-o", str(out)]
    )
    assert r.exit_code == 2
    assert "does not exist" in r.output and "mkdir -p" in r.output
    assert not (tmp_path / "no").exists()


def test_convert_refuses_a_folder_it_cannot_write_in(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    r = CliRunner().invoke(
        cli, ["convert", str(ASSETS / "case" / "minimal.yaml"), "-o", str(blocker / "c.yaml")]
    )
    assert r.exit_code == 2
    assert "Traceback" not in r.output and "internal error" not in r.output


def test_convert_writes_into_an_existing_folder(tmp_path: Path) -> None:
    out = tmp_path / "case.json"
    r = CliRunner().invoke(
        cli, ["convert", str(ASSETS / "case" / "minimal.yaml"), "--to", "json", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8"))["actors"]
    assert [p.name for p in tmp_path.iterdir()] == ["case.json"]  # no temporary file left


def test_sweep_refuses_a_draws_file_it_cannot_write_as_asked(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(REPO / "examples" / "istanbul-2025" / "case.yaml"),
            "--draws",
            "10",
            "--draws-out",
            str(tmp_path / "draws.txt"),
        ],
    )
    assert r.exit_code == 2
    assert ".csv or .parquet" in r.output


@pytest.mark.parametrize(
    "args",
    [
        ["--tolerance", "-1"],
        ["--tolerance", "nan"],
        ["--target", "inf"],
    ],
)
def test_interventions_refuse_bad_numbers(args: list[str]) -> None:
    r = CliRunner().invoke(
        cli,
        [
            "interventions",
            str(REPO / "examples" / "istanbul-2025" / "case.yaml"),
            "--issue",
            "guarantee",
            "--by",
            "TUR",
            *args,
        ],
    )
    assert r.exit_code == 2, r.output
    assert "Invalid value" in r.output


def test_the_cli_reference_in_the_docs_is_current() -> None:
    from detente.cli.reference import render_reference

    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert doc == render_reference(), "regenerate: python -m detente.cli.reference > docs/cli.md"


def test_usage_errors_come_out_as_json_with_format_json() -> None:
    r = CliRunner().invoke(
        cli, ["forecast", "no-such-file.yaml", "--rounds", "0", "--format", "json"]
    )
    assert r.exit_code == 2
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "usage-error" and "--rounds" in err["message"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["brief", "{case}", "--out", "{tmp}/brief.pdf"], "written as .html or .htm"),
        (["brief", "{case}", "--out", "{tmp}/no/brief.html"], "does not exist"),
        (["demo", "--out", "{tmp}/no/such/folder"], "does not exist"),
    ],
)
def test_brief_and_demo_check_their_output_before_any_work(
    args: list[str], says: str, tmp_path: Path
) -> None:
    case = REPO / "examples" / "istanbul-2025" / "case.yaml"
    argv = [a.format(case=case, tmp=tmp_path) for a in args]
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code == 2 and says in r.output, r.output
    assert list(tmp_path.iterdir()) == []  # nothing written, no folder created


def test_cli_defaults_to_one_blas_thread_and_keeps_the_users_choice() -> None:
    """OpenBLAS threads spin on detente's small products; the CLI asks for one unless told."""
    code = (
        "import os\n"
        "from detente.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "1"
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "2"

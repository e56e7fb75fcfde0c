"""Every CLI example in docs/backtest.md and docs/formats/deu3.md runs."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.cli import cli

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _examples() -> list[str]:
    out = []
    for doc in (DOCS / "backtest.md", DOCS / "formats" / "deu3.md"):
        for line in doc.read_text(encoding="utf-8").splitlines():
            if line.startswith("detente ") and "[" not in line:
                out.append(line)
    return out


def test_examples_found() -> None:
    assert len(_examples()) >= 3


@pytest.mark.parametrize("line", _examples())
def test_doc_example_runs(line: str, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)  # the docs name files relative to the repository root
    args = shlex.split(line)[1:]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip()

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


def _small(args: list[str], tmp: Path) -> list[str]:
    """The nested-CV commands on the first 15 proposals, 3 folds, 2 repeats (the docs' figures
    come from the same command on the whole file; here it must only run)."""
    src = Path(args[2])
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    col = lines[0].split("\t").index('"prnr"')
    keep = sorted({r.split("\t")[col] for r in lines[2:]})[:15]
    small = tmp / src.name
    small.write_text(
        "".join(lines[:2]) + "".join(r for r in lines[2:] if r.split("\t")[col] in keep),
        encoding="utf-8",
    )
    out = [str(small) if a == args[2] else a for a in args]
    for flag, value in (("--cv", "3"), ("--repeats", "2"), ("--bootstrap", "200")):
        if flag in out:
            out[out.index(flag) + 1] = value
        else:
            out += [flag, value]
    return out


@pytest.mark.parametrize("line", _examples())
def test_doc_example_runs(
    line: str, repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(repo)  # the docs name files relative to the repository root
    args = shlex.split(line)[1:]
    if "--cv" in args:
        args = _small(args, tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip()

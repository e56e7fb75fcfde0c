"""Every command and snippet in docs/brief.md runs as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.cli import cli


def _blocks(repo: Path, lang: str) -> list[str]:
    text = (repo / "docs" / "brief.md").read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_cli_examples_in_the_docs_run(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "examples").symlink_to(repo / "examples")
    monkeypatch.chdir(tmp_path)
    commands = [
        line.split("#")[0].strip()
        for line in _blocks(repo, "sh")[0].splitlines()
        if line.startswith("detente ")
    ]
    assert len(commands) == 7
    for command in commands:
        result = CliRunner().invoke(cli, shlex.split(command)[1:], catch_exceptions=False)
        assert result.exit_code == 0, (command, result.output)
    for name in ("brief", "quick", "seeded", "whatif", "signed"):
        assert (tmp_path / f"{name}.html").is_file(), name
    # The guarantee the demo recorded for the flagship case, read back from its ledger.
    signed = (tmp_path / "signed.html").read_text(encoding="utf-8")
    assert 'id="guarantee"' in signed and "detente verify guarantee-1.tlog-proof" in signed
    assert 'id="whatif"' in (tmp_path / "whatif.html").read_text(encoding="utf-8")
    for out in ("out/istanbul-2025", "out/demo"):
        assert (tmp_path / out / "brief.html").is_file(), out
        assert (tmp_path / out / "forecast.json").is_file(), out


def test_python_examples_in_the_docs_run(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippets = _blocks(repo, "python")
    assert len(snippets) == 2
    monkeypatch.chdir(repo)
    scope: dict[str, object] = {}
    exec(snippets[0], scope)  # builds `html`
    html = scope["html"]
    assert isinstance(html, str)
    brief = tmp_path / "brief.html"
    brief.write_text(html, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    scope2: dict[str, object] = {}
    exec(snippets[1], scope2)  # extracts the data twin from brief.html
    data = scope2["data"]
    assert isinstance(data, dict) and data["format"] == "detente-brief/2"

"""Every command in the README runs, and the output it shows is what it prints."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _examples() -> list[tuple[str, list[str]]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out and line.strip():
                out[-1][1].append(line)
    return out


EXAMPLES = _examples()


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 15
    assert any(cmd.startswith("detente validate") for cmd, _ in EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_command(command: str, shown: list[str], tmp_path: Path) -> None:
    (REPO / "out").mkdir(exist_ok=True)
    argv = shlex.split(command)
    redirect = None
    if ">" in argv:
        redirect = REPO / argv[argv.index(">") + 1]
        argv = argv[: argv.index(">")]
    assert argv[0] == "detente"
    r = subprocess.run(
        [sys.executable, "-m", "detente", *argv[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    expect_error = "tests/assets/case/bad/" in command
    assert r.returncode == (2 if expect_error else 0), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    printed = (r.stdout + r.stderr).splitlines()
    if redirect is not None:
        redirect.write_text(r.stdout, encoding="utf-8")
    # The lines the README shows appear in that order ("..." stands for lines left out).
    pos = 0
    for want in (s for s in shown if s.strip() != "..."):
        for k in range(pos, len(printed)):
            if printed[k].rstrip() == want.rstrip():
                pos = k + 1
                break
        else:
            raise AssertionError(f"README shows {want!r}, the command did not print it")

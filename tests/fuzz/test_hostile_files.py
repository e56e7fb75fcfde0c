"""Hostile files given to every command that reads a JSON, YAML or CSV file: exit 2, located.

Found by running each file-reading command on a battery of hostile files (2026-12-02):
JSON nested 100,000 deep (a statements file, a commitment draft, a compliance file), an
integer of 100,000 digits (Python refuses more than 4,300), a metrics file that is not
UTF-8 and a statements CSV with a field over the csv module's limit were internal errors
(RecursionError, ValueError, UnicodeDecodeError, csv.Error). Each must be a located error
with exit status 2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from detente import boundedjson
from detente.cli import cli
from tests.conftest import REPO
from tests.fuzz.test_fuzz_cli import Hang, guarded

EXAMPLE = REPO / "examples" / "istanbul-2025"
CASE = str(EXAMPLE / "case.yaml")
METRICS = str(EXAMPLE / "metrics.yaml")
STATEMENTS = str(EXAMPLE / "statements.yaml")
COMMITMENT = str(EXAMPLE / "commitment-ttp.json")

HOSTILE: dict[str, bytes] = {
    "deep.json": b"[" * 100_000,
    "deep-objects.json": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "bigint.json": b'{"id": ' + b"9" * 100_000 + b"}",
    "latin1.yaml": 'title: "caf\xe9"\n'.encode("latin-1"),
    "utf16.json": '{"a": 1}'.encode("utf-16"),
    "wide.csv": b"id,text\n1," + b"x" * 200_000 + b"\n",
    "nul.json": b"\x00" * 1_000,
}

# {F} is the hostile file; {L} a ledger; {K} the key folder's key name
COMMANDS = [
    "statements code {F}",
    "statements validate {F} --case " + CASE,
    "statements check {F} --case " + CASE,
    "statements check " + STATEMENTS + " --case " + CASE + " --compliance {F}",
    "statements evaluate {F}",
    "statements record {F} --case " + CASE + " --ledger {L} --key imp",
    "ledger sign {F} --actor PAK --key imp",
    "ledger countersign {F} --actor TUR --key imp",
    "ledger submit {L} {F}",
    "ledger append {L} {F}",
    "ledger draft {F} --out {L}.draft.json",
    "verify {F}",
    "compliance check {L} --metrics {F}",
    "compliance check {F} --metrics " + METRICS,
    "compliance check " + COMMITMENT + " --metrics " + METRICS + " --events {F}",
    "events check {F}",
    "events import {L} {F} --dataset ucdp-ged --version 1 --key imp",
    "validate {F}",
    "whatif " + CASE + " {F}",
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A key folder with the log's key and an importer's, and an empty ledger."""
    d = tmp_path_factory.mktemp("hostile")
    env = {"DETENTE_KEYS": str(d / "keys"), "DETENTE_PASSPHRASE": "pass phrase"}
    runner = CliRunner()
    for name in ("example.org/log", "imp"):
        r = runner.invoke(cli, ["keys", "new", name], env=env)
        assert r.exit_code == 0, r.output
    r = runner.invoke(
        cli,
        ["ledger", "init", str(d / "led.db"), "--origin", "example.org/log"]
        + ["--key", "example.org/log"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    for name, data in HOSTILE.items():
        (d / name).write_bytes(data)
    return d, env


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_a_located_exit_2_error(
    setup: tuple[Path, dict[str, str]], command: str, name: str
) -> None:
    d, env = setup
    args = command.format(F=str(d / name), L=str(d / "led.db")).split()
    r = CliRunner().invoke(cli, args, env=env)
    assert r.exit_code == 2, (args, r.output, r.exception)
    assert "internal error" not in r.output
    assert "Traceback" not in r.output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("command", COMMANDS)
def test_dev_zero_is_refused_at_once_not_read_to_the_end(
    setup: tuple[Path, dict[str, str]], command: str
) -> None:
    """``/dev/zero`` (endless, ``stat`` size 0) ran the machine out of memory in 16 commands:
    each read it whole with ``read_bytes()``, a line iterator or a file hash. Guarded: a
    regression fails with Hang or MemoryError instead of taking the machine."""
    d, env = setup
    args = command.format(F="/dev/zero", L=str(d / "led.db")).split()
    with guarded(seconds=20):
        r = CliRunner().invoke(cli, args, env=env)
    assert not isinstance(r.exception, Hang | MemoryError), args
    assert r.exit_code == 2, (args, r.output, r.exception)
    assert "internal error" not in r.output
    assert re.search(r"error\[[a-z-]+\]|^Error: ", r.output, re.MULTILINE), r.output


def test_deep_json_is_located_at_the_first_bracket_past_the_limit(tmp_path: Path) -> None:
    p = tmp_path / "deep.json"
    p.write_text('{"statements": [' + "\n" + "  " + "[" * 100 + "]" * 100 + "]}", "utf-8")
    r = CliRunner().invoke(cli, ["statements", "code", str(p)])
    assert r.exit_code == 2
    # the object and the list are levels 1 and 2; the 63rd bracket of line 2 opens level 65
    assert f"{p}:2:65: error[too-deep]: arrays and objects nest deeper than 64 levels" in r.output


def test_a_long_integer_is_located(tmp_path: Path) -> None:
    p = tmp_path / "big.json"
    line2 = ' {"id": "a", "n": ' + "7" * 5_000 + "}]"
    p.write_text("[\n" + line2, "utf-8")
    r = CliRunner().invoke(cli, ["statements", "code", str(p)])
    assert r.exit_code == 2
    col = line2.index("7") + 1
    assert f"{p}:2:{col}: error[json]: a number with more than 4300 digits" in r.output


def test_a_metrics_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_bytes(b"metrics:\n  a: caf\xe9\n")
    r = CliRunner().invoke(cli, ["compliance", "check", COMMITMENT, "--metrics", str(p)])
    assert r.exit_code == 2
    assert f"{p}:2:9: error[encoding]: byte 0xe9 is not valid UTF-8" in r.output


# -- the parser itself ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=30,
)


def _depth(v: object) -> int:
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=json_values, limit=st.integers(0, 6))
def test_loads_is_json_loads_within_the_limit_and_refuses_beyond(value: object, limit: int) -> None:
    text = json.dumps(value)
    assert boundedjson.nesting_exceeds(value, limit) == (_depth(value) > limit)
    if _depth(value) <= limit:
        assert boundedjson.loads(text, limit) == json.loads(text)
        assert boundedjson.loads(text.encode("utf-8"), limit) == json.loads(text)
    else:
        with pytest.raises(boundedjson.JSONDepthError) as info:
            boundedjson.loads(text, limit)
        # the reported bracket opens level limit + 1: the text before it leaves limit open
        before = text[: info.value.pos]
        assert text[info.value.pos] in "[{"
        assert _open_brackets(before) == limit


def _open_brackets(text: str) -> int:
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps(["[[[[{{{{", {"k": '\\"[[['}, [["]]]]"]]])
    assert boundedjson.loads(text, 3) == json.loads(text)
    with pytest.raises(boundedjson.JSONDepthError) as info:
        boundedjson.loads(text, 2)
    assert (info.value.lineno, info.value.colno) == (1, text.index('[["]') + 2)


def test_syntax_errors_are_json_loads_errors() -> None:
    with pytest.raises(json.JSONDecodeError) as info:
        boundedjson.loads('{"a": }')
    assert not isinstance(info.value, boundedjson.JSONDepthError)
    assert (info.value.lineno, info.value.colno) == (1, 7)

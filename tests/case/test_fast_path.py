"""The exact fast path of the case reader (:mod:`detente.case.fast`) against the reference path.

The reference is what every case file went through before: ruamel.yaml's YAML 1.2
round-trip loader, then ``Case.model_validate``, then the consistency checks. The fast path
must give the same :class:`Case` (same field values, exact types and fields set) or
decline; it must decline everything the reference refuses, so that every diagnostic comes
from the reference unchanged. Hypothesis generates documents, scalars and near-valid cases.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from detente.case import loader
from detente.case.fast import fast_case, fast_load
from detente.case.model import Case
from detente.cli import cli
from tests.conftest import ASSETS, REPO
from tests.fuzz.generators import fuzz_inputs

CASE_FILES = sorted(
    p
    for p in [*REPO.glob("examples/**/*.yaml"), *ASSETS.glob("**/*.yaml")]
    if "golden" not in p.parts
)
FLAGSHIP = REPO / "examples" / "istanbul-2025" / "case.yaml"
MINIMAL = ASSETS / "case" / "minimal.yaml"


@contextmanager
def reference_only() -> Iterator[None]:
    """Every read goes the reference way (the fast path declines everything)."""
    with mock.patch.object(loader, "_fast", lambda text: None):
        yield


def state(x: Any) -> Any:
    """Everything that tells two values apart: types, fields set, floats to the bit."""
    if isinstance(x, BaseModel):
        return (
            type(x).__name__,
            sorted(x.model_fields_set),
            {k: state(getattr(x, k)) for k in type(x).model_fields},
        )
    if isinstance(x, dict):
        return (type(x).__name__, [(state(k), state(v)) for k, v in x.items()])
    if isinstance(x, list | tuple):
        return (type(x).__name__, [state(v) for v in x])
    if isinstance(x, float):
        return ("float", type(x).__name__, x.hex() if math.isfinite(x) else repr(x))
    return (type(x).__name__, x)


def plain(x: Any) -> Any:
    """A ruamel round-trip document as the plain data pydantic's validators see in it."""
    if isinstance(x, dict):
        return {plain(k): plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if type(x).__name__ == "ScalarBoolean" or isinstance(x, bool):
        return bool(x)
    for t in (int, float, str):
        if isinstance(x, t):
            return t(x)
    return x


def reference_load(text: str) -> tuple[bool, Any]:
    """(accepted, plain document) by the reference loader."""
    from detente.errors import CaseError

    try:
        return True, plain(loader.load_yaml(text, "t"))
    except CaseError:
        return False, None


# --- YAML: libyaml events against ruamel's YAML 1.2 loader -------------------------------

_TRICKY = st.sampled_from(
    [
        "1",
        "-1",
        "+1",
        "0",
        "-0",
        "00",
        "012",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "-_",  # the resolver says int, ruamel's constructor crashed: a located error now
        "._",  # the same for float
        "1.5",
        "-2.25",
        "1.",
        ".5",
        "-.5",
        "1e3",
        "1.0e3",
        "1E-3",
        ".inf",
        "-.inf",
        ".nan",
        "NaN",
        "inf",
        "true",
        "True",
        "TRUE",
        "tRue",
        "false",
        "yes",
        "no",
        "NO",
        "on",
        "off",
        "y",
        "n",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "",
        "2025-11-06",
        "2025-1-6",
        "2025-11-06T10:00:00",
        "2025-11-06 10:00:00 +01:00",
        "12:30",
        "1:20:30",
        "<<",
        "=",
        "a b",
        "a: b",
        "a #b",
        "#x",
        "- x",
        "-x",
        "x-",
        "%x",
        "@x",
        "`x",
        "&a",
        "*a",
        "!x",
        "a,b",
        "[a]",
        "{a}",
        "'q'",
        '"q"',
        "é",
        "Türkiye",
        "\u2028",
        "\x85",
        "\t",
        "a\tb",
        "\\",
        "a\\nb",
        "\ud83d",
        "\U0001f600",
        "\ufeff",
        "\r",
        " lead",
        "trail ",
        "a\nb",
    ]
)
_SCALAR = st.one_of(
    _TRICKY, st.text(st.sampled_from(list("-+.:_0123456789eExXoOabn ~#'\"")), max_size=6)
)


def _render_scalar(draw: st.DrawFn, s: str) -> str:
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "literal"]))
    if style == "single":
        return "'" + s.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(s, ensure_ascii=draw(st.booleans()))
    if style == "literal" and "\n" not in s:
        return "|\n    " + s
    return s


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """Small YAML documents, block and flow, of tricky scalars in every quoting style."""
    lines = []
    for k in range(draw(st.integers(1, 3))):
        key = draw(
            st.one_of(
                st.just(f"k{k}"),
                st.just(f"k{k}"),
                st.just(f"k{k}"),
                st.sampled_from(["NO", "on", "1", "true", "null", "<<", "'q'", '"k"']),
                _SCALAR,
            )
        )
        shape = draw(st.sampled_from(["scalar", "list", "flow", "map"]))
        if shape == "scalar":
            lines.append(f"{key}: {_render_scalar(draw, draw(_SCALAR))}")
        elif shape == "list":
            lines.append(f"{key}:")
            for _ in range(draw(st.integers(0, 3))):
                lines.append(f"  - {_render_scalar(draw, draw(_SCALAR))}")
        elif shape == "flow":
            items = [json.dumps(draw(_SCALAR)) if draw(st.booleans()) else draw(_SCALAR)]
            lines.append(f"{key}: [{', '.join(items)}]")
        else:
            lines.append(f"{key}:")
            lines.append(f"  a: {_render_scalar(draw, draw(_SCALAR))}")
            lines.append(f"  b: {{x: {draw(_SCALAR)}}}")
    prefix = draw(st.sampled_from(["", "", "", "---\n", "%YAML 1.2\n---\n", "%YAML 1.1\n---\n"]))
    end = draw(st.sampled_from(["\n", "\n", "", "\n...\n", "\n---\nx: 1\n"]))
    return prefix + "\n".join(lines) + end


def check_load(text: str) -> None:
    """The fast loader declines what the reference refuses, and agrees on what it reads."""
    ok, ref = reference_load(text)
    fast = fast_load(text)
    if not ok:
        assert fast is None, text
    elif fast is not None:
        assert state(fast) == state(ref), text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_documents())
def test_fast_load_agrees_with_the_reference_on_tricky_scalars(text: str) -> None:
    check_load(text)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(fuzz_inputs())
def test_fast_load_and_validation_agree_on_mutated_and_generated_cases(inp: Any) -> None:
    if inp.fmt is not None or not inp.name.endswith((".yaml", ".json")):
        return
    check_load(inp.text)
    check_validation(inp.text)


def test_fast_load_reads_the_shipped_cases() -> None:
    for path in (FLAGSHIP, MINIMAL):
        text = path.read_text(encoding="utf-8")
        assert fast_load(text) == reference_load(text)[1]


@pytest.mark.parametrize(
    "text",
    [
        "a: |\n  line1\n  line2\n\n  line4\n",
        "a: |+\n  keep\n\n\nb: 1\n",
        "a: |-\n  strip\n\n",
        "a: >\n  folded\n  text\n\n  para\n    more indented\n  back\n",
        "a: >-\n  x\n   y\n  z\n",
        "a: |2\n    two\n   one\n",
        "a: plain\n  continued\n\n  para\n",
        "a: 'single\n  multi\n\n  line'\n",
        'a: "double\n  multi\n\n  line"\n',
        "a: text with  spaces   \n",
        "- a\n- - b\n  - c\n- {x: [1, {y: z}]}\n",
        '{"a": [1, 2.5, "x", null, true], "b": {"c": "d"}}',
        '{"a":1}',
        "? a\n: b\n",
        "a: 'it''s'\n",
        "a: x:y\nb: [a:b, c]\nc: [a: b]\nd: {b}\n",
        "a: ~\nb:\nc: null\nd: 2025-11-06\ne: 2025-11-06T10:00:00Z\n",
        "a: 1.5\nb: -2\nc: 0\nd: 10.0\ne: NO\nf: on\n",
        'a: "\\"q\\" \\u00e9 \\/ \\\\"\n',
    ],
)
def test_fast_load_reads_block_flow_and_multi_line_scalars_as_the_reference(text: str) -> None:
    fast = fast_load(text)
    assert fast is not None
    assert state(fast) == state(reference_load(text)[1])


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!str 1\n",  # tags
        "%YAML 1.1\n---\na: yes\n",  # a directive (1.1 would read yes as true)
        "a: 1\na: 2\n",  # duplicate key
        "a: 1\n---\nb: 2\n",  # two documents
        "<<: {a: 1}\n",  # merge key
        "a: 0o17\n",  # an integer that is not plain decimal
        "a: 1e3\n",  # a float with an exponent
        'a: "\\x41"\n',  # an escape JSON does not have
        "a:\tb\n",  # a tab
        "a: [1, 2\n",  # a syntax error
        "[" * 100 + "]" * 100,  # deeper than MAX_DEPTH
        "? [a]\n: 1\n",  # a key that is not text
    ],
)
def test_fast_load_declines(text: str) -> None:
    assert fast_load(text) is None


# --- the case: plain checks and model_construct against Case.model_validate -------------------


def check_case_data(data: Any) -> None:
    """fast_case gives exactly the validated case, or declines (always when the models refuse)."""
    try:
        ref: Case | None = Case.model_validate(data)
    except ValidationError:
        ref = None
    fast = fast_case(data)
    if ref is None:
        assert fast is None
    elif fast is not None:
        assert state(fast) == state(ref)
        assert fast.model_dump() == ref.model_dump()
        assert fast.model_dump(exclude_unset=True) == ref.model_dump(exclude_unset=True)


def _paths(x: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, (*prefix, i))


_VALUES = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            1,
            -1,
            2,
            10**20,
            2**53,
            2**53 + 1,
            0.5,
            -0.0,
            1.5,
            100.0,
            101.0,
            math.inf,
            -math.inf,
            math.nan,
            "",
            "x",
            "0.5",
            "1",
            "NO",
            "a b",
            "A" * 65,
            "2025-11-06",
            "2025-13-45",
            "2025-11-06T00:00:00",
            "state",
            "party",
            "mediator",
            "news",
            "pert",
            "uniform",
            "bogus",
            [],
            [0.1, 0.9],
            [0.9, 0.1],
            [0, 1, 2],
            ["a", "b"],
            {},
            {"value": 0.5},
            {"value": 0.5, "range": [0.2, 0.7]},
            {"value": "x"},
            {"value": 2, "range": [1, 3]},
            {"min": 0, "max": 10},
            {"min": 10, "max": 0},
            {"smp": {"seed": 1, "voting_rule": "PropCbc", "q": 1.5, "on": True}},
            {"smp": {"q": math.inf}},
            {"bad id": {"q": 1}},
        ]
    ),
    st.floats(-5, 150),
    st.integers(-3, 120),
    st.text(max_size=4),
)


@st.composite
def near_valid_cases(draw: st.DrawFn) -> Any:
    """A shipped case with a few edits: values replaced, keys dropped or added."""
    base = reference_load(draw(st.sampled_from([FLAGSHIP, MINIMAL])).read_text("utf-8"))[1]
    data = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["nudge", "nudge", "set", "set", "drop", "add"]))
        target = parent[path[-1]]
        if action == "nudge" and type(target) in (int, float):
            # a number moved a little: past a range, a bound or a scale end, or not
            step = draw(st.sampled_from([-1.0, -0.05, 0.05, 1.0, 5.0, 100.0]))
            parent[path[-1]] = target + step if draw(st.booleans()) else target * -1
        elif action in ("set", "nudge"):
            parent[path[-1]] = copy.deepcopy(draw(_VALUES))
        elif action == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            key = draw(
                st.sampled_from(
                    ["extra", "range", "source", "kind", "trust", "value", "model_params"]
                )
            )
            parent[key] = copy.deepcopy(draw(_VALUES))
    return data


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid_cases())
def test_fast_case_equals_the_models_or_declines(data: Any) -> None:
    check_case_data(data)


def test_fast_case_accepts_the_shipped_cases() -> None:
    for path in (FLAGSHIP, MINIMAL):
        data = reference_load(path.read_text("utf-8"))[1]
        fast = fast_case(data)
        assert fast is not None
        assert state(fast) == state(Case.model_validate(data))


# --- the whole reader and the command line, with and without the fast path -------------------


def check_validation(text: str) -> None:
    """validate_case_text gives the same case and the same diagnostics either way."""
    fast_case_, fast_diags = loader.validate_case_text(text, "f.yaml")
    with reference_only():
        ref_case, ref_diags = loader.validate_case_text(text, "f.yaml")
    assert [d.render() for d in fast_diags] == [d.render() for d in ref_diags]
    assert state(fast_case_) == state(ref_case)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_yaml_reads_the_same_with_and_without_the_fast_path(path: Path) -> None:
    check_validation(path.read_text(encoding="utf-8"))


def test_the_fast_path_is_taken_for_the_flagship_case() -> None:
    assert loader._fast(FLAGSHIP.read_text(encoding="utf-8")) is not None
    assert loader._fast(MINIMAL.read_text(encoding="utf-8")) is not None


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["forecast"],
        ["forecast", "--format", "json", "--trajectory", "-m", "smp", "-m", "bdm"],
        ["convert", "--to", "json"],
    ],
)
@pytest.mark.parametrize("path", [FLAGSHIP, MINIMAL], ids=["flagship", "minimal"])
def test_command_output_is_byte_identical_with_and_without_the_fast_path(
    args: list[str], path: Path
) -> None:
    runner = CliRunner()
    argv = [args[0], str(path), *args[1:]]
    fast = runner.invoke(cli, argv)
    with reference_only():
        ref = runner.invoke(cli, argv)
    assert fast.exit_code == ref.exit_code
    assert fast.output == ref.output


def test_forecast_builds_no_pydantic_validator_and_reads_yaml_without_ruamel() -> None:
    code = (
        "import sys\n"
        "from detente.cli import main\n"
        f"sys.argv = ['detente', 'forecast', {str(FLAGSHIP)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('ruamel.yaml', 'pydantic.plugin._loader', 'detente.forecast.smp')"
        " if m in sys.modules]\n"
        "print('LOADED', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED []" in out.stdout


@pytest.mark.parametrize(
    "params",
    [
        {"smp": {"seed": 1, "voting_rule": "PropCbc", "q": 1.5, "on": True}},
        {"smp": {"q": math.inf}},
        {"smp": {"q": None}},
        {"smp": {"q": [1]}},
        {"bad id": {"q": 1}},
        {"smp": []},
        [],
    ],
)
def test_fast_case_reads_model_params_as_the_models_do(params: Any) -> None:
    data = reference_load(MINIMAL.read_text("utf-8"))[1]
    data["model_params"] = params
    check_case_data(data)
    if params == {"smp": {"seed": 1, "voting_rule": "PropCbc", "q": 1.5, "on": True}}:
        assert fast_case(data) is not None


def test_without_libyaml_the_fast_path_declines_and_the_reference_reads_the_case() -> None:
    """PyYAML built without its C extension: every read goes the reference way, same case."""
    text = FLAGSHIP.read_text(encoding="utf-8")
    with mock.patch.dict(sys.modules, {"yaml._yaml": None}):  # import fails as if absent
        assert fast_load(text) is None
        case, diags = loader.validate_case_text(text, "f.yaml")
    with reference_only():
        ref_case, ref_diags = loader.validate_case_text(text, "f.yaml")
    assert [d.render() for d in diags] == [d.render() for d in ref_diags]
    assert state(case) == state(ref_case)


@pytest.mark.parametrize("scalar", ["-_", "+_", "._", "-._"])
def test_a_plain_scalar_that_resolves_as_a_number_but_is_none_is_a_located_error(
    scalar: str, tmp_path: Path
) -> None:
    """ruamel.yaml's YAML 1.2 resolver takes these for numbers and its constructor crashed
    on them (IndexError, ValueError): the reference path must refuse them with the line."""
    f = tmp_path / "c.yaml"
    f.write_text(f"case:\n  id: x\n  title: {scalar}\n", encoding="utf-8")
    assert fast_load(f.read_text(encoding="utf-8")) is None
    r = CliRunner().invoke(cli, ["validate", str(f)])
    assert r.exit_code == 2, r.output
    assert "internal error" not in r.output
    assert "c.yaml:3:10: error[yaml-syntax]" in r.output and repr(scalar) in r.output


def test_an_integer_of_more_digits_than_python_reads_is_a_located_error(tmp_path: Path) -> None:
    """int() refuses more than 4,300 digits (ValueError): a located error, the value cut."""
    f = tmp_path / "c.yaml"
    text = (REPO / "examples" / "istanbul-2025" / "case.yaml").read_text(encoding="utf-8")
    f.write_text(text.replace("      value: 25\n", "      value: " + "9" * 5000 + "\n", 1), "utf-8")
    r = CliRunner().invoke(cli, ["validate", str(f)])
    assert r.exit_code == 2, r.output
    assert "internal error" not in r.output
    assert "c.yaml:155:14: error[yaml-syntax]" in r.output
    assert "'99999999999999999999...9999999999 (5000 chars)': a number of more than" in r.output
    assert len(r.output) < 1000

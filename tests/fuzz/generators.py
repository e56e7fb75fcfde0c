"""Hypothesis generators of malformed inputs for every reader, and of model options.

Each input starts from a real, valid file of one format (a YAML/JSON case, a tidy CSV
table, KTAB CSV and XML scenarios, a BDM table, DEU III rows) and is broken by a few
mutations chosen to hit what readers get wrong: hostile numbers (``nan``, ``.inf``,
``1e999``), structure characters (quotes, brackets, separators, anchors and aliases,
XML entities), line-ending changes (CR only), deleted, duplicated and truncated spans,
very long fields and deep nesting. Generated structured cases (random values in the
case schema's shape) complement the byte-level mutations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from tests.conftest import ASSETS, DATA, REPO

__all__ = ["FuzzInput", "fuzz_inputs", "model_options"]


@dataclass(frozen=True)
class FuzzInput:
    """One generated file: its name (the extension steers format detection) and text."""

    name: str
    text: str
    fmt: str | None = None  # passed as --from when set


def _deu_sample() -> str:
    lines = (DATA / "deu3" / "deu3-public.csv").read_text(encoding="utf-8").splitlines()
    return "\n".join(lines[:4]) + "\n"


def _seeds() -> list[FuzzInput]:
    minimal = (ASSETS / "case" / "minimal.yaml").read_text(encoding="utf-8")
    istanbul = (REPO / "examples" / "istanbul-2025" / "case.yaml").read_text(encoding="utf-8")
    from detente.case.formats import read_cases, write_case

    case = read_cases(ASSETS / "case" / "minimal.yaml")[0]
    return [
        FuzzInput("case.yaml", minimal),
        FuzzInput("istanbul.yaml", istanbul),
        FuzzInput("case.json", write_case(case, "json")),
        FuzzInput("table.csv", write_case(case, "csv")),
        FuzzInput("scenario.csv", (ASSETS / "ktab" / "dummyData_3Dim.csv").read_text()),
        FuzzInput("scenario.xml", (ASSETS / "ktab" / "smpExample.xml").read_text()),
        FuzzInput("bdm.csv", (DATA / "bdm" / "bdm1994-eu-emissions.csv").read_text()),
        FuzzInput("deu.csv", _deu_sample(), "deu3"),
    ]


SEEDS: list[FuzzInput] = []


def seeds() -> list[FuzzInput]:
    """The valid files mutations start from (read once)."""
    if not SEEDS:
        SEEDS.extend(_seeds())
    return SEEDS


HOSTILE = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    ".inf",
    "-.inf",
    ".nan",
    "1e999",
    "-1e309",
    "1e-400",
    "0x10",
    "1_000",
    "",
    " ",
    '"',
    "'",
    ",",
    ",,",
    ";",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\x00",
    "\ufeff",
    "\u2028",
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "&a ",
    "*a",
    "!!python/object:os.system",
    "<<: *a",
    "? ",
    "#",
    "<",
    ">",
    "</",
    "<![CDATA[",
    '<!DOCTYPE x [<!ENTITY e "ee">]>',
    "&e;",
    "&amp;",
    "-1",
    "101",
    "1e6",
    "9" * 40,
    "NO",
    "true",
    "null",
    "~",
    "2025-13-45",
    "é",
    "\u202e",
]

_chars = st.sampled_from(list(",;:\t\r\n\"'{}[]&*!#<>/=-.0123456789 aeNIx"))
_snippet = st.one_of(st.sampled_from(HOSTILE), st.text(_chars, min_size=1, max_size=12))


@st.composite
def _mutated(draw: st.DrawFn) -> FuzzInput:
    # The Istanbul case is the richest seed (sources, ranges, anchors, rounds) and the
    # slowest to parse and model: draw it in about one mutation in sixteen.
    cheap = [s for s in seeds() if s.name != "istanbul.yaml"]
    seed = draw(st.one_of(st.sampled_from(cheap), st.sampled_from(seeds())))
    text = seed.text
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        at = draw(st.integers(0, n))
        kind = draw(
            st.sampled_from(
                ["insert", "replace", "delete", "duplicate", "truncate", "cr", "swap", "nest"]
            )
        )
        if kind == "insert":
            text = text[:at] + draw(_snippet) + text[at:]
        elif kind == "replace":
            end = min(n, at + draw(st.integers(1, 8)))
            text = text[:at] + draw(_snippet) + text[end:]
        elif kind == "delete":
            end = min(n, at + draw(st.integers(1, 40)))
            text = text[:at] + text[end:]
        elif kind == "duplicate":
            end = min(n, at + draw(st.integers(1, 200)))
            text = text[:end] + text[at:end] * draw(st.integers(1, 20)) + text[end:]
        elif kind == "truncate":
            text = text[:at]
        elif kind == "cr":
            text = text.replace("\r\n", "\n").replace("\n", "\r")
        elif kind == "swap":
            lines = text.split("\n")
            if len(lines) > 2:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:  # nest: deep brackets (YAML/JSON flow) or elements (XML)
            depth = draw(st.integers(10, 5000))
            opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("<x>", "</x>")]))
            text = text[:at] + opener * depth + closer * depth + text[at:]
    return FuzzInput(seed.name, text, seed.fmt)


_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.sampled_from(["nan", "inf", "x", "", "1e999"]),
)
_value = st.one_of(_number, st.none(), st.booleans(), st.text(max_size=8))


@st.composite
def _structured(draw: st.DrawFn) -> FuzzInput:
    """A case-shaped document with random values (empty sections, odd types, NaN)."""
    n_actors = draw(st.integers(0, 4))
    n_issues = draw(st.integers(0, 3))
    ids = st.one_of(st.sampled_from(["a", "b", "c", "x", "y"]), st.text(max_size=6))
    actors = [
        {
            "id": draw(ids),
            "name": draw(st.text(max_size=6)),
            "capability": draw(st.one_of(_number, st.fixed_dictionaries({"value": _number}))),
        }
        for _ in range(n_actors)
    ]
    issues = [
        {
            "id": draw(ids),
            "question": "q",
            "scale": draw(
                st.one_of(st.none(), st.fixed_dictionaries({"min": _number, "max": _number}))
            ),
            "status_quo": draw(st.one_of(st.none(), _number)),
        }
        for _ in range(n_issues)
    ]
    positions = [
        {
            "actor": draw(ids),
            "issue": draw(ids),
            "position": draw(st.one_of(st.none(), _number)),
            "salience": draw(_value),
        }
        for _ in range(draw(st.integers(0, 6)))
    ]
    doc = {
        "case": {"id": "fuzz", "title": "fuzz", "require_sources": False},
        "actors": actors,
        "issues": [{k: v for k, v in i.items() if v is not None} for i in issues],
        "positions": [{k: v for k, v in p.items() if v is not None} for p in positions],
    }
    if draw(st.booleans()):
        doc["model_params"] = {
            draw(st.sampled_from(["smp", "bdm", "nash", "smpp"])): {
                draw(st.sampled_from(["max_turns", "voting_rule", "seed", "zz"])): draw(_value)
            }
        }
    text = json.dumps(doc, allow_nan=True)  # NaN and Infinity as JSON extensions
    return FuzzInput("gen.json" if draw(st.booleans()) else "gen.yaml", text)


def fuzz_inputs() -> st.SearchStrategy[FuzzInput]:
    """Malformed inputs for every reader: mutated real files and generated cases."""
    return st.one_of(_mutated(), _mutated(), _mutated(), _structured())


# Broken values, and valid ones a user may give. Not generated: values that are valid
# and merely slow (``smp.max_turns=1e9`` runs a billion turns as asked); bounding
# iteration counts belongs to each model's parameter declarations.
_PARAM_VALUES = st.one_of(
    st.sampled_from(['"x"', "abc", "NaN", "Infinity", "-1", "0", "-0.5", "true", "[]", "{}"]),
    st.integers(-5, 300).map(str),
    st.floats(-1000, 1000, allow_nan=False).map(repr),
)
_PARAMS = {
    "smp": ["max_turns", "min_turns", "voting_rule", "seed", "stop_ratio", "pce"],
    "bdm": ["rounds", "q", "t"],
    "deu-compromise": ["gamma", "mix", "level"],
    "nash": ["utility"],
    "bmd": ["q"],
    "compromise": ["x"],
}


@st.composite
def model_options(draw: st.DrawFn) -> list[str]:
    """``forecast`` options: models (some unknown) and ``-p`` parameters (some broken)."""
    args: list[str] = []
    models = draw(
        st.lists(
            st.sampled_from(["compromise", "median", "nash", "deu-compromise", "smp", "bdm", "x"]),
            max_size=2,
        )
    )
    for m in models:
        args += ["-m", m]
    for _ in range(draw(st.integers(0, 2))):
        model = draw(st.sampled_from(sorted(_PARAMS)))
        name = draw(st.sampled_from(_PARAMS[model]))
        args += ["-p", f"{model}.{name}={draw(_PARAM_VALUES)}"]
    if draw(st.booleans()):
        args += ["--rounds", draw(st.sampled_from(["1", "3", "0", "-2", "x"]))]
    return args


def write(tmp: Path, item: FuzzInput) -> Path:
    """Write the input as UTF-8 (surrogates from generated text are replaced)."""
    path = tmp / item.name
    path.write_bytes(item.text.encode("utf-8", "replace"))
    return path

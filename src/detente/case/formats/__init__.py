"""Readers and writers for case files and the import formats detente understands.

| format      | read | write | module          |
|-------------|------|-------|-----------------|
| yaml        | yes  | yes   | :mod:`.native`  |
| json        | yes  | yes   | :mod:`.native`  |
| csv         | yes  | yes   | :mod:`.table`   (detente's tidy table, one row per actor x issue) |
| ktab-csv    | yes  | yes   | :mod:`.ktab_csv` |
| ktab-xml    | yes  | yes   | :mod:`.ktab_xml` |
| bdm-csv     | yes  | yes   | :mod:`.bdm`     |
| deu3        | yes  | no    | :mod:`.deu`     (each DEU III issue becomes a case) |
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from detente.case.formats._text import split_lines
from detente.case.formats.bdm import header_roles
from detente.case.limits import read_input
from detente.case.model import Case
from detente.errors import CaseError, Diagnostic

__all__ = ["FORMATS", "detect_format", "read_any", "read_cases", "write_case"]

FORMATS = ("yaml", "json", "csv", "ktab-csv", "ktab-xml", "bdm-csv", "deu3")


def _read_text(path: Path) -> str:
    return read_input(path, "case file")


def _first_fields(line: str) -> list[str]:
    import csv  # only for a first line with commas: not for a YAML case

    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return []


def detect_format(path: Path, text: str) -> str:
    """Guess a file's format from its extension and first lines."""
    suffix = path.suffix.lower()
    head = text.lstrip()[:4000]
    lines = [ln for ln in split_lines(head) if ln.strip()]
    first = lines[0] if lines else ""
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".xml" or head.startswith("<?xml") or head.startswith("<Scenario"):
        return "ktab-xml"
    if "\t" in first and ("prnr" in first or '"pcom"' in first or "pcom" in first):
        return "deu3"
    norm = first.replace(" ", "").lower()
    if norm.startswith("actor,issue,"):
        return "csv"
    if "," in first and header_roles(_first_fields(first)) is not None:
        return "bdm-csv"
    if suffix in (".csv", ".tsv", ".txt"):
        second = lines[1].replace(" ", "").lower() if len(lines) > 1 else ""
        if second.startswith("actor,description,"):
            return "ktab-csv"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return "yaml"


_READERS: dict[str, tuple[str, str]] = {
    "yaml": ("native", "read_yaml"),
    "json": ("native", "read_yaml"),
    "csv": ("table", "read_table"),
    "ktab-csv": ("ktab_csv", "read_ktab_csv"),
    "ktab-xml": ("ktab_xml", "read_ktab_xml"),
    "bdm-csv": ("bdm", "read_bdm"),
    "deu3": ("deu", "read_deu"),
}
_WRITERS: dict[str, tuple[str, str]] = {
    "yaml": ("native", "write_yaml"),
    "json": ("native", "write_json"),
    "csv": ("table", "write_table"),
    "ktab-csv": ("ktab_csv", "write_ktab_csv"),
    "ktab-xml": ("ktab_xml", "write_ktab_xml"),
    "bdm-csv": ("bdm", "write_bdm"),
}


def _function(table: dict[str, tuple[str, str]], fmt: str) -> Callable[..., Any]:
    module, name = table[fmt]
    return getattr(importlib.import_module(f"detente.case.formats.{module}"), name)  # type: ignore[no-any-return]


def read_cases(
    path: str | Path, fmt: str | None = None, warnings: list[Diagnostic] | None = None
) -> list[Case]:
    """Read every case in a file (a DEU III file holds one case per issue).

    Every reader takes the same path: the file is read through
    :func:`detente.case.limits.read_input` (size limit, binary files named), parsed by
    the format's reader, and every problem is raised as one :class:`CaseError` with
    located diagnostics.

    Args:
        path: The file.
        fmt: One of :data:`FORMATS`; detected from extension and content when ``None``.
        warnings: Receives the warnings of the read (what was ignored, and why).

    Raises:
        CaseError: With located diagnostics when the file is malformed.
    """
    p = Path(path)
    text = _read_text(p)
    fmt = fmt or detect_format(p, text)
    if fmt not in _READERS:
        raise CaseError(f"unknown format '{fmt}'; expected one of {', '.join(FORMATS)}")
    sink: list[Diagnostic] = [] if warnings is None else warnings
    cases: list[Case] = _function(_READERS, fmt)(text, str(p), sink)
    if not cases:
        raise CaseError(
            f"{p}: holds no case",
            [
                Diagnostic(
                    "the file holds no case",
                    str(p),
                    expected="at least one case (a DEU III file: one issue row)",
                    code="empty-case",
                )
            ],
        )
    return cases


def read_any(
    path: str | Path, fmt: str | None = None, warnings: list[Diagnostic] | None = None
) -> Case:
    """Read exactly one case from a file in any supported format.

    Raises:
        CaseError: If the file holds no case or several (then use :func:`read_cases`).
    """
    cases = read_cases(path, fmt, warnings)
    if len(cases) != 1:
        raise CaseError(
            f"{path}: holds {len(cases)} cases; pick one with --case ID (see `detente cases FILE`)"
        )
    return cases[0]


def write_case(case: Case, fmt: str) -> str:
    """Serialise a case to text in ``fmt`` (yaml, json, csv, ktab-csv, ktab-xml, bdm-csv)."""
    if fmt not in _WRITERS:
        raise CaseError(f"cannot write format '{fmt}'; expected one of {', '.join(_WRITERS)}")
    text: str = _function(_WRITERS, fmt)(case)
    return text

"""Text rules shared by every import reader: line endings, CSV records, numbers.

One rule in one place: each reader splits lines, reads CSV records and parses and writes
numbers through these helpers, so that a file with old-Mac CR line endings, a field
above the CSV module's size limit or a non-finite number behaves the same everywhere.
"""

from __future__ import annotations

import csv
import io
import math

from detente.errors import CaseError, Diagnostic

__all__ = ["csv_records", "format_number", "parse_finite", "split_lines"]


def split_lines(text: str) -> list[str]:
    r"""The lines of ``text``; CR LF, LF and a lone CR (old Mac files) each end a line.

    ``str.splitlines`` would also split on form feeds, ``\\x1c``-``\\x1e``, NEL and the
    Unicode line separators, which are data in a CSV cell, not line ends.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def csv_records(text: str, file: str, *, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """CSV records with the 1-based line each starts on (quoted fields may span lines).

    Raises:
        CaseError: Where the CSV module gives up (a field above its size limit, a quote
            left open at the end of the file), located at the line.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            out.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CaseError(
            f"{file}: malformed CSV",
            [
                Diagnostic(
                    f"cannot read this CSV record: {exc}",
                    file,
                    reader.line_num or start,
                    1,
                    expected="comma-separated fields, quotes closed on the same record",
                    hint="check for an unclosed quote or a field that runs to the end",
                    code="csv-syntax",
                )
            ],
        ) from None
    return out


def parse_finite(text: str) -> float | None:
    """``text`` as a finite float, else ``None`` (not a number, NaN or infinite)."""
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def format_number(x: float) -> str:
    """The shortest decimal text that reads back as exactly ``x`` (integers without ``.0``)."""
    if x == 0:
        return "0"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))

"""Bounds on what detente reads: input size, nesting depth, YAML alias expansion.

A hostile or broken file must give an error at once, never a hang or a machine out of
memory (``/dev/zero`` as a case file, a YAML "billion laughs" alias bomb, 100,000 nested
brackets). Every reader goes through :func:`read_input`, which stops reading at the size
limit, and the YAML reader applies :data:`MAX_DEPTH` and :func:`max_alias_nodes`.
``docs/case-format.md`` ("Limits") documents the bounds and how to change them.
"""

from __future__ import annotations

from pathlib import Path

from detente.boundedjson import MAX_DEPTH
from detente.errors import CaseError, Diagnostic
from detente.inputs import (
    DEFAULT_MAX_INPUT_BYTES,
    INPUT_LIMIT_ENV,
    decode_utf8,
    max_input_bytes,
    read_bounded,
    sniff_binary,
)

__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "decode_input",
    "decode_utf8",
    "max_input_bytes",
    "read_input",
    "sniff_binary",
]


MAX_ALIAS_NODES = 100_000
"""Nodes that YAML aliases may add when expanded, beyond the document's own nodes.

Anchors and aliases (``&src`` ... ``*src``) are legitimate YAML; an alias bomb nests them
so that a few hundred bytes expand to billions of nodes. The expansion is counted while
the document is composed and refused past ``max(MAX_ALIAS_NODES, nodes in the file)``.
"""


def decode_input(raw: bytes, file: str) -> str:
    """Decode a file's bytes as UTF-8 (BOM allowed), refusing binary files by name.

    Raises:
        CaseError: For a binary file (named: Excel workbook, PDF, ...) or text that is
            not UTF-8 (with the line of the first bad byte).
    """
    known = sniff_binary(raw)
    if known is not None:
        what, hint = known
        raise CaseError(
            f"{file}: {what}, not a case file",
            [
                Diagnostic(
                    f"this is {what}",
                    file,
                    1,
                    1,
                    expected="a text file: YAML/JSON case, CSV table, KTAB CSV/XML, DEU III",
                    hint=hint,
                    code="binary-file",
                )
            ],
        )
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        raise CaseError(
            f"{file}: UTF-16 text",
            [
                Diagnostic(
                    "the file is UTF-16 encoded",
                    file,
                    1,
                    1,
                    expected="a UTF-8 text file",
                    hint="re-save the file as UTF-8 (spreadsheets: 'CSV UTF-8')",
                    code="encoding",
                )
            ],
        )
    return decode_utf8(raw, file)


def read_input(path: str | Path, what: str = "file") -> str:
    """Read a text input, never more than :func:`max_input_bytes` (+1 to detect excess).

    Works on pipes and devices (``/dev/stdin``, ``/dev/zero``): the size is established
    by reading, not by ``stat``, so an endless stream stops at the limit.

    Raises:
        CaseError: Missing or unreadable file, a file above the limit, a binary file,
            text that is not UTF-8.
    """
    p = Path(path)
    limit = max_input_bytes()
    raw = read_bounded(
        p,
        limit,
        what,
        hint=f"raise the limit with {INPUT_LIMIT_ENV}=BYTES if the file is genuine",
        stop_at_nul=False,  # decode_input names the binary file (an Excel workbook, ...)
    )
    return decode_input(raw, str(p))

"""Bounds on what detente reads: input size, nesting depth, YAML alias expansion.

A hostile or broken file must give an error at once, never a hang or a machine out of
memory (``/dev/zero`` as a case file, a YAML "billion laughs" alias bomb, 100,000 nested
brackets). Every reader goes through :func:`read_input`, which stops reading at the size
limit, and the YAML reader applies :data:`MAX_DEPTH` and :func:`max_alias_nodes`.
``docs/case-format.md`` ("Limits") documents the bounds and how to change them.
"""

from __future__ import annotations

import os
from pathlib import Path

from detente.boundedjson import MAX_DEPTH
from detente.errors import CaseError, Diagnostic

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

DEFAULT_MAX_INPUT_BYTES = 8 * 1024 * 1024
"""Largest input file read by default (8 MiB); ``DETENTE_MAX_INPUT_BYTES`` changes it.

The largest real case shipped (the DEU III public part) is 52 KB; an 8 MiB case holds
tens of thousands of positions and still validates in bounded time.
"""


MAX_ALIAS_NODES = 100_000
"""Nodes that YAML aliases may add when expanded, beyond the document's own nodes.

Anchors and aliases (``&src`` ... ``*src``) are legitimate YAML; an alias bomb nests them
so that a few hundred bytes expand to billions of nodes. The expansion is counted while
the document is composed and refused past ``max(MAX_ALIAS_NODES, nodes in the file)``.
"""

_ENV = "DETENTE_MAX_INPUT_BYTES"


def max_input_bytes() -> int:
    """The input size limit in bytes: ``$DETENTE_MAX_INPUT_BYTES`` or the default.

    Raises:
        CaseError: If the variable is set to something other than a positive integer.
    """
    raw = os.environ.get(_ENV)
    if raw is None or raw.strip() == "":
        return DEFAULT_MAX_INPUT_BYTES
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise CaseError(
            f"{_ENV}={raw!r} is not a positive whole number of bytes",
            [
                Diagnostic(
                    f"{_ENV} must be a positive integer, got {raw!r}",
                    _ENV,
                    expected="a number of bytes such as 16777216",
                    hint=f"unset it to use the default ({DEFAULT_MAX_INPUT_BYTES} bytes)",
                    code="bad-limit",
                )
            ],
        )
    return value


# Magic numbers of the files people most often pass by mistake, checked before decoding
# so that the message names what the file is instead of "byte 0x.. is not UTF-8".
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (.xls) or another OLE2 compound document",
        "open it in a spreadsheet and save each sheet as CSV (UTF-8)",
    ),
    (b"%PDF-", "a PDF document", "detente reads text files: YAML, JSON, CSV, KTAB, DEU III"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first (gunzip FILE)"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV"),
)


def sniff_binary(raw: bytes) -> tuple[str, str] | None:
    """``(what the file is, what to do)`` for a binary file, else ``None``."""
    for magic, what, hint in _MAGIC:
        if raw.startswith(magic):
            return what, hint
    if raw.startswith(b"PK\x03\x04"):
        head = raw[:4096]
        if b"xl/" in head or b"[Content_Types].xml" in head:
            return (
                "an Excel workbook (.xlsx, a ZIP archive of XML sheets)",
                "open it in a spreadsheet and save each sheet as CSV (UTF-8)",
            )
        if b"content.xml" in head or b"opendocument" in head:
            return (
                "an OpenDocument spreadsheet (.ods)",
                "open it in a spreadsheet and save each sheet as CSV (UTF-8)",
            )
        return "a ZIP archive", "unpack it and pass one of the files inside"
    nul = raw.find(b"\x00")
    if nul >= 0 and not (raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff")):
        return f"a binary file (a NUL byte at offset {nul})", "pass a text file"
    return None


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


def decode_utf8(raw: bytes, file: str, code: str = "encoding") -> str:
    """Decode UTF-8 text (a BOM allowed); otherwise a :class:`CaseError` at the first bad byte.

    Raises:
        CaseError: locating the first byte that is not UTF-8 (line and column), with
            diagnostic ``code``.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CaseError(
            f"{file}: not UTF-8 text",
            [
                Diagnostic(
                    f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                    file,
                    line,
                    col,
                    expected="a UTF-8 text file",
                    hint="re-save the file as UTF-8",
                    code=code,
                )
            ],
        ) from None


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
    try:
        with p.open("rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise CaseError(
            f"{p}: no such file",
            [Diagnostic("file not found", str(p), hint="check the path", code="no-file")],
        ) from None
    except IsADirectoryError:
        raise CaseError(
            f"{p}: is a directory",
            [Diagnostic(f"expected a {what}, got a directory", str(p), code="no-file")],
        ) from None
    except OSError as exc:
        raise CaseError(
            f"{p}: cannot read ({exc.strerror})",
            [Diagnostic(f"cannot read: {exc.strerror}", str(p), code="unreadable")],
        ) from None
    if len(raw) > limit:
        raise CaseError(
            f"{p}: larger than the input limit of {limit} bytes",
            [
                Diagnostic(
                    f"the {what} is larger than {limit} bytes",
                    str(p),
                    expected=f"at most {limit} bytes",
                    hint=f"raise the limit with {_ENV}=BYTES if the file is genuine",
                    code="too-large",
                )
            ],
        )
    return decode_input(raw, str(p))

"""Reading a user's file in bounded memory and time, whatever the file is.

A path may name a device or a pipe (``/dev/zero``, ``/dev/stdin``) whose size ``stat``
reports as 0, or a file of any size: :func:`read_bounded` reads at most the limit (+1 byte
to detect excess) in chunks, and stops at the first NUL byte, which no text format detente
reads may hold (JSON, YAML, CSV), so ``/dev/zero`` is refused after one chunk. Before this
module, statements, metrics, events, commitment drafts and receipts were read with
``Path.read_bytes()``: ``/dev/zero`` ran the machine out of memory.

The case reader's own limit (:func:`max_input_bytes`, ``DETENTE_MAX_INPUT_BYTES``) lives here
too, so that readers outside :mod:`detente.case` use it without importing the case models.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from detente.errors import CaseError, DetenteError, Diagnostic

__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "INPUT_LIMIT_ENV",
    "decode_utf8",
    "max_input_bytes",
    "check_regular_file",
    "read_bounded",
    "sniff_binary",
]

DEFAULT_MAX_INPUT_BYTES = 8 * 1024 * 1024
"""Largest input file read by default (8 MiB); ``DETENTE_MAX_INPUT_BYTES`` changes it.

The largest real case shipped (the DEU III public part) is 52 KB; an 8 MiB case holds
tens of thousands of positions and still validates in bounded time.
"""


INPUT_LIMIT_ENV = "DETENTE_MAX_INPUT_BYTES"
"""The environment variable that changes :data:`DEFAULT_MAX_INPUT_BYTES`."""


def max_input_bytes() -> int:
    """The input size limit in bytes: ``$DETENTE_MAX_INPUT_BYTES`` or the default.

    Raises:
        CaseError: If the variable is set to something other than a positive integer.
    """
    raw = os.environ.get(INPUT_LIMIT_ENV)
    if raw is None or raw.strip() == "":
        return DEFAULT_MAX_INPUT_BYTES
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise CaseError(
            f"{INPUT_LIMIT_ENV}={raw!r} is not a positive whole number of bytes",
            [
                Diagnostic(
                    f"{INPUT_LIMIT_ENV} must be a positive integer, got {raw!r}",
                    INPUT_LIMIT_ENV,
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


_CHUNK = 1 << 20


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def read_bounded(
    path: str | Path,
    limit: int,
    what: str = "file",
    *,
    hint: str | None = None,
    stop_at_nul: bool = True,
    error: type[DetenteError] = CaseError,
) -> bytes:
    """The bytes of ``path``, read in chunks and never more than ``limit`` (+1 to detect it).

    Args:
        path: A file, a pipe or a device.
        limit: The largest size accepted, in bytes.
        what: What the file is, for the messages ("statements file", "receipt").
        hint: What to do about a file over the limit.
        stop_at_nul: Refuse at the first NUL byte (unless the data starts with a UTF-16
            byte order mark; the decoder then says it is UTF-16), naming the file's kind
            when its magic number is known (:func:`sniff_binary`).
        error: The error class raised (the ledger's commands raise VerificationError).

    Raises:
        DetenteError: of class ``error``: a missing or unreadable file (``no-file``,
            ``unreadable``), one over the limit (``too-large``), a binary one
            (``binary-file``).
    """
    p = Path(path)
    parts: list[bytes] = []
    total = 0
    try:
        with p.open("rb") as fh:
            st = os.fstat(fh.fileno())
            # A regular file within the limit is read in one call (one buffer, not the
            # chunks and their join: a 180 MB file would be held twice); anything else,
            # a device, a pipe or a larger file, chunk by chunk up to the limit.
            step = limit + 1 if stat.S_ISREG(st.st_mode) and st.st_size <= limit else _CHUNK
            while total <= limit:
                chunk = fh.read(min(step, limit + 1 - total))
                if not chunk:
                    break
                parts.append(chunk)
                total += len(chunk)
                if stop_at_nul and b"\x00" in chunk:
                    head = b"".join(parts)
                    if not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
                        kind, todo = sniff_binary(head) or ("a binary file", "pass a text file")
                        raise error(
                            f"{p}: {kind}, not a text {what}",
                            [
                                Diagnostic(
                                    f"this is {kind}", str(p), 1, 1, hint=todo, code="binary-file"
                                )
                            ],
                        )
    except OSError as exc:
        raise _os_error(p, exc, what, error) from None
    if total > limit:
        raise _too_large(p, f"the {what} is larger than {limit} bytes", limit, hint, error)
    return b"".join(parts)


def _os_error(p: Path, exc: OSError, what: str, error: type[DetenteError]) -> DetenteError:
    if isinstance(exc, FileNotFoundError):
        diag = Diagnostic("file not found", str(p), hint="check the path", code="no-file")
        return error(f"{p}: no such file", [diag])
    if isinstance(exc, IsADirectoryError):
        diag = Diagnostic(f"expected {_a(what)}, got a directory", str(p), code="no-file")
        return error(f"{p}: is a directory", [diag])
    diag = Diagnostic(f"cannot read: {exc.strerror}", str(p), code="unreadable")
    return error(f"{p}: cannot read ({exc.strerror})", [diag])


def _too_large(
    p: Path, message: str, limit: int, hint: str | None, error: type[DetenteError]
) -> DetenteError:
    diag = Diagnostic(
        message, str(p), expected=f"at most {limit} bytes", hint=hint, code="too-large"
    )
    return error(f"{p}: larger than the input limit of {limit} bytes", [diag])


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


def check_regular_file(
    path: str | Path,
    limit: int,
    what: str = "file",
    *,
    hint: str | None = None,
    error: type[DetenteError] = CaseError,
) -> int:
    """The size of ``path``, a regular file of at most ``limit`` bytes, for readers that stream.

    A reader that reads a file line by line, or twice (a fast path, then the exact one),
    cannot take a device or a pipe: ``/dev/zero`` has no line end, and a pipe cannot be
    read again. Such a path is refused here, as is a file over the limit.

    Raises:
        DetenteError: of class ``error``: a missing file (``no-file``), not a regular file
            (``not-a-file``), over the limit (``too-large``).
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise _os_error(p, exc, what, error) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a device or a pipe"
        raise error(
            f"{p}: {kind}, not {_a(what)}",
            [
                Diagnostic(
                    f"expected {_a(what)} (a regular file), got {kind}",
                    str(p),
                    hint="save the data to a file first",
                    code="not-a-file",
                )
            ],
        )
    if st.st_size > limit:
        message = f"the {what} is {st.st_size} bytes, larger than {limit} bytes"
        raise _too_large(p, message, limit, hint, error)
    return st.st_size

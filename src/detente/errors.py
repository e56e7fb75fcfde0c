"""The one error root of detente and its per-area subclasses.

Every error detente raises on purpose derives from :class:`DetenteError`. Each carries
a list of :class:`Diagnostic` records (where, what was expected, how to fix it) so the
command line can print every problem at once without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CaseError",
    "DetenteError",
    "Diagnostic",
    "ModelError",
    "StorageError",
    "VerificationError",
    "error_document",
    "render_error_json",
]


@dataclass(frozen=True)
class Diagnostic:
    """One problem, located and explained.

    Attributes:
        message: What is wrong, in one sentence.
        file: The file the problem is in, if any.
        line: 1-based line number, if known.
        column: 1-based column number, if known.
        expected: What would have been accepted.
        hint: What the user can do about it.
        code: A short stable identifier (e.g. ``unknown-actor``) for tests and tooling.
        severity: ``error`` (the input is refused) or ``warning`` (it is accepted).
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    expected: str | None = None
    hint: str | None = None
    code: str = "error"
    severity: str = "error"

    @property
    def location(self) -> str:
        """``file:line:column`` with the parts that are known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self) -> str:
        """Format the diagnostic as the CLI prints it."""
        text = f"{self.location}: {self.severity}[{self.code}]: {self.message}"
        if self.expected:
            text += f"\n    expected: {self.expected}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view of the diagnostic."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "expected": self.expected,
            "hint": self.hint,
        }


@dataclass
class DetenteError(Exception):
    """Root of every error detente raises deliberately.

    Args:
        message: A one-line summary.
        items: Individual located problems; empty when the summary says it all.
    """

    message: str
    items: list[Diagnostic] = field(default_factory=list)

    code = "error"
    """A short stable identifier of the error's kind, for scripts (``--format json``)."""

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def diagnostics(self) -> str:
        """Human-readable text: the summary, then every located problem."""
        if not self.items:
            return f"error: {self.message}"
        body = "\n".join(d.render() for d in self.items)
        return f"{body}\n{self.message}"


class CaseError(DetenteError):
    """A case file or imported table is malformed or inconsistent."""

    code = "invalid-input"


class ModelError(DetenteError):
    """A model cannot run on the given inputs or parameters."""

    code = "model-error"


class VerificationError(DetenteError):
    """A signature, proof, checkpoint or receipt does not verify."""

    code = "verification-failed"


class StorageError(DetenteError):
    """A ledger or database operation failed or found corrupt data."""

    code = "storage-error"


def error_document(
    code: str, message: str, diagnostics: list[Diagnostic] | None = None, status: int = 2
) -> dict[str, object]:
    """The one JSON error shape of detente: the CLI's ``--format json`` and the web API.

    ``{"error": {"status", "code", "message", "diagnostics": [...]}}``; ``status`` is the
    exit status on the command line and the HTTP status in the web API.
    """
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "diagnostics": [d.to_dict() for d in diagnostics or []],
        }
    }


def render_error_json(exc: DetenteError, status: int = 2) -> str:
    """``exc`` in the one error shape, as indented JSON."""
    import json

    doc = error_document(exc.code, exc.message, exc.items, status)
    return json.dumps(doc, indent=2, ensure_ascii=False)

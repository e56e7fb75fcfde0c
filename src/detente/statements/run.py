"""One call from a statements file to its codes and checks: what the CLI and the brief share.

:func:`check_file` reads a statements file, checks it against the case, codes every
statement (:class:`~detente.statements.coder.Coder`, rules and embeddings) and proposes its
relation to the record (the case's positions, a ledger's commitments, compliance
measurements): the same path for ``detente statements check`` and for the brief.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from detente.case.model import Case
from detente.statements.check import CheckResult, check_statements, load_record
from detente.statements.coder import Coder, StatementCode
from detente.statements.embed import (
    Embedder,
    MiniLMEmbedder,
    StaticMiniLMEmbedder,
    model_installed,
)
from detente.statements.io import (
    check_against_case,
    coding_inputs,
    read_statements,
    speaker_actor,
)
from detente.statements.model import StatementsFile

__all__ = ["EMBEDDERS", "check_file", "make_coder", "make_embedder"]

EMBEDDERS = ("auto", "static", "minilm", "none")
"""The embedder names: static (fast), minilm (the full encoder), none, auto."""


def make_embedder(name: str) -> Embedder | None:
    """The embedder called ``name``; ``auto`` is ``static`` when the model is installed."""
    if name == "none" or (name == "auto" and not model_installed()):
        return None
    if name == "minilm":
        return MiniLMEmbedder()
    return StaticMiniLMEmbedder()


def _aliases(sf: StatementsFile | None, case: Case | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if case is not None:
        for a in case.actors:
            out[a.id] = [a.name]
    if sf is not None:
        for actor, names in sf.aliases.items():
            out.setdefault(actor, []).extend(names)
    return out


def _issue_texts(case: Case) -> dict[str, str]:
    return {i.id: " ".join([i.question, *(a.label for a in i.scale.anchors)]) for i in case.issues}


def make_coder(embedder: str, sf: StatementsFile | None, case: Case | None) -> Coder:
    """A coder with the case's actor names and the file's aliases, and the issues' words."""
    return Coder(
        embedder=make_embedder(embedder),
        aliases=_aliases(sf, case),
        issues=_issue_texts(case) if case is not None else None,
    )


def check_file(
    file: Path,
    case: Case,
    ledger: str | None = None,
    compliance: Sequence[Path] = (),
    embedder: str = "auto",
) -> tuple[StatementsFile, list[StatementCode], list[CheckResult]]:
    """Read, validate against ``case``, code and check every statement of ``file``.

    Raises:
        CaseError: the file's problems, every one located.
    """
    sf = read_statements(file)
    check_against_case(sf, case, str(file))
    coder = make_coder(embedder, sf, case)
    codes = coder.code(coding_inputs(sf))
    record = load_record(case, ledger, tuple(compliance), coder.embedder)
    speakers = {s.id: speaker_actor(sf, s) for s in sf.statements}
    parties = [a.id for a in case.actors if a.role == "party"]
    checks = check_statements(sf.statements, codes, record, speakers, parties)
    return sf, codes, checks

"""Where a check's inputs come from: a ledger (commitment, imported datasets) or files."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from detente import boundedjson
from detente.compliance.check import DatasetEvents
from detente.compliance.measure import EventArrays
from detente.errors import CaseError, Diagnostic, VerificationError
from detente.events.importer import file_sha256, reader_for
from detente.events.readers import check_events_file, detect_kind, read_events
from detente.events.store import EventStore
from detente.inputs import max_input_bytes, read_bounded
from detente.ledger.commitment import Commitment, SignedCommitment, commitment_id
from detente.ledger.log import Ledger

__all__ = [
    "datasets_from_files",
    "datasets_from_ledger",
    "find_commitment",
    "guess_version",
    "load_commitment_file",
]

_GED_NAME = re.compile(r"ged(?:event)?_?v?(\d{2})_?(\d)", re.IGNORECASE)


def guess_version(path: Path, kind: str) -> str | None:
    """A GED version from UCDP's file names (``GEDEvent_v23_1.csv``, ``ged231.csv``)."""
    if kind != "ucdp-ged":
        return None
    m = _GED_NAME.search(path.name)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _split_spec(spec: str) -> tuple[str | None, str | None, Path]:
    """``DATASET@VERSION=FILE`` or ``FILE``."""
    head, eq, tail = spec.partition("=")
    if eq and "@" in head and not Path(spec).exists():
        ds, _, ver = head.partition("@")
        return ds or None, ver or None, Path(tail)
    return None, None, Path(spec)


def datasets_from_files(
    specs: list[str],
    skip_bad: bool = False,
    coverage: dict[str, tuple[dt.date, dt.date]] | None = None,
) -> list[DatasetEvents]:
    """Read each ``--events`` file (``FILE`` or ``DATASET@VERSION=FILE``).

    A file's dataset is detected from its header (GED, ACLED, else plain) unless given;
    its version is read from UCDP's file name or must be given. ``coverage`` gives the
    days a dataset covers, by dataset name (default: the span of its events' dates).

    Raises:
        CaseError: every file problem, located, or a version that cannot be known.
    """
    out: list[DatasetEvents] = []
    diags: list[Diagnostic] = []
    for spec in specs:
        ds, ver, path = _split_spec(spec)
        if not path.exists():
            diags.append(Diagnostic(f"no such events file {path}", str(path), code="no-file"))
            continue
        try:
            check_events_file(path)
        except CaseError as exc:
            diags += exc.items
            continue
        if ds is None:
            if path.suffix.lower() == ".json":
                kind = "ucdp-ged"
            else:
                with path.open(encoding="utf-8-sig", errors="replace") as fh:
                    kind = detect_kind(fh.readline().strip().split(","))
            ds = kind if kind != "plain" else path.stem
        kind = reader_for(ds) or "plain"
        ver = ver or guess_version(path, kind)
        if ver is None:
            diags.append(
                Diagnostic(
                    f"cannot tell which version of {ds} {path.name} is",
                    str(path),
                    expected=f"--events {ds}@VERSION={path}",
                    code="no-version",
                )
            )
            continue
        try:
            cols, _ = read_events(path, kind, skip_bad=skip_bad)
        except CaseError as exc:
            diags += exc.items or [Diagnostic(exc.message, str(path), code="bad-events")]
            continue
        out.append(
            DatasetEvents(
                dataset=ds,
                version=ver,
                sha256=file_sha256(path),
                events=EventArrays.from_columns(cols),
                coverage=(coverage or {}).get(ds) or cols.coverage(),
                source=str(path),
            )
        )
    if diags:
        raise CaseError(f"{len(diags)} problem(s) with the events files", diags)
    return out


def datasets_from_ledger(location: str | Path, selectors: list[str]) -> list[DatasetEvents]:
    """The datasets imported into a ledger, all or those named, in the order named.

    Selectors are ``DATASET`` or ``DATASET@VERSION``.

    Raises:
        CaseError: if a selector matches no import.
    """
    with EventStore(location) as store:
        imports = store.imports()
        chosen = []
        if not selectors:
            chosen = imports
        for sel in selectors:
            ds, _, ver = sel.partition("@")
            hits = [i for i in imports if i.dataset == ds and (not ver or i.version == ver)]
            if not hits:
                have = ", ".join(f"{i.dataset}@{i.version}" for i in imports) or "none"
                raise CaseError(
                    f"no imported dataset {sel} in {location}",
                    [Diagnostic(f"no import matches {sel!r}", expected=f"one of: {have}",
                                hint="import it with `detente events import`",
                                code="unknown-dataset")],
                )  # fmt: skip
            chosen += [h for h in hits if h not in chosen]
        if not chosen:
            raise CaseError(
                f"{location} holds no imported events",
                [Diagnostic("no events", hint="`detente events import` first", code="no-events")],
            )
        out = []
        for imp in chosen:
            cols = store.load(imp.record_index, with_raw=False)
            cov = (imp.coverage_start, imp.coverage_end)
            out.append(
                DatasetEvents(
                    dataset=imp.dataset,
                    version=imp.version,
                    sha256=imp.sha256,
                    events=EventArrays.from_columns(cols),
                    coverage=cov if cov[0] is not None and cov[1] is not None else None,  # type: ignore[arg-type]
                    record_index=imp.record_index,
                    source=f"{location}#{imp.record_index}",
                )
            )
        return out


def load_commitment_file(path: Path) -> Commitment:
    """A commitment from JSON or YAML (a draft ``{commitment: ...}`` is accepted too)."""
    from ruamel.yaml import YAML

    raw = read_bounded(path, max_input_bytes(), "commitment file")
    try:
        text = raw.decode("utf-8")
        data: Any = (
            boundedjson.loads(text) if path.suffix == ".json" else YAML(typ="safe").load(text)
        )
    except (OSError, ValueError) as exc:
        raise CaseError(f"{path}: cannot read the commitment: {exc}") from exc
    except Exception as exc:  # ruamel raises several types on malformed YAML
        raise CaseError(f"{path}: cannot read the commitment: {exc}") from exc
    if isinstance(data, dict) and "commitment" in data and "signatures" in data:
        data = data["commitment"]
    try:
        return Commitment.model_validate(data)
    except ValidationError as exc:
        raise CaseError(
            f"{path}: not a valid commitment",
            [
                Diagnostic(
                    f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}",
                    str(path),
                    code="invalid-value",
                )
                for e in exc.errors(include_url=False)
            ],
        ) from exc


def find_commitment(led: Ledger, ref: str) -> Commitment:
    """The commitment ``ref`` (``sha256:...`` id or its human id) in the ledger.

    Raises:
        VerificationError: if there is none, or the human id is ambiguous.
    """
    if ref.startswith("sha256:"):
        idx = led.find_commitment(ref)
        if idx is None:
            raise VerificationError(f"no commitment {ref} in the ledger")
        return SignedCommitment.model_validate(json.loads(led.entry(idx))["signed"]).commitment
    found: dict[str, Commitment] = {}
    for _, data, _ in led.storage.iter_entries():
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("type") == "commitment":
            c = SignedCommitment.model_validate(doc["signed"]).commitment
            if c.id == ref:
                found[commitment_id(c)] = c
    if len(found) != 1:
        raise VerificationError(
            f"no commitment with id {ref!r} in the ledger"
            if not found
            else f"{len(found)} commitments have id {ref!r}; give the sha256: id"
        )
    cid = next(iter(found))
    if led.find_commitment(cid) is None:  # verifies the entry in full
        raise VerificationError(f"commitment {ref} does not verify")
    return found[cid]

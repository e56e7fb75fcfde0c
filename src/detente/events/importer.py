"""Import an events file into a ledger's database, with a signed dataset record in its log.

The order makes an import safe to interrupt and to repeat:

1. the file is hashed and read in full (any problem is reported before anything is written);
2. if the ledger's events tables already hold this dataset version from the same file, the
   import is a no-op (idempotent); from another file, it is refused;
3. the signed dataset record is appended to the log through :meth:`Ledger.append`, unless
   the log already holds one for this dataset, version and SHA-256 (an earlier import that
   was interrupted after its record was appended);
4. the events are stored in one transaction (:meth:`EventStore.store`).

A crash in step 4 leaves the events tables as they were; running the import again completes
it against the record already in the log, without a second record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from detente.errors import CaseError, StorageError
from detente.events.model import ReadSummary
from detente.events.readers import check_events_file, read_events
from detente.events.records import DatasetRecord, dataset_entry, parse_dataset_entry
from detente.events.store import EventStore
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner

__all__ = ["ImportResult", "file_sha256", "find_dataset_records", "import_events", "reader_for"]


class ImportResult(BaseModel):
    """What an import did.

    Attributes:
        dataset: Dataset name.
        version: Dataset version.
        sha256: Hex SHA-256 of the file.
        record_index: Ledger index of the signed dataset record.
        rows: Events stored.
        already_imported: True when the same file was already imported (nothing written).
        summary: The reader's summary (None when nothing was read again).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str
    version: str
    sha256: str
    record_index: int
    rows: int
    already_imported: bool
    summary: ReadSummary | None


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise CaseError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return h.hexdigest()


def reader_for(dataset: str) -> str | None:
    """The reader a dataset name implies: ``ucdp-ged``, ``acled``, else ``plain``."""
    if dataset.startswith("ucdp-ged"):
        return "ucdp-ged"
    if dataset.startswith("acled"):
        return "acled"
    return "plain"


def find_dataset_records(led: Ledger) -> list[tuple[int, DatasetRecord]]:
    """Every dataset record in the log, ``(index, record)`` in log order (schema-checked)."""
    out: list[tuple[int, DatasetRecord]] = []
    for index, data, _ in led.storage.iter_entries():
        if b'"type":"dataset"' not in data:
            continue
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("type") == "dataset":
            out.append((index, parse_dataset_entry(doc)[0]))
    return out


def import_events(
    location: str | Path,
    file: str | Path,
    dataset: str,
    version: str,
    signer: NoteSigner,
    importer: str,
    *,
    skip_bad: bool = False,
    now: dt.datetime | None = None,
    coverage: tuple[dt.date, dt.date] | None = None,
) -> ImportResult:
    """Import ``file`` as ``dataset`` at ``version`` into the ledger at ``location``.

    Args:
        location: The ledger (SQLite file or ``postgresql://`` URL); it must exist.
        file: The events file.
        dataset: Dataset name; ``ucdp-ged*`` and ``acled*`` pick those readers, any other
            name the plain events reader.
        version: Dataset version (e.g. ``23.1``).
        signer: The importer's Ed25519 key.
        importer: The importer's actor id.
        skip_bad: Leave out unusable rows (counted in the summary) instead of refusing.
        now: Import time (default: now, UTC).
        coverage: First and last day the dataset covers (default: the first and last day
            any of its events may fall on). Periods outside it get no verdict.

    Raises:
        CaseError: if the file cannot be read (every problem listed).
        StorageError: if this dataset version was imported from another file.
    """
    path = Path(file)
    check_events_file(path)
    sha = file_sha256(path)
    led = Ledger.open(location)
    store = EventStore(location)
    try:
        existing = store.find(dataset, version)
        if existing is not None:
            if existing.sha256 == sha:
                return ImportResult(
                    dataset=dataset,
                    version=version,
                    sha256=sha,
                    record_index=existing.record_index,
                    rows=existing.rows,
                    already_imported=True,
                    summary=None,
                )
            raise StorageError(
                f"{dataset} {version} was already imported from another file "
                f"(sha256 {existing.sha256[:16]}..., record {existing.record_index}); "
                "a corrected file is a new version: import it with another --version"
            )
        events, summary = read_events(path, reader_for(dataset), skip_bad=skip_bad)
        events.dataset, events.version = dataset, version
        index = next(
            (
                i
                for i, rec in find_dataset_records(led)
                if (rec.dataset, rec.version, rec.sha256) == (dataset, version, sha)
            ),
            None,
        )
        cov = coverage or events.coverage()
        if cov is not None and cov[1] < cov[0]:
            raise CaseError(f"coverage {cov[0]}/{cov[1]} ends before it starts")
        if index is None:
            when = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
            record = DatasetRecord(
                dataset=dataset,
                version=version,
                reader=events.kind,
                file=path.name,
                sha256=sha,
                rows=len(events),
                rows_read=summary.rows_read,
                coverage_start=cov[0] if cov else None,
                coverage_end=cov[1] if cov else None,
                importer=importer,
                imported_at=when,
            )
            index = led.append(dataset_entry(record, signer))
        store.store(index, dataset, version, sha, path.name, events, cov)
        return ImportResult(
            dataset=dataset,
            version=version,
            sha256=sha,
            record_index=index,
            rows=len(events),
            already_imported=False,
            summary=summary,
        )
    finally:
        store.close()
        led.close()

"""Conflict-event data in, losslessly: readers, the internal record, storage and imports.

See docs/formats/events.md for every reader and its columns.
"""

from __future__ import annotations

from detente.events.importer import ImportResult, import_events
from detente.events.model import EventColumns, EventRecord, ReadSummary
from detente.events.readers import read_events
from detente.events.store import EventStore, StoredImport

__all__ = [
    "EventColumns",
    "EventRecord",
    "EventStore",
    "ImportResult",
    "ReadSummary",
    "StoredImport",
    "import_events",
    "read_events",
]

"""The internal event record, kept column-wise, with the raw row beside each event.

Every reader (:mod:`detente.events.readers`) produces an :class:`EventColumns`: one list per
field of the internal record, plus the raw row exactly as the file gave it (the CSV
record's text, or the sorted-key JSON of an API record). Column-wise storage
keeps a million-row import inside the speed goal; :meth:`EventColumns.record` gives one
event as an :class:`EventRecord` when a caller wants a row.

Dates are proleptic Gregorian ordinals (``datetime.date.toordinal``); an event happened
somewhere in ``[date_start, date_end]`` (both inclusive), as UCDP GED codes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DATASET_KINDS",
    "EventColumns",
    "EventRecord",
    "ReadSummary",
    "SkippedRow",
]

DatasetKind = Literal["ucdp-ged", "acled", "plain"]
DATASET_KINDS: tuple[str, ...] = ("ucdp-ged", "acled", "plain")
"""Reader kinds. ``plain`` is the analysts' own events CSV (any dataset name)."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One event in the internal record.

    Attributes:
        event_id: The dataset's own id (GED ``id``, ACLED ``event_id_cnty``, plain ``id``).
        line: 1-based line of the row in the file it was read from (0 for JSON records).
        date_start: First possible day (ordinal).
        date_end: Last possible day (ordinal).
        side_a: GED ``side_a`` / ACLED ``actor1`` / plain ``side_a``.
        side_b: GED ``side_b`` / ACLED ``actor2`` / plain ``side_b``.
        dyad: GED ``dyad_name``; ACLED and plain: ``side_a - side_b``.
        assoc: Associated actors (ACLED ``assoc_actor_1``/``assoc_actor_2``), ``;``-joined.
        event_class: GED ``type_of_violence`` (``1``..``3``), ACLED ``event_type``, plain
            ``event_class``.
        sub_class: ACLED ``sub_event_type``; empty elsewhere.
        country: Country name as coded.
        admin1: First-order administrative unit (GED ``adm_1``, ACLED ``admin1``).
        admin2: Second-order unit.
        latitude: WGS 84 latitude, NaN when not coded.
        longitude: WGS 84 longitude, NaN when not coded.
        place_precision: GED ``where_prec`` (1-7), ACLED ``geo_precision`` (1-3), plain
            ``where_prec`` (1-7, GED's scale).
        date_precision: GED ``date_prec`` (1-5), ACLED ``time_precision`` (1-3), plain 1.
        clear: Attribution and details clear (GED ``event_clarity`` 1; ACLED and plain:
            true unless the plain file says ``clear`` = 0).
        fatalities_low: Low estimate (GED ``low``).
        fatalities_best: Best estimate (GED ``best``; ACLED ``fatalities``).
        fatalities_high: High estimate (GED ``high``).
        raw: The row exactly as read: the CSV record's text, or a JSON record's canonical JSON.
    """

    event_id: str
    line: int
    date_start: int
    date_end: int
    side_a: str
    side_b: str
    dyad: str
    assoc: str
    event_class: str
    sub_class: str
    country: str
    admin1: str
    admin2: str
    latitude: float
    longitude: float
    place_precision: int
    date_precision: int
    clear: bool
    fatalities_low: float
    fatalities_best: float
    fatalities_high: float
    raw: str

    @property
    def start(self) -> dt.date:
        """The first possible day as a date."""
        return dt.date.fromordinal(self.date_start)

    @property
    def end(self) -> dt.date:
        """The last possible day as a date."""
        return dt.date.fromordinal(self.date_end)


FIELDS: tuple[str, ...] = tuple(EventRecord.__dataclass_fields__)
"""The internal record's fields, in order (also the storage columns)."""


@dataclass
class EventColumns:
    """Events column-wise: one list per :class:`EventRecord` field.

    Attributes:
        kind: The reader that produced them.
        header: The file's column names in order (the key to each raw CSV row).
        dataset: The dataset's name, once known (set on import or load).
        version: The dataset's version, once known.
    """

    kind: str
    header: list[str] = field(default_factory=list)
    dataset: str = ""
    version: str = ""
    event_id: list[str] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    date_start: list[int] = field(default_factory=list)
    date_end: list[int] = field(default_factory=list)
    side_a: list[str] = field(default_factory=list)
    side_b: list[str] = field(default_factory=list)
    dyad: list[str] = field(default_factory=list)
    assoc: list[str] = field(default_factory=list)
    event_class: list[str] = field(default_factory=list)
    sub_class: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    admin1: list[str] = field(default_factory=list)
    admin2: list[str] = field(default_factory=list)
    latitude: list[float] = field(default_factory=list)
    longitude: list[float] = field(default_factory=list)
    place_precision: list[int] = field(default_factory=list)
    date_precision: list[int] = field(default_factory=list)
    clear: list[bool] = field(default_factory=list)
    fatalities_low: list[float] = field(default_factory=list)
    fatalities_best: list[float] = field(default_factory=list)
    fatalities_high: list[float] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.event_id)

    def record(self, i: int) -> EventRecord:
        """Event ``i`` as a record."""
        return EventRecord(*(getattr(self, f)[i] for f in FIELDS))

    def rows(self) -> list[tuple[object, ...]]:
        """Every event as a tuple in :data:`FIELDS` order (for storage)."""
        return list(zip(*(getattr(self, f) for f in FIELDS), strict=True))

    def coverage(self) -> tuple[dt.date, dt.date] | None:
        """First and last day any event may fall on, or None when empty."""
        if not self.event_id:
            return None
        return dt.date.fromordinal(min(self.date_start)), dt.date.fromordinal(max(self.date_end))


class SkippedRow(BaseModel):
    """A row left out (only with ``skip_bad``), and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    reason: str


class ReadSummary(BaseModel):
    """What a reader did with a file.

    Attributes:
        file: The file read.
        kind: The reader used.
        rows_read: Data rows in the file.
        rows_kept: Rows turned into events.
        rows_skipped: Rows left out (only when asked to skip bad rows).
        skipped: The first 100 skipped rows with their reasons.
        skipped_by_reason: Counts of skipped rows per diagnostic code.
        warnings: Counts of rows accepted with a correction, per warning code.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    kind: str
    rows_read: int
    rows_kept: int
    rows_skipped: int
    skipped: list[SkippedRow] = Field(default_factory=list)
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)
    warnings: dict[str, int] = Field(default_factory=dict)

"""ISO 8601 durations and the consecutive periods of an indicator.

Only date durations are accepted (``PnYnMnWnD``, ISO 8601-1:2019 §5.5.2.4): an indicator is
measured on whole days. Periods start on the commitment's start date and follow one another
without gaps, each of the indicator's length (calendar arithmetic: ``P1M`` from 31 January
ends on the last day of February); the last one ends on the end date, inclusive.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import NamedTuple

from detente.errors import CaseError, Diagnostic

__all__ = ["Duration", "parse_duration", "periods"]

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")

MAX_PERIODS = 100_000
"""More periods than this is refused (a ``P1D`` indicator over 270 years)."""


class Duration(NamedTuple):
    """A date duration: months (years folded in) and days (weeks folded in)."""

    months: int
    days: int


def parse_duration(text: str, where: str = "period") -> Duration:
    """Parse an ISO 8601 date duration such as ``P1M``, ``P30D``, ``P1Y6M``, ``P2W``.

    Raises:
        CaseError: if it is not one, has a time part, or is zero.
    """
    m = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not m or text.strip() == "P":
        raise CaseError(
            f"{where}: {text!r} is not an ISO 8601 duration",
            [
                Diagnostic(
                    f"{where} {text!r} is not an ISO 8601 date duration",
                    expected="PnYnMnWnD, e.g. P1M, P30D, P1Y, P2W",
                    hint="time parts (PT12H) are not supported: indicators count whole days",
                    code="bad-period",
                )
            ],
        )
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    dur = Duration(months=12 * y + mo, days=7 * w + d)
    if dur.months == 0 and dur.days == 0:
        raise CaseError(
            f"{where}: {text!r} is a zero duration",
            [Diagnostic(f"{where} is zero", expected="a positive duration", code="bad-period")],
        )
    return dur


def _add(start: dt.date, dur: Duration, k: int) -> dt.date:
    """``start + k * dur``, months first (day clamped to the month's length), then days."""
    total = start.month - 1 + k * dur.months
    year, month = start.year + total // 12, total % 12 + 1
    if year > 9999:
        return dt.date.max
    day = min(start.day, calendar.monthrange(year, month)[1])
    try:
        return dt.date(year, month, day) + dt.timedelta(days=k * dur.days)
    except OverflowError:
        return dt.date.max


def periods(start: dt.date, end: dt.date, dur: Duration) -> list[tuple[dt.date, dt.date]]:
    """Consecutive ``(first day, last day)`` periods from ``start`` to ``end`` inclusive.

    Raises:
        CaseError: if ``end`` is before ``start`` or there would be too many periods.
    """
    if end < start:
        raise CaseError(f"end {end} is before start {start}")
    out: list[tuple[dt.date, dt.date]] = []
    k = 0
    lo = start
    while lo <= end:
        if len(out) >= MAX_PERIODS:
            raise CaseError(f"more than {MAX_PERIODS} periods from {start} to {end}")
        nxt = _add(start, dur, k + 1)
        hi = min(nxt - dt.timedelta(days=1), end) if nxt != dt.date.max else end
        out.append((lo, hi))
        if hi >= end:
            break
        lo = nxt
        k += 1
    return out

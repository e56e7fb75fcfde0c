"""The events store keeps every field exactly, on both backends."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from detente.events.model import FIELDS, EventColumns
from detente.events.store import PART_ROWS, EventStore


def awkward(n: int) -> EventColumns:
    """Text that repeats and text that does not, non-ASCII, newlines, a lone surrogate."""
    ev = EventColumns(kind="plain", header=["id"])
    texts = ["", "Türkiye", "a\nb", "x\ud800y", "😀", "plain"]
    for k in range(n):
        t = texts[k % len(texts)]
        row = dict(
            event_id=f"e{k}{t}", line=k + 2, date_start=738000 + k, date_end=738001 + k,
            side_a=t, side_b="TTP", dyad=t + " - TTP", assoc="", event_class="1",
            sub_class=t * (k % 3), country="Pakistan", admin1=t, admin2="",
            latitude=float("nan") if k % 4 else 33.5, longitude=-0.0 if k % 5 else 71.25,
            place_precision=k % 7 + 1, date_precision=k % 5 + 1, clear=k % 2 == 0,
            fatalities_low=float(k % 3), fatalities_best=k % 3 + 0.5,
            fatalities_high=1e300 if k == 1 else k % 3 + 1.0, raw=f"{k},{t}\r\n\"q\"",
        )  # fmt: skip
        for name, value in row.items():
            getattr(ev, name).append(value)
    return ev


@pytest.mark.parametrize("n", [0, 7, PART_ROWS + 5])
def test_round_trip_is_exact(location: str | Path, n: int) -> None:
    ev = awkward(n)
    with EventStore(location) as store:
        store.store(9, "plain", "1", "0" * 64, "f.csv", ev)
        got = store.load(9)
        bare = store.load(9, with_raw=False)
    assert len(got) == n and bare.raw == [""] * n
    for f in FIELDS:
        for u, v in zip(getattr(ev, f), getattr(got, f), strict=True):
            nan = isinstance(u, float) and math.isnan(u) and math.isnan(v)
            assert nan or (u == v and type(u) is type(v) and str(u) == str(v)), (f, u, v)

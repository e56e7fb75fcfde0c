"""Hypothesis generators of small synthetic event sets (plain reader's record)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from detente.compliance.metrics import parse_metrics_text
from detente.events.model import EventColumns

METRIC_AB = parse_metrics_text(
    """
format: detente.metrics/v1
aliases:
  A: [Alpha front, AF]
  B: [Beta army, BA]
  MAYBE_A: [unknown alpha]
  MAYBE_B: [unknown beta]
metrics:
  a_in_x:
    proxy_for: Events with A as a side in country X.
    caveat: Synthetic.
    actors: {any_side: [A], possibly: [MAYBE_A]}
    datasets: {plain: {versions: ["*"]}}
    place: {country: [X]}
  b_in_y:
    proxy_for: Events with B as a side in country Y.
    caveat: Synthetic.
    actors: {any_side: [B], possibly: [MAYBE_B]}
    datasets: {plain: {versions: ["*"]}}
    place: {country: [Y]}
"""
)

SWAP = {
    "Alpha front": "Beta army",
    "Beta army": "Alpha front",
    "AF": "BA",
    "BA": "AF",
    "unknown alpha": "unknown beta",
    "unknown beta": "unknown alpha",
    "X": "Y",
    "Y": "X",
}
ACTORS = ["Alpha front", "AF", "Beta army", "BA", "unknown alpha", "unknown beta", "Civilians"]
COUNTRIES = ["X", "Y", "Z"]
DAY0 = dt.date(2022, 12, 1).toordinal()


@st.composite
def event_columns(draw: st.DrawFn, max_size: int = 25) -> EventColumns:
    """Events between December 2022 and January 2024 with date ranges up to 70 days."""
    n = draw(st.integers(0, max_size))
    ev = EventColumns(kind="plain")
    for k in range(n):
        start = DAY0 + draw(st.integers(0, 420))
        length = draw(st.sampled_from([0, 0, 0, 3, 10, 30, 70]))
        a, b = draw(st.sampled_from(ACTORS)), draw(st.sampled_from(ACTORS))
        lo = float(draw(st.integers(0, 5)))
        best = lo + draw(st.integers(0, 5))
        values = dict(
            event_id=f"e{k}", line=k + 2, date_start=start, date_end=start + length,
            side_a=a, side_b=b, dyad=f"{a} - {b}", assoc="", event_class="", sub_class="",
            country=draw(st.sampled_from(COUNTRIES)), admin1="", admin2="",
            latitude=float("nan"), longitude=float("nan"),
            place_precision=draw(st.sampled_from([1, 1, 6, 7])), date_precision=1,
            clear=draw(st.booleans()), fatalities_low=lo, fatalities_best=best,
            fatalities_high=best + draw(st.integers(0, 5)), raw="",
        )  # fmt: skip
        for name, v in values.items():
            getattr(ev, name).append(v)
    return ev


def relabel(ev: EventColumns) -> EventColumns:
    """The same events with the two parties' (and two countries') names swapped."""
    out = EventColumns(kind=ev.kind)
    for f in ev.__dataclass_fields__:
        v = getattr(ev, f)
        if isinstance(v, list) and f != "header":
            setattr(
                out, f, [SWAP.get(x, x) if f in ("side_a", "side_b", "country") else x for x in v]
            )
    return out

"""Measurements with honest uncertainty: low / best / high per period, and the verdict.

For one metric, one dataset and a list of consecutive periods, every event gets three
statuses, each *certain*, *possible* or *out*:

* **attribution**: a side is a name of an ``any_side`` alias set (certain), or only of a
  ``possibly`` set (possible); GED events with ``event_clarity`` 2 are downgraded to
  possible unless the metric says otherwise (``unclear``);
* **place**: the country / admin1 / area filters against the coded place, widened by the
  place-precision radius (a GED ``where_prec`` 6 event could be anywhere in its country);
* **class**: the dataset mapping's event classes (exact).

Then, per period ``[ps, pe]`` and with ``w`` the counted quantity (1 per event, or the
fatality estimates):

* ``low`` sums the low ``w`` of events certain on every status whose whole date range lies
  inside the period;
* ``high`` sums the high ``w`` of events at least possible on every status whose date range
  overlaps the period;
* ``best`` sums the best ``w`` of events whose coded values match (a side in ``any_side``,
  the coded place inside the filters) with the middle day of their range in the period.

So ``low <= best <= high`` and imprecision widens the interval instead of being counted or
dropped silently. A period only partly inside the dataset's coverage gets ``high = inf``
(events outside coverage are unknown, and a count can only grow); one wholly outside gets
no measurement. Everything is array code over all events at once (numpy, no loop over
events or periods).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from detente.compliance.geo import signed_distance_km
from detente.compliance.metrics import DEFAULT_PRECISION_KM, Metric, MetricsFile
from detente.events.model import EventColumns

__all__ = [
    "EventArrays",
    "Measurement",
    "Verdict",
    "measure",
    "verdict",
]

Verdict = Literal["kept", "breached", "undetermined", "no data"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_OUT, _POSSIBLE, _CERTAIN = 0, 1, 2


def _norm(name: str) -> str:
    """Names compare case-insensitively with whitespace collapsed."""
    return " ".join(name.split()).casefold()


def _factorize(values: list[str]) -> tuple[IntArray, list[str]]:
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int64, len(values))
    return codes, list(index)


@dataclass
class EventArrays:
    """One dataset's events as arrays (strings factorised into codes)."""

    kind: str
    ids: list[str]
    date_start: IntArray
    date_end: IntArray
    side_a: tuple[IntArray, list[str]]
    side_b: tuple[IntArray, list[str]]
    assoc: tuple[IntArray, list[str]]
    event_class: tuple[IntArray, list[str]]
    sub_class: tuple[IntArray, list[str]]
    country: tuple[IntArray, list[str]]
    admin1: tuple[IntArray, list[str]]
    latitude: FloatArray
    longitude: FloatArray
    place_precision: IntArray
    clear: BoolArray
    fat_low: FloatArray
    fat_best: FloatArray
    fat_high: FloatArray

    @classmethod
    def from_columns(cls, ev: EventColumns) -> EventArrays:
        """Arrays from the internal record."""
        return cls(
            kind=ev.kind,
            ids=ev.event_id,
            date_start=np.asarray(ev.date_start, dtype=np.int64),
            date_end=np.asarray(ev.date_end, dtype=np.int64),
            side_a=_factorize(ev.side_a),
            side_b=_factorize(ev.side_b),
            assoc=_factorize(ev.assoc),
            event_class=_factorize(ev.event_class),
            sub_class=_factorize(ev.sub_class),
            country=_factorize(ev.country),
            admin1=_factorize(ev.admin1),
            latitude=np.asarray(ev.latitude, dtype=np.float64),
            longitude=np.asarray(ev.longitude, dtype=np.float64),
            place_precision=np.asarray(ev.place_precision, dtype=np.int64),
            clear=np.asarray(ev.clear, dtype=bool),
            fat_low=np.asarray(ev.fatalities_low, dtype=np.float64),
            fat_best=np.asarray(ev.fatalities_best, dtype=np.float64),
            fat_high=np.asarray(ev.fatalities_high, dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.ids)


def _lut(col: tuple[IntArray, list[str]], names: set[str], split: bool = False) -> BoolArray:
    """Per event: is the value (or, with ``split``, any ``;``-part of it) in ``names``."""
    codes, uniques = col
    if split:
        hit = [any(_norm(p) in names for p in u.split(";") if p) for u in uniques]
    else:
        hit = [_norm(u) in names for u in uniques]
    table = np.asarray(hit, dtype=bool)
    if len(table) == 0:
        return np.zeros(len(codes), dtype=bool)
    out: BoolArray = table[codes]
    return out


def _names(mf: MetricsFile, sets: list[str]) -> set[str]:
    return {_norm(n) for s in sets for n in mf.aliases[s]}


def _attribution(mf: MetricsFile, m: Metric, ev: EventArrays) -> tuple[IntArray, BoolArray]:
    """Attribution status per event, and whether the coded sides match for ``best``."""
    sure = _names(mf, m.actors.any_side)
    maybe = _names(mf, m.actors.possibly)
    a_sure, b_sure = _lut(ev.side_a, sure), _lut(ev.side_b, sure)
    a_maybe, b_maybe = _lut(ev.side_a, maybe), _lut(ev.side_b, maybe)
    if m.actors.associated and ev.kind == "acled":
        assoc_sure = _lut(ev.assoc, sure, split=True)
        a_sure, b_sure = a_sure | assoc_sure, b_sure | assoc_sure
        assoc_maybe = _lut(ev.assoc, maybe, split=True)
        a_maybe, b_maybe = a_maybe | assoc_maybe, b_maybe | assoc_maybe
    if m.actors.other_side:
        other = _names(mf, m.actors.other_side)
        a_oth, b_oth = _lut(ev.side_a, other), _lut(ev.side_b, other)
        certain = (a_sure & b_oth) | (b_sure & a_oth)
        possible = certain | (a_maybe & b_oth) | (b_maybe & a_oth)
    else:
        certain = a_sure | b_sure
        possible = certain | a_maybe | b_maybe
    status = np.where(certain, _CERTAIN, np.where(possible, _POSSIBLE, _OUT)).astype(np.int64)
    coded = certain.copy()
    if ev.kind == "ucdp-ged" and m.unclear != "count":
        unclear = ~ev.clear
        if m.unclear == "widen":
            status = np.where(unclear & (status == _CERTAIN), _POSSIBLE, status)
        else:
            status = np.where(unclear, _OUT, status)
            coded &= ~unclear
    return status, coded


def _radius(m: Metric, ev: EventArrays, dataset_key: str) -> FloatArray:
    table = dict(DEFAULT_PRECISION_KM.get(ev.kind, DEFAULT_PRECISION_KM["plain"]))
    table.update(m.precision_km.get(dataset_key, {}))
    top = int(ev.place_precision.max()) if len(ev) else 0
    lut = np.full(max(top, 7) + 1, np.inf)
    for code, km in table.items():
        lut[int(code)] = math.inf if km is None else float(km)
    r: FloatArray = lut[ev.place_precision]
    r = np.where(np.isnan(ev.latitude) | np.isnan(ev.longitude), np.inf, r)
    return r


def _place(
    m: Metric, ev: EventArrays, dataset_key: str, candidates: BoolArray
) -> tuple[IntArray, BoolArray]:
    """Place status per event and whether the coded place matches (for ``best``)."""
    n = len(ev)
    status = np.full(n, _CERTAIN, dtype=np.int64)
    coded = np.ones(n, dtype=bool)
    p = m.place
    prec = ev.place_precision
    ged_like = ev.kind != "acled"
    if p.country:
        hit = _lut(ev.country, {_norm(c) for c in p.country})
        # GED where_prec 7 (international waters or airspace): the country is not certain.
        unsure = (prec >= 7) if ged_like else np.zeros(n, dtype=bool)
        status = np.minimum(
            status, np.where(hit & ~unsure, _CERTAIN, np.where(hit, _POSSIBLE, _OUT))
        )
        coded &= hit
    if p.admin1:
        hit = _lut(ev.admin1, {_norm(a) for a in p.admin1})
        # GED where_prec 5-7: no first-order unit is known, so any could be the one.
        unknown = (prec >= 5) if ged_like else np.zeros(n, dtype=bool)
        status = np.minimum(
            status, np.where(hit & ~unknown, _CERTAIN, np.where(hit | unknown, _POSSIBLE, _OUT))
        )
        coded &= hit
    if p.area is not None:
        r = _radius(m, ev, dataset_key)
        d = np.full(n, np.nan)
        idx = np.flatnonzero(candidates & (status > _OUT))
        if len(idx):
            d[idx] = signed_distance_km(p.area.geojson, ev.latitude[idx], ev.longitude[idx])
        lim = p.area.distance_km
        with np.errstate(invalid="ignore"):
            sure = d + r <= lim
            maybe = (d - r <= lim) | np.isinf(r)
        st = np.where(sure, _CERTAIN, np.where(maybe, _POSSIBLE, _OUT))
        status = np.minimum(status, np.where(candidates, st, _OUT))
        with np.errstate(invalid="ignore"):
            coded &= d <= lim
    return status, coded


def _classes(m: Metric, ev: EventArrays, dataset_key: str) -> BoolArray:
    mp = m.datasets[dataset_key]
    ok = np.ones(len(ev), dtype=bool)
    if mp.classes:
        ok &= _lut(ev.event_class, {_norm(c) for c in mp.classes})
    if mp.sub_classes:
        ok &= _lut(ev.sub_class, {_norm(c) for c in mp.sub_classes})
    return ok


@dataclass
class Measurement:
    """One metric on one dataset over consecutive periods.

    Attributes:
        starts: First day of each period (ordinal).
        ends: Last day of each period (ordinal).
        low: Certain part, per period.
        best: Best estimate, per period.
        high: Everything possible, per period (``inf`` where coverage is partial).
        covered: ``full``, ``partial`` or ``none`` per period.
        certain: Per event: certain on every status.
        possible: Per event: at least possible on every status.
        coded: Per event: counted in ``best`` (the coded values match).
    """

    starts: IntArray
    ends: IntArray
    low: FloatArray
    best: FloatArray
    high: FloatArray
    covered: list[str]
    certain: BoolArray
    possible: BoolArray
    coded: BoolArray

    def events_in(self, ev: EventArrays, k: int) -> tuple[list[int], list[int]]:
        """Indexes of the events counted in period ``k``: ``(in low, in high only)``."""
        sel = np.flatnonzero(self.possible)  # only these can count
        ps, pe = self.starts[k], self.ends[k]
        ds, de = ev.date_start[sel], ev.date_end[sel]
        inside = self.certain[sel] & (ds >= ps) & (de <= pe)
        overlap = (ds <= pe) & (de >= ps)
        return sel[inside].tolist(), sel[overlap & ~inside].tolist()


def measure(
    mf: MetricsFile,
    metric: str,
    dataset_key: str,
    ev: EventArrays,
    spans: list[tuple[dt.date, dt.date]],
    coverage: tuple[dt.date, dt.date] | None,
) -> Measurement:
    """Measure ``metric`` on one dataset's events over ``spans`` (consecutive periods).

    Args:
        mf: The metrics file.
        metric: The metric's name.
        dataset_key: The key of the metric's dataset mapping to use.
        ev: The events.
        spans: Consecutive ``(first day, last day)`` periods.
        coverage: First and last day the dataset covers (None: nothing).
    """
    m = mf.metrics[metric]
    starts = np.asarray([a.toordinal() for a, _ in spans], dtype=np.int64)
    ends = np.asarray([b.toordinal() for _, b in spans], dtype=np.int64)
    n_p = len(spans)
    att, att_coded = _attribution(mf, m, ev)
    cls = _classes(m, ev, dataset_key)
    place, place_coded = _place(m, ev, dataset_key, cls & (att > _OUT))
    status = np.minimum(np.minimum(att, place), np.where(cls, _CERTAIN, _OUT))
    certain = status == _CERTAIN
    possible = status >= _POSSIBLE
    coded = att_coded & place_coded & cls
    if n_p == 0:
        empty = np.zeros(0)
        return Measurement(starts, ends, empty, empty, empty, [], certain, possible, coded)
    # Only events at least possible can count anywhere (certain and coded ones are subsets),
    # so the date rules run on those alone: usually a small share of a dataset.
    sel = np.flatnonzero(possible)
    c_sel, k_sel = certain[sel], coded[sel]
    if m.count == "events":
        w_low = w_best = w_high = np.ones(len(sel))
    else:
        w_low, w_best, w_high = ev.fat_low[sel], ev.fat_best[sel], ev.fat_high[sel]
    ds, de = ev.date_start[sel], ev.date_end[sel]
    # low: the whole date range inside one period.
    k = np.searchsorted(starts, ds, side="right") - 1
    ok = c_sel & (k >= 0) & (de <= ends[np.clip(k, 0, max(n_p - 1, 0))])
    low = np.bincount(k[ok], weights=w_low[ok], minlength=n_p)[:n_p]
    # high: every period the date range overlaps (a difference array over periods).
    k0 = np.searchsorted(ends, ds, side="left")
    k1 = np.searchsorted(starts, de, side="right") - 1
    ok = (k0 <= k1) & (k0 < n_p) & (k1 >= 0)
    diff = np.bincount(k0[ok], weights=w_high[ok], minlength=n_p + 1)
    diff -= np.bincount(k1[ok] + 1, weights=w_high[ok], minlength=n_p + 1)
    high = np.cumsum(diff)[:n_p]
    # best: the middle day of the range.
    mid = (ds + de) // 2
    k = np.searchsorted(starts, mid, side="right") - 1
    ok = k_sel & (k >= 0) & (mid <= ends[np.clip(k, 0, max(n_p - 1, 0))])
    best = np.bincount(k[ok], weights=w_best[ok], minlength=n_p)[:n_p]
    covered: list[str] = []
    if coverage is None:
        covered = ["none"] * n_p
    else:
        c0, c1 = coverage[0].toordinal(), coverage[1].toordinal()
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            covered.append(
                "full" if c0 <= a and b <= c1 else ("none" if b < c0 or a > c1 else "partial")
            )
    high = np.where(np.asarray(covered) == "partial", np.inf, high)
    return Measurement(
        starts=starts,
        ends=ends,
        low=np.asarray(low, dtype=np.float64),
        best=np.asarray(best, dtype=np.float64),
        high=np.asarray(high, dtype=np.float64),
        covered=covered,
        certain=certain,
        possible=possible,
        coded=coded,
    )


def _meets(v: float, comparison: str, threshold: float) -> bool:
    return {
        "<": v < threshold,
        "<=": v <= threshold,
        "==": v == threshold,
        ">=": v >= threshold,
        ">": v > threshold,
    }[comparison]


def verdict(low: float, high: float, comparison: str, threshold: float) -> Verdict:
    """The verdict on a measured interval ``[low, high]``.

    ``kept`` when every value in it meets the threshold, ``breached`` when none does,
    ``undetermined`` otherwise.
    """
    if comparison in ("<", "<="):
        all_meet, none_meet = (
            _meets(high, comparison, threshold),
            not _meets(low, comparison, threshold),
        )
    elif comparison in (">", ">="):
        all_meet, none_meet = (
            _meets(low, comparison, threshold),
            not _meets(high, comparison, threshold),
        )
    else:
        all_meet = low == high == threshold
        none_meet = threshold < low or threshold > high
    if all_meet:
        return "kept"
    if none_meet:
        return "breached"
    return "undetermined"

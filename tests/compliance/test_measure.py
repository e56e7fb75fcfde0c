"""Measurements: hand-counted answers on small files, verdict rules, and properties."""

from __future__ import annotations

import datetime as dt
import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.compliance.check import DatasetEvents, check_commitment
from detente.compliance.measure import EventArrays, measure, verdict
from detente.compliance.metrics import load_metrics, parse_metrics_text
from detente.compliance.periods import parse_duration, periods
from detente.compliance.sources import load_commitment_file
from detente.errors import CaseError
from detente.events.model import EventColumns
from detente.events.readers import read_events
from tests.compliance.event_strategies import METRIC_AB, event_columns, relabel
from tests.events.event_helpers import EVENTS

MONTHS = [
    (dt.date(2023, 1, 1), dt.date(2023, 1, 31)),
    (dt.date(2023, 2, 1), dt.date(2023, 2, 28)),
    (dt.date(2023, 3, 1), dt.date(2023, 3, 31)),
    (dt.date(2023, 4, 1), dt.date(2023, 4, 30)),
]
FULL = (dt.date(2023, 1, 1), dt.date(2023, 4, 30))


def arrays(name: str) -> EventArrays:
    return EventArrays.from_columns(read_events(EVENTS / name)[0])


def test_ged_event_counts_counted_by_hand() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    m = measure(mf, "ttp_events_in_pakistan", "ucdp-ged", arrays("ged-small.csv"), MONTHS, FULL)
    # Jan: event 1 certain; 2 (25 Jan-5 Feb) and 8 (28 Dec-3 Jan) only overlap; best
    # counts 1 and 2 (2's middle day is 30 Jan). Feb: 2 overlaps; 3 (where_prec 7) is only
    # possibly in Pakistan. Mar: 4 has event_clarity 2; 5 is in Afghanistan. Apr: 6 spans
    # the whole month (date_prec 4) and is certain. 7 (BLA) never counts.
    assert m.low.tolist() == [1, 0, 0, 1]
    assert m.best.tolist() == [2, 1, 1, 1]
    assert m.high.tolist() == [3, 2, 1, 1]
    assert m.covered == ["full"] * 4


def test_ged_fatalities_counted_by_hand() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    m = measure(mf, "ttp_fatalities_in_pakistan", "ucdp-ged", arrays("ged-small.csv"), MONTHS, FULL)
    assert m.low.tolist() == [2, 0, 0, 2]  # event 1 low; event 6 low
    assert m.best.tolist() == [4, 0, 4, 2]  # 3+1; event 3 best 0; event 4; event 6
    assert m.high.tolist() == [11, 2, 4, 3]  # 5+2+4; 2+0; 4; 3


def test_acled_counted_by_hand() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    m = measure(mf, "ttp_events_in_pakistan", "acled", arrays("acled-synthetic.csv"), MONTHS, FULL)
    # TST1 Jan certain; TST2 (month only, unidentified actor) possible in Feb; TST3 (a week
    # in March) certain; TST4 is a protest; AFGTST5 in Afghanistan; TST6 (28 Mar-3 Apr)
    # overlaps March and April, its middle day is 31 March.
    assert m.low.tolist() == [1, 0, 1, 0]
    assert m.best.tolist() == [1, 0, 2, 0]
    assert m.high.tolist() == [1, 1, 2, 1]


def test_partial_coverage_leaves_high_unbounded() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    ev = arrays("acled-synthetic.csv")
    cov = (dt.date(2023, 1, 10), dt.date(2023, 4, 3))  # the events' own span
    m = measure(mf, "ttp_events_in_pakistan", "acled", ev, MONTHS, cov)
    assert m.covered == ["partial", "full", "full", "partial"]
    assert math.isinf(m.high[0]) and math.isinf(m.high[3]) and m.high[1] == 1
    none = measure(
        mf,
        "ttp_events_in_pakistan",
        "acled",
        ev,
        MONTHS,
        (dt.date(2024, 1, 1), dt.date(2024, 2, 1)),
    )
    assert none.covered == ["none"] * 4


@pytest.mark.parametrize(
    ("low", "high", "cmp", "thr", "want"),
    [
        (0, 0, "<=", 0, "kept"),
        (0, 1, "<=", 0, "undetermined"),
        (1, 3, "<=", 0, "breached"),
        (0, math.inf, "<=", 5, "undetermined"),
        (6, math.inf, "<=", 5, "breached"),
        (0, 4, "<", 5, "kept"),
        (5, 9, "<", 5, "breached"),
        (2, 3, ">=", 2, "kept"),
        (0, 1, ">=", 2, "breached"),
        (1, 2, ">=", 2, "undetermined"),
        (3, 3, ">", 2, "kept"),
        (2, 2, "==", 2, "kept"),
        (1, 3, "==", 2, "undetermined"),
        (3, 4, "==", 2, "breached"),
    ],
)
def test_verdict_rule(low: float, high: float, cmp: str, thr: float, want: str) -> None:
    assert verdict(low, high, cmp, thr) == want


def test_periods_and_durations() -> None:
    assert periods(dt.date(2023, 1, 1), dt.date(2023, 4, 30), parse_duration("P1M")) == MONTHS
    weeks = periods(dt.date(2025, 1, 1), dt.date(2025, 1, 20), parse_duration("P1W"))
    assert weeks[-1] == (dt.date(2025, 1, 15), dt.date(2025, 1, 20))  # the last ends on end
    assert periods(dt.date(2024, 1, 31), dt.date(2024, 3, 31), parse_duration("P1M"))[0] == (
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 28),
    )
    assert parse_duration("P1Y2M10D") == (14, 10)
    for bad in ("1M", "P", "PT12H", "P0D", "P1.5M", "monthly"):
        with pytest.raises(CaseError) as err:
            parse_duration(bad)
        assert err.value.items[0].code == "bad-period"


def test_check_side_by_side_reports_disagreement() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    c = load_commitment_file(EVENTS / "commitment-monthly.json")
    ged, acled = arrays("ged-small.csv"), arrays("acled-synthetic.csv")
    data = [
        DatasetEvents("acled", "2024-01-15", "a" * 64, acled, FULL),
        DatasetEvents("ucdp-ged", "23.1", "b" * 64, ged, FULL),
    ]
    report = check_commitment(c, mf, data)
    ps = report.obligations[0].periods
    # The indicator's source (ucdp-ged) gives the headline even though it is listed second.
    assert [p.dataset for p in ps] == ["ucdp-ged 23.1"] * 4
    assert [p.verdict for p in ps] == ["undetermined", "undetermined", "kept", "kept"]
    assert [[f.verdict for f in p.datasets] for p in ps] == [
        ["kept", "undetermined"],
        ["kept", "undetermined"],
        ["undetermined", "kept"],
        ["kept", "kept"],
    ]
    assert [p.disagreement for p in ps] == [True, True, True, False]
    assert ps[0].datasets[1].events_low == ["1"] and sorted(ps[0].datasets[1].events_possible) == [
        "2",
        "8",
    ]
    assert all(p.final for p in ps)
    doc = json.loads(json.dumps(report.to_json()))
    keys = {"start", "end", "low", "best", "high", "threshold", "comparison", "verdict"}
    assert keys <= set(doc["obligations"][0]["periods"][0])


def test_as_of_cuts_the_last_period_and_it_is_not_final() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    c = load_commitment_file(EVENTS / "commitment-monthly.json")
    data = [DatasetEvents("ucdp-ged", "23.1", "b" * 64, arrays("ged-small.csv"), FULL)]
    ps = check_commitment(c, mf, data, as_of=dt.date(2023, 3, 15)).obligations[0].periods
    assert [(p.start, p.end) for p in ps][-1] == (dt.date(2023, 3, 1), dt.date(2023, 3, 15))
    assert [p.final for p in ps] == [True, True, False]


def test_no_data_where_no_dataset_covers() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    c = load_commitment_file(EVENTS / "commitment-monthly.json")
    data = [
        DatasetEvents(
            "ucdp-ged",
            "23.1",
            "b" * 64,
            arrays("ged-small.csv"),
            (dt.date(2023, 1, 1), dt.date(2023, 2, 28)),
        )
    ]
    ps = check_commitment(c, mf, data).obligations[0].periods
    assert [p.verdict for p in ps][2:] == ["no data", "no data"]
    assert ps[2].low is None and ps[2].dataset is None


def test_area_filter_with_distance_and_precision() -> None:
    line = {"type": "LineString", "coordinates": [[71.0, 33.0], [71.0, 35.0]]}  # lon 71 E
    text = f"""
format: detente.metrics/v1
aliases: {{TTP: [TTP]}}
metrics:
  near:
    proxy_for: TTP events within 60 km of a line.
    caveat: A test line, not a border.
    actors: {{any_side: [TTP]}}
    datasets: {{plain: {{versions: ["1"]}}}}
    place: {{area: {{geojson: {json.dumps(line)}, distance_km: 60}}}}
"""
    mf = parse_metrics_text(text)
    # lon 71.5 at lat 34 is ~46 km from the line; where_prec 2 adds 25 km of doubt.
    ev = EventColumns(kind="plain")
    for k, (lon, prec) in enumerate([(71.5, 1), (71.5, 2), (72.5, 1), (71.2, 6)]):
        for name, v in dict(
            event_id=f"e{k}",
            line=k + 2,
            date_start=dt.date(2023, 1, 5).toordinal(),
            date_end=dt.date(2023, 1, 5).toordinal(),
            side_a="TTP",
            side_b="",
            dyad="TTP",
            assoc="",
            event_class="",
            sub_class="",
            country="Pakistan",
            admin1="",
            admin2="",
            latitude=34.0,
            longitude=lon,
            place_precision=prec,
            date_precision=1,
            clear=True,
            fatalities_low=0.0,
            fatalities_best=0.0,
            fatalities_high=0.0,
            raw="",
        ).items():
            getattr(ev, name).append(v)
    m = measure(mf, "near", "plain", EventArrays.from_columns(ev), MONTHS[:1], FULL)
    assert m.certain.tolist() == [True, False, False, False]
    assert m.possible.tolist() == [True, True, False, True]  # where_prec 6: anywhere
    assert (m.low[0], m.best[0], m.high[0]) == (1, 3, 3)


# -- properties ------------------------------------------------------------------------------
SPANS = periods(dt.date(2023, 1, 1), dt.date(2023, 12, 31), parse_duration("P1M"))
COV = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))


def _measure(
    ev: EventColumns, metric: str = "a_in_x"
) -> tuple[list[float], list[float], list[float]]:
    m = measure(METRIC_AB, metric, "plain", EventArrays.from_columns(ev), SPANS, COV)
    return m.low.tolist(), m.best.tolist(), m.high.tolist()


@settings(max_examples=60, deadline=None)
@given(event_columns(), event_columns(max_size=1))
def test_adding_an_event_never_lowers_high_and_low_best_high_are_ordered(
    ev: EventColumns, extra: EventColumns
) -> None:
    low, best, high = _measure(ev)
    assert all(a <= b <= c for a, b, c in zip(low, best, high, strict=True))
    more = EventColumns(kind="plain")
    for f in ev.__dataclass_fields__:
        if isinstance(getattr(ev, f), list) and f != "header":
            getattr(more, f).extend(getattr(ev, f) + getattr(extra, f))
    _, _, high2 = _measure(more)
    assert all(h2 >= h for h, h2 in zip(high, high2, strict=True))


@settings(max_examples=60, deadline=None)
@given(event_columns(), st.randoms(use_true_random=False))
def test_shuffling_rows_changes_nothing(ev: EventColumns, rnd: random.Random) -> None:
    order = list(range(len(ev)))
    rnd.shuffle(order)
    shuffled = EventColumns(kind="plain")
    for f in ev.__dataclass_fields__:
        v = getattr(ev, f)
        if isinstance(v, list) and f != "header":
            setattr(shuffled, f, [v[k] for k in order])
    assert _measure(ev) == _measure(shuffled)


@settings(max_examples=60, deadline=None)
@given(event_columns())
def test_relabelling_parties_mirrors_the_result(ev: EventColumns) -> None:
    # The metric for A in X, on events where A and B (and X and Y) swap names, equals the
    # metric for B in Y on the original events: no party is treated differently.
    assert _measure(relabel(ev), "a_in_x") == _measure(ev, "b_in_y")

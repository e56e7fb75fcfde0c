"""Readers: known answers on small files, the shipped UCDP sample in full, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.cli import cli
from detente.errors import CaseError
from detente.events.readers import GED_COLUMNS, detect_kind, read_events
from tests.events.event_helpers import EVENTS


def d(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


def test_ged_small_known_fields() -> None:
    ev, summary = read_events(EVENTS / "ged-small.csv")
    assert ev.kind == "ucdp-ged" and summary.rows_read == summary.rows_kept == 8
    r = ev.record(1)
    assert (r.event_id, r.start, r.end) == ("2", dt.date(2023, 1, 25), dt.date(2023, 2, 5))
    assert (r.place_precision, r.date_precision, r.clear) == (2, 3, True)
    assert (r.side_a, r.side_b, r.dyad) == (
        "Government of Pakistan",
        "TTP",
        "Government of Pakistan - TTP",
    )
    assert (r.fatalities_low, r.fatalities_best, r.fatalities_high) == (1, 1, 2)
    assert r.country == "Pakistan" and r.admin1 == "Khyber Pakhtunkhwa province"
    assert ev.record(3).clear is False and ev.record(2).place_precision == 7
    # The raw row is the file's record, byte for byte.
    lines = (EVENTS / "ged-small.csv").read_text(encoding="utf-8").splitlines()
    assert ev.raw == lines[1:]
    assert ev.line == list(range(2, 10))


def test_shipped_sample_read_in_full_matches_an_independent_parse(data_dir: Path) -> None:
    path = data_dir / "ucdp" / "ged231-sample.csv"
    ev, summary = read_events(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert summary.rows_read == summary.rows_kept == len(rows) == 1000
    assert ev.header == list(GED_COLUMNS) and len(ev.header) == 49
    ours = Counter((ev.dyad[k], dt.date.fromordinal(ev.date_start[k]).year) for k in range(len(ev)))
    theirs = Counter((r["dyad_name"], int(r["year"])) for r in rows)
    assert ours == theirs
    assert ours[("Government of Pakistan - TTP", 2010)] == 5
    assert sum(n for (dy, _), n in ours.items() if dy == "Government of Pakistan - TTP") == 20
    best = sum(ev.fatalities_best)
    assert best == sum(float(r["best"]) for r in rows)
    # Rows whose estimates are out of order are kept, widened, and counted in the summary.
    disordered = sum(not float(r["low"]) <= float(r["best"]) <= float(r["high"]) for r in rows)
    assert summary.warnings.get("fatality-estimates-out-of-order", 0) == disordered > 0
    assert all(
        lo <= b <= hi
        for lo, b, hi in zip(ev.fatalities_low, ev.fatalities_best, ev.fatalities_high, strict=True)
    )
    assert Counter(ev.place_precision) == Counter(int(r["where_prec"]) for r in rows)
    assert Counter(ev.date_precision) == Counter(int(r["date_prec"]) for r in rows)


def test_api_json_matches_the_csv_rows() -> None:
    api, _ = read_events(EVENTS / "ucdp-api-page.json")
    csv_ev, _ = read_events(EVENTS / "ged-small.csv")
    for k in range(3):
        a, c = api.record(k), csv_ev.record(k)
        assert (
            a.event_id,
            a.date_start,
            a.date_end,
            a.side_b,
            a.place_precision,
            a.fatalities_high,
        ) == (c.event_id, c.date_start, c.date_end, c.side_b, c.place_precision, c.fatalities_high)
        assert json.loads(a.raw)["relid"] == f"PAK-2023-{a.event_id}"


def test_acled_dates_widen_by_time_precision() -> None:
    ev, summary = read_events(EVENTS / "acled-synthetic.csv")
    assert ev.kind == "acled" and summary.rows_kept == 6
    spans = {ev.event_id[k]: (ev.date_start[k], ev.date_end[k]) for k in range(len(ev))}
    assert spans["TST1"] == (d("2023-01-10"), d("2023-01-10"))
    assert spans["TST2"] == (d("2023-02-01"), d("2023-02-28"))  # month only
    assert spans["TST3"] == (d("2023-03-05"), d("2023-03-11"))  # a week
    assert ev.side_a[0] == "TTP: Tehreek-i-Taliban Pakistan"
    assert ev.fatalities_low[0] == ev.fatalities_high[0] == 3


def test_acled_upper_case_header_is_read(tmp_path: Path) -> None:
    text = (EVENTS / "acled-synthetic.csv").read_text(encoding="utf-8")
    head, _, body = text.partition("\n")
    p = tmp_path / "upper.csv"
    p.write_text(head.upper() + "\n" + body, encoding="utf-8")
    ev, _ = read_events(p)
    assert ev.kind == "acled" and len(ev) == 6


def test_plain_reader() -> None:
    ev, _ = read_events(EVENTS / "plain-small.csv")
    assert ev.kind == "plain" and len(ev) == 3
    r = ev.record(1)
    assert (r.start, r.end, r.place_precision, r.fatalities_high) == (
        dt.date(2023, 2, 1),
        dt.date(2023, 2, 28),
        6,
        3,
    )
    assert "x_coder_note" in ev.header


def test_detect_kind() -> None:
    assert detect_kind(list(GED_COLUMNS)) == "ucdp-ged"
    assert (
        detect_kind(
            ["event_id_cnty", "event_date", "event_type", "actor1", "actor2", "country", "latitude"]
        )
        == "acled"
    )
    assert detect_kind(["id", "date_start", "side_a", "country"]) == "plain"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "ged-bad-rows.csv",
            [
                (2, 39, "bad-date"),
                (3, 25, "bad-precision-code"),
                (4, 38, "bad-precision-code"),
                (5, 45, "bad-count"),
                (6, 30, "bad-coordinate"),
                (7, None, "bad-row"),
            ],
        ),
        ("ged-bad-header.csv", [(1, 49, "unknown-column"), (1, None, "missing-column")]),
        ("acled-bad.csv", [(1, 31, "unknown-column"), (1, None, "missing-column")]),
        (
            "acled-bad-rows.csv",
            [(2, 4, "bad-precision-code"), (3, 2, "bad-date"), (4, 29, "bad-count")],
        ),
        ("plain-bad.csv", [(1, 5, "unknown-column"), (2, 2, "bad-date"), (3, 3, "missing-value")]),
    ],
)
def test_every_problem_reported_at_once_located(
    name: str, expected: list[tuple[int, int | None, str]]
) -> None:
    with pytest.raises(CaseError) as err:
        read_events(EVENTS / name)
    got = [(x.line, x.column, x.code) for x in err.value.items]
    assert got == expected
    assert all(x.file == str(EVENTS / name) and x.expected for x in err.value.items)


def test_skip_bad_counts_and_says_why() -> None:
    ev, summary = read_events(EVENTS / "ged-bad-rows.csv", skip_bad=True)
    assert len(ev) == 0 and summary.rows_read == 6 and summary.rows_skipped == 6
    assert summary.skipped_by_reason == {
        "bad-date": 1,
        "bad-precision-code": 2,
        "bad-count": 1,
        "bad-coordinate": 1,
        "bad-row": 1,
    }
    assert summary.skipped[0].line == 2 and "date_start" in summary.skipped[0].reason


def test_hostile_inputs_are_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CaseError):
        read_events(empty)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"id,date_start,side_a,country\n\xff\xfe\x00,1,2,3\n")
    with pytest.raises(CaseError):
        read_events(binary)
    huge = tmp_path / "huge.csv"
    huge.write_text(
        "id,date_start,side_a,country\n" + "a" * 200_000 + ",2023-01-01,x,y\n", encoding="utf-8"
    )
    with pytest.raises(CaseError) as err:
        read_events(huge)
    assert err.value.items[0].line == 2
    inf = tmp_path / "inf.csv"
    inf.write_text(
        "id,date_start,side_a,country,fatalities\na,2023-01-01,x,y,inf\n", encoding="utf-8"
    )
    with pytest.raises(CaseError) as err:
        read_events(inf)
    assert err.value.items[0].code == "bad-count"


def test_cli_check_exits_2_with_diagnostics() -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["events", "check", str(EVENTS / "ged-bad-rows.csv")])
    assert res.exit_code == 2
    assert "ged-bad-rows.csv:3:25: error[bad-precision-code]" in res.output
    assert "Traceback" not in res.output
    ok = runner.invoke(cli, ["events", "check", str(EVENTS / "ged-small.csv"), "--format", "json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["rows_kept"] == 8

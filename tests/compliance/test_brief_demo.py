"""The brief section's data, charts and template; the demo on the shipped UCDP sample."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import jinja2

from detente.compliance.brief import TEMPLATE, render_section, section_data
from detente.compliance.check import DatasetEvents, check_commitment
from detente.compliance.demo import run_demo
from detente.compliance.measure import EventArrays
from detente.compliance.metrics import load_metrics
from detente.compliance.sources import load_commitment_file
from detente.compliance.trust import trust_over_time
from detente.events.readers import read_events
from tests.events.event_helpers import EVENTS, recorded_verdict

FULL = (dt.date(2023, 1, 1), dt.date(2023, 4, 30))


def _report():
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    c = load_commitment_file(EVENTS / "commitment-monthly.json")
    c = c.model_copy(update={"label": "<script>alert(1)</script>"})
    data = [
        DatasetEvents(
            "ucdp-ged",
            "23.1",
            "b" * 64,
            EventArrays.from_columns(read_events(EVENTS / "ged-small.csv")[0]),
            FULL,
        ),
        DatasetEvents(
            "acled",
            "2024-01-15",
            "a" * 64,
            EventArrays.from_columns(read_events(EVENTS / "acled-synthetic.csv")[0]),
            FULL,
        ),
    ]
    return check_commitment(c, mf, data)


def test_section_data_and_charts() -> None:
    report = _report()
    rv = recorded_verdict(
        1, "fulfilled", "2023-03-01", "2023-03-31", by="x", commitment=report.commitment
    )
    sec = section_data(report, trust_over_time([rv]))
    assert sec["title"] == "Are they keeping it?"
    (ob,) = sec["obligations"]
    assert [p["verdict"] for p in ob["periods"]] == ["undetermined", "undetermined", "kept", "kept"]
    assert (ob["kept"], ob["undetermined"]) == (2, 2)
    assert len(sec["disagreements"]) == 3
    ids = [cid for cid, _ in sec["charts"]]
    assert ids == [ob["chart"], sec["trust_chart"]]
    spec = dict(sec["charts"])[ob["chart"]]
    assert spec["$schema"].endswith("vega-lite/v5.json") and len(spec["data"]["values"]) == 4
    assert {v["verdict"] for v in spec["data"]["values"]} == {"undetermined", "kept"}
    json.dumps(sec)  # JSON-ready
    assert sec["breaches"] == []  # nothing breached here
    html = render_section(sec)
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert f'data-chart="{ob["chart"]}-spec"' in html
    jinja2.Environment().parse(TEMPLATE.read_text(encoding="utf-8"))


def test_demo_on_the_shipped_sample(
    tmp_path: Path, istanbul_case_path: Path, data_dir: Path
) -> None:
    res = run_demo(tmp_path, istanbul_case_path)
    assert res["receipt_verified"] is True
    assert "ILLUSTRATIVE" in res["caveat"] and "ILLUSTRATIVE" in (res["section"]["label"] or "")
    # An independent count: TTP a side, in Pakistan, per year, from the raw CSV.
    with (data_dir / "ucdp" / "ged231-sample.csv").open(encoding="utf-8", newline="") as fh:
        per_year = Counter(
            int(r["date_start"][:4])
            for r in csv.DictReader(fh)
            if "TTP" in (r["side_a"], r["side_b"]) and r["country"] == "Pakistan"
        )
    (ob,) = res["section"]["obligations"]
    got = {int(p["start"][:4]): p for p in ob["periods"]}
    assert sorted(got) == list(range(2007, 2023))
    for year, p in got.items():
        assert p["best"] == per_year.get(year, 0)
        want = "breached" if per_year.get(year, 0) > 1 else "kept"
        assert p["verdict"] == want, year
    assert res["verdicts"] == dict(Counter(p["verdict"] for p in ob["periods"]))
    breach_ids = {b["event_id"] for b in res["section"]["breaches"]}
    assert "57977" in breach_ids  # one of 2010's five events
    assert len(res["verdict_indexes"]) == 16
    assert (tmp_path / "compliance-section.html").read_text(encoding="utf-8").count(
        "data-chart="
    ) == 2

"""The brief's content, escaping, data twin and vendored JavaScript (no browser needed)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import detente
from detente.report import build_brief
from detente.report.brief import VENDOR_FILES, brief_context, json_for_script
from detente.report.sections import Provenance
from detente.uncertainty import run_sweep

VENDOR = Path(detente.__file__).parent / "report" / "vendor"


class _Doc(HTMLParser):
    """Collects tags, their attributes, element text by id and script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self.text_by_id: dict[str, str] = {}
        self._script_id: str | None = None
        self._open_ids: list[tuple[str, str]] = []
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("td", "th", "tr", "br", "p", "li"):
            for _, i in self._open_ids:
                self.text_by_id[i] += " "
        if tag == "script":
            self._script_id = a.get("id") or f"anon-{len(self.scripts)}"
            self._buf = []
        elif a.get("id"):
            self._open_ids.append((tag, str(a["id"])))
            self.text_by_id[str(a["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script_id is not None:
            self.scripts[self._script_id] = "".join(self._buf)
            self._script_id = None
        elif self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        if self._script_id is not None:
            self._buf.append(data)
            return
        for _, i in self._open_ids:
            self.text_by_id[i] += data


def parse(html: str) -> _Doc:
    doc = _Doc()
    doc.feed(html)
    doc.close()
    return doc


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_brief_shows_case_sources_actors_issues(small_case: Any, small_forecast: Any) -> None:
    html = build_brief(small_case, small_forecast)
    doc = parse(html)
    assert squash(doc.text_by_id["title"]) == "Harbour access talks (invented test case)"
    assert doc.text_by_id["dates"] == "2025-03-01 – 2025-03-03"
    assert doc.text_by_id["place"] == "Geneva"
    assert "Two neighbours dispute access" in doc.text_by_id["summary"]
    neutrality = squash(doc.text_by_id["neutrality"])
    assert "models every party the same way" in neutrality
    assert "1 of 3 source(s) are partisan (opinion pieces, or reporting with a noted bias)" in (
        neutrality
    )
    assert "other source(s) carry a note" not in neutrality
    # The opinion piece is flagged, the wire report is not.
    oped = squash(doc.text_by_id["source-oped"])
    assert "partisan" in oped and "Northland government adviser" in oped
    assert "partisan" not in squash(doc.text_by_id["source-wire"])
    assert "Analyst's estimate" in squash(doc.text_by_id["source-analyst"])
    assert "bias noted" not in squash(doc.text_by_id["source-analyst"])
    # Actors: kind, role and at-the-table.
    guild = squash(doc.text_by_id["actor-guild"])
    assert "civil society" in guild and "stakeholder" in guild and " no " in f" {guild} "
    assert " yes " in f" {squash(doc.text_by_id['actor-north'])} "
    # Issues: anchors and status quo with its quote.
    access = squash(doc.text_by_id["issue-access"])
    assert "0 Closed; 50 Daytime access with inspection; 100 Unrestricted access" in access
    assert "The harbour has been closed since January." in access
    assert "No coded position: Harbour Pilots' Guild." in squash(doc.text_by_id["issue-guarantee"])


def test_forecast_tables_match_the_forecast(small_case: Any, small_forecast: Any) -> None:
    doc = parse(build_brief(small_case, small_forecast))
    for issue in small_case.issues:
        text = squash(doc.text_by_id[f"forecast-{issue.id}"])
        for row in small_forecast.rows():
            if row["issue"] != issue.id:
                continue
            expected = f"{row['model']} {row['outcome']:.4g} {row['anchor_label']}"
            assert expected in text, (expected, text)
    glance = squash(doc.text_by_id["glance"])
    assert "65.33 ≈ Daytime access with inspection" in glance
    assert "24.95 ≈ Closed" in glance


def test_data_twin_is_the_data_shown(small_case: Any, small_forecast: Any) -> None:
    doc = parse(build_brief(small_case, small_forecast))
    data = json.loads(doc.scripts["detente-data"])
    assert data["format"] == "detente-brief/2"
    assert data["case"] == small_case.model_dump(mode="json")
    assert data["forecast"] == json.loads(json.dumps(small_forecast.to_dict()))
    assert data["diagnosis"] is None and data["guarantees"] is None
    assert data["sweep"] is None and data["tornado"] is None and data["interventions"] is None


def test_actor_chart_encodes_position_salience_capability(
    small_case: Any, small_forecast: Any
) -> None:
    ctx = brief_context(small_case, small_forecast)
    access = ctx["issues"][0]
    spec = dict(ctx["charts"])[access["actors_chart"]]
    rows = {r["actor_id"]: r for r in spec["data"]["values"]}
    assert set(rows) == {"north", "south", "med", "guild"}
    assert rows["north"]["position"] == 90 and rows["north"]["low"] == 80
    assert rows["north"]["salience"] == 0.9 and rows["north"]["capability"] == 60
    assert rows["north"]["quote"] == "Northland wants full access."
    assert rows["guild"]["table_text"] == "no"
    point = spec["layer"][1]["encoding"]
    assert point["x"]["field"] == "position"
    assert point["x"]["scale"]["domain"] == [0.0, 100.0]
    assert point["size"]["field"] == "capability"
    assert point["opacity"]["field"] == "salience"
    tooltip_fields = {t["field"] for t in point["tooltip"]}
    assert {
        "position_text",
        "salience_text",
        "capability_text",
        "source",
        "quote",
    } <= tooltip_fields
    # Forecast chart: one diamond per model, the status quo and the anchors.
    fspec = dict(ctx["charts"])[ctx["forecasts"][0]["chart"]]
    assert [r["model"] for r in fspec["data"]["values"]] == ["compromise", "median", "nash"]
    sq = [
        layer
        for layer in fspec["layer"]
        if layer.get("data", {}).get("values", [{}])[0].get("label") == "Status quo"
    ]
    assert sq and sq[0]["data"]["values"][0]["value"] == 10


def test_every_chart_placeholder_has_its_spec(small_case: Any, small_forecast: Any) -> None:
    doc = parse(build_brief(small_case, small_forecast))
    placeholders = [a["data-chart"] for t, a in doc.tags if t == "div" and "data-chart" in a]
    assert len(placeholders) == 4  # actors and forecast chart for each of two issues
    for spec_id in placeholders:
        spec = json.loads(doc.scripts[str(spec_id)])
        assert spec["$schema"].endswith("vega-lite/v5.json")


def test_page_loads_nothing_from_outside(small_case: Any, small_forecast: Any) -> None:
    html = build_brief(small_case, small_forecast)
    doc = parse(html)
    for tag, attrs in doc.tags:
        for name in ("src", "href", "srcset", "action", "data"):
            value = attrs.get(name)
            if value is None:
                continue
            assert value.startswith("#"), (tag, name, value)
    csp = [a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in str(csp[0])
    vendored = [a.get("data-vendor") for t, a in doc.tags if t == "script" and a.get("data-vendor")]
    assert vendored == list(VENDOR_FILES)


HOSTILE_TITLE = "<script>alert('title')</script> & co"
HOSTILE_SUMMARY = "</script><img src=x onerror=alert(1)><!-- <b>bold</b>"
HOSTILE_NAME = 'North<b>land</b> "quoted"'


@pytest.fixture
def hostile_case(small_case_path: Path, case_with: Any) -> Any:
    return case_with(
        small_case_path,
        **{
            "title: Harbour access talks (invented test case)": (
                f"title: {json.dumps(HOSTILE_TITLE)}"
            ),
            "  summary: >-\n    Two neighbours dispute access to a shared harbour; "
            "a mediator hosts the talks.\n    Invented for tests.": (
                f"  summary: {json.dumps(HOSTILE_SUMMARY)}"
            ),
            "name: Northland": f"name: {json.dumps(HOSTILE_NAME)}",
        },
    )


def test_case_text_is_escaped(hostile_case: Any) -> None:
    html = build_brief(hostile_case, detente.forecast(hostile_case))
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>land" not in html
    doc = parse(html)
    assert squash(doc.text_by_id["title"]) == HOSTILE_TITLE
    assert doc.text_by_id["summary"] == HOSTILE_SUMMARY
    assert not [t for t, _ in doc.tags if t in ("img", "b")]
    data = json.loads(doc.scripts["detente-data"])
    assert data["case"]["case"]["title"] == HOSTILE_TITLE
    assert data["case"]["case"]["summary"] == HOSTILE_SUMMARY
    assert data["case"]["actors"][0]["name"] == HOSTILE_NAME


@pytest.mark.parametrize(
    "value",
    ["</script>", "<!--", "a & b", "\u2028line", {"k</SCRIPT >": ["<", ">"]}, float("nan")],
)
def test_json_for_script_cannot_break_out(value: Any) -> None:
    text = str(json_for_script({"v": value}))
    assert "<" not in text and ">" not in text and "&" not in text
    back = json.loads(text)["v"]
    assert back == (None if isinstance(value, float) else value)


def test_diagnosis_section(small_case: Any, small_forecast: Any, sample_diagnosis: Any) -> None:
    without = parse(build_brief(small_case, small_forecast))
    assert "diagnosis" not in without.text_by_id
    ctx = brief_context(small_case, small_forecast, diagnosis=sample_diagnosis())
    doc = parse(build_brief(small_case, small_forecast, diagnosis=sample_diagnosis()))
    section = squash(doc.text_by_id["diagnosis"])
    assert "Deadlock: the coded positions and stakes do not point to an agreement." in section
    assert "Northland and Southland each expect to lose by challenging." in section
    assert "Northland → Southland stalemate stalemate -0.2 -0.1" in section
    assert "Mediator State → Southland compromise receiver capitulates" in section
    assert "Rule: deadlock if the principals stay over 25% of the scale apart" in section
    (diag,) = ctx["diagnosis"]["issues"]
    spec = dict(ctx["charts"])[diag["chart"]]
    points = spec["layer"][2]
    assert points["encoding"]["x"]["field"] == "eu_initiator"
    assert points["encoding"]["y"]["field"] == "eu_receiver"
    assert len(points["data"]["values"]) == 3
    assert "deadlock" in squash(doc.text_by_id["glance"])
    assert json.loads(doc.scripts["detente-data"])["diagnosis"] == sample_diagnosis()


def test_unknown_verdict_is_shown_as_given(
    small_case: Any, small_forecast: Any, sample_diagnosis: Any
) -> None:
    diag = sample_diagnosis()
    diag["issues"]["access"].update(verdict="talks_suspended", explanation="", pairs=[])
    doc = parse(build_brief(small_case, small_forecast, diagnosis=diag))
    assert "Talks suspended" in squash(doc.text_by_id["diagnosis"])


@pytest.mark.parametrize("ok", [True, False])
def test_guarantee_section(
    small_case: Any, small_forecast: Any, sample_guarantee: Any, ok: bool
) -> None:
    doc = parse(build_brief(small_case, small_forecast, guarantees=[sample_guarantee(ok)]))
    section = squash(doc.text_by_id["guarantee"])
    assert "Illustrative example, not a real agreement" in section
    assert "Southland will open the harbour to daytime traffic with inspection." in section
    assert "example.org/detente-demo" in section and "entry 0 of 1" in section
    assert "Committing party Southland" in section and "Beneficiaries Northland" in section
    status = doc.text_by_id["guarantee-status"]
    if ok:
        assert status == "verified"
    else:
        assert status == "NOT verified"
        assert "inclusion proof does not match the checkpoint root" in section


def test_rounds_chart_when_forecast_has_rounds(small_case: Any, small_forecast: Any) -> None:
    data = small_forecast.to_dict()
    assert "trajectories" not in squash(build_brief(small_case, data))
    rounds = [
        {
            "round": 0,
            "median": 50.0,
            "mean": 55.0,
            "positions": {"north": 90.0, "south": 20.0, "med": 50.0, "guild": 70.0},
        },
        {
            "round": 1,
            "median": 60.0,
            "mean": 58.0,
            "positions": {"north": 80.0, "south": 35.0, "med": 55.0, "guild": 65.0},
        },
    ]
    data["issues"]["access"]["models"]["median"]["rounds"] = rounds
    ctx = brief_context(small_case, data)
    (view,) = ctx["trajectories"]
    spec = dict(ctx["charts"])[view["chart"]]
    values = spec["data"]["values"]
    assert len(values) == 2 * (4 + 2)
    assert {"round": 1, "series": "Southland", "kind": "actor", "value": 35.0} in values
    assert {"round": 1, "series": "Weighted median", "kind": "median", "value": 60.0} in values
    doc = parse(build_brief(small_case, data))
    assert "Positions by round" in squash(doc.text_by_id["trajectories"])


def test_a_sweep_without_issues_is_embedded_and_says_so(
    small_case: Any, small_forecast: Any
) -> None:
    sweep = run_sweep(small_case, 1000, 1, models=["median"]).to_dict()
    sweep["issues"] = {}
    sweep["engine"] = "<not html>"
    html = build_brief(small_case, small_forecast, sweep=sweep)
    doc = parse(html)
    assert "<not html>" not in html  # data only, never markup
    section = squash(doc.text_by_id["sweep"])
    assert "1,000 draws" in section and "The sweep has no per-issue results." in section
    assert json.loads(doc.scripts["detente-data"])["sweep"] == json.loads(json.dumps(sweep))


def test_brief_is_deterministic(small_case: Any, small_forecast: Any) -> None:
    when = Provenance(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "case.yaml", "ab" * 32)
    first = build_brief(small_case, small_forecast, provenance=when)
    assert first == build_brief(small_case, small_forecast, provenance=when)
    assert "2026-01-02 03:04:05 UTC" in first and "ab" * 32 in first


def test_vendored_builds_match_their_readme() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    versions = dict(re.findall(r"^\| `([\w.-]+\.min\.js)` \| .*? \| ([\d.]+) \|", readme, re.M))
    assert set(versions) == set(VENDOR_FILES)
    vega = (VENDOR / "vega.min.js").read_text(encoding="utf-8")
    lite = (VENDOR / "vega-lite.min.js").read_text(encoding="utf-8")
    embed = (VENDOR / "vega-embed.min.js").read_text(encoding="utf-8")
    assert f'"{versions["vega.min.js"]}"' in vega
    assert f'var n="{versions["vega-lite.min.js"]}"' in lite
    assert f'="{versions["vega-embed.min.js"]}"' in embed
    assert versions["vega.min.js"].startswith("5.")
    assert versions["vega-lite.min.js"].startswith("5.")
    assert versions["vega-embed.min.js"].startswith("6.")
    for name in ("LICENSE-vega", "LICENSE-vega-lite", "LICENSE-vega-embed"):
        text = (VENDOR / name).read_text(encoding="utf-8")
        assert "University of Washington Interactive Data Lab" in text
        assert "Redistribution and use in source and binary forms" in text
    import hashlib

    for name in VENDOR_FILES:
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in readme, name


def test_guarantee_shows_a_signed_record_readably(
    small_case: Any, small_forecast: Any, sample_guarantee: Any
) -> None:
    g = sample_guarantee(True)
    g["commitment"] = {
        "id": "sha256:abc",
        "commitment": {
            **g["commitment"]["commitment"],
            "start": "2025-03-01",
            "end": "2025-09-01",
            "guarantors": ["med"],
            "obligations": [
                {
                    "id": "open",
                    "text": "Open the harbour by day.",
                    "indicator": {
                        "metric": "days_open",
                        "comparison": ">=",
                        "threshold": 25,
                        "period": "P30D",
                    },
                }
            ],
        },
        "signatures": [{"actor": "south", "role": "party", "key": "k", "sig": "xx"}],
        "countersignatures": [{"actor": "med", "role": "mediator", "key": "k", "sig": "yy"}],
    }
    doc = parse(build_brief(small_case, small_forecast, guarantees=[g]))
    section = squash(doc.text_by_id["guarantee"])
    assert squash(doc.text_by_id["guarantee-text"]) == (
        "Southland will open the harbour to daytime traffic with inspection."
    )
    assert "Open the harbour by day. [measured: days_open >= 25 per P30D]" in section
    assert "Committing party Southland" in section
    assert "Beneficiaries Northland" in section
    assert "In force 2025-03-01 – 2025-09-01" in section
    assert "Signed by Southland" in section and "Countersigned by Mediator State" in section
    assert "Commitment id sha256:abc" in section


def test_bias_note_on_an_analyst_source_is_not_called_partisan(
    small_case_path: Path, case_with: Any
) -> None:
    case = case_with(
        small_case_path,
        **{
            "    citation: Analyst's estimate for this test case\n    kind: analyst": (
                "    citation: Analyst's estimate for this test case\n    kind: analyst\n"
                "    bias: Judgement calls by the coder."
            ),
            "    kind: news": "    kind: news\n    bias: State-owned outlet of Southland.",
        },
    )
    doc = parse(build_brief(case, detente.forecast(case)))
    neutrality = squash(doc.text_by_id["neutrality"])
    assert "2 of 3 source(s) are partisan" in neutrality
    assert "1 other source(s) carry a note on their limits" in neutrality
    analyst = squash(doc.text_by_id["source-analyst"])
    assert "bias noted" in analyst and "partisan" not in analyst
    assert "partisan" in squash(doc.text_by_id["source-wire"])

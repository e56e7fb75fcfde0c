"""The metrics file: the example, its schema, located errors, the metric's hash."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from detente.cli import cli
from detente.compliance.check import DatasetEvents, check_commitment
from detente.compliance.measure import EventArrays
from detente.compliance.metrics import (
    load_metrics,
    metric_definition,
    metric_sha256,
    metrics_json_schema,
    parse_metrics_text,
)
from detente.compliance.sources import load_commitment_file
from detente.errors import CaseError
from detente.events.readers import read_events
from tests.events.event_helpers import EVENTS


def test_example_metrics_file(repo: Path) -> None:
    path = repo / "examples" / "istanbul-2025" / "metrics.yaml"
    mf = load_metrics(path)
    m = mf.metrics["ttp_events_in_pakistan"]
    assert m.count == "events" and m.place.country == ["Pakistan"]
    assert "TTP" in mf.aliases["TTP"] and "TTP: Tehreek-i-Taliban Pakistan" in mf.aliases["TTP"]
    assert "Afghan territory" in m.caveat
    assert mf.mapping("ttp_events_in_pakistan", "ucdp-ged", "23.1") is not None
    assert mf.mapping("ttp_events_in_pakistan", "ucdp-ged", "19.1") is None
    assert mf.mapping("ttp_events_in_pakistan", "acled", "2025-06-01") is not None
    schema = metrics_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(YAML(typ="safe").load(path.read_text(encoding="utf-8")), schema)


def test_bad_metrics_file_reports_every_problem_located() -> None:
    with pytest.raises(CaseError) as err:
        load_metrics(EVENTS / "metrics-bad.yaml")
    got = sorted((d.line, d.code) for d in err.value.items)
    assert got == [(11, "unknown-field"), (13, "missing-field")]
    # Schema problems first; alias sets are checked once the structure is sound.
    text = (EVENTS / "metrics-bad.yaml").read_text(encoding="utf-8")
    fixed = text.replace("    colour: red\n", "").replace(
        "    caveat: Missing", "    proxy_for: x\n    caveat: Missing"
    )
    with pytest.raises(CaseError) as err:
        parse_metrics_text(fixed, "fixed.yaml")
    got = sorted((d.line, d.column, d.code) for d in err.value.items)
    assert got == [(8, 30, "unknown-alias-set"), (14, 25, "unknown-alias-set")]
    assert "TALIBAN" in err.value.items[0].message or "TALIBAN" in err.value.items[1].message


def test_yaml_syntax_and_non_finite_numbers_are_refused() -> None:
    with pytest.raises(CaseError) as err:
        parse_metrics_text("format: [unclosed\n", "x.yaml")
    assert err.value.items[0].code == "bad-yaml" and err.value.items[0].line is not None
    text = (EVENTS / "metrics-test.yaml").read_text(encoding="utf-8")
    bad = text + "    precision_km: {ucdp-ged: {'2': .inf}}\n"
    with pytest.raises(CaseError):
        parse_metrics_text(bad)


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 12):
        prev = f"*a{k - 1}"
        lines.append(f"a{k}: &a{k} [{', '.join([prev] * 10)}]")
    with pytest.raises(CaseError) as err:
        parse_metrics_text("\n".join(lines) + "\n", "bomb.yaml")
    # The shared YAML reader refuses it while parsing, at the alias that expands too far.
    (d,) = err.value.items
    assert d.code == "alias-bomb" and d.file == "bomb.yaml" and d.line is not None


def test_metric_hash_covers_definition_and_aliases() -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    h = metric_sha256(mf, "ttp_events_in_pakistan")
    assert h.startswith("sha256:") and len(h) == 71
    assert metric_definition(mf, "ttp_events_in_pakistan")["aliases"]["UNIDENTIFIED"]
    text = (EVENTS / "metrics-test.yaml").read_text(encoding="utf-8")
    other = parse_metrics_text(
        text.replace("UNIDENTIFIED: [Unidentified", "UNIDENTIFIED: [Unknown")
    )
    assert metric_sha256(other, "ttp_events_in_pakistan") != h
    assert metric_sha256(other, "ttp_fatalities_in_pakistan") == metric_sha256(
        mf, "ttp_fatalities_in_pakistan"
    )


def test_indicator_problems_are_reported_together(tmp_path: Path) -> None:
    mf = load_metrics(EVENTS / "metrics-test.yaml")
    doc = json.loads((EVENTS / "commitment-monthly.json").read_text(encoding="utf-8"))
    ob = doc["obligations"][0]
    doc["obligations"] = [
        {**ob, "id": "unknown", "indicator": {**ob["indicator"], "metric": "nope"}},
        {**ob, "id": "period", "indicator": {**ob["indicator"], "period": "monthly"}},
    ]
    p = tmp_path / "c.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    c = load_commitment_file(p)
    ev = EventArrays.from_columns(read_events(EVENTS / "ged-small.csv")[0])
    data = [DatasetEvents("ucdp-ged", "19.1", "0" * 64, ev, None, source="old.csv")]
    with pytest.raises(CaseError) as err:
        check_commitment(c, mf, data)
    codes = sorted(d.code for d in err.value.items)
    assert codes == ["bad-period", "unknown-metric", "unmapped-dataset"]


def test_cli_schema() -> None:
    res = CliRunner().invoke(cli, ["compliance", "schema"])
    assert res.exit_code == 0 and json.loads(res.output)["title"] == "detente metrics file"

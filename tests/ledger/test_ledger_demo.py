"""The demo guarantee for the flagship case: recorded, receipted and verified offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.case.loader import load_case
from detente.cli import cli
from detente.ledger.demo import record_demo_guarantee
from detente.ledger.log import Ledger

CASE = Path(__file__).resolve().parents[2] / "examples" / "istanbul-2025" / "case.yaml"


@pytest.fixture(scope="module")
def case():
    if not CASE.exists():
        pytest.skip("flagship case file not present")
    return load_case(CASE)


def test_record_demo_guarantee(tmp_path: Path, case) -> None:
    result = record_demo_guarantee(tmp_path, case)
    json.dumps(result)  # JSON-ready
    assert set(result) == {
        "label",
        "commitment",
        "log_origin",
        "index",
        "tree_size",
        "checkpoint",
        "receipt_path",
        "verification",
    }
    assert result["label"] == "ILLUSTRATIVE EXAMPLE \u2014 not a real agreement"
    assert result["verification"] == {"ok": True, "verdict": "VALID", "reason": None}
    c = result["commitment"]
    assert c["commitment"]["label"] == result["label"]
    assert result["label"] in c["commitment"]["text"]
    ids = {a.id for a in case.actors}
    assert c["commitment"]["committing_party"] in ids
    assert [s["actor"] for s in c["countersignatures"]] == ["TUR", "QAT"]
    assert set(c["commitment"]["issues"]) <= {i.id for i in case.issues}
    assert result["checkpoint"].startswith(f"{result['log_origin']}\n{result['tree_size']}\n")
    led = Ledger.open(tmp_path / "ledger.sqlite")
    assert led.fsck().ok
    led.close()
    again = record_demo_guarantee(tmp_path, case)  # rerunning into the same folder works
    assert again["verification"]["ok"]


def test_demo_receipt_verifies_with_the_cli_and_fails_when_tampered(tmp_path: Path, case) -> None:
    result = record_demo_guarantee(tmp_path, case)
    runner = CliRunner()
    args = ["verify", result["receipt_path"], "--policy", str(tmp_path / "keys.json")]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0 and res.output.startswith("VALID"), res.output
    receipt = Path(result["receipt_path"])
    # The entry travels base64-encoded in the extra line: change one character of it.
    lines = receipt.read_text().split("\n")
    extra = lines[1]
    lines[1] = extra[:20] + ("A" if extra[20] != "A" else "B") + extra[21:]
    receipt.write_text("\n".join(lines))
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and res.output.startswith("INVALID: entry:"), res.output

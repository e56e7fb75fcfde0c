"""C2SP tlog-policy files: parsing, quorum groups, and offline verification with them."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_helpers import LOG_KEY, N_KEYS, ORIGIN, WITNESSES, signed_entry
from test_ledger_receipt import _bound, _cosign, _witnesses

from detente.errors import VerificationError
from detente.ledger.policy import parse_policy
from detente.ledger.receipt import verify_receipt

W = [w.vkey for w in WITNESSES]


def _text(quorum_lines: str) -> str:
    return (
        "# trust policy for the test log\n"
        f"log {LOG_KEY.vkey}\n\n"
        f"witness A {W[0]}\n"
        f"witness B\t{W[1]} https://b.example/\n"
        f"witness C {W[2]}\n"
        f"{quorum_lines}"
    )


def test_groups_and_thresholds() -> None:
    p = parse_policy(_text("group AB any A B\ngroup two 2 AB C\nquorum two\n"))
    assert p.groups["AB"].k == 1
    assert parse_policy(_text("group all3 all A B C\nquorum all3\n")).groups["all3"].k == 3
    assert p.satisfied({"A", "C"}) and p.satisfied({"B", "C"})
    assert not p.satisfied({"A", "B"})  # AB counts once
    assert not p.satisfied({"C"})
    assert parse_policy(_text("quorum none\n")).satisfied(set())
    assert parse_policy(_text("quorum B\n")).satisfied({"B"})


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ("", "no quorum line"),
        ("quorum A\nquorum B\n", "a second quorum line"),
        ("quorum D\n", "is not defined on an earlier line"),
        ("group g 2 A\nquorum g\n", "threshold 2 is not within 1..1"),
        ("group g 0 A B\nquorum g\n", "threshold 0 is not within 1..2"),
        ("group g two A B\nquorum g\n", "bad threshold"),
        ("group g any A A\nquorum g\n", "listed twice"),
        # Issue 12 Medium 4: a witness in two groups could meet a 2-of-2 quorum alone.
        (
            "group g1 any A\ngroup g2 any A\ngroup q all g1 g2\nquorum q\n",
            "'A' is already a member of group 'g1'",
        ),
        ("group g any none\nquorum g\n", "'none' cannot be a group member"),
        ("group g any later\nwitness later x\nquorum g\n", "not defined on an earlier line"),
        (f"witness A2 {W[0]}\nquorum A\n", "duplicate witness key"),
        (f"witness A {W[0]}\nquorum A\n", "already defined"),
        (f"witness L {LOG_KEY.vkey}\nquorum L\n", "cosignature/v1"),
        (f"log {LOG_KEY.vkey}\nquorum A\n", "duplicate log key"),
        ("witness Z not-a-key\nquorum A\n", "bad witness key"),
        ("trust everything\nquorum A\n", "unknown keyword"),
        ("quorum A\x0b\n", "control character 0x0b"),
    ],
)
def test_bad_policies_are_refused_with_their_line(tail: str, reason: str) -> None:
    with pytest.raises(VerificationError) as info:
        parse_policy(_text(tail), "p.policy")
    assert reason in str(info.value)
    if reason != "no quorum line":
        assert str(info.value).startswith("p.policy:")


def test_receipt_verifies_against_a_policy_file(tmp_path: Path) -> None:
    led = _bound(tmp_path)
    led.checkpoint([LOG_KEY])
    _cosign(led, _witnesses(tmp_path)[:2])  # A and B cosign
    receipt = led.receipt(N_KEYS + 2)
    ok = parse_policy(_text("group AB all A B\nquorum AB\n")).to_policy()
    v = verify_receipt(receipt, ok)
    assert v.ok, v.reason
    assert v.details["witnesses"] == ["A", "B"]
    needs_c = parse_policy(_text("group AC all A C\nquorum AC\n")).to_policy()
    v = verify_receipt(receipt, needs_c)
    assert not v.ok and "quorum 'AC' is not met; cosigned by: A, B" in (v.reason or "")
    assert LOG_KEY.vkey.split("+")[0] == ORIGIN


def test_cli_verify_with_policy_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from detente.cli import cli

    led = _bound(tmp_path, 3)
    led.checkpoint([LOG_KEY])
    _cosign(led, _witnesses(tmp_path))
    (tmp_path / "r.proof").write_text(led.receipt(N_KEYS + 1), encoding="utf-8")
    (tmp_path / "trust.policy").write_text(_text("group q 3 A B C\nquorum q\n"), encoding="utf-8")
    res = CliRunner().invoke(
        cli, ["verify", str(tmp_path / "r.proof"), "--policy", str(tmp_path / "trust.policy")]
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith("VALID")
    (tmp_path / "bad.policy").write_text(_text("quorum Q\n"), encoding="utf-8")
    res = CliRunner().invoke(
        cli, ["verify", str(tmp_path / "r.proof"), "--policy", str(tmp_path / "bad.policy")]
    )
    assert res.exit_code == 2
    assert "bad.policy:7" in res.output and "Traceback" not in res.output
    assert signed_entry(0)

"""Checking statements against the record: known answers, ledger, compliance, neutrality."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.case.loader import load_case, parse_case_text
from detente.case.model import Case
from detente.errors import CaseError
from detente.statements.check import CheckResult, check_statements, load_record, read_compliance
from detente.statements.coder import Coder
from detente.statements.io import coding_inputs, read_statements, speaker_actor
from detente.statements.model import Speaker, Statement, StatementsFile
from tests.statements.helpers import ASSETS, CASE, STATEMENTS, ledger_with_commitment

COMPLIANCE = ASSETS / "compliance.json"


def _check(
    sf: StatementsFile,
    case: Case,
    ledger: Path | None = None,
    compliance: tuple[Path, ...] = (),
) -> dict[str, CheckResult]:
    aliases = {a.id: [a.name] for a in case.actors}
    for k, v in sf.aliases.items():
        aliases.setdefault(k, []).extend(v)
    coder = Coder(embedder=None, training=[], aliases=aliases)
    codes = coder.code(coding_inputs(sf))
    record = load_record(case, ledger, compliance)
    speakers = {s.id: speaker_actor(sf, s) for s in sf.statements}
    parties = [a.id for a in case.actors if a.role == "party"]
    return {c["id"]: c for c in check_statements(sf.statements, codes, record, speakers, parties)}


def test_seed_statements_known_relations() -> None:
    got = _check(read_statements(STATEMENTS), load_case(CASE))
    # Calling Pakistan's recorded, sourced demand on sanctuaries "unrelated":
    assert got["afg-unrelated"]["proposal"]["relation"] == "misrepresents"
    assert got["afg-unrelated"]["proposal"]["items"] == ["position:PAK:sanctuaries"]
    assert got["afg-unrelated"]["items"][0]["source"]["id"] == "seed"  # type: ignore[index]
    # "unrealistic", "non-negotiable", "justified", "disinformation": judgements
    for sid in ("afg-mujahid-unrealistic", "pak-non-negotiable", "pak-rebuts-unrealistic"):
        assert got[sid]["proposal"]["relation"] == "unsupported", sid
        assert got[sid]["proposal"]["rule"] == "judgement", sid
    assert got["pak-disinformation"]["proposal"]["relation"] == "unsupported"
    # Kabul's refusal matches its recorded position, far from Pakistan's
    assert got["afg-refused-written"]["proposal"]["relation"] == "consistent"
    assert got["afg-refused-written"]["proposal"]["rule"] == "stance"


def test_event_claims_against_compliance_periods(tmp_path: Path) -> None:
    ledger = ledger_with_commitment(tmp_path / "l.db")
    got = _check(read_statements(ASSETS / "claims.yaml"), load_case(CASE), ledger, (COMPLIANCE,))
    rel = {k: (v["proposal"]["relation"], v["proposal"]["rule"]) for k, v in got.items()}
    assert rel["none-in-kept"] == ("consistent", "event-claim")
    assert rel["none-in-breached"] == ("contradicted", "event-claim")
    assert got["none-in-breached"]["proposal"]["items"] == ["compliance:o1:2025-12-07"]
    assert rel["none-in-undetermined"] == ("unsupported", "event-claim")
    assert rel["attacks-continue"] == ("consistent", "event-claim")
    assert rel["baseless"] == ("contradicted", "truth")
    assert rel["never-promised"] == ("misrepresents", "existence")
    assert got["never-promised"]["proposal"]["items"][0].startswith("commitment:sha256:")
    assert rel["weather"] == ("not about the record", "no-item")


def test_without_the_record_the_same_claims_are_not_decided() -> None:
    got = _check(read_statements(ASSETS / "claims.yaml"), load_case(CASE))
    assert got["none-in-breached"]["proposal"]["relation"] == "unsupported"
    assert got["never-promised"]["proposal"]["relation"] != "misrepresents"


def test_open_ended_periods_are_worded_without_an_invented_bound(tmp_path: Path) -> None:
    # `high` is null where the count is unbounded: the evidence must not print "3-None".
    p = tmp_path / "open.json"
    p.write_text(
        COMPLIANCE.read_text(encoding="utf-8").replace('"high": 6', '"high": null'),
        encoding="utf-8",
    )
    ledger = ledger_with_commitment(tmp_path / "l.db")
    got = _check(read_statements(ASSETS / "claims.yaml"), load_case(CASE), ledger, (p,))
    for sid, rule in (("none-in-breached", "event-claim"), ("baseless", "truth")):
        proposal = got[sid]["proposal"]
        assert (proposal["relation"], proposal["rule"]) == ("contradicted", rule)
        assert "measured at least 3 (no upper bound) from 2025-12-07" in proposal["evidence"]
        assert "None" not in proposal["evidence"]
    breached = next(i for i in read_compliance(p) if i["id"] == "compliance:o1:2025-12-07")
    assert "measured at least 3 (no upper bound) (best 4)" in breached["text"]
    # Bounded periods keep their interval.
    undetermined = got["none-in-undetermined"]["proposal"]["evidence"]
    assert "measured 0-2 from 2026-01-06" in undetermined


def test_malformed_compliance_file_lists_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "c.json"
    text = COMPLIANCE.read_text(encoding="utf-8")
    text = text.replace('"verdict": "kept"', '"verdict": "fine"').replace(
        '"start": "2025-12-07"', '"start": "2025-12-77"'
    )
    p.write_text(text.replace('"high": 2', '"high": "lots"'), encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        read_compliance(p)
    assert len(exc.value.items) == 3


# --- neutrality ---------------------------------------------------------------------------

_SWAP = {
    "PAK": "AFG",
    "AFG": "PAK",
    "Pakistan": "Afghanistan",
    "Afghanistan": "Pakistan",
    "Pakistani": "Afghan",
    "Afghan": "Pakistani",
    "Islamabad": "Kabul",
    "Kabul": "Islamabad",
}
_SWAP_RE = re.compile(r"\b(" + "|".join(sorted(_SWAP, key=len, reverse=True)) + r")\b")


def mirror(text: str) -> str:
    """Swap the two parties' labels and names everywhere, simultaneously."""
    return _SWAP_RE.sub(lambda m: _SWAP[m.group(1)], text)


_TEMPLATES = [
    "{self} says the demand of {other} is unrelated to the talks.",
    "{self} called the insistence of {other} on written guarantees unrealistic.",
    "{self} refused to provide written guarantees to {other}.",
    "{self} demanded that {other} deny safe havens.",
    "There have been no attacks on {other} this month, {self} said.",
    "{self} says attacks from {other} continue.",
    "{self} says {other} never promised anything.",
    "{self} calls the reports of attacks by {other} baseless propaganda.",
    "{self} praised the mediators.",
]
_NAMES = {"PAK": "Islamabad", "AFG": "Kabul"}


@st.composite
def mirrored_statements(draw: st.DrawFn) -> list[Statement]:
    n = draw(st.integers(1, 4))
    out = []
    for k in range(n):
        me = draw(st.sampled_from(["PAK", "AFG"]))
        other = "AFG" if me == "PAK" else "PAK"
        text = draw(st.sampled_from(_TEMPLATES)).format(self=_NAMES[me], other=_NAMES[other])
        day = draw(st.integers(0, 100))
        out.append(
            Statement(
                id=f"s{k}",
                speaker=Speaker(actor=me),
                date=dt.date(2025, 11, 1) + dt.timedelta(days=day),
                medium="post",
                citation="generated",
                text=text,
                recorded_by="tester",
                target=draw(st.sampled_from([[other], []])),
                issue=draw(st.sampled_from(["sanctuaries", "guarantee", None])),
            )
        )
    return out


def _mirror_statement(s: Statement) -> Statement:
    return Statement.model_validate_json(mirror(s.model_dump_json()))


_CASE = load_case(CASE)
_CASE_MIRROR = parse_case_text(mirror(CASE.read_text(encoding="utf-8")), "mirror.yaml")


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    d = tmp_path_factory.mktemp("neutral")
    led = ledger_with_commitment(d / "l.db", "AFG", "PAK")
    led_m = ledger_with_commitment(d / "lm.db", "PAK", "AFG")
    comp_m = d / "cm.json"
    comp_m.write_text(mirror(COMPLIANCE.read_text(encoding="utf-8")), encoding="utf-8")
    return led, led_m, COMPLIANCE, comp_m


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statements=mirrored_statements())
def test_swapping_the_parties_mirrors_every_result(
    statements: list[Statement], records: tuple[Path, Path, Path, Path]
) -> None:
    led, led_m, comp, comp_m = records
    aliases = {"PAK": ["Islamabad"], "AFG": ["Kabul"]}
    sf = StatementsFile(statements=statements, aliases=aliases)
    sf_m = StatementsFile(
        statements=[_mirror_statement(s) for s in statements],
        aliases={"AFG": ["Kabul"], "PAK": ["Islamabad"]},
    )
    got = _check(sf, _CASE, led, (comp,))
    got_m = _check(sf_m, _CASE_MIRROR, led_m, (comp_m,))
    for sid, res in got.items():
        m = got_m[sid]
        assert m["proposal"]["relation"] == res["proposal"]["relation"], sid
        assert m["proposal"]["rule"] == res["proposal"]["rule"], sid
        assert m["plover"] == res["plover"]
        assert m["speaker"] == _SWAP.get(res["speaker"] or "", res["speaker"])
        assert m["target"] == [_SWAP[t] for t in res["target"]]
        # record items are the mirrored ones (commitment ids differ: the texts name the party)
        want = [mirror(i) for i in res["proposal"]["items"] if not i.startswith("commitment:")]
        assert [i for i in m["proposal"]["items"] if not i.startswith("commitment:")] == want

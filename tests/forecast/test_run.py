"""The forecast runner: JSON shape, trajectories and KTAB's 'why did this actor move'."""

from __future__ import annotations

from pathlib import Path

import pytest

import detente
from detente.report.brief import build_brief


@pytest.fixture(scope="module")
def ktab_case(assets: Path) -> detente.Case:
    return detente.read_cases(assets / "ktab" / "dummyData_3Dim.csv")[0]


def test_rounds_only_when_asked(ktab_case: detente.Case) -> None:
    plain = detente.forecast(ktab_case, ["smp"]).to_dict()
    assert "rounds" not in plain["issues"]["Pstn1"]["models"]["smp"]


def test_smp_rounds_name_the_bargain_behind_each_move(ktab_case: detente.Case) -> None:
    data = detente.forecast(ktab_case, ["smp"], trajectory=True).to_dict()
    rounds = data["issues"]["Pstn1"]["models"]["smp"]["rounds"]
    assert [r["round"] for r in rounds] == list(range(len(rounds)))
    assert "moved_by" not in rounds[0]
    ids = {a.id for a in ktab_case.actors}
    moves = 0
    for prev, cur in zip(rounds, rounds[1:], strict=False):
        for actor, why in cur["moved_by"].items():
            assert cur["positions"][actor] != prev["positions"][actor]
            assert {why["initiator"], why["receiver"]} <= ids
            moves += 1
        # an actor whose position changed on this issue is explained
        changed = {a for a in cur["positions"] if cur["positions"][a] != prev["positions"][a]}
        assert changed == set(cur["moved_by"])
    assert moves > 0
    html = build_brief(ktab_case, detente.forecast(ktab_case, ["smp"], trajectory=True))
    assert "Why did each actor move?" in html

"""The BDM replication (Scholz, Calbert & Smith 2011, Table 2): what is reproduced, and why not all.

docs/models/bdm.md, "Replication", gives the evidence that round 2 of Table 2 (median 9.9) is
most likely an erratum: the table prints its other medians truncated to one decimal, and
ours match all of them (round 1 within 0.05, rounds 3-8 equal under truncation), while no
reading of the paper reaches 9.9 in round 2 without breaking the rounds around it.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from detente.case.formats import read_any
from detente.forecast import forecast
from detente.forecast.closed_form import weighted_median
from tests.bdm.test_bdm_model import _reference_round  # the plain-loop transcription

PUBLISHED_MEDIAN = [8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6]
"""Scholz et al. (2011), Table 2: median voter position at the end of rounds 1-8."""
OURS_MEDIAN = [8.416, 9.611, 9.962, 9.962, 9.962, 7.472, 8.825, 9.671]


@pytest.fixture(scope="module")
def emissions_medians(data_dir: Path) -> np.ndarray:
    case = read_any(data_dir / "bdm" / "bdm1994-eu-emissions.csv")
    result = forecast(case, ["bdm"], {"bdm": {"rounds": 8}}, trajectory=True)
    return np.array([r["median"] for r in result.extras["bdm"]["issue"]["rounds"]])


def _truncate(v: float) -> float:
    """One decimal, truncated (the small slack keeps 8.4 from becoming 8.39999 -> 8.3)."""
    return math.floor(v * 10 + 1e-9) / 10


def test_replication_gate_round_one_and_rounds_three_to_eight(
    emissions_medians: np.ndarray,
) -> None:
    """What is reproduced: round 1 within 0.05; rounds 3-8 equal to Table 2 truncated."""
    med = emissions_medians
    assert abs(med[1] - PUBLISHED_MEDIAN[0]) <= 0.05
    assert [_truncate(float(v)) for v in med[3:9]] == pytest.approx(PUBLISHED_MEDIAN[2:8])
    # Truncation is the table's convention: rounding would give 10.0 for rounds 3-5,
    # 7.5 for round 6 and 9.7 for round 8, none of which is printed.
    assert [round(float(v), 1) for v in med[3:9]] != pytest.approx(PUBLISHED_MEDIAN[2:8])
    # Round 1 agrees under truncation too; round 2 is the one median that does not.
    assert _truncate(float(med[1])) == pytest.approx(PUBLISHED_MEDIAN[0])
    assert _truncate(float(med[2])) == pytest.approx(9.6) != PUBLISHED_MEDIAN[1]


def _emissions_table(data_dir: Path) -> tuple[list[float], list[float], list[float]]:
    rows = list(csv.DictReader((data_dir / "bdm" / "bdm1994-eu-emissions.csv").open()))
    return (
        [float(r["Position"]) for r in rows],
        [float(r["Capability"]) for r in rows],
        [float(r["Salience"]) for r in rows],
    )


def _median(x: list[float], c: list[float], s: list[float]) -> float:
    w = np.array(c) * np.array(s)
    return float(weighted_median(np.array(x)[None, :, None], w[None, :, None])[0, 0])


def test_why_round_two_misses_belgiums_risk_exponent(data_dir: Path) -> None:
    """The diagnosis in docs/models/bdm.md, pinned: only Belgium's exponent matters.

    Round 1 lands within 0.05 of the published 8.4 only in a narrow window of
    Belgium's exponent, and eq. 10-11 put it inside (0.754). Round 2 would need
    Belgium close to risk-neutral (r >= 0.955) to land within 0.05 of 9.9; eq. 10-11
    give 0.817 there, hence 9.61.
    """
    x, c, s = _emissions_table(data_dir)
    bel = 1

    def round1(r: float | None) -> float:
        new, _ = _reference_round(x, c, s, None if r is None else {bel: r})
        return _median(new, c, s)

    assert abs(round1(None) - 8.4) <= 0.05
    assert abs(round1(0.72) - 8.4) > 0.05 and abs(round1(0.78) - 8.4) > 0.05
    x1, _ = _reference_round(x, c, s)

    def round2(r: float | None) -> float:
        new, _ = _reference_round(x1, c, s, None if r is None else {bel: r}, rng=6.0)
        return _median(new, c, s)

    assert round2(None) == pytest.approx(OURS_MEDIAN[1], abs=5e-4)
    assert abs(round2(0.95) - 9.9) > 0.05
    assert abs(round2(0.96) - 9.9) <= 0.05 and abs(round2(1.0) - 9.9) <= 0.05

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


def _reference_round(
    x: list[float],
    c: list[float],
    s: list[float],
    r_fixed: dict[int, float] | None = None,
    rng: float | None = None,
) -> tuple[list[float], list[list[float]]]:
    """One round with the default choices, written as plain loops from the equations.

    ``r_fixed`` replaces the risk exponents eq. 10-11 give to some actors (a probe of
    what the published run would need); ``rng`` is the distance normaliser (the range of
    ``x`` by default, as in a first round).
    """
    n = len(x)
    rng = max(x) - min(x) if rng is None else rng

    def prob(r: list[float]) -> list[list[float]]:
        def vote(k: int, i: int, j: int) -> float:
            d = lambda a: (abs(x[k] - x[a]) / rng) ** r[k]  # noqa: E731
            return c[k] * s[k] * (d(j) - d(i))

        total = sum(abs(vote(k, i, j)) for k in range(n) for i in range(n) for j in range(n))
        return [
            [sum(max(vote(k, i, j), 0.0) for k in range(n)) / total for j in range(n)]
            for i in range(n)
        ]

    def eu(i: int, j: int, p: float, r: float) -> float:
        d = abs(x[i] - x[j]) / rng
        us = 2 - 4 * (0.5 - 0.5 * d) ** r
        uf = 2 - 4 * (0.5 + 0.5 * d) ** r
        usq = 2 - 4 * 0.5**r
        return s[j] * (p * us + (1 - p) * uf) + (1 - s[j]) * us - usq

    ones = [1.0] * n
    p1 = prob(ones)
    e1 = [[eu(i, j, p1[i][j], 1.0) if i != j else 0.0 for j in range(n)] for i in range(n)]
    sec = [sum(e1[j][i] for j in range(n) if j != i) for i in range(n)]
    hi, lo = max(sec), min(sec)
    big = [(2 * v - hi - lo) / (hi - lo) for v in sec]
    r = [(1 - b / 3) / (1 + b / 3) for b in big]
    r = [(r_fixed or {}).get(k, v) for k, v in enumerate(r)]
    p = prob(r)
    new = list(x)
    for j in range(n):
        offers = []
        for i in range(n):
            if i == j or x[i] == x[j]:
                continue
            gain = eu(i, j, p[i][j], r[j])  # E^j(U_ij)
            loss = eu(j, i, p[j][i], r[j])  # E^j(U_ji)
            if gain > 0 and loss > 0 and gain > loss:
                offers.append((0, abs(x[i] - x[j]), x[i]))
            elif gain > 0 >= loss and abs(loss) < gain:
                pos = x[j] + (x[i] - x[j]) * abs(loss) / gain
                key = (abs(loss) * x[j] + gain * x[i]) / (abs(loss) + gain)
                offers.append((1, key, pos))
            elif gain > 0 >= loss:
                offers.append((2, abs(x[i] - x[j]), x[i]))
        if offers:
            new[j] = min(offers)[2]
    return new, [[eu(i, j, p[i][j], r[i]) if i != j else 0.0 for j in range(n)] for i in range(n)]

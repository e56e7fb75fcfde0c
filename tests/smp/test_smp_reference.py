"""The smp model reproduces KTAB's reference runs turn by turn, to printed precision.

KTAB prints positions with ``%5.1f`` (0-100 scale) and winning probabilities with
``%.4f``; the tests format detente's numbers the same way and compare the text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from detente.case.arrays import case_arrays
from detente.case.formats import ktab
from detente.forecast.registry import ModelInput, get_model
from detente.forecast.smp import SMPParams, _prepare, _utilities, _win_prob
from tests.conftest import ASSETS
from tests.smp._reference import position_history, win_history

KTAB = ASSETS / "ktab"
RUNS = [
    ("dummyData_3Dim.csv", "20170530_ref-dummyData_3Dim.txt", 10),
    ("SOE-Pol-Comp.csv", "20170530_ref-SOE-Pol-Comp-history.txt", 27),
]


def _run(
    csv_name: str,
) -> tuple[list[str], list[str], ModelInput, np.ndarray, dict[str, Any]]:
    case = ktab.read_ktab_csv((KTAB / csv_name).read_text(encoding="utf-8-sig"), csv_name)[0]
    inp = ModelInput.from_arrays(case_arrays(case))
    res = get_model("smp")(inp)
    names = [a.name for a in case.actors]
    dims = [i.question for i in case.issues]
    return names, dims, inp, res.extras["trajectory"][0], res.extras


@pytest.mark.parametrize(("csv_name", "ref", "turns"), RUNS)
def test_positions_match_ktab_every_turn(csv_name: str, ref: str, turns: int) -> None:
    names, dims, _inp, traj, extras = _run(csv_name)
    expected = position_history(KTAB / ref, names, dims)
    assert int(extras["turns"][0]) == turns
    assert traj.shape == expected.shape == (turns + 1, len(names), len(dims))
    for t in range(turns + 1):
        got = [[f"{traj[t, a, d]:5.1f}" for d in range(len(dims))] for a in range(len(names))]
        want = [[f"{expected[t, a, d]:5.1f}" for d in range(len(dims))] for a in range(len(names))]
        assert got == want, f"turn {t}"


@pytest.mark.parametrize(("csv_name", "ref", "turns"), RUNS)
def test_winning_probabilities_match_ktab_every_turn(csv_name: str, ref: str, turns: int) -> None:
    names, _dims, inp, traj, extras = _run(csv_name)
    expected = win_history(KTAB / ref, names)
    _pos, sal, cap, lo, hi = _prepare(inp)
    p = SMPParams()
    for t in range(turns + 1):
        x = ((traj[t] - lo) / (hi - lo))[None]
        _d, nra, _au = _utilities(x, sal, cap, p)
        win, _, _ = _win_prob(x, sal, cap, nra, p)
        assert [f"{v:.4f}" for v in win[0]] == [f"{v:.4f}" for v in expected[t]], f"turn {t}"
    # the model's own final winning probabilities are the last column
    assert [f"{v:.4f}" for v in extras["win_prob"][0]] == [f"{v:.4f}" for v in expected[-1]]

"""The deadlock verdict: one rule, one set of thresholds, used everywhere."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import detente
from detente.case.model import Case
from detente.cli import cli
from detente.diagnose import (
    AGREEMENT_GAP,
    DEADLOCK_GAP,
    VERDICTS,
    diagnose,
    verdict_code,
    verdict_label,
    verdict_rule,
)
from detente.errors import ModelError


@pytest.fixture(scope="module")
def small_case(assets) -> Case:  # type: ignore[no-untyped-def]
    return detente.load_case(assets / "report" / "small-case.yaml")


def test_the_rule_at_its_edges() -> None:
    gaps = np.array([0.0, AGREEMENT_GAP, 0.06, DEADLOCK_GAP, 0.26, 0.1, 0.04])
    stalemate = np.array([False, True, False, False, False, True, True])
    codes = verdict_code(gaps, stalemate)
    assert [VERDICTS[c] for c in codes] == [
        "agreement_likely",  # at the agreement gap: agreement
        "agreement_likely",  # stalemate does not matter at or below it
        "compromise_expected",
        "compromise_expected",  # at the deadlock gap: not yet deadlock
        "deadlock",
        "deadlock",  # mutual stalemate above the agreement gap
        "agreement_likely",
    ]


def test_one_set_of_thresholds(small_case: Case) -> None:
    d = diagnose(small_case).to_dict()
    assert d["case"]["thresholds"] == {"deadlock_gap": DEADLOCK_GAP, "agreement_gap": AGREEMENT_GAP}
    assert d["case"]["rule"] == verdict_rule()
    assert f"g > {DEADLOCK_GAP:g}" in verdict_rule()
    help_text = CliRunner().invoke(cli, ["diagnose", "--help"]).output
    assert f"[default: {DEADLOCK_GAP};" in help_text
    assert f"[default: {AGREEMENT_GAP};" in help_text


@pytest.mark.parametrize(
    ("deadlock_gap", "agreement_gap"), [(0.1, 0.2), (1.5, 0.1), (float("nan"), 0.1)]
)
def test_bad_thresholds_are_refused(
    small_case: Case, deadlock_gap: float, agreement_gap: float
) -> None:
    with pytest.raises(ModelError, match="thresholds must satisfy"):
        diagnose(small_case, deadlock_gap=deadlock_gap, agreement_gap=agreement_gap)


def test_labels() -> None:
    assert verdict_label("compromise_expected") == "compromise expected"
    assert verdict_label(None) == "no verdict"
    assert verdict_label("talks_suspended") == "talks suspended"

"""Trust: the Beta reputation rule (Jøsang & Ismail 2002) on recorded verdicts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from detente.compliance.trust import beta_cdf, beta_ppf, trust_over_time
from tests.events.event_helpers import recorded_verdict

v = recorded_verdict


@settings(max_examples=50, deadline=None)
@given(st.floats(0.2, 300), st.floats(0.2, 300), st.floats(0.01, 0.99))
def test_beta_quantile_matches_scipy(a: float, b: float, q: float) -> None:
    assert beta_ppf(q, a, b) == pytest.approx(stats.beta.ppf(q, a, b), abs=1e-9)
    x = stats.beta.ppf(q, a, b)
    assert beta_cdf(x, a, b) == pytest.approx(q, abs=1e-9)


def test_counts_and_interval() -> None:
    verdicts = [
        v(k, "fulfilled" if k % 3 else "breached", f"{2000 + k}-01-01", f"{2000 + k}-12-31")
        for k in range(9)
    ]
    (afg,) = trust_over_time(verdicts)
    last = afg.points[-1]
    assert (last.kept, last.breached) == (6, 3)  # k = 0, 3, 6 breached
    assert (last.alpha, last.beta) == (7, 4) and last.mean == pytest.approx(7 / 11)
    assert last.low80 == pytest.approx(stats.beta.ppf(0.1, 7, 4))
    assert last.high80 == pytest.approx(stats.beta.ppf(0.9, 7, 4))
    assert last.rating == pytest.approx((6 - 3) / (6 + 3 + 2))
    assert [p.date.year for p in afg.points] == list(range(2000, 2009))


def test_forgetting_factor_and_prior() -> None:
    verdicts = [
        v(0, "breached", "2020-01-01", "2020-12-31"),
        v(1, "fulfilled", "2021-01-01", "2021-12-31"),
    ]
    (afg,) = trust_over_time(verdicts, prior=(2, 2), forgetting=0.5)
    last = afg.points[-1]
    assert (last.kept, last.breached) == (1.0, 0.5)  # the breach counts half a year later
    assert last.mean == pytest.approx(3 / (3 + 2.5))
    with pytest.raises(ValueError):
        trust_over_time(verdicts, forgetting=0)
    with pytest.raises(ValueError):
        trust_over_time(verdicts, prior=(0, 1))


def test_latest_verdict_wins_and_only_final_ones_count() -> None:
    verdicts = [
        v(0, "breached", "2020-01-01", "2020-12-31"),
        v(5, "fulfilled", "2020-01-01", "2020-12-31"),  # re-judged later: kept
        v(6, "compliance_claim", "2021-01-01", "2021-12-31", final=False),
        v(7, "breached", "2021-01-01", "2021-12-31", party="PAK", by="someone-else"),
    ]
    series = {s.party: s for s in trust_over_time(verdicts)}
    assert series["AFG"].observations == 1 and series["AFG"].points[-1].kept == 1
    assert series["PAK"].points[-1].breached == 1
    only = trust_over_time(verdicts, by=["analyst"])
    assert [s.party for s in only] == ["AFG"]


def test_relabelling_parties_mirrors_trust() -> None:
    verdicts = [
        v(
            k,
            "fulfilled" if k % 2 else "breached",
            f"{2000 + k}-01-01",
            f"{2000 + k}-12-31",
            party="AFG" if k < 4 else "PAK",
        )
        for k in range(8)
    ]
    swapped = [
        x.model_copy(update={"party": {"AFG": "PAK", "PAK": "AFG"}[x.party]}) for x in verdicts
    ]
    a = {s.party: s.points for s in trust_over_time(verdicts)}
    b = {s.party: s.points for s in trust_over_time(swapped)}
    assert a["AFG"] == b["PAK"] and a["PAK"] == b["AFG"]

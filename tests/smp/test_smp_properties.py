"""Properties of the smp model and its place in the registry and forecasts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.case.formats import ktab
from detente.forecast.registry import ModelInput, get_model
from detente.forecast.run import forecast
from detente.forecast.smp import SMPParams, run_smp
from tests.conftest import ASSETS


@st.composite
def scenarios(
    draw: st.DrawFn, max_actors: int = 6, max_dims: int = 3, batch: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KTAB-scale inputs: positions (B, A, D) in [0, 1] on distinct points of a 1/97
    grid (no two actors share a position), saliences summing to at most 1 per actor,
    distinct capabilities 0.1-5 and distinct total saliences. Distinct values keep
    symmetric configurations out: with an exact tie (two equally good targets or
    bargains) KTAB, and detente, take the first in actor order, so only tie-free
    scenarios permute exactly."""
    n_act = draw(st.integers(2, max_actors))
    n_dim = draw(st.integers(1, max_dims))
    pos, sal, cap = [], [], []
    for _ in range(batch):
        cells = draw(
            st.lists(st.integers(0, 97**n_dim - 1), min_size=n_act, max_size=n_act, unique=True)
        )
        pos.append([[((c // 97**k) % 97) / 96.0 for k in range(n_dim)] for c in cells])
        raw = [[draw(st.integers(1, 100)) for _ in range(n_dim)] for _ in range(n_act)]
        totals = [
            t / 100
            for t in draw(
                st.lists(st.integers(30, 100), min_size=n_act, max_size=n_act, unique=True)
            )
        ]
        sal.append([[r / sum(row) * t for r in row] for row, t in zip(raw, totals, strict=True)])
        caps = draw(st.lists(st.integers(1, 50), min_size=n_act, max_size=n_act, unique=True))
        cap.append([c / 10 for c in caps])
    return np.array(pos, dtype=float), np.array(sal, dtype=float), np.array(cap, dtype=float)


FAST = SMPParams(max_turns=12)


@settings(max_examples=25, deadline=None)
@given(scenarios())
def test_positions_stay_in_range(sc: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    pos, sal, cap = sc
    out = run_smp(pos, sal, cap, FAST)
    traj = out["trajectory"]
    assert (traj >= 0).all() and (traj <= 1).all()
    assert np.array_equal(traj[:, 0], pos)
    assert out["win_prob"].shape == cap.shape
    assert (out["outcome"] >= 0).all() and (out["outcome"] <= 1).all()


@settings(max_examples=20, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_permuting_actors_permutes_results(
    sc: tuple[np.ndarray, np.ndarray, np.ndarray], rnd: object
) -> None:
    # One turn from distinct positions. After a turn actors can share a position, and
    # then KTAB (and detente) break exact ties between equally good targets or bargains
    # by actor order, so later turns permute only where no such tie arises.
    pos, sal, cap = sc
    perm = np.arange(pos.shape[1])
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    one_turn = SMPParams(min_turns=1, max_turns=1)
    a = run_smp(pos, sal, cap, one_turn)
    b = run_smp(pos[:, perm], sal[:, perm], cap[:, perm], one_turn)
    assert np.array_equal(a["turns"], b["turns"])
    np.testing.assert_allclose(b["trajectory"], a["trajectory"][:, :, perm], atol=1e-9)
    # KTAB lets the first of several actors closer than posTol (0.001) stand for all
    # of them when it computes winning probabilities; that is order-free only when
    # positions are either equal or clearly apart.
    last = a["trajectory"][0, -1]
    gaps = np.sqrt(((last[:, None] - last[None]) ** 2).sum(-1))
    if not ((gaps > 0) & (gaps < 2e-3)).any():
        np.testing.assert_allclose(b["win_prob"], a["win_prob"][:, perm], atol=1e-9)
        np.testing.assert_allclose(b["outcome"], a["outcome"], atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 4).flatmap(lambda b: scenarios(max_actors=5, batch=b)))
def test_batched_equals_one_by_one(sc: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    pos, sal, cap = sc
    together = run_smp(pos, sal, cap, FAST)
    t_max = together["trajectory"].shape[1]
    for b in range(pos.shape[0]):
        alone = run_smp(pos[b : b + 1], sal[b : b + 1], cap[b : b + 1], FAST)
        t = alone["trajectory"].shape[1]
        assert int(together["turns"][b]) == int(alone["turns"][0]) == t - 1
        assert np.array_equal(together["trajectory"][b, :t], alone["trajectory"][0])
        # after stopping, a draw repeats its last state
        assert (together["trajectory"][b, t:] == alone["trajectory"][0, -1]).all()
        assert t <= t_max
        assert np.array_equal(together["outcome"][b], alone["outcome"][0])
        assert np.array_equal(together["win_prob"][b], alone["win_prob"][0])


@settings(max_examples=20, deadline=None)
@given(scenarios(max_dims=1))
def test_all_salience_on_one_issue_behaves_one_dimensional(
    sc: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    pos, sal, cap = sc
    # bargains round to 4 decimals (KTAB round4), so the other issue sits on that grid
    other = np.round(np.linspace(0.1, 0.9, pos.shape[1]), 4)[None, :, None]
    pos2 = np.concatenate([pos, other], axis=-1)
    sal2 = np.concatenate([sal, np.zeros_like(sal)], axis=-1)
    one = run_smp(pos, sal, cap, FAST)
    two = run_smp(pos2, sal2, cap, FAST)
    assert np.array_equal(two["trajectory"][..., :1], one["trajectory"])
    assert (two["trajectory"][..., 1] == other[:, None, :, 0]).all()  # nobody cares: no move


def test_stochastic_transitions_are_seeded() -> None:
    rng = np.random.default_rng(3)
    pos = rng.uniform(0, 1, (2, 6, 2))
    sal = rng.uniform(0.1, 0.5, (2, 6, 2))
    cap = rng.uniform(0.5, 5, (2, 6))
    p1 = SMPParams(state_transitions="Stochastic", seed=7, max_turns=8)
    a = run_smp(pos, sal, cap, p1)
    b = run_smp(pos, sal, cap, p1)
    assert np.array_equal(a["trajectory"], b["trajectory"])


# ---- registry, parameters and the forecast shell ---------------------------------------


def _dummy_input() -> tuple[ModelInput, object]:
    from detente.case.arrays import case_arrays

    name = "dummyData_3Dim.csv"
    case = ktab.read_ktab_csv((ASSETS / "ktab" / name).read_text(encoding="utf-8-sig"), name)[0]
    return ModelInput.from_arrays(case_arrays(case)), case


def test_registered_contract() -> None:
    spec = get_model("smp")
    meta = spec.metadata()
    assert meta["multi_issue"] is True and meta["trajectory"] is True
    nine = [
        "victory_prob",
        "pce",
        "state_transitions",
        "voting_rule",
        "big_r_adjust",
        "big_r_range",
        "third_party_commit",
        "inter_vec_bargain",
        "bargain_model",
    ]
    for name in nine:
        assert meta["params"][name]["choices"], name
        assert meta["params"][name]["default"] in meta["params"][name]["choices"]
    defaults = {k: meta["params"][k]["default"] for k in nine}
    assert defaults == {
        "victory_prob": "Linear",
        "pce": "Conditional",
        "state_transitions": "Deterministic",
        "voting_rule": "Prop",
        "big_r_adjust": "OneThird",
        "big_r_range": "Mid",
        "third_party_commit": "SemiCommit",
        "inter_vec_bargain": "S2P2",
        "bargain_model": "InitOnlyInterp",
    }
    assert (meta["params"]["min_turns"]["default"], meta["params"]["max_turns"]["default"]) == (
        2,
        100,
    )


ALTERNATIVES = [
    (name, value)
    for name in [
        "victory_prob",
        "pce",
        "state_transitions",
        "voting_rule",
        "big_r_adjust",
        "big_r_range",
        "third_party_commit",
        "inter_vec_bargain",
        "bargain_model",
    ]
    for value in get_model("smp").params[name].choices or ()
    if value != get_model("smp").params[name].default
]


@pytest.mark.parametrize(("name", "value"), ALTERNATIVES)
def test_every_alternative_runs(name: str, value: str) -> None:
    inp, _case = _dummy_input()
    res = get_model("smp")(inp, **{name: value, "max_turns": 6})
    traj = res.extras["trajectory"]
    assert traj.shape[0] == 1 and traj.shape[2:] == (7, 3)
    assert np.isfinite(traj).all() and (traj >= 0).all() and (traj <= 100).all()
    assert np.isfinite(res.outcome).all()


def test_unknown_choice_is_refused() -> None:
    from detente.errors import ModelError

    inp, _ = _dummy_input()
    with pytest.raises(ModelError):
        get_model("smp")(inp, pce="Majority")


def test_forecast_json_has_rounds_per_issue() -> None:
    _inp, case = _dummy_input()
    fc = forecast(case, ["smp"], trajectory=True)  # type: ignore[arg-type]
    data = fc.to_dict()
    for issue in ("Pstn1", "Pstn2", "Pstn3"):
        entry = data["issues"][issue]["models"]["smp"]
        assert len(entry["rounds"]) == 11
        assert set(entry["rounds"][3]["positions"]) == {f"SActor-0{k}" for k in range(7)}
        assert 0 <= entry["outcome"] <= 100


def test_missing_positions_are_handled() -> None:
    name = "smpExample.xml"
    case = ktab.read_ktab_xml((ASSETS / "ktab" / name).read_text(encoding="utf-8-sig"), name)[0]
    fc = forecast(case, ["smp"], trajectory=True)
    first = fc.to_dict()["issues"]["FirstDim"]["models"]["smp"]
    assert "Alice" not in first["rounds"][0]["positions"]  # no position: not reported
    assert all(v is not None for v in fc.outcomes["FirstDim"].values())

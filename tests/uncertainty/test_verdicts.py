"""P(verdict): the batched diagnosis adapter agrees with the per-case diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

import detente.diagnose as diagnose_mod
from detente.uncertainty._verdicts import VERDICTS, verdict_function
from detente.uncertainty.sampling import input_space
from detente.uncertainty.sweep import rng_for_chunk, run_sweep
from detente.uncertainty.whatif import parse_whatif, run_whatif


def test_adapter_matches_per_case_diagnosis(istanbul) -> None:
    per_case = diagnose_mod.diagnose(istanbul)
    noop = parse_whatif("changes:\n  - move: {actor: PAK, issue: guarantee, by: 0}\n")
    r = run_whatif(istanbul, noop, ["compromise", "bdm"])
    assert r.verdict_before == {k: v.verdict for k, v in per_case.issues.items()}
    assert r.verdict_after == r.verdict_before


def test_sweep_p_verdict_counts_the_draws_one_by_one(istanbul) -> None:
    n, seed = 400, 5
    r = run_sweep(istanbul, n, seed, models=["bdm"], chunk_size=n)
    assert r.p_verdict is not None and r.verdict_basis == "bdm"
    space = input_space(istanbul)
    inp = space.build(space.sample(rng_for_chunk(seed, 0), n))
    fn = verdict_function(r.params["bdm"])
    assert fn is not None
    batched = fn(inp)
    one_by_one = np.concatenate([fn(inp.take(k)) for k in range(0, n, 37)])
    assert (batched[::37] == one_by_one).all()
    for k, issue in enumerate(r.issues):
        for v, name in enumerate(VERDICTS):
            assert r.p_verdict[issue][name] == pytest.approx((batched[:, k] == v).mean())
        assert sum(r.p_verdict[issue].values()) <= 1.0 + 1e-12
    d = r.to_dict()["issues"]["sanctuaries"]
    assert d["p_verdict"] == d["models"]["bdm"]["p_verdict"]


def test_p_deadlock_identical_across_engines(istanbul) -> None:
    a = run_sweep(istanbul, 3000, 8, models=["bdm"], chunk_size=1000)
    b = run_sweep(
        istanbul,
        3000,
        8,
        models=["bdm"],
        chunk_size=1000,
        engine="dask-local",
        workers=2,
        processes=False,
    )
    assert a.p_verdict == b.p_verdict and a.to_dict()["issues"] == b.to_dict()["issues"]


def test_sobol_has_p_deadlock_indices(istanbul) -> None:
    from detente.uncertainty.sensitivity import sobol

    s = sobol(istanbul, n=32, seed=2, models=["bdm"])
    assert s.p_deadlock is not None
    entry = s.p_deadlock["guarantee"]
    assert "ST" in entry or "note" in entry


def test_interventions_out_of_deadlock_hold_under_the_per_case_diagnosis(istanbul) -> None:
    import json

    from detente.uncertainty.interventions import search_interventions

    r = search_interventions(istanbul, "guarantee", ["TUR", "QAT"], top=3)
    assert r.before_verdict == "deadlock" and r.interventions
    for iv in r.interventions:
        assert iv.verdict_after != "deadlock"
        # apply the found change as a what-if file and diagnose the changed case per case
        wf = parse_whatif(json.dumps(iv.to_whatif()), "found.json")
        from detente.uncertainty.whatif import apply_whatif

        changed = apply_whatif(istanbul, wf)
        assert diagnose_mod.diagnose(changed).issues["guarantee"].verdict == iv.verdict_after


def test_verdicts_read_from_the_bdm_run_equal_a_second_run(istanbul) -> None:
    # Sensitivity and the intervention search read the verdicts from the bdm run they
    # already made; that must give what running the diagnosis again gives.
    from detente.uncertainty._models import resolve_models
    from detente.uncertainty.sweep import run_models, run_models_with_verdicts

    space = input_space(istanbul)
    inp = space.build(space.sample(rng_for_chunk(11, 0), 300))
    resolved = resolve_models(["compromise", "bdm"], None)
    out, codes = run_models_with_verdicts(inp, resolved)
    fn = verdict_function(dict(resolved)["bdm"])
    assert fn is not None and codes is not None
    np.testing.assert_array_equal(codes, fn(inp))
    np.testing.assert_array_equal(out, run_models(inp, resolved))
    assert len(set(codes.ravel().tolist())) > 1  # the draws do not all agree
    _, none = run_models_with_verdicts(inp, resolve_models(["compromise"], None))
    assert none is None

"""smp in blocks: the block size changes memory, never a bit of the results."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.case.arrays import case_arrays
from detente.case.formats import ktab
from detente.errors import ModelError
from detente.forecast.registry import ModelInput
from detente.forecast.smp import (
    BARGAIN_MODELS,
    PCE_MODELS,
    THIRD_PARTY_COMMIT,
    VOTING_RULES,
    SMPParams,
    _challenges,
    _prepare,
    _utilities,
    _Workspace,
    coalitions,
    prob_edu_challenge,
    run_smp,
)
from tests.conftest import ASSETS
from tests.smp.test_smp_properties import scenarios

KEYS = ("trajectory", "turns", "moved_by", "win_prob", "outcome", "risk")


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    for key in KEYS:
        assert a[key].shape == b[key].shape, key
        assert np.array_equal(a[key], b[key]), key  # to the bit


params = st.builds(
    SMPParams,
    voting_rule=st.sampled_from(VOTING_RULES),
    third_party_commit=st.sampled_from(THIRD_PARTY_COMMIT),
    bargain_model=st.sampled_from(BARGAIN_MODELS),
    pce=st.sampled_from(PCE_MODELS),
    max_turns=st.integers(1, 6),
)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 2).flatmap(lambda b: scenarios(max_actors=9, batch=b)),
    params,
    st.integers(1, 4),
)
def test_blocked_equals_unblocked_to_the_bit(
    sc: tuple[np.ndarray, np.ndarray, np.ndarray], p: SMPParams, block: int
) -> None:
    pos, sal, cap = sc
    try:
        whole = run_smp(pos, sal, cap, p, block=10**9)  # one block: numpy's own sums
    except ModelError as exc:  # a case the model refuses (e.g. a PCE that does not converge)
        for kwargs in ({"block": block}, {}):  # must be refused the same way in blocks
            with pytest.raises(ModelError) as again:
                run_smp(pos, sal, cap, p, **kwargs)
            assert again.value.message == exc.message
        return
    _same(run_smp(pos, sal, cap, p, block=block), whole)
    _same(run_smp(pos, sal, cap, p), whole)  # the default block


@pytest.mark.parametrize("name", ["dummyData_3Dim.csv", "SOE-Pol-Comp.csv"])
def test_ktab_reference_runs_do_not_depend_on_the_block(name: str) -> None:
    text = (ASSETS / "ktab" / name).read_text(encoding="utf-8-sig")
    inp = ModelInput.from_arrays(case_arrays(ktab.read_ktab_csv(text, name)[0]))
    pos, sal, cap, _lo, _hi = _prepare(inp)
    _same(run_smp(pos, sal, cap, block=1), run_smp(pos, sal, cap))


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 12),
    st.integers(1, 7),
    st.sampled_from(VOTING_RULES),
    st.integers(0, 2**32 - 1),
    st.integers(1, 3),
)
def test_coalitions_in_blocks_equal_one_sum(
    n_voters: int, n_opt: int, rule: str, seed: int, batch: int
) -> None:
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 5.0, (batch, n_voters))
    u = rng.uniform(-1.0, 1.0, (batch, n_voters, n_opt))
    whole = coalitions(rule, w, u, block=10**9)
    for block in (1, 2, 5):
        assert np.array_equal(coalitions(rule, w, u, block=block), whole)


def test_peak_memory_grows_as_actors_squared_times_block() -> None:
    # 80 actors: the A^3 terms of one turn are 4 MiB per array, one line 640 bytes.
    rng = np.random.default_rng(5)
    n = 80
    pos = rng.uniform(0.35, 1.0, (1, n, 1))
    sal = rng.uniform(0.05, 1.0, (1, n, 1))
    cap = rng.uniform(0.1, 5.0, (1, n))
    one_turn = SMPParams(min_turns=1, max_turns=1)
    peaks = {}
    for block in (1, n**3):
        tracemalloc.start()
        run_smp(pos, sal, cap, one_turn, block=block)
        peaks[block] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    cube = n**3 * 8
    assert peaks[1] < cube  # less than one A^3 array in all
    assert peaks[n**3] > 4 * cube  # everything in one block: several A^3 buffers


def test_threads_change_no_bit() -> None:
    # 70 actors in blocks of one line: hundreds of blocks, shared by 3 threads
    rng = np.random.default_rng(9)
    n = 70
    pos = rng.uniform(0.0, 1.0, (2, n, 2))
    sal = rng.uniform(0.05, 0.5, (2, n, 2))
    cap = rng.uniform(0.1, 5.0, (2, n))
    p = SMPParams(max_turns=3)
    _same(run_smp(pos, sal, cap, p, block=n, threads=3), run_smp(pos, sal, cap, p, threads=1))


def test_block_below_one_is_refused() -> None:
    pos = np.array([[[0.2], [0.8], [0.5]]])
    with pytest.raises(ModelError, match="block size"):
        run_smp(pos, np.full_like(pos, 0.5), np.ones((1, 3)), block=0)
    with pytest.raises(ModelError, match="threads"):
        run_smp(pos, np.full_like(pos, 0.5), np.ones((1, 3)), threads=0)


def test_distances_beyond_one_take_the_far_branch_in_blocks_too() -> None:
    # positions off the 0-1 scale make distances above 1 (bs_util's second branch);
    # the blocks check for them once per turn, and must still take that branch:
    # the blocked challenges equal the plain all-pairs expression to the bit
    rng = np.random.default_rng(4)
    n = 24
    pos = rng.uniform(-1.0, 2.0, (1, n, 1))
    sal = rng.uniform(0.05, 1.0, (1, n, 1))
    cap = rng.uniform(0.1, 5.0, (1, n))
    p = SMPParams()
    d, _nra, rhi = _utilities(pos, sal, cap, p)
    assert (d > 1.0).any()
    stot = sal.sum(axis=-1)
    ii, jj = np.arange(n).reshape(1, n, 1), np.arange(n).reshape(1, 1, n)
    plain = prob_edu_challenge(d, rhi, cap, stot, ii, ii, ii, jj, p)
    for block in (7, None):
        blocked = _challenges(d, rhi, cap, stot, p, block=block, ws=_Workspace(2))
        for x, y in zip(blocked, plain, strict=True):
            assert np.array_equal(x, y)

"""KTAB's Spatial Model of Politics (SMP) as array code with a leading batch axis.

A re-implementation, written from KTAB's C++ source (KAPSARC, MIT licence;
``examples/smp/libsrc/smp.cpp``, ``smpbcn.cpp`` and ``KTAB/kmodel/libsrc/kmodel.cpp``)
and its SMP tutorial. Each turn (``SMPState::stepBCN``):

1. **Distances and utilities** (``SMPState::setVDiff``, ``SMPModel::bvDiff``,
   ``SMPModel::bsUtil``): salience-weighted Euclidean distance from each actor's ideal
   to every position, turned into utility ``(1 - d)(1 + d R)``.
2. **Risk attitudes** (``SMPState::setAllAUtil``, ``Model::coalitions``,
   ``Model::probCE2``, ``Model::bigRfromProb``): risk-neutral Condorcet election over
   all positions (capability-weighted votes); each actor's win probability sets its risk
   attitude ``R`` on the chosen range; each actor ``h`` estimates the others' ``R``
   with the adjustment rule (``Model::estNRA``).
3. **Challenges** (``SMPState::probEduChlg``, ``Actor::vProbLittle``,
   ``Actor::thirdPartyVoteSU``, ``SMPState::bestChallenge``): each actor estimates, for
   every target, the probability of winning a challenge (principals plus third parties
   voting on the little three-actor contests) and the expected gain over the status quo;
   it targets the best one if the gain exceeds ``1e-5``.
4. **Bargains** (``SMPActor::interpolateBrgn``, ``interpBrgnSnPm``,
   ``interpBrgnS2PMax``): the bargain is interpolated per dimension from the two
   positions, weighted by salience and win probability (S2P2 rounds to 4 decimals on the
   0-1 scale, as KTAB does).
5. **Choosing bargains** (``SMPState::doBCN``, ``updateBestBrgnPositions``,
   ``Model::scalarPCE``): every actor's options are its status quo and the bargains it
   is part of; all actors vote on them (utility of the resulting state, averaged over
   actors' positions); the PCE distribution picks one (most likely, or sampled).
6. **Stop** (``smpStopFn``): after at least ``min_turns`` turns, when the summed
   position change of a turn falls below ``stop_ratio`` of the first turn's (plus
   ``1e-4``), or after ``max_turns``.

The model's outcome is the expected position under KTAB's final winning-probability
distribution (``SMPState::pDist(-1)``: each actor's own-perspective utilities,
proportional voting, Condorcet election over the distinct positions), each distinct
position's probability shared equally by the actors holding it. See
``docs/models/smp.md`` for each step, the parameters and their alternatives.

Memory: a turn's ``A^3`` terms (third parties of every challenge, voters on every pair
of options) are never held at once; they are made in cache-sized blocks in buffers
reused across turns, optionally shared by threads, with the same bits whatever the
block size (:data:`BLOCK_ELEMENTS`, ``docs/models/smp.md``, "Memory").
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.errors import ModelError
from detente.forecast.registry import ModelInput, ModelResult, Param, register

__all__ = [
    "SMPParams",
    "bargain_interpolate",
    "big_r_from_prob",
    "bs_util",
    "coalitions",
    "cond_pce",
    "estimate_nra",
    "estimator_utilities",
    "pce",
    "run_smp",
    "victory_prob",
    "vote",
]

F = NDArray[np.float64]
B_ = NDArray[np.bool_]
I_ = NDArray[np.intp]

VICTORY_MODELS = ("Linear", "Square", "Quartic", "Octic", "Binary")
PCE_MODELS = ("Conditional", "MarkovIncentive", "MarkovUniform")
STATE_TRANSITIONS = ("Deterministic", "Stochastic")
VOTING_RULES = ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp")
BIG_R_ADJUST = ("Full", "TwoThirds", "Half", "OneThird", "None")
BIG_R_RANGE = ("Min", "Mid", "Max")
THIRD_PARTY_COMMIT = ("NoCommit", "SemiCommit", "FullCommit")
INTER_VEC_BARGAIN = ("S1P1", "S2P2", "S2PMax")
BARGAIN_MODELS = ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")

MIN_COALITION = 1e-8  # Model::coalitions
MIN_CHALLENGE_COALITION = 1e-10  # SMPState::probEduChlg
MIN_SIG_EDU = 1e-5  # SMPState::bestChallenge
POS_TOL = 1e-3  # SMPModel::posTol, on the 0-1 scale
MIN_SIG_DELTA = 1e-4  # smpStopFn
MAX_TURNS = 1000
"""Largest ``min_turns``/``max_turns`` the registry accepts (KTAB's own default is 100)."""

BLOCK_ELEMENTS = 1 << 17
"""Default size of one block of third-party terms, in float64 numbers (256 KiB).

A turn's third-party terms (challenger x target x third party, and voter x option x
option in the elections) are ``A^3`` numbers per scenario: 8 GB at 1,000 actors. They
are computed in blocks of about this many numbers, in buffers reused across blocks and
turns, so that peak memory grows as ``A^2`` (the pairwise arrays) plus a few blocks;
the block size changes no bit of any result (``docs/models/smp.md``, "Memory"). A few
such blocks fit a core's L2 cache, which is what makes blocking faster as well."""


@dataclass(frozen=True)
class SMPParams:
    """The nine KTAB model parameters and the stop rule (KTAB names and defaults)."""

    victory_prob: str = "Linear"
    pce: str = "Conditional"
    state_transitions: str = "Deterministic"
    voting_rule: str = "Prop"
    big_r_adjust: str = "OneThird"
    big_r_range: str = "Mid"
    third_party_commit: str = "SemiCommit"
    inter_vec_bargain: str = "S2P2"
    bargain_model: str = "InitOnlyInterp"
    min_turns: int = 2
    max_turns: int = 100
    stop_ratio: float = 0.02
    seed: int = 0


# ---------------------------------------------------------------------- building blocks


def bs_util(d: F, r: F) -> F:
    """Utility of a normalised distance ``d`` for risk attitude ``r`` (``SMPModel::bsUtil``).

    ``(1 - d)(1 + d r)`` for ``d <= 1``, else ``(1 - d)(1 + r)``. ``r = 0`` is risk
    neutral, ``r = 1`` risk averse (concave), ``r = -1/2`` risk seeking.
    """
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * r), (1.0 - d) * (1.0 + r))


def vote(rule: str, w: F, ui: F, uj: F) -> F:
    """Vote of weight ``w`` for option i over j given utilities (``Model::vote``)."""
    du = ui - uj
    if rule == "Prop":
        return w * du
    if rule == "Binary":
        return w * np.clip(du / 1e-8, -1.0, 1.0)
    if rule == "PropBin":
        return w * (0.8 * du + 0.2 * np.clip(du / 1e-8, -1.0, 1.0))
    if rule == "PropCbc":
        return w * (0.5 * du + 0.5 * du * du * du)
    if rule == "Cubic":
        return w * du * du * du
    if rule == "ASymProsp":
        return np.where(du < 0.0, w * du, np.where(du > 0.0, 2.0 * w * du / 3.0, 0.0))
    raise ModelError(f"smp: unknown voting rule {rule!r}")


def _vote_into(rule: str, w: F, ui: F, uj: F | float, out: F) -> F:
    """:func:`vote` written into ``out`` (the same floating-point operations)."""
    if rule == "Prop":  # w * (ui - uj), without a temporary
        if not (isinstance(uj, float) and uj == 0.0):  # x - 0.0 is x, to the bit
            np.subtract(ui, uj, out=out)
            np.multiply(out, w, out=out)
        else:
            np.multiply(ui, w, out=out)
    else:
        out[...] = vote(rule, w, ui, np.asarray(uj, dtype=float))
    return out


class _Workspace:
    """Flat float64 buffers reused across blocks and turns (no fresh pages per turn).

    ``get(name, shape)`` returns a C-contiguous view of the named buffer, grown when a
    larger shape is asked for; views of one name must not be alive at the same time.
    """

    def __init__(self, threads: int = 1) -> None:
        self._bufs: dict[str, F] = {}
        self._children: list[_Workspace] = []
        self.threads = threads

    def child(self, k: int) -> _Workspace:
        """The buffers of worker thread ``k`` (each thread writes only its own)."""
        while len(self._children) <= k:
            self._children.append(_Workspace())
        return self._children[k]

    def get(self, name: str, shape: tuple[int, ...]) -> F:
        size = math.prod(shape)
        buf = self._bufs.get(name)
        if buf is None or buf.size < size:
            buf = np.empty(size)
            self._bufs[name] = buf
        return buf[:size].reshape(shape)


def default_threads() -> int:
    """Threads for the blocks of a large turn: the CPUs this process may use, at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def _run_blocks(jobs: list[Any], fn: Callable[[Any, _Workspace], None], ws: _Workspace) -> None:
    """``fn(job, workspace)`` for every job; jobs in contiguous groups, one per thread.

    Each job writes its own slice of the outputs and nothing else, so the threads
    change no number: only which core computes it (numpy releases the GIL in its loops).
    """
    n = min(ws.threads, len(jobs) // 4)  # a few jobs each, or not worth a thread
    if n <= 1:
        for job in jobs:
            fn(job, ws)
        return
    groups = [jobs[k * len(jobs) // n : (k + 1) * len(jobs) // n] for k in range(n)]

    def run(k: int) -> None:
        mine = ws.child(k)
        for job in groups[k]:
            fn(job, mine)

    with ThreadPoolExecutor(max_workers=n) as pool:
        for f in [pool.submit(run, k) for k in range(n)]:
            f.result()


def _split(block: int | None, lead: int, rows: int, cols: int, width: int) -> tuple[int, int]:
    """Block shape ``(rows, cols)`` for ``lead x rows x cols x width`` numbers.

    As many whole rows as fit ``block`` numbers (default :data:`BLOCK_ELEMENTS`), else
    one row cut into columns; at least one ``width``-long line per block.
    """
    budget = BLOCK_ELEMENTS if block is None else block
    if budget < 1:
        raise ModelError(f"smp: block size must be at least 1, not {block}")
    per_row = lead * cols * width
    if per_row <= budget:
        return min(rows, budget // per_row), cols
    return 1, max(1, min(cols, budget // max(1, lead * width)))


ANTISYMMETRIC_RULES = ("Binary", "PropBin", "Prop", "PropCbc", "Cubic")
"""Voting rules with ``vote(w, a, b) == -vote(w, b, a)`` to the bit: the votes against
``i`` in ``(i, j)`` are the votes for ``j`` in ``(j, i)``, so one sum serves both."""


def coalitions(
    rule: str,
    w: F,
    u: F,
    valid: B_ | None = None,
    *,
    block: int | None = None,
    ws: _Workspace | None = None,
) -> F:
    """Coalition strengths ``c[i, j]`` for option i against j (``Model::coalitions``).

    Args:
        rule: Voting rule.
        w: ``(..., K)`` voter weights.
        u: ``(..., K, O)`` utility to each voter of each option.
        valid: ``(..., O)`` options taking part (others get zero strength).
        block: Numbers per block of votes (``None``: :data:`BLOCK_ELEMENTS`).
        ws: Buffers to reuse (a fresh set when ``None``).

    Returns:
        ``(..., O, O)``; ``1e-8`` plus the votes of i's supporters, computed on the
        lower triangle as KTAB does (matters only for the asymmetric rule).

    The votes of ``K`` voters on ``O x O`` contests take ``K O^2`` numbers; they are
    made for a block of voters and contests at a time, and each block's votes are added
    to the running sums one voter after another, the order numpy's own sum over that
    axis uses (for ``O >= 2``), so every block size gives the same bits.
    """
    n_voters, n = u.shape[-2], u.shape[-1]
    lead = u.shape[:-2]
    n_lead = int(np.prod(lead, dtype=np.int64))
    if n == 1:  # numpy sums the voters pairwise here: never split them (K numbers)
        kb, ib = n_voters, 1
    else:
        # Many voters and few option rows per block: each further group of voters
        # costs one pass over the block's running sums, so the voters are cut last
        # (and the rows of options are the jobs that threads share).
        ib, kb = _split(block, n_lead, n, n_voters, n)
    ws = ws or _Workspace()
    both = rule not in ANTISYMMETRIC_RULES
    pos = np.empty((*lead, n, n))
    neg = np.empty((*lead, n, n)) if both else pos

    def rows(i0: int, wsk: _Workspace) -> None:  # option rows i0.. for every voter
        i1 = min(n, i0 + ib)
        for k0 in range(0, n_voters, kb):
            k1 = min(n_voters, k0 + kb)
            m = k1 - k0
            v = _vote_into(
                rule,
                w[..., k0:k1, None, None],
                u[..., k0:k1, i0:i1, None],
                u[..., k0:k1, None, :],
                wsk.get("coal_v", (*lead, m, i1 - i0, n)),
            )
            for acc, sign in ((pos, 1.0), (neg, -1.0)) if both else ((pos, 1.0),):
                if sign < 0:
                    np.negative(v, out=v)
                if k0 == 0:
                    acc[..., i0:i1, :] = np.maximum(v, 0.0).sum(axis=-3)
                    continue
                part = wsk.get("coal_sum", (*lead, m + 1, i1 - i0, n))
                part[..., 0, :, :] = acc[..., i0:i1, :]
                np.maximum(v, 0.0, out=part[..., 1:, :, :])
                acc[..., i0:i1, :] = part.sum(axis=-3)

    _run_blocks(list(range(0, n, ib)), rows, ws)
    lower = np.tril(np.ones((n, n), dtype=bool), -1)
    # antisymmetric rules: the votes against j in (j, i) are i's in (i, j)
    against = np.swapaxes(neg, -1, -2) if both else pos
    c = np.where(lower, pos, against) + MIN_COALITION
    c = np.where(np.eye(n, dtype=bool), MIN_COALITION, c)
    if valid is not None:
        c = np.where(valid[..., :, None] & valid[..., None, :], c, 0.0)
    return c


def victory_prob(model: str, c: F) -> F:
    """Pairwise victory probabilities from coalition strengths (``Model::vProb``)."""
    ct = np.swapaxes(c, -1, -2)
    if model == "Binary":
        with np.errstate(divide="ignore", invalid="ignore"):
            r = c / (c + ct)
            mid = (r * 2.1 - 1.0) / 0.1
        x1 = np.where(c >= 1.1 * ct, 1.0, np.where(ct >= 1.1 * c, 1e-6, mid))
        x2 = np.where(c >= 1.1 * ct, 1e-6, np.where(ct >= 1.1 * c, 1.0, 1.0 - mid))
    else:
        power = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}.get(model)
        if power is None:
            raise ModelError(f"smp: unknown victory probability model {model!r}")
        x1, x2 = c**power, ct**power
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x1 / (x1 + x2)
    n = c.shape[-1]
    p = np.where(np.eye(n, dtype=bool), 0.5, p)
    return np.where(np.isfinite(p), p, 0.5)


def cond_pce(pv: F, valid: B_) -> F:
    """Conditional PCE: ``P[i] ∝ prod_j P[i > j]`` over valid options (``Model::condPCE``).

    Computed as a sum of logarithms so that many options do not underflow.
    """
    with np.errstate(divide="ignore"):
        logs = np.where(valid[..., None, :], np.log(pv), 0.0).sum(axis=-1)
    logs = np.where(valid, logs, -np.inf)
    top = np.max(logs, axis=-1, keepdims=True)
    e = np.where(valid, np.exp(logs - top), 0.0)
    out: F = e / e.sum(axis=-1, keepdims=True)
    return out


def _markov_incentive(c: F, pv: F, valid: B_) -> F:
    """``Model::markovIncentivePCE``: challenges in proportion to incentive ``c * P``."""
    n = c.shape[-1]
    eye = np.eye(n, dtype=bool)
    inc = np.where(valid[..., :, None] & valid[..., None, :], c * pv, 0.0)
    inc = inc + np.where(eye & valid[..., None, :], 1e-10, 0.0)
    den = inc.sum(axis=-2, keepdims=True)
    chlg = np.where(den > 0, inc / np.where(den > 0, den, 1.0), 0.0)
    nv = valid.sum(axis=-1, keepdims=True)
    p = np.where(valid, 1.0 / nv, 0.0)
    done = np.zeros(p.shape[:-1], dtype=bool)
    for _ in range(1000):
        ct = p[..., :, None] * np.swapaxes(chlg, -1, -2)
        q = (pv * (ct + np.swapaxes(ct, -1, -2))).sum(axis=-1)
        q = np.where(valid, q, 0.0)
        change = np.max(np.abs(q - p), axis=-1)
        p = np.where(done[..., None], p, (p + q) / 2.0)
        done = done | ~(change > 1e-8)
        if done.all():
            return p
    raise ModelError("smp: Markov-incentive PCE did not converge in 1000 iterations")


def _markov_uniform(pv: F, valid: B_) -> F:
    """``Model::markovUniformPCE``: uniform challenges."""
    nv = valid.sum(axis=-1, keepdims=True).astype(float)
    pvm = np.where(valid[..., :, None] & valid[..., None, :], pv, 0.0)
    p = np.where(valid, 1.0 / nv, 0.0)
    done = np.zeros(p.shape[:-1], dtype=bool)
    for _ in range(1000):
        q = (pvm * (p[..., :, None] + p[..., None, :])).sum(axis=-1) / nv
        change = np.max(np.abs(q - p), axis=-1)
        p = np.where(done[..., None], p, (p + q) / 2.0)
        done = done | ~(change > 1e-6)
        if done.all():
            return p
    raise ModelError("smp: Markov-uniform PCE did not converge in 1000 iterations")


def pce(model: str, c: F, pv: F, valid: B_) -> F:
    """Probability that each option wins (``Model::probCE2``)."""
    if model == "Conditional":
        return cond_pce(pv, valid)
    if model == "MarkovIncentive":
        return _markov_incentive(c, pv, valid)
    if model == "MarkovUniform":
        return _markov_uniform(pv, valid)
    raise ModelError(f"smp: unknown PCE model {model!r}")


def scalar_pce(
    w: F,
    u: F,
    valid: B_,
    p: SMPParams,
    rule: str | None = None,
    *,
    block: int | None = None,
    ws: _Workspace | None = None,
) -> F:
    """``Model::scalarPCE``: coalitions, victory probabilities, then PCE."""
    c = coalitions(rule or p.voting_rule, w, u, valid, block=block, ws=ws)
    pv = victory_prob(p.victory_prob, c)
    return pce(p.pce, c, pv, valid)


def big_r_from_prob(prob: F, rng: str) -> F:
    """Risk attitudes from win probabilities (``Model::bigRfromProb``).

    ``Min`` maps [pmin, pmax] to [0, 1], ``Mid`` to [-1/2, 1], ``Max`` to [-1, 1].
    Where every probability is equal KTAB divides by zero; here everyone is neutral.
    """
    lo = prob.min(axis=-1, keepdims=True)
    hi = prob.max(axis=-1, keepdims=True)
    span = hi - lo
    safe = np.where(span > 0, span, 1.0)
    if rng == "Min":
        r = (prob - lo) / safe
    elif rng == "Mid":
        r = (3.0 * prob - (hi + 2.0 * lo)) / (2.0 * safe)
    elif rng == "Max":
        r = (2.0 * prob - (hi + lo)) / safe
    else:
        raise ModelError(f"smp: unknown risk range {rng!r}")
    return np.where(span > 0, r, 0.0)


def estimate_nra(rh: F, ri: F, adjust: str) -> F:
    """``h``'s estimate of ``i``'s risk attitude (``Model::estNRA``)."""
    if adjust == "Full":
        return ri + 0.0 * rh
    if adjust == "TwoThirds":
        return (rh + 2.0 * ri) / 3.0
    if adjust == "Half":
        return (rh + ri) / 2.0
    if adjust == "OneThird":
        return (2.0 * rh + ri) / 3.0
    if adjust == "None":
        return rh + 0.0 * ri
    raise ModelError(f"smp: unknown risk adjustment {adjust!r}")


def weighted_distance(ideal: F, pos: F, sal: F) -> F:
    """Distance from i's ideal to j's position, weighted by i's saliences.

    ``SMPModel::bvDiff``: ``sqrt(sum_k (s_ik (x_ik - y_jk))^2 / sum_k s_ik^2)``.

    An actor with no salience anywhere sees every position at distance 0.
    """
    diff = (ideal[..., :, None, :] - pos[..., None, :, :]) * sal[..., :, None, :]
    num = (diff * diff).sum(axis=-1)
    den = (sal * sal).sum(axis=-1)[..., :, None]
    return np.sqrt(np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0))


def _round4(x: F) -> F:
    # KTAB's round4: (int)(0.5 + x * 10000) / 10000 (positions are >= 0)
    return np.trunc(0.5 + x * 10000.0) / 10000.0


def bargain_interpolate(method: str, ti: F, si: F, pi: F, tj: F, sj: F, pj: F) -> tuple[F, F]:
    """Bargain positions for initiator and receiver (``SMPActor::interpolateBrgn``).

    Args:
        method: ``S1P1``, ``S2P2`` (``interpBrgnSnPm``) or ``S2PMax``
            (``interpBrgnS2PMax``).
        ti: ``(..., D)`` initiator's position.
        si: ``(..., D)`` initiator's saliences.
        pi: ``(...,)`` the initiator's probability the interpolation uses.
        tj: ``(..., D)`` receiver's position.
        sj: ``(..., D)`` receiver's saliences.
        pj: ``(...,)`` the receiver's probability (``1 - pi`` in KTAB's calls).
    """
    pi_, pj_ = pi[..., None], pj[..., None]
    min_w = 1e-6
    if method in ("S1P1", "S2P2"):
        n = 1 if method == "S1P1" else 2
        wi = si**n * pi_**n
        wj = sj**n * pj_**n
        tot = wi + min_w + wj
        bi = _round4(((wi + min_w) * ti + wj * tj) / tot)
        bj = _round4((wi * ti + (min_w + wj) * tj) / tot)
        return bi, bj
    if method == "S2PMax":
        di = np.maximum(pj_ - pi_, 0.0)
        dj = np.maximum(pi_ - pj_, 0.0)
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + min_w + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + min_w + ((1 - dj) * sj2))
        return ti + dik * (tj - ti), tj + djk * (ti - tj)
    raise ModelError(f"smp: unknown bargain interpolation {method!r}")


def _au(d: F, rhi: F, b: Any, h: Any, x: Any, y: Any) -> F:
    """Estimator ``h``'s risk-aware utility to ``x`` of ``y``'s position, at index arrays.

    ``au[b, h, x, y] = bs_util(d[b, x, y], rhi[b, h, x])``: the utility matrix that
    ``SMPState::setAllAUtil`` gives each estimator, read where it is needed instead of
    stored (``A^3`` numbers per scenario).
    """
    return bs_util(d[b, x, y], rhi[b, h, x])


def estimator_utilities(d: F, rhi: F) -> F:
    """Every estimator's full risk-aware utility matrix, ``(B, H, A, A)``.

    ``A^3`` numbers per scenario: for inspecting small cases only; the model itself
    reads the entries it needs (:func:`_au`) or builds them a block at a time.
    """
    return bs_util(d[:, None, :, :], rhi[:, :, :, None])


def _principals(
    d: F, rhi: F, cap: F, stot: F, b: Any, h: Any, k: Any, i: Any, j: Any, rule: str
) -> tuple[F, F, F, F, F]:
    """The two principals' votes in ``h``'s estimate of the contest ``i`` against ``j``."""
    uii, uij = _au(d, rhi, b, h, i, i), _au(d, rhi, b, h, i, j)
    uji, ujj = _au(d, rhi, b, h, j, i), _au(d, rhi, b, h, j, j)
    uki, ukj = _au(d, rhi, b, h, k, i), _au(d, rhi, b, h, k, j)
    si, sj = stot[b, i], stot[b, j]
    ci, cj = cap[b, i], cap[b, j]
    con_i = vote(rule, si * ci, uii, uij)
    con_j = vote(rule, sj * cj, uji, ujj)
    chij = MIN_CHALLENGE_COALITION + np.maximum(con_i, 0.0) + np.maximum(con_j, 0.0)
    chji = MIN_CHALLENGE_COALITION + np.maximum(-con_i, 0.0) + np.maximum(-con_j, 0.0)
    return chij, chji, uki, ukj, sj


def _expected_gain(chij: F, chji: F, uki: F, ukj: F, sj: F) -> tuple[F, F]:
    """P[i beats j] and k's expected gain over the status quo (``probEduChlg``'s end)."""
    phij = chij / (chij + chji)
    eu_sq = uki + ukj
    eu_vict = 2.0 * uki
    eu_cntst = phij * (2.0 * uki) + (1.0 - phij) * (2.0 * ukj)
    eu_chlg = (1.0 - sj) * eu_vict + sj * eu_cntst
    return phij, eu_chlg - eu_sq


def _third_party_votes(rule: str, tpc: str, wn: F, uni: F, unn: F, unj: F, chij: F, chji: F) -> F:
    """Each third party's vote in each contest (> 0 for i), before excluding i and j.

    ``Actor::vProbLittle``: n judges the little contest (i:j) with only itself added;
    ``Actor::thirdPartyVoteSU``: n votes on (utility of "i with n beats j" or "j beats
    i with n") against ("i beats j with n" or "j with n beats i"); every voting rule
    depends only on the difference, so the terms are differenced first.
    """
    cn = vote(rule, wn, uni, unj)
    cni = chij[..., None] + np.maximum(cn, 0.0)
    cnj = chji[..., None] + np.maximum(-cn, 0.0)
    pin = cni / (cni + cnj)
    del cn, cni, cnj
    if tpc == "SemiCommit":  # u(ik>j) = 2uni+unn, u(j>ik) = 3unj, u(i>jk) = 3uni, ...
        d_win, d_lose = unn - uni, unj - unn
    else:  # FullCommit, NoCommit: both pairs of states coincide: no vote
        d_win, d_lose = np.zeros_like(uni), np.zeros_like(unj)
    return vote(rule, wn, pin * d_win + (1.0 - pin) * d_lose, np.zeros(()))


def _check_commit(tpc: str) -> None:
    if tpc not in THIRD_PARTY_COMMIT:
        raise ModelError(f"smp: unknown third-party commitment {tpc!r}")


def prob_edu_challenge(
    d: F, rhi: F, cap: F, stot: F, h: I_, k: I_, i: I_, j: I_, p: SMPParams
) -> tuple[F, F]:
    """``SMPState::probEduChlg``: h's estimate of P[i beats j] and k's expected gain.

    Args:
        d: ``(B, A, A)`` distances from each actor's ideal to each position.
        rhi: ``(B, H, A)`` each estimator's estimate of each actor's risk attitude.
        cap: ``(B, A)`` capabilities.
        stot: ``(B, A)`` each actor's total salience.
        h: The estimator, an index array of shape ``(1 or B, ...)``; ``h``, ``k``,
            ``i`` and ``j`` broadcast together to the challenges' shape ``(B, ...)``.
        k: The actor whose expected gain is estimated.
        i: The challenger.
        j: The challenged.
        p: Model parameters (voting rule, third-party commitment).

    Returns:
        ``(prob, gain)``, each of the challenges' shape. The third parties add an axis
        of ``A`` to the challenges' shape: for every pair from the challenger's own
        view use :func:`_challenges`, which takes them in blocks.
    """
    _check_commit(p.third_party_commit)
    bsz, n_act = cap.shape
    nd = max(x.ndim for x in (h, k, i, j))
    h, k, i, j = (x.reshape(x.shape[:1] + (1,) * (nd - x.ndim) + x.shape[1:]) for x in (h, k, i, j))
    b = np.arange(bsz).reshape((bsz,) + (1,) * (nd - 1))
    rule = p.voting_rule
    chij, chji, uki, ukj, sj = _principals(d, rhi, cap, stot, b, h, k, i, j, rule)
    n = np.arange(n_act).reshape((1,) * nd + (n_act,))
    b3, h3, i3, j3 = b[..., None], h[..., None], i[..., None], j[..., None]
    uni, unn = _au(d, rhi, b3, h3, n, i3), _au(d, rhi, b3, h3, n, n)
    unj = _au(d, rhi, b3, h3, n, j3)
    wn = (stot * cap).reshape((bsz,) + (1,) * (nd - 1) + (n_act,))
    vn = _third_party_votes(rule, p.third_party_commit, wn, uni, unn, unj, chij, chji)
    third = (n != i3) & (n != j3)
    vn = np.where(third, vn, 0.0)
    chij = chij + np.maximum(vn, 0.0).sum(axis=-1)
    chji = chji + np.maximum(-vn, 0.0).sum(axis=-1)
    return _expected_gain(chij, chji, uki, ukj, sj)


def _bs_util_into(d: F, one_minus_d: F, r: F, out: F, any_far: bool = True) -> F:
    """:func:`bs_util` into ``out`` (the same floating-point operations, no temporary).

    ``any_far=False`` promises that no ``d`` exceeds 1 (nor is NaN), which the caller
    checked once on the ``A^2`` distances: the block is then not scanned for them.
    """
    np.multiply(d, r, out=out)
    np.add(1.0, out, out=out)
    np.multiply(one_minus_d, out, out=out)
    if any_far:
        far = ~(d <= 1.0)
        if far.any():
            np.copyto(out, one_minus_d * (1.0 + r), where=far)
    return out


def _challenges(
    d: F,
    rhi: F,
    cap: F,
    stot: F,
    p: SMPParams,
    *,
    block: int | None = None,
    ws: _Workspace | None = None,
) -> tuple[F, F]:
    """Every challenge ``i -> j`` from the challenger's own view (``h = k = i``).

    The same numbers as ``prob_edu_challenge`` with ``h = k = i`` over all pairs,
    with the third-party terms (``A^3`` per scenario) made for a block of challengers
    and targets at a time in reused buffers: memory about five blocks of ``block``
    numbers. Each element is the same floating-point expression in both, and the sum
    over third parties runs over one contiguous row per contest as numpy's sum over
    the last axis does, so the block size changes no bit.

    Returns:
        ``(prob, gain)``, each ``(B, A, A)`` indexed ``[b, i, j]``.
    """
    tpc = p.third_party_commit
    _check_commit(tpc)
    bsz, n_act = cap.shape
    rule = p.voting_rule
    ar = np.arange(n_act)
    b = np.arange(bsz).reshape(bsz, 1, 1)
    ii, jj = ar.reshape(1, n_act, 1), ar.reshape(1, 1, n_act)
    chij, chji, uki, ukj, sj = _principals(d, rhi, cap, stot, b, ii, ii, ii, jj, rule)
    if tpc == "SemiCommit":  # otherwise third parties cast no vote (sums of exact zeros)
        ws = ws or _Workspace()
        dt = np.ascontiguousarray(np.swapaxes(d, -1, -2))  # dt[b, j, n] = d[b, n, j]
        one_minus_dt = 1.0 - dt
        # checked once on the A^2 distances, not on every A^3 block (3 passes of ~24)
        any_far = bool((~(dt <= 1.0)).any())
        uni_all = bs_util(dt, rhi)  # [b, i, n] = au[b, i, n, i]
        unn_all = bs_util(d[:, ar, ar][:, None, :], rhi)  # [b, i, n] = au[b, i, n, n]
        d_win_all = unn_all - uni_all
        wn = (stot * cap)[:, None, None, :]
        kb, jb = _split(block, bsz, n_act, n_act, n_act)
        add_i, add_j = np.empty_like(chij), np.empty_like(chji)

        def one(job: tuple[int, int], wsk: _Workspace) -> None:
            i0, j0 = job
            i1, j1 = min(n_act, i0 + kb), min(n_act, j0 + jb)
            shape = (bsz, i1 - i0, j1 - j0, n_act)  # [b, i, j, n]
            unj = _bs_util_into(
                dt[:, None, j0:j1],
                one_minus_dt[:, None, j0:j1],
                rhi[:, i0:i1, None, :],
                wsk.get("unj", shape),
                any_far,
            )
            # vProbLittle: cni = chij + max(cn, 0), cnj = chji + max(-cn, 0), the
            # latter as chji - min(cn, 0) (the same bits)
            cn = _vote_into(rule, wn, uni_all[:, i0:i1, None, :], unj, wsk.get("cn", shape))
            cni = np.maximum(cn, 0.0, out=wsk.get("cni", shape))
            cni += chij[:, i0:i1, j0:j1, None]
            cnj = np.minimum(cn, 0.0, out=cn)
            np.subtract(chji[:, i0:i1, j0:j1, None], cnj, out=cnj)
            tot = np.add(cni, cnj, out=cnj)
            pin = np.divide(cni, tot, out=cni)
            # thirdPartyVoteSU: pin (unn - uni) + (1 - pin)(unj - unn)
            d_lose = np.subtract(unj, unn_all[:, i0:i1, None, :], out=unj)
            rest = np.subtract(1.0, pin, out=tot)
            rest *= d_lose
            x = np.multiply(pin, d_win_all[:, i0:i1, None, :], out=pin)
            x += rest
            # vote(x, 0): for Prop w * (x - 0) is w * x to the bit
            vn = _vote_into(rule, wn, x, 0.0, x)
            ri = ar[i0:i1]
            vn[:, ri - i0, :, ri] = 0.0  # n == i
            rj = ar[j0:j1]
            vn[:, :, rj - j0, rj] = 0.0  # n == j
            add_i[:, i0:i1, j0:j1] = np.maximum(vn, 0.0, out=rest).sum(axis=-1)
            # sum of max(-vn, 0) = -(sum of min(vn, 0)), to the bit
            add_j[:, i0:i1, j0:j1] = -np.minimum(vn, 0.0, out=vn).sum(axis=-1)

        jobs = [(i0, j0) for i0 in range(0, n_act, kb) for j0 in range(0, n_act, jb)]
        _run_blocks(jobs, one, ws)
        chij = chij + add_i
        chji = chji + add_j
    return _expected_gain(chij, chji, uki, ukj, sj)


# ---------------------------------------------------------------------- one turn


@dataclass
class _Turn:
    new_pos: F  # (B, A, D)
    mover: I_  # (B, A, 2) initiator and receiver of the bargain adopted; -1 for status quo
    nra: F  # (B, A)


def _utilities(
    pos: F,
    sal: F,
    cap: F,
    p: SMPParams,
    *,
    block: int | None = None,
    ws: _Workspace | None = None,
) -> tuple[F, F, F]:
    """Step 1-2: distances, risk attitudes and every estimator's risk estimates.

    Returns:
        ``(d, nra, rhi)``: distances ``(B, A, A)``, risk attitudes ``(B, A)`` and
        ``rhi[b, h, i]``, h's estimate of i's risk attitude; estimator h's utility
        matrix is ``bs_util(d, rhi[:, h, :, None])`` (:func:`estimator_utilities`).
    """
    d = weighted_distance(pos, pos, sal)  # (B, A, A); ideals track positions
    u0 = bs_util(d, np.zeros_like(d))
    allv = np.ones(pos.shape[:-1], dtype=bool)
    c = coalitions(p.voting_rule, cap, u0, block=block, ws=ws)
    pv = victory_prob(p.victory_prob, c)
    win = pce(p.pce, c, pv, allv)
    nra = big_r_from_prob(win, p.big_r_range)
    rhi = estimate_nra(nra[:, :, None], nra[:, None, :], p.big_r_adjust)  # (B, H, I)
    return d, nra, rhi


def _win_prob(
    pos: F,
    sal: F,
    cap: F,
    nra: F,
    p: SMPParams,
    *,
    block: int | None = None,
    ws: _Workspace | None = None,
) -> tuple[F, F, F]:
    """``SMPState::pDist(-1)``: winning probability of each distinct position.

    Positions closer than ``posTol`` count as one; the first actor holding it stands
    for it (``State::setUENdx``).

    Returns:
        ``(per_actor, per_option, share)``, each ``(B, A)``: the probability of the
        position class each actor is in, the probability of each representative (0 for
        the others), and each actor's equal share of its class's probability.
    """
    d = weighted_distance(pos, pos, sal)
    uself = bs_util(d, nra[:, :, None])
    diff = pos[:, :, None, :] - pos[:, None, :, :]
    equiv = np.sqrt((diff * diff).sum(axis=-1)) < POS_TOL
    n = pos.shape[1]
    earlier = np.tril(np.ones((n, n), dtype=bool), -1)
    rep = ~(equiv & earlier).any(axis=-1)
    prob = scalar_pce(cap, uself, rep, p, rule="Prop", block=block, ws=ws)
    first = np.argmax(equiv & (rep[:, None, :]), axis=-1)
    per_actor = np.take_along_axis(prob, first, axis=-1)
    size = (first[:, :, None] == first[:, None, :]).sum(axis=-1)
    return per_actor, prob, per_actor / size


def _turn(
    pos: F,
    sal: F,
    cap: F,
    stot: F,
    p: SMPParams,
    rngs: list[np.random.Generator],
    block: int | None = None,
    ws: _Workspace | None = None,
) -> _Turn:
    bsz, n_act, n_dim = pos.shape
    b = np.arange(bsz)[:, None]
    d, nra, rhi = _utilities(pos, sal, cap, p, block=block, ws=ws)
    # Step 3: challenges i -> j from i's own perspective (h = k = i)
    prob, edu = _challenges(d, rhi, cap, stot, p, block=block, ws=ws)
    ok = (edu > MIN_SIG_EDU) & ~np.eye(n_act, dtype=bool)
    target = np.argmax(np.where(ok, edu, -np.inf), axis=-1)  # first best j
    has = ok.any(axis=-1)  # (B, A)
    p_iij = np.take_along_axis(prob, target[..., None], axis=-1)[..., 0]
    # Step 4: bargains
    ai = np.broadcast_to(np.arange(n_act)[None, :], (bsz, n_act))
    ti, si = pos, sal
    tj = pos[b, target]
    sj = sal[b, target]
    iij_i, iij_j = bargain_interpolate(p.inter_vec_bargain, ti, si, p_iij, tj, sj, 1 - p_iij)
    kinds: list[tuple[F, F]]
    if p.bargain_model == "InitOnlyInterp":
        kinds = [(iij_i, iij_j)]
    else:
        # KTAB passes j's estimated *gain* of i (get<1> of probEduChlg) where the
        # interpolation expects a probability; kept to reproduce KTAB.
        _pj, gain_j = prob_edu_challenge(d, rhi, cap, stot, target, ai, ai, target, p)
        jij_i, jij_j = bargain_interpolate(p.inter_vec_bargain, ti, si, gain_j, tj, sj, 1 - gain_j)
        if p.bargain_model == "InitRcvrInterp":
            kinds = [(iij_i, iij_j), (jij_i, jij_j)]
        elif p.bargain_model == "PWCompInterp":
            # KTAB weighs j's view by i's capability times j's salience (kept as is)
            wi = (cap * stot)[..., None]
            wj = (cap * stot[b, target])[..., None]
            kinds = [((wi * iij_i + wj * jij_i) / (wi + wj), (wi * iij_j + wj * jij_j) / (wi + wj))]
        else:
            raise ModelError(f"smp: unknown bargain model {p.bargain_model!r}")
    # Slots: A status-quo slots, then per initiator its bargain(s), in initiator order.
    nk = len(kinds)
    n_slot = n_act + nk * n_act
    init = np.concatenate([ai, np.repeat(ai, nk, axis=1)], axis=1)
    rcvr = np.concatenate([ai, np.repeat(target, nk, axis=1)], axis=1)
    valid = np.concatenate([np.ones((bsz, n_act), bool), np.repeat(has, nk, axis=1)], axis=1)
    pinit = np.concatenate(
        [pos] + [np.stack([k_[0] for k_ in kinds], axis=2).reshape(bsz, n_act * nk, n_dim)], axis=1
    )
    prcvr = np.concatenate(
        [pos] + [np.stack([k_[1] for k_ in kinds], axis=2).reshape(bsz, n_act * nk, n_dim)], axis=1
    )
    is_sq = np.arange(n_slot) < n_act
    # Utility to voter a of the state after each slot's bargain (brgnUtil)
    uself = bs_util(d, nra[:, :, None])  # (B, A, A) = au[b, a, a, :]
    row = uself.sum(axis=-1)  # (B, A)

    def pos_util(x: F) -> F:  # (B, S, D) -> (B, A, S): SMPActor::posUtil
        return bs_util(weighted_distance(pos, x, sal), nra[:, :, None])

    u_i = pos_util(pinit)
    u_j = pos_util(prcvr)
    lose_i = np.take_along_axis(uself, np.broadcast_to(init[:, None, :], (bsz, n_act, n_slot)), -1)
    lose_j = np.take_along_axis(uself, np.broadcast_to(rcvr[:, None, :], (bsz, n_act, n_slot)), -1)
    bu = np.where(is_sq, row[..., None], row[..., None] - lose_i - lose_j + u_i + u_j) / n_act
    # Step 5: each actor k votes over its options: own status quo, bargains it is in
    k_idx = np.arange(n_act)[None, :, None]
    member = valid[:, None, :] & (
        (is_sq[None, None, :] & (init[:, None, :] == k_idx))
        | (~is_sq[None, None, :] & ((init[:, None, :] == k_idx) | (rcvr[:, None, :] == k_idx)))
    )  # (B, A, S)
    count = member.sum(axis=-1)
    order = np.argsort(np.where(member, np.arange(n_slot), n_slot + 1), axis=-1, kind="stable")
    chosen = np.empty((bsz, n_act), dtype=np.intp)
    for n_opt in np.unique(count):
        bb, kk = np.nonzero(count == n_opt)
        slots = order[bb, kk, :n_opt]  # (G, n)
        u = bu[bb[:, None, None], np.arange(n_act)[None, :, None], slots[:, None, :]]
        w = cap[bb]
        probs = scalar_pce(w, u, np.ones(slots.shape, dtype=bool), p, block=block, ws=ws)
        if p.state_transitions == "Deterministic":
            pick = np.argmax(probs, axis=-1)
        elif p.state_transitions == "Stochastic":
            pick = np.array(
                [
                    int(np.searchsorted(np.cumsum(probs[g]), rngs[bb[g]].random(), side="right"))
                    for g in range(len(bb))
                ],
                dtype=np.intp,
            )
            pick = np.minimum(pick, n_opt - 1)
        else:
            raise ModelError(f"smp: unknown state transition mode {p.state_transitions!r}")
        chosen[bb, kk] = slots[np.arange(len(bb)), pick]
    ch_init = np.take_along_axis(init, chosen, -1)
    ch_rcvr = np.take_along_axis(rcvr, chosen, -1)
    ch_sq = is_sq[chosen]
    kk = np.arange(n_act)[None, :]
    take_init = ch_init == kk
    new = np.where(
        ch_sq[..., None],
        pos,
        np.where(take_init[..., None], pinit[b, chosen], prcvr[b, chosen]),
    )
    mover = np.stack([np.where(ch_sq, -1, ch_init), np.where(ch_sq, -1, ch_rcvr)], axis=-1)
    return _Turn(new, mover, nra)


# ---------------------------------------------------------------------- the run


def run_smp(
    position: F,
    salience: F,
    capability: F,
    params: SMPParams | None = None,
    *,
    block: int | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Run KTAB's SMP on a batch of scenarios (KTAB's internal 0-1 scales).

    Args:
        position: ``(B, A, D)`` positions in [0, 1].
        salience: ``(B, A, D)`` saliences in [0, 1], summing to at most 1 per actor.
        capability: ``(B, A)`` capabilities (> 0 for a voting actor).
        params: Model parameters (KTAB defaults when ``None``).
        block: Numbers per block of third-party terms (at least one line of ``A``
            is taken); ``None`` for :data:`BLOCK_ELEMENTS`. Changes memory and speed
            only, never a bit of the results.
        threads: Threads that share a turn's blocks (``None``: :func:`default_threads`);
            like ``block``, never a bit of the results.

    Returns:
        ``trajectory`` ``(B, T+1, A, D)`` (draws that stop early repeat their last
        state), ``turns`` ``(B,)``, ``moved_by`` ``(B, T, A, 2)`` (initiator and
        receiver of the bargain each actor adopted, -1 for none), ``win_prob`` ``(B, A)``
        and ``outcome`` ``(B, D)`` for the final state, ``risk`` ``(B, A)`` of the last
        turn's start.
    """
    p = params or SMPParams()
    pos = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    cap = np.asarray(capability, dtype=float)
    bsz, n_act, _ = pos.shape
    if n_act < 2:
        raise ModelError("smp: needs at least two actors")
    stot = sal.sum(axis=-1)
    seeds = np.random.SeedSequence(p.seed).spawn(bsz)
    rngs = [np.random.default_rng(s) for s in seeds]
    history = [pos]
    movers: list[I_] = []
    turns = np.zeros(bsz, dtype=np.intp)
    active = np.ones(bsz, dtype=bool)
    d01 = np.zeros(bsz)
    current = pos.copy()
    n_threads = default_threads() if threads is None else threads
    if n_threads < 1:
        raise ModelError(f"smp: threads must be at least 1, not {threads}")
    ws = _Workspace(n_threads)  # buffers shared by every turn
    t = 0
    while active.any():
        t += 1
        idx = np.nonzero(active)[0]
        step = _turn(
            current[idx], sal[idx], cap[idx], stot[idx], p, [rngs[k] for k in idx], block, ws
        )
        new = current.copy()
        new[idx] = step.new_pos
        mv = np.full((bsz, n_act, 2), -1, dtype=np.intp)
        mv[idx] = step.mover
        dist = np.sqrt(((new - current) ** 2).sum(axis=-1)).sum(axis=-1)  # stateDist
        if t == 1:
            d01 = dist + MIN_SIG_DELTA
        ratio = dist / d01
        stop = (t >= p.max_turns) | ((t >= p.min_turns) & (ratio < p.stop_ratio))
        turns[idx] = t
        history.append(new)
        movers.append(mv)
        current = new
        active = active & ~stop
    # final winning probabilities (SMPState::pDist(-1)) on each draw's last state
    _d, nra, _rhi = _utilities(current, sal, cap, p, block=block, ws=ws)
    per_actor, _prob, share = _win_prob(current, sal, cap, nra, p, block=block, ws=ws)
    outcome = (share[..., None] * current).sum(axis=1)
    return {
        "trajectory": np.stack(history, axis=1),
        "turns": turns,
        "moved_by": np.stack(movers, axis=1),
        "win_prob": per_actor,
        "outcome": outcome,
        "risk": nra,
    }


# ---------------------------------------------------------------------- registry shell


def _prepare(inp: ModelInput) -> tuple[F, F, F, F, F]:
    """Case arrays to KTAB's scales (documented in docs/models/smp.md)."""
    lo, hi = inp.scale_min, inp.scale_max
    present = inp.present
    pos = (inp.position - lo) / (hi - lo)
    sal = np.where(present, inp.salience, 0.0)
    w = np.where(present, inp.capability, 0.0)
    # an actor without a position on an issue: no salience there, placed at the
    # capability-weighted mean of the others (it then neither pulls nor is pulled)
    tot = w.sum(axis=1, keepdims=True)
    mean = np.where(
        tot > 0,
        (w * np.where(present, pos, 0.0)).sum(axis=1, keepdims=True) / np.where(tot > 0, tot, 1.0),
        0.5,
    )
    pos = np.where(present, pos, mean)
    pos = np.clip(pos, 0.0, 1.0)
    total = sal.sum(axis=-1, keepdims=True)
    sal = sal / np.maximum(total, 1.0)  # KTAB: at most 100% of attention in all
    cap = np.max(np.where(present, inp.capability, 0.0), axis=-1)
    return pos, sal, cap, lo, hi


_PARAMS = {
    "victory_prob": Param("Linear", "Victory probability model (VPModel).", VICTORY_MODELS),
    "pce": Param("Conditional", "Probabilistic Condorcet election (PCEModel).", PCE_MODELS),
    "state_transitions": Param(
        "Deterministic",
        "Pick the most likely bargain or sample one (StateTransMode).",
        STATE_TRANSITIONS,
    ),
    "voting_rule": Param("Prop", "Voting rule for coalitions (VotingRule).", VOTING_RULES),
    "big_r_adjust": Param(
        "OneThird",
        "How far h's estimate of i's risk attitude moves to i's (BigRAdjust).",
        BIG_R_ADJUST,
    ),
    "big_r_range": Param("Mid", "Range of risk attitudes (BigRRange).", BIG_R_RANGE),
    "third_party_commit": Param(
        "SemiCommit",
        "Third parties' commitment in challenges (ThirdPartyCommit).",
        THIRD_PARTY_COMMIT,
    ),
    "inter_vec_bargain": Param("S2P2", "Bargain interpolation (InterVecBrgn).", INTER_VEC_BARGAIN),
    "bargain_model": Param(
        "InitOnlyInterp",
        "Whose interpolation forms the bargain (SMPBargnModel).",
        BARGAIN_MODELS,
    ),
    # Bounds: a turn of A actors costs about A^3 operations (seconds at 1,000 actors),
    # so the turns are capped where KTAB's runs never go (they stop in tens of turns).
    "min_turns": Param(
        2, "Minimum turns before the stop rule applies.", value_type=int, low=1, high=MAX_TURNS
    ),
    "max_turns": Param(100, "Maximum turns.", value_type=int, low=1, high=MAX_TURNS),
    "stop_ratio": Param(
        0.02,
        "Stop when a turn's position change is below this share of the first turn's.",
        value_type=float,
        low=0.0,
        high=1.0,
    ),
    "seed": Param(
        0, "Seed for stochastic state transitions (draw b uses stream b).", value_type=int, low=0
    ),
}


@register(
    "smp",
    summary="KTAB's Spatial Model of Politics: multi-issue bargaining with probabilistic "
    "Condorcet elections, risk attitudes, challenges and interpolated bargains.",
    reference="KAPSARC KTAB (MIT): SMPState::stepBCN/doBCN/probEduChlg, "
    "Model::scalarPCE/condPCE/bigRfromProb; Wise et al., KTAB SMP tutorial",
    multi_issue=True,
    trajectory=True,
    params=_PARAMS,
)
def _smp(inp: ModelInput, **params: Any) -> ModelResult:
    p = SMPParams(**params)
    pos, sal, cap, lo, hi = _prepare(inp)
    out = run_smp(pos, sal, cap, p)
    scale = hi - lo
    traj = out["trajectory"] * scale + lo
    outcome = out["outcome"] * scale + lo
    no_weight = ~(inp.weight > 0).any(axis=-2)
    outcome = np.where(no_weight, np.nan, outcome)
    return ModelResult(
        outcome,
        {
            "trajectory": traj,
            "turns": out["turns"],
            "moved_by": out["moved_by"],
            "win_prob": out["win_prob"],
            "risk": out["risk"],
        },
    )

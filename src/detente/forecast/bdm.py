"""Bueno de Mesquita's expected-utility ("challenge") model, after Scholz et al. (2011).

Implements the group decision model as formalised by Scholz, Calbert & Smith (2011),
"Unravelling Bueno De Mesquita's group decision model", *Journal of Theoretical Politics*
23(4), 510ff. (conference version: SciTePress, 2011). "eq. 1-11" below number the paper's
steps in the paper's order (median voter, votes, probability, the five utilities, expected
utility, security, risk exponent); ``docs/models/bdm.md`` lists them with every
interpretive choice and its alternative.

Every quantity is an array with a leading batch axis. Draws and issues are merged into
one axis ``N = B * I`` and pairwise quantities are ``(N, A, A)`` arrays indexed
``[n, i, j]`` with ``i`` the initiator (challenger) and ``j`` the receiver. The rounds
themselves run with that axis last (``(A, A, n)``, see :class:`_Block`), which numpy
runs several times faster for a few actors; the numbers are the same. Every operation
acts on each ``n`` independently, so a batched call equals one-by-one calls exactly.

From :data:`SORTED_FROM_ACTORS` actors the votes of eq. 2-3 are summed over the voters
sorted by position (``O(A^2 log A)`` per round instead of ``O(A^3)``). An opt-in
convergence stop (:class:`Convergence`) ends a problem once its median settles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from detente.errors import ModelError
from detente.forecast.closed_form import weighted_mean, weighted_median
from detente.forecast.registry import ModelInput, ModelResult, Param, register

__all__ = [
    "OCTANTS",
    "BdmOptions",
    "Convergence",
    "PairState",
    "bdm_pairs",
    "bdm_round",
    "bdm_run",
    "bdm_run_counted",
]

F = NDArray[np.float64]
B_ = NDArray[np.bool_]

OCTANTS = (
    "stalemate",
    "conflict_win",
    "conflict_lose",
    "compromise_gain",
    "compromise_concede",
    "compel",
    "capitulate",
    "none",
)
"""Octant codes (index into this tuple), as seen from one actor towards another.

The quad map plots ``E(U_ij)`` (gain to the initiator ``i`` from challenging ``j``)
against ``E(U_ji)`` (gain to ``j`` from challenging ``i``), Scholz et al. (2011):

* ``conflict_win`` / ``conflict_lose``: both expect to gain; the larger gain wins (an
  exact tie is a stalemate).
* ``compromise_gain``: ``i`` gains, ``j`` loses less than ``i`` gains: ``j`` concedes part way.
* ``compel``: ``i`` gains, ``j`` loses more than ``i`` gains: ``j`` gives in completely.
* ``compromise_concede`` / ``capitulate``: the mirror images, with ``i`` the one moving.
* ``stalemate``: neither expects to gain from a challenge: nobody moves.
* ``none``: the pair is not defined (same actor, absent actor, identical positions).
"""

_STALEMATE, _WIN, _LOSE, _CGAIN, _CCONC, _COMPEL, _CAPIT, _NONE = range(8)

EU_TOLERANCE = 1e-12
"""Expected utilities closer than this (they are of order 1) are taken as equal.

The octant tests compare expected utilities with 0 and with each other. Rounding makes
values that are equal in exact arithmetic (a conflict both sides expect to win by the
same amount, a loss exactly as large as the gain) differ in the last bits, and the
difference depends on the order in which actors are summed; with this margin such
near-ties fall the same way whatever that order: a tie of gains is a stalemate, a loss as
large as the gain is a capitulation."""

KEY_TOLERANCE = 1e-9
"""Relative margin within which two offers' selection keys count as a tie (the lower
offered position then decides), for the same reason as :data:`EU_TOLERANCE`."""

SAME_POSITION = 1e-9
"""Two positions closer than this fraction of the distance normaliser are one position.

Such a pair has no contest (octant ``none``). Exactly equal positions are the common
case (actors that moved to the same offer); the tolerance also covers positions that
differ by rounding only, where the signs of the expected utilities, which are of the
order of the distance, would be decided by rounding noise and, with it, by the order in
which actors are listed."""


@dataclass(frozen=True)
class BdmOptions:
    """The model's open choices (``docs/models/bdm.md`` explains each).

    Attributes:
        q: Probability that the status quo persists if ``i`` does not challenge (eq. 9).
        t: Probability that, if the status quo does not persist, things get better for
            ``i`` (eq. 9); used only when ``q < 1``.
        resist_salience: Whose salience is the probability of resistance: ``receiver``
            (``s_j``, the target resists as much as it cares) or ``initiator`` (``s_i``).
        probability: ``pair``: ``P_ij`` is the weighted votes for ``x_i`` over ``x_j``
            divided by all votes cast in that contest (eq. 3); ``global``: divided by the
            votes cast in every contest (the denominator of Scholz's own code).
        vote_utility: ``linear``: a voter's support is its capability x salience times the
            difference in distance (eq. 2); ``risk``: distances raised to the voter's risk
            exponent.
        security: Which sum sets an actor's risk attitude (eq. 10): ``against``: the sum
            of the others' expected utilities of challenging it (its exposure); ``by``:
            the sum of its own expected utilities of challenging the others.
        risk_reset: Start every round from risk-neutral exponents ``r = 1`` (Scholz step 2)
            rather than from the previous round's exponents.
        perspective: Whose estimates decide a receiver's move: ``receiver`` (both
            ``E^j(U_ij)`` and ``E^j(U_ji)`` with ``j``'s risk exponent), ``initiator``
            (both with ``i``'s) or ``own`` (each side's own estimate of its own challenge).
        compromise_clause: ``abs``: compromise when the loser's loss is smaller in absolute
            value than the winner's gain, capitulation otherwise; ``signed``: compare
            the signed values (then capitulation never happens).
        offer_selection: How a receiver picks among offers: ``least_move`` (the offer
            that moves it least), ``priority`` (a lost conflict first, then compromise,
            then capitulation; least move within a kind), ``max_gain`` (the offer from
            the initiator that expects the most) or ``scholz_code`` (as ``priority``, but
            among compromises the one with the lowest compromise position, the rule of
            Scholz et al.'s program as read by open re-implementations; it reproduces
            their Table 2 best, and it is not symmetric under reversing the scale).
        range_basis: The normaliser of distances: ``initial`` (range of the initial
            positions on the issue), ``current`` (range of this round's positions) or
            ``scale`` (the issue's scale).
        concession: Where a compromise lands: ``ratio``: ``x_j + (x_i - x_j) |E(U_ji)| /
            E(U_ij)``; ``weighted``: the mean of ``x_i`` and ``x_j`` weighted by
            ``E(U_ij)`` and ``|E(U_ji)|``.
        initiator_must_gain: Only initiators that themselves expect to gain
            (``E^i(U_ij) > 0``) make offers, whatever the receiver believes.
        voters: Who votes in the contest between ``x_i`` and ``x_j`` (eq. 2-3): ``all``
            actors, ``others`` (not ``i`` nor ``j``) or ``not_initiator``.
    """

    q: float = 1.0
    t: float = 1.0
    resist_salience: str = "receiver"
    probability: str = "global"
    vote_utility: str = "risk"
    security: str = "against"
    risk_reset: bool = True
    perspective: str = "receiver"
    compromise_clause: str = "abs"
    offer_selection: str = "scholz_code"
    range_basis: str = "initial"
    concession: str = "ratio"
    initiator_must_gain: bool = False
    voters: str = "all"


CHOICES: dict[str, tuple[Any, ...]] = {
    "resist_salience": ("receiver", "initiator"),
    "probability": ("pair", "global"),
    "vote_utility": ("linear", "risk"),
    "security": ("against", "by"),
    "risk_reset": (True, False),
    "perspective": ("receiver", "initiator", "own"),
    "compromise_clause": ("abs", "signed"),
    "offer_selection": ("least_move", "priority", "max_gain", "scholz_code"),
    "range_basis": ("initial", "current", "scale"),
    "concession": ("ratio", "weighted"),
    "initiator_must_gain": (False, True),
    "voters": ("all", "others", "not_initiator"),
}


@dataclass(frozen=True)
class PairState:
    """Everything the model computes for one round, before anyone moves.

    Shapes: ``N`` problems (draws x issues), ``A`` actors; pairs are ``[n, i, j]``.

    Attributes:
        median: ``(N,)`` median voter position (eq. 1).
        risk: ``(N, A)`` risk exponents ``r_i`` in [0.5, 2] (eq. 11).
        prob: ``(N, A, A)`` probability that ``i`` wins a challenge against ``j`` (eq. 3).
        eu_own: ``(N, A, A)`` ``E^i(U_ij)``: ``i``'s own expected utility of challenging ``j``.
        eu_recv: ``(N, A, A)`` ``E^j(U_ij)``: the same, as the receiver ``j`` estimates it.
        valid: ``(N, A, A)`` pairs of two distinct present actors at distinct positions.
        target: ``(N, A)`` where each actor would move this round (its position if none).
        mover: ``(N, A)`` who accepts an offer this round.
        source: ``(N, A)`` the initiator whose offer was accepted (-1 if none).
        kind: ``(N, A)`` octant code of the accepted offer from the receiver's view.
    """

    median: F
    risk: F
    prob: F
    eu_own: F
    eu_recv: F
    valid: B_
    target: F
    mover: B_
    source: NDArray[np.int64]
    kind: NDArray[np.int64]


# Batch-last layout. Inside, positions are ``(A, n)`` and pairwise quantities
# ``(A, A, n)`` indexed ``[i, j, n]``: every element-wise operation then runs over long
# contiguous rows of problems (a leading batch axis with A = 5 would leave numpy inner
# loops of 5 elements). The public :func:`bdm_pairs` and :func:`bdm_round` keep the
# ``(N, A, A)`` layout of :class:`PairState` and transpose at the edges. Each operation
# is the same floating-point operation on the same operands as in that layout, and sums
# over actors keep their order, so the numbers do not depend on the layout.


@dataclass
class _Block:
    """What stays fixed across the rounds of a block of problems (batch-last)."""

    w: F  # (A, n) capability x salience
    s: F  # (A, n)
    present: B_  # (A, n)
    contest: B_  # (A, A, n) both actors present
    all_present: bool
    not_eye: B_  # (A, A, 1)
    keep: B_ | None  # (A, A, A) voters kept per contest [k, i, j], None = all vote
    keep_receiver_out: bool  # the receiver j abstains too (voters="others")
    zeros: F  # (A, A, n), read-only: np.maximum with an array runs much faster than
    # with the scalar 0.0 (numpy has no vectorised loop for a scalar there)


def _block(c: F, s: F, present: B_, opts: BdmOptions) -> _Block:
    a = c.shape[0]
    idx = np.arange(a)
    keep: B_ | None
    if opts.voters == "others":  # the two contenders do not vote on their own contest
        keep = (idx[:, None, None] != idx[None, :, None]) & (
            idx[:, None, None] != idx[None, None, :]
        )
    elif opts.voters == "not_initiator":
        keep = np.broadcast_to(idx[:, None, None] != idx[None, :, None], (a, a, a))
    else:
        keep = None
    return _Block(
        w=c * s,
        s=s,
        present=present,
        contest=present[:, None, :] & present[None, :, :],
        all_present=bool(present.all()),
        not_eye=~np.eye(a, dtype=bool)[:, :, None],
        keep=keep,
        keep_receiver_out=opts.voters == "others",
        zeros=np.zeros((a, a, c.shape[1])),
    )


def _median(x: F, w: F) -> F:
    """Median voter position, ``(n,)`` from batch-last ``(A, n)``: eq. 1.

    With linear single-peaked preferences the position that beats every other in
    pairwise capability x salience weighted votes (the Condorcet winner of eq. 1-2) is the
    weighted median (Black 1948); on an even split the lower one is taken.
    """
    out: F = weighted_median(x[None], w[None])[0]
    return out


def _sum_pairs(z: F) -> F:
    """``(n,)``: the sum over ``(i, j)`` of ``(A, A, n)``.

    In numpy's order for a contiguous ``(n, A, A)`` array (that of the batch-first
    layout), so that the layout changes no number.
    """
    a = z.shape[0]
    out: F = np.ascontiguousarray(z.reshape(a * a, -1).T).sum(axis=1)
    return out


@dataclass
class _VoterOrder:
    """Voters sorted by position, and where each contest's midpoint falls among them.

    For a contest between ``x_i < x_j`` the voters that prefer ``x_i`` are those below
    the midpoint, a prefix of the sorted voters; for ``x_i > x_j`` those above it, a
    suffix. Distances raised to a voter's risk exponent keep that order (``r > 0``).
    """

    order: NDArray[np.intp]  # (A, n) voter indices by position
    below: NDArray[np.intp]  # (A, A, n) voters strictly below the midpoint of (i, j)
    upto: NDArray[np.intp]  # (A, A, n) voters at or below it
    less: B_  # (A, A, n) x_i < x_j
    more: B_  # (A, A, n) x_i > x_j

    @cached_property
    def gather(self) -> tuple[NDArray[np.intp], NDArray[np.intp], B_]:
        """Where :func:`_votes_sorted` reads its running sums: at ``c = j``, ``c = i``.

        Flat indices for each pair, and which pairs have any voter on ``i``'s side. They
        depend on the positions only, so the two vote sums of a round (with the
        starting and with the new risk exponents) share them.
        """
        a, _, n = self.below.shape
        lo = self.less & (self.below > 0)
        hi = self.more & (self.upto < a)
        # one index per pair into runs: the prefix below the midpoint or the suffix above
        m = np.where(lo, self.below - 1, np.where(hi, self.upto + a, 0))  # + a: runs[1]
        base = m * (a * n) + np.arange(n)
        at_j = base + (np.arange(a) * n)[None, :, None]
        base += (np.arange(a) * n)[:, None, None]
        return at_j, base, lo | hi


SORTED_FROM_ACTORS = 40
"""From this many actors the votes of eq. 2-3 are summed over sorted voters
(``O(A^2 log A)`` per problem) instead of voter by voter (``O(A^3)``). Below it the
voter loop is as fast and gives the numbers of the replication to the bit; above it
the two agree to rounding (``tests/bdm``), which the octant tolerances absorb."""


def _voter_order(x: F) -> _VoterOrder:
    """:class:`_VoterOrder` of batch-last positions ``x`` ``(A, n)``."""
    a, n = x.shape
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    mid = 0.5 * (x[:, None, :] + x[None, :, :])
    below = np.empty((a, a, n), dtype=np.intp)
    rank = np.empty((a, n), dtype=np.intp)  # rank[i] = where voter i sits in the order
    np.put_along_axis(rank, order, np.arange(a)[:, None], axis=0)

    def search(col: int, side: Literal["left", "right"]) -> NDArray[np.intp]:
        # The midpoints of the sorted positions, searched row by row in increasing order
        # (numpy's search is about twice as fast on increasing keys), then put back in
        # actor order: the same midpoints to the bit (a sum of two numbers does not
        # depend on their order), so the same counts.
        s = xs[:, col]
        found = np.searchsorted(s, (0.5 * (s[:, None] + s[None, :])).ravel(), side=side)
        r = rank[:, col]
        return found.reshape(a, a)[r][:, r]

    # one search per problem: many actors come with few problems
    for col in range(n):
        below[:, :, col] = search(col, "left")
    # voters exactly at a midpoint (rare): count them for the suffix that starts above
    upto = below.copy()
    at_mid = xs.reshape(-1)[np.minimum(below, a - 1) * n + np.arange(n)] == mid
    less = x[:, None, :] < x[None, :, :]
    more = x[:, None, :] > x[None, :, :]
    at_mid &= less | more  # a pair at one position has no contest
    for col in np.unique(np.nonzero(at_mid)[2]):
        upto[:, :, col] = search(int(col), "right")
    return _VoterOrder(order, below, upto, less, more)


def _votes_sorted(dist: F, blk: _Block, vo: _VoterOrder) -> tuple[F, F]:
    """``top[i, j] = sum_k w_k max(dist_kj - dist_ki, 0)`` and the net votes, sorted.

    The voters preferring ``x_i`` form a prefix (or suffix) of the voters sorted by
    position (:class:`_VoterOrder`), so ``top`` is a difference of two running sums of
    ``w_k dist_kc`` over that prefix (suffix). Voters left out of a contest
    (``voters`` other than ``all``) are the contenders themselves: their votes are
    taken back out.
    """
    a, _, n = dist.shape
    w = blk.w
    wd = w[:, None, :] * dist  # [k, c, n]
    ws = np.take_along_axis(wd, vo.order[:, None, :], axis=0)
    # runs[0, m, c]: the first m + 1 sorted voters; runs[1, m, c]: voters m..A-1
    runs = np.empty((2, a, a, n))
    np.cumsum(ws, axis=0, out=runs[0])
    np.cumsum(ws[::-1], axis=0, out=runs[1, ::-1])
    flat = runs.reshape(-1)
    at_j, at_i, contested = vo.gather
    top = flat[at_j]
    top -= flat[at_i]
    top = np.where(contested, top, 0.0)
    big_d = wd.sum(axis=0)  # D_c = sum_k w_k dist_kc
    net = big_d[None, :, :] - big_d[:, None, :]
    if blk.keep is not None:  # the initiator (and for "others" the receiver) abstain
        diag = dist[np.arange(a), np.arange(a)]  # (A, n) dist_ii
        v_i = dist - diag[:, None, :]  # voter i in (i, j): dist_ij - dist_ii
        top = top - w[:, None, :] * np.maximum(v_i, 0.0)
        net = net - w[:, None, :] * v_i
        if blk.keep_receiver_out:
            v_j = diag[None, :, :] - dist.transpose(1, 0, 2)  # voter j: dist_jj - dist_ji
            top = top - w[None, :, :] * np.maximum(v_j, 0.0)
            net = net - w[None, :, :] * v_j
    np.maximum(top, 0.0, out=top)  # a sum of non-negative votes, up to rounding
    return top, net


def _probability(dist: F, blk: _Block, opts: BdmOptions, order: _VoterOrder | None = None) -> F:
    """``P_ij``: share of capability x salience weighted votes for ``x_i`` over ``x_j`` (eq. 3).

    ``dist[k, i, n]`` is voter ``k``'s distance to ``x_i`` (raised to its risk exponent
    for risk-averse or -acceptant voters). Absent actors neither vote (their weight is
    zero) nor contend (their contests are left out of every denominator). With
    ``order`` (many actors) the votes are summed over voters sorted by position
    (:func:`_votes_sorted`, ``O(A^2 log A)``), else voter by voter (``O(A^3)``).
    """
    a, _, n = dist.shape
    w = blk.w
    keep = blk.keep
    if order is not None:
        return _shares(*_votes_sorted(dist, blk, order), blk, opts)
    # Only the positive part is summed: with w >= 0, |v| = 2 max(v, 0) - v, so the
    # denominator follows from ``top`` and the weighted distance sums ``D``.
    # Voter by voter: memory stays (A, A, n) however many actors there are, and the
    # sums run in the same order whatever the batch size.
    top = np.zeros((a, a, n))
    net = np.zeros((a, a, n)) if keep is not None else None
    vk = np.empty((a, a, n))  # reused: in-place arithmetic
    for k in range(a):
        dk = dist[k]
        # vk[i, j] = |x_k - x_j| - |x_k - x_i|: voter k's support for i over j, per
        # unit of its weight w_k >= 0 (so max(w v, 0) = w max(v, 0) exactly).
        np.subtract(dk[None, :, :], dk[:, None, :], out=vk)
        wk = w[k][None, None, :]
        if keep is not None and net is not None:
            vk *= keep[k][:, :, None]
            net += wk * vk
        np.maximum(vk, blk.zeros, out=vk)
        vk *= wk
        top += vk
    if net is None:  # all voters: sum_k v = D_j - D_i with D_i = sum_k w_k |x_k - x_i|
        big_d = (w[:, None, :] * dist).sum(axis=0)
        net = big_d[None, :, :] - big_d[:, None, :]
    return _shares(top, net, blk, opts)


def _shares(top: F, net: F, blk: _Block, opts: BdmOptions) -> F:
    """``P_ij`` from the votes for ``i`` over ``j`` (``top``) and their net sum (eq. 3)."""
    if not blk.all_present:
        top = np.where(blk.contest, top, 0.0)
        net = np.where(blk.contest, net, 0.0)
    if opts.probability == "global":
        # Every contest's votes: sum over (i, j) of 2 top - net, where net sums to zero.
        total = 2.0 * _sum_pairs(top) - _sum_pairs(net)
        with np.errstate(invalid="ignore", divide="ignore"):
            p: F = np.where(total > 0, top / total, 0.0)
        return p
    bottom = np.maximum(2.0 * top - net, blk.zeros)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(bottom > 0, top / bottom, 0.0)
    return p


def _two_four(base: F, r: F | None) -> F:
    """``2 - 4 base^r`` (eq. 4-8), ``base`` already clipped at 0."""
    out: F = base**r if r is not None else base.copy()
    out *= 4.0
    np.subtract(2.0, out, out=out)
    return out


def _utility_parts(d: F, zeros: F) -> tuple[F, F]:
    """The bases of the success and failure utilities, ``max(0.5 -+ 0.5 d, 0)`` (eq. 4-5)."""
    half = 0.5 * d
    bs = np.subtract(0.5, half)
    np.maximum(bs, zeros, out=bs)
    bf = np.add(0.5, half, out=half)
    np.maximum(bf, zeros, out=bf)
    return bs, bf


def _combine(u_s: F, u_f: F, p: F, q_p: F, s_resist: F, q_s: F, u_sq: F, rest: F | None) -> F:
    """``s (P u_s + (1 - P) u_f) + (1 - s) u_s - u_sq`` (eq. 9).

    ``rest`` replaces ``u_sq`` when ``q < 1``; ``q_p = 1 - P``, ``q_s = 1 - s``.
    """
    out = p * u_s
    out += q_p * u_f
    out *= s_resist
    out += q_s * u_s
    out -= u_sq if rest is None else rest
    return out


def _expected_utility(
    d: F,
    dm: F,
    p: F,
    q_p: F,
    s_resist: F,
    q_s: F,
    r: F | None,
    parts: tuple[F, F],
    opts: BdmOptions,
) -> F:
    """``E(U_ij)`` of a challenge by ``i`` against ``j`` (eq. 4-9), batch-last.

    Args:
        d: ``|x_i - x_j| / range``, ``[i, j, n]``.
        dm: ``|x_i - mu| / range``, ``[i, 1, n]``.
        p: ``P_ij``.
        q_p: ``1 - P_ij``.
        s_resist: Probability that the target resists (a salience), broadcastable.
        q_s: ``1 - s_resist``.
        r: Risk exponent used for the utilities, broadcastable; ``None`` for ``r = 1``.
        parts: :func:`_utility_parts` of ``d``.
        opts: ``q`` (probability that the status quo persists without a challenge) and
            ``t`` (that it gets better for ``i`` when it does not persist).
    """
    u_s = _two_four(parts[0], r)  # eq. 4: success
    u_f = _two_four(parts[1], r)  # eq. 5: failure
    u_sq = _two_four(np.full(np.shape(r) if r is not None else (1,), 0.5), r)  # eq. 8
    return _combine(u_s, u_f, p, q_p, s_resist, q_s, u_sq, _rest(d, dm, u_sq, r, opts))


def _rest(d: F, dm: F, u_sq: F, r: F | None, opts: BdmOptions) -> F | None:
    """``Q u_sq + (1 - Q)(T u_b + (1 - T) u_w)`` (eq. 6-9), or None when ``Q = 1``."""
    q, t = opts.q, opts.t
    if q == 1.0:  # the better/worse terms have weight 1 - q = 0
        return None
    u_b = _two_four(np.maximum(0.5 - 0.25 * (dm + d), 0.0), r)  # eq. 6: better
    u_w = _two_four(np.maximum(0.5 + 0.25 * (dm + d), 0.0), r)  # eq. 7: worse
    out: F = q * u_sq + (1.0 - q) * (t * u_b + (1.0 - t) * u_w)
    return out


def _octant(gain: F, loss: F, valid: B_, clause: str) -> NDArray[np.int64]:
    """Octant of the pair as seen with ``gain = E(U_ij)`` and ``loss = E(U_ji)``."""
    ab = np.abs if clause == "abs" else (lambda z: z)
    tol = EU_TOLERANCE
    out = np.full(gain.shape, _STALEMATE, dtype=np.int64)
    gpos, lpos = gain > tol, loss > tol
    both = gpos & lpos
    out = np.where(both & (gain > loss + tol), _WIN, out)  # a tie stays a stalemate
    out = np.where(both & (gain < loss - tol), _LOSE, out)
    i_only = gpos & ~lpos
    smaller = ab(loss) < gain - tol
    out = np.where(i_only & smaller, _CGAIN, out)
    out = np.where(i_only & ~smaller, _COMPEL, out)
    j_only = lpos & ~gpos
    smaller = ab(gain) < loss - tol
    out = np.where(j_only & smaller, _CCONC, out)
    out = np.where(j_only & ~smaller, _CAPIT, out)
    return np.where(valid, out, _NONE)


def _risk(eu: F, valid: B_, present: B_, security: str) -> F:
    """Risk exponents from security levels (eq. 10-11), ``(A, n)`` in [0.5, 2]."""
    e = np.where(valid, eu, 0.0)
    if security == "against":
        level = e.sum(axis=0)
    else:  # numpy's order for the inner axis of (n, A, A)
        level = np.ascontiguousarray(e.transpose(2, 0, 1)).sum(axis=2).T
    hi = np.max(np.where(present, level, -np.inf), axis=0, keepdims=True)
    lo = np.min(np.where(present, level, np.inf), axis=0, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        big_r = np.where(span > 0, (2.0 * level - hi - lo) / span, 0.0)
    big_r = np.where(present, big_r, 0.0)
    out: F = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)
    return out


def _pairs(x: F, blk: _Block, dx: F, r: F | None, opts: BdmOptions) -> tuple[F, F, F, F, F, B_, F]:
    """Batch-last :func:`bdm_pairs`: ``x`` is ``(A, n)``, pair arrays ``(A, A, n)``.

    Returns:
        ``median, r, P, E^i(U_ij), E^j(U_ij), valid, x_i`` broadcastable ``[i, 1, n]``.
    """
    mu = _median(x, blk.w)
    xi = x[:, None, :]
    d = np.abs(xi - x[None, :, :])
    d /= dx
    dm = (np.abs(x - mu) / dx)[:, None, :]
    valid = blk.contest & blk.not_eye & (d > SAME_POSITION)
    s = blk.s
    s_resist = s[None, :, :] if opts.resist_salience == "receiver" else s[:, None, :]
    q_s = 1.0 - s_resist
    parts = _utility_parts(d, blk.zeros)
    risky_votes = opts.vote_utility == "risk"
    order = _voter_order(x) if x.shape[0] >= SORTED_FROM_ACTORS else None

    # Scholz steps 2-9: evaluate with the starting exponents (r = 1, or the previous
    # round's when risk_reset is off), then set r from the security levels.
    p1 = _probability(
        d ** r[:, None, :] if (risky_votes and r is not None) else d, blk, opts, order
    )
    own1 = _expected_utility(
        d, dm, p1, 1.0 - p1, s_resist, q_s, None if r is None else r[:, None, :], parts, opts
    )
    r = _risk(own1, valid, blk.present, opts.security)
    # Step 10: everything again with the new exponents.
    p = _probability(d ** r[:, None, :] if risky_votes else d, blk, opts, order)
    q_p = 1.0 - p
    r_own = r[:, None, :]  # the initiator's exponent
    r_recv = r[None, :, :]  # the receiver's
    u_s = _two_four(parts[0], r_own)
    u_f = _two_four(parts[1], r_own)
    u_sq = _two_four(np.full(r_own.shape, 0.5), r_own)
    own = _combine(u_s, u_f, p, q_p, s_resist, q_s, u_sq, _rest(d, dm, u_sq, r_own, opts))
    # The receiver's estimate raises the same symmetric bases to r_j: base[i, j]^r_j is
    # base[j, i]^r_j, the initiator-side utility of the transposed pair.
    u_s = np.ascontiguousarray(u_s.transpose(1, 0, 2))
    u_f = np.ascontiguousarray(u_f.transpose(1, 0, 2))
    u_sq = u_sq.transpose(1, 0, 2)
    recv = _combine(u_s, u_f, p, q_p, s_resist, q_s, u_sq, _rest(d, dm, u_sq, r_recv, opts))
    return mu, r, p, own, recv, valid, xi


def _round(
    x: F, blk: _Block, dx: F, r_prev: F | None, opts: BdmOptions
) -> tuple[F, F, F, F, F, B_, F, B_, NDArray[np.int64], NDArray[np.int64]]:
    """Batch-last :func:`bdm_round`; the fields of :class:`PairState`, in its order."""
    r_in = None if (opts.risk_reset or r_prev is None) else r_prev
    mu, r, p, own, recv, valid, xi = _pairs(x, blk, dx, r_in, opts)
    # gain[i, j]: i's challenge of j; loss[i, j]: j's challenge of i; both as j sees them.
    if opts.perspective == "receiver":
        gain = recv
        loss = own.transpose(1, 0, 2)  # E^j(U_ji)
    elif opts.perspective == "initiator":
        gain = own  # E^i(U_ij)
        loss = recv.transpose(1, 0, 2)  # E^i(U_ji): j's challenge of i, with r_i
    else:
        gain = own  # E^i(U_ij), i's own estimate
        loss = own.transpose(1, 0, 2)  # E^j(U_ji), j's own estimate
    loss = np.ascontiguousarray(loss)
    # The three octants in which the receiver j moves (boolean arrays: cheap), with the
    # same tests as _octant.
    tol = EU_TOLERANCE
    gpos = gain > tol
    lpos = loss > tol
    is_win = gpos & lpos
    is_win &= gain > loss + tol
    is_win &= valid  # conflict that j loses
    i_only = gpos & ~lpos
    i_only &= valid
    abs_loss = np.abs(loss)
    smaller = (abs_loss if opts.compromise_clause == "abs" else loss) < gain - tol
    is_cg = i_only & smaller  # compromise: j concedes part way
    is_cp = i_only & ~smaller  # compel: j gives in
    has = is_win | is_cg
    has |= is_cp
    if opts.initiator_must_gain:
        has &= own > 0
    xj = x[None, :, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        if opts.concession == "ratio":
            frac = abs_loss / gain
            np.clip(frac, 0.0, 1.0, out=frac)
            compromise = xi - xj
            compromise *= frac
            compromise += xj
        else:
            compromise = (gain * xi + abs_loss * xj) / (gain + abs_loss)
    offer = np.where(is_cg, compromise, xi)
    move = np.abs(offer - xj)
    rank: NDArray[np.int8] | None = None
    if opts.offer_selection == "least_move":
        inner = move
    elif opts.offer_selection == "priority":
        rank = is_cg.view(np.int8) + 2 * is_cp.view(np.int8)
        inner = move
    elif opts.offer_selection == "max_gain":
        inner = -gain
    else:  # scholz_code: kind first; among compromises the lowest weighted position
        rank = is_cg.view(np.int8) + 2 * is_cp.view(np.int8)
        with np.errstate(invalid="ignore", divide="ignore"):
            wpos = (abs_loss * xj + gain * xi) / (abs_loss + gain)
        inner = np.where(is_cg, wpos, move)
    # Lexicographic choice over initiators (axis 0): rank, then inner key, then the
    # lower offered position, so that the result never depends on the order of actors.
    if rank is not None:
        rk = np.where(has, rank, np.int8(3))
        cand = rk == rk.min(axis=0, keepdims=True)
        cand &= has
    else:
        cand = has
    inner = np.where(cand, inner, np.inf)
    least = inner.min(axis=0, keepdims=True)
    with np.errstate(invalid="ignore"):  # inf - inf where a receiver has no offer
        cand &= inner <= least + KEY_TOLERANCE * (1.0 + np.abs(least))
    pos = np.where(cand, offer, np.inf)
    chosen = pos.min(axis=0)
    cand &= pos == chosen[None]
    best = np.argmax(cand, axis=0)  # the initiator reported as the source (lowest index)
    any_offer: B_ = np.asarray(has.any(axis=0))
    # The octant of the chosen offer, read at the chosen initiator only.
    win = np.take_along_axis(is_win, best[None], axis=0)[0]
    cg = np.take_along_axis(is_cg, best[None], axis=0)[0]
    kinds = np.where(win, _WIN, np.where(cg, _CGAIN, _COMPEL))
    target = np.where(any_offer, chosen, x)
    source = np.where(any_offer, best, -1)
    kind = np.where(any_offer, kinds, _NONE)
    return mu, r, p, own, recv, valid, target, any_offer, source, kind


def _state(t: tuple[F, F, F, F, F, B_, F, B_, NDArray[np.int64], NDArray[np.int64]]) -> PairState:
    """A batch-last round (:func:`_round`) as a :class:`PairState` (batch first)."""
    mu, r, p, own, recv, valid, target, mover, source, kind = t
    return PairState(
        median=mu,
        risk=_one_first(r),
        prob=_pair_first(p),
        eu_own=_pair_first(own),
        eu_recv=_pair_first(recv),
        valid=_pair_first(valid),
        target=_one_first(target),
        mover=_one_first(mover),
        source=_one_first(source).astype(np.int64),
        kind=_one_first(kind).astype(np.int64),
    )


def _pair_first(z: NDArray[Any]) -> NDArray[Any]:
    """``(A, A, n)`` to ``(n, A, A)``."""
    return np.ascontiguousarray(z.transpose(2, 0, 1))


def _one_first(z: NDArray[Any]) -> NDArray[Any]:
    """``(A, n)`` to ``(n, A)``."""
    return np.ascontiguousarray(z.T)


def bdm_pairs(
    x: F, c: F, s: F, present: B_, dx: F, r: F | None, opts: BdmOptions
) -> tuple[F, F, F, F, F, B_]:
    """Median, probabilities and expected utilities for one round.

    Args:
        x: ``(N, A)`` current positions.
        c: ``(N, A)`` capabilities (0 where absent).
        s: ``(N, A)`` saliences (0 where absent).
        present: ``(N, A)``.
        dx: ``(N,)`` the distance normaliser (positive).
        r: ``(N, A)`` starting risk exponents, or ``None`` for ``r = 1`` (Scholz step 2);
            the round's exponents are then set from the security levels (steps 8-9).
        opts: The model's choices.

    Returns:
        ``median, r, P, E^i(U_ij), E^j(U_ij), valid``.
    """
    blk = _block(np.ascontiguousarray(c.T), np.ascontiguousarray(s.T), present.T, opts)
    r_t = None if r is None else np.ascontiguousarray(r.T)
    mu, r_out, p, own, recv, valid, _ = _pairs(np.ascontiguousarray(x.T), blk, dx, r_t, opts)
    return (
        mu,
        _one_first(r_out),
        _pair_first(p),
        _pair_first(own),
        _pair_first(recv),
        _pair_first(valid),
    )


def bdm_round(
    x: F, c: F, s: F, present: B_, dx: F, r_prev: F | None, opts: BdmOptions
) -> PairState:
    """One round: evaluate every pair, make offers, and pick each receiver's move.

    Offers follow the octants of Scholz et al. (2011): a receiver ``j``
    that loses a conflict moves to ``x_i``; in a compromise it moves towards ``x_i`` by
    the fraction ``|E(U_ji)| / E(U_ij)``; when compelled it moves to ``x_i``; in a
    stalemate nothing moves. Each receiver accepts one offer (``offer_selection``);
    everyone moves at once at the end of the round.

    Args and shapes as :func:`bdm_pairs` (``r_prev``: the previous round's exponents).
    """
    blk = _block(np.ascontiguousarray(c.T), np.ascontiguousarray(s.T), present.T, opts)
    r_t = None if r_prev is None else np.ascontiguousarray(r_prev.T)
    return _state(_round(np.ascontiguousarray(x.T), blk, dx, r_t, opts))


def _flatten(inp: ModelInput) -> tuple[F, F, F, B_, F, F]:
    """``(B, A, I)`` arrays to ``(N, A)`` with ``N = B * I`` (issue-major within a draw)."""
    b, a, i = inp.position.shape

    def flat(z: F) -> F:
        return np.ascontiguousarray(np.moveaxis(z, 2, 1).reshape(b * i, a))

    present = np.broadcast_to(inp.present.T[None], (b, i, a)).reshape(b * i, a)
    # Absent actors carry no weight, whatever the arrays hold there.
    cap = np.where(present, flat(inp.capability), 0.0)
    sal = np.where(present, flat(inp.salience), 0.0)
    lo = np.broadcast_to(inp.scale_min[None], (b, i)).reshape(-1)
    hi = np.broadcast_to(inp.scale_max[None], (b, i)).reshape(-1)
    return flat(inp.position), cap, sal, present, lo, hi


_BLOCK_ELEMENTS = 1 << 16
"""Problems are run in blocks of about this many pair elements (``n * A * A``), so that
the temporaries stay in cache; every problem is independent, so blocking changes no
number."""


_ONE_BY_ONE_ACTORS = 16
"""From this many actors, blocks of fewer problems than actors run one problem at a time."""


@dataclass(frozen=True)
class Convergence:
    """The opt-in convergence stop (``docs/models/bdm.md``, "Convergence stop").

    A problem stops once its median voter position has moved less than ``tol`` times
    its issue's scale range in each of ``rounds`` consecutive rounds.

    ``tol = 0`` (the default) never stops early: the model runs its fixed rounds, as
    the replication of Scholz et al. (2011) needs.
    """

    tol: float = 0.0
    rounds: int = 2


def _run_block(
    x: F,
    c: F,
    s: F,
    present: B_,
    lo: F,
    hi: F,
    rounds: int,
    opts: BdmOptions,
    keep: str,
    stop: Convergence,
) -> tuple[F, list[PairState], NDArray[np.int64]]:
    """All rounds for a block of problems ``(n, A)``.

    Returns:
        The trajectory ``(n, T + 1, A)`` (a problem that stopped repeats its last
        state), the kept states and the rounds each problem ran ``(n,)``.
    """
    inf = np.inf
    x = np.ascontiguousarray(x.T)  # batch-last inside: (A, n)
    present = np.ascontiguousarray(present.T)
    blk = _block(np.ascontiguousarray(c.T), np.ascontiguousarray(s.T), present, opts)
    pmax = np.max(np.where(present, x, -inf), axis=0)
    pmin = np.min(np.where(present, x, inf), axis=0)
    if opts.range_basis == "scale":
        dx0 = hi - lo
    else:
        dx0 = np.where(np.isfinite(pmax - pmin), pmax - pmin, 0.0)
    traj = [x.copy()]
    states: list[PairState] = []
    r: F | None = None
    n = x.shape[1]
    ran = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    calm = np.zeros(n, dtype=np.int64)
    eps = stop.tol * (hi - lo)
    med = _median(x, blk.w) if stop.tol > 0 else None
    for _ in range(rounds):
        if not active.any():  # every problem of the block has converged
            traj.append(x)
            continue
        if opts.range_basis == "current":
            cmax = np.max(np.where(present, x, -inf), axis=0)
            cmin = np.min(np.where(present, x, inf), axis=0)
            dx = np.where(np.isfinite(cmax - cmin), cmax - cmin, 0.0)
        else:
            dx = dx0
        ok = dx > 0
        safe = np.where(ok, dx, 1.0)
        st = _round(x, blk, safe, r, opts)
        r = st[1]
        x = np.where(ok[None, :] & present & active[None, :], st[6], x)
        ran += active
        if med is not None:  # the convergence stop, problem by problem
            new_med = _median(x, blk.w)
            calm = np.where(np.abs(new_med - med) < eps, calm + 1, 0)
            med = new_med
            active &= calm < stop.rounds
        if keep == "all" or (keep == "first" and not states):
            states.append(_state(st))
        traj.append(x)
    return np.stack(traj, axis=0).transpose(2, 0, 1), states, ran


def _concat_states(parts: list[list[PairState]]) -> list[PairState]:
    if len(parts) == 1:
        return parts[0]
    out = []
    for t in range(len(parts[0])):
        fields = {
            name: np.concatenate([getattr(p[t], name) for p in parts], axis=0)
            for name in PairState.__dataclass_fields__
        }
        out.append(PairState(**fields))
    return out


def bdm_run(
    inp: ModelInput,
    rounds: int,
    opts: BdmOptions,
    keep_states: str = "all",
    stop: Convergence | None = None,
) -> tuple[F, list[PairState]]:
    """Run ``rounds`` rounds on every draw and issue.

    Args:
        inp: Batched model input.
        rounds: Number of rounds (the most, with a convergence stop).
        opts: The model's choices.
        keep_states: Which rounds' :class:`PairState` to return: ``all``, ``first`` or
            ``none`` (large batches: the states hold several ``(N, A, A)`` arrays each).
        stop: The opt-in convergence stop (:class:`Convergence`); ``None`` runs every
            round. A problem that stops repeats its last state to the end of the
            trajectory; :func:`bdm_run_counted` also says how many rounds each ran.

    Returns:
        The trajectory ``(B, rounds + 1, A, I)`` (round 0 = the initial positions) and
        the per-round :class:`PairState` (on the merged ``N = B * I`` axis; with a
        stop, the states of rounds that some problem of its block ran).
    """
    traj, states, _ran = bdm_run_counted(inp, rounds, opts, keep_states, stop)
    return traj, states


def bdm_run_counted(
    inp: ModelInput,
    rounds: int,
    opts: BdmOptions,
    keep_states: str = "all",
    stop: Convergence | None = None,
) -> tuple[F, list[PairState], NDArray[np.int64]]:
    """:func:`bdm_run`, and the rounds each draw and issue ran, ``(B, I)``."""
    if rounds < 0:
        raise ModelError(f"model 'bdm': rounds must be >= 0, not {rounds}")
    stop = stop or Convergence()
    if not (np.isfinite(stop.tol) and stop.tol >= 0):
        raise ModelError(f"model 'bdm': converge_tol must be a number >= 0, not {stop.tol}")
    if stop.rounds < 1:
        raise ModelError(f"model 'bdm': converge_rounds must be >= 1, not {stop.rounds}")
    b, a, n_issues = inp.position.shape
    x, c, s, present, lo, hi = _flatten(inp)
    x = np.where(present, x, lo[:, None])
    n = x.shape[0]
    step = max(1, _BLOCK_ELEMENTS // max(1, a * a))
    if a >= _ONE_BY_ONE_ACTORS and min(step, n) < a:
        # Inner loops run over the problems of a block: with many actors and few
        # problems, one problem at a time (inner loops over actors) is faster.
        step = 1
    trajs: list[F] = []
    parts: list[list[PairState]] = []
    counts: list[NDArray[np.int64]] = []
    for k in range(0, n, step):
        sl = slice(k, k + step)
        tr, st, ran = _run_block(
            x[sl], c[sl], s[sl], present[sl], lo[sl], hi[sl], rounds, opts, keep_states, stop
        )
        trajs.append(tr)
        parts.append(st)
        counts.append(ran)
    arr = np.concatenate(trajs, axis=0) if len(trajs) > 1 else trajs[0]  # (N, T+1, A)
    out = arr.reshape(b, n_issues, rounds + 1, a).transpose(0, 2, 3, 1)
    ran_all = np.concatenate(counts).reshape(b, n_issues)
    return np.ascontiguousarray(out), _concat_states(parts), ran_all


def options_from_params(params: dict[str, Any]) -> BdmOptions:
    """A :class:`BdmOptions` from registry parameters (unknown names are ignored)."""
    fields = BdmOptions.__dataclass_fields__
    kw = {k: v for k, v in params.items() if k in fields}
    for k in ("q", "t"):
        if k in kw:
            try:
                kw[k] = float(kw[k])
            except (TypeError, ValueError):
                raise ModelError(f"model 'bdm': parameter '{k}' must be a number") from None
            if not 0.0 <= kw[k] <= 1.0:
                raise ModelError(f"model 'bdm': parameter '{k}' must lie in [0, 1], not {kw[k]}")
    return BdmOptions(**kw)


_DOCS = {
    "q": "Probability Q that the status quo persists without a challenge (eq. 9).",
    "t": "Probability T that things improve when the status quo does not persist (eq. 9).",
    "resist_salience": "Whose salience is the probability of resistance (eq. 9).",
    "probability": "Denominator of P_ij: this contest's votes or all contests' (eq. 3).",
    "vote_utility": "Voter support in P_ij: linear distances or risk-exponent ones (eq. 2).",
    "security": "Which expected-utility sum sets the risk exponent (eq. 10).",
    "risk_reset": "Start every round from r = 1 (Scholz step 2).",
    "perspective": "Whose estimates decide a receiver's move.",
    "compromise_clause": "Compromise vs capitulation: compare absolute or signed values.",
    "offer_selection": "How a receiver picks one offer among several.",
    "range_basis": "Normaliser of distances: initial positions, current ones, or the scale.",
    "concession": "Where a compromise lands.",
    "initiator_must_gain": "Only initiators that expect to gain themselves make offers.",
    "voters": "Who votes in P_ij: all actors, or not the contenders.",
}
_DEFAULTS = BdmOptions()
MAX_ROUNDS = 1000
"""Largest ``rounds``/``converge_rounds`` the registry accepts."""
_PARAMS: dict[str, Param] = {
    # Bounds: each round costs about A^2 log A per issue and draw; no published run
    # uses more than tens of rounds.
    "rounds": Param(
        8,
        "Number of bargaining rounds (Scholz et al. report 8).",
        value_type=int,
        low=0,
        high=MAX_ROUNDS,
    ),
    "converge_tol": Param(
        0.0,
        "Opt-in convergence stop: stop once the median moves less than this share of the "
        "scale in converge_rounds consecutive rounds (0: always run every round).",
        value_type=float,
        low=0.0,
        high=1.0,
    ),
    "converge_rounds": Param(
        2,
        "Consecutive calm rounds before the convergence stop.",
        value_type=int,
        low=1,
        high=MAX_ROUNDS,
    ),
    "q": Param(_DEFAULTS.q, _DOCS["q"], value_type=float, low=0.0, high=1.0),
    "t": Param(_DEFAULTS.t, _DOCS["t"], value_type=float, low=0.0, high=1.0),
    **{
        name: Param(getattr(_DEFAULTS, name), _DOCS[name], choices)
        for name, choices in CHOICES.items()
    },
}


@register(
    "bdm",
    summary="Bueno de Mesquita's expected-utility challenge model: rounds of offers "
    "between pairs of actors; outcome = median voter position after the last round.",
    reference="Scholz, Calbert & Smith (2011), J. Theoretical Politics 23(4); "
    "Bueno de Mesquita (1994)",
    trajectory=True,
    params=_PARAMS,
)
def _bdm(
    inp: ModelInput,
    rounds: Any = 8,
    converge_tol: Any = 0.0,
    converge_rounds: Any = 2,
    **params: Any,
) -> ModelResult:
    try:
        n_rounds = int(rounds)
    except (TypeError, ValueError):
        raise ModelError(f"model 'bdm': rounds must be an integer, not {rounds!r}") from None
    try:
        stop = Convergence(float(converge_tol), int(converge_rounds))
    except (TypeError, ValueError):
        raise ModelError(
            "model 'bdm': converge_tol must be a number and converge_rounds an integer"
        ) from None
    opts = options_from_params(params)
    traj, states, ran = bdm_run_counted(inp, n_rounds, opts, keep_states="first", stop=stop)
    w = np.where(inp.present, inp.capability * inp.salience, 0.0)
    final = traj[:, -1]
    outcome = weighted_median(final, w)
    extras: dict[str, Any] = {"trajectory": traj, "mean": weighted_mean(final, w)}
    if stop.tol > 0:
        extras["rounds_run"] = ran
    if states:
        # What the deadlock verdict reads besides the trajectory (detente.diagnose.
        # verdicts_from_run), so that a sweep need not run the model a second time.
        b, a, n_issues = inp.position.shape
        extras["eu_own_round1"] = states[0].eu_own.reshape(b, n_issues, a, a)
    return ModelResult(outcome, extras=extras)

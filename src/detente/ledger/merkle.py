"""RFC 9162 §2.1 Merkle hash trees: hashes, inclusion and consistency proofs.

The tree is the one of RFC 9162 §2.1.1 (identical to RFC 6962 §2.1): SHA-256, leaves hashed
as ``SHA-256(0x00 || data)`` and interior nodes as ``SHA-256(0x01 || left || right)``; the
hash of the empty tree is ``SHA-256("")``.

Proof generation works over any source of *complete* subtree hashes (``node(level, index)``,
the hash of leaves ``[index * 2**level, (index + 1) * 2**level)``), which is what the ledger
stores; the functions taking ``entries`` build that source in memory. The verifiers follow the
algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 step by step and raise
:class:`~detente.errors.VerificationError` with the reason a proof was refused.

Edge cases, decided as in the widely used transparency-dev/merkle verifier:

* a consistency proof from size 0 is the empty list (every tree extends the empty tree);
* a consistency proof between equal sizes is the empty list and the roots must be equal;
* an inclusion proof needs ``index < size`` (so never for size 0).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from detente.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "consistency_proof_from",
    "inclusion_proof",
    "inclusion_proof_from",
    "leaf_hash",
    "node_hash",
    "root_from",
    "root_hash",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeSource = Callable[[int, int], bytes]
"""``node(level, index)``: the hash of the complete subtree at ``level`` and ``index``."""


def leaf_hash(data: bytes) -> bytes:
    """Hash a leaf: ``SHA-256(0x00 || data)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node: ``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n > 1``)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(node: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from complete-subtree hashes (RFC 9162 §2.1.1).

    ``start`` must be aligned to the largest power of two not above ``end - start``, which
    holds for every range the proofs of §2.1.3 and §2.1.4 ask for.
    """
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return node(level, start >> level)
    k = _largest_power_of_two_below(n)
    return node_hash(subtree_hash(node, start, start + k), subtree_hash(node, start + k, end))


def root_from(node: NodeSource, size: int) -> bytes:
    """The root hash of the first ``size`` leaves, from complete-subtree hashes."""
    return subtree_hash(node, 0, size)


def inclusion_proof_from(node: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1 from complete-subtree hashes.

    Raises:
        VerificationError: if ``index`` is not in ``[0, size)``.
    """
    if size <= 0 or not 0 <= index < size:
        raise VerificationError(f"no inclusion proof: index {index} is not below tree size {size}")
    siblings: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if m < k:
            siblings.append(subtree_hash(node, start + k, end))
            end = start + k
        else:
            siblings.append(subtree_hash(node, start, start + k))
            start += k
            m -= k
    siblings.reverse()
    return siblings


def consistency_proof_from(node: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1 from complete-subtree hashes.

    Returns the empty list when ``old_size`` is 0 or equals ``new_size``.

    Raises:
        VerificationError: if ``old_size`` is negative or larger than ``new_size``.
    """
    if old_size < 0 or old_size > new_size:
        raise VerificationError(
            f"no consistency proof: old size {old_size} is not within [0, {new_size}]"
        )
    if old_size == 0 or old_size == new_size:
        return []
    out: list[bytes] = []
    start, end, m, b = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not b:
                out.append(subtree_hash(node, start, end))
            break
        k = _largest_power_of_two_below(n)
        if m <= k:
            out.append(subtree_hash(node, start + k, end))
            end = start + k
        else:
            out.append(subtree_hash(node, start, start + k))
            start += k
            m -= k
            b = False
    out.reverse()
    return out


def _levels(entries: Sequence[bytes]) -> NodeSource:
    """An in-memory source of complete-subtree hashes over ``entries``."""
    levels: list[list[bytes]] = [[leaf_hash(e) for e in entries]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def node(level: int, index: int) -> bytes:
        return levels[level][index]

    return node


def root_hash(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1 over the raw entry data ``entries``."""
    return root_from(_levels(entries), len(entries))


def inclusion_proof(entries: Sequence[bytes], index: int) -> list[bytes]:
    """The inclusion proof PATH(index, D[n]) of RFC 9162 §2.1.3.1 over raw ``entries``.

    Raises:
        VerificationError: if ``index`` is past the end (or negative).
    """
    return inclusion_proof_from(_levels(entries), index, len(entries))


def consistency_proof(entries: Sequence[bytes], old_size: int) -> list[bytes]:
    """The consistency proof PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1 over raw ``entries``.

    Raises:
        VerificationError: if ``old_size`` is negative or beyond ``len(entries)``.
    """
    return consistency_proof_from(_levels(entries), old_size, len(entries))


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise VerificationError(f"{what} must be a {HASH_SIZE}-byte SHA-256 hash, got {size}")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Verify an inclusion proof (RFC 9162 §2.1.3.2).

    Args:
        leaf_hash: The leaf hash, ``leaf_hash(entry)``.
        index: The 0-based leaf index.
        size: The tree size the proof is for.
        proof: The inclusion path, leaf's sibling first.
        root: The expected root hash at ``size``.

    Raises:
        VerificationError: why the proof does not verify.
    """
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"inclusion proof element {i}")
    if index < 0 or size <= 0 or index >= size:
        raise VerificationError(f"index {index} is past the end of a tree of size {size}")
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise VerificationError(
                f"inclusion proof is too long: {len(proof)} hashes for index {index} "
                f"in a tree of size {size}"
            )
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"inclusion proof is too short: {len(proof)} hashes for index {index} "
            f"in a tree of size {size}"
        )
    if r != root:
        raise VerificationError(
            f"inclusion proof does not lead to the root: computed {r.hex()}, "
            f"expected {bytes(root).hex()}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Verify a consistency proof between two tree heads (RFC 9162 §2.1.4.2).

    Raises:
        VerificationError: why the proof does not verify.
    """
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"consistency proof element {i}")
    if old_size < 0 or new_size < 0:
        raise VerificationError(f"tree sizes must not be negative ({old_size}, {new_size})")
    if old_size > new_size:
        raise VerificationError(
            f"old size {old_size} is larger than new size {new_size}: a log cannot shrink"
        )
    if old_size == 0:
        if proof:
            raise VerificationError(
                f"consistency proof from size 0 must be empty, got {len(proof)} hashes"
            )
        if old_root != EMPTY_ROOT:
            raise VerificationError("old root for size 0 is not the empty-tree hash")
        return
    if old_size == new_size:
        if proof:
            raise VerificationError(
                f"consistency proof between equal sizes must be empty, got {len(proof)} hashes"
            )
        if old_root != new_root:
            raise VerificationError(
                f"roots differ at equal size {old_size}: the log presented two different trees"
            )
        return
    if not proof:
        raise VerificationError(
            f"consistency proof from {old_size} to {new_size} is empty (RFC 9162 §2.1.4.2 step 1)"
        )
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError(
                f"consistency proof from {old_size} to {new_size} is too long ({len(proof)} hashes)"
            )
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"consistency proof from {old_size} to {new_size} is too short ({len(proof)} hashes)"
        )
    if fr != old_root:
        raise VerificationError(
            f"consistency proof does not reproduce the old root at size {old_size}"
        )
    if sr != new_root:
        raise VerificationError(
            f"consistency proof does not reproduce the new root at size {new_size}"
        )

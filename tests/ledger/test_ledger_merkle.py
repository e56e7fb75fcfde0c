"""RFC 9162 §2.1 Merkle tree: known answers, properties and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_helpers import load_vector

from detente.errors import VerificationError
from detente.ledger import merkle

VEC = load_vector("rfc9162_vectors.json")
LEAVES = [bytes.fromhex(x) for x in VEC["leaves_hex"]]


def h(x: str) -> bytes:
    return bytes.fromhex(x)


@pytest.mark.parametrize("size", range(0, 9))
def test_roots_of_reference_inputs(size: int) -> None:
    assert merkle.root_hash(LEAVES[:size]).hex() == VEC["roots_hex"][size]


def test_leaf_and_node_hash_known_answers() -> None:
    assert merkle.leaf_hash(b"L123456").hex() == VEC["leaf_hash"]["hash"]
    assert merkle.node_hash(b"N123", b"N456").hex() == VEC["node_hash"]["hash"]
    assert merkle.root_hash([]) == merkle.EMPTY_ROOT


@pytest.mark.parametrize("v", VEC["inclusion"], ids=lambda v: f"{v['index']}-of-{v['size']}")
def test_inclusion_known_answers(v: dict) -> None:
    entries = LEAVES[: v["size"]]
    proof = [h(x) for x in v["proof"]]
    assert merkle.inclusion_proof(entries, v["index"]) == proof
    root = h(VEC["roots_hex"][v["size"]])
    merkle.verify_inclusion(
        merkle.leaf_hash(entries[v["index"]]), v["index"], v["size"], proof, root
    )


@pytest.mark.parametrize("v", VEC["consistency"], ids=lambda v: f"{v['old_size']}-{v['new_size']}")
def test_consistency_known_answers(v: dict) -> None:
    proof = [h(x) for x in v["proof"]]
    assert merkle.consistency_proof(LEAVES[: v["new_size"]], v["old_size"]) == proof
    merkle.verify_consistency(
        v["old_size"],
        v["new_size"],
        h(VEC["roots_hex"][v["old_size"]]),
        h(VEC["roots_hex"][v["new_size"]]),
        proof,
    )


def _inc_case(k: int = 2) -> tuple[bytes, int, int, list[bytes], bytes]:
    v = VEC["inclusion"][k]
    return (
        merkle.leaf_hash(LEAVES[v["index"]]),
        v["index"],
        v["size"],
        [h(x) for x in v["proof"]],
        h(VEC["roots_hex"][v["size"]]),
    )


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda lf, i, n, p, r: (lf, i, n, p[:-1], r), "too short"),
        (lambda lf, i, n, p, r: (lf, i, n, [*p, r], r), "too long"),
        (lambda lf, i, n, p, r: (lf, i, n, [r, *p], r), "too long"),
        (lambda lf, i, n, p, r: (lf, i, n, [*p, b""], r), "32-byte"),
        (lambda lf, i, n, p, r: (lf, i + 1, n, p, r), "root"),
        (lambda lf, i, n, p, r: (lf, n, n, p, r), "past the end"),
        (lambda lf, i, n, p, r: (lf, 0, 0, [], r), "past the end"),
        (lambda lf, i, n, p, r: (lf, i, n * 2, p, r), "too short"),
        (lambda lf, i, n, p, r: (lf, i, n, p, merkle.EMPTY_ROOT), "root"),
        (lambda lf, i, n, p, r: (b"WrongLeaf", i, n, p, r), "32-byte"),
    ],
)
def test_inclusion_bad_input(mutate, reason: str) -> None:
    args = mutate(*_inc_case())
    with pytest.raises(VerificationError, match=reason):
        merkle.verify_inclusion(*args)


def test_inclusion_every_flipped_bit_fails() -> None:
    lf, i, n, p, r = _inc_case()
    for k in range(len(p)):
        for bit in range(0, 256, 37):
            bad = [bytearray(x) for x in p]
            bad[k][bit // 8] ^= 1 << (bit % 8)
            with pytest.raises(VerificationError):
                merkle.verify_inclusion(lf, i, n, [bytes(b) for b in bad], r)


def test_consistency_bad_input() -> None:
    v = VEC["consistency"][2]  # 6 -> 8
    proof = [h(x) for x in v["proof"]]
    r6, r8 = h(VEC["roots_hex"][6]), h(VEC["roots_hex"][8])
    with pytest.raises(VerificationError, match="empty"):
        merkle.verify_consistency(6, 8, r6, r8, [])
    with pytest.raises(VerificationError, match="too short"):
        merkle.verify_consistency(6, 8, r6, r8, proof[:-1])
    with pytest.raises(VerificationError, match="too long"):
        merkle.verify_consistency(6, 8, r6, r8, [*proof, r8])
    with pytest.raises(VerificationError):
        merkle.verify_consistency(6, 8, r6, r8, [r6, *proof])
    with pytest.raises(VerificationError, match="old root"):
        merkle.verify_consistency(6, 8, r8, r8, proof)
    with pytest.raises(VerificationError, match="new root"):
        merkle.verify_consistency(6, 8, r6, r6, proof)
    with pytest.raises(VerificationError, match="cannot shrink"):
        merkle.verify_consistency(8, 6, r8, r6, proof)


def test_consistency_size_zero_and_equal_sizes() -> None:
    r3 = h(VEC["roots_hex"][3])
    merkle.verify_consistency(0, 3, merkle.EMPTY_ROOT, r3, [])
    with pytest.raises(VerificationError, match="must be empty"):
        merkle.verify_consistency(0, 3, merkle.EMPTY_ROOT, r3, [r3])
    with pytest.raises(VerificationError, match="empty-tree"):
        merkle.verify_consistency(0, 3, r3, r3, [])
    merkle.verify_consistency(3, 3, r3, r3, [])
    with pytest.raises(VerificationError, match="roots differ"):
        merkle.verify_consistency(3, 3, r3, merkle.EMPTY_ROOT, [])
    with pytest.raises(VerificationError, match="must be empty"):
        merkle.verify_consistency(3, 3, r3, r3, [r3])
    assert merkle.consistency_proof(LEAVES[:3], 3) == []
    assert merkle.consistency_proof(LEAVES[:3], 0) == []


def test_proof_generation_bad_input() -> None:
    with pytest.raises(VerificationError, match="not below tree size"):
        merkle.inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(VerificationError, match="not below tree size"):
        merkle.inclusion_proof([], 0)
    with pytest.raises(VerificationError, match="not within"):
        merkle.consistency_proof(LEAVES[:3], 4)


entries_st = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


def _reference_root(entries: list[bytes]) -> bytes:
    """MTH straight from the RFC 9162 §2.1.1 recursion."""
    n = len(entries)
    if n == 0:
        return merkle.EMPTY_ROOT
    if n == 1:
        return merkle.leaf_hash(entries[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return merkle.node_hash(_reference_root(entries[:k]), _reference_root(entries[k:]))


@settings(max_examples=60, deadline=None)
@given(entries_st, st.data())
def test_property_proofs_verify_and_match_reference(
    entries: list[bytes], data: st.DataObject
) -> None:
    root = merkle.root_hash(entries)
    assert root == _reference_root(entries)
    i = data.draw(st.integers(0, len(entries) - 1))
    proof = merkle.inclusion_proof(entries, i)
    merkle.verify_inclusion(merkle.leaf_hash(entries[i]), i, len(entries), proof, root)
    m = data.draw(st.integers(0, len(entries)))
    cproof = merkle.consistency_proof(entries, m)
    merkle.verify_consistency(m, len(entries), merkle.root_hash(entries[:m]), root, cproof)


@settings(max_examples=60, deadline=None)
@given(entries_st, st.data())
def test_property_tampering_is_detected(entries: list[bytes], data: st.DataObject) -> None:
    n = len(entries)
    root = merkle.root_hash(entries)
    i = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(entries, i)
    other = data.draw(st.binary(max_size=8).filter(lambda b: b != entries[i]))
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(merkle.leaf_hash(other), i, n, proof, root)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        byte = data.draw(st.integers(0, 31))
        bad = bytearray(proof[k])
        bad[byte] ^= 0x01
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(
                merkle.leaf_hash(entries[i]), i, n, [*proof[:k], bytes(bad), *proof[k + 1 :]], root
            )
    m = data.draw(st.integers(1, n))
    if m < n:
        cproof = merkle.consistency_proof(entries, m)
        bad_root = bytearray(merkle.root_hash(entries[:m]))
        bad_root[data.draw(st.integers(0, 31))] ^= 0x80
        with pytest.raises(VerificationError):
            merkle.verify_consistency(m, n, bytes(bad_root), root, cproof)


def test_public_api_signatures() -> None:
    import inspect

    expected = {
        "leaf_hash": ["data"],
        "root_hash": ["entries"],
        "inclusion_proof": ["entries", "index"],
        "consistency_proof": ["entries", "old_size"],
        "verify_inclusion": ["leaf_hash", "index", "size", "proof", "root"],
        "verify_consistency": ["old_size", "new_size", "old_root", "new_root", "proof"],
    }
    for name, params in expected.items():
        assert name in merkle.__all__
        assert list(inspect.signature(getattr(merkle, name)).parameters) == params

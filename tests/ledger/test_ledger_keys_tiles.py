"""Encrypted keys, rotation, and the C2SP tlog-tiles export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ledger_helpers import LOG_KEY, ORIGIN

from detente.errors import StorageError, VerificationError
from detente.ledger import merkle
from detente.ledger.keys import KeyStore, read_passphrase
from detente.ledger.log import Ledger
from detente.ledger.note import parse_verifier_key, verify_note
from detente.ledger.tiles import encode_index, export_tiles

PW = b"correct horse battery staple"


def test_new_key_is_encrypted_and_unlocks(tmp_path: Path) -> None:
    ks = KeyStore(tmp_path / "keys", scrypt_n=2**12)
    info = ks.new("PAK", PW)
    raw = info.path.read_bytes()
    signer = ks.signer("PAK", PW)
    seed = signer.private_key.private_bytes_raw()
    assert seed not in raw and seed.hex().encode() not in raw
    assert (info.path.stat().st_mode & 0o777) == 0o600
    assert json.loads(raw)["kdf"]["name"] == "scrypt"
    assert parse_verifier_key(info.vkey).name == "PAK"
    assert signer.vkey == info.vkey
    with pytest.raises(VerificationError, match="wrong passphrase"):
        ks.signer("PAK", b"nope")
    with pytest.raises(StorageError, match="already exists"):
        ks.new("PAK", PW)
    with pytest.raises(StorageError, match="key name"):
        ks.new("../evil", PW)


def test_altered_key_file_fails_to_unlock(tmp_path: Path) -> None:
    ks = KeyStore(tmp_path, scrypt_n=2**12)
    a = ks.new("A", PW)
    b = ks.new("B", PW)
    doc_a = json.loads(a.path.read_text())
    doc_a["vkey"] = json.loads(b.path.read_text())["vkey"]
    a.path.write_text(json.dumps(doc_a))
    with pytest.raises(VerificationError, match="altered"):
        ks.signer("A", PW)


def test_rotation_keeps_the_old_key(tmp_path: Path) -> None:
    ks = KeyStore(tmp_path, scrypt_n=2**12)
    ks.new("log.example", PW)
    old, new = ks.rotate("log.example", PW)
    assert old != new
    assert ks.vkey("log.example") == new
    retired = [k for k in ks.list() if k.retired]
    assert [k.vkey for k in retired] == [old]
    assert ks.signer("log.example", PW, retired[0].path).vkey == old


def test_cosigner_keys_have_type_4(tmp_path: Path) -> None:
    ks = KeyStore(tmp_path, scrypt_n=2**12)
    assert parse_verifier_key(ks.new("w.example", PW, cosigner=True).vkey).alg == 4


def test_passphrase_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "pw"
    f.write_text("secret\n")
    assert read_passphrase(f) == b"secret"
    monkeypatch.delenv("DETENTE_PASSPHRASE", raising=False)
    with pytest.raises(StorageError, match="no passphrase"):
        read_passphrase(None)
    monkeypatch.setenv("DETENTE_PASSPHRASE", "env-secret")
    assert read_passphrase(None) == b"env-secret"


def test_encode_index() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"


def _read_tile_hash(out: Path, level: int, idx: int, size: int) -> bytes:
    """Read the level-0/1 hash for node ``idx`` at tile level ``level`` like a tile client."""
    n, i = divmod(idx, 256)
    count = size >> (8 * level)
    width = min(256, count - n * 256)
    name = encode_index(n) + ("" if width == 256 else f".p/{width}")
    data = (out / "tile" / str(level) / name).read_bytes()
    return data[32 * i : 32 * i + 32]


def test_tiles_export_is_readable_by_a_tile_client(tmp_path: Path) -> None:
    led = Ledger.create(tmp_path / "t.sqlite", ORIGIN, [LOG_KEY.vkey], check_entries=False)
    entries = [f"entry {i}".encode() for i in range(70_0)]
    led.append_many(entries)
    led.checkpoint([LOG_KEY])
    out = tmp_path / "tiles"
    counts = export_tiles(led, out)
    assert counts == {"size": 700, "hash_tiles": 4, "entry_bundles": 3}
    assert verify_note((out / "checkpoint").read_text(), [LOG_KEY.vkey]) == [ORIGIN]
    assert (out / "tile/0/000").stat().st_size == 8192
    assert (out / "tile/0/002.p/188").stat().st_size == 188 * 32
    assert (out / "tile/1/000.p/2").stat().st_size == 64
    # Level-1 tile hashes are the roots of the full level-0 tiles.
    assert _read_tile_hash(out, 1, 1, 700) == merkle.root_hash(entries[256:512])
    # Entry bundles: uint16 length prefixes, hashing to the level-0 tile.
    bundle = (out / "tile/entries/002.p/188").read_bytes()
    pos, got = 0, []
    while pos < len(bundle):
        n = int.from_bytes(bundle[pos : pos + 2], "big")
        got.append(bundle[pos + 2 : pos + 2 + n])
        pos += 2 + n
    assert got == entries[512:]
    assert _read_tile_hash(out, 0, 600, 700) == merkle.leaf_hash(entries[600])
    # The root can be rebuilt from tiles alone.
    lvl0 = b"".join(
        (out / p).read_bytes() for p in ("tile/0/000", "tile/0/001", "tile/0/002.p/188")
    )
    leaves = [lvl0[k : k + 32] for k in range(0, len(lvl0), 32)]

    def node(level: int, index: int) -> bytes:
        if level == 0:
            return leaves[index]
        return merkle.node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))

    assert merkle.root_from(node, 700) == led.root()

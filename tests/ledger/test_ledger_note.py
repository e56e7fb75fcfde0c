"""C2SP signed notes, verifier keys, checkpoints and cosignatures (Go sumdb/note vectors)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_helpers import LOG_KEY, ORIGIN, WITNESSES, load_vector

from detente.errors import VerificationError
from detente.ledger import note

GO = load_vector("go_sumdb_note.json")
TEXT = GO["text"]
PETER, ENOCH = GO["peter_vkey"], GO["enoch_vkey"]


def test_go_vector_sign_is_byte_exact() -> None:
    signer = note.parse_signer_key(GO["peter_skey"])
    assert signer.vkey == PETER
    assert note.sign_note(TEXT, [signer]) == TEXT + "\n" + GO["peter_sig_line"]


def test_go_vector_sign_replaces_existing_signature() -> None:
    signer = note.parse_signer_key(GO["peter_skey"])
    old = note.Signature("PeterNeumann", 0xC74F20A3, "BADSIGN=")
    assert note.sign_note(TEXT, [signer], [old]) == TEXT + "\n" + GO["peter_sig_line"]


def test_go_vector_open_one_known_one_unknown() -> None:
    msg = TEXT + "\n" + GO["peter_sig_line"] + GO["enoch_sig_line"]
    text, verified, unverified = note.open_note(msg, [PETER])
    assert text == TEXT
    assert [v.name for v in verified] == ["PeterNeumann"]
    assert [(u.name, u.key_id) for u in unverified] == [("EnochRoot", 0xAF0CFE78)]
    assert note.verify_note(msg, [PETER, ENOCH]) == ["PeterNeumann", "EnochRoot"]


def test_go_vector_no_verifiable_signature() -> None:
    msg = TEXT + "\n" + GO["peter_sig_line"] + GO["enoch_sig_line"]
    with pytest.raises(VerificationError, match="no verifiable signatures"):
        note.open_note(msg, [])


def test_go_vector_invalid_signature_for_known_key() -> None:
    sig = GO["peter_sig_line"]
    msg = TEXT + "\n" + sig[:60] + "ABCD" + sig[60:]
    with pytest.raises(VerificationError, match="invalid signature for key PeterNeumann"):
        note.open_note(msg, [PETER])


def test_go_vector_duplicated_verifier_is_ambiguous_only_when_used() -> None:
    other = LOG_KEY.vkey
    fake_enoch = note.Verifier("EnochRoot", 0xAF0CFE78, 1, bytes(32))
    with pytest.raises(VerificationError, match="ambiguous key EnochRoot"):
        note.open_note(TEXT + "\n" + GO["enoch_sig_line"], [ENOCH, PETER, fake_enoch])
    note.open_note(TEXT + "\n" + GO["peter_sig_line"], [ENOCH, PETER, fake_enoch, other])


@pytest.mark.parametrize(
    "msg",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + GO["peter_sig_line"][:-1],
        "\x01" + TEXT + "\n" + GO["peter_sig_line"],
        TEXT + "\n" + GO["peter_sig_line"].replace("PeterNeumann", "Bad Name"),
        TEXT + "\n" + GO["peter_sig_line"] + "Unexpected line.\n",
        TEXT + "\n" + GO["peter_sig_line"] * 101,
    ],
)
def test_go_vector_malformed_notes(msg: str) -> None:
    with pytest.raises(VerificationError, match="malformed"):
        note.open_note(msg, [PETER])


@pytest.mark.parametrize("ch", ["\x00", "\t", "\x0b", "\x1f", "\x7f", "\ufffd"])
def test_a_control_character_in_the_text_is_named(ch: str) -> None:
    for text in (ch + TEXT, TEXT[:5] + ch + TEXT[5:]):
        with pytest.raises(VerificationError, match=f"control character U\\+{ord(ch):04X}"):
            note.open_note(text + "\n" + GO["peter_sig_line"], [PETER])
    # The characters next to them are text: the newline, the space, U+0080, U+FFFE.
    note.sign_note("a\n b\x80c\ufffe\n", [LOG_KEY])


def test_non_utf8_note_is_malformed() -> None:
    with pytest.raises(VerificationError, match="UTF-8"):
        note.open_note(b"\xff" + (TEXT + "\n" + GO["peter_sig_line"]).encode(), [PETER])


def test_go_vector_bad_verifier_keys() -> None:
    for bad in GO["bad_vkeys"]:
        with pytest.raises(VerificationError):
            note.parse_verifier_key(bad)


def test_verifier_key_manglings_are_rejected() -> None:
    b = PETER
    for i in range(len(b)):
        for j in range(i + 1, len(b) + 1, 7):
            if (i, j) != (0, len(b)):
                with pytest.raises(VerificationError):
                    note.parse_verifier_key(b[i:j])
    for i in range(len(b)):
        mangled = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(VerificationError):
            note.parse_verifier_key(mangled)


def test_signer_key_manglings_are_rejected() -> None:
    b = GO["peter_skey"]
    for i in range(len(b)):
        mangled = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(VerificationError):
            note.parse_signer_key(mangled)


def test_checkpoint_roundtrip_and_malformed() -> None:
    cp = note.Checkpoint(ORIGIN, 20852163, bytes(range(32)), ("ext line",))
    assert note.Checkpoint.parse(cp.body()) == cp
    for bad in [
        f"{ORIGIN}\n12\n",
        f"{ORIGIN}\n012\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        f"{ORIGIN}\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        f"{ORIGIN}\n1\nAAAA\n",
        "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    ]:
        with pytest.raises(VerificationError, match="malformed checkpoint"):
            note.Checkpoint.parse(bad)


def test_c2sp_checkpoint_example_parses() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = note.Checkpoint.parse(text)
    assert (cp.origin, cp.size, len(cp.root)) == ("example.com/behind-the-sofa", 20852163, 32)


def test_cosignature_roundtrip_and_key_type() -> None:
    body = note.Checkpoint(ORIGIN, 5, bytes(32)).body()
    signed = note.sign_note(body, [LOG_KEY])
    w = WITNESSES[0]
    cosigned = signed + w.signature(body, timestamp=1679315147).line + "\n"
    _, verified, _ = note.open_note(cosigned, [w.vkey])
    assert verified[0].timestamp == 1679315147
    assert note.parse_verifier_key(w.vkey).alg == 0x04
    # The cosignature key ID uses type 0x04, so a 0x01 key of the same name does not match it.
    same_key_as_note = note.NoteSigner(w.name, w.private_key, note.ALG_ED25519)
    with pytest.raises(VerificationError, match="no verifiable"):
        note.open_note(cosigned, [same_key_as_note.vkey])


def test_cosignature_with_altered_timestamp_fails() -> None:
    body = note.Checkpoint(ORIGIN, 5, bytes(32)).body()
    w = WITNESSES[1]
    sig = w.signature(body, timestamp=1000)
    import base64
    import struct

    blob = bytearray(base64.b64decode(sig.b64))
    blob[4:12] = struct.pack(">Q", 1001)
    forged = note.Signature(sig.name, sig.key_id, base64.b64encode(bytes(blob)).decode())
    with pytest.raises(VerificationError, match="invalid signature"):
        note.open_note(body + "\n" + forged.line + "\n", [w.vkey])


@settings(max_examples=40, deadline=None)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_characters="\x7f"),
        min_size=1,
        max_size=60,
    ),
    st.data(),
)
def test_property_any_flipped_byte_breaks_the_note(line: str, data: st.DataObject) -> None:
    text = line + "\n"
    msg = note.sign_note(text, [LOG_KEY]).encode()
    assert note.verify_note(msg, [LOG_KEY.vkey]) == [ORIGIN]
    k = data.draw(st.integers(0, len(msg) - 2))  # keep the final newline
    bad = bytearray(msg)
    bad[k] ^= data.draw(st.sampled_from([0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40]))
    with pytest.raises(VerificationError):
        note.verify_note(bytes(bad), [LOG_KEY.vkey])

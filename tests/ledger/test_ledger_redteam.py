"""Red team: forged receipts, every field, every line, every encoding, are INVALID.

``verify_receipt`` is documented never to raise for bad input: each forgery below must come
back as a verdict ``INVALID`` whose reason names the step that refused it, never as an
exception (before issue 12, non-UTF-8 receipts and a 5,000-digit index raised).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import LOG_KEY, N_KEYS, ORIGIN, WITNESSES, bound_ledger, signed_entry

from detente.ledger.canonical import canonicalize
from detente.ledger.log import Ledger
from detente.ledger.receipt import Policy, Verdict, verify_receipt
from detente.ledger.witness import Witness, format_add_checkpoint

STEPS = ("receipt:", "entry:", "checkpoint:", "witnesses:", "inclusion:", "signers:")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A receipt bundle (entry + key registrations), cosigned by all three witnesses."""
    tmp = tmp_path_factory.mktemp("redteam")
    led = bound_ledger(tmp / "l.sqlite", state_dir=tmp / "state")
    led.append_many([signed_entry(i) for i in range(5)])
    note = led.checkpoint([LOG_KEY])
    lines = [
        Witness(w, tmp / f"ws{k}", {ORIGIN: [LOG_KEY.vkey]}).add_checkpoint(
            format_add_checkpoint(0, [], note), timestamp=1_700_000_000
        )
        for k, w in enumerate(WITNESSES)
    ]
    led.add_cosignatures(note + "".join(x + "\n" for x in lines), [w.vkey for w in WITNESSES])
    text = led.receipt(N_KEYS + 2)
    led.close()
    return text


POLICY = Policy(
    origin=ORIGIN, log_keys=[LOG_KEY.vkey], witnesses=[w.vkey for w in WITNESSES], quorum=3
)


def _invalid(receipt: str | bytes, what: str, entry: bytes | None = None) -> Verdict:
    v = verify_receipt(receipt, POLICY, entry)  # must not raise
    assert not v.ok and v.verdict == "INVALID", f"{what}: accepted"
    assert v.reason and v.reason.startswith(STEPS), f"{what}: reason {v.reason!r}"
    return v


def test_the_genuine_bundle_verifies(bundle: str) -> None:
    v = verify_receipt(bundle, POLICY)
    assert v.ok, v.reason
    assert v.details["witnesses"] == ["w0.example", "w1.example", "w2.example"]
    assert [s["actor"] for s in v.details["signers"]] == ["AFG", "TUR"]


def test_every_bit_flip_of_every_byte_is_invalid(bundle: str) -> None:
    raw = bundle.encode("utf-8")
    for k in range(len(raw)):
        for bit in (0x01, 0x80):  # 0x80 makes most bytes invalid UTF-8: still a verdict
            bad = bytearray(raw)
            bad[k] ^= bit
            _invalid(bytes(bad), f"byte {k} ^ {bit:#x}")


def test_every_line_deleted_replaced_or_swapped_is_invalid(bundle: str) -> None:
    lines = bundle.split("\n")
    for k in range(len(lines) - 1):  # the last element is what follows the final newline
        _invalid("\n".join(lines[:k] + lines[k + 1 :]), f"line {k} deleted")
        _invalid("\n".join(lines[:k] + ["junk"] + lines[k + 1 :]), f"line {k} replaced")
        if lines[k] != lines[k + 1]:
            swapped = lines[:k] + [lines[k + 1], lines[k]] + lines[k + 2 :]
            _invalid("\n".join(swapped), f"lines {k} and {k + 1} swapped")


def test_other_encodings_are_invalid(bundle: str) -> None:
    raw = bundle.encode("utf-8")
    _invalid(bundle.replace("\n", "\r\n"), "CRLF text")
    _invalid(raw.replace(b"\n", b"\r\n"), "CRLF bytes")
    _invalid(b"\xef\xbb\xbf" + raw, "UTF-8 BOM")
    _invalid(bundle.encode("utf-16"), "UTF-16")
    _invalid(bundle.encode("utf-8").replace("\u2014".encode(), b"\x97"), "cp1252 em dash")
    _invalid("\n".join(ln + " " for ln in bundle.split("\n")), "trailing spaces")
    _invalid(bundle.replace("\n", "\n\n", 1), "an extra blank line")
    _invalid(bundle + "\n", "a trailing newline")
    _invalid(bundle + "junk\n", "trailing junk")
    _invalid(raw + b"\x00", "a NUL byte")
    _invalid("", "empty")
    for cut in range(1, len(raw), 97):
        _invalid(raw[:cut], f"truncated at {cut}")


def _proof_lines(bundle: str) -> list[int]:
    lines = bundle.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("index ")) + 1
    end = lines.index("", start)
    return list(range(start, end))


def test_non_canonical_numbers_and_base64_are_invalid(bundle: str) -> None:
    lines = bundle.split("\n")
    idx_line = next(i for i, ln in enumerate(lines) if ln.startswith("index "))
    for forged in (
        "index 06",
        "index +6",
        "index \u0666",
        "index 6 ",
        "index -6",
        "index 0x6",
        "index " + "9" * 5000,
        f"index {2**63}",
        "index",
    ):
        _invalid("\n".join(lines[:idx_line] + [forged] + lines[idx_line + 1 :]), forged[:20])
    for k in _proof_lines(bundle):
        h = base64.b64decode(lines[k])
        variants = [
            base64.urlsafe_b64encode(h).decode(),
            lines[k].rstrip("="),
            lines[k][:-2] + chr(ord(lines[k][-2]) ^ 1) + "=",  # non-zero unused bits
            base64.b64encode(h + b"\x00").decode(),
        ]
        for v in variants:
            if v != lines[k]:
                _invalid("\n".join(lines[:k] + [v] + lines[k + 1 :]), f"proof line {k}: {v}")
    extra = next(i for i, ln in enumerate(lines) if ln.startswith("extra "))
    padded = lines[extra] + "=="
    _invalid("\n".join(lines[:extra] + [padded] + lines[extra + 1 :]), "padded extra")


def _leaves(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _leaves(v, (*path, k))]
    if isinstance(doc, list):
        return [p for k, v in enumerate(doc) for p in _leaves(v, (*path, k))]
    return [(path, doc)]


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = json.loads(json.dumps(doc))
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


def test_every_field_of_the_entry_forged_is_invalid(bundle: str) -> None:
    lines = bundle.split("\n")
    entry = base64.b64decode(lines[1][len("extra ") :])
    doc = json.loads(entry)
    for path, value in _leaves(doc):
        for forged in _forgeries(value):
            data = canonicalize(_set(doc, path, forged))
            text = "\n".join([lines[0], "extra " + base64.b64encode(data).decode(), *lines[2:]])
            v = _invalid(text, f"entry field {path} = {forged!r}")
            assert v.reason.startswith(("entry:", "inclusion:")), v.reason
            _invalid(bundle, f"entry field {path} given separately", entry=data)
    # Fields added or removed anywhere.
    _invalid(
        "\n".join(
            [
                lines[0],
                "extra " + base64.b64encode(canonicalize({**doc, "x": 1})).decode(),
                *lines[2:],
            ]
        ),
        "an added field",
    )


def _forgeries(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int | float):
        return [value + 1, -value - 1, str(value)]
    if isinstance(value, str):
        return [
            value + "x",
            value[:-1] if value else "x",
            value.upper() if value.lower() == value and value.upper() != value else value + " ",
        ]
    if value is None:
        return ["null", 0]
    return []


def test_bundles_that_abuse_their_size_are_invalid(bundle: str) -> None:
    first = bundle[: bundle.index("c2sp.org/tlog-proof@v1", 1)]
    _invalid(first * 70, "70 copies of the proof")
    _invalid(bundle + first, "the entry's proof again as a key registration")
    lines = bundle.split("\n")
    k = _proof_lines(bundle)[0]
    many = lines[: k + 1] + [lines[k]] * 10_000 + lines[k + 1 :]
    _invalid("\n".join(many), "10,000 proof lines")
    _invalid("x" * (5 << 20), "5 MiB of junk")


def test_a_receipt_for_another_log_or_a_witness_key_as_log_key(bundle: str, tmp_path: Path) -> None:
    from ledger_helpers import seeded_signer

    other = seeded_signer("other.example/log", 50)
    led = Ledger.create(
        tmp_path / "o.sqlite", "other.example/log", [other.vkey], check_entries=False
    )
    led.append(signed_entry(0))
    led.checkpoint([other])
    foreign = led.receipt(0)
    _invalid(foreign, "another log's receipt")
    v = verify_receipt(foreign, Policy(origin=ORIGIN, log_keys=[LOG_KEY.vkey]))
    assert not v.ok and (v.reason or "").startswith("checkpoint:")
    with pytest.raises(Exception, match="not an Ed25519 signed-note key"):
        Policy(origin=WITNESSES[0].name, log_keys=[WITNESSES[0].vkey])

"""C2SP tlog-policy: the text format for which logs and witness quorums a verifier trusts.

A policy file lists logs (``log <vkey> [<url>]``), named witnesses
(``witness <name> <vkey> [<url>]``), groups with a threshold
(``group <name> all|any|<k> <member>...``) and exactly one ``quorum <name>`` line
(``quorum none`` needs no cosignature). Names may only refer to earlier lines, a
name may be a member of at most one group (and once in it), and duplicate keys are
refused, so one witness can never count twice towards a quorum. See
https://c2sp.org/tlog-policy (C2SP/C2SP ``tlog-policy.md``).

:func:`parse_policy` turns the text into a :class:`TlogPolicy`;
:meth:`TlogPolicy.to_policy` gives the :class:`detente.ledger.receipt.Policy` that
``verify_receipt`` checks receipts against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from detente.errors import Diagnostic, VerificationError
from detente.ledger.note import ALG_COSIGNATURE_V1, ALG_ED25519, parse_verifier_key

if TYPE_CHECKING:
    from detente.ledger.receipt import Policy

__all__ = ["Group", "TlogPolicy", "parse_policy"]

_ALLOWED = {0x09, 0x0A} | set(range(0x20, 0x7F)) | set(range(0x80, 0x100))


@dataclass(frozen=True)
class Group:
    """``group <name> <k> <members>``: witnessed when at least ``k`` members witnessed."""

    name: str
    k: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class TlogPolicy:
    """A parsed C2SP tlog-policy.

    Attributes:
        logs: Log verifier keys; a checkpoint signed by any one of them is accepted, and
            its origin must be that key's name.
        witnesses: Witness name -> verifier key (cosignature/v1).
        groups: Group name -> :class:`Group`, in definition order.
        quorum: The witness or group that must witness a checkpoint, or ``none``.
    """

    logs: tuple[str, ...]
    witnesses: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, Group] = field(default_factory=dict)
    quorum: str = "none"

    def witnessed(self, name: str, cosigned: frozenset[str] | set[str]) -> bool:
        """Whether witness or group ``name`` witnessed, given the witness names that cosigned."""
        if name == "none":
            return True
        if name in self.witnesses:
            return name in cosigned
        group = self.groups[name]
        return sum(self.witnessed(m, cosigned) for m in group.members) >= group.k

    def satisfied(self, cosigned: frozenset[str] | set[str]) -> bool:
        """Whether the quorum is met by the witnesses (policy names) that cosigned."""
        return self.witnessed(self.quorum, cosigned)

    def to_policy(self, parties: Mapping[str, Sequence[str]] | None = None) -> Policy:
        """The receipt verifier's :class:`~detente.ledger.receipt.Policy` for this file."""
        from detente.ledger.receipt import Policy

        if not self.logs:
            raise VerificationError(
                "the policy lists no log; offline verification needs the log's key",
            )
        names = {parse_verifier_key(k).name for k in self.logs}
        return Policy(
            origin=sorted(names)[0] if len(names) == 1 else "",
            origins=tuple(sorted(names)),
            log_keys=list(self.logs),
            witnesses=list(self.witnesses.values()),
            quorum=0,
            parties=parties,
            rule=self,
        )


def _fail(file: str, line: int, message: str, expected: str, hint: str | None = None) -> None:
    raise VerificationError(
        f"{file}:{line}: {message}",
        [Diagnostic(message, file, line, expected=expected, hint=hint, code="bad-policy")],
    )


def parse_policy(text: str | bytes, file: str = "<policy>") -> TlogPolicy:
    """Parse a C2SP tlog-policy file.

    Raises:
        VerificationError: Naming the line and what was expected, for: control
            characters, unknown keywords, malformed or wrongly typed keys, duplicate
            keys or names, references to names not defined above, a member listed twice,
            thresholds outside 1..n, and a missing or repeated quorum line.
    """
    raw = text.encode("utf-8") if isinstance(text, str) else text
    for pos, octet in enumerate(raw):
        if octet not in _ALLOWED:
            _fail(
                file,
                raw[:pos].count(b"\n") + 1,
                f"control character 0x{octet:02x}",
                "only tab and newline among control characters",
            )
    logs: list[str] = []
    log_pubs: set[bytes] = set()
    witnesses: dict[str, str] = {}
    witness_pubs: set[bytes] = set()
    groups: dict[str, Group] = {}
    grouped: dict[str, str] = {}  # member -> the group it belongs to
    quorum: str | None = None
    for n, line in enumerate(raw.decode("utf-8", errors="surrogateescape").split("\n"), 1):
        words = line.replace("\t", " ").split()
        if not words or words[0].startswith("#"):
            continue
        kind, args = words[0], words[1:]
        if kind == "log":
            if not 1 <= len(args) <= 2:
                _fail(file, n, "a log line takes a key and an optional URL", "log <vkey> [<url>]")
            try:
                v = parse_verifier_key(args[0])
            except VerificationError as exc:
                _fail(file, n, f"bad log key: {exc}", "a verifier key name+hexid+base64")
                raise  # unreachable; keeps type checkers content
            if v.alg != ALG_ED25519:
                _fail(
                    file,
                    n,
                    "a log key must be an Ed25519 signed-note key (type 0x01)",
                    "an Ed25519 vkey",
                )
            if v.public_key in log_pubs:
                _fail(file, n, "duplicate log key", "each log once")
            log_pubs.add(v.public_key)
            logs.append(args[0])
        elif kind == "witness":
            if not 2 <= len(args) <= 3:
                _fail(
                    file,
                    n,
                    "a witness line takes a name, a key and an optional URL",
                    "witness <name> <vkey> [<url>]",
                )
            name = args[0]
            if name == "none" or name in witnesses or name in groups:
                _fail(file, n, f"name {name!r} is already defined or reserved", "a new name")
            try:
                v = parse_verifier_key(args[1])
            except VerificationError as exc:
                _fail(file, n, f"bad witness key: {exc}", "a verifier key name+hexid+base64")
                raise
            if v.alg != ALG_COSIGNATURE_V1:
                _fail(
                    file,
                    n,
                    "a witness key must be a cosignature/v1 key (type 0x04)",
                    "a cosignature/v1 vkey",
                    "export the witness key with `detente keys export`",
                )
            if v.public_key in witness_pubs:
                _fail(file, n, "duplicate witness key", "each witness once")
            witness_pubs.add(v.public_key)
            witnesses[name] = args[1]
        elif kind == "group":
            if len(args) < 3:
                _fail(
                    file,
                    n,
                    "a group needs a name, a threshold and at least one member",
                    "group <name> all|any|<k> <name>...",
                )
            name, threshold, members = args[0], args[1], tuple(args[2:])
            if name == "none" or name in witnesses or name in groups:
                _fail(file, n, f"name {name!r} is already defined or reserved", "a new name")
            for m in members:
                if m == "none":
                    _fail(file, n, "'none' cannot be a group member", "witness or group names")
                if m not in witnesses and m not in groups:
                    _fail(
                        file,
                        n,
                        f"member {m!r} is not defined on an earlier line",
                        "names defined above",
                    )
            if len(set(members)) != len(members):
                _fail(file, n, "a member is listed twice", "each member once")
            for m in members:
                if m in grouped:
                    _fail(
                        file,
                        n,
                        f"{m!r} is already a member of group {grouped[m]!r}",
                        "each witness or group in at most one group (tlog-policy)",
                    )
                grouped[m] = name
            if threshold == "all":
                k = len(members)
            elif threshold == "any":
                k = 1
            elif threshold.isdigit() and threshold.isascii():
                k = int(threshold)
                if not 1 <= k <= len(members):
                    _fail(file, n, f"threshold {k} is not within 1..{len(members)}", "1 <= k <= n")
            else:
                _fail(file, n, f"bad threshold {threshold!r}", "all, any or a decimal number")
            groups[name] = Group(name, k, members)
        elif kind == "quorum":
            if quorum is not None:
                _fail(file, n, "a second quorum line", "exactly one quorum line")
            if len(args) != 1:
                _fail(file, n, "a quorum line takes one name", "quorum <name>")
            if args[0] != "none" and args[0] not in witnesses and args[0] not in groups:
                _fail(
                    file,
                    n,
                    f"quorum {args[0]!r} is not defined on an earlier line",
                    "a witness, a group or none",
                )
            quorum = args[0]
        else:
            _fail(file, n, f"unknown keyword {kind!r}", "log, witness, group or quorum")
    if quorum is None:
        raise VerificationError(
            f"{file}: no quorum line",
            [
                Diagnostic(
                    "no quorum line",
                    file,
                    expected="exactly one `quorum <name>` line",
                    hint="use `quorum none` to require no cosignature",
                    code="bad-policy",
                )
            ],
        )
    return TlogPolicy(tuple(logs), witnesses, groups, quorum)

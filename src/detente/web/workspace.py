"""The workspace: the one object the web shells (pages and ``/api/v1``) call.

A workspace is a folder holding ``workspace.sqlite`` (accounts, sessions, tokens, audit,
case versions, runs, commitment drafts) and ``ledger.sqlite`` (the transparency log of
:mod:`detente.ledger`), or a ``postgresql://`` URL of one database that holds both. Every
method that changes something takes the acting :class:`Principal`, checks the role matrix
(:data:`detente.web.auth.PERMISSIONS`) and writes an audit row in the same transaction.

Cases are stored as the text of each saved version (YAML; imports from other formats are
converted once with :func:`detente.case.formats.write_case`), so every version can be shown,
compared and re-validated exactly as ``detente validate`` would.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import json
import math
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from detente.case.formats import FORMATS, read_cases, write_case
from detente.case.loader import validate_case_text
from detente.case.model import Case
from detente.errors import CaseError, DetenteError, Diagnostic, StorageError, VerificationError
from detente.ledger.commitment import (
    Commitment,
    PartySignature,
    SignedCommitment,
    commitment_entry,
    commitment_id,
    verify_entry,
    verify_signed_commitment,
)
from detente.ledger.entries import Signature, check_signature
from detente.ledger.keyreg import (
    KeyRegistration,
    genesis_entry,
    key_entry,
    normalize_key,
    sign_registration,
)
from detente.ledger.log import Ledger
from detente.ledger.note import NoteSigner, format_verifier_key, parse_verifier_key
from detente.ledger.receipt import Policy, verify_receipt
from detente.web import auth
from detente.web.db import Database, is_postgres_url

__all__ = [
    "MAX_CASE_BYTES",
    "Forbidden",
    "NotFound",
    "Principal",
    "Unauthorized",
    "WebError",
    "Workspace",
]

T = TypeVar("T")

MAX_CASE_BYTES = 2_000_000
"""Largest case file accepted by import or edit (bounded parse time and memory)."""

SESSION_SECONDS = 12 * 3600
"""A session lasts 12 hours (then log in again)."""

_PARTY_CONTEXT = b"detente-commitment/v1\n"
_COUNTER_CONTEXT = b"detente-countersignature/v1\n"
_KEYREG_CONTEXT = b"detente-key-registration/v1\n"
# The exact messages detente.ledger.commitment and detente.ledger.keyreg sign; the browser
# signs the same bytes.

REGISTRAR = "workspace-registrar"
"""The workspace's own mediator actor in its ledger: the genesis, and the witness of every
key registration (it attests that the key was registered by the account holding the actor's
role, with the key's own proof of possession). It never signs for a party."""


class WebError(DetenteError):
    """An error with an HTTP status and a stable code (``not-found``, ``forbidden``...)."""

    status = 400
    code = "bad-request"


class NotFound(WebError):
    """No such thing (or not visible to this account)."""

    status = 404
    code = "not-found"


class Forbidden(WebError):
    """The account's roles do not allow this."""

    status = 403
    code = "forbidden"


class Unauthorized(WebError):
    """No session or token, or an expired one."""

    status = 401
    code = "unauthorized"


class Conflict(WebError):
    """The request is valid but the thing is not in a state that allows it."""

    status = 409
    code = "conflict"


@dataclass(frozen=True)
class Principal:
    """Who is acting: an account, and how it authenticated.

    Attributes:
        username: The account.
        is_admin: Whether the account is an admin.
        via: ``session`` (cookie; writes need the CSRF token) or ``token`` (API token).
        scope: ``write`` or ``read`` (API tokens may be read-only).
        csrf: The session's CSRF token (empty for tokens).
        session: The session token's hash (to revoke it at logout).
    """

    username: str
    is_admin: bool
    via: str
    scope: str = "write"
    csrf: str = ""
    session: str = ""


def _now() -> float:
    return time.time()


def _finite(text: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise CaseError(
            f"{what}: '{text}' is not a number",
            [
                Diagnostic(
                    f"{what}: '{text}' is not a number", expected="a number", code="not-a-number"
                )
            ],
        ) from None
    if not math.isfinite(value):
        raise CaseError(
            f"{what}: non-finite numbers are refused",
            [
                Diagnostic(
                    f"{what}: {text} is not finite", expected="a finite number", code="not-finite"
                )
            ],
        )
    return value


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.version = (1, 2)
    y.width = 100
    return y


class Workspace:
    """Accounts, cases and guarantees of one team, over one database.

    Args:
        location: A workspace folder (created if missing) or a ``postgresql://`` URL.
    """

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        if is_postgres_url(location):
            self.db = Database(self.location)
            ledger_at: str | Path = self.location
        else:
            folder = Path(location)
            if folder.exists() and not folder.is_dir():
                raise StorageError(f"{folder}: a workspace is a folder, not a file")
            folder.mkdir(parents=True, exist_ok=True)
            self.db = Database(folder / "workspace.sqlite")
            ledger_at = folder / "ledger.sqlite"
        self.cookie_secret = bytes.fromhex(self._meta("cookie_secret", secrets.token_hex(32)))
        origin = self._meta("origin", f"detente.workspace/{secrets.token_hex(6)}")
        seed = bytes.fromhex(
            self._meta(
                "log_key",
                Ed25519PrivateKey.generate()
                .private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
                .hex(),
            )
        )
        # The log operator's key signs checkpoints; it is the server's own key. Party and
        # mediator keys never reach the server: only their public verifier keys do.
        self.log_signer = NoteSigner(origin, Ed25519PrivateKey.from_private_bytes(seed))
        # The SQLite ledger's connection belongs to the thread that opened it, so every
        # ledger call runs on one dedicated thread (appends are serialised anyway).
        self._ledger_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        vkey = self.log_signer.vkey
        # The registrar's key is a second server key, distinct from the log key: the log
        # key signs checkpoints, the registrar witnesses key registrations (genesis, entry 0).
        reg_seed = bytes.fromhex(
            self._meta(
                "registrar_key",
                Ed25519PrivateKey.generate()
                .private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
                .hex(),
            )
        )
        self.registrar = NoteSigner(REGISTRAR, Ed25519PrivateKey.from_private_bytes(reg_seed))
        genesis = genesis_entry(REGISTRAR, self.registrar)
        # The equivocation guard's state (the last checkpoint the log key signed) lives in
        # the workspace folder, beside the log key's home; a PostgreSQL workspace uses
        # $DETENTE_LEDGER_STATE (default ~/.detente/state) of the server's machine.
        state_dir = None if is_postgres_url(location) else Path(location) / "ledger-state"
        self.ledger: Ledger = self._ledger_thread.submit(
            lambda: Ledger.create(ledger_at, origin, [vkey], genesis=genesis, state_dir=state_dir)
        ).result()
        self.origin = origin
        self.ledger_location: str | Path = ledger_at
        self.limiter = auth.LoginLimiter()
        self._cases: dict[tuple[str, int, str], Case] = {}
        self._cache_lock = threading.Lock()

    def close(self) -> None:
        """Close the databases."""
        self._led(lambda led: led.close())
        self._ledger_thread.shutdown()
        self.db.close()

    def _led(self, fn: Callable[[Ledger], T]) -> T:
        """Run ``fn(ledger)`` on the ledger's thread."""
        return self._ledger_thread.submit(fn, self.ledger).result()

    # -- settings --------------------------------------------------------------------------
    def _meta(self, key: str, default: str) -> str:
        with self.db.transaction() as tx:
            row = tx.query("SELECT value FROM web_meta WHERE key = ?", (key,))
            if row:
                return str(row[0][0])
            tx.execute("INSERT INTO web_meta(key, value) VALUES (?, ?)", (key, default))
            return default

    # -- audit -----------------------------------------------------------------------------
    def _audit(self, tx: Any, who: str, action: str, target: str, detail: Any = None) -> None:
        tx.execute(
            "INSERT INTO web_audit(id, at, username, action, target, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                secrets.token_hex(8),
                _now(),
                who,
                action,
                target,
                json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
            ),
        )

    def audit_log(self, p: Principal, limit: int = 200) -> list[dict[str, Any]]:
        """The latest audit rows (admin only)."""
        self.require(p, "audit")
        rows = self.db.query(
            "SELECT at, username, action, target, detail FROM web_audit ORDER BY at DESC LIMIT ?",
            (limit,),
        )
        return [
            {"at": _iso(r[0]), "user": r[1], "action": r[2], "target": r[3], "detail": r[4]}
            for r in rows
        ]

    # -- accounts --------------------------------------------------------------------------
    def has_users(self) -> bool:
        """Whether any account exists (the first start creates the admin)."""
        return self.db.one("SELECT 1 FROM web_users LIMIT 1") is not None

    def create_admin(self, username: str, password: str) -> None:
        """Create the first admin account (refused once any account exists)."""
        if self.has_users():
            raise Conflict("the workspace already has accounts")
        self._insert_user("(setup)", username, password, True)

    def create_user(self, p: Principal, username: str, password: str, admin: bool = False) -> None:
        """Create an account (admin only)."""
        self.require(p, "accounts")
        self._insert_user(p.username, username, password, admin)

    def _insert_user(self, actor: str, username: str, password: str, admin: bool) -> None:
        if (
            not (1 <= len(username) <= 64)
            or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise CaseError(
                "bad user name",
                [
                    Diagnostic(
                        f"user name {username!r} is not allowed",
                        expected="1-64 letters, digits, '-', '_' or '.'",
                        code="bad-username",
                    )
                ],
            )
        if len(password) < 8 or len(password) > 1024:
            raise CaseError(
                "bad password",
                [
                    Diagnostic(
                        "the password must be 8 to 1024 characters",
                        expected="at least 8 characters",
                        code="weak-password",
                    )
                ],
            )
        with self.db.transaction() as tx:
            if tx.query("SELECT 1 FROM web_users WHERE name = ?", (username,)):
                raise Conflict(f"user {username!r} exists")
            tx.execute(
                "INSERT INTO web_users(name, pw_hash, is_admin, created) VALUES (?, ?, ?, ?)",
                (username, auth.hash_password(password), int(admin), _now()),
            )
            self._audit(tx, actor, "user.create", username, {"admin": admin})

    def users(self, p: Principal) -> list[dict[str, Any]]:
        """Every account with its roles (admin only)."""
        self.require(p, "accounts")
        out = []
        for name, is_admin, created in self.db.query(
            "SELECT name, is_admin, created FROM web_users ORDER BY name"
        ):
            roles = self.db.query(
                "SELECT case_id, role FROM web_roles WHERE username = ? ORDER BY case_id, role",
                (name,),
            )
            out.append(
                {
                    "name": name,
                    "admin": bool(is_admin),
                    "created": _iso(created),
                    "roles": [{"case": c, "role": r} for c, r in roles],
                }
            )
        return out

    def grant(self, p: Principal, username: str, case_id: str, role: str) -> None:
        """Give ``username`` a role on a case (``*``: every case). Admin only."""
        self.require(p, "accounts")
        kind, _, actor = role.partition(":")
        if kind not in ("observer", "analyst", "mediator", "party") or (
            (kind == "party") != bool(actor)
        ):
            raise CaseError(
                f"unknown role {role!r}",
                [
                    Diagnostic(
                        f"unknown role {role!r}",
                        expected="observer, analyst, mediator or party:<actor>",
                        code="bad-role",
                    )
                ],
            )
        if case_id != "*":
            case = self.case(p, case_id)[0]
            if kind == "party" and actor not in {a.id for a in case.actors}:
                raise CaseError(
                    f"no actor {actor!r} in case {case_id}",
                    [Diagnostic(f"no actor {actor!r} in case {case_id}", code="unknown-actor")],
                )
        with self.db.transaction() as tx:
            if not tx.query("SELECT 1 FROM web_users WHERE name = ?", (username,)):
                raise NotFound(f"no user {username!r}")
            if not tx.query(
                "SELECT 1 FROM web_roles WHERE username = ? AND case_id = ? AND role = ?",
                (username, case_id, role),
            ):
                tx.execute(
                    "INSERT INTO web_roles(username, case_id, role) VALUES (?, ?, ?)",
                    (username, case_id, role),
                )
            self._audit(tx, p.username, "role.grant", username, {"case": case_id, "role": role})

    def roles(self, username: str, case_id: str) -> list[str]:
        """The roles ``username`` holds on ``case_id`` (including ``*`` grants)."""
        return [
            r[0]
            for r in self.db.query(
                "SELECT role FROM web_roles WHERE username = ? AND (case_id = ? OR case_id = '*')",
                (username, case_id),
            )
        ]

    def can(self, p: Principal, action: str, case_id: str | None = None) -> bool:
        """Whether ``p`` may take ``action`` (on ``case_id``)."""
        if p.scope == "read" and action != "read":
            return False
        roles = self.roles(p.username, case_id or "*")
        if action == "import" and not p.is_admin:
            roles = self.roles(p.username, "*")  # a new case needs a global analyst grant
        return auth.allowed(action, roles, p.is_admin)

    def require(self, p: Principal, action: str, case_id: str | None = None) -> None:
        """Raise :class:`Forbidden` unless ``p`` may take ``action``."""
        if not self.can(p, action, case_id):
            raise Forbidden(
                f"{p.username} may not {action.replace('_', ' ')}"
                + (f" on case {case_id}" if case_id else "")
            )

    # -- sessions and tokens ---------------------------------------------------------------
    def login(self, username: str, password: str, client: str) -> tuple[str, Principal]:
        """Check a password and open a session; returns the signed cookie value.

        Raises:
            Unauthorized: Wrong name or password (the same message for both).
            WebError: (429) Too many failed tries from this client or for this name.
        """
        keys = (f"user:{username}", f"client:{client}")
        wait = self.limiter.blocked(*keys)
        if wait > 0:
            err = WebError(f"too many failed logins; try again in {math.ceil(wait)} s")
            err.status, err.code = 429, "rate-limited"
            raise err
        row = self.db.one(
            "SELECT pw_hash, is_admin FROM web_users WHERE name = ? AND disabled = 0", (username,)
        )
        # Verify against a dummy hash when the user is unknown, so timing says nothing.
        ok = auth.verify_password(row[0] if row else _DUMMY_HASH, password) and row is not None
        if not ok or row is None:
            self.limiter.failed(*keys)
            raise Unauthorized("wrong user name or password")
        self.limiter.succeeded(*keys)
        token = auth.new_token()
        csrf = auth.new_token()
        th = auth.hash_token(token)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_sessions(token_hash, username, csrf, created, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                (th, username, csrf, _now(), _now() + SESSION_SECONDS),
            )
            self._audit(tx, username, "session.login", username, {"client": client})
        return auth.sign_cookie(token, self.cookie_secret), Principal(
            username, bool(row[1]), "session", "write", csrf, th
        )

    def session(self, cookie: str) -> Principal | None:
        """The principal of a signed session cookie, or None (bad, expired or revoked)."""
        token = auth.unsign_cookie(cookie, self.cookie_secret)
        if token is None:
            return None
        th = auth.hash_token(token)
        row = self.db.one(
            "SELECT s.username, s.csrf, s.expires, s.revoked, u.is_admin, u.disabled "
            "FROM web_sessions s JOIN web_users u ON u.name = s.username WHERE s.token_hash = ?",
            (th,),
        )
        if row is None or row[3] or row[5] or row[2] < _now():
            return None
        return Principal(row[0], bool(row[4]), "session", "write", row[1], th)

    def logout(self, p: Principal) -> None:
        """Revoke the session: its cookie opens nothing afterwards."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE web_sessions SET revoked = 1 WHERE token_hash = ?", (p.session,))
            self._audit(tx, p.username, "session.logout", p.username)

    def create_token(self, p: Principal, name: str, scope: str) -> dict[str, Any]:
        """A new API token for ``p`` (shown once; only its hash is kept)."""
        if scope not in ("read", "write"):
            raise CaseError(
                f"unknown scope {scope!r}",
                [
                    Diagnostic(
                        f"unknown scope {scope!r}", expected="read or write", code="unknown-scope"
                    )
                ],
            )
        if p.via == "token":
            raise Forbidden("API tokens cannot mint tokens; log in with a password")
        token = auth.new_token("dtk_")
        tid = secrets.token_hex(6)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_tokens(id, token_hash, username, name, scope, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (tid, auth.hash_token(token), p.username, name[:100], scope, _now()),
            )
            self._audit(tx, p.username, "token.create", tid, {"name": name, "scope": scope})
        return {"id": tid, "name": name[:100], "scope": scope, "token": token}

    def tokens(self, p: Principal) -> list[dict[str, Any]]:
        """``p``'s API tokens (never the token itself)."""
        return [
            {"id": r[0], "name": r[1], "scope": r[2], "created": _iso(r[3]), "revoked": bool(r[4])}
            for r in self.db.query(
                "SELECT id, name, scope, created, revoked FROM web_tokens WHERE username = ? "
                "ORDER BY created",
                (p.username,),
            )
        ]

    def revoke_token(self, p: Principal, tid: str) -> None:
        """Revoke one of ``p``'s tokens."""
        with self.db.transaction() as tx:
            if not tx.query(
                "SELECT 1 FROM web_tokens WHERE id = ? AND username = ?", (tid, p.username)
            ):
                raise NotFound(f"no token {tid}")
            tx.execute("UPDATE web_tokens SET revoked = 1 WHERE id = ?", (tid,))
            self._audit(tx, p.username, "token.revoke", tid)

    def token_principal(self, token: str) -> Principal | None:
        """The principal of a bearer token, or None."""
        if not token.startswith("dtk_") or len(token) > 200:
            return None
        row = self.db.one(
            "SELECT t.username, t.scope, t.revoked, u.is_admin, u.disabled FROM web_tokens t "
            "JOIN web_users u ON u.name = t.username WHERE t.token_hash = ?",
            (auth.hash_token(token),),
        )
        if row is None or row[2] or row[4]:
            return None
        return Principal(row[0], bool(row[3]), "token", row[1])

    # -- cases -----------------------------------------------------------------------------
    def cases(self, p: Principal) -> list[dict[str, Any]]:
        """The cases ``p`` may read, with their latest version."""
        out = []
        for cid, title, created in self.db.query(
            "SELECT id, title, created FROM web_cases ORDER BY created"
        ):
            if not self.can(p, "read", cid):
                continue
            v = self.db.one("SELECT MAX(version) FROM web_case_versions WHERE case_id = ?", (cid,))
            out.append(
                {"id": cid, "title": title, "created": _iso(created), "version": v[0] if v else 0}
            )
        return out

    def import_case(
        self,
        p: Principal,
        filename: str,
        data: bytes,
        fmt: str | None = None,
        pick: str | None = None,
    ) -> dict[str, Any]:
        """Import a case from any format detente reads; becomes version 1.

        Raises:
            CaseError: A bad file name, a file too large, or a case with errors (located).
            Conflict: A case with that id exists already.
        """
        self.require(p, "import")
        name = _safe_filename(filename)
        if len(data) > MAX_CASE_BYTES:
            raise CaseError(
                f"{name}: {len(data):,} bytes is over the limit of {MAX_CASE_BYTES:,}",
                [Diagnostic("file too large", name, code="too-large")],
            )
        if fmt is not None and fmt not in FORMATS:
            raise CaseError(
                f"unknown format {fmt!r}",
                [
                    Diagnostic(
                        f"unknown format {fmt!r}",
                        expected=", ".join(FORMATS),
                        code="unknown-format",
                    )
                ],
            )
        suffix = Path(name).suffix.lower()
        if suffix in (".yaml", ".yml", ".json") and fmt in (None, "yaml", "json"):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise CaseError(
                    f"{name}: not UTF-8 text",
                    [Diagnostic("not UTF-8 text", name, hint="re-save as UTF-8", code="encoding")],
                ) from None
            case, diags = validate_case_text(text, name)
            if case is None:
                raise CaseError(f"{name}: the case has errors; nothing was imported", diags)
        else:
            with tempfile.TemporaryDirectory(prefix="detente-import-") as tmp:
                path = Path(tmp) / name
                path.write_bytes(data)
                found = read_cases(path, fmt)
            chosen = [c for c in found if pick is None or c.case.id == pick]
            if len(chosen) != 1:
                ids = ", ".join(c.case.id for c in found[:8])
                raise CaseError(
                    f"{name}: holds {len(found)} cases; choose one (ids: {ids})",
                    [Diagnostic("choose one case", name, expected=ids, code="pick-case")],
                )
            case = chosen[0]
            text = write_case(case, "yaml")
        cid = case.case.id
        with self.db.transaction() as tx:
            if tx.query("SELECT 1 FROM web_cases WHERE id = ?", (cid,)):
                raise Conflict(f"a case with id {cid!r} exists; edit it instead")
            tx.execute(
                "INSERT INTO web_cases(id, title, created, author) VALUES (?, ?, ?, ?)",
                (cid, case.case.title, _now(), p.username),
            )
            tx.execute(
                "INSERT INTO web_case_versions(case_id, version, text, author, created, summary)"
                " VALUES (?, 1, ?, ?, ?, ?)",
                (cid, text, p.username, _now(), json.dumps([f"imported from {name}"])),
            )
            if not p.is_admin:  # the importer analyses the case it brought in
                tx.execute(
                    "INSERT INTO web_roles(username, case_id, role) VALUES (?, ?, 'analyst') "
                    "ON CONFLICT DO NOTHING",
                    (p.username, cid),
                )
            self._audit(tx, p.username, "case.import", cid, {"file": name, "version": 1})
        return {"id": cid, "version": 1, "title": case.case.title}

    def case(
        self, p: Principal, case_id: str, version: int | None = None
    ) -> tuple[Case, str, dict[str, Any]]:
        """A case at ``version`` (default: latest): the model, its text and the version row."""
        if not self.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        if version is None:
            row = self.db.one(
                "SELECT version, text, author, created, summary FROM web_case_versions "
                "WHERE case_id = ? ORDER BY version DESC LIMIT 1",
                (case_id,),
            )
        else:
            row = self.db.one(
                "SELECT version, text, author, created, summary FROM web_case_versions "
                "WHERE case_id = ? AND version = ?",
                (case_id, version),
            )
        if row is None:
            raise NotFound(f"no case {case_id!r}" + (f" version {version}" if version else ""))
        case = self._parsed(case_id, int(row[0]), row[1])
        meta = {
            "version": row[0],
            "author": row[2],
            "created": _iso(row[3]),
            "changes": json.loads(row[4]),
        }
        return case, row[1], meta

    def _parsed(self, case_id: str, version: int, text: str) -> Case:
        """The validated case of a stored version, parsed once per version.

        A saved version never changes, so the parse (about 0.1 s for the Istanbul case)
        is cached by case id, version and a hash of the text.
        """
        key = (case_id, version, hashlib.sha256(text.encode("utf-8")).hexdigest())
        with self._cache_lock:
            hit = self._cases.get(key)
        if hit is not None:
            return hit
        case, _ = validate_case_text(text, f"{case_id}@v{version}")
        if case is None:  # stored versions are validated before saving
            raise StorageError(f"stored version {version} of {case_id} does not validate")
        with self._cache_lock:
            self._cases[key] = case
            while len(self._cases) > 256:
                self._cases.pop(next(iter(self._cases)))
        return case

    def versions(self, p: Principal, case_id: str) -> list[dict[str, Any]]:
        """Every saved version of a case: who, when, what changed."""
        if not self.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        return [
            {"version": r[0], "author": r[1], "created": _iso(r[2]), "changes": json.loads(r[3])}
            for r in self.db.query(
                "SELECT version, author, created, summary FROM web_case_versions "
                "WHERE case_id = ? ORDER BY version",
                (case_id,),
            )
        ]

    def edit_position(
        self,
        p: Principal,
        case_id: str,
        base_version: int,
        actor: str,
        issue: str,
        fields: dict[str, str],
    ) -> tuple[int | None, dict[str, list[Diagnostic]]]:
        """Change one position's value, salience, capability and ranges; save a version.

        Args:
            p: Who edits (an analyst of the case).
            case_id: The case.
            base_version: The version the form was filled from (refused if stale).
            actor: The position's actor id.
            issue: The position's issue id.
            fields: Form values: ``position``, ``salience``, ``capability`` and their
                ``_low`` / ``_high`` range ends (empty range ends: no range).

        Returns:
            The new version number (None when refused) and the diagnostics by field
            (``position``, ``salience``, ``capability``, or ``_`` for the rest): the same
            ones ``detente validate`` reports on the edited file.
        """
        self.require(p, "edit", case_id)
        case, text, meta = self.case(p, case_id)
        if meta["version"] != base_version:
            raise Conflict(
                f"version {base_version} is not the latest ({meta['version']}); reload and "
                "edit again"
            )
        y = _yaml()
        doc = y.load(io.StringIO(text))
        item = next(
            (
                it
                for it in doc.get("positions") or []
                if isinstance(it, CommentedMap)
                and it.get("actor") == actor
                and it.get("issue") == issue
            ),
            None,
        )
        if item is None:
            raise NotFound(f"no position of {actor!r} on {issue!r} in {case_id}")
        changes: list[str] = []
        bad: dict[str, list[Diagnostic]] = {}
        for name in ("position", "salience", "capability"):
            raw = (fields.get(name) or "").strip()
            low = (fields.get(f"{name}_low") or "").strip()
            high = (fields.get(f"{name}_high") or "").strip()
            if not raw and not low and not high:
                continue
            try:
                value = _finite(raw, name)
                rng = None
                if low or high:
                    rng = (_finite(low, f"{name} range low"), _finite(high, f"{name} range high"))
            except CaseError as exc:
                bad.setdefault(name, []).extend(exc.items)
                continue
            current = item.get(name)
            if current is None and name == "capability":
                # The position inherits the actor's capability: an unchanged value stays
                # inherited; a changed one becomes this position's override, citing the
                # same source as the estimate it replaces.
                current = next(
                    (
                        a.get("capability")
                        for a in doc.get("actors") or []
                        if isinstance(a, CommentedMap) and a.get("id") == actor
                    ),
                    None,
                )
                if _estimate_text(current) == _estimate_text(
                    {"value": value, "range": list(rng) if rng else None}
                ):
                    continue
            before = _estimate_text(current)  # before the in-place edit
            after = _set_estimate(item, name, value, rng, current)
            if after != before:
                changes.append(f"{actor}/{issue} {name}: {before} -> {after}")
        if bad:
            return None, bad
        out = io.StringIO()
        y.dump(doc, out)
        new_text = out.getvalue()
        new_case, diags = validate_case_text(new_text, f"{case_id}@edit")
        by_field = _diagnostics_by_field(new_text, actor, issue, diags)
        if new_case is None:
            return None, by_field
        if not changes:
            return meta["version"], by_field
        version = int(meta["version"]) + 1
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_case_versions(case_id, version, text, author, created, summary)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (case_id, version, new_text, p.username, _now(), json.dumps(changes)),
            )
            self._audit(
                tx, p.username, "case.edit", case_id, {"version": version, "changes": changes}
            )
        return version, by_field

    # -- guarantees ------------------------------------------------------------------------
    def drafts(self, p: Principal, case_id: str) -> list[dict[str, Any]]:
        """Commitment drafts of a case with their signature status."""
        if not self.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        out = []
        for did, data, author, created, index in self.db.query(
            "SELECT id, data, author, created, ledger_index FROM web_drafts WHERE case_id = ? "
            "ORDER BY created",
            (case_id,),
        ):
            sc = SignedCommitment.model_validate_json(data)
            out.append(_draft_view(did, sc, author, created, index))
        return out

    def draft(self, p: Principal, draft_id: str) -> tuple[str, SignedCommitment, dict[str, Any]]:
        """One draft: its case id, the signed commitment so far, and its view."""
        row = self.db.one(
            "SELECT case_id, data, author, created, ledger_index FROM web_drafts WHERE id = ?",
            (draft_id,),
        )
        if row is None or not self.can(p, "read", row[0]):
            raise NotFound(f"no draft {draft_id!r}")
        sc = SignedCommitment.model_validate_json(row[1])
        return row[0], sc, _draft_view(draft_id, sc, row[2], row[3], row[4])

    def create_draft(self, p: Principal, case_id: str, text: str) -> str:
        """A new unsigned draft from a commitment in JSON or YAML (``ledger draft``)."""
        self.require(p, "draft", case_id)
        case = self.case(p, case_id)[0]
        if len(text) > 200_000:
            raise CaseError("commitment too large", [Diagnostic("over 200 kB", code="too-large")])
        try:
            data = YAML(typ="safe", pure=True).load(text)
        except Exception as exc:  # ruamel raises many kinds for malformed text
            raise CaseError(
                "the commitment is not valid YAML or JSON",
                [Diagnostic(f"cannot parse: {exc}".splitlines()[0], code="yaml-syntax")],
            ) from None
        if isinstance(data, dict):
            data.setdefault("case", case_id)
        try:
            c = Commitment.model_validate(data)
        except ValidationError as exc:
            raise CaseError(
                "not a valid commitment",
                [
                    Diagnostic(
                        f"{'.'.join(str(x) for x in e['loc']) or '(document)'}: {e['msg']}",
                        code="commitment-schema",
                    )
                    for e in exc.errors(include_url=False)
                ],
            ) from None
        actors = {a.id for a in case.actors}
        named = {c.committing_party, *c.beneficiaries, *c.guarantors, *c.witnesses}
        unknown = sorted(named - actors)
        if c.case != case_id or unknown:
            raise CaseError(
                "the commitment does not fit the case",
                [
                    Diagnostic(
                        f"unknown actor {a!r}",
                        expected=", ".join(sorted(actors)),
                        code="unknown-actor",
                    )
                    for a in unknown
                ]
                + (
                    [Diagnostic(f"case is {c.case!r}, not {case_id!r}", code="wrong-case")]
                    if c.case != case_id
                    else []
                ),
            )
        did = secrets.token_hex(6)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO web_drafts(id, case_id, data, author, created) VALUES (?, ?, ?, ?, ?)",
                (
                    did,
                    case_id,
                    SignedCommitment(commitment=c).model_dump_json(),
                    p.username,
                    _now(),
                ),
            )
            self._audit(tx, p.username, "draft.create", did, {"commitment": commitment_id(c)})
        return did

    def keys(self, p: Principal, case_id: str) -> list[dict[str, Any]]:
        """Verifier keys registered on a case (public keys only), by actor."""
        if not self.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        return [
            {"user": r[0], "actor": r[1], "vkey": r[2], "created": _iso(r[3])}
            for r in self.db.query(
                "SELECT username, actor, vkey, created FROM web_keys WHERE case_id = ? "
                "ORDER BY actor, created",
                (case_id,),
            )
        ]

    def trusted_keys(self, case_id: str) -> dict[str, list[str]]:
        """Actor id -> verifier keys registered for it on this case."""
        out: dict[str, list[str]] = {}
        for actor, vkey in self.db.query(
            "SELECT actor, vkey FROM web_keys WHERE case_id = ?", (case_id,)
        ):
            out.setdefault(actor, []).append(vkey)
        return out

    def _signing_actors(self, p: Principal, case_id: str, case: Case) -> set[str]:
        """Actors ``p`` may sign for: its ``party:<actor>`` roles, and mediator actors."""
        roles = self.roles(p.username, case_id)
        out = {r.split(":", 1)[1] for r in roles if r.startswith("party:")}
        if "mediator" in roles:
            out |= {a.id for a in case.actors if a.role == "mediator"}
        return out

    def key_registration(
        self,
        p: Principal,
        case_id: str,
        actor: str,
        vkey: str | None,
        raw_public: str | None,
        at: str | None = None,
    ) -> KeyRegistration:
        """The registration body the key's holder must sign (proof of possession).

        Either a C2SP verifier key (``detente keys export``) or a raw Ed25519 public key
        in base64 (from WebCrypto in the browser; named after the actor). The action is
        ``register`` for an actor with no key in the ledger, ``rotate`` otherwise.
        """
        if not actor or not (vkey or raw_public):
            raise CaseError(
                "give the actor and a verifier key or public key",
                [Diagnostic("actor and key are required", code="missing-field")],
            )
        self.require(p, "register_key", case_id)
        case = self.case(p, case_id)[0]
        if actor == REGISTRAR or actor not in self._signing_actors(p, case_id, case):
            raise Forbidden(f"{p.username} may not register keys for {actor}")
        if raw_public:
            try:
                pub = base64.b64decode(raw_public, validate=True)
            except (binascii.Error, ValueError):
                raise VerificationError("the public key is not base64") from None
            if len(pub) != 32:
                raise VerificationError("an Ed25519 public key is 32 bytes")
            vkey = format_verifier_key(actor, pub)
        if not vkey:
            raise VerificationError("give a verifier key or a public key")
        v = parse_verifier_key(vkey.strip())
        if v.alg != 0x01:
            raise VerificationError("commitments are signed with Ed25519 keys (type 0x01)")
        key = normalize_key(v.vkey)
        bound = self._led(lambda led: led.bindings().bound_key(actor))
        when: Any = at if at else dt.datetime.now(dt.UTC).replace(microsecond=0)
        try:
            return KeyRegistration(
                actor=actor,
                action="register" if bound is None or bound == key else "rotate",
                key=key,
                at=when,
            )
        except ValidationError:
            raise VerificationError(f"bad registration time {at!r}") from None

    def registration_message(self, reg: KeyRegistration) -> bytes:
        """The exact bytes the key's holder signs to register it."""
        return _KEYREG_CONTEXT + reg.canonical()

    def key_message(
        self,
        p: Principal,
        case_id: str,
        actor: str,
        vkey: str | None,
        raw_public: str | None,
    ) -> dict[str, str]:
        """What the key's holder signs to register it: ``{vkey, action, at, message}``.

        ``message`` is the base64 of :meth:`registration_message`; ``at`` goes back with
        the proof to :meth:`register_key` (the page and the API both answer this).
        """
        reg = self.key_registration(p, case_id, actor, vkey, raw_public)
        return {
            "vkey": reg.key,
            "action": reg.action,
            "at": reg.at.isoformat().replace("+00:00", "Z"),
            "message": base64.b64encode(self.registration_message(reg)).decode(),
        }

    def register_key(
        self,
        p: Principal,
        case_id: str,
        actor: str,
        vkey: str | None,
        raw_public: str | None,
        at: str | None = None,
        proof: str | None = None,
    ) -> str:
        """Register a public verifier key for an actor ``p`` may sign for, in the ledger.

        ``proof`` is the key's own signature over :meth:`registration_message` of
        :meth:`key_registration` with the same ``at`` (made by the key's holder: the
        browser, or ``sign_registration`` in a client). The server checks it, adds the
        registrar's witness signature and appends the key entry; the ledger's key-binding
        rules (:mod:`detente.ledger.keyreg`) decide. The server never sees a private key.

        Raises:
            VerificationError: No proof, a proof that does not verify, or a key the ledger
                refuses (already bound to another actor...).
        """
        reg = self.key_registration(p, case_id, actor, vkey, raw_public, at)
        if not proof or not at:
            raise VerificationError(
                "a key registration needs the key's own signature (proof) over the "
                "registration message and its time (at); see GET .../keys/message"
            )
        msg = self.registration_message(reg)
        check_signature(actor, reg.key, proof, msg, "key registration proof")
        subject = Signature(actor=actor, role="subject", key=reg.key, sig=proof)

        def append(led: Ledger) -> int | None:
            if led.bindings().bound_key(actor) == reg.key:
                return None  # already bound to this actor: nothing to append
            witness = sign_registration(reg, self.registrar, REGISTRAR, "mediator")
            index = led.append(key_entry(reg, [subject, witness]))
            led.checkpoint([self.log_signer])
            return index

        index = self._led(append)
        with self.db.transaction() as tx:
            if not tx.query(
                "SELECT 1 FROM web_keys WHERE username = ? AND case_id = ? AND actor = ? "
                "AND vkey = ?",
                (p.username, case_id, actor, reg.key),
            ):
                tx.execute(
                    "INSERT INTO web_keys(username, case_id, actor, vkey, created) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (p.username, case_id, actor, reg.key, _now()),
                )
            self._audit(
                tx,
                p.username,
                "key.register",
                case_id,
                {"actor": actor, "vkey": reg.key, "action": reg.action, "index": index},
            )
        return reg.key

    def signing_message(self, sc: SignedCommitment, role: str) -> bytes:
        """The exact bytes a party (``party``) or mediator (``mediator``) signs."""
        from detente.ledger.canonical import canonicalize

        if role == "party":
            return _PARTY_CONTEXT + sc.commitment.canonical()
        body = {
            "commitment": sc.commitment.model_dump(mode="json"),
            "signatures": [s.model_dump(mode="json") for s in sc.signatures],
        }
        return _COUNTER_CONTEXT + canonicalize(body)

    def add_signature(
        self, p: Principal, draft_id: str, actor: str, key: str, sig: str, role: str
    ) -> None:
        """Verify an uploaded signature by ``actor`` and add it to the draft.

        The signature must verify over the exact message, with a key registered for that
        actor on this case by the same account, and the account must hold ``party:<actor>``
        (parties) or ``mediator`` with ``actor`` a guarantor or witness (countersignature).

        Raises:
            Forbidden: Signing for an actor the account does not speak for.
            VerificationError: A signature that does not verify or a key not registered.
        """
        if not actor or not key or not sig or role not in ("party", "mediator"):
            raise CaseError(
                "a signature needs role (party or mediator), actor, key and sig",
                [Diagnostic("role, actor, key and sig are required", code="missing-field")],
            )
        case_id, sc, view = self.draft(p, draft_id)
        if view["ledger_index"] is not None:
            raise Conflict("this commitment is already in the ledger")
        c = sc.commitment
        if role == "party":
            self.require(p, "sign", case_id)
            if f"party:{actor}" not in self.roles(p.username, case_id):
                raise Forbidden(f"{p.username} may not sign for {actor}")
            if actor not in (c.committing_party, *c.beneficiaries):
                raise Forbidden(f"{actor} is not a party to commitment {c.id}")
            if sc.countersignatures:
                raise Conflict("already countersigned; party signatures must come first")
            if any(s.actor == actor for s in sc.signatures):
                raise Conflict(f"{actor} has signed already")
        else:
            self.require(p, "countersign", case_id)
            if actor not in (*c.guarantors, *c.witnesses):
                raise Forbidden(f"{actor} is neither a guarantor nor a witness of {c.id}")
            if not any(s.actor == c.committing_party for s in sc.signatures):
                raise Conflict(f"{c.committing_party} (the committing party) has not signed yet")
            if any(s.actor == actor for s in sc.countersignatures):
                raise Conflict(f"{actor} has countersigned already")
        mine = {
            r[0]
            for r in self.db.query(
                "SELECT vkey FROM web_keys WHERE username = ? AND case_id = ? AND actor = ?",
                (p.username, case_id, actor),
            )
        }
        if key not in mine:
            raise VerificationError(
                f"key {key.split('+')[0]} is not registered by {p.username} for {actor}; "
                "register it on the keys page first"
            )
        msg = self.signing_message(sc, "party" if role == "party" else "mediator")
        check_signature(
            actor, key, sig, msg, "signature" if role == "party" else "countersignature"
        )
        ps = PartySignature(
            actor=actor, role="party" if role == "party" else "mediator", key=key, sig=sig
        )
        new = (
            sc.model_copy(update={"signatures": [*sc.signatures, ps]})
            if role == "party"
            else sc.model_copy(update={"countersignatures": [*sc.countersignatures, ps]})
        )
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE web_drafts SET data = ? WHERE id = ?", (new.model_dump_json(), draft_id)
            )
            self._audit(
                tx,
                p.username,
                "draft.sign" if role == "party" else "draft.countersign",
                draft_id,
                {"actor": actor, "key": key},
            )

    def upload_signed(self, p: Principal, draft_id: str, text: str, role: str) -> list[str]:
        """Take the new signatures from a draft signed with ``detente ledger sign``.

        The uploaded file must hold the same commitment; each signature not yet in the
        draft goes through :meth:`add_signature` (so it is verified the same way).

        Returns:
            The actors whose signatures were added.
        """
        _, sc, _ = self.draft(p, draft_id)
        try:
            up = SignedCommitment.model_validate_json(text)
        except ValidationError:
            raise VerificationError("the file is not a signed commitment (JSON)") from None
        # Compare the signed bytes (model equality also compares cached private state).
        if up.commitment.canonical() != sc.commitment.canonical():
            raise VerificationError("the uploaded file signs a different commitment")
        have = {(s.actor, s.sig) for s in (*sc.signatures, *sc.countersignatures)}
        new = up.signatures if role == "party" else up.countersignatures
        added = []
        for s in new:
            if (s.actor, s.sig) not in have:
                self.add_signature(p, draft_id, s.actor, s.key, s.sig, role)
                added.append(s.actor)
        if not added:
            raise VerificationError("the file holds no new signature")
        return added

    def submit(self, p: Principal, draft_id: str) -> int:
        """Verify every signature against the registered keys, append, checkpoint."""
        case_id, sc, view = self.draft(p, draft_id)
        self.require(p, "submit", case_id)
        if view["ledger_index"] is not None:
            raise Conflict("this commitment is already in the ledger")
        verify_signed_commitment(sc, self.trusted_keys(case_id))
        entry = commitment_entry(sc)

        def append(led: Ledger) -> int:
            index = led.append(entry)
            led.checkpoint([self.log_signer])
            return index

        index = self._led(append)
        with self.db.transaction() as tx:
            tx.execute("UPDATE web_drafts SET ledger_index = ? WHERE id = ?", (index, draft_id))
            self._audit(tx, p.username, "ledger.append", draft_id, {"index": index})
        return index

    def entries(self, p: Principal, case_id: str) -> list[dict[str, Any]]:
        """Ledger entries about this case, each verified against the case's keys."""
        if not self.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        indexes = [
            r[0]
            for r in self.db.query(
                "SELECT ledger_index FROM web_drafts WHERE case_id = ? AND ledger_index IS NOT "
                "NULL ORDER BY ledger_index",
                (case_id,),
            )
        ]
        out = []
        for i in indexes:

            def read(led: Ledger, i: int = int(i)) -> bytes:
                return led.entry(i)

            data = self._led(read)
            info = verify_entry(data, self.trusted_keys(case_id))
            out.append({"index": i, "type": info.type, "id": info.id, **info.summary})
        return out

    def _case_of_entry(self, index: int) -> str | None:
        row = self.db.one("SELECT case_id FROM web_drafts WHERE ledger_index = ?", (index,))
        if row is None:  # a dataset record, verdict or review appended for a case
            row = self.db.one("SELECT case_id FROM web_entries WHERE ledger_index = ?", (index,))
        return str(row[0]) if row else None

    def checkpoints(self, p: Principal) -> dict[str, Any]:
        """The log's origin, keys, size and latest checkpoint with its cosignatures."""

        def read(led: Ledger) -> tuple[list[str], int, str | None]:
            latest = led.latest_checkpoint()
            return led.log_keys, led.size, led.cosigned_checkpoint() if latest else None

        keys, size, note = self._led(read)
        own = f"\u2014 {self.origin} "
        lines = note.split("\n\n", 1)[-1].splitlines() if note else []
        return {
            "origin": self.origin,
            "log_keys": keys,
            "size": size,
            "checkpoint": note,
            "witness_cosignatures": [ln for ln in lines if ln and not ln.startswith(own)],
        }

    def policy(self, case_id: str) -> Policy:
        """What a verifier of this workspace's receipts trusts.

        The configured witnesses are listed with quorum 0: a verifier who wants their
        cosignatures raises the quorum in its own copy of the policy.
        """
        return Policy(
            origin=self.origin,
            log_keys=self._led(lambda led: led.log_keys),
            witnesses=[w["vkey"] for w in self.witnesses()],
            parties=self.trusted_keys(case_id),
        )

    # -- witnesses -------------------------------------------------------------------------
    def witnesses(self) -> list[dict[str, str]]:
        """The configured C2SP tlog-witness endpoints: ``[{url, vkey}]``."""
        return list(json.loads(self._meta("witnesses", "[]")))

    def last_witness_report(self) -> dict[str, Any] | None:
        """What the last collection of cosignatures gave (None before the first)."""
        got = json.loads(self._meta("witness_report", "null"))
        return dict(got) if got else None

    def _set_meta(self, key: str, value: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM web_meta WHERE key = ?", (key,))
            tx.execute("INSERT INTO web_meta(key, value) VALUES (?, ?)", (key, value))

    def collect_cosignatures(
        self, p: Principal, case_id: str, url: str | None = None, vkey: str | None = None
    ) -> dict[str, Any]:
        """Ask every configured witness to cosign the latest checkpoint (C2SP tlog-witness).

        ``url`` and ``vkey`` (the witness's cosignature/v1 verifier key) add a witness to
        the configuration first. Each witness's lines are verified against its key and
        stored with the checkpoint (:func:`detente.ledger.witness_http.witness_checkpoint`);
        a witness that refuses or cannot be reached is reported, not fatal.

        Raises:
            CaseError: A bad URL or key, or no witness configured.
        """
        from detente.ledger.note import ALG_COSIGNATURE_V1
        from detente.ledger.witness_http import witness_checkpoint

        self.require(p, "collect_witness", case_id)
        if not self.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        configured = self.witnesses()
        if url or vkey:
            url, vkey = (url or "").strip(), (vkey or "").strip()
            if not url.startswith(("http://", "https://")) or len(url) > 500 or " " in url:
                raise CaseError(
                    f"bad witness URL {url!r}",
                    [Diagnostic(f"bad witness URL {url!r}", expected="http(s)://host[:port][/prefix]",
                                code="bad-witness")],
                )  # fmt: skip
            try:
                v = parse_verifier_key(vkey)
            except VerificationError as exc:
                raise CaseError(
                    "bad witness key", [Diagnostic(exc.message, code="bad-witness")]
                ) from None
            if v.alg != ALG_COSIGNATURE_V1:
                raise CaseError(
                    "a witness key is a cosignature/v1 key (type 0x04)",
                    [Diagnostic("not a witness key", expected="keys new --witness",
                                code="bad-witness")],
                )  # fmt: skip
            if not any(w["url"] == url and w["vkey"] == v.vkey for w in configured):
                configured.append({"url": url, "vkey": v.vkey})
                self._set_meta("witnesses", json.dumps(configured))
        if not configured:
            raise CaseError(
                "no witness configured",
                [Diagnostic("no witness configured", hint="give a witness URL and key",
                            code="no-witness")],
            )  # fmt: skip
        urls = [w["url"] for w in configured]
        keys = [w["vkey"] for w in configured]
        report = self._led(lambda led: witness_checkpoint(led, urls, keys, timeout=10.0))
        self._set_meta("witness_report", json.dumps({**report, "at": _iso(_now())}))
        with self.db.transaction() as tx:
            self._audit(tx, p.username, "ledger.witness", case_id, report)
        return dict(report)

    def receipt(self, p: Principal, index: int) -> tuple[str, str]:
        """The C2SP tlog-proof of entry ``index`` and its case id."""
        case_id = self._case_of_entry(index)
        if case_id is None or not self.can(p, "read", case_id):
            raise NotFound(f"no ledger entry {index}")
        return self._led(lambda led: led.receipt(index)), case_id

    def verify(self, p: Principal, case_id: str, receipt: str) -> dict[str, Any]:
        """The verify verdict of a receipt against this case's trust policy."""
        if not self.can(p, "read", case_id):
            raise NotFound(f"no case {case_id!r}")
        if len(receipt) > 1_000_000:
            raise VerificationError("the receipt is over 1 MB")
        return verify_receipt(receipt, self.policy(case_id)).to_dict()


_DUMMY_HASH = auth.hash_password(secrets.token_hex(16))


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(float(ts), dt.UTC).isoformat(timespec="seconds")


def _safe_filename(name: str) -> str:
    """A plain file name, or a CaseError: no folders, no ``..``, no control characters."""
    if (
        not name
        or "/" in name
        or "\\" in name
        or name in (".", "..")
        or name.startswith(".")
        or ".." in name
        or any(ord(ch) < 32 for ch in name)
        or len(name) > 200
    ):
        raise CaseError(
            f"refused file name {name!r}",
            [
                Diagnostic(
                    f"refused file name {name!r}",
                    expected="a plain file name such as case.yaml",
                    hint="file names may not contain folders or '..'",
                    code="bad-filename",
                )
            ],
        )
    return name


def _estimate_text(node: Any) -> str:
    if node is None:
        return "-"
    if isinstance(node, dict):
        v: Any = node.get("value")
        r: Any = node.get("range")
        try:
            return f"{float(v):g} [{float(r[0]):g}, {float(r[1]):g}]" if r else f"{float(v):g}"
        except (TypeError, ValueError, IndexError):
            return str(node)
    try:
        return f"{float(node):g}"
    except (TypeError, ValueError):
        return str(node)


def _set_estimate(
    item: CommentedMap,
    name: str,
    value: float,
    rng: tuple[float, float] | None,
    template: Any = None,
) -> str:
    """Write ``value`` and ``rng`` into the estimate ``name`` of a position, keeping the rest.

    A new mapping keeps the ``source`` of ``template`` (the estimate it replaces).
    """
    node = item.get(name)
    if isinstance(node, CommentedMap):
        node["value"] = value
        if rng is None:
            node.pop("range", None)
        else:
            seq = CommentedSeq([rng[0], rng[1]])
            seq.fa.set_flow_style()
            node["range"] = seq
    elif rng is None:
        item[name] = value
    else:
        m = CommentedMap()
        m["value"] = value
        seq = CommentedSeq([rng[0], rng[1]])
        seq.fa.set_flow_style()
        m["range"] = seq
        if isinstance(template, dict) and template.get("source"):
            m["source"] = template["source"]
        item[name] = m
    return _estimate_text(item[name])


def _diagnostics_by_field(
    text: str, actor: str, issue: str, diags: list[Diagnostic]
) -> dict[str, list[Diagnostic]]:
    """Attach each diagnostic to the edited field whose lines hold it (else ``_``)."""
    doc = _yaml().load(io.StringIO(text))
    spans: list[tuple[int, str]] = []
    items = [it for it in doc.get("positions") or [] if isinstance(it, CommentedMap)]
    for k, it in enumerate(items):
        if it.get("actor") == actor and it.get("issue") == issue:
            for key in it:
                spans.append((it.lc.key(key)[0] + 1, str(key)))
            if k + 1 < len(items):  # lines after this item belong to the next one
                spans.append((items[k + 1].lc.line + 1, "_"))
    spans.sort()
    out: dict[str, list[Diagnostic]] = {}
    for d in diags:
        field = "_"
        if d.line is not None:
            for start, key in spans:
                if start <= d.line:
                    field = key if key in ("position", "salience", "capability") else "_"
        out.setdefault(field, []).append(d)
    return out


def _draft_view(
    did: str, sc: SignedCommitment, author: str, created: float, index: int | None
) -> dict[str, Any]:
    c = sc.commitment
    parties = [c.committing_party, *c.beneficiaries]
    signed = {s.actor for s in sc.signatures}
    counter = {s.actor for s in sc.countersignatures}
    mediators = [*c.guarantors, *c.witnesses]
    return {
        "id": did,
        "commitment_id": commitment_id(c),
        "name": c.id,
        "label": c.label,
        "text": c.text,
        "committing_party": c.committing_party,
        "parties": [{"actor": a, "signed": a in signed} for a in parties],
        "mediators": [{"actor": a, "countersigned": a in counter} for a in mediators],
        "author": author,
        "created": _iso(created),
        "ledger_index": index,
        "ready": c.committing_party in signed and bool(counter),
        "commitment": c.model_dump(mode="json"),
        "signed": sc.model_dump(mode="json"),
    }

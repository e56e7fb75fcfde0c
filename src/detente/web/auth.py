"""Accounts, sessions, API tokens, CSRF and the role matrix of the workspace.

* Passwords: Argon2id (RFC 9106) through argon2-cffi's :class:`PasswordHasher`, whose
  defaults are the RFC's second recommended option (memory 64 MiB, t=3, p=4).
* Sessions: a random 256-bit token in a cookie that is HMAC-SHA256 signed with the
  workspace secret (HttpOnly, SameSite=Strict, Secure behind TLS); only the token's
  SHA-256 is stored, so a copy of the database opens no session. Logout revokes it.
* CSRF: a random per-session token, required in every form (``csrf`` field) and in the
  ``X-CSRF-Token`` header of every cookie-authenticated write (synchronizer token pattern,
  OWASP CSRF Prevention Cheat Sheet).
* API tokens: ``dtk_`` + 256 random bits, stored hashed, scoped ``read`` or ``write``,
  revocable.

Roles are granted per case (``*`` means every case): ``observer``, ``analyst``,
``party:<actor>`` and ``mediator``; ``admin`` is a flag on the account. What each may do
is :data:`PERMISSIONS`, the one table that both the server and the docs read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "LoginLimiter",
    "allowed",
    "hash_password",
    "hash_token",
    "new_token",
    "sign_cookie",
    "unsign_cookie",
    "verify_password",
]

ROLES = ("observer", "analyst", "party:<actor>", "mediator", "admin")
"""Role names as the issue and the docs spell them."""

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "read": ("observer", "analyst", "party", "mediator", "admin"),
    "import": ("analyst", "admin"),
    "edit": ("analyst",),
    "run": ("analyst",),
    "draft": ("analyst", "mediator"),
    "sign": ("party",),
    "countersign": ("mediator",),
    "sign_or_countersign": ("party", "mediator"),
    "submit": ("mediator",),
    "register_key": ("party", "mediator"),
    "metrics": ("analyst", "mediator"),
    "import_events": ("mediator",),
    "record_verdict": ("mediator",),
    "record_statement": ("analyst", "mediator"),
    "review_statement": ("mediator",),
    "sign_record": ("mediator",),
    "collect_witness": ("mediator", "admin"),
    "accounts": ("admin",),
    "audit": ("admin",),
}
"""Action -> roles that may take it (``party`` stands for any ``party:<actor>``).

``sign`` is further limited to the actor named in the role; ``import`` with a global
(``*``) analyst grant or admin; ``admin`` reads every case but does not edit or run them
(accounts are kept apart from analysis).
"""

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id PHC string for ``password``."""
    return _HASHER.hash(password)


def verify_password(pw_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _HASHER.verify(pw_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    """A URL-safe random token of 256 bits."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 hex of a token (tokens are random, so no slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_cookie(value: str, secret: bytes) -> str:
    """``value.mac`` with an HMAC-SHA256 over the value."""
    mac = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unsign_cookie(cookie: str, secret: bytes) -> str | None:
    """The value of a signed cookie, or None when the signature does not match."""
    value, _, mac = cookie.rpartition(".")
    if not value or len(cookie) > 512:
        return None
    good = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return value if hmac.compare_digest(good, mac) else None


def role_kinds(roles: Iterable[str]) -> set[str]:
    """``party:AFG`` -> ``party``; other roles unchanged."""
    return {r.split(":", 1)[0] for r in roles}


def allowed(action: str, roles: Iterable[str], is_admin: bool = False) -> bool:
    """Whether someone holding ``roles`` on a case (and maybe admin) may take ``action``.

    Raises:
        KeyError: For an action not in :data:`PERMISSIONS` (a route without an entry).
    """
    who = PERMISSIONS[action]
    kinds = role_kinds(roles)
    if is_admin:
        kinds.add("admin")
    return bool(kinds & set(who))


class LoginLimiter:
    """Failed logins allowed per user name and per client address in a time window.

    At most ``limit`` per user name in ``window`` seconds, and ``client_limit`` per client
    address (keys starting ``client:``). The per-client limit is higher because everyone
    behind one reverse proxy or office NAT shares an address; it stops a spray over many
    names without locking out a team.
    """

    def __init__(self, limit: int = 5, window: float = 60.0, client_limit: int = 30) -> None:
        self.limit = limit
        self.client_limit = client_limit
        self.window = window
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> float:
        """Seconds to wait before another try (0 when allowed)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                self.window - (now - q[0])
                for k in keys
                if len(q := self._recent(k, now))
                >= (self.client_limit if k.startswith("client:") else self.limit)
            ]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        """Record a failed attempt under every key."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)
            if len(self._fails) > 10_000:  # bounded memory under a spray of names
                self._fails = {k: q for k, q in self._fails.items() if q}

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of a user who logged in (not those of the client)."""
        with self._lock:
            for k in keys:
                if not k.startswith("client:"):
                    self._fails.pop(k, None)

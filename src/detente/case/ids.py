"""Ids made from names: the one rule every importer uses (KTAB, BDM, tidy CSV).

Case ids must match :data:`detente.case.model.ID_PATTERN` (letters, digits and
``_ . : + -``, starting with a letter or digit). Imported files name actors, issues and
scenarios in free text ("United Kingdom", "Korea, Republic of"), so the importers derive
ids from the names with :func:`make_id`.
"""

from __future__ import annotations

import re

from detente.case.model import ID_PATTERN

__all__ = ["make_id"]

_ID_RE = re.compile(ID_PATTERN)
_OTHER = re.compile(r"[^A-Za-z0-9_.:+-]+")
_MAX_BASE = 60  # ids are at most 64 characters: room for a "-NNN" suffix


def make_id(text: str, fallback: str = "item", taken: set[str] | None = None) -> str:
    """An id-safe, unique version of ``text``.

    Runs of characters other than letters, digits and ``_ . : + -`` become ``-``; leading
    and trailing punctuation is dropped; the result is cut to 60 characters. An empty
    result becomes ``fallback``. When the id is already in ``taken``, ``-2``, ``-3``...
    is appended; the id returned is added to ``taken``.

    >>> make_id("Korea, Republic of")
    'Korea-Republic-of'
    """
    base = _OTHER.sub("-", text.strip()).strip("-_.:+")[:_MAX_BASE].rstrip("-_.:+")
    if not base or not _ID_RE.match(base):
        base = fallback
    ident, n = base, 2
    while taken is not None and ident in taken:
        ident = f"{base}-{n}"
        n += 1
    if taken is not None:
        taken.add(ident)
    return ident

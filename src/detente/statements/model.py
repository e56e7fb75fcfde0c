"""Statements as records: who said what, when, where, in which words, and who recorded it.

A statements file (YAML, JSON or CSV; JSON Schema from :func:`statements_json_schema`)
lists statements about one case. Each names its speaker (an actor of the case, or a named
outlet or account with the actor it is linked to and the source that says so), its date,
medium, URL or citation, language, the full text and the quoted span, who recorded it and
who reported it (with whether that source is partisan).

The optional ``aliases`` section maps actor ids to the names that refer to them in texts
(``PAK: [Pakistan, Islamabad, Pakistani]``). Its format, ``{actor_id: [name, ...]}``, is
the one the compliance metrics' actor alias sets use, so one table can serve both.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente.case.model import ID_PATTERN

__all__ = [
    "MAX_STATEMENTS",
    "MAX_TEXT_CHARS",
    "FORMAT_VERSION",
    "Outlet",
    "ReportedBy",
    "Speaker",
    "Statement",
    "StatementsFile",
]

FORMAT_VERSION = 1
MAX_TEXT_CHARS = 5000
"""Longest statement text accepted (characters): a statement, not an article."""
MAX_STATEMENTS = 200_000
"""Most statements in one file."""

Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Outlet(_Frozen):
    """A named outlet or account that speaks, and the actor it is linked to, if any."""

    id: Id
    name: str = Field(min_length=1, max_length=200)
    linked_actor: Id | None = Field(
        default=None, description="The case actor this outlet is linked to, if any."
    )
    linked_by: str | None = Field(
        default=None,
        max_length=500,
        description="Who says the outlet is linked (a source id or a citation).",
    )

    @model_validator(mode="after")
    def _link_has_source(self) -> Outlet:
        if self.linked_actor is not None and not self.linked_by:
            raise ValueError("an outlet linked to an actor must say who says so (`linked_by`)")
        return self


class Speaker(_Frozen):
    """Who spoke: an actor of the case, or an outlet (see :class:`Outlet`)."""

    actor: Id | None = Field(default=None, description="A case actor id.")
    outlet: Id | None = Field(default=None, description="An outlet id of this file.")
    person: str | None = Field(
        default=None, max_length=200, description="The person speaking for it, if named."
    )

    @model_validator(mode="after")
    def _one(self) -> Speaker:
        if (self.actor is None) == (self.outlet is None):
            raise ValueError("a speaker is either an `actor` or an `outlet`, exactly one")
        return self


class ReportedBy(_Frozen):
    """The source that reports the statement, and whether it takes a side."""

    source: str = Field(min_length=1, max_length=200, description="Source id or citation.")
    partisan: bool = Field(description="True when the source argues one party's case.")
    side: Id | None = Field(default=None, description="The party a partisan source argues for.")


class Statement(_Frozen):
    """One public statement."""

    id: Id
    speaker: Speaker
    date: dt.date
    medium: str = Field(min_length=1, max_length=100, description="Press conference, post...")
    url: str | None = Field(default=None, max_length=2000)
    citation: str | None = Field(default=None, max_length=2000)
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    quote: str | None = Field(
        default=None, max_length=MAX_TEXT_CHARS, description="The quoted span, verbatim."
    )
    recorded_by: str = Field(min_length=1, max_length=200)
    reported_by: ReportedBy | None = None
    target: list[Id] = Field(
        default_factory=list, description="Actors the statement is about (coded if empty)."
    )
    issue: Id | None = Field(default=None, description="Case issue (coded if empty).")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _checks(self) -> Statement:
        if not self.text.strip():
            raise ValueError("text is empty")
        if self.quote is not None and self.quote not in self.text:
            raise ValueError("quote must be a verbatim span of text")
        if self.url is None and self.citation is None:
            raise ValueError("give the statement's `url` or `citation`")
        return self


class StatementsFile(_Frozen):
    """A file of statements about one case."""

    detente_statements: int = Field(default=FORMAT_VERSION, description="Format version.")
    case: Id | None = Field(default=None, description="The case id the statements are about.")
    aliases: dict[Id, list[Annotated[str, Field(min_length=1, max_length=200)]]] = Field(
        default_factory=dict,
        description="Actor id to the names that refer to it in texts (shared alias format).",
    )
    outlets: list[Outlet] = Field(default_factory=list)
    statements: list[Statement] = Field(max_length=MAX_STATEMENTS)


def statements_json_schema() -> dict[str, object]:
    """The JSON Schema of statements files."""
    schema = StatementsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente statements file"
    return schema

"""The brief's section "What was said, and what the record shows": typed data and template.

:func:`statements_section` gathers, per statement, its code, the record items with their
sources, the proposed relation and the reviewed one with its reviewer; :data:`TEMPLATE`
is the Jinja fragment that renders it (autoescaped HTML; the report module wires it in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

from detente.statements.check import CheckResult
from detente.statements.coder import StatementCode
from detente.statements.entries import Review
from detente.statements.model import Statement

__all__ = [
    "TEMPLATE",
    "TITLE",
    "SectionItem",
    "SectionRow",
    "StatementsSection",
    "statements_section",
]

TITLE = "What was said, and what the record shows"


class SectionItem(TypedDict):
    """A record item as the brief shows it."""

    id: str
    kind: str
    text: str
    source: str | None


class SectionRow(TypedDict):
    """One statement in the brief."""

    id: str
    speaker: str
    date: str
    text: str
    quote: str | None
    reported_by: str | None
    partisan: bool
    plover: str
    mode: str | None
    score: float
    evidence: str
    proposed: str
    proposal_evidence: str
    reviewed: str | None
    decision: str | None
    reviewer: str | None
    record_items: list[SectionItem]


class StatementsSection(TypedDict):
    """The section's data."""

    title: str
    rows: list[SectionRow]
    reviewed: int
    total: int
    note: str


def _evidence(code: StatementCode) -> str:
    ev = code["evidence"]
    if ev.get("kind") == "rule":
        return f"\u201c{ev['text']}\u201d ({ev['rule']})"
    if ev.get("kind") == "nearest":
        return f"nearest coded example {ev['example']} ({ev['example_code']})"
    return str(ev.get("reason", ""))


def statements_section(
    statements: Sequence[Statement],
    codes: Sequence[StatementCode],
    checks: Sequence[CheckResult],
    reviews: Mapping[str, Review],
    speaker_names: Mapping[str, str],
) -> StatementsSection:
    """The section's data, one row per statement, in file order.

    Args:
        statements: The statements.
        codes: Their codes (same order).
        checks: Their checks against the record (same order).
        reviews: Statement id to its latest review.
        speaker_names: Statement id to the speaker as shown (actor name, outlet name...).
    """
    rows: list[SectionRow] = []
    for st, code, chk in zip(statements, codes, checks, strict=True):
        rv = reviews.get(st.id)
        items = [
            SectionItem(
                id=i["id"],
                kind=i["kind"],
                text=i["text"][:300],
                source=(i["source"] or {}).get("citation") if i["source"] else None,
            )
            for i in chk["items"]
            if i["id"] in chk["proposal"]["items"]
        ]
        rows.append(
            SectionRow(
                id=st.id,
                speaker=speaker_names.get(st.id, ""),
                date=st.date.isoformat(),
                text=st.text,
                quote=st.quote,
                reported_by=st.reported_by.source if st.reported_by else None,
                partisan=bool(st.reported_by and st.reported_by.partisan),
                plover=code["plover"],
                mode=code["mode"],
                score=code["score"],
                evidence=_evidence(code),
                proposed=chk["proposal"]["relation"],
                proposal_evidence=chk["proposal"]["evidence"],
                reviewed=rv.relation if rv is not None else None,
                decision=rv.decision if rv is not None else None,
                reviewer=rv.reviewer if rv is not None else None,
                record_items=items,
            )
        )
    return StatementsSection(
        title=TITLE,
        rows=rows,
        reviewed=sum(r["decision"] is not None for r in rows),
        total=len(rows),
        note=(
            "Codes and proposed relations are made by transparent rules and a small model, "
            "the same for every party; only a reviewer's signed decision is a verdict."
        ),
    )


TEMPLATE = """\
<section id="statements">
  <h2>{{ section.title }}</h2>
  <p class="note">{{ section.note }} {{ section.reviewed }} of {{ section.total }} reviewed.</p>
  <table class="statements">
    <thead><tr><th>Statement</th><th>Code</th><th>Record</th><th>Proposed</th>
      <th>Reviewed</th></tr></thead>
    <tbody>
    {% for r in section.rows %}
      <tr>
        <td><strong>{{ r.speaker }}</strong>, {{ r.date }}
          {% if r.reported_by %}<span class="source">reported by {{ r.reported_by }}
          {%- if r.partisan %} (partisan source){% endif %}</span>{% endif %}
          <blockquote>{{ r.text }}</blockquote></td>
        <td>{{ r.plover }}{% if r.mode %} / {{ r.mode }}{% endif %}
          ({{ '%.2f' % r.score }})<br><small>{{ r.evidence }}</small></td>
        <td>{% for i in r.record_items %}<div><code>{{ i.id }}</code> {{ i.text }}
          {%- if i.source %} <small>[{{ i.source }}]</small>{% endif %}</div>
          {%- else %}-{% endfor %}</td>
        <td>{{ r.proposed }}<br><small>{{ r.proposal_evidence }}</small></td>
        <td>{% if r.decision %}{{ r.reviewed or 'rejected' }}
          ({{ r.decision }} by {{ r.reviewer }}){% else %}not reviewed{% endif %}</td>
      </tr>
    {% endfor %}
    </tbody>
  </table>
</section>
"""
"""The Jinja fragment; render with ``section=`` the result of :func:`statements_section`."""

"""ClaimReview JSON-LD (schema.org) for reviewed statements.

One ``ClaimReview`` (https://schema.org/ClaimReview) per reviewed statement, as fact-checkers
publish them: ``claimReviewed`` (the quoted span, else the text), ``itemReviewed`` (a
``Claim`` with its ``author`` and ``datePublished`` and where it appeared), ``reviewRating``
(a ``Rating`` whose ``alternateName`` is the reviewed relation and whose
``ratingExplanation`` is the evidence), ``author`` (the reviewer) and ``citation`` (the
record items the relation rests on). A rejected proposal has no relation to publish and is
left out. Only the latest review of a statement counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from detente.statements.entries import Review, StatementRecord, record_id

__all__ = ["claim_reviews"]


def _speaker(rec: StatementRecord, names: Mapping[str, str]) -> dict[str, Any]:
    sp = rec.statement.speaker
    if sp.outlet is not None and rec.outlet is not None:
        org: dict[str, Any] = {"@type": "Organization", "name": rec.outlet.name}
        if rec.outlet.linked_actor:
            org["parentOrganization"] = {
                "@type": "Organization",
                "name": names.get(rec.outlet.linked_actor, rec.outlet.linked_actor),
                "description": f"linked according to {rec.outlet.linked_by}",
            }
    else:
        actor = sp.actor or ""
        org = {"@type": "Organization", "name": names.get(actor, actor), "identifier": actor}
    if sp.person:
        return {"@type": "Person", "name": sp.person, "affiliation": org}
    return org


def claim_reviews(
    statements: Sequence[tuple[int, StatementRecord]],
    reviews: Sequence[tuple[int, Review]],
    actor_names: Mapping[str, str] | None = None,
    item_urls: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """ClaimReview objects for every statement whose latest review is not a rejection.

    Args:
        statements: ``(ledger index, record)`` of the recorded statements.
        reviews: ``(ledger index, review)`` of the reviews, in log order.
        actor_names: Actor id to display name.
        item_urls: Record item id to a URL, where one exists.
    """
    names = dict(actor_names or {})
    urls = dict(item_urls or {})
    by_id = {record_id(rec): (idx, rec) for idx, rec in statements}
    latest: dict[str, tuple[int, Review]] = {}
    for idx, rv in reviews:
        latest[rv.statement] = (idx, rv)
    out: list[dict[str, Any]] = []
    for rid, (ridx, rv) in sorted(latest.items(), key=lambda kv: kv[1][0]):
        if rv.relation is None or rid not in by_id:
            continue
        sidx, rec = by_id[rid]
        st = rec.statement
        appearance: dict[str, Any] = {"@type": "CreativeWork"}
        if st.url:
            appearance["url"] = st.url
        if st.citation:
            appearance["citation"] = st.citation
        if st.reported_by is not None:
            appearance["publisher"] = {
                "@type": "Organization",
                "name": st.reported_by.source,
                "description": "partisan source" if st.reported_by.partisan else "source",
            }
        citations = []
        for item in rv.proposal.items:
            c: dict[str, Any] = {"@type": "CreativeWork", "identifier": item}
            if item in urls:
                c["url"] = urls[item]
            citations.append(c)
        out.append(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "identifier": f"ledger-entry:{ridx}",
                "claimReviewed": st.quote or st.text,
                "datePublished": rv.at.date().isoformat(),
                "author": {"@type": "Person", "name": rv.reviewer},
                "itemReviewed": {
                    "@type": "Claim",
                    "identifier": f"ledger-entry:{sidx}",
                    "text": st.text,
                    "author": _speaker(rec, names),
                    "datePublished": st.date.isoformat(),
                    "inLanguage": st.language,
                    "appearance": appearance,
                },
                "reviewRating": {
                    "@type": "Rating",
                    "alternateName": rv.relation,
                    "ratingExplanation": rv.note or rv.proposal.evidence,
                },
                "citation": citations,
                "additionalProperty": [
                    {"@type": "PropertyValue", "name": "decision", "value": rv.decision},
                    {"@type": "PropertyValue", "name": "proposed", "value": rv.proposal.relation},
                    {"@type": "PropertyValue", "name": "rule", "value": rv.proposal.rule},
                ],
            }
        )
    return out

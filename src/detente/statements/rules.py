"""The transparent part of the coder: cue matching with negation and modality, in one pass.

Every cue of :data:`detente.statements.lexicon.CUES` is one alternative of a single regular
expression, so a text is scanned once. Each match adds its weight to its category, times a
position factor (news and statements put their main verb early: the first words weigh up
to twice as much as the last). Three rules move a match to another category, the first
that applies:

* negation: a negator within the three words before a cue of a positive category
  ("did not agree", "never supported") scores REJECT instead;
* frames: a refusal, threat, demand or announced intent within six words before an action
  scores the frame's category (CAMEO's "decline to", "threaten", "demand", "express intent
  to": "refused to release" REJECT, "threatened to expel" THREATEN, "called on them to
  release" DEMAND, "offered to withdraw" AGREE; intent counts for cooperative actions);
* modality: a threat marker within the six words before a material action ("would
  blockade", "could attack") scores THREATEN instead, keeping the action's mode.

The result keeps, per category, the strongest span as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from detente.statements.lexicon import (
    CATEGORIES,
    CHARACTERISATIONS,
    COOPERATIVE,
    CUES,
    DEMAND_FRAMES,
    INTENT_FRAMES,
    NEGATORS,
    POSITIVE,
    REFUSAL_FRAMES,
    THREAT_MARKERS,
)

__all__ = ["Evidence", "RuleResult", "characterisations", "rule_scores", "rule_matrix"]

_INDEX = {c: k for k, c in enumerate(CATEGORIES)}
_COMPILED = [c.compiled() for c in CUES]
_META = set("\\.^$*+?{}[]|()")


def _leads(pattern: str) -> set[str]:
    """The literal text every match of ``pattern`` starts with (one per top alternative).

    An empty string means "no literal lead": the cue is tried on every text.
    """
    if pattern.startswith("(?:"):
        depth, alts, cur = 0, [], ""
        for k, ch in enumerate(pattern[3:], start=3):
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    if pattern[k + 1 : k + 2] in ("?", "*"):
                        return {""}  # an optional group: no fixed lead
                    alts.append(cur)
                    return {lead for a in alts for lead in _leads(a + pattern[k + 1 :])}
                depth -= 1
            elif ch == "|" and depth == 0:
                alts.append(cur)
                cur = ""
                continue
            cur += ch
        return {""}
    lead = ""
    for ch in pattern:
        if ch in _META:
            # a quantifier makes the character before it optional
            if ch in "?*{" and lead:
                lead = lead[:-1]
            break
        lead += ch
    else:
        return {pattern}
    return {lead}


_BY_LEAD: dict[str, list[int]] = {}
_ALWAYS: list[int] = []
for _k, _cue in enumerate(CUES):
    for _lead in _leads(_cue.pattern):
        if _lead:
            _BY_LEAD.setdefault(_lead, []).append(_k)
        else:
            _ALWAYS.append(_k)
_LEAD_LENGTHS = sorted({len(x) for x in _BY_LEAD})
_WORD_START = re.compile(r"\b\w[\w'-]*")


def _matches(lower: str) -> list[tuple[int, int, int]]:
    """``(start, end, cue index)`` of the cue matches, as one alternation of all cues finds them.

    Only cues whose literal lead begins some word of the text are run; their matches are
    then taken left to right, the first cue in table order winning at a position, without
    overlaps: the semantics of a single regular expression ``cue0|cue1|...``, faster.
    """
    cand = set(_ALWAYS)
    for m in _WORD_START.finditer(lower):
        for n in _LEAD_LENGTHS:
            hit = _BY_LEAD.get(lower[m.start() : m.start() + n])
            if hit:
                cand.update(hit)
    found = sorted((m.start(), k, m.end()) for k in cand for m in _COMPILED[k].finditer(lower))
    out, pos = [], 0
    for start, k, end in found:
        if start >= pos:
            out.append((start, end, k))
            pos = max(end, start + 1)
    return out


_WORD = re.compile(r"[a-z0-9'-]+|n't")
_THREAT = re.compile(r"\b(?:" + "|".join(THREAT_MARKERS) + r")\b")
_DEMAND = re.compile(r"\b(?:" + "|".join(DEMAND_FRAMES) + r")\b")
_REFUSAL = re.compile(r"\b(?:" + "|".join(REFUSAL_FRAMES) + r")\b")
_INTENT = re.compile(r"\b(?:" + "|".join(INTENT_FRAMES) + r")\b")
_THREAT_VERB = re.compile(r"\b(?:threat\w*|warn\w*|ultimatum)\b")
_CHAR = re.compile(
    "|".join(f"(?P<h{k}>\\b(?:{c.pattern})\\b)" for k, c in enumerate(CHARACTERISATIONS))
)


@dataclass(frozen=True)
class Evidence:
    """A span of the text that supports a code, and the rule that read it."""

    start: int
    end: int
    text: str
    rule: str


@dataclass(frozen=True)
class RuleResult:
    """Rule scores per category (in :data:`CATEGORIES` order) and their evidence."""

    scores: npt.NDArray[np.float64]
    evidence: dict[str, Evidence]
    modes: dict[str, str]


def _words_before(lower: str, start: int, n: int) -> list[str]:
    return _WORD.findall(lower[max(0, start - max(60, 15 * n)) : start])[-n:]


_FRAME_WORDS = 6  # how far before an action its demand, refusal, threat or intent may stand


def rule_scores(text: str) -> RuleResult:
    """Score ``text`` against every cue (see the module docstring)."""
    lower = text.lower()
    scores = np.zeros(len(CATEGORIES))
    best: dict[str, tuple[float, Evidence]] = {}
    modes: dict[str, str] = {}
    n = max(len(lower), 1)
    for start, end, k in _matches(lower):
        cue = CUES[k]
        cat, why = cue.category, f"cue '{cue.pattern}'"
        before = _words_before(lower, start, 4)
        near = " ".join(_words_before(lower, start, _FRAME_WORDS))
        if cue.category in POSITIVE and any(w in NEGATORS for w in before[-3:]):
            cat, why = "REJECT", f"negated {cue.category} cue '{cue.pattern}'"
        elif cue.category in COOPERATIVE and _REFUSAL.search(near):
            cat, why = "REJECT", f"refused {cue.category} cue '{cue.pattern}'"
        elif (cue.material or cue.category in COOPERATIVE) and _THREAT_VERB.search(near):
            cat, why = "THREATEN", f"threatened {cue.category} cue '{cue.pattern}'"
        elif (cue.material or cue.category in COOPERATIVE) and _DEMAND.search(near):
            cat, why = "DEMAND", f"demanded {cue.category} cue '{cue.pattern}'"
        elif cue.category in COOPERATIVE and _INTENT.search(near):
            cat, why = "AGREE", f"announced {cue.category} cue '{cue.pattern}'"
        elif cue.material and _THREAT.search(near):
            cat, why = "THREATEN", f"modal {cue.category} cue '{cue.pattern}'"
        weight = cue.weight * (2.0 - start / n)
        scores[_INDEX[cat]] += weight
        if cue.mode and cat not in modes:
            modes[cat] = cue.mode
        ev = Evidence(start, end, text[start:end], why)
        if cat not in best or weight > best[cat][0]:
            best[cat] = (weight, ev)
    return RuleResult(scores, {c: e for c, (_, e) in best.items()}, modes)


def rule_matrix(texts: list[str]) -> npt.NDArray[np.float64]:
    """Rule scores of many texts, one row each."""
    out = np.zeros((len(texts), len(CATEGORIES)))
    for k, t in enumerate(texts):
        out[k] = rule_scores(t).scores
    return out


def characterisations(text: str) -> list[tuple[str, str, Evidence]]:
    """The characterisation terms in ``text``: ``(term, claim, evidence)``, in order.

    A term preceded by a negator within two words ("not unrealistic") is left out: the
    sentence then denies the characterisation.
    """
    lower = text.lower()
    out: list[tuple[str, str, Evidence]] = []
    for m in _CHAR.finditer(lower):
        assert m.lastgroup is not None
        ch = CHARACTERISATIONS[int(m.lastgroup[1:])]
        if ch.claim != "existence" and any(
            w in NEGATORS for w in _words_before(lower, m.start(), 2)
        ):
            continue
        ev = Evidence(m.start(), m.end(), text[m.start() : m.end()], f"term '{ch.pattern}'")
        out.append((m.group(0), ch.claim, ev))
    return out

"""Capability options for the DEU III backtest: GDP, Council votes, population, equal.

All tables are public facts (sources in ``docs/backtest.md``). The Commission and the
European Parliament hold no Council votes; as the GDP row of the DEU III file does (it
gives both the largest member state's GDP), every option gives them the largest member
state's value, so that only the member states' relative weights change between options.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

__all__ = [
    "CAPABILITY_OPTIONS",
    "LISBON_START",
    "NICE_START",
    "POPULATION_2015",
    "TRANSITION_START",
    "VOTES_EU15",
    "VOTES_NICE",
    "VOTES_TRANSITION_2004",
    "capability_table",
    "treaty_period",
]

CAPABILITY_OPTIONS = ("gdp", "votes", "population", "equal")

VOTES_EU15: Mapping[str, float] = {
    "de": 10,
    "fr": 10,
    "it": 10,
    "uk": 10,
    "es": 8,
    "be": 5,
    "el": 5,
    "nl": 5,
    "pt": 5,
    "at": 4,
    "se": 4,
    "dk": 3,
    "fi": 3,
    "ie": 3,
    "lu": 2,
}
"""Council votes 1995 - 30 April 2004 (Treaty of Rome art. 148 as amended by the 1994
Accession Act; 87 in all, qualified majority 62)."""

VOTES_TRANSITION_2004: Mapping[str, float] = {
    **VOTES_EU15,
    "pl": 8,
    "cz": 5,
    "hu": 5,
    "sk": 3,
    "lt": 3,
    "lv": 3,
    "si": 3,
    "ee": 3,
    "cy": 2,
    "mt": 2,
}
"""Council votes 1 May - 31 October 2004 (2003 Act of Accession, art. 26; 124 in all,
qualified majority 88)."""

VOTES_NICE: Mapping[str, float] = {
    "de": 29,
    "fr": 29,
    "it": 29,
    "uk": 29,
    "es": 27,
    "pl": 27,
    "ro": 14,
    "nl": 13,
    "be": 12,
    "cz": 12,
    "el": 12,
    "hu": 12,
    "pt": 12,
    "at": 10,
    "bu": 10,
    "se": 10,
    "dk": 7,
    "ie": 7,
    "lt": 7,
    "sk": 7,
    "fi": 7,
    "cr": 7,
    "cy": 4,
    "ee": 4,
    "lv": 4,
    "lu": 4,
    "si": 4,
    "mt": 3,
}
"""Council votes 1 November 2004 - 31 October 2014 (Treaty of Nice, Protocol on
enlargement art. 3 and the 2003/2005/2012 Acts of Accession; 352 in all with 28 states)."""

POPULATION_2015: Mapping[str, float] = {
    "de": 81.2,
    "fr": 66.4,
    "uk": 64.9,
    "it": 60.8,
    "es": 46.4,
    "pl": 38.0,
    "ro": 19.9,
    "nl": 16.9,
    "be": 11.3,
    "el": 10.9,
    "cz": 10.5,
    "pt": 10.4,
    "hu": 9.9,
    "se": 9.7,
    "at": 8.6,
    "bu": 7.2,
    "dk": 5.7,
    "fi": 5.5,
    "sk": 5.4,
    "ie": 4.6,
    "cr": 4.2,
    "lt": 2.9,
    "si": 2.1,
    "lv": 2.0,
    "ee": 1.3,
    "cy": 0.8,
    "lu": 0.6,
    "mt": 0.4,
}
"""Population in millions on 1 January 2015 (Eurostat ``demo_pjan``, rounded to 0.1
million), the figures behind the Council's double-majority votes in 2015."""

TRANSITION_START = dt.date(2004, 5, 1)
NICE_START = dt.date(2004, 11, 1)
LISBON_START = dt.date(2014, 11, 1)


def treaty_period(date: dt.date | None) -> str:
    """The Council voting regime in force on ``date``.

    Returns:
        ``eu15`` (before 1 May 2004), ``transition-2004`` (May-October 2004), ``nice``
        (1 November 2004 - 31 October 2014) or ``lisbon`` (double majority, from 1
        November 2014). An unknown date counts as ``eu15``, the earliest period, and the
        caller should pass the best date it has (decision, else introduction).
    """
    if date is None or date < TRANSITION_START:
        return "eu15"
    if date < NICE_START:
        return "transition-2004"
    if date < LISBON_START:
        return "nice"
    return "lisbon"


def capability_table(
    option: str, gdp: Mapping[str, float], date: dt.date | None = None
) -> dict[str, float]:
    """Capability per DEU actor code under ``option``.

    Args:
        option: ``gdp`` (the file's row 2), ``votes`` (Council votes in the treaty period
            of ``date``; population under the Lisbon double majority), ``population``
            (2015) or ``equal`` (1 for everyone).
        gdp: The GDP row, ``{actor code: GDP}``; also gives the set of actors.
        date: The decision date (else the introduction date) of the proposal.

    Returns:
        ``{actor code: capability}`` for every actor in ``gdp``. Member states without
        votes in the period get 0 (they had no position then anyway); ``com`` and ``ep``
        get the largest member state's value.

    Raises:
        ValueError: For an unknown option.
    """
    if option == "gdp":
        return dict(gdp)
    if option == "equal":
        return {a: 1.0 for a in gdp}
    if option == "population":
        table: Mapping[str, float] = POPULATION_2015
    elif option == "votes":
        period = treaty_period(date)
        table = {
            "eu15": VOTES_EU15,
            "transition-2004": VOTES_TRANSITION_2004,
            "nice": VOTES_NICE,
            "lisbon": POPULATION_2015,
        }[period]
    else:
        raise ValueError(
            f"unknown capability option '{option}'; expected one of {', '.join(CAPABILITY_OPTIONS)}"
        )
    top = max(table.values())
    return {a: (top if a in ("com", "ep") else float(table.get(a, 0.0))) for a in gdp}

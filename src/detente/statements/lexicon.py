"""The rule lexicons: PLOVER categories, their cue phrases, negation, modality, characterisations.

PLOVER (Political Language Ontology for Verifiable Event Records; Open Event Data Alliance,
draft 0.5b1, 2016-2019; Halterman et al. 2023, "PLOVER and POLECAT") codes an event by one of
18 categories. The cues below are lemma-prefix patterns over lower-cased words, in two
tables: :data:`CODEBOOK_CUES`, read from the PLOVER specification's correspondence between
the CAMEO 1.1b3 codes (Gerner et al. 2002, "Conflict and Mediation Event Observations";
their descriptions, not their example sentences) and the PLOVER categories, and the
general cues written from the categories' definitions and CAMEO's verb families (by a
developer who had read the development records: see ``docs/statements.md``). Every cue has
a weight (1 = a verb that names the category, 0.5 = a noun or a weaker hint) and
optionally the PLOVER mode it implies. The action frames (:data:`DEMAND_FRAMES`,
:data:`REFUSAL_FRAMES`, :data:`INTENT_FRAMES`) follow CAMEO's own structure: "demand X",
"decline to X", "express intent to X" are DEMAND, REJECT and AGREE whatever X is.

The same table is used for every actor: nothing here names a party.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CANNOT_DETERMINE",
    "CATEGORIES",
    "CHARACTERISATIONS",
    "CODEBOOK_CUES",
    "COOPERATIVE",
    "DEMAND_FRAMES",
    "INTENT_FRAMES",
    "REFUSAL_FRAMES",
    "CUES",
    "Characterisation",
    "Cue",
    "NEGATORS",
    "POSITIVE",
    "THREAT_MARKERS",
]

CATEGORIES: tuple[str, ...] = (
    "AGREE",
    "AID",
    "ASSAULT",
    "COERCE",
    "CONCEDE",
    "CONSULT",
    "COOPERATE",
    "DEMAND",
    "DISAPPROVE",
    "FIGHT",
    "INVESTIGATE",
    "MOBILIZE",
    "PROTEST",
    "REJECT",
    "RETREAT",
    "SANCTION",
    "SUPPORT",
    "THREATEN",
)
"""The 18 PLOVER event categories (the gold-standard file uses these names)."""

CANNOT_DETERMINE = "cannot determine"
"""The code given when the coder may not guess (unsupported language, no cue, empty text)."""

POSITIVE = frozenset({"AGREE", "SUPPORT", "COOPERATE", "CONCEDE", "AID", "RETREAT"})
"""Categories whose negation ("did not agree", "refused to support") is a REJECT."""

NEGATORS = frozenset({"not", "no", "never", "n't", "cannot", "without", "neither", "nor"})

THREAT_MARKERS = (
    r"threat\w*",
    r"warn\w*",
    r"vow\w*",
    r"would",
    r"will",
    r"could",
    r"may",
    r"plan\w* to",
    r"ready to",
    r"prepared to",
)
"""Modality that turns a material action into a threat when it precedes the action."""

DEMAND_FRAMES = (
    r"demand\w*",
    r"urg(?:e|es|ed|ing)",
    r"call(?:s|ed|ing)? (?:on|upon|for)",
    r"ask(?:s|ed|ing)?",
    r"appeal\w*",
    r"press\w* (?:for|to)",
    r"insist\w*",
)
"""A demand of an action (CAMEO 10 "demand ...": 101-108) codes DEMAND, whatever the action."""

REFUSAL_FRAMES = (r"refus\w+", r"declin\w+", r"reject\w*", r"no intention of", r"unwilling to")
"""A refusal of an action (CAMEO 12 "reject ...", 124 "decline to ...") codes REJECT."""

INTENT_FRAMES = (
    r"will",
    r"would",
    r"plan\w* to",
    r"ready to",
    r"prepared to",
    r"intend\w* to",
    r"willing(?:ness)? to",
    r"readiness to",
    r"offer\w* to",
    r"promis\w* to",
    r"pledg\w* to",
    r"vow\w* to",
    r"agree\w* to",
    r"decid\w+ to",
    r"expected to",
)
"""An announced cooperative action (CAMEO 03 "express intent to ...": 030-039) codes AGREE."""

COOPERATIVE = frozenset(
    {"AID", "CONCEDE", "CONSULT", "COOPERATE", "INVESTIGATE", "RETREAT", "SUPPORT"}
)
"""Actions whose announced intent is an AGREE, demanded a DEMAND, refused a REJECT."""


@dataclass(frozen=True)
class Cue:
    """One cue: a regular expression over the lower-cased sentence, its category and weight."""

    category: str
    pattern: str
    weight: float = 1.0
    mode: str | None = None
    material: bool = False  # an action rather than words: a threat when made modal

    def compiled(self) -> re.Pattern[str]:
        """The pattern anchored at word boundaries."""
        return re.compile(r"\b(?:" + self.pattern + r")\b")


def _cues(category: str, weight: float, *patterns: str, mode: str | None = None) -> list[Cue]:
    return [Cue(category, p, weight, mode) for p in patterns]


def _material(category: str, weight: float, *patterns: str, mode: str | None = None) -> list[Cue]:
    return [Cue(category, p, weight, mode, material=True) for p in patterns]


CODEBOOK_CUES: tuple[Cue, ...] = tuple(
    [
        # Read from the CAMEO 1.1b3 -> PLOVER 0.5b1 correspondence of the PLOVER
        # specification (the CAMEO code descriptions and the PLOVER category each maps
        # to; not from its example sentences). They sit before the general cues: at one
        # position the first cue in table order wins, so these more specific phrases
        # decide where the general ones would disagree with the codebook.
        # 057 "sign formal agreement", 055 "apologize", 056 "forgive", 054 "grant
        # diplomatic recognition", 053 "rally support on behalf of": SUPPORT.
        *_cues(
            "SUPPORT",
            1.0,
            r"sign(?:s|ed|ing)? (?:a |an |the )?(?:\w+ ){0,3}"
            r"(?:accords?|agreements?|deals?|pacts?|treat(?:y|ies)|protocols?|memorandum|convention)",
            r"apologi[sz]\w+",
            r"forg[ai]v\w+",
            r"recogni[sz]\w+ (?:\w+ ){0,3}(?:independence|government|state|sovereignty|regime)",
            r"diplomatic recognition",
            r"rall\w+ (?:\w+ ){0,2}support",
        ),
        # 163 "impose embargo, boycott, or sanctions", 161 "reduce or break diplomatic
        # relations", 162 "reduce or stop aid", 164-165 "halt negotiations, mediation",
        # 166 "expel or withdraw" (peacekeepers, inspectors, observers, aid agencies):
        # SANCTION.
        *_material(
            "SANCTION",
            1.0,
            r"impos\w+ (?:\w+ ){0,3}(?:sanctions|embargo(?:es)?|boycotts?)",
            r"withdr[ae]w\w* (?:\w+ ){0,3}(?:ambassadors?|envoys?|diplomats?|peacekeep\w+|"
            r"inspectors|observers|monitors|aid (?:workers|agencies)|mission)",
            r"expel\w* (?:\w+ ){0,3}(?:ambassadors?|envoys?|diplomats?|peacekeep\w+|"
            r"inspectors|observers|monitors|aid (?:workers|agencies)|mission)",
            r"(?:halt\w*|suspend\w*|break\w* off|broke off|pull\w* out of|walk\w* out of|"
            r"withdr[ae]w\w* from|quit) (?:the |\w+ ){0,2}"
            r"(?:talks|negotiations|mediation|dialogue)",
            r"(?:break\w*|broke|cut\w*|sever\w*|reduc\w+|downgrad\w+) (?:off )?(?:\w+ ){0,2}"
            r"(?:ties|relations)",
            r"(?:stop\w*|cut\w*|suspend\w*|halt\w*|reduc\w+|withh[oe]ld\w*|freez\w+|froze) "
            r"(?:\w+ ){0,3}(?:aid|assistance|funding|funds|loans?|credits?)",
        ),
        # 196 "violate ceasefire", 190-195 conventional force: small arms, artillery and
        # tanks, aerial weapons: FIGHT (CAMEO 19).
        *_material(
            "FIGHT",
            1.0,
            r"(?:violat\w+|broke|break\w*|breach\w*) (?:\w+ ){0,3}(?:cease-?fire|truce|armistice)",
            r"(?:war ?planes|jets|aircraft|helicopters?|gunships?|drones?|air force|navy|warships?)"
            r" (?:\w+ ){0,2}(?:bomb\w*|attack\w*|struck|strik\w+|pound\w*|hit|fired|raid\w*)",
            r"fir(?:e|ed|es|ing) (?:\w+ ){0,3}(?:rockets?|missiles?|shells?|mortars?|artillery)",
            r"rockets?",
            r"missiles?",
            r"tanks?",
            r"gunfire",
            r"firefights?",
            r"skirmish\w*",
            r"shot down",
            mode="heavy-weapons",
        ),
        # 175 "use violent repression", 182 "physically assault", 1822 "torture",
        # 181 "abduct, hijack", 184 "use as human shield", 202-204 mass killings, ethnic
        # cleansing, weapons of mass destruction: ASSAULT.
        *_material(
            "ASSAULT",
            1.0,
            r"(?:opened fire|fired|shot) (?:\w+ ){0,2}(?:on|at|into) (?:\w+ ){0,2}"
            r"(?:protesters|demonstrators|crowds?|civilians|marchers|students|worshippers|mourners)",
            r"tortur\w*",
            r"hijack\w*",
            r"human shields?",
            r"rap(?:e|ed|es|ing)",
            r"sexual\w* (?:assault|abus)\w*",
            r"beat(?:en|ing|ings)?",
            r"stabb?\w*",
            r"lynch\w*",
            r"ethnic cleansing",
            r"genocide",
            r"mass (?:killings?|murders?|graves?|executions?)",
            r"execut\w+",
            r"chemical (?:weapons?|attacks?)",
            r"roadside bombs?",
            mode="violence",
        ),
        # 191 "impose blockade, restrict movement", 192 "occupy territory", 172 "impose
        # administrative sanctions", 173 "arrest, detain, or charge with legal action":
        # COERCE.
        *_material(
            "COERCE",
            1.0,
            r"occup(?:y|ies|ied|ying|ation)",
            r"(?:impos\w+|tighten\w*|declar\w+|enforc\w+) (?:a |an |the )?(?:\w+ ){0,2}"
            r"(?:blockade|siege|martial law|state of emergency|restrictions|ban)",
            # a blockade of roads by protesters is PROTEST (144 "obstruct passage")
            r"blockad(?:e|es|ed|ing)"
            r"(?! (?:\w+ ){0,2}(?:roads?|transport|traffic|highways?|access))",
            r"besieg\w+",
            r"restrict\w* (?:\w+ ){0,2}(?:movement|access|travel|entry)",
            r"seal\w* (?:off )?(?:the )?(?:\w+ )?(?:border|area|city|town|region|crossings?)",
            r"clos(?:e|ed|es|ing) (?:the |its )?(?:\w+ )?(?:borders?|crossings?)",
            r"charg\w+ (?:\w+ ){0,3}with",
            r"jail\w*",
            r"imprison\w*",
            r"round\w* up",
        ),
        *_material(
            "COERCE",
            1.0,
            r"(?:impos\w+|tighten\w*|declar\w+|enforc\w+) (?:a |an |the )?(?:\w+ ){0,2}curfew",
            mode="curfew",
        ),
        # 0841-0842 "return, release person(s) or property", 085 "ease economic sanctions",
        # 086 "allow international involvement", 0861-0863 "receive peacekeepers,
        # inspectors; allow humanitarian aid", 0871 "declare truce", 0874 "surrender":
        # RETREAT.
        *_cues(
            "RETREAT",
            1.0,
            r"releas(?:e|es|ed|ing)",
            r"freed",
            r"free[sd]? (?:\w+ ){0,2}(?:prisoners|detainees|hostages|captives)",
            r"return\w* (?:\w+ ){0,3}(?:prisoners|property|bodies|land|territory|hostages|"
            r"detainees|captives|remains|assets)",
            r"(?:lift\w*|eas\w+|relax\w*|end\w*) (?:the |a |its )?(?:\w+ ){0,2}"
            r"(?:sanctions|embargo|blockade|curfew|state of emergency|martial law|siege)",
            r"(?:allow\w*|receiv\w+|admit\w*|accept\w*|welcom\w+|host\w*|permit\w*) "
            r"(?:\w+ ){0,4}(?:inspectors|observers|monitors|peacekeep\w+|mission)",
            r"allow\w* (?:\w+ ){0,4}(?:aid|relief|humanitarian)",
            r"surrender\w*",
            r"(?:declar|announc)\w+ (?:\w+ ){0,2}(?:cease-?fire|truce)",
        ),
        # 080 "yield", 081-0812 "ease administrative sanctions, restrictions on political
        # freedoms, ban on parties or politicians", 082 "ease political dissent", 083
        # "accede to demands": CONCEDE.
        *_cues(
            "CONCEDE",
            1.0,
            r"acced\w+",
            r"bow\w* to (?:\w+ ){0,2}(?:demands|pressure)",
            r"(?:met|meet\w*|grant\w*) (?:\w+ ){0,2}demands",
            r"(?:lift\w*|eas\w+|relax\w*|end\w*) (?:the |a |its )?(?:\w+ ){0,2}ban",
            r"legali[sz]\w+",
            r"allow\w* (?:\w+ ){0,3}(?:opposition|parties|demonstrations|protests|rallies)",
        ),
        # 114 "complain officially", 113 "rally opposition against", 115 "bring lawsuit
        # against", 116 "find guilty or liable": DISAPPROVE.
        *_cues(
            "DISAPPROVE",
            1.0,
            r"lodg\w+ (?:a |an )?(?:\w+ )?(?:complaint|protest)",
            r"(?:formal|official) (?:complaint|protest)",
            r"rall\w+ (?:\w+ ){0,2}(?:opposition|against)",
            r"sued",
            r"su(?:e|es|ing) (?:\w+ ){0,2}(?:for|over)",
            r"lawsuits?",
            r"filed (?:a )?(?:suit|complaint|case|charges)",
            r"to court",
            r"convict\w+",
            r"found (?:\w+ ){0,2}guilty",
            mode="accuse",
        ),
        # 152-154 "increase military or police alert status, mobilize armed forces",
        # 150 "demonstrate military or police power": MOBILIZE.
        *_material(
            "MOBILIZE",
            1.0,
            r"(?:rais\w+|increas\w+|heighten\w*|put|placed|plac\w+) (?:\w+ ){0,4}alert",
            r"alert",
            r"show of force",
            r"(?:military|naval|war) (?:exercises|manoeuvres|maneuvers|drills)",
            mode="troops",
        ),
        # 064 "share intelligence", 063 "judicial cooperation": COOPERATE.
        *_cues("COOPERATE", 1.0, r"extradit\w+"),
        # 071-075 "provide aid", "provide military protection or peacekeeping": AID.
        *_cues(
            "AID",
            1.0,
            r"provid\w+ (?:\w+ ){0,3}(?:aid|assistance|food|medicine|supplies|funds|loans?|"
            r"credits?|protection|shelter|weapons|arms)",
            r"peacekeep\w+",
        ),
        # 045 "engage in mediation", 041 "discuss by telephone": CONSULT.
        *_cues(
            "CONSULT", 0.8, r"mediat\w+", r"(?:tele)?phone calls?", r"spoke (?:by|on the) phone"
        ),
        # 143 "conduct strike or boycott", 144 "obstruct passage, block": PROTEST.
        *_material("PROTEST", 0.8, r"boycott\w*", r"obstruct\w*", mode="boycott"),
    ]
)
"""Cues read from the PLOVER specification's CAMEO-to-PLOVER correspondence (see above)."""

CUES: tuple[Cue, ...] = CODEBOOK_CUES + tuple(
    [
        *_cues(
            "AGREE",
            1.0,
            r"agree[sd]?",
            r"agreeing",
            r"accept(?:s|ed|ing)?",
            r"sign(?:s|ed)? (?:a |an |the )?(?:\w+ ){0,2}(?:accord|agreement|deal|pact|treaty)",
            r"consent\w*",
            r"endorse[sd]? (?:a |the )?(?:plan|proposal|deal)",
        ),
        *_cues(
            "AGREE",
            0.8,
            r"offer(?:s|ed|ing)?",
            r"promis\w+",
            r"pledg\w+",
            r"commit(?:s|ted)? to",
            r"willing(?:ness)? to",
            r"(?:reached|struck) (?:an? )?(?:\w+ )?(?:agreement|deal|accord)",
        ),
        *_cues(
            "CONCEDE",
            1.0,
            r"conced\w+",
            r"concession\w*",
            r"yield(?:s|ed)?",
            r"gave in",
            r"give in",
            r"back(?:ed)? down",
            r"relent\w*",
            r"lift(?:s|ed)? (?:the |a |its )?(?:\w+ )?restrictions",
            r"ease[sd]? (?:the |its )?(?:\w+ )?restrictions",
            r"allow(?:s|ed)? (?:\w+ ){0,3}to return",
            r"compl(?:y|ied|ies) with",
        ),
        *_cues(
            "RETREAT",
            1.0,
            r"withdr[ae]w\w*",
            r"pull(?:s|ed)? (?:out|back)",
            r"retreat\w*",
            r"evacuat\w+",
            r"demobili[sz]\w+",
            r"disarm\w*",
            r"cease-?fire",
            r"truce",
            r"de-?escalat\w+",
        ),
        *_cues(
            "DEMAND",
            1.0,
            r"demand\w*",
            r"call(?:s|ed|ing)? (?:on|upon)",
            r"urg(?:e|es|ed|ing)",
            r"insist\w*",
            r"press(?:es|ed)? for",
        ),
        *_cues(
            "DEMAND",
            0.7,
            r"call(?:s|ed|ing)? for",
            r"ask(?:s|ed)?",
            r"request\w*",
            r"appeal\w*",
            r"sought",
            r"seek\w*",
            r"want(?:s|ed)?",
        ),
        *_cues(
            "REJECT",
            1.0,
            r"reject\w*",
            r"refus\w+",
            r"declin(?:e|es|ed|ing)",
            r"veto\w*",
            r"turn(?:s|ed)? down",
            r"rule[sd]? out",
            r"dismiss\w*",
            r"renege\w*",
            r"defi(?:ed|es)",
            r"defy\w*",
            r"violat\w+",
        ),
        *_cues("REJECT", 0.6, r"denied", r"deny", r"denies", r"non-negotiable", r"will not accept"),
        *_cues("THREATEN", 1.0, r"threat\w*", r"warn(?:s|ed|ing)?", r"ultimatum"),
        # Protest actions are material: announced ("would strike") they are threats
        # (PLOVER codes a threat to protest as THREATEN).
        *_material(
            "PROTEST",
            1.0,
            r"protest\w*",
            r"demonstrat\w+",
            r"rall(?:y|ies|ied)",
            r"march(?:ed|es)?",
            r"sit-in",
            r"riot\w*",
        ),
        *_material("PROTEST", 1.0, r"hunger strike\w*", mode="strike-hun"),
        *_material("PROTEST", 0.8, r"strike[sd]?", r"walk-?out", mode="strike-gen"),
        *_material(
            "PROTEST",
            0.8,
            r"block(?:ed|ade[sd]?)? (?:\w+ ){0,2}(?:roads?|transport|traffic|highways?|access)",
            mode="obstruct",
        ),
        *_cues(
            "DISAPPROVE",
            1.0,
            r"criticis\w+",
            r"criticiz\w+",
            r"condemn\w*",
            r"denounc\w+",
            r"accus\w+",
            r"blam\w+",
            r"complain\w*",
            r"deplor\w+",
            r"censur\w+",
            r"rebuk\w+",
            r"protested to",
            r"summon(?:s|ed)? (?:\w+ ){0,3}(?:ambassador|envoy|charg\w+)",
        ),
        *_cues(
            "DISAPPROVE",
            0.8,
            r"alleg\w+",
            r"disinformation",
            r"propaganda",
            r"misrepresent\w*",
            r"baseless",
            r"unfounded",
            r"lies",
            r"lying",
            r"object(?:s|ed)? to",
            r"oppos(?:e|es|ed|ing)",
            mode="accuse",
        ),
        # Characterisation terms (issue 14): calling the other side's demand or account
        # "unrelated", "unrealistic"... is a verbal disapproval of it.
        *_cues(
            "DISAPPROVE",
            0.8,
            r"unrelated",
            r"irrelevant",
            r"unrealistic",
            r"misinformation",
            r"fabricat\w+",
            mode="accuse",
        ),
        *_cues(
            "SUPPORT",
            1.0,
            r"prais\w+",
            r"support\w*",
            r"endors\w+",
            r"welcom\w+",
            r"commend\w*",
            r"hail\w*",
            r"applaud\w*",
            r"back(?:s|ed|ing)? (?!down)",
            r"congratulat\w+",
            r"voic\w+ (?:\w+ )?(?:support|solidarity)",
        ),
        *_cues(
            "CONSULT",
            1.0,
            r"met",
            r"meet(?:s|ing|ings)?",
            r"talks",
            r"consult\w*",
            r"discuss\w*",
            r"negotiat\w+",
            r"telephon\w+",
            r"conferr\w+",
            r"summit",
        ),
        *_cues("CONSULT", 1.0, r"visit\w*", r"host(?:s|ed)?", mode="visit"),
        *_cues(
            "COOPERATE",
            1.0,
            r"cooperat\w+",
            r"co-operat\w+",
            r"collaborat\w+",
            r"joint (?:\w+ )?(?:exercises?|patrols?|operations?|war games)",
            r"war games",
            r"(?:diplomatic )?relations with",
            r"shar(?:e|ed|ing) (?:\w+ )?intelligence",
            r"allian\w+",
        ),
        *_cues(
            "AID",
            1.0,
            r"aid",
            r"assistance",
            r"donat\w+",
            r"humanitarian",
            r"relief",
            r"asylum",
            r"loan\w*",
            r"grant(?:s|ed)? (?:\w+ ){0,3}(?:asylum|aid|loan|credit)",
            r"suppl(?:y|ies|ied) (?:\w+ ){0,2}(?:food|medicine|weapons|arms)",
            r"sent (?:\w+ ){0,3}(?:food|medicine|supplies|doctors)",
        ),
        *_cues(
            "INVESTIGATE",
            1.0,
            r"investigat\w+",
            r"probe[sd]?",
            r"inquir(?:y|ies)",
            r"enquir(?:y|ies)",
            r"inspect\w*",
            r"look(?:ed|ing)? into",
            r"fact-finding",
        ),
        *_material(
            "MOBILIZE",
            1.0,
            r"mobili[sz]\w+",
            r"deploy\w*",
            r"mass(?:ed|ing) (?:\w+ )?(?:troops|forces)",
            r"(?:high|full|red) alert",
            r"reinforc\w+",
            r"prepar\w+ (?:to )?(?:resume|launch|attack)",
            mode="troops",
        ),
        *_material(
            "COERCE",
            1.0,
            r"arrest\w*",
            r"detain(?!ee)\w*",  # the act, not the detainees
            r"detention",
            r"crackdown",
            r"crack(?:ed)? down",
            r"raid(?:s|ed)?",
            r"seiz\w+",
            r"confiscat\w+",
            r"censor\w*",
            r"expel\w*",
            r"deport\w*",
            r"banned",
            r"outlaw\w*",
            r"martial law",
            r"state of emergency",
        ),
        *_material("COERCE", 1.0, r"curfew", mode="curfew"),
        *_material(
            "FIGHT",
            1.0,
            r"fight\w*",
            r"fought",
            r"clash\w*",
            r"battl\w+",
            r"shell(?:ed|ing|s)",
            r"bombard\w*",
            r"air ?strikes?",
            r"air raids?",
            r"exchang\w+ (?:of )?fire",
            r"offensive",
            r"gunships?",
            r"artillery",
            r"mortar\w*",
            r"invad\w+",
            r"invasion",
            mode="heavy-weapons",
        ),
        *_material("FIGHT", 0.7, r"attack(?:s|ed|ing)?", r"troops", r"soldiers"),
        *_material(
            "ASSAULT", 1.0, r"suicide (?:\w+ )?(?:bomb\w*|attack\w*)", mode="suicide-attack"
        ),
        *_material("ASSAULT", 1.0, r"assassinat\w+", mode="assassinate"),
        *_material(
            "ASSAULT",
            1.0,
            r"bomb(?:s|ed|ing|ings)?",
            r"explosive\w*",
            r"car bomb",
            r"grenade\w*",
            r"ied",
            mode="explosives",
        ),
        *_material(
            "ASSAULT",
            0.8,
            r"kill(?:s|ed|ing)?",
            r"massacr\w+",
            r"gunmen",
            r"kidnap\w*",
            r"abduct\w*",
            r"hostage\w*",
            r"terroris\w+",
            r"militants",
            mode="violence",
        ),
        *_material(
            "SANCTION",
            1.0,
            r"sanction\w*",
            r"embargo\w*",
            r"suspend\w*",
            r"freez\w+ (?:\w+ )?assets",
            r"cut (?:off )?(?:\w+ ){0,2}(?:ties|aid|relations|supplies|funding)",
            r"reduc\w+ (?:\w+ ){0,2}(?:aid|supplies|funding)",
            r"recall\w* (?:\w+ ){0,2}(?:ambassador|envoy)",
            r"broke off",
            r"break off",
            r"sever\w*",
            r"halt\w*",
            r"expel\w* (?:\w+ ){0,2}diplomats",
        ),
    ]
)
"""Every cue, in no particular order (scores add up per category)."""


@dataclass(frozen=True)
class Characterisation:
    """A term that characterises another party's position, claim or commitment.

    Attributes:
        pattern: Regular expression over the lower-cased sentence.
        claim: What the term asserts about the thing it qualifies: ``relevance`` (it is
            not about the issue: a record of the position on the issue can decide it),
            ``feasibility`` and ``legitimacy`` (judgements no record item decides),
            ``truth`` (the other side's account is false), ``existence`` (a commitment
            or a demand does not exist).
    """

    pattern: str
    claim: str


CHARACTERISATIONS: tuple[Characterisation, ...] = (
    Characterisation(r"unrelated", "relevance"),
    Characterisation(r"irrelevant", "relevance"),
    Characterisation(r"(?:has|have) nothing to do with", "relevance"),
    Characterisation(r"not (?:related|relevant) to", "relevance"),
    Characterisation(r"beside the point", "relevance"),
    Characterisation(r"unrealistic", "feasibility"),
    Characterisation(r"impractical", "feasibility"),
    Characterisation(r"impossible", "feasibility"),
    Characterisation(r"unworkable", "feasibility"),
    Characterisation(r"realistic", "feasibility"),
    Characterisation(r"non-negotiable", "legitimacy"),
    Characterisation(r"(?:il)?legitimate", "legitimacy"),
    Characterisation(r"(?:un)?justified", "legitimacy"),
    Characterisation(r"unreasonable", "legitimacy"),
    Characterisation(r"baseless", "truth"),
    Characterisation(r"unfounded", "truth"),
    Characterisation(r"disinformation", "truth"),
    Characterisation(r"misinformation", "truth"),
    Characterisation(r"propaganda", "truth"),
    Characterisation(r"false", "truth"),
    Characterisation(r"lies", "truth"),
    Characterisation(r"fabricat\w+", "truth"),
    Characterisation(r"never (?:promised|committed|signed|agreed)", "existence"),
    Characterisation(
        r"no (?:such )?(?:commitment|promise|guarantee)s? "
        r"(?:was|were|has been|have been) (?:given|made|signed)",
        "existence",
    ),
)
"""Characterisation terms the checker tests against the record (see ``check.py``)."""

"""The coder: rule known answers with evidence, negation, modality, language, actors."""

from __future__ import annotations

import pytest

from detente.statements.coder import Coder
from detente.statements.io import CodingInput
from detente.statements.lexicon import CANNOT_DETERMINE
from detente.statements.rules import characterisations, rule_scores

RULES = Coder(embedder=None, training=[])  # the rules alone: no training, no model

KNOWN = [
    # (text, category, evidence span, mode)
    ("Kabul refused to provide written guarantees.", "REJECT", "refused", None),
    ("Pakistan demanded that Kabul deny safe havens to the TTP.", "DEMAND", "demanded", None),
    ("The Hamas threatened to resume terrorist attacks.", "THREATEN", "threatened", "violence"),
    ("The two sides did not agree on a text.", "REJECT", "agree", None),
    (
        "Farmers said they would blockade roads into the capital.",
        "THREATEN",
        "blockade roads",
        "obstruct",
    ),
    (
        "Students began a hunger strike outside parliament.",
        "PROTEST",
        "hunger strike",
        "strike-hun",
    ),
    ("The minister condemned the shelling of the village.", "DISAPPROVE", "condemned", None),
    ("The envoy praised the mediators' efforts.", "SUPPORT", "praised", None),
    ("Police imposed a curfew on the town.", "COERCE", "imposed a curfew", "curfew"),
    ("Officials called the demand unrelated and unrealistic.", "DISAPPROVE", "unrelated", "accuse"),
]


@pytest.mark.parametrize(("text", "category", "span", "mode"), KNOWN)
def test_rule_known_answers(text: str, category: str, span: str, mode: str | None) -> None:
    (code,) = RULES.code([CodingInput(id="x", text=text)])
    assert code["plover"] == category
    assert code["evidence"]["kind"] == "rule"
    assert code["evidence"]["text"] == span
    start, end = code["evidence"]["start"], code["evidence"]["end"]
    assert text[start:end] == span
    assert code["mode"] == mode
    assert 0 < code["score"] <= 1


def test_negation_moves_positive_cues_to_reject() -> None:
    agree = rule_scores("They agreed to the plan.")
    negated = rule_scores("They never agreed to the plan.")
    assert agree.evidence["AGREE"].rule.startswith("cue")
    assert "AGREE" not in negated.evidence
    assert negated.evidence["REJECT"].rule.startswith("negated AGREE")


def test_characterisations_and_their_negation() -> None:
    got = [(w, c) for w, c, _ in characterisations("They called it unrelated and unrealistic.")]
    assert got == [("unrelated", "relevance"), ("unrealistic", "feasibility")]
    assert characterisations("The demand is not unrealistic.") == []


def test_unsupported_language_is_not_guessed() -> None:
    codes = RULES.code(
        [
            CodingInput(id="fr", text="Le Pakistan exige des garanties écrites.", language="fr"),
            CodingInput(id="ps", text="پاکستان د لیکلي تضمین غوښتنه وکړه", language="en"),
            CodingInput(id="none", text="Quiet day by the river."),
        ]
    )
    assert [c["plover"] for c in codes] == [CANNOT_DETERMINE] * 3
    assert "language" in codes[0]["evidence"]["reason"]
    assert codes[0]["score"] == 0.0


def test_actors_from_aliases_source_before_target_after() -> None:
    coder = Coder(
        embedder=None,
        training=[],
        aliases={"PAK": ["Pakistan", "Islamabad"], "AFG": ["Kabul", "Taliban"]},
    )
    (c,) = coder.code([CodingInput(id="x", text="Islamabad accused Kabul of harbouring the TTP.")])
    assert (c["plover"], c["source"], c["target"]) == ("DISAPPROVE", "PAK", ["AFG"])
    (c,) = coder.code([CodingInput(id="y", text="Kabul accused Islamabad of shifting blame.")])
    assert (c["source"], c["target"]) == ("AFG", ["PAK"])


def test_issue_coded_from_case_issues_when_absent() -> None:
    coder = Coder(
        embedder=None,
        training=[],
        issues={
            "sanctuaries": "What will Kabul do about TTP safe havens camps",
            "guarantee": "What form will any commitment take written guarantee",
        },
    )
    codes = coder.code(
        [
            CodingInput(id="a", text="Pakistan demanded a written guarantee."),
            CodingInput(id="b", text="Pakistan demanded that the safe havens be closed."),
        ]
    )
    assert [c["issue"] for c in codes] == ["guarantee", "sanctuaries"]


def test_trained_coder_records_its_method_and_uses_training(data_dir: object) -> None:
    coder = Coder(embedder=None)  # trained on the shipped PLOVER development half
    assert coder.training and coder.model is not None
    assert coder.method.startswith("rules+none+logistic(n=158")
    (c,) = coder.code([CodingInput(id="x", text="Kabul refused to provide written guarantees.")])
    assert c["plover"] == "REJECT"
    assert len(c["alternatives"]) == 2


def test_evaluation_figures_known_answers() -> None:
    import numpy as np

    from detente.statements.evaluate import macro_f1, per_class_f1, wilson_interval
    from detente.statements.lexicon import CATEGORIES

    # Wilson (1927) for 50 of 100: 0.4038-0.5962 (z = 1.96); bounded to [0, 1] at the ends.
    lo, hi = wilson_interval(0.5, 100)
    assert (round(lo, 4), round(hi, 4)) == (0.4038, 0.5962)
    assert wilson_interval(1.0, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0.0, 10)[0] == pytest.approx(0.0)
    assert wilson_interval(1.0, 10)[0] == pytest.approx(0.7225, abs=1e-4)
    agree, demand, reject = (CATEGORIES.index(c) for c in ("AGREE", "DEMAND", "REJECT"))
    gold = np.asarray([agree, agree, demand, demand])
    pred = np.asarray([agree, demand, demand, reject])
    f1 = per_class_f1(gold, pred)
    # AGREE: tp 1, fn 1 -> 2/3; DEMAND: tp 1, fp 1, fn 1 -> 1/2; REJECT: fp 1 -> 0
    assert f1 == {"AGREE": 2 / 3, "DEMAND": 0.5, "REJECT": 0.0}
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)


# Hand-written sentences (not from the PLOVER files) for the cues read from the PLOVER
# specification's CAMEO-to-PLOVER correspondence: (text, category, evidence span).
CODEBOOK = [
    ("The two governments signed a border treaty on Monday.", "SUPPORT", "signed a border treaty"),
    ("The minister apologized for the remarks.", "SUPPORT", "apologized"),
    ("Rebels released twelve soldiers held since May.", "RETREAT", "released"),
    ("The government allowed UN inspectors into the site.", "RETREAT", "allowed UN inspectors"),
    (
        "The country withdrew its ambassador from the capital.",
        "SANCTION",
        "withdrew its ambassador",
    ),
    ("The opposition halted talks with the government.", "SANCTION", "halted talks"),
    ("Both armies violated the ceasefire overnight.", "FIGHT", "violated the ceasefire"),
    ("Militants hijacked a bus near the border.", "ASSAULT", "hijacked"),
    ("Troops occupied the border town.", "COERCE", "occupied"),
    ("The party filed a lawsuit against the ministry.", "DISAPPROVE", "lawsuit"),
]


@pytest.mark.parametrize(("text", "category", "span"), CODEBOOK)
def test_codebook_cues(text: str, category: str, span: str) -> None:
    (code,) = RULES.code([CodingInput(id="x", text=text)])
    assert (code["plover"], code["evidence"]["text"]) == (category, span)


@pytest.mark.parametrize(
    ("text", "category", "action"),
    [
        # CAMEO 124 "decline to yield", 1053 "demand release", 13 "threaten", 03 "express
        # intent to": the frame decides, whatever the action
        ("The army refused to release the detainees.", "REJECT", "RETREAT"),
        ("The union called on the state to release the detainees.", "DEMAND", "RETREAT"),
        ("The rebels offered to release the detainees.", "AGREE", "RETREAT"),
        ("The ministry threatened to expel the diplomats.", "THREATEN", "SANCTION"),
    ],
)
def test_action_frames_move_the_action_to_the_frame(text: str, category: str, action: str) -> None:
    (code,) = RULES.code([CodingInput(id="x", text=text)])
    assert code["plover"] == category
    assert action not in rule_scores(text).evidence  # the action scored for its frame


def test_announced_cooperative_action_is_agree_and_hostile_one_a_threat() -> None:
    agree = rule_scores("The rebels will release the detainees.")
    assert agree.evidence["AGREE"].rule.startswith("announced RETREAT")
    (code,) = RULES.code([CodingInput(id="x", text="The rebels will release the detainees.")])
    assert code["plover"] == "AGREE"
    (code,) = RULES.code([CodingInput(id="y", text="The rebels will attack the town.")])
    assert code["plover"] == "THREATEN"
    # without a frame, the action is its own category
    (code,) = RULES.code([CodingInput(id="z", text="The rebels released the detainees.")])
    assert code["plover"] == "RETREAT"

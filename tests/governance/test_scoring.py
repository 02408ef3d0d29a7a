"""The questionnaire's scoring: a table of answers → raw score, mitigation, level and category,
including the boundaries between levels and the rules that override the score."""

from __future__ import annotations

import pytest

from governance import questionnaire
from governance.questionnaire import AnswerError, score

LOW = {
    "purpose": "internal_productivity",
    "people": "staff",
    "autonomy": "suggestion",
    "data": "none",
    "reversibility": "easy",
    "scale": "pilot",
    "interaction": "none",
    "mitigations": [],
}


def answers(**changes) -> dict:
    return {**LOW, **changes}


# raw = purpose + people + autonomy + data + reversibility + scale + interaction; residual = raw − mitigations.
CASES = [
    # (answers, raw, mitigation, level, category)
    (answers(), 0, 0, 1, "minimal"),
    # residual 4: the top of level I
    (answers(purpose="case_triage", people="wide_public"), 4, 0, 1, "minimal"),
    # residual 5: the bottom of level II
    (answers(purpose="case_triage", people="vulnerable"), 5, 0, 2, "minimal"),
    # residual 8: the top of level II
    (answers(purpose="case_triage", people="vulnerable", autonomy="automated"), 8, 0, 2, "minimal"),
    # residual 9: the bottom of level III
    (answers(purpose="case_triage", people="vulnerable", autonomy="automated", data="personal"), 9, 0, 3, "minimal"),
    # residual 12: the top of level III
    (
        answers(purpose="case_triage", people="vulnerable", autonomy="automated", data="special", scale="regional"),
        12,
        0,
        3,
        "minimal",
    ),
    # residual 13: level IV
    (
        answers(purpose="case_triage", people="vulnerable", autonomy="automated", data="special", scale="national"),
        13,
        0,
        4,
        "minimal",
    ),
    # the same raw 13, brought to 9 (level III) by four safeguards
    (
        answers(
            purpose="case_triage",
            people="vulnerable",
            autonomy="automated",
            data="special",
            scale="national",
            mitigations=["human_review", "logging", "bias_testing", "dpia"],
        ),
        13,
        4,
        3,
        "minimal",
    ),
    # and to 8 (level II) by five
    (
        answers(
            purpose="case_triage",
            people="vulnerable",
            autonomy="automated",
            data="special",
            scale="national",
            mitigations=["human_review", "logging", "bias_testing", "dpia", "fallback"],
        ),
        13,
        5,
        2,
        "minimal",
    ),
    # mitigations never take the residual below zero
    (answers(mitigations=["human_review", "logging"]), 0, 2, 1, "minimal"),
    # people talk to it → limited (transparency), whatever the low score
    (answers(purpose="public_information", interaction="conversation"), 2, 0, 1, "limited"),
    (answers(interaction="published_content"), 1, 0, 1, "limited"),
    # Annex III areas → high-risk, and at least level III even when well mitigated
    (
        answers(
            purpose="essential_services",
            mitigations=["human_review", "logging", "bias_testing", "dpia", "fallback", "transparency_notice"],
        ),
        5,
        6,
        3,
        "high_risk",
    ),
    (answers(purpose="employment"), 5, 0, 3, "high_risk"),
    (
        answers(
            purpose="migration",
            people="vulnerable",
            autonomy="automated",
            data="special",
            reversibility="hard",
            scale="national",
            interaction="conversation",
        ),
        19,
        0,
        4,
        "high_risk",
    ),
    # high-risk wins over limited
    (answers(purpose="education_access", interaction="conversation"), 6, 0, 3, "high_risk"),
    # prohibited practices → prohibited and level IV, whatever the safeguards
    (
        answers(
            purpose="social_scoring",
            mitigations=["human_review", "logging", "bias_testing", "dpia", "fallback", "transparency_notice"],
        ),
        5,
        6,
        4,
        "prohibited",
    ),
    (answers(purpose="realtime_biometric_public"), 5, 0, 4, "prohibited"),
]


@pytest.mark.parametrize("given, raw, mitigation, level, category", CASES)
def test_scoring_table(given, raw, mitigation, level, category):
    result = score(given)
    assert (result.raw, result.mitigation, result.level, result.category) == (raw, mitigation, level, category)


def test_obligations_follow_the_category_and_level():
    assert score(answers(purpose="employment")).obligations == [
        "human_review",
        "logging",
        "transparency_notice",
        "bias_evaluation",
        "registration",
    ]
    assert score(answers(interaction="conversation")).obligations == ["transparency_notice"]
    assert score(answers()).obligations == []
    assert score(answers(purpose="social_scoring")).obligations == []
    assert score(answers(purpose="social_scoring")).prohibited
    # a minimal-category use with a high residual risk still needs oversight and logs
    high = score(
        answers(purpose="case_triage", people="vulnerable", autonomy="automated", data="special", scale="national")
    )
    assert (high.category, high.level, high.obligations) == ("minimal", 4, ["human_review", "logging"])


def test_the_level_labels():
    assert [score(a).level_label for a, *_ in CASES[0:7:2]] == ["I", "II", "III", "IV"]


@pytest.mark.parametrize(
    "given, field",
    [
        ({**LOW, "purpose": "nonsense"}, "purpose"),
        ({**LOW, "mitigations": ["magic"]}, "mitigations"),
        ({**LOW, "colour": "blue"}, "answers"),
        ({k: v for k, v in LOW.items() if k != "scale"}, "scale"),
        ({**LOW, "people": ["staff"]}, "people"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(given, field):
    with pytest.raises(AnswerError) as caught:
        score(given)
    assert caught.value.field == field
    assert str(caught.value)


def test_every_option_of_every_question_scores():
    for question in questionnaire.questions():
        for value, _, _ in question["options"]:
            given = answers(**{question["key"]: [value] if question.get("multiple") else value})
            assert score(given).level in {1, 2, 3, 4}

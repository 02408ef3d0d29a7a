"""The impact-assessment questionnaire as data, and its scoring.

Each version is frozen once used: an assessment records the version it answered, so changing
weights means adding version 2, never editing version 1. Scoring:

- raw risk score: the sum of the weights of the chosen answers (0–20 in version 1);
- mitigation score: one point per mitigation in place (0–6);
- residual = max(raw − mitigation, 0), and the impact level from it: I ≤ 4 < II ≤ 8 < III ≤ 12 < IV;
- EU AI Act category from explicit rules on the answers (not from the score): prohibited
  practices (Art. 5) → prohibited; Annex III areas → high_risk; interaction with people or
  generated content → limited; else minimal;
- a high-risk use is at least level III whatever its mitigations; a prohibited one is level IV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CURRENT_VERSION = 1

PROHIBITED_PURPOSES = {"social_scoring", "realtime_biometric_public", "manipulation"}
HIGH_RISK_PURPOSES = {"employment", "education_access", "essential_services", "law_enforcement", "migration", "justice"}
LIMITED_INTERACTIONS = {"conversation", "published_content"}

# Question key → (question, hint, [(value, label, weight)]); "mitigations" is a multiple choice.
QUESTIONS: dict[int, list[dict]] = {
    1: [
        {
            "key": "purpose",
            "text": gettext_lazy("What is the AI used for?"),
            "hint": gettext_lazy("Choose the closest purpose."),
            "options": [
                ("internal_productivity", gettext_lazy("Internal productivity (drafting, summarising, search)"), 0),
                ("public_information", gettext_lazy("Informing the public (answers, translations, guidance)"), 1),
                ("case_triage", gettext_lazy("Prioritising casework without deciding outcomes"), 2),
                ("essential_services", gettext_lazy("Eligibility for public benefits or essential services"), 5),
                ("employment", gettext_lazy("Recruitment or management of staff"), 5),
                ("education_access", gettext_lazy("Admission to or assessment in education"), 5),
                ("law_enforcement", gettext_lazy("Law enforcement"), 5),
                ("migration", gettext_lazy("Migration, asylum or border control"), 5),
                ("justice", gettext_lazy("Administration of justice or democratic processes"), 5),
                ("social_scoring", gettext_lazy("Scoring people's social behaviour to treat them differently"), 5),
                (
                    "realtime_biometric_public",
                    gettext_lazy("Real-time remote biometric identification in public spaces"),
                    5,
                ),
                ("manipulation", gettext_lazy("Influencing people's behaviour through manipulative techniques"), 5),
            ],
        },
        {
            "key": "people",
            "text": gettext_lazy("Who is affected by its outputs?"),
            "hint": "",
            "options": [
                ("staff", gettext_lazy("Our staff only"), 0),
                ("some_public", gettext_lazy("Some members of the public"), 1),
                ("wide_public", gettext_lazy("A large part of the population"), 2),
                (
                    "vulnerable",
                    gettext_lazy("People in a vulnerable situation (children, patients, applicants for aid)"),
                    3,
                ),
            ],
        },
        {
            "key": "autonomy",
            "text": gettext_lazy("How autonomous are its decisions?"),
            "hint": "",
            "options": [
                ("suggestion", gettext_lazy("It suggests; a person decides and can ignore it"), 0),
                ("approved", gettext_lazy("It proposes decisions that a person approves one by one"), 1),
                ("automated_appeal", gettext_lazy("It decides; a person reviews on appeal"), 2),
                ("automated", gettext_lazy("It decides with no human review"), 3),
            ],
        },
        {
            "key": "data",
            "text": gettext_lazy("How sensitive is the data it uses?"),
            "hint": "",
            "options": [
                ("none", gettext_lazy("No personal data"), 0),
                ("personal", gettext_lazy("Personal data"), 1),
                (
                    "special",
                    gettext_lazy("Special-category data (health, biometric, ethnic origin…) or data on offences"),
                    3,
                ),
            ],
        },
        {
            "key": "reversibility",
            "text": gettext_lazy("Can the effects of a wrong output be undone?"),
            "hint": "",
            "options": [
                ("easy", gettext_lazy("Easily, at no cost to the person"), 0),
                ("effort", gettext_lazy("With some effort"), 1),
                ("hard", gettext_lazy("Only with difficulty or delay"), 2),
                ("irreversible", gettext_lazy("Not at all"), 3),
            ],
        },
        {
            "key": "scale",
            "text": gettext_lazy("At what scale will it run?"),
            "hint": "",
            "options": [
                ("pilot", gettext_lazy("A pilot (under 1,000 people)"), 0),
                ("regional", gettext_lazy("A region or one service"), 1),
                ("national", gettext_lazy("Nationwide"), 2),
            ],
        },
        {
            "key": "interaction",
            "text": gettext_lazy("Do people interact with it or see what it generates?"),
            "hint": "",
            "options": [
                ("none", gettext_lazy("No: outputs are used internally only"), 0),
                ("conversation", gettext_lazy("Yes: people converse with it"), 1),
                ("published_content", gettext_lazy("Yes: it generates content we publish"), 1),
            ],
        },
        {
            "key": "mitigations",
            "text": gettext_lazy("Which safeguards are in place?"),
            "hint": gettext_lazy("Select all that apply."),
            "multiple": True,
            "options": [
                ("human_review", gettext_lazy("Human review of outputs"), 1),
                ("bias_testing", gettext_lazy("Bias testing on representative data"), 1),
                ("logging", gettext_lazy("Logging for traceability"), 1),
                ("transparency_notice", gettext_lazy("Notice to affected people"), 1),
                ("dpia", gettext_lazy("Data protection impact assessment done"), 1),
                ("fallback", gettext_lazy("A non-AI fallback process"), 1),
            ],
        },
    ]
}

OBLIGATIONS = {
    "human_review": gettext_lazy("Human review of outputs that affect people"),
    "logging": gettext_lazy("Automatic logging of use, kept for traceability"),
    "transparency_notice": gettext_lazy("Transparency notice to the people concerned"),
    "bias_evaluation": gettext_lazy("Bias evaluation before use and at intervals"),
    "registration": gettext_lazy("Registration in the public register of high-risk AI systems"),
}
CATEGORY_OBLIGATIONS = {
    "prohibited": [],
    "high_risk": ["human_review", "logging", "transparency_notice", "bias_evaluation", "registration"],
    "limited": ["transparency_notice"],
    "minimal": [],
}
LEVEL_LABELS = {1: "I", 2: "II", 3: "III", 4: "IV"}


class AnswerError(ValueError):
    """A refusal of answers: `field` is the first question at fault, `errors` every one of them."""

    def __init__(self, message: str, field: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or {field: [message]}


@dataclass(frozen=True)
class Score:
    raw: int
    mitigation: int
    level: int
    category: str
    obligations: list[str] = field(default_factory=list)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def prohibited(self) -> bool:
        return self.category == "prohibited"


def questions(version: int = CURRENT_VERSION) -> list[dict]:
    return QUESTIONS[version]


def check(answers: dict, *, version: int = CURRENT_VERSION, complete: bool) -> dict:
    """The answers cleaned to known values; with `complete`, every question must be answered.
    Unknown questions or options raise AnswerError naming the question."""
    if not isinstance(answers, dict):
        raise AnswerError(_("Answers are a mapping of question to answer."), "answers")
    by_key = {q["key"]: q for q in questions(version)}
    clean: dict = {}
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            raise AnswerError(
                _("There is no question {key!r} in this questionnaire.").format(key=str(key)[:40]), "answers"
            )
        allowed = {o[0] for o in question["options"]}
        if question.get("multiple"):
            values = value if isinstance(value, list) else [value]
            if any(not isinstance(v, str) or v not in allowed for v in values):
                raise AnswerError(
                    _("Choose safeguards from the list for: {question_text}").format(question_text=question["text"]),
                    key,
                )
            clean[key] = sorted(set(values))
        elif value in (None, ""):
            continue
        elif not isinstance(value, str) or value not in allowed:
            raise AnswerError(
                _("Choose one of the answers for: {question_text}").format(question_text=question["text"]), key
            )
        else:
            clean[key] = value
    if complete:
        # Every missing answer at once, each against its question, as the page's error summary lists them.
        missing = {question["key"]: [missing_message(question)] for question in unanswered(clean, version=version)}
        if missing:
            first = next(iter(missing))
            raise AnswerError(missing[first][0], first, missing)
    return clean


def unanswered(answers: dict, *, version: int = CURRENT_VERSION) -> list[dict]:
    """The questions that must be answered before completion and have no answer, in their order.
    The safeguards (a multiple choice) may be left empty: none in place is an answer."""
    return [q for q in questions(version) if not q.get("multiple") and answers.get(q["key"]) in (None, "")]


def missing_message(question: dict) -> str:
    return _("Answer the question: {question_text}").format(question_text=question["text"])


def score(answers: dict, *, version: int = CURRENT_VERSION) -> Score:
    """Score a complete set of answers (see the module docstring for the rules)."""
    answers = check(answers, version=version, complete=True)
    raw = mitigation = 0
    for question in questions(version):
        weights = {o[0]: o[2] for o in question["options"]}
        if question.get("multiple"):
            mitigation += sum(weights[v] for v in answers.get(question["key"], []))
        else:
            raw += weights[answers[question["key"]]]
    residual = max(raw - mitigation, 0)
    level = 1 if residual <= 4 else 2 if residual <= 8 else 3 if residual <= 12 else 4
    purpose = answers["purpose"]
    if purpose in PROHIBITED_PURPOSES:
        category = "prohibited"
        level = 4
    elif purpose in HIGH_RISK_PURPOSES:
        category = "high_risk"
        level = max(level, 3)
    elif answers["interaction"] in LIMITED_INTERACTIONS:
        category = "limited"
    else:
        category = "minimal"
    obligations = list(CATEGORY_OBLIGATIONS[category])
    # A high residual risk brings oversight and traceability whatever the legal category.
    if category != "prohibited" and level >= 3:
        for extra in ("human_review", "logging"):
            if extra not in obligations:
                obligations.append(extra)
    return Score(raw, mitigation, level, category, obligations)

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

CURRENT_VERSION = 1

PROHIBITED_PURPOSES = {"social_scoring", "realtime_biometric_public", "manipulation"}
HIGH_RISK_PURPOSES = {"employment", "education_access", "essential_services", "law_enforcement", "migration", "justice"}
LIMITED_INTERACTIONS = {"conversation", "published_content"}

# Question key → (question, hint, [(value, label, weight)]); "mitigations" is a multiple choice.
QUESTIONS: dict[int, list[dict]] = {
    1: [
        {
            "key": "purpose",
            "text": "What is the AI used for?",
            "hint": "Choose the closest purpose.",
            "options": [
                ("internal_productivity", "Internal productivity (drafting, summarising, search)", 0),
                ("public_information", "Informing the public (answers, translations, guidance)", 1),
                ("case_triage", "Prioritising casework without deciding outcomes", 2),
                ("essential_services", "Eligibility for public benefits or essential services", 5),
                ("employment", "Recruitment or management of staff", 5),
                ("education_access", "Admission to or assessment in education", 5),
                ("law_enforcement", "Law enforcement", 5),
                ("migration", "Migration, asylum or border control", 5),
                ("justice", "Administration of justice or democratic processes", 5),
                ("social_scoring", "Scoring people's social behaviour to treat them differently", 5),
                ("realtime_biometric_public", "Real-time remote biometric identification in public spaces", 5),
                ("manipulation", "Influencing people's behaviour through manipulative techniques", 5),
            ],
        },
        {
            "key": "people",
            "text": "Who is affected by its outputs?",
            "hint": "",
            "options": [
                ("staff", "Our staff only", 0),
                ("some_public", "Some members of the public", 1),
                ("wide_public", "A large part of the population", 2),
                ("vulnerable", "People in a vulnerable situation (children, patients, applicants for aid)", 3),
            ],
        },
        {
            "key": "autonomy",
            "text": "How autonomous are its decisions?",
            "hint": "",
            "options": [
                ("suggestion", "It suggests; a person decides and can ignore it", 0),
                ("approved", "It proposes decisions that a person approves one by one", 1),
                ("automated_appeal", "It decides; a person reviews on appeal", 2),
                ("automated", "It decides with no human review", 3),
            ],
        },
        {
            "key": "data",
            "text": "How sensitive is the data it uses?",
            "hint": "",
            "options": [
                ("none", "No personal data", 0),
                ("personal", "Personal data", 1),
                ("special", "Special-category data (health, biometric, ethnic origin…) or data on offences", 3),
            ],
        },
        {
            "key": "reversibility",
            "text": "Can the effects of a wrong output be undone?",
            "hint": "",
            "options": [
                ("easy", "Easily, at no cost to the person", 0),
                ("effort", "With some effort", 1),
                ("hard", "Only with difficulty or delay", 2),
                ("irreversible", "Not at all", 3),
            ],
        },
        {
            "key": "scale",
            "text": "At what scale will it run?",
            "hint": "",
            "options": [
                ("pilot", "A pilot (under 1,000 people)", 0),
                ("regional", "A region or one service", 1),
                ("national", "Nationwide", 2),
            ],
        },
        {
            "key": "interaction",
            "text": "Do people interact with it or see what it generates?",
            "hint": "",
            "options": [
                ("none", "No: outputs are used internally only", 0),
                ("conversation", "Yes: people converse with it", 1),
                ("published_content", "Yes: it generates content we publish", 1),
            ],
        },
        {
            "key": "mitigations",
            "text": "Which safeguards are in place?",
            "hint": "Select all that apply.",
            "multiple": True,
            "options": [
                ("human_review", "Human review of outputs", 1),
                ("bias_testing", "Bias testing on representative data", 1),
                ("logging", "Logging for traceability", 1),
                ("transparency_notice", "Notice to affected people", 1),
                ("dpia", "Data protection impact assessment done", 1),
                ("fallback", "A non-AI fallback process", 1),
            ],
        },
    ]
}

OBLIGATIONS = {
    "human_review": "Human review of outputs that affect people",
    "logging": "Automatic logging of use, kept for traceability",
    "transparency_notice": "Transparency notice to the people concerned",
    "bias_evaluation": "Bias evaluation before use and at intervals",
    "registration": "Registration in the public register of high-risk AI systems",
}
CATEGORY_OBLIGATIONS = {
    "prohibited": [],
    "high_risk": ["human_review", "logging", "transparency_notice", "bias_evaluation", "registration"],
    "limited": ["transparency_notice"],
    "minimal": [],
}
LEVEL_LABELS = {1: "I", 2: "II", 3: "III", 4: "IV"}


class AnswerError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


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
        raise AnswerError("Answers are a mapping of question to answer.", "answers")
    by_key = {q["key"]: q for q in questions(version)}
    clean: dict = {}
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            raise AnswerError(f"There is no question {str(key)[:40]!r} in this questionnaire.", "answers")
        allowed = {o[0] for o in question["options"]}
        if question.get("multiple"):
            values = value if isinstance(value, list) else [value]
            if any(not isinstance(v, str) or v not in allowed for v in values):
                raise AnswerError(f"Choose safeguards from the list for: {question['text']}", key)
            clean[key] = sorted(set(values))
        elif value in (None, ""):
            continue
        elif not isinstance(value, str) or value not in allowed:
            raise AnswerError(f"Choose one of the answers for: {question['text']}", key)
        else:
            clean[key] = value
    if complete:
        for question in questions(version):
            if not question.get("multiple") and question["key"] not in clean:
                raise AnswerError(f"Answer the question: {question['text']}", question["key"])
    return clean


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

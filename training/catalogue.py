"""The platform catalogue as written by the programme team: five programmes, each of a few
Markdown modules with links and a short multiple-choice quiz. services.catalogue_sync() publishes
a new ProgrammeVersion whenever this text changes, and never edits an old one."""

from __future__ import annotations

from django.utils.translation import gettext_noop

PASS_MARK = 66  # percent of a module's questions: two of three

PROGRAMMES: list[dict] = [
    {
        "slug": "ai-literacy",
        "title": gettext_noop("AI literacy for civil servants"),
        "summary": gettext_noop(
            "What today's AI systems are, what they do well and badly, and the questions to ask before using one at work."
        ),
        "modules": [
            {
                "title": gettext_noop("What a language model does"),
                "body": (
                    "A language model predicts likely text from the text it is given. It has no access to "
                    "facts beyond what it learned in training and what you put in the prompt, unless the "
                    "service connects it to other sources.\n\n"
                    "## What follows for your work\n\n"
                    "- **Fluent is not the same as correct.** A confident answer can be invented. Check any "
                    "fact, figure, name or legal reference against a source you trust.\n"
                    "- **It reflects its training data.** Gaps and biases in that data show up in the "
                    "answers, often for the people a public service must serve most carefully.\n"
                    "- **What you type may be stored.** Only use services your administration has approved, "
                    "and never paste personal or classified information into anything else.\n"
                ),
                "links": [{"title": "OECD AI principles", "url": "https://oecd.ai/en/ai-principles"}],
                "quiz": [
                    {
                        "question": "A model gives a precise statistic with a source you have never heard of. What do you do?",
                        "options": [
                            "Use it: models are trained on reliable data",
                            "Check the figure and the source before using it",
                            "Ask the model whether it is sure",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "Where may you paste a citizen's case file to get a summary?",
                        "options": [
                            "Any free online chatbot",
                            "Only a service your administration approved for that data",
                            "Nowhere, ever",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "Why can a model treat some groups of people worse than others?",
                        "options": [
                            "Because its training data has gaps and biases",
                            "It cannot: software is neutral",
                            "Only if someone programmed it to",
                        ],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("Deciding whether AI fits a task"),
                "body": (
                    "Good first uses are tasks where a person reviews every output and a mistake is cheap "
                    "to catch: drafting, summarising long documents for a reader who has the original, "
                    "translating for understanding, searching a knowledge base.\n\n"
                    "Be careful with tasks that decide something about a person (benefits, permits, "
                    "sanctions). There the law usually requires a human decision, an explanation and a way "
                    "to appeal, and an impact assessment comes first.\n\n"
                    "Ask three questions: *Who is affected if it is wrong? Who checks the output? Can we "
                    "explain the result to the person concerned?*\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "Which is the better first use of AI in a ministry?",
                        "options": [
                            "Automatically refusing incomplete benefit claims",
                            "Drafting replies that an officer reviews before sending",
                            "Ranking job applicants without review",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "Before AI helps decide something about a person, what should come first?",
                        "options": ["A press release", "An impact assessment", "A larger model"],
                        "answer": 1,
                    },
                    {
                        "question": "Which question matters most when choosing a task?",
                        "options": [
                            "Who is affected if it is wrong, and who checks?",
                            "How new is the model?",
                            "How many words can it write?",
                        ],
                        "answer": 0,
                    },
                ],
            },
        ],
    },
    {
        "slug": "responsible-procurement",
        "title": gettext_noop("Responsible procurement of AI"),
        "summary": gettext_noop(
            "Buying AI services that stay under the country's control: requirements, evaluation and contract clauses."
        ),
        "modules": [
            {
                "title": gettext_noop("Writing the requirement"),
                "body": (
                    "Describe the **problem and the outcome**, not a product. State where data must be "
                    "stored and processed, who may access it, and how the country gets it back at the end.\n\n"
                    "Ask suppliers for evidence, not promises: documentation of the model and its limits, "
                    "results of tests on data like yours, and how they handle incidents.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "A good AI requirement describes…",
                        "options": [
                            "the brand of model wanted",
                            "the problem, the outcome and the data conditions",
                            "only the price ceiling",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "What should a supplier provide about the model's limits?",
                        "options": [
                            "Nothing, it is a trade secret",
                            "Documentation and test results on comparable data",
                            "A verbal assurance",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "What must the requirement say about the end of the contract?",
                        "options": [
                            "How the country gets its data back and the supplier deletes it",
                            "Nothing",
                            "That the supplier keeps the data for improvement",
                        ],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("Contract clauses that keep control"),
                "body": (
                    "- **Data use:** the supplier may not train on the country's data without written consent.\n"
                    "- **Residency:** processing in the agreed region only; sub-processors listed and approved.\n"
                    "- **Audit:** the country (or its auditor) may inspect logs and records.\n"
                    "- **Exit:** data returned in an open format, then deleted, with a certificate of deletion.\n"
                    "- **Change:** notice before the model or its terms change, and the right to stay on a version.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "May the supplier train its models on the ministry's prompts by default?",
                        "options": ["Yes", "Only with written consent", "Only at night"],
                        "answer": 1,
                    },
                    {
                        "question": "Which clause protects the country when the supplier changes its model?",
                        "options": ["Notice and the right to stay on a version", "A discount", "None is needed"],
                        "answer": 0,
                    },
                    {
                        "question": "Who approves sub-processors?",
                        "options": ["The supplier alone", "The country, from a listed set", "Nobody"],
                        "answer": 1,
                    },
                ],
            },
        ],
    },
    {
        "slug": "prompt-output-review",
        "title": gettext_noop("Prompt and output review"),
        "summary": gettext_noop(
            "Writing clear instructions for a model and reviewing what comes back before it reaches anyone."
        ),
        "modules": [
            {
                "title": gettext_noop("Writing a clear prompt"),
                "body": (
                    "Say who the text is for, what it must contain, the tone and the length. Give the "
                    "source material rather than asking the model to remember it. Ask for a format you "
                    "can check, such as a list with the paragraph each point comes from.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "Which prompt is clearer?",
                        "options": [
                            "Write about the new law",
                            "Summarise the attached law in five points for small business owners, citing the article of each",
                            "Be creative",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "Why give the source text in the prompt?",
                        "options": [
                            "So the answer rests on it rather than on the model's memory",
                            "It is slower",
                            "It makes no difference",
                        ],
                        "answer": 0,
                    },
                    {
                        "question": "Which output format is easiest to check?",
                        "options": ["Points each citing where they come from", "One long paragraph", "A poem"],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("Reviewing the output"),
                "body": (
                    "Before anything leaves your desk: check facts against the source, read it as the "
                    "person receiving it would, remove anything you cannot stand behind, and keep a note "
                    "that AI helped draft it where your administration requires that.\n\n"
                    "You are the author of what you send, whatever drafted it.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "Who is responsible for a letter drafted with AI and sent by you?",
                        "options": ["The supplier", "You", "The model"],
                        "answer": 1,
                    },
                    {
                        "question": "The draft cites an article that is not in the law. What do you do?",
                        "options": [
                            "Remove or correct it after checking the law",
                            "Send it anyway",
                            "Add more articles",
                        ],
                        "answer": 0,
                    },
                    {
                        "question": "When should you note that AI helped draft a text?",
                        "options": ["Never", "When your administration's rules require it", "Only if asked"],
                        "answer": 1,
                    },
                ],
            },
        ],
    },
    {
        "slug": "data-protection-ai",
        "title": gettext_noop("Data protection in AI projects"),
        "summary": gettext_noop(
            "Lawful basis, minimisation, retention and people's rights when personal data meets AI."
        ),
        "modules": [
            {
                "title": gettext_noop("Only the data you need"),
                "body": (
                    "Identify the lawful basis for each use of personal data before the project starts. "
                    "Use the least data that does the job: remove names and identifiers when they add "
                    "nothing, and prefer aggregated or synthetic data for testing.\n\n"
                    "Set how long prompts, outputs and logs are kept, and delete them on time.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "When is the lawful basis identified?",
                        "options": ["Before the project starts", "After launch", "Only if there is a complaint"],
                        "answer": 0,
                    },
                    {
                        "question": "Test data for a new assistant should preferably be…",
                        "options": [
                            "a full copy of production records",
                            "aggregated, anonymised or synthetic",
                            "whatever is at hand",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "How long are prompts and logs kept?",
                        "options": ["Forever", "For a set retention period, then deleted", "Until the disk is full"],
                        "answer": 1,
                    },
                ],
            },
            {
                "title": gettext_noop("People's rights"),
                "body": (
                    "People keep their rights when AI is involved: to be informed, to access their data, "
                    "to have it corrected, and not to be subject to a decision based solely on automated "
                    "processing that significantly affects them, unless the law provides safeguards.\n\n"
                    "Plan how you will answer these requests before you go live.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "A citizen asks what data the assistant used about them. This is…",
                        "options": ["an access request you must answer", "not your concern", "a security incident"],
                        "answer": 0,
                    },
                    {
                        "question": "A fully automated refusal of a permit…",
                        "options": [
                            "is always fine",
                            "needs a legal basis and safeguards such as human review",
                            "is forbidden to explain",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "When do you plan how to answer rights requests?",
                        "options": ["Before going live", "After the first complaint", "Never"],
                        "answer": 0,
                    },
                ],
            },
        ],
    },
    {
        "slug": "impact-assessment",
        "title": gettext_noop("Running an impact assessment"),
        "summary": gettext_noop(
            "How to assess the effects of an AI use on people and services, and act on what you find."
        ),
        "modules": [
            {
                "title": gettext_noop("Scoping the assessment"),
                "body": (
                    "Describe the use: its purpose, the people affected, the data, the model and who "
                    "reviews outputs. Involve the people who run the service and, where possible, those "
                    "it serves. An assessment is done **before** deployment and revisited when anything "
                    "important changes.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "When is an impact assessment done?",
                        "options": [
                            "Before deployment, and again after important changes",
                            "Once, after launch",
                            "Only when a journalist asks",
                        ],
                        "answer": 0,
                    },
                    {
                        "question": "Who should be involved?",
                        "options": [
                            "Only the supplier",
                            "The service team and, where possible, the people it serves",
                            "Nobody, it is a form",
                        ],
                        "answer": 1,
                    },
                    {
                        "question": "Which belongs in the description of the use?",
                        "options": [
                            "Purpose, people affected, data and human review",
                            "The supplier's logo",
                            "The model's parameter count only",
                        ],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("From risks to measures"),
                "body": (
                    "For each risk, say how likely and how severe it is, what measure reduces it, and who "
                    "owns that measure. Typical measures: human review of every output, a narrower scope, "
                    "testing for unequal error rates between groups, a clear way for people to complain.\n\n"
                    "If a severe risk has no measure, the answer is not yet.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": "Every risk in the assessment needs…",
                        "options": ["a measure and an owner", "a longer description", "nothing more"],
                        "answer": 0,
                    },
                    {
                        "question": "A severe risk has no workable measure. What follows?",
                        "options": ["Deploy and monitor", "Do not deploy yet", "Remove the risk from the list"],
                        "answer": 1,
                    },
                    {
                        "question": "Which is a measure against unequal treatment?",
                        "options": ["Testing error rates across groups", "Using a bigger model", "Hiding the results"],
                        "answer": 0,
                    },
                ],
            },
        ],
    },
]

# What the platform requires of everyone, whatever the country adds: (programme slug, role).
PLATFORM_REQUIREMENTS: list[tuple[str, str]] = [("ai-literacy", "country_admin"), ("ai-literacy", "officer")]

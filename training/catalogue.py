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
                "body": gettext_noop(
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
                "links": [{"title": gettext_noop("OECD AI principles"), "url": "https://oecd.ai/en/ai-principles"}],
                "quiz": [
                    {
                        "question": gettext_noop(
                            "A model gives a precise statistic with a source you have never heard of. What do you do?"
                        ),
                        "options": [
                            gettext_noop("Use it: models are trained on reliable data"),
                            gettext_noop("Check the figure and the source before using it"),
                            gettext_noop("Ask the model whether it is sure"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("Where may you paste a citizen's case file to get a summary?"),
                        "options": [
                            gettext_noop("Any free online chatbot"),
                            gettext_noop("Only a service your administration approved for that data"),
                            gettext_noop("Nowhere, ever"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("Why can a model treat some groups of people worse than others?"),
                        "options": [
                            gettext_noop("Because its training data has gaps and biases"),
                            gettext_noop("It cannot: software is neutral"),
                            gettext_noop("Only if someone programmed it to"),
                        ],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("Deciding whether AI fits a task"),
                "body": gettext_noop(
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
                        "question": gettext_noop("Which is the better first use of AI in a ministry?"),
                        "options": [
                            gettext_noop("Automatically refusing incomplete benefit claims"),
                            gettext_noop("Drafting replies that an officer reviews before sending"),
                            gettext_noop("Ranking job applicants without review"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop(
                            "Before AI helps decide something about a person, what should come first?"
                        ),
                        "options": [
                            gettext_noop("A press release"),
                            gettext_noop("An impact assessment"),
                            gettext_noop("A larger model"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("Which question matters most when choosing a task?"),
                        "options": [
                            gettext_noop("Who is affected if it is wrong, and who checks?"),
                            gettext_noop("How new is the model?"),
                            gettext_noop("How many words can it write?"),
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
                "body": gettext_noop(
                    "Describe the **problem and the outcome**, not a product. State where data must be "
                    "stored and processed, who may access it, and how the country gets it back at the end.\n\n"
                    "Ask suppliers for evidence, not promises: documentation of the model and its limits, "
                    "results of tests on data like yours, and how they handle incidents.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop("A good AI requirement describes…"),
                        "options": [
                            gettext_noop("the brand of model wanted"),
                            gettext_noop("the problem, the outcome and the data conditions"),
                            gettext_noop("only the price ceiling"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("What should a supplier provide about the model's limits?"),
                        "options": [
                            gettext_noop("Nothing, it is a trade secret"),
                            gettext_noop("Documentation and test results on comparable data"),
                            gettext_noop("A verbal assurance"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("What must the requirement say about the end of the contract?"),
                        "options": [
                            gettext_noop("How the country gets its data back and the supplier deletes it"),
                            gettext_noop("Nothing"),
                            gettext_noop("That the supplier keeps the data for improvement"),
                        ],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("Contract clauses that keep control"),
                "body": gettext_noop(
                    "- **Data use:** the supplier may not train on the country's data without written consent.\n"
                    "- **Residency:** processing in the agreed region only; sub-processors listed and approved.\n"
                    "- **Audit:** the country (or its auditor) may inspect logs and records.\n"
                    "- **Exit:** data returned in an open format, then deleted, with a certificate of deletion.\n"
                    "- **Change:** notice before the model or its terms change, and the right to stay on a version.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop(
                            "May the supplier train its models on the ministry's prompts by default?"
                        ),
                        "options": [
                            gettext_noop("Yes"),
                            gettext_noop("Only with written consent"),
                            gettext_noop("Only at night"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop(
                            "Which clause protects the country when the supplier changes its model?"
                        ),
                        "options": [
                            gettext_noop("Notice and the right to stay on a version"),
                            gettext_noop("A discount"),
                            gettext_noop("None is needed"),
                        ],
                        "answer": 0,
                    },
                    {
                        "question": gettext_noop("Who approves sub-processors?"),
                        "options": [
                            gettext_noop("The supplier alone"),
                            gettext_noop("The country, from a listed set"),
                            gettext_noop("Nobody"),
                        ],
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
                "body": gettext_noop(
                    "Say who the text is for, what it must contain, the tone and the length. Give the "
                    "source material rather than asking the model to remember it. Ask for a format you "
                    "can check, such as a list with the paragraph each point comes from.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop("Which prompt is clearer?"),
                        "options": [
                            gettext_noop("Write about the new law"),
                            gettext_noop(
                                "Summarise the attached law in five points for small business owners, citing the article of each"
                            ),
                            gettext_noop("Be creative"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("Why give the source text in the prompt?"),
                        "options": [
                            gettext_noop("So the answer rests on it rather than on the model's memory"),
                            gettext_noop("It is slower"),
                            gettext_noop("It makes no difference"),
                        ],
                        "answer": 0,
                    },
                    {
                        "question": gettext_noop("Which output format is easiest to check?"),
                        "options": [
                            gettext_noop("Points each citing where they come from"),
                            gettext_noop("One long paragraph"),
                            gettext_noop("A poem"),
                        ],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("Reviewing the output"),
                "body": gettext_noop(
                    "Before anything leaves your desk: check facts against the source, read it as the "
                    "person receiving it would, remove anything you cannot stand behind, and keep a note "
                    "that AI helped draft it where your administration requires that.\n\n"
                    "You are the author of what you send, whatever drafted it.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop("Who is responsible for a letter drafted with AI and sent by you?"),
                        "options": [gettext_noop("The supplier"), gettext_noop("You"), gettext_noop("The model")],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("The draft cites an article that is not in the law. What do you do?"),
                        "options": [
                            gettext_noop("Remove or correct it after checking the law"),
                            gettext_noop("Send it anyway"),
                            gettext_noop("Add more articles"),
                        ],
                        "answer": 0,
                    },
                    {
                        "question": gettext_noop("When should you note that AI helped draft a text?"),
                        "options": [
                            gettext_noop("Never"),
                            gettext_noop("When your administration's rules require it"),
                            gettext_noop("Only if asked"),
                        ],
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
                "body": gettext_noop(
                    "Identify the lawful basis for each use of personal data before the project starts. "
                    "Use the least data that does the job: remove names and identifiers when they add "
                    "nothing, and prefer aggregated or synthetic data for testing.\n\n"
                    "Set how long prompts, outputs and logs are kept, and delete them on time.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop("When is the lawful basis identified?"),
                        "options": [
                            gettext_noop("Before the project starts"),
                            gettext_noop("After launch"),
                            gettext_noop("Only if there is a complaint"),
                        ],
                        "answer": 0,
                    },
                    {
                        "question": gettext_noop("Test data for a new assistant should preferably be…"),
                        "options": [
                            gettext_noop("a full copy of production records"),
                            gettext_noop("aggregated, anonymised or synthetic"),
                            gettext_noop("whatever is at hand"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("How long are prompts and logs kept?"),
                        "options": [
                            gettext_noop("Forever"),
                            gettext_noop("For a set retention period, then deleted"),
                            gettext_noop("Until the disk is full"),
                        ],
                        "answer": 1,
                    },
                ],
            },
            {
                "title": gettext_noop("People's rights"),
                "body": gettext_noop(
                    "People keep their rights when AI is involved: to be informed, to access their data, "
                    "to have it corrected, and not to be subject to a decision based solely on automated "
                    "processing that significantly affects them, unless the law provides safeguards.\n\n"
                    "Plan how you will answer these requests before you go live.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop("A citizen asks what data the assistant used about them. This is…"),
                        "options": [
                            gettext_noop("an access request you must answer"),
                            gettext_noop("not your concern"),
                            gettext_noop("a security incident"),
                        ],
                        "answer": 0,
                    },
                    {
                        "question": gettext_noop("A fully automated refusal of a permit…"),
                        "options": [
                            gettext_noop("is always fine"),
                            gettext_noop("needs a legal basis and safeguards such as human review"),
                            gettext_noop("is forbidden to explain"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("When do you plan how to answer rights requests?"),
                        "options": [
                            gettext_noop("Before going live"),
                            gettext_noop("After the first complaint"),
                            gettext_noop("Never"),
                        ],
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
                "body": gettext_noop(
                    "Describe the use: its purpose, the people affected, the data, the model and who "
                    "reviews outputs. Involve the people who run the service and, where possible, those "
                    "it serves. An assessment is done **before** deployment and revisited when anything "
                    "important changes.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop("When is an impact assessment done?"),
                        "options": [
                            gettext_noop("Before deployment, and again after important changes"),
                            gettext_noop("Once, after launch"),
                            gettext_noop("Only when a journalist asks"),
                        ],
                        "answer": 0,
                    },
                    {
                        "question": gettext_noop("Who should be involved?"),
                        "options": [
                            gettext_noop("Only the supplier"),
                            gettext_noop("The service team and, where possible, the people it serves"),
                            gettext_noop("Nobody, it is a form"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("Which belongs in the description of the use?"),
                        "options": [
                            gettext_noop("Purpose, people affected, data and human review"),
                            gettext_noop("The supplier's logo"),
                            gettext_noop("The model's parameter count only"),
                        ],
                        "answer": 0,
                    },
                ],
            },
            {
                "title": gettext_noop("From risks to measures"),
                "body": gettext_noop(
                    "For each risk, say how likely and how severe it is, what measure reduces it, and who "
                    "owns that measure. Typical measures: human review of every output, a narrower scope, "
                    "testing for unequal error rates between groups, a clear way for people to complain.\n\n"
                    "If a severe risk has no measure, the answer is not yet.\n"
                ),
                "links": [],
                "quiz": [
                    {
                        "question": gettext_noop("Every risk in the assessment needs…"),
                        "options": [
                            gettext_noop("a measure and an owner"),
                            gettext_noop("a longer description"),
                            gettext_noop("nothing more"),
                        ],
                        "answer": 0,
                    },
                    {
                        "question": gettext_noop("A severe risk has no workable measure. What follows?"),
                        "options": [
                            gettext_noop("Deploy and monitor"),
                            gettext_noop("Do not deploy yet"),
                            gettext_noop("Remove the risk from the list"),
                        ],
                        "answer": 1,
                    },
                    {
                        "question": gettext_noop("Which is a measure against unequal treatment?"),
                        "options": [
                            gettext_noop("Testing error rates across groups"),
                            gettext_noop("Using a bigger model"),
                            gettext_noop("Hiding the results"),
                        ],
                        "answer": 0,
                    },
                ],
            },
        ],
    },
]

# What the platform requires of everyone, whatever the country adds: (programme slug, role).
PLATFORM_REQUIREMENTS: list[tuple[str, str]] = [("ai-literacy", "country_admin"), ("ai-literacy", "officer")]

"""The column headings of the public register's CSV in the reader's language, by column key
(tenants.languages.headings). The JSON and the CSV asked for with ?headings=keys keep the keys."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

LABELS = {
    "id": pgettext_lazy("column heading", "Entry number"),
    "state": pgettext_lazy("column heading", "State"),
    "name": pgettext_lazy("column heading", "Name"),
    "language": pgettext_lazy("column heading", "Language of the entry"),
    "version": pgettext_lazy("column heading", "Version"),
    "organisation": pgettext_lazy("column heading", "Organisation"),
    "what_it_does": pgettext_lazy("column heading", "What it does"),
    "why_it_is_used": pgettext_lazy("column heading", "Why it is used"),
    "accountable_role": pgettext_lazy("column heading", "Accountable role"),
    "accountable_person": pgettext_lazy("column heading", "Accountable person"),
    "how_to_ask_or_complain": pgettext_lazy("column heading", "How to ask a question or complain"),
    "contact_email": pgettext_lazy("column heading", "Contact email"),
    "model": pgettext_lazy("column heading", "Model"),
    "model_provider": pgettext_lazy("column heading", "Model provider"),
    "data_classification": pgettext_lazy("column heading", "Data classification"),
    "impact_level": pgettext_lazy("column heading", "Impact level"),
    "eu_ai_act_category": pgettext_lazy("column heading", "EU AI Act category"),
    "human_oversight": pgettext_lazy("column heading", "Human oversight"),
    "first_published_on": pgettext_lazy("column heading", "First published on"),
    "published_on": pgettext_lazy("column heading", "This version published on"),
    "withdrawn_on": pgettext_lazy("column heading", "Withdrawn on"),
    "withdrawal_reason": pgettext_lazy("column heading", "Reason for withdrawal"),
    "url": pgettext_lazy("column heading", "Address of the entry"),
}

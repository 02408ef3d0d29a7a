"""What the people of an engagement are told when it moves or waits: in-app notifications and their
emails. The texts are whole sentences, lazy, so that tenants.notifications renders each one in its
recipient's language."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from tenants.notifications import services as inbox

SUBMITTED_SUBJECT = gettext_lazy("{country}: engagement waiting for your review")
SUBMITTED_BODY = {
    False: gettext_lazy(
        "The engagement of {country} was submitted for review. Approve it, reject it or request changes."
    ),
    True: gettext_lazy(
        "A change to the terms of {country} was submitted for review. Approve it, reject it or request changes."
    ),
}
OUTCOME_SUBJECTS = {
    "approve": gettext_lazy("{country}: engagement was approved"),
    "reject": gettext_lazy("{country}: engagement was rejected"),
    "request_changes": gettext_lazy("{country}: engagement needs changes"),
    "suspend": gettext_lazy("{country}: engagement was suspended"),
    "reinstate": gettext_lazy("{country}: engagement was reinstated"),
}
OUTCOME_BODIES = {
    (False, "approve"): gettext_lazy(
        "The engagement of {country} was approved. Read the partner manager's comment on the engagement page."
    ),
    (False, "reject"): gettext_lazy(
        "The engagement of {country} was rejected. Read the partner manager's comment on the engagement page."
    ),
    (False, "request_changes"): gettext_lazy(
        "The engagement of {country} needs changes. Read the partner manager's comment on the engagement page."
    ),
    (False, "suspend"): gettext_lazy(
        "The engagement of {country} was suspended. Read the partner manager's comment on the engagement page."
    ),
    (False, "reinstate"): gettext_lazy(
        "The engagement of {country} was reinstated. Read the partner manager's comment on the engagement page."
    ),
    (True, "approve"): gettext_lazy(
        "A change to the terms of {country} was approved. Read the partner manager's comment on the engagement page."
    ),
    (True, "reject"): gettext_lazy(
        "A change to the terms of {country} was rejected. Read the partner manager's comment on the engagement page."
    ),
    (True, "request_changes"): gettext_lazy(
        "A change to the terms of {country} needs changes. Read the partner manager's comment on the engagement page."
    ),
    (True, "suspend"): gettext_lazy(
        "A change to the terms of {country} was suspended. Read the partner manager's comment on the engagement page."
    ),
    (True, "reinstate"): gettext_lazy(
        "A change to the terms of {country} was reinstated. Read the partner manager's comment on the engagement page."
    ),
}


def engagement_moved_notify(*, country, url: str, action: str, partial: bool, amendment: bool) -> None:
    """Partner managers hear of a submission; country admins of a decision (not of a first approval
    that still waits for a second one)."""
    if action == "submit":
        inbox.notify_partner_managers(
            country=country,
            url=url,
            subject=format_lazy(SUBMITTED_SUBJECT, country=country.display_name),
            body=format_lazy(SUBMITTED_BODY[amendment], country=country.display_name),
        )
    elif action in OUTCOME_SUBJECTS and not partial:
        inbox.notify_country_admins(
            country=country,
            url=url,
            subject=format_lazy(OUTCOME_SUBJECTS[action], country=country.display_name),
            body=format_lazy(OUTCOME_BODIES[(amendment, action)], country=country.display_name),
        )


def engagement_waiting_remind(*, country, url: str, waited: int) -> None:
    inbox.notify_partner_managers(
        country=country,
        url=url,
        subject=format_lazy(
            gettext_lazy("Reminder: {country}'s engagement has waited {waited} days for review"),
            country=country.display_name,
            waited=waited,
        ),
        body=format_lazy(
            gettext_lazy("The engagement of {country} has been waiting for a decision for {waited} days."),
            country=country.display_name,
            waited=waited,
        ),
    )

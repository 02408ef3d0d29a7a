"""Who hears about a deployment request's moves: its reviewers when it is submitted, its requester
when a reviewer decides, and when its deployment is suspended, reinstated or decommissioned by
someone else; a notice is cleared once someone has acted on it (a newer move of the request). In
the portal and by email (through the outbox, in the transaction of the move)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.models import Country
from tenants.notifications import services as inbox
from tenants.notifications.mail import per_reader

from .models import DeploymentRequest

OUTCOMES = {
    "approve": (gettext_lazy("approved"), gettext_lazy("Its environment is being provisioned.")),
    "request_changes": (
        gettext_lazy("returned with changes requested"),
        gettext_lazy("Read the reviewer's comment, change the request and submit it again."),
    ),
    "reject": (gettext_lazy("rejected"), gettext_lazy("Read the reviewer's reason on the request's page.")),
    # Decisions on a running deployment: its requester learns of them too (the reason is on the page).
    "suspend": (
        gettext_lazy("suspended"),
        gettext_lazy("Its environment answers no call until it is reinstated. Read the reason on the request's page."),
    ),
    "reinstate": (gettext_lazy("reinstated"), gettext_lazy("Its environment answers calls again.")),
    # The worker's last step of provisioning: the environment is ready for its people.
    "provisioning_done": (
        gettext_lazy("made active"),
        gettext_lazy("Its environment answers calls: open it from the request's page for its address and credential."),
    ),
    "decommission": (
        gettext_lazy("decommissioned"),
        gettext_lazy("Its environment is shut down for good. Read the reason on the request's page."),
    ),
}


# The moves after which nobody still has to act on the request's earlier notices.
CLEARING_MOVES = frozenset(
    {"submit", "withdraw", "start_review", "approve", "reject", "request_changes"}
    | {"suspend", "reinstate", "decommission"}
)


def _requesters(request: DeploymentRequest) -> list:
    """Who asked for the request: its requester and whoever submitted it, once each, if active."""
    people = {request.requested_by_id: request.requested_by}
    if request.submitted_by_id:
        people[request.submitted_by_id] = request.submitted_by
    return [user for user in people.values() if user is not None and user.is_active]


def request_url(request: DeploymentRequest, country: Country) -> str:
    return reverse("deployments:detail", kwargs={"code": country.code.lower(), "pk": request.pk})


def request_moved(*, request: DeploymentRequest, country: Country, action: str, final: bool, by=None) -> None:
    """Clear the notices this move answers, then tell whoever must act or wants to know next (never
    the person who made the move)."""
    url = request_url(request, country)
    if action in CLEARING_MOVES and (final or action != "approve"):
        inbox.notifications_clear(country=country, url=url)
    if action == "submit":
        inbox.notify_partner_managers(
            country=country,
            url=url,
            subject=per_reader(
                lambda: _("%(country)s: deployment request waiting for your review") % {"country": country.display_name}
            ),
            body=per_reader(
                lambda: (
                    _(
                        "The deployment request “%(title)s” was submitted for review. Approve it, reject it or request "
                        "changes."
                    )
                    % {"title": request.title}
                )
            ),
        )
    elif action in OUTCOMES and final:
        outcome, then = OUTCOMES[action]
        inbox.notify(
            users=[u for u in _requesters(request) if u.pk != getattr(by, "pk", None)],
            country=country,
            url=url,
            subject=per_reader(
                lambda: (
                    _("%(country)s: your deployment request was %(outcome)s")
                    % {"country": country.display_name, "outcome": outcome}
                )
            ),
            body=per_reader(
                lambda: (
                    _("The deployment request “%(title)s” was %(outcome)s. %(then)s")
                    % {"title": request.title, "outcome": outcome, "then": then}
                )
            ),
        )


def provisioning_failed(*, request: DeploymentRequest, country: Country, kind: str = "provision") -> None:
    """The worker stopped provisioning (or decommissioning, `kind`) the request: its requester (and
    whoever submitted it) and the country's partner managers, who approved it, hear of it."""
    url = request_url(request, country)
    ending = kind == "decommission"
    subject = per_reader(
        lambda: (
            (
                _("%(country)s: decommissioning of a deployment stopped")
                if ending
                else _("%(country)s: provisioning of a deployment stopped")
            )
            % {"country": country.display_name}
        )
    )
    body = per_reader(
        lambda: (
            (
                _(
                    "Decommissioning of the deployment request “%(title)s” stopped: its environment may "
                    "still be in place. Its page says at which step and why."
                )
                if ending
                else _(
                    "Provisioning of the deployment request “%(title)s” stopped. Its page says at which step and why."
                )
            )
            % {"title": request.title}
        )
    )
    inbox.notify(users=_requesters(request), country=country, url=url, subject=subject, body=body)
    inbox.notify_partner_managers(country=country, url=url, subject=subject, body=body)

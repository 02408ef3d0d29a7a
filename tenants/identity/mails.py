"""allauth's mails written as the portal writes every mail: in the account holder's language,
naming the portal (allauth's templates greet and sign with `current_site`), with links on the
portal's own address (PORTAL_BASE_URL, never the Host a request came with), and sent by a worker
through the outbox."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy

from tenants.notifications.mail import mail_enqueue

PORTAL_NAME = gettext_lazy("Sovereign AI Onboarding Portal")


@dataclass(frozen=True)
class PortalSite:
    """What allauth's templates read of `current_site`: the portal's name and address."""

    name: str
    domain: str


def portal_site() -> PortalSite:
    """The portal as a mail names it, in the language active now."""
    return PortalSite(name=str(PORTAL_NAME), domain=urlsplit(settings.PORTAL_BASE_URL).netloc)


def portal_url(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def password_reset_url(key: str) -> str:
    """The link of a password reset mail (allauth's own path, on the portal's address)."""
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
    return portal_url(path.replace("UID-KEY", quote(key)))


def allauth_mail_write(template_prefix: str, *, to: str, context: dict, user=None) -> None:
    """Render one of allauth's mails (`<prefix>_subject.txt`, `<prefix>_message.txt`) and leave it
    to the outbox: in `user`'s language when the mail is about an account (whoever asked for it, in
    whatever language their browser reads), with the portal named."""
    from tenants.languages.choice import in_language_of

    with in_language_of(user) if getattr(user, "pk", None) else nullcontext():
        context = {"email": to, **context, "current_site": portal_site()}
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).splitlines()).strip()
        body = render_to_string(f"{template_prefix}_message.txt", context).strip()
    mail_enqueue(to=to, subject=subject, body=body)

"""Sign-ins and failed sign-ins go on the platform chain (an id, never a typed name or password)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed

from tenants.record.ledger import platform_event_record


def _signed_in(sender, request, user, **kwargs):
    platform_event_record(
        action="auth.signed_in",
        actor=user,
        target=user,
        payload={"via": "api-token" if request is not None and request.path.startswith("/api/") else "browser"},
    )


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    User = get_user_model()
    account = User.objects.filter(username=credentials.get("username", "")).only("pk").first()
    platform_event_record(action="auth.sign_in_failed", target=account, payload={"known_account": account is not None})


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="tenants.signed_in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="tenants.sign_in_failed")

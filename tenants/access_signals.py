"""What makes a person's cached access (tenants.access) stale: a membership, a group, an assignment
(guardian's object permissions), the account, a token or a second factor changed, or a country's
own rules (whether its people need a second factor, whether it trusts its provider's). Wired by the
tenants app."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from guardian.models import GroupObjectPermission, UserObjectPermission

from tenants.access import access_changed
from tenants.identity.models import ApiToken, IdentityProvider
from tenants.models import Country, Membership


def _person_changed(sender, instance, **kwargs) -> None:
    access_changed(user_ids=[getattr(instance, "user_id", None)])


def _account_changed(sender, instance, **kwargs) -> None:
    access_changed(user_ids=[instance.pk])


def _everyone_changed(sender, **kwargs) -> None:
    access_changed()


def connect() -> None:
    for model in (Membership, UserObjectPermission, ApiToken, Authenticator):
        for signal in (post_save, post_delete):
            signal.connect(_person_changed, sender=model, dispatch_uid=f"tenants.access.{model.__name__}.{signal}")
    user = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(_account_changed, sender=user, dispatch_uid=f"tenants.access.user.{signal}")
        for model in (GroupObjectPermission, Group, Country, IdentityProvider):
            signal.connect(_everyone_changed, sender=model, dispatch_uid=f"tenants.access.{model.__name__}.{signal}")
    m2m_changed.connect(_everyone_changed, sender=user.groups.through, dispatch_uid="tenants.access.groups")

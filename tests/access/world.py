"""The world the access matrix walks: the demo countries as `seed_demo` leaves them, the visitors of
every kind, and, for each kind of object a route names, one object in France and one in Kenya.

Built once per test module (tests/access/conftest.py) inside a transaction that is rolled back at
the end; every request of the matrix runs in a savepoint of its own, so a POST that changes an
object changes it for that request only."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.management import call_command

# The visitors, in the order of the columns of every table (routes_<app>.py).
VISITORS = (
    "anon",  # no account
    "officer",  # FR officer (olivier)
    "viewer",  # FR viewer (camille)
    "admin",  # FR country admin (amelie)
    "other_admin",  # KE country admin (wanjiku): another country's admin
    "partner",  # partner manager assigned to FR only
    "partner_other",  # partner manager assigned to KE only
    "auditor",  # auditor assigned to FR only
    "auditor_other",  # auditor assigned to KE only
    "platform",  # platform admin (admin)
)


@dataclass
class Found:
    """One kind of object: its key in France and in Kenya (None where the world has none), and a text
    that names it on a page (None where it has no text of its own)."""

    fr: object = None
    ke: object = None
    fr_text: str | None = None
    ke_text: str | None = None


@dataclass
class World:
    users: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    objects: dict[str, Found] = field(default_factory=dict)
    # Text that must never appear on a page of France answered to a visitor who cannot see Kenya.
    ke_markers: tuple[str, ...] = ()


def _text(obj) -> str | None:
    for name in ("title", "name"):
        value = getattr(obj, name, None)
        if isinstance(value, str) and len(value) >= 6:
            return value
    return None


def _person(username: str, *, group: str, permission: str, country) -> object:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password="correct-horse-battery-staple"
    )
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    assign_perm(f"tenants.{permission}", user, country)
    return user


def build_world() -> World:
    from django.contrib.auth import get_user_model

    from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP, PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION
    from tenants.isolation import country_context
    from tenants.models import Country

    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))
    fr, ke = Country.objects.get(code="FR"), Country.objects.get(code="KE")
    User = get_user_model()
    world = World()
    world.users = {
        "anon": None,
        "officer": User.objects.get(username="olivier"),
        "viewer": User.objects.get(username="camille"),
        "admin": User.objects.get(username="amelie"),
        "other_admin": User.objects.get(username="wanjiku"),
        "partner": _person("partner-fr", group=PARTNER_MANAGERS_GROUP, permission=PARTNER_PERMISSION, country=fr),
        "partner_other": _person("partner-ke", group=PARTNER_MANAGERS_GROUP, permission=PARTNER_PERMISSION, country=ke),
        "auditor": _person("auditor-fr", group=AUDITORS_GROUP, permission=AUDITOR_PERMISSION, country=fr),
        "auditor_other": _person("auditor-ke", group=AUDITORS_GROUP, permission=AUDITOR_PERMISSION, country=ke),
        "platform": User.objects.get(username="admin"),
    }
    from tests.access.objects import objects_across, objects_build

    for build in (objects_build, objects_across):  # the second finds what the first made in both
        for country in (fr, ke):
            with country_context(country):
                for kind, obj, key in build(country=country):
                    found = world.objects.setdefault(kind, Found())
                    setattr(found, country.code.lower(), key)
                    setattr(found, f"{country.code.lower()}_text", _text(obj) if obj is not None else None)
    with country_context(ke):
        from tenants.models import Organisation

        world.ke_markers = ("Kenya", *Organisation.objects.values_list("name", flat=True))
    return world

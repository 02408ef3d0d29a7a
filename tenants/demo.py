"""Demo countries, organisations and people (DESIGN §8). Idempotent: running it again changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from tenants.access import AUDITOR_PERMISSION, AUDITORS_GROUP, PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION
from tenants.isolation import country_context
from tenants.models import Country, Membership, Organisation
from tenants.record.ledger import event_record

COUNTRIES = [
    # code, name, status, residency region, language
    ("FR", "France", Country.Status.ACTIVE, Country.Region.EU_WEST, "fr"),
    ("KE", "Kenya", Country.Status.ONBOARDING, Country.Region.AF_EAST, "en"),
    ("EE", "Estonia", Country.Status.ACTIVE, Country.Region.EU_NORTH, "et"),
    ("BR", "Brazil", Country.Status.ONBOARDING, Country.Region.SA_EAST, "pt-BR"),
]
TIME_ZONES = {"FR": "Europe/Paris", "KE": "Africa/Nairobi", "EE": "Europe/Tallinn", "BR": "America/Sao_Paulo"}

ORGANISATIONS = {
    "FR": [
        ("Direction interministérielle du numérique", "DINUM", Organisation.Kind.MINISTRY),
        ("Ministère de l'Éducation nationale", "MEN", Organisation.Kind.MINISTRY),
        ("Commission nationale de l'informatique et des libertés", "CNIL", Organisation.Kind.PUBLIC_AGENCY),
    ],
    "KE": [
        ("Ministry of Information, Communications and the Digital Economy", "MICDE", Organisation.Kind.MINISTRY),
        ("Ministry of Health", "MOH", Organisation.Kind.MINISTRY),
        ("Kenya Revenue Authority", "KRA", Organisation.Kind.PUBLIC_AGENCY),
    ],
    "EE": [
        ("Ministry of Economic Affairs and Communications", "MKM", Organisation.Kind.MINISTRY),
        ("Information System Authority", "RIA", Organisation.Kind.PUBLIC_AGENCY),
    ],
    "BR": [
        ("Ministério da Gestão e da Inovação em Serviços Públicos", "MGI", Organisation.Kind.MINISTRY),
        ("Serviço Federal de Processamento de Dados", "SERPRO", Organisation.Kind.PUBLIC_AGENCY),
    ],
}

# username, first name, last name, country, organisation acronym, role, job title
MEMBERS = [
    ("amelie", "Amélie", "Laurent", "FR", "DINUM", Membership.Role.COUNTRY_ADMIN, "Head of AI programme"),
    ("olivier", "Olivier", "Moreau", "FR", "MEN", Membership.Role.OFFICER, "Digital learning officer"),
    ("camille", "Camille", "Petit", "FR", "CNIL", Membership.Role.VIEWER, "Data protection adviser"),
    ("wanjiku", "Wanjiku", "Kamau", "KE", "MICDE", Membership.Role.COUNTRY_ADMIN, "Director, digital government"),
    ("otieno", "Otieno", "Odhiambo", "KE", "MOH", Membership.Role.OFFICER, "Health informatics lead"),
    ("kadri", "Kadri", "Tamm", "EE", "MKM", Membership.Role.COUNTRY_ADMIN, "Chief data officer"),
    ("lucas", "Lucas", "Oliveira", "BR", "MGI", Membership.Role.COUNTRY_ADMIN, "Coordenador de IA"),
]

# username, first name, last name, group, permission, countries ("*" for all)
ASSIGNED = [
    ("priya", "Priya", "Raman", PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION, ["FR", "KE", "EE"]),
    ("marcus", "Marcus", "Webb", PARTNER_MANAGERS_GROUP, PARTNER_PERMISSION, "*"),
    ("aude", "Aude", "Bernard", AUDITORS_GROUP, AUDITOR_PERMISSION, ["FR", "KE"]),
]


def _user(username: str, first: str, last: str, password: str, say: Callable[[str], None], **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.portal.invalid", **extra},
    )
    if created:
        user.set_password(password)
        user.save()
        say(f"  account {username}")
    return user


def seed(*, say: Callable[[str], None] = print) -> dict[str, Country]:
    password = settings.DEMO_PASSWORD
    countries: dict[str, Country] = {}
    for code, name, status, region, language in COUNTRIES:
        country, created = Country.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "status": status,
                "residency_region": region,
                "default_language": language,
                "time_zone": TIME_ZONES[code],
            },
        )
        countries[code] = country
        if created:
            say(f"  country {code} {name}")
        with country_context(country):
            for org_name, acronym, kind in ORGANISATIONS[code]:
                organisation, created = Organisation.objects.get_or_create(
                    country=country, acronym=acronym, defaults={"name": org_name, "kind": kind}
                )
                if created:
                    event_record(
                        country=country, action="organisation.created", target=organisation, payload={"kind": kind}
                    )

    for username, first, last, code, acronym, role, title in MEMBERS:
        user = _user(username, first, last, password, say)
        country = countries[code]
        with country_context(country):
            organisation = Organisation.objects.get(acronym=acronym)
            membership, created = Membership.objects.get_or_create(
                country=country, user=user, defaults={"organisation": organisation, "role": role, "job_title": title}
            )
            if created:
                event_record(
                    country=country,
                    action="member.added",
                    target=membership,
                    payload={"role": role, "organisation": organisation.pk},
                )

    for username, first, last, group_name, permission, codes in ASSIGNED:
        user = _user(username, first, last, password, say)
        group, _ = Group.objects.get_or_create(name=group_name)
        user.groups.add(group)
        for code in countries if codes == "*" else codes:
            assign_perm(f"tenants.{permission}", user, countries[code])

    admin = _user("admin", "Platform", "Admin", password, say, is_staff=True, is_superuser=True)
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    return countries

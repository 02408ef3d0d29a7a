"""What a page shows of the programme's own data (the record's groups of actions, countries' names,
the frameworks' controls, notifications, the scripts' words) reads in the reader's language."""

import re

import pytest

from tenants.languages.models import Preferences
from tenants.record.ledger import event_record


def _reading(client, user, language: str):
    Preferences.objects.filter(user=user).update(language=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "sw"])
def test_the_records_filter_names_its_groups_of_actions_in_the_readers_language(client, cast, language):
    from tenants.record.events import ACTION_FAMILIES

    for action in ("member.invited", "organisation.created", "key.rotated", "future.thing_done"):
        event_record(country=cast.fr, action=action, actor=cast.owner, actor_role="country_admin", chained=True)
    page = _reading(client, cast.auditor, language).get("/audit/FR/").content.decode()
    groups = re.findall(r'<optgroup label="([^"]*)"', page)
    assert len(groups) == 4, groups
    # No group is named by its code, nor by the English word, and an unknown family's code is
    # written inside a sentence of the reader's language.
    assert not {"member", "organisation", "key", "future", "People", "Data keys"} & set(groups)
    assert all(str(label) not in page for label in ("Any member action", "Any action: People"))
    assert [g for g in groups if "future" in g] and "Other actions" not in page
    assert set(ACTION_FAMILIES) >= {"member", "organisation", "key"}


# --- Countries' names ------------------------------------------------------------------------------


@pytest.mark.parametrize("language, france", [("fr", "France"), ("es", "Francia"), ("sw", "Ufaransa"), ("ar", "فرنسا")])
def test_a_countrys_pages_name_it_in_the_readers_language(client, cast, language, france):
    page = _reading(client, cast.owner, language).get("/c/fr/").content.decode()
    assert france in page
    if language != "fr":
        assert not re.search(r"\bFrance\b", page), re.findall(r".{60}\bFrance\b.{20}", page)


@pytest.mark.parametrize("language, kenya", [("es", "Kenia"), ("ar", "كينيا")])
def test_the_switcher_names_every_country_in_the_readers_language(client, cast, language, kenya):
    from tenants.isolation import country_context
    from tenants.models import Membership

    with country_context(cast.ke):
        Membership.objects.create(country=cast.ke, user=cast.owner, organisation=cast.ke_ministry, role="viewer")
    page = _reading(client, cast.owner, language).get("/c/fr/").content.decode()
    assert f"{kenya} (KE)" in page and "Kenya (KE)" not in page


def test_a_country_reads_as_its_name_in_the_readers_language(cast):
    from django.utils import translation

    with translation.override("es"):
        assert cast.fr.display_name == "Francia" and str(cast.fr) == "Francia (FR)"
    with translation.override("en"):
        assert cast.fr.display_name == "France"


def test_a_country_outside_the_standard_keeps_its_typed_name(cast):
    from django.utils import translation

    from tenants.models import Country

    with translation.override("sw"):
        assert Country(code="XK", name="Kosovo").display_name == "Kosovo"
        assert Country(code="DE", name="Germany").display_name == "Ujerumani"


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "sw"])
def test_every_countrys_name_is_in_each_catalogue(language):
    from django.utils import translation

    from tenants.country_names import NAMES

    with translation.override(language):
        same = [code for code, name in NAMES.items() if str(name) == name._args[1]]
    # A few names are written alike in English and in the language (Kenya, Canada…), most are not.
    assert len(same) < len(NAMES) / 2, same


def test_no_page_or_message_shows_a_countrys_typed_name():
    """Templates show `country|country_name`, messages `country.display_name`; `country.name` is the
    row's, kept for data (the record, exports, signed reports, the command line)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    shown = re.compile(r"\b(?:country|nav_country)\.name\b")
    pages = [
        f"{p.relative_to(root)}:{n}"
        for p in (root / "templates").rglob("*")
        if p.is_file()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if shown.search(line)
    ]
    assert not pages, pages
    message = re.compile(r"(?:_\(|gettext|format\(|% \{|format_lazy).*\bcountry\.name\b|\bcountry\.name\b.*[)}]\s*$")
    data = {
        "tenants/country_state.py",  # the loaded row's state
        "tenants/keys/export.py",  # the export's signed manifest and README
        "tenants/keys/erasure.py",  # the signed erasure certificate
        "tenants/keys/subject_access.py",  # the archive's README
        "tenants/keys/rotation.py",  # an error for the logs
        "tenants/review_queue.py",  # the API's field, the row's name
        "portal/reports/bundle.py",  # the signed report
        "deployments/demo.py",  # the command line
    }
    python = [
        f"{p.relative_to(root)}:{n}"
        for app in ("tenants", "governance", "deployments", "engagements", "training", "portal", "gateway")
        for p in (root / app).rglob("*.py")
        if "migrations" not in p.parts and "management" not in p.parts and str(p.relative_to(root)) not in data
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if message.search(line)
    ]
    assert not python, python


# --- The frameworks' controls ----------------------------------------------------------------------


def test_the_shipped_frameworks_texts_are_all_listed_for_the_catalogues():
    """governance/frameworks/shipped_texts.py holds every text of the library's files: one added
    to a file and not listed would stay English in every language."""
    from pathlib import Path

    import yaml

    from governance.frameworks.shipped_texts import SHIPPED_TEXTS

    root = Path(__file__).resolve().parents[2] / "governance" / "frameworks" / "library"
    texts = set()
    for path in root.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts |= {data["framework"].get(key) for key in ("name", "summary", "description")}
        pending = list(data["requirements"])
        while pending:
            item = pending.pop()
            texts |= {item.get("title"), item.get("description")}
            pending += item.get("children") or []
    texts.discard(None)
    texts.discard("")
    assert len(texts) > 100
    assert texts <= set(SHIPPED_TEXTS), sorted(texts - set(SHIPPED_TEXTS))[:5]


SAME_EVERYWHERE = {"ISO/IEC 42001:2023", "NIST AI RMF 1.0"}  # names, written alike in every language


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "sw"])
def test_every_shipped_frameworks_text_is_translated(language):
    from django.utils import translation

    from governance.frameworks.shipped_texts import SHIPPED_TEXTS

    with translation.override(language):
        untranslated = [t for t in SHIPPED_TEXTS if translation.gettext(t) == t and t not in SAME_EVERYWHERE]
    assert not untranslated, untranslated[:5]


@pytest.mark.parametrize(
    "language, title",
    [
        ("fr", "Les personnes peuvent exercer leurs droits"),
        ("es", "Las personas pueden ejercer sus derechos"),
        ("sw", "Watu wanaweza kutumia haki zao"),
    ],
)
def test_a_shipped_frameworks_controls_read_in_the_readers_language(client, cast, language, title):
    client = _reading(client, cast.owner, language)
    listing = client.get("/c/fr/governance/frameworks/").content.decode()
    assert ">GDPR<" not in listing
    page = client.get("/c/fr/governance/frameworks/gdpr/").content.decode()
    assert title in page
    assert "People can exercise their rights" not in page and '<span lang="en"' not in page
    requirement = client.get("/c/fr/governance/frameworks/gdpr/gdpr-2/").content.decode()
    assert "Each processing has a lawful basis" not in requirement and "GDPR Art. 6" in requirement


# --- Notifications ---------------------------------------------------------------------------------


def _notice_for(cast):
    from django.utils.translation import gettext as _

    from tenants.notifications.mail import per_reader
    from tenants.notifications.services import notify

    notify(
        users=[cast.owner],
        country=cast.fr,
        url="/c/fr/deployments/",
        subject=per_reader(
            lambda: _("%(country)s: deployment request waiting for your review") % {"country": cast.fr.display_name}
        ),
        body=per_reader(
            lambda: (
                _("Provisioning of the deployment request “%(title)s” stopped. Its page says at which step and why.")
                % {"title": "Chatbot"}
            )
        ),
    )


def test_a_notification_reads_in_the_language_its_reader_has_now(client, cast, django_capture_on_commit_callbacks):
    Preferences.objects.filter(user=cast.owner).update(language="fr")
    from tenants.isolation import country_context

    with django_capture_on_commit_callbacks(execute=False), country_context(cast.fr):
        _notice_for(cast)
    page = _reading(client, cast.owner, "es").get("/notifications/").content.decode()
    assert "Francia: solicitud de despliegue pendiente de su revisión" in page
    assert "France :" not in page and "attend votre examen" not in page
    page = _reading(client, cast.owner, "sw").get("/notifications/").content.decode()
    assert "Ufaransa" in page


def test_a_notification_written_before_keeps_its_words(client, cast):
    from tenants.isolation import country_context
    from tenants.notifications.models import Notification

    with country_context(cast.fr):
        Notification.objects.create(
            user=cast.owner, country=cast.fr, subject="Écrit en français", body="Texte", url="/"
        )
    page = _reading(client, cast.owner, "es").get("/notifications/").content.decode()
    assert "Écrit en français" in page


def test_every_notification_is_written_in_every_language():
    """A notification is written by tenants.notifications.services (notify, notification_write),
    which keep it in each language; a row made elsewhere would read in one language only."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writes = re.compile(r"\bNotification(?:\.objects\.create|\.objects\.bulk_create|)\(")
    elsewhere = [
        f"{p.relative_to(root)}:{n}"
        for app in ("tenants", "governance", "deployments", "engagements", "training", "portal", "gateway")
        for p in (root / app).rglob("*.py")
        if "migrations" not in p.parts and p.relative_to(root).as_posix() != "tenants/notifications/services.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if writes.search(line) and not line.lstrip().startswith("class ")
    ]
    assert not elsewhere, elsewhere

"""A passkey (allauth's "security key": a WebAuthn credential) has one name in each language, the
one its readers know from their devices, wherever the portal or a library speaks of it."""

import gettext
import re

import pytest

from tests.languages.conftest import LOCALE

TERMS = {  # the word, in any of its forms (des clés d’accès, funguo %(count)s za kuingia)
    "fr": r"clés? d’accès",
    "es": r"llaves? de acceso",
    "pt": r"chaves? de acesso",
    "ar": r"مفتاح المرور|مفتاح مرور|مفاتيح المرور|مفاتيح مرور|مفتاحَي مرور",
    "sw": r"(ufunguo|funguo)\b.* (wa|za) kuingia",
}
# What the messages said before: a "secret key", a "security key", or the English word.
WRONG = re.compile(
    r"clé secrète|clé de sécurité|clave de seguridad|chave de segurança|مفتاح أمان|مفتاح الأمان|"
    r"ufunguo wa usalama|funguo za usalama|passkey",
    re.IGNORECASE,
)
PASSKEY = re.compile(r"passkey|security key", re.IGNORECASE)


@pytest.mark.parametrize("language", sorted(TERMS))
def test_every_message_about_a_passkey_names_it_with_the_languages_word(language):
    # The portal's catalogue, which Django reads before any library's: the pages it shows (a
    # library's page the portal does not show keeps the library's words).
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog
    messages = {}
    for key, text in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if PASSKEY.search(msgid.split("\x04")[-1]):
            messages.setdefault(msgid, []).append(text)
    assert len(messages) > 15, "the passkey messages (the portal's and allauth's) are in the catalogue"
    wrong = {m: t for m, texts in messages.items() for t in texts if WRONG.search(t)}
    assert not wrong, wrong
    unnamed = {m: t for m, texts in messages.items() for t in texts if not re.search(TERMS[language], t, re.IGNORECASE)}
    # Those that speak of the API's refusal name the passkey too.
    assert not unnamed, unnamed

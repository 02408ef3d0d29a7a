"""The password rules in the reader's language, on allauth's password pages and wherever a password
is checked (the invitation's): each refusal from the portal's catalogue, and the rules shown as a
list, one a line (they ran together as one sentence)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from tenants.languages.models import Preferences

pytestmark = pytest.mark.django_db

TOO_SHORT = {
    "en": "This password is too short: use at least 12 characters.",
    "fr": "Ce mot de passe est trop court : utilisez au moins 12 caractères.",
    "es": "Esta contraseña es demasiado corta: use al menos 12 caracteres.",
    "pt": "Esta palavra-passe é demasiado curta: use pelo menos 12 caracteres.",
    "ar": "كلمة المرور هذه قصيرة جدًا: استخدم 12 حرفًا على الأقل.",
    "sw": "Nenosiri hili ni fupi mno: tumia angalau herufi 12.",
}
AT_LEAST = {
    "en": "At least 12 characters.",
    "fr": "Au moins 12 caractères.",
    "es": "Al menos 12 caracteres.",
    "pt": "Pelo menos 12 caracteres.",
    "ar": "12 حرفًا على الأقل.",
    "sw": "Angalau herufi 12.",
}


@pytest.mark.parametrize("language", sorted(TOO_SHORT))
def test_the_password_page_speaks_the_readers_language(client, cast, language):
    Preferences.objects.update_or_create(user=cast.member, defaults={"language": language})
    client.force_login(cast.member)
    html = client.get("/accounts/password/change/").content.decode()
    hint = re.search(r'id="id_password1-hint" class="govuk-hint">(.*?)</div>', html, flags=re.S).group(1)
    rules = re.findall(r"<li>(.*?)</li>", hint)
    assert 'class="govuk-list govuk-list--bullet' in hint and len(rules) == 4, hint
    assert AT_LEAST[language] in rules
    response = client.post(
        "/accounts/password/change/", {"oldpassword": cast.password, "password1": "short", "password2": "short"}
    )
    assert TOO_SHORT[language] in response.content.decode()


@pytest.mark.parametrize("language", sorted(TOO_SHORT))
def test_every_refusal_of_a_password_is_translated(cast, language):
    with translation.override(language):
        for password in ("short", "1qaz2wsx3edc", "12345678901234", cast.member.email):
            with pytest.raises(ValidationError) as error:
                validate_password(password, cast.member)
            english = []
            with translation.override("en"):
                try:
                    validate_password(password, cast.member)
                except ValidationError as refusal:
                    english = refusal.messages
            if language != "en":
                assert not set(error.value.messages) & set(english), (password, error.value.messages)
        with pytest.raises(ValidationError) as error:
            validate_password("short", cast.member)
        assert TOO_SHORT[language] in error.value.messages

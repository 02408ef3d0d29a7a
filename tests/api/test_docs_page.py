"""The interactive API reference is a page like the others for a reader with assistive
technology: it says its language and direction, has one level-one heading and a main landmark,
and its start-up script and styles stay files of their own (the Content-Security-Policy)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "lang", "direction"), [("en", "en", "ltr"), ("fr", "fr", "ltr"), ("ar", "ar", "rtl")]
)
def test_the_docs_page_names_its_language_and_has_a_heading(client, language, lang, direction):
    response = client.get("/api/v1/docs/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'<html lang="{lang}" dir="{direction}">', html)
    assert len(re.findall(r"<h1[ >]", html)) == 1 and "<main>" in html
    assert 'href="/api/v1/schema/"' in html
    assert "<style" not in html and not re.search(r"<script>(?!</script>)", html)
    assert client.get("/api/v1/docs/?script=").status_code == 200

"""Rotating SECRET_KEY (docs/operations.md): with the old key in SECRET_KEY_FALLBACKS (inline, or in
the file SECRET_KEY_FALLBACKS_FILE names, one a line), what it signed still opens: a signed-in
session goes on, a password-reset link still works, a signed value still loads; without it, they
end. Nothing is signed with a fallback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
OLD = "old-secret-key-" + "o" * 40
NEW = "new-secret-key-" + "n" * 40


@pytest.mark.django_db
def test_a_session_signed_with_the_old_key_goes_on_with_it_as_a_fallback(cast, settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    kept, ended = Client(), Client()
    kept.force_login(cast.owner)
    ended.force_login(cast.owner)
    reset_token = default_token_generator.make_token(cast.owner)
    assert kept.get("/").wsgi_request.user == cast.owner

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]  # rotated, the old key retiring
    assert kept.get("/").wsgi_request.user == cast.owner
    assert default_token_generator.check_token(cast.owner, reset_token)
    assert not default_token_generator.make_token(cast.owner) == reset_token  # new ones under the new key

    settings.SECRET_KEY_FALLBACKS = []  # the old key retired: what it signed ends
    assert not ended.get("/").wsgi_request.user.is_authenticated
    assert not default_token_generator.check_token(cast.owner, reset_token)


def test_the_fallbacks_are_read_from_the_environment_or_a_file(tmp_path):
    """A process started with the new key and the old ones in SECRET_KEY_FALLBACKS_FILE opens what
    the old ones signed; without the file it does not."""
    signed = signing.dumps({"country": "fr"}, key=OLD, salt="rotation")
    fallbacks = tmp_path / "secret_key_fallbacks"
    fallbacks.write_text(f"another-retired-key-{'a' * 40}\n{OLD}\n")
    probe = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.core import signing\n"
        "print(len(settings.SECRET_KEY_FALLBACKS))\n"
        f"print(signing.loads({signed!r}, salt='rotation'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECRET_KEY")}
    env.update(DEBUG="true", SECRET_KEY=NEW, DJANGO_SETTINGS_MODULE="portal.settings")

    def run(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=120
        )

    opened = run(SECRET_KEY_FALLBACKS_FILE=str(fallbacks))
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.split() == ["2", "{'country':", "'fr'}"]
    inline = run(SECRET_KEY_FALLBACKS=f"x-{'b' * 40},{OLD}")
    assert inline.returncode == 0 and "'fr'" in inline.stdout, inline.stderr
    refused = run()
    assert refused.returncode != 0 and "BadSignature" in refused.stderr

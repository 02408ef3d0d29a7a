"""Start the stand-in identity provider on 127.0.0.1 (see the package docstring).

The config file (JSON) names its people and clients:
    {"users": [{"username", "password", "email", "given_name", "family_name", "organisation"?,
                "role"?, "amr"?, "acr"?, "email_verified"?}],
     "clients": [{"client_id", "client_secret"}],
     "redirect_prefixes": ["http://127.0.0.1:8000/accounts/gov/", ...]}"""

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="oidc-provider-"))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (workdir / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="dev.oidc_provider.settings",
        IDP_SECRET_KEY=secrets.token_urlsafe(50),
        IDP_DATABASE=str(workdir / "idp.sqlite3"),
        IDP_KEY_FILE=str(workdir / "key.pem"),
        IDP_CONFIG=str(Path(args.config).resolve()),
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    from dev.oidc_provider.validator import config

    call_command("migrate", verbosity=0)
    User = get_user_model()
    for person in config()["users"]:
        user = User(username=person["username"], email=person.get("email", ""))
        user.set_password(person["password"])
        user.save()
    for client in config()["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="http://127.0.0.1/accounts/gov/placeholder/login/callback/",
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

    server = ThreadedWSGIServer(("127.0.0.1", args.port), QuietHandler)
    server.set_app(get_wsgi_application())
    print(f"IDP_URL http://127.0.0.1:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()

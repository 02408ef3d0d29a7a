"""Claims of the stand-in provider's people (from its config file), and the portal addresses it
may send codes back to (any callback under the configured prefixes: the suite's ports vary)."""

import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator


def config() -> dict:
    return json.loads(open(os.environ["IDP_CONFIG"]).read())


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim, whatever the scope

    def get_additional_claims(self, request):
        person = next((u for u in config()["users"] if u["username"] == request.user.username), {})
        claims = {
            "email": person.get("email", ""),
            "email_verified": person.get("email_verified", True),
            "given_name": person.get("given_name", ""),
            "family_name": person.get("family_name", ""),
            "preferred_username": request.user.username,
        }
        for name in ("organisation", "role", "amr", "acr"):
            if name in person:
                claims[name] = person[name]
        return claims

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        prefixes = config().get("redirect_prefixes", [])
        return redirect_uri.endswith("/login/callback/") and any(redirect_uri.startswith(p) for p in prefixes)

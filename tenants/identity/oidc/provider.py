"""allauth provider class for a country's OpenID Connect provider (see the package docstring)."""

from __future__ import annotations

import secrets

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider

from tenants.identity.oidc.views import GovernmentOIDCAdapter


class GovernmentProvider(OpenIDConnectProvider):
    id = "government"
    name = "Government sign-in"
    oauth2_adapter_class = GovernmentOIDCAdapter
    pkce_enabled_default = True
    supports_token_authentication = False
    package = "tenants.identity.oidc"

    def get_pkce_params(self) -> dict:
        # Always: the authorisation code is useless to anyone without the verifier kept in the session.
        from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge

        return generate_code_challenge()

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)


provider_classes = [GovernmentProvider]

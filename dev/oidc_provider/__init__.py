"""A small OpenID Connect provider (django-oauth-toolkit, RS256, discovery, JWKS) standing in for a
country's identity provider: in the suite (tests/identity) and in `make run` for France.

    python -m dev.oidc_provider.serve --config users.json [--port 0]

prints `IDP_URL http://127.0.0.1:<port>` once it serves; the issuer is that URL + /o. Bound to
127.0.0.1 only. Its /mischief/<mode>/ front re-issues the real provider's ID tokens wrong on
purpose (audience, expiry, signature, nonce, none algorithm), for the refusal tests."""

"""The OpenID Connect provider class of allauth for countries' identity providers (id "government").

allauth's own openid_connect provider trusts an ID token fetched over TLS without checking its
signature and sends no nonce. Here every ID token is checked against the provider's JWKS (RS256
and the other asymmetric algorithms only), its issuer against the configured one, its audience,
expiry and the nonce sent with this very sign-in; state is single-use and PKCE is always on."""

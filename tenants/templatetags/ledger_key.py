"""The portal's ledger-signing public key, for the admin's index page."""

from django import template

from tenants.record import signing

register = template.Library()


@register.simple_tag
def ledger_public_key() -> dict:
    return {"pem": signing.public_key_pem(), "fingerprint": signing.public_key_id()}

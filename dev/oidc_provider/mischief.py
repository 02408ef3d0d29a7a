"""A misbehaving front of the real provider, for the refusal tests: /mischief/<mode>/ serves a
discovery document naming itself as issuer and its own token endpoint, which asks the real one
for tokens and hands back the ID token altered by `mode`, re-signed with the provider's own key
(so only the altered part is wrong), or with another key, or with none."""

import base64
import json
import time

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from jwcrypto import jwk, jwt
from oauth2_provider.views import ConnectDiscoveryInfoView, TokenView

MODES = {"honest", "wrong-audience", "expired", "unsigned", "bad-signature", "wrong-nonce"}


def _mode(mode: str) -> str:
    if mode not in MODES:
        raise Http404("unknown mode")
    return mode


def _base(request, mode: str) -> str:
    return request.build_absolute_uri(f"/mischief/{mode}")


def discovery(request, mode):
    _mode(mode)
    response = ConnectDiscoveryInfoView.as_view()(request)
    document = json.loads(response.content)
    document["issuer"] = _base(request, mode)
    document["token_endpoint"] = _base(request, mode) + "/token/"
    return JsonResponse(document)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _resign(claims: dict, *, key: jwk.JWK, kid: str) -> str:
    token = jwt.JWT(header={"alg": "RS256", "typ": "JWT", "kid": kid}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


@csrf_exempt
def token(request, mode):
    _mode(mode)
    response = TokenView.as_view()(request)
    if response.status_code != 200:
        return response
    body = json.loads(response.content)
    real_key = jwk.JWK.from_pem(settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"].encode())
    kid = real_key.thumbprint()
    claims = json.loads(jwt.JWT(jwt=body["id_token"], key=real_key).claims)
    claims["iss"] = _base(request, mode)
    now = int(time.time())
    key = real_key
    if mode == "wrong-audience":
        claims["aud"] = "another-client"
    elif mode == "expired":
        claims["iat"], claims["exp"] = now - 3600, now - 1800
    elif mode == "wrong-nonce":
        claims["nonce"] = "a-nonce-of-another-sign-in"
    elif mode == "bad-signature":
        key = jwk.JWK.generate(kty="RSA", size=2048)
    if mode == "unsigned":
        body["id_token"] = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    else:
        body["id_token"] = _resign(claims, key=key, kid=kid)
    return JsonResponse(body)

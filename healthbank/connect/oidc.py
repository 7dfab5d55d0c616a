"""django-oauth-toolkit's validator, told who HealthBank's people are (issue 14).

Only the library's documented extension points: the claims (``get_additional_claims``, which also sets the
pairwise ``sub``), what an authorization code carries (``save_authorization_code``/``validate_code``), which
clients may be used here. The OAuth and OpenID Connect protocol itself is oauthlib's and DOT's.
"""

from __future__ import annotations

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib import openid as oauthlib_openid
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256

from . import scopes, selectors, services


class Validator(OAuth2Validator):
    # A claim is given only with its scope: the name with profile, the national ID only with national_id.
    oidc_claim_scope = {
        "sub": scopes.OPENID,
        "acr": scopes.OPENID,
        "name": scopes.PROFILE,
        "national_id": "national_id",
    }

    def get_discovery_claims(self, request):
        return list(self.oidc_claim_scope)

    def validate_client_id(self, client_id, request, *args, **kwargs):
        """A sandbox registration works only on a system whose people are synthetic (decisions.md)."""
        if not super().validate_client_id(client_id, request, *args, **kwargs):
            return False
        return not (request.client.sandbox and not settings.CONNECT_PEOPLE_ARE_SYNTHETIC)

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        """The code, and how and when the person logged in (the token request that follows has no session)."""
        grant = self._create_authorization_code(request, code)
        services.record_authorization(grant, acr=request.healthbank_acr, auth_time=request.healthbank_auth_time)

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        authorization = selectors.authorization_of_code(code, client)
        if authorization is None:
            return False
        request.healthbank_acr = authorization.acr
        request.healthbank_auth_time = authorization.auth_time
        return True

    def refresh_id_token(self, request):
        """No new ID token on a refresh: an ID token tells of a login, and a refresh is none."""
        return False

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        claims["auth_time"] = int(request.healthbank_auth_time.timestamp())
        return claims, expiration_time

    def get_additional_claims(self, request):
        person = selectors.person_of(request.user)
        if person is None:
            return {}
        claims = {"sub": services.pairwise_subject(person.pk, request.client), "name": person.name}
        acr = getattr(request, "healthbank_acr", "")
        if acr:
            claims["acr"] = acr
        if request.client.may_receive_national_id:
            claims["national_id"] = person.national_id
        return claims


class Server(oauthlib_openid.Server):
    """oauthlib's OpenID Connect server offering PKCE with S256 only (RFC 9700 §2.1.1).

    DOT refuses ``plain`` only when the code is made, after the person has seen the consent page; here the
    authorization request itself is refused, and a request without a method (``plain`` by default) with it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        s256_only = {"S256": code_challenge_method_s256}
        self.auth_grant._code_challenge_methods = s256_only
        self.openid_connect_auth.proxy_target._code_challenge_methods = s256_only

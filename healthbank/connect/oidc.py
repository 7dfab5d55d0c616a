"""django-oauth-toolkit's validator, told who HealthBank's people are (issue 14).

Only the library's documented extension points: the claims (``get_additional_claims``, which also sets the
pairwise ``sub``), what an authorization code carries (``save_authorization_code``/``validate_code``), which
clients may be used here. The OAuth and OpenID Connect protocol itself is oauthlib's and DOT's.
"""

from __future__ import annotations

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib import openid as oauthlib_openid
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256

from . import scopes, selectors, services
from .models import Application


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
        """The code, and how and when the person logged in (the token request that follows has no session).

        A health app's consent makes its grant in the passbook's access rule here, with what the person chose.
        """
        grant = self._create_authorization_code(request, code)
        connection_id = None
        choice = getattr(request, "healthbank_choice", None)
        if choice is not None and request.client.kind == Application.Kind.HEALTH_APP:
            categories, months = choice
            person = selectors.person_of(request.user)
            connection_id = services.connect_app(person, request.client, categories, months).pk
        services.record_authorization(
            grant, acr=request.healthbank_acr, auth_time=request.healthbank_auth_time, connection_id=connection_id
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        authorization = selectors.authorization_of_code(code, client)
        if authorization is None:
            return False
        request.healthbank_acr = authorization.acr
        request.healthbank_auth_time = authorization.auth_time
        request.healthbank_connection_id = authorization.connection_id
        return True

    def _connection(self, request):
        """The health app's connection in force for the token's person, or None."""
        person = selectors.person_of(request.user)
        return selectors.connection_in_force(person, request.client.pk) if person is not None else None

    def save_bearer_token(self, token, request, *args, **kwargs):
        """A one-time connection gets no refresh token; every token issued to an app is its last use."""
        if request.client.kind == Application.Kind.HEALTH_APP:
            connection = self._connection(request)
            if connection is None:
                raise errors.AccessDeniedError(description="The person's grant to this app is not in force.")
            if connection.one_time:
                token.pop("refresh_token", None)
            services.note_use(connection)
        return super().save_bearer_token(token, request, *args, **kwargs)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """A refresh works only while the person's grant to the app is in force."""
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        return client.kind != Application.Kind.HEALTH_APP or self._connection(request) is not None

    def validate_bearer_token(self, token, scopes, request):
        """An app's access token works only while the person's grant to it is in force (revoked: at once)."""
        if not super().validate_bearer_token(token, scopes, request):
            return False
        client = request.client
        if client is None or client.kind != Application.Kind.HEALTH_APP:
            return True
        connection = self._connection(request)
        request.access_token.healthbank_connection = connection  # what the FHIR API reads (no second look-up)
        return connection is not None

    def validate_silent_login(self, request):
        """``prompt=none``: the view asks only with a person logged in (else it answers login_required itself)."""
        return True

    def validate_silent_authorization(self, request):
        """``prompt=none`` never agrees for the person: the consent page is shown every time (consent_required)."""
        return False

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

"""Machine credentials of institutions and agencies: ``Authorization: Bearer hb_<prefix>_<secret>``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from .models import ApiClient, Institution

KEY_PREFIX = "hb_"
LAST_USED_GRAIN = dt.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_api_key(*, name: str, institution: Institution | None = None, agency: str = "") -> tuple[ApiClient, str]:
    """Create a credential; the full key is returned once and only its hash is kept."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name, institution=institution, agency=agency, key_prefix=prefix, key_hash=_hash(secret)
    )
    return client, f"{KEY_PREFIX}{prefix}_{secret}"


def client_for_key(key: str) -> ApiClient | None:
    if not key.startswith(KEY_PREFIX) or key.count("_") < 2:
        return None
    prefix, _, secret = key[len(KEY_PREFIX) :].partition("_")
    client = ApiClient.objects.select_related("institution").filter(key_prefix=prefix, is_active=True).first()
    if client is None or not hmac.compare_digest(client.key_hash, _hash(secret)):
        return None
    return client


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _space, key = header.partition(" ")
        if scheme != self.keyword or not key:
            raise exceptions.AuthenticationFailed(_("Authorization must be 'Bearer <API key>'."))
        client = client_for_key(key.strip())
        if client is None:
            raise exceptions.AuthenticationFailed(_("This API key is not valid."))
        now = timezone.now()  # written at most once a minute: a clinic's burst does not queue on one row
        ApiClient.objects.filter(pk=client.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRAIN)
        ).update(last_used_at=now)
        return (None, client)

    def authenticate_header(self, request):
        return self.keyword


class HasApiClient(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)

"""What the FHIR API says about itself: the CapabilityStatement (/fhir/R4/metadata) and SMART App Launch's
configuration (/fhir/R4/.well-known/smart-configuration), both made from the same tables the views use."""

from __future__ import annotations

from django.urls import reverse
from oauth2_provider.settings import oauth2_settings

from healthbank import policy
from healthbank.connect import scopes

from . import selectors

PUBLISHED = "2026-12-05"  # when this statement last changed (its ``date``)
PARAMETER_TEXT = {
    "_count": f"resources a page holds (0: only the total; at most {policy.FHIR_MAX_COUNT}, "
    f"{policy.FHIR_DEFAULT_COUNT} when not given)",
    "_offset": "where the page starts (the Bundle's next and previous links carry it)",
    "patient": "the token's own patient (Patient/<id> or <id>); another id matches nothing",
    "_id": "the token's own patient id; another id matches nothing",
    "date": "a day, month or year with an optional prefix (eq, ne, lt, le, gt, ge, sa, eb); repeat it for a range",
    "category": "laboratory or vital-signs",
}
_SEARCH_PARAMETER_TYPE = {"_count": "number", "_offset": "number", "patient": "reference", "_id": "token",
                          "date": "date", "category": "token"}  # fmt: skip


def _absolute(request, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


def _endpoints(request) -> dict[str, str]:
    return {
        "authorize": _absolute(request, "oauth2_provider:authorize"),
        "token": _absolute(request, "oauth2_provider:token"),
        "revoke": _absolute(request, "oauth2_provider:revoke-token"),
    }


def capability_statement(request) -> dict:
    from .api import search_parameters

    endpoints = _endpoints(request)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED,
        "publisher": "HealthBank",
        "kind": "instance",
        "software": {"name": "HealthBank"},
        "implementation": {
            "description": "HealthBank FHIR R4 read API for connected health apps",
            "url": request.build_absolute_uri(reverse("fhir:metadata").removesuffix("metadata")),
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "implementationGuide": ["https://twcore.mohw.gov.tw/ig/twcore/ImplementationGuide/tw.gov.mohw.twcore"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": key, "valueUri": url} for key, url in endpoints.items()],
                        }
                    ],
                    "description": "OAuth 2.0 authorization code with PKCE (S256); the person consents to each "
                    "category of data and may revoke the app at any time.",
                },
                "resource": [
                    {
                        "type": resource_type,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": _SEARCH_PARAMETER_TYPE[name], "documentation": PARAMETER_TEXT[name]}
                            for name in search_parameters(resource_type)
                        ],
                    }
                    for resource_type in selectors.RESOURCE_TYPES
                ]
                + [{"type": "Organization", "interaction": [{"code": "read"}]}],
            }
        ],
    }


def smart_configuration(request) -> dict:
    endpoints = _endpoints(request)
    return {
        "issuer": oauth2_settings.oidc_issuer(getattr(request, "_request", request)),
        "jwks_uri": _absolute(request, "oauth2_provider:jwks-info"),
        "authorization_endpoint": endpoints["authorize"],
        "token_endpoint": endpoints["token"],
        "revocation_endpoint": endpoints["revoke"],
        "userinfo_endpoint": _absolute(request, "oauth2_provider:user-info"),
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": list(scopes.all_scopes()),
        "capabilities": [
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "context-standalone-patient",
            "permission-patient",
            "sso-openid-connect",
        ],
    }

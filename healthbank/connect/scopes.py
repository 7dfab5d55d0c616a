"""What an agency or app may ask for, in the person's words, and DOT's scopes back end over it.

``openid`` and ``profile`` (the name) are what every login gets; ``national_id`` only a registration that
allows it. ``passbook.<category>`` reads one category of the passbook (access.Grant categories).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from healthbank.core.categories import DataCategory

OPENID = "openid"
PROFILE = "profile"
NATIONAL_ID = "national_id"
PASSBOOK_PREFIX = "passbook."

LOGIN_SCOPES = {
    OPENID: _("Confirm that you are logged in to HealthBank (an identifier only this service receives)"),
    PROFILE: _("Your name"),
    NATIONAL_ID: _("Your national ID number"),
}


def passbook_scope(category: str) -> str:
    return PASSBOOK_PREFIX + category


def category_of(scope: str) -> str | None:
    """The passbook category a scope reads, or None for a login scope."""
    if scope.startswith(PASSBOOK_PREFIX) and scope[len(PASSBOOK_PREFIX) :] in DataCategory.values:
        return scope[len(PASSBOOK_PREFIX) :]
    return None


def all_scopes() -> dict:
    """Every scope and what it means, login scopes first, then the passbook's categories in their order."""
    scopes = dict(LOGIN_SCOPES)
    for category in DataCategory:
        scopes[passbook_scope(category.value)] = _("Read your passbook: %(category)s") % {"category": category.label}
    return scopes


def describe(scope: str) -> str:
    return str(all_scopes().get(scope, scope))


class ScopesBackend:
    """DOT's scopes back end: an application may ask only for the scopes its registration lists."""

    def get_all_scopes(self):
        return all_scopes()

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(all_scopes())
        return application.scope_list()

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return [OPENID]

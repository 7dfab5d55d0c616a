"""Who may log people in or read their passbook through HealthBank (issue 14), and what stands for a person there.

``Application`` is django-oauth-toolkit's application (``OAUTH2_PROVIDER_APPLICATION_MODEL``) with what an
operator registers: an agency that logs people in, or a health app that reads their passbook with consent.
DOT keeps its grants and tokens against ``settings.AUTH_USER_MODEL``; citizens never log in to Django's auth,
so each person who signs in somewhere gets one ``PersonUser``: a Django user with no password and no staff
flag, used only as the owner of that person's codes and tokens.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from healthbank import policy
from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person

from . import scopes as scope_names


class Application(AbstractApplication):
    """An agency (relying party) or a health app, registered by an NHI operator."""

    class Kind(models.TextChoices):
        AGENCY = "agency", _("Government agency (log in with HealthBank)")
        HEALTH_APP = "health_app", _("Health app (reads the passbook with consent)")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    developer_name = models.CharField(_("developer"), max_length=200)
    privacy_policy_url = models.URLField(_("privacy policy"), max_length=500)
    allowed_scopes = models.TextField(
        _("scopes it may ask for"), help_text=_("space-separated, e.g. openid profile passbook.labs")
    )
    may_receive_national_id = models.BooleanField(
        _("may receive the national ID"),
        default=False,
        help_text=_("agencies only, when their registration says so; the person is shown it before agreeing"),
    )
    longest_access_months = models.PositiveSmallIntegerField(
        _("longest access (months)"),
        default=policy.CONNECT_ONE_TIME,
        validators=[MaxValueValidator(policy.CONNECT_LONGEST_ACCESS_MONTHS)],
        help_text=_("0: one time only"),
    )
    # The developer's privacy answers (a health app's consent page shows them; issue 14, decisions.md).
    sells_data = models.BooleanField(_("sells or rents people's data"), default=False)
    shares_data = models.BooleanField(
        _("shares people's data with others"), default=False, help_text=_("besides those who run its service for it")
    )
    deletes_on_request = models.BooleanField(_("deletes a person's data when they ask"), default=True)
    sandbox = models.BooleanField(
        _("developer sandbox"), default=False, help_text=_("may connect only the synthetic people of a test system")
    )

    class Meta(AbstractApplication.Meta):
        verbose_name = _("agency or health app")
        verbose_name_plural = _("agencies and health apps")
        permissions = [("register_application", _("Can register agencies and health apps"))]

    def scope_list(self) -> list[str]:
        """The scopes it may ask for; the national ID only when the registration allows it."""
        wanted = self.allowed_scopes.split()
        if not self.may_receive_national_id:
            wanted = [s for s in wanted if s != scope_names.NATIONAL_ID]
        return wanted

    @property
    def is_agency(self) -> bool:
        return self.kind == self.Kind.AGENCY

    def clean(self) -> None:
        super().clean()
        errors = {}
        known = scope_names.all_scopes()
        unknown = [s for s in self.allowed_scopes.split() if s not in known]
        if unknown:
            errors["allowed_scopes"] = _("Unknown scopes: %(scopes)s") % {"scopes": " ".join(unknown)}
        elif scope_names.OPENID not in self.allowed_scopes.split():
            errors["allowed_scopes"] = _("Every registration includes openid.")
        if self.may_receive_national_id and self.kind != self.Kind.AGENCY:
            errors["may_receive_national_id"] = _("Only an agency may receive the national ID.")
        if self.may_receive_national_id != (scope_names.NATIONAL_ID in self.allowed_scopes.split()):
            errors.setdefault(
                "may_receive_national_id",
                _("List the national_id scope exactly when the registration may receive the national ID."),
            )
        if self.sandbox and not settings.CONNECT_PEOPLE_ARE_SYNTHETIC:
            errors["sandbox"] = _("This system holds real people: a sandbox app belongs on a test system.")
        passbook = [s for s in self.allowed_scopes.split() if scope_names.category_of(s)]
        if passbook and self.kind != self.Kind.HEALTH_APP:
            errors.setdefault("allowed_scopes", _("Only a health app reads the passbook."))
        if self.kind == self.Kind.HEALTH_APP and not passbook:
            errors.setdefault("allowed_scopes", _("A health app asks for at least one passbook category."))
        if self.algorithm != self.RS256_ALGORITHM:
            errors["algorithm"] = _("ID tokens are signed with RS256.")
        if self.authorization_grant_type != self.GRANT_AUTHORIZATION_CODE:
            errors["authorization_grant_type"] = _("Only the authorization code flow (with PKCE) is offered.")
        if errors:
            raise ValidationError(errors)


class PersonUser(models.Model):
    """The Django user that owns a person's OAuth codes and tokens (never logs in anywhere)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="connect_user")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connect_person")

    class Meta:
        verbose_name = _("person's OAuth owner")
        verbose_name_plural = _("persons' OAuth owners")

    def __str__(self) -> str:
        return f"person-user {self.pk}"


class Authorization(models.Model):
    """What the person agreed to in one authorization: kept with the code until it is exchanged.

    The token request has no session, so what the login was (``acr``) and when (``auth_time``) ride here.
    """

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    code = models.OneToOneField(
        settings.OAUTH2_PROVIDER_GRANT_MODEL,
        on_delete=models.CASCADE,
        related_name="authorization",
        verbose_name=_("code"),
    )
    acr = models.CharField(_("how the person logged in"), max_length=64)
    auth_time = models.DateTimeField(_("logged in at"))
    connection_id = models.UUIDField(_("connected app"), null=True, blank=True, help_text=_("a health app's"))

    class Meta:
        verbose_name = _("authorization")
        verbose_name_plural = _("authorizations")

    def __str__(self) -> str:
        return f"authorization {self.pk}"


class AppConnection(models.Model):
    """A health app the person connected: its grant in the passbook's access rule, and when it was last used."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="app_connections", db_index=False)
    grant = models.ForeignKey("access.Grant", on_delete=models.PROTECT, related_name="+", db_index=False)
    app_id = models.UUIDField(_("app"), help_text=_("the Application's id (as access.Grant.grantee_app)"))
    created_at = models.DateTimeField(_("connected"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("connected app")
        verbose_name_plural = _("connected apps")
        indexes = [models.Index(fields=["person", "app_id"], name="appconnection_person_app")]

    def __str__(self) -> str:
        return f"app connection {self.pk}"

    @property
    def one_time(self) -> bool:
        """Agreed for one visit only: it lasts one access token and gets no refresh token."""
        lasts = self.grant.valid_until - self.grant.valid_from
        return lasts.total_seconds() <= policy.CONNECT_ACCESS_TOKEN_SECONDS

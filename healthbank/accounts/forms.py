from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.core import codes
from healthbank.core.display import CHINESE_TAG, glossed
from healthbank.identity.card_proof import CardProof, CertificateProof

from .captcha import captcha_field


class CardProofForm(forms.Form):
    """What the card agent answered; filled in by card-reader.js."""

    challenge = forms.CharField(widget=forms.HiddenInput, max_length=128)
    card_number = forms.CharField(widget=forms.HiddenInput, max_length=12)
    national_id = forms.CharField(widget=forms.HiddenInput, max_length=10)
    signature = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def proof(self) -> CardProof:
        d = self.cleaned_data
        return CardProof(d["challenge"], d["card_number"], d["national_id"].upper(), d["signature"])


class TermsForm(forms.Form):
    accept = forms.BooleanField(label=_("I have read and accept the terms of service"))


def county_choices():
    return [("", "—")] + [(c["name_zh"], c["name_zh"]) for c in codes.counties()]


def _password_hint() -> str:
    return gettext(
        "%(low)s–%(high)s characters. Strong: upper and lower case letters, digits and symbols, "
        "%(strong)s characters or more."
    ) % {
        "low": policy.PASSWORD_MIN_LENGTH,
        "high": policy.PASSWORD_MAX_LENGTH,
        "strong": policy.PASSWORD_STRONG_MIN_LENGTH,
    }


# Formatted at each request, in its language (a lazy string formatted at import is frozen in the default one).
password_hint = lazy(_password_hint, str)

# WCAG 1.3.5: each field that asks for the person's own details says which (HTML autocomplete tokens).
EMAIL = forms.EmailInput(attrs={"autocomplete": "email"})
MOBILE = forms.TextInput(attrs={"autocomplete": "mobile tel-national", "inputmode": "tel"})
LANDLINE = forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "tel"})
NEW_PASSWORD = {"autocomplete": "new-password", "data-strength-meter": "1"}


def household_number_field(**extra) -> forms.CharField:
    return forms.CharField(label=glossed(_("Household number"), "戶號"), max_length=8, **extra)


# Place names are Chinese on every page: their fields say so, for the screen reader's pronunciation.
def county_field(required: bool = True) -> forms.ChoiceField:
    widget = forms.Select(attrs={"autocomplete": "address-level1", "lang": CHINESE_TAG})
    return forms.ChoiceField(label=_("County or city"), choices=county_choices, required=required, widget=widget)


def township_field(required: bool = True) -> forms.CharField:
    widget = forms.TextInput(attrs={"autocomplete": "address-level2", "lang": CHINESE_TAG})
    return forms.CharField(label=_("Township or district"), max_length=10, required=required, widget=widget)


def village_field(required: bool = True) -> forms.CharField:
    widget = forms.TextInput(attrs={"autocomplete": "address-level3", "lang": CHINESE_TAG})
    return forms.CharField(label=glossed(_("Village"), "村里"), max_length=10, required=required, widget=widget)


def neighbourhood_field(required: bool = True) -> forms.IntegerField:
    widget = forms.NumberInput(attrs={"autocomplete": "address-level4"})
    label = glossed(_("Neighbourhood"), "鄰")
    return forms.IntegerField(label=label, min_value=1, max_value=999, required=required, widget=widget)


class RegistrationDetailsForm(forms.Form):
    household_number = household_number_field()
    county = county_field()
    township = township_field()
    village = village_field()
    neighbourhood = neighbourhood_field()
    password = forms.CharField(
        label=_("Registration password"),
        widget=forms.PasswordInput(attrs=NEW_PASSWORD),
        max_length=64,
        help_text=password_hint(),
    )
    password_confirm = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), max_length=64
    )
    landline = forms.CharField(label=_("Landline (optional)"), required=False, max_length=24, widget=LANDLINE)
    mobile = forms.CharField(label=_("Mobile number"), max_length=10, widget=MOBILE)
    email = forms.EmailField(label=_("E-mail"), widget=EMAIL)
    backup_email = forms.EmailField(label=_("Backup e-mail (optional)"), required=False, widget=EMAIL)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class CardNumberLoginForm(forms.Form):
    """SPEC §4: registered card without a reader — national ID + card number + password + captcha."""

    national_id = forms.CharField(label=_("National ID"), max_length=10)
    card_number = forms.CharField(label=_("NHI card number"), max_length=12)
    password = forms.CharField(label=_("Registration password"), widget=forms.PasswordInput, max_length=64)
    captcha = captcha_field()


class CardLoginForm(CardProofForm):
    """SPEC §4: card in the reader + registration password + captcha."""

    password = forms.CharField(label=_("Registration password"), widget=forms.PasswordInput, max_length=64)
    captcha = captcha_field()


class CertificateLoginForm(forms.Form):
    """What the card agent answered for the citizen certificate; the PIN stays between the page and the agent."""

    challenge = forms.CharField(widget=forms.HiddenInput, max_length=128)
    serial = forms.RegexField(regex=r"^[0-9A-Fa-f]{8,40}$", widget=forms.HiddenInput)
    signature = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def proof(self) -> CertificateProof:
        d = self.cleaned_data
        return CertificateProof(d["challenge"], d["serial"].upper(), d["signature"])


class KioskForm(CardProofForm):
    """SPEC §4 kiosk: the card in the kiosk's reader + the household number (戶號)."""

    household_number = household_number_field(widget=forms.TextInput(attrs={"autocomplete": "off"}))


class ForgotPasswordForm(CardProofForm):
    """Route 'registered': the link goes to the registered e-mail. Route 'new': a new e-mail + address + mobile."""

    route = forms.ChoiceField(
        label=_("Send the reset link"),
        choices=[("registered", _("to my registered e-mail")), ("new", _("to a new e-mail"))],
        widget=forms.RadioSelect,
        initial="registered",
    )
    new_email = forms.EmailField(label=_("New e-mail"), required=False, widget=EMAIL)
    household_number = household_number_field(required=False)
    county = county_field(required=False)
    township = township_field(required=False)
    village = village_field(required=False)
    neighbourhood = neighbourhood_field(required=False)
    mobile = forms.CharField(label=_("Registered mobile number"), max_length=10, required=False, widget=MOBILE)


class ResetPasswordForm(CardProofForm):
    password = forms.CharField(
        label=_("New registration password"),
        widget=forms.PasswordInput(attrs=NEW_PASSWORD),
        max_length=64,
        help_text=password_hint(),
    )
    password_confirm = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), max_length=64
    )


class ChangePasswordForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=64,
    )
    password = forms.CharField(
        label=_("New registration password"),
        widget=forms.PasswordInput(attrs=NEW_PASSWORD),
        max_length=64,
        help_text=password_hint(),
    )
    password_confirm = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), max_length=64
    )


class ContactsForm(forms.Form):
    mobile = forms.CharField(label=_("Mobile number"), max_length=10, widget=MOBILE)
    email = forms.EmailField(label=_("E-mail"), widget=EMAIL)
    backup_email = forms.EmailField(label=_("Backup e-mail (optional)"), required=False, widget=EMAIL)
    landline = forms.CharField(label=_("Landline (optional)"), required=False, max_length=24, widget=LANDLINE)

    def clean(self):
        # The registration's own rules (mobile 09…, landline area-number#extension) are checked with the
        # field checks, so one submit names every fault rather than one round each.
        from .services import Contacts, check_contacts

        cleaned = super().clean()
        typed = {name: str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields}
        found = check_contacts(Contacts(typed["email"], typed["mobile"], typed["backup_email"], typed["landline"]))
        for field, messages in found.items():
            if field in self.fields and field not in self.errors:
                for message in messages:
                    self.add_error(field, message)
        return cleaned

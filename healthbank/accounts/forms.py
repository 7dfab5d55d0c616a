from __future__ import annotations

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.core import codes
from healthbank.identity.card_proof import CardProof, CertificateProof


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


class RegistrationDetailsForm(forms.Form):
    household_number = forms.CharField(label=_("Household number (戶號)"), max_length=8)
    county = forms.ChoiceField(label=_("County or city"), choices=county_choices)
    township = forms.CharField(label=_("Township or district"), max_length=10)
    village = forms.CharField(label=_("Village (村里)"), max_length=10)
    neighbourhood = forms.IntegerField(label=_("Neighbourhood (鄰)"), min_value=1, max_value=999)
    password = forms.CharField(
        label=_("Registration password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "data-strength-meter": "1"}),
        max_length=64,
        help_text=_("%(low)s–%(high)s characters; mix upper and lower case, digits and symbols.")
        % {"low": policy.PASSWORD_MIN_LENGTH, "high": policy.PASSWORD_MAX_LENGTH},
    )
    password_confirm = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), max_length=64
    )
    landline = forms.CharField(label=_("Landline (optional)"), required=False, max_length=24)
    mobile = forms.CharField(label=_("Mobile number"), max_length=10)
    email = forms.EmailField(label=_("E-mail"))
    backup_email = forms.EmailField(label=_("Backup e-mail (optional)"), required=False)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class CardNumberLoginForm(forms.Form):
    """SPEC §4: registered card without a reader — national ID + card number + password + image captcha."""

    national_id = forms.CharField(label=_("National ID"), max_length=10)
    card_number = forms.CharField(label=_("NHI card number"), max_length=12)
    password = forms.CharField(label=_("Registration password"), widget=forms.PasswordInput, max_length=64)
    captcha = CaptchaField(label=_("Characters in the picture"))


class CardLoginForm(CardProofForm):
    """SPEC §4: card in the reader + registration password + image captcha."""

    password = forms.CharField(label=_("Registration password"), widget=forms.PasswordInput, max_length=64)
    captcha = CaptchaField(label=_("Characters in the picture"))


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

    household_number = forms.CharField(
        label=_("Household number (戶號)"), max_length=8, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class ForgotPasswordForm(CardProofForm):
    """Route 'registered': the link goes to the registered e-mail. Route 'new': a new e-mail + address + mobile."""

    route = forms.ChoiceField(
        label=_("Send the reset link"),
        choices=[("registered", _("to my registered e-mail")), ("new", _("to a new e-mail"))],
        widget=forms.RadioSelect,
        initial="registered",
    )
    new_email = forms.EmailField(label=_("New e-mail"), required=False)
    household_number = forms.CharField(label=_("Household number (戶號)"), max_length=8, required=False)
    county = forms.ChoiceField(label=_("County or city"), choices=county_choices, required=False)
    township = forms.CharField(label=_("Township or district"), max_length=10, required=False)
    village = forms.CharField(label=_("Village (村里)"), max_length=10, required=False)
    neighbourhood = forms.IntegerField(label=_("Neighbourhood (鄰)"), min_value=1, max_value=999, required=False)
    mobile = forms.CharField(label=_("Mobile number"), max_length=10, required=False)


class ResetPasswordForm(CardProofForm):
    password = forms.CharField(
        label=_("New registration password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "data-strength-meter": "1"}),
        max_length=64,
    )
    password_confirm = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, max_length=64)


class ChangePasswordForm(forms.Form):
    current_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput, max_length=64)
    password = forms.CharField(
        label=_("New registration password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "data-strength-meter": "1"}),
        max_length=64,
    )
    password_confirm = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, max_length=64)


class ContactsForm(forms.Form):
    mobile = forms.CharField(label=_("Mobile number"), max_length=10)
    email = forms.EmailField(label=_("E-mail"))
    backup_email = forms.EmailField(label=_("Backup e-mail (optional)"), required=False)
    landline = forms.CharField(label=_("Landline (optional)"), required=False, max_length=24)

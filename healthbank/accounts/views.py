"""Registration pages (SPEC §3): terms → card → registered address, password, contacts → e-mail link → card."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from healthbank import policy
from healthbank.core import codes
from healthbank.core.http import client_address
from healthbank.core.masking import mask_email
from healthbank.identity.card_proof import (
    CERTIFICATE_PURPOSE,
    CardProofError,
    issue_challenge,
    verify,
    verify_certificate,
)
from healthbank.identity.models import NhiCard, Person

from . import passwordreset, passwords, services
from .decorators import after_login, citizen_required
from .forms import (
    CardLoginForm,
    CardNumberLoginForm,
    CardProofForm,
    CertificateLoginForm,
    ChangePasswordForm,
    ContactsForm,
    ForgotPasswordForm,
    KioskForm,
    RegistrationDetailsForm,
    ResetPasswordForm,
    TermsForm,
)
from .login import (
    SESSION_SINCE,
    LoginError,
    Method,
    Proof,
    authenticate_at_kiosk,
    authenticate_with_card,
    authenticate_with_card_number,
    authenticate_with_certificate,
    end_session,
    start_person_session,
    start_session,
)

PURPOSES = {"register", "confirm", "resend", "cancel", "login", "forgot", "reset", "kiosk", CERTIFICATE_PURPOSE}
SESSION_CARD = "registration_card"
# Whose new password the strength meter checks on a page reached by a link (reset, unit-made registration).
SESSION_PASSWORD_PERSON = "password_check_person"  # noqa: S105 (a session key, not a password)
PROOF_FIELDS = ("challenge", "card_number", "national_id", "signature")


def _card_context(purpose: str, **extra) -> dict:
    return {"purpose": purpose, "agent_url": settings.CARD_AGENT_URL, "card_form": CardProofForm(), **extra}


def _verified_card(request, purpose: str) -> tuple[NhiCard | None, str]:
    form = CardProofForm(request.POST)
    if not form.is_valid():
        return None, _("The card could not be read; check the card agent and try again.")
    try:
        return verify(form.proof(), purpose), ""
    except CardProofError as exc:
        return None, exc.message


@require_POST
def card_challenge(request):
    purpose = request.POST.get("purpose", "")
    if purpose not in PURPOSES:
        return JsonResponse({"errors": {"purpose": [_("Unknown purpose.")]}}, status=400)
    return JsonResponse({"challenge": issue_challenge(purpose)})


def terms(request):
    form = TermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.session["registration_terms"] = True
        return redirect("accounts:register-card")
    return render(request, "accounts/terms.html", {"form": form})


def register_card(request):
    if not request.session.get("registration_terms"):
        return redirect("accounts:register")
    error = ""
    if request.method == "POST":
        card, error = _verified_card(request, "register")
        if card is not None:
            request.session[SESSION_CARD] = str(card.pk)
            return redirect("accounts:register-details")
    return render(request, "accounts/card.html", _card_context("register", error=error, step=2))


def register_details(request):
    card = NhiCard.objects.select_related("person").filter(pk=request.session.get(SESSION_CARD)).first()
    if card is None:
        return redirect("accounts:register-card")
    form = RegistrationDetailsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            application = services.start_online_registration(
                card,
                services.RegisteredAddressInput(
                    d["household_number"].strip().upper(), d["county"], d["township"], d["village"], d["neighbourhood"]
                ),
                d["password"],
                d["password_confirm"],
                services.Contacts(d["email"], d["mobile"], d["backup_email"], d["landline"]),
                language=get_language(),
            )
        except services.RegistrationError as exc:
            form.add_service_errors(exc.errors)
        else:
            request.session.pop(SESSION_CARD, None)
            request.session["registration_email"] = application.email
            return redirect("accounts:register-done")
    return render(request, "accounts/details.html", {"form": form, "name": card.person.name, "step": 3})


def register_done(request):
    email = request.session.get("registration_email", "")
    return render(request, "accounts/done.html", {"email": email, "days": policy.REGISTRATION_CONFIRM_DAYS})


def pending(request):
    """Resend the confirmation e-mail or cancel the application, after reading the card."""
    message, error = "", ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("resend", "cancel"):
            raise Http404
        card, error = _verified_card(request, action)
        if card is not None:
            try:
                if action == "resend":
                    application = services.resend_confirmation(card, language=get_language())
                    message = "resent"
                    request.session["registration_email"] = application.email
                else:
                    services.cancel_registration(card)
                    message = "cancelled"
            except services.RegistrationError as exc:
                error = " ".join(m for ms in exc.errors.values() for m in ms)
    actions = [("resend", _("Resend confirmation e-mail")), ("cancel", _("Cancel registration application"))]
    context = _card_context(
        "resend", error=error, message=message, actions=actions, days=policy.REGISTRATION_CONFIRM_DAYS
    )
    return render(request, "accounts/pending.html", context)


def confirm(request, token: str):
    try:
        application = services.application_for_token(token)
    except services.RegistrationError as exc:
        context = {"errors": exc.errors, "kind": "confirm", "days": policy.REGISTRATION_CONFIRM_DAYS}
        return render(request, "accounts/link_invalid.html", context, status=410)
    needs_password = not application.account.password  # registered by an insurance unit
    if needs_password:
        request.session[SESSION_PASSWORD_PERSON] = str(application.account.person_id)
    form = ResetPasswordForm(request.POST or None) if needs_password else None
    error = ""
    if request.method == "POST":
        card, error = _verified_card(request, "confirm")
        if card is not None:
            try:
                services.confirm_registration(
                    token, card, request.POST.get("password"), request.POST.get("password_confirm")
                )
            except services.RegistrationError as exc:
                error = " ".join(m for ms in exc.errors.values() for m in ms)
            else:
                request.session.pop(SESSION_PASSWORD_PERSON, None)
                return render(request, "accounts/confirmed.html")
        form = ResetPasswordForm() if needs_password else None
    context = _card_context("confirm", error=error, step=4, extra_form=form, meter=needs_password)
    return render(request, "accounts/card.html", context)


def _password_owner(request):
    """Whose password the page is choosing, when the session knows: the meter checks their ID and birth date."""
    if request.citizen is not None:
        return request.citizen.person
    card = NhiCard.objects.select_related("person").filter(pk=request.session.get(SESSION_CARD) or None).first()
    if card is not None:
        return card.person
    return Person.objects.filter(pk=request.session.get(SESSION_PASSWORD_PERSON) or None).first()


@require_POST
def password_check(request):
    """The strength meter asks here whether a new password would be accepted, so it never praises a refused one."""
    password = request.POST.get("password", "")[: policy.PASSWORD_MAX_LENGTH * 8]
    person = _password_owner(request)
    found = passwords.problems(
        password,
        national_id=person.national_id if person else "",
        birth_date=person.birth_date if person else None,
    )
    response = JsonResponse(
        {"strength": passwords.strength(password), "accepted": not found, "problems": [p.message for p in found]}
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def places(request):
    """Townships of a county, or villages of a township, for the cascading address selects."""
    county = next((c for c in codes.counties() if c["name_zh"] == request.GET.get("county")), None)
    if county is None:
        return JsonResponse({"options": []})
    township_name = request.GET.get("township")
    if not township_name:
        return JsonResponse({"options": [t["name_zh"] for t in county["townships"]]})
    township = next((t for t in county["townships"] if t["name_zh"] == township_name), None)
    return JsonResponse({"options": township["villages"] if township else []})


def login(request):
    form = CardNumberLoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            account = authenticate_with_card_number(
                d["national_id"], d["card_number"], d["password"], client_address(request)
            )
        except LoginError as exc:
            error = exc.message
            form = CardNumberLoginForm()  # a new captcha for every try
        else:
            start_session(request, account)
            return after_login(request)
    return render(request, "accounts/login.html", {"form": form, "error": error})


def login_with_card(request):
    """Card in the reader: the page has the card agent sign a challenge; password and captcha ride along."""
    form = CardLoginForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                card = verify(form.proof(), "login")
                account = authenticate_with_card(card, form.cleaned_data["password"], client_address(request))
            except (CardProofError, LoginError) as exc:
                error = exc.message
            else:
                start_session(request, account, proof=Proof.CARD_READER)
                return after_login(request)
        else:
            error = " ".join(m for field in ("password", "captcha") for m in form.errors.get(field, []))
            error = error or _("The card could not be read; check the card agent and try again.")
        form = CardLoginForm()  # a new captcha for every try
    context = _card_context("login", error=error, extra_form=form)
    return render(request, "accounts/login_card.html", context)


def login_with_certificate(request):
    """Citizen certificate + PIN: the agent checks the PIN and signs our challenge; no registration needed."""
    form = CertificateLoginForm(request.POST or None)
    error = ""
    if request.method == "POST":
        person = None
        if form.is_valid():
            try:
                person = verify_certificate(form.proof())
            except CardProofError as exc:
                error = exc.message
        else:
            error = _("The certificate could not be read; check the card agent and try again.")
        try:
            person = authenticate_with_certificate(person, client_address(request))
        except LoginError as exc:
            error = exc.message if exc.code != "invalid" or not error else error
        else:
            start_person_session(request, person, Method.CERTIFICATE)
            return after_login(request)
        form = CertificateLoginForm()
    context = {"agent_url": settings.CARD_AGENT_URL, "form": form, "error": error, "purpose": CERTIFICATE_PURPOSE}
    return render(request, "accounts/login_certificate.html", context)


def kiosk(request):
    """Self-service kiosk (SPEC §4): card in the kiosk's reader + household number; read only, nothing kept."""
    form = KioskForm(request.POST or None)
    error = ""
    if request.method == "POST":
        card, error = _verified_card(request, "kiosk")
        if card is not None:
            if form.is_valid():
                try:
                    person = authenticate_at_kiosk(card, form.cleaned_data["household_number"], client_address(request))
                except LoginError as exc:
                    error = exc.message
                else:
                    start_person_session(request, person, Method.KIOSK)
                    return redirect("accounts:me")
            else:
                error = " ".join(form.errors.get("household_number", []))
        form = KioskForm()
    idle_minutes = int(policy.KIOSK_IDLE_TIMEOUT.total_seconds() // 60)
    context = _card_context("kiosk", error=error, extra_form=form, idle_minutes=idle_minutes)
    return render(request, "accounts/kiosk.html", context)


@require_POST
def logout(request):
    at_kiosk = request.citizen is not None and request.citizen.at_kiosk
    end_session(request)
    return redirect("accounts:kiosk" if at_kiosk else "passbook:home")


@citizen_required(kiosk=True)
def me(request):
    from healthbank.access.rules import Reader, people_readable_by

    children = [grant.person for grant in people_readable_by(Reader.person(request.citizen.person))]
    return render(request, "accounts/me.html", {"citizen": request.citizen, "children": children})


@citizen_required(kiosk=True)
def access_log(request):
    """SPEC §11: the person sees who else read their data, what and when."""
    from healthbank.audit.selectors import access_log_for

    entries = access_log_for(request.citizen.person)
    return render(request, "accounts/access_log.html", {"entries": entries})


def _add_errors(form, errors: dict[str, list[str]]) -> None:
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _retyped(form_class, request):
    """The form as the person filled it in, without the card's answer: what they typed survives a mismatch."""
    data = request.POST.copy()
    for name in PROOF_FIELDS:
        data[name] = ""
    form = form_class(data)
    form.is_valid()
    for name in PROOF_FIELDS:
        form.errors.pop(name, None)
    return form


def forgot_password(request):
    """Read the card, then send a reset link to the registered e-mail or to a new one (SPEC §3)."""
    form = ForgotPasswordForm(request.POST or None)
    error, sent_to = "", ""
    if request.method == "POST":
        card, error = _verified_card(request, "forgot")
        if card is not None and form.is_valid():
            d = form.cleaned_data
            try:
                if d["route"] == "new":
                    reset = passwordreset.reset_to_new_email(
                        card,
                        d["new_email"] or "",
                        services.RegisteredAddressInput(
                            (d["household_number"] or "").strip().upper(),
                            d["county"] or "",
                            d["township"] or "",
                            d["village"] or "",
                            d["neighbourhood"] or 0,
                        ),
                        d["mobile"] or "",
                    )
                else:
                    reset = passwordreset.reset_to_registered_email(card)
            except services.RegistrationError as exc:
                form = _retyped(ForgotPasswordForm, request)
                _add_errors(form, {("new_email" if k == "email" else k): v for k, v in exc.errors.items()})
            else:
                # The registered address is shown masked, as the NHI's page does: whoever holds the card
                # does not learn the e-mail. A new address is the one just typed.
                sent_to = reset.email if reset.new_email else mask_email(reset.email)
                form = ForgotPasswordForm()
        else:
            form = _retyped(ForgotPasswordForm, request)
    context = _card_context(
        "forgot",
        error=error,
        extra_form=form,
        sent_to=sent_to,
        form_template="accounts/_forgot_fields.html",
        places=True,
        reset_hours=int(policy.PASSWORD_RESET_LINK_VALID_FOR.total_seconds() // 3600),
    )
    return render(request, "accounts/forgot.html", context)


def reset_password(request, token: str):
    try:
        reset = passwordreset.reset_for_token(token)
    except services.RegistrationError as exc:
        hours = int(policy.PASSWORD_RESET_LINK_VALID_FOR.total_seconds() // 3600)
        return render(
            request, "accounts/link_invalid.html", {"errors": exc.errors, "kind": "reset", "hours": hours}, status=410
        )
    request.session[SESSION_PASSWORD_PERSON] = str(reset.person_id)
    form = ResetPasswordForm(request.POST or None)
    error = ""
    if request.method == "POST":
        card, error = _verified_card(request, "reset")
        if card is not None and form.is_valid():
            d = form.cleaned_data
            try:
                passwordreset.complete_reset(token, card, d["password"], d["password_confirm"])
            except services.RegistrationError as exc:
                error = " ".join(m for ms in exc.errors.values() for m in ms)
            else:
                request.session.pop(SESSION_PASSWORD_PERSON, None)
                return render(request, "accounts/password_done.html")
        form = ResetPasswordForm()
    return render(request, "accounts/reset.html", _card_context("reset", error=error, extra_form=form, meter=True))


@citizen_required(account=True)
def change_password(request):
    form = ChangePasswordForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            account = passwordreset.change_password(
                request.citizen.account, d["current_password"], d["password"], d["password_confirm"]
            )
        except services.RegistrationError as exc:
            _add_errors(form, exc.errors)
        else:
            proof, since = Proof.of(request.session), request.session.get(SESSION_SINCE)
            start_session(request, account, proof=proof, since=since)  # this session goes on; every other one ends
            done, form = True, ChangePasswordForm()
    return render(request, "accounts/change_password.html", {"form": form, "done": done})


@citizen_required(account=True)
def change_contacts(request):
    account = request.citizen.account
    initial = {"mobile": account.mobile, "email": account.email, "backup_email": account.backup_email,
               "landline": account.landline}  # fmt: skip
    form = ContactsForm(request.POST or None, initial=initial)
    done = unchanged = False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            changed = passwordreset.change_contacts(
                account, services.Contacts(d["email"], d["mobile"], d["backup_email"], d["landline"])
            )
        except services.RegistrationError as exc:
            _add_errors(form, exc.errors)
        else:
            done, unchanged = changed, not changed
    return render(request, "accounts/contacts.html", {"form": form, "done": done, "unchanged": unchanged})

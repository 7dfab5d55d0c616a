"""The citizen's pages of the virtual NHI card (虛擬健保卡, SPEC §9): the card and its one-time QR, applying,
授權與管理 (delegations, institutions' authorisations, what I can use, use history), 新增授權對象 and 取得授權.

Thin: each view parses the form, calls a service or a selector and renders. The services decide and refuse
(``CardRefused`` names the field, the message and the status; ``NotReadable`` is a 404, exactly like a missing
id). Every page needs a logged-in citizen who is not at a kiosk: a kiosk only reads, and showing or lending a
card is not reading.
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlsplit

from csp.constants import SELF
from csp.decorators import csp_update
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from healthbank import policy
from healthbank.access.services import NotReadable
from healthbank.accounts.decorators import citizen_required
from healthbank.core import outage
from healthbank.core.http import client_address
from healthbank.core.masking import mask_card_number
from healthbank.core.rocdate import RocDateError, parse_roc
from healthbank.identity.models import Person
from healthbank.identity.services import current_card as current_nhi_card

from . import qr, selectors, services
from .models import CardApplication, Delegation, InstitutionRequest, Presenter
from .services import CardRefused, CardUnavailable

# Codes of named delegations just made, by delegation id: the code is shown once (only its hash is stored),
# and the session keeps it so the page survives a reload or Back until the delegate has taken it up.
SESSION_CODES = "vcard_delegation_codes"
SESSION_CODES_KEPT = 10
CODE_GROUP = 5  # ABCDE-FGHJK: read aloud or typed from another phone in two halves


# ---------------------------------------------------------------- small helpers


def _error(refused: CardRefused) -> dict:
    return {"field": refused.field, "message": refused.message}


def _is_partial(request) -> bool:
    """The page's script asked for the QR panel alone (htmx's header, which vcard.js sends too)."""
    return request.headers.get("HX-Request") == "true"


def _local_vcard_next(request, fallback: str) -> str:
    """Where to go back after a button: ``next`` only when it is a path of this site's virtual card pages."""
    target = request.POST.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        try:
            if resolve(parts.path).namespace == "vcard":
                return target
        except Resolver404:
            pass
    return reverse(fallback)


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _parse_day(value: str, field: str, label: str, *, required: bool) -> dt.date | None:
    """A day typed or picked: ISO (what a date picker sends) or ROC (``115/12/31``, as Chinese pages print it)."""
    value = (value or "").strip()
    if not value:
        if required:
            raise CardRefused(field, _("Enter the %(label)s.") % {"label": label})
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parse_roc(value)
    except RocDateError:
        raise CardRefused(
            field, _("The %(label)s is not a date; enter it like 2026-12-31 or 115/12/31.") % {"label": label}
        ) from None


def _grouped(code: str) -> str:
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def _qr_markup(text: str, title: str) -> str:
    """segno's own SVG (it escapes the title), marked safe to embed inline: no data: URL for the CSP to allow."""
    svg = qr.svg(text, title=title).replace("<svg ", '<svg role="img" ', 1)
    return mark_safe(svg)  # noqa: S308 - markup made by segno from our own token text, not from the request


def _last_day(ends_at: dt.datetime) -> dt.date:
    """The last day a person chose: a delegation ends at the (exclusive) midnight after it."""
    return timezone.localtime(ends_at - dt.timedelta(microseconds=1)).date()


def _delegation_origin(grant) -> str:
    """The delegation id behind a grant that lends a card, or "" (a child's grant or an application's)."""
    kind, _sep, reference = (grant.origin or "").partition(":")
    return reference if kind == "delegation" else ""


# ---------------------------------------------------------------- the card page


def _state_label(state: str) -> str:
    labels = {
        "waiting": _("Waiting for the delegate"),
        "expired": _("Not taken up in time"),
        "declined": _("Declined"),
        "cancelled": _("Cancelled"),
        "active": _("In force"),
        "scheduled": _("Starts later"),
        "ended": _("Ended"),
    }
    return labels.get(state, state)


def _home_context(person: Person) -> dict:
    card = selectors.current_card(person)
    nhi_card = current_nhi_card(person) if card is not None else None
    return {
        "title": _("Virtual NHI card"),
        "person": person,
        "card": card,
        "application": None if card is not None else selectors.latest_application(person),
        "card_number": mask_card_number(nhi_card.card_number) if nhi_card is not None else "",
        "waiting_requests": selectors.waiting_requests(person),
        "household_asks": [
            {"delegation": d, "last_day": _last_day(d.ends_at)} for d in selectors.waiting_household_asks(person)
        ],
        "usable": selectors.cards_i_can_use(person),
        "has_household": bool(selectors.household_members(person, timezone.localdate())),
        "qr_minutes": int(policy.VCARD_QR_VALID_FOR.total_seconds() // 60),
    }


@citizen_required()
@require_safe
def home(request):
    return render(request, "vcard/home.html", _home_context(request.citizen.person))


# ---------------------------------------------------------------- the one-time QR


def _qr_context(issued: services.IssuedQr, user: Person) -> dict:
    holder = issued.holder
    lent = holder.pk != user.pk
    title = _("One-time QR code of the virtual NHI card of %(name)s") % {"name": holder.masked_name}
    now = timezone.now()
    return {
        "issued": issued,
        "qr_svg": _qr_markup(issued.text, title),
        "lent": lent,
        "lent_why": issued.lent_by.get_why_display() if lent and issued.lent_by is not None else "",
        "lent_to_parent": lent and issued.lent_by is not None and issued.lent_by.why == "child_under_15",
        "for_id": holder.pk if lent else "",
        "expires_local": timezone.localtime(issued.expires_at),
        "seconds_left": max(0, int((issued.expires_at - now).total_seconds())),
        "qr_minutes": int(policy.VCARD_QR_VALID_FOR.total_seconds() // 60),
    }


def _qr_answer(request, person: Person, extra: dict, status: int = 200) -> HttpResponse:
    if _is_partial(request):
        context = {"qr_minutes": int(policy.VCARD_QR_VALID_FOR.total_seconds() // 60), **extra}
        return render(request, "vcard/_qr.html", context, status=status)
    return render(request, "vcard/home.html", {**_home_context(person), **extra}, status=status)


@citizen_required()
@require_http_methods(["GET", "HEAD", "POST"])
def qr_code(request):
    """出示 QR Code: a new one-time code of one's own card, or (``for``) of a card lent to one."""
    if request.method != "POST":
        return redirect("vcard:home")  # a reload after a language switch: the code is never made by a GET
    person = request.citizen.person
    wanted = request.POST.get("for", "").strip()
    holder = person
    if wanted and wanted != str(person.pk):
        holder_id = _parse_uuid(wanted)
        holder = Person.objects.filter(pk=holder_id).first() if holder_id else None
        if holder is None:
            raise Http404
    for_id = holder.pk if holder.pk != person.pk else ""
    try:
        issued = services.issue_card_qr(user=person, holder=holder)
    except NotReadable:
        raise Http404 from None
    except CardUnavailable:
        response = _qr_answer(request, person, {"qr_error": outage.outage_message(), "for_id": for_id}, 503)
        response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
        return response
    except CardRefused as refused:
        return _qr_answer(request, person, {"qr_error": refused.message, "for_id": for_id}, refused.status)
    return _qr_answer(request, person, _qr_context(issued, person))


@citizen_required()
@require_safe
def card_photo(request, person_id):
    """The photo on a card, for its holder and for whoever may show that card (logged); anyone else a 404."""
    try:
        picture = selectors.card_photo_for(request.citizen.person, person_id)
    except (ValueError, FileNotFoundError, OSError):
        raise Http404 from None
    if picture is None:
        raise Http404
    response = HttpResponse(picture, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- applying


def _apply_context(request, person: Person, *, asked: dict | None = None, error: dict | None = None) -> dict:
    account = request.citizen.account
    members = selectors.household_members(person, timezone.localdate())
    has_card = selectors.current_card(person) is not None
    asked = asked or {
        # Someone who has a card already comes here to apply for a member of their household.
        "person": str(members[0].pk if has_card and members else person.pk),
        "document": "",
        "phone": getattr(account, "mobile", "") or "",
        "email": getattr(account, "email", "") or "",
        "terms": False,
    }
    return {
        "title": _("Apply for the virtual NHI card"),
        "person": person,
        "members": members,
        "has_card": has_card,
        "documents": CardApplication.Document.choices,
        "asked": asked,
        "error": error,
        "young_age": policy.VCARD_PHOTO_ID_OPTIONAL_UNDER_AGE,
        "max_mb": policy.VCARD_PHOTO_MAX_BYTES // (1024 * 1024),
    }


# The photo preview is a blob: URL of the file the person chose; it never leaves the browser.
@csp_update({"img-src": [SELF, "blob:"]})
@citizen_required()
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request):
    """申請 — for oneself or (依附眷屬) for a member of one's NHI household without a phone."""
    person = request.citizen.person
    if request.method != "POST":
        return render(request, "vcard/apply.html", _apply_context(request, person))
    asked = {
        "person": request.POST.get("person", "").strip() or str(person.pk),
        "document": request.POST.get("document", ""),
        "phone": request.POST.get("phone", ""),
        "email": request.POST.get("email", ""),
        "terms": request.POST.get("terms") == "on",
    }
    try:
        if asked["person"] == str(person.pk):
            chosen = person
        else:
            members = selectors.household_members(person, timezone.localdate())
            chosen = next((m for m in members if str(m.pk) == asked["person"]), None)
            if chosen is None:
                raise CardRefused("person", _("You can apply only for yourself or a member of your NHI household."))
        services.submit_application(
            applicant=person,
            person=chosen,
            terms_accepted=asked["terms"],
            document=asked["document"],
            document_photo=request.FILES.get("document_photo"),
            portrait=request.FILES.get("portrait"),
            phone=asked["phone"],
            email=asked["email"],
            language=request.LANGUAGE_CODE,
        )
    except CardRefused as refused:
        context = _apply_context(request, person, asked=asked, error=_error(refused))
        return render(request, "vcard/apply.html", context, status=refused.status)
    messages.success(request, _("Submitted; you will get an e-mail when it is reviewed."))
    return redirect("vcard:home")


# ---------------------------------------------------------------- 授權與管理


def _request_state(item: InstitutionRequest, now: dt.datetime) -> tuple[str, bool]:
    """A label for an institution's request and whether it can still be ended (waiting, or its hour running)."""
    state = selectors.request_state(item, now)
    labels = {
        "waiting": _("Waiting for your answer"),
        "expired": _("Not answered in time"),
        "declined": _("Declined"),
        "ended": _("Ended"),
        "accepted": _("In force"),
    }
    return labels[state], state in ("waiting", "accepted")


def _shown_by(scan) -> str:
    if scan.presenter == Presenter.GRANTEE:
        return scan.presented_by.masked_name if scan.presented_by else _("Someone the card is lent to")
    if scan.presenter == Presenter.HOLDER_APP:
        return _("You, in the app")
    return _("You, on the web")


@citizen_required()
@require_safe
def manage(request):
    person = request.citizen.person
    now = timezone.now()
    delegations = [
        {
            "delegation": d,
            "state": (state := selectors.delegation_state(d, now)),
            "label": _state_label(state),
            "last_day": _last_day(d.ends_at),
        }
        for d in selectors.my_delegations(person)
    ]
    authorisations = []
    for item in selectors.my_institution_authorisations(person):
        label, endable = _request_state(item, now)
        authorisations.append({"request": item, "label": label, "endable": endable})
    usable = [{"grant": g, "delegation_id": _delegation_origin(g)} for g in selectors.cards_i_can_use(person)]
    context = {
        "title": _("Authorisations"),
        "person": person,
        "card": selectors.current_card(person),
        "delegations": delegations,
        "authorisations": authorisations,
        "usable": usable,
        "history": [{"scan": s, "shown_by": _shown_by(s)} for s in selectors.scan_history(person)],
        "scans_by_me": selectors.scans_by_me(person),
    }
    return render(request, "vcard/manage.html", context)


# ---------------------------------------------------------------- 新增授權對象


def _new_delegation_context(person: Person, *, asked: dict | None = None, error: dict | None = None) -> dict:
    today = timezone.localdate()
    return {
        "title": _("Add a delegate"),
        "card": selectors.current_card(person),
        "members": selectors.household_members(person, today),
        "asked": asked or {"kind": Delegation.Kind.NAMED, "starts_on": today.isoformat()},
        "error": error,
        "today": today,
        "outside_days": policy.VCARD_DELEGATION_MAX_OUTSIDE_HOUSEHOLD.days,
        "household_days": policy.VCARD_DELEGATION_MAX_IN_HOUSEHOLD.days,
        "agree_minutes": int(policy.VCARD_HOUSEHOLD_ACCEPT_WITHIN.total_seconds() // 60),
        "code_hours": int(policy.VCARD_DELEGATION_CODE_VALID_FOR.total_seconds() // 3600),
    }


def _keep_code(request, delegation_id, code: str) -> None:
    kept = dict(request.session.get(SESSION_CODES, {}))
    kept[str(delegation_id)] = code
    request.session[SESSION_CODES] = dict(list(kept.items())[-SESSION_CODES_KEPT:])


@citizen_required()
@require_http_methods(["GET", "HEAD", "POST"])
def new_delegation(request):
    """新增授權對象 — a specific person (a code they take up) or a member of one's NHI household (who agrees)."""
    person = request.citizen.person
    if request.method != "POST":
        return render(request, "vcard/new_delegation.html", _new_delegation_context(person))
    asked = {
        "kind": request.POST.get("kind", Delegation.Kind.NAMED),
        "delegate_national_id": request.POST.get("delegate_national_id", "").strip(),
        "label": request.POST.get("label", "").strip(),
        "member": request.POST.get("member", ""),
        "starts_on": request.POST.get("starts_on", ""),
        "ends_on": request.POST.get("ends_on", ""),
    }
    try:
        starts_on = _parse_day(asked["starts_on"], "starts_on", _("first day"), required=False)
        ends_on = _parse_day(asked["ends_on"], "ends_on", _("last day"), required=True)
        if asked["kind"] == Delegation.Kind.HOUSEHOLD:
            if not asked["member"]:
                raise CardRefused("member", _("Choose a member of your NHI household."))
            delegation = services.delegate_to_household_member(
                person, asked["member"], starts_on=starts_on, ends_on=ends_on
            )
        else:
            delegation, code = services.delegate_to_named_person(
                person,
                delegate_national_id=asked["delegate_national_id"],
                label=asked["label"],
                starts_on=starts_on,
                ends_on=ends_on,
            )
            _keep_code(request, delegation.pk, code)
    except CardRefused as refused:
        asked["delegate_national_id"] = asked["delegate_national_id"].upper()
        context = _new_delegation_context(person, asked=asked, error=_error(refused))
        return render(request, "vcard/new_delegation.html", context, status=refused.status)
    return redirect("vcard:delegation", delegation.pk)


@citizen_required()
@require_safe
def delegation(request, delegation_id):
    """One delegation of one's own card: its state, and while it waits the code and its QR (named) or the wait."""
    person = request.citizen.person
    # Scoped to the holder: someone else's delegation answers 404, exactly like a missing one.
    found = selectors.delegation_of(person, delegation_id)
    if found is None:
        raise Http404
    now = timezone.now()
    state = selectors.delegation_state(found, now)
    kept = request.session.get(SESSION_CODES, {})
    code = kept.get(str(found.pk), "") if state == "waiting" and found.kind == Delegation.Kind.NAMED else ""
    if state != "waiting" and str(found.pk) in kept:
        request.session[SESSION_CODES] = {k: v for k, v in kept.items() if k != str(found.pk)}
    context = {
        "title": _("Delegation"),
        "delegation": found,
        "state": state,
        "state_label": _state_label(state),
        "last_day": _last_day(found.ends_at),
        "code": _grouped(code) if code else "",
        "named": found.kind == Delegation.Kind.NAMED,
        "household": found.kind == Delegation.Kind.HOUSEHOLD,
        "endable": state in ("waiting", "scheduled", "active"),
    }
    if code:
        link = request.build_absolute_uri(reverse("vcard:obtain")) + "?code=" + code
        context["code_qr"] = _qr_markup(link, _("QR code of the delegation code"))
    return render(request, "vcard/delegation.html", context)


# ---------------------------------------------------------------- 取得授權


@citizen_required(come_back=True)  # the delegate scans the holder's QR while logged out: the code survives
@require_http_methods(["GET", "HEAD", "POST"])
def obtain(request):
    """取得授權 — the delegate, logged in as themselves, types or scans the code they were given."""
    person = request.citizen.person
    if request.method != "POST":
        code = _grouped(services.normalise_code(request.GET.get("code", "")))
        return render(request, "vcard/obtain.html", {"title": _("Obtain authorisation"), "code": code})
    code = request.POST.get("code", "")
    try:
        done = services.obtain_delegation(person, code, address=client_address(request))
    except CardRefused as refused:
        context = {"title": _("Obtain authorisation"), "code": code.strip()[:40], "error": _error(refused)}
        return render(request, "vcard/obtain.html", context, status=refused.status)
    messages.success(request, _("You can now show the card of %(name)s.") % {"name": done.person.masked_name})
    return redirect("vcard:home")


# ---------------------------------------------------------------- buttons: answer, end, give back


def _answer(request, choices: dict[str, bool]) -> bool | None:
    return choices.get(request.POST.get("answer", ""))


@require_POST
@citizen_required()
def answer_request(request, request_id):
    """同意 or decline an institution's request (within its 10 minutes)."""
    accept = _answer(request, {"accept": True, "decline": False})
    if accept is None:
        return HttpResponseBadRequest(_("Answer accept or decline."), content_type="text/plain; charset=utf-8")
    try:
        item = services.answer_request(request.citizen.person, request_id, accept=accept)
    except NotReadable:
        raise Http404 from None
    except CardRefused as refused:
        messages.error(request, refused.message)
    else:
        if accept:
            until = timezone.localtime(item.grant.valid_until) if item.grant else None
            messages.success(
                request,
                _("%(institution)s may use your card until %(until)s.")
                % {"institution": item.institution.name, "until": f"{until:%H:%M}" if until else ""},
            )
        else:
            messages.success(
                request, _("You declined the request of %(institution)s.") % {"institution": item.institution.name}
            )
    return redirect(_local_vcard_next(request, "vcard:home"))


@require_POST
@citizen_required()
def end_request(request, request_id):
    try:
        item = services.end_institution_authorisation(request.citizen.person, request_id)
    except NotReadable:
        raise Http404 from None
    except CardRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("The authorisation of %(institution)s has ended.") % {"institution": item.institution.name}
        )
    return redirect(_local_vcard_next(request, "vcard:manage"))


@require_POST
@citizen_required()
def answer_household(request, delegation_id):
    """The household member agrees (within 10 minutes) or declines to be lent a card."""
    agree = _answer(request, {"agree": True, "decline": False})
    if agree is None:
        return HttpResponseBadRequest(_("Answer agree or decline."), content_type="text/plain; charset=utf-8")
    try:
        item = services.answer_household_delegation(request.citizen.person, delegation_id, agree=agree)
    except NotReadable:
        raise Http404 from None
    except CardRefused as refused:
        messages.error(request, refused.message)
    else:
        name = item.person.masked_name
        if agree:
            messages.success(request, _("You can now show the card of %(name)s.") % {"name": name})
        else:
            messages.success(request, _("You declined to use the card of %(name)s.") % {"name": name})
    return redirect(_local_vcard_next(request, "vcard:home"))


@require_POST
@citizen_required()
def end_delegation(request, delegation_id):
    """The holder ends a delegation early (or cancels a waiting one); the delegate gives a card back."""
    person = request.citizen.person
    try:
        item = services.end_delegation(person, delegation_id)
    except NotReadable:
        raise Http404 from None
    except CardRefused as refused:
        messages.error(request, refused.message)
    else:
        if item.person_id == person.pk:
            messages.success(request, _("The delegation has ended; the delegate can no longer show your card."))
        else:
            name = item.person.masked_name
            messages.success(request, _("You gave back the card of %(name)s.") % {"name": name})
    return redirect(_local_vcard_next(request, "vcard:manage"))

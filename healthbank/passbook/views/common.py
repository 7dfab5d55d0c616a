"""What every passbook page shares: who reads whose passbook, the shell, and refusals as pages."""

from __future__ import annotations

from functools import wraps

from csp.constants import SELF
from csp.decorators import csp_update
from django.shortcuts import redirect, render

from healthbank import policy
from healthbank.access.services import NotReadable
from healthbank.core.categories import DataCategory

from ..listing import ListError
from ..viewing import open_viewing, reader_for_request, switchable_people


def passbook_page(view):
    """A passbook page of ``person_id``: log in first; 404 when not the reader's to read; 400 for bad parameters.

    The view gets the ``Viewing``; the shell's context (switcher, navigation, data-lag notice) is added to
    what it returns as ``(template, context)`` or ``(template, context, status)``.
    """

    # Bootstrap's stylesheet draws its small icons (select arrows, close buttons) as data: images.
    @csp_update({"img-src": [SELF, "data:"]})
    @wraps(view)
    def wrapper(request, person_id, *args, **kwargs):
        reader = reader_for_request(request)
        if reader is None:
            return redirect("accounts:login")
        citizen = getattr(request, "citizen", None)
        known = citizen.person if citizen is not None else None
        viewing = open_viewing(reader, person_id, known=known)  # NotReadable → Django's 404 page
        try:
            result = view(request, viewing, *args, **kwargs)
        except ListError as exc:
            context = {"error_field": exc.field, "error_message": exc.message}
            return render(
                request, "passbook/list_error.html", shell_context(request, viewing) | context, status=exc.status
            )
        if not isinstance(result, tuple):
            return result  # a redirect or a file
        template, context, *status = result
        return render(request, template, shell_context(request, viewing) | context, status=status[0] if status else 200)

    return wrapper


def shell_context(request, viewing) -> dict:
    here = ""
    if request.resolver_match:
        match = request.resolver_match
        here = match.url_name if match.namespace in ("", "passbook") else f"{match.namespace}:{match.url_name}"
    return {
        "viewing": viewing,
        "whose": viewing.person,
        "switchable": switchable_people(viewing.reader, known=getattr(request.citizen, "person", None)),
        "nav": navigation(viewing, here),
        "here": here,
        "lag_hours": policy.DATA_LAG_NOTICE_HOURS,
        "acting_for_other": not viewing.is_self,
    }


# The seed's menu (個人專區 | 健康資料 | 疾病評估 | 下載): (url name, label, category needed or None); groups in order.
def navigation(viewing, here: str) -> list[dict]:
    from django.urls import NoReverseMatch, reverse
    from django.utils.translation import gettext_lazy as _

    groups = [
        (_("Personal"), [("insurance", _("Insurance"), DataCategory.INSURANCE)]),
        (
            _("Health data"),
            [
                ("measurements", _("Measurements and reminders"), DataCategory.MEASUREMENTS),
                ("vaccinations", _("Vaccinations"), DataCategory.VACCINATIONS),
                ("outpatient", _("Western-medicine outpatient"), DataCategory.OUTPATIENT),
                ("chinese", _("Chinese medicine"), DataCategory.CHINESE_MEDICINE),
                ("dental", _("Dental"), DataCategory.DENTAL),
                ("inpatient", _("Inpatient"), DataCategory.INPATIENT),
                ("surgery", _("Surgery"), DataCategory.OUTPATIENT),
                ("medication", _("Medication"), DataCategory.OUTPATIENT),
                ("labs", _("Lab results"), DataCategory.LABS),
                ("preventive", _("Adult preventive care"), DataCategory.PREVENTIVE_CARE),
                ("screening", _("Cancer screening"), DataCategory.CANCER_SCREENING),
                ("follow-up", _("Follow-up care"), DataCategory.DIABETES),
            ],
        ),
        (_("Risk assessments"), [("risk", _("Liver cancer and kidney disease"), DataCategory.LABS)]),
        (
            _("Download"),
            [
                ("exports:download", _("Download my data"), None),
                ("exports:summary", _("Summary for my doctor"), None),
            ],
        ),
    ]
    menu = []
    for label, items in groups:
        links = []
        for name, item_label, category in items:
            if category is not None and not viewing.can(category):
                continue
            try:
                url = reverse(name if ":" in name else f"passbook:{name}", args=[viewing.person.pk])
            except NoReverseMatch:
                continue  # a page not built yet
            links.append({"url": url, "label": item_label, "current": name == here})
        if links:
            menu.append({"label": label, "links": links, "current": any(link["current"] for link in links)})
    return menu


__all__ = ["NotReadable", "passbook_page", "shell_context"]

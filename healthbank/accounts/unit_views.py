"""The insurance unit portal (SPEC §3.3): log in, upload a batch registration file, see past uploads."""

from __future__ import annotations

from django import forms
from django.contrib.auth.hashers import check_password
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from healthbank import policy
from healthbank.core.http import client_address
from healthbank.identity.models import InsuranceUnit

from . import batch
from .login import count_source_failure, source_blocked

SESSION_UNIT = "insurance_unit"


class UnitLoginForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Insurance unit code"), max_length=9)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, max_length=64)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Batch registration file (CSV)"))


def _unit(request) -> InsuranceUnit | None:
    unit_id = request.session.get(SESSION_UNIT)
    return InsuranceUnit.objects.filter(pk=unit_id).first() if unit_id else None


def unit_login(request):
    form = UnitLoginForm(request.POST or None)
    error = ""
    source = client_address(request)
    if request.method == "POST" and form.is_valid():
        unit = InsuranceUnit.objects.filter(code=form.cleaned_data["code"].strip()).first()
        if source_blocked(source):
            error = _("Too many failed attempts from this address; try again later.")
        elif unit and unit.portal_password and check_password(form.cleaned_data["password"], unit.portal_password):
            request.session.cycle_key()
            request.session[SESSION_UNIT] = str(unit.pk)
            request.session.set_expiry(int(policy.SESSION_IDLE_TIMEOUT.total_seconds()))
            return redirect("accounts:unit-home")
        else:
            count_source_failure(source)
            error = _("The unit code or password is not correct.")
    return render(request, "accounts/unit_login.html", {"form": form, "error": error})


def unit_home(request):
    unit = _unit(request)
    if unit is None:
        return redirect("accounts:unit-login")
    form = UploadForm(request.POST or None, request.FILES or None)
    upload, error = None, ""
    if request.method == "POST" and form.is_valid():
        handle = form.cleaned_data["file"]
        if handle.size > policy.BATCH_REGISTRATION_MAX_BYTES:
            error = _("The file is larger than %(mb)s MB.") % {"mb": policy.BATCH_REGISTRATION_MAX_BYTES // 2**20}
        else:
            try:
                upload = batch.process_upload(unit, handle.name, handle.read(), language=get_language())
            except batch.BatchFileError as exc:
                error = exc.message
    uploads = unit.batch_uploads.order_by("-uploaded_at")[:50]
    context = {"unit": unit, "form": form, "upload": upload, "error": error, "uploads": uploads}
    return render(request, "accounts/unit_home.html", context)


def unit_result(request, upload_id):
    unit = _unit(request)
    if unit is None:
        return redirect("accounts:unit-login")
    upload = unit.batch_uploads.filter(pk=upload_id).first()
    if upload is None:
        raise Http404
    response = HttpResponse("\ufeff" + upload.result_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{upload.file_name.replace(".csv", "_result.csv")}"'
    return response


@require_POST
def unit_logout(request):
    request.session.flush()
    return redirect("accounts:unit-login")

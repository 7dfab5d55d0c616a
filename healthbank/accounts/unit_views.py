"""The insurance unit portal (SPEC §3.3): log in, upload a batch registration file, see past uploads."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from healthbank import policy
from healthbank.core.http import client_address
from healthbank.identity.models import InsuranceUnit

from . import batch
from .login import LoginError, authenticate_unit

SESSION_UNIT = "insurance_unit"


class UnitLoginForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Insurance unit code"), max_length=9)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, max_length=64)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Batch registration file (CSV)"))


def _unit(request) -> InsuranceUnit | None:
    unit_id = request.session.get(SESSION_UNIT)
    return InsuranceUnit.objects.filter(pk=unit_id).first() if unit_id else None


@never_cache
def unit_login(request):
    form = UnitLoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            unit = authenticate_unit(d["code"], d["password"], client_address(request))
        except LoginError as exc:
            error = exc.message
        else:
            request.session.cycle_key()
            request.session[SESSION_UNIT] = str(unit.pk)
            request.session.set_expiry(int(policy.SESSION_IDLE_TIMEOUT.total_seconds()))
            return redirect("accounts:unit-home")
    return render(request, "accounts/unit_login.html", {"form": form, "error": error})


@never_cache
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
    context = {"unit": unit, "form": form, "upload": upload, "error": error, "uploads": uploads,
               "example_name": batch.example_file_name(unit)}  # fmt: skip
    return render(request, "accounts/unit_home.html", context, status=400 if error else 200)


@never_cache
def unit_result(request, upload_id):
    unit = _unit(request)
    if unit is None:
        return redirect("accounts:unit-login")
    upload = unit.batch_uploads.filter(pk=upload_id).first()
    if upload is None:
        raise Http404
    response = HttpResponse("\ufeff" + batch.result_file(upload), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{upload.result_file_name}"'
    return response


@require_POST
def unit_logout(request):
    request.session.flush()
    return redirect("accounts:unit-login")

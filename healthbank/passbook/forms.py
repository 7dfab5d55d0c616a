"""The measurements form (SPEC §6.2): every value optional, at least one, each inside its human range.

The web page and the app's POST use this one form, so both refuse the same values with the same words; a
refusal names the field it is about (``errors`` keyed by field, the message saying which value).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from healthbank import policy
from healthbank.core import display

from .models import MEASURED_VALUES

LABELS = {
    "measured_on": _("Date measured"),
    "height_cm": _("Height (cm)"),
    "weight_kg": _("Weight (kg)"),
    "waist_cm": _("Waist (cm)"),
    "systolic": _("Systolic pressure (mmHg)"),
    "diastolic": _("Diastolic pressure (mmHg)"),
    "fasting_glucose": _("Fasting glucose (mg/dL)"),
    "heart_rate": _("Heart rate (beats a minute)"),
}


def _decimal(name: str) -> forms.DecimalField:
    low, high = policy.MEASUREMENT_RANGES[name]
    return forms.DecimalField(
        label=LABELS[name],
        required=False,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": str(low), "max": str(high), "inputmode": "decimal"}),
    )


def _whole(name: str) -> forms.IntegerField:
    low, high = policy.MEASUREMENT_RANGES[name]
    return forms.IntegerField(
        label=LABELS[name],
        required=False,
        widget=forms.NumberInput(attrs={"step": "1", "min": str(low), "max": str(high), "inputmode": "numeric"}),
    )


class DayInput(forms.DateInput):
    input_type = "date"


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(
        label=LABELS["measured_on"], widget=DayInput(format="%Y-%m-%d"), input_formats=["%Y-%m-%d"]
    )
    height_cm = _decimal("height_cm")
    weight_kg = _decimal("weight_kg")
    waist_cm = _decimal("waist_cm")
    systolic = _whole("systolic")
    diastolic = _whole("diastolic")
    fasting_glucose = _whole("fasting_glucose")
    heart_rate = _whole("heart_rate")

    def __init__(self, *args, birth_date: dt.date, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.birth_date = birth_date
        self.today = today
        self.fields["measured_on"].widget.attrs.update({"min": birth_date.isoformat(), "max": today.isoformat()})
        for name in MEASURED_VALUES:
            field = self.fields[name]
            whole = isinstance(field, forms.IntegerField)
            word = _("%(field)s: enter a whole number.") if whole else _("%(field)s: enter a number.")
            field.error_messages["invalid"] = word % {"field": LABELS[name]}
            field.error_messages["max_decimal_places"] = _("%(field)s: at most one decimal place.") % {
                "field": LABELS[name]
            }

    def clean_measured_on(self) -> dt.date:
        day = self.cleaned_data["measured_on"]
        if day > self.today:
            raise forms.ValidationError(_("The date measured cannot be in the future."), code="future")
        if day < self.birth_date:
            raise forms.ValidationError(
                _("The date measured cannot be before the date of birth (%(birth)s).")
                % {"birth": display.format_date(self.birth_date)},
                code="before_birth",
            )
        return day

    def clean(self) -> dict:
        data = super().clean()
        for name in MEASURED_VALUES:
            value = data.get(name)
            if value is None:
                continue
            low, high = policy.MEASUREMENT_RANGES[name]
            if not low <= value <= high:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("%(field)s must be between %(low)s and %(high)s.")
                        % {"field": LABELS[name], "low": low, "high": high},
                        code="out_of_range",
                    ),
                )
                data.pop(name, None)
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error(
                "diastolic",
                forms.ValidationError(
                    _("%(field)s must be below the systolic pressure.") % {"field": LABELS["diastolic"]},
                    code="not_below_systolic",
                ),
            )
        if not self.errors and all(data.get(name) is None for name in MEASURED_VALUES):
            raise forms.ValidationError(_("Enter at least one measurement."), code="empty")
        return data

    def values(self) -> dict:
        """The cleaned values (Decimal or int or None) and the date, for ``services.record_measurement``."""
        return {name: self.cleaned_data.get(name) for name in ("measured_on", *MEASURED_VALUES)}


def coerce_json(body) -> dict:
    """An app's JSON object as form data: numbers as text (a float's shortest form), null as empty."""
    if not isinstance(body, dict):
        return {"__all__": None}
    data = {}
    for key, value in body.items():
        if value is None:
            data[key] = ""
        elif isinstance(value, bool):
            data[key] = "not a number"
        elif isinstance(value, float):
            data[key] = str(Decimal(repr(value)))
        else:
            data[key] = str(value)
    return data

"""What the passbook writes: a person's own measurements (SPEC §6.2), by the person or the parent of a child.

The actor is the viewing's reader, passed explicitly; only ``viewing.may_write`` readers write (a kiosk or an
operator at the counter only reads). Every value is checked by ``forms.MeasurementForm`` first; a refusal
writes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.accounts import limits
from healthbank.core.categories import DataCategory

from .forms import MeasurementForm
from .models import Measurement
from .selectors.common import open_category
from .viewing import Viewing


class MayNotWrite(Exception):
    """This reader may look at the passbook but not add to it (403)."""


class MeasurementRefused(Exception):
    """Values outside the rules: ``errors`` maps each field (or ``__all__``) to its reasons."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def measurement_form(viewing: Viewing, data=None) -> MeasurementForm:
    return MeasurementForm(data, birth_date=viewing.person.birth_date, today=viewing.today)


def record_measurement(viewing: Viewing, values) -> Measurement:
    """Check ``values`` (form data: text by field name) and store one measurement of the viewing's person.

    Raises ``MayNotWrite`` for a read-only reader and ``MeasurementRefused`` naming every faulty field; in both
    cases nothing is stored.
    """
    if not viewing.may_write:
        raise MayNotWrite
    open_category(viewing, DataCategory.MEASUREMENTS)
    form = measurement_form(viewing, values)
    if not form.is_valid():
        raise MeasurementRefused({field: [str(m) for m in messages] for field, messages in form.errors.items()})
    # One atomic count per passbook and day (after the values are good: a typo costs nothing); a person
    # enters a few a day, a script thousands.
    if limits.hit(f"measurements:{viewing.person.pk}:{viewing.today.isoformat()}", dt.timedelta(days=1)) > (
        policy.MEASUREMENTS_MAX_PER_DAY
    ):
        raise MeasurementRefused(
            {
                "__all__": [
                    _("At most %(n)s measurements a day can be added; try again tomorrow.")
                    % {"n": policy.MEASUREMENTS_MAX_PER_DAY}
                ]
            }
        )
    entered_by = Measurement.EnteredBy.SELF if viewing.is_self else Measurement.EnteredBy.PARENT
    with transaction.atomic():
        return Measurement.objects.create(person=viewing.person, entered_by=entered_by, **form.values())

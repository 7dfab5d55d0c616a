"""Existing entries said what was read in English words; store the codes the pages translate.

The free text of a counter registration ("ID document checked (type and number)")
may have held a document number: it is not kept.
"""

from django.db import migrations

RECORD_TYPES = {
    # (singular, plural) as the operator pages wrote them → app label.model
    ("visit", "visits"): "records.visit",
    ("lab result", "lab results"): "records.labresult",
    ("report", "reports"): "records.report",
    ("allergy", "allergies"): "records.allergy",
    ("vaccination", "vaccinations"): "records.vaccination",
    ("preventive check", "preventive checks"): "records.preventivecheck",
    ("cancer screening", "cancer screenings"): "records.cancerscreening",
    ("follow up", "follow ups"): "records.followup",
    ("care wish", "care wishs"): "records.carewish",
    ("chronic prescription", "chronic prescriptions"): "records.chronicprescription",
    ("premium calculation", "premium calculations"): "insurance.premiumcalculation",
    ("premium payment", "premium payments"): "insurance.premiumpayment",
}
DOCUMENTS = {"national_id_card", "nhi_card", "passport", "residence_permit", "driving_licence"}
CODES = {
    "person_details",
    "registration_details",
    "record",
    "record_list",
    "counter_view",
    "counter_registration",
    "registration_suspended",
    "registration_reinstated",
    "other",
}


def code_for(text: str) -> tuple[str, str]:
    if text in CODES:
        return text, ""
    if text == "person details (admin)":
        return "person_details", ""
    if text == "registration suspended":
        return "registration_suspended", ""
    if text == "registration reinstated":
        return "registration_reinstated", ""
    if text.startswith("counter passbook view"):
        document = text.rpartition(":")[2].strip()
        return "counter_view", document if document in DOCUMENTS else ""
    if text.startswith("counter registration"):
        return "counter_registration", ""
    if text.endswith(" (admin)"):
        name = text.removesuffix(" (admin)")
        for (singular, plural), label in RECORD_TYPES.items():
            if name == singular:
                return "record", label
            if name == plural:
                return "record_list", label
    return "other", ""


def to_codes(apps, schema_editor):
    AccessLog = apps.get_model("audit", "AccessLog")
    for entry in AccessLog.objects.exclude(what__in=CODES).only("id", "what").iterator():
        what, detail = code_for(entry.what)
        AccessLog.objects.filter(pk=entry.pk).update(what=what, detail=detail)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_accesslog_detail")]

    operations = [migrations.RunPython(to_codes, migrations.RunPython.noop)]

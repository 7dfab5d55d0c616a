"""Institutions and the clinical records they and the agencies feed in (SPEC §6.1).

Every record belongs to one person and carries ``person``; indexes lead with it
(DESIGN: distribution by person), but for one: a record is unique by ``(source,
source_record_id, person)``, which a table distributed by person can still
enforce, and whose index, sender first, also serves ingestion's look-up of a
sender's record ids across people. A
sender's record id names one person's record for good: ingestion refuses a
re-send naming another person (``records.services``; that check cannot be a
constraint once person is part of the key). Re-sending the same id replaces the
record and the version it replaced is kept in ``RecordRevision``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from healthbank.core.ids import new_public_id
from healthbank.identity.models import NhiCard, Person


class Institution(models.Model):
    """醫事機構 — hospital, clinic, pharmacy or home-care agency with a 10-character code."""

    class Kind(models.TextChoices):
        MEDICAL_CENTER = "medical_center", _("Medical centre")
        REGIONAL_HOSPITAL = "regional_hospital", _("Regional hospital")
        DISTRICT_HOSPITAL = "district_hospital", _("District hospital")
        CLINIC = "clinic", _("Clinic")
        PHARMACY = "pharmacy", _("Pharmacy")
        HOME_CARE = "home_care", _("Home-care agency")
        HEALTH_CENTER = "health_center", _("Health centre")

    class Specialty(models.TextChoices):
        WESTERN = "western", _("Western medicine")
        DENTAL = "dental", _("Dentistry")
        CHINESE = "chinese", _("Chinese medicine")
        PHARMACY = "pharmacy", _("Pharmacy")
        NURSING = "nursing", _("Nursing")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    code = models.CharField(_("institution code"), max_length=10, unique=True)
    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    specialty = models.CharField(_("specialty"), max_length=10, choices=Specialty.choices)
    division = models.PositiveSmallIntegerField(_("NHI division"), help_text=_("NHI regional division 1–6"))
    county = models.CharField(_("county or city"), max_length=10)
    township = models.CharField(_("township"), max_length=10)
    phone = models.CharField(_("phone"), max_length=20)
    address = models.CharField(_("address"), max_length=200)
    accepts_virtual_card = models.BooleanField(_("accepts the virtual card"), default=False)
    listed = models.BooleanField(
        _("on the NHI's list"),
        default=True,
        help_text=_("unticked: known only from a My Health Bank download a person imported"),
    )

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        indexes = [models.Index(fields=["county", "kind"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Agency(models.TextChoices):
    """Agencies that feed data other than claims (SPEC §1)."""

    CDC = "CDC", _("Centers for Disease Control (CDC)")
    HPA = "HPA", _("Health Promotion Administration (HPA)")
    MOHW = "MOHW", _("Ministry of Health and Welfare (MOHW)")
    # The NHIA itself (its head office and six divisions): catastrophic-illness certificates, reimbursements,
    # premium subsidies, and the insured-salary reports units file with it (SPEC §10).
    NHIA = "NHIA", _("National Health Insurance Administration (NHIA)")


class ApiClient(models.Model):
    """A machine credential of one institution or agency for the ingestion API."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.CASCADE
    )
    agency = models.CharField(_("agency"), max_length=4, choices=Agency.choices, blank=True)
    key_prefix = models.CharField(_("key prefix"), max_length=12, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(institution__isnull=False) & models.Q(agency=""))
                | (models.Q(institution__isnull=True) & ~models.Q(agency="")),
                name="api_client_is_institution_xor_agency",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        """What records sent with this credential are attributed to."""
        return self.institution.code if self.institution_id else self.agency


# The ``source`` of a record a person imported from a My Health Bank download (an institution's code has 10
# characters, an agency's name is CDC, HPA or MOHW: this cannot collide with either). Pages mark such records.
IMPORTED_SOURCE = "MHB"


class IngestedRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    source = models.CharField(_("sender"), max_length=10, help_text=_("institution code or agency"))
    source_record_id = models.CharField(_("sender's record id"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    payload_digest = models.CharField(_("digest"), max_length=64, help_text=_("SHA-256 of the accepted payload"))
    ingested_at = models.DateTimeField(_("received"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.source}/{self.source_record_id} v{self.version}"

    @property
    def is_imported(self) -> bool:
        """From a My Health Bank download the person imported, not from the institution or agency itself."""
        return self.source == IMPORTED_SOURCE


def source_unique(name: str) -> models.UniqueConstraint:
    """A sender's record id names one record of a person. The sender's id leads: ingestion looks a sender's record
    ids up across people (to refuse moving one to another person), and this one index serves that look-up too."""
    return models.UniqueConstraint(
        fields=["source", "source_record_id", "person"], name=f"{name}_source_record_person_unique"
    )


class Visit(IngestedRecord):
    """就醫紀錄 — one outpatient, dental, Chinese-medicine, inpatient, pharmacy or preventive visit."""

    class Kind(models.TextChoices):
        WESTERN = "western", _("Western-medicine outpatient")
        CHINESE = "chinese", _("Chinese-medicine outpatient")
        DENTAL = "dental", _("Dental outpatient")
        INPATIENT = "inpatient", _("Inpatient stay")
        PHARMACY = "pharmacy", _("Pharmacy dispensing")
        PREVENTIVE = "preventive", _("Preventive care")

    class CardMedium(models.TextChoices):
        """Which card the visit was made with (SPEC §9): stays, courses and refills may mix the two."""

        PHYSICAL = "physical", _("NHI card")
        VIRTUAL = "virtual", _("Virtual NHI card")
        MIXED = "mixed", _("NHI card and virtual card")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="visits"
    )
    # No index of its own: nothing looks visits up by card (a card is never deleted, only replaced), and each of
    # the millions of visits would pay for one.
    card = models.ForeignKey(
        NhiCard,
        verbose_name=_("NHI card"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    visit_date = models.DateField(_("date"), help_text=_("visit, admission or dispensing date"))
    end_date = models.DateField(
        _("discharged"), null=True, blank=True, help_text=_("discharge date for inpatient stays")
    )
    card_sequence = models.CharField(_("card visit sequence number"), max_length=4, blank=True)
    department = models.CharField(_("department"), max_length=4, blank=True)
    copayment = models.PositiveIntegerField(_("copayment"), default=0, help_text=_("NT$"))
    points = models.PositiveIntegerField(_("NHI points"), default=0)
    chronic_prescription = models.ForeignKey(
        "ChronicPrescription",
        verbose_name=_("chronic continuous prescription"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refills",
    )
    refill_number = models.PositiveSmallIntegerField(_("refill number"), null=True, blank=True)
    card_medium = models.CharField(
        _("card used"), max_length=8, choices=CardMedium.choices, default=CardMedium.PHYSICAL
    )
    virtual_card = models.CharField(
        _("virtual card scan or authorisation"),
        max_length=40,
        blank=True,
        help_text=_("the scan id or authorisation id the visit was made with"),
    )
    course_treatment = models.BooleanField(
        _("course of treatment"), default=False, help_text=_("part of a course of treatment, e.g. rehabilitation")
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            source_unique("visit"),
            # What a diagnosis' or order's key points at on PostgreSQL: (visit, person), one key for the two, so a
            # child row cannot name another person than its visit's (migration 0010; the shape Citus needs
            # between tables distributed by person, docs/scaling.md).
            models.UniqueConstraint(fields=["id", "person"], name="visit_id_person_unique"),
        ]
        indexes = [
            models.Index(fields=["person", "kind", "-visit_date"], name="visit_person_kind_date"),
        ]


class VisitChild(models.Model):
    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.position}"


class VisitDiagnosis(VisitChild):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="diagnoses")
    icd10 = models.CharField(_("ICD-10-CM code"), max_length=8)

    class Meta(VisitChild.Meta):
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        indexes = [models.Index(fields=["person", "icd10"])]


class DrugOrder(VisitChild):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="drug_orders")
    drug_code = models.CharField(_("NHI drug code"), max_length=10)
    days_supplied = models.PositiveSmallIntegerField(_("days supplied"))
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, help_text=_("total quantity"))
    frequency = models.CharField(_("frequency"), max_length=12, blank=True)

    class Meta(VisitChild.Meta):
        verbose_name = _("drug order")
        verbose_name_plural = _("drug orders")
        indexes = [models.Index(fields=["person", "drug_code"])]


class NonDrugOrder(VisitChild):
    """Non-drug order by NHI payment code: labs, imaging, procedures, surgeries, dental work."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="non_drug_orders")
    payment_code = models.CharField(_("NHI payment code"), max_length=12)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=1)
    tooth = models.PositiveSmallIntegerField(_("tooth"), null=True, blank=True, help_text=_("FDI tooth number"))
    body_site = models.CharField(_("body site"), max_length=20, blank=True)
    is_surgery = models.BooleanField(_("surgery"), default=False)

    class Meta(VisitChild.Meta):
        verbose_name = _("non-drug order")
        verbose_name_plural = _("non-drug orders")
        indexes = [models.Index(fields=["person", "payment_code"])]


class ChronicPrescription(IngestedRecord):
    """慢性病連續處方箋 — up to 90 days in fills of at most 30 days (SPEC §7.1)."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prescribed_on = models.DateField(_("prescribed on"))
    icd10 = models.CharField(_("ICD-10-CM code"), max_length=8)
    days_per_fill = models.PositiveSmallIntegerField(_("days per fill"))
    fills = models.PositiveSmallIntegerField(_("fills"))

    class Meta:
        verbose_name = _("chronic continuous prescription")
        verbose_name_plural = _("chronic continuous prescriptions")
        constraints = [source_unique("chronicrx")]
        indexes = [models.Index(fields=["person", "-prescribed_on"])]


class LabResult(IngestedRecord):
    """檢驗檢查結果 — one lab value with the range the lab sent."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    collected_on = models.DateField(_("collected on"))
    lab_key = models.CharField(_("lab key"), max_length=20, help_text=_("our lab key, e.g. hba1c"))
    loinc = models.CharField(_("LOINC code"), max_length=10, blank=True)
    name = models.CharField(_("test"), max_length=100)
    value = models.CharField(_("value"), max_length=40)
    value_numeric = models.DecimalField(_("numeric value"), max_digits=12, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    reference_range = models.CharField(_("reference range"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        constraints = [source_unique("lab")]
        indexes = [models.Index(fields=["person", "lab_key", "-collected_on"])]


class Report(IngestedRecord):
    """影像或病理報告 and 出院病歷摘要."""

    class Kind(models.TextChoices):
        IMAGING = "imaging", _("Imaging")
        PATHOLOGY = "pathology", _("Pathology")
        DISCHARGE = "discharge", _("Discharge summary")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    performed_on = models.DateField(_("performed on"))
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("report"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [source_unique("report")]
        indexes = [models.Index(fields=["person", "kind", "-performed_on"])]


class Allergy(IngestedRecord):
    """過敏資料 — uploaded from the card by the institution that saw it."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_on = models.DateField(_("uploaded on"))
    allergen = models.CharField(_("allergen"), max_length=100)
    drug_code = models.CharField(_("NHI drug code"), max_length=10, blank=True)
    reaction = models.CharField(_("reaction"), max_length=100, blank=True)
    doctor_name = models.CharField(_("doctor"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        constraints = [source_unique("allergy")]
        indexes = [models.Index(fields=["person", "-uploaded_on"])]


class Vaccination(IngestedRecord):
    """預防接種 — from the CDC's immunisation registry."""

    vaccine_code = models.CharField(_("vaccine"), max_length=20)
    vaccinated_on = models.DateField(_("vaccinated on"))
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    institution_name = models.CharField(_("where"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("vaccination")
        verbose_name_plural = _("vaccinations")
        constraints = [source_unique("vaccination")]
        indexes = [models.Index(fields=["person", "-vaccinated_on"])]


class PreventiveCheck(IngestedRecord):
    """成人預防保健結果 — from the HPA; the last two are shown side by side."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    checked_on = models.DateField(_("checked on"))
    height_cm = models.DecimalField(_("height (cm)"), max_digits=5, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True)
    waist_cm = models.DecimalField(_("waist (cm)"), max_digits=5, decimal_places=1, null=True, blank=True)
    systolic = models.PositiveSmallIntegerField(_("systolic pressure (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic pressure (mmHg)"), null=True, blank=True)
    fasting_glucose = models.DecimalField(
        _("fasting glucose (mg/dL)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    cholesterol_total = models.DecimalField(
        _("total cholesterol (mg/dL)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    triglycerides = models.DecimalField(
        _("triglycerides (mg/dL)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    hdl = models.DecimalField(_("HDL cholesterol (mg/dL)"), max_digits=6, decimal_places=1, null=True, blank=True)
    ldl = models.DecimalField(_("LDL cholesterol (mg/dL)"), max_digits=6, decimal_places=1, null=True, blank=True)
    bun = models.DecimalField(_("blood urea nitrogen (mg/dL)"), max_digits=6, decimal_places=1, null=True, blank=True)
    creatinine = models.DecimalField(_("creatinine (mg/dL)"), max_digits=6, decimal_places=2, null=True, blank=True)
    egfr = models.DecimalField(_("eGFR (mL/min/1.73 m²)"), max_digits=6, decimal_places=1, null=True, blank=True)
    urine_protein = models.CharField(_("urine protein"), max_length=10, blank=True)
    got = models.PositiveSmallIntegerField(_("GOT (AST, U/L)"), null=True, blank=True)
    gpt = models.PositiveSmallIntegerField(_("GPT (ALT, U/L)"), null=True, blank=True)
    hbsag = models.CharField(_("hepatitis B surface antigen"), max_length=10, blank=True)
    anti_hcv = models.CharField(_("hepatitis C antibody"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("adult preventive check")
        verbose_name_plural = _("adult preventive checks")
        constraints = [source_unique("preventive")]
        indexes = [models.Index(fields=["person", "-checked_on"])]


class CancerScreening(IngestedRecord):
    """癌症篩檢結果 — cervical, breast, colorectal and oral screening from the HPA."""

    class Kind(models.TextChoices):
        CERVICAL = "cervical", _("Cervical cancer")
        BREAST = "breast", _("Breast cancer")
        COLORECTAL = "colorectal", _("Colorectal cancer")
        ORAL = "oral", _("Oral cancer")

    kind = models.CharField(_("screening"), max_length=10, choices=Kind.choices)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    screened_on = models.DateField(_("screened on"))
    result = models.CharField(_("result"), max_length=200)
    abnormal = models.BooleanField(_("abnormal"), default=False)

    class Meta:
        verbose_name = _("cancer screening")
        verbose_name_plural = _("cancer screenings")
        constraints = [source_unique("cancer")]
        indexes = [models.Index(fields=["person", "kind", "-screened_on"])]


class FollowUp(IngestedRecord):
    """Diabetes, early-CKD, hepatitis B and hepatitis C follow-up measurements (NHI care programmes).

    Hepatitis B and C are followed apart: different labs (HBV DNA, HBeAg / HCV RNA), different treatment.
    """

    class Program(models.TextChoices):
        DIABETES = "diabetes", _("Diabetes")
        CKD_EARLY = "ckd_early", _("Early chronic kidney disease")
        HEPATITIS_B = "hepatitis_b", _("Hepatitis B")
        HEPATITIS_C = "hepatitis_c", _("Hepatitis C")

    program = models.CharField(_("care programme"), max_length=12, choices=Program.choices)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    measured_on = models.DateField(_("measured on"))
    values = models.JSONField(_("values"), help_text=_("lab key → value, e.g. {'hba1c': 7.1}"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [source_unique("followup")]
        indexes = [models.Index(fields=["person", "program", "-measured_on"])]


class CareWish(IngestedRecord):
    """器官捐贈 / 安寧緩和醫療意願 — registered wishes, from the MOHW."""

    class Kind(models.TextChoices):
        ORGAN_DONATION = "organ_donation", _("Organ donation")
        HOSPICE = "hospice", _("Hospice and palliative care")

    kind = models.CharField(_("wish"), max_length=16, choices=Kind.choices)
    signed_on = models.DateField(_("signed on"))
    registered_on = models.DateField(_("registered on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        verbose_name = _("care wish")
        verbose_name_plural = _("care wishes")
        constraints = [source_unique("wish")]
        indexes = [models.Index(fields=["person", "kind"])]


class RecordRevision(models.Model):
    """A version of a record that a correction replaced, kept for history."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    record_type = models.CharField(_("record type"), max_length=20)
    record_id = models.UUIDField(_("record"))
    version = models.PositiveIntegerField(_("version"))
    payload = models.JSONField(_("content"))
    replaced_at = models.DateTimeField(_("replaced"))

    class Meta:
        verbose_name = _("record revision")
        verbose_name_plural = _("record revisions")
        indexes = [models.Index(fields=["person", "record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} v{self.version}"

"""Institutions and the clinical records they and the agencies feed in (SPEC §6.1).

Every record belongs to one person and carries ``person``; indexes lead with it
(DESIGN: distribution by person). A record is unique by ``(person, source,
source_record_id)``, which a table distributed by person can still enforce. A
sender's record id names one person's record for good: ingestion refuses a
re-send naming another person (``records.services``; that check cannot be a
constraint once person is part of the key). Re-sending the same id replaces the
record and the version it replaced is kept in ``RecordRevision``.
"""

from __future__ import annotations

from django.db import models

from healthbank.core.ids import new_public_id
from healthbank.identity.models import NhiCard, Person


class Institution(models.Model):
    """醫事機構 — hospital, clinic, pharmacy or home-care agency with a 10-character code."""

    class Kind(models.TextChoices):
        MEDICAL_CENTER = "medical_center", "醫學中心 Medical centre"
        REGIONAL_HOSPITAL = "regional_hospital", "區域醫院 Regional hospital"
        DISTRICT_HOSPITAL = "district_hospital", "地區醫院 District hospital"
        CLINIC = "clinic", "診所 Clinic"
        PHARMACY = "pharmacy", "藥局 Pharmacy"
        HOME_CARE = "home_care", "居家護理所 Home-care agency"
        HEALTH_CENTER = "health_center", "衛生所 Health centre"

    class Specialty(models.TextChoices):
        WESTERN = "western", "西醫 Western medicine"
        DENTAL = "dental", "牙醫 Dentistry"
        CHINESE = "chinese", "中醫 Chinese medicine"
        PHARMACY = "pharmacy", "藥事 Pharmacy"
        NURSING = "nursing", "護理 Nursing"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    specialty = models.CharField(max_length=10, choices=Specialty.choices)
    division = models.PositiveSmallIntegerField(help_text="NHI regional division 1–6 (分區業務組)")
    county = models.CharField(max_length=10)
    township = models.CharField(max_length=10)
    phone = models.CharField(max_length=20)
    address = models.CharField(max_length=200)
    accepts_virtual_card = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["county", "kind"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Agency(models.TextChoices):
    """Agencies that feed data other than claims (SPEC §1)."""

    CDC = "CDC", "疾病管制署 CDC"
    HPA = "HPA", "國民健康署 HPA"
    MOHW = "MOHW", "衛生福利部 MOHW"


class ApiClient(models.Model):
    """A machine credential of one institution or agency for the ingestion API."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=100)
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.CASCADE)
    agency = models.CharField(max_length=4, choices=Agency.choices, blank=True)
    key_prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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


class IngestedRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, help_text="institution code or agency")
    source_record_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    payload_digest = models.CharField(max_length=64, help_text="SHA-256 of the accepted payload")
    ingested_at = models.DateTimeField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.source}/{self.source_record_id} v{self.version}"


def _source_unique(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["person", "source", "source_record_id"], name=f"{name}_person_source_record_unique"
    )


def _source_lookup(name: str) -> models.Index:
    """Ingestion looks a sender's record id up across people, to refuse moving it to another person."""
    return models.Index(fields=["source", "source_record_id"], name=f"{name}_source_record_idx")


class Visit(IngestedRecord):
    """就醫紀錄 — one outpatient, dental, Chinese-medicine, inpatient, pharmacy or preventive visit."""

    class Kind(models.TextChoices):
        WESTERN = "western", "西醫門診 Western outpatient"
        CHINESE = "chinese", "中醫門診 Chinese medicine"
        DENTAL = "dental", "牙醫門診 Dental"
        INPATIENT = "inpatient", "住院 Inpatient"
        PHARMACY = "pharmacy", "藥局調劑 Pharmacy dispensing"
        PREVENTIVE = "preventive", "預防保健 Preventive care"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="visits")
    card = models.ForeignKey(NhiCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    visit_date = models.DateField(help_text="visit, admission or dispensing date")
    end_date = models.DateField(null=True, blank=True, help_text="discharge date for inpatient stays")
    card_sequence = models.CharField(max_length=4, blank=True, help_text="就醫序號")
    department = models.CharField(max_length=4, blank=True)
    copayment = models.PositiveIntegerField(default=0, help_text="部分負擔 NT$")
    points = models.PositiveIntegerField(default=0, help_text="健保支付點數")
    chronic_prescription = models.ForeignKey(
        "ChronicPrescription", null=True, blank=True, on_delete=models.SET_NULL, related_name="refills"
    )
    refill_number = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [_source_unique("visit")]
        indexes = [
            _source_lookup("visit"),
            models.Index(fields=["person", "kind", "-visit_date"], name="visit_person_kind_date"),
        ]


class VisitChild(models.Model):
    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.position}"


class VisitDiagnosis(VisitChild):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="diagnoses")
    icd10 = models.CharField(max_length=8)

    class Meta(VisitChild.Meta):
        verbose_name_plural = "diagnoses"
        indexes = [models.Index(fields=["person", "icd10"])]


class DrugOrder(VisitChild):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="drug_orders")
    drug_code = models.CharField(max_length=10)
    days_supplied = models.PositiveSmallIntegerField()
    quantity = models.DecimalField(max_digits=10, decimal_places=2, help_text="total quantity")
    frequency = models.CharField(max_length=12, blank=True)

    class Meta(VisitChild.Meta):
        indexes = [models.Index(fields=["person", "drug_code"])]


class NonDrugOrder(VisitChild):
    """Non-drug order by NHI payment code: labs, imaging, procedures, surgeries, dental work."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="non_drug_orders")
    payment_code = models.CharField(max_length=12)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=1)
    tooth = models.PositiveSmallIntegerField(null=True, blank=True, help_text="FDI tooth number")
    body_site = models.CharField(max_length=20, blank=True)
    is_surgery = models.BooleanField(default=False)

    class Meta(VisitChild.Meta):
        indexes = [models.Index(fields=["person", "payment_code"])]


class ChronicPrescription(IngestedRecord):
    """慢性病連續處方箋 — up to 90 days in fills of at most 30 days (SPEC §7.1)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    prescribed_on = models.DateField()
    icd10 = models.CharField(max_length=8)
    days_per_fill = models.PositiveSmallIntegerField()
    fills = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [_source_unique("chronicrx")]
        indexes = [_source_lookup("chronicrx"), models.Index(fields=["person", "-prescribed_on"])]


class LabResult(IngestedRecord):
    """檢驗檢查結果 — one lab value with the range the lab sent."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    collected_on = models.DateField()
    lab_key = models.CharField(max_length=20, help_text="our lab key, e.g. hba1c")
    loinc = models.CharField(max_length=10, blank=True)
    name = models.CharField(max_length=100)
    value = models.CharField(max_length=40)
    value_numeric = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    reference_range = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [_source_unique("lab")]
        indexes = [_source_lookup("lab"), models.Index(fields=["person", "lab_key", "-collected_on"])]


class Report(IngestedRecord):
    """影像或病理報告 and 出院病歷摘要."""

    class Kind(models.TextChoices):
        IMAGING = "imaging", "影像檢查 Imaging"
        PATHOLOGY = "pathology", "病理檢查 Pathology"
        DISCHARGE = "discharge", "出院病歷摘要 Discharge summary"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    performed_on = models.DateField()
    title = models.CharField(max_length=200)
    text = models.TextField()

    class Meta:
        constraints = [_source_unique("report")]
        indexes = [_source_lookup("report"), models.Index(fields=["person", "kind", "-performed_on"])]


class Allergy(IngestedRecord):
    """過敏資料 — uploaded from the card by the institution that saw it."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    uploaded_on = models.DateField()
    allergen = models.CharField(max_length=100)
    drug_code = models.CharField(max_length=10, blank=True)
    reaction = models.CharField(max_length=100, blank=True)
    doctor_name = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name_plural = "allergies"
        constraints = [_source_unique("allergy")]
        indexes = [_source_lookup("allergy"), models.Index(fields=["person", "-uploaded_on"])]


class Vaccination(IngestedRecord):
    """預防接種 — from the CDC's immunisation registry."""

    vaccine_code = models.CharField(max_length=20)
    vaccinated_on = models.DateField()
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    institution_name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [_source_unique("vaccination")]
        indexes = [_source_lookup("vaccination"), models.Index(fields=["person", "-vaccinated_on"])]


class PreventiveCheck(IngestedRecord):
    """成人預防保健結果 — from the HPA; the last two are shown side by side."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField()
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    waist_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    fasting_glucose = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    cholesterol_total = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    triglycerides = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    hdl = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    ldl = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    bun = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    creatinine = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    egfr = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    urine_protein = models.CharField(max_length=10, blank=True)
    got = models.PositiveSmallIntegerField(null=True, blank=True)
    gpt = models.PositiveSmallIntegerField(null=True, blank=True)
    hbsag = models.CharField(max_length=10, blank=True)
    anti_hcv = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [_source_unique("preventive")]
        indexes = [_source_lookup("preventive"), models.Index(fields=["person", "-checked_on"])]


class CancerScreening(IngestedRecord):
    """癌症篩檢結果 — cervical, breast, colorectal and oral screening from the HPA."""

    class Kind(models.TextChoices):
        CERVICAL = "cervical", "子宮頸癌 Cervical"
        BREAST = "breast", "乳癌 Breast"
        COLORECTAL = "colorectal", "大腸癌 Colorectal"
        ORAL = "oral", "口腔癌 Oral"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    screened_on = models.DateField()
    result = models.CharField(max_length=200)
    abnormal = models.BooleanField(default=False)

    class Meta:
        constraints = [_source_unique("cancer")]
        indexes = [_source_lookup("cancer"), models.Index(fields=["person", "kind", "-screened_on"])]


class FollowUp(IngestedRecord):
    """Diabetes, early-CKD and hepatitis B/C follow-up measurements (NHI care programmes)."""

    class Program(models.TextChoices):
        DIABETES = "diabetes", "糖尿病 Diabetes"
        CKD_EARLY = "ckd_early", "初期慢性腎病 Early CKD"
        HEPATITIS = "hepatitis", "B、C型肝炎 Hepatitis B/C"

    program = models.CharField(max_length=10, choices=Program.choices)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    measured_on = models.DateField()
    values = models.JSONField(help_text="lab key → value, e.g. {'hba1c': 7.1}")

    class Meta:
        constraints = [_source_unique("followup")]
        indexes = [_source_lookup("followup"), models.Index(fields=["person", "program", "-measured_on"])]


class CareWish(IngestedRecord):
    """器官捐贈 / 安寧緩和醫療意願 — registered wishes, from the MOHW."""

    class Kind(models.TextChoices):
        ORGAN_DONATION = "organ_donation", "器官捐贈 Organ donation"
        HOSPICE = "hospice", "安寧緩和醫療 Hospice and palliative care"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    signed_on = models.DateField()
    registered_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [_source_unique("wish")]
        indexes = [_source_lookup("wish"), models.Index(fields=["person", "kind"])]


class RecordRevision(models.Model):
    """A version of a record that a correction replaced, kept for history."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField()
    version = models.PositiveIntegerField()
    payload = models.JSONField()
    replaced_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["person", "record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} v{self.version}"

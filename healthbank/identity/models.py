"""People, NHI households, enrolments, insurance units and NHI cards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from healthbank.core import display, pii
from healthbank.core.ids import new_public_id
from healthbank.core.masking import mask_name


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PersonQuerySet(models.QuerySet):
    def by_national_id(self, national_id: str) -> PersonQuerySet:
        return self.filter(national_id_hash=Person.hash_national_id(national_id))


class Person(models.Model):
    """保險對象 — an insured person or dependent. The national ID is never stored in clear."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    national_id_hash = models.CharField(max_length=64, unique=True, editable=False)
    national_id_encrypted = models.TextField(editable=False)
    national_id_masked = models.CharField(_("national ID"), max_length=10, editable=False)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("name in English"), max_length=80, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    is_indigenous = models.BooleanField(_("indigenous"), default=False)
    is_polio_survivor = models.BooleanField(_("polio survivor"), default=False)
    died_on = models.DateField(_("date of death"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        permissions = [("show_passbook_at_counter", "Can show a person's passbook at the counter")]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} {self.national_id_masked}"

    @staticmethod
    def hash_national_id(national_id: str) -> str:
        return pii.lookup_hash(national_id, settings.NATIONAL_ID_HASH_KEY)

    def set_national_id(self, national_id: str) -> None:
        from healthbank.core.masking import mask_national_id

        self.national_id_hash = self.hash_national_id(national_id)
        self.national_id_encrypted = pii.encrypt(national_id, settings.NATIONAL_ID_ENCRYPTION_KEY)
        self.national_id_masked = mask_national_id(national_id)

    @property
    def national_id(self) -> str:
        return pii.decrypt(self.national_id_encrypted, settings.NATIONAL_ID_ENCRYPTION_KEY)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class InsuranceUnit(models.Model):
    """投保單位 — an employer, union or township office that enrols people (9-digit code)."""

    class Kind(models.TextChoices):
        EMPLOYER = "employer", _("Employer")
        UNION = "union", _("Occupational union")
        FARMERS = "farmers", _("Farmers' association")
        TOWNSHIP = "township", _("Township office")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    code = models.CharField(_("unit code"), max_length=9, unique=True)
    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    county = models.CharField(_("county or city"), max_length=10)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    portal_password = models.CharField(
        _("portal password"), max_length=128, blank=True, help_text=_("unit portal password (hash)")
    )

    class Meta:
        verbose_name = _("insurance unit")
        verbose_name_plural = _("insurance units")
        permissions = [("set_portal_password", "Can set an insurance unit's portal password")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class NhiHousehold(models.Model):
    """健保戶 — an insured person (被保險人, ``person``: the household is theirs) and the dependents insured under
    them (each dependent's enrolment names the household)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.OneToOneField(
        Person, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="household_as_insured"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("NHI household")
        verbose_name_plural = _("NHI households")

    def __str__(self) -> str:
        return _("NHI household of %(insured)s") % {"insured": self.person}


class Enrolment(models.Model):
    """One period of insurance: who, under which unit, as insured or dependent, at what salary."""

    class Category(models.IntegerChoices):
        CAT1 = 1, _("Category 1: employees, employers, civil servants")
        CAT2 = 2, _("Category 2: union members, seafarers")
        CAT3 = 3, _("Category 3: farmers, fishers")
        CAT4 = 4, _("Category 4: military service")
        CAT5 = 5, _("Category 5: low-income households")
        CAT6 = 6, _("Category 6: veterans and other residents")

    class Role(models.TextChoices):
        INSURED = "insured", _("Insured")
        DEPENDENT = "dependent", _("Dependent")

    class Relationship(models.TextChoices):
        SELF = "self", _("Self")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDPARENT = "grandparent", _("Grandparent")
        GRANDCHILD = "grandchild", _("Grandchild")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="enrolments", db_index=False
    )
    household = models.ForeignKey(
        NhiHousehold, verbose_name=_("NHI household"), on_delete=models.PROTECT, related_name="enrolments"
    )
    unit = models.ForeignKey(
        InsuranceUnit, verbose_name=_("insurance unit"), on_delete=models.PROTECT, related_name="enrolments"
    )
    category = models.PositiveSmallIntegerField(_("category"), choices=Category.choices)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    relationship = models.CharField(_("relationship to the insured"), max_length=12, choices=Relationship.choices)
    insured_salary = models.PositiveIntegerField(_("insured salary"), help_text=_("NT$ per month"))
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [models.Index(fields=["person", "started_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="enrolment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return _("%(role)s at %(unit)s from %(day)s") % {
            "role": self.get_role_display(),
            "unit": self.unit.code,
            "day": display.format_date(self.started_on),
        }

    def is_current_on(self, day) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


class NhiCard(models.Model):
    """健保卡 — one issued IC card. Only the newest issued card of a person is valid (SPEC §2)."""

    class Reason(models.TextChoices):
        FIRST = "first", _("First issue")
        REPLACEMENT = "replacement", _("Replacement")
        PHOTO = "photo", _("New photo")
        DAMAGED = "damaged", _("Damaged card replaced")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="cards", db_index=False
    )
    card_number = models.CharField(_("card number"), max_length=12, unique=True)
    issued_on = models.DateField(_("issued on"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, default=Reason.FIRST)
    public_key = models.BinaryField(
        _("card proof key"), max_length=32, null=True, blank=True, help_text=_("Ed25519 public key")
    )
    reported_lost_on = models.DateField(_("reported lost on"), null=True, blank=True)

    class Meta:
        verbose_name = _("NHI card")
        verbose_name_plural = _("NHI cards")
        indexes = [models.Index(fields=["person", "-issued_on"])]

    def __str__(self) -> str:
        day = display.format_date(self.issued_on)
        return _("card …%(last4)s issued %(day)s") % {"last4": self.card_number[-4:], "day": day}

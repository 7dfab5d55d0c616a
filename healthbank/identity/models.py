"""People, NHI households, enrolments, insurance units and NHI cards."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from healthbank.core import pii
from healthbank.core.ids import new_public_id
from healthbank.core.masking import mask_name


class Sex(models.TextChoices):
    MALE = "M", "男 Male"
    FEMALE = "F", "女 Female"


class PersonQuerySet(models.QuerySet):
    def by_national_id(self, national_id: str) -> PersonQuerySet:
        return self.filter(national_id_hash=Person.hash_national_id(national_id))


class Person(models.Model):
    """保險對象 — an insured person or dependent. The national ID is never stored in clear."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    national_id_hash = models.CharField(max_length=64, unique=True, editable=False)
    national_id_encrypted = models.TextField(editable=False)
    national_id_masked = models.CharField("national ID", max_length=10, editable=False)
    name = models.CharField(max_length=40)
    name_en = models.CharField(max_length=80, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    birth_date = models.DateField()
    is_indigenous = models.BooleanField(default=False)
    is_polio_survivor = models.BooleanField(default=False)
    died_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"

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
        EMPLOYER = "employer", "事業單位 Employer"
        UNION = "union", "職業工會 Occupational union"
        FARMERS = "farmers", "農會 Farmers' association"
        TOWNSHIP = "township", "鄉鎮市區公所 Township office"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    county = models.CharField(max_length=10)
    contact_email = models.EmailField(blank=True)
    portal_password = models.CharField(max_length=128, blank=True, help_text="unit portal password (hash)")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class NhiHousehold(models.Model):
    """健保戶 — an insured person (被保險人) and the dependents insured under them."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    insured = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="household_as_insured")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"健保戶 {self.insured}"


class Enrolment(models.Model):
    """One period of insurance: who, under which unit, as insured or dependent, at what salary."""

    class Category(models.IntegerChoices):
        CAT1 = 1, "第一類 Employees, employers, civil servants"
        CAT2 = 2, "第二類 Union members, seafarers"
        CAT3 = 3, "第三類 Farmers, fishers"
        CAT4 = 4, "第四類 Military service"
        CAT5 = 5, "第五類 Low-income households"
        CAT6 = 6, "第六類 Veterans and other residents"

    class Role(models.TextChoices):
        INSURED = "insured", "被保險人 Insured"
        DEPENDENT = "dependent", "眷屬 Dependent"

    class Relationship(models.TextChoices):
        SELF = "self", "本人 Self"
        SPOUSE = "spouse", "配偶 Spouse"
        CHILD = "child", "子女 Child"
        PARENT = "parent", "父母 Parent"
        GRANDPARENT = "grandparent", "祖父母 Grandparent"
        GRANDCHILD = "grandchild", "孫子女 Grandchild"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    household = models.ForeignKey(NhiHousehold, on_delete=models.PROTECT, related_name="enrolments")
    unit = models.ForeignKey(InsuranceUnit, on_delete=models.PROTECT, related_name="enrolments")
    category = models.PositiveSmallIntegerField(choices=Category.choices)
    role = models.CharField(max_length=10, choices=Role.choices)
    relationship = models.CharField(max_length=12, choices=Relationship.choices)
    insured_salary = models.PositiveIntegerField(help_text="投保金額 NT$ per month")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "started_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="enrolment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.unit.code} since {self.started_on}"

    def is_current_on(self, day) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


class NhiCard(models.Model):
    """健保卡 — one issued IC card. Only the newest issued card of a person is valid (SPEC §2)."""

    class Reason(models.TextChoices):
        FIRST = "first", "首次發卡 First issue"
        REPLACEMENT = "replacement", "補發 Replacement"
        PHOTO = "photo", "換發 Photo change"
        DAMAGED = "damaged", "換發 Damaged"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cards")
    card_number = models.CharField(max_length=12, unique=True)
    issued_on = models.DateField()
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.FIRST)
    public_key = models.BinaryField(max_length=32, null=True, blank=True, help_text="Ed25519 card proof key")
    reported_lost_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "-issued_on"])]

    def __str__(self) -> str:
        return f"card …{self.card_number[-4:]} issued {self.issued_on}"

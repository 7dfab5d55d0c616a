"""Online-service registration (健保卡網路服務註冊) and its e-mail confirmations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.ids import new_public_id
from healthbank.identity.models import Person


class OnlineAccount(models.Model):
    """A person's registration for online services; login needs it active."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting e-mail confirmation")
        ACTIVE = "active", _("Active")
        LOCKED = "locked", _("Locked until a password reset")
        SUSPENDED = "suspended", _("Suspended at the counter")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        COUNTER = "counter", _("At the counter")
        BATCH = "batch", _("Insurance-unit batch")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="online_account"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    channel = models.CharField(_("registered"), max_length=8, choices=Channel.choices)
    password = models.CharField(_("password"), max_length=128, blank=True, help_text=_("Argon2 hash"))
    email = models.EmailField(_("e-mail"))
    backup_email = models.EmailField(_("backup e-mail"), blank=True)
    mobile = models.CharField(_("mobile number"), max_length=10, blank=True)
    landline = models.CharField(_("landline"), max_length=24, blank=True)
    created_at = models.DateTimeField(_("applied"))
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("wrong passwords in a row"), default=0)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    suspended_reason = models.CharField(_("reason for the suspension"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("online-services registration")
        verbose_name_plural = _("online-services registrations")
        permissions = [
            ("register_at_counter", "Can register a person for online services at the counter"),
            ("suspend_onlineaccount", "Can suspend and reinstate a registration at the counter"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_status_display()}"


class RegistrationApplication(models.Model):
    """One confirmation e-mail: its link works once, only for ``policy.REGISTRATION_CONFIRM_DAYS``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        SUPERSEDED = "superseded", _("Replaced by a newer e-mail")

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        OnlineAccount, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="applications"
    )
    token_hash = models.CharField(max_length=64)
    email = models.EmailField(_("e-mail"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    unit = models.ForeignKey(
        "identity.InsuranceUnit",
        verbose_name=_("insurance unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("the insurance unit that applied for the person (batch registration); its name is in the e-mail"),
    )

    class Meta:
        verbose_name = _("registration confirmation e-mail")
        verbose_name_plural = _("registration confirmation e-mails")
        indexes = [
            models.Index(fields=["person", "-created_at"]),
            models.Index(fields=["token_hash"], name="registration_token"),  # the link names no person
        ]
        constraints = [models.UniqueConstraint(fields=["person", "token_hash"], name="registration_token_unique")]

    def __str__(self) -> str:
        return f"{self.person} {self.status} until {self.expires_at:%Y-%m-%d}"


class PasswordReset(models.Model):
    """忘記密碼 — a reset link sent to the registered e-mail or to a new one (SPEC §3 forgot password)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        OnlineAccount, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="resets"
    )
    token_hash = models.CharField(max_length=64)
    email = models.EmailField(_("e-mail"), help_text=_("where the link was sent"))
    new_email = models.BooleanField(
        _("new e-mail"), default=False, help_text=_("the link went to a new e-mail that becomes the registered one")
    )
    language = models.CharField(
        _("language"), max_length=8, default=settings.LANGUAGE_CODE, help_text=_("the link opens in it")
    )
    created_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")
        indexes = [
            models.Index(fields=["person", "-created_at"]),
            models.Index(fields=["token_hash"], name="password_reset_token"),  # the link names no person
        ]
        constraints = [models.UniqueConstraint(fields=["person", "token_hash"], name="password_reset_token_unique")]

    def __str__(self) -> str:
        return f"password reset until {self.expires_at:%Y-%m-%d %H:%M}"


class BatchUpload(models.Model):
    """整批註冊 — one CSV an insurance unit uploaded, with its per-row result (SPEC §3.3)."""

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    unit = models.ForeignKey(
        "identity.InsuranceUnit",
        verbose_name=_("insurance unit"),
        on_delete=models.PROTECT,
        related_name="batch_uploads",
        db_index=False,
    )
    file_name = models.CharField(_("file name"), max_length=40)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"))
    language = models.CharField(
        _("language"),
        max_length=8,
        default=settings.LANGUAGE_CODE,
        help_text=_("the uploader's: the result file is written in it"),
    )
    rows = models.PositiveIntegerField(_("rows"))
    accepted = models.PositiveIntegerField(_("accepted"))
    rejected = models.PositiveIntegerField(_("refused"))
    results = models.JSONField(
        _("results"),
        default=list,
        help_text=_("per row: row, masked ID, reason codes (none: accepted) — never full IDs"),
    )

    class Meta:
        verbose_name = _("batch registration upload")
        verbose_name_plural = _("batch registration uploads")
        constraints = [models.UniqueConstraint(fields=["unit", "file_sha256"], name="batch_upload_once_per_file")]
        indexes = [models.Index(fields=["unit", "-uploaded_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} {self.accepted}/{self.rows}"

    @property
    def result_file_name(self) -> str:
        return self.file_name[: -len(".csv")] + "_result.csv"


class AttemptCounter(models.Model):
    """A fixed-window count of attempts (login failures per address, device or unit) kept in the database.

    With Redis the counts live there instead; see ``accounts.limits``. The key is a hash, so neither an
    address nor an ID is stored; rows past their window are deleted by the periodic sweep.
    """

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField()
    window_ends = models.FloatField(help_text="end of the counting window, epoch seconds on the application clock")

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count}"


class OutboxEmail(models.Model):
    """An e-mail written in the same transaction as the change it tells of, and delivered afterwards.

    A task sends it after the commit; when the broker or the mail server is away,
    the periodic sweep sends it later (``accounts.outbox``). So a committed change
    always answers as committed and its notice is never lost. A worker claims a row
    before sending, so two workers never both send it; once sent, the body (which
    may hold a one-time link) and the attachment are erased.
    """

    class Kind(models.TextChoices):
        REGISTRATION = "registration", "註冊確認信 Registration confirmation"
        PASSWORD_RESET = "password_reset", "重設密碼 Password reset link"
        SECURITY_NOTICE = "security_notice", "安全通知 Security notice"
        BATCH_RESULT = "batch_result", "整批註冊結果 Batch registration result"
        VIRTUAL_CARD = "virtual_card", "虛擬健保卡通知 Virtual NHI card notice"
        TOWNSHIP_OFFICE = "township", "公所投保申請通知 Township-office request notice"
        EBILL = "ebill", "電子繳款單通知 E-bill ready"
        NHI_CARD = "nhi_card", "健保卡補發通知 NHI card replacement notice"

    id = models.UUIDField(primary_key=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="whom it is about",
        db_index=False,
    )
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    attachment_name = models.CharField(max_length=80, blank=True)
    attachment = models.TextField(blank=True, help_text="CSV text")
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="a worker is sending it until then")
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True), name="outbox_email_unsent"
            ),
            models.Index(fields=["person", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} {'sent' if self.sent_at else 'waiting'}"

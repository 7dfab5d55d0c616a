"""E-mails of the registration flow, sent from Celery (eager in the embedded install)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from healthbank import policy

from .models import RegistrationApplication


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_registration_email(application_id: str, raw_token: str) -> None:
    application = RegistrationApplication.objects.select_related("person").get(pk=application_id)
    with translation.override(application.language):  # the link opens in the language the person applied in
        link = settings.SITE_URL.rstrip("/") + reverse("accounts:confirm", args=[raw_token])
    context = {
        "name": application.person.masked_name,
        "link": link,
        "days": policy.REGISTRATION_CONFIRM_DAYS,
        "expires_at": application.expires_at,
    }
    send_mail(
        subject="健保卡網路服務註冊確認信 NHI card online-service registration: please confirm",
        message=render_to_string("accounts/email/registration_confirm.txt", context),
        from_email=None,
        recipient_list=[application.email],
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset_email(reset_id: str, raw_token: str) -> None:
    from .models import PasswordReset

    reset = PasswordReset.objects.select_related("person").get(pk=reset_id)
    with translation.override(reset.language):
        link = settings.SITE_URL.rstrip("/") + reverse("accounts:password-reset", args=[raw_token])
    send_mail(
        subject="健保卡網路服務 重設密碼 NHI online services: reset your password",
        message=render_to_string(
            "accounts/email/password_reset.txt",
            {"name": reset.person.masked_name, "link": link, "expires_at": reset.expires_at},
        ),
        from_email=None,
        recipient_list=[reset.email],
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_batch_result(upload_id: str) -> None:
    """The result file of a batch registration to the unit's contact."""
    from django.core.mail import EmailMessage

    from .models import BatchUpload

    upload = BatchUpload.objects.select_related("unit").get(pk=upload_id)
    if not upload.unit.contact_email:
        return
    message = EmailMessage(
        subject=f"整批註冊結果 Batch registration result {upload.file_name}",
        body=(
            f"{upload.file_name}: {upload.accepted} 筆受理 accepted, {upload.rejected} 筆不受理 rejected.\n"
            "附檔為逐筆結果 The attached file lists every row."
        ),
        to=[upload.unit.contact_email],
    )
    message.attach(upload.file_name.replace(".csv", "_result.csv"), "\ufeff" + upload.result_csv, "text/csv")
    message.send()


NOTICE_SUBJECTS = {
    "password_changed": "健保卡網路服務：密碼已變更 Your password was changed",
    "contacts_changed": "健保卡網路服務：聯絡資料已變更 Your contact details were changed",
    "device_bound": "健保卡網路服務：新的行動裝置 A new mobile device was verified",
    "locked": "健保卡網路服務：帳號已鎖定 Your account is locked",
}


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_security_notice(account_id: str, kind: str, address: str, detail: dict) -> None:
    """A security notice (accounts.notices); names the change and what to do if it was not the person."""
    from django.utils import timezone

    from .models import OnlineAccount

    account = OnlineAccount.objects.select_related("person").get(pk=account_id)
    context = {"name": account.person.masked_name, "kind": kind, "when": timezone.localtime(), "detail": detail}
    send_mail(
        subject=NOTICE_SUBJECTS[kind],
        message=render_to_string("accounts/email/security_notice.txt", context),
        from_email=None,
        recipient_list=[address],
    )

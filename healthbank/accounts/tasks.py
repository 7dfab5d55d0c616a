"""E-mails of the registration flow, sent from Celery (eager in the embedded install)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from healthbank import policy

from .models import RegistrationApplication


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_registration_email(application_id: str, raw_token: str) -> None:
    application = RegistrationApplication.objects.select_related("person").get(pk=application_id)
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

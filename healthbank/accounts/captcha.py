"""The login captcha (SPEC §4 圖形驗證碼): digits a person can read and hear, on django-simple-captcha.

Digits only, drawn large with little noise and little rotation, because letters at
105×29 pixels failed real people; a refresh button draws a new picture and the
audio alternative (flite, through the library's own view) reads the digits aloud,
so the two logins that need it stay open to people who cannot see the picture.
"""

from __future__ import annotations

import secrets

from captcha.fields import CaptchaField, CaptchaTextInput
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from healthbank import policy

DIGITS = "0123456789"


def digits_challenge() -> tuple[str, str]:
    """``CAPTCHA_CHALLENGE_FUNCT``: what the picture shows and what must be typed (the same digits)."""
    answer = "".join(secrets.choice(DIGITS) for _ in range(policy.CAPTCHA_DIGITS))
    return answer, answer


class ReadableCaptchaInput(CaptchaTextInput):
    """The picture with its refresh button and audio link, then the answer field (labelled by the form)."""

    template_name = "accounts/widgets/captcha.html"
    use_fieldset = False  # one answer field, so a <label> names it (a fieldset would label nothing typed)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["image_2x"] = context["image"].rstrip("/") + "@2/"
        context["refresh"] = self.refresh_url()
        context["digits"] = policy.CAPTCHA_DIGITS
        context["width"], context["height"] = settings.CAPTCHA_IMAGE_SIZE
        # The answer is digits: a numeric keyboard on phones, and nothing remembered by the browser.
        answer = context["widget"]["subwidgets"][1]["attrs"]
        answer.update({"inputmode": "numeric", "maxlength": str(policy.CAPTCHA_DIGITS)})
        return context


def captcha_field() -> CaptchaField:
    return CaptchaField(
        label=_("Security code (the digits in the picture)"),
        widget=ReadableCaptchaInput(),
        error_messages={
            "invalid": _("The security code does not match. Type the digits in the new picture, or listen to them.")
        },
    )

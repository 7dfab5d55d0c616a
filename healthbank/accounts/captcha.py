"""The login captcha (SPEC §4 圖形驗證碼): digits a person can read and hear, on django-simple-captcha.

Digits only, drawn large with little noise and little rotation, because letters at
105×29 pixels failed real people; a refresh button draws a new picture and the
audio alternative reads the digits aloud in the page's language (Mandarin by
espeak-ng, English by flite), so the two logins that need it stay open to people
who cannot see the picture.
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
from pathlib import Path

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from healthbank import policy

DIGITS = "0123456789"


def digits_challenge() -> tuple[str, str]:
    """``CAPTCHA_CHALLENGE_FUNCT``: what the picture shows and what must be typed (the same digits)."""
    answer = "".join(secrets.choice(DIGITS) for _ in range(policy.CAPTCHA_DIGITS))
    return answer, answer


def audio_language(language: str | None = None) -> str | None:
    """The language the digits are read in: the page's when a voice for it is installed, else the other's."""
    voices = settings.CAPTCHA_VOICES
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    if language in voices:
        return language
    return next(iter(voices), None)


def speak_digits(digits: str, language: str) -> bytes:
    """A WAV file of the digits, one at a time with a pause between them."""
    command, separator = settings.CAPTCHA_VOICES[language]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "digits.wav"
        text = separator.join(digits)
        args = [arg.replace("{text}", text).replace("{out}", str(out)) for arg in command]
        subprocess.run(args, check=True, capture_output=True, timeout=10)  # noqa: S603 (our own settings)
        return out.read_bytes()


def captcha_audio(request, key: str):
    """Replaces the library's flite-only audio view: the digits in ``?lang=`` (the page's language)."""
    store = CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).first()
    if store is None:
        return HttpResponse(status=410)
    language = audio_language(request.GET.get("lang"))
    if language is None:
        raise Http404
    response = HttpResponse(speak_digits(store.challenge, language), content_type="audio/wav")
    patch_cache_control(response, private=True, no_store=True)
    return response


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
        spoken = audio_language()
        if context["audio"] and spoken:
            context["audio"] = f"{context['audio']}?lang={spoken}"
            context["audio_in_page_language"] = spoken == (translation.get_language() or "").lower()
        else:
            context["audio"] = None
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

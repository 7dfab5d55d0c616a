"""The NHI operators' review queue of virtual card applications (issue 10): who may see it, what it shows and
logs, and what approving and rejecting do for the person (the e-mail, the photos)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from PIL import Image

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.staff import roles
from healthbank.vcard import photos, services
from healthbank.vcard.models import CardApplication

QUEUE = "/en/admin/vcard/cardapplication/"
TAIPEI = dt.timezone(dt.timedelta(hours=8))


def page(application: CardApplication) -> str:
    return f"{QUEUE}{application.pk}/change/"


def photo_url(application: CardApplication, kind: str) -> str:
    return f"{QUEUE}{application.pk}/photo/{kind}/"


def jpeg() -> io.BytesIO:
    """A photo as a phone sends it: a real JPEG, large enough to be kept (a gradient, not a flat colour)."""
    output = io.BytesIO()
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(output, format="JPEG")
    output.seek(0)
    return output


def apply(person) -> CardApplication:
    return services.submit_application(
        person,
        person,
        terms_accepted=True,
        document="national_id_card",
        document_photo=jpeg(),
        portrait=jpeg(),
        phone="0912345678",
        email="a@example.com",
    )


@pytest.fixture(autouse=True)
def _photo_dir(settings, tmp_path):
    settings.VCARD_PHOTO_DIR = tmp_path / "vcard-photos"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """E-mails leave after the decision is committed; run those callbacks as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def staff(db, django_user_model):
    """``staff(*group names)``: a logged-in staff user in exactly those groups, and the user."""
    made = []

    def make(*groups: str, permissions: tuple[str, ...] = ()) -> tuple[Client, object]:
        user = django_user_model.objects.create_user(f"op{len(made)}", password="x-long-staff-pass", is_staff=True)
        user.groups.set([Group.objects.get(name=name) for name in groups])
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        client = Client()
        client.force_login(user)
        made.append(user)
        return client, user

    return make


@pytest.fixture
def reviewer(staff):
    return staff(roles.VCARD_REVIEWERS)


@pytest.fixture
def application(person) -> CardApplication:
    return apply(person)


def photo_logs() -> list[AccessLog]:
    return list(AccessLog.objects.filter(what=AccessLog.What.VCARD_PHOTOS).order_by("at", "detail"))


def test_the_queue_shows_waiting_applications_first_oldest_first_with_masked_names(
    person, other_person, reviewer, time_machine
):
    client, user = reviewer
    time_machine.move_to(dt.datetime(2026, 11, 18, 9, 0, tzinfo=TAIPEI), tick=False)
    reviewed = apply(other_person)
    services.approve_application(user, reviewed)
    time_machine.move_to(dt.datetime(2026, 11, 19, 9, 0, tzinfo=TAIPEI), tick=False)
    waiting = apply(person)
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=TAIPEI), tick=False)
    response = client.get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(str(waiting.pk)) < html.index(str(reviewed.pk))  # waiting first though newer
    assert "王○明" in html and "A12345****" in html and "56" in html  # masked name, masked ID, age
    assert "王小明" not in html and person.national_id not in html
    assert "a@example.com" not in html and "0912345678" not in html
    assert "2026-11-19 09:00" in html
    chinese = client.get("/admin/vcard/cardapplication/").content.decode()
    assert "115/11/19 09:00" in chinese  # ROC dates on the Chinese page
    assert client.get(QUEUE, {"status__exact": "submitted"}).status_code == 200
    assert client.get(QUEUE, {"email": "a@example.com"}).status_code == 400  # no narrowing across people by contact


def test_a_reviewer_sees_both_photos_and_every_showing_is_logged(application, reviewer):
    client, user = reviewer
    response = client.get(page(application))
    assert response.status_code == 200
    html = response.content.decode()
    assert photo_url(application, "document") in html and photo_url(application, "portrait") in html
    assert "a*****@example.com" in html and "0912***678" in html
    assert "0912345678" not in html and "a@example.com" not in html
    assert 'name="decision" value="approve"' in html and 'name="reason"' in html
    for kind in ("document", "portrait"):
        shown = client.get(photo_url(application, kind))
        assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
        assert shown.content.startswith(b"\xff\xd8\xff")
        assert "no-store" in shown["Cache-Control"]
    logs = photo_logs()
    assert sorted(log.detail for log in logs) == ["vcard.application", "vcard.document_photo", "vcard.portrait"]
    assert all(log.person_id == application.person_id and log.operator == user for log in logs)
    assert client.get(photo_url(application, "other")).status_code == 404
    assert client.post(photo_url(application, "document")).status_code == 405


def test_approving_gives_the_card_and_tells_the_person_by_email(application, reviewer, committed):
    client, user = reviewer
    with committed():
        response = client.post(page(application), {"decision": "approve"})
    assert response.status_code == 302 and response["Location"].endswith(QUEUE)
    application.refresh_from_db()
    assert application.status == CardApplication.Status.APPROVED and application.reviewer == user
    [email] = mail.outbox
    assert email.to == ["a@example.com"] and "approved" in email.subject
    assert application.person.national_id not in email.body
    queue = client.get(response["Location"]).content.decode()
    assert "is approved; the person is told by e-mail" in queue
    shown = client.get(page(application)).content.decode()
    assert "by op0," in shown and 'name="decision"' not in shown  # who reviewed it, and no buttons any more


def test_an_application_cannot_be_approved_twice(application, reviewer, staff, committed):
    client, _user = reviewer
    with committed():
        assert client.post(page(application), {"decision": "approve"}).status_code == 302
    other_client, _other = staff(roles.VCARD_REVIEWERS)
    with committed():
        again = other_client.post(page(application), {"decision": "approve"})
        rejected = other_client.post(page(application), {"decision": "reject", "reason": "Blurred photo"})
    assert again.status_code == 409 and "already reviewed" in again.content.decode()
    assert "already reviewed" in rejected.content.decode()
    application.refresh_from_db()
    assert application.status == CardApplication.Status.APPROVED and application.reviewer.username == "op0"
    assert len(mail.outbox) == 1


def test_rejecting_needs_a_reason_the_person_can_read(application, reviewer, committed):
    client, _user = reviewer
    with committed():
        blank = client.post(page(application), {"decision": "reject", "reason": "   "})
        too_long = client.post(
            page(application), {"decision": "reject", "reason": "x" * (policy.VCARD_REJECTION_REASON_MAX + 1)}
        )
    assert blank.status_code == 400
    assert "Say why the application is rejected" in blank.content.decode()
    assert too_long.status_code == 400 and "at most 200 characters" in too_long.content.decode()
    application.refresh_from_db()
    assert application.status == CardApplication.Status.SUBMITTED and not mail.outbox
    assert photos.read_photo(application.document_photo).startswith(b"\xff\xd8")


def test_rejecting_tells_the_reason_by_email_and_deletes_the_photos(application, reviewer, committed):
    client, user = reviewer
    reason = "The ID document photo is blurred; please take it again."
    with committed():
        response = client.post(page(application), {"decision": "reject", "reason": reason})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == CardApplication.Status.REJECTED and application.rejection_reason == reason
    assert application.reviewer == user
    [email] = mail.outbox
    assert email.to == ["a@example.com"] and reason in email.body
    for name in (application.document_photo, application.portrait):
        with pytest.raises(FileNotFoundError):
            photos.read_photo(name)
    assert client.get(photo_url(application, "document")).status_code == 404
    shown = client.get(page(application)).content.decode()
    assert "The photos were deleted" in shown and reason in shown and "by op0," in shown


@pytest.mark.parametrize("groups", [(roles.COUNTER_STAFF,), ()])
def test_staff_without_the_reviewer_group_reach_nothing(application, staff, committed, groups):
    client, _user = staff(*groups)
    assert client.get(QUEUE).status_code == 403
    assert client.get(page(application)).status_code == 403
    for kind in ("document", "portrait"):
        assert client.get(photo_url(application, kind)).status_code == 403
    with committed():
        assert client.post(page(application), {"decision": "approve"}).status_code == 403
    application.refresh_from_db()
    assert application.status == CardApplication.Status.SUBMITTED and not mail.outbox
    assert not photo_logs()


def test_seeing_the_queue_is_not_reviewing_it(application, staff, committed):
    """Only ``view``: the page without photos or buttons, and a decision posted anyway is refused."""
    client, _user = staff(permissions=("vcard.view_cardapplication",))
    assert client.get(QUEUE).status_code == 200
    html = client.get(page(application)).content.decode()
    assert "/photo/" not in html and 'name="decision"' not in html
    assert client.get(photo_url(application, "document")).status_code == 403
    with committed():
        assert client.post(page(application), {"decision": "approve"}).status_code == 403
    application.refresh_from_db()
    assert application.status == CardApplication.Status.SUBMITTED


def test_no_one_adds_changes_or_deletes_applications_in_the_admin(application, reviewer):
    client, _user = reviewer
    assert client.get(f"{QUEUE}add/").status_code == 403
    assert client.post(f"{QUEUE}{application.pk}/delete/").status_code == 403
    assert client.get(f"{QUEUE}not-an-id/change/").status_code == 404
    assert CardApplication.objects.filter(pk=application.pk).exists()


@pytest.fixture
def superuser_client(db, django_user_model) -> Client:
    user = django_user_model.objects.create_superuser("chief", password="x-long-staff-pass")
    client = Client()
    client.force_login(user)
    return client


def test_scans_requests_and_delegations_are_read_only_and_say_whose_only_once_narrowed(
    person, clinic, superuser_client, reviewer
):
    from django.utils import timezone

    from healthbank.vcard.models import Delegation, InstitutionRequest

    now = timezone.now()
    InstitutionRequest.objects.create(
        person=person, institution=clinic, purpose="telemedicine", requested_at=now, answer_by=now
    )
    Delegation.objects.create(
        person=person, kind="named", label="王大同", answer_by=now, starts_at=now,
        ends_at=now + dt.timedelta(days=1), created_at=now,
    )  # fmt: skip
    for model in ("cardscan", "institutionrequest", "delegation"):
        url = f"/en/admin/vcard/{model}/"
        across = superuser_client.get(url)
        assert across.status_code == 200, model
        html = across.content.decode()
        assert "王○明" not in html and clinic.name not in html and "王大同" not in html
        assert superuser_client.get(url, {"q": "anything"}).status_code == 200
        assert superuser_client.get(f"{url}add/").status_code == 403
        assert reviewer[0].get(url).status_code == 403  # the reviewers read applications only
    assert not AccessLog.objects.exists()
    narrowed = superuser_client.get("/en/admin/vcard/institutionrequest/", {"person__id__exact": person.pk})
    assert "王○明" in narrowed.content.decode() and clinic.name in narrowed.content.decode()
    assert "王小明" not in narrowed.content.decode()
    [logged] = AccessLog.objects.all()
    assert logged.person_id == person.pk and logged.what == AccessLog.What.RECORD_LIST

"""The operators' queue of NHI card requests (SPEC §10, §11): its own group, a decision with a reason, the
photo only with the permission and logged, the e-mail, and the demo's waiting requests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from healthbank.accounts.models import OutboxEmail
from healthbank.audit.models import AccessLog
from healthbank.demo.card_replacement import describe_card_requests, set_up_card_requests
from healthbank.identity.services import current_card
from healthbank.insurance.models import CardReplacementRequest
from healthbank.staff import roles
from tests.insurance.conftest import app_client_for, web_client_for
from tests.insurance.test_card_replacement import photo_dir, submit  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
QUEUE = "/admin/insurance/cardreplacementrequest/"


def page(row) -> str:
    return f"{QUEUE}{row.pk}/change/"


@pytest.fixture
def staff(django_user_model):
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
def waiting(household) -> CardReplacementRequest:
    app_client_for(household.parent)  # an account: the decision's e-mail goes there
    return submit(household.child, applicant=household.parent, reason="photo")


def logs(detail: str) -> list[AccessLog]:
    return list(AccessLog.objects.filter(what=AccessLog.What.NHI_SERVICES, detail=detail, actor_kind="operator"))


def test_the_group_holds_exactly_what_deciding_needs():
    held = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=roles.CARD_REPLACEMENT_REVIEWERS).permissions.select_related("content_type")
    }
    assert held == {"insurance.view_cardreplacementrequest", "insurance.decide_cardreplacementrequest"}


def test_a_reviewer_sees_the_photo_logged_and_approves_issuing_the_new_card(waiting, household, staff):
    client, user = staff(roles.CARD_REPLACEMENT_REVIEWERS)
    queue = client.get(QUEUE).content.decode()
    assert household.child.masked_name in queue and household.child.name not in queue
    html = client.get(page(waiting)).content.decode()
    assert "106 臺北市大安區羅斯福路四段1號" in html and f"{QUEUE}{waiting.pk}/photo/" in html
    photo = client.get(f"{QUEUE}{waiting.pk}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg" and "no-store" in photo["Cache-Control"]
    assert [e.person_id for e in logs("card_replacement.request")] == [household.child.pk]
    assert [e.person_id for e in logs("card_replacement.photo")] == [household.child.pk]
    old = current_card(household.child)
    response = client.post(page(waiting), {"decision": "approve"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    new = current_card(household.child)
    assert waiting.status == "approved" and waiting.decided_by == user and waiting.new_card == new != old
    [mail] = OutboxEmail.objects.filter(person=household.child, kind=OutboxEmail.Kind.NHI_CARD)
    assert mail.recipient == household.parent.online_account.email and new.card_number[-4:] in mail.body
    page_text = web_client_for(household.parent).get(f"/en/services/{household.child.pk}/card/").content.decode()
    assert "Approved: new card issued" in page_text and f"New card ending in {new.card_number[-4:]}" in page_text
    decided = client.get(page(waiting)).content.decode()
    assert f"New card {new.card_number[:2]}" not in decided  # the new card's number is masked on the page
    assert new.card_number[-4:] in decided and "op0" in decided and 'name="decision"' not in decided
    again = client.post(page(waiting), {"decision": "approve"})
    assert again.status_code == 409 and "這件申請已審核過了" in again.content.decode()


def test_rejecting_needs_a_reason_and_the_person_reads_it(waiting, household, staff):
    client, _user = staff(roles.CARD_REPLACEMENT_REVIEWERS)
    refused = client.post(page(waiting), {"decision": "reject", "reason": "   "})
    assert refused.status_code == 400 and "請說明退件原因" in refused.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "submitted" and not OutboxEmail.objects.filter(kind=OutboxEmail.Kind.NHI_CARD).exists()
    client.post(page(waiting), {"decision": "reject", "reason": "照片背景不是素色"})
    waiting.refresh_from_db()
    assert waiting.status == "rejected" and waiting.photo == ""
    [mail] = OutboxEmail.objects.filter(person=household.child, kind=OutboxEmail.Kind.NHI_CARD)
    assert "照片背景不是素色" in mail.body
    shown = web_client_for(household.parent).get(f"/services/{household.child.pk}/card/").content.decode()
    assert "照片背景不是素色" in shown and "退件" in shown


@pytest.mark.parametrize("groups", [(roles.COUNTER_STAFF,), (roles.VCARD_REVIEWERS,), ()])
def test_other_staff_reach_nothing(waiting, staff, groups):
    client, _user = staff(*groups)
    assert client.get(QUEUE).status_code == 403
    assert client.get(page(waiting)).status_code == 403
    assert client.get(f"{QUEUE}{waiting.pk}/photo/").status_code == 403
    assert client.post(page(waiting), {"decision": "approve"}).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == "submitted" and not logs("card_replacement.photo")


def test_seeing_the_queue_is_not_deciding(waiting, staff):
    client, _user = staff(permissions=("insurance.view_cardreplacementrequest",))
    html = client.get(page(waiting)).content.decode()
    assert "/photo/" not in html and 'name="decision"' not in html
    assert client.get(f"{QUEUE}{waiting.pk}/photo/").status_code == 403
    assert client.post(page(waiting), {"decision": "approve"}).status_code == 403


def test_the_demo_leaves_requests_waiting_and_names_the_operator(household):
    app_client_for(household.parent)
    made = set_up_card_requests()
    assert 1 <= len(made) <= 4 and all(r.status == "submitted" and r.photo for r in made)
    assert {r.pk for r in set_up_card_requests()} == {r.pk for r in made}  # a second run adds none
    lines = describe_card_requests(made, "http://localhost:8000", "operator")
    assert "user 'operator'" in lines[0] and roles.CARD_REPLACEMENT_REVIEWERS in lines[0]
    assert all(r.person.name not in "\n".join(lines) for r in made)  # masked names only

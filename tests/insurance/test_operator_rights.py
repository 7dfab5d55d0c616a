"""What an operator with few rights reaches in the insurance and virtual-card admin (SPEC §11, DESIGN: operator
pages check their own permission): each queue only for its own group, every read of a person logged without a
full ID, one decision however many operators press at once, a reason to reject, masked IDs in the lists."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client

from healthbank.accounts.models import OutboxEmail
from healthbank.audit.models import AccessLog
from healthbank.staff import roles
from tests.insurance.conftest import app_client_for, household
from tests.insurance.test_card_replacement import submit as submit_card_request
from tests.insurance.test_township import ask, at, villager
from tests.vcard.test_review import apply

__all__ = ["household", "villager"]

ADMIN = "/en/admin"


@dataclass(frozen=True)
class Queue:
    key: str
    url: str
    group: str
    notice: str  # OutboxEmail.Kind of the decision's e-mail
    files: tuple[str, ...]  # the photo or document addresses under a request's own
    read_detail: str  # access-log detail of opening a request

    def page(self, item) -> str:
        return f"{self.url}{item.pk}/change/"

    def file_urls(self, item) -> list[str]:
        return [f"{self.url}{item.pk}/{tail}" for tail in self.files]


QUEUES = {
    "vcard": Queue(
        "vcard",
        f"{ADMIN}/vcard/cardapplication/",
        roles.VCARD_REVIEWERS,
        OutboxEmail.Kind.VIRTUAL_CARD,
        ("photo/document/", "photo/portrait/"),
        "vcard.application",
    ),
    "card": Queue(
        "card",
        f"{ADMIN}/insurance/cardreplacementrequest/",
        roles.CARD_REPLACEMENT_REVIEWERS,
        OutboxEmail.Kind.NHI_CARD,
        ("photo/",),
        "card_replacement.request",
    ),
    "township": Queue(
        "township",
        f"{ADMIN}/insurance/townshiprequest/",
        roles.TOWNSHIP_OFFICERS,
        OutboxEmail.Kind.TOWNSHIP_OFFICE,
        ("document/",),
        "township.request",
    ),
}
OTHER_GROUPS = [
    roles.COUNTER_STAFF,
    roles.RECORDS_REVIEWERS,
    roles.REGISTRATION_STAFF,
    *[q.group for q in QUEUES.values()],
]


@pytest.fixture(autouse=True)
def _file_dirs(settings, tmp_path):
    settings.VCARD_PHOTO_DIR = tmp_path / "vcard-photos"
    settings.TOWNSHIP_DOCUMENT_DIR = tmp_path / "township-documents"


@pytest.fixture
def staff(django_user_model):
    made = []

    def make(*groups: str) -> tuple[Client, object]:
        user = django_user_model.objects.create_user(f"op{len(made)}", password="x-long-staff-pass", is_staff=True)
        user.groups.set([Group.objects.get(name=name) for name in groups])
        client = Client()
        client.force_login(user)
        made.append(user)
        return client, user

    return make


def make_waiting(request, key: str):
    """A waiting request of the queue, from someone with an account (so the decision's e-mail has somewhere to go)."""
    if key == "vcard":
        return apply(request.getfixturevalue("person"))
    if key == "card":
        family = request.getfixturevalue("household")
        app_client_for(family.parent)
        return submit_card_request(family.child, applicant=family.parent, reason="photo")
    at(request.getfixturevalue("time_machine"), dt.date(2026, 11, 20))
    head = request.getfixturevalue("villager")
    return ask(head.wife, "suspend", by=head, reason="missing", event_on="2026-11-10")


@pytest.fixture(params=list(QUEUES))
def queue(request) -> tuple[Queue, object]:
    return QUEUES[request.param], make_waiting(request, request.param)


def operator_logs(item) -> list[AccessLog]:
    return list(AccessLog.objects.filter(person_id=item.person_id, actor_kind=AccessLog.ActorKind.OPERATOR))


# ---------------------------------------------------------------- each queue for its own group only


@pytest.mark.django_db
@pytest.mark.parametrize("others", ["no group", *OTHER_GROUPS])
def test_staff_of_another_queue_or_of_none_reach_nothing_of_the_queue(queue, staff, others):
    q, item = queue
    if others == q.group:
        pytest.skip("the queue's own group")
    client, _user = staff() if others == "no group" else staff(others)
    assert client.get(q.url).status_code == 403
    assert client.get(q.page(item)).status_code == 403
    assert client.get(f"{q.url}{item.pk}/history/").status_code == 403
    for url in q.file_urls(item):
        assert client.get(url).status_code == 403, url
    assert client.post(q.page(item), {"decision": "approve"}).status_code == 403
    assert client.post(q.page(item), {"decision": "reject", "reason": "no"}).status_code == 403
    assert client.post(q.url, {"action": "delete_selected", "_selected_action": [item.pk]}).status_code == 403
    item.refresh_from_db()
    assert item.status == "submitted" and type(item).objects.filter(pk=item.pk).exists()
    assert not operator_logs(item) and not OutboxEmail.objects.filter(kind=q.notice).exists()


@pytest.mark.django_db
def test_the_own_group_has_no_actions_no_adding_no_deleting(queue, staff):
    q, item = queue
    client, _user = staff(q.group)
    listing = client.get(q.url).content.decode()
    assert 'name="action"' not in listing
    client.post(q.url, {"action": "delete_selected", "_selected_action": [item.pk], "post": "yes"})
    assert client.get(f"{q.url}add/").status_code == 403
    assert client.post(f"{q.url}{item.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(item).objects.filter(pk=item.pk, status="submitted").exists()


def registered_person_admins():
    """Every other admin page of the two apps: the records pages of the insurance app and the card's records."""
    return sorted(
        (model._meta.label_lower, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ("insurance", "vcard")
        and model._meta.model_name not in ("cardapplication", "cardreplacementrequest", "townshiprequest")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("label", [label for label, _ in registered_person_admins()])
@pytest.mark.parametrize("groups", [(), (roles.COUNTER_STAFF,), *[(q.group,) for q in QUEUES.values()]])
def test_the_other_operator_pages_of_the_two_apps_need_their_own_permission(label, groups, staff, person):
    app_label, model_name = label.split(".")
    client, user = staff(*groups)
    if user.has_perm(f"{app_label}.view_{model_name}"):
        pytest.skip("the group reads these")
    url = f"{ADMIN}/{app_label}/{model_name}/"
    assert client.get(url).status_code == 403
    assert client.get(url, {"person__id__exact": str(person.pk)}).status_code == 403
    assert client.get(f"{url}1/change/").status_code == 403
    assert client.get(f"{url}{uuid.uuid4()}/change/").status_code == 403
    assert client.post(url, {"action": "delete_selected", "_selected_action": ["1"]}).status_code == 403
    assert not AccessLog.objects.filter(person_id=person.pk).exists()


# ---------------------------------------------------------------- reads are logged, lists are masked


@pytest.mark.django_db
def test_the_list_shows_masked_ids_and_names_and_opening_and_files_are_logged_without_the_id(queue, staff, caplog):
    q, item = queue
    person = item.person
    client, user = staff(q.group)
    caplog.set_level(logging.DEBUG)
    listing = client.get(q.url).content.decode()
    assert person.national_id_masked in listing and person.masked_name in listing
    assert person.national_id not in listing and person.name not in listing
    assert not operator_logs(item)  # the masked list across people is not a read of anyone's data
    page = client.get(q.page(item))
    assert page.status_code == 200 and person.national_id not in page.content.decode()
    for url in q.file_urls(item):
        if url.endswith("portrait/") and not item.portrait:
            continue
        shown = client.get(url)
        assert shown.status_code == 200 and "no-store" in shown["Cache-Control"], url
    logged = operator_logs(item)
    shown_files = [u for u in q.file_urls(item) if not (u.endswith("portrait/") and not item.portrait)]
    details = sorted(e.detail for e in logged)
    assert q.read_detail in details and len(details) == len(set(details)) == 1 + len(shown_files)
    assert {e.operator_id for e in logged} == {user.pk}
    for entry in logged:
        assert person.national_id not in f"{entry.detail} {entry.actor_label} {entry.address}"
    assert person.national_id not in caplog.text


@pytest.mark.django_db
def test_seeing_the_queue_without_deciding_shows_no_file_and_no_buttons_but_is_logged(queue, staff):
    q, item = queue
    view_only = {
        "vcard": "vcard.view_cardapplication",
        "card": "insurance.view_cardreplacementrequest",
        "township": "insurance.view_townshiprequest",
    }[q.key]
    client, user = staff()
    from django.contrib.auth.models import Permission

    app_label, codename = view_only.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    html = client.get(q.page(item)).content.decode()
    assert 'name="decision"' not in html and not any(url in html for url in q.file_urls(item))
    assert [e.detail for e in operator_logs(item)] == [q.read_detail]
    for url in q.file_urls(item):
        assert client.get(url).status_code == 403
    assert client.post(q.page(item), {"decision": "reject", "reason": "no"}).status_code == 403


# ---------------------------------------------------------------- the decision


@pytest.mark.django_db
def test_a_rejection_without_a_reason_is_refused_naming_the_field(queue, staff):
    q, item = queue
    client, _user = staff(q.group)
    for reason in ("", "   ", "x" * 1001):
        refused = client.post(q.page(item), {"decision": "reject", "reason": reason})
        html = refused.content.decode()
        assert refused.status_code == 400, reason
        assert 'id="id_reason_error"' in html and 'aria-invalid="true"' in html
        assert "Reason for rejection" in html
    item.refresh_from_db()
    assert item.status == "submitted" and not OutboxEmail.objects.filter(kind=q.notice).exists()


@pytest.mark.django_db
def test_an_unknown_decision_is_refused_naming_the_field(queue, staff):
    q, item = queue
    client, _user = staff(q.group)
    for data in ({"decision": "maybe"}, {}):
        refused = client.post(q.page(item), data)
        assert refused.status_code == 400
        assert "Decision: choose approve or reject." in refused.content.decode()
    item.refresh_from_db()
    assert item.status == "submitted"


@pytest.mark.django_db
def test_a_second_decision_is_refused_with_409_and_the_first_stands(queue, staff):
    q, item = queue
    first, _user = staff(q.group)
    second, _other = staff(q.group)
    assert first.post(q.page(item), {"decision": "reject", "reason": "照片模糊"}).status_code == 302
    again = second.post(q.page(item), {"decision": "approve"})
    assert again.status_code == 409 and "already" in again.content.decode()
    item.refresh_from_db()
    assert item.status == "rejected"
    assert OutboxEmail.objects.filter(kind=q.notice).count() == 1
    shown = second.get(q.page(item)).content.decode()
    assert "照片模糊" in shown and "by op0," in shown and "Rejected" in shown and 'name="decision"' not in shown


def decide_in_parallel(posts: list[tuple[Client, str, dict]]) -> list[int]:
    """POST each (client, url, data) at the same moment, each from its own thread and database connection."""
    start = threading.Barrier(len(posts))

    def send(post: tuple[Client, str, dict]) -> int:
        client, url, data = post
        try:
            start.wait(timeout=30)
            return client.post(url, data).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        return list(pool.map(send, posts))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decisions", ["approve twice", "approve and reject"])
def test_operators_deciding_at_once_make_one_decision_and_one_email(queue, staff, decisions):
    q, item = queue
    clients = [staff(q.group)[0] for _ in range(4)]
    data = [{"decision": "approve"}, {"decision": "reject", "reason": "照片模糊"}]
    posts = [
        (client, q.page(item), data[i % 2] if decisions == "approve and reject" else data[0])
        for i, client in enumerate(clients)
    ]

    answers = decide_in_parallel(posts)

    assert sorted(answers) == [302, 409, 409, 409], answers
    item.refresh_from_db()
    assert item.status in ("approved", "rejected")
    assert OutboxEmail.objects.filter(kind=q.notice).count() == 1

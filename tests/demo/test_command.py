"""`generate_population --demo-logins`, as `make demo` runs it (issue 7: what it prints must work as printed)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shlex
import threading
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from cardagent.__main__ import parse_args
from cardagent.server import make_server
from healthbank.accounts.models import BatchUpload
from healthbank.connect.models import Application
from healthbank.core.rocdate import format_roc_compact
from healthbank.demo.connect import HEALTH_APP_PORT, TAX_FILING_PORT
from healthbank.identity.models import Enrolment, InsuranceUnit, Person
from healthbank.records.auth import client_for_key
from healthbank.staff import roles

pytestmark = pytest.mark.django_db
TAIPEI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def pinned(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, tzinfo=TAIPEI), tick=False)


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_population", stdout=out, **options)
    return out.getvalue()


def test_the_demo_prints_working_logins_and_keeps_an_existing_population(pinned):
    text = generate(people=40, seed=4, demo_logins=True)
    assert "Generated 40 people" in text
    assert "user 'operator' password 'healthbank-demo'" in text
    assert "user 'counter' password 'healthbank-counter'" in text
    key = re.search(r"Bearer (hb_\S+)", text).group(1)
    assert client_for_key(key) is not None  # the printed API key works
    card_files = re.findall(r"--card (\S+\.json)", text)
    assert card_files and all(Path(f).exists() for f in card_files)
    certificate = re.search(r"--certificate (\S+\.json)", text).group(1)
    assert Path(certificate).exists()  # the printed certificate
    unit_code, unit_password = re.search(r"code '(\d{9})' password '(\S+)'", text).groups()
    assert check_password(unit_password, InsuranceUnit.objects.get(code=unit_code).portal_password)
    assert not re.search(r"[A-Z][12]\d{8}", text)  # no full national ID on the console
    assert "make taxfiling" in text and "http://127.0.0.1:8001/" in text  # the demo agency (issue 14)
    tax = json.loads(Path(settings.DEMO_TAX_FILING_CONFIG).read_text())
    app = Application.objects.get(client_id=tax["client_id"])
    assert app.is_agency and app.redirect_uris == "http://127.0.0.1:8001/callback"
    assert check_password(tax["client_secret"], app.client_secret)  # the secret demo/taxfiling.py reads works
    assert "make healthapp" in text and "http://127.0.0.1:8002/" in text  # the demo health app (issue 14)
    diary = Path(settings.DEMO_HEALTH_APP_CONFIG)
    assert diary.stat().st_mode & 0o777 == 0o600
    app = Application.objects.get(client_id=json.loads(diary.read_text())["client_id"])
    assert app.kind == "health_app" and app.sandbox and app.longest_access_months == 13
    assert app.redirect_uris == "http://127.0.0.1:8002/callback"
    assert app.scope_list() == ["openid", "passbook.labs", "passbook.vaccinations"]
    assert check_password(json.loads(diary.read_text())["client_secret"], app.client_secret)
    again = generate(people=40, seed=4)
    assert "already loaded" in again and Person.objects.count() == 40


def test_the_printed_unit_has_people_and_its_ready_file_uploads_as_the_readme_says(
    pinned, client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    text = generate(people=60, seed=6, demo_logins=True)
    unit_code, unit_password = re.search(r"code '(\d{9})' password '(\S+)'", text).groups()
    unit = InsuranceUnit.objects.get(code=unit_code)
    assert Enrolment.objects.filter(unit=unit).count() >= 2
    assert re.search(r"enrolled there, not yet registered: .*\*\*\*\*", text)
    path = Path(re.search(r"ready batch file for them \(upload it as it is\): (\S+)", text).group(1))
    assert path.name == f"{unit_code}{format_roc_compact(dt.date(2026, 11, 20))}.csv"
    rows = path.read_bytes().decode().splitlines()
    assert rows
    # Nobody in the file is registered yet, the demo's showcase people (registered last) included.
    assert all(not hasattr(Person.objects.by_national_id(row.split(",")[0]).get(), "online_account") for row in rows)
    # README: log in at /unit/login/ with the printed code and password, upload the file.
    response = client.post("/unit/login/", {"code": unit_code, "password": unit_password})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/unit/", {"file": SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")})
    assert response.status_code == 200
    upload = BatchUpload.objects.get(unit=unit)
    assert (upload.accepted, upload.rejected) == (len(rows), 0)
    # each invitation's link leads to the address the server runs on
    invitations = [m for m in mail.outbox if any(r.split(",")[1] in m.to for r in rows)]
    assert len(invitations) == len(rows)
    assert all("http://127.0.0.1:8123/" in m.body and "127.0.0.1:8000" not in m.body for m in invitations)


def agent_accepts(command: str, origin: str) -> int:
    """Start the card agent with the printed arguments and ask it from a page of ``origin``."""
    args = parse_args([*shlex.split(command)[3:], "--port", "0"])
    server = make_server(None, args.origin, args.port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{server.port}/status", headers={"Origin": origin})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - a local agent
                return answer.status
        except urllib.error.HTTPError as refused:
            return refused.code
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("site", ["http://127.0.0.1:8000", "http://127.0.0.1:8123"])
def test_links_and_card_agent_command_follow_the_address_the_demo_serves(pinned, settings, site):
    settings.SITE_URL = site
    text = generate(people=30, seed=8, demo_logins=True)
    assert f"HealthBank demo — {site}" in text
    assert f"{site}/unit/login/" in text and f"{site}/kiosk/" in text and f"{site}/app/" in text
    assert f"NHI operator pages  {site}/admin/" in text
    # every address printed is the one served, besides the demo agency's and the demo health app's own sites
    # (issue 14), other servers
    agency, diary = f"http://127.0.0.1:{TAX_FILING_PORT}", f"http://127.0.0.1:{HEALTH_APP_PORT}"
    assert set(re.findall(r"http://[\w.:]+", text)) - {agency, diary} == {site}
    assert f"open {agency}/" in text and f"open {diary}/" in text
    command = re.search(r"\.venv/bin/python -m cardagent.* --card \S+", text).group(0)
    assert ("--origin" in command) == (site != "http://127.0.0.1:8000")
    assert agent_accepts(command, site) == 200
    assert agent_accepts(command, "http://127.0.0.1:9999") == 403


def test_today_pins_the_day_the_history_runs_up_to(time_machine):
    time_machine.move_to(dt.datetime(2028, 2, 29, 10, tzinfo=TAIPEI), tick=False)
    text = generate(people=20, seed=9, today="2028-02-29")
    assert "Generated 20 people" in text
    with pytest.raises(CommandError, match="in the future"):
        call_command("generate_population", people=5, today="2028-03-01", stdout=io.StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("generate_population", people=5, today="29/02/2028", stdout=io.StringIO())


def test_the_demo_operators_are_in_office_groups_not_superusers(pinned, client):
    from django.contrib.auth import get_user_model

    from healthbank.records.models import Visit

    generate(people=20, seed=4, demo_logins=True)
    users = get_user_model().objects
    operator, counter = users.get(username="operator"), users.get(username="counter")
    assert not operator.is_superuser and not counter.is_superuser
    assert operator.groups.count() == len(roles.ROLES) and counter.groups.count() == 1
    visit = Visit.objects.first()
    assert counter.has_perm("identity.show_passbook_at_counter") and not counter.has_perm("records.view_visit")
    client.post("/admin/login/", {"username": "counter", "password": "healthbank-counter"})
    assert client.get(f"/admin/records/visit/{visit.pk}/change/").status_code == 403
    assert client.get(f"/admin/identity/person/{visit.person_id}/counter-view/").status_code == 200
    client.post("/admin/login/", {"username": "operator", "password": "healthbank-demo"})
    assert client.get(f"/admin/records/visit/{visit.pk}/change/").status_code == 200

"""Operator pages in a browser: find a person without the ID in any address, readable breadcrumbs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from healthbank.staff import roles
from tests.conftest import PERSON_ID
from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CONTRAST = """(selector) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lin = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => { const v = rgb(c).map(lin); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const el = document.querySelector(selector);
  let bg = el, back = getComputedStyle(bg).backgroundColor;
  while (back === "rgba(0, 0, 0, 0)" && bg.parentElement) {
    bg = bg.parentElement;
    back = getComputedStyle(bg).backgroundColor;
  }
  const [a, b] = [lum(getComputedStyle(el).color), lum(back)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def log_in(page, live_server, django_user_model, *groups):
    user = django_user_model.objects.create_user("op", password="a-long-demo-password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "op")
    page.fill("#id_password", "a-long-demo-password")
    page.click("input[type=submit]")


def test_operator_finds_a_person_by_national_id_without_it_in_any_address(page, live_server, person, django_user_model):
    log_in(page, live_server, django_user_model, roles.COUNTER_STAFF)
    addresses = []
    page.on("request", lambda request: addresses.append(request.url))
    page.goto(live_server.url + "/admin/identity/person/")
    page.fill("#find-form input[name=term]", PERSON_ID)
    page.click("#find-form input[type=submit]")
    page.wait_for_url(f"**/admin/identity/person/{person.pk}/change/")
    shot(page, "admin-person-found")
    assert "A12345****" in page.inner_text("#content")
    assert PERSON_ID not in page.content()
    assert "臨櫃查詢健康存摺" in page.inner_text("#operator-work")
    assert not any(PERSON_ID.lower() in url.lower() for url in addresses)  # nor in history or server logs


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_breadcrumbs_are_readable(page, live_server, person, django_user_model, scheme):
    page.emulate_media(color_scheme=scheme)
    log_in(page, live_server, django_user_model, roles.COUNTER_STAFF)
    page.goto(live_server.url + f"/admin/identity/person/{person.pk}/change/")
    for selector in (".breadcrumbs a", ".breadcrumbs"):
        assert page.evaluate(CONTRAST, selector) >= 4.5, selector
    # A link inside text must not be told apart by colour alone (axe link-in-text-block): underlined.
    assert "underline" in page.evaluate("getComputedStyle(document.querySelector('.breadcrumbs a')).textDecorationLine")
    page.focus(".breadcrumbs a")
    assert page.evaluate(CONTRAST, ".breadcrumbs a") >= 4.5

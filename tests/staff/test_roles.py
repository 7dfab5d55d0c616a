"""The office's groups are there after every migrate and flush, holding exactly the permissions of roles.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from healthbank.staff import roles


@pytest.mark.django_db(transaction=True)
def test_the_groups_come_back_as_defined_after_a_flush():
    counter = Group.objects.get(name=roles.COUNTER_STAFF)
    counter.permissions.add(Permission.objects.get(codename="view_visit"))  # a hand-made widening
    call_command("flush", verbosity=0, interactive=False)
    held = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=roles.COUNTER_STAFF).permissions.select_related("content_type")
    }
    assert held == set(roles.ROLES[roles.COUNTER_STAFF])
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)

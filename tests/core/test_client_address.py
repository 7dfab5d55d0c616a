"""Which address the throttles count: a forged X-Forwarded-For never moves it."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from healthbank.core.http import client_address

rf = RequestFactory()


def address(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(rf.get("/", **meta))


def test_without_trusted_proxies_only_the_connection_counts(settings):
    settings.TRUSTED_PROXIES = []
    assert address("203.0.113.9", "1.2.3.4") == "203.0.113.9"


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),  # one proxy of ours
        ("10.0.0.5", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # the client forged the left part
        ("10.0.0.5", "198.51.100.7, 10.0.0.9", "198.51.100.7"),  # two proxies of ours
        ("10.0.0.5", "", "10.0.0.5"),  # nothing forwarded
        ("10.0.0.5", "not-an-address", "10.0.0.5"),  # malformed: no guessing
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from our proxy: header ignored
        ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_our_proxies_the_first_address_that_is_not_ours_counts(settings, remote, forwarded, client):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert address(remote, forwarded) == client


def test_forged_forwarded_headers_do_not_escape_the_device_code_throttle(client, db, settings):
    settings.TRUSTED_PROXIES = []
    body = json.dumps({"code": "AAAAAAAA", "platform": "iOS", "model": "X", "device_identifier": "d"})
    statuses = [
        client.post(
            "/api/app/v1/devices/bind", body, content_type="application/json",
            REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(12)
    ]  # fmt: skip
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),  # the same subscriber's other address
        ("::ffff:198.51.100.7", "198.51.100.7"),  # IPv4 written as IPv6
    ],
)
def test_throttles_count_an_ipv6_subscriber_by_its_64(address, bucket):
    from healthbank.core.http import throttle_bucket

    assert throttle_bucket(address) == bucket

"""The client's address, for throttles: ``REMOTE_ADDR`` unless it is one of our own proxies.

Behind a load balancer every request comes from the balancer, so the per-address
login throttle would count the whole country as one client. ``TRUSTED_PROXIES``
(CIDR ranges, from the environment) names our proxies; only when the request
comes from one of them is ``X-Forwarded-For`` read, from the right, skipping our
proxies, and the first other address is the client. Anything to the left of it
was written by the client and is never believed.

Throttles count ``throttle_bucket``: an IPv4 address as it is, an IPv6 address by
its /64 network, since one subscriber is usually given a whole /64 and could
otherwise take a fresh address, and a fresh throttle, for every request.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings

from healthbank import policy


@cache
def _networks(ranges: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(r.strip(), strict=False) for r in ranges if r.strip())


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(_address(remote), networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return remote  # a malformed hop: do not guess, count the proxy
        if not _trusted(address, networks):
            return str(address)
    return remote


def throttle_bucket(address: str) -> str:
    """What a per-address throttle counts: IPv4 as is, IPv6 by its /64 (IPv4-mapped IPv6 as the IPv4 it is)."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{policy.IPV6_THROTTLE_PREFIX}", strict=False))
    return str(parsed) if parsed is not None else address

"""The client's address: X-Forwarded-For only as far as TRUSTED_PROXIES says, never a spoofed entry."""

import pytest
from django.test import RequestFactory

from accounts.models import Event
from sparksso.middleware import client_ip

SPOOF = "6.6.6.6"  # what an attacker writes into X-Forwarded-For


def ip_of(settings, trusted: str, remote: str, forwarded: str | None = None) -> str | None:
    settings.TRUSTED_PROXIES = trusted
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("198.51.100.7", None, "198.51.100.7"),
        ("198.51.100.7", SPOOF, "198.51.100.7"),  # no proxies trusted: the header is ignored
        ("", SPOOF, None),
        ("not-an-address", SPOOF, None),
    ],
)
def test_without_trusted_proxies_the_address_is_remote_addr(settings, remote, forwarded, expected):
    assert ip_of(settings, "", remote, forwarded) == expected


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        ("1", "203.0.113.5", "203.0.113.5"),
        ("1", f"{SPOOF}, 203.0.113.5", "203.0.113.5"),  # the proxy appended the real one last
        ("2", f"{SPOOF}, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        ("2", "203.0.113.5", "10.0.0.1"),  # fewer entries than hops: not through our proxies
        ("1", "", "10.0.0.1"),
        ("1", "garbage", "10.0.0.1"),
        ("1", " 2001:DB8::1 ", "2001:db8::1"),  # normalised as the events' GenericIPAddressField stores it
    ],
)
def test_a_number_of_hops_reads_that_entry_from_the_right(settings, hops, forwarded, expected):
    assert ip_of(settings, hops, "10.0.0.1", forwarded) == expected


CIDRS = "10.0.0.0/8, 192.0.2.10/32"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", f"{SPOOF}, 203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", f"{SPOOF}, 203.0.113.5, 192.0.2.10", "203.0.113.5"),  # walks past trusted hops
        ("10.0.0.1", "10.1.1.1, 10.2.2.2", "10.1.1.1"),  # all trusted: the leftmost is the client
        ("10.0.0.1", f"{SPOOF}, junk, 10.2.2.2", "10.2.2.2"),  # stops at what a proxy cannot have written
        ("10.0.0.1", None, "10.0.0.1"),
        ("198.51.100.7", f"{SPOOF}", "198.51.100.7"),  # a direct connection: its header is the client's
        ("198.51.100.7", f"{SPOOF}, 10.0.0.1", "198.51.100.7"),
    ],
)
def test_cidrs_walk_forwarded_for_past_trusted_proxies(settings, remote, forwarded, expected):
    assert ip_of(settings, CIDRS, remote, forwarded) == expected


def test_events_record_the_client_behind_the_proxy_not_the_spoof(client, settings, admin):
    settings.TRUSTED_PROXIES = "1"
    before = Event.objects.count()
    response = client.post(
        "/login",
        {"identifier": admin.email, "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=f"{SPOOF}, 203.0.113.5",
    )
    assert response.status_code == 401
    assert list(Event.objects.values_list("event", "ip")[before:]) == [("password_login_failure", "203.0.113.5")]

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet model: validation messages and the planned mesh."""

from __future__ import annotations

import pytest

from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
    FleetError,
    plan_fleet,
    swanctl_identity,
    tunnel_name,
)


def lab() -> dict[str, dict]:
    """The three kinds of site the lab has."""
    return {
        "gw-a": {
            "swanfleet_site": "site-a",
            "swanfleet_site_subnets": ["10.1.0.0/24"],
            "swanfleet_reach": "none",
            "swanfleet_identity": "gw-a.example.net",
        },
        "gw-b": {
            "swanfleet_site": "site-b",
            "swanfleet_site_subnets": ["10.2.0.0/24"],
            "swanfleet_reach": "forwarded",
            "swanfleet_endpoint": "198.51.100.11",
            "swanfleet_identity": "gw-b.example.net",
        },
        "gw-c": {
            "swanfleet_site": "site-c",
            "swanfleet_site_subnets": ["10.3.0.0/24", "10.30.0.0/16"],
            "swanfleet_endpoint": "198.51.100.12",
        },
    }


def problems(fleet: dict[str, dict]) -> list[str]:
    with pytest.raises(FleetError) as info:
        plan_fleet(fleet)
    assert "no host was changed" in str(info.value)
    return [str(p) for p in info.value.problems]


def test_full_mesh_has_every_pair_once_per_side() -> None:
    plan = plan_fleet(lab())
    names = {h: [t.name for t in ts] for h, ts in plan.tunnels.items()}
    assert names == {
        "gw-a": ["site-a--site-b", "site-a--site-c"],
        "gw-b": ["site-a--site-b", "site-b--site-c"],
        "gw-c": ["site-a--site-c", "site-b--site-c"],
    }


def test_gateway_without_reach_initiates_and_peers_accept_any_address() -> None:
    plan = plan_fleet(lab())
    a_to_c = next(t for t in plan.tunnels["gw-a"] if t.peer_host == "gw-c")
    c_to_a = next(t for t in plan.tunnels["gw-c"] if t.peer_host == "gw-a")
    assert a_to_c.initiator and not c_to_a.initiator
    assert a_to_c.remote_addrs == "198.51.100.12"
    assert c_to_a.remote_addrs == "%any"


def test_between_two_reachable_gateways_exactly_one_initiates() -> None:
    plan = plan_fleet(lab())
    b_side = next(t for t in plan.tunnels["gw-b"] if t.peer_host == "gw-c")
    c_side = next(t for t in plan.tunnels["gw-c"] if t.peer_host == "gw-b")
    assert b_side.initiator != c_side.initiator
    assert b_side.remote_addrs == "198.51.100.12"
    assert c_side.remote_addrs == "198.51.100.11"


def test_both_ends_agree_on_identities_and_selectors() -> None:
    plan = plan_fleet(lab())
    a_side = next(t for t in plan.tunnels["gw-a"] if t.peer_host == "gw-c")
    c_side = next(t for t in plan.tunnels["gw-c"] if t.peer_host == "gw-a")
    assert a_side.local_id == c_side.remote_id == "@gw-a.example.net"
    assert a_side.remote_id == c_side.local_id == "198.51.100.12"
    assert a_side.local_subnets == c_side.remote_subnets == ("10.1.0.0/24",)
    assert c_side.local_subnets == ("10.3.0.0/24", "10.30.0.0/16")


def test_dns_names_are_accepted_as_endpoints() -> None:
    fleet = lab()
    fleet["gw-c"]["swanfleet_endpoint"] = "vpn.example.net"
    plan = plan_fleet(fleet)
    assert plan.gateways["gw-c"].identity == "vpn.example.net"
    a_side = next(t for t in plan.tunnels["gw-a"] if t.peer_host == "gw-c")
    assert a_side.remote_addrs == "vpn.example.net"
    assert a_side.remote_id == "@vpn.example.net"


@pytest.mark.parametrize(
    ("identity", "written"),
    [
        ("198.51.100.12", "198.51.100.12"),
        ("2001:db8::1", "2001:db8::1"),
        ("gw.example.net", "@gw.example.net"),
        ("gw.example.net.", "@gw.example.net"),
    ],
)
def test_identity_is_written_by_kind(identity: str, written: str) -> None:
    assert swanctl_identity(identity) == written


def test_tunnel_name_is_the_same_from_both_sides() -> None:
    assert tunnel_name("site-b", "site-a") == tunnel_name("site-a", "site-b")


@pytest.mark.parametrize(
    ("host", "change", "expected"),
    [
        ("gw-a", {"swanfleet_site": None}, "gw-a: swanfleet_site: is not set"),
        ("gw-a", {"swanfleet_site": "bad site"}, "gw-a: swanfleet_site: is 'bad site'"),
        (
            "gw-b",
            {"swanfleet_site_subnets": "10.2.0.0/24"},
            "gw-b: swanfleet_site_subnets: is not a non-empty list",
        ),
        (
            "gw-b",
            {"swanfleet_site_subnets": ["10.2.0.1/24"]},
            "has host bits set; the network is 10.2.0.0/24",
        ),
        (
            "gw-b",
            {"swanfleet_site_subnets": ["10.2.0/24"]},
            "gw-b: swanfleet_site_subnets:",
        ),
        (
            "gw-b",
            {"swanfleet_site_subnets": ["10.2.0.0"]},
            "is not a prefix such as 10.1.0.0/24",
        ),
        (
            "gw-b",
            {"swanfleet_reach": "open"},
            "gw-b: swanfleet_reach: is 'open'. Fix: use one of public, forwarded, none",
        ),
        (
            "gw-b",
            {"swanfleet_endpoint": None},
            "gw-b: swanfleet_endpoint: is required when swanfleet_reach is forwarded",
        ),
        (
            "gw-c",
            {"swanfleet_endpoint": "not an address!"},
            "gw-c: swanfleet_endpoint: 'not an address!'",
        ),
        (
            "gw-c",
            {"swanfleet_endpoint": "198.51.100.300"},
            "gw-c: swanfleet_endpoint: '198.51.100.300' is neither",
        ),
        (
            "gw-c",
            {"swanfleet_endpoint": "10.1"},
            "gw-c: swanfleet_endpoint: '10.1' is neither",
        ),
        ("gw-a", {"swanfleet_identity": None}, "gw-a: swanfleet_identity: is not set"),
        (
            "gw-a",
            {"swanfleet_identity": "300.1.1.1"},
            "gw-a: swanfleet_identity: '300.1.1.1' is neither",
        ),
        (
            "gw-b",
            {"swanfleet_identity": "gw-a.example.net"},
            "gw-b: swanfleet_identity: gw-a.example.net is also the identity of gw-a",
        ),
        (
            "gw-c",
            {"swanfleet_site": "site-a"},
            "gw-c: swanfleet_site: site 'site-a' is already served by gw-a",
        ),
        (
            "gw-c",
            {"swanfleet_site_subnets": ["10.1.0.128/25"]},
            "gw-c: swanfleet_site_subnets: 10.1.0.128/25 overlaps 10.1.0.0/24 of gw-a",
        ),
        (
            "gw-b",
            {"swanfleet_reach": "none"},
            "gw-b: swanfleet_reach: neither gw-a nor gw-b can be reached",
        ),
    ],
)
def test_each_problem_names_host_variable_and_fix(
    host: str, change: dict, expected: str
) -> None:
    fleet = lab()
    for key, value in change.items():
        if value is None:
            fleet[host].pop(key, None)
        else:
            fleet[host][key] = value
    found = problems(fleet)
    assert any(expected in p for p in found), found
    assert all(". Fix: " in p for p in found)


def test_all_problems_are_reported_at_once() -> None:
    fleet = lab()
    fleet["gw-a"]["swanfleet_site_subnets"] = ["bogus"]
    fleet["gw-c"]["swanfleet_reach"] = "sideways"
    found = problems(fleet)
    assert {p.split(":")[0] for p in found} == {"gw-a", "gw-c"}

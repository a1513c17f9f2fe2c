# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""How gateways authenticate: pre-shared keys, or raw public keys from DNS, and
what the plan checks before a fleet may use the latter."""

from __future__ import annotations

from typing import Any

import pytest
from fleets import three_sites

from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
    FleetError,
    Problem,
    plan_fleet,
)

DNS = {
    "gateway_auth": "pubkey",
    "gateway_dns_server": "192.168.53.1",
    "gateway_dns_tsig_key_name": "fleet-updates",
    "gateway_dns_trust_anchor": ["example.net. IN DS 1 13 2 abcd"],
    "gateway_dns_domain": "example.net",
}


def problems(hostvars: dict[str, dict[str, Any]]) -> list[Problem]:
    with pytest.raises(FleetError) as info:
        plan_fleet(hostvars)
    return info.value.problems


def test_pre_shared_keys_are_the_default() -> None:
    plan = plan_fleet(three_sites())
    assert plan.as_dict()["gw-c"]["identity_kind"] == "ipv4"
    assert plan.as_dict()["gw-a"]["identity_kind"] == "fqdn"


def test_a_fleet_of_public_keys_with_every_setting_plans() -> None:
    plan = plan_fleet(three_sites(**DNS))
    assert len(plan.as_dict()["gw-a"]["tunnels"]) == 2


def test_an_unknown_method_names_the_choices() -> None:
    found = problems(three_sites(gateway_auth="certs"))
    assert {p.host for p in found} == {"gw-a", "gw-b", "gw-c"}
    assert all(p.variable == "gateway_auth" for p in found)
    assert "psk" in found[0].fix and "pubkey" in found[0].fix


@pytest.mark.parametrize(
    "variable",
    ["gateway_dns_server", "gateway_dns_tsig_key_name", "gateway_dns_trust_anchor"],
)
def test_public_keys_need_every_dns_setting(variable: str) -> None:
    settings = {**DNS, variable: [] if variable.endswith("anchor") else ""}
    found = problems(three_sites(**settings))
    assert {(p.host, p.variable) for p in found} == {
        ("gw-a", variable),
        ("gw-b", variable),
        ("gw-c", variable),
    }
    assert "gateway_auth is pubkey" in found[0].message


def test_an_address_identity_needs_a_domain_to_be_named_in() -> None:
    settings = {**DNS, "gateway_dns_domain": ""}
    found = problems(three_sites(**settings))
    # only gw-c is known by its address; the others are published under their FQDN
    assert [(p.host, p.variable) for p in found] == [("gw-c", "gateway_dns_domain")]
    assert "198.51.100.12" in found[0].message


def test_an_endpoint_named_like_the_published_key_is_refused() -> None:
    hostvars = three_sites(**DNS)
    hostvars["gw-b"]["swanfleet_endpoint"] = "gw-b.example.net"
    found = problems(hostvars)
    assert [(p.host, p.variable) for p in found] == [("gw-b", "swanfleet_endpoint")]


def test_both_ends_of_a_tunnel_must_authenticate_alike() -> None:
    hostvars = three_sites()
    hostvars["gw-c"].update(DNS)
    found = problems(hostvars)
    assert {(p.host, p.variable) for p in found} == {
        ("gw-a", "gateway_auth"),
        ("gw-b", "gateway_auth"),
    }
    assert all("gw-c" in p.message for p in found)


def test_a_fleet_without_a_tunnel_between_mixed_methods_plans() -> None:
    hostvars = three_sites(
        swanfleet_topology="pairs", swanfleet_pairs=[["site-a", "site-b"]]
    )
    hostvars["gw-c"].update(DNS)
    plan = plan_fleet(hostvars)
    assert plan.as_dict()["gw-c"]["tunnels"] == []

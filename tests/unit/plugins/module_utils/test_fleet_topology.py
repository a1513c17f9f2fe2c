# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet model: topologies, relays through hubs, IPv6, tunnel settings and
the checks that come with them."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
    FleetError,
    FleetPlan,
    Problem,
    Tunnel,
    plan_fleet,
)

HUB = {"swanfleet_topology": "hub_and_spoke", "swanfleet_hubs": ["hq"]}


def gateway(
    site: str,
    subnets: list[str],
    reach: str = "public",
    endpoint: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    hv: dict[str, Any] = {
        "swanfleet_site": site,
        "swanfleet_site_subnets": subnets,
        "swanfleet_reach": reach,
        "swanfleet_identity": f"gw-{site}.example.net",
    }
    if endpoint:
        hv["swanfleet_endpoint"] = endpoint
    hv.update(extra)
    return hv


def lab() -> dict[str, dict]:
    """The lab's three sites: behind NAT, forwarded, public."""
    return {
        "gw-a": gateway("site-a", ["10.1.0.0/24"], "none"),
        "gw-b": gateway("site-b", ["10.2.0.0/24"], "forwarded", "198.51.100.11"),
        "gw-c": gateway("site-c", ["10.3.0.0/24"], "public", "198.51.100.12"),
    }


def star(**common: Any) -> dict[str, dict]:
    """A hub with a public address and three branches, two of them behind NAT."""
    return {
        "gw-hq": gateway("hq", ["10.0.0.0/16"], "public", "198.51.100.1", **common),
        "gw-b1": gateway("b1", ["10.1.0.0/24"], "none", **common),
        "gw-b2": gateway("b2", ["10.2.0.0/24"], "none", **common),
        "gw-b3": gateway("b3", ["10.3.0.0/24"], "forwarded", "198.51.100.3", **common),
    }


def names(plan: FleetPlan) -> dict[str, list[str]]:
    return {h: [t.name for t in ts] for h, ts in plan.tunnels.items()}


def end(plan: FleetPlan, host: str, peer: str) -> Tunnel:
    return next(t for t in plan.tunnels[host] if t.peer_host == peer)


def problems(fleet: dict[str, dict]) -> list[Problem]:
    with pytest.raises(FleetError) as info:
        plan_fleet(fleet)
    assert "no host was changed" in str(info.value)
    return info.value.problems


def one(found: list[Problem], host: str, variable: str, words: str) -> Problem:
    """The problem of ``host`` and ``variable`` whose message has ``words``."""
    match = [
        p
        for p in found
        if p.host == host and p.variable == variable and words in p.message
    ]
    assert match, [str(p) for p in found]
    text = str(match[0])
    assert text.startswith(f"{host}: {variable}: ")
    assert ". Fix: " in text and match[0].fix
    return match[0]


# --- topologies -------------------------------------------------------------


def test_mesh_is_the_default_and_unchanged_for_the_lab() -> None:
    plan = plan_fleet(lab())
    assert names(plan) == {
        "gw-a": ["site-a--site-b", "site-a--site-c"],
        "gw-b": ["site-a--site-b", "site-b--site-c"],
        "gw-c": ["site-a--site-c", "site-b--site-c"],
    }
    a_c = end(plan, "gw-a", "gw-c")
    assert a_c.local_subnets == ("10.1.0.0/24",)
    assert a_c.remote_subnets == ("10.3.0.0/24",)
    assert a_c.transit_sites == ()
    assert (a_c.start_action, a_c.dpd_action, a_c.close_action) == (
        "start",
        "restart",
        "start",
    )
    c_a = end(plan, "gw-c", "gw-a")
    assert (c_a.start_action, c_a.dpd_action, c_a.close_action) == (
        "none",
        "clear",
        "none",
    )
    assert a_c.ike_proposals is None and a_c.esp_proposals is None
    assert a_c.dpd_delay is None and a_c.ike_rekey_time is None
    assert plan.relays == []
    assert plan.reaches["site-a"] == ["site-b", "site-c"]


def test_hub_and_spoke_joins_spokes_to_the_hub_only() -> None:
    plan = plan_fleet(star(**HUB))
    assert names(plan) == {
        "gw-hq": ["b1--hq", "b2--hq", "b3--hq"],
        "gw-b1": ["b1--hq"],
        "gw-b2": ["b2--hq"],
        "gw-b3": ["b3--hq"],
    }


def test_hub_carries_the_other_spokes_subnets_as_traffic_selectors() -> None:
    plan = plan_fleet(star(**HUB))
    spoke = end(plan, "gw-b1", "gw-hq")
    hub = end(plan, "gw-hq", "gw-b1")
    assert spoke.local_subnets == ("10.1.0.0/24",)
    assert spoke.remote_subnets == (
        "10.0.0.0/16",
        "10.2.0.0/24",
        "10.3.0.0/24",
    )
    assert hub.local_subnets == spoke.remote_subnets
    assert hub.remote_subnets == spoke.local_subnets
    assert spoke.transit_sites == hub.transit_sites == ("b2", "b3")
    assert spoke.initiator and not hub.initiator
    assert plan.reaches["b1"] == ["b2", "b3", "hq"]
    relayed = {r.sites: r.hub_host for r in plan.relays}
    assert relayed == {
        ("b1", "b2"): "gw-hq",
        ("b1", "b3"): "gw-hq",
        ("b2", "b3"): "gw-hq",
    }


def test_hub_and_spoke_without_transit_keeps_spokes_apart() -> None:
    plan = plan_fleet(star(**HUB, swanfleet_hub_transit=False))
    spoke = end(plan, "gw-b1", "gw-hq")
    assert spoke.remote_subnets == ("10.0.0.0/16",)
    assert end(plan, "gw-hq", "gw-b2").local_subnets == ("10.0.0.0/16",)
    assert spoke.transit_sites == ()
    assert plan.relays == []
    assert plan.reaches["b1"] == ["hq"]
    assert plan.reaches["hq"] == ["b1", "b2", "b3"]


def test_hub_set_on_spokes_only_in_host_vars() -> None:
    fleet = star()
    for host in ("gw-b1", "gw-b2", "gw-b3"):
        fleet[host].update(HUB)
    fleet["gw-hq"]["swanfleet_topology"] = "hub_and_spoke"
    fleet["gw-hq"]["swanfleet_hubs"] = ["hq"]
    plan = plan_fleet(fleet)
    assert names(plan)["gw-hq"] == ["b1--hq", "b2--hq", "b3--hq"]


def test_two_hubs_are_joined_and_each_spoke_uses_its_own() -> None:
    fleet = star()
    fleet["gw-dc"] = gateway("dc", ["10.9.0.0/16"], "public", "198.51.100.9")
    for host in fleet:
        fleet[host]["swanfleet_topology"] = "hub_and_spoke"
        fleet[host]["swanfleet_hubs"] = ["hq", "dc"]
    fleet["gw-b1"]["swanfleet_hubs"] = ["dc", "hq"]
    plan = plan_fleet(fleet)
    assert "dc--hq" in names(plan)["gw-hq"]
    assert names(plan)["gw-b1"] == ["b1--dc", "b1--hq"]
    # b1 names dc first, so b1 and b2 meet at dc; no prefix is in two tunnels
    assert "10.2.0.0/24" in end(plan, "gw-b1", "gw-dc").remote_subnets
    assert "10.2.0.0/24" not in end(plan, "gw-b1", "gw-hq").remote_subnets
    assert "10.3.0.0/24" in end(plan, "gw-b3", "gw-hq").local_subnets or (
        "10.3.0.0/24" in end(plan, "gw-b3", "gw-dc").local_subnets
    )
    for tunnels in plan.tunnels.values():
        remote = [p for t in tunnels for p in t.remote_subnets]
        assert len(remote) == len(set(remote))


def test_explicit_pairs_make_only_the_listed_tunnels() -> None:
    fleet = lab()
    fleet["gw-d"] = gateway("site-d", ["10.4.0.0/24"], "public", "198.51.100.13")
    pairs = [["site-a", "site-c"], ["site-c", "site-b"], ["site-d", "site-b"]]
    for hv in fleet.values():
        hv["swanfleet_topology"] = "pairs"
        hv["swanfleet_pairs"] = pairs
    plan = plan_fleet(fleet)
    assert names(plan) == {
        "gw-a": ["site-a--site-c"],
        "gw-b": ["site-b--site-c", "site-b--site-d"],
        "gw-c": ["site-a--site-c", "site-b--site-c"],
        "gw-d": ["site-b--site-d"],
    }
    assert plan.reaches["site-a"] == ["site-c"]


def test_mesh_relays_two_gateways_behind_nat_through_the_hub() -> None:
    fleet = lab()
    fleet["gw-b"]["swanfleet_reach"] = "none"
    fleet["gw-b"].pop("swanfleet_endpoint")
    for hv in fleet.values():
        hv["swanfleet_hubs"] = ["site-c"]
    plan = plan_fleet(fleet)
    assert names(plan)["gw-a"] == ["site-a--site-c"]
    assert names(plan)["gw-b"] == ["site-b--site-c"]
    assert end(plan, "gw-a", "gw-c").remote_subnets == ("10.3.0.0/24", "10.2.0.0/24")
    assert end(plan, "gw-c", "gw-a").local_subnets == ("10.3.0.0/24", "10.2.0.0/24")
    assert end(plan, "gw-c", "gw-b").remote_subnets == ("10.2.0.0/24",)
    assert end(plan, "gw-c", "gw-b").local_subnets == ("10.3.0.0/24", "10.1.0.0/24")
    assert [(r.sites, r.hub_host) for r in plan.relays] == [
        (("site-a", "site-b"), "gw-c")
    ]
    assert plan.reaches["site-a"] == ["site-b", "site-c"]


# --- IPv6 -------------------------------------------------------------------


def test_ipv6_lans_and_endpoints() -> None:
    fleet = {
        "gw-x": gateway(
            "x", ["2001:db8:10::/48", "10.10.0.0/24"], "public", "2001:db8::10"
        ),
        "gw-y": gateway("y", ["2001:db8:20::/48"], "public", "2001:db8::20"),
    }
    plan = plan_fleet(fleet)
    x = end(plan, "gw-x", "gw-y")
    # the IPv4 LAN has no partner on y, so it is not offered
    assert x.local_subnets == ("2001:db8:10::/48",)
    assert x.remote_subnets == ("2001:db8:20::/48",)
    assert x.remote_addrs == "2001:db8::20"
    assert x.selectors() == {
        "ipv6": {"local": ["2001:db8:10::/48"], "remote": ["2001:db8:20::/48"]}
    }
    gw = plan.as_dict()["gw-x"]
    assert gw["families"] == ["ipv4", "ipv6"]
    assert gw["tunnel_families"] == ["ipv6"]


def test_ipv4_lans_over_an_ipv6_uplink() -> None:
    fleet = {
        "gw-x": gateway("x", ["10.10.0.0/24"], "public", "2001:db8::10"),
        "gw-y": gateway(
            "y", ["10.20.0.0/24"], "none", swanfleet_uplink_addresses=["2001:db8:99::2"]
        ),
    }
    plan = plan_fleet(fleet)
    y = end(plan, "gw-y", "gw-x")
    assert y.initiator and y.remote_addrs == "2001:db8::10"
    assert y.selectors() == {
        "ipv4": {"local": ["10.20.0.0/24"], "remote": ["10.10.0.0/24"]}
    }


def test_selectors_are_split_by_family() -> None:
    fleet = {
        "gw-x": gateway(
            "x", ["10.10.0.0/24", "2001:db8:10::/48"], "public", "198.51.100.10"
        ),
        "gw-y": gateway(
            "y", ["2001:db8:20::/48", "10.20.0.0/24"], "public", "198.51.100.20"
        ),
    }
    x = end(plan_fleet(fleet), "gw-x", "gw-y")
    assert x.as_dict()["selectors"] == {
        "ipv4": {"local": ["10.10.0.0/24"], "remote": ["10.20.0.0/24"]},
        "ipv6": {"local": ["2001:db8:10::/48"], "remote": ["2001:db8:20::/48"]},
    }


def test_ipv6_overlap_is_found() -> None:
    fleet = {
        "gw-x": gateway("x", ["2001:db8:10::/48"], "public", "198.51.100.10"),
        "gw-y": gateway("y", ["2001:db8:10:5::/64"], "public", "198.51.100.20"),
    }
    p = one(
        problems(fleet), "gw-y", "swanfleet_site_subnets", "overlaps 2001:db8:10::/48"
    )
    assert "own address range" in p.fix


# --- tunnel settings ----------------------------------------------------------


def test_site_settings_apply_to_its_tunnels() -> None:
    fleet = lab()
    fleet["gw-a"].update(
        swanfleet_ike_proposals=["aes128gcm16-prfsha256-x25519"],
        swanfleet_esp_proposals=["aes128gcm16-x25519"],
        swanfleet_ike_rekey_time="8h",
        swanfleet_child_rekey_time="30m",
        swanfleet_dpd_delay="10s",
        swanfleet_dpd_action="trap",
        swanfleet_start_action="trap",
    )
    plan = plan_fleet(fleet)
    a = end(plan, "gw-a", "gw-c")
    c = end(plan, "gw-c", "gw-a")
    assert a.ike_proposals == c.ike_proposals == ("aes128gcm16-prfsha256-x25519",)
    assert a.esp_proposals == c.esp_proposals == ("aes128gcm16-x25519",)
    assert (a.ike_rekey_time, a.child_rekey_time, a.dpd_delay) == ("8h", "30m", "10s")
    assert (c.ike_rekey_time, c.child_rekey_time, c.dpd_delay) == (None, None, None)
    assert (a.start_action, a.dpd_action, a.close_action) == ("trap", "trap", "trap")
    assert (c.start_action, c.dpd_action) == ("none", "clear")
    # a tunnel between two other sites is untouched
    assert end(plan, "gw-b", "gw-c").ike_proposals is None


def test_tunnel_settings_override_the_sites() -> None:
    fleet = lab()
    fleet["gw-a"]["swanfleet_esp_proposals"] = ["aes128gcm16-x25519"]
    fleet["gw-c"]["swanfleet_tunnel_settings"] = {
        "site-a--site-c": {"esp_proposals": ["aes256gcm16-ecp384"], "dpd_delay": "5s"}
    }
    plan = plan_fleet(fleet)
    a = end(plan, "gw-a", "gw-c")
    assert a.esp_proposals == ("aes256gcm16-ecp384",)
    assert a.dpd_delay == end(plan, "gw-c", "gw-a").dpd_delay == "5s"
    assert end(plan, "gw-a", "gw-b").esp_proposals == ("aes128gcm16-x25519",)
    assert a.as_dict()["esp_proposals"] == ["aes256gcm16-ecp384"]


def test_the_same_tunnel_settings_on_both_ends_are_fine() -> None:
    fleet = lab()
    entry = {"site-a--site-c": {"child_rekey_time": "1h"}}
    fleet["gw-a"]["swanfleet_tunnel_settings"] = entry
    fleet["gw-c"]["swanfleet_tunnel_settings"] = entry
    assert end(plan_fleet(fleet), "gw-a", "gw-c").child_rekey_time == "1h"


# --- validation -------------------------------------------------------------


def test_conflicting_site_proposals_are_reported() -> None:
    fleet = lab()
    fleet["gw-a"]["swanfleet_ike_proposals"] = ["aes128gcm16-prfsha256-x25519"]
    fleet["gw-c"]["swanfleet_ike_proposals"] = ["aes256gcm16-prfsha384-ecp384"]
    p = one(problems(fleet), "gw-c", "swanfleet_ike_proposals", "differs from gw-a's")
    assert "swanfleet_tunnel_settings['site-a--site-c'].ike_proposals" in p.fix


def test_conflicting_tunnel_settings_are_reported() -> None:
    fleet = lab()
    fleet["gw-a"]["swanfleet_tunnel_settings"] = {"site-a--site-c": {"dpd_delay": "5s"}}
    fleet["gw-c"]["swanfleet_tunnel_settings"] = {"site-a--site-c": {"dpd_delay": "9s"}}
    p = one(
        problems(fleet),
        "gw-c",
        "swanfleet_tunnel_settings['site-a--site-c'].dpd_delay",
        "differs from the same setting on gw-a",
    )
    assert "same on both" in p.fix


@pytest.mark.parametrize(
    ("host", "change", "variable", "words", "fix"),
    [
        # a peer or hub naming an unknown site
        (
            "gw-b",
            {"swanfleet_hubs": ["site-x"]},
            "swanfleet_hubs",
            "names site 'site-x', which no gateway",
            "the sites are site-a, site-b, site-c",
        ),
        (
            "gw-a",
            {"swanfleet_topology": "pairs", "swanfleet_pairs": [["site-a", "site-q"]]},
            "swanfleet_pairs",
            "[site-a, site-q] names site 'site-q'",
            "pair sites by their swanfleet_site",
        ),
        (
            "gw-a",
            {"swanfleet_pairs": [["site-a"]]},
            "swanfleet_pairs",
            "is not a pair of two different site names",
            "[SITE, OTHER_SITE]",
        ),
        (
            "gw-a",
            {"swanfleet_topology": "star"},
            "swanfleet_topology",
            "is 'star'",
            "mesh, hub_and_spoke, pairs",
        ),
        (
            "gw-a",
            {"swanfleet_topology": "hub_and_spoke"},
            "swanfleet_hubs",
            "is empty but swanfleet_topology is hub_and_spoke",
            "name the hub site(s)",
        ),
        (
            "gw-a",
            {"swanfleet_topology": "pairs"},
            "swanfleet_pairs",
            "is empty but swanfleet_topology is pairs",
            "list the site pairs",
        ),
        # a LAN holding a gateway's own outer address
        (
            "gw-c",
            {"swanfleet_site_subnets": ["198.51.100.0/24"]},
            "swanfleet_site_subnets",
            "198.51.100.0/24 contains this gateway's own swanfleet_endpoint 198.51.100.12",
            "not the network of its uplink",
        ),
        (
            "gw-a",
            {
                "swanfleet_uplink_addresses": ["10.1.0.1"],
            },
            "swanfleet_site_subnets",
            "10.1.0.0/24 contains this gateway's own swanfleet_uplink_addresses 10.1.0.1",
            "not the network of its uplink",
        ),
        (
            "gw-a",
            {"swanfleet_site_subnets": ["198.51.100.0/28"]},
            "swanfleet_site_subnets",
            "198.51.100.0/28 contains 198.51.100.11, the swanfleet_endpoint of gw-b",
            "must not hold another gateway's outer address",
        ),
        # malformed addresses and prefixes
        (
            "gw-a",
            {"swanfleet_uplink_addresses": ["10.0.0.1/24"]},
            "swanfleet_uplink_addresses",
            "'10.0.0.1/24' is not an IP address",
            "without prefix length",
        ),
        (
            "gw-b",
            {"swanfleet_site_subnets": ["2001:db8::1/64"]},
            "swanfleet_site_subnets",
            "has host bits set; the network is 2001:db8::/64",
            "ADDRESS/PREFIX",
        ),
        (
            "gw-b",
            {"swanfleet_site_subnets": ["10.2.0.0/33"]},
            "swanfleet_site_subnets",
            "10.2.0.0/33",
            "ADDRESS/PREFIX",
        ),
        (
            "gw-b",
            {"swanfleet_site_subnets": ["2001:db8::g/64"]},
            "swanfleet_site_subnets",
            "is not a prefix",
            "ADDRESS/PREFIX",
        ),
        (
            "gw-c",
            {"swanfleet_endpoint": "2001:db8::12::1"},
            "swanfleet_endpoint",
            "is neither an IP address nor a DNS name",
            "address or name peers dial",
        ),
        # path MTU per outer family
        (
            "gw-c",
            {"swanfleet_path_mtu": 575},
            "swanfleet_path_mtu",
            "575 is outside 576..65535, the range an IPv4 outer path allows",
            "at least 576 bytes",
        ),
        (
            "gw-c",
            {"swanfleet_endpoint": "2001:db8::12", "swanfleet_path_mtu": 1279},
            "swanfleet_path_mtu",
            "1279 is outside 1280..65535, the range an IPv6 outer path allows",
            "at least 1280 bytes since IPv6 requires it",
        ),
        (
            "gw-a",
            {
                "swanfleet_uplink_addresses": ["2001:db8:1::5"],
                "swanfleet_path_mtu": 1000,
            },
            "swanfleet_path_mtu",
            "1000 is outside 1280..65535",
            "at least 1280",
        ),
        (
            "gw-c",
            {"swanfleet_path_mtu": 65536},
            "swanfleet_path_mtu",
            "65536 is outside 576..65535",
            "at most 65535",
        ),
        (
            "gw-c",
            {"swanfleet_path_mtu": "big"},
            "swanfleet_path_mtu",
            "is 'big', not a number of bytes",
            "1492 for PPPoE",
        ),
        # weak proposals
        (
            "gw-a",
            {"swanfleet_ike_proposals": ["3des-sha256-modp2048"]},
            "swanfleet_ike_proposals",
            "3des-sha256-modp2048 uses 3DES encryption",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-a",
            {"swanfleet_esp_proposals": ["aes128-md5-modp2048"]},
            "swanfleet_esp_proposals",
            "aes128-md5-modp2048 uses MD5 integrity",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-a",
            {"swanfleet_ike_proposals": ["aes256-sha256-prfsha1-ecp256"]},
            "swanfleet_ike_proposals",
            "uses SHA-1 as PRF",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-a",
            {"swanfleet_ike_proposals": ["aes256-sha1-ecp256"]},
            "swanfleet_ike_proposals",
            "SHA-1 as the only integrity algorithm (and so as PRF)",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-a",
            {"swanfleet_esp_proposals": ["aes256-sha256-modp1024"]},
            "swanfleet_esp_proposals",
            "uses the 1024-bit MODP group",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-a",
            {"swanfleet_esp_proposals": ["aes256-sha256-modp768"]},
            "swanfleet_esp_proposals",
            "uses the 768-bit MODP group",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-b",
            {"gateway_ike_proposals": ["aes256-sha256-modp1024"]},
            "gateway_ike_proposals",
            "uses the 1024-bit MODP group",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-b",
            {
                "swanfleet_tunnel_settings": {
                    "site-b--site-c": {"esp_proposals": ["3des-sha256"]}
                }
            },
            "swanfleet_tunnel_settings['site-b--site-c'].esp_proposals",
            "3des-sha256 uses 3DES encryption",
            "swanfleet_allow_weak_proposals: true",
        ),
        (
            "gw-a",
            {"swanfleet_ike_proposals": ["aes256 sha256"]},
            "swanfleet_ike_proposals",
            "'aes256 sha256' is not a strongSwan proposal",
            "joined by '-'",
        ),
        # other tunnel settings
        (
            "gw-a",
            {"swanfleet_dpd_action": "hold"},
            "swanfleet_dpd_action",
            "is 'hold'",
            "restart, trap, clear",
        ),
        (
            "gw-a",
            {"swanfleet_start_action": "route"},
            "swanfleet_start_action",
            "is 'route'",
            "start, trap, none",
        ),
        (
            "gw-a",
            {"swanfleet_ike_rekey_time": "4 hours"},
            "swanfleet_ike_rekey_time",
            "is '4 hours'",
            "strongSwan syntax",
        ),
        (
            "gw-a",
            {"swanfleet_tunnel_settings": {"site-a--site-c": {"mtu": 1400}}},
            "swanfleet_tunnel_settings['site-a--site-c']",
            "'mtu' is not a tunnel setting",
            "use only ike_proposals",
        ),
        (
            "gw-a",
            {"swanfleet_tunnel_settings": {"site-a--site-x": {"dpd_delay": "5s"}}},
            "swanfleet_tunnel_settings['site-a--site-x']",
            "names no tunnel of this fleet",
            "site-a--site-b, site-a--site-c, site-b--site-c",
        ),
        # pre-shared keys
        (
            "gw-a",
            {"gateway_psks": {"site-a--site-c": "x" * 19}},
            "gateway_psks['site-a--site-c']",
            "is shorter than 20 bytes",
            "use a longer key",
        ),
        (
            "gw-a",
            {"gateway_psks": {"site-a--site-c": 12}},
            "gateway_psks['site-a--site-c']",
            "is shorter than 20 bytes",
            "use a longer key",
        ),
        (
            "gw-a",
            {"gateway_psks": {"site-c--site-a": "x" * 40}},
            "gateway_psks",
            "names site-c--site-a, which is no tunnel of this fleet",
            "two site names sorted",
        ),
        (
            "gw-a",
            {"gateway_psk_length": 16},
            "gateway_psk_length",
            "is 16",
            "at least 20 characters",
        ),
    ],
)
def test_each_problem_names_host_variable_and_fix(
    host: str, change: dict, variable: str, words: str, fix: str
) -> None:
    fleet = lab()
    fleet[host].update(change)
    p = one(problems(fleet), host, variable, words)
    assert fix in p.fix, p.fix


def test_weak_proposals_are_accepted_when_allowed() -> None:
    fleet = lab()
    fleet["gw-a"]["swanfleet_ike_proposals"] = ["3des-sha1-modp1024"]
    fleet["gw-a"]["swanfleet_allow_weak_proposals"] = True
    a = end(plan_fleet(fleet), "gw-a", "gw-c")
    assert a.ike_proposals == ("3des-sha1-modp1024",)


def test_a_psk_is_never_in_a_message() -> None:
    fleet = lab()
    secret = "S3cr3t-short"
    fleet["gw-a"]["gateway_psks"] = {"site-a--site-c": secret, "nope": secret}
    found = problems(fleet)
    assert len(found) == 2
    assert all(secret not in str(p) for p in found)


def test_long_enough_psks_pass() -> None:
    fleet = lab()
    fleet["gw-a"]["gateway_psks"] = {"site-a--site-c": "k" * 20}
    plan_fleet(fleet)


def test_two_gateways_behind_nat_without_a_hub_name_both_and_the_fix() -> None:
    fleet = lab()
    fleet["gw-b"]["swanfleet_reach"] = "none"
    fleet["gw-b"].pop("swanfleet_endpoint")
    p = one(
        problems(fleet),
        "gw-b",
        "swanfleet_reach",
        "neither gw-a nor gw-b can be reached (both 'none')",
    )
    assert "'forwarded'" in p.fix and "swanfleet_hubs" in p.fix


def test_a_hub_behind_nat_cannot_relay_for_gateways_behind_nat() -> None:
    fleet = lab()
    fleet["gw-b"]["swanfleet_reach"] = "none"
    fleet["gw-b"].pop("swanfleet_endpoint")
    fleet["gw-a"]["swanfleet_hubs"] = ["site-b"]
    fleet["gw-b"]["swanfleet_hubs"] = ["site-a"]
    one(problems(fleet), "gw-b", "swanfleet_reach", "no hub relays between them")


def test_relay_refused_when_transit_is_off() -> None:
    fleet = lab()
    fleet["gw-b"]["swanfleet_reach"] = "none"
    fleet["gw-b"].pop("swanfleet_endpoint")
    for hv in fleet.values():
        hv["swanfleet_hubs"] = ["site-c"]
    fleet["gw-a"]["swanfleet_hub_transit"] = False
    p = one(problems(fleet), "gw-b", "swanfleet_reach", "neither gw-a nor gw-b")
    assert "swanfleet_hub_transit is false on gw-a" in p.fix


def test_gateways_of_different_outer_families_cannot_meet() -> None:
    fleet = {
        "gw-x": gateway("x", ["10.10.0.0/24"], "public", "2001:db8::10"),
        "gw-y": gateway("y", ["10.20.0.0/24"], "public", "198.51.100.20"),
    }
    p = one(
        problems(fleet),
        "gw-y",
        "swanfleet_endpoint",
        "gw-x reaches the internet only over ipv6 and gw-y only over ipv4",
    )
    assert "address of the other's family" in p.fix


def test_spokes_without_a_common_hub_cannot_reach_each_other() -> None:
    fleet = star()
    fleet["gw-dc"] = gateway("dc", ["10.9.0.0/16"], "public", "198.51.100.9")
    for hv in fleet.values():
        hv["swanfleet_topology"] = "hub_and_spoke"
        hv["swanfleet_hubs"] = ["hq", "dc"]
    fleet["gw-b1"]["swanfleet_hubs"] = ["dc"]
    fleet["gw-b3"]["swanfleet_hubs"] = ["hq"]
    p = one(
        problems(fleet),
        "gw-b3",
        "swanfleet_hubs",
        "gw-b1 (site b1) and gw-b3 (site b3) should reach each other",
    )
    assert "swanfleet_hub_transit: false" in p.fix


def test_all_new_problems_are_reported_at_once() -> None:
    fleet = lab()
    fleet["gw-a"]["swanfleet_path_mtu"] = 100
    fleet["gw-b"]["swanfleet_hubs"] = ["nowhere"]
    fleet["gw-c"]["swanfleet_esp_proposals"] = ["3des-md5"]
    fleet["gw-c"]["gateway_psks"] = {"site-a--site-c": "short"}
    found = {(p.host, p.variable) for p in problems(fleet)}
    assert found >= {
        ("gw-a", "swanfleet_path_mtu"),
        ("gw-b", "swanfleet_hubs"),
        ("gw-c", "swanfleet_esp_proposals"),
        ("gw-c", "gateway_psks['site-a--site-c']"),
    }


def test_plan_as_dict_keeps_old_keys_and_adds_new_ones() -> None:
    fleet = star(**HUB)
    gw = plan_fleet(fleet).as_dict()["gw-hq"]
    for key in ("site", "subnets", "reach", "endpoint", "identity", "tunnels"):
        assert key in gw
    assert gw["is_hub"] and gw["topology"] == "hub_and_spoke" and gw["hubs"] == ["hq"]
    assert gw["reaches"] == ["b1", "b2", "b3"]
    tunnel = gw["tunnels"][0]
    for key in (
        "name",
        "peer_host",
        "peer_site",
        "local_subnets",
        "remote_subnets",
        "local_id",
        "remote_id",
        "remote_addrs",
        "initiator",
        "ike_proposals",
        "esp_proposals",
        "ike_rekey_time",
        "child_rekey_time",
        "dpd_delay",
        "dpd_action",
        "start_action",
        "close_action",
        "transit_sites",
        "selectors",
    ):
        assert key in tunnel

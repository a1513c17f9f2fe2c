# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""tunnel_mtus and tightest_tunnel: each tunnel sized for both of its sites' paths."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.swanfleet.ipsec.plugins.filter.fleet_mtu import (
    FilterModule,
    tightest_tunnel,
    tunnel_mtus,
)

GCM = ["aes256gcm16-ecp384"]


def tunnel(name, peer, esp=None):
    return {"name": name, "peer_host": peer, "esp_proposals": esp}


def plan(**path_mtus):
    """gw-a (public) with tunnels to gw-b (behind NAT) and gw-c (public)."""
    return {
        "gw-a": {
            "reach": "public",
            "path_mtu": path_mtus.get("a"),
            "tunnels": [
                tunnel("site-a--site-b", "gw-b"),
                tunnel("site-a--site-c", "gw-c", path_mtus.get("esp")),
            ],
        },
        "gw-b": {"reach": "none", "path_mtu": path_mtus.get("b"), "tunnels": []},
        "gw-c": {"reach": "public", "path_mtu": path_mtus.get("c"), "tunnels": []},
    }


def test_registered():
    filters = FilterModule().filters()
    assert filters["tunnel_mtus"] is tunnel_mtus
    assert filters["tightest_tunnel"] is tightest_tunnel


@pytest.mark.parametrize(
    ("paths", "dataplane", "own", "expected"),
    [
        # userspace ESP: always in UDP
        ({}, "libipsec", 1450, {"site-a--site-b": 1386, "site-a--site-c": 1386}),
        # and never more than the 1400 bytes it carries
        ({}, "libipsec", None, {"site-a--site-b": 1400, "site-a--site-c": 1400}),
        # kernel ESP: in UDP only towards the peer behind NAT
        ({}, "kernel", None, {"site-a--site-b": 1438, "site-a--site-c": 1446}),
        # the peer's smaller path counts
        (
            {"b": 1400},
            "libipsec",
            None,
            {"site-a--site-b": 1338, "site-a--site-c": 1400},
        ),
        # and this gateway's own, measured on its uplink, counts for every tunnel
        ({"c": 1492}, "kernel", 1460, {"site-a--site-b": 1398, "site-a--site-c": 1406}),
        # a tunnel's own proposals replace the default ones
        (
            {"esp": ["aes256-sha256"]},
            "libipsec",
            1450,
            {"site-a--site-b": 1386, "site-a--site-c": 1374},
        ),
    ],
)
def test_each_tunnel_sized_for_both_paths(paths, dataplane, own, expected):
    sized = tunnel_mtus(plan(**paths), "gw-a", GCM, dataplane, own)
    assert {name: t["mtu"] for name, t in sized.items()} == expected
    for t in sized.values():
        assert t["mss_ipv4"] == t["mtu"] - 40
        assert t["mss_ipv6"] == t["mtu"] - 60


def test_tightest_tunnel_picks_the_smallest():
    sized = tunnel_mtus(plan(b=1400), "gw-a", GCM, "libipsec")
    tight = tightest_tunnel(sized, 1500, GCM)
    assert (tight["tunnel"], tight["mtu"], tight["path_mtu"]) == (
        "site-a--site-b",
        1338,
        1400,
    )
    assert tight["esp_proposals"] == GCM


def test_tightest_without_tunnels_sizes_the_own_path():
    tight = tightest_tunnel({}, "1492", GCM, "kernel")
    assert (tight["tunnel"], tight["mtu"], tight["udp_encap"]) == (None, 1430, True)
    assert tight["limited_by"] == "path"
    userspace = tightest_tunnel({}, "1492", GCM, "libipsec")
    assert (userspace["mtu"], userspace["limited_by"]) == (1400, "dataplane")


def test_unknown_gateway_is_named():
    with pytest.raises(AnsibleFilterError, match="gw-x is not a gateway"):
        tunnel_mtus(plan(), "gw-x", GCM)


def test_too_small_path_names_the_tunnel():
    with pytest.raises(AnsibleFilterError, match="gw-a: tunnel site-a--site-b"):
        tunnel_mtus(plan(b=600), "gw-a", ["aes256gcm16"], "libipsec")

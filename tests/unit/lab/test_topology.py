"""The lab's topology: addressing, reachability kinds, overlap checks."""

from __future__ import annotations

import ipaddress

import pytest

from swanlab import topology


def test_three_sites_have_the_three_kinds_of_reach() -> None:
    topo = topology.build(3)
    assert [s.reach for s in topo.sites] == ["none", "forwarded", "public"]
    a, b, c = topo.sites
    assert a.endpoint is None and a.router is not None
    assert b.endpoint == str(b.router.address_on("inet").ip)
    assert c.router is None and c.endpoint == str(c.gateway.address_on("inet").ip)
    assert b.router.routes == [
        ("default", "198.51.100.1"),
        ("10.2.0.0/24", "100.64.2.10"),
    ]


def test_no_address_is_used_twice_and_none_is_a_bridge_address() -> None:
    topo = topology.build(12)
    seen: set[str] = set()
    for node in topo.nodes:
        for att in node.attachments:
            ip = str(att.address.ip)
            assert ip not in seen
            seen.add(ip)
            assert att.address.ip != att.address.network.network_address + 1


def test_networks_avoid_the_machines_own_ranges() -> None:
    forbidden = [
        ipaddress.ip_network(n)
        for n in ("192.0.2.0/24", "203.0.113.0/24", "10.255.0.0/16")
    ]
    for net in topology.build(topology.MAX_SITES).networks:
        assert not any(net.subnet.overlaps(f) for f in forbidden), net


def test_overlap_is_named() -> None:
    topo = topology.build(3)
    taken = [("route 10.2.0.0/16 dev eth1", ipaddress.ip_network("10.2.0.0/16"))]
    (problem,) = topology.check_overlaps(topo, taken)
    assert "b-lan (10.2.0.0/24) overlaps 10.2.0.0/16 used by route" in problem


@pytest.mark.parametrize("sites", [0, topology.MAX_SITES + 1])
def test_site_count_is_bounded(sites: int) -> None:
    with pytest.raises(topology.TopologyError):
        topology.build(sites)


def test_site_names_stay_unique_past_z() -> None:
    names = [topology.site_name(i) for i in range(60)]
    assert len(set(names)) == 60

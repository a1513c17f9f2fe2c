"""Labs of many sites: every size is a full mesh the fleet model accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
    FleetError,
    plan_fleet,
)
from swanlab import labctl, topology
from swanlab.inventory import write_inventory


def site_vars(topo: topology.Topology, tmp_path: Path) -> dict[str, dict]:
    """The gateways' host variables exactly as the generated inventory holds them."""
    write_inventory(topo, tmp_path, tmp_path / "ssh" / "id_ed25519")
    return {
        path.stem: yaml.safe_load(path.read_text())
        for path in sorted((tmp_path / "host_vars").glob("*.yml"))
    }


@pytest.mark.parametrize("sites", [1, 2, 3, 4, 6, 12, 24])
def test_every_lab_size_is_a_full_mesh(sites: int, tmp_path: Path) -> None:
    topo = topology.build(sites)
    plan = plan_fleet(site_vars(topo, tmp_path))
    tunnels = {t.name for ends in plan.tunnels.values() for t in ends}
    assert len(tunnels) == sites * (sites - 1) // 2
    assert plan.relays == []


def test_only_the_first_site_initiates_only() -> None:
    reach = [s.reach for s in topology.build(12).sites]
    assert reach[:3] == ["none", "forwarded", "public"]
    assert reach.count("none") == 1
    assert reach[3:] == ["forwarded", "public"] * 4 + ["forwarded"]


def test_a_cycling_pattern_can_still_be_asked_for(tmp_path: Path) -> None:
    topo = topology.build(6, pattern=topology.REACH_KINDS)
    assert [s.reach for s in topo.sites] == list(topology.REACH_KINDS) * 2
    # two gateways that only initiate cannot meet in a mesh without a hub
    with pytest.raises(FleetError, match="neither gw-a nor gw-d can be reached"):
        plan_fleet(site_vars(topo, tmp_path))


def test_a_smaller_inventory_drops_the_removed_sites(tmp_path: Path) -> None:
    write_inventory(topology.build(12), tmp_path, tmp_path / "key")
    write_inventory(topology.build(3), tmp_path, tmp_path / "key")
    assert sorted(p.stem for p in (tmp_path / "host_vars").glob("*.yml")) == [
        "gw-a",
        "gw-b",
        "gw-c",
    ]
    hosts = yaml.safe_load((tmp_path / "hosts.yml").read_text())
    groups = hosts["all"]["children"]
    assert sorted(groups["lan_clients"]["hosts"]) == [
        "client-a",
        "client-b",
        "client-c",
    ]
    assert sorted(groups["nat_routers"]["hosts"]) == ["router-a", "router-b"]


@pytest.mark.parametrize(("nodes", "at_least"), [(8, 120), (32, 320), (120, 1200)])
def test_the_boot_wait_grows_with_the_lab(nodes: int, at_least: float) -> None:
    assert labctl.boot_timeout(nodes) >= at_least

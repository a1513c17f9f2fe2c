# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tunnels come back by themselves after the faults real fleets see.

On the lab converged by site.yml, while LAN clients ping across the tunnels
five times a second, one fault at a time (``lab/swanlab/faults.py``): site-a's
NAT router reboots; it moves site-a's gateway to another outside port; site-a's
gateway reboots; site-c's gateway is down for three minutes. Nothing is done by
hand: traffic must flow again within the bound docs/faults.md states, counted
from the fault (for the peer that was down, from its return).
"""

from __future__ import annotations

import pytest

from swanlab import faults, mtuprobe

# seconds, as stated in docs/faults.md
BOUNDS = {
    "nat-router-restart": 60,
    "nat-mapping-change": 60,
    "gateway-restart": 60,
    "peer-down": 60,
}
PEER_DOWN_SECONDS = 180


@pytest.fixture(scope="module")
def lab():
    """The lab as site.yml configures it, traffic flowing on every tunnel."""
    if mtuprobe.sh("gw-a", "echo up", check=False).strip() != "up":
        pytest.fail("the lab is not up: run 'make lab-up' and converge it first")
    mtuprobe.deploy()
    faults.settle([faults.Probe("client-a", "client-c")], timeout=120)


@pytest.mark.parametrize("fault", faults.FAULTS)
def test_traffic_flows_again_without_help(lab, fault):
    results = faults.measure(fault, down_seconds=PEER_DOWN_SECONDS, timeout=300)

    assert results, f"no flow was measured for {fault}"
    for result in results:
        print(result.row())
        assert result.seconds <= BOUNDS[fault], result

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""tunnel_mtus: the exact MTU and MSS of every tunnel of one gateway.

A tunnel's packets cross both sites' paths, so the smaller path MTU of the two
gateways counts: this gateway's own (its ``swanfleet_path_mtu``, or its uplink's
MTU), and the peer's ``swanfleet_path_mtu`` from the fleet plan (1500 when the
peer sets none). ESP is in UDP when the data plane is strongSwan's userspace ESP
(always), or when either gateway is behind NAT (NAT-T); the worst of the
tunnel's ESP proposals decides; strongSwan's userspace ESP carries at most 1400
bytes. The arithmetic is swanfleet.ipsec.tunnel_mtu's.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.swanfleet.ipsec.plugins.module_utils._mtu import (
    MtuError,
    tunnel_mtu,
)

DEFAULT_PATH_MTU = 1500


def tunnel_mtus(
    plan: dict[str, Any],
    host: str,
    default_esp_proposals: list[str],
    dataplane: str = "libipsec",
    own_path_mtu: Any = None,
) -> dict[str, dict[str, Any]]:
    """``{tunnel: {mtu, overhead, mss_ipv4, mss_ipv6, path_mtu, udp_encap, ...}}``."""
    if host not in plan:
        raise AnsibleFilterError(f"{host} is not a gateway of the fleet plan")
    me = plan[host]
    mine = int(own_path_mtu or me.get("path_mtu") or DEFAULT_PATH_MTU)
    result: dict[str, dict[str, Any]] = {}
    for tunnel in me["tunnels"]:
        peer = plan.get(tunnel["peer_host"], {})
        path = min(mine, int(peer.get("path_mtu") or DEFAULT_PATH_MTU))
        encap = (
            dataplane == "libipsec"
            or me.get("reach") != "public"
            or peer.get("reach") != "public"
        )
        proposals = tunnel.get("esp_proposals") or default_esp_proposals
        try:
            sized = tunnel_mtu(path, proposals, udp_encap=encap, dataplane=dataplane)
        except MtuError as exc:
            raise AnsibleFilterError(f"{host}: tunnel {tunnel['name']}: {exc}") from exc
        result[tunnel["name"]] = {
            **sized.as_dict(),
            "path_mtu": path,
            "udp_encap": encap,
            "esp_proposals": list(proposals),
        }
    return result


def tightest_tunnel(
    sized: dict[str, dict[str, Any]],
    own_path_mtu: Any,
    default_esp_proposals: list[str],
    dataplane: str = "libipsec",
) -> dict[str, Any]:
    """The tunnel with the smallest MTU; for no tunnel, the own path in UDP."""
    if sized:
        name = min(sized, key=lambda n: (sized[n]["mtu"], n))
        return {"tunnel": name, **sized[name]}
    path = int(own_path_mtu or DEFAULT_PATH_MTU)
    try:
        alone = tunnel_mtu(
            path, default_esp_proposals, udp_encap=True, dataplane=dataplane
        )
    except MtuError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return {
        "tunnel": None,
        **alone.as_dict(),
        "path_mtu": path,
        "udp_encap": True,
        "esp_proposals": list(default_esp_proposals),
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"tunnel_mtus": tunnel_mtus, "tightest_tunnel": tightest_tunnel}

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""tunnel_mtus: the exact MTU and MSS of every tunnel of one gateway.

A tunnel's packets cross both sites' paths, so the smaller path MTU of the two
gateways counts. ESP is in UDP when the data plane is strongSwan's userspace ESP
(always), or when either gateway is behind NAT (NAT-T); the worst of the tunnel's
ESP proposals decides. The arithmetic is swanfleet.ipsec.tunnel_mtu's.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.swanfleet.ipsec.plugins.module_utils._mtu import (
    MtuError,
    tunnel_mtu,
)


def tunnel_mtus(
    plan: dict[str, Any],
    host: str,
    path_mtus: dict[str, Any],
    default_esp_proposals: list[str],
    dataplane: str = "libipsec",
) -> dict[str, dict[str, Any]]:
    """``{tunnel name: {mtu, overhead, mss_ipv4, mss_ipv6, path_mtu, udp_encap}}``."""
    me = plan[host]
    result: dict[str, dict[str, Any]] = {}
    for tunnel in me["tunnels"]:
        peer = plan.get(tunnel["peer_host"], {})
        path = min(
            int(path_mtus.get(host) or 1500),
            int(path_mtus.get(tunnel["peer_host"]) or 1500),
        )
        encap = (
            dataplane == "libipsec"
            or me.get("reach") != "public"
            or peer.get("reach") != "public"
        )
        proposals = tunnel.get("esp_proposals") or default_esp_proposals
        try:
            sized = tunnel_mtu(path, proposals, udp_encap=encap)
        except MtuError as exc:
            raise AnsibleFilterError(f"{host}: tunnel {tunnel['name']}: {exc}") from exc
        result[tunnel["name"]] = {
            **sized.as_dict(),
            "path_mtu": path,
            "udp_encap": encap,
            "esp_proposals": list(proposals),
        }
    return result


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"tunnel_mtus": tunnel_mtus}

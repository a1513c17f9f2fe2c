# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tunnel_mtu`` filter; its documentation is in tunnel_mtu.yml."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.swanfleet.ipsec.plugins.module_utils._mtu import (
    FAMILIES,
    MtuError,
    tunnel_mtu,
)


def tunnel_mtu_filter(
    link_mtu: Any,
    proposal: Any,
    udp_encap: Any = False,
    outer_family: str = "ipv4",
    inner_family: str = "both",
    dataplane: str = "kernel",
) -> dict[str, int | str]:
    """``{mtu, overhead, mss_ipv4, mss_ipv6}`` for a link MTU and ESP proposals."""
    try:
        families = FAMILIES if inner_family == "both" else (inner_family,)
        result = tunnel_mtu(
            link_mtu,
            proposal,
            udp_encap=boolean(udp_encap, strict=True),
            outer_family=outer_family,
            inner_families=families,
            dataplane=dataplane,
        )
    except (MtuError, TypeError) as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return result.as_dict()


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"tunnel_mtu": tunnel_mtu_filter}

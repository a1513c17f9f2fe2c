# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventories the fleet tests start from."""

from __future__ import annotations

from typing import Any


def three_sites(**common: Any) -> dict[str, dict[str, Any]]:
    """The lab's three sites: behind NAT, forwarded, public (known by its address).

    ``common`` is set on every gateway, as group_vars would set it.
    """
    return {
        "gw-a": {
            "swanfleet_site": "site-a",
            "swanfleet_site_subnets": ["10.1.0.0/24"],
            "swanfleet_reach": "none",
            "swanfleet_identity": "gw-a.example.net",
            **common,
        },
        "gw-b": {
            "swanfleet_site": "site-b",
            "swanfleet_site_subnets": ["10.2.0.0/24"],
            "swanfleet_reach": "forwarded",
            "swanfleet_endpoint": "198.51.100.11",
            "swanfleet_identity": "gw-b.example.net",
            **common,
        },
        "gw-c": {
            "swanfleet_site": "site-c",
            "swanfleet_site_subnets": ["10.3.0.0/24"],
            "swanfleet_endpoint": "198.51.100.12",
            **common,
        },
    }

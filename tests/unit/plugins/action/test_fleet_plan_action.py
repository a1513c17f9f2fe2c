# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet_plan action: what it reads from the inventory, and keys it never passes on."""

from __future__ import annotations

from ansible_collections.swanfleet.ipsec.plugins.action.fleet_plan import (
    MODEL_VARIABLES,
    SECRET_VARIABLES,
    _sizes,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
    TUNNEL_SETTINGS,
)


def test_every_site_setting_is_read() -> None:
    for key in TUNNEL_SETTINGS:
        assert f"swanfleet_{key}" in MODEL_VARIABLES
    for name in (
        "swanfleet_topology",
        "swanfleet_hubs",
        "swanfleet_hub_transit",
        "swanfleet_pairs",
        "swanfleet_tunnel_settings",
        "swanfleet_path_mtu",
        "swanfleet_uplink_addresses",
        "swanfleet_allow_weak_proposals",
    ):
        assert name in MODEL_VARIABLES
    assert "gateway_psks" in SECRET_VARIABLES
    assert "gateway_psks" not in MODEL_VARIABLES


def test_keys_are_replaced_by_their_length_in_bytes() -> None:
    assert _sizes({"a--b": "x" * 20, "a--c": "é" * 10, "b--c": None}) == {
        "a--b": 20,
        "a--c": 20,
        "b--c": 0,
    }
    assert _sizes(None) is None
    assert _sizes("oops") == "not a mapping"

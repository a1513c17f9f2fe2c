# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of swanfleet.ipsec.fleet_plan: validate the fleet, plan tunnels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
    FleetError,
    plan_fleet,
)

MODEL_VARIABLES = (
    "swanfleet_site",
    "swanfleet_site_subnets",
    "swanfleet_reach",
    "swanfleet_endpoint",
    "swanfleet_identity",
    "swanfleet_uplink_addresses",
    "swanfleet_path_mtu",
    "swanfleet_topology",
    "swanfleet_hubs",
    "swanfleet_hub_transit",
    "swanfleet_pairs",
    "swanfleet_ike_proposals",
    "swanfleet_esp_proposals",
    "swanfleet_ike_rekey_time",
    "swanfleet_child_rekey_time",
    "swanfleet_dpd_delay",
    "swanfleet_dpd_action",
    "swanfleet_start_action",
    "swanfleet_tunnel_settings",
    "swanfleet_allow_weak_proposals",
    # role settings the model checks with the rest
    "gateway_ike_proposals",
    "gateway_esp_proposals",
    "gateway_psk_length",
    "gateway_auth",
    "gateway_dns_server",
    "gateway_dns_tsig_key_name",
    "gateway_dns_trust_anchor",
    "gateway_dns_domain",
)

# read only to measure each key's length: the model never sees a key
SECRET_VARIABLES = ("gateway_psks",)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("group",))

    def run(
        self, tmp: Any = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        group = self._task.args.get("group") or task_vars.get(
            "swanfleet_gateways_group", "gateways"
        )
        members = task_vars.get("groups", {}).get(group)
        if not members:
            raise AnsibleActionFail(
                f"inventory group {group!r} has no hosts: put the gateways in it, "
                "or set swanfleet_gateways_group to the group that holds them"
            )

        # only the model's variables are read, so unrelated vault secrets stay sealed
        hostvars = task_vars["hostvars"]
        settings = {}
        for host in members:
            hv = hostvars[host]
            settings[host] = {
                name: self._templar.template(hv[name])
                for name in MODEL_VARIABLES
                if name in hv
            }
            for name in SECRET_VARIABLES:
                if name in hv:
                    settings[host][name] = _sizes(self._templar.template(hv[name]))

        try:
            plan = plan_fleet(settings)
        except FleetError as exc:
            result.update(
                failed=True, msg=str(exc), problems=[str(p) for p in exc.problems]
            )
            return result

        gateways = plan.as_dict()
        result.update(
            changed=False,
            group=group,
            gateways=gateways,
            tunnels=sorted(
                {t["name"] for gw in gateways.values() for t in gw["tunnels"]}
            ),
            relays=[r.as_dict() for r in plan.relays],
            reaches=plan.reaches,
        )
        return result


def _sizes(value: Any) -> Any:
    """Each pre-shared key replaced by its length in bytes."""
    if not isinstance(value, Mapping):
        return value if value is None else "not a mapping"
    return {
        str(name): len(str(key).encode("utf-8")) if key is not None else 0
        for name, key in value.items()
    }

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of swanfleet.ipsec.fleet_plan: validate the fleet, plan tunnels."""

from __future__ import annotations

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
)


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
        )
        return result

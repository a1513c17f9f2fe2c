#!/usr/bin/python
# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tunnel_status
short_description: Report the IPsec tunnels a strongSwan gateway has up
version_added: 0.1.0
description:
  - Asks charon, through C(swanctl --list-sas), which IKE and CHILD security
    associations are up, with their negotiated proposals, NAT detection and
    traffic counters.
  - Reads only; never changes anything on the host.
author:
  - swanfleet.ipsec contributors
options:
  tunnels:
    description:
      - Tunnel (connection) names to report; the others are left out.
      - All of them when not given.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - With strongSwan's userspace ESP (kernel-libipsec) the MTU reported is the
    one of the TUN device C(ipsec0); with kernel XFRM it is not reported.
requirements:
  - strongSwan with swanctl, charon running
"""

EXAMPLES = r"""
- name: Read the tunnels' state and counters
  swanfleet.ipsec.tunnel_status:
  register: status
"""

RETURN = r"""
tunnels:
  description: One entry per IKE_SA, keyed by tunnel name.
  returned: always
  type: dict
  sample:
    site-a--site-c:
      state: ESTABLISHED
      proposal: AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384
      nat_local: true
      nat_remote: false
      remote_host: 198.51.100.12
      children:
        - name: site-a--site-c
          state: INSTALLED
          udp_encap: true
          packets_in: 12
          packets_out: 12
          bytes_in: 1008
          bytes_out: 1008
dataplane_mtu:
  description: MTU of the userspace ESP device C(ipsec0), or null without one.
  returned: always
  type: int
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.swanfleet.ipsec.plugins.module_utils._swanctl import (
    SwanctlParseError,
    ike_sas,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={"tunnels": {"type": "list", "elements": "str"}},
        supports_check_mode=True,
    )
    swanctl = module.get_bin_path("swanctl", required=True)
    rc, out, err = module.run_command([swanctl, "--list-sas", "--pretty"])
    if rc != 0:
        module.fail_json(
            msg=f"swanctl --list-sas failed (is charon running?): {err.strip()}"
        )
    try:
        sas = ike_sas(out)
    except SwanctlParseError as exc:
        module.fail_json(msg=f"cannot read swanctl's output: {exc}")

    wanted = module.params["tunnels"]
    tunnels: dict[str, dict] = {}
    for sa in sas:
        if wanted is not None and sa["name"] not in wanted:
            continue
        # a tunnel can briefly have two IKE_SAs (a rekey, a duplicate); keep the live one
        current = tunnels.get(sa["name"])
        if current is None or (
            sa["state"] == "ESTABLISHED" and current["state"] != "ESTABLISHED"
        ):
            tunnels[sa["name"]] = sa

    mtu = None
    rc, out, _ = module.run_command(["ip", "-j", "link", "show", "dev", "ipsec0"])
    if rc == 0:
        try:
            mtu = json.loads(out)[0].get("mtu")
        except (ValueError, IndexError):
            mtu = None

    module.exit_json(changed=False, tunnels=tunnels, dataplane_mtu=mtu)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: netfilter_counters
short_description: Read the packet counters of the rules swanfleet.ipsec.netfilter owns
version_added: 0.1.0
description:
  - Returns, by name, how many packets and bytes each of the role's rules has
    matched, for example C(ipsec_exempt) (tunnel traffic kept out of NAT),
    C(lan_masquerade), C(tunnel_in), C(tunnel_out), C(ike_in), C(ike_forward).
  - The names are the same with both backends. With iptables, rules sharing a
    name are added up.
  - Reads only.
author:
  - swanfleet.ipsec contributors
options:
  backend:
    description:
      - C(nftables) reads the named counters of table C(inet swanfleet);
        C(iptables) reads the commented rules of the C(SWANFLEET-*) chains;
        C(auto) reads whichever holds the role's rules.
    type: str
    choices: [auto, nftables, iptables]
    default: auto
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the counters
  swanfleet.ipsec.netfilter_counters:
  register: fw

- name: Tunnel traffic was exempted from masquerade
  ansible.builtin.assert:
    that: fw.counters.ipsec_exempt.packets > 0
"""

RETURN = r"""
backend:
  description: The backend the counters were read from, or null when no rules are loaded.
  returned: always
  type: str
counters:
  description: Packets and bytes by rule name.
  returned: always
  type: dict
  sample:
    ipsec_exempt: {packets: 12, bytes: 1008}
    lan_masquerade: {packets: 3, bytes: 252}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.swanfleet.ipsec.plugins.module_utils._netfilter import (
    CountersParseError,
    iptables_counters,
    nft_counters,
)


def _read(module: AnsibleModule, backend: str) -> dict | None:
    if backend == "nftables":
        nft = module.get_bin_path("nft")
        if not nft:
            return None
        rc, out, _ = module.run_command(
            [nft, "-j", "list", "counters", "table", "inet", "swanfleet"]
        )
        return nft_counters(out) if rc == 0 else None
    save = module.get_bin_path("iptables-save")
    if not save:
        return None
    rc, out, err = module.run_command([save, "-c"])
    if rc != 0:
        module.fail_json(msg=f"iptables-save failed: {err.strip()}")
    found = iptables_counters(out)
    return found or None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "backend": {
                "type": "str",
                "default": "auto",
                "choices": ["auto", "nftables", "iptables"],
            }
        },
        supports_check_mode=True,
    )
    wanted = module.params["backend"]
    order = ["nftables", "iptables"] if wanted == "auto" else [wanted]
    try:
        for backend in order:
            counters = _read(module, backend)
            if counters is not None:
                module.exit_json(changed=False, backend=backend, counters=counters)
    except CountersParseError as exc:
        module.fail_json(msg=f"cannot read the {backend} counters: {exc}")
    module.exit_json(changed=False, backend=None, counters={})


if __name__ == "__main__":
    main()

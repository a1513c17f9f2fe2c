# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fleet_plan
short_description: Validate a fleet's inventory and plan the tunnels between its gateways
version_added: 0.1.0
description:
  - Reads the site settings of every gateway in an inventory group
    (C(swanfleet_site), C(swanfleet_site_subnets), C(swanfleet_reach),
    C(swanfleet_endpoint), C(swanfleet_identity)) and checks them together, on the
    controller, before any host is touched.
  - Every problem found is reported at once, each naming the host, the variable
    and the fix.
  - Returns, per gateway, the tunnels of a full mesh, which side initiates each
    one, and the identities and traffic selectors both sides must agree on.
  - A gateway that nothing can reach (C(swanfleet_reach=none)) always initiates;
    two such gateways cannot be joined directly and are reported.
author:
  - swanfleet.ipsec contributors
options:
  group:
    description:
      - Inventory group holding the fleet's gateways.
      - Defaults to the value of C(swanfleet_gateways_group), else C(gateways).
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  action:
    support: full
notes:
  - Runs only on the controller and never connects to a host; use it with
    C(run_once=true).
  - One gateway per site. Sites with several gateways for redundancy are not
    modelled yet; give each its own site name meanwhile.
requirements:
  - netaddr (on the controller)
"""

EXAMPLES = r"""
- name: Plan the fleet before touching any gateway
  swanfleet.ipsec.fleet_plan:
    group: gateways
  run_once: true
  register: swanfleet_plan
"""

RETURN = r"""
gateways:
  description: Per gateway host, its validated site settings and its tunnels.
  returned: success
  type: dict
  sample:
    gw-a:
      site: site-a
      subnets: [10.1.0.0/24]
      reach: none
      endpoint: null
      identity: gw-a.example.net
      tunnels:
        - name: site-a--site-c
          peer_host: gw-c
          peer_site: site-c
          local_subnets: [10.1.0.0/24]
          remote_subnets: [10.3.0.0/24]
          local_id: "@gw-a.example.net"
          remote_id: 198.51.100.12
          remote_addrs: 198.51.100.12
          initiator: true
tunnels:
  description: Names of all tunnels in the fleet, sorted.
  returned: success
  type: list
  elements: str
problems:
  description: On failure, one line per problem found.
  returned: failure
  type: list
  elements: str
"""

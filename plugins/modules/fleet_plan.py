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
  - Also reads the topology (C(swanfleet_topology), C(swanfleet_hubs),
    C(swanfleet_hub_transit), C(swanfleet_pairs)), the tunnel settings
    (C(swanfleet_ike_proposals), C(swanfleet_esp_proposals),
    C(swanfleet_ike_rekey_time), C(swanfleet_child_rekey_time),
    C(swanfleet_dpd_delay), C(swanfleet_dpd_action), C(swanfleet_start_action),
    C(swanfleet_tunnel_settings)), C(swanfleet_path_mtu),
    C(swanfleet_uplink_addresses) and C(swanfleet_allow_weak_proposals); and, to
    check them with the rest, C(gateway_ike_proposals), C(gateway_esp_proposals),
    C(gateway_psk_length) and the lengths (never the values) of C(gateway_psks).
  - Returns, per gateway, the tunnels of the fleet's topology (full mesh by
    default, hub and spoke, or explicit pairs), which side initiates each one,
    the identities and traffic selectors (per address family) both sides must
    agree on, and each end's settings.
  - A gateway that nothing can reach (C(swanfleet_reach=none)) always initiates;
    two such gateways cannot be joined directly, so they are relayed through a hub
    named in C(swanfleet_hubs), or reported when there is none.
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
      families: [ipv4]
      tunnel_families: [ipv4]
      reach: none
      endpoint: null
      identity: gw-a.example.net
      topology: mesh
      hubs: []
      is_hub: false
      path_mtu: null
      reaches: [site-c]
      tunnels:
        - name: site-a--site-c
          peer_host: gw-c
          peer_site: site-c
          local_subnets: [10.1.0.0/24]
          remote_subnets: [10.3.0.0/24]
          local_id: "@gw-a.example.net"
          remote_id: 198.51.100.12
          selectors:
            ipv4: {local: [10.1.0.0/24], remote: [10.3.0.0/24]}
          remote_addrs: 198.51.100.12
          initiator: true
          ike_proposals: null
          esp_proposals: [aes128gcm16-x25519]
          ike_rekey_time: null
          child_rekey_time: 1h
          dpd_delay: null
          dpd_action: restart
          start_action: start
          close_action: start
          transit_sites: []
tunnels:
  description: Names of all tunnels in the fleet, sorted.
  returned: success
  type: list
  elements: str
relays:
  description:
    - Pairs of sites that reach each other through a hub rather than a tunnel of
      their own.
  returned: success
  type: list
  elements: dict
  sample:
    - {sites: [site-a, site-b], hosts: [gw-a, gw-b], hub_site: site-c, hub_host: gw-c}
reaches:
  description: Per site, the sites whose LANs it reaches, directly or through a hub.
  returned: success
  type: dict
  sample: {site-a: [site-b, site-c]}
problems:
  description: On failure, one line per problem found.
  returned: failure
  type: list
  elements: str
"""

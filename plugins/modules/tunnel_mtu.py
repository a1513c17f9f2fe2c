# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tunnel_mtu
short_description: Set the exact MTU of an IPsec tunnel
version_added: 0.1.0
description:
  - Computes the largest inner packet that fits into one ESP tunnel-mode packet on the
    uplink, for the worst case of the ESP proposals, exactly as the Linux kernel sizes
    an ESP SA.
  - Sets that MTU on the tunnel's interface (route-based tunnels) or on the routes to
    the remote subnets (policy-based tunnels), and returns the TCP MSS to clamp to.
  - The arithmetic is explained in the collection's C(docs/mtu.md).
author:
  - swanfleet.ipsec contributors
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the MTU of the interface or of each route before and after.
  platform:
    support: full
    platforms: posix
options:
  proposal:
    description:
      - The ESP proposals of the tunnel, in strongSwan's syntax, such as V(aes256gcm16-ecp384)
        or V(aes256-sha256-modp3072); C(esp_proposals) in C(swanctl.conf).
      - Several proposals may be given as a list or separated by commas; the one with the
        largest overhead decides. V(default) stands for strongSwan's default ESP proposals.
      - Key exchange methods, PRFs and C(esn) are accepted and ignored; they add no bytes.
    type: list
    elements: str
    required: true
  udp_encap:
    description:
      - Whether ESP is encapsulated in UDP, which adds 8 bytes.
      - Set it when either gateway is behind NAT (NAT-T), when C(encap = yes) is configured,
        and always with strongSwan's userspace ESP (kernel-libipsec), which sends ESP only
        in UDP. O(dataplane=libipsec) implies it.
    type: bool
    default: false
  dataplane:
    description:
      - What carries ESP on this host. V(kernel) is Linux XFRM, limited only by the path.
      - V(libipsec) is strongSwan's userspace ESP (kernel-libipsec). It always uses UDP, and
        it carries no inner packet larger than 1400 bytes, whatever MTU its device has, so
        the MTU set is at most 1400 (RV(limited_by) says so).
    type: str
    choices: [kernel, libipsec]
    default: kernel
  outer_family:
    description:
      - The address family of the gateways' addresses, that is of the outer IP header
        (20 bytes for IPv4, 40 for IPv6).
    type: str
    choices: [ipv4, ipv6]
    default: ipv4
  inner_family:
    description:
      - The address families the tunnel carries. The module fails when the MTU is below
        the minimum of one of them (576 for IPv4, 1280 for IPv6).
      - By default, the families of O(routes), or both when O(interface) is set.
    type: str
    choices: [ipv4, ipv6, both]
  link_mtu:
    description:
      - The MTU of the link ESP leaves on.
      - By default, read from O(uplink), or from the interface of the main table's default
        route for O(outer_family), lowered to that route's own C(mtu) if it has one.
    type: int
  path_mtu:
    description:
      - The smallest MTU on the path to the peer, when it is smaller than the first link's,
        for example a PPPoE line (1492) at the remote site.
      - When set, it is used instead of O(link_mtu) and nothing is read from the uplink.
    type: int
  uplink:
    description:
      - The interface ESP leaves on, to read O(link_mtu) from.
    type: str
  interface:
    description:
      - The tunnel's interface in a route-based setup, whose MTU is set with
        C(ip link set dev INTERFACE mtu N). An XFRM interface, a VTI, or the TUN device
        of strongSwan's kernel-libipsec (C(ipsec0)).
      - Mutually exclusive with O(routes).
    type: str
  routes:
    description:
      - The remote subnets of a policy-based setup. The route to each of them in O(table)
        is replaced with the same route plus C(mtu lock N).
      - Mutually exclusive with O(interface).
    type: list
    elements: str
  table:
    description:
      - The routing table that holds O(routes). strongSwan installs its routes in table
        V(220) unless C(charon.routing_table) says otherwise.
    type: str
    default: main
  lock:
    description:
      - Whether route MTUs are set with C(lock), so that path MTU discovery cannot raise
        them again. Only used with O(routes).
    type: bool
    default: true
notes:
  - The MTU assumes tunnel mode. Transport mode and BEET carry no inner IP header and
    are not covered.
  - The worst case of the proposals is used, so the MTU holds whichever the peer selects,
    at the cost of a few bytes when a cheaper transform is negotiated.
  - strongSwan refuses a proposal that mixes AEAD and classic ciphers
    (V(aes256gcm16-aes256-sha256)); write them as two proposals. The module sizes either.
  - strongSwan deletes and reinstalls its routes in table 220 when a tunnel is
    re-established, which drops the MTU set here. Run the module after the tunnel is up,
    or have strongSwan set the MTU itself with C(charon.plugins.kernel-netlink.mtu), using
    the value this module returns.
  - strongSwan's kernel-libipsec (5.9.8) creates C(ipsec0) anew, with an MTU of 1400, each
    time charon starts, and reads every packet from it into a 1400-byte buffer even when
    the device is given a larger MTU; larger packets leave cut short and the peer drops
    them. With O(dataplane=libipsec) the module never sets more than 1400, and only a
    path that fits less lowers it. Run the module again after every start of strongSwan,
    for example from the handler that restarts it.
  - A route or interface MTU makes the gateway itself fragment or refuse (with ICMP) what
    does not fit. As ICMP is often filtered on the way, also clamp forwarded TCP to
    RV(mss_ipv4) and RV(mss_ipv6) in the firewall.
  - Routes with several next hops or with a lightweight tunnel encap are not rewritten;
    the module fails on them and nothing is changed.
  - Needs C(ip) from iproute2 with JSON output (C(ip -j)) for links and routes.
seealso:
  - plugin: swanfleet.ipsec.tunnel_mtu
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Size strongSwan's TUN device for userspace ESP (always in UDP, 1400 at most)
  swanfleet.ipsec.tunnel_mtu:
    interface: ipsec0
    proposal: aes256gcm16-ecp384
    dataplane: libipsec
  register: tunnel

- name: Keep the MSS for the firewall's TCP MSS clamping rule
  ansible.builtin.set_fact:
    tunnel_mss_ipv4: "{{ tunnel.mss_ipv4 }}"

- name: Set the MTU of an XFRM interface behind a PPPoE line
  swanfleet.ipsec.tunnel_mtu:
    interface: xfrm-site-b
    proposal:
      - aes256gcm16-ecp384
      - aes256-sha256-ecp384
    uplink: ppp0

- name: Policy-based tunnel, two remote subnets, routes installed by strongSwan
  swanfleet.ipsec.tunnel_mtu:
    routes:
      - 10.2.0.0/24
      - 10.2.8.0/22
    table: "220"
    proposal: aes128gcm16-ecp256
    udp_encap: "{{ behind_nat | bool }}"
"""

RETURN = r"""
mtu:
  description: The largest inner packet, now the MTU of the interface or routes.
  returned: success
  type: int
  sample: 1438
overhead:
  description: Bytes ESP takes from the link MTU for a full-sized packet, padding included.
  returned: success
  type: int
  sample: 62
mss_ipv4:
  description: The TCP MSS of IPv4 traffic inside the tunnel, RV(mtu) less 40.
  returned: success
  type: int
  sample: 1398
mss_ipv6:
  description: The TCP MSS of IPv6 traffic inside the tunnel, RV(mtu) less 60.
  returned: success
  type: int
  sample: 1378
link_mtu:
  description: The link or path MTU the tunnel MTU was computed from.
  returned: success
  type: int
  sample: 1500
transform:
  description: The negotiable transform with the largest overhead, the one that decided.
  returned: success
  type: str
  sample: AES-CBC with HMAC-SHA2-256-128
limited_by:
  description:
    - V(path) when RV(mtu) is what fits the path in one ESP packet; V(dataplane) when the
      data plane carries less than that (strongSwan's userspace ESP, 1400 bytes).
  returned: success
  type: str
  sample: path
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.swanfleet.ipsec.plugins.module_utils._iproute import (
    IprouteError,
    Runner,
    default_uplink,
    parse_prefix,
    read_link,
    read_route,
    replace_route,
    set_link_mtu,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._mtu import (
    FAMILIES,
    MtuError,
    tunnel_mtu,
)


def _inner_families(params: dict[str, Any]) -> list[str]:
    chosen = params["inner_family"]
    if chosen in FAMILIES:
        return [chosen]
    if chosen is None and params["routes"]:
        return sorted({parse_prefix(p)[1] for p in params["routes"]})
    return list(FAMILIES)


def _apply(run: Runner, params: dict[str, Any], *, check_mode: bool) -> dict[str, Any]:
    # measure the link, unless told
    link_mtu = params["path_mtu"]
    if link_mtu is None:
        link_mtu = params["link_mtu"]
    if link_mtu is None:
        if params["uplink"]:
            link_mtu = read_link(run, params["uplink"]).mtu
        else:
            link_mtu = default_uplink(run, params["outer_family"])[1]

    result = tunnel_mtu(
        link_mtu,
        params["proposal"],
        udp_encap=params["udp_encap"],
        outer_family=params["outer_family"],
        inner_families=_inner_families(params),
        dataplane=params["dataplane"],
    )
    mtu = result.mtu
    report = dict(result.as_dict(), link_mtu=link_mtu, transform=str(result.transform))

    if params["interface"]:
        link = read_link(run, params["interface"])
        changed = link.mtu != mtu
        if changed and not check_mode:
            set_link_mtu(run, link, mtu)
        before = {"interface": link.name, "mtu": link.mtu}
        after = {"interface": link.name, "mtu": mtu}
    else:
        # read every route before changing any, so one bad route changes nothing
        lock = params["lock"]
        routes = [read_route(run, p, params["table"]) for p in params["routes"]]
        stale = [r for r in routes if (r.mtu, r.mtu_locked) != (mtu, lock)]
        changed = bool(stale)
        if not check_mode:
            for route in stale:
                replace_route(run, route, mtu, lock=lock)
        before = {
            "table": params["table"],
            "routes": {r.prefix: {"mtu": r.mtu, "lock": r.mtu_locked} for r in routes},
        }
        after = {
            "table": params["table"],
            "routes": {r.prefix: {"mtu": mtu, "lock": lock} for r in routes},
        }

    return dict(report, changed=changed, diff={"before": before, "after": after})


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "proposal": {"type": "list", "elements": "str", "required": True},
            "udp_encap": {"type": "bool", "default": False},
            "dataplane": {
                "type": "str",
                "choices": ["kernel", "libipsec"],
                "default": "kernel",
            },
            "outer_family": {
                "type": "str",
                "choices": ["ipv4", "ipv6"],
                "default": "ipv4",
            },
            "inner_family": {"type": "str", "choices": ["ipv4", "ipv6", "both"]},
            "link_mtu": {"type": "int"},
            "path_mtu": {"type": "int"},
            "uplink": {"type": "str"},
            "interface": {"type": "str"},
            "routes": {"type": "list", "elements": "str"},
            "table": {"type": "str", "default": "main"},
            "lock": {"type": "bool", "default": True},
        },
        mutually_exclusive=[("interface", "routes")],
        required_one_of=[("interface", "routes")],
        supports_check_mode=True,
    )
    if module.params["routes"] == []:
        module.fail_json(msg="routes is empty; list the remote subnets")
    ip = module.get_bin_path("ip", required=True)

    def run(args: list[str]) -> tuple[int, str, str]:
        return module.run_command([ip, *args])

    try:
        result = _apply(run, module.params, check_mode=module.check_mode)
    except (MtuError, IprouteError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

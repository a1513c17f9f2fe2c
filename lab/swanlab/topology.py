"""The lab's topology: sites, networks, nodes and addresses, from one definition.

Every consumer (``labctl up``, the generated Ansible inventory, the molecule
scenarios, the benchmarks) derives what it needs from :func:`build`, so the demo
and the tests always run on the same lab.

Each site has a LAN with one client and a gateway. How the gateway is reached
is one of three kinds, as in real fleets (the first three sites have one each,
see :func:`reach_for` for the rest):

``none``
    The gateway has only a private address behind a masquerading NAT router
    with no port forward: it can only initiate.
``forwarded``
    The gateway sits behind a NAT router that forwards UDP 500 and 4500 to it.

The routers' NAT and port forwards are not set here: the collection's netfilter
role configures them from the inventory, as it would real routers.
``public``
    The gateway holds an address on the lab's internet.
"""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass, field

REACH_KINDS = ("none", "forwarded", "public")

# The lab's internet, the private uplinks behind NAT routers (carrier-grade NAT
# space), site LANs and the management network Ansible connects over.
INTERNET = ipaddress.ip_network("198.51.100.0/24")
UPLINKS = ipaddress.ip_network("100.64.0.0/16")
LANS = ipaddress.ip_network("10.0.0.0/9")
MGMT = ipaddress.ip_network("172.29.0.0/22")

MAX_SITES = 120
IDENTITY_DOMAIN = "lab.swanfleet.example"


class TopologyError(ValueError):
    """The requested lab cannot be built."""


@dataclass(frozen=True)
class Attachment:
    """One interface of a node: the network, the name inside the node, the address."""

    network: str
    ifname: str
    address: ipaddress.IPv4Interface


@dataclass
class Node:
    name: str
    role: str  # gateway, router or client
    site: str
    attachments: list[Attachment] = field(default_factory=list)
    routes: list[tuple[str, str]] = field(default_factory=list)

    def address_on(self, network: str) -> ipaddress.IPv4Interface:
        for att in self.attachments:
            if att.network == network:
                return att.address
        raise KeyError(f"{self.name} has no interface on {network}")

    @property
    def mgmt_address(self) -> str:
        return str(self.address_on("mgmt").ip)


@dataclass(frozen=True)
class Network:
    name: str
    subnet: ipaddress.IPv4Network
    purpose: str


@dataclass
class Site:
    name: str
    index: int
    reach: str
    lan: ipaddress.IPv4Network
    gateway: Node
    client: Node
    router: Node | None
    endpoint: str | None  # the address peers dial, None when unreachable
    identity: str


@dataclass
class Topology:
    sites: list[Site]
    networks: list[Network]

    @property
    def nodes(self) -> list[Node]:
        nodes: list[Node] = []
        for site in self.sites:
            nodes.extend(n for n in (site.router, site.gateway, site.client) if n)
        return nodes


def site_name(index: int) -> str:
    """site-a ... site-z, then site-aa, site-ab ..."""
    letters = string.ascii_lowercase
    if index < 26:
        return f"site-{letters[index]}"
    return f"site-{letters[index // 26 - 1]}{letters[index % 26]}"


def reach_for(index: int, pattern: tuple[str, ...] | None = None) -> str:
    """How site ``index`` is reached: cycling through ``pattern`` if given.

    By default only the first site initiates only; the others alternate between
    a port forward and a public address. A full mesh can join at most one gateway
    that peers cannot reach (two such gateways need a hub between them), so this
    keeps every lab size a full mesh while the first three sites still show the
    three kinds.
    """
    if pattern is not None:
        return pattern[index % len(pattern)]
    if index == 0:
        return "none"
    return ("forwarded", "public")[(index - 1) % 2]


def _host(net: ipaddress.IPv4Network, offset: int) -> ipaddress.IPv4Interface:
    return ipaddress.IPv4Interface(f"{net.network_address + offset}/{net.prefixlen}")


def build(sites: int = 3, pattern: tuple[str, ...] | None = None) -> Topology:
    """Return the lab for ``sites`` sites (reach: see :func:`reach_for`)."""
    if not 1 <= sites <= MAX_SITES:
        raise TopologyError(f"the lab holds 1 to {MAX_SITES} sites, not {sites}")
    unknown = set(pattern or REACH_KINDS) - set(REACH_KINDS)
    if unknown or pattern == ():
        raise TopologyError(
            f"reach pattern {pattern!r}: use only {', '.join(REACH_KINDS)}"
        )

    networks = [
        Network("mgmt", MGMT, "management: Ansible's SSH connections, nothing else"),
        Network("inet", INTERNET, "the lab's internet"),
    ]
    result: list[Site] = []
    mgmt_hosts = iter(range(10, MGMT.num_addresses - 1))

    def mgmt() -> Attachment:
        return Attachment("mgmt", "mgmt0", _host(MGMT, next(mgmt_hosts)))

    for i in range(sites):
        name = site_name(i)
        letter = name.removeprefix("site-")
        reach = reach_for(i, pattern)
        lan = ipaddress.ip_network(f"10.{i + 1}.0.0/24")
        lan_net = f"{letter}-lan"
        networks.append(Network(lan_net, lan, f"{name} LAN"))
        outer = _host(INTERNET, 10 + i)

        gw_lan = _host(lan, 254)
        gateway = Node(f"gw-{letter}", "gateway", name)
        client = Node(f"client-{letter}", "client", name)
        client.attachments += [mgmt(), Attachment(lan_net, "lan0", _host(lan, 10))]
        client.routes.append(("default", str(gw_lan.ip)))

        router = None
        if reach == "public":
            gateway.attachments += [
                mgmt(),
                Attachment("inet", "wan0", outer),
                Attachment(lan_net, "lan0", gw_lan),
            ]
            gateway.routes.append(("default", str(INTERNET.network_address + 1)))
            endpoint: str | None = str(outer.ip)
            identity = str(outer.ip)
        else:
            uplink = ipaddress.ip_network(f"100.64.{i + 1}.0/24")
            wan_net = f"{letter}-wan"
            networks.append(Network(wan_net, uplink, f"{name} uplink behind NAT"))
            router = Node(f"router-{letter}", "router", name)
            router_inside = _host(uplink, 254)
            gw_wan = _host(uplink, 10)
            router.attachments += [
                mgmt(),
                Attachment("inet", "wan0", outer),
                Attachment(wan_net, "lan0", router_inside),
            ]
            router.routes += [
                ("default", str(INTERNET.network_address + 1)),
                (str(lan), str(gw_wan.ip)),
            ]
            gateway.attachments += [
                mgmt(),
                Attachment(wan_net, "wan0", gw_wan),
                Attachment(lan_net, "lan0", gw_lan),
            ]
            gateway.routes.append(("default", str(router_inside.ip)))
            endpoint = str(outer.ip) if reach == "forwarded" else None
            identity = f"gw-{letter}.{IDENTITY_DOMAIN}"

        result.append(
            Site(name, i, reach, lan, gateway, client, router, endpoint, identity)
        )

    return Topology(result, networks)


def check_overlaps(
    topo: Topology, taken: list[tuple[str, ipaddress.IPv4Network]]
) -> list[str]:
    """Name every lab network that overlaps a range already used on this machine."""
    problems = []
    for net in topo.networks:
        for origin, other in taken:
            if net.subnet.overlaps(other):
                problems.append(
                    f"lab network {net.name} ({net.subnet}) overlaps {other} "
                    f"used by {origin}"
                )
    return problems

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet model: gateways' site settings in, validated tunnels out.

Private to this collection; the public interface is the ``fleet_plan`` action
and the roles that consume its result.

A *site* is a place with one or more LAN subnets; its *gateway* is the host that
terminates IPsec for it. A *tunnel* joins two gateways and carries the traffic
between their sites' subnets. Each gateway reaches the others in one of three
ways (``swanfleet_reach``):

``public``     it has an address peers can dial (``swanfleet_endpoint``)
``forwarded``  a NAT router in front forwards UDP 500/4500 to it; peers dial the
               router's public address (``swanfleet_endpoint``)
``none``       it sits behind NAT with no port forward and can only initiate
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

try:
    import netaddr
except ImportError:  # reported by the action plugin with install advice
    netaddr = None

REACH_KINDS = ("public", "forwarded", "none")

_FQDN = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+\.?$"
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inventory, phrased for the operator who fixes it."""

    host: str
    variable: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.host}: {self.variable}: {self.message}. Fix: {self.fix}"


class FleetError(ValueError):
    """The inventory describes a fleet that cannot be deployed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"the inventory has {len(problems)} problem(s); "
            f"no host was changed:\n{lines}"
        )


@dataclass(frozen=True)
class Gateway:
    host: str
    site: str
    subnets: tuple[str, ...]
    reach: str
    endpoint: str | None
    identity: str

    @property
    def reachable(self) -> bool:
        return self.reach != "none"


@dataclass(frozen=True)
class Tunnel:
    """One tunnel as seen from one of its two gateways."""

    name: str
    peer_host: str
    peer_site: str
    local_subnets: tuple[str, ...]
    remote_subnets: tuple[str, ...]
    local_id: str
    remote_id: str
    remote_addrs: str
    initiator: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "peer_host": self.peer_host,
            "peer_site": self.peer_site,
            "local_subnets": list(self.local_subnets),
            "remote_subnets": list(self.remote_subnets),
            "local_id": self.local_id,
            "remote_id": self.remote_id,
            "remote_addrs": self.remote_addrs,
            "initiator": self.initiator,
        }


@dataclass
class FleetPlan:
    gateways: dict[str, Gateway] = field(default_factory=dict)
    tunnels: dict[str, list[Tunnel]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            host: {
                "site": gw.site,
                "subnets": list(gw.subnets),
                "reach": gw.reach,
                "endpoint": gw.endpoint,
                "identity": gw.identity,
                "tunnels": [t.as_dict() for t in self.tunnels[host]],
            }
            for host, gw in self.gateways.items()
        }


def is_dns_name(value: str) -> bool:
    """A DNS name, and not a mistyped IPv4 address such as 198.51.100.300."""
    if not _FQDN.match(value):
        return False
    return not value.rstrip(".").rsplit(".", 1)[-1].isdigit()


def identity_kind(identity: str) -> str:
    """Return ``ipv4``, ``ipv6`` or ``fqdn``; raise ValueError for anything else."""
    if netaddr.valid_ipv4(identity):
        return "ipv4"
    if netaddr.valid_ipv6(identity):
        return "ipv6"
    if is_dns_name(identity):
        return "fqdn"
    raise ValueError(f"{identity!r} is neither an IP address nor a DNS name")


def swanctl_identity(identity: str) -> str:
    """The identity as swanctl must read it.

    An IP address is written bare so that strongSwan makes it an ID_IPV4_ADDR or
    ID_IPV6_ADDR identity; an FQDN gets the ``@`` prefix so it is always an
    ID_FQDN and never guessed at.
    """
    if identity_kind(identity) == "fqdn":
        return "@" + identity.rstrip(".")
    return identity


def tunnel_name(site_a: str, site_b: str) -> str:
    """The same name on both gateways: the two sites, sorted."""
    first, second = sorted((site_a, site_b))
    return f"{first}--{second}"


def _parse_network(value: Any) -> Any:
    if not isinstance(value, str) or "/" not in value:
        raise ValueError(f"{value!r} is not a prefix such as 10.1.0.0/24")
    net = netaddr.IPNetwork(value)
    if net.ip != net.network:
        raise ValueError(f"{value} has host bits set; the network is {net.cidr}")
    return net


def _is_address(value: str) -> bool:
    return bool(netaddr.valid_ipv4(value) or netaddr.valid_ipv6(value))


def parse_gateway(
    host: str, hv: Mapping[str, Any]
) -> tuple[Gateway | None, list[Problem]]:
    """Read one gateway's site settings from its host variables."""
    problems: list[Problem] = []

    def bad(variable: str, message: str, fix: str) -> None:
        problems.append(Problem(host, variable, message, fix))

    site = hv.get("swanfleet_site")
    if not isinstance(site, str) or not re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", site
    ):
        bad(
            "swanfleet_site",
            f"is {site!r}" if site is not None else "is not set",
            "set it to the site's name: letters, digits, '.', '_' or '-'",
        )
        site = None

    subnets: list[str] = []
    raw_subnets = hv.get("swanfleet_site_subnets")
    if not isinstance(raw_subnets, list) or not raw_subnets:
        bad(
            "swanfleet_site_subnets",
            "is not a non-empty list",
            "list the site's LAN prefixes, for example [10.1.0.0/24]",
        )
    else:
        for value in raw_subnets:
            try:
                subnets.append(str(_parse_network(value).cidr))
            except (ValueError, netaddr.AddrFormatError) as exc:
                bad(
                    "swanfleet_site_subnets",
                    str(exc),
                    "write each entry as ADDRESS/PREFIX",
                )

    reach = hv.get("swanfleet_reach", "public")
    if reach not in REACH_KINDS:
        bad(
            "swanfleet_reach",
            f"is {reach!r}",
            f"use one of {', '.join(REACH_KINDS)}",
        )
        reach = None

    endpoint = hv.get("swanfleet_endpoint")
    if endpoint is not None:
        if not isinstance(endpoint, str) or not (
            _is_address(endpoint) or is_dns_name(endpoint)
        ):
            bad(
                "swanfleet_endpoint",
                f"{endpoint!r} is neither an IP address nor a DNS name",
                "give the address or name peers dial to reach this gateway",
            )
            endpoint = None
    elif reach in ("public", "forwarded"):
        bad(
            "swanfleet_endpoint",
            f"is required when swanfleet_reach is {reach}",
            "set the address peers dial (for 'forwarded', the NAT router's public address),"
            " or set swanfleet_reach: none if peers cannot reach this gateway",
        )

    identity = hv.get("swanfleet_identity")
    if identity is None:
        if endpoint is not None:
            identity = endpoint
        else:
            bad(
                "swanfleet_identity",
                "is not set and there is no swanfleet_endpoint to default to",
                "set an FQDN identity such as gw1.example.net",
            )
    if identity is not None:
        try:
            identity_kind(str(identity))
            identity = str(identity).rstrip(".")
        except ValueError as exc:
            bad("swanfleet_identity", str(exc), "use an IP address or an FQDN")
            identity = None

    if problems:
        return None, problems
    return (
        Gateway(
            host=host,
            site=site,
            subnets=tuple(subnets),
            reach=reach,
            endpoint=endpoint,
            identity=identity,
        ),
        [],
    )


def _fleet_problems(gateways: list[Gateway]) -> list[Problem]:
    """Problems that only show when gateways are compared with each other."""
    problems: list[Problem] = []
    by_site: dict[str, Gateway] = {}
    by_identity: dict[str, Gateway] = {}
    for gw in gateways:
        other = by_site.get(gw.site)
        if other:
            problems.append(
                Problem(
                    gw.host,
                    "swanfleet_site",
                    f"site {gw.site!r} is already served by {other.host}",
                    "give each gateway its own site name",
                )
            )
        by_site.setdefault(gw.site, gw)
        other = by_identity.get(gw.identity.lower())
        if other:
            problems.append(
                Problem(
                    gw.host,
                    "swanfleet_identity",
                    f"{gw.identity} is also the identity of {other.host}",
                    "give each gateway a unique identity",
                )
            )
        by_identity.setdefault(gw.identity.lower(), gw)

    for i, a in enumerate(gateways):
        for b in gateways[i + 1 :]:
            for sa in a.subnets:
                for sb in b.subnets:
                    na, nb = netaddr.IPNetwork(sa), netaddr.IPNetwork(sb)
                    if (
                        na.version == nb.version
                        and na.first <= nb.last
                        and nb.first <= na.last
                    ):
                        problems.append(
                            Problem(
                                b.host,
                                "swanfleet_site_subnets",
                                f"{sb} overlaps {sa} of {a.host} (site {a.site})",
                                "give every site its own address range; traffic to an "
                                "overlap could not be routed to one tunnel",
                            )
                        )
    return problems


def plan_fleet(hostvars: Mapping[str, Mapping[str, Any]]) -> FleetPlan:
    """Validate every gateway and derive the full mesh of tunnels between them."""
    if netaddr is None:
        raise FleetError(
            [
                Problem(
                    "controller",
                    "python",
                    "netaddr is not installed",
                    "pip install netaddr into the Python that runs Ansible",
                )
            ]
        )
    problems: list[Problem] = []
    gateways: list[Gateway] = []
    for host in sorted(hostvars):
        gw, found = parse_gateway(host, hostvars[host])
        problems.extend(found)
        if gw:
            gateways.append(gw)
    problems.extend(_fleet_problems(gateways))

    plan = FleetPlan()
    for gw in gateways:
        plan.gateways[gw.host] = gw
        plan.tunnels[gw.host] = []
    for i, a in enumerate(gateways):
        for b in gateways[i + 1 :]:
            if not a.reachable and not b.reachable:
                problems.append(
                    Problem(
                        b.host,
                        "swanfleet_reach",
                        f"neither {a.host} nor {b.host} can be reached (both 'none'), "
                        "so no tunnel can join them",
                        "give one of them a port forward ('forwarded') or a public "
                        "address ('public')",
                    )
                )
                continue
            a_initiates = not a.reachable or (b.reachable and a.site < b.site)
            plan.tunnels[a.host].append(_side(a, b, initiator=a_initiates))
            plan.tunnels[b.host].append(_side(b, a, initiator=not a_initiates))
    if problems:
        raise FleetError(problems)
    for tunnels in plan.tunnels.values():
        tunnels.sort(key=lambda t: t.name)
    return plan


def _side(local: Gateway, peer: Gateway, *, initiator: bool) -> Tunnel:
    # a peer with no endpoint shows up from wherever its NAT router maps it
    remote_addrs = peer.endpoint if peer.reachable else "%any"
    return Tunnel(
        name=tunnel_name(local.site, peer.site),
        peer_host=peer.host,
        peer_site=peer.site,
        local_subnets=local.subnets,
        remote_subnets=peer.subnets,
        local_id=swanctl_identity(local.identity),
        remote_id=swanctl_identity(peer.identity),
        remote_addrs=remote_addrs,
        initiator=initiator,
    )

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

Which gateways are joined is the *topology* (``swanfleet_topology``): ``mesh``
(every pair), ``hub_and_spoke`` (spokes to the hubs they name in
``swanfleet_hubs``, hubs to each other) or ``pairs`` (the site pairs listed in
``swanfleet_pairs``). A tunnel is made when both gateways want it. Two sites
that should reach each other but cannot be joined directly (two spokes, or two
gateways that both have reach ``none``) are *relayed* through a hub both have a
tunnel with: the hub's two tunnels then carry the other site's prefixes as
traffic selectors too. A relay has exactly one hub in the middle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

try:
    import netaddr
except ImportError:  # reported by the action plugin with install advice
    netaddr = None

from ansible_collections.swanfleet.ipsec.plugins.module_utils._proposals import (
    is_proposal,
    split_proposals,
    weak_algorithms,
)

REACH_KINDS = ("public", "forwarded", "none")
TOPOLOGIES = ("mesh", "hub_and_spoke", "pairs")
DPD_ACTIONS = ("restart", "trap", "clear")
START_ACTIONS = ("start", "trap", "none")
FAMILIES = ("ipv4", "ipv6")
AUTH_METHODS = ("psk", "pubkey")

# what a tunnel's settings are called per tunnel (swanfleet_tunnel_settings) and
# per site (the same name with the swanfleet_ prefix)
TUNNEL_SETTINGS = (
    "ike_proposals",
    "esp_proposals",
    "ike_rekey_time",
    "child_rekey_time",
    "dpd_delay",
    "dpd_action",
    "start_action",
)
_PROPOSAL_SETTINGS = ("ike_proposals", "esp_proposals")
_TIME_SETTINGS = ("ike_rekey_time", "child_rekey_time", "dpd_delay")

# the smallest packet each outer family must carry without fragmenting
# (RFC 791 for IPv4, RFC 8200 for IPv6), and the largest an IP length field allows
MIN_PATH_MTU = {"ipv4": 576, "ipv6": 1280}
MAX_PATH_MTU = 65535
MIN_PSK_BYTES = 20

_FQDN = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+\.?$"
)
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
# strongSwan's time values: a number of seconds, or with s, m, h or d
_TIME = re.compile(r"[0-9]+[smhd]?")


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


@dataclass(frozen=True, eq=False)
class Gateway:
    host: str
    site: str
    subnets: tuple[str, ...]
    reach: str
    endpoint: str | None
    identity: str
    topology: str = "mesh"
    hubs: tuple[str, ...] = ()
    hub_transit: bool = True
    pairs: tuple[tuple[str, str], ...] = ()
    path_mtu: int | None = None
    uplink_addresses: tuple[str, ...] = ()
    allow_weak_proposals: bool = False
    # site-wide tunnel settings, by TUNNEL_SETTINGS name
    settings: Mapping[str, Any] = field(default_factory=dict)
    # per-tunnel settings given on this gateway, by tunnel name
    tunnel_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def reachable(self) -> bool:
        return self.reach != "none"

    @property
    def families(self) -> frozenset[str]:
        """Address families of the site's LAN prefixes."""
        return frozenset(_family(s) for s in self.subnets)

    @property
    def outer_families(self) -> frozenset[str] | None:
        """Families the gateway's IKE and ESP can use; None when not known."""
        known = [a for a in ((self.endpoint or ""), *self.uplink_addresses) if a]
        found = frozenset(
            "ipv6" if netaddr.valid_ipv6(a) else "ipv4" for a in known if _is_address(a)
        )
        return found or None


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
    ike_proposals: tuple[str, ...] | None = None
    esp_proposals: tuple[str, ...] | None = None
    ike_rekey_time: str | None = None
    child_rekey_time: str | None = None
    dpd_delay: str | None = None
    dpd_action: str = "clear"
    start_action: str = "none"
    close_action: str = "none"
    # sites other than the two ends whose traffic this tunnel carries
    transit_sites: tuple[str, ...] = ()

    def selectors(self) -> dict[str, dict[str, list[str]]]:
        """The traffic selectors by address family, only families carried."""
        result = {}
        for fam in FAMILIES:
            local = [s for s in self.local_subnets if _family(s) == fam]
            remote = [s for s in self.remote_subnets if _family(s) == fam]
            if local and remote:
                result[fam] = {"local": local, "remote": remote}
        return result

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "peer_host": self.peer_host,
            "peer_site": self.peer_site,
            "local_subnets": list(self.local_subnets),
            "remote_subnets": list(self.remote_subnets),
            "selectors": self.selectors(),
            "local_id": self.local_id,
            "remote_id": self.remote_id,
            "remote_addrs": self.remote_addrs,
            "initiator": self.initiator,
            "ike_proposals": _listed(self.ike_proposals),
            "esp_proposals": _listed(self.esp_proposals),
            "ike_rekey_time": self.ike_rekey_time,
            "child_rekey_time": self.child_rekey_time,
            "dpd_delay": self.dpd_delay,
            "dpd_action": self.dpd_action,
            "start_action": self.start_action,
            "close_action": self.close_action,
            "transit_sites": list(self.transit_sites),
        }


@dataclass(frozen=True)
class Relay:
    """Two sites that reach each other through a hub rather than a tunnel of their own."""

    sites: tuple[str, str]
    hosts: tuple[str, str]
    hub_site: str
    hub_host: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": list(self.sites),
            "hosts": list(self.hosts),
            "hub_site": self.hub_site,
            "hub_host": self.hub_host,
        }


@dataclass
class FleetPlan:
    gateways: dict[str, Gateway] = field(default_factory=dict)
    tunnels: dict[str, list[Tunnel]] = field(default_factory=dict)
    relays: list[Relay] = field(default_factory=list)
    # per site, the sites whose LANs it reaches, directly or through a hub
    reaches: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        hubs = {h for gw in self.gateways.values() for h in gw.hubs}
        return {
            host: {
                "site": gw.site,
                "subnets": list(gw.subnets),
                "families": sorted(gw.families),
                "tunnel_families": sorted(
                    {fam for t in self.tunnels[host] for fam in t.selectors() if fam}
                ),
                "reach": gw.reach,
                "endpoint": gw.endpoint,
                "identity": gw.identity,
                "identity_kind": identity_kind(gw.identity),
                "topology": gw.topology,
                "hubs": list(gw.hubs),
                "is_hub": gw.site in hubs,
                "path_mtu": gw.path_mtu,
                "reaches": list(self.reaches.get(gw.site, [])),
                "tunnels": [t.as_dict() for t in self.tunnels[host]],
            }
            for host, gw in self.gateways.items()
        }


def _listed(value: tuple[str, ...] | None) -> list[str] | None:
    return None if value is None else list(value)


def _family(prefix: str) -> str:
    return "ipv6" if ":" in prefix else "ipv4"


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
    address, length = value.split("/", 1)
    if not _is_address(address) or not length.isdigit():
        raise ValueError(f"{value!r} is not a prefix such as 10.1.0.0/24")
    net = netaddr.IPNetwork(value)
    if net.ip != net.network:
        raise ValueError(f"{value} has host bits set; the network is {net.cidr}")
    return net


def _is_address(value: Any) -> bool:
    return isinstance(value, str) and bool(
        netaddr.valid_ipv4(value) or netaddr.valid_ipv6(value)
    )


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "no", "off", "0"):
        return False
    return None


def _setting_problem(key: str, value: Any) -> tuple[str, str] | None:
    """What is wrong with one tunnel setting's value, and the fix; None if nothing."""
    if key in _PROPOSAL_SETTINGS:
        if isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(p, str) for p in value)
        ):
            return (
                "is not a non-empty list of proposals",
                "list strongSwan proposals such as aes256gcm16-prfsha384-ecp384",
            )
        bad = [p for p in split_proposals(value) if not is_proposal(p)]
        if bad or not split_proposals(value):
            return (
                f"{', '.join(map(repr, bad or value))} is not a strongSwan proposal",
                "write each proposal as algorithm keywords joined by '-', "
                "such as aes256gcm16-ecp384",
            )
        return None
    if key in _TIME_SETTINGS:
        if not _TIME.fullmatch(str(value)) or isinstance(value, bool):
            return (
                f"is {value!r}",
                "give a time in strongSwan syntax: seconds, or a number with s, m, h or d"
                " (for example 4h)",
            )
        return None
    choices = DPD_ACTIONS if key == "dpd_action" else START_ACTIONS
    if value not in choices:
        return (f"is {value!r}", f"use one of {', '.join(choices)}")
    return None


def _normal_setting(key: str, value: Any) -> Any:
    if key in _PROPOSAL_SETTINGS:
        return tuple(split_proposals(value))
    if key in _TIME_SETTINGS:
        return str(value)
    return value


def parse_gateway(
    host: str, hv: Mapping[str, Any]
) -> tuple[Gateway | None, list[Problem]]:
    """Read one gateway's site settings from its host variables."""
    problems: list[Problem] = []

    def bad(variable: str, message: str, fix: str) -> None:
        problems.append(Problem(host, variable, message, fix))

    site = hv.get("swanfleet_site")
    if not isinstance(site, str) or not _SITE.fullmatch(site):
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
            "list the site's LAN prefixes, for example [10.1.0.0/24, 2001:db8:1::/64]",
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

    uplinks: list[str] = []
    raw_uplinks = hv.get("swanfleet_uplink_addresses", [])
    if isinstance(raw_uplinks, str):
        raw_uplinks = [raw_uplinks]
    if not isinstance(raw_uplinks, list):
        bad(
            "swanfleet_uplink_addresses",
            f"is {raw_uplinks!r}, not a list",
            "list the gateway's own addresses on its uplink, such as [192.168.1.2]",
        )
    else:
        for value in raw_uplinks:
            if _is_address(value):
                uplinks.append(str(netaddr.IPAddress(value)))
            else:
                bad(
                    "swanfleet_uplink_addresses",
                    f"{value!r} is not an IP address",
                    "list bare addresses, without prefix length, such as 192.168.1.2",
                )

    topology = hv.get("swanfleet_topology", "mesh")
    if topology not in TOPOLOGIES:
        bad(
            "swanfleet_topology",
            f"is {topology!r}",
            f"use one of {', '.join(TOPOLOGIES)}",
        )
        topology = "mesh"

    hubs = _site_list(hv.get("swanfleet_hubs", []), "swanfleet_hubs", bad)
    if topology == "hub_and_spoke" and not hubs:
        bad(
            "swanfleet_hubs",
            "is empty but swanfleet_topology is hub_and_spoke",
            "name the hub site(s), for example swanfleet_hubs: [hq]",
        )

    transit = _as_bool(hv.get("swanfleet_hub_transit", True))
    if transit is None:
        bad(
            "swanfleet_hub_transit",
            f"is {hv.get('swanfleet_hub_transit')!r}",
            "use true or false",
        )
        transit = True

    pairs: list[tuple[str, str]] = []
    raw_pairs = hv.get("swanfleet_pairs", [])
    if not isinstance(raw_pairs, list):
        bad(
            "swanfleet_pairs",
            f"is {raw_pairs!r}, not a list",
            "list site pairs, for example [[hq, branch1], [hq, branch2]]",
        )
    else:
        for pair in raw_pairs:
            if (
                isinstance(pair, list | tuple)
                and len(pair) == 2
                and all(isinstance(s, str) and _SITE.fullmatch(s) for s in pair)
                and pair[0] != pair[1]
            ):
                pairs.append((pair[0], pair[1]))
            else:
                bad(
                    "swanfleet_pairs",
                    f"{pair!r} is not a pair of two different site names",
                    "write each entry as [SITE, OTHER_SITE]",
                )
    if topology == "pairs" and not raw_pairs:
        bad(
            "swanfleet_pairs",
            "is empty but swanfleet_topology is pairs",
            "list the site pairs to join, for example [[hq, branch1]]",
        )

    path_mtu = hv.get("swanfleet_path_mtu")
    if path_mtu is not None:
        text = str(path_mtu).strip()
        if isinstance(path_mtu, bool) or not text.isdigit():
            bad(
                "swanfleet_path_mtu",
                f"is {path_mtu!r}, not a number of bytes",
                "give the path MTU in bytes, such as 1492 for PPPoE, or leave it unset",
            )
            path_mtu = None
        else:
            path_mtu = int(text)

    weak = _as_bool(hv.get("swanfleet_allow_weak_proposals", False))
    if weak is None:
        bad(
            "swanfleet_allow_weak_proposals",
            f"is {hv.get('swanfleet_allow_weak_proposals')!r}",
            "use true or false",
        )
        weak = False

    settings: dict[str, Any] = {}
    for key in TUNNEL_SETTINGS:
        variable = f"swanfleet_{key}"
        if hv.get(variable) is None:
            continue
        wrong = _setting_problem(key, hv[variable])
        if wrong:
            bad(variable, *wrong)
        else:
            settings[key] = _normal_setting(key, hv[variable])

    per_tunnel: dict[str, dict[str, Any]] = {}
    raw_tunnels = hv.get("swanfleet_tunnel_settings", {}) or {}
    if not isinstance(raw_tunnels, Mapping):
        bad(
            "swanfleet_tunnel_settings",
            "is not a mapping of tunnel names to settings",
            "key each entry by tunnel name (the two site names sorted, joined by '--')",
        )
        raw_tunnels = {}
    for name, entry in raw_tunnels.items():
        variable = f"swanfleet_tunnel_settings['{name}']"
        if not isinstance(entry, Mapping):
            bad(
                variable, "is not a mapping", f"set any of {', '.join(TUNNEL_SETTINGS)}"
            )
            continue
        per_tunnel[str(name)] = {}
        for key, value in entry.items():
            if key not in TUNNEL_SETTINGS:
                bad(
                    variable,
                    f"{key!r} is not a tunnel setting",
                    f"use only {', '.join(TUNNEL_SETTINGS)}",
                )
                continue
            wrong = _setting_problem(key, value)
            if wrong:
                bad(f"{variable}.{key}", *wrong)
            else:
                per_tunnel[str(name)][key] = _normal_setting(key, value)

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
            topology=topology,
            hubs=tuple(hubs),
            hub_transit=transit,
            pairs=tuple(pairs),
            path_mtu=path_mtu,
            uplink_addresses=tuple(uplinks),
            allow_weak_proposals=weak,
            settings=settings,
            tunnel_settings=per_tunnel,
        ),
        [],
    )


def _site_list(value: Any, variable: str, bad: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        bad(variable, f"is {value!r}, not a list", "list site names, such as [hq]")
        return []
    sites = []
    for item in value:
        if isinstance(item, str) and _SITE.fullmatch(item):
            sites.append(item)
        else:
            bad(
                variable,
                f"{item!r} is not a site name",
                "list site names, such as [hq]",
            )
    return list(dict.fromkeys(sites))


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

    # a LAN prefix holding a gateway's outer address would send IKE and ESP into a tunnel
    for gw in gateways:
        outer = [("swanfleet_endpoint", gw.endpoint)] if gw.endpoint else []
        outer += [("swanfleet_uplink_addresses", a) for a in gw.uplink_addresses]
        for variable, address in outer:
            if not _is_address(address):
                continue
            ip = netaddr.IPAddress(address)
            for lan_gw in gateways:
                for prefix in lan_gw.subnets:
                    if ip not in netaddr.IPNetwork(prefix):
                        continue
                    if lan_gw is gw:
                        problems.append(
                            Problem(
                                gw.host,
                                "swanfleet_site_subnets",
                                f"{prefix} contains this gateway's own {variable} "
                                f"{address}",
                                "list only the LAN behind the gateway, not the network of "
                                "its uplink; the tunnels would swallow their own IKE and "
                                "ESP packets",
                            )
                        )
                    else:
                        problems.append(
                            Problem(
                                lan_gw.host,
                                "swanfleet_site_subnets",
                                f"{prefix} contains {address}, the {variable} of "
                                f"{gw.host} (site {gw.site})",
                                "correct the prefix or the address: a site's LAN must not "
                                "hold another gateway's outer address",
                            )
                        )

    for gw in gateways:
        if gw.path_mtu is None:
            continue
        families = gw.outer_families or frozenset(("ipv4",))
        family = "ipv6" if "ipv6" in families else "ipv4"
        least = MIN_PATH_MTU[family]
        if gw.path_mtu < least or gw.path_mtu > MAX_PATH_MTU:
            problems.append(
                Problem(
                    gw.host,
                    "swanfleet_path_mtu",
                    f"{gw.path_mtu} is outside {least}..{MAX_PATH_MTU}, the range an "
                    f"{'IPv6' if family == 'ipv6' else 'IPv4'} outer path allows",
                    f"give the real path MTU (at least {least} bytes"
                    + (
                        " since IPv6 requires it"
                        if family == "ipv6"
                        else "; an IPv6 uplink needs 1280"
                    )
                    + f", at most {MAX_PATH_MTU}), or leave it unset to use the uplink's",
                )
            )
    return problems


def _proposal_problems(
    gateways: list[Gateway], hostvars: Mapping[str, Mapping[str, Any]]
) -> list[Problem]:
    """Weak algorithms in any proposal list a gateway uses, unless it allows them."""
    problems: list[Problem] = []
    for gw in gateways:
        if gw.allow_weak_proposals:
            continue
        lists: list[tuple[str, Any, bool]] = []
        for role_var, ike in (
            ("gateway_ike_proposals", True),
            ("gateway_esp_proposals", False),
        ):
            if hostvars[gw.host].get(role_var) is not None:
                lists.append((role_var, hostvars[gw.host][role_var], ike))
        for key in _PROPOSAL_SETTINGS:
            ike = key == "ike_proposals"
            if key in gw.settings:
                lists.append((f"swanfleet_{key}", gw.settings[key], ike))
            for name, entry in sorted(gw.tunnel_settings.items()):
                if key in entry:
                    lists.append(
                        (f"swanfleet_tunnel_settings['{name}'].{key}", entry[key], ike)
                    )
        for variable, value, ike in lists:
            if not isinstance(value, list | tuple | str):
                continue
            for proposal in split_proposals(value):
                reasons = weak_algorithms(proposal, ike=ike)
                if reasons:
                    problems.append(
                        Problem(
                            gw.host,
                            variable,
                            f"{proposal} uses {', '.join(reasons)}",
                            "use AES-GCM or AES with SHA-256 or better and ECP-256, "
                            "Curve25519 or MODP-2048 and above; or, for a peer that can do "
                            "nothing better, set swanfleet_allow_weak_proposals: true",
                        )
                    )
    return problems


def _psk_problems(
    gateways: list[Gateway],
    hostvars: Mapping[str, Mapping[str, Any]],
    tunnel_names: set[str],
) -> list[Problem]:
    """Supplied pre-shared keys: long enough and keyed by a tunnel of the fleet.

    Only a key's length is ever looked at; no message holds a key.
    """
    problems: list[Problem] = []
    for gw in gateways:
        hv = hostvars[gw.host]
        psks = hv.get("gateway_psks")
        mine = {
            tunnel_name(gw.site, other.site) for other in gateways if other is not gw
        } & tunnel_names
        if isinstance(psks, Mapping):
            unknown = sorted(str(n) for n in psks if str(n) not in tunnel_names)
            if unknown:
                problems.append(
                    Problem(
                        gw.host,
                        "gateway_psks",
                        f"names {', '.join(unknown)}, which is no tunnel of this fleet",
                        "key each entry by tunnel name, the two site names sorted and "
                        "joined by '--'; the fleet's tunnels are "
                        + (", ".join(sorted(tunnel_names)) or "none"),
                    )
                )
            for name in sorted(str(n) for n in psks if str(n) in mine):
                size = _psk_size(psks[name])
                if size is not None and size < MIN_PSK_BYTES:
                    problems.append(
                        Problem(
                            gw.host,
                            f"gateway_psks['{name}']",
                            f"is shorter than {MIN_PSK_BYTES} bytes",
                            "use a longer key, or remove the entry to have one generated",
                        )
                    )
        elif psks is not None:
            problems.append(
                Problem(
                    gw.host,
                    "gateway_psks",
                    "is not a mapping of tunnel names to keys",
                    "key each pre-shared key by its tunnel's name",
                )
            )
        length = hv.get("gateway_psk_length")
        if length is not None and (
            not str(length).isdigit() or int(length) < MIN_PSK_BYTES
        ):
            problems.append(
                Problem(
                    gw.host,
                    "gateway_psk_length",
                    f"is {length!r}",
                    f"generate keys of at least {MIN_PSK_BYTES} characters (48 is the "
                    "default)",
                )
            )
    return problems


def _auth_problems(
    gateways: list[Gateway],
    hostvars: Mapping[str, Mapping[str, Any]],
    links: Iterable[tuple[Gateway, Gateway]],
) -> list[Problem]:
    """Both ends of a tunnel authenticate alike; public keys in DNS need a server,
    a TSIG key name, a trust anchor and a DNS name for every such gateway."""
    problems: list[Problem] = []
    method: dict[str, str] = {}
    for gw in gateways:
        hv = hostvars[gw.host]
        value = hv.get("gateway_auth", "psk")
        if value not in AUTH_METHODS:
            problems.append(
                Problem(
                    gw.host,
                    "gateway_auth",
                    f"is {value!r}",
                    "use psk (pre-shared keys) or pubkey (raw public keys from DNS)",
                )
            )
            continue
        method[gw.host] = value
        if value != "pubkey":
            continue
        for variable, what in (
            (
                "gateway_dns_server",
                "the zones' primary server, which takes the updates",
            ),
            ("gateway_dns_tsig_key_name", "the name of the TSIG key the updates use"),
            (
                "gateway_dns_trust_anchor",
                "the DS or DNSKEY records (or files) the peers' keys are validated from",
            ),
        ):
            if not hv.get(variable):
                problems.append(
                    Problem(
                        gw.host,
                        variable,
                        "is not set, and gateway_auth is pubkey",
                        f"set it to {what}",
                    )
                )
        kind = identity_kind(gw.identity)
        domain = str(hv.get("gateway_dns_domain") or "")
        if kind != "fqdn" and not is_dns_name(domain):
            problems.append(
                Problem(
                    gw.host,
                    "gateway_dns_domain",
                    f"is {domain!r}, and the identity {gw.identity} is an address, so "
                    "the gateway has no name to publish its key under",
                    "set gateway_dns_domain to the forward zone (the gateway is "
                    "published as <inventory_hostname>.<domain>), or give the gateway "
                    "an FQDN swanfleet_identity",
                )
            )
        name = gw.identity if kind == "fqdn" else f"{gw.host}.{domain}"
        endpoint = gw.endpoint or ""
        if is_dns_name(endpoint) and endpoint.rstrip(".").lower() == name.lower():
            problems.append(
                Problem(
                    gw.host,
                    "swanfleet_endpoint",
                    f"is the name {endpoint} the gateway's key is published under, whose "
                    "address records the role then owns",
                    "give the endpoint as an address, or publish the key under "
                    "another name (swanfleet_identity)",
                )
            )
    for a, b in links:
        if a.host in method and b.host in method and method[a.host] != method[b.host]:
            problems.append(
                Problem(
                    a.host,
                    "gateway_auth",
                    f"is {method[a.host]} but its peer {b.host} (site {b.site}) uses "
                    f"{method[b.host]}",
                    "give both ends of every tunnel the same gateway_auth, for example "
                    "in the gateways' group_vars",
                )
            )
    return problems


def _psk_size(value: Any) -> int | None:
    """Bytes in a key; the action plugin may pass the size instead of the key."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if value is None:
        return 0
    return len(str(value).encode("utf-8"))


class _Topology:
    """Who wants a tunnel with whom, who can have one, and the routes between sites."""

    def __init__(self, gateways: list[Gateway]) -> None:
        self.gateways = gateways
        self.by_site = {gw.site: gw for gw in gateways}
        self.hub_sites = {h for gw in gateways for h in gw.hubs if h in self.by_site}
        self.pairs = {
            frozenset(p)
            for gw in gateways
            for p in gw.pairs
            if all(s in self.by_site for s in p)
        }

    def is_hub(self, gw: Gateway) -> bool:
        return gw.site in self.hub_sites

    def wants_direct(self, a: Gateway, b: Gateway) -> bool:
        if a.topology == "mesh":
            return True
        if a.topology == "pairs":
            return frozenset((a.site, b.site)) in self.pairs
        if a.site in a.hubs or self.is_hub(a):
            return True
        return b.site in a.hubs

    def wants_reach(self, a: Gateway, b: Gateway) -> bool:
        if self.wants_direct(a, b):
            return True
        # a spoke reaches the other spokes through its hub, unless transit is off
        return a.topology == "hub_and_spoke" and a.hub_transit

    def can_connect(self, a: Gateway, b: Gateway) -> str | None:
        """Why a and b cannot have a tunnel of their own; None when they can."""
        if not a.reachable and not b.reachable:
            return "unreachable"
        fa, fb = a.outer_families, b.outer_families
        if fa is not None and fb is not None and not fa & fb:
            return "families"
        return None


def _common_families(a: Gateway, b: Gateway) -> tuple[list[str], list[str]]:
    """Each site's prefixes of the families the other site has."""
    return (
        [s for s in a.subnets if _family(s) in b.families],
        [s for s in b.subnets if _family(s) in a.families],
    )


def plan_fleet(hostvars: Mapping[str, Mapping[str, Any]]) -> FleetPlan:
    """Validate every gateway and derive the tunnels of the fleet's topology."""
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
    problems.extend(_proposal_problems(gateways, hostvars))

    topo = _Topology(gateways)
    problems.extend(_name_problems(gateways, topo))

    plan = FleetPlan()
    for gw in gateways:
        plan.gateways[gw.host] = gw
        plan.tunnels[gw.host] = []

    # 1. the tunnels: both gateways want one, and they can meet
    links: dict[frozenset[str], tuple[Gateway, Gateway]] = {}
    for i, a in enumerate(gateways):
        for b in gateways[i + 1 :]:
            if (
                topo.wants_direct(a, b)
                and topo.wants_direct(b, a)
                and topo.can_connect(a, b) is None
            ):
                links[frozenset((a.host, b.host))] = (a, b)

    # 2. the routes: every pair of sites that should reach each other
    # selectors[(x, y)] = (local, remote) of x's tunnel to y
    selectors: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    transit: dict[tuple[str, str], list[str]] = {}

    def carry(path: list[Gateway], src: list[str], dst: list[str]) -> None:
        ends = {path[0].site, path[-1].site}
        for x, y in zip(path, path[1:], strict=False):
            for here, there, mine, theirs in ((x, y, src, dst), (y, x, dst, src)):
                local, remote = selectors.setdefault((here.host, there.host), ([], []))
                local.extend(p for p in mine if p not in local)
                remote.extend(p for p in theirs if p not in remote)
                others = sorted(ends - {here.site, there.site})
                names = transit.setdefault((here.host, there.host), [])
                names.extend(s for s in others if s not in names)

    reaches: dict[str, set[str]] = {gw.site: set() for gw in gateways}
    for i, a in enumerate(gateways):
        for b in gateways[i + 1 :]:
            if not (topo.wants_reach(a, b) and topo.wants_reach(b, a)):
                continue
            src, dst = _common_families(a, b)
            key = frozenset((a.host, b.host))
            if key in links:
                # a tunnel of their own, even when the LANs share no family, so
                # that it can carry relayed traffic
                selectors.setdefault((a.host, b.host), ([], []))
                selectors.setdefault((b.host, a.host), ([], []))
                if src and dst:
                    carry([a, b], src, dst)
                    reaches[a.site].add(b.site)
                    reaches[b.site].add(a.site)
                continue
            if not (src and dst):
                continue  # nothing the two LANs could send each other
            hub = _relay_hub(a, b, topo, links)
            if hub is not None:
                carry([a, hub, b], src, dst)
                reaches[a.site].add(b.site)
                reaches[b.site].add(a.site)
                plan.relays.append(
                    Relay((a.site, b.site), (a.host, b.host), hub.site, hub.host)
                )
                continue
            problems.append(_unreachable(a, b, topo))

    # 3. one Tunnel per end, with its settings settled
    tunnel_names: set[str] = set()
    for a, b in links.values():
        local_a, remote_a = selectors.get((a.host, b.host), ([], []))
        if not local_a or not remote_a:
            continue  # wanted, but nothing would cross it
        name = tunnel_name(a.site, b.site)
        tunnel_names.add(name)
        settings, found = _tunnel_settings(a, b, name)
        problems.extend(found)
        a_initiates = not a.reachable or (b.reachable and a.site < b.site)
        plan.tunnels[a.host].append(
            _side(a, b, a_initiates, selectors, transit, settings)
        )
        plan.tunnels[b.host].append(
            _side(b, a, not a_initiates, selectors, transit, settings)
        )

    problems.extend(_unknown_tunnel_settings(gateways, tunnel_names))
    problems.extend(_psk_problems(gateways, hostvars, tunnel_names))
    problems.extend(_auth_problems(gateways, hostvars, links.values()))
    if problems:
        raise FleetError(problems)
    for tunnels in plan.tunnels.values():
        tunnels.sort(key=lambda t: t.name)
    plan.reaches = {site: sorted(found) for site, found in reaches.items()}
    return plan


def _name_problems(gateways: list[Gateway], topo: _Topology) -> list[Problem]:
    """Hubs and pairs that name a site no gateway serves."""
    problems: list[Problem] = []
    known = ", ".join(sorted(topo.by_site)) or "none"
    for gw in gateways:
        for hub in gw.hubs:
            if hub not in topo.by_site:
                problems.append(
                    Problem(
                        gw.host,
                        "swanfleet_hubs",
                        f"names site {hub!r}, which no gateway of the fleet serves",
                        f"name the hub by its swanfleet_site; the sites are {known}",
                    )
                )
            elif topo.by_site[hub].topology == "pairs":
                problems.append(
                    Problem(
                        gw.host,
                        "swanfleet_hubs",
                        f"names site {hub!r}, whose gateway "
                        f"{topo.by_site[hub].host} has swanfleet_topology: pairs",
                        "make the hub's gateway mesh or hub_and_spoke, or pair it with "
                        "every site it serves",
                    )
                )
        for pair in gw.pairs:
            for site in pair:
                if site not in topo.by_site:
                    problems.append(
                        Problem(
                            gw.host,
                            "swanfleet_pairs",
                            f"[{pair[0]}, {pair[1]}] names site {site!r}, which no "
                            "gateway of the fleet serves",
                            f"pair sites by their swanfleet_site; the sites are {known}",
                        )
                    )
    return problems


def _relay_hub(
    a: Gateway,
    b: Gateway,
    topo: _Topology,
    links: Mapping[frozenset[str], tuple[Gateway, Gateway]],
) -> Gateway | None:
    """The hub that joins a and b: one both have a tunnel with, transit allowed.

    Hubs a names come first, in its order; then b's; then the other hubs by name.
    """
    if not (a.hub_transit and b.hub_transit):
        return None
    order = [*a.hubs, *b.hubs, *sorted(topo.hub_sites)]
    for site in dict.fromkeys(order):
        hub = topo.by_site.get(site)
        if (
            hub is not None
            and hub is not a
            and hub is not b
            and hub.hub_transit
            and frozenset((a.host, hub.host)) in links
            and frozenset((b.host, hub.host)) in links
        ):
            return hub
    return None


def _unreachable(a: Gateway, b: Gateway, topo: _Topology) -> Problem:
    why = topo.can_connect(a, b)
    no_transit = [g.host for g in (a, b) if not g.hub_transit]
    if no_transit:
        hint = (
            f"swanfleet_hub_transit is false on {', '.join(no_transit)}; set it to true,"
            " or stop asking for the two sites to reach each other"
        )
    else:
        hint = (
            "name a hub in swanfleet_hubs that has a tunnel with both (a gateway with "
            "reach 'public' or 'forwarded')"
        )
    if why == "unreachable":
        return Problem(
            b.host,
            "swanfleet_reach",
            f"neither {a.host} nor {b.host} can be reached (both 'none'), so no tunnel "
            "can join them and no hub relays between them",
            "give one of them a port forward ('forwarded') or a public address "
            f"('public'), or {hint}",
        )
    if why == "families":
        return Problem(
            b.host,
            "swanfleet_endpoint",
            f"{a.host} reaches the internet only over "
            f"{'/'.join(sorted(a.outer_families or ()))} and {b.host} only over "
            f"{'/'.join(sorted(b.outer_families or ()))}, so no tunnel can join them "
            "and no hub relays between them",
            f"give one of them an address of the other's family, or {hint}",
        )
    return Problem(
        b.host,
        "swanfleet_hubs",
        f"{a.host} (site {a.site}) and {b.host} (site {b.site}) should reach each other "
        "but have no tunnel and no hub in common",
        f"{hint}; or set swanfleet_hub_transit: false on the spokes that need not "
        "reach each other",
    )


def _tunnel_settings(
    a: Gateway, b: Gateway, name: str
) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Each end's settings for tunnel ``name``: {host: {setting: value}}.

    A per-tunnel setting applies to both ends. Proposals must be the same at both
    ends; timers and actions are each end's own. The same tunnel setting given
    differently on the two gateways, or different proposals of the two sites, are
    reported.
    """
    problems: list[Problem] = []
    entry_a = a.tunnel_settings.get(name, {})
    entry_b = b.tunnel_settings.get(name, {})
    tunnel: dict[str, Any] = {}
    for key in TUNNEL_SETTINGS:
        if key in entry_a and key in entry_b and entry_a[key] != entry_b[key]:
            problems.append(
                Problem(
                    b.host,
                    f"swanfleet_tunnel_settings['{name}'].{key}",
                    f"differs from the same setting on {a.host}",
                    "give the tunnel's settings once (in one gateway's host_vars or in "
                    "group_vars), or the same on both",
                )
            )
        if key in entry_a or key in entry_b:
            tunnel[key] = entry_a.get(key, entry_b.get(key))
    result: dict[str, dict[str, Any]] = {a.host: {}, b.host: {}}
    for key in TUNNEL_SETTINGS:
        if key in tunnel:
            result[a.host][key] = result[b.host][key] = tunnel[key]
        elif key in _PROPOSAL_SETTINGS:
            va, vb = a.settings.get(key), b.settings.get(key)
            if va is not None and vb is not None and va != vb:
                problems.append(
                    Problem(
                        b.host,
                        f"swanfleet_{key}",
                        f"differs from {a.host}'s, and tunnel {name} needs the same "
                        "proposals at both ends",
                        f"set swanfleet_tunnel_settings['{name}'].{key} for the tunnel, "
                        "or give both sites the same list",
                    )
                )
            value = va if va is not None else vb
            result[a.host][key] = result[b.host][key] = value
        else:
            for gw in (a, b):
                result[gw.host][key] = gw.settings.get(key)
    return result, problems


def _unknown_tunnel_settings(
    gateways: list[Gateway], tunnel_names: set[str]
) -> list[Problem]:
    problems = []
    for gw in gateways:
        for name in sorted(gw.tunnel_settings):
            if name not in tunnel_names:
                problems.append(
                    Problem(
                        gw.host,
                        f"swanfleet_tunnel_settings['{name}']",
                        "names no tunnel of this fleet",
                        "key each entry by tunnel name, the two site names sorted and "
                        "joined by '--'; the fleet's tunnels are "
                        + (", ".join(sorted(tunnel_names)) or "none"),
                    )
                )
    return problems


def _side(
    local: Gateway,
    peer: Gateway,
    initiator: bool,
    selectors: Mapping[tuple[str, str], tuple[list[str], list[str]]],
    transit: Mapping[tuple[str, str], list[str]],
    settings: Mapping[str, Mapping[str, Any]],
) -> Tunnel:
    # a peer with no endpoint shows up from wherever its NAT router maps it
    remote_addrs = peer.endpoint if peer.reachable else "%any"
    local_ts, remote_ts = selectors[(local.host, peer.host)]
    mine = settings[local.host]
    if initiator:
        start = mine.get("start_action") or "start"
        dpd = mine.get("dpd_action") or "restart"
        close = start
    else:
        # the initiating end owns the tunnel: this end waits for it
        start, dpd, close = "none", "clear", "none"
    return Tunnel(
        name=tunnel_name(local.site, peer.site),
        peer_host=peer.host,
        peer_site=peer.site,
        local_subnets=_ordered(local_ts, local.subnets),
        remote_subnets=_ordered(remote_ts, peer.subnets),
        local_id=swanctl_identity(local.identity),
        remote_id=swanctl_identity(peer.identity),
        remote_addrs=remote_addrs,
        initiator=initiator,
        ike_proposals=mine.get("ike_proposals"),
        esp_proposals=mine.get("esp_proposals"),
        ike_rekey_time=mine.get("ike_rekey_time"),
        child_rekey_time=mine.get("child_rekey_time"),
        dpd_delay=mine.get("dpd_delay"),
        dpd_action=dpd,
        start_action=start,
        close_action=close,
        transit_sites=tuple(sorted(transit.get((local.host, peer.host), []))),
    )


def _ordered(prefixes: Iterable[str], own: Iterable[str]) -> tuple[str, ...]:
    """The end's own prefixes first, in the inventory's order, then relayed ones."""
    prefixes = list(prefixes)
    first = [p for p in own if p in prefixes]
    return tuple(first + [p for p in prefixes if p not in first])

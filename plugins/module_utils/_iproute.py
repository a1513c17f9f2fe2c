# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and setting MTUs with iproute2.

Private to this collection; used by the ``tunnel_mtu`` module. Every function
takes a *runner*: a callable that runs ``ip`` with the given arguments and
returns ``(rc, stdout, stderr)``, so the parsing here is tested without a host
and the module decides how (and in which network namespace) ``ip`` runs.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol


class Runner(Protocol):
    def __call__(self, args: list[str]) -> tuple[int, str, str]: ...


class IprouteError(Exception):
    """iproute2 could not read or change what was asked, said in its terms."""


@dataclass(frozen=True)
class Link:
    name: str
    mtu: int
    min_mtu: int | None = None
    max_mtu: int | None = None


# route metrics `ip route` can set back, by their key in `ip -j` output and
# their keyword on the command line; the times come out of `ip -j` in ms
_METRIC_KEYWORDS = {
    "advmss": "advmss",
    "window": "window",
    "cwnd": "cwnd",
    "initcwnd": "initcwnd",
    "initrwnd": "initrwnd",
    "hoplimit": "hoplimit",
    "reordering": "reordering",
    "ssthresh": "ssthresh",
    "quickack": "quickack",
    "fastopen_no_cookie": "fastopen_no_cookie",
    "congestion": "congctl",
    "rtt": "rtt",
    "rttvar": "rttvar",
    "rto_min": "rto_min",
}
_MILLISECONDS = ("rtt", "rttvar", "rto_min")


def _family_flag(family: str) -> str:
    return "-6" if family == "ipv6" else "-4"


def _run_json(run: Runner, args: list[str]) -> tuple[int, Any, str]:
    rc, out, err = run(args)
    if rc != 0:
        return rc, None, err.strip()
    try:
        return rc, json.loads(out or "[]"), ""
    except ValueError as exc:
        raise IprouteError(
            f"'ip {' '.join(args)}' printed no JSON ({exc}); "
            "iproute2 4.14 or later is needed"
        ) from None


def read_link(run: Runner, name: str) -> Link:
    """The interface's current MTU and the range it accepts."""
    rc, data, err = _run_json(run, ["-j", "-d", "link", "show", "dev", name])
    if rc != 0 or not data:
        raise IprouteError(f"interface {name} cannot be read: {err or 'not found'}")
    info = data[0]
    return Link(
        name=name,
        mtu=int(info["mtu"]),
        min_mtu=info.get("min_mtu"),
        max_mtu=info.get("max_mtu"),
    )


def set_link_mtu(run: Runner, link: Link, mtu: int) -> None:
    too_big = bool(link.max_mtu) and mtu > link.max_mtu
    too_small = bool(link.min_mtu) and mtu < link.min_mtu
    if too_big or too_small:
        raise IprouteError(
            f"interface {link.name} accepts an MTU from {link.min_mtu} to "
            f"{link.max_mtu}, not {mtu}"
        )
    rc, _out, err = run(["link", "set", "dev", link.name, "mtu", str(mtu)])
    if rc != 0:
        raise IprouteError(
            f"setting the MTU of interface {link.name} to {mtu} failed: "
            f"{err.strip()}"
        )


def default_uplink(run: Runner, family: str) -> tuple[str, int]:
    """The interface of the main table's default route and the MTU it allows.

    A route's own ``mtu`` metric, when lower than the interface's MTU, wins.
    """
    rc, data, err = _run_json(
        run, [_family_flag(family), "-j", "route", "show", "default", "table", "main"]
    )
    if rc != 0:
        raise IprouteError(f"the {family} default route cannot be read: {err}")
    routes = [r for r in data or [] if r.get("type", "unicast") == "unicast"]
    if not routes:
        raise IprouteError(
            f"there is no {family} default route to find the uplink by; "
            "set uplink or link_mtu"
        )
    route = min(routes, key=lambda r: r.get("metric", 0))
    if "dev" not in route:
        raise IprouteError(
            f"the {family} default route has several next hops; "
            "set uplink or link_mtu"
        )
    mtu = read_link(run, route["dev"]).mtu
    route_mtu = _metrics(route).get("mtu")
    if route_mtu:
        mtu = min(mtu, int(route_mtu))
    return route["dev"], mtu


def _metrics(route: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in route.get("metrics") or []:
        found.update(item)
    return found


def parse_prefix(prefix: str) -> tuple[str, str]:
    """``(normalized prefix, family)``; raises IprouteError for non-prefixes."""
    try:
        net = ipaddress.ip_network(str(prefix).strip(), strict=True)
    except ValueError as exc:
        raise IprouteError(f"route {prefix!r} is not a prefix: {exc}") from None
    return str(net), f"ipv{net.version}"


@dataclass(frozen=True)
class Route:
    """One route as ``ip -j -d route show`` and ``ip route show`` print it."""

    prefix: str
    family: str
    table: str
    attrs: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    @property
    def where(self) -> str:
        return f"the route to {self.prefix} in table {self.table}"

    @property
    def mtu(self) -> int | None:
        value = _metrics(self.attrs).get("mtu")
        return int(value) if value is not None else None

    @property
    def mtu_locked(self) -> bool:
        # `ip -j` leaves the lock flags out; the text form has "mtu lock N"
        return self._locked("mtu")

    def _locked(self, keyword: str) -> bool:
        return re.search(rf"\b{re.escape(keyword)} lock\b", self.text) is not None

    def replace_args(self, mtu: int, *, lock: bool) -> list[str]:
        """Arguments to ``ip`` that rewrite this route with a new MTU only."""
        attrs = self.attrs
        for key, what in (("nexthops", "several next hops"), ("encap", "an encap")):
            if key in attrs:
                raise IprouteError(
                    f"{self.where} has {what}; tunnel_mtu rewrites only routes "
                    "with one next hop"
                )

        args = [_family_flag(self.family), "route", "replace"]
        if attrs.get("type", "unicast") != "unicast":
            args.append(attrs["type"])
        args.append(self.prefix)
        tos = attrs.get("tos", attrs.get("dsfield"))
        if tos not in (None, "0", 0):
            args += ["tos", str(tos)]
        if "nhid" in attrs:
            args += ["nhid", str(attrs["nhid"])]
        else:
            if "gateway" in attrs:
                args += ["via", attrs["gateway"]]
            elif isinstance(attrs.get("via"), dict):
                via = attrs["via"]
                args += ["via", via.get("family", "inet"), via["host"]]
            if "dev" in attrs:
                args += ["dev", attrs["dev"]]
        for key, keyword in (
            ("protocol", "proto"),
            ("scope", "scope"),
            ("prefsrc", "src"),
            ("metric", "metric"),
            ("pref", "pref"),
        ):
            if key in attrs:
                args += [keyword, str(attrs[key])]
        if "onlink" in (attrs.get("flags") or []):
            args.append("onlink")
        args += ["table", self.table]

        for key, value in _metrics(self.attrs).items():
            if key == "mtu":
                continue
            keyword = _METRIC_KEYWORDS.get(key)
            if keyword is None:
                raise IprouteError(
                    f"{self.where} has the metric {key}, which tunnel_mtu "
                    "cannot carry over; set the MTU by hand"
                )
            args.append(keyword)
            if self._locked(keyword):
                args.append("lock")
            args.append(f"{value}ms" if key in _MILLISECONDS else str(value))
        args += ["mtu", "lock", str(mtu)] if lock else ["mtu", str(mtu)]
        return args


def read_route(run: Runner, prefix: str, table: str) -> Route:
    """The one route to exactly ``prefix`` in ``table``."""
    prefix, family = parse_prefix(prefix)
    flag = _family_flag(family)
    show = ["route", "show", "table", str(table), "exact", prefix]
    rc, data, err = _run_json(run, [flag, "-j", "-d", *show])
    if rc != 0 and "does not exist" not in err:
        raise IprouteError(
            f"the route to {prefix} in table {table} cannot be read: {err}"
        )
    if not data:
        raise IprouteError(
            f"there is no route to {prefix} in table {table}; strongSwan installs "
            "it when the tunnel comes up, so bring the tunnel up first"
        )
    if len(data) > 1:
        raise IprouteError(
            f"there are {len(data)} routes to {prefix} in table {table} "
            "(different metrics or TOS); tunnel_mtu changes one route only"
        )
    rc, text, err = run([flag, *show])
    if rc != 0:
        raise IprouteError(
            f"the route to {prefix} in table {table} cannot be read: {err}"
        )
    return Route(
        prefix=prefix, family=family, table=str(table), attrs=data[0], text=text
    )


def replace_route(run: Runner, route: Route, mtu: int, *, lock: bool) -> None:
    rc, _out, err = run(route.replace_args(mtu, lock=lock))
    if rc != 0:
        raise IprouteError(f"setting the MTU of {route.where} failed: {err.strip()}")

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing iproute2 output and rebuilding routes, on recorded ``ip`` output."""

from __future__ import annotations

import json

import pytest

from ansible_collections.swanfleet.ipsec.plugins.module_utils._iproute import (
    IprouteError,
    Link,
    Route,
    default_uplink,
    parse_prefix,
    read_link,
    read_route,
    set_link_mtu,
)


class FakeIp:
    """Answers ``ip`` commands from a table; records every command it was given."""

    def __init__(self, answers: dict[str, tuple[int, str, str]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, args: list[str]) -> tuple[int, str, str]:
        command = " ".join(args)
        self.calls.append(command)
        if command in self.answers:
            return self.answers[command]
        if " set " in command or " replace " in command:
            return 0, "", ""
        return 1, "", f"unexpected command: ip {command}"


def ok(data) -> tuple[int, str, str]:
    return 0, json.dumps(data), ""


TUN = {"ifname": "ipsec0", "mtu": 1500, "min_mtu": 68, "max_mtu": 65535}
UPLINK = {"ifname": "eth0", "mtu": 1492, "min_mtu": 68, "max_mtu": 9000}

STRONGSWAN_ROUTE = {
    "type": "unicast",
    "dst": "10.2.0.0/24",
    "gateway": "192.0.2.254",
    "dev": "eth0",
    "protocol": "static",
    "scope": "global",
    "prefsrc": "10.1.0.1",
    "flags": [],
}
STRONGSWAN_TEXT = "10.2.0.0/24 via 192.0.2.254 dev eth0 proto static src 10.1.0.1\n"

SHOW_220 = "route show table 220 exact 10.2.0.0/24"


def test_read_link():
    ip = FakeIp({"-j -d link show dev ipsec0": ok([TUN])})
    assert read_link(ip, "ipsec0") == Link("ipsec0", 1500, 68, 65535)


def test_read_missing_link():
    ip = FakeIp(
        {"-j -d link show dev ipsec9": (1, "", 'Device "ipsec9" does not exist.\n')}
    )
    with pytest.raises(IprouteError, match='interface ipsec9 .*"ipsec9" does not'):
        read_link(ip, "ipsec9")


def test_set_link_mtu():
    ip = FakeIp({})
    set_link_mtu(ip, Link("ipsec0", 1500, 68, 65535), 1438)
    assert ip.calls == ["link set dev ipsec0 mtu 1438"]


def test_set_link_mtu_out_of_range():
    ip = FakeIp({})
    with pytest.raises(IprouteError, match="ipsec0 accepts an MTU from 68 to 1400"):
        set_link_mtu(ip, Link("ipsec0", 1400, 68, 1400), 1438)
    assert ip.calls == []


def test_set_link_mtu_refused():
    ip = FakeIp({"link set dev xfrm0 mtu 1438": (2, "", "RTNETLINK answers: EPERM")})
    with pytest.raises(IprouteError, match="interface xfrm0 to 1438 failed: RTNET"):
        set_link_mtu(ip, Link("xfrm0", 1500), 1438)


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        ([{"dst": "default", "gateway": "192.0.2.254", "dev": "eth0"}], 1492),
        (
            [
                {"dst": "default", "dev": "wg0", "metric": 200},
                {"dst": "default", "dev": "eth0", "metric": 100},
            ],
            1492,
        ),
        (
            [{"dst": "default", "dev": "eth0", "metrics": [{"mtu": 1452}]}],
            1452,
        ),
        (
            [{"dst": "default", "dev": "eth0", "metrics": [{"mtu": 9000}]}],
            1492,
        ),
    ],
)
def test_default_uplink(routes, expected: int):
    ip = FakeIp(
        {
            "-4 -j route show default table main": ok(routes),
            "-j -d link show dev eth0": ok([UPLINK]),
        }
    )
    assert default_uplink(ip, "ipv4") == ("eth0", expected)


def test_no_default_route():
    ip = FakeIp({"-6 -j route show default table main": ok([])})
    with pytest.raises(IprouteError, match="no ipv6 default route .* set uplink"):
        default_uplink(ip, "ipv6")


def test_multipath_default_route():
    multipath = [{"dst": "default", "nexthops": [{"dev": "a"}, {"dev": "b"}]}]
    ip = FakeIp({"-4 -j route show default table main": ok(multipath)})
    with pytest.raises(IprouteError, match="several next hops; set uplink"):
        default_uplink(ip, "ipv4")


@pytest.mark.parametrize(
    ("prefix", "normalized", "family"),
    [
        ("10.2.0.0/24", "10.2.0.0/24", "ipv4"),
        ("10.2.0.7", "10.2.0.7/32", "ipv4"),
        (" 2001:DB8:2::/64", "2001:db8:2::/64", "ipv6"),
    ],
)
def test_parse_prefix(prefix: str, normalized: str, family: str):
    assert parse_prefix(prefix) == (normalized, family)


@pytest.mark.parametrize("prefix", ["10.2.0.1/24", "site-b", "10.2.0.0/33"])
def test_parse_bad_prefix(prefix: str):
    with pytest.raises(IprouteError, match=f"route '{prefix}' is not a prefix"):
        parse_prefix(prefix)


def test_read_route():
    ip = FakeIp(
        {
            f"-4 -j -d {SHOW_220}": ok([STRONGSWAN_ROUTE]),
            f"-4 {SHOW_220}": (0, STRONGSWAN_TEXT, ""),
        }
    )
    route = read_route(ip, "10.2.0.0/24", "220")
    assert (route.mtu, route.mtu_locked) == (None, False)
    assert route.where == "the route to 10.2.0.0/24 in table 220"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (ok([]), "no route to 10.2.0.0/24 in table 220; strongSwan installs"),
        (
            (2, "", "Error: ipv4: FIB table does not exist.\nDump terminated\n"),
            "no route to 10.2.0.0/24 in table 220",
        ),
        (
            ok([STRONGSWAN_ROUTE, dict(STRONGSWAN_ROUTE, metric=10)]),
            "2 routes to 10.2.0.0/24 in table 220",
        ),
        ((0, "10.2.0.0/24 via", ""), "printed no JSON"),
    ],
)
def test_read_route_problems(answer, message: str):
    ip = FakeIp({f"-4 -j -d {SHOW_220}": answer})
    with pytest.raises(IprouteError, match=message):
        read_route(ip, "10.2.0.0/24", "220")


def _route(attrs: dict, text: str = "", prefix: str = "10.2.0.0/24") -> Route:
    family = "ipv6" if ":" in prefix else "ipv4"
    return Route(prefix=prefix, family=family, table="220", attrs=attrs, text=text)


@pytest.mark.parametrize(
    ("attrs", "text", "mtu", "locked"),
    [
        (STRONGSWAN_ROUTE, STRONGSWAN_TEXT, None, False),
        (
            dict(STRONGSWAN_ROUTE, metrics=[{"mtu": 1438}]),
            "10.2.0.0/24 via 192.0.2.254 dev eth0 mtu lock 1438",
            1438,
            True,
        ),
        (
            dict(STRONGSWAN_ROUTE, metrics=[{"mtu": 1438}]),
            "10.2.0.0/24 via 192.0.2.254 dev eth0 mtu 1438",
            1438,
            False,
        ),
        (
            dict(STRONGSWAN_ROUTE, metrics=[{"mtu": 1400, "advmss": 1300}]),
            "10.2.0.0/24 dev eth0 mtu 1400 advmss lock 1300",
            1400,
            False,
        ),
    ],
)
def test_route_mtu(attrs: dict, text: str, mtu, locked: bool):
    route = _route(attrs, text)
    assert (route.mtu, route.mtu_locked) == (mtu, locked)


def test_replace_keeps_the_route():
    args = _route(STRONGSWAN_ROUTE, STRONGSWAN_TEXT).replace_args(1438, lock=True)
    assert " ".join(args) == (
        "-4 route replace 10.2.0.0/24 via 192.0.2.254 dev eth0 proto static "
        "scope global src 10.1.0.1 table 220 mtu lock 1438"
    )


def test_replace_without_lock():
    args = _route(STRONGSWAN_ROUTE, STRONGSWAN_TEXT).replace_args(1438, lock=False)
    assert args[-2:] == ["mtu", "1438"]


def test_replace_libipsec_route():
    attrs = {
        "type": "unicast",
        "dst": "10.2.0.0/24",
        "dev": "ipsec0",
        "protocol": "static",
        "scope": "link",
        "prefsrc": "10.1.0.1",
        "flags": [],
        "metrics": [{"mtu": 1400}],
    }
    args = _route(attrs, "10.2.0.0/24 dev ipsec0 mtu 1400").replace_args(
        1438, lock=True
    )
    assert " ".join(args) == (
        "-4 route replace 10.2.0.0/24 dev ipsec0 proto static scope link "
        "src 10.1.0.1 table 220 mtu lock 1438"
    )


def test_replace_keeps_metrics_and_their_locks():
    attrs = dict(
        STRONGSWAN_ROUTE,
        metric=5,
        flags=["onlink"],
        metrics=[{"mtu": 1400, "rtt": 30, "advmss": 1300, "congestion": "cubic"}],
    )
    text = (
        "10.2.0.0/24 via 192.0.2.254 dev eth0 proto static src 10.1.0.1 metric 5 "
        "onlink mtu 1400 rtt 30ms advmss lock 1300 congctl cubic"
    )
    args = _route(attrs, text).replace_args(1438, lock=True)
    assert " ".join(args) == (
        "-4 route replace 10.2.0.0/24 via 192.0.2.254 dev eth0 proto static "
        "scope global src 10.1.0.1 metric 5 onlink table 220 "
        "rtt 30ms advmss lock 1300 congctl cubic mtu lock 1438"
    )


def test_replace_ipv6_route():
    attrs = {
        "type": "unicast",
        "dst": "2001:db8:2::/64",
        "gateway": "2001:db8::fe",
        "dev": "eth0",
        "protocol": "static",
        "metric": 1024,
        "flags": [],
        "pref": "medium",
    }
    args = _route(attrs, "", prefix="2001:db8:2::/64").replace_args(1418, lock=True)
    assert " ".join(args) == (
        "-6 route replace 2001:db8:2::/64 via 2001:db8::fe dev eth0 proto static "
        "metric 1024 pref medium table 220 mtu lock 1418"
    )


def test_replace_nexthop_object_and_other_types():
    attrs = {"type": "throw", "dst": "10.2.0.0/24", "nhid": 7, "tos": "0x10"}
    args = _route(attrs).replace_args(1438, lock=True)
    assert " ".join(args) == (
        "-4 route replace throw 10.2.0.0/24 tos 0x10 nhid 7 table 220 mtu lock 1438"
    )


def test_replace_ipv6_gateway_of_an_ipv4_route():
    attrs = {"dst": "10.2.0.0/24", "via": {"family": "inet6", "host": "fe80::1"}}
    args = _route(dict(attrs, dev="eth0")).replace_args(1438, lock=True)
    assert args[3:8] == ["10.2.0.0/24", "via", "inet6", "fe80::1", "dev"]


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        (
            {"nexthops": [{"gateway": "192.0.2.253"}, {"gateway": "192.0.2.254"}]},
            "10.2.0.0/24 in table 220 has several next hops",
        ),
        (
            {"encap": "mpls", "dev": "eth0"},
            "10.2.0.0/24 in table 220 has an encap",
        ),
        (
            {"dev": "eth0", "metrics": [{"features": ["ecn"]}]},
            "has the metric features",
        ),
    ],
)
def test_replace_refuses(attrs: dict, message: str):
    with pytest.raises(IprouteError, match=message):
        _route(attrs).replace_args(1438, lock=True)

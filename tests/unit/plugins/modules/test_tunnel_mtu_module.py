# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tunnel_mtu module: its logic on recorded ``ip`` output, then for real.

The real runs need root: each builds a throwaway network namespace with a veth
uplink, a TUN device like strongSwan's ``ipsec0`` and a route in table 220 as
strongSwan installs it, runs the module inside it and deletes it again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.swanfleet.ipsec.plugins.module_utils._iproute import (
    IprouteError,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._mtu import (
    MtuTooSmallError,
)
from ansible_collections.swanfleet.ipsec.plugins.modules.tunnel_mtu import _apply

MODULE = "ansible_collections.swanfleet.ipsec.plugins.modules.tunnel_mtu"


class FakeIp:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, args: list[str]) -> tuple[int, str, str]:
        command = " ".join(args)
        self.calls.append(command)
        if command in self.answers:
            answer = self.answers[command]
            return 0, answer if isinstance(answer, str) else json.dumps(answer), ""
        if " set " in command or " replace " in command:
            return 0, "", ""
        return 1, "", f"no answer for ip {command}"

    @property
    def writes(self) -> list[str]:
        return [c for c in self.calls if " set " in c or " replace " in c]


def params(**given: Any) -> dict[str, Any]:
    defaults = {
        "proposal": ["aes256gcm16-ecp384"],
        "udp_encap": False,
        "outer_family": "ipv4",
        "inner_family": None,
        "link_mtu": None,
        "path_mtu": None,
        "uplink": None,
        "interface": None,
        "routes": None,
        "table": "main",
        "lock": True,
        "dataplane": "kernel",
    }
    return dict(defaults, **given)


UPLINK = {
    "-4 -j route show default table main": [{"dst": "default", "dev": "eth0"}],
    "-j -d link show dev eth0": [{"ifname": "eth0", "mtu": 1500}],
}


def tun(mtu: int) -> dict[str, Any]:
    return {"-j -d link show dev ipsec0": [{"ifname": "ipsec0", "mtu": mtu}]}


def table_220(prefix: str, text: str, metrics: list | None = None) -> dict[str, Any]:
    route = {"dst": prefix, "gateway": "192.0.2.254", "dev": "eth0", "flags": []}
    if metrics:
        route["metrics"] = metrics
    show = f"route show table 220 exact {prefix}"
    return {f"-4 -j -d {show}": [route], f"-4 {show}": text}


def test_interface_from_the_default_route():
    ip = FakeIp({**UPLINK, **tun(1400)})
    result = _apply(ip, params(interface="ipsec0", udp_encap=True), check_mode=False)
    assert ip.writes == ["link set dev ipsec0 mtu 1438"]
    assert result["changed"] is True
    assert result["mtu"] == 1438
    assert result["link_mtu"] == 1500
    assert result["mss_ipv4"] == 1398
    assert result["mss_ipv6"] == 1378
    assert result["overhead"] == 62
    assert result["diff"] == {
        "before": {"interface": "ipsec0", "mtu": 1400},
        "after": {"interface": "ipsec0", "mtu": 1438},
    }


@pytest.mark.parametrize(
    ("before", "given", "after", "limited_by"),
    [
        # 1438 fits the path, the userspace ESP device carries 1400: left alone
        (1400, {}, None, "dataplane"),
        # a device opened wider than it carries is brought back
        (1438, {}, 1400, "dataplane"),
        # a narrower path lowers it
        (1400, {"path_mtu": 1400}, 1338, "path"),
    ],
)
def test_userspace_esp_device(before, given, after, limited_by):
    ip = FakeIp({**UPLINK, **tun(before)})
    result = _apply(
        ip, params(interface="ipsec0", dataplane="libipsec", **given), check_mode=False
    )
    assert result["limited_by"] == limited_by
    assert result["changed"] is (after is not None)
    assert ip.writes == ([f"link set dev ipsec0 mtu {after}"] if after else [])
    assert result["mtu"] == (after or before)
    assert result["overhead"] == 62


def test_interface_check_mode_changes_nothing():
    ip = FakeIp({**UPLINK, **tun(1400)})
    result = _apply(ip, params(interface="ipsec0"), check_mode=True)
    assert result["changed"] is True
    assert ip.writes == []


def test_interface_already_right():
    ip = FakeIp({**UPLINK, **tun(1446)})
    result = _apply(ip, params(interface="ipsec0"), check_mode=False)
    assert result["changed"] is False
    assert ip.writes == []


@pytest.mark.parametrize(
    ("given", "mtu"),
    [
        ({"link_mtu": 1492}, 1438),
        ({"path_mtu": 1460}, 1406),
        ({"link_mtu": 1500, "path_mtu": 1460}, 1406),
        ({"uplink": "ppp0"}, 1438),
    ],
)
def test_link_mtu_sources(given: dict[str, Any], mtu: int):
    ip = FakeIp({"-j -d link show dev ppp0": [{"mtu": 1492}], **tun(1500)})
    result = _apply(ip, params(interface="ipsec0", **given), check_mode=True)
    assert result["mtu"] == mtu
    assert not any("route show default" in c for c in ip.calls)


def test_routes_replaced_with_lock():
    ip = FakeIp(
        {
            **UPLINK,
            **table_220("10.2.0.0/24", "10.2.0.0/24 via 192.0.2.254 dev eth0"),
            **table_220(
                "10.3.0.0/24",
                "10.3.0.0/24 via 192.0.2.254 dev eth0 mtu lock 1438",
                [{"mtu": 1438}],
            ),
        }
    )
    result = _apply(
        ip,
        params(
            routes=["10.2.0.0/24", "10.3.0.0/24"],
            table="220",
            proposal=["aes256-sha256"],
        ),
        check_mode=False,
    )
    replace = "route replace 10.2.0.0/24 via 192.0.2.254 dev eth0 table 220"
    assert ip.writes == [f"-4 {replace} mtu lock 1438"]
    assert result["changed"] is True
    assert result["diff"]["before"]["routes"] == {
        "10.2.0.0/24": {"mtu": None, "lock": False},
        "10.3.0.0/24": {"mtu": 1438, "lock": True},
    }
    assert result["diff"]["after"]["routes"] == {
        "10.2.0.0/24": {"mtu": 1438, "lock": True},
        "10.3.0.0/24": {"mtu": 1438, "lock": True},
    }


def test_unlocked_route_is_locked():
    ip = FakeIp(
        {
            **table_220(
                "10.2.0.0/24",
                "10.2.0.0/24 via 192.0.2.254 dev eth0 mtu 1446",
                [{"mtu": 1446}],
            )
        }
    )
    result = _apply(
        ip,
        params(routes=["10.2.0.0/24"], table="220", link_mtu=1500),
        check_mode=True,
    )
    assert result["changed"] is True
    assert ip.writes == []


def test_a_missing_route_changes_no_other():
    ip = FakeIp(
        {
            **table_220("10.2.0.0/24", "10.2.0.0/24 via 192.0.2.254 dev eth0"),
            "-4 -j -d route show table 220 exact 10.3.0.0/24": [],
        }
    )
    with pytest.raises(IprouteError, match="no route to 10.3.0.0/24 in table 220"):
        _apply(
            ip,
            params(routes=["10.2.0.0/24", "10.3.0.0/24"], table="220", link_mtu=1500),
            check_mode=False,
        )
    assert ip.writes == []


def test_inner_family_follows_the_routes():
    ip = FakeIp({**table_220("10.2.0.0/24", "10.2.0.0/24 via 192.0.2.254 dev eth0")})
    ipv4_only = params(routes=["10.2.0.0/24"], table="220", link_mtu=1280)
    assert _apply(ip, ipv4_only, check_mode=True)["mtu"] == 1226
    with pytest.raises(MtuTooSmallError, match="ipv6 minimum of 1280"):
        _apply(ip, dict(ipv4_only, inner_family="both"), check_mode=True)
    with pytest.raises(MtuTooSmallError, match="ipv6 minimum of 1280"):
        _apply(
            FakeIp(tun(1500)),
            params(interface="ipsec0", link_mtu=1280),
            check_mode=True,
        )


# the real thing, in a network namespace


# a veth uplink, strongSwan's TUN device and a route as strongSwan installs it
LAB = (
    "link add up0 type veth peer name up1",
    "link set up0 up",
    "link set up1 up",
    "addr add 192.0.2.1/24 dev up0",
    "route add default via 192.0.2.254",
    "tuntap add dev ipsec0 mode tun",
    (
        "route add 10.2.0.0/24 via 192.0.2.254 dev up0 proto static src 192.0.2.1 "
        "table 220 advmss lock 1300 rtt 30ms"
    ),
)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def netns():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    name = f"swanfleet-mtu-{os.getpid()}"
    try:
        _ip("netns", "add", name)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot create a network namespace: {exc}")
    try:
        for command in LAB:
            _ip("-n", name, *command.split())
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def run_module(
    ns: str, tmp_path: Path, args: dict[str, Any], *, check: bool = False
) -> dict[str, Any]:
    argsfile = tmp_path / "args.json"
    module_args = dict(args, _ansible_check_mode=check, _ansible_diff=True)
    argsfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-m", MODULE, str(argsfile)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return json.loads(proc.stdout)


def _show(ns: str, *args: str) -> str:
    return subprocess.run(
        ["ip", "-n", ns, *args], check=True, capture_output=True, text=True
    ).stdout


def test_tun_device_for_real(netns: str, tmp_path: Path):
    args = {"interface": "ipsec0", "proposal": "aes256gcm16-ecp384", "udp_encap": True}

    checked = run_module(netns, tmp_path, args, check=True)
    assert checked["changed"] is True
    assert checked["diff"]["before"]["mtu"] == 1500
    assert '"mtu":1500' in _show(netns, "-j", "link", "show", "ipsec0")

    applied = run_module(netns, tmp_path, args)
    assert (applied["changed"], applied["mtu"], applied["link_mtu"]) == (
        True,
        1438,
        1500,
    )
    assert '"mtu":1438' in _show(netns, "-j", "link", "show", "ipsec0")

    again = run_module(netns, tmp_path, args)
    assert again["changed"] is False


def test_strongswan_route_for_real(netns: str, tmp_path: Path):
    args = {
        "routes": ["10.2.0.0/24"],
        "table": "220",
        "proposal": ["aes256gcm16-ecp384", "aes256-sha256-ecp384"],
    }

    checked = run_module(netns, tmp_path, args, check=True)
    assert checked["changed"] is True
    assert "mtu" not in _show(netns, "route", "show", "table", "220")

    applied = run_module(netns, tmp_path, args)
    assert (applied["changed"], applied["mtu"]) == (True, 1438)
    route = _show(netns, "route", "show", "table", "220")
    assert route.split() == [
        "10.2.0.0/24",
        "via",
        "192.0.2.254",
        "dev",
        "up0",
        "proto",
        "static",
        "src",
        "192.0.2.1",
        "mtu",
        "lock",
        "1438",
        "rtt",
        "30ms",
        "advmss",
        "lock",
        "1300",
    ]

    assert run_module(netns, tmp_path, args)["changed"] is False


def test_failures_name_what_failed(netns: str, tmp_path: Path):
    missing = run_module(
        netns, tmp_path, {"interface": "xfrm9", "proposal": "aes256gcm16"}
    )
    assert missing["failed"] is True
    assert "interface xfrm9" in missing["msg"]

    no_route = run_module(
        netns,
        tmp_path,
        {"routes": ["10.9.0.0/24"], "table": "220", "proposal": "aes256gcm16"},
    )
    assert "no route to 10.9.0.0/24 in table 220" in no_route["msg"]

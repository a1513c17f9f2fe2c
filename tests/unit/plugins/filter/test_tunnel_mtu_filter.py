# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tunnel_mtu filter: arguments as Jinja passes them, errors as Ansible shows them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.swanfleet.ipsec.plugins.filter.tunnel_mtu import (
    FilterModule,
    tunnel_mtu_filter,
)


def test_registered():
    assert FilterModule().filters()["tunnel_mtu"] is tunnel_mtu_filter


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((1500, "aes256gcm16"), {}, (1446, 54, 1406, 1386, "path")),
        ((1500, "aes256gcm16"), {"udp_encap": True}, (1438, 62, 1398, 1378, "path")),
        (
            (1500, "aes256-sha256"),
            {"udp_encap": "yes"},
            (1422, 78, 1382, 1362, "path"),
        ),
        (
            ("1492", ["aes256gcm16", "aes256-sha512"]),
            {},
            (1406, 86, 1366, 1346, "path"),
        ),
        (
            (1500, "chacha20poly1305"),
            {"outer_family": "ipv6"},
            (1426, 74, 1386, 1366, "path"),
        ),
        (
            (1280, "aes128-sha1"),
            {"inner_family": "ipv4"},
            (1214, 66, 1174, 1154, "path"),
        ),
        # userspace ESP: in UDP without being told, 1400 bytes at most
        (
            (1500, "aes256gcm16"),
            {"dataplane": "libipsec"},
            (1400, 62, 1360, 1340, "dataplane"),
        ),
        (
            (1400, "aes256gcm16"),
            {"dataplane": "libipsec"},
            (1338, 62, 1298, 1278, "path"),
        ),
    ],
)
def test_values(args: tuple, kwargs: dict, expected: tuple):
    result = tunnel_mtu_filter(*args, **kwargs)
    keys = ("mtu", "overhead", "mss_ipv4", "mss_ipv6", "limited_by")
    assert result == dict(zip(keys, expected, strict=True))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1500, "aes256gcm17"), {}, "unknown ESP algorithm 'aes256gcm17'"),
        ((1280, "aes256gcm16"), {}, "below the ipv6 minimum of 1280"),
        ((1500, "aes256gcm16"), {"udp_encap": "maybe"}, "maybe"),
        ((1500, "aes256gcm16"), {"outer_family": "ipx"}, "outer family is 'ipx'"),
        ((1500, "aes256gcm16"), {"inner_family": "ipx"}, "inner family is 'ipx'"),
        (("mtu", "aes256gcm16"), {}, "link MTU 'mtu' is not a number"),
    ],
)
def test_errors(args: tuple, kwargs: dict, message: str):
    with pytest.raises(AnsibleFilterError, match=message):
        tunnel_mtu_filter(*args, **kwargs)

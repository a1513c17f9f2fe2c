# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading swanctl --list-sas --pretty, as strongSwan 5.9 prints it."""

from __future__ import annotations

import pytest

from ansible_collections.swanfleet.ipsec.plugins.module_utils._swanctl import (
    SwanctlParseError,
    ike_sas,
    parse_pretty,
)

LIST_SAS = """\
list-sa event {
  site-a--site-b {
    uniqueid = 3
    version = 2
    state = ESTABLISHED
    local-host = 100.64.2.10
    local-port = 4500
    local-id = gw-b.lab.swanfleet.example
    remote-host = 198.51.100.10
    remote-port = 4500
    remote-id = C=CH, O=strongSwan, CN=gw-a
    nat-local = yes
    nat-remote = yes
    nat-any = yes
    encr-alg = AES_GCM_16
    encr-keysize = 256
    prf-alg = PRF_HMAC_SHA2_384
    dh-group = ECP_384
    established = 12
    child-sas {
      site-a--site-b-2 {
        name = site-a--site-b
        state = INSTALLED
        mode = TUNNEL
        protocol = ESP
        encap = yes
        encr-alg = AES_GCM_16
        encr-keysize = 256
        bytes-in = 168
        packets-in = 2
        bytes-out = 252
        packets-out = 3
        local-ts = [
          10.2.0.0/24
        ]
        remote-ts = [
          10.1.0.0/24
          10.11.0.0/24
        ]
      }
    }
  }
}
list-sas reply {
}
"""


def test_ike_sa_with_child_and_counters() -> None:
    (sa,) = ike_sas(LIST_SAS)
    assert sa["name"] == "site-a--site-b"
    assert sa["state"] == "ESTABLISHED"
    assert sa["nat_local"] and sa["nat_remote"]
    assert sa["remote_id"] == "C=CH, O=strongSwan, CN=gw-a"
    assert sa["proposal"] == "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384"
    (child,) = sa["children"]
    assert child["udp_encap"] is True
    assert (child["packets_in"], child["packets_out"]) == (2, 3)
    assert child["remote_ts"] == ["10.1.0.0/24", "10.11.0.0/24"]


def test_no_sas_gives_an_empty_list() -> None:
    assert ike_sas("list-sas reply {\n}\n") == []


@pytest.mark.parametrize(
    "text",
    ["a {\n  b = 1\n", "}\n", "a {\n  what is this\n}\n", "a {\n  l = [\n    x {\n"],
)
def test_malformed_output_is_reported(text: str) -> None:
    with pytest.raises(SwanctlParseError):
        parse_pretty(text)

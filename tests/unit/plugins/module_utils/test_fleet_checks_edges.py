# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edges of the fleet checks: spellings of weak algorithms, identities that differ
only in case, keys counted in bytes, and fleets large enough to be slow."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fleets import three_sites

from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
    FleetError,
    Problem,
    plan_fleet,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._proposals import (
    weak_algorithms,
)


def problems(fleet: dict[str, dict[str, Any]]) -> list[Problem]:
    with pytest.raises(FleetError) as info:
        plan_fleet(fleet)
    return info.value.problems


@pytest.mark.parametrize(
    ("proposal", "ike", "reason"),
    [
        ("3DES-SHA256-MODP2048", True, "3DES encryption"),
        ("des-sha256-modp2048", False, "DES encryption"),
        ("aes256-sha256-prfmd5-ecp256", True, "MD5 as PRF"),
        ("aes256-md5_128-modp2048", False, "MD5 integrity"),
        ("aes256-sha256-modp1024s160", False, "the 1024-bit MODP group"),
        ("aes256gcm16-ecp256-ke1_modp1024", True, "the 1024-bit MODP group"),
        ("aes256-sha1-prfsha1-ecp256", True, "SHA-1 as PRF"),
    ],
)
def test_weak_algorithms_in_every_spelling(
    proposal: str, ike: bool, reason: str
) -> None:
    assert reason in weak_algorithms(proposal, ike=ike)


@pytest.mark.parametrize(
    ("proposal", "ike"),
    [
        ("default", True),
        ("aes256gcm16-prfsha384-ecp384", True),
        ("aes256-sha256-modp2048", True),
        ("aes128-sha1-modp2048", False),  # HMAC-SHA1-96 for ESP integrity is fine
        ("aes256-sha256-modp1536", False),
    ],
)
def test_strong_enough_proposals_pass(proposal: str, ike: bool) -> None:
    assert weak_algorithms(proposal, ike=ike) == []


def test_identities_differing_only_in_case_are_duplicates() -> None:
    fleet = three_sites()
    fleet["gw-b"]["swanfleet_identity"] = "GW-A.Example.NET"
    found = problems(fleet)
    dup = [p for p in found if p.variable == "swanfleet_identity"]
    assert [p.host for p in dup] == ["gw-b"]
    assert "also the identity of gw-a" in dup[0].message
    assert "unique identity" in dup[0].fix


def test_an_endpoint_taken_as_identity_can_collide() -> None:
    fleet = three_sites()
    fleet["gw-b"]["swanfleet_identity"] = "198.51.100.12"
    dup = [p for p in problems(fleet) if p.variable == "swanfleet_identity"]
    assert dup and "also the identity of" in dup[0].message


def test_a_key_is_measured_in_bytes_not_characters() -> None:
    fleet = three_sites()
    # ten characters, twenty bytes in UTF-8: long enough
    fleet["gw-a"]["gateway_psks"] = {"site-a--site-c": "é" * 10}
    plan_fleet(fleet)
    # nineteen bytes: too short
    fleet["gw-a"]["gateway_psks"] = {"site-a--site-c": "é" * 9 + "x"}
    found = [p for p in problems(fleet) if p.variable.startswith("gateway_psks")]
    assert [p.host for p in found] == ["gw-a"]
    assert "shorter than 20 bytes" in found[0].message


def test_an_overlap_in_a_large_fleet_names_both_sites() -> None:
    fleet = {
        f"gw-{i}": {
            "swanfleet_site": f"site-{i}",
            "swanfleet_site_subnets": [f"10.{i}.0.0/24"],
            "swanfleet_endpoint": f"198.51.100.{i}",
        }
        for i in range(1, 101)
    }
    fleet["gw-77"]["swanfleet_site_subnets"] = ["10.12.0.0/23"]
    found = problems(fleet)
    assert len(found) == 1
    p = found[0]
    assert p.host == "gw-77" and p.variable == "swanfleet_site_subnets"
    assert "overlaps 10.12.0.0/24 of gw-12 (site site-12)" in p.message


def test_planning_a_hundred_site_mesh_is_quick() -> None:
    fleet = {
        f"gw-{i}": {
            "swanfleet_site": f"site-{i}",
            "swanfleet_site_subnets": [f"10.{i}.0.0/24"],
            "swanfleet_endpoint": f"198.51.100.{i}",
        }
        for i in range(1, 101)
    }
    started = time.monotonic()
    plan = plan_fleet(fleet)
    elapsed = time.monotonic() - started
    assert len(plan.tunnels["gw-1"]) == 99
    # the checks compare every pair of sites: 4950 pairs, well under a second here
    assert elapsed < 5, elapsed

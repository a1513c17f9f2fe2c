# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn tunnel status into the verification report.

tunnel_rows pairs the planned tunnels of one gateway with its tunnel_status
before and after the probes: one row per tunnel end with state, proposal, NAT,
MTU, and the packets and bytes counted while the probes ran. tunnel_table and
ping_table format rows for people. counters_delta subtracts two readings of
netfilter_counters.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.swanfleet.ipsec.plugins.module_utils._netfilter import (
    counters_delta,
)


def _installed_child(sa: dict[str, Any]) -> dict[str, Any]:
    for child in sa.get("children") or []:
        if child.get("state") == "INSTALLED":
            return child
    return {}


def _delta(now: dict[str, Any], before: dict[str, Any], key: str) -> int:
    return int(now.get(key, 0)) - int(before.get(key, 0))


def tunnel_rows(
    planned: list[dict[str, Any]],
    before: dict[str, Any],
    after: dict[str, Any],
    gateway: str,
) -> list[dict[str, Any]]:
    rows = []
    for tunnel in planned:
        name = tunnel["name"]
        sa = (after.get("tunnels") or {}).get(name) or {}
        child = _installed_child(sa)
        old = _installed_child((before.get("tunnels") or {}).get(name) or {})
        # a rekey between the two readings starts the counters again
        same_child = old and old.get("proposal") == child.get("proposal")
        d_in = child.get("packets_in", 0) - (
            old.get("packets_in", 0) if same_child else 0
        )
        d_out = child.get("packets_out", 0) - (
            old.get("packets_out", 0) if same_child else 0
        )
        rows.append(
            {
                "tunnel": name,
                "gateway": gateway,
                "end": f"{name}@{gateway}",
                "up": sa.get("state") == "ESTABLISHED" and bool(child),
                "state": f"{sa.get('state', 'DOWN')}/{child.get('state', 'none')}",
                "proposal": child.get("proposal", "-"),
                "nat": sa.get("nat_local", False) or sa.get("nat_remote", False),
                "udp_encap": child.get("udp_encap", False),
                "mtu": after.get("dataplane_mtu"),
                "packets_in": max(d_in, 0),
                "packets_out": max(d_out, 0),
                "bytes_in": max(
                    _delta(child, old if same_child else {}, "bytes_in"), 0
                ),
                "bytes_out": max(
                    _delta(child, old if same_child else {}, "bytes_out"), 0
                ),
                "carried": d_in > 0 and d_out > 0,
            }
        )
    return rows


def tunnel_table(rows: list[dict[str, Any]]) -> list[str]:
    fmt = "{:<24} {:<8} {:<4} {:<22} {:<26} {:<4} {:<5} {:>7} {:>7} {:>9} {:>9}"
    lines = [
        fmt.format(
            "tunnel",
            "gateway",
            "up",
            "IKE/CHILD state",
            "ESP proposal",
            "NAT",
            "MTU",
            "pkt in",
            "pkt out",
            "bytes in",
            "bytes out",
        )
    ]
    for r in sorted(rows, key=lambda r: (r["tunnel"], r["gateway"])):
        lines.append(
            fmt.format(
                r["tunnel"],
                r["gateway"],
                "yes" if r["up"] else "NO",
                r["state"],
                r["proposal"],
                "yes" if r["nat"] else "no",
                r["mtu"] or "-",
                r["packets_in"],
                r["packets_out"],
                r["bytes_in"],
                r["bytes_out"],
            )
        )
    return lines


def ping_table(pings: list[dict[str, Any]]) -> list[str]:
    lines = []
    for p in sorted(pings, key=lambda p: (p["source_site"], p["target_site"])):
        verdict = "ok  " if p["ok"] else "FAIL"
        lines.append(
            f"{verdict} {p['source']} ({p['source_site']}) -> {p['target']} "
            f"({p['target_site']}) {p['address']}: {p['summary']}"
        )
    return lines


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "tunnel_rows": tunnel_rows,
            "tunnel_table": tunnel_table,
            "ping_table": ping_table,
            "counters_delta": counters_delta,
        }

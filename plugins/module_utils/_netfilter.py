# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the counters of the rules the netfilter role owns.

nftables: named counter objects of table ``inet swanfleet``.
iptables: rules in ``SWANFLEET-*`` chains whose comment is ``swanfleet: NAME``;
rules sharing a name are added up, so each name reads the same in both backends.
"""

from __future__ import annotations

import json
import re
from typing import Any

_IPT_RULE = re.compile(
    r"^\[(?P<packets>\d+):(?P<bytes>\d+)\] -A SWANFLEET-\S+ .*"
    r'--comment "?swanfleet: (?P<name>[A-Za-z0-9_]+)"?'
)


class CountersParseError(ValueError):
    """The firewall printed something this module cannot read."""


def nft_counters(text: str) -> dict[str, dict[str, int]]:
    """Counters from ``nft -j list counters table inet swanfleet``."""
    try:
        items = json.loads(text)["nftables"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CountersParseError(f"not nft JSON output: {exc}") from exc
    result: dict[str, dict[str, int]] = {}
    for item in items:
        counter = item.get("counter") if isinstance(item, dict) else None
        if counter and counter.get("table") == "swanfleet":
            result[counter["name"]] = {
                "packets": int(counter.get("packets", 0)),
                "bytes": int(counter.get("bytes", 0)),
            }
    return result


def iptables_counters(text: str) -> dict[str, dict[str, int]]:
    """Counters from ``iptables-save -c``, summed by the rules' swanfleet names."""
    result: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        match = _IPT_RULE.match(line)
        if not match:
            continue
        entry = result.setdefault(match["name"], {"packets": 0, "bytes": 0})
        entry["packets"] += int(match["packets"])
        entry["bytes"] += int(match["bytes"])
    return result


def counters_delta(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> dict[str, dict[str, int]]:
    """What each counter counted between two readings (a new counter starts at 0)."""
    return {
        name: {
            key: int(now.get(key, 0)) - int(before.get(name, {}).get(key, 0))
            for key in ("packets", "bytes")
        }
        for name, now in after.items()
    }

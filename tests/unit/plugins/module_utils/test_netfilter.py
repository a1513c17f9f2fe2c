# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the netfilter role's counters from nft and iptables-save output."""

from __future__ import annotations

import json

import pytest

from ansible_collections.swanfleet.ipsec.plugins.module_utils._netfilter import (
    CountersParseError,
    counters_delta,
    iptables_counters,
    nft_counters,
)


def test_nft_named_counters_of_our_table_only() -> None:
    text = json.dumps(
        {
            "nftables": [
                {"metainfo": {"version": "1.0.6"}},
                {
                    "counter": {
                        "table": "swanfleet",
                        "name": "ipsec_exempt",
                        "packets": 12,
                        "bytes": 1008,
                    }
                },
                {
                    "counter": {
                        "table": "other",
                        "name": "ipsec_exempt",
                        "packets": 99,
                        "bytes": 99,
                    }
                },
            ]
        }
    )
    assert nft_counters(text) == {"ipsec_exempt": {"packets": 12, "bytes": 1008}}


def test_nft_garbage_is_reported() -> None:
    with pytest.raises(CountersParseError):
        nft_counters("Error: No such file or directory")


def test_iptables_rules_sharing_a_name_add_up() -> None:
    text = "\n".join(
        [
            "*nat",
            ":SWANFLEET-POSTROUTING - [0:0]",
            '[5:420] -A SWANFLEET-POSTROUTING -s 10.1.0.0/24 -d 10.2.0.0/24 -m policy --dir out --pol ipsec -m comment --comment "swanfleet: ipsec_exempt" -j ACCEPT',
            '[7:588] -A SWANFLEET-POSTROUTING -o ipsec0 -s 10.1.0.0/24 -d 10.2.0.0/24 -m comment --comment "swanfleet: ipsec_exempt" -j ACCEPT',
            '[3:252] -A SWANFLEET-POSTROUTING -o wan0 -s 10.1.0.0/24 -m comment --comment "swanfleet: lan_masquerade" -j MASQUERADE',
            '[1:84] -A POSTROUTING -s 10.1.0.0/24 ! -o lan0 -m comment --comment "swanfleet: impostor" -j MASQUERADE',
            "COMMIT",
        ]
    )
    assert iptables_counters(text) == {
        "ipsec_exempt": {"packets": 12, "bytes": 1008},
        "lan_masquerade": {"packets": 3, "bytes": 252},
    }


def test_delta_counts_new_counters_from_zero() -> None:
    before = {"a": {"packets": 2, "bytes": 20}}
    after = {"a": {"packets": 5, "bytes": 50}, "b": {"packets": 1, "bytes": 10}}
    assert counters_delta(before, after) == {
        "a": {"packets": 3, "bytes": 30},
        "b": {"packets": 1, "bytes": 10},
    }

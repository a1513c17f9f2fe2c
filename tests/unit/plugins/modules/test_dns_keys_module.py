# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dns_keys module's documentation says what its argument spec does.

Its behaviour against a real server is in ``tests/integration/dns``.
"""

from __future__ import annotations

import yaml

from ansible_collections.swanfleet.ipsec.plugins.modules import dns_keys


def test_documented_options_match_the_argument_spec() -> None:
    documented = yaml.safe_load(dns_keys.DOCUMENTATION)["options"]

    assert set(documented) == set(dns_keys.ARGUMENT_SPEC)
    for name, spec in dns_keys.ARGUMENT_SPEC.items():
        doc = documented[name]
        assert doc["type"] == spec["type"], name
        assert doc.get("required", False) == spec.get("required", False), name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("choices") == spec.get("choices"), name
        assert doc.get("elements") == spec.get("elements"), name


def test_only_the_secret_is_hidden() -> None:
    hidden = {n for n, s in dns_keys.ARGUMENT_SPEC.items() if s.get("no_log")}
    assert hidden == {"tsig_secret"}


def test_examples_and_return_are_yaml() -> None:
    assert yaml.safe_load(dns_keys.EXAMPLES)
    assert set(yaml.safe_load(dns_keys.RETURN)) == {
        "updates_sent",
        "trial_updates_sent",
        "zones",
    }

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ipseckey`` lookup validating with DNSSEC against a real BIND 9.

The trust anchors are taken from the running server: DS records made by
``dnssec-dsfromkey`` from the key files ``named`` wrote for the zones it signs
inline (or ``dnssec-keygen`` wrote for the pre-signed ones), or the DNSKEY
records it serves. Forged data is served by ``named`` itself: a zone signed with
``dnssec-signzone`` whose record was changed in the signed file afterwards,
and a zone signed with signatures that expired long ago.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import dns.rcode
import dns.rdatatype
import dns.zonefile
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from named_server import (
    DSFROMKEY,
    EXPIRED,
    FORWARD,
    KEYGEN,
    PARENT,
    PRESIGNED,
    SIGNED_REVERSE4,
    Named,
)
from test_dns_keys import _ansible_copy, fqdn, pem, run

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnssec import (
    AnchorMismatch,
    BadSignature,
    ChainBroken,
    DsMismatch,
    SignatureExpired,
    Validator,
    parse_trust_anchor,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnsupdate import (
    Server,
    lookup_ipseckeys,
)

INTACT_PEM_KEY = "Jzgq3x8BoBsB0gwUVqaMu4ud2vJHsqoQ9JMJIC7aDu4="


@pytest.fixture(scope="module")
def ed_key() -> Any:
    return ed25519.Ed25519PrivateKey.generate()


def lookup(named: Named, target: str, *anchors: str) -> list[dict[str, Any]]:
    """The lookup's own code path, validating from ``anchors``."""
    validator = Validator(parse_trust_anchor(list(anchors)), fetch=None)
    server = Server(named.address, named.port, None, 5.0)
    return lookup_ipseckeys(server, target, validator=validator)


def _add_to_parent(named: Named, ds_text: str) -> None:
    """Add DS records to the parent zone and wait until they are served signed."""
    (rrset,) = dns.zonefile.read_rrsets(ds_text, rdclass=None, default_ttl=300)
    assert named.update(PARENT, lambda m: m.add(rrset.name, rrset)) == dns.rcode.NOERROR
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = named.query(rrset.name.to_text(), "DS", dnssec=True).answer
        served = {r for a in answer if a.rdtype == dns.rdatatype.DS for r in a}
        signed = any(a.rdtype == dns.rdatatype.RRSIG for a in answer)
        if set(rrset) <= served and signed:
            return
        time.sleep(0.05)
    raise AssertionError(f"DS at {rrset.name} not served signed:\n{named.log_tail()}")


@pytest.fixture(scope="module")
def delegated(named: Named) -> str:
    """The forward zone's DS, from dnssec-dsfromkey, published in its parent."""
    ds_text = named.ds(FORWARD)
    _add_to_parent(named, ds_text)
    return ds_text


def foreign_ds(tmp_path: Path, zone: str) -> str:
    """The DS of a new key for ``zone`` that the zone does not have."""
    keyfile = subprocess.run(
        [KEYGEN, "-q", "-K", str(tmp_path), "-a", "ECDSAP256SHA256", "-f", "KSK", zone],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return subprocess.run(
        [DSFROMKEY, "-2", str(tmp_path / f"{keyfile}.key")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


# what validates


def test_published_key_validates_against_the_zones_own_ds(
    named: Named, ed_key: Any
) -> None:
    name = fqdn("gw-dnssec")
    run(
        named,
        name=name,
        addresses=["192.0.2.10"],
        public_key=[pem(ed_key)],
        ipseckey_at="both",
    )
    anchors = (named.ds(FORWARD), named.ds(SIGNED_REVERSE4))

    forward = lookup(named, name, *anchors)
    reverse = lookup(named, "192.0.2.10", *anchors)

    assert [r["public_key"] for r in forward] == [pem(ed_key)]
    assert [(r["name"], r["public_key"]) for r in reverse] == [
        ("10.2.0.192.in-addr.arpa.", pem(ed_key))
    ]
    # absence is proven by the zones' signed NSEC records
    assert lookup(named, fqdn("gw-none-here"), *anchors) == []
    assert lookup(named, "192.0.2.11", *anchors) == []


def test_published_key_validates_against_the_served_dnskey(
    named: Named, ed_key: Any
) -> None:
    name = fqdn("gw-dnssec-key")
    run(named, name=name, addresses=[], public_key=[pem(ed_key)])
    ksk = [r for r in named.rdatas(FORWARD, "DNSKEY") if r.flags == 257]
    anchor = "".join(f"{FORWARD} IN DNSKEY {k.to_text()}\n" for k in ksk)

    assert [r["public_key"] for r in lookup(named, name, anchor)] == [pem(ed_key)]


def test_chain_from_the_parent_zone(named: Named, ed_key: Any, delegated: str) -> None:
    name = fqdn("gw-dnssec-chain")
    run(named, name=name, addresses=[], public_key=[pem(ed_key)])

    found = lookup(named, name, named.ds(PARENT))

    assert [r["public_key"] for r in found] == [pem(ed_key)]


def test_lookup_through_ansible_with_anchor_files(
    named: Named, ed_key: Any, delegated: str, tmp_path: Path
) -> None:
    name = fqdn("gw-dnssec-ansible")
    run(
        named,
        name=name,
        addresses=["192.0.2.12"],
        public_key=[pem(ed_key)],
        ipseckey_at="both",
    )
    parent, reverse = tmp_path / "parent.ds", tmp_path / "reverse.ds"
    parent.write_text(named.ds(PARENT))
    reverse.write_text(named.ds(SIGNED_REVERSE4))
    query = (
        "{{ query('swanfleet.ipsec.ipseckey', names, server=dns_server, "
        f"port=dns_port, trust_anchor=['{parent}', '{reverse}']) | to_json }}}}"
    )

    done = _ansible_copy(tmp_path, named, query, names=[name, "192.0.2.12"])

    assert done.returncode == 0, done.stdout + done.stderr
    records = json.loads((tmp_path / "out.json").read_text())
    assert [(r["name"], r["public_key"]) for r in records] == [
        (name, pem(ed_key)),
        ("12.2.0.192.in-addr.arpa.", pem(ed_key)),
    ]


def test_presigned_zone_validates(named: Named) -> None:
    """The control for the altered record: its neighbour, signed the same way."""
    found = lookup(named, f"gw-intact.{PRESIGNED}", named.ds(PRESIGNED))
    assert [r["key"] for r in found] == [INTACT_PEM_KEY]


# what fails


def test_record_changed_after_signing_fails(named: Named, tmp_path: Path) -> None:
    name = f"gw-altered.{PRESIGNED}"
    with pytest.raises(BadSignature) as failure:
        lookup(named, name, named.ds(PRESIGNED))
    message = str(failure.value)
    assert message.startswith(
        f"server 127.0.0.1 port {named.port} (validating IPSECKEY at {name} with "
        f"DNSSEC): IPSECKEY records at {name}: the RRSIG by key "
    )
    assert "(bad signature)" in message
    assert message.endswith("No key was returned")

    # and through Ansible: the task fails, nothing is written
    anchor = tmp_path / "presigned.ds"
    anchor.write_text(named.ds(PRESIGNED))
    query = (
        "{{ query('swanfleet.ipsec.ipseckey', names, server=dns_server, "
        f"port=dns_port, trust_anchor='{anchor}') | to_json }}}}"
    )
    done = _ansible_copy(tmp_path, named, query, names=[name])
    output = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0
    assert f"IPSECKEY records at {name}" in output
    assert "(bad signature)" in output
    assert not (tmp_path / "out.json").exists()


def test_expired_signatures_fail(named: Named) -> None:
    with pytest.raises(SignatureExpired, match=r"expired on 2020-02-01 00:00:00 UTC"):
        lookup(named, f"gw-old.{EXPIRED}", named.ds(EXPIRED))


def test_wrong_trust_anchor_fails(named: Named, ed_key: Any, tmp_path: Path) -> None:
    name = fqdn("gw-dnssec-wrong")
    run(named, name=name, addresses=[], public_key=[pem(ed_key)])

    with pytest.raises(AnchorMismatch, match=r"key not matching anchor"):
        lookup(named, name, foreign_ds(tmp_path, FORWARD))
    # another zone's anchor does not reach this one
    with pytest.raises(ChainBroken, match=r"outside the trust anchor"):
        lookup(named, name, named.ds(PRESIGNED))


def test_wrong_ds_in_the_parent_fails(
    named: Named, delegated: str, tmp_path: Path
) -> None:
    _add_to_parent(named, foreign_ds(tmp_path, PRESIGNED))

    with pytest.raises(DsMismatch, match=r"DS records in zone swanfleet\.example\."):
        lookup(named, f"gw-intact.{PRESIGNED}", named.ds(PARENT))
    # a zone without DS in the parent is not reached from the parent's anchor
    with pytest.raises(ChainBroken, match=r"DS records of zone expired"):
        lookup(named, f"gw-old.{EXPIRED}", named.ds(PARENT))

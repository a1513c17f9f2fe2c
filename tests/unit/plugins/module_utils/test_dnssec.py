# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNSSEC validation of IPSECKEY answers, against zones signed here.

The zones are made and signed with dnspython (real keys, real RRSIG, DS and
NSEC records); a small in-memory responder answers the validator's queries
from them as an authoritative server would. Tampering is done on the signed
data: records changed after signing, signatures removed, keys swapped.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnskeys import (
    SettingsError,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnssec import (
    AnchorMismatch,
    BadSignature,
    ChainBroken,
    DenialNotProven,
    DsMismatch,
    MissingSignature,
    SignatureExpired,
    TrustAnchors,
    Validator,
    ds_matches,
    nsec3_denies,
    parse_trust_anchor,
    types_in,
)

IN = dns.rdataclass.IN
T = dns.rdatatype
NOW = time.time()
DAY = 86400
ED25519 = dns.dnssec.Algorithm.ED25519
IPSECKEY_TEXT = "10 0 4 . Jzgq3x8BoBsB0gwUVqaMu4ud2vJHsqoQ9JMJIC7aDu4="
OTHER_KEY_TEXT = "10 0 4 . 7/X+ARyq1YpN/EaYiFwpXRdDYMaqegPyarZ2FQb1SQY="


def name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


class ZoneKeys:
    """A key signing key and a zone signing key, Ed25519."""

    def __init__(self) -> None:
        self.ksk_private = ed25519.Ed25519PrivateKey.generate()
        self.zsk_private = ed25519.Ed25519PrivateKey.generate()
        self.ksk = dns.dnssec.make_dnskey(
            self.ksk_private.public_key(), ED25519, flags=257
        )
        self.zsk = dns.dnssec.make_dnskey(
            self.zsk_private.public_key(), ED25519, flags=256
        )

    def pairs(self) -> list[tuple[Any, Any]]:
        return [(self.ksk_private, self.ksk), (self.zsk_private, self.zsk)]

    def ds(self, zone: str) -> Any:
        return dns.dnssec.make_ds(zone, self.ksk, "SHA256")


def signed_zone(
    origin: str,
    body: str,
    keys: ZoneKeys,
    *,
    inception: float = NOW - DAY,
    expiration: float = NOW + 30 * DAY,
) -> dns.zone.Zone:
    text = (
        f"@ 300 IN SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 300\n"
        f"@ 300 IN NS ns.{origin}\n" + body
    )
    zone = dns.zone.from_text(text, origin=origin, relativize=False)
    dns.dnssec.sign_zone(
        zone,
        keys=keys.pairs(),
        inception=inception,
        expiration=expiration,
    )
    return zone


class Responder:
    """Answers queries from signed zones, as their authoritative server would.

    DS queries are answered from the parent zone of a zone cut.
    """

    def __init__(self, *zones: dns.zone.Zone) -> None:
        self.zones = list(zones)
        self.asked: list[tuple[dns.name.Name, int]] = []

    def zone_for(self, qname: dns.name.Name, rdtype: int) -> dns.zone.Zone:
        candidates = [
            z
            for z in self.zones
            if qname.is_subdomain(z.origin)
            and not (rdtype == T.DS and qname == z.origin)
        ]
        return max(candidates, key=lambda z: len(z.origin.labels))

    def fetch(self, qname: dns.name.Name, rdtype: int) -> Any:
        self.asked.append((qname, rdtype))
        return self.answer(qname, rdtype)

    def answer(self, qname: Any, rdtype: Any) -> Any:
        qname = name(qname) if isinstance(qname, str) else qname
        rdtype = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
        zone = self.zone_for(qname, rdtype)
        query = dns.message.make_query(qname, rdtype, want_dnssec=True)
        response = dns.message.make_response(query)
        node = zone.get_node(qname)
        if node is not None:
            for wanted in (rdtype, T.CNAME):
                found = node.get_rdataset(IN, wanted)
                if found is not None:
                    self._add(response.answer, qname, node, wanted)
                    return response
            self._add(response.authority, qname, node, T.NSEC)
        else:
            response.set_rcode(dns.rcode.NXDOMAIN)
            wildcard = dns.name.Name((b"*", *zone.origin.labels))
            for owner, other in zone.nodes.items():
                nsec = other.get_rdataset(IN, T.NSEC)
                if nsec is None:
                    continue
                following = nsec[0].next
                for target in (qname, wildcard):
                    if owner < target < following or (
                        following <= owner and target > owner
                    ):
                        self._add(response.authority, owner, other, T.NSEC)
        self._add(response.authority, zone.origin, zone.get_node(zone.origin), T.SOA)
        return response

    @staticmethod
    def _add(section: list, owner: Any, node: Any, rdtype: int) -> None:
        rdataset = node.get_rdataset(IN, rdtype)
        if rdataset is None:
            return
        rrset = dns.rrset.RRset(owner, IN, rdtype)
        rrset.update(rdataset)
        if rrset not in section:
            section.append(rrset)
        sigs = node.get_rdataset(IN, T.RRSIG, rdtype)
        if sigs is not None:
            sig_rrset = dns.rrset.RRset(owner, IN, T.RRSIG, rdtype)
            sig_rrset.update(sigs)
            if sig_rrset not in section:
                section.append(sig_rrset)


@pytest.fixture(scope="module")
def parent_keys() -> ZoneKeys:
    return ZoneKeys()


@pytest.fixture(scope="module")
def child_keys() -> ZoneKeys:
    return ZoneKeys()


CHILD_BODY = (
    f"gw1 300 IN IPSECKEY {IPSECKEY_TEXT}\n"
    "gw1 300 IN A 198.51.100.10\n"
    "gw3 300 IN A 198.51.100.30\n"
    "alias 300 IN CNAME gw1\n"
    f"* 300 IN IPSECKEY {OTHER_KEY_TEXT}\n"
    "x.ent 300 IN A 198.51.100.40\n"
)


def world(parent_keys: ZoneKeys, child_keys: ZoneKeys, **child: Any) -> Responder:
    """``example.`` delegating, with a DS record, to ``vpn.example.``."""
    ds = child_keys.ds("vpn.example.")
    parent = signed_zone(
        "example.",
        "vpn 300 IN NS ns.vpn\n" f"vpn 300 IN DS {ds.to_text()}\n",
        parent_keys,
    )
    return Responder(
        parent, signed_zone("vpn.example.", CHILD_BODY, child_keys, **child)
    )


def child_anchor(child_keys: ZoneKeys) -> TrustAnchors:
    return parse_trust_anchor(f"vpn.example. IN DS {child_keys.ds('vpn.example.')}")


def validate(
    responder: Responder,
    anchor: TrustAnchors,
    qname: str = "gw1.vpn.example.",
    response: Any = None,
    now: float | None = None,
) -> list[Any]:
    validator = Validator(anchor, responder.fetch, now=now)
    answer = response or responder.answer(qname, "IPSECKEY")
    return validator.validate_answer(name(qname), T.IPSECKEY, answer)


def texts(rrsets: list[Any]) -> set[str]:
    """The records found, as text without line breaks in the key."""
    return {r.to_text(chunksize=0) for rrset in rrsets for r in rrset}


# the trust anchor


def test_trust_anchor_from_ds_text(child_keys: ZoneKeys) -> None:
    (anchor,) = child_anchor(child_keys).anchors
    assert anchor.zone == name("vpn.example.")
    assert anchor.matches(child_keys.ksk)
    assert not anchor.matches(child_keys.zsk)


def test_trust_anchor_from_a_key_file(child_keys: ZoneKeys, tmp_path: Path) -> None:
    path = tmp_path / "Kvpn.example.+015+00001.key"
    path.write_text(
        "; This is a key-signing key, keyid 1, for vpn.example.\n"
        f"vpn.example. 3600 IN DNSKEY {child_keys.ksk.to_text()}\n"
    )
    (anchor,) = parse_trust_anchor([str(path)]).anchors
    assert anchor.dnskeys == (child_keys.ksk,)
    assert anchor.matches(child_keys.ksk)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"a.example. IN DNSKEY 0 3 15 {'A' * 43}=", "no zone key for a.example."),
        ("a.example. IN A 192.0.2.1", "holds A records"),
        ("not records at all (", "neither a readable file"),
        ("/nonexistent/root.ds", "neither a readable file"),
    ],
)
def test_trust_anchor_errors(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        parse_trust_anchor(text)


def test_trust_anchors_for_several_zones(child_keys: ZoneKeys) -> None:
    anchors = parse_trust_anchor(
        [
            f"vpn.example. IN DS {child_keys.ds('vpn.example.')}",
            f"in-addr.arpa. IN DNSKEY {child_keys.ksk.to_text()}",
        ]
    )
    assert anchors.covering(name("gw1.vpn.example.")).zone == name("vpn.example.")
    assert anchors.covering(name("10.100.51.198.in-addr.arpa.")).zone == name(
        "in-addr.arpa."
    )
    assert anchors.covering(name("example.")) is None


def test_sha1_and_foreign_ds_do_not_match(child_keys: ZoneKeys) -> None:
    sha256 = child_keys.ds("vpn.example.")
    assert ds_matches(name("vpn.example."), child_keys.ksk, sha256)
    assert not ds_matches(name("other.example."), child_keys.ksk, sha256)
    assert not ds_matches(name("vpn.example."), child_keys.zsk, sha256)


# records that validate


def test_valid_answer_with_the_zones_ds_as_anchor(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    responder = world(parent_keys, child_keys)
    found = validate(responder, child_anchor(child_keys))
    assert texts(found) == {IPSECKEY_TEXT}
    # the anchor is for the zone itself: no DS was needed
    assert responder.asked == [(name("vpn.example."), T.DNSKEY)]


def test_valid_answer_with_the_zones_key_as_anchor(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    anchor = parse_trust_anchor(f"vpn.example. IN DNSKEY {child_keys.ksk.to_text()}")
    assert texts(validate(world(parent_keys, child_keys), anchor)) == {IPSECKEY_TEXT}


def test_valid_answer_through_the_parents_ds(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    responder = world(parent_keys, child_keys)
    anchor = parse_trust_anchor(f"example. IN DS {parent_keys.ds('example.')}")
    assert texts(validate(responder, anchor)) == {IPSECKEY_TEXT}
    assert responder.asked == [
        (name("vpn.example."), T.DNSKEY),
        (name("vpn.example."), T.DS),
        (name("example."), T.DNSKEY),
    ]


def test_keys_are_fetched_once_per_zone(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    responder = world(parent_keys, child_keys)
    anchor = parse_trust_anchor(f"example. IN DNSKEY {parent_keys.ksk.to_text()}")
    validator = Validator(anchor, responder.fetch)
    for qname in ("gw1.vpn.example.", "gw1.vpn.example.", "gw3.vpn.example."):
        answer = responder.answer(qname, "IPSECKEY")
        validator.validate_answer(name(qname), T.IPSECKEY, answer)
    assert len(responder.asked) == 3


def test_reverse_name(child_keys: ZoneKeys) -> None:
    zone = signed_zone(
        "100.51.198.in-addr.arpa.",
        f"10 300 IN PTR gw1.vpn.example.\n10 300 IN IPSECKEY {IPSECKEY_TEXT}\n",
        child_keys,
    )
    responder = Responder(zone, signed_zone("vpn.example.", CHILD_BODY, child_keys))
    anchor = parse_trust_anchor(
        f"100.51.198.in-addr.arpa. IN DS {child_keys.ds('100.51.198.in-addr.arpa.')}\n"
        f"vpn.example. IN DS {child_keys.ds('vpn.example.')}\n"
    )
    validator = Validator(anchor, responder.fetch)
    for qname in ("10.100.51.198.in-addr.arpa.", "gw1.vpn.example."):
        answer = responder.answer(qname, "IPSECKEY")
        found = validator.validate_answer(name(qname), T.IPSECKEY, answer)
        assert texts(found) == {IPSECKEY_TEXT}


def test_cname_chain_is_validated(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    responder = world(parent_keys, child_keys)
    answer = responder.answer("alias.vpn.example.", "CNAME")
    answer.answer.extend(responder.answer("gw1.vpn.example.", "IPSECKEY").answer)
    found = validate(responder, child_anchor(child_keys), "alias.vpn.example.", answer)
    assert [str(r.name) for r in found] == ["gw1.vpn.example."]


# proofs of absence


def test_nxdomain_proven_by_nsec(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    responder = world(parent_keys, child_keys)
    # the wildcard would answer: ask below a name that exists instead
    answer = responder.answer("gw2.gw1.vpn.example.", "IPSECKEY")
    assert answer.rcode() == dns.rcode.NXDOMAIN
    # no wildcard at gw1.vpn.example., so the proof holds
    assert (
        validate(responder, child_anchor(child_keys), "gw2.gw1.vpn.example.", answer)
        == []
    )


def test_nodata_proven_by_nsec(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    responder = world(parent_keys, child_keys)
    assert validate(responder, child_anchor(child_keys), "gw3.vpn.example.") == []


def test_empty_non_terminal_proven_by_nsec(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    responder = world(parent_keys, child_keys)
    # ent.vpn.example. has no records but a name below it: a real server answers
    # NOERROR with the NSEC record whose next name is below it
    answer = responder.answer("ent.vpn.example.", "IPSECKEY")
    answer.set_rcode(dns.rcode.NOERROR)
    assert (
        validate(responder, child_anchor(child_keys), "ent.vpn.example.", answer) == []
    )


def test_denial_without_nsec_is_refused(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    responder = world(parent_keys, child_keys)
    answer = responder.answer("gw3.vpn.example.", "IPSECKEY")
    answer.authority = [r for r in answer.authority if r.rdtype == T.SOA]
    with pytest.raises(DenialNotProven, match="no signed NSEC or NSEC3"):
        validate(responder, child_anchor(child_keys), "gw3.vpn.example.", answer)


def test_denial_for_a_name_that_has_the_key_is_refused(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    """A genuine NSEC record replayed for a name it does not deny."""
    responder = world(parent_keys, child_keys)
    answer = responder.answer("gw3.vpn.example.", "IPSECKEY")
    with pytest.raises(DenialNotProven, match="denial not proven"):
        validate(responder, child_anchor(child_keys), "gw1.vpn.example.", answer)


def test_wildcard_answers_are_refused(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    responder = world(parent_keys, child_keys)
    star = responder.answer("*.vpn.example.", "IPSECKEY")
    answer = dns.message.make_response(
        dns.message.make_query("gw9.vpn.example.", "IPSECKEY", want_dnssec=True)
    )
    for rrset in star.answer:
        copy = dns.rrset.RRset(name("gw9.vpn.example."), IN, rrset.rdtype, rrset.covers)
        copy.update(rrset)
        answer.answer.append(copy)
    with pytest.raises(DenialNotProven, match="wildcard"):
        validate(responder, child_anchor(child_keys), "gw9.vpn.example.", answer)


# tampering, and every step that can fail


def test_record_changed_after_signing(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    responder = world(parent_keys, child_keys)
    answer = responder.answer("gw1.vpn.example.", "IPSECKEY")
    rrset = answer.answer[0]
    forged = dns.rdata.from_text(IN, T.IPSECKEY, OTHER_KEY_TEXT)
    rrset.clear()
    rrset.add(forged)
    with pytest.raises(BadSignature, match=r"IPSECKEY records at gw1.*bad signature"):
        validate(responder, child_anchor(child_keys), response=answer)


def test_signature_removed(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    responder = world(parent_keys, child_keys)
    answer = responder.answer("gw1.vpn.example.", "IPSECKEY")
    answer.answer = [r for r in answer.answer if r.rdtype != T.RRSIG]
    with pytest.raises(MissingSignature, match="missing RRSIG"):
        validate(responder, child_anchor(child_keys), response=answer)


def test_signed_by_a_key_outside_the_zone(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    """Records re-signed with a key the zone does not publish."""
    intruder = ZoneKeys()
    forged = signed_zone("vpn.example.", CHILD_BODY, intruder)
    responder = world(parent_keys, child_keys)
    answer = Responder(forged).answer("gw1.vpn.example.", "IPSECKEY")
    with pytest.raises(MissingSignature, match="no RRSIG by a validated key"):
        validate(responder, child_anchor(child_keys), response=answer)


def test_a_zone_served_with_other_keys(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    """The whole zone, keys included, replaced: the anchor or the DS tells."""
    intruder = ZoneKeys()
    ds = child_keys.ds("vpn.example.")
    parent = signed_zone(
        "example.", f"vpn 300 IN NS ns.vpn\nvpn 300 IN DS {ds.to_text()}\n", parent_keys
    )
    responder = Responder(parent, signed_zone("vpn.example.", CHILD_BODY, intruder))
    with pytest.raises(AnchorMismatch, match="key not matching anchor"):
        validate(responder, child_anchor(child_keys))
    anchor = parse_trust_anchor(f"example. IN DS {parent_keys.ds('example.')}")
    with pytest.raises(DsMismatch, match=r"DS records in zone example\..*DS mismatch"):
        validate(responder, anchor)


def test_wrong_trust_anchor(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    other = ZoneKeys()
    anchor = parse_trust_anchor(f"vpn.example. IN DS {other.ds('vpn.example.')}")
    with pytest.raises(AnchorMismatch, match="DNSKEY records of zone vpn.example."):
        validate(world(parent_keys, child_keys), anchor)


def test_anchor_for_an_unrelated_zone(
    parent_keys: ZoneKeys, child_keys: ZoneKeys
) -> None:
    anchor = parse_trust_anchor(
        f"other.example. IN DS {child_keys.ds('other.example.')}"
    )
    with pytest.raises(ChainBroken, match="outside the trust anchor"):
        validate(world(parent_keys, child_keys), anchor)


def test_expired_signatures(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    responder = world(
        parent_keys, child_keys, inception=NOW - 60 * DAY, expiration=NOW - 30 * DAY
    )
    with pytest.raises(SignatureExpired, match="signature expired"):
        validate(responder, child_anchor(child_keys))


def test_signatures_not_yet_valid(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    responder = world(parent_keys, child_keys)
    with pytest.raises(SignatureExpired, match="not yet valid"):
        validate(responder, child_anchor(child_keys), now=NOW - 2 * DAY)


def test_missing_ds_breaks_the_chain(
    child_keys: ZoneKeys, parent_keys: ZoneKeys
) -> None:
    parent = signed_zone("example.", "vpn 300 IN NS ns.vpn\n", parent_keys)
    responder = Responder(parent, signed_zone("vpn.example.", CHILD_BODY, child_keys))
    anchor = parse_trust_anchor(f"example. IN DS {parent_keys.ds('example.')}")
    with pytest.raises(ChainBroken, match="DS records of zone vpn.example.: no such"):
        validate(responder, anchor)


def test_unsigned_zone(child_keys: ZoneKeys) -> None:
    zone = dns.zone.from_text(
        "@ 300 IN SOA ns hostmaster 1 3600 600 86400 300\n"
        f"@ 300 IN NS ns\ngw1 300 IN IPSECKEY {IPSECKEY_TEXT}\n",
        origin="vpn.example.",
        relativize=False,
    )
    with pytest.raises(MissingSignature, match="zone is not signed"):
        validate(Responder(zone), child_anchor(child_keys))


# NSEC3


def nsec3_chain(
    origin: str, names: dict[str, str], keys: ZoneKeys, salt: str = "AB"
) -> list[Any]:
    """The signed NSEC3 records of a zone holding ``names`` (name: types)."""
    zone = name(origin)
    hashed = sorted(
        (dns.dnssec.nsec3_hash(n, salt, 0, 1), types) for n, types in names.items()
    )
    rrsets = []
    for index, (digest, types) in enumerate(hashed):
        following = hashed[(index + 1) % len(hashed)][0]
        rrset = dns.rrset.from_text(
            dns.name.Name((digest.lower().encode(), *zone.labels)),
            300,
            IN,
            T.NSEC3,
            f"1 0 0 {salt} {following} {types} RRSIG",
        )
        sig = dns.dnssec.sign(
            rrset, keys.zsk_private, zone, keys.zsk, NOW - DAY, NOW + DAY
        )
        rrsets.append(rrset)
        rrsets.append(dns.rrset.from_rdata(rrset.name, 300, sig))
    return rrsets


NSEC3_NAMES = {
    "vpn.example.": "SOA NS DNSKEY",
    "gw1.vpn.example.": "A IPSECKEY",
    "gw3.vpn.example.": "A",
}


def nsec3_answer(qname: str, rcode: int, chain: list[Any]) -> Any:
    answer = dns.message.make_response(
        dns.message.make_query(qname, "IPSECKEY", want_dnssec=True)
    )
    answer.set_rcode(rcode)
    answer.authority.extend(chain)
    return answer


def test_nsec3_nodata_and_nxdomain(parent_keys: ZoneKeys, child_keys: ZoneKeys) -> None:
    responder = world(parent_keys, child_keys)
    chain = nsec3_chain("vpn.example.", NSEC3_NAMES, child_keys)
    anchor = child_anchor(child_keys)
    nodata = nsec3_answer("gw3.vpn.example.", dns.rcode.NOERROR, chain)
    assert validate(responder, anchor, "gw3.vpn.example.", nodata) == []
    nxdomain = nsec3_answer("gw2.vpn.example.", dns.rcode.NXDOMAIN, chain)
    assert validate(responder, anchor, "gw2.vpn.example.", nxdomain) == []
    lying = nsec3_answer("gw1.vpn.example.", dns.rcode.NOERROR, chain)
    with pytest.raises(DenialNotProven, match="denial not proven"):
        validate(responder, anchor, "gw1.vpn.example.", lying)


def test_nsec3_proof_needs_the_wildcard_covered() -> None:
    keys = ZoneKeys()
    names = dict(NSEC3_NAMES, **{"*.vpn.example.": "IPSECKEY"})
    rrsets = [
        r for r in nsec3_chain("vpn.example.", names, keys) if r.rdtype == T.NSEC3
    ]
    zone = name("vpn.example.")
    # a wildcard exists, so a name below the apex is not proven absent
    assert not nsec3_denies(
        name("gw2.vpn.example."), T.IPSECKEY, rrsets, zone, nxdomain=True
    )
    assert nsec3_denies(
        name("gw3.vpn.example."), T.IPSECKEY, rrsets, zone, nxdomain=False
    )


def test_type_bitmap() -> None:
    rdata = dns.rdata.from_text(IN, T.NSEC, "next.example. A NS IPSECKEY TYPE1234")
    assert types_in(rdata) == {T.A, T.NS, T.IPSECKEY, 1234}


def test_b32_owner_labels_are_base32hex() -> None:
    digest = dns.dnssec.nsec3_hash("gw1.vpn.example.", "AB", 0, 1)
    assert len(base64.b32hexdecode(digest)) == 20

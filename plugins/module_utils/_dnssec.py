# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNSSEC validation on the controller, for the ``ipseckey`` lookup.

Private to this collection. No flag in a server's answer is trusted: every
record set that leads to a key is checked with its RRSIG records, from a
trust anchor (DS or DNSKEY records of a zone; of several zones, the closest
at or above the name is used) down to the answer:

1. the DNSKEY records of the anchor's zone, of which at least one must match
   the anchor, signed by such a key;
2. for every zone below, its DS records, signed by a key of the parent
   (the zone named as signer in the DS records' RRSIG), then its DNSKEY
   records, of which one must match a DS record, signed by such a key;
3. the answer (a CNAME chain, then the IPSECKEY records), signed by a key of
   its zone; or, for an empty answer, the signed NSEC or NSEC3 records that
   prove there is nothing.

The zone cuts are those the RRSIG records name as signer; a signer must be
the owner's zone or above it, and at or below the anchor's zone, so a
forged signer name only leads to a key that cannot be validated.

The logic is pure: it is given a ``fetch(name, rdtype)`` function that
returns a ``dns.message.Message`` with DNSSEC records (DO bit set), so it
can be tested against zones signed in memory. Failures raise the
:class:`DnssecError` subclasses below, each message saying which step
failed; the caller adds the server and the name looked up.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnskeys import (
    DnsKeysError,
    SettingsError,
)

try:
    import dns.dnssec
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdataclass
    import dns.rdataset
    import dns.rdatatype
    import dns.rrset
    import dns.zonefile
except ImportError:  # reported by the lookup with install advice
    pass

# longest CNAME chain followed within one answer
MAX_CNAMES = 8


class DnssecError(DnsKeysError):
    """An answer could not be validated with DNSSEC."""


class MissingSignature(DnssecError):
    """Records without an RRSIG by a key of their zone."""


class BadSignature(DnssecError):
    """An RRSIG that does not verify: the records are not those signed."""


class SignatureExpired(DnssecError):
    """An RRSIG outside its validity period (expired or not yet valid)."""


class DsMismatch(DnssecError):
    """No DNSKEY of a zone matches the DS records of its parent."""


class AnchorMismatch(DnssecError):
    """No DNSKEY of the trust anchor's zone matches the trust anchor."""


class ChainBroken(DnssecError):
    """A record set of the chain is missing, or a signer is out of place."""


class DenialNotProven(DnssecError):
    """An empty answer without signed NSEC or NSEC3 records proving it."""


Fetch = Callable[[Any, Any], Any]  # (dns.name.Name, rdtype) -> dns.message.Message


# the trust anchor


@dataclass(frozen=True)
class TrustAnchor:
    """The DS and DNSKEY records trusted for one zone."""

    zone: dns.name.Name
    ds: tuple = ()
    dnskeys: tuple = ()

    def matches(self, key: Any) -> bool:
        """Whether a DNSKEY is one of the anchor's keys, or has one of its DS."""
        if not _zone_key(key):
            return False
        if any(key == trusted for trusted in self.dnskeys):
            return True
        return any(ds_matches(self.zone, key, ds) for ds in self.ds)

    def describe(self) -> str:
        parts = [f"DS key tag {d.key_tag}" for d in self.ds]
        parts += [f"DNSKEY key tag {dns.dnssec.key_id(k)}" for k in self.dnskeys]
        return ", ".join(parts)


@dataclass(frozen=True)
class TrustAnchors:
    """Trust anchors for one or more zones."""

    anchors: tuple[TrustAnchor, ...]

    def covering(self, name: dns.name.Name) -> TrustAnchor | None:
        """The anchor of the closest zone at or above ``name``."""
        above = [a for a in self.anchors if name.is_subdomain(a.zone)]
        return max(above, key=lambda a: len(a.zone.labels)) if above else None

    def describe(self) -> str:
        return ", ".join(a.zone.to_text() for a in self.anchors)


def parse_trust_anchor(values: str | Iterable[str]) -> TrustAnchors:
    """Trust anchors from DS or DNSKEY records in zone file form, or files.

    Each value is the records themselves (the output of ``dnssec-dsfromkey``,
    ``dig DNSKEY``, a ``K*.key`` file's content), or the path of a file that
    holds them. The records may be for several zones.
    """
    if isinstance(values, str):
        values = [values]
    rrsets: list[Any] = []
    for value in values:
        rrsets.extend(_anchor_records(str(value)))
    others = {
        dns.rdatatype.to_text(r.rdtype)
        for r in rrsets
        if r.rdtype not in (dns.rdatatype.DS, dns.rdatatype.DNSKEY)
    }
    if others:
        raise SettingsError(
            f"trust_anchor holds {', '.join(sorted(others))} records; give DS or "
            "DNSKEY records only"
        )
    anchors = []
    for zone in sorted({rrset.name for rrset in rrsets}):
        ds = tuple(
            r
            for rrset in rrsets
            if rrset.name == zone and rrset.rdtype == dns.rdatatype.DS
            for r in rrset
        )
        keys = tuple(
            r
            for rrset in rrsets
            if rrset.name == zone and rrset.rdtype == dns.rdatatype.DNSKEY
            for r in rrset
            if _zone_key(r)
        )
        if not ds and not keys:
            raise SettingsError(
                f"trust_anchor holds no DS record and no zone key for {zone}"
            )
        anchors.append(TrustAnchor(zone, ds, keys))
    if not anchors:
        raise SettingsError("trust_anchor holds no DS or DNSKEY record")
    return TrustAnchors(tuple(anchors))


def _anchor_records(value: str) -> list[Any]:
    text = value
    if "\n" not in value.strip() and Path(value.strip()).is_file():
        try:
            text = Path(value.strip()).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(
                f"trust_anchor: cannot read {value.strip()}: {exc}"
            ) from None
    try:
        return dns.zonefile.read_rrsets(
            text,
            rdclass=None,
            origin=dns.name.root,
            relativize=False,
            default_ttl=0,
        )
    except dns.exception.DNSException as exc:
        raise SettingsError(
            f"trust_anchor {value.strip()[:60]!r} is neither a readable file nor DS "
            f"or DNSKEY records in zone file form ({exc})"
        ) from None


def ds_matches(zone: dns.name.Name, key: Any, ds: Any) -> bool:
    """Whether ``ds`` is the digest of DNSKEY ``key`` of ``zone``."""
    if ds.algorithm != key.algorithm or ds.key_tag != dns.dnssec.key_id(key):
        return False
    try:
        made = dns.dnssec.make_ds(zone, key, ds.digest_type, validating=True)
    except (dns.dnssec.UnsupportedAlgorithm, dns.dnssec.DeniedByPolicy, ValueError):
        return False
    return made.digest == ds.digest


def _zone_key(key: Any) -> bool:
    """A DNSKEY that may sign a zone's records (RFC 4034 2.1.1, RFC 5011)."""
    flags = dns.dnssec.Flag
    return bool(key.flags & flags.ZONE) and not key.flags & flags.REVOKE


# checking one RRset


def _when(posix: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(posix))


def verify_rrset(
    rrset: Any,
    rrsigs: Iterable[Any] | None,
    zone: dns.name.Name,
    keys: Iterable[Any],
    *,
    what: str,
    now: float,
) -> Any:
    """Check that one RRSIG by one of ``keys`` of ``zone`` covers ``rrset``.

    Returns the RRSIG that verified; raises MissingSignature, SignatureExpired
    or BadSignature, in that order of what the RRSIG records allow to say.
    """
    keys = list(keys)
    all_sigs = [s for s in (rrsigs or ()) if s.type_covered == rrset.rdtype]
    if not all_sigs:
        raise MissingSignature(
            f"{what}: no RRSIG (missing RRSIG); the zone is not signed, or the "
            "signatures were removed on the way"
        )
    tags = {dns.dnssec.key_id(k) for k in keys}
    sigs = [s for s in all_sigs if s.signer == zone and s.key_tag in tags]
    if not sigs:
        made = ", ".join(sorted(f"key {s.key_tag} of {s.signer}" for s in all_sigs))
        raise MissingSignature(
            f"{what}: no RRSIG by a validated key of zone {zone} (missing RRSIG); "
            f"signed by {made}, validated keys are "
            f"{', '.join(str(t) for t in sorted(tags)) or 'none'}"
        )
    rdataset = dns.rdataset.Rdataset(dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    for key in keys:
        rdataset.add(key)
    expired: list[Any] = []
    early: list[Any] = []
    for sig in sigs:
        if sig.expiration < now:
            expired.append(sig)
            continue
        if sig.inception > now:
            early.append(sig)
            continue
        try:
            dns.dnssec.validate_rrsig(rrset, sig, {zone: rdataset}, now=now)
        except dns.dnssec.ValidationFailure:
            continue
        return sig
    if len(expired) + len(early) < len(sigs):
        raise BadSignature(
            f"{what}: the RRSIG by key "
            f"{', '.join(str(s.key_tag) for s in sigs)} of zone {zone} does not "
            "verify (bad signature); the records are not those that were signed"
        )
    if expired:
        last = max(s.expiration for s in expired)
        raise SignatureExpired(
            f"{what}: the RRSIG of zone {zone} expired on {_when(last)} "
            "(signature expired); the zone is not being re-signed, or an old "
            "answer was replayed"
        )
    first = min(s.inception for s in early)
    raise SignatureExpired(
        f"{what}: the RRSIG of zone {zone} is valid only from {_when(first)} "
        "(signature not yet valid); check this host's clock"
    )


# the whole chain


@dataclass
class Validator:
    """Validates answers from one server against one trust anchor.

    Validated DNSKEY record sets are kept by zone, so a lookup of many names
    fetches each zone's keys and DS records once.
    """

    anchors: TrustAnchors
    fetch: Fetch
    now: float | None = None
    _keys: dict = field(default_factory=dict)

    def _now(self) -> float:
        return time.time() if self.now is None else self.now

    def validate_answer(
        self, qname: dns.name.Name, qtype: Any, response: Any
    ) -> list[Any]:
        """The validated record sets of type ``qtype`` answering ``qname``.

        Follows a CNAME chain within the answer, validating every step. An
        empty list means the absence of such records was proven.
        """
        current = qname
        for _ in range(MAX_CNAMES):
            cname = _find(response.answer, current, dns.rdatatype.CNAME)
            if cname is None or qtype == dns.rdatatype.CNAME:
                break
            self._verify_in_zone(
                cname, _sigs(response.answer, current, cname.rdtype), "answer"
            )
            current = cname[0].target
        rrset = _find(response.answer, current, qtype)
        if rrset is not None:
            self._verify_in_zone(
                rrset, _sigs(response.answer, current, qtype), "answer"
            )
            return [rrset]
        self._verify_denial(current, qtype, response)
        return []

    # keys

    def zone_keys(self, zone: dns.name.Name) -> Any:
        """The validated DNSKEY records of ``zone``."""
        if zone in self._keys:
            return self._keys[zone]
        anchor = self._anchor(zone)
        what = f"DNSKEY records of zone {zone}"
        keys, sigs = self._fetch_signed(zone, dns.rdatatype.DNSKEY, what)
        tags = ", ".join(str(dns.dnssec.key_id(k)) for k in keys)
        if zone == anchor.zone:
            trusted = [k for k in keys if anchor.matches(k)]
            if not trusted:
                raise AnchorMismatch(
                    f"{what}: no key matches the trust anchor (key not matching "
                    f"anchor); the zone has key tags {tags}, the anchor has "
                    f"{anchor.describe()}"
                )
        else:
            ds_rrset, parent = self._ds(zone)
            trusted = [k for k in keys if any(ds_matches(zone, k, d) for d in ds_rrset)]
            if not trusted:
                listed = ", ".join(str(d.key_tag) for d in ds_rrset)
                raise DsMismatch(
                    f"{what}: no key matches the DS records in zone {parent} "
                    f"(DS mismatch); DS key tags {listed}, DNSKEY key tags {tags}"
                )
        verify_rrset(
            keys, sigs, zone, trusted, what=f"{what}, self-signed", now=self._now()
        )
        self._keys[zone] = [k for k in keys if _zone_key(k)]
        return self._keys[zone]

    def _anchor(self, name: dns.name.Name) -> TrustAnchor:
        anchor = self.anchors.covering(name)
        if anchor is None:
            raise ChainBroken(
                f"{name} is not at or below a zone of the trust anchor "
                f"({self.anchors.describe()}) (outside the trust anchor)"
            )
        return anchor

    def _ds(self, zone: dns.name.Name) -> tuple[Any, dns.name.Name]:
        what = f"DS records of zone {zone}"
        ds_rrset, sigs = self._fetch_signed(zone, dns.rdatatype.DS, what)
        parent = self._signer(ds_rrset, sigs, what)
        if parent == zone:
            raise ChainBroken(
                f"{what}: signed by zone {zone} itself, not by its parent; the "
                "server does not serve the parent zone, so the chain from the "
                f"trust anchor's zone {self._anchor(zone).zone} cannot be followed"
            )
        verify_rrset(
            ds_rrset,
            sigs,
            parent,
            self.zone_keys(parent),
            what=f"{what} in zone {parent}",
            now=self._now(),
        )
        return ds_rrset, parent

    def _fetch_signed(
        self, name: dns.name.Name, rdtype: Any, what: str
    ) -> tuple[Any, Any]:
        response = self.fetch(name, rdtype)
        rcode = response.rcode()
        rrset = _find(response.answer, name, rdtype)
        if rcode != dns.rcode.NOERROR or rrset is None:
            answered = dns.rcode.to_text(rcode) if rcode else "no such records"
            hint = (
                "the zone is not delegated securely from the trust anchor's zone "
                f"{self._anchor(name).zone}, or the server does not serve it"
                if rdtype == dns.rdatatype.DS
                else "the zone is not signed"
            )
            raise ChainBroken(f"{what}: {answered} (missing records); {hint}")
        return rrset, _sigs(response.answer, name, rdtype)

    # records

    def _signer(self, rrset: Any, sigs: Any, what: str) -> dns.name.Name:
        """The zone that signed ``rrset``, as its RRSIG records say.

        Only a zone at or above the owner and at or below the anchor's zone
        can be the signer.
        """
        anchor = self._anchor(rrset.name)
        signers = {
            s.signer
            for s in (sigs or ())
            if s.type_covered == rrset.rdtype
            and rrset.name.is_subdomain(s.signer)
            and s.signer.is_subdomain(anchor.zone)
        }
        if not signers:
            if not sigs:
                raise MissingSignature(
                    f"{what}: no RRSIG (missing RRSIG); the zone is not signed, or "
                    "the signatures were removed on the way"
                )
            named = ", ".join(sorted({s.signer.to_text() for s in sigs}))
            raise ChainBroken(
                f"{what}: signed by {named}, which is not a zone at or above "
                f"{rrset.name} and below the trust anchor's zone {anchor.zone} "
                "(outside the trust anchor)"
            )
        return max(signers, key=lambda s: len(s.labels))

    def _verify_in_zone(self, rrset: Any, sigs: Any, section: str) -> Any:
        what = f"{dns.rdatatype.to_text(rrset.rdtype)} records at {rrset.name}"
        if section != "answer":
            what += f" ({section})"
        zone = self._signer(rrset, sigs, what)
        sig = verify_rrset(
            rrset, sigs, zone, self.zone_keys(zone), what=what, now=self._now()
        )
        if sig.labels < _label_count(rrset.name):
            raise DenialNotProven(
                f"{what}: made from a wildcard (RRSIG labels {sig.labels}); "
                "keys from wildcard records are not accepted"
            )
        return zone

    # proofs that nothing is there

    def _verify_denial(self, name: dns.name.Name, qtype: Any, response: Any) -> None:
        rcode = response.rcode()
        nxdomain = rcode == dns.rcode.NXDOMAIN
        kind = "name" if nxdomain else f"{dns.rdatatype.to_text(qtype)} record"
        claim = f"the answer that there is no {kind} at {name}"
        proofs = [
            r
            for r in response.authority
            if r.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)
        ]
        if not proofs:
            raise DenialNotProven(
                f"{claim}: no signed NSEC or NSEC3 records prove it (missing RRSIG "
                "or unsigned zone); the zone is not signed, or records were "
                "removed on the way"
            )
        zones = set()
        for proof in proofs:
            sigs = _sigs(response.authority, proof.name, proof.rdtype)
            zones.add(self._verify_in_zone(proof, sigs, "proof of absence"))
        if len(zones) != 1 or not name.is_subdomain(next(iter(zones))):
            raise DenialNotProven(
                f"{claim}: the NSEC or NSEC3 records are not those of the zone of "
                f"{name}"
            )
        zone = zones.pop()
        nsec = [r for r in proofs if r.rdtype == dns.rdatatype.NSEC]
        nsec3 = [r for r in proofs if r.rdtype == dns.rdatatype.NSEC3]
        if nsec and nsec_denies(name, qtype, nsec, nxdomain=nxdomain):
            return
        if nsec3 and nsec3_denies(name, qtype, nsec3, zone, nxdomain=nxdomain):
            return
        raise DenialNotProven(
            f"{claim}: the signed NSEC or NSEC3 records do not prove it (denial "
            "not proven)"
        )


def _find(section: Iterable[Any], name: dns.name.Name, rdtype: Any) -> Any:
    for rrset in section:
        if rrset.name == name and rrset.rdtype == rdtype:
            return rrset
    return None


def _sigs(section: Iterable[Any], name: dns.name.Name, covers: Any) -> list[Any]:
    return [
        sig
        for rrset in section
        if rrset.name == name and rrset.rdtype == dns.rdatatype.RRSIG
        for sig in rrset
        if sig.type_covered == covers
    ]


def _label_count(name: dns.name.Name) -> int:
    """The RRSIG label count of a name: without the root and a leading ``*``."""
    labels = len(name.labels) - 1
    return labels - 1 if name.labels and name.labels[0] == b"*" else labels


def types_in(rdata: Any) -> set[int]:
    """The record types an NSEC or NSEC3 type bitmap lists."""
    found: set[int] = set()
    for window, bitmap in rdata.windows:
        for index, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    found.add(window * 256 + index * 8 + bit)
    return found


def _no_data(rdata: Any, qtype: Any) -> bool:
    listed = types_in(rdata)
    return qtype not in listed and dns.rdatatype.CNAME not in listed


def _covers(owner: Any, following: Any, value: Any) -> bool:
    """Whether ``value`` lies strictly between an owner and the next one.

    The last record of a chain points back to the first, so it covers
    everything after its owner and before the first.
    """
    if owner < following:
        return owner < value < following
    return value > owner or value < following


def nsec_denies(
    name: dns.name.Name, qtype: Any, rrsets: Iterable[Any], *, nxdomain: bool
) -> bool:
    """Whether NSEC records prove no ``qtype`` (or no name) at ``name``."""
    records = [(r.name, rdata) for r in rrsets for rdata in r]
    if not nxdomain:
        for owner, rdata in records:
            if owner == name:
                return _no_data(rdata, qtype)
        # an empty non-terminal: the next name is below it
        return any(
            _covers(owner, rdata.next, name) and rdata.next.is_subdomain(name)
            for owner, rdata in records
        )
    covering = [
        (owner, rdata)
        for owner, rdata in records
        if _covers(owner, rdata.next, name) and not rdata.next.is_subdomain(name)
    ]
    if not covering:
        return False
    owner, rdata = covering[0]
    common = max(
        name.fullcompare(owner)[2],
        name.fullcompare(rdata.next)[2],
    )
    encloser = name.split(common)[1]
    wildcard = dns.name.Name((b"*", *encloser.labels))
    return any(_covers(o, r.next, wildcard) for o, r in records)


def _b32(label: bytes) -> bytes:
    return base64.b32hexdecode(label.upper())


def nsec3_denies(
    name: dns.name.Name,
    qtype: Any,
    rrsets: Iterable[Any],
    zone: dns.name.Name,
    *,
    nxdomain: bool,
) -> bool:
    """Whether NSEC3 records prove no ``qtype`` (or no name) at ``name``.

    For a name that does not exist: the closest encloser proof of RFC 5155
    7.2.1, a record matching the closest existing ancestor, one covering the
    next closer name and one covering the wildcard at the closest encloser.
    """
    records: list[tuple[bytes, Any]] = []
    for rrset in rrsets:
        if rrset.name.parent() != zone:
            return False
        try:
            owner = _b32(rrset.name.labels[0])
        except ValueError:
            return False
        records.extend((owner, rdata) for rdata in rrset)
    if not records:
        return False
    first = records[0][1]
    params = (first.salt, first.iterations, first.algorithm)
    if any((r.salt, r.iterations, r.algorithm) != params for _, r in records):
        return False

    def hashed(n: dns.name.Name) -> bytes:
        return _b32(dns.dnssec.nsec3_hash(n, first.salt, first.iterations, 1).encode())

    def matching(n: dns.name.Name) -> Any:
        value = hashed(n)
        return next((r for owner, r in records if owner == value), None)

    def covered(n: dns.name.Name) -> bool:
        value = hashed(n)
        return any(_covers(owner, r.next, value) for owner, r in records)

    if first.algorithm != 1:
        return False
    if not nxdomain:
        found = matching(name)
        return found is not None and _no_data(found, qtype)
    closer = name
    encloser = name.parent()
    while encloser.is_subdomain(zone):
        if matching(encloser) is not None:
            wildcard = dns.name.Name((b"*", *encloser.labels))
            return covered(closer) and covered(wildcard)
        if encloser == zone:
            break
        closer, encloser = encloser, encloser.parent()
    return False

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS records that publish one gateway's public keys, and how to get there.

Private to this collection; the public interface is the ``dns_keys`` module.
Nothing here talks to a server: ``_dnsupdate`` reads and writes, this file
decides what to write.

For a gateway named ``gw1.example.`` with address ``198.51.100.10``:

``gw1.example. A 198.51.100.10`` (``AAAA`` for IPv6)
    at the *forward name*
``10.100.51.198.in-addr.arpa. PTR gw1.example.``
    at the *reverse name* of each address
``IPSECKEY 10 0 2 . AwEAAc...``
    (RFC 4025) at the forward name, the reverse names or both: precedence,
    gateway type (0 none, 1 IPv4, 2 IPv6, 3 name), algorithm (2 RSA, 3 ECDSA,
    4 EdDSA), gateway, public key
``TXT "X-IPsec-Server(10)=198.51.100.10" "AwEAAc..."``
    the form FreeS/WAN read before IPSECKEY existed, RSA only

The *owned* records of a gateway are what ``state=present`` makes exactly
right: the address records at its forward name, the PTR at its reverse names,
every IPSECKEY at those names, and the TXT records there that begin with
``X-IPsec-Server``. Other records at the same names are never touched.
``state=absent`` is narrower still: it removes only the records that
``state=present`` with the same options would have published.

Public keys are read from PEM and written in the forms DNS uses: RSA as in
RFC 3110 (exponent length, exponent, modulus), ECDSA P-256 and P-384 as the
point ``x || y`` (RFC 6605), Ed25519 and Ed448 as their raw bytes (RFC 8080,
RFC 9373). Private keys are refused, so that they never leave the gateway.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

try:
    import dns.exception
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.reversename
    import dns.tsig
    import dns.update
    from dns.rdtypes.ANY.PTR import PTR
    from dns.rdtypes.ANY.TXT import TXT
    from dns.rdtypes.IN.A import A
    from dns.rdtypes.IN.AAAA import AAAA
    from dns.rdtypes.IN.IPSECKEY import IPSECKEY

    DNSPYTHON_IMPORT_ERROR: ImportError | None = None
except ImportError as exc:  # reported by the module with install advice
    DNSPYTHON_IMPORT_ERROR = exc

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = None
except ImportError as exc:  # reported by the module with install advice
    CRYPTOGRAPHY_IMPORT_ERROR = exc

# IPSECKEY algorithm numbers (RFC 4025, RFC 9373)
ALGORITHM_DSA = 1
ALGORITHM_RSA = 2
ALGORITHM_ECDSA = 3
ALGORITHM_EDDSA = 4

LOCATIONS = ("forward", "reverse", "both")
GATEWAY_FORMS = ("none", "address", "name")
STATES = ("present", "absent")

TXT_LEGACY_PREFIX = b"x-ipsec-server("
TXT_STRING_MAX = 255
TTL_MAX = 2**31 - 1

# The owner name of the extra record that makes a trial update fail
TRIAL_SENTINEL = "swanfleet-trial-update.invalid."


class DnsKeysError(Exception):
    """Something the operator has to fix; the message says what and where."""


class PublicKeyError(DnsKeysError):
    """A public key cannot be read or has no DNS form."""


class SettingsError(DnsKeysError):
    """The options contradict each other or name something invalid."""


# public keys


@dataclass(frozen=True)
class PublicKey:
    """One public key in the form the IPSECKEY key field holds."""

    algorithm: int
    data: bytes
    kind: str

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")


def rsa_rfc3110(exponent: int, modulus: int) -> bytes:
    """Encode an RSA public key as RFC 3110 does for DNS.

    One length byte for the exponent, or a zero byte and two length bytes when
    the exponent is longer than 255 bytes; then exponent and modulus, both
    big-endian without leading zeros.
    """
    if exponent < 1 or modulus < 1:
        raise PublicKeyError("an RSA exponent and modulus must be positive")
    exp = _unsigned(exponent)
    if len(exp) <= 255:
        head = bytes([len(exp)])
    else:
        head = b"\x00" + len(exp).to_bytes(2, "big")
    return head + exp + _unsigned(modulus)


def _unsigned(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


_EC_SIZES = {"secp256r1": ("P-256", 32), "secp384r1": ("P-384", 48)}


def load_public_key(pem: str, *, label: str = "public_key") -> PublicKey:
    """Read a PEM public key and encode it for IPSECKEY.

    ``label`` names the option in error messages. A private key is refused
    without being parsed: the module receives only what may be published.
    """
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise PublicKeyError(f"reading {label} needs cryptography")
    text = pem.strip()
    if "PRIVATE KEY" in text:
        raise PublicKeyError(
            f"{label} holds a private key. Pass the public key only, for example "
            "from 'pki --pub --in KEYFILE' or 'openssl pkey -in KEYFILE -pubout' "
            "run on the gateway, so that the private key never leaves it"
        )
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise PublicKeyError(f"{label} is not a PEM public key: {exc}") from None

    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        data = rsa_rfc3110(numbers.e, numbers.n)
        return PublicKey(ALGORITHM_RSA, data, f"RSA {key.key_size}")
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _EC_SIZES:
            raise PublicKeyError(
                f"{label} is an ECDSA key on {key.curve.name}; IPSECKEY carries "
                "ECDSA keys on P-256 and P-384 only"
            )
        curve, size = _EC_SIZES[key.curve.name]
        point = key.public_numbers()
        data = point.x.to_bytes(size, "big") + point.y.to_bytes(size, "big")
        return PublicKey(ALGORITHM_ECDSA, data, f"ECDSA {curve}")
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        data = key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        kind = "Ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "Ed448"
        return PublicKey(ALGORITHM_EDDSA, data, kind)
    if isinstance(key, dsa.DSAPublicKey):
        raise PublicKeyError(
            f"{label} is a DSA key; DSA (IPSECKEY algorithm 1) is obsolete and "
            "not published. Use an RSA, ECDSA P-256/P-384 or Ed25519 key"
        )
    raise PublicKeyError(
        f"{label} is a {type(key).__name__}, which IPSECKEY cannot carry; "
        "use an RSA, ECDSA P-256/P-384 or Ed25519 key"
    )


def public_key_pem(algorithm: int, data: bytes) -> str | None:
    """The PEM public key an IPSECKEY key field holds; None if not understood.

    The inverse of :func:`load_public_key`. ECDSA and EdDSA keys carry no curve,
    so it is told by the length, as strongSwan does.
    """
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise PublicKeyError("reading IPSECKEY keys needs cryptography")
    try:
        if algorithm == ALGORITHM_RSA:
            key: Any = _rsa_from_rfc3110(data)
        elif algorithm == ALGORITHM_ECDSA and len(data) in (64, 96):
            curve = ec.SECP256R1() if len(data) == 64 else ec.SECP384R1()
            key = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + data)
        elif algorithm == ALGORITHM_EDDSA and len(data) == 32:
            key = ed25519.Ed25519PublicKey.from_public_bytes(data)
        elif algorithm == ALGORITHM_EDDSA and len(data) == 57:
            key = ed448.Ed448PublicKey.from_public_bytes(data)
        else:
            return None
    except ValueError:
        return None
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _rsa_from_rfc3110(data: bytes) -> Any:
    if len(data) < 3:
        raise ValueError("too short")
    if data[0]:
        length, start = data[0], 1
    else:
        length, start = int.from_bytes(data[1:3], "big"), 3
    exponent = data[start : start + length]
    modulus = data[start + length :]
    if len(exponent) != length or not modulus:
        raise ValueError("truncated")
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")
    )
    return numbers.public_key()


# what to publish


@dataclass(frozen=True)
class KeyPublication:
    """Everything that decides the records of one gateway."""

    name: dns.name.Name
    addresses: tuple[str, ...]
    keys: tuple[PublicKey, ...]
    ipseckey: bool = True
    ipseckey_at: str = "forward"
    precedence: int = 10
    gateway: str = "none"
    txt_legacy: bool = False
    ptr: bool = True
    ttl: int = 3600

    @property
    def reverse_names(self) -> dict[str, dns.name.Name]:
        return {a: dns.reversename.from_address(a) for a in self.addresses}

    @property
    def manages_reverse(self) -> bool:
        return self.ptr or self.ipseckey_at != "forward"

    def names(self) -> list[dns.name.Name]:
        """The forward name, then the reverse names this publication manages."""
        if not self.manages_reverse:
            return [self.name]
        return [self.name, *self.reverse_names.values()]


def key_publication(
    *,
    name: str,
    addresses: Iterable[str],
    public_keys: Iterable[str],
    ipseckey: bool = True,
    ipseckey_at: str = "forward",
    precedence: int = 10,
    gateway: str = "none",
    txt_legacy: bool = False,
    ptr: bool = True,
    ttl: int = 3600,
) -> KeyPublication:
    """Validate the options of one gateway; raise SettingsError or PublicKeyError."""
    try:
        fqdn = dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise SettingsError(f"name {name!r} is not a DNS name: {exc}") from None
    if len(fqdn.labels) < 3:  # a host label, a domain, the root
        raise SettingsError(f"name {name!r} is not a fully qualified domain name")

    normalised: list[str] = []
    for value in addresses:
        try:
            address = ipaddress.ip_address(str(value).strip()).compressed
        except ValueError:
            raise SettingsError(
                f"addresses: {value!r} is not an IPv4 or IPv6 address"
            ) from None
        if address not in normalised:
            normalised.append(address)

    keys: list[PublicKey] = []
    for index, pem in enumerate(public_keys):
        key = load_public_key(pem, label=f"public_key[{index}]")
        if key not in keys:
            keys.append(key)

    if ipseckey_at not in LOCATIONS:
        raise SettingsError(f"ipseckey_at must be one of {', '.join(LOCATIONS)}")
    if gateway not in GATEWAY_FORMS:
        raise SettingsError(f"gateway must be one of {', '.join(GATEWAY_FORMS)}")
    if not 0 <= precedence <= 255:
        raise SettingsError(f"precedence {precedence} is outside 0..255")
    if not 0 <= ttl <= TTL_MAX:
        raise SettingsError(f"ttl {ttl} is outside 0..{TTL_MAX}")

    if (ipseckey or txt_legacy) and not keys:
        raise SettingsError(
            "public_key is empty; give the gateway's public key, or set "
            "ipseckey and txt_legacy to false to publish addresses only"
        )
    if txt_legacy and not any(k.algorithm == ALGORITHM_RSA for k in keys):
        raise SettingsError(
            "txt_legacy needs an RSA key: the X-IPsec-Server TXT form carries RSA "
            "keys only"
        )
    if not normalised:
        if gateway == "address" and (ipseckey or txt_legacy):
            raise SettingsError("gateway=address needs at least one address")
        if ipseckey and ipseckey_at != "forward":
            raise SettingsError(
                f"ipseckey_at={ipseckey_at} needs addresses: reverse names are "
                "derived from them"
            )
        if txt_legacy and gateway != "name":
            raise SettingsError(
                "txt_legacy needs addresses, or gateway=name, for the part after "
                "X-IPsec-Server(precedence)="
            )

    return KeyPublication(
        name=fqdn,
        addresses=tuple(normalised),
        keys=tuple(keys),
        ipseckey=ipseckey,
        ipseckey_at=ipseckey_at,
        precedence=precedence,
        gateway=gateway,
        txt_legacy=txt_legacy,
        ptr=ptr,
        ttl=ttl,
    )


@dataclass(frozen=True)
class Wanted:
    """The records one name and type should hold.

    With ``shared`` set, the RRset may also hold records of others, and only
    those that :meth:`owns` recognises belong to the gateway.
    """

    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    rdatas: frozenset = field(default_factory=frozenset)
    shared: bool = False

    def owns(self, rdata: dns.rdata.Rdata) -> bool:
        if not self.shared:
            return True
        return is_legacy_txt(rdata)


def is_legacy_txt(rdata: dns.rdata.Rdata) -> bool:
    """Whether a TXT record is in the FreeS/WAN X-IPsec-Server form."""
    strings = getattr(rdata, "strings", ())
    return bool(strings) and strings[0].lower().startswith(TXT_LEGACY_PREFIX)


def _ipseckey(
    pub: KeyPublication, key: PublicKey, gateway_address: str | None
) -> IPSECKEY:
    if pub.gateway == "name":
        gateway_type, gateway = 3, pub.name
    elif pub.gateway == "address" and gateway_address is not None:
        gateway_type = 1 if ipaddress.ip_address(gateway_address).version == 4 else 2
        gateway = gateway_address
    else:
        gateway_type, gateway = 0, None
    return IPSECKEY(
        dns.rdataclass.IN,
        dns.rdatatype.IPSECKEY,
        pub.precedence,
        gateway_type,
        key.algorithm,
        gateway,
        key.data,
    )


def legacy_txt(precedence: int, server: str, key: PublicKey) -> TXT:
    """The FreeS/WAN TXT record: ``X-IPsec-Server(P)=SERVER`` then the key.

    FreeS/WAN joins the strings of a TXT record with a space after each one
    that is shorter than 255 bytes, so the key is cut into full 255-byte
    strings and only its last piece may be shorter.
    """
    head = f"X-IPsec-Server({precedence})={server}".encode("ascii")
    text = key.base64.encode("ascii")
    chunks = [text[i : i + TXT_STRING_MAX] for i in range(0, len(text), TXT_STRING_MAX)]
    return TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [head, *chunks])


def wanted_rrsets(pub: KeyPublication) -> list[Wanted]:
    """The owned RRsets of a gateway, each with the records it should hold."""
    rsa_keys = [k for k in pub.keys if k.algorithm == ALGORITHM_RSA]
    at_forward = pub.ipseckey_at in ("forward", "both")
    at_reverse = pub.ipseckey_at in ("reverse", "both")
    # the TXT form names an address unless the gateway is named
    txt_servers = pub.addresses if pub.gateway != "name" else ()
    at_name = "@" + pub.name.to_text(omit_final_dot=True)

    # forward name
    v4 = [a for a in pub.addresses if ipaddress.ip_address(a).version == 4]
    v6 = [a for a in pub.addresses if ipaddress.ip_address(a).version == 6]
    forward_keys: set = set()
    forward_txt: set = set()
    if pub.ipseckey and at_forward:
        for key in pub.keys:
            if pub.gateway == "address":
                forward_keys.update(_ipseckey(pub, key, a) for a in pub.addresses)
            else:
                forward_keys.add(_ipseckey(pub, key, None))
    if pub.txt_legacy and at_forward:
        for key in rsa_keys:
            servers = txt_servers or (at_name,)
            forward_txt.update(legacy_txt(pub.precedence, s, key) for s in servers)
    wanted = [
        Wanted(pub.name, dns.rdatatype.A, frozenset(_a(a) for a in v4)),
        Wanted(pub.name, dns.rdatatype.AAAA, frozenset(_aaaa(a) for a in v6)),
        Wanted(pub.name, dns.rdatatype.IPSECKEY, frozenset(forward_keys)),
        Wanted(pub.name, dns.rdatatype.TXT, frozenset(forward_txt), shared=True),
    ]
    if not pub.manages_reverse:
        return wanted

    # reverse names
    for address, rname in pub.reverse_names.items():
        keys: set = set()
        txts: set = set()
        if pub.ipseckey and at_reverse:
            keys.update(_ipseckey(pub, k, address) for k in pub.keys)
        if pub.txt_legacy and at_reverse:
            server = address if txt_servers else at_name
            txts.update(legacy_txt(pub.precedence, server, k) for k in rsa_keys)
        if pub.ptr:
            ptr = PTR(dns.rdataclass.IN, dns.rdatatype.PTR, pub.name)
            wanted.append(Wanted(rname, dns.rdatatype.PTR, frozenset([ptr])))
        wanted.append(Wanted(rname, dns.rdatatype.IPSECKEY, frozenset(keys)))
        wanted.append(Wanted(rname, dns.rdatatype.TXT, frozenset(txts), shared=True))
    return wanted


def _a(address: str) -> A:
    return A(dns.rdataclass.IN, dns.rdatatype.A, address)


def _aaaa(address: str) -> AAAA:
    return AAAA(dns.rdataclass.IN, dns.rdatatype.AAAA, address)


# the difference


RRsetKey = tuple  # (dns.name.Name, dns.rdatatype.RdataType)


@dataclass(frozen=True)
class RRset:
    """What one name and type hold on the server (no records: ``rdatas`` empty)."""

    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    ttl: int = 0
    rdatas: frozenset = field(default_factory=frozenset)

    @property
    def key(self) -> RRsetKey:
        return (self.name, self.rdtype)

    def lines(self) -> list[str]:
        return [record_line(self.name, self.ttl, r) for r in _sorted(self.rdatas)]


@dataclass(frozen=True)
class Change:
    """The difference for one RRset, and the state it was computed from."""

    before: RRset
    after: RRset
    delete: frozenset
    add: frozenset

    @property
    def name(self) -> dns.name.Name:
        return self.before.name

    @property
    def rdtype(self) -> dns.rdatatype.RdataType:
        return self.before.rdtype

    def removed_lines(self) -> list[str]:
        return [
            record_line(self.name, self.before.ttl, r) for r in _sorted(self.delete)
        ]

    def added_lines(self) -> list[str]:
        return [record_line(self.name, self.after.ttl, r) for r in _sorted(self.add)]


def record_line(name: dns.name.Name, ttl: int, rdata: dns.rdata.Rdata) -> str:
    """One record as a zone file line, base64 kept on one line."""
    rdtype = dns.rdatatype.to_text(rdata.rdtype)
    return f"{name} {ttl} IN {rdtype} {rdata.to_text(chunksize=0)}"


def _sorted(rdatas: Iterable[dns.rdata.Rdata]) -> list[dns.rdata.Rdata]:
    return sorted(rdatas, key=lambda r: r.to_text(chunksize=0))


def diff(
    wanted: Iterable[Wanted], current: Mapping[RRsetKey, RRset], *, state: str, ttl: int
) -> list[Change]:
    """The changes that make the server's RRsets what ``state`` asks for.

    ``current`` holds what the server has for every wanted name and type. Only
    RRsets that need a change are returned. A TTL change removes and re-adds the
    records that stay, since one RRset has one TTL.
    """
    if state not in STATES:
        raise SettingsError(f"state must be one of {', '.join(STATES)}")
    changes: list[Change] = []
    for want in wanted:
        before = current.get((want.name, want.rdtype)) or RRset(want.name, want.rdtype)
        have = before.rdatas
        if state == "present":
            delete = frozenset(r for r in have if want.owns(r)) - want.rdatas
            add = want.rdatas - have
            keep = want.rdatas & have
            if keep and before.ttl != ttl:
                delete |= keep
                add |= keep
            after_ttl = ttl if add else before.ttl
        else:
            delete = have & want.rdatas
            add = frozenset()
            after_ttl = before.ttl
        if not delete and not add:
            continue
        after_rdatas = (have - delete) | add
        after = RRset(
            want.name, want.rdtype, after_ttl if after_rdatas else 0, after_rdatas
        )
        changes.append(Change(before, after, frozenset(delete), frozenset(add)))
    return changes


# zones and update messages


def zone_of(
    name: dns.name.Name, zones: Iterable[dns.name.Name]
) -> dns.name.Name | None:
    """The longest of ``zones`` that contains ``name``, or None."""
    containing = [z for z in zones if name.is_subdomain(z)]
    return max(containing, key=lambda z: len(z.labels)) if containing else None


def parse_zone(text: str, *, label: str) -> dns.name.Name:
    try:
        return dns.name.from_text(text)
    except dns.exception.DNSException as exc:
        raise SettingsError(f"{label} {text!r} is not a DNS name: {exc}") from None


def tsig_key(name: str, secret: str, algorithm: str) -> dns.tsig.Key:
    """A TSIG key; the secret is checked without ever being quoted back."""
    try:
        raw = base64.b64decode(secret.strip(), validate=True)
    except ValueError:
        raise SettingsError("tsig_secret is not valid base64") from None
    if not raw:
        raise SettingsError("tsig_secret is empty")
    try:
        return dns.tsig.Key(dns.name.from_text(name), raw, algorithm)
    except dns.exception.DNSException as exc:
        raise SettingsError(f"tsig_key_name {name!r} is not valid: {exc}") from None


def update_message(
    zone: dns.name.Name,
    changes: Iterable[Change],
    *,
    key: dns.tsig.Key | None,
    trial: bool = False,
) -> dns.update.UpdateMessage:
    """One RFC 2136 UPDATE for a zone, guarded by what was read.

    Every changed RRset gets a prerequisite: "RRset exists (value dependent)"
    with the records read, or "RRset does not exist" if there were none. If
    someone else changed it since, the server answers NXRRSET and applies
    nothing. Removals come before additions so that a TTL change (remove,
    then add with the new TTL) works within one message.

    A *trial* update ends with a record outside the zone. The server checks
    signature, permissions and every record before it, then refuses the whole
    message with NOTZONE, so nothing is applied.
    """
    changes = list(changes)
    message = dns.update.UpdateMessage(zone, keyring=key)
    for change in changes:
        if change.before.rdatas:
            message.present(change.name, *_sorted(change.before.rdatas))
        else:
            message.absent(change.name, change.rdtype)
    for change in changes:
        if change.delete:
            message.delete(change.name, *_sorted(change.delete))
    for change in changes:
        if change.add:
            message.add(change.name, change.after.ttl, *_sorted(change.add))
    if trial:
        sentinel = TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [b"trial"])
        message.add(dns.name.from_text(TRIAL_SENTINEL), 0, sentinel)
    return message

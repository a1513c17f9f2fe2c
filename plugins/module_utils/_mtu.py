# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The largest inner packet that fits into one ESP tunnel-mode packet.

Private to this collection; the public interface is the ``tunnel_mtu`` module
and filter.

An ESP tunnel-mode packet (RFC 4303) on a link of MTU ``L`` is laid out as::

    outer IP | UDP | SPI, seq | IV | inner packet | padding | pad len, next hdr | ICV
     20 / 40    8       8      iv        P                       2             icv

The outer header is IPv4 (20 bytes) or IPv6 (40 bytes). The 8-byte UDP header
(RFC 3948) is there when the SA is UDP-encapsulated: when either side is behind
NAT, when ``encap = yes`` is set, and always with strongSwan's userspace ESP
(kernel-libipsec). The padding makes ``P + 2`` a multiple of the alignment
``A``: the cipher's block size rounded up to a multiple of 4, because ESP keeps
the ICV on a 4-byte boundary even for stream ciphers and AEADs (block size 1).

Linux sizes an ESP tunnel-mode SA with ``xfrm_state_mtu()`` (``esp4_get_mtu()``
and ``esp6_get_mtu()`` in older kernels). With ``H = outer IP + UDP + 8 + IV``
as set up by ``esp_init_state()`` and ``ICV`` the AEAD's authsize::

    mtu = ((L - H - ICV) rounded down to a multiple of A) - 2

which is the largest ``P`` for which the packet above still fits in ``L``.
strongSwan's userspace ESP pads the same way (block size, then a 4-byte
boundary), so the same formula holds for its TUN device.

The data plane may carry less than the path allows. strongSwan's userspace ESP
(kernel-libipsec, as of 5.9.8) creates its TUN device at 1400 bytes and reads
every packet from it into a buffer of that size, whatever MTU the device is
given later: a larger packet is cut short, encrypted as it is, and dropped by
the peer's kernel as a truncated IP packet. With that data plane the MTU is the
smaller of the formula's result and 1400 (``limited_by`` says which applied).

For 1500 bytes and an IPv4 outer header, AES-GCM-16 gives
``(1500 - 36 - 16) & ~3 = 1448``, less 2: 1446, and AES-CBC with
HMAC-SHA2-256-128 gives ``(1500 - 44 - 16) & ~15 = 1440``, less 2: 1438.
A TCP segment inside carries at most ``mtu - 40`` bytes over IPv4 and
``mtu - 60`` over IPv6.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OUTER_HEADER = {"ipv4": 20, "ipv6": 40}
UDP_HEADER = 8
ESP_HEADER = 8
ESP_TRAILER = 2
INNER_MINIMUM = {"ipv4": 576, "ipv6": 1280}
TCP_IP_HEADERS = {"ipv4": 40, "ipv6": 60}
LARGEST_PACKET = 65535

# the largest inner packet each data plane carries by itself; None: no limit
# but the path's (see this module's docstring for strongSwan's userspace ESP)
DATAPLANE_LIMIT: dict[str, int | None] = {"kernel": None, "libipsec": 1400}
DATAPLANES = tuple(DATAPLANE_LIMIT)

FAMILIES = tuple(OUTER_HEADER)


class MtuError(ValueError):
    """The tunnel MTU cannot be computed from what was given."""


class UnknownAlgorithmError(MtuError):
    """A proposal names an algorithm this arithmetic does not know."""


class MtuTooSmallError(MtuError):
    """The link is too small to carry the inner traffic through ESP."""


@dataclass(frozen=True)
class Cipher:
    """An ESP encryption transform, sized as the Linux kernel implements it."""

    name: str
    iv: int
    block: int
    icv: int = 0

    @property
    def aead(self) -> bool:
        return self.icv > 0


@dataclass(frozen=True)
class Integrity:
    """An ESP integrity transform; ``icv`` is the truncated length on the wire."""

    name: str
    icv: int


@dataclass(frozen=True)
class Transform:
    """One combination of algorithms that an SA can be negotiated with."""

    cipher: Cipher
    integrity: Integrity | None = None

    @property
    def icv(self) -> int:
        return self.cipher.icv + (self.integrity.icv if self.integrity else 0)

    @property
    def alignment(self) -> int:
        return -(-self.cipher.block // 4) * 4

    def __str__(self) -> str:
        if self.integrity is None:
            return self.cipher.name
        return f"{self.cipher.name} with {self.integrity.name}"


@dataclass(frozen=True)
class TunnelMtu:
    """The result: the inner MTU on a link and the TCP MSS that fits it.

    ``fit`` is the largest inner packet the link carries in one ESP packet;
    ``limit`` the largest the data plane carries (None: no limit of its own).
    """

    link_mtu: int
    fit: int
    transform: Transform
    limit: int | None = None

    @property
    def mtu(self) -> int:
        return self.fit if self.limit is None else min(self.fit, self.limit)

    @property
    def limited_by(self) -> str:
        return "path" if self.mtu == self.fit else "dataplane"

    @property
    def overhead(self) -> int:
        """Bytes ESP adds to a packet of ``fit`` bytes, padding included."""
        return self.link_mtu - self.fit

    @property
    def mss_ipv4(self) -> int:
        return self.mtu - TCP_IP_HEADERS["ipv4"]

    @property
    def mss_ipv6(self) -> int:
        return self.mtu - TCP_IP_HEADERS["ipv6"]

    def as_dict(self) -> dict[str, int | str]:
        return {
            "mtu": self.mtu,
            "overhead": self.overhead,
            "mss_ipv4": self.mss_ipv4,
            "mss_ipv6": self.mss_ipv6,
            "limited_by": self.limited_by,
        }


# IV and block sizes from RFC 3602 (CBC), 3686 (CTR), 4106 (GCM), 4309 (CCM),
# 4543 (GMAC) and 7634 (ChaCha20-Poly1305); block 1 for the stream modes
AES_CBC = Cipher("AES-CBC", iv=16, block=16)
AES_CTR = Cipher("AES-CTR", iv=8, block=1)
AES_GCM_8 = Cipher("AES-GCM-8", iv=8, block=1, icv=8)
AES_GCM_12 = Cipher("AES-GCM-12", iv=8, block=1, icv=12)
AES_GCM_16 = Cipher("AES-GCM-16", iv=8, block=1, icv=16)
AES_CCM_8 = Cipher("AES-CCM-8", iv=8, block=1, icv=8)
AES_CCM_12 = Cipher("AES-CCM-12", iv=8, block=1, icv=12)
AES_CCM_16 = Cipher("AES-CCM-16", iv=8, block=1, icv=16)
AES_GMAC = Cipher("AES-GMAC", iv=8, block=1, icv=16)
CHACHA20_POLY1305 = Cipher("ChaCha20-Poly1305", iv=8, block=1, icv=16)
CAMELLIA_CBC = Cipher("Camellia-CBC", iv=16, block=16)
SERPENT_CBC = Cipher("Serpent-CBC", iv=16, block=16)
TWOFISH_CBC = Cipher("Twofish-CBC", iv=16, block=16)
TRIPLE_DES_CBC = Cipher("3DES-CBC", iv=8, block=8)
DES_CBC = Cipher("DES-CBC", iv=8, block=8)
BLOWFISH_CBC = Cipher("Blowfish-CBC", iv=8, block=8)
CAST128_CBC = Cipher("CAST-128-CBC", iv=8, block=8)
NULL = Cipher("NULL", iv=0, block=1)

# ICV lengths from RFC 2404, 2403, 4868, 3566 and 4494
HMAC_SHA1_96 = Integrity("HMAC-SHA1-96", 12)
HMAC_SHA1_160 = Integrity("HMAC-SHA1-160", 20)
HMAC_SHA2_256_96 = Integrity("HMAC-SHA2-256-96", 12)
HMAC_SHA2_256_128 = Integrity("HMAC-SHA2-256-128", 16)
HMAC_SHA2_384_192 = Integrity("HMAC-SHA2-384-192", 24)
HMAC_SHA2_512_256 = Integrity("HMAC-SHA2-512-256", 32)
HMAC_MD5_96 = Integrity("HMAC-MD5-96", 12)
HMAC_MD5_128 = Integrity("HMAC-MD5-128", 16)
AES_XCBC_96 = Integrity("AES-XCBC-96", 12)
AES_CMAC_96 = Integrity("AES-CMAC-96", 12)


def _cipher_keywords() -> dict[str, Cipher]:
    """strongSwan's names for the ESP ciphers the Linux kernel implements."""
    names: dict[str, Cipher] = {
        "aes": AES_CBC,
        "chacha20poly1305": CHACHA20_POLY1305,
        "chacha20poly1305compat": CHACHA20_POLY1305,
        "camellia": CAMELLIA_CBC,
        "serpent": SERPENT_CBC,
        "twofish": TWOFISH_CBC,
        "blowfish": BLOWFISH_CBC,
        "3des": TRIPLE_DES_CBC,
        "des": DES_CBC,
        "cast128": CAST128_CBC,
        "null": NULL,
    }
    icv_suffixes = {
        8: ("8", "64"),
        12: ("12", "96"),
        16: ("16", "128", ""),
    }
    gcm = {8: AES_GCM_8, 12: AES_GCM_12, 16: AES_GCM_16}
    ccm = {8: AES_CCM_8, 12: AES_CCM_12, 16: AES_CCM_16}
    for bits in ("128", "192", "256"):
        names[f"aes{bits}"] = AES_CBC
        names[f"aes{bits}ctr"] = AES_CTR
        names[f"aes{bits}gmac"] = AES_GMAC
        for icv, suffixes in icv_suffixes.items():
            for suffix in suffixes:
                names[f"aes{bits}gcm{suffix}"] = gcm[icv]
                names[f"aes{bits}ccm{suffix}"] = ccm[icv]
        for family, cipher in (
            ("camellia", CAMELLIA_CBC),
            ("serpent", SERPENT_CBC),
            ("twofish", TWOFISH_CBC),
            ("blowfish", BLOWFISH_CBC),
        ):
            names[f"{family}{bits}"] = cipher
    return names


CIPHERS = _cipher_keywords()

INTEGRITIES: dict[str, Integrity] = {
    "sha": HMAC_SHA1_96,
    "sha1": HMAC_SHA1_96,
    "sha1_160": HMAC_SHA1_160,
    "sha256": HMAC_SHA2_256_128,
    "sha2_256": HMAC_SHA2_256_128,
    "sha256_96": HMAC_SHA2_256_96,
    "sha2_256_96": HMAC_SHA2_256_96,
    "sha384": HMAC_SHA2_384_192,
    "sha2_384": HMAC_SHA2_384_192,
    "sha512": HMAC_SHA2_512_256,
    "sha2_512": HMAC_SHA2_512_256,
    "md5": HMAC_MD5_96,
    "md5_128": HMAC_MD5_128,
    "aesxcbc": AES_XCBC_96,
    "aescmac": AES_CMAC_96,
}

# key exchange, PRF and sequence number keywords change nothing on the wire
_NO_OVERHEAD = re.compile(
    r"(ke[1-7]_)?("
    r"none|modpnone|modpnull|modp(768|1024|1536|2048|3072|4096|6144|8192)"
    r"|modp1024s160|modp2048s224|modp2048s256"
    r"|ecp(192|224|256|384|521)|ecp(224|256|384|512)bp"
    r"|curve25519|curve448|x25519|x448|mlkem(512|768|1024)"
    r"|ntru(112|128|192|256)|ntru[pr][135]|kyber[135]|saber[135]|bike[135]"
    r"|frodo[as][135]|hqc[135]|sike[1235])"
    r"|esn|noesn|prf(sha1|sha256|sha384|sha512|md5|aesxcbc|camelliaxcbc|aescmac)"
)

# strongSwan's "default" ESP proposals: an AEAD one and a classic one
_DEFAULT = (
    "aes128gcm16-aes192gcm16-aes256gcm16",
    "aes128-aes192-aes256-sha256-sha384-sha512-sha1-aesxcbc",
)


def normalize_family(family: str | int, *, what: str = "family") -> str:
    """Return ``ipv4`` or ``ipv6`` for the spellings people use."""
    text = str(family).strip().lower()
    aliases = {"4": "ipv4", "inet": "ipv4", "6": "ipv6", "inet6": "ipv6"}
    text = aliases.get(text, text)
    if text not in FAMILIES:
        raise MtuError(f"{what} is {family!r}; use ipv4 or ipv6")
    return text


def _split_proposals(proposals: str | Iterable[str]) -> list[str]:
    items = [proposals] if isinstance(proposals, str) else list(proposals)
    found: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise MtuError(f"ESP proposal {item!r} is not a string")
        found.extend(p.strip().rstrip("!") for p in item.split(",") if p.strip())
    if not found:
        raise MtuError("no ESP proposal given")
    return found


def parse_proposal(proposal: str) -> list[Transform]:
    """Every transform one strongSwan ESP proposal can be negotiated to.

    A proposal lists algorithms separated by ``-``; any of its ciphers can be
    chosen with any of its integrity algorithms. An AEAD cipher takes no
    integrity algorithm. strongSwan refuses a proposal that mixes AEAD and
    classic ciphers; it is accepted here so that either kind can be sized.
    """
    if proposal.strip().lower() == "default":
        return [t for p in _DEFAULT for t in parse_proposal(p)]

    ciphers: list[Cipher] = []
    integrities: list[Integrity] = []
    for token in (t.strip().lower() for t in proposal.split("-")):
        if token in CIPHERS:
            ciphers.append(CIPHERS[token])
        elif token in INTEGRITIES:
            integrities.append(INTEGRITIES[token])
        elif not _NO_OVERHEAD.fullmatch(token):
            raise UnknownAlgorithmError(
                f"unknown ESP algorithm {token!r} in proposal {proposal!r}; "
                "use strongSwan's names such as aes256gcm16, aes256-sha256 "
                "or chacha20poly1305"
            )
    if not ciphers:
        raise MtuError(
            f"ESP proposal {proposal!r} names no encryption algorithm; "
            "add one such as aes256gcm16 or aes256"
        )

    transforms: list[Transform] = []
    for cipher in dict.fromkeys(ciphers):
        if cipher.aead or not integrities:
            transforms.append(Transform(cipher))
        else:
            transforms.extend(Transform(cipher, i) for i in dict.fromkeys(integrities))
    return list(dict.fromkeys(transforms))


def parse_proposals(proposals: str | Iterable[str]) -> list[Transform]:
    """Every transform a list of ESP proposals (``,`` separated) allows."""
    found = [t for p in _split_proposals(proposals) for t in parse_proposal(p)]
    return list(dict.fromkeys(found))


def esp_inner_mtu(
    link_mtu: int, transform: Transform, *, udp_encap: bool, outer_family: str
) -> int:
    """The largest inner packet; the formula in this module's docstring."""
    header = OUTER_HEADER[outer_family] + ESP_HEADER + transform.cipher.iv
    if udp_encap:
        header += UDP_HEADER
    room = link_mtu - header - transform.icv
    return room - room % transform.alignment - ESP_TRAILER


def _check_link_mtu(link_mtu: object, outer_family: str) -> int:
    if isinstance(link_mtu, bool):
        raise MtuError(f"link MTU {link_mtu!r} is not a number of bytes")
    try:
        value = int(str(link_mtu).strip())
    except ValueError:
        raise MtuError(f"link MTU {link_mtu!r} is not a number of bytes") from None
    smallest = 1280 if outer_family == "ipv6" else 68
    if not smallest <= value <= LARGEST_PACKET:
        raise MtuError(
            f"link MTU {value} is outside {smallest}..{LARGEST_PACKET}, "
            f"the range an {outer_family} link can have"
        )
    return value


def tunnel_mtu(
    link_mtu: int | str,
    proposals: str | Iterable[str],
    *,
    udp_encap: bool = False,
    outer_family: str = "ipv4",
    inner_families: Sequence[str] = FAMILIES,
    dataplane: str = "kernel",
) -> TunnelMtu:
    """The inner MTU for the worst case the proposals allow.

    Of all the transforms the proposals can be negotiated to, the one with the
    largest overhead decides, so the MTU holds whichever one the peer picks.
    With ``dataplane="libipsec"`` ESP is always in UDP and the MTU is at most
    what strongSwan's userspace ESP carries (1400).
    Raises MtuTooSmallError when the result is below the minimum MTU of an
    inner family the tunnel is to carry (576 for IPv4, 1280 for IPv6).
    """
    outer_family = normalize_family(outer_family, what="outer family")
    families = [normalize_family(f, what="inner family") for f in inner_families]
    link_mtu = _check_link_mtu(link_mtu, outer_family)
    if dataplane not in DATAPLANE_LIMIT:
        raise MtuError(
            f"data plane {dataplane!r} is not one of {', '.join(DATAPLANES)}"
        )
    udp_encap = udp_encap or dataplane == "libipsec"

    candidates = [
        TunnelMtu(
            link_mtu=link_mtu,
            fit=esp_inner_mtu(
                link_mtu, t, udp_encap=udp_encap, outer_family=outer_family
            ),
            transform=t,
            limit=DATAPLANE_LIMIT[dataplane],
        )
        for t in parse_proposals(proposals)
    ]
    # on a tie, name the transform that adds the most bytes before padding
    worst = min(
        candidates, key=lambda c: (c.fit, -c.transform.icv - c.transform.cipher.iv)
    )

    for family in families:
        if worst.mtu < INNER_MINIMUM[family]:
            encap = " in UDP" if udp_encap else ""
            raise MtuTooSmallError(
                f"a link MTU of {link_mtu} leaves {worst.mtu} bytes for inner "
                f"packets with {worst.transform}{encap} over {outer_family}, "
                f"below the {family} minimum of {INNER_MINIMUM[family]}; "
                "raise the link MTU or do not carry "
                f"{family} through this tunnel"
            )
    return worst

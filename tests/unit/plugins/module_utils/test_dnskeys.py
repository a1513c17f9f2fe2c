# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The records of a gateway, its public keys in DNS form, and the difference.

Key encodings are checked against the RFCs: RFC 3110 for RSA (a length byte,
or zero and two length bytes past 255; exponent; modulus), RFC 6605 for ECDSA
(``x || y``, 32 or 48 bytes each), RFC 8080 for EdDSA (the raw public key).
"""

from __future__ import annotations

import base64
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnskeys import (
    TRIAL_SENTINEL,
    PublicKeyError,
    RRset,
    SettingsError,
    diff,
    key_publication,
    legacy_txt,
    load_public_key,
    public_key_pem,
    rsa_rfc3110,
    tsig_key,
    update_message,
    wanted_rrsets,
    zone_of,
)

NAME = "gw1.vpn.example."
REV4 = "10.100.51.198.in-addr.arpa."
REV6 = "1.0.0.0." + "0.0.0.0." * 5 + "8.b.d.0.1.0.0.2.ip6.arpa."


def public_pem(private: Any) -> str:
    return (
        private.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_private() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_private() -> Any:
    return ed25519.Ed25519PrivateKey.generate()


def rdata(rdtype: str, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)


# public keys


@pytest.mark.parametrize(
    ("exponent", "modulus", "expected"),
    [
        (65537, 0xC5, b"\x03\x01\x00\x01\xc5"),
        (3, 0x0100, b"\x01\x03\x01\x00"),
        (2 ** (8 * 255) - 1, 7, b"\xff" + b"\xff" * 255 + b"\x07"),
        (2 ** (8 * 255), 7, b"\x00\x01\x00" + b"\x01" + b"\x00" * 255 + b"\x07"),
    ],
    ids=["f4", "three", "255-byte-exponent", "256-byte-exponent"],
)
def test_rsa_rfc3110(exponent: int, modulus: int, expected: bytes) -> None:
    assert rsa_rfc3110(exponent, modulus) == expected


def test_rsa_key(rsa_private: Any) -> None:
    key = load_public_key(public_pem(rsa_private))
    numbers = rsa_private.public_key().public_numbers()

    assert (key.algorithm, key.kind) == (2, "RSA 2048")
    assert key.data[:4] == b"\x03\x01\x00\x01"
    assert int.from_bytes(key.data[4:], "big") == numbers.n
    assert len(key.data) == 4 + 256


def test_rsa_key_in_pkcs1_form(rsa_private: Any) -> None:
    pkcs1 = (
        rsa_private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    assert load_public_key(pkcs1) == load_public_key(public_pem(rsa_private))


@pytest.mark.parametrize(
    ("curve", "size", "kind"),
    [(ec.SECP256R1(), 32, "ECDSA P-256"), (ec.SECP384R1(), 48, "ECDSA P-384")],
)
def test_ecdsa_key_is_x_then_y(curve: Any, size: int, kind: str) -> None:
    private = ec.generate_private_key(curve)
    point = private.public_key().public_numbers()

    key = load_public_key(public_pem(private))

    assert (key.algorithm, key.kind) == (3, kind)
    assert key.data == point.x.to_bytes(size, "big") + point.y.to_bytes(size, "big")


@pytest.mark.parametrize(
    ("make", "size", "kind"),
    [
        (ed25519.Ed25519PrivateKey.generate, 32, "Ed25519"),
        (ed448.Ed448PrivateKey.generate, 57, "Ed448"),
    ],
)
def test_eddsa_key_is_raw(make: Any, size: int, kind: str) -> None:
    private = make()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )

    key = load_public_key(public_pem(private))

    assert (key.algorithm, key.kind, key.data) == (4, kind, raw)
    assert len(key.data) == size


def test_private_key_is_refused_unread(rsa_private: Any) -> None:
    private_pem = rsa_private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(PublicKeyError, match="holds a private key") as failure:
        load_public_key(private_pem, label="public_key[1]")
    assert str(failure.value).startswith("public_key[1] ")
    assert private_pem.splitlines()[1] not in str(failure.value)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: dsa.generate_private_key(2048), "DSA"),
        (lambda: ec.generate_private_key(ec.SECP521R1()), "secp521r1"),
    ],
    ids=["dsa", "p521"],
)
def test_keys_without_ipseckey_form_are_refused(make: Any, match: str) -> None:
    with pytest.raises(PublicKeyError, match=match):
        load_public_key(public_pem(make()))


def test_garbage_is_not_a_key() -> None:
    with pytest.raises(PublicKeyError, match="not a PEM public key"):
        load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")


@pytest.mark.parametrize(
    "make",
    [
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: rsa.generate_private_key(public_exponent=3, key_size=1024),
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: ec.generate_private_key(ec.SECP384R1()),
        ed25519.Ed25519PrivateKey.generate,
        ed448.Ed448PrivateKey.generate,
    ],
    ids=["rsa-f4", "rsa-3", "p256", "p384", "ed25519", "ed448"],
)
def test_public_key_pem_reverses_the_encoding(make: Any) -> None:
    pem = public_pem(make())
    key = load_public_key(pem)
    assert public_key_pem(key.algorithm, key.data) == pem


@pytest.mark.parametrize(
    ("algorithm", "data"),
    [(1, b"\x00" * 20), (2, b"\x03\x01\x00"), (3, b"\x01" * 50), (4, b"\x01" * 40)],
    ids=["dsa", "rsa-truncated", "ecdsa-odd-size", "eddsa-odd-size"],
)
def test_public_key_pem_of_unreadable_keys(algorithm: int, data: bytes) -> None:
    assert public_key_pem(algorithm, data) is None


# the records of a gateway


def records(pub: Any) -> set[tuple[str, str, str]]:
    return {
        (w.name.to_text(), dns.rdatatype.to_text(w.rdtype), r.to_text(chunksize=0))
        for w in wanted_rrsets(pub)
        for r in w.rdatas
    }


def managed(pub: Any) -> set[tuple[str, str]]:
    return {
        (w.name.to_text(), dns.rdatatype.to_text(w.rdtype)) for w in wanted_rrsets(pub)
    }


def test_default_records(ed_private: Any) -> None:
    pub = key_publication(
        name="gw1.vpn.example",
        addresses=["198.51.100.10", "2001:DB8::1"],
        public_keys=[public_pem(ed_private)],
    )
    key = load_public_key(public_pem(ed_private)).base64

    assert records(pub) == {
        (NAME, "A", "198.51.100.10"),
        (NAME, "AAAA", "2001:db8::1"),
        (NAME, "IPSECKEY", f"10 0 4 . {key}"),
        (REV4, "PTR", NAME),
        (REV6, "PTR", NAME),
    }
    # owned though empty: the IPSECKEY and legacy TXT at the reverse names
    assert (REV4, "IPSECKEY") in managed(pub)
    assert (REV6, "TXT") in managed(pub)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {"ipseckey_at": "reverse", "gateway": "address"},
            {
                (REV4, "IPSECKEY", "10 1 4 198.51.100.10 {key}"),
                (REV6, "IPSECKEY", "10 2 4 2001:db8::1 {key}"),
            },
        ),
        (
            {"ipseckey_at": "both", "gateway": "name", "precedence": 5},
            {
                (NAME, "IPSECKEY", "5 3 4 gw1.vpn.example. {key}"),
                (REV4, "IPSECKEY", "5 3 4 gw1.vpn.example. {key}"),
                (REV6, "IPSECKEY", "5 3 4 gw1.vpn.example. {key}"),
            },
        ),
        (
            {"ipseckey_at": "forward", "gateway": "address"},
            {
                (NAME, "IPSECKEY", "10 1 4 198.51.100.10 {key}"),
                (NAME, "IPSECKEY", "10 2 4 2001:db8::1 {key}"),
            },
        ),
        ({"ipseckey": False}, set()),
    ],
    ids=["reverse-address", "both-name", "forward-address", "no-ipseckey"],
)
def test_ipseckey_placement(
    ed_private: Any, options: dict[str, Any], expected: set[tuple[str, str, str]]
) -> None:
    pub = key_publication(
        name=NAME,
        addresses=["198.51.100.10", "2001:db8::1"],
        public_keys=[public_pem(ed_private)],
        **options,
    )
    key = load_public_key(public_pem(ed_private)).base64
    ipseckeys = {r for r in records(pub) if r[1] == "IPSECKEY"}
    assert ipseckeys == {(n, t, v.format(key=key)) for n, t, v in expected}


def test_ptr_false_leaves_reverse_names_alone(ed_private: Any) -> None:
    pub = key_publication(
        name=NAME,
        addresses=["198.51.100.10"],
        public_keys=[public_pem(ed_private)],
        ptr=False,
    )
    assert {name for name, _ in managed(pub)} == {NAME}


def test_legacy_txt_records(rsa_private: Any, ed_private: Any) -> None:
    pub = key_publication(
        name=NAME,
        addresses=["198.51.100.10"],
        public_keys=[public_pem(rsa_private), public_pem(ed_private)],
        ipseckey_at="both",
        txt_legacy=True,
    )
    rsa_key = load_public_key(public_pem(rsa_private))
    txts = [
        r for w in wanted_rrsets(pub) if w.rdtype == dns.rdatatype.TXT for r in w.rdatas
    ]

    # one at each name, for the RSA key only
    assert len(txts) == 2
    for txt in txts:
        assert txt.strings[0] == b"X-IPsec-Server(10)=198.51.100.10"
        assert b"".join(txt.strings[1:]) == rsa_key.base64.encode()


def test_legacy_txt_cuts_the_key_in_full_strings(rsa_private: Any) -> None:
    key = load_public_key(public_pem(rsa_private))
    txt = legacy_txt(7, "@gw1.vpn.example", key)

    assert txt.strings[0] == b"X-IPsec-Server(7)=@gw1.vpn.example"
    assert [len(s) for s in txt.strings[1:-1]] == [255] * (len(txt.strings) - 2)
    assert 0 < len(txt.strings[-1]) <= 255
    assert base64.b64decode(b"".join(txt.strings[1:])) == key.data


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"name": "gw1"}, SettingsError, "not a fully qualified"),
        ({"addresses": ["198.51.100.300"]}, SettingsError, "198.51.100.300"),
        ({"precedence": 256}, SettingsError, "precedence 256"),
        ({"ttl": -1}, SettingsError, "ttl -1"),
        ({"ipseckey_at": "sideways"}, SettingsError, "ipseckey_at"),
        ({"public_keys": []}, SettingsError, "public_key is empty"),
        ({"txt_legacy": True}, SettingsError, "needs an RSA key"),
        ({"addresses": [], "gateway": "address"}, SettingsError, "gateway=address"),
        ({"addresses": [], "ipseckey_at": "both"}, SettingsError, "reverse names"),
        ({"public_keys": ["not a key"]}, PublicKeyError, r"public_key\[0\]"),
    ],
)
def test_contradictions_are_refused(
    ed_private: Any, options: dict[str, Any], error: type, match: str
) -> None:
    arguments = {
        "name": NAME,
        "addresses": ["198.51.100.10"],
        "public_keys": [public_pem(ed_private)],
        **options,
    }
    with pytest.raises(error, match=match):
        key_publication(**arguments)


def test_addresses_only(ed_private: Any) -> None:
    pub = key_publication(
        name=NAME, addresses=["198.51.100.10"], public_keys=[], ipseckey=False
    )
    assert records(pub) == {(NAME, "A", "198.51.100.10"), (REV4, "PTR", NAME)}


# the difference


def current(*rrsets: tuple[str, str, int, list[str]]) -> dict[Any, RRset]:
    found = {}
    for name, rdtype, ttl, values in rrsets:
        owner = dns.name.from_text(name)
        kind = dns.rdatatype.from_text(rdtype)
        found[(owner, kind)] = RRset(
            owner, kind, ttl, frozenset(rdata(rdtype, v) for v in values)
        )
    return found


@pytest.fixture
def publication(ed_private: Any) -> Any:
    return key_publication(
        name=NAME,
        addresses=["198.51.100.10"],
        public_keys=[public_pem(ed_private)],
        txt_legacy=False,
    )


def lines(changes: list[Any]) -> tuple[list[str], list[str]]:
    removed = [line for c in changes for line in c.removed_lines()]
    added = [line for c in changes for line in c.added_lines()]
    return removed, added


def test_empty_server_gets_everything(publication: Any) -> None:
    changes = diff(wanted_rrsets(publication), {}, state="present", ttl=3600)

    removed, added = lines(changes)
    assert removed == []
    assert added[0] == f"{NAME} 3600 IN A 198.51.100.10"
    assert {dns.rdatatype.to_text(c.rdtype) for c in changes} == {
        "A",
        "IPSECKEY",
        "PTR",
    }


def test_nothing_to_do(publication: Any) -> None:
    have = {
        (w.name, w.rdtype): RRset(w.name, w.rdtype, 3600, w.rdatas)
        for w in wanted_rrsets(publication)
    }
    assert diff(wanted_rrsets(publication), have, state="present", ttl=3600) == []


def test_present_replaces_owned_and_keeps_foreign(publication: Any) -> None:
    key = publication.keys[0].base64
    have = current(
        (NAME, "A", 3600, ["198.51.100.10", "198.51.100.99"]),
        (NAME, "IPSECKEY", 3600, [f"10 0 4 . {key}", "10 0 2 . AwEAAQ=="]),
        (NAME, "TXT", 3600, ['"v=spf1 -all"', '"X-IPsec-Server(10)=192.0.2.1" "AQ"']),
        (REV4, "PTR", 3600, [NAME]),
    )

    removed, added = lines(
        diff(wanted_rrsets(publication), have, state="present", ttl=3600)
    )

    assert added == []
    assert sorted(removed) == sorted(
        [
            f"{NAME} 3600 IN A 198.51.100.99",
            f"{NAME} 3600 IN IPSECKEY 10 0 2 . AwEAAQ==",
            f'{NAME} 3600 IN TXT "X-IPsec-Server(10)=192.0.2.1" "AQ"',
        ]
    )


def test_ttl_change_readds_what_stays(publication: Any) -> None:
    have = current((NAME, "A", 3600, ["198.51.100.10"]), (REV4, "PTR", 3600, [NAME]))
    changes = diff(wanted_rrsets(publication), have, state="present", ttl=300)

    by_type = {dns.rdatatype.to_text(c.rdtype): c for c in changes}
    a = by_type["A"]
    assert a.delete == a.add == a.before.rdatas
    assert (a.before.ttl, a.after.ttl) == (3600, 300)
    assert by_type["PTR"].after.ttl == 300


def test_absent_removes_exactly_what_present_publishes(publication: Any) -> None:
    key = publication.keys[0].base64
    have = current(
        (NAME, "A", 3600, ["198.51.100.10", "198.51.100.99"]),
        (NAME, "IPSECKEY", 3600, [f"10 0 4 . {key}", "10 0 2 . AwEAAQ=="]),
        (NAME, "TXT", 3600, ['"X-IPsec-Server(10)=192.0.2.1" "AQ"']),
        (REV4, "PTR", 3600, [NAME, "other.example."]),
    )

    changes = diff(wanted_rrsets(publication), have, state="absent", ttl=3600)

    removed, added = lines(changes)
    assert added == []
    assert sorted(removed) == sorted(
        [
            f"{NAME} 3600 IN A 198.51.100.10",
            f"{NAME} 3600 IN IPSECKEY 10 0 4 . {key}",
            f"{REV4} 3600 IN PTR {NAME}",
        ]
    )
    after = {c.rdtype: c.after for c in changes}
    assert after[dns.rdatatype.PTR].lines() == [f"{REV4} 3600 IN PTR other.example."]


# messages


def test_update_message_guards_with_what_was_read(publication: Any) -> None:
    have = current((NAME, "A", 3600, ["198.51.100.99"]))
    changes = [
        c
        for c in diff(wanted_rrsets(publication), have, state="present", ttl=3600)
        if c.name == dns.name.from_text(NAME)
    ]
    key = tsig_key("swanfleet", base64.b64encode(b"k" * 32).decode(), "hmac-sha256")

    message = update_message(dns.name.from_text("vpn.example."), changes, key=key)

    prerequisites = {
        (dns.rdatatype.to_text(r.rdtype), dns.rdataclass.to_text(r.rdclass), r.ttl)
        for r in message.prerequisite
    }
    # the A RRset must still be what was read; IPSECKEY must still not exist
    assert prerequisites == {("A", "IN", 0), ("IPSECKEY", "NONE", 0)}
    # removals (class NONE on the wire) before additions
    assert [(r.deleting, r.rdtype) for r in message.update] == [
        (dns.rdataclass.NONE, dns.rdatatype.A),
        (None, dns.rdatatype.A),
        (None, dns.rdatatype.IPSECKEY),
    ]
    assert message.keyname == dns.name.from_text("swanfleet")


def test_trial_update_ends_outside_the_zone(publication: Any) -> None:
    changes = diff(wanted_rrsets(publication), {}, state="present", ttl=3600)
    message = update_message(
        dns.name.from_text("vpn.example."), changes, key=None, trial=True
    )

    last = message.update[-1]
    assert last.name == dns.name.from_text(TRIAL_SENTINEL)
    assert not last.name.is_subdomain(dns.name.from_text("vpn.example."))


def test_tsig_secret_is_never_quoted() -> None:
    with pytest.raises(SettingsError) as failure:
        tsig_key("swanfleet", "sec!ret-not-base64", "hmac-sha256")
    assert "sec!ret" not in str(failure.value)


def test_zone_of_takes_the_longest() -> None:
    zones = [dns.name.from_text(z) for z in ("arpa.", "100.51.198.in-addr.arpa.")]
    assert zone_of(dns.name.from_text(REV4), zones) == zones[1]
    assert zone_of(dns.name.from_text(NAME), zones) is None

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tunnel MTU arithmetic against values worked out from the RFCs.

Every expected value in TABLE is the largest inner packet ``P`` for which the
ESP tunnel-mode packet of RFC 4303 still fits the link MTU ``L``::

    outer IP (20 / 40) + UDP (8, RFC 3948) + SPI and sequence (8) + IV
    + P + padding + pad length and next header (2) + ICV  <=  L

with the padding bringing ``P + 2`` to a multiple of the cipher's block size
rounded up to 4. The IV is 16 bytes for AES-CBC and Camellia-CBC (RFC 3602),
8 for AES-CTR (RFC 3686), AES-GCM (RFC 4106), AES-CCM (RFC 4309), AES-GMAC
(RFC 4543), ChaCha20-Poly1305 (RFC 7634) and 3DES, none for NULL. The ICV is
the AEAD's own (8, 12 or 16 bytes; 16 for GMAC and ChaCha20-Poly1305) or the
truncated HMAC: 12 for HMAC-SHA1-96 and HMAC-MD5-96 (RFC 2404, 2403), AES-XCBC
and AES-CMAC (RFC 3566, 4494), 16 for HMAC-SHA2-256-128, 24 for -384-192 and
32 for -512-256 (RFC 4868).

For example AES-CBC with HMAC-SHA2-384-192 on a 1500-byte IPv4 link: 20 + 8 +
16 + 24 = 68 bytes of headers and ICV leave 1432, whose largest multiple of 16
is 1424; less the 2 trailer bytes, P = 1422. With UDP: 1424 leaves 1424, so
P = 1422 as well: the 8 bytes of UDP fit into what was padding before.

Rows are (proposal, outer family, UDP encapsulation, then P for L = 1500,
1492, 1460 and 1280).
"""

from __future__ import annotations

import pytest

from ansible_collections.swanfleet.ipsec.plugins.module_utils._mtu import (
    CIPHERS,
    INTEGRITIES,
    MtuError,
    MtuTooSmallError,
    Transform,
    UnknownAlgorithmError,
    esp_inner_mtu,
    parse_proposal,
    parse_proposals,
    tunnel_mtu,
)

LINK_MTUS = (1500, 1492, 1460, 1280)

TABLE = [
    ("aes128gcm8", "ipv4", False, 1454, 1446, 1414, 1234),
    ("aes128gcm12", "ipv4", False, 1450, 1442, 1410, 1230),
    ("aes256gcm16", "ipv4", False, 1446, 1438, 1406, 1226),
    ("aes128ccm8", "ipv4", False, 1454, 1446, 1414, 1234),
    ("aes128ccm12", "ipv4", False, 1450, 1442, 1410, 1230),
    ("aes256ccm16", "ipv4", False, 1446, 1438, 1406, 1226),
    ("chacha20poly1305", "ipv4", False, 1446, 1438, 1406, 1226),
    ("aes256gmac", "ipv4", False, 1446, 1438, 1406, 1226),
    ("aes256-sha1", "ipv4", False, 1438, 1422, 1390, 1214),
    ("aes256-sha256", "ipv4", False, 1438, 1422, 1390, 1214),
    ("aes256-sha384", "ipv4", False, 1422, 1422, 1390, 1198),
    ("aes256-sha512", "ipv4", False, 1422, 1406, 1374, 1198),
    ("aes256-aesxcbc", "ipv4", False, 1438, 1422, 1390, 1214),
    ("aes128ctr-sha1", "ipv4", False, 1450, 1442, 1410, 1230),
    ("aes128ctr-sha256", "ipv4", False, 1446, 1438, 1406, 1226),
    ("aes128ctr-sha384", "ipv4", False, 1438, 1430, 1398, 1218),
    ("aes128ctr-sha512", "ipv4", False, 1430, 1422, 1390, 1210),
    ("aes128ctr-aesxcbc", "ipv4", False, 1450, 1442, 1410, 1230),
    ("aes256-aescmac", "ipv4", False, 1438, 1422, 1390, 1214),
    ("aes256-md5", "ipv4", False, 1438, 1422, 1390, 1214),
    ("aes256-sha256_96", "ipv4", False, 1438, 1422, 1390, 1214),
    ("aes256-sha1_160", "ipv4", False, 1422, 1422, 1390, 1214),
    ("aes256-md5_128", "ipv4", False, 1438, 1422, 1390, 1214),
    ("aes256", "ipv4", False, 1454, 1438, 1406, 1230),
    ("camellia256-sha256", "ipv4", False, 1438, 1422, 1390, 1214),
    ("3des-sha1", "ipv4", False, 1446, 1438, 1406, 1230),
    ("null-sha256", "ipv4", False, 1454, 1446, 1414, 1234),
    ("aes128gcm8", "ipv4", True, 1446, 1438, 1406, 1226),
    ("aes128gcm12", "ipv4", True, 1442, 1434, 1402, 1222),
    ("aes256gcm16", "ipv4", True, 1438, 1430, 1398, 1218),
    ("aes128ccm8", "ipv4", True, 1446, 1438, 1406, 1226),
    ("aes128ccm12", "ipv4", True, 1442, 1434, 1402, 1222),
    ("aes256ccm16", "ipv4", True, 1438, 1430, 1398, 1218),
    ("chacha20poly1305", "ipv4", True, 1438, 1430, 1398, 1218),
    ("aes256gmac", "ipv4", True, 1438, 1430, 1398, 1218),
    ("aes256-sha1", "ipv4", True, 1422, 1422, 1390, 1214),
    ("aes256-sha256", "ipv4", True, 1422, 1422, 1390, 1198),
    ("aes256-sha384", "ipv4", True, 1422, 1406, 1374, 1198),
    ("aes256-sha512", "ipv4", True, 1406, 1406, 1374, 1182),
    ("aes256-aesxcbc", "ipv4", True, 1422, 1422, 1390, 1214),
    ("aes128ctr-sha1", "ipv4", True, 1442, 1434, 1402, 1222),
    ("aes128ctr-sha256", "ipv4", True, 1438, 1430, 1398, 1218),
    ("aes128ctr-sha384", "ipv4", True, 1430, 1422, 1390, 1210),
    ("aes128ctr-sha512", "ipv4", True, 1422, 1414, 1382, 1202),
    ("aes128ctr-aesxcbc", "ipv4", True, 1442, 1434, 1402, 1222),
    ("aes256-aescmac", "ipv4", True, 1422, 1422, 1390, 1214),
    ("aes256-md5", "ipv4", True, 1422, 1422, 1390, 1214),
    ("aes256-sha256_96", "ipv4", True, 1422, 1422, 1390, 1214),
    ("aes256-sha1_160", "ipv4", True, 1422, 1406, 1374, 1198),
    ("aes256-md5_128", "ipv4", True, 1422, 1422, 1390, 1198),
    ("aes256", "ipv4", True, 1438, 1438, 1406, 1214),
    ("camellia256-sha256", "ipv4", True, 1422, 1422, 1390, 1198),
    ("3des-sha1", "ipv4", True, 1438, 1430, 1398, 1222),
    ("null-sha256", "ipv4", True, 1446, 1438, 1406, 1226),
    ("aes128gcm8", "ipv6", False, 1434, 1426, 1394, 1214),
    ("aes128gcm12", "ipv6", False, 1430, 1422, 1390, 1210),
    ("aes256gcm16", "ipv6", False, 1426, 1418, 1386, 1206),
    ("aes128ccm8", "ipv6", False, 1434, 1426, 1394, 1214),
    ("aes128ccm12", "ipv6", False, 1430, 1422, 1390, 1210),
    ("aes256ccm16", "ipv6", False, 1426, 1418, 1386, 1206),
    ("chacha20poly1305", "ipv6", False, 1426, 1418, 1386, 1206),
    ("aes256gmac", "ipv6", False, 1426, 1418, 1386, 1206),
    ("aes256-sha1", "ipv6", False, 1422, 1406, 1374, 1198),
    ("aes256-sha256", "ipv6", False, 1406, 1406, 1374, 1198),
    ("aes256-sha384", "ipv6", False, 1406, 1390, 1358, 1182),
    ("aes256-sha512", "ipv6", False, 1390, 1390, 1358, 1182),
    ("aes256-aesxcbc", "ipv6", False, 1422, 1406, 1374, 1198),
    ("aes128ctr-sha1", "ipv6", False, 1430, 1422, 1390, 1210),
    ("aes128ctr-sha256", "ipv6", False, 1426, 1418, 1386, 1206),
    ("aes128ctr-sha384", "ipv6", False, 1418, 1410, 1378, 1198),
    ("aes128ctr-sha512", "ipv6", False, 1410, 1402, 1370, 1190),
    ("aes128ctr-aesxcbc", "ipv6", False, 1430, 1422, 1390, 1210),
    ("aes256-aescmac", "ipv6", False, 1422, 1406, 1374, 1198),
    ("aes256-md5", "ipv6", False, 1422, 1406, 1374, 1198),
    ("aes256-sha256_96", "ipv6", False, 1422, 1406, 1374, 1198),
    ("aes256-sha1_160", "ipv6", False, 1406, 1406, 1374, 1182),
    ("aes256-md5_128", "ipv6", False, 1406, 1406, 1374, 1198),
    ("aes256", "ipv6", False, 1422, 1422, 1390, 1214),
    ("camellia256-sha256", "ipv6", False, 1406, 1406, 1374, 1198),
    ("3des-sha1", "ipv6", False, 1430, 1422, 1390, 1206),
    ("null-sha256", "ipv6", False, 1434, 1426, 1394, 1214),
    ("aes128gcm8", "ipv6", True, 1426, 1418, 1386, 1206),
    ("aes128gcm12", "ipv6", True, 1422, 1414, 1382, 1202),
    ("aes256gcm16", "ipv6", True, 1418, 1410, 1378, 1198),
    ("aes128ccm8", "ipv6", True, 1426, 1418, 1386, 1206),
    ("aes128ccm12", "ipv6", True, 1422, 1414, 1382, 1202),
    ("aes256ccm16", "ipv6", True, 1418, 1410, 1378, 1198),
    ("chacha20poly1305", "ipv6", True, 1418, 1410, 1378, 1198),
    ("aes256gmac", "ipv6", True, 1418, 1410, 1378, 1198),
    ("aes256-sha1", "ipv6", True, 1406, 1406, 1374, 1182),
    ("aes256-sha256", "ipv6", True, 1406, 1390, 1358, 1182),
    ("aes256-sha384", "ipv6", True, 1390, 1390, 1358, 1182),
    ("aes256-sha512", "ipv6", True, 1390, 1374, 1342, 1166),
    ("aes256-aesxcbc", "ipv6", True, 1406, 1406, 1374, 1182),
    ("aes128ctr-sha1", "ipv6", True, 1422, 1414, 1382, 1202),
    ("aes128ctr-sha256", "ipv6", True, 1418, 1410, 1378, 1198),
    ("aes128ctr-sha384", "ipv6", True, 1410, 1402, 1370, 1190),
    ("aes128ctr-sha512", "ipv6", True, 1402, 1394, 1362, 1182),
    ("aes128ctr-aesxcbc", "ipv6", True, 1422, 1414, 1382, 1202),
    ("aes256-aescmac", "ipv6", True, 1406, 1406, 1374, 1182),
    ("aes256-md5", "ipv6", True, 1406, 1406, 1374, 1182),
    ("aes256-sha256_96", "ipv6", True, 1406, 1406, 1374, 1182),
    ("aes256-sha1_160", "ipv6", True, 1406, 1390, 1358, 1182),
    ("aes256-md5_128", "ipv6", True, 1406, 1390, 1358, 1182),
    ("aes256", "ipv6", True, 1422, 1406, 1374, 1198),
    ("camellia256-sha256", "ipv6", True, 1406, 1390, 1358, 1182),
    ("3des-sha1", "ipv6", True, 1422, 1414, 1382, 1198),
    ("null-sha256", "ipv6", True, 1426, 1418, 1386, 1206),
]


def _cases() -> list:
    cases = []
    for proposal, outer, encap, *expected in TABLE:
        for link_mtu, mtu in zip(LINK_MTUS, expected, strict=True):
            udp = "udp" if encap else "esp"
            cases.append(
                pytest.param(
                    proposal,
                    outer,
                    encap,
                    link_mtu,
                    mtu,
                    id=f"{proposal}-{outer}-{udp}-{link_mtu}",
                )
            )
    return cases


@pytest.mark.parametrize(("proposal", "outer", "encap", "link_mtu", "mtu"), _cases())
def test_table(proposal: str, outer: str, encap: bool, link_mtu: int, mtu: int):
    result = tunnel_mtu(
        link_mtu,
        proposal,
        udp_encap=encap,
        outer_family=outer,
        inner_families=["ipv4"],
    )
    assert result.mtu == mtu
    assert result.overhead == link_mtu - mtu


@pytest.mark.parametrize(
    ("proposal", "encap", "mtu"),
    [
        ("aes256gcm16", False, 1446),
        ("aes256gcm16", True, 1438),
        ("aes256-sha256", False, 1438),
        ("aes256-sha256", True, 1422),
    ],
)
def test_reference_values(proposal: str, encap: bool, mtu: int):
    assert tunnel_mtu(1500, proposal, udp_encap=encap).mtu == mtu


def _packet_size(transform: Transform, payload: int, header: int) -> int:
    block = -(-transform.cipher.block // 4) * 4
    padding = -(payload + 2) % block
    return header + 8 + transform.cipher.iv + payload + padding + 2 + transform.icv


TRANSFORMS = sorted(
    {
        Transform(c, None if c.aead else i)
        for c in CIPHERS.values()
        for i in [None, *INTEGRITIES.values()]
    },
    key=str,
)


@pytest.mark.parametrize("transform", TRANSFORMS, ids=str)
@pytest.mark.parametrize(
    ("outer", "encap", "header"),
    [("ipv4", False, 20), ("ipv4", True, 28), ("ipv6", False, 40), ("ipv6", True, 48)],
)
def test_formula_is_the_largest_payload_that_fits(
    transform: Transform, outer: str, encap: bool, header: int
):
    for link_mtu in [*range(1280, 1537), 9000, 65535]:
        mtu = esp_inner_mtu(link_mtu, transform, udp_encap=encap, outer_family=outer)
        assert _packet_size(transform, mtu, header) <= link_mtu
        assert _packet_size(transform, mtu + 1, header) > link_mtu


def test_overhead_and_mss():
    result = tunnel_mtu(1500, "aes256gcm16-ecp384")
    assert result.as_dict() == {
        "mtu": 1446,
        "overhead": 54,
        "mss_ipv4": 1406,
        "mss_ipv6": 1386,
        "limited_by": "path",
    }
    encapsulated = tunnel_mtu(1492, "aes256-sha256", udp_encap=True)
    assert encapsulated.as_dict() == {
        "mtu": 1422,
        "overhead": 70,
        "mss_ipv4": 1382,
        "mss_ipv6": 1362,
        "limited_by": "path",
    }


@pytest.mark.parametrize(
    ("proposal", "names"),
    [
        ("aes256gcm16", ["AES-GCM-16"]),
        ("aes128gcm16-ecp256", ["AES-GCM-16"]),
        ("aes256gcm", ["AES-GCM-16"]),
        ("aes192gcm64", ["AES-GCM-8"]),
        ("aes128gcm96", ["AES-GCM-12"]),
        ("aes128ccm", ["AES-CCM-16"]),
        ("aes256-sha256", ["AES-CBC with HMAC-SHA2-256-128"]),
        ("aes128-sha1", ["AES-CBC with HMAC-SHA1-96"]),
        ("aes-sha", ["AES-CBC with HMAC-SHA1-96"]),
        ("aes256-sha384", ["AES-CBC with HMAC-SHA2-384-192"]),
        ("aes256-sha2_512", ["AES-CBC with HMAC-SHA2-512-256"]),
        ("aes128ctr-aesxcbc", ["AES-CTR with AES-XCBC-96"]),
        ("chacha20poly1305", ["ChaCha20-Poly1305"]),
        ("chacha20poly1305-sha256", ["ChaCha20-Poly1305"]),
        ("aes256", ["AES-CBC"]),
        (
            "aes128-aes256-sha256-sha1",
            ["AES-CBC with HMAC-SHA2-256-128", "AES-CBC with HMAC-SHA1-96"],
        ),
        (
            "aes256gcm16-aes128-sha256-ecp256",
            ["AES-GCM-16", "AES-CBC with HMAC-SHA2-256-128"],
        ),
        ("AES256GCM16-ECP384", ["AES-GCM-16"]),
        (
            "aes256gcm16-prfsha384-x25519-ke1_mlkem768-modp3072-esn-noesn",
            ["AES-GCM-16"],
        ),
    ],
)
def test_proposal_names(proposal: str, names: list[str]):
    assert [str(t) for t in parse_proposal(proposal)] == names


def test_proposal_lists():
    as_text = parse_proposals("aes256gcm16-ecp384, aes256-sha256-ecp384!")
    as_list = parse_proposals(["aes256gcm16-ecp384", "aes256-sha256-ecp384"])
    assert as_text == as_list
    assert [str(t) for t in as_list] == [
        "AES-GCM-16",
        "AES-CBC with HMAC-SHA2-256-128",
    ]


@pytest.mark.parametrize(
    ("proposals", "encap", "mtu", "decided_by"),
    [
        ("aes256gcm16-aes128-sha256-ecp256", False, 1438, "HMAC-SHA2-256-128"),
        ("aes256gcm16-aes128-sha256-ecp256", True, 1422, "HMAC-SHA2-256-128"),
        ("aes256gcm16,aes256-sha512", False, 1422, "HMAC-SHA2-512-256"),
        (["aes256-sha512", "aes256gcm16"], True, 1406, "HMAC-SHA2-512-256"),
        ("aes128-sha1-sha384", False, 1422, "HMAC-SHA2-384-192"),
        ("default", False, 1422, "HMAC-SHA2-512-256"),
        ("default", True, 1406, "HMAC-SHA2-512-256"),
    ],
)
def test_worst_case_wins(proposals, encap: bool, mtu: int, decided_by: str):
    result = tunnel_mtu(1500, proposals, udp_encap=encap)
    assert result.mtu == mtu
    assert decided_by in str(result.transform)


@pytest.mark.parametrize(
    ("proposal", "token"),
    [
        ("aes256gcm17", "aes256gcm17"),
        ("aes256-sha3", "sha3"),
        ("camellia128ctr-sha256", "camellia128ctr"),
        ("aes256gcm16-ecp385", "ecp385"),
        ("aes256gcm16-modp2000", "modp2000"),
        ("aes256gcm16-mlkem769", "mlkem769"),
    ],
)
def test_unknown_algorithm(proposal: str, token: str):
    with pytest.raises(UnknownAlgorithmError) as caught:
        tunnel_mtu(1500, proposal)
    assert repr(token) in str(caught.value)
    assert repr(proposal) in str(caught.value)


@pytest.mark.parametrize(
    ("proposals", "message"),
    [
        ("sha256-ecp256", "names no encryption algorithm"),
        ("", "no ESP proposal given"),
        (" , ", "no ESP proposal given"),
        ([], "no ESP proposal given"),
        ([1500], "is not a string"),
    ],
)
def test_unusable_proposals(proposals, message: str):
    with pytest.raises(MtuError, match=message):
        tunnel_mtu(1500, proposals)


def test_below_the_ipv6_minimum():
    with pytest.raises(MtuTooSmallError) as caught:
        tunnel_mtu(1280, "aes256gcm16")
    message = str(caught.value)
    assert "1280" in message
    assert "1226" in message
    assert "ipv6 minimum of 1280" in message
    assert tunnel_mtu(1280, "aes256gcm16", inner_families=["ipv4"]).mtu == 1226


def test_ipv6_fits_from_1336():
    assert tunnel_mtu(1336, "aes256gcm16").mtu == 1282
    with pytest.raises(MtuTooSmallError, match="leaves 1278 bytes"):
        tunnel_mtu(1335, "aes256gcm16")


def test_below_the_ipv4_minimum():
    with pytest.raises(MtuTooSmallError, match="below the ipv4 minimum of 576"):
        tunnel_mtu(667, "aes256-sha512", inner_families=["ipv4"])
    assert tunnel_mtu(668, "aes256-sha512", inner_families=["ipv4"]).mtu == 590


@pytest.mark.parametrize(
    ("link_mtu", "outer", "message"),
    [
        (67, "ipv4", "outside 68..65535"),
        (65536, "ipv4", "outside 68..65535"),
        (1279, "ipv6", "outside 1280..65535"),
        ("jumbo", "ipv4", "not a number"),
        (True, "ipv4", "not a number"),
        (None, "ipv4", "not a number"),
    ],
)
def test_link_mtu_checked(link_mtu, outer: str, message: str):
    with pytest.raises(MtuError, match=message):
        tunnel_mtu(link_mtu, "aes256gcm16", outer_family=outer, inner_families=[])


@pytest.mark.parametrize("family", ["ipv6", "IPv6", "6", 6, "inet6"])
def test_family_spellings(family):
    assert tunnel_mtu(1500, "aes256gcm16", outer_family=family).mtu == 1426


def test_unknown_family():
    with pytest.raises(MtuError, match="outer family is 'ipx'"):
        tunnel_mtu(1500, "aes256gcm16", outer_family="ipx")
    with pytest.raises(MtuError, match="inner family is 'ipv5'"):
        tunnel_mtu(1500, "aes256gcm16", inner_families=["ipv5"])


def test_link_mtu_as_text():
    assert tunnel_mtu(" 1500 ", "aes256gcm16").mtu == 1446


@pytest.mark.parametrize(
    ("link_mtu", "proposal", "fit", "mtu", "limited_by"),
    [
        # 1438 would fit the path; strongSwan's userspace ESP carries 1400
        (1500, "aes256gcm16", 1438, 1400, "dataplane"),
        (9000, "aes256-sha256", 8926, 1400, "dataplane"),
        # the smallest path that fits more than 1400, and one byte less
        (1464, "aes256gcm16", 1402, 1400, "dataplane"),
        (1463, "aes256gcm16", 1398, 1398, "path"),
        (1400, "aes256-sha256", 1326, 1326, "path"),
    ],
)
def test_userspace_esp_carries_at_most_1400(link_mtu, proposal, fit, mtu, limited_by):
    result = tunnel_mtu(link_mtu, proposal, dataplane="libipsec")
    assert (result.fit, result.mtu, result.limited_by) == (fit, mtu, limited_by)
    # always in UDP, and the overhead is ESP's, not the cap's
    assert result.overhead == link_mtu - fit
    assert result.fit == tunnel_mtu(link_mtu, proposal, udp_encap=True).mtu
    assert result.mss_ipv4 == mtu - 40


def test_kernel_dataplane_has_no_limit_of_its_own():
    result = tunnel_mtu(9000, "aes256gcm16", dataplane="kernel")
    assert (result.mtu, result.limited_by) == (8946, "path")


def test_unknown_dataplane_is_named():
    with pytest.raises(
        MtuError, match="data plane 'vpp' is not one of kernel, libipsec"
    ):
        tunnel_mtu(1500, "aes256gcm16", dataplane="vpp")

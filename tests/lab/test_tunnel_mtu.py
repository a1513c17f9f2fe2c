# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tunnel MTU the collection computes is exactly what a real tunnel carries.

On the lab (``make lab-up``, converged by the molecule scenarios): for each ESP
proposal, on a path narrowed at site-a's NAT router to 1400 bytes (well below a
PPPoE line's 1492) and to 1460 (a cloud network's), site.yml configures the
tunnel from site-a (behind NAT) to site-c; then a packet of exactly the
computed size crosses with no fragmentation anywhere, one byte more is refused
at the tunnel's entrance with "fragmentation needed", and opening the tunnel
device shows that the path itself carries nothing larger without fragments.

On the full 1500-byte path the path would fit 1438 bytes, but the lab's data
plane, strongSwan's userspace ESP, carries no packet over 1400: the computed
MTU is 1400, and the same checks hold for it. A TCP transfer of 8 MiB arrives
whole with its MSS clamped to the computed value, on the narrowest and on the
full path.
"""

from __future__ import annotations

import subprocess

import pytest

from swanlab import mtuprobe

SMALL_PATH = 1400
CLOUD_PATH = 1460
FULL_PATH = 1500

CASES = [
    ("aes256gcm16-ecp384", "AES_GCM_16-256"),
    ("aes256-sha256-ecp384", "AES_CBC-256/HMAC_SHA2_256_128"),
    ("chacha20poly1305-ecp384", "CHACHA20_POLY1305"),
]


@pytest.fixture(scope="module")
def lab():
    """The lab must be up; whatever a case changed is put back at the end."""
    probe = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Running}}", mtuprobe.container("gw-a")],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != "true":
        pytest.fail(
            "the lab is not up: run 'make lab-up' (and a molecule scenario, or "
            "'make demo', to converge it) before these tests"
        )
    yield
    mtuprobe.restore()


# the ESP arithmetic decides on the narrowed paths, the data plane's own limit
# (1400) on the full one
@pytest.mark.parametrize(
    ("path_mtu", "proposal", "algorithm", "limited_by"),
    [
        *[(SMALL_PATH, p, a, "path") for p, a in CASES],
        *[(CLOUD_PATH, p, a, "path") for p, a in CASES],
        *[(FULL_PATH, p, a, "dataplane") for p, a in CASES],
    ],
)
def test_computed_mtu_is_exact_on_a_real_tunnel(
    lab, proposal, algorithm, path_mtu, limited_by
):
    result = mtuprobe.measure_case(proposal, path_mtu, transfer=False)

    assert result.limited_by == limited_by
    assert algorithm in result.negotiated
    assert result.device_mtu == result.computed_mtu
    assert result.mss_clamps == {result.computed_mss}

    assert result.exact.crossed, result.exact
    assert result.exact.frag_needed_mtu is None

    assert not result.one_more.replied, result.one_more
    assert result.one_more.frag_needed_mtu == result.computed_mtu, result.one_more
    # refused at the entrance: nothing fragmented, reassembled or sent on
    for node, moved in result.one_more.moved.items():
        assert node == mtuprobe.SOURCE_GW and moved == {"FragFails": 1}, moved

    assert result.path_limit == result.computed_mtu


@pytest.mark.parametrize("path_mtu", [SMALL_PATH, FULL_PATH])
def test_tcp_crosses_with_the_computed_mss(lab, path_mtu):
    proposal, _ = CASES[0]
    mtuprobe.measure_case(proposal, path_mtu, transfer=False)
    mtu, mss = mtuprobe.computed(proposal, path_mtu)
    mtuprobe.set_device_mtu(mtu)
    mtuprobe.flush_pmtu_caches()

    transfer = mtuprobe.tcp_transfer()

    assert transfer.received == transfer.sent
    assert transfer.syn_mss == mss
    assert transfer.moved == {}, transfer.moved

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs of site.yml leave every gateway fully updated or as it was.

On the converged lab: a change charon rejects is never activated, and with a
rolling update (``swanfleet_serial``) it stops at the first gateway; a run that
loses a gateway in the middle converges when simply run again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time

import pytest

from swanlab import mtuprobe

INVENTORY_DIR = mtuprobe.INVENTORY_DIR
GATEWAYS = ("gw-a", "gw-b", "gw-c")
CONNECTIONS = "/etc/swanctl/conf.d/swanfleet-connections.conf"
# a post-quantum key exchange that strongSwan 5.9 does not know: a realistic
# change that passes the fleet's checks but that charon refuses to load
UNKNOWN_TO_CHARON = "aes256gcm16-ecp384-ke1_mlkem768"
# without connection sharing, a gateway cut off is unreachable at once
SSH_ARGS = (
    "-o ControlMaster=no -o StrictHostKeyChecking=no "
    "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5"
)
CUT_TABLE = "swanlab_cut"


@pytest.fixture(scope="module")
def lab():
    if mtuprobe.sh("gw-a", "echo up", check=False).strip() != "up":
        pytest.fail("the lab is not up: run 'make lab-up' and converge it first")


def site_yml(extra: dict | None = None, *, cut: str | None = None) -> tuple[int, str]:
    """Run site.yml; with ``cut``, that gateway drops SSH once the gateways' play runs."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(extra or {}, fh)
        varfile = fh.name
    env = {
        **os.environ,
        "ANSIBLE_SSH_ARGS": SSH_ARGS,
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
    }
    lines: list[str] = []
    try:
        with subprocess.Popen(
            ["ansible-playbook", "site.yml", "-e", f"@{varfile}"],
            cwd=INVENTORY_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if cut and line.startswith("PLAY [Deploy the IPsec gateways"):
                    cut_ssh(cut)
                    cut = None
            rc = proc.wait()
    finally:
        os.unlink(varfile)
    return rc, "".join(lines)


def cut_ssh(node: str) -> None:
    mtuprobe.sh(
        node,
        f"nft add table inet {CUT_TABLE}"
        f" && nft add chain inet {CUT_TABLE} input"
        " '{ type filter hook input priority -300; }'"
        f" && nft add rule inet {CUT_TABLE} input tcp dport 22 drop",
    )


def uncut_ssh(node: str) -> None:
    mtuprobe.sh(node, f"nft delete table inet {CUT_TABLE} 2>/dev/null; true")


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host."""
    found = {}
    for host, fields in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        found[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", fields)}
    return found


def fingerprints() -> dict[str, str]:
    return {
        gw: mtuprobe.sh(gw, f"sha256sum {CONNECTIONS}").split()[0] for gw in GATEWAYS
    }


def all_tunnels_up(timeout: float = 90) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        ok = True
        for gw in GATEWAYS:
            out = mtuprobe.sh(gw, "swanctl --list-sas", check=False)
            if len(re.findall(r"\bINSTALLED\b", out)) < 2:
                ok = False
        if ok:
            return True
        time.sleep(2)
    return False


def test_a_rejected_change_is_never_activated_and_the_rollout_stops(lab):
    before = fingerprints()
    change = {
        "swanfleet_serial": 1,
        "swanfleet_tunnel_settings": {
            "site-a--site-b": {"esp_proposals": [UNKNOWN_TO_CHARON]}
        },
    }

    rc, output = site_yml(change)

    assert rc != 0
    # the first gateway of the rollout names itself, the file and charon's words
    assert f"gw-a: charon rejected {CONNECTIONS}" in output, output[-3000:]
    assert "previous configuration was restored" in output
    assert re.search(r"charon said: .*(fail|invalid|unknown)", output), output[-3000:]
    # gw-a runs what it ran before; gw-b and gw-c were never reached
    assert fingerprints() == before
    counts = recap(output)
    assert counts["gw-a"]["failed"] == 1
    assert counts["gw-b"]["changed"] == 0 and counts["gw-c"]["changed"] == 0
    assert "mlkem" not in mtuprobe.sh("gw-a", "swanctl --list-conns")
    assert all_tunnels_up()


def test_a_run_that_loses_a_gateway_converges_when_run_again(lab):
    change = {"gateway_dpd_delay": "20s"}
    try:
        rc, output = site_yml(change, cut="gw-b")
    finally:
        uncut_ssh("gw-b")
    assert rc != 0
    assert recap(output)["gw-b"]["unreachable"] == 1, output[-3000:]
    assert "dpd_delay = 20s" in mtuprobe.sh("gw-a", f"cat {CONNECTIONS}")
    assert "dpd_delay = 20s" not in mtuprobe.sh("gw-b", f"cat {CONNECTIONS}")

    try:
        rc, output = site_yml(change)
        assert rc == 0, output[-3000:]
        assert recap(output)["gw-b"]["changed"] > 0
        assert all(
            "dpd_delay = 20s" in mtuprobe.sh(gw, f"cat {CONNECTIONS}")
            for gw in GATEWAYS
        )

        rc, output = site_yml(change)
        assert rc == 0, output[-3000:]
        assert all(c["changed"] == 0 for c in recap(output).values()), output[-3000:]
        assert all_tunnels_up()
    finally:
        # back to the lab's own settings for whatever runs next
        rc, output = site_yml()
        assert rc == 0, output[-3000:]

"""mtuprobe: measure, on a real tunnel of the lab, the largest packet that crosses.

The lab's tunnel from site-a (behind a masquerading NAT router) to site-c
(public) is configured by the collection itself (``site.yml`` with a tunnel's
ESP proposal and the sites' path MTU as extra variables); then packets with the
DF bit set are sent from site-a's LAN client to site-c's, and the IPv4 fragment
counters of every node on the way (gateway, router, gateway, client) are read
before and after each one. A packet "crosses" when its echo reply comes back
and no node fragmented or reassembled anything meanwhile.

The tests (``tests/lab/``) and the benchmark (``benchmarks/tunnel_mtu.py``)
both drive the lab through this module.

    python -m swanlab.mtuprobe --proposal aes256gcm16-ecp384 --path-mtu 1400
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import topology as topo_mod

ROOT = Path(__file__).resolve().parents[2]
INVENTORY_DIR = ROOT / "lab" / "inventory"
LAB = os.environ.get("SWANLAB_NAME", "swl")

# The tunnel under test and the nodes its packets cross, in order.
TUNNEL = "site-a--site-c"
SOURCE, SOURCE_GW, ROUTER, PEER_GW, TARGET = (
    "client-a",
    "gw-a",
    "router-a",
    "gw-c",
    "client-c",
)
PATH_NODES = (SOURCE_GW, ROUTER, PEER_GW, TARGET)
# the router's interface on the lab's internet: lowering its MTU makes the
# smaller path every outer packet of the tunnel has to fit
ROUTER_UPLINK = "wan0"
FRAG_COUNTERS = ("ReasmReqds", "FragOKs", "FragFails", "FragCreates")
IP_HEADER, ICMP_HEADER = 20, 8


class ProbeError(RuntimeError):
    """The lab could not be driven as the measurement needs."""


def container(node: str) -> str:
    return f"{LAB}-{node}"


def sh(node: str, script: str, *, check: bool = True, timeout: float = 60) -> str:
    """Run a shell script in a lab node and return what it printed."""
    proc = subprocess.run(
        ["docker", "exec", container(node), "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise ProbeError(
            f"{node}: {script!r} failed ({proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    return proc.stdout + proc.stderr


def address(node: str, network: str) -> str:
    """The node's address on a lab network, from the lab's one definition."""
    topo = topo_mod.build(3)
    for n in topo.nodes:
        if n.name == node:
            return str(n.address_on(network).ip)
    raise ProbeError(f"the lab has no node {node}")


# Reading the nodes


def frag_counters(node: str) -> dict[str, int]:
    """IPv4 fragmentation and reassembly counters of the node's network namespace."""
    lines = [ln.split() for ln in sh(node, "cat /proc/net/snmp").splitlines()]
    head, values = (ln for ln in lines if ln and ln[0] == "Ip:")
    stats = dict(zip(head[1:], values[1:], strict=True))
    return {name: int(stats[name]) for name in FRAG_COUNTERS}


def path_counters() -> dict[str, dict[str, int]]:
    return {node: frag_counters(node) for node in PATH_NODES}


def counter_delta(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    """Only the counters that moved, per node."""
    moved: dict[str, dict[str, int]] = {}
    for node, counters in after.items():
        diff = {
            k: v - before[node][k] for k, v in counters.items() if v != before[node][k]
        }
        if diff:
            moved[node] = diff
    return moved


def device_mtu(node: str, ifname: str) -> int:
    out = sh(node, f"ip -j link show dev {ifname}")
    return int(json.loads(out)[0]["mtu"])


def flush_pmtu_caches() -> None:
    """Forget learnt path MTUs, so that each probe meets the configured ones.

    A container sees /proc/sys read-only, so ``ip route flush cache`` inside it
    does nothing; the flush is written from the host, in the node's network
    namespace (sysctls under net/ belong to the namespace of who opens them).
    """
    for node in (SOURCE, *PATH_NODES):
        pid = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Pid}}", container(node)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        subprocess.run(
            [
                "nsenter",
                "-t",
                pid,
                "-n",
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv4/route/flush",
            ],
            capture_output=True,
            text=True,
            check=True,
        )


# Changing the lab


def set_router_mtu(mtu: int) -> None:
    sh(ROUTER, f"ip link set dev {ROUTER_UPLINK} mtu {mtu}")


def set_device_mtu(mtu: int, nodes: tuple[str, ...] = (SOURCE_GW, PEER_GW)) -> None:
    for node in nodes:
        sh(node, f"ip link set dev ipsec0 mtu {mtu}")


def deploy(extra_vars: dict | None = None, *, log: Path | None = None) -> float:
    """Run the collection's site.yml on the lab; return its wall time."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(extra_vars or {}, fh)
        varfile = fh.name
    started = time.monotonic()
    try:
        proc = subprocess.run(
            ["ansible-playbook", "site.yml", "-e", f"@{varfile}"],
            cwd=INVENTORY_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(varfile)
    if log is not None:
        log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        raise ProbeError(f"site.yml failed with {extra_vars}:\n{tail}")
    return time.monotonic() - started


def case_vars(proposal: str, path_mtu: int) -> dict:
    """Extra variables giving the tunnel under test one ESP proposal and the path MTU."""
    return {
        "swanfleet_path_mtu": path_mtu,
        "swanfleet_tunnel_settings": {TUNNEL: {"esp_proposals": [proposal]}},
    }


def negotiated(node: str = SOURCE_GW) -> str:
    """The ESP algorithms of the tunnel's installed CHILD_SA, as charon lists them."""
    out = sh(node, f"swanctl --list-sas --ike {TUNNEL}")
    match = re.search(r"INSTALLED, TUNNEL-in-UDP, ESP:(\S+)", out)
    if not match:
        raise ProbeError(f"{node}: tunnel {TUNNEL} has no CHILD_SA in UDP:\n{out}")
    return match.group(1)


def mss_clamps(node: str = SOURCE_GW) -> set[int]:
    """The MSS values the gateway's firewall rules clamp to, either backend."""
    out = sh(node, "{ nft list ruleset; iptables-save; } 2>/dev/null", check=False)
    found = re.findall(r"(?:maxseg size set|--set-mss) (\d+)", out)
    return {int(v) for v in found}


# Probes


@dataclass
class Ping:
    size: int  # the whole IPv4 packet, header included
    replied: bool
    frag_needed_mtu: int | None  # what an ICMP "fragmentation needed" announced
    moved: dict[str, dict[str, int]] = field(default_factory=dict)
    output: str = ""

    @property
    def crossed(self) -> bool:
        """Came back, and nobody on the way fragmented or reassembled anything."""
        return self.replied and not self.moved


def ping(size: int) -> Ping:
    """One echo request of ``size`` bytes with DF set, from the source client."""
    target = address(TARGET, "c-lan")
    payload = size - IP_HEADER - ICMP_HEADER
    before = path_counters()
    out = sh(
        SOURCE,
        f"ping -n -M do -c 1 -W 2 -s {payload} {target}",
        check=False,
    )
    after = path_counters()
    announced = re.search(r"mtu = (\d+)", out)
    return Ping(
        size=size,
        replied=" 0% packet loss" in out,
        frag_needed_mtu=int(announced.group(1)) if announced else None,
        moved=counter_delta(before, after),
        output=out.strip(),
    )


def largest_crossing(low: int, high: int) -> int:
    """The largest packet size in [low, high] that crosses; low - 1 when none does.

    A binary search, then a check that the answer crosses and one more byte
    does not, since a search alone would hide a non-monotonic path.
    """
    if not ping(low).crossed:
        flush_pmtu_caches()
        return low - 1
    lo, hi = low, high + 1  # lo crosses, hi does not (or is past the range)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        flush_pmtu_caches()
        if ping(mid).crossed:
            lo = mid
        else:
            hi = mid
    flush_pmtu_caches()
    if not ping(lo).crossed:
        raise ProbeError(f"{lo} bytes crossed once and then did not")
    return lo


@dataclass
class Transfer:
    sent: int
    received: int
    seconds: float
    syn_mss: int | None  # the MSS option of the SYN as it reached the target
    moved: dict[str, dict[str, int]] = field(default_factory=dict)


RECEIVER = """
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(1)
print("listening", flush=True)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.sendall(str(n).encode()); c.close()
"""

SENDER = """
import os, socket, sys, time
n = int(sys.argv[2]); chunk = os.urandom(65536); left = n
t = time.monotonic()
c = socket.create_connection((sys.argv[1], 5001), timeout=30)
while left > 0:
    c.sendall(chunk[: min(left, len(chunk))]); left -= min(left, len(chunk))
c.shutdown(socket.SHUT_WR)
got = c.recv(64).decode()
print(got, time.monotonic() - t)
"""


def tcp_transfer(nbytes: int = 8 * 1024 * 1024) -> Transfer:
    """Send ``nbytes`` over TCP from the source client to the target client."""
    target = address(TARGET, "c-lan")
    capture = subprocess.Popen(
        [
            "docker",
            "exec",
            container(TARGET),
            "timeout",
            "60",
            "tcpdump",
            "-l",
            "-n",
            "-c",
            "1",
            "-i",
            "lan0",
            "tcp[tcpflags] & tcp-syn != 0 and dst port 5001",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)  # tcpdump needs a moment before it sees packets
    receiver = subprocess.Popen(
        [
            "docker",
            "exec",
            container(TARGET),
            "timeout",
            "90",
            "python3",
            "-c",
            RECEIVER,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        if receiver.stdout.readline().strip() != "listening":
            raise ProbeError(f"{TARGET}: the TCP receiver did not start")
        before = path_counters()
        proc = subprocess.run(
            [
                "docker",
                "exec",
                container(SOURCE),
                "timeout",
                "90",
                "python3",
                "-c",
                SENDER,
                target,
                str(nbytes),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        after = path_counters()
    finally:
        receiver.wait(timeout=100)
        try:
            seen = capture.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            capture.kill()
            seen = capture.communicate()[0]
    if proc.returncode != 0:
        raise ProbeError(f"TCP transfer failed: {proc.stderr.strip()}")
    received, seconds = proc.stdout.split()
    mss = re.search(r"mss (\d+)", seen)
    return Transfer(
        nbytes,
        int(received),
        float(seconds),
        int(mss.group(1)) if mss else None,
        counter_delta(before, after),
    )


@dataclass
class CaseResult:
    proposal: str
    path_mtu: int
    computed_mtu: int
    computed_mss: int
    device_mtu: int
    negotiated: str
    mss_clamps: set[int]
    exact: Ping
    one_more: Ping
    # the largest packet the path carries in the tunnel without fragments, found
    # with the tunnel device opened up to the LAN's MTU
    path_limit: int
    # "path" when the ESP arithmetic decided, "dataplane" when the 1400-byte
    # limit of strongSwan's userspace ESP did
    limited_by: str = "path"
    transfer: Transfer | None = None


def sizing(proposal: str, path_mtu: int):
    """The collection's own arithmetic for the lab's data plane (userspace ESP)."""
    collections = str(ROOT / ".build" / "collections")
    if collections not in sys.path:
        sys.path.insert(0, collections)
    from ansible_collections.swanfleet.ipsec.plugins.module_utils._mtu import (
        tunnel_mtu,
    )

    return tunnel_mtu(path_mtu, [proposal], dataplane="libipsec")


def computed(proposal: str, path_mtu: int) -> tuple[int, int]:
    """MTU and IPv4 MSS from the collection's own arithmetic."""
    sized = sizing(proposal, path_mtu)
    return sized.mtu, sized.mss_ipv4


def measure_case(proposal: str, path_mtu: int, *, transfer: bool = True) -> CaseResult:
    """Configure the tunnel for one case with site.yml, then measure it."""
    set_router_mtu(path_mtu)
    deploy(case_vars(proposal, path_mtu))
    sized = sizing(proposal, path_mtu)
    mtu = sized.mtu
    flush_pmtu_caches()
    exact = ping(mtu)
    flush_pmtu_caches()
    one_more = ping(mtu + 1)
    flush_pmtu_caches()
    sent = tcp_transfer() if transfer else None
    configured = device_mtu(SOURCE_GW, "ipsec0")
    limit = path_limit(low=mtu - 16)
    return CaseResult(
        proposal=proposal,
        path_mtu=path_mtu,
        computed_mtu=mtu,
        computed_mss=sized.mss_ipv4,
        device_mtu=configured,
        negotiated=negotiated(),
        mss_clamps=mss_clamps(),
        exact=exact,
        one_more=one_more,
        path_limit=limit,
        limited_by=sized.limited_by,
        transfer=sent,
    )


def path_limit(*, low: int, lan_mtu: int = 1500) -> int:
    """Open the tunnel devices up to the LAN's MTU, find what really crosses.

    This leaves the devices open: the next site.yml run sizes them again.
    """
    set_device_mtu(lan_mtu)
    flush_pmtu_caches()
    try:
        return largest_crossing(low, lan_mtu)
    finally:
        flush_pmtu_caches()


@dataclass
class FixedResult:
    mtu: int
    largest_clean: int  # the largest packet that crossed with no fragments
    at_mtu: Ping  # a packet of the fixed MTU itself


def measure_fixed(mtu: int = 1400) -> FixedResult:
    """The tunnel devices at a fixed MTU, as other tools set them."""
    set_device_mtu(mtu)
    flush_pmtu_caches()
    at_mtu = ping(mtu)
    flush_pmtu_caches()
    largest = largest_crossing(mtu - 200, mtu)
    flush_pmtu_caches()
    return FixedResult(mtu, largest, at_mtu)


def restore() -> None:
    """Put the lab back as site.yml leaves it: full path MTU, default proposals."""
    set_router_mtu(1500)
    deploy()
    flush_pmtu_caches()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposal", default="aes256gcm16-ecp384")
    parser.add_argument("--path-mtu", type=int, default=1500)
    parser.add_argument("--no-restore", action="store_true")
    args = parser.parse_args(argv)
    try:
        result = measure_case(args.proposal, args.path_mtu)
    finally:
        if not args.no_restore:
            restore()
    print(json.dumps(asdict(result), indent=2, default=sorted))
    return 0


if __name__ == "__main__":
    sys.exit(main())

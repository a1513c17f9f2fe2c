"""faults: break the lab the way real fleets break, and time the recovery.

While site-a's LAN client pings site-c's (and, for a fault at site-c, site-b's
client pings it too) five times a second, one fault is made:

``nat-router-restart``
    site-a's NAT router reboots: its conntrack table, and so the gateway's NAT
    mapping, is lost.
``nat-mapping-change``
    site-a's NAT router gives the gateway a new outside port: its conntrack
    entries are deleted and a rule of the router's own maps the gateway's
    traffic to another port range from then on.
``gateway-restart``
    site-a's gateway reboots.
``peer-down``
    site-c's gateway is stopped for a while (three minutes by default), then
    started again.

Nothing is done by hand afterwards: the measurement is how long the fleet, as
the collection configured it, takes to carry traffic again by itself. Traffic
is watched until it has flowed for 45 s without a pause of more than a second
(longer than dead peer detection's 30 s, so a tunnel that comes back and
breaks again is caught). The recovery time runs from the fault (for
``peer-down``, from the peer's return) to the first echo reply after the last
pause; the packets lost are all the probes missing since the fault.

The lab tests (``tests/lab/test_faults.py``) and the benchmark
(``benchmarks/faults.py``) drive the lab through this module.

    python -m swanlab.faults nat-router-restart
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass

from .mtuprobe import ProbeError, address, container, sh

FAULTS = ("nat-router-restart", "nat-mapping-change", "gateway-restart", "peer-down")
INTERVAL = 0.2
# a pause in the echo replies longer than this is an outage
GAP = 1.0
# after the fault, traffic must flow this long without a gap to count as back
# (longer than the gateways' dead peer detection interval, 30 s)
WATCH = 45.0
PROBE_LOG = "/tmp/swanlab-fault-probe.log"
# the outside ports the router maps the gateway to after the mapping change,
# well away from the 500/4500 a masquerade keeps when it can
MOVED_PORTS = "40000-40999"
FAULT_TABLE = "swanlab_fault"
_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)")


class FaultError(RuntimeError):
    """The fault could not be made, or the fleet did not recover in time."""


@dataclass
class Recovery:
    fault: str
    flow: str  # "client-a -> client-c"
    seconds: float  # from the fault, or the peer's return, to the first reply
    lost: int  # probes between the last reply before and the first reply after
    outage: float  # from the last reply before to the first reply after

    def row(self) -> str:
        return (
            f"{self.fault:<20} {self.flow:<22} {self.seconds:>9.1f}"
            f" {self.outage:>9.1f} {self.lost:>6}"
        )


# Probing


class Probe:
    """A ping from one LAN client to another, timestamped, in the background."""

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        self.address = address(target, f"{target.removeprefix('client-')}-lan")

    @property
    def flow(self) -> str:
        return f"{self.source} -> {self.target}"

    def start(self) -> None:
        self.stop()
        sh(
            self.source,
            f"nohup ping -D -n -i {INTERVAL} -W 1 {self.address}"
            f" >{PROBE_LOG} 2>&1 </dev/null &",
        )

    def stop(self) -> None:
        sh(self.source, "pkill -x ping || true", check=False)

    def replies(self) -> list[tuple[float, int]]:
        """(time, sequence number) of every echo reply so far."""
        out = sh(self.source, f"cat {PROBE_LOG}", check=False)
        found = []
        for line in out.splitlines():
            match = _REPLY.match(line)
            if match:
                found.append((float(match.group(1)), int(match.group(2))))
        return found

    def wait_flowing(self, since: float, timeout: float) -> tuple[float, int]:
        """The first reply after ``since``; fails after ``timeout`` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            after = [r for r in self.replies() if r[0] > since]
            if after:
                return after[0]
            time.sleep(0.5)
        raise FaultError(
            f"{self.flow}: no echo reply within {timeout:.0f} s of the fault"
        )

    def recovery(
        self,
        fault: str,
        fault_at: float,
        mark: float,
        timeout: float,
        watch: float = WATCH,
    ) -> Recovery:
        """Time the outages after ``fault_at``; recovery is timed from ``mark``.

        ``mark`` is when the fault was over (the router back, the peer started
        again). Traffic is watched until it has flowed without a gap for
        ``watch`` seconds, so that a tunnel that comes back and breaks again (a
        peer that took a wrong address, say) counts: the recovery is the first
        reply after the last gap, the packets lost are those of every gap.
        """
        deadline = time.time() + timeout + watch
        while True:
            self.wait_flowing(mark, timeout)
            replies = [r for r in self.replies() if r[0] > fault_at - 5]
            before = [r for r in replies if r[0] <= fault_at]
            if not before:
                raise FaultError(f"{self.flow}: no echo reply before the fault")
            window = [r for r in replies if r[0] >= before[-1][0]]
            gaps = [
                (t0, t1, s1 - s0 - 1)
                for (t0, s0), (t1, s1) in zip(window, window[1:], strict=False)
                if t1 - t0 > GAP
            ]
            back = gaps[-1][1] if gaps else fault_at
            if window[-1][0] - max(back, mark) >= watch:
                break
            if time.time() > deadline:
                raise FaultError(
                    f"{self.flow}: traffic did not flow for {watch:.0f} s"
                    f" without a gap within {timeout:.0f} s of the fault"
                )
            time.sleep(1)
        return Recovery(
            fault=fault,
            flow=self.flow,
            seconds=max(0.0, back - mark),
            # every probe missing since the fault, in pauses short or long
            lost=sum(
                max(0, s1 - s0 - 1)
                for (_, s0), (_, s1) in zip(window, window[1:], strict=False)
            ),
            outage=max((t1 - t0 for t0, t1, _ in gaps), default=0.0),
        )


# The faults


def _docker(*args: str, timeout: float = 120) -> None:
    proc = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise FaultError(f"docker {' '.join(args)}: {proc.stderr.strip()}")


def _wait_booted(node: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = sh(node, "systemctl is-system-running 2>/dev/null", check=False)
        if state.strip().splitlines()[-1:] in (["running"], ["degraded"]):
            return
        time.sleep(1)
    raise FaultError(f"{node} did not finish booting within {timeout:.0f} s")


def reboot(node: str) -> None:
    """Restart a lab node's container, as a power cycle of the host would."""
    _docker("restart", "--time", "2", container(node))


def move_mapping(router: str, gateway_wan: str) -> None:
    """Map the gateway's traffic to other outside ports, and forget the old ones."""
    sh(
        router,
        f"nft add table ip {FAULT_TABLE}"
        f" && nft add chain ip {FAULT_TABLE} post"
        " '{ type nat hook postrouting priority srcnat - 10; }'"
        f" && nft add rule ip {FAULT_TABLE} post ip saddr {gateway_wan}"
        f" oifname wan0 meta l4proto udp masquerade to :{MOVED_PORTS}"
        f" && conntrack -D -s {gateway_wan} >/dev/null 2>&1; true",
    )


def restore_mapping(router: str, gateway_wan: str) -> None:
    sh(
        router,
        f"nft delete table ip {FAULT_TABLE} 2>/dev/null;"
        f" conntrack -D -s {gateway_wan} >/dev/null 2>&1; true",
        check=False,
    )


def measure(
    fault: str, *, down_seconds: float = 180, timeout: float = 300
) -> list[Recovery]:
    """Make ``fault`` on the converged lab and time the recovery of its flows."""
    if fault not in FAULTS:
        raise FaultError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
    probes = [Probe("client-a", "client-c")]
    if fault == "peer-down":
        probes.append(Probe("client-b", "client-c"))
    for probe in probes:
        probe.start()
    try:
        for probe in probes:
            probe.wait_flowing(time.time(), 60)
        time.sleep(2)

        fault_at = time.time()
        mark = fault_at
        if fault == "nat-router-restart":
            reboot("router-a")
        elif fault == "nat-mapping-change":
            move_mapping("router-a", address("gw-a", "a-wan"))
        elif fault == "gateway-restart":
            reboot("gw-a")
        else:
            _docker("stop", "--time", "2", container("gw-c"))
            time.sleep(down_seconds)
            _docker("start", container("gw-c"))
            mark = time.time()

        results = [p.recovery(fault, fault_at, mark, timeout) for p in probes]
    finally:
        for probe in probes:
            probe.stop()
        if fault == "nat-mapping-change":
            restore_mapping("router-a", address("gw-a", "a-wan"))
    # leave the lab whole for what runs next: every node booted, traffic flowing
    for node in ("router-a", "gw-a", "gw-c"):
        _wait_booted(node)
    settle([Probe("client-a", "client-c"), Probe("client-b", "client-c")], timeout)
    return results


def settle(probes: list[Probe], timeout: float = 300) -> None:
    """Wait until every flow carries traffic again."""
    for probe in probes:
        probe.start()
        try:
            probe.wait_flowing(time.time(), timeout)
        finally:
            probe.stop()


HEADER = (
    f"{'fault':<20} {'flow':<22} {'recovery':>9} {'outage':>9} {'lost':>6}\n"
    f"{'':<20} {'':<22} {'s':>9} {'s':>9} {'probes':>6}"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faults", description=__doc__.splitlines()[0])
    parser.add_argument("faults", nargs="*", default=list(FAULTS), choices=FAULTS)
    parser.add_argument(
        "--down", type=float, default=180, help="seconds the peer stays down"
    )
    args = parser.parse_args(argv)
    try:
        rows = [r for f in args.faults for r in measure(f, down_seconds=args.down)]
    except (FaultError, ProbeError) as exc:
        print(f"faults: {exc}", file=sys.stderr)
        return 1
    print(HEADER)
    for row in rows:
        print(row.row())
    return 0


if __name__ == "__main__":
    sys.exit(main())

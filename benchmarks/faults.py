# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long the lab's tunnels take to carry traffic again after each fault.

On a converged lab (``make demo``), each fault of ``lab/swanlab/faults.py`` is
made ``--runs`` times while LAN clients ping each other five times a second:
site-a's NAT router reboots; it gives site-a's gateway a new outside port;
site-a's gateway reboots; site-c's gateway is down for ``--down`` seconds.

    make demo
    python benchmarks/faults.py --runs 3

Columns, per fault and flow: ``recovery`` seconds from the fault (for
peer-down, from the peer's return) to the first echo reply through the
tunnel, the smallest, median and largest of the runs; ``outage`` the longest
time without replies; ``lost`` the probes lost in it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lab"))

from swanlab import faults  # noqa: E402


def spread(values: list[float]) -> str:
    return f"{min(values):>6.1f} {statistics.median(values):>6.1f} {max(values):>6.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--down", type=float, default=180)
    parser.add_argument("faults", nargs="*", default=list(faults.FAULTS))
    args = parser.parse_args()

    started = time.monotonic()
    found: dict[tuple[str, str], list[faults.Recovery]] = {}
    for fault in args.faults:
        for run in range(args.runs):
            for result in faults.measure(fault, down_seconds=args.down):
                found.setdefault((fault, result.flow), []).append(result)
                print(
                    f"{fault} run {run + 1}: {result.flow} back after "
                    f"{result.seconds:.1f} s, {result.lost} probes lost",
                    file=sys.stderr,
                    flush=True,
                )

    head = (
        f"{'fault':<20} {'flow':<22} | {'recovery s (min med max)':>20}"
        f" | {'outage s (min med max)':>20} | {'lost (max)':>10}"
    )
    print(head)
    print("-" * len(head))
    for (fault, flow), results in found.items():
        print(
            f"{fault:<20} {flow:<22} | {spread([r.seconds for r in results]):>20}"
            f" | {spread([r.outage for r in results]):>20}"
            f" | {max(r.lost for r in results):>10}"
        )
    print(
        f"\n{args.runs} run(s) of each fault, peer down {args.down:.0f} s, "
        f"{time.monotonic() - started:.0f} s in all"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Computed tunnel MTU against what a real tunnel carries, and against MTU 1400.

For each ESP proposal and path MTU, on the lab's tunnel from site-a (behind
NAT) to site-c (``lab/swanlab/mtuprobe.py`` does the driving): site.yml sizes
the tunnel; the largest packet that crosses without any fragment is found by
DF probes with the tunnel device opened up; then the device is set to the
fixed MTU 1400 (MSS 1360) other tools use, and the largest packet that crosses
cleanly is found again.

    make lab-up && make demo   # a converged lab
    python benchmarks/tunnel_mtu.py

Columns: ``computed`` the collection's MTU, ``by`` what decided it (``path``:
the ESP arithmetic; ``dataplane``: the 1400 bytes strongSwan's userspace ESP
carries), ``measured`` the largest packet the tunnel carries with no
fragments, ``gap`` measured - computed (goal 0); for the fixed MTU 1400, ``clean`` the largest packet that crossed without
fragments, and what the fixed value costs: bytes lost on every full-size packet
when 1400 is too small, or the packet sizes that get fragmented (or dropped)
when it is too large. The MSS columns compare the clamp the netfilter role sets
with the fixed 1360.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lab"))

from swanlab import mtuprobe  # noqa: E402

PROPOSALS = ("aes256gcm16-ecp384", "aes256-sha256-ecp384", "chacha20poly1305-ecp384")
PATHS = (1500, 1460, 1400)
FIXED_MTU, FIXED_MSS = 1400, 1360


def fixed_cost(measured: int) -> str:
    if measured >= FIXED_MTU:
        return f"{measured - FIXED_MTU} B lost per packet"
    return f"{measured + 1}-{FIXED_MTU} B fragmented"


def row(case: mtuprobe.CaseResult, fixed: mtuprobe.FixedResult) -> str:
    gap = case.path_limit - case.computed_mtu
    mss_fits = case.path_limit >= FIXED_MSS + 40
    mss_cost = (
        f"fits, {case.computed_mss - FIXED_MSS} B lost"
        if mss_fits
        else "too large: fragments"
    )
    return (
        f"{case.proposal:<25} {case.path_mtu:>5} {case.computed_mtu:>8}"
        f" {case.limited_by:<9} {case.path_limit:>8} {gap:>4}"
        f" | {fixed.largest_clean:>11} {fixed_cost(case.path_limit):<24}"
        f" | {case.computed_mss:>4} {mss_cost:<22}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, nargs="+", default=list(PATHS))
    parser.add_argument("--proposals", nargs="+", default=list(PROPOSALS))
    args = parser.parse_args()

    head = (
        f"{'ESP proposal':<25} {'path':>5} {'computed':>8} {'by':<9}"
        f" {'measured':>8} {'gap':>4}"
        f" | {'1400: clean':>11} {'cost of the fixed MTU':<24}"
        f" | {'MSS':>4} {'fixed MSS 1360':<22}"
    )
    print(head)
    print("-" * len(head), flush=True)
    rows = []
    started = time.monotonic()
    try:
        for path in args.paths:
            for proposal in args.proposals:
                case = mtuprobe.measure_case(proposal, path, transfer=False)
                fixed = mtuprobe.measure_fixed(FIXED_MTU)
                rows.append((case, fixed))
                print(row(case, fixed), flush=True)
    finally:
        mtuprobe.restore()
    print(f"\n{len(rows)} cases in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

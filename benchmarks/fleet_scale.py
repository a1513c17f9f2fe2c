# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deploy full-mesh fleets of growing size on the lab and time ``site.yml``.

For each size N (3, 6 and 12 sites unless told otherwise), on a fresh lab
(``labctl down`` then ``labctl up --sites N``):

1. ``site.yml`` first run: installs strongSwan, writes the firewall rules and
   brings up N(N-1)/2 tunnels;
2. ``site.yml`` again, with nothing to change (it must report no change);
3. ``verify.yml``: every tunnel up at both ends, the ping matrix between all
   sites' LAN clients, traffic counted inside the tunnels.

Measured: wall time of each ``ansible-playbook`` run; tasks per host (task
results each host returned, counted from the ``ansible.posix.json`` callback,
skipped ones included; loops count once); changed tasks on the rerun; planned
tunnels and tunnels verified up; the lab's memory. The slowest tasks of the
largest first run are listed too.

Afterwards the lab is brought back to ``--final-sites`` (3) by ``labctl up``,
which shrinks it in place, and converged with ``site.yml`` and ``verify.yml``,
so it is left as the other users of the lab expect it.

Run it under the lab lock; it takes the lab for its whole run:

    flock /tmp/swanfleet-lab.lock make bench-fleet
    python benchmarks/fleet_scale.py [--sites 3 6 12] [--final-sites 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INVENTORY = ROOT / "lab" / "inventory"
RESULTS = ROOT / ".build" / "bench"
ENV = {
    **os.environ,
    "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    "PYTHONPATH": str(ROOT / "lab"),
    "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections"),
    "ANSIBLE_FORCE_COLOR": "0",
}


@dataclass
class Run:
    """One ``ansible-playbook`` run."""

    seconds: float
    rc: int
    tasks: dict[str, int] = field(default_factory=dict)  # host -> task results
    changed: dict[str, int] = field(default_factory=dict)  # host -> changed
    slowest: list[tuple[float, str]] = field(default_factory=list)
    changed_tasks: list[str] = field(default_factory=list)  # "host: task"
    failures: list[str] = field(default_factory=list)
    output: str = ""


@dataclass
class Size:
    sites: int
    lab_up: float = 0.0
    first: Run | None = None
    rerun: Run | None = None
    verify: Run | None = None
    planned: int = 0
    verified: int | None = None
    pings: int | None = None
    memory_mib: float | None = None


def log(msg: str) -> None:
    print(f"fleet_scale: {msg}", file=sys.stderr, flush=True)


def labctl(*args: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "swanlab.labctl", *args],
        cwd=ROOT,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def _seconds(duration: dict) -> float:
    start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def parse_json_run(text: str, run: Run) -> None:
    """Fill ``run`` from the output of the ``ansible.posix.json`` callback."""
    data = json.loads(text[text.index("{") :])
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"]
            hosts = task.get("hosts", {})
            for host, result in hosts.items():
                run.tasks[host] = run.tasks.get(host, 0) + 1
                if result.get("changed"):
                    run.changed_tasks.append(f"{host}: {name}")
                failed = result.get("failed") or result.get("unreachable")
                if failed and not result.get("ignore_errors"):
                    msg = result.get("msg") or result.get("stderr") or "failed"
                    run.failures.append(f"{host}: {name}: {str(msg)[:400]}")
            if hosts and "duration" in task["task"]:
                run.slowest.append((_seconds(task["task"]["duration"]), name))
    for host, stats in data.get("stats", {}).items():
        run.changed[host] = stats.get("changed", 0)
    run.slowest.sort(reverse=True)


def playbook(name: str, *, json_output: bool) -> Run:
    env = dict(ENV)
    if json_output:
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    started = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", name],
        cwd=INVENTORY,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    run = Run(time.monotonic() - started, proc.returncode, output=proc.stdout)
    if json_output:
        try:
            parse_json_run(proc.stdout, run)
        except (ValueError, KeyError) as exc:
            run.failures.append(f"unreadable callback output: {exc}")
    if proc.returncode != 0 and not run.failures:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-25:]
        run.failures.append("\n".join(tail))
    return run


def planned_tunnels(sites: int) -> int:
    """Tunnels the fleet model plans for the lab inventory labctl just wrote."""
    sys.path[:0] = [str(ROOT / ".build" / "collections"), str(ROOT / "lab")]
    import yaml

    from ansible_collections.swanfleet.ipsec.plugins.module_utils._fleet import (
        plan_fleet,
    )

    hostvars = {
        p.stem: yaml.safe_load(p.read_text())
        for p in (INVENTORY / "host_vars").glob("*.yml")
    }
    plan = plan_fleet(hostvars)
    names = {t.name for ends in plan.tunnels.values() for t in ends}
    if len(hostvars) != sites:
        raise RuntimeError(f"inventory has {len(hostvars)} gateways, not {sites}")
    return len(names)


def memory_in_use_mib() -> float:
    """The machine's memory in use (total less available), from /proc/meminfo.

    docker stats reports nothing for the lab's containers here (they share the
    host's cgroup namespace), so the lab's share is measured as the growth of
    this figure from before the lab was brought up.
    """
    info = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        info[key] = int(value.split()[0])
    return (info["MemTotal"] - info["MemAvailable"]) / 1024


def lab_containers() -> list[str]:
    return subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--filter",
            "label=swanfleet.lab=swl",
            "--format",
            "{{.Names}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def group_tasks(run: Run, prefix: str) -> str:
    counts = [n for host, n in run.tasks.items() if host.startswith(prefix)]
    if not counts:
        return "-"
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


def verify_counts(output: str) -> tuple[int | None, int | None]:
    up = re.search(r"all (\d+) tunnels are up at both ends", output)
    pings = re.search(r"(\d+) site-to-site pings answered", output)
    return (
        int(up.group(1)) if up else None,
        int(pings.group(1)) if pings else None,
    )


def check(run: Run, what: str) -> None:
    if run.rc != 0:
        detail = "\n  ".join(run.failures) or "see the output above"
        raise SystemExit(f"fleet_scale: {what} failed (rc {run.rc}):\n  {detail}")


def measure(sites: int) -> Size:
    size = Size(sites)
    log(f"{sites} sites: fresh lab")
    labctl("down")
    before = memory_in_use_mib()
    size.lab_up = labctl("up", "--sites", str(sites))
    size.planned = planned_tunnels(sites)

    log(f"{sites} sites: site.yml, first run")
    size.first = playbook("site.yml", json_output=True)
    check(size.first, f"site.yml first run on {sites} sites")

    log(f"{sites} sites: site.yml, no-change rerun")
    size.rerun = playbook("site.yml", json_output=True)
    check(size.rerun, f"site.yml rerun on {sites} sites")

    log(f"{sites} sites: verify.yml")
    size.verify = playbook("swanfleet.ipsec.verify", json_output=False)
    size.verified, size.pings = verify_counts(size.verify.output)
    check(size.verify, f"verify.yml on {sites} sites")
    size.memory_mib = round(memory_in_use_mib() - before)
    return size


def growth(sizes: list[Size]) -> list[str]:
    """How the first run and the rerun grow from one size to the next."""
    lines = []
    for a, b in zip(sizes, sizes[1:], strict=False):
        parts = [f"{a.sites} -> {b.sites} sites (tunnels x{b.planned / a.planned:.1f})"]
        for label, ta, tb in (
            ("first run", a.first.seconds, b.first.seconds),
            ("rerun", a.rerun.seconds, b.rerun.seconds),
        ):
            exponent = math.log(tb / ta) / math.log(b.sites / a.sites)
            parts.append(f"{label} x{tb / ta:.2f} (~N^{exponent:.2f})")
        lines.append("; ".join(parts))
    return lines


def table(sizes: list[Size]) -> list[str]:
    head = (
        "sites",
        "tunnels",
        "up",
        "lab up s",
        "first run s",
        "rerun s",
        "changed on rerun",
        "verify s",
        "pings",
        "tasks/gateway",
        "tasks/router",
        "tasks/gateway (rerun)",
        "lab memory MiB",
    )
    rows = [head]
    for s in sizes:
        rows.append(
            (
                str(s.sites),
                str(s.planned),
                str(s.verified if s.verified is not None else "-"),
                f"{s.lab_up:.0f}",
                f"{s.first.seconds:.0f}",
                f"{s.rerun.seconds:.0f}",
                str(sum(s.rerun.changed.values())),
                f"{s.verify.seconds:.0f}",
                str(s.pings if s.pings is not None else "-"),
                group_tasks(s.first, "gw-"),
                group_tasks(s.first, "router-"),
                group_tasks(s.rerun, "gw-"),
                str(s.memory_mib or "-"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    out = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
        for r in rows
    ]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return out


def restore(final_sites: int) -> Size:
    """Shrink the lab in place to ``final_sites`` and converge it."""
    size = Size(final_sites)
    log(f"back to {final_sites} sites: labctl up shrinks the lab in place")
    size.lab_up = labctl("up", "--sites", str(final_sites))
    size.planned = planned_tunnels(final_sites)
    sites = sorted({n.rsplit("-", 1)[-1] for n in lab_containers()})
    expected = [chr(ord("a") + i) for i in range(final_sites)]
    if sites != expected:
        raise SystemExit(f"fleet_scale: after shrinking, the lab holds sites {sites}")
    size.first = playbook("site.yml", json_output=True)
    check(size.first, f"site.yml on the shrunk {final_sites}-site lab")
    size.verify = playbook("swanfleet.ipsec.verify", json_output=False)
    size.verified, size.pings = verify_counts(size.verify.output)
    check(size.verify, f"verify.yml on the shrunk {final_sites}-site lab")
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[3, 6, 12])
    parser.add_argument("--final-sites", type=int, default=3)
    args = parser.parse_args(argv)

    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sizes: list[Size] = []
    try:
        for n in args.sites:
            sizes.append(measure(n))
            (RESULTS / f"fleet_scale_{n}_first.json").write_text(sizes[-1].first.output)
    finally:
        if sizes:
            print("\n".join(table(sizes)))
        restored = restore(args.final_sites)

    for s in sizes:
        if s.rerun.changed_tasks:
            print(f"\nchanged on the rerun on {s.sites} sites:")
            counts: dict[str, int] = {}
            for entry in s.rerun.changed_tasks:
                task = entry.split(": ", 1)[1]
                counts[task] = counts.get(task, 0) + 1
            for task, n in sorted(counts.items()):
                print(f"  {n:3d} x {task}")
    print()
    print("\n".join(growth(sizes)))
    largest = sizes[-1]
    print(f"\nslowest tasks of the first run on {largest.sites} sites:")
    for seconds, name in largest.first.slowest[:8]:
        print(f"  {seconds:6.1f} s  {name}")
    print(
        f"\nshrunk to {restored.sites} sites in {restored.lab_up:.0f} s; site.yml "
        f"{restored.first.seconds:.0f} s ({sum(restored.first.changed.values())} "
        f"changed); verify {restored.verify.seconds:.0f} s: "
        f"{restored.verified} tunnels up, {restored.pings} pings answered"
    )
    print(f"total {time.monotonic() - started:.0f} s")
    summary = {
        "sizes": [
            {
                "sites": s.sites,
                "tunnels": s.planned,
                "verified_up": s.verified,
                "pings": s.pings,
                "lab_up_s": round(s.lab_up, 1),
                "first_run_s": round(s.first.seconds, 1),
                "rerun_s": round(s.rerun.seconds, 1),
                "rerun_changed": sum(s.rerun.changed.values()),
                "verify_s": round(s.verify.seconds, 1),
                "tasks_first": s.first.tasks,
                "tasks_rerun": s.rerun.tasks,
                "lab_mib": s.memory_mib,
            }
            for s in sizes
        ]
    }
    (RESULTS / "fleet_scale.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

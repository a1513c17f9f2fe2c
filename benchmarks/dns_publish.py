# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Publish A, PTR and IPSECKEY records for many gateways, two ways, and compare.

``swanfleet.ipsec.dns_keys`` (one task per gateway) against
``community.general.nsupdate`` (one task per record: A, PTR, IPSECKEY), both
run by ``ansible-playbook`` on localhost against the same private BIND 9 that
the integration tests use (``tests/integration/dns/named_server.py``), each
on its own gateway names and addresses in the same zones.

Each way runs twice: a first run that publishes everything, then a rerun with
nothing to change. Measured per run: wall time of ``ansible-playbook``, and the
UPDATE messages the server received, read from named's statistics channel
(opcode counter ``UPDATE``; of those, ``UpdateDone`` counts the ones the
server answered NOERROR, which includes prerequisite-only messages that change
nothing), so no tool's own count is trusted.

    python benchmarks/dns_publish.py [--gateways 100]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "dns"))

from named_server import FORWARD, KEY_NAME, REVERSE4, Named, start, stop  # noqa: E402

ZONE = FORWARD.rstrip(".")
REVERSE = REVERSE4.rstrip(".")

OURS = """
- name: Publish gateways with swanfleet.ipsec.dns_keys
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: One task per gateway
      swanfleet.ipsec.dns_keys:
        server: "{{ dns_server }}"
        port: "{{ dns_port }}"
        zone_forward: "{{ zone }}"
        zone_reverse: ["{{ reverse_zone }}"]
        name: "{{ item.name }}"
        addresses: ["{{ item.address }}"]
        public_key: "{{ item.pem }}"
        tsig_key_name: "{{ tsig_key_name }}"
        tsig_secret: "{{ tsig_secret }}"
      loop: "{{ gateways }}"
      loop_control:
        label: "{{ item.name }}"
"""

NSUPDATE = """
- name: Publish gateways with community.general.nsupdate
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    community.general.nsupdate:
      server: "{{ dns_server }}"
      port: "{{ dns_port }}"
      key_name: "{{ tsig_key_name }}"
      key_secret: "{{ tsig_secret }}"
      key_algorithm: hmac-sha256
      protocol: tcp
      ttl: 3600
  tasks:
    - name: A
      community.general.nsupdate:
        zone: "{{ zone }}"
        record: "{{ item.name }}."
        type: A
        value: "{{ item.address }}"
      loop: "{{ gateways }}"
      loop_control:
        label: "{{ item.name }}"

    - name: IPSECKEY
      community.general.nsupdate:
        zone: "{{ zone }}"
        record: "{{ item.name }}."
        type: IPSECKEY
        value: "{{ item.ipseckey }}"
      loop: "{{ gateways }}"
      loop_control:
        label: "{{ item.name }}"

    - name: PTR
      community.general.nsupdate:
        zone: "{{ reverse_zone }}"
        record: "{{ item.reverse }}"
        type: PTR
        value: "{{ item.name }}."
      loop: "{{ gateways }}"
      loop_control:
        label: "{{ item.name }}"
"""


def gateways(prefix: str, first_host: int, count: int) -> list[dict[str, str]]:
    found = []
    for index in range(count):
        private = ed25519.Ed25519PrivateKey.generate()
        public = private.public_key()
        raw = public.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        host = first_host + index
        found.append(
            {
                "name": f"{prefix}-{index:03d}.{ZONE}",
                "address": f"198.51.100.{host}",
                "reverse": f"{host}.100.51.198.in-addr.arpa.",
                "pem": public.public_bytes(
                    serialization.Encoding.PEM,
                    serialization.PublicFormat.SubjectPublicKeyInfo,
                ).decode(),
                "ipseckey": f"10 0 4 . {base64.b64encode(raw).decode()}",
            }
        )
    return found


def update_counters(named: Named) -> tuple[int, int]:
    """UPDATE messages received, and of those applied, from named's statistics."""
    url = f"http://127.0.0.1:{named.stats_port}/json/v1/server"
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
        stats = json.load(answer)
    return (
        int(stats["opcodes"].get("UPDATE", 0)),
        int(stats.get("nsstats", {}).get("UpdateDone", 0)),
    )


def playbook_run(
    workdir: Path, named: Named, playbook: str, hosts: list[dict[str, str]]
) -> tuple[float, int, int, str]:
    """Run a playbook: wall seconds, UPDATEs received, UPDATEs applied, recap."""
    book = workdir / "play.yml"
    book.write_text(playbook)
    variables = workdir / "vars.json"
    variables.write_text(
        json.dumps(
            {
                "dns_server": named.address,
                "dns_port": named.port,
                "zone": ZONE,
                "reverse_zone": REVERSE,
                "tsig_key_name": KEY_NAME,
                "tsig_secret": named.key_secret,
                "gateways": hosts,
                "ansible_python_interpreter": sys.executable,
            }
        )
    )
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
        ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"),
        ANSIBLE_HOME=str(workdir / "ansible-home"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="default",
    )
    before = update_counters(named)
    started = time.monotonic()
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            f"@{variables}",
            str(book),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"ansible-playbook failed:\n{done.stdout[-3000:]}")
    recap = done.stdout.strip().splitlines()[-1].split(":", 1)[1].split()
    after = update_counters(named)
    return elapsed, after[0] - before[0], after[1] - before[1], " ".join(recap[:2])


def served(named: Named, hosts: list[dict[str, str]]) -> bool:
    """Every gateway's three records are served as published."""
    for host in hosts:
        if named.records(host["name"], "A") != {f"3600 {host['address']}"}:
            return False
        if named.records(host["reverse"], "PTR") != {f"3600 {host['name']}."}:
            return False
        if len(named.rdatas(host["name"], "IPSECKEY")) != 1:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=100)
    count = parser.parse_args().gateways
    if not 1 <= count <= 100:
        raise SystemExit("--gateways: 1 to 100 (two sets share a /24 reverse zone)")

    ours = gateways("gw-ours", 1, count)
    theirs = gateways("gw-nsu", 101, count)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dns-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "named").mkdir()
        named = start(workdir / "named")
        try:
            for label, book, hosts in (
                ("swanfleet.ipsec.dns_keys", OURS, ours),
                ("community.general.nsupdate", NSUPDATE, theirs),
            ):
                for run in ("first run", "no-change rerun"):
                    result = playbook_run(workdir, named, book, hosts)
                    rows.append((label, run, *result))
                    print(f"  {label}, {run}: {result[0]:.1f} s", file=sys.stderr)
                if not served(named, hosts):
                    raise SystemExit(f"{label}: the records are not all served")
        finally:
            stop(named)

    cores = os.cpu_count()
    print(
        f"\n{count} gateways (A + PTR + IPSECKEY each), ansible-playbook on "
        f"localhost, BIND 9 on 127.0.0.1, {cores} CPU cores\n"
    )
    header = (
        "tool",
        "run",
        "wall time",
        "UPDATE messages",
        "per gateway",
        "of which UpdateDone",
        "recap",
    )
    table = [
        (
            label,
            run,
            f"{elapsed:.1f} s",
            str(updates),
            f"{updates / count:.1f}",
            str(applied),
            recap,
        )
        for label, run, elapsed, updates, applied, recap in rows
    ]
    widths = [max(len(row[i]) for row in (header, *table)) for i in range(7)]
    for row in (header, tuple("-" * w for w in widths), *table):
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()

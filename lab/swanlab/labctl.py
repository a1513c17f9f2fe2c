"""labctl: bring the swanfleet lab up, take it down, and write its inventory.

    python -m swanlab.labctl up [--sites N]   # idempotent
    python -m swanlab.labctl down             # removes what the lab created
    python -m swanlab.labctl status

Everything the lab creates carries the docker label ``swanfleet.lab=<lab name>``;
``down`` removes exactly those objects and nothing else.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import topology as topo_mod
from .inventory import write_inventory

LAB_DIR = Path(__file__).resolve().parent.parent
ROOT = LAB_DIR.parent
STATE_DIR = ROOT / ".lab"
IMAGES = LAB_DIR / "images"
BASE_IMAGE = "swanfleet-lab/base:bookworm"
NODE_IMAGE = "swanfleet-lab/node:bookworm"
LABEL = "swanfleet.lab"


class LabError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"labctl: {msg}", flush=True)


def docker(*args: str, check: bool = True, capture: bool = True) -> str:
    proc = subprocess.run(
        ["docker", *args],
        capture_output=capture,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise LabError(f"docker {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout if capture else ""


# Machine checks


def host_ranges(lab: str) -> list[tuple[str, ipaddress.IPv4Network]]:
    """Ranges this machine already uses: its routes and its resolvers.

    Routes on bridges are left to the docker network check, which knows which
    networks are this lab's own.
    """
    taken: list[tuple[str, ipaddress.IPv4Network]] = []
    out = subprocess.run(
        ["ip", "-4", "-j", "route", "show", "table", "all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for route in json.loads(out or "[]"):
        dst = route.get("dst", "")
        dev = route.get("dev", "")
        if dst in ("", "default") or dev.startswith(("br-", "docker", f"{lab}-")):
            continue
        if route.get("type") in ("local", "broadcast"):
            continue
        try:
            net = ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", strict=False)
        except ValueError:
            continue
        if net.is_loopback:
            continue
        taken.append((f"route {dst} dev {dev}", net))
    resolv = Path("/etc/resolv.conf")
    if resolv.exists():
        for line in resolv.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver":
                try:
                    addr = ipaddress.ip_address(parts[1])
                except ValueError:
                    continue
                if addr.version == 4 and not addr.is_loopback:
                    taken.append((f"resolver {addr}", ipaddress.ip_network(addr)))
    return taken


def foreign_docker_networks(lab: str) -> list[tuple[str, ipaddress.IPv4Network]]:
    taken = []
    for line in docker("network", "ls", "-q").split():
        info = json.loads(docker("network", "inspect", line))[0]
        if (info.get("Labels") or {}).get(LABEL) == lab:
            continue
        for cfg in (info.get("IPAM") or {}).get("Config") or []:
            subnet = cfg.get("Subnet")
            if subnet and ":" not in subnet:
                taken.append(
                    (f"docker network {info['Name']}", ipaddress.ip_network(subnet))
                )
    return taken


# Images


def image_context_digest() -> str:
    """Digest of the node image's build files: a changed file means a rebuild."""
    digest = hashlib.sha256()
    for path in sorted(IMAGES.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_images(rebuild: bool = False) -> None:
    if rebuild or not docker("images", "-q", BASE_IMAGE).strip():
        build_base_image()
    context = image_context_digest()
    label = '{{ index .Config.Labels "swanfleet.lab.context" }}'
    built = docker("image", "inspect", "-f", label, NODE_IMAGE, check=False).strip()
    if rebuild or built != context:
        log(f"building {NODE_IMAGE}")
        subprocess.run(
            [
                "docker",
                "build",
                "-q",
                "-t",
                NODE_IMAGE,
                "--label",
                f"swanfleet.lab.context={context}",
                "--build-arg",
                f"BASE={BASE_IMAGE}",
                "-f",
                str(IMAGES / "node.Dockerfile"),
                str(IMAGES),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            # the classic builder: docker.io ships no buildx plugin
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )


def build_base_image() -> None:
    if not shutil.which("debootstrap"):
        raise LabError("debootstrap is missing: run scripts/bootstrap.sh first")
    log(f"building {BASE_IMAGE} with debootstrap (about a minute)")
    with tempfile.TemporaryDirectory(prefix="swanlab-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        # no mirror argument: debootstrap uses Debian's default mirror
        subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(rootfs)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE
        )
        subprocess.run(
            ["docker", "import", "-", BASE_IMAGE],
            stdin=tar.stdout,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if tar.wait() != 0:
            raise LabError("packing the debootstrap root file system failed")


# Networks and containers


def net_name(lab: str, short: str) -> str:
    return f"{lab}-{short}"


def bridge_name(lab: str, short: str) -> str:
    return f"{lab}-{short}"[:15]


def ensure_networks(lab: str, topo: topo_mod.Topology) -> None:
    existing = {
        json.loads(docker("network", "inspect", n))[0]["Name"]: n
        for n in docker(
            "network", "ls", "-q", "--filter", f"label={LABEL}={lab}"
        ).split()
    }
    for net in topo.networks:
        name = net_name(lab, net.name)
        if name in existing:
            info = json.loads(docker("network", "inspect", name))[0]
            subnet = info["IPAM"]["Config"][0]["Subnet"]
            if subnet != str(net.subnet):
                raise LabError(
                    f"network {name} exists with {subnet}, expected {net.subnet}: "
                    "run 'labctl down' first"
                )
            continue
        log(f"creating network {name} {net.subnet} ({net.purpose})")
        # only the lab's internet leaves through the host (for package installs)
        masquerade = "true" if net.name == "inet" else "false"
        docker(
            "network",
            "create",
            "--driver",
            "bridge",
            "-o",
            f"com.docker.network.bridge.enable_ip_masquerade={masquerade}",
            "--subnet",
            str(net.subnet),
            "--gateway",
            str(net.subnet.network_address + 1),
            "--label",
            f"{LABEL}={lab}",
            "-o",
            f"com.docker.network.bridge.name={bridge_name(lab, net.name)}",
            name,
        )


def _nat_exemption(lab: str) -> list[str]:
    return [
        "POSTROUTING",
        "-o",
        f"{lab}-+",
        "-m",
        "physdev",
        "--physdev-is-bridged",
        "-m",
        "comment",
        "--comment",
        f"swanfleet lab {lab}: bridged, never NAT",
        "-j",
        "ACCEPT",
    ]


def ensure_host_nat_exemption(lab: str) -> None:
    """Keep the host from masquerading frames it merely bridges between lab nodes.

    With bridge netfilter on (docker turns it on), a frame one lab router sends to
    a lab gateway on the same bridge passes the host's nat table, and docker's
    "masquerade everything leaving for another interface" rule for the lab's
    internet would rewrite the source the lab's NAT routers chose. One rule at the
    top of the host's POSTROUTING, matching only the lab's bridges, prevents that;
    'labctl down' removes it.
    """
    rule = _nat_exemption(lab)
    first = subprocess.run(
        ["iptables", "-t", "nat", "-S", "POSTROUTING", "1"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if f"swanfleet lab {lab}:" in first:
        return
    remove_host_nat_exemption(lab)
    log(f"host: adding one nat rule so lab bridges '{lab}-*' are never masqueraded")
    subprocess.run(
        ["iptables", "-t", "nat", "-I", *rule[:1], "1", *rule[1:]], check=True
    )


def remove_host_nat_exemption(lab: str) -> None:
    rule = _nat_exemption(lab)
    while (
        subprocess.run(
            ["iptables", "-t", "nat", "-D", *rule],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    ):
        pass


def container_name(lab: str, node: topo_mod.Node) -> str:
    return f"{lab}-{node.name}"


def net_plan(node: topo_mod.Node) -> str:
    lines = ["# written by labctl: this node's lab addressing"]
    for att in node.attachments:
        lines.append(f"link {att.ifname} {att.address}")
    for dest, via in node.routes:
        lines.append(f"route {dest} via {via}")
    return "\n".join(lines) + "\n"


def ensure_container(lab: str, node: topo_mod.Node, pubkey: str) -> None:
    name = container_name(lab, node)
    state = docker("ps", "-a", "--filter", f"name=^{name}$", "--format", "{{.State}}")
    if not state.strip():
        log(f"creating {node.role} {node.name}")
        first, *rest = node.attachments
        args = [
            "run",
            "-d",
            "--name",
            name,
            "--hostname",
            node.name,
            "--label",
            f"{LABEL}={lab}",
            "--label",
            f"swanfleet.site={node.site}",
            "--label",
            f"swanfleet.role={node.role}",
            "--network",
            net_name(lab, first.network),
            "--ip",
            str(first.address.ip),
            "--cap-add",
            "NET_ADMIN",
            "--cap-add",
            "SYS_ADMIN",
            "--device",
            "/dev/net/tun",
            "--security-opt",
            "seccomp=unconfined",
            "--cgroupns=host",
            "-v",
            "/sys/fs/cgroup:/sys/fs/cgroup:ro",
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "--tmpfs",
            "/tmp",
            "--sysctl",
            "net.ipv4.ip_forward=" + ("0" if node.role == "client" else "1"),
            "--restart",
            "unless-stopped",
            NODE_IMAGE,
        ]
        docker(*args)
        for att in rest:
            docker(
                "network",
                "connect",
                "--ip",
                str(att.address.ip),
                net_name(lab, att.network),
                name,
            )
    elif state.strip() != "running":
        docker("start", name)

    files = {"/etc/swanlab/net.conf": net_plan(node)}
    files["/root/.ssh/authorized_keys"] = pubkey
    for path, content in files.items():
        subprocess.run(
            [
                "docker",
                "exec",
                "-i",
                name,
                "sh",
                "-c",
                f"umask 077; cat > {path}.new && mv {path}.new {path}",
            ],
            input=content,
            text=True,
            check=True,
        )


def boot_timeout(nodes: int) -> float:
    """How long to wait for systemd in ``nodes`` containers booting at once.

    They share the machine's cores, so the wait grows with the lab: two minutes
    for a small lab, ten seconds a node for a large one.
    """
    return max(120.0, 10.0 * nodes)


def wait_ready(
    lab: str, nodes: list[topo_mod.Node], timeout: float | None = None
) -> None:
    deadline = time.monotonic() + (timeout or boot_timeout(len(nodes)))
    pending = {container_name(lab, n) for n in nodes}
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            state = subprocess.run(
                ["docker", "exec", name, "systemctl", "is-system-running"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            if state in ("running", "degraded"):
                pending.discard(name)
        if pending:
            time.sleep(1)
    if pending:
        raise LabError(f"systemd did not come up in: {', '.join(sorted(pending))}")
    for node in nodes:
        name = container_name(lab, node)
        # the plan may have been rewritten since boot: apply it now as well
        proc = subprocess.run(
            ["docker", "exec", name, "/usr/local/sbin/swanlab-net"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise LabError(
                f"{node.name}: applying the network plan failed: {proc.stderr}"
            )


def ssh_key() -> Path:
    key = STATE_DIR / "ssh" / "id_ed25519"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(key.parent, 0o700)
        subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "swanfleet-lab",
                "-f",
                str(key),
            ],
            check=True,
        )
    return key


def lab_containers(lab: str) -> list[str]:
    return docker("ps", "-a", "-q", "--filter", f"label={LABEL}={lab}").split()


# Commands


def cmd_up(args: argparse.Namespace) -> None:
    topo = topo_mod.build(args.sites)
    problems = topo_mod.check_overlaps(
        topo, host_ranges(args.lab) + foreign_docker_networks(args.lab)
    )
    if problems:
        raise LabError(
            "refusing to create networks that would cut this machine off:\n  "
            + "\n  ".join(problems)
        )
    ensure_images(args.rebuild)
    key = ssh_key()
    pubkey = key.with_suffix(".pub").read_text()

    # sites beyond the requested count go away
    wanted = {container_name(args.lab, n) for n in topo.nodes}
    for cid in lab_containers(args.lab):
        name = docker("inspect", "-f", "{{.Name}}", cid).strip().lstrip("/")
        if name not in wanted:
            log(f"removing {name}: not part of a {args.sites}-site lab")
            docker("rm", "-f", cid)
    remove_unused_networks(
        args.lab, {net_name(args.lab, n.name) for n in topo.networks}
    )

    ensure_networks(args.lab, topo)
    ensure_host_nat_exemption(args.lab)
    for node in topo.nodes:
        ensure_container(args.lab, node, pubkey)
    wait_ready(args.lab, topo.nodes)
    inv = write_inventory(topo, LAB_DIR / "inventory", key)
    log(f"lab '{args.lab}' is up: {len(topo.sites)} sites, {len(topo.nodes)} nodes")
    log(f"inventory: {inv}")


def remove_unused_networks(lab: str, keep: set[str]) -> None:
    for nid in docker(
        "network", "ls", "-q", "--filter", f"label={LABEL}={lab}"
    ).split():
        name = json.loads(docker("network", "inspect", nid))[0]["Name"]
        if name not in keep:
            log(f"removing network {name}")
            remove_network(nid, name)


def remove_network(nid: str, name: str, attempts: int = 20) -> None:
    """Remove a network whose containers were just removed.

    Docker can answer 'has active endpoints' for a moment after 'docker rm -f'
    of many containers returns, until it has released their endpoints; so try
    again for a few seconds, then take off what is still attached and say so.
    """
    for attempt in range(attempts):
        proc = subprocess.run(
            ["docker", "network", "rm", nid],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0:
            return
        if "active endpoints" not in proc.stderr:
            raise LabError(f"docker network rm {name} failed: {proc.stderr.strip()}")
        if attempt == attempts // 2:
            info = json.loads(docker("network", "inspect", nid))[0]
            for endpoint in (info.get("Containers") or {}).values():
                log(f"network {name}: disconnecting leftover {endpoint['Name']}")
                docker(
                    "network", "disconnect", "-f", nid, endpoint["Name"], check=False
                )
        time.sleep(0.5)
    raise LabError(f"network {name} still has endpoints: remove them and retry")


def cmd_down(args: argparse.Namespace) -> None:
    ids = lab_containers(args.lab)
    if ids:
        log(f"removing {len(ids)} containers")
        docker("rm", "-f", *ids)
    remove_unused_networks(args.lab, set())
    remove_host_nat_exemption(args.lab)
    log(f"lab '{args.lab}' is down")


def cmd_status(args: argparse.Namespace) -> None:
    out = docker(
        "ps",
        "-a",
        "--filter",
        f"label={LABEL}={args.lab}",
        "--format",
        "{{.Names}}\t{{.State}}\t{{.Status}}",
    )
    print(out.strip() or f"lab '{args.lab}' has no containers")


def cmd_inventory(args: argparse.Namespace) -> None:
    topo = topo_mod.build(args.sites)
    print(write_inventory(topo, LAB_DIR / "inventory", ssh_key()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labctl", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lab",
        default=os.environ.get("SWANLAB_NAME", "swl"),
        help="name prefix of every container and network (default: swl)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="create or repair the lab (idempotent)")
    up.add_argument(
        "--sites", type=int, default=int(os.environ.get("SWANLAB_SITES", "3"))
    )
    up.add_argument("--rebuild", action="store_true", help="rebuild the images")
    up.set_defaults(func=cmd_up)
    sub.add_parser(
        "down", help="remove the lab's containers and networks"
    ).set_defaults(func=cmd_down)
    sub.add_parser("status", help="list the lab's containers").set_defaults(
        func=cmd_status
    )
    inv = sub.add_parser("inventory", help="write the Ansible inventory only")
    inv.add_argument(
        "--sites", type=int, default=int(os.environ.get("SWANLAB_SITES", "3"))
    )
    inv.set_defaults(func=cmd_inventory)
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z][a-z0-9]{0,5}", args.lab):
        parser.error(
            "--lab must be 1 to 6 lowercase letters or digits, starting with a letter"
        )
    try:
        args.func(args)
    except (LabError, topo_mod.TopologyError) as exc:
        print(f"labctl: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

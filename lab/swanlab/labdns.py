"""The lab's DNS: a private BIND 9 on the controller's loopback.

``up`` starts ``named`` (as a daemon, from ``.lab/dns``) with the zones of the
lab's gateways: the forward zone of their identities and the reverse zone of the
lab's internet, both signed inline (``dnssec-policy default``) and writable only
with the TSIG key it generates. It writes what the gateway role needs next to
it: the key's name and secret (0600) and the DS records of both zones, the trust
anchors of the ``ipseckey`` lookup.

``forge`` plays an attacker who can answer in the server's place but has no
zone key: it copies both zones from the server by zone transfer, signatures
included, replaces the IPSECKEY record of one name with the attacker's own key,
keeps the RRSIG that covered the genuine one, and serves the result from a
second ``named`` on another port.

``unforge`` stops the second server, ``down`` both, and removes the directory.
Run as ``python -m swanlab.labdns up|forge NAME|unforge|down`` with ``lab`` on
PYTHONPATH.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from swanlab.topology import IDENTITY_DOMAIN, INTERNET

ROOT = Path(__file__).resolve().parents[2]
WORKDIR = ROOT / ".lab" / "dns"
# named listens only on addresses an interface has, so both servers share
# 127.0.0.1 on ports of their own rather than needing an address added to lo
ADDRESS = "127.0.0.1"
PORT = 5301
FORGER_PORT = 5302
KEY_NAME = "swanfleet-lab"

FORWARD = IDENTITY_DOMAIN.rstrip(".") + "."
REVERSE = INTERNET.network_address.reverse_pointer.split(".", 1)[1] + "."
ZONES = (FORWARD, REVERSE)


def _tool(name: str) -> str:
    for found in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if found and Path(found).exists():
            return found
    raise SystemExit(f"{name} is not installed: apt-get install bind9 bind9-utils")


def _zone_text(zone: str) -> str:
    return (
        f"$ORIGIN {zone}\n"
        f"@ 300 IN SOA ns1.{FORWARD} hostmaster.{FORWARD} 1 3600 600 86400 300\n"
        f"@ 300 IN NS ns1.{FORWARD}\n"
        + (f"ns1 300 IN A {ADDRESS}\n" if zone == FORWARD else "")
    )


def _genuine_config(workdir: Path) -> str:
    zones = "".join(
        f"""
zone "{zone}" {{
    type primary;
    file "{workdir}/{zone}zone";
    update-policy {{ grant {KEY_NAME} zonesub {types}; }};
    dnssec-policy default;
    inline-signing yes;
    key-directory "{workdir}/keys";
    allow-transfer {{ 127.0.0.0/8; }};
}};
""" for zone, types in ((FORWARD, "A AAAA IPSECKEY TXT"), (REVERSE, "PTR IPSECKEY TXT"))
    )
    return _options(workdir, "named", PORT) + f'include "{workdir}/tsig.key";\n' + zones


def _forger_config(workdir: Path) -> str:
    zones = "".join(
        f'zone "{zone}" {{ type primary; file "{workdir}/forged-{zone}zone"; }};\n'
        for zone in ZONES
    )
    return _options(workdir, "forger", FORGER_PORT) + zones


def _options(workdir: Path, name: str, port: int) -> str:
    return f"""
options {{
    directory "{workdir}";
    pid-file "{workdir}/{name}.pid";
    session-keyfile "{workdir}/{name}-session.key";
    listen-on port {port} {{ {ADDRESS}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
}};
controls {{ }};
logging {{
    channel file {{ file "{workdir}/{name}.log"; severity info; print-time yes; }};
    category default {{ file; }};
}};
"""


def _start(workdir: Path, name: str, config: str) -> None:
    conf = workdir / f"{name}.conf"
    conf.write_text(config)
    subprocess.run([_tool("named-checkconf"), str(conf)], check=True)
    # without -g named forks into the background once it has read its configuration
    subprocess.run(
        [_tool("named"), "-n", "1", "-c", str(conf)], check=True, cwd=workdir
    )


def _query(
    port: int, name: str, rdtype: str, *, dnssec: bool = False
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, want_dnssec=dnssec)
    return dns.query.tcp(query, ADDRESS, port=port, timeout=3)


def _wait_signed(port: int, deadline: float) -> None:
    """Every zone answers with a signed SOA and serves its DNSKEY records."""
    while True:
        try:
            if all(
                any(
                    r.rdtype == dns.rdatatype.RRSIG
                    for r in _query(port, z, "SOA", dnssec=True).answer
                )
                and _query(port, z, "DNSKEY").answer
                for z in ZONES
            ):
                return
        except (OSError, EOFError, dns.exception.DNSException):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(
                f"named on {ADDRESS} port {port} did not serve signed zones in time; see {WORKDIR}"
            )
        time.sleep(0.2)


def _stop(workdir: Path, name: str) -> None:
    pidfile = workdir / f"{name}.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().strip() or 0)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def up(workdir: Path = WORKDIR) -> None:
    """Start a fresh server: new zones, new zone keys, new TSIG key."""
    down(workdir, quiet=True)
    (workdir / "keys").mkdir(parents=True)
    key = subprocess.run(
        [_tool("tsig-keygen"), "-a", "hmac-sha256", KEY_NAME],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (workdir / "tsig.key").write_text(key)
    secret = workdir / "tsig.secret"
    secret.touch(mode=0o600)
    secret.write_text(key.split('secret "', 1)[1].split('"', 1)[0] + "\n")
    (workdir / "tsig.name").write_text(KEY_NAME + "\n")
    for zone in ZONES:
        (workdir / f"{zone}zone").write_text(_zone_text(zone))
    _start(workdir, "named", _genuine_config(workdir))
    _wait_signed(PORT, time.monotonic() + 60)

    # the trust anchors: DS records of each zone's key signing key
    lines = []
    for path in sorted((workdir / "keys").glob("K*.key")):
        if " IN DNSKEY 257 " in path.read_text():
            lines.append(
                subprocess.run(
                    [_tool("dnssec-dsfromkey"), "-2", str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
            )
    if len(lines) != len(ZONES):
        raise SystemExit(f"expected one key signing key per zone in {workdir}/keys")
    (workdir / "anchors.ds").write_text("\n".join(lines) + "\n")
    print(f"named serving {', '.join(ZONES)} signed inline on {ADDRESS} port {PORT}")


def forge(name: str, workdir: Path = WORKDIR) -> str:
    """Serve the zones with ``name``'s IPSECKEY replaced; return the forged key."""
    _stop(workdir, "forger")
    owner = dns.name.from_text(name)
    attacker = ed25519.Ed25519PrivateKey.generate().public_key()
    raw = attacker.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    forged = 0
    for zone_name in ZONES:
        zone = dns.zone.from_xfr(
            dns.query.xfr(ADDRESS, zone_name, port=PORT, lifetime=10)
        )
        node = zone.get_node(owner) if owner.is_subdomain(zone.origin) else None
        rdataset = (
            node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.IPSECKEY)
            if node
            else None
        )
        if rdataset is not None:
            replaced = [
                dns.rdata.from_text(
                    "IN",
                    "IPSECKEY",
                    f"{r.precedence} {r.gateway_type} {r.algorithm} "
                    f"{r.gateway if r.gateway_type else '.'} {base64.b64encode(raw).decode()}",
                )
                for r in rdataset
            ]
            ttl = rdataset.ttl
            rdataset.clear()
            for rdata in replaced:
                rdataset.add(rdata, ttl)
            forged += len(replaced)
        zone.to_file(str(workdir / f"forged-{zone_name}zone"), relativize=False)
    if not forged:
        raise SystemExit(f"no IPSECKEY record at {owner} in {', '.join(ZONES)}")
    _start(workdir, "forger", _forger_config(workdir))
    _wait_signed(FORGER_PORT, time.monotonic() + 30)
    pem = attacker.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    print(pem, end="")
    return pem


def unforge(workdir: Path = WORKDIR) -> None:
    _stop(workdir, "forger")
    for path in workdir.glob("forge*"):
        path.unlink()


def down(workdir: Path = WORKDIR, *, quiet: bool = False) -> None:
    for name in ("forger", "named"):
        _stop(workdir, name)
    if workdir.exists():
        shutil.rmtree(workdir)
        if not quiet:
            print(f"stopped the lab's named and removed {workdir}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labdns", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start a fresh signed server for the lab's gateways")
    forged = sub.add_parser(
        "forge", help="serve one name's IPSECKEY forged, from a second server"
    )
    forged.add_argument("name", help="the name whose IPSECKEY is replaced")
    sub.add_parser("unforge", help="stop the forging server")
    sub.add_parser("down", help="stop both servers and remove their files")
    args = parser.parse_args(argv)
    if args.command == "up":
        up()
    elif args.command == "forge":
        forge(args.name)
    elif args.command == "unforge":
        unforge()
    else:
        down()
    return 0


if __name__ == "__main__":
    sys.exit(main())

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private BIND 9 for the ``dns_keys`` tests.

``named`` runs in the foreground (``-g``) from a temporary directory, on a free
port of 127.0.0.1, with:

``lab.swanfleet.example.``
    signed inline (``dnssec-policy default``), writable by the test key
    through ``update-policy``
``100.51.198.in-addr.arpa.`` and ``8.b.d.0.1.0.0.2.ip6.arpa.``
    writable by the test key through ``allow-update``
``113.0.203.in-addr.arpa.``
    writable only by another key, to see a refused reverse zone stop a run
``swanfleet.example.``
    the parent of the forward zone, signed inline, with a delegation to it;
    writable by the test key, so that a test can add the forward zone's DS
``2.0.192.in-addr.arpa.``
    a reverse zone signed inline, writable by the test key
``presigned.swanfleet.example.`` and ``expired.swanfleet.example.``
    signed beforehand with ``dnssec-signzone`` and served as signed, without
    inline signing; in the first one record was changed after signing, the
    second one was signed with signatures that expired long ago

``start`` runs it, ``stop`` ends it; ``conftest`` does both once per
session. Its statistics channel counts the UPDATE messages it received, so tests can
check that nothing was sent without trusting the module's own count.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update

NAMED = shutil.which("named") or "/usr/sbin/named"
TSIG_KEYGEN = shutil.which("tsig-keygen") or "/usr/sbin/tsig-keygen"
CHECKCONF = shutil.which("named-checkconf") or "/usr/bin/named-checkconf"
KEYGEN = shutil.which("dnssec-keygen") or "/usr/bin/dnssec-keygen"
SIGNZONE = shutil.which("dnssec-signzone") or "/usr/bin/dnssec-signzone"
DSFROMKEY = shutil.which("dnssec-dsfromkey") or "/usr/bin/dnssec-dsfromkey"

FORWARD = "lab.swanfleet.example."
REVERSE4 = "100.51.198.in-addr.arpa."
REVERSE6 = "8.b.d.0.1.0.0.2.ip6.arpa."
FOREIGN_REVERSE = "113.0.203.in-addr.arpa."
PARENT = "swanfleet.example."
SIGNED_REVERSE4 = "2.0.192.in-addr.arpa."
PRESIGNED = "presigned.swanfleet.example."
EXPIRED = "expired.swanfleet.example."
KEY_NAME = "swanfleet-test"
OTHER_KEY_NAME = "someone-else"

SOA = "@ 300 IN SOA ns1.lab.swanfleet.example. hostmaster.lab.swanfleet.example. "
ZONE_TEXT = SOA + "1 3600 600 86400 300\n@ 300 IN NS ns1.lab.swanfleet.example.\n"
# two Ed25519 keys for the pre-signed zones: one published intact, one altered
INTACT_KEY = "10 0 4 . Jzgq3x8BoBsB0gwUVqaMu4ud2vJHsqoQ9JMJIC7aDu4="
ALTERED_KEY = "10 0 4 . 7/X+ARyq1YpN/EaYiFwpXRdDYMaqegPyarZ2FQb1SQY="


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port on 127.0.0.1")


def _tsig_secret(name: str, path: Path) -> str:
    """Generate a key with tsig-keygen into ``path``; return its secret."""
    text = subprocess.run(
        [TSIG_KEYGEN, "-a", "hmac-sha256", name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path.write_text(text)
    return text.split('secret "', 1)[1].split('"', 1)[0]


@dataclass
class Named:
    """The running server, its keys, and ways to look at it directly."""

    address: str
    port: int
    stats_port: int
    key_secret: str
    other_secret: str
    workdir: Path
    process: subprocess.Popen

    @property
    def key(self) -> dns.tsig.Key:
        return dns.tsig.Key(KEY_NAME, self.key_secret, "hmac-sha256")

    def query(self, name: str, rdtype: str, *, dnssec: bool = False) -> Any:
        query = dns.message.make_query(name, rdtype, want_dnssec=dnssec)
        query.flags &= ~dns.flags.RD
        return dns.query.tcp(query, self.address, port=self.port, timeout=5)

    def records(self, name: str, rdtype: str) -> set[str]:
        """The records at a name, each as ``TTL rdata`` text."""
        response = self.query(name, rdtype)
        found: set[str] = set()
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.from_text(rdtype):
                found.update(f"{rrset.ttl} {r.to_text(chunksize=0)}" for r in rrset)
        return found

    def rdatas(self, name: str, rdtype: str) -> list[Any]:
        response = self.query(name, rdtype)
        wanted = dns.rdatatype.from_text(rdtype)
        return [r for rrset in response.answer if rrset.rdtype == wanted for r in rrset]

    def serial(self, zone: str) -> int:
        return self.rdatas(zone, "SOA")[0].serial

    def updates_received(self) -> int:
        """UPDATE messages received so far, from the statistics channel."""
        url = f"http://127.0.0.1:{self.stats_port}/json/v1/server"
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
            return int(json.load(answer)["opcodes"].get("UPDATE", 0))

    def send(self, message: Any) -> Any:
        return dns.query.tcp(message, self.address, port=self.port, timeout=5)

    def update(self, zone: str, build: Any) -> int:
        """Send an UPDATE signed with the test key; return its rcode."""
        message = dns.update.UpdateMessage(zone, keyring=self.key)
        build(message)
        return self.send(message).rcode()

    def key_files(self, zone: str) -> list[Path]:
        """The public key files of a zone's key signing keys, as named or
        dnssec-keygen wrote them (``K<zone>+<alg>+<tag>.key``)."""
        found = []
        for directory in (self.workdir / "keys", self.workdir / "presigned-keys"):
            for path in sorted(directory.glob(f"K{zone}+*.key")):
                if " IN DNSKEY 257 " in path.read_text():
                    found.append(path)
        return found

    def ds(self, zone: str) -> str:
        """The DS records of a zone's key signing keys, from dnssec-dsfromkey."""
        lines = [
            subprocess.run(
                [DSFROMKEY, "-2", str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            for path in self.key_files(zone)
        ]
        if not lines:
            raise RuntimeError(f"no key signing key of {zone} in {self.workdir}")
        return "\n".join(lines) + "\n"

    def log_tail(self, lines: int = 40) -> str:
        log = self.workdir / "named.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _config(workdir: Path, port: int, stats_port: int) -> str:
    return f"""
include "{workdir}/test.key";
include "{workdir}/other.key";
options {{
    directory "{workdir}";
    pid-file "{workdir}/named.pid";
    session-keyfile "{workdir}/session.key";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
}};
controls {{ }};
statistics-channels {{
    inet 127.0.0.1 port {stats_port} allow {{ 127.0.0.1; }};
}};
zone "{FORWARD}" {{
    type primary;
    file "{workdir}/forward.zone";
    update-policy {{ grant {KEY_NAME} zonesub ANY; }};
    dnssec-policy default;
    inline-signing yes;
    key-directory "{workdir}/keys";
}};
zone "{REVERSE4}" {{
    type primary;
    file "{workdir}/reverse4.zone";
    allow-update {{ key {KEY_NAME}; }};
}};
zone "{REVERSE6}" {{
    type primary;
    file "{workdir}/reverse6.zone";
    allow-update {{ key {KEY_NAME}; }};
}};
zone "{FOREIGN_REVERSE}" {{
    type primary;
    file "{workdir}/foreign.zone";
    allow-update {{ key {OTHER_KEY_NAME}; }};
}};
zone "{PARENT}" {{
    type primary;
    file "{workdir}/parent.zone";
    update-policy {{ grant {KEY_NAME} zonesub ANY; }};
    dnssec-policy default;
    inline-signing yes;
    key-directory "{workdir}/keys";
}};
zone "{SIGNED_REVERSE4}" {{
    type primary;
    file "{workdir}/signed-reverse4.zone";
    allow-update {{ key {KEY_NAME}; }};
    dnssec-policy default;
    inline-signing yes;
    key-directory "{workdir}/keys";
}};
zone "{PRESIGNED}" {{
    type primary;
    file "{workdir}/presigned.zone.signed";
}};
zone "{EXPIRED}" {{
    type primary;
    file "{workdir}/expired.zone.signed";
}};
"""


def _presign(
    workdir: Path, zone: str, body: str, *, validity: tuple[str, str] | None = None
) -> Path:
    """Sign a zone with dnssec-signzone and new keys; return the signed file."""
    keys = workdir / "presigned-keys"
    keys.mkdir(exist_ok=True)
    for flags in (["-f", "KSK"], []):
        subprocess.run(
            [KEYGEN, "-q", "-K", str(keys), "-a", "ECDSAP256SHA256", *flags, zone],
            check=True,
            capture_output=True,
        )
    unsigned = workdir / f"{zone.split('.')[0]}.zone"
    unsigned.write_text(ZONE_TEXT + body)
    signed = unsigned.with_name(unsigned.name + ".signed")
    # -P: no check after signing, which would refuse signatures already expired
    times = ["-P", "-s", validity[0], "-e", validity[1]] if validity else []
    subprocess.run(
        [SIGNZONE, "-S", "-O", "full", "-K", str(keys), "-o", zone, "-f", str(signed)]
        + times
        + [str(unsigned)],
        check=True,
        capture_output=True,
        cwd=workdir,
    )
    return signed


def _alter_after_signing(signed: Path, owner: str, old: str, new: str) -> None:
    """Change one record's data in a signed zone file, keeping its RRSIG."""
    old_key, new_key = old.rsplit(" ", 1)[1], new.rsplit(" ", 1)[1]
    text = signed.read_text()
    lines = text.splitlines(keepends=True)
    changed = 0
    for index, line in enumerate(lines):
        if line.startswith(owner) and "IPSECKEY" in line and old_key in line:
            lines[index] = line.replace(old_key, new_key)
            changed += 1
    if changed != 1:
        raise RuntimeError(f"expected one IPSECKEY line at {owner} in {signed}")
    signed.write_text("".join(lines))


def _wait_until_serving(named: Named, deadline: float) -> None:
    """Every zone answers, and the forward zone is signed."""
    zones = (FORWARD, REVERSE4, REVERSE6, FOREIGN_REVERSE, PRESIGNED, EXPIRED)
    inline = (FORWARD, PARENT, SIGNED_REVERSE4)
    while True:
        if named.process.poll() is not None:
            raise RuntimeError(f"named exited:\n{named.log_tail()}")
        try:
            ready = all(named.rdatas(zone, "SOA") for zone in zones)
            signed = all(
                any(
                    rrset.rdtype == dns.rdatatype.RRSIG
                    for rrset in named.query(zone, "SOA", dnssec=True).answer
                )
                and named.rdatas(zone, "DNSKEY")
                for zone in inline
            )
            if ready and signed:
                return
        except (OSError, EOFError, dns.exception.DNSException):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"named did not come up in time:\n{named.log_tail()}")
        time.sleep(0.1)


def start(workdir: Path) -> Named:
    """Configure and start named in ``workdir``; return once it serves."""
    (workdir / "keys").mkdir()
    secret = _tsig_secret(KEY_NAME, workdir / "test.key")
    other = _tsig_secret(OTHER_KEY_NAME, workdir / "other.key")
    (workdir / "forward.zone").write_text(ZONE_TEXT + "ns1 300 IN A 127.0.0.1\n")
    for name in ("reverse4", "reverse6", "foreign", "signed-reverse4"):
        (workdir / f"{name}.zone").write_text(ZONE_TEXT)
    (workdir / "parent.zone").write_text(
        ZONE_TEXT
        + "ns1 300 IN A 127.0.0.1\n"
        + "lab 300 IN NS ns1.lab\nns1.lab 300 IN A 127.0.0.1\n"
        + "presigned 300 IN NS ns1.lab\nexpired 300 IN NS ns1.lab\n"
    )
    presigned = _presign(
        workdir,
        PRESIGNED,
        f"gw-intact 300 IN IPSECKEY {INTACT_KEY}\n"
        f"gw-altered 300 IN IPSECKEY {INTACT_KEY}\n",
    )
    _alter_after_signing(presigned, f"gw-altered.{PRESIGNED}", INTACT_KEY, ALTERED_KEY)
    _presign(
        workdir,
        EXPIRED,
        f"gw-old 300 IN IPSECKEY {INTACT_KEY}\n",
        validity=("20200101000000", "20200201000000"),
    )
    port, stats_port = free_port(), free_port()
    while stats_port == port:
        stats_port = free_port()
    conf = workdir / "named.conf"
    conf.write_text(_config(workdir, port, stats_port))
    subprocess.run([CHECKCONF, str(conf)], check=True)

    with (workdir / "named.log").open("w") as log:
        process = subprocess.Popen(
            [NAMED, "-g", "-n", "1", "-c", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    server = Named("127.0.0.1", port, stats_port, secret, other, workdir, process)
    try:
        _wait_until_serving(server, time.monotonic() + 30)
    except BaseException:
        stop(server)
        raise
    return server


def stop(named: Named) -> None:
    named.process.send_signal(signal.SIGTERM)
    try:
        named.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        named.process.kill()
        named.process.wait()

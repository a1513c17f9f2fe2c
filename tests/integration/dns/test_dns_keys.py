# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""``dns_keys`` against a real BIND 9: publish, rerun, change, withdraw, fail;
then the ``ipseckey`` lookup reading the keys back.

Each test uses its own gateway name and addresses, so they share one server.
Most tests call the module's ``_run`` (everything but Ansible's argument
parsing); some run the module and the lookup through ``ansible-playbook`` and
``ansible``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dns.name
import dns.rcode
import dns.tsig
import dns.update
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from named_server import FORWARD, KEY_NAME, REVERSE4, REVERSE6, Named, free_port

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnskeys import (
    key_publication,
    rsa_rfc3110,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnsupdate import (
    Client,
    ClockSkew,
    ConcurrentChange,
    NotAuthoritative,
    PartiallyApplied,
    Server,
    ServerUnreachable,
    TsigRejected,
    UpdateRefused,
    apply,
    read_plan,
)
from ansible_collections.swanfleet.ipsec.plugins.modules import dns_keys

COLLECTIONS = Path(__file__).resolve().parents[3] / ".build" / "collections"


def pem(private: Any) -> str:
    return (
        private.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> Any:
    return ed25519.Ed25519PrivateKey.generate()


def run(named: Named, *, check_mode: bool = False, **options: Any) -> dict[str, Any]:
    """The module's own code path, with its defaults; warnings must be empty."""
    params = {k: v.get("default") for k, v in dns_keys.ARGUMENT_SPEC.items()}
    params.update(
        server=named.address,
        port=named.port,
        tsig_key_name=KEY_NAME,
        tsig_secret=named.key_secret,
        timeout=5,
    )
    params.update(options)
    result, warnings = dns_keys._run(params, check_mode=check_mode)
    assert warnings == []
    return result


def fqdn(label: str) -> str:
    return f"{label}.{FORWARD}"


def serials(named: Named) -> dict[str, int]:
    return {zone: named.serial(zone) for zone in (FORWARD, REVERSE4, REVERSE6)}


# publishing


def test_publish_every_record(named: Named, rsa_key: Any) -> None:
    name = fqdn("gw-publish")
    result = run(
        named,
        name=name,
        addresses=["198.51.100.11", "2001:db8::11"],
        public_key=[pem(rsa_key)],
        ipseckey_at="both",
        gateway="address",
        txt_legacy=True,
    )

    assert result["changed"]
    # three zones: a trial update each, then the real ones
    assert (result["updates_sent"], result["trial_updates_sent"]) == (3, 3)
    assert [z["zone"] for z in result["zones"]] == [FORWARD, REVERSE4, REVERSE6]
    assert all(z["applied"] for z in result["zones"])

    numbers = rsa_key.public_key().public_numbers()
    key = base64.b64encode(rsa_rfc3110(numbers.e, numbers.n)).decode()
    assert named.records(name, "A") == {"3600 198.51.100.11"}
    assert named.records(name, "AAAA") == {"3600 2001:db8::11"}
    assert named.records(name, "IPSECKEY") == {
        f"3600 10 1 2 198.51.100.11 {key}",
        f"3600 10 2 2 2001:db8::11 {key}",
    }
    reverse4 = "11.100.51.198.in-addr.arpa."
    reverse6 = "1.1.0.0." + "0.0.0.0." * 5 + "8.b.d.0.1.0.0.2.ip6.arpa."
    assert named.records(reverse4, "PTR") == {f"3600 {name}"}
    assert named.records(reverse6, "PTR") == {f"3600 {name}"}
    assert named.records(reverse4, "IPSECKEY") == {f"3600 10 1 2 198.51.100.11 {key}"}
    assert named.records(reverse6, "IPSECKEY") == {f"3600 10 2 2 2001:db8::11 {key}"}

    # the TXT form: FreeS/WAN joins full 255-byte strings without a space
    (txt,) = named.rdatas(reverse4, "TXT")
    assert txt.strings[0] == b"X-IPsec-Server(10)=198.51.100.11"
    assert all(len(s) == 255 for s in txt.strings[1:-1])
    assert b"".join(txt.strings[1:]).decode() == key
    assert len(named.rdatas(name, "TXT")) == 2

    # the forward zone is signed inline: the new records are signed too
    answer = named.query(name, "IPSECKEY", dnssec=True).answer
    assert {dns.rdatatype.to_text(r.rdtype) for r in answer} == {"IPSECKEY", "RRSIG"}


@pytest.mark.parametrize(
    ("make", "algorithm", "length"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), 3, 64),
        (lambda: ec.generate_private_key(ec.SECP384R1()), 3, 96),
        (ed25519.Ed25519PrivateKey.generate, 4, 32),
        (ed448.Ed448PrivateKey.generate, 4, 57),
    ],
    ids=["ecdsa-p256", "ecdsa-p384", "ed25519", "ed448"],
)
def test_key_algorithms(
    named: Named, make: Any, algorithm: int, length: int, request: Any
) -> None:
    private = make()
    name = fqdn(f"gw-{request.node.callspec.id}")
    run(named, name=name, addresses=[], public_key=[pem(private)])

    (record,) = named.rdatas(name, "IPSECKEY")
    assert (record.algorithm, record.gateway_type, len(record.key)) == (
        algorithm,
        0,
        length,
    )
    public = private.public_key()
    if algorithm == 4:
        raw = public.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    else:
        point = public.public_numbers()
        size = length // 2
        raw = point.x.to_bytes(size, "big") + point.y.to_bytes(size, "big")
    assert record.key == raw


def test_rerun_sends_no_update(named: Named, ed_key: Any) -> None:
    options = {
        "name": fqdn("gw-rerun"),
        "addresses": ["198.51.100.12", "2001:db8::12"],
        "public_key": [pem(ed_key)],
        "ipseckey_at": "both",
    }
    assert run(named, **options)["changed"]
    before, received = serials(named), named.updates_received()

    again = run(named, **options)

    assert not again["changed"]
    assert (again["updates_sent"], again["trial_updates_sent"]) == (0, 0)
    assert all(z["before"] == z["after"] and not z["added"] for z in again["zones"])
    assert named.updates_received() == received
    assert serials(named) == before


def test_ttl_change_is_applied(named: Named, ed_key: Any) -> None:
    options = {
        "name": fqdn("gw-ttl"),
        "addresses": ["198.51.100.13"],
        "public_key": [pem(ed_key)],
    }
    run(named, **options)

    result = run(named, ttl=600, **options)

    assert result["changed"]
    assert {r.split()[0] for r in named.records(options["name"], "A")} == {"600"}
    assert {r.split()[0] for r in named.records(options["name"], "IPSECKEY")} == {"600"}
    assert named.records("13.100.51.198.in-addr.arpa.", "PTR") == {
        f"600 {options['name']}"
    }
    assert not run(named, ttl=600, **options)["changed"]


def test_key_rotation(named: Named, rsa_key: Any, ed_key: Any) -> None:
    name = fqdn("gw-rotate")
    old, new = pem(rsa_key), pem(ed_key)
    options = {"name": name, "addresses": ["198.51.100.14"]}

    run(named, public_key=[old], **options)
    assert {r.algorithm for r in named.rdatas(name, "IPSECKEY")} == {2}

    # overlap: both keys published, the old one untouched
    overlap = run(named, public_key=[new, old], **options)
    assert {r.algorithm for r in named.rdatas(name, "IPSECKEY")} == {2, 4}
    assert overlap["zones"][0]["removed"] == []

    # the old key goes
    done = run(named, public_key=[new], **options)
    assert {r.algorithm for r in named.rdatas(name, "IPSECKEY")} == {4}
    (removed,) = done["zones"][0]["removed"]
    assert " IPSECKEY 10 0 2 . " in removed


def test_absent_removes_only_owned_records(named: Named, rsa_key: Any) -> None:
    name = fqdn("gw-absent")
    reverse = "15.100.51.198.in-addr.arpa."
    options = {
        "name": name,
        "addresses": ["198.51.100.15"],
        "public_key": [pem(rsa_key)],
        "ipseckey_at": "both",
        "txt_legacy": True,
    }

    # someone else's records at the same names, before and after publishing
    def foreign(message: dns.update.UpdateMessage) -> None:
        message.add(name, 300, "TXT", '"v=spf1 -all"')
        message.add(name, 300, "SSHFP", "4 2 " + "ab" * 32)

    assert named.update(FORWARD, foreign) == dns.rcode.NOERROR
    run(named, **options)
    assert named.records(name, "TXT") >= {'3600 "v=spf1 -all"'}
    assert (
        named.update(REVERSE4, lambda m: m.add(reverse, 300, "TXT", '"rack 4"'))
        == dns.rcode.NOERROR
    )

    result = run(named, state="absent", **options)

    assert result["changed"]
    assert named.records(name, "A") == set()
    assert named.records(name, "IPSECKEY") == set()
    assert named.records(reverse, "PTR") == set()
    assert named.records(reverse, "IPSECKEY") == set()
    # the foreign TXT kept the TTL the published ones had set for the RRset
    assert {r.split(" ", 1)[1] for r in named.records(name, "TXT")} == {'"v=spf1 -all"'}
    assert {r.split(" ", 1)[1] for r in named.records(reverse, "TXT")} == {'"rack 4"'}
    assert len(named.records(name, "SSHFP")) == 1
    assert not run(named, state="absent", **options)["changed"]


def test_check_mode_sends_nothing(named: Named, ed_key: Any) -> None:
    name = fqdn("gw-check")
    received = named.updates_received()

    result = run(
        named,
        check_mode=True,
        name=name,
        addresses=["198.51.100.16"],
        public_key=[pem(ed_key)],
    )

    assert result["changed"]
    assert (result["updates_sent"], result["trial_updates_sent"]) == (0, 0)
    assert named.updates_received() == received
    assert named.records(name, "A") == set()
    forward = result["diff"][0]
    assert forward["before"] == ""
    assert f"{name} 3600 IN A 198.51.100.16\n" in forward["after"]
    assert " IN IPSECKEY 10 0 4 . " in forward["after"]


# failures


def test_unsigned_update_is_refused(named: Named) -> None:
    for zone, owner, rdtype, value in (
        (FORWARD, fqdn("gw-unsigned"), "A", "198.51.100.17"),
        (REVERSE4, "17.100.51.198.in-addr.arpa.", "PTR", fqdn("gw-unsigned")),
    ):
        message = dns.update.UpdateMessage(zone)
        message.add(owner, 300, rdtype, value)
        assert named.send(message).rcode() == dns.rcode.REFUSED
        assert named.records(owner, rdtype) == set()


@pytest.mark.parametrize(
    ("key_name", "secret", "code"),
    [
        (KEY_NAME, base64.b64encode(b"not the secret" * 3).decode(), "BADSIG"),
        ("nobody-knows-me", None, "BADKEY"),
    ],
)
def test_wrong_tsig_key_fails_clearly(
    named: Named, ed_key: Any, key_name: str, secret: str | None, code: str
) -> None:
    secret = secret or named.key_secret
    with pytest.raises(TsigRejected) as failure:
        run(
            named,
            name=fqdn("gw-badkey"),
            addresses=["198.51.100.18"],
            public_key=[pem(ed_key)],
            zone_forward=FORWARD,
            tsig_key_name=key_name,
            tsig_secret=secret,
        )
    message = str(failure.value)
    assert f"server 127.0.0.1 port {named.port}" in message
    assert f"zone {FORWARD}" in message
    assert f"({code})" in message
    assert secret not in message
    assert named.records(fqdn("gw-badkey"), "A") == set()


def test_clock_skew_is_named(named: Named) -> None:
    message = dns.update.UpdateMessage(FORWARD, keyring=named.key)
    message.add(fqdn("gw-skew"), 300, "A", "198.51.100.19")
    # sign as a host whose clock is an hour behind would
    signature = message.tsig
    message.tsig = None
    wire = message.to_wire()
    message.tsig = signature
    skewed, _ = dns.tsig.sign(wire, named.key, signature[0], int(time.time()) - 3600)
    message.tsig.clear()
    message.tsig.add(skewed)
    message.want_tsig_sign = False

    client = Client(Server(named.address, named.port, named.key, 5))
    with pytest.raises(ClockSkew) as failure:
        client.exchange(message, doing="updating", zone=dns.name.from_text(FORWARD))
    assert "(BADTIME)" in str(failure.value)
    assert f"zone {FORWARD}" in str(failure.value)


def test_concurrent_change_is_not_overwritten(named: Named, ed_key: Any) -> None:
    name = fqdn("gw-race")
    pub = key_publication(
        name=name, addresses=["198.51.100.20"], public_keys=[pem(ed_key)]
    )
    client = Client(Server(named.address, named.port, named.key, 5))
    plan = read_plan(client, pub, state="present")

    # someone else writes an address between our read and our update
    def other(message: dns.update.UpdateMessage) -> None:
        message.add(name, 300, "A", "192.0.2.99")

    assert named.update(FORWARD, other) == dns.rcode.NOERROR
    with pytest.raises(ConcurrentChange) as failure:
        apply(client, plan, check_mode=False)

    assert "NXRRSET" in str(failure.value) or "YXRRSET" in str(failure.value)
    assert named.records(name, "A") == {"300 192.0.2.99"}
    assert named.records(name, "IPSECKEY") == set()
    assert named.records("20.100.51.198.in-addr.arpa.", "PTR") == set()


def test_late_failure_says_what_was_applied(named: Named, ed_key: Any) -> None:
    name = fqdn("gw-partial")
    reverse = "24.100.51.198.in-addr.arpa."
    pub = key_publication(
        name=name, addresses=["198.51.100.24"], public_keys=[pem(ed_key)]
    )
    client = Client(Server(named.address, named.port, named.key, 5))
    plan = read_plan(client, pub, state="present")

    # a change to the reverse zone after the read: the trial updates cannot see it
    # (BIND checks prerequisites after the zone of each record), the real one does
    def other(message: dns.update.UpdateMessage) -> None:
        message.add(reverse, 300, "PTR", "someone-else.example.")

    assert named.update(REVERSE4, other) == dns.rcode.NOERROR
    with pytest.raises(PartiallyApplied) as failure:
        apply(client, plan, check_mode=False)

    message = str(failure.value)
    assert message.startswith(f"zone {FORWARD} was updated, but the update of zone ")
    assert "(updating zone 100.51.198.in-addr.arpa.)" in message
    outcome = failure.value.outcome
    assert outcome.applied == [dns.name.from_text(FORWARD)]
    assert named.records(name, "A") == {"3600 198.51.100.24"}

    # a second run completes it
    again = run(named, name=name, addresses=["198.51.100.24"], public_key=[pem(ed_key)])
    assert [z["changed"] for z in again["zones"]] == [False, True]
    assert named.records(reverse, "PTR") == {f"3600 {name}"}


def test_refused_reverse_zone_leaves_forward_zone_alone(
    named: Named, ed_key: Any
) -> None:
    name = fqdn("gw-foreign-reverse")
    received = named.updates_received()
    with pytest.raises(UpdateRefused) as failure:
        run(
            named,
            name=name,
            addresses=["203.0.113.5"],
            public_key=[pem(ed_key)],
        )

    message = str(failure.value)
    assert "trial update of zone 113.0.203.in-addr.arpa." in message
    assert "(REFUSED)" in message
    assert message.endswith("No zone was changed")
    assert named.records(name, "A") == set()
    # the forward trial was refused as planned, then the reverse trial
    assert named.updates_received() == received + 2


def test_unreachable_server(ed_key: Any) -> None:
    port = free_port()
    pub = key_publication(
        name=fqdn("gw-nowhere"), addresses=[], public_keys=[pem(ed_key)]
    )
    client = Client(Server("127.0.0.1", port, None, 2))
    with pytest.raises(ServerUnreachable, match="connection refused"):
        read_plan(client, pub, state="present", zone_forward=FORWARD)


def test_zone_not_on_server(named: Named, ed_key: Any) -> None:
    with pytest.raises(NotAuthoritative, match=r"zone example\.net\."):
        run(
            named,
            name="gw.example.net",
            zone_forward="example.net",
            addresses=[],
            public_key=[pem(ed_key)],
        )


# the real module, through Ansible


def _ansible_env(tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )


def _write_vars(tmp_path: Path, named: Named, **extra: Any) -> Path:
    path = tmp_path / "vars.json"
    path.write_text(
        json.dumps(
            {
                "dns_server": named.address,
                "dns_port": named.port,
                "tsig_secret": named.key_secret,
                "ansible_python_interpreter": sys.executable,
                **extra,
            }
        )
    )
    return path


PLAYBOOK = """
- name: Publish a gateway's key, then again
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    swanfleet.ipsec.dns_keys:
      server: "{{ dns_server }}"
      port: "{{ dns_port }}"
      name: gw-playbook.lab.swanfleet.example
      addresses: [198.51.100.21, "2001:db8::21"]
      public_key: "{{ public_key }}"
      ipseckey_at: both
      tsig_key_name: swanfleet-test
      tsig_secret: "{{ tsig_secret }}"
  tasks:
    - name: Check mode
      swanfleet.ipsec.dns_keys:
      check_mode: true
      register: check

    - name: Publish
      swanfleet.ipsec.dns_keys:
      register: first

    - name: Publish again
      swanfleet.ipsec.dns_keys:
      register: second

    - name: Only the first real run sent updates
      ansible.builtin.assert:
        that:
          - check is changed
          - check.updates_sent == 0
          - first is changed
          - first.updates_sent == 3
          - first.zones | map(attribute='applied') is all
          - second is not changed
          - second.updates_sent == 0
          - second.trial_updates_sent == 0
"""


def test_module_through_ansible_playbook(
    named: Named, ed_key: Any, tmp_path: Path
) -> None:
    playbook = tmp_path / "publish.yml"
    playbook.write_text(PLAYBOOK)
    variables = _write_vars(tmp_path, named, public_key=pem(ed_key))
    received = named.updates_received()

    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "--diff",
            "-e",
            f"@{variables}",
            str(playbook),
        ],
        env=_ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "+gw-playbook.lab.swanfleet.example. 3600 IN IPSECKEY 10 0 4 ." in (
        done.stdout
    )
    assert named.key_secret not in done.stdout + done.stderr
    assert named.records(fqdn("gw-playbook"), "AAAA") == {"3600 2001:db8::21"}
    # three trial updates and three updates, all from the first real run
    assert named.updates_received() == received + 6


def test_module_failure_through_ansible(
    named: Named, ed_key: Any, tmp_path: Path
) -> None:
    variables = _write_vars(tmp_path, named, public_key=pem(ed_key))
    wrong = base64.b64encode(b"a wrong secret, 32 bytes long...").decode()
    args = (
        "server={{ dns_server }} port={{ dns_port }} "
        "name=gw-adhoc.lab.swanfleet.example addresses=198.51.100.22 "
        "zone_forward=lab.swanfleet.example "
        "public_key='{{ public_key }}' tsig_key_name=swanfleet-test "
        f"tsig_secret={wrong}"
    )

    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-vvv",
            "-e",
            f"@{variables}",
            "-m",
            "swanfleet.ipsec.dns_keys",
            "-a",
            args,
        ],
        env=_ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "(BADSIG)" in output
    assert f"zone {FORWARD}" in output
    assert wrong not in output
    assert named.key_secret not in output


# reading keys back: the ipseckey lookup


def _ansible_copy(
    tmp_path: Path, named: Named, content: str, **variables: Any
) -> subprocess.CompletedProcess:
    """Render ``content`` with ``ansible -m copy`` into tmp_path/out.json."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"@{_write_vars(tmp_path, named, **variables)}",
            "-m",
            "ansible.builtin.copy",
            "-a",
            f"content={content} dest={tmp_path / 'out.json'}",
        ],
        env=_ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_lookup_reads_the_published_keys_back(
    named: Named, rsa_key: Any, ed_key: Any, tmp_path: Path
) -> None:
    name = fqdn("gw-lookup")
    run(
        named,
        name=name,
        addresses=["198.51.100.23"],
        public_key=[pem(rsa_key), pem(ed_key)],
        ipseckey_at="both",
        precedence=20,
    )
    lookup = (
        "{{ query('swanfleet.ipsec.ipseckey', names, server=dns_server, "
        "port=dns_port, dnssec=false) | to_json }}"
    )

    done = _ansible_copy(
        tmp_path, named, lookup, names=[name, "198.51.100.23", fqdn("gw-nothing")]
    )

    assert done.returncode == 0, done.stdout + done.stderr
    records = json.loads((tmp_path / "out.json").read_text())
    reverse = "23.100.51.198.in-addr.arpa."
    # one item per record, names in the order asked, none for a name without keys
    assert [(r["name"], r["algorithm"]) for r in records] in (
        [(name, 2), (name, 4), (reverse, 2), (reverse, 4)],
        [(name, 4), (name, 2), (reverse, 4), (reverse, 2)],
    )
    assert {r["public_key"] for r in records} == {pem(rsa_key), pem(ed_key)}
    assert {r["precedence"] for r in records} == {20}


def test_lookup_validates_by_default(named: Named, ed_key: Any, tmp_path: Path) -> None:
    """Without a trust anchor nothing is returned; an unsigned zone fails."""
    name = fqdn("gw-lookup-strict")
    run(
        named,
        name=name,
        addresses=["198.51.100.24"],
        public_key=[pem(ed_key)],
        ipseckey_at="both",
    )
    lookup = (
        "{{ query('swanfleet.ipsec.ipseckey', names, server=dns_server, "
        "port=dns_port) | to_json }}"
    )

    done = _ansible_copy(tmp_path, named, lookup, names=[name])

    assert done.returncode != 0
    assert "dnssec=true needs trust_anchor" in done.stdout + done.stderr
    assert not (tmp_path / "out.json").exists()

    # the reverse zone is not signed: any anchor above it finds no RRSIG
    anchor = tmp_path / "anchor.ds"
    anchor.write_text(named.ds(FORWARD).replace(FORWARD, REVERSE4))
    lookup = (
        "{{ query('swanfleet.ipsec.ipseckey', names, server=dns_server, "
        f"port=dns_port, trust_anchor='{anchor}') | to_json }}}}"
    )

    done = _ansible_copy(tmp_path, named, lookup, names=["198.51.100.24"])

    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert (
        f"server 127.0.0.1 port {named.port} (validating IPSECKEY at "
        "24.100.51.198.in-addr.arpa. with DNSSEC): IPSECKEY records at "
        "24.100.51.198.in-addr.arpa.: no RRSIG (missing RRSIG)"
    ) in " ".join(output.split())
    assert not (tmp_path / "out.json").exists()

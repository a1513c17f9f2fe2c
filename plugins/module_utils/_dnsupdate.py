# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a gateway's records from a DNS server and updating them (RFC 2136).

Private to this collection; the public interfaces are the ``dns_keys`` module
and, for reading keys back from a resolver, the ``ipseckey`` lookup.
``_dnskeys`` decides what the records should be; this file asks the server
what they are, sends the difference and explains every way that can fail.

All messages go over TCP to the one server given, signed with the TSIG key:
the queries too, so that a wrong key is found before anything is sent, also
in check mode. The sequence is:

1. find each name's zone (SOA query) unless given, and check the server
   serves it
2. read every owned RRset
3. compute the difference per zone; nothing to do means no UPDATE at all
4. when more than one zone changes, send each a *trial update* first: the
   real update plus one record outside the zone, which the server checks and
   then refuses with NOTZONE; so a key that may not write the reverse zone
   stops the run before the forward zone is touched
5. send one UPDATE per zone, forward zone first, each guarded by
   prerequisites on what was read
6. read the changed RRsets back

Errors are raised as the exception classes below, each message naming the
server and the zone; the module turns them into one ``fail_json``.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnskeys import (
    Change,
    DnsKeysError,
    KeyPublication,
    RRset,
    SettingsError,
    diff,
    parse_zone,
    public_key_pem,
    update_message,
    wanted_rrsets,
    zone_of,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnssec import (
    DnssecError,
    Validator,
)

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.resolver
    import dns.reversename
    import dns.tsig
except ImportError:  # reported by the module with install advice
    pass

# how long to wait for a change to become visible (inline signing)
READ_BACK_SECONDS = 3.0


class ServerError(DnsKeysError):
    """The server could not be reached or did not do what was asked."""


class ServerUnreachable(ServerError):
    """No connection, or no answer in time."""


class TsigRejected(ServerError):
    """The server does not know the key or the signature does not verify."""


class ClockSkew(ServerError):
    """The server's clock and this host's differ by more than the TSIG fudge."""


class UpdateRefused(ServerError):
    """The key may not change these records (REFUSED)."""


class NotAuthoritative(ServerError):
    """The server does not serve the zone."""


class ConcurrentChange(ServerError):
    """Records changed between reading and updating (a prerequisite failed)."""


class UpdateNotSupported(ServerError):
    """The server cannot take this update (FORMERR, NOTIMP)."""


class UnexpectedAnswer(ServerError):
    """Anything else the server answered."""


class TrialApplied(UnexpectedAnswer):
    """The server applied a trial update instead of refusing it."""


class PartiallyApplied(DnsKeysError):
    """Some zones were updated, a later one failed."""

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class Server:
    """The DNS server to talk to and the TSIG key to sign with."""

    address: str
    port: int = 53
    key: Any = None  # dns.tsig.Key
    timeout: float = 10.0

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"server {host} port {self.port}"

    @property
    def key_name(self) -> str:
        return self.key.name.to_text(omit_final_dot=True) if self.key else "(none)"


def resolve_server(host: str, port: int) -> str:
    """The address of ``host``, which may already be one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServerUnreachable(
            f"cannot resolve server {host!r}: {exc.strerror}"
        ) from None
    return infos[0][4][0]


# talking to the server


class Client:
    """One server, its key, and a count of the UPDATE messages sent."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.updates_sent = 0
        self.trial_updates_sent = 0

    def exchange(self, message: Any, *, doing: str, zone: dns.name.Name | None) -> Any:
        """Send one message over TCP; translate transport and TSIG failures."""
        where = f"{self.server} ({doing})"
        named = zone is None or zone.to_text() in doing
        in_zone = "" if named else f" for zone {zone}"
        key = self.server.key_name
        try:
            return dns.query.tcp(
                message,
                self.server.address,
                timeout=self.server.timeout,
                port=self.server.port,
            )
        except dns.exception.Timeout:
            raise ServerUnreachable(
                f"{where}: no answer within {self.server.timeout:g} s{in_zone}"
            ) from None
        except ConnectionRefusedError:
            raise ServerUnreachable(
                f"{where}: connection refused{in_zone}; is the DNS server "
                "listening on that address and port?"
            ) from None
        except (EOFError, ConnectionResetError):
            raise ServerUnreachable(
                f"{where}: the server closed the connection{in_zone}"
            ) from None
        except OSError as exc:
            raise ServerUnreachable(
                f"{where}: cannot connect{in_zone}: {exc.strerror or exc}"
            ) from None
        except dns.tsig.PeerBadKey:
            raise TsigRejected(
                f"{where}: the server does not know TSIG key {key!r} with algorithm "
                f"{self.server.key.algorithm.to_text(omit_final_dot=True)} (BADKEY)"
                f"{in_zone}; check tsig_key_name and tsig_algorithm"
            ) from None
        except dns.tsig.PeerBadSignature:
            raise TsigRejected(
                f"{where}: the server rejected the signature made with TSIG key "
                f"{key!r} (BADSIG){in_zone}; tsig_secret is not the server's "
                "secret for that key"
            ) from None
        except (dns.tsig.PeerBadTime, dns.tsig.BadTime):
            raise ClockSkew(
                f"{where}: the TSIG signature's time is off (BADTIME){in_zone}; "
                "this host's clock and the server's differ "
                "by more than 5 minutes. Synchronise both with NTP"
            ) from None
        except dns.tsig.PeerError as exc:
            raise TsigRejected(
                f"{where}: the server rejected TSIG key {key!r}{in_zone}: {exc}"
            ) from None
        except (dns.tsig.BadSignature, dns.message.UnknownTSIGKey) as exc:
            raise TsigRejected(
                f"{where}: the answer's TSIG signature does not verify{in_zone} "
                f"({type(exc).__name__}); something between here and the server "
                "may be rewriting DNS"
            ) from None
        except dns.exception.DNSException as exc:
            raise UnexpectedAnswer(
                f"{where}: unusable answer{in_zone}: {exc}"
            ) from None

    def _query(self, name: dns.name.Name, rdtype: Any) -> Any:
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        if self.server.key is not None:
            query.use_tsig(self.server.key)
        return query

    def find_zone(self, name: dns.name.Name) -> dns.name.Name:
        """The zone the server serves ``name`` from, by asking for its SOA."""
        doing = f"looking up the zone of {name}"
        response = self.exchange(
            self._query(name, dns.rdatatype.SOA), doing=doing, zone=None
        )
        rcode = response.rcode()
        authoritative = bool(response.flags & dns.flags.AA)
        if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            for rrset in (*response.answer, *response.authority):
                soa = rrset.rdtype == dns.rdatatype.SOA
                if authoritative and soa and name.is_subdomain(rrset.name):
                    return rrset.name
            cut = [r for r in response.authority if r.rdtype == dns.rdatatype.NS]
            if cut:
                raise NotAuthoritative(
                    f"{self.server} ({doing}): {name} is in zone {cut[0].name}, "
                    "which this server delegates to another; point server at that "
                    "zone's primary"
                )
        raise NotAuthoritative(
            f"{self.server} ({doing}): the server does not serve a zone containing "
            f"{name} ({dns.rcode.to_text(rcode)}); point server at the zone's "
            "primary or set zone_forward/zone_reverse"
        )

    def check_zone(self, zone: dns.name.Name) -> None:
        """Fail unless the server is authoritative for ``zone``."""
        doing = f"checking that it serves zone {zone}"
        response = self.exchange(
            self._query(zone, dns.rdatatype.SOA), doing=doing, zone=zone
        )
        has_soa = any(
            r.rdtype == dns.rdatatype.SOA and r.name == zone for r in response.answer
        )
        if response.rcode() != dns.rcode.NOERROR or not has_soa:
            raise NotAuthoritative(
                f"{self.server} ({doing}): the server is not authoritative for zone "
                f"{zone} ({dns.rcode.to_text(response.rcode())}); check the zone "
                "name and point server at the zone's primary"
            )

    def read(self, name: dns.name.Name, rdtype: Any, zone: dns.name.Name) -> RRset:
        """What the server holds for one name and type."""
        type_text = dns.rdatatype.to_text(rdtype)
        doing = f"reading {type_text} at {name}"
        response = self.exchange(self._query(name, rdtype), doing=doing, zone=zone)
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return RRset(name, rdtype)
        if rcode != dns.rcode.NOERROR:
            raise _rcode_error(rcode, self.server, zone, doing, reading=True)
        if not response.flags & dns.flags.AA:
            raise NotAuthoritative(
                f"{self.server} ({doing}): the answer is not authoritative; "
                f"{name} is not in zone {zone} on this server, or is delegated"
            )
        for rrset in response.answer:
            if rrset.name != name:
                continue
            if rrset.rdtype == rdtype:
                return RRset(name, rdtype, rrset.ttl, frozenset(rrset))
            if rrset.rdtype == dns.rdatatype.CNAME:
                raise SettingsError(
                    f"{self.server} ({doing}): {name} is an alias (CNAME) for "
                    f"{rrset[0].target} in zone {zone}; records can only be "
                    "published at the canonical name"
                )
        return RRset(name, rdtype)

    def update(
        self, zone: dns.name.Name, changes: list[Change], *, trial: bool = False
    ) -> None:
        """Send one UPDATE; a trial one must come back NOTZONE."""
        message = update_message(zone, changes, key=self.server.key, trial=trial)
        doing = f"trial update of zone {zone}" if trial else f"updating zone {zone}"
        if trial:
            self.trial_updates_sent += 1
        else:
            self.updates_sent += 1
        response = self.exchange(message, doing=doing, zone=zone)
        rcode = response.rcode()
        if trial and rcode == dns.rcode.NOTZONE:
            return
        if trial and rcode == dns.rcode.NOERROR:
            raise TrialApplied(
                f"{self.server} ({doing}): the server applied a trial update that "
                f"holds a record outside zone {zone}, so it does not check zones as "
                "RFC 2136 requires. That zone is now updated, others not yet; run "
                "again to complete them"
            )
        if rcode != dns.rcode.NOERROR:
            raise _rcode_error(rcode, self.server, zone, doing, reading=False)


def _rcode_error(
    rcode: Any, server: Server, zone: dns.name.Name, doing: str, *, reading: bool
) -> ServerError:
    text = dns.rcode.to_text(rcode)
    where = f"{server} ({doing})"
    if rcode == dns.rcode.REFUSED and reading:
        return NotAuthoritative(
            f"{where}: the server refused the query (REFUSED); it does not serve "
            f"zone {zone} or does not answer this host"
        )
    if rcode == dns.rcode.REFUSED:
        return UpdateRefused(
            f"{where}: the server refused the update (REFUSED); TSIG key "
            f"{server.key_name!r} may not change these records in zone {zone}; "
            "check the zone's allow-update or update-policy"
        )
    if rcode == dns.rcode.NOTAUTH:
        return NotAuthoritative(
            f"{where}: the server is not authoritative for zone {zone} (NOTAUTH); "
            "point server at the zone's primary"
        )
    if rcode in (
        dns.rcode.NXRRSET,
        dns.rcode.YXRRSET,
        dns.rcode.NXDOMAIN,
        dns.rcode.YXDOMAIN,
    ):
        return ConcurrentChange(
            f"{where}: records in zone {zone} changed after they were read ({text}), "
            "so the server applied nothing; someone else is changing them. Run "
            "again to work from the new state"
        )
    if rcode in (dns.rcode.FORMERR, dns.rcode.NOTIMP):
        return UpdateNotSupported(
            f"{where}: the server rejected the update of zone {zone} ({text}); it "
            "does not support dynamic update or one of the record types "
            "(IPSECKEY needs a server that knows RFC 4025 or RFC 3597)"
        )
    if rcode == dns.rcode.NOTZONE:
        return SettingsError(
            f"{where}: a name is not in zone {zone} (NOTZONE); set zone_forward or "
            "zone_reverse to the zone that holds it"
        )
    return UnexpectedAnswer(
        f"{where}: the server answered {text} for zone {zone}; see the server's log"
    )


# the whole run


@dataclass
class ZonePlan:
    """The owned RRsets of one zone as read, and their changes."""

    zone: dns.name.Name
    rrsets: list[RRset] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def before_lines(self) -> list[str]:
        return [line for rrset in self.rrsets for line in rrset.lines()]

    def after_lines(self) -> list[str]:
        after = {c.before.key: c.after for c in self.changes}
        return [
            line
            for rrset in self.rrsets
            for line in after.get(rrset.key, rrset).lines()
        ]


@dataclass
class Plan:
    """What was read and what to send, zone by zone, forward zone first."""

    zones: list[ZonePlan]

    @property
    def changing(self) -> list[ZonePlan]:
        return [z for z in self.zones if z.changes]


@dataclass
class Outcome:
    """What happened, for the module's result."""

    plan: Plan
    applied: list[dns.name.Name]
    updates_sent: int
    trial_updates_sent: int
    server: Server
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.plan.changing)

    def zones(self) -> list[dict[str, Any]]:
        return [
            {
                "zone": z.zone.to_text(),
                "changed": bool(z.changes),
                "applied": z.zone in self.applied,
                "before": z.before_lines(),
                "after": z.after_lines(),
                "removed": [line for c in z.changes for line in c.removed_lines()],
                "added": [line for c in z.changes for line in c.added_lines()],
            }
            for z in self.plan.zones
        ]

    def diff(self) -> list[dict[str, str]]:
        return [
            {
                "before_header": f"zone {z.zone} on {self.server}",
                "after_header": f"zone {z.zone} on {self.server}",
                "before": "".join(f"{line}\n" for line in z.before_lines()),
                "after": "".join(f"{line}\n" for line in z.after_lines()),
            }
            for z in self.plan.zones
        ]

    def result(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "updates_sent": self.updates_sent,
            "trial_updates_sent": self.trial_updates_sent,
            "zones": self.zones(),
        }


def read_plan(
    client: Client,
    pub: KeyPublication,
    *,
    state: str,
    zone_forward: str | None = None,
    zone_reverse: Iterable[str] = (),
) -> Plan:
    """Find the zones, read every owned RRset, compute the changes."""
    forward_zone = None
    if zone_forward:
        forward_zone = parse_zone(zone_forward, label="zone_forward")
        if not pub.name.is_subdomain(forward_zone):
            raise SettingsError(
                f"name {pub.name} is not in zone_forward {forward_zone}"
            )
    reverse_zones = [parse_zone(z, label="zone_reverse") for z in zone_reverse]
    for zone in (forward_zone, *reverse_zones):
        if zone is not None:
            client.check_zone(zone)

    # which zone each name is in
    zone_by_name: dict[dns.name.Name, dns.name.Name] = {}
    for name in pub.names():
        if name == pub.name:
            zone = forward_zone or client.find_zone(name)
        elif reverse_zones:
            zone = zone_of(name, reverse_zones)
            if zone is None:
                listed = ", ".join(z.to_text() for z in reverse_zones)
                raise SettingsError(
                    f"reverse name {name} is in none of zone_reverse ({listed})"
                )
        else:
            zone = client.find_zone(name)
        zone_by_name[name] = zone
    zones: list[dns.name.Name] = []
    for zone in zone_by_name.values():
        if zone not in zones:
            zones.append(zone)

    # read, then compare
    wanted = wanted_rrsets(pub)
    current = {
        (w.name, w.rdtype): client.read(w.name, w.rdtype, zone_by_name[w.name])
        for w in wanted
    }
    changes = diff(wanted, current, state=state, ttl=pub.ttl)
    plans = {zone: ZonePlan(zone) for zone in zones}
    for w in wanted:
        plans[zone_by_name[w.name]].rrsets.append(current[(w.name, w.rdtype)])
    for change in changes:
        plans[zone_by_name[change.name]].changes.append(change)
    return Plan(list(plans.values()))


def apply(client: Client, plan: Plan, *, check_mode: bool) -> Outcome:
    """Send the plan's updates, unless in check mode; read the result back."""
    outcome = Outcome(plan, [], 0, 0, client.server)
    changing = plan.changing
    if check_mode or not changing:
        return outcome

    if len(changing) > 1:
        for zone_plan in changing:
            try:
                client.update(zone_plan.zone, zone_plan.changes, trial=True)
            except TrialApplied:
                raise
            except ServerError as exc:
                raise type(exc)(f"{_sentence(exc)}. No zone was changed") from None
            outcome.trial_updates_sent = client.trial_updates_sent

    for zone_plan in changing:
        try:
            client.update(zone_plan.zone, zone_plan.changes)
        except ServerError as exc:
            outcome.updates_sent = client.updates_sent
            if not outcome.applied:
                raise
            done = ", ".join(z.to_text() for z in outcome.applied)
            raise PartiallyApplied(
                f"zone {done} was updated, but the update of zone {zone_plan.zone} "
                "failed, so it and any later zone were not changed: "
                f"{_sentence(exc)}. Fix the cause and run again to complete the change",
                outcome,
            ) from None
        outcome.applied.append(zone_plan.zone)
        outcome.updates_sent = client.updates_sent

    try:
        outcome.warnings.extend(_read_back(client, plan))
    except ServerError as exc:
        outcome.warnings.append(
            f"the update was applied, but reading it back failed: {exc}"
        )
    return outcome


def _sentence(exc: Exception) -> str:
    """The message without its final dot, which may be a name's root label."""
    return str(exc).rstrip(".")


def _read_back(client: Client, plan: Plan) -> list[str]:
    """Compare the changed RRsets with what the server now serves.

    A zone signed inline serves a change once it is signed, a few milliseconds
    later; so wait a little before calling a difference a difference.
    """
    pending = [(z.zone, c.after) for z in plan.changing for c in z.changes]
    deadline = time.monotonic() + min(READ_BACK_SECONDS, client.server.timeout)
    while True:
        pending = [
            (zone, want)
            for zone, want in pending
            if not _same(client.read(want.name, want.rdtype, zone), want)
        ]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return [
        f"{client.server} accepted the update of zone {zone} but serves "
        f"{dns.rdatatype.to_text(want.rdtype)} at {want.name} differently; "
        "another update may have followed, or the zone is not reloaded yet"
        for zone, want in pending
    ]


def _same(served: RRset, want: RRset) -> bool:
    if served.rdatas != want.rdatas:
        return False
    return not want.rdatas or served.ttl == want.ttl


def sync(
    server: Server,
    pub: KeyPublication,
    *,
    state: str,
    zone_forward: str | None = None,
    zone_reverse: Iterable[str] = (),
    check_mode: bool = False,
) -> Outcome:
    """Make the server publish ``pub`` (or remove it); the module's whole job."""
    client = Client(server)
    plan = read_plan(
        client, pub, state=state, zone_forward=zone_forward, zone_reverse=zone_reverse
    )
    return apply(client, plan, check_mode=check_mode)


# reading keys back


def system_resolver() -> str:
    """The first name server of this host's resolver configuration."""
    try:
        return dns.resolver.Resolver().nameservers[0]
    except (dns.resolver.NoResolverConfiguration, IndexError):
        raise ServerUnreachable(
            "this host has no name server configured; set server"
        ) from None


def lookup_ipseckeys(
    server: Server, target: str, *, validator: Validator | None = None
) -> list[dict[str, Any]]:
    """The IPSECKEY records of a name, or of an address's reverse name.

    The query asks the server for recursion. With a ``validator``, it also
    asks for the DNSSEC records (DO) and for the answer as is (CD), and
    this host validates the answer from the validator's trust anchor down,
    fetching the DS and DNSKEY records it needs from the same server; no
    flag the server sets is trusted. Without one, the answer is taken as
    it comes.
    """
    try:
        name = dns.reversename.from_address(str(ipaddress.ip_address(target)))
    except ValueError:
        name = parse_zone(target, label="name")
    doing = f"looking up IPSECKEY at {name}"
    client = Client(server)
    dnssec = validator is not None
    response = client.exchange(
        _lookup_query(name, dns.rdatatype.IPSECKEY, dnssec=dnssec),
        doing=doing,
        zone=None,
    )
    _check_lookup_rcode(server, doing, response)
    if validator is None:
        rrsets = [r for r in response.answer if r.rdtype == dns.rdatatype.IPSECKEY]
    else:

        def fetch(owner: dns.name.Name, rdtype: Any) -> Any:
            reading = (
                f"reading {dns.rdatatype.to_text(rdtype)} at {owner} to validate "
                f"IPSECKEY at {name}"
            )
            answer = client.exchange(
                _lookup_query(owner, rdtype, dnssec=True), doing=reading, zone=None
            )
            _check_lookup_rcode(server, reading, answer)
            return answer

        validator.fetch = fetch
        try:
            rrsets = validator.validate_answer(name, dns.rdatatype.IPSECKEY, response)
        except DnssecError as exc:
            raise type(exc)(
                f"{server} (validating IPSECKEY at {name} with DNSSEC): "
                f"{_sentence(exc)}. No key was returned"
            ) from None
    found = [
        {
            "name": rrset.name.to_text(),
            "ttl": rrset.ttl,
            "precedence": record.precedence,
            "gateway_type": record.gateway_type,
            "gateway": None if record.gateway is None else str(record.gateway),
            "algorithm": record.algorithm,
            "key": base64.b64encode(record.key).decode("ascii"),
            "public_key": public_key_pem(record.algorithm, record.key),
        }
        for rrset in rrsets
        for record in rrset
    ]
    return sorted(found, key=lambda r: (r["precedence"], r["key"]))


def _lookup_query(name: dns.name.Name, rdtype: Any, *, dnssec: bool) -> Any:
    """A recursive query; for validation here, with DO and CD set."""
    query = dns.message.make_query(name, rdtype, want_dnssec=dnssec)
    if dnssec:
        query.flags |= dns.flags.CD
    return query


def _check_lookup_rcode(server: Server, doing: str, response: Any) -> None:
    rcode = response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise UnexpectedAnswer(
            f"{server} ({doing}): the server answered {dns.rcode.to_text(rcode)}"
        )

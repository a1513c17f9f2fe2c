# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnskeys import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    DNSPYTHON_IMPORT_ERROR,
    DnsKeysError,
    SettingsError,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnssec import (
    Validator,
    parse_trust_anchor,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnsupdate import (
    Server,
    lookup_ipseckeys,
    resolve_server,
    system_resolver,
)

DOCUMENTATION = r"""
name: ipseckey
version_added: 0.1.0
author: swanfleet.ipsec contributors
short_description: Read a gateway's public keys from its IPSECKEY records
description:
  - Asks a DNS server for the IPSECKEY records (RFC 4025) of gateway names or
    addresses and returns each record with its public key in PEM form, ready for
    C(swanctl)'s C(pubkeys) directory.
  - By default the answer is validated with DNSSEC on the controller, from
    O(trust_anchor) down to the IPSECKEY records. The server may be a recursive
    resolver or the zone's authoritative server; no flag it sets in its answers is
    trusted, so it need not be a validating resolver nor be reached over a trusted
    path.
  - The records are those the M(swanfleet.ipsec.dns_keys) module publishes; see the
    collection's C(docs/dns.md).
requirements:
  - dnspython >= 2.6
  - cryptography >= 42
options:
  _terms:
    description:
      - Gateway names (FQDN), or addresses, whose reverse names are looked up; one by
        one or as lists.
    type: list
    elements: str
    required: true
  server:
    description:
      - The DNS server to ask, as an address; a resolver, or the authoritative server
        of the zones.
      - By default the first name server of the controller's C(/etc/resolv.conf).
      - The DS and DNSKEY records needed to validate are asked from this server too.
    type: str
  port:
    description:
      - The server's port.
    type: int
    default: 53
  dnssec:
    description:
      - Whether to validate the answers with DNSSEC on the controller, with
        dnspython, before returning any key.
      - With V(true), for each name the IPSECKEY records and their RRSIG records are
        fetched, then the DNSKEY records (and RRSIGs) of the zone that signed them,
        and, when O(trust_anchor) is for a zone above that one, the DS and DNSKEY
        records of every zone between. Each step is checked; every record set must
        carry an RRSIG that verifies with a key validated in the step above and is
        within its validity period; a zone's keys must match its DS records in the
        parent, or the trust anchor. An empty answer must come with signed NSEC or
        NSEC3 records that prove there is nothing.
      - Any step that fails makes the lookup fail, naming the name, the server and the
        step (missing RRSIG, bad signature, signature expired, DS mismatch, key not
        matching the trust anchor), and no key is returned.
      - V(false) takes the answer as it comes, unchecked. A key from an unchecked
        answer may have been forged on the way; use it only for a lab.
    type: bool
    default: true
  trust_anchor:
    description:
      - The records trusted to start validation from, needed with O(dnssec=true);
        DS or DNSKEY records in zone file form, or paths of files on the controller
        that hold them.
      - They may be for several zones. A name is validated from the closest zone at or
        above it that has a trust anchor, so the forward and the reverse zones may each
        have their own, or both be covered by the root's.
      - The output of C(dnssec-dsfromkey) or of C(dig DNSKEY), the C(.key) file of a
        zone's key signing key, and the root zone's C(/usr/share/dns/root.ds) (Debian's
        C(dns-root-data)) all fit.
      - A file's path is told from records by having no line break and naming an
        existing file.
      - A zone's key signing key changes when the zone's keys are rolled; a DS record
        of the parent zone (or the root's) changes less often.
    type: list
    elements: str
  timeout:
    description:
      - Seconds to wait for each answer.
    type: int
    default: 10
notes:
  - Queries go over TCP. With O(dnssec=true) they carry the DO and CD flags, so that a
    validating resolver hands over the records and signatures as they are and the
    controller decides.
  - A name without IPSECKEY records gives no items, not an error; with O(dnssec=true)
    only when the absence is proven by signed NSEC or NSEC3 records.
  - IPSECKEY records made from a wildcard are refused with O(dnssec=true).
  - strongSwan's own C(ipseckey) plugin validates by itself too and also takes the
    key's validity period from the RRSIG.
seealso:
  - module: swanfleet.ipsec.dns_keys
"""

EXAMPLES = r"""
- name: Trust the peers' keys as published in DNS, validated from the root down
  ansible.builtin.copy:
    dest: "/etc/swanctl/pubkeys/{{ item.name | trim('.') }}.pem"
    content: "{{ item.public_key }}"
    mode: "0644"
  loop: "{{ query('swanfleet.ipsec.ipseckey', peer_names, server='192.0.2.53',
            trust_anchor='/usr/share/dns/root.ds') }}"
  when: item.public_key is not none

- name: Validate from the DS records of the gateways' own zones, forward and reverse
  ansible.builtin.debug:
    msg: "{{ query('swanfleet.ipsec.ipseckey', 'gw1.vpn.example.com', '198.51.100.10',
             server='192.0.2.53', trust_anchor=[vpn_zone_ds, '/etc/ansible/reverse.ds']) }}"
  vars:
    # dnssec-dsfromkey -2 Kvpn.example.com.+013+12345.key
    vpn_zone_ds: >-
      vpn.example.com. IN DS 12345 13 2
      6A1D7E3F0F4A3F9C7B0B6A2E1D0C9B8A7F6E5D4C3B2A19080706050403020100

- name: Read from the authoritative server of a lab, without DNSSEC
  ansible.builtin.debug:
    msg: "{{ lookup('swanfleet.ipsec.ipseckey', 'gw1.lab.example', server='192.0.2.53',
             dnssec=false, wantlist=true) }}"
"""

RETURN = r"""
_raw:
  description: One item per IPSECKEY record, sorted by precedence.
  type: list
  elements: dict
  contains:
    name:
      description: The name the record is at.
      type: str
      sample: gw1.vpn.example.com.
    ttl:
      description: The record's TTL as the server gave it.
      type: int
    precedence:
      description: Lower is preferred.
      type: int
      sample: 10
    gateway_type:
      description: 0 none, 1 IPv4 address, 2 IPv6 address, 3 name.
      type: int
    gateway:
      description: The gateway address or name, or null for type 0.
      type: str
    algorithm:
      description: 2 RSA, 3 ECDSA, 4 EdDSA.
      type: int
    key:
      description: The key field in base64, as in the record.
      type: str
    public_key:
      description: The public key in PEM form; null for an algorithm or size this
        plugin does not read.
      type: str
"""


class LookupModule(LookupBase):
    def run(
        self, terms: list[Any], variables: Any = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        for missing, error in (
            ("dnspython", DNSPYTHON_IMPORT_ERROR),
            ("cryptography", CRYPTOGRAPHY_IMPORT_ERROR),
        ):
            if error is not None:
                raise AnsibleLookupError(
                    f"the ipseckey lookup needs {missing} on the controller: {error}"
                )
        self.set_options(var_options=variables, direct=kwargs)
        port = self.get_option("port")

        found: list[dict[str, Any]] = []
        try:
            validator = None
            if self.get_option("dnssec"):
                anchor = self.get_option("trust_anchor")
                if not anchor:
                    raise SettingsError(
                        "dnssec=true needs trust_anchor: the DS or DNSKEY records of "
                        "the zone of the names, or of a zone above it, such as the "
                        "root's /usr/share/dns/root.ds; or set dnssec=false to take "
                        "answers unchecked"
                    )
                validator = Validator(parse_trust_anchor(anchor), fetch=None)
            address = resolve_server(
                self.get_option("server") or system_resolver(), port
            )
            server = Server(address, port, None, float(self.get_option("timeout")))
            for term in _flatten(terms):
                found.extend(
                    lookup_ipseckeys(
                        server,
                        str(term),
                        validator=validator,
                    )
                )
        except DnsKeysError as exc:
            raise AnsibleLookupError(str(exc)) from None
        return found


def _flatten(terms: list[Any]) -> list[Any]:
    """Accept names one by one or as lists."""
    flat: list[Any] = []
    for term in terms:
        flat.extend(term if isinstance(term, (list, tuple)) else [term])
    return flat

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
  - Asks a DNS resolver for the IPSECKEY records (RFC 4025) of gateway names or
    addresses and returns each record with its public key in PEM form, ready for
    C(swanctl)'s C(pubkeys) directory.
  - By default only answers that the resolver validated with DNSSEC are accepted.
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
      - The resolver to ask, as an address.
      - By default the first name server of the controller's C(/etc/resolv.conf).
    type: str
  port:
    description:
      - The resolver's port.
    type: int
    default: 53
  require_dnssec:
    description:
      - Whether to accept only answers the resolver marked as validated (the AD flag).
      - A key from an unvalidated answer may have been forged on the way. Set V(false)
        only when asking the authoritative server over a trusted path, as in a lab.
      - The AD flag is only as trustworthy as the path to the resolver; use a
        validating resolver on the same host or network.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each answer.
    type: int
    default: 10
notes:
  - Queries go over TCP.
  - A name without IPSECKEY records gives no items, not an error.
  - O(require_dnssec) relies on the resolver's word. strongSwan's own C(ipseckey)
    plugin validates itself and also takes the key's validity period from the RRSIG.
seealso:
  - module: swanfleet.ipsec.dns_keys
"""

EXAMPLES = r"""
- name: Trust the peers' keys as published in DNS (validated by the local resolver)
  ansible.builtin.copy:
    dest: "/etc/swanctl/pubkeys/{{ item.name | trim('.') }}.pem"
    content: "{{ item.public_key }}"
    mode: "0644"
  loop: "{{ query('swanfleet.ipsec.ipseckey', peer_names, server='127.0.0.1') }}"
  when: item.public_key is not none

- name: Read from the authoritative server of a lab, without DNSSEC
  ansible.builtin.debug:
    msg: "{{ lookup('swanfleet.ipsec.ipseckey', 'gw1.lab.example', server='192.0.2.53',
             require_dnssec=false, wantlist=true) }}"
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
      description: The record's TTL as the resolver gave it.
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
            address = resolve_server(
                self.get_option("server") or system_resolver(), port
            )
            server = Server(address, port, None, float(self.get_option("timeout")))
            for term in _flatten(terms):
                found.extend(
                    lookup_ipseckeys(
                        server,
                        str(term),
                        require_dnssec=self.get_option("require_dnssec"),
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

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_keys
short_description: Publish a gateway's public keys in DNS by dynamic update
version_added: 0.1.0
description:
  - Publishes one gateway's addresses and IPsec public keys on an authoritative DNS
    server with RFC 2136 dynamic updates signed with TSIG, so that peers can find the
    key of a gateway from its name or its address.
  - Publishes the address records (A, AAAA) at the gateway's name, a PTR record at the
    reverse name of each address, IPSECKEY records (RFC 4025) at the forward name, the
    reverse names or both, and optionally the TXT records that FreeS/WAN read before
    IPSECKEY existed (O(txt_legacy)).
  - Reads the records from the server first and sends only the difference, as one
    UPDATE per zone, guarded by prerequisites on what was read. When nothing differs,
    no UPDATE is sent.
  - The records and their ownership are described in the collection's C(docs/dns.md).
author:
  - swanfleet.ipsec contributors
requirements:
  - dnspython >= 2.6
  - cryptography >= 42
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The server is read, signed with the TSIG key, but no UPDATE is sent.
  diff_mode:
    support: full
    details: The diff shows, zone by zone, the owned records before and after.
  platform:
    support: full
    platforms: posix
options:
  server:
    description:
      - The primary authoritative server of the zones, as an address or a host name.
      - All queries and updates go to this server over TCP.
    type: str
    required: true
  port:
    description:
      - The server's DNS port.
    type: int
    default: 53
  zone_forward:
    description:
      - The zone that holds O(name).
      - By default, found by asking O(server) for the SOA record of O(name).
    type: str
  zone_reverse:
    description:
      - The reverse zones that hold the reverse names of O(addresses), for example
        V(100.51.198.in-addr.arpa) and V(8.b.d.0.1.0.0.2.ip6.arpa). Each reverse name
        goes to the longest zone that contains it.
      - By default, found by asking O(server) for the SOA record of each reverse name.
    type: list
    elements: str
  name:
    description:
      - The fully qualified domain name of the gateway, its forward name.
    type: str
    required: true
  addresses:
    description:
      - The gateway's public IPv4 and IPv6 addresses.
      - They are published as A and AAAA records at O(name); with O(state=present),
        other address records at O(name) are removed.
      - May be empty for a gateway known by its name only; with O(state=present) that
        removes the address records at O(name).
    type: list
    elements: str
    required: true
  public_key:
    description:
      - The gateway's public key in PEM form, RSA, ECDSA on P-256 or P-384, Ed25519 or
        Ed448. DSA keys and private keys are refused.
      - Give the new and the old key while a key is being replaced; each is published,
        and a later run with only the new key removes the old one.
      - Needed when O(ipseckey) or O(txt_legacy) is set.
    type: list
    elements: str
    default: []
    no_log: false
  ipseckey:
    description:
      - Whether to publish IPSECKEY records.
      - With O(state=present) and V(false), IPSECKEY records at the gateway's names are
        removed.
    type: bool
    default: true
  ipseckey_at:
    description:
      - Where the IPSECKEY records, and with O(txt_legacy) the TXT records, are
        published.
      - V(forward) at O(name), where strongSwan's C(ipseckey) plugin looks for the key
        of a peer whose identity is a name.
      - V(reverse) at the reverse name of each address, where opportunistic encryption
        (Libreswan) looks for the key of an address.
      - V(both) at both.
    type: str
    choices: [forward, reverse, both]
    default: forward
  precedence:
    description:
      - The precedence of the IPSECKEY and TXT records, 0 to 255; lower is preferred.
    type: int
    default: 10
  gateway:
    description:
      - What the IPSECKEY gateway field says.
      - V(none) (gateway type 0) publishes the key of the host at the record's name.
      - V(address) (gateway type 1 or 2) names the gateway's own address; at O(name)
        one record per address is published, at a reverse name the address it belongs
        to.
      - V(name) (gateway type 3) names O(name).
      - The legacy TXT form always names an address, or C(@)O(name) with V(name).
    type: str
    choices: [none, address, name]
    default: none
  txt_legacy:
    description:
      - Whether to also publish the TXT form FreeS/WAN used before IPSECKEY, for RSA
        keys only, where O(ipseckey_at) says.
      - Its first string is C(X-IPsec-Server), the precedence in parentheses, C(=) and
        the address (or C(@) and O(name) with O(gateway=name)); the RFC 3110 key in
        base64 follows, cut into strings of 255 bytes.
      - Other TXT records at the same names are not touched.
    type: bool
    default: false
  ptr:
    description:
      - Whether to publish the PTR record at the reverse name of each address.
      - Set V(false) when the reverse zone is not on O(server). With V(false) and
        O(ipseckey_at=forward) the reverse names are not touched.
    type: bool
    default: true
  ttl:
    description:
      - The TTL of the published records, in seconds. A change of TTL is applied to the
        records already there.
    type: int
    default: 3600
  tsig_key_name:
    description:
      - The name of the TSIG key the updates (and queries) are signed with, as in the
        server's C(key) statement.
    type: str
    required: true
  tsig_secret:
    description:
      - The base64 secret of the TSIG key.
    type: str
    required: true
  tsig_algorithm:
    description:
      - The HMAC algorithm of the TSIG key.
    type: str
    choices: [hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
    default: hmac-sha256
  state:
    description:
      - V(present) makes the owned records of the gateway exactly what the options
        describe.
      - V(absent) removes the records that V(present) with the same options would
        publish, and nothing else.
    type: str
    choices: [present, absent]
    default: present
  timeout:
    description:
      - Seconds to wait for each answer of the server.
    type: int
    default: 10
notes:
  - Run it where the DNS server can be reached and dnspython is installed, usually
    with C(delegate_to=localhost). The gateway's private key is not needed; read the
    public key on the gateway (C(pki --pub --in KEYFILE)) and pass that.
  - Ownership. With O(state=present) the module owns, at the gateway's names, the A and
    AAAA records at O(name), the PTR records at the reverse names, every IPSECKEY
    record and the TXT records that begin with C(X-IPsec-Server). Other records at the
    same names, such as other TXT records, are never changed. A TTL change on a TXT
    record also changes the TTL of the other TXT records at that name, since one RRset
    has one TTL.
  - When the addresses change, the records at the old reverse names are left; remove
    them with O(state=absent) and the old addresses first.
  - Each update carries prerequisites on the records it read. If someone else changes
    them in between, the server applies nothing and the module fails; run it again.
  - Several zones cannot be changed atomically. When more than one zone changes, each
    first gets a trial update, the real update plus one record outside the zone. The
    server checks the signature and that the key may write each record, then refuses
    the whole message because of the last one (NOTZONE). So a key that may not write
    the reverse zone stops the run before the forward zone is changed. Then the zones
    are updated, the forward zone first. Should a later zone still fail, the message
    says which zones were updated, and a second run completes the change. A trial
    update shows in the server's log as a failed update.
  - The TSIG secret is never returned or logged. Queries are signed as well, so check
    mode also finds a wrong key.
  - IPSECKEY algorithm 3 (ECDSA) does not say the curve; P-256 and P-384 keys are told
    apart by their length, as their readers do.
seealso:
  - name: RFC 4025, a method for storing IPsec keying material in DNS
    description: The IPSECKEY record.
    link: https://www.rfc-editor.org/rfc/rfc4025
  - name: RFC 9373, EdDSA value for IPSECKEY
    description: The EdDSA algorithm number of IPSECKEY.
    link: https://www.rfc-editor.org/rfc/rfc9373
  - name: RFC 2136, dynamic updates in the Domain Name System
    description: The UPDATE message and its prerequisites.
    link: https://www.rfc-editor.org/rfc/rfc2136
"""

EXAMPLES = r"""
- name: Read the gateway's public key; the private key stays on the gateway
  ansible.builtin.command: pki --pub --in /etc/swanctl/private/gateway.pem --outform pem
  register: gateway_pubkey
  changed_when: false

- name: Publish the gateway's addresses and key
  swanfleet.ipsec.dns_keys:
    server: 192.0.2.53
    name: "{{ inventory_hostname }}.vpn.example.com"
    addresses:
      - 198.51.100.10
      - 2001:db8:10::1
    public_key: "{{ gateway_pubkey.stdout }}"
    ipseckey_at: both
    tsig_key_name: swanfleet
    tsig_secret: "{{ vault_swanfleet_tsig_secret }}"
  delegate_to: localhost

- name: Replace the key; old and new are both published until the next run
  swanfleet.ipsec.dns_keys:
    server: 192.0.2.53
    zone_forward: vpn.example.com
    zone_reverse: 100.51.198.in-addr.arpa
    name: gw1.vpn.example.com
    addresses: [198.51.100.10]
    public_key:
      - "{{ new_pubkey.stdout }}"
      - "{{ old_pubkey.stdout }}"
    tsig_key_name: swanfleet
    tsig_secret: "{{ vault_swanfleet_tsig_secret }}"
  delegate_to: localhost

- name: Withdraw a gateway, leaving any other records at its name
  swanfleet.ipsec.dns_keys:
    server: 192.0.2.53
    name: gw1.vpn.example.com
    addresses: [198.51.100.10]
    public_key: "{{ gateway_pubkey.stdout }}"
    tsig_key_name: swanfleet
    tsig_secret: "{{ vault_swanfleet_tsig_secret }}"
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
updates_sent:
  description: The number of UPDATE messages that were meant to change a zone; 0 when
    nothing differed and in check mode.
  returned: always
  type: int
  sample: 2
trial_updates_sent:
  description: The number of trial updates, which the server refuses by design; sent
    only when more than one zone changes.
  returned: always
  type: int
  sample: 2
zones:
  description: Per zone, the owned records of the gateway before and after, in zone
    file form, in the order the zones were updated.
  returned: always
  type: list
  elements: dict
  contains:
    zone:
      description: The zone.
      type: str
      sample: vpn.example.com.
    changed:
      description: Whether the zone's records differ (or differed) from the options.
      type: bool
    applied:
      description: Whether the update of the zone was applied by the server.
      type: bool
    before:
      description: The owned records, and other TXT records at the gateway's names, as
        read.
      type: list
      elements: str
      sample:
        - gw1.vpn.example.com. 3600 IN A 198.51.100.10
    after:
      description: The same records after the update; predicted in check mode.
      type: list
      elements: str
      sample:
        - gw1.vpn.example.com. 3600 IN A 198.51.100.10
        - gw1.vpn.example.com. 3600 IN IPSECKEY 10 0 4 . MCowBQYDK2VwAyEAi...
    removed:
      description: The records removed.
      type: list
      elements: str
    added:
      description: The records added.
      type: list
      elements: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnskeys import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    DNSPYTHON_IMPORT_ERROR,
    DnsKeysError,
    key_publication,
    tsig_key,
)
from ansible_collections.swanfleet.ipsec.plugins.module_utils._dnsupdate import (
    PartiallyApplied,
    Server,
    resolve_server,
    sync,
)

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "server": {"type": "str", "required": True},
    "port": {"type": "int", "default": 53},
    "zone_forward": {"type": "str"},
    "zone_reverse": {"type": "list", "elements": "str"},
    "name": {"type": "str", "required": True},
    "addresses": {"type": "list", "elements": "str", "required": True},
    "public_key": {"type": "list", "elements": "str", "default": [], "no_log": False},
    "ipseckey": {"type": "bool", "default": True},
    "ipseckey_at": {
        "type": "str",
        "choices": ["forward", "reverse", "both"],
        "default": "forward",
    },
    "precedence": {"type": "int", "default": 10},
    "gateway": {
        "type": "str",
        "choices": ["none", "address", "name"],
        "default": "none",
    },
    "txt_legacy": {"type": "bool", "default": False},
    "ptr": {"type": "bool", "default": True},
    "ttl": {"type": "int", "default": 3600},
    "tsig_key_name": {"type": "str", "required": True, "no_log": False},
    "tsig_secret": {"type": "str", "required": True, "no_log": True},
    "tsig_algorithm": {
        "type": "str",
        "choices": [
            "hmac-sha1",
            "hmac-sha224",
            "hmac-sha256",
            "hmac-sha384",
            "hmac-sha512",
        ],
        "default": "hmac-sha256",
    },
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "timeout": {"type": "int", "default": 10},
}


def _run(params: dict[str, Any], *, check_mode: bool) -> tuple[dict[str, Any], Any]:
    pub = key_publication(
        name=params["name"],
        addresses=params["addresses"],
        public_keys=params["public_key"],
        ipseckey=params["ipseckey"],
        ipseckey_at=params["ipseckey_at"],
        precedence=params["precedence"],
        gateway=params["gateway"],
        txt_legacy=params["txt_legacy"],
        ptr=params["ptr"],
        ttl=params["ttl"],
    )
    key = tsig_key(
        params["tsig_key_name"], params["tsig_secret"], params["tsig_algorithm"]
    )
    server = Server(
        resolve_server(params["server"], params["port"]),
        params["port"],
        key,
        float(params["timeout"]),
    )
    outcome = sync(
        server,
        pub,
        state=params["state"],
        zone_forward=params["zone_forward"],
        zone_reverse=params["zone_reverse"] or (),
        check_mode=check_mode,
    )
    return dict(outcome.result(), diff=outcome.diff()), outcome.warnings


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    if DNSPYTHON_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib("dnspython"), exception=str(DNSPYTHON_IMPORT_ERROR)
        )
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib("cryptography"),
            exception=str(CRYPTOGRAPHY_IMPORT_ERROR),
        )

    try:
        result, warnings = _run(module.params, check_mode=module.check_mode)
    except PartiallyApplied as exc:
        module.fail_json(msg=str(exc), **dict(exc.outcome.result(), changed=True))
    except DnsKeysError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

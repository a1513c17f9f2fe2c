# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""strongSwan proposal strings: their syntax, and the algorithms too weak to use.

Private to this collection; the fleet model checks the proposals an inventory
sets with it.

A proposal lists algorithm keywords separated by ``-``, for example
``aes256gcm16-prfsha384-ecp384`` (IKE) or ``aes256-sha256-modp3072`` (ESP);
``default`` stands for strongSwan's own list. Additional key exchanges carry a
``ke1_`` to ``ke7_`` prefix and are judged like the first one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SYNTAX = re.compile(r"[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*")
_KE_PREFIX = re.compile(r"^ke[1-7]_")

# why each keyword is weak, in words an operator recognises
_WEAK = {
    "des": "DES encryption",
    "3des": "3DES encryption",
    "null": "NULL encryption",
    "md5": "MD5 integrity",
    "md5_128": "MD5 integrity",
    "prfmd5": "MD5 as PRF",
    "prfsha1": "SHA-1 as PRF",
    "modp768": "the 768-bit MODP group",
    "modp1024": "the 1024-bit MODP group",
    "modp1024s160": "the 1024-bit MODP group",
}

_SHA1 = frozenset(("sha", "sha1", "sha1_160"))
_INTEGRITY = _SHA1 | frozenset(
    (
        "md5",
        "md5_128",
        "sha256",
        "sha2_256",
        "sha256_96",
        "sha2_256_96",
        "sha384",
        "sha2_384",
        "sha512",
        "sha2_512",
        "aesxcbc",
        "aescmac",
        "aes128gmac",
        "aes192gmac",
        "aes256gmac",
        "camelliaxcbc",
    )
)


def split_proposals(value: str | Iterable[str]) -> list[str]:
    """The single proposals in a list of them; an item may hold several, with ``,``."""
    items = [value] if isinstance(value, str) else list(value)
    return [p.strip() for item in items for p in item.split(",") if p.strip()]


def is_proposal(proposal: str) -> bool:
    """Whether ``proposal`` is written as strongSwan reads one (names not checked)."""
    return bool(_SYNTAX.fullmatch(proposal))


def weak_algorithms(proposal: str, *, ike: bool) -> list[str]:
    """Why ``proposal`` is weak, one reason per weak algorithm; empty when it is not.

    SHA-1 is accepted as an ESP integrity algorithm (HMAC-SHA1-96 has no known
    practical weakness) but not as IKE's PRF, which an IKE proposal derives from
    its integrity algorithm when it names no PRF of its own.
    """
    if proposal.strip().lower() == "default":
        return []
    tokens = [_KE_PREFIX.sub("", t.strip().lower()) for t in proposal.split("-")]
    reasons = [_WEAK[t] for t in tokens if t in _WEAK]
    if ike:
        integrity = [t for t in tokens if t in _INTEGRITY]
        if integrity and all(t in _SHA1 for t in integrity):
            derived = not any(t.startswith("prf") for t in tokens)
            reasons.append(
                "SHA-1 as the only integrity algorithm"
                + (" (and so as PRF)" if derived else "")
            )
    return list(dict.fromkeys(reasons))

# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what charon reports through swanctl, in its ``--pretty`` form.

``--pretty`` prints vici messages one item a line (``key = value``, ``name {``,
``name = [``), which keeps values with spaces (distinguished names, for one)
intact, unlike ``--raw``.
"""

from __future__ import annotations

from typing import Any


class SwanctlParseError(ValueError):
    """swanctl printed something that is not a vici message."""


def parse_pretty(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Return the messages in ``text`` as (message name, body) pairs, in order."""
    messages: list[tuple[str, dict[str, Any]]] = []
    stack: list[Any] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            body: dict[str, Any] = {}
            if not stack:
                messages.append((name, body))
            elif isinstance(stack[-1], dict):
                stack[-1][name] = body
            else:
                raise SwanctlParseError(f"line {number}: a section inside a list")
            stack.append(body)
        elif line in ("}", "]"):
            if not stack:
                raise SwanctlParseError(f"line {number}: '{line}' closes nothing")
            stack.pop()
        elif line.endswith("= ["):
            key = line[:-3].strip()
            if not stack or not isinstance(stack[-1], dict):
                raise SwanctlParseError(f"line {number}: a list outside a section")
            items: list[str] = []
            stack[-1][key] = items
            stack.append(items)
        elif stack and isinstance(stack[-1], list):
            stack[-1].append(line)
        elif " = " in line and stack:
            key, value = line.split(" = ", 1)
            stack[-1][key.strip()] = value
        else:
            raise SwanctlParseError(f"line {number}: cannot read {line!r}")
    if stack:
        raise SwanctlParseError("the output ends inside an unclosed section")
    return messages


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def proposal_name(sa: dict[str, Any]) -> str:
    """The negotiated algorithms as strongSwan names them, e.g. AES_GCM_16-256/..."""
    parts = []
    encr = sa.get("encr-alg")
    if encr:
        size = sa.get("encr-keysize")
        parts.append(f"{encr}-{size}" if size else encr)
    for key in ("integ-alg", "prf-alg", "dh-group"):
        if sa.get(key):
            parts.append(sa[key])
    return "/".join(parts)


def ike_sas(text: str) -> list[dict[str, Any]]:
    """Summarise ``swanctl --list-sas --pretty`` as one dict per IKE_SA."""
    result = []
    for name, body in parse_pretty(text):
        if name != "list-sa event":
            continue
        for conn, sa in body.items():
            children = []
            for child in (sa.get("child-sas") or {}).values():
                children.append(
                    {
                        "name": child.get("name", ""),
                        "state": child.get("state", ""),
                        "mode": child.get("mode", ""),
                        "udp_encap": child.get("encap") == "yes",
                        "proposal": proposal_name(child),
                        "bytes_in": _int(child.get("bytes-in")),
                        "bytes_out": _int(child.get("bytes-out")),
                        "packets_in": _int(child.get("packets-in")),
                        "packets_out": _int(child.get("packets-out")),
                        "local_ts": child.get("local-ts", []),
                        "remote_ts": child.get("remote-ts", []),
                    }
                )
            result.append(
                {
                    "name": conn,
                    "state": sa.get("state", ""),
                    "initiator": sa.get("initiator") == "yes",
                    "local_host": sa.get("local-host", ""),
                    "local_port": _int(sa.get("local-port")),
                    "remote_host": sa.get("remote-host", ""),
                    "remote_port": _int(sa.get("remote-port")),
                    "local_id": sa.get("local-id", ""),
                    "remote_id": sa.get("remote-id", ""),
                    "nat_local": sa.get("nat-local") == "yes",
                    "nat_remote": sa.get("nat-remote") == "yes",
                    "nat_fake": sa.get("nat-fake") == "yes",
                    "proposal": proposal_name(sa),
                    "established_seconds": _int(sa.get("established")),
                    "children": children,
                }
            )
    return result

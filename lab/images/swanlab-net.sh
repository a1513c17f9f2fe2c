#!/bin/sh
# Apply a lab node's network plan, written by labctl into /etc/swanlab/net.conf.
# Lines:
#   link NAME ADDRESS/PREFIX   rename the interface holding ADDRESS to NAME
#   route DEST via GATEWAY     replace a route (DEST may be "default")
#   mtu NAME BYTES             set an interface's MTU
# Docker names interfaces eth0, eth1, ... in attachment order, which changes
# across restarts; addresses do not, so interfaces are found by address.
set -eu
plan=${1:-/etc/swanlab/net.conf}
[ -r "$plan" ] || exit 0

while read -r kind a b c; do
    case "$kind" in
    link)
        addr=${b%/*}
        cur=$(ip -o -4 addr show | awk -v a="$addr" '{split($4, p, "/"); if (p[1] == a) print $2}' | head -n1)
        if [ -z "$cur" ]; then
            echo "swanlab-net: no interface holds $addr" >&2
            exit 1
        fi
        if [ "$cur" != "$a" ]; then
            ip link set dev "$cur" down
            ip link set dev "$cur" name "$a"
        fi
        ip link set dev "$a" up
        ;;
    route)
        # docker adds its own default route; only the plan's may stay
        if [ "$a" = default ]; then
            ip route show default | grep -q "via $c " \
                || while ip route del default 2>/dev/null; do :; done
        fi
        ip route replace "$a" via "$c"
        ;;
    mtu)
        ip link set dev "$a" mtu "$b"
        ;;
    ''|'#'*)
        ;;
    *)
        echo "swanlab-net: unknown line: $kind" >&2
        exit 1
        ;;
    esac
done < "$plan"

#!/usr/bin/env bash
# Prepare this machine for the lab and the tests; safe to run again.
#   - Debian packages: docker.io, debootstrap, ssh client, BIND9 (DNS tests)
#   - dockerd started in the background when it is not answering
#   - fs.inotify.max_user_instances raised host-wide for labs of many nodes
#   - .venv with the Python packages of requirements.txt
#   - .build/collections: this checkout exposed as the swanfleet.ipsec collection
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say() { printf 'bootstrap: %s\n' "$*"; }

apt_packages=(docker.io debootstrap openssh-client iproute2 python3-venv bind9 bind9-dnsutils)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        say "missing Debian packages: ${missing[*]}; run this script as root"
        exit 1
    fi
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    # the BIND9 package starts a system-wide named where an init system runs;
    # the tests start their own private instances instead
    service named stop >/dev/null 2>&1 || true
fi

if ! docker info >/dev/null 2>&1; then
    say "starting dockerd"
    mkdir -p /var/log
    nohup dockerd >/var/log/swanfleet-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        say "dockerd did not answer within 60 s; its log: /var/log/swanfleet-dockerd.log"
        tail -n 20 /var/log/swanfleet-dockerd.log >&2 || true
        exit 1
    fi
fi

# Every lab node runs systemd, which takes inotify instances of the host's root
# user; Linux's default of 128 runs out at about 30 nodes (a lab of 12 sites), and
# the nodes beyond then fail to boot. This is a host-wide setting: say so.
want_inotify=1024
if [[ $(sysctl -n fs.inotify.max_user_instances 2>/dev/null || echo 0) -lt $want_inotify ]]; then
    if sysctl -q -w fs.inotify.max_user_instances=$want_inotify 2>/dev/null; then
        say "raised fs.inotify.max_user_instances to $want_inotify on this host (systemd in every lab node)"
    else
        say "could not raise fs.inotify.max_user_instances; labs beyond about 10 sites may not boot"
    fi
fi

stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    say "installing Python packages into .venv"
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip >/dev/null
    .venv/bin/pip install -q -r requirements.txt
    echo "$want" >"$stamp"
fi

coll=.build/collections/ansible_collections/swanfleet
mkdir -p "$coll"
ln -sfn "$ROOT" "$coll/ipsec"
say "ready"

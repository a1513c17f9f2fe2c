# Lab node: systemd as PID 1, sshd for Ansible, and the network tools every
# lab role (router, gateway, LAN client) needs. IPsec software is NOT baked in:
# the gateway role installs it, as it would on a real host.
ARG BASE=swanfleet-lab/base:bookworm
FROM ${BASE}

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      systemd systemd-sysv dbus openssh-server python3 python3-apt \
      iproute2 nftables iptables iputils-ping tcpdump procps kmod \
      ca-certificates netcat-openbsd \
 && apt-get clean \
 && systemctl mask getty@tty1.service console-getty.service \
      systemd-firstboot.service systemd-udevd.service systemd-resolved.service \
      apt-daily.timer apt-daily-upgrade.timer \
 && systemctl enable ssh.service \
 && mkdir -p /root/.ssh /etc/swanlab && chmod 0700 /root/.ssh \
 && rm -f /etc/ssh/ssh_host_*

COPY swanlab-net.sh /usr/local/sbin/swanlab-net
COPY swanlab-net.service /etc/systemd/system/swanlab-net.service
COPY ssh-hostkeys.service /etc/systemd/system/ssh-hostkeys.service
RUN chmod 0755 /usr/local/sbin/swanlab-net \
 && systemctl enable swanlab-net.service ssh-hostkeys.service

STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]

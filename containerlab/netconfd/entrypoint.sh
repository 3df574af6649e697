#!/bin/sh
# Entry point of the fsor/netconfd image: the same two processes and templates as
# containerlab/netconfd_node.py, rendered with envsubst. Runs until either process exits.
set -eu
W="${FSOR_STATE_DIR:-/var/lib/fsor}"    # overridable to try the script outside a container
A="${FSOR_ASSETS_DIR:-/opt/fsor}"
STARTUP="${FSOR_STARTUP:-/etc/fsor/startup.xml}"
mkdir -p "$W/yuma/data" /run/sshd
id "$NETCONF_USERNAME" >/dev/null 2>&1 || useradd --system --no-create-home \
    --home-dir /nonexistent --shell /bin/sh --comment "fsor lab NETCONF user" "$NETCONF_USERNAME"
echo "$NETCONF_USERNAME:$NETCONF_PASSWORD" | chpasswd
if [ -f "$STARTUP" ]; then cp "$STARTUP" "$W/startup.xml"
else cp "$A/startup.xml" "$W/startup.xml"; fi
[ -f "$W/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N "" -f "$W/ssh_host_ed25519_key"
rm -f "$W/ncxserver.sock"

export startup="$W/startup.xml" modpath=/usr/share/yuma/modules \
    module="$A/fsor-lightpath.yang" superuser="$NETCONF_USERNAME" \
    access_control=enforcing socket="$W/ncxserver.sock" port="$NETCONF_PORT" \
    log="$W/netconfd.log" log_level=info \
    listen="${NETCONF_ADDRESS:-0.0.0.0}:$NETCONF_PORT" host_key="$W/ssh_host_ed25519_key" \
    pid_file="$W/sshd.pid" username="$NETCONF_USERNAME" password_auth=yes \
    authorized_keys=none
NC_VARS='$startup $modpath $module $superuser $access_control $socket $port $log $log_level'
SSH_VARS='$listen $host_key $pid_file $username $password_auth $authorized_keys $log_level $port $socket'
envsubst "$NC_VARS" < "$A/netconfd.conf.template" > "$W/netconfd.conf"
# sshd's LogLevel wants upper case
envsubst "$SSH_VARS" < "$A/sshd_config.template" | sed 's/^LogLevel info$/LogLevel INFO/' \
    > "$W/sshd_config"

/usr/sbin/netconfd --yuma-home="$W/yuma" --config="$W/netconfd.conf" &
NETCONFD=$!
i=0
while [ ! -S "$W/ncxserver.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
/usr/sbin/sshd -D -e -f "$W/sshd_config" &
SSHD=$!
trap 'kill $SSHD $NETCONFD 2>/dev/null' TERM INT
# exit (and let the container stop) as soon as one of the two stops
while kill -0 $NETCONFD 2>/dev/null && kill -0 $SSHD 2>/dev/null; do sleep 1; done
kill $SSHD $NETCONFD 2>/dev/null || true
wait

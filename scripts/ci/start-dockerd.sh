#!/usr/bin/env bash
# Starts a private dockerd for the tests if its socket does not answer yet; idempotent and bounded.
# Prints the DOCKER_HOST to use on stdout (everything else goes to stderr), e.g.
#   export DOCKER_HOST=$(scripts/ci/start-dockerd.sh)
# Needs root and the Debian packages docker.io (dockerd, containerd, runc).
# Environment: VI_DOCKER_DIR (state, default /var/lib/vi-docker), VI_DOCKER_RUN (sockets and pid,
# default /run/vi-docker), VI_DOCKER_LOG (default /tmp/vi-dockerd.log), VI_DOCKER_WAIT_S (default 60).
set -euo pipefail
data_root=${VI_DOCKER_DIR:-/var/lib/vi-docker}
run_dir=${VI_DOCKER_RUN:-/run/vi-docker}
log=${VI_DOCKER_LOG:-/tmp/vi-dockerd.log}
wait_s=${VI_DOCKER_WAIT_S:-60}
sock="$run_dir.sock"
host="unix://$sock"

answers() { DOCKER_HOST=$host timeout 10 docker info >/dev/null 2>&1; }

if answers; then
  echo "$host"
  exit 0
fi
command -v dockerd >/dev/null || { echo "start-dockerd: dockerd not found; apt-get install docker.io" >&2; exit 1; }
command -v docker >/dev/null || { echo "start-dockerd: docker CLI not found; apt-get install docker.io" >&2; exit 1; }

pidfile="$run_dir.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "start-dockerd: dockerd (pid $(cat "$pidfile")) is running but not answering yet; waiting" >&2
else
  rm -f "$sock" "$pidfile"
  mkdir -p "$data_root" "$run_dir"
  # vfs: works on any backing filesystem (overlay-in-overlay does not); no iptables: loopback only.
  # Close inherited descriptors: a daemon that kept, say, a caller's flock fd would hold that
  # lock for as long as it runs.
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
  done
  setsid dockerd --iptables=false --ip-masq=false --storage-driver=vfs \
    --data-root="$data_root" --exec-root="$run_dir" -H "$host" -p "$pidfile" \
    >>"$log" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$wait_s"); do
  if answers; then
    echo "$host"
    exit 0
  fi
  sleep 1
done
echo "start-dockerd: dockerd did not answer on $sock within ${wait_s}s; last log lines:" >&2
tail -n 20 "$log" >&2 || true
exit 1

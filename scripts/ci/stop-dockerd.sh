#!/usr/bin/env bash
# Stops the dockerd that start-dockerd.sh started (by its pid file), waiting up to 30 s.
# Containers it runs stop with it; images and volumes stay in VI_DOCKER_DIR.
set -euo pipefail
run_dir=${VI_DOCKER_RUN:-/run/vi-docker}
pidfile="$run_dir.pid"
if [ ! -f "$pidfile" ]; then
  echo "stop-dockerd: no pid file at $pidfile; nothing to stop" >&2
  exit 0
fi
pid=$(cat "$pidfile")
if ! kill -0 "$pid" 2>/dev/null; then
  rm -f "$pidfile"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 30); do
  kill -0 "$pid" 2>/dev/null || exit 0
  sleep 1
done
echo "stop-dockerd: dockerd (pid $pid) still running after 30 s; sending SIGKILL" >&2
kill -KILL "$pid" 2>/dev/null || true

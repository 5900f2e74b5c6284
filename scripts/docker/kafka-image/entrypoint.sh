#!/bin/bash
# Entrypoint of the locally built Kafka image. Honours the configuration contract of the official
# apache/kafka image: every KAFKA_<NAME> variable becomes a server.properties line
# (`_` → `.`, `__` → `_`, `___` → `-`, lower-cased), CLUSTER_ID names the cluster, and with no
# KAFKA_* settings at all a single-node default configuration is used.
set -euo pipefail
KAFKA_HOME=/opt/kafka
config_dir=${VI_KAFKA_CONFIG_DIR:-/tmp/kafka-config}
props="$config_dir/server.properties"

# Variables the launch scripts read themselves; they are not broker properties.
not_properties=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_GC_LOG_OPTS \
KAFKA_LOG4J_OPTS KAFKA_JMX_OPTS KAFKA_DEBUG KAFKA_HOME KAFKA_VERSION KAFKA_LOG4J_ROOT_LOGLEVEL \
KAFKA_LOG4J_LOGGERS KAFKA_TOOLS_LOG4J_LOGLEVEL KAFKA_LOG_DIR "

property_name() {
  local s=${1#KAFKA_}
  s=${s,,}
  s=${s//___/-}
  s=${s//__/@}
  s=${s//_/.}
  echo "${s//@/_}"
}

write_properties() {
  mkdir -p "$config_dir"
  : >"$props"
  local name
  while IFS= read -r name; do
    case "$not_properties" in *" $name "*) continue ;; esac
    echo "$(property_name "$name")=${!name}" >>"$props"
  done < <(compgen -e | grep '^KAFKA_' | sort)
  if [ ! -s "$props" ]; then
    cp "$KAFKA_HOME/config/server.properties" "$props"
  fi
}

property() { sed -n "s/^$1=//p" "$props" | tail -n 1; }

format_storage_once() {
  local dirs first
  dirs=$(property log.dirs)
  [ -n "$dirs" ] || dirs=$(property log.dir)
  first=${dirs%%,*}
  if [ -n "$first" ] && [ -f "$first/meta.properties" ]; then
    return
  fi
  local id=${CLUSTER_ID:-}
  if [ -z "$id" ]; then
    id=$("$KAFKA_HOME/bin/kafka-storage.sh" random-uuid)
    echo "entrypoint: CLUSTER_ID not set; formatting with a random cluster id $id" >&2
  fi
  # -g: a directory formatted by an earlier start is left alone.
  "$KAFKA_HOME/bin/kafka-storage.sh" format -t "$id" -c "$props" -g
}

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
write_properties
format_storage_once
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$props"

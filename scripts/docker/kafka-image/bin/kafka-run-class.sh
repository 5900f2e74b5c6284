#!/bin/bash
# Runs a Java class with the Kafka jars on the class path (a small stand-in for the release's script).
# Honours KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS and KAFKA_OPTS.
set -euo pipefail
KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
if [ "$#" -lt 1 ]; then
  echo "usage: kafka-run-class.sh CLASS [ARGS...]" >&2
  exit 1
fi
heap=${KAFKA_HEAP_OPTS:--Xmx256M}
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$KAFKA_HOME/config/tools-log4j2.yaml}
perf=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true}
# shellcheck disable=SC2086 # the *_OPTS variables hold several words on purpose
exec java $heap $perf $log4j ${KAFKA_OPTS:-} -cp "$KAFKA_HOME/libs/*" "$@"

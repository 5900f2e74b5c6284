#!/bin/bash
# Starts the broker with a server.properties file.
set -euo pipefail
KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512M -Xms512M}
export KAFKA_LOG4J_OPTS=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$KAFKA_HOME/config/log4j2.yaml}
exec "$KAFKA_HOME/bin/kafka-run-class.sh" kafka.Kafka "$@"

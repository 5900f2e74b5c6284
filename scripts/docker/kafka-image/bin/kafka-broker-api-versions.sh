#!/bin/bash
# Same path as in the official image, so a compose health check works with either image.
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"

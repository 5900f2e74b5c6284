#!/usr/bin/env bash
# Fetches the pinned Apache Kafka jars (see scripts/kafka/pom.xml) with Maven into a cache folder.
# Usage: scripts/kafka-fetch.sh [DEST]   (default: $VI_KAFKA_HOME or ~/.cache/volatility-insight/kafka-<version>)
# Re-runs are cheap: Maven keeps its own local repository, and a complete DEST is left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")
dest=${1:-${VI_KAFKA_HOME:-$HOME/.cache/volatility-insight/kafka-$version}}
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi
command -v mvn >/dev/null || { echo "kafka-fetch: Maven (mvn) is not installed; install it (e.g. apt-get install maven) and retry" >&2; exit 1; }
command -v java >/dev/null || { echo "kafka-fetch: Java 17+ is not installed; install a JRE 17 or newer and retry" >&2; exit 1; }
mkdir -p "$dest/libs"
mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$dest/libs" -DincludeScope=runtime >&2
cp "$here/kafka/log4j2.yaml" "$dest/log4j2.yaml"
echo "$version" > "$dest/version"
touch "$dest/.complete"
echo "$dest"

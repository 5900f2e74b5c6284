#!/usr/bin/env bash
# Builds a local Kafka image that behaves like the official apache/kafka one (same KAFKA_* variables,
# same /opt/kafka/bin/kafka-broker-api-versions.sh health check), with no registry: a Debian
# bookworm root filesystem from mmdebstrap with a Java 17 JRE, plus the Maven jars that
# scripts/kafka-fetch.sh fetches, imported with `docker import`.
# Usage: scripts/docker/build-kafka-image.sh [--force] [TAG]   (default TAG: volatility-insight/kafka:<version>-local)
# Needs: root, mmdebstrap, a reachable Docker engine (DOCKER_HOST), Maven + Java for the jar fetch.
# Prints the tag on stdout; progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scripts=$(dirname "$here")
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$scripts/kafka/pom.xml")

force=0
tag=""
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-kafka-image: unknown option $arg" >&2; exit 2 ;;
    *) tag=$arg ;;
  esac
done
tag=${tag:-volatility-insight/kafka:$version-local}

if [ "$force" = 0 ] && timeout 30 docker image inspect "$tag" >/dev/null 2>&1; then
  echo "build-kafka-image: $tag exists (use --force to rebuild)" >&2
  echo "$tag"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "build-kafka-image: mmdebstrap is not installed (apt-get install mmdebstrap)" >&2; exit 1; }
timeout 30 docker info >/dev/null 2>&1 || { echo "build-kafka-image: the Docker engine does not answer (DOCKER_HOST=${DOCKER_HOST:-unset})" >&2; exit 1; }

started=$(date +%s)
kafka_home=$(bash "$scripts/kafka-fetch.sh")
work=$(mktemp -d /tmp/vi-kafka-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "build-kafka-image: bootstrapping Debian bookworm with openjdk-17-jre-headless" >&2
# Docs, man pages and translations are left out: with the vfs storage driver every container
# start copies the whole image, so its size is start-up time. The JRE's postinst links its man
# page into man1, so that directory must exist.
timeout 900 mmdebstrap --variant=minbase --include=openjdk-17-jre-headless \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='chroot "$1" useradd --uid 1000 --create-home --home-dir /home/appuser --shell /bin/bash appuser' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$rootfs" >&2

echo "build-kafka-image: adding Kafka $version jars and scripts" >&2
install -d "$rootfs/opt/kafka/libs" "$rootfs/opt/kafka/bin" "$rootfs/opt/kafka/config" "$rootfs/var/lib/kafka/data"
cp "$kafka_home"/libs/*.jar "$rootfs/opt/kafka/libs/"
install -m 0755 "$here"/kafka-image/bin/*.sh "$rootfs/opt/kafka/bin/"
install -m 0755 "$here/kafka-image/entrypoint.sh" "$rootfs/opt/kafka/entrypoint.sh"
install -m 0644 "$kafka_home/log4j2.yaml" "$rootfs/opt/kafka/config/log4j2.yaml"
install -m 0644 "$here/kafka-image/tools-log4j2.yaml" "$here/kafka-image/server.properties" "$rootfs/opt/kafka/config/"
echo "$version" >"$rootfs/opt/kafka/version"
# A fresh named volume copies the ownership of the directory it is mounted over.
chown -R 1000:0 "$rootfs/var/lib/kafka"
chmod -R ug+w "$rootfs/var/lib/kafka"

echo "build-kafka-image: importing as $tag" >&2
tar -C "$rootfs" --numeric-owner -cf - . | timeout 600 docker import \
  --change 'ENV KAFKA_HOME=/opt/kafka' \
  --change 'ENV PATH=/opt/kafka/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'WORKDIR /opt/kafka' \
  --change 'USER appuser' \
  --change 'EXPOSE 9092' \
  --change 'VOLUME ["/var/lib/kafka/data"]' \
  --change 'ENTRYPOINT ["/opt/kafka/entrypoint.sh"]' \
  --change "LABEL org.opencontainers.image.title=kafka org.opencontainers.image.version=$version volatility-insight.local-build=1" \
  - "$tag" >&2
echo "build-kafka-image: built $tag in $(($(date +%s) - started)) s" >&2
echo "$tag"

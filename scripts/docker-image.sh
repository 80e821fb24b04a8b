#!/usr/bin/env bash
# Builds the Skein container image without reaching any container registry:
#   1. installs the Docker engine (and debootstrap) with apt if they are missing,
#   2. starts dockerd if no engine answers,
#   3. builds a Debian base image (JRE, iproute2, iptables, libfaketime) with debootstrap and
#      `docker import`s it -- cached by a hash of its recipe, so later runs take seconds,
#   4. builds the root Dockerfile with BASE_IMAGE pointing at that base.
# Needs the distribution from `mvn -B -DskipTests package` (cli/target/skein).
# Settings: SKEIN_IMAGE (default skein:dev), DEBIAN_SUITE (bookworm), DEBIAN_MIRROR.
# Nothing is ever pulled: the base is made here and the build runs with --pull=false.
set -euo pipefail
cd "$(dirname "$0")/.."

image="${SKEIN_IMAGE:-skein:dev}"
suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages="openjdk-17-jre-headless,iproute2,iptables,libfaketime,procps,ca-certificates"

log() { echo "docker-image: $*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  log "installing docker.io and debootstrap with apt"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/skein-dockerd.log)"
  as_root sh -c 'nohup dockerd >/var/log/skein-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/skein-dockerd.log"; exit 1; }
fi

# The base image's tag names its recipe, so changing the package list builds a new one.
recipe_hash="$(printf '%s|%s|%s' "$suite" "$packages" "v1" | sha256sum | cut -c1-12)"
base="skein-base:${suite}-${recipe_hash}"
if docker image inspect "$base" >/dev/null 2>&1; then
  log "base image $base is cached"
else
  rootfs="$(mktemp -d /tmp/skein-rootfs.XXXXXX)"
  trap 'as_root rm -rf "$rootfs"' EXIT
  log "debootstrap $suite into $rootfs (about a minute)"
  as_root debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >/dev/null
  as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  log "importing $base"
  as_root tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' - "$base" >/dev/null
fi

if [ ! -x cli/target/skein/bin/skein ]; then
  log "cli/target/skein is missing: run 'mvn -B -DskipTests package' first"
  exit 1
fi
log "building $image on $base"
docker build --pull=false -q --build-arg BASE_IMAGE="$base" -t "$image" . >/dev/null
log "built $image"

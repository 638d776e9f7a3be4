#!/usr/bin/env bash
# ensure-deb.sh COMMAND PACKAGE: install Debian PACKAGE when COMMAND is not on PATH.
# Fails loudly when it cannot: tests never skip a missing component.
set -euo pipefail
cmd=$1 pkg=$2
command -v "$cmd" >/dev/null 2>&1 && exit 0
echo "ensure-deb: $cmd not found; installing Debian package $pkg" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-deb: need root to apt-get install $pkg (or install it yourself)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt-get (a parallel test, a person) may hold the dpkg lock: wait for it.
lock="-o DPkg::Lock::Timeout=600"
if ! apt-get $lock install -y -qq "$pkg" >/dev/null 2>&1; then
  apt-get $lock update -qq >/dev/null
  apt-get $lock install -y -qq "$pkg" >/dev/null
fi
command -v "$cmd" >/dev/null 2>&1 || { echo "ensure-deb: $pkg installed but $cmd still missing" >&2; exit 1; }

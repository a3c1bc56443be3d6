#!/usr/bin/env bash
# Installs the Debian packages shardis needs to build, test and benchmark,
# only when some are missing (so `make` stays fast on a ready machine).
set -euo pipefail

packages=(
  gcc make cmake pkg-config clang libclang-rt-14-dev
  liburing-dev libssl-dev libjemalloc-dev libxxhash-dev liblz4-dev
  libcriterion-dev libhiredis-dev libedit-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  redis-tools redis-server
  procps util-linux openssl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Missing packages (${missing[*]}) and not root: install them with apt-get." >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Debian's redis-server package tries to start its service; in containers
# without systemd that simply does not happen, and tests start their own.
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

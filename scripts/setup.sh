#!/usr/bin/env bash
# Installs everything Veille needs on a fresh Debian machine, then the Python workspace and the
# Kafka jars. Idempotent: a second run only checks. Used by `make setup`, `make demo`, `make test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: $* (run as root, or install them yourself)" >&2
    exit 1
  fi
  if [ -z "${VEILLE_APT_UPDATED:-}" ]; then
    apt-get update -qq
    export VEILLE_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ]; then
  echo "installing Java 17 (the local Kafka broker runs on it)"
  apt_install openjdk-17-jre-headless
fi
if ! command -v mvn >/dev/null; then
  echo "installing Maven (fetches the Kafka jars from Maven Central)"
  apt_install maven
fi
if ! command -v kcat >/dev/null; then
  echo "installing kcat (a non-Python Kafka client, used by the README's examples and a test)"
  apt_install kcat
fi
if [ "${VEILLE_SETUP_BROWSER:-1}" = "1" ] && ! command -v chromium >/dev/null; then
  echo "installing chromium (headless browser for the dashboard tests)"
  apt_install chromium
fi
if ! command -v uv >/dev/null; then
  echo "installing uv"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi

uv sync --frozen --quiet
uv run --frozen veille stack fetch

#!/usr/bin/env bash
# Install Apertium's HTTP server (APy) and the language pairs Parvis routes through,
# from the system's package manager (Debian/Ubuntu). Idempotent: apt-get runs only
# when a package is missing. Source it and call install_apertium, or run it.
#
#   . deploy/install_apertium.sh && install_apertium
#   bash deploy/install_apertium.sh          # same, as a command
#
# PARVIS_APERTIUM_PACKAGES replaces the list of pair packages (space-separated).
# The French pairs all go through Catalan: fra-cat, spa-cat, eng-cat and cat-ita
# make fr|ca|en, en|ca|fr, fr|ca|it... possible. There is no German pair.

APERTIUM_BASE_PACKAGES="apertium apertium-apy"
APERTIUM_PAIR_PACKAGES="apertium-fra-cat apertium-spa-cat apertium-eng-cat apertium-eng-spa \
apertium-fr-es apertium-es-pt apertium-spa-ita apertium-cat-ita apertium-por-cat"

install_apertium() {
  local wanted missing=() pkg sudo=()
  wanted="$APERTIUM_BASE_PACKAGES ${PARVIS_APERTIUM_PACKAGES:-$APERTIUM_PAIR_PACKAGES}"
  for pkg in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_apertium: apt-get not found; install ${missing[*]} yourself" >&2
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "install_apertium: need root or sudo to install ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "install_apertium: apt-get install ${missing[*]}" >&2
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends "${missing[@]}" </dev/null; then
    # the package lists may be missing or stale on a fresh machine
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends "${missing[@]}" </dev/null || return 1
  fi
}

# run as a command (not sourced)
if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  set -eu
  install_apertium
fi

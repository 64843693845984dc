#!/usr/bin/env bash
# Installs the system libraries the GUI and its headless tests need (Qt xcb, Mesa, Xvfb).
# As root on Debian/Ubuntu it installs what is missing; otherwise it prints the apt line.
set -euo pipefail
missing=()
for pkg in "$@"; do
    # Package names differ across releases (libxt6 vs libxt6t64): skip ones apt doesn't know.
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "Not a Debian-like system: install the equivalents of: ${missing[*]}" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages. Run:  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
apt-get update -qq
known=()
for pkg in "${missing[@]}"; do
    apt-cache show "$pkg" >/dev/null 2>&1 && known+=("$pkg")
done
[ ${#known[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${known[@]}"

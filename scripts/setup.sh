#!/usr/bin/env bash
# Installs what nianbao needs on a fresh Debian machine, then the package itself (editable, with test extras).
# Safe to run again: every step checks first. Needs root (or sudo) only for the apt step.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
command -v soffice >/dev/null 2>&1 || apt_packages+=(libreoffice-writer-nogui)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || apt_packages+=(fonts-noto-cjk)
if [ ${#apt_packages[@]} -gt 0 ]; then
    echo "setup: installing ${apt_packages[*]} from Debian"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# The PostgreSQL tests need the local server; start it when it is installed but stopped.
if command -v pg_lsclusters >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

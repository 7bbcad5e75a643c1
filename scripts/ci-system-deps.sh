#!/usr/bin/env bash
# Debian packages the tests need: the arm64 layer verification (`python -m layers verify --arch arm64`) —
# qemu-user-static runs an aarch64 Python on this x86_64 host, debootstrap fetches the Debian roots it runs from —
# and chromium, the headless browser the HTML report is opened in (tests/e2e/test_html_report.py; CI never skips it).
# Idempotent and quiet: does nothing when all are installed; prints apt's output only if it fails. Needs root.
set -euo pipefail

packages=(qemu-user-static debootstrap debian-archive-keyring chromium)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "ci-system-deps: root is needed to install ${missing[*]} (sudo bash $0)" >&2
    exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "ci-system-deps: apt-get could not install ${missing[*]}" >&2
    exit 1
fi
echo "ci-system-deps: installed ${missing[*]}" >&2

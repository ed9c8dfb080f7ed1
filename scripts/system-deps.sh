#!/usr/bin/env bash
# Install the Debian packages the checks need when they are missing: Chromium for the browser
# tests, gettext for the translation checks, the PostgreSQL client for backups, and fonts that
# cover Arabic and Chinese for screenshots. Runs as root in CI; elsewhere it says what to install.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh-cn | grep -q .; }; then need+=(fonts-wqy-microhei); fi
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=ar | grep -q .; }; then need+=(fonts-dejavu-core); fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Please install these Debian packages: ${need[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

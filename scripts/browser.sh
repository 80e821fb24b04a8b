#!/usr/bin/env bash
# Makes headless Chromium and its chromedriver available for the web console's browser test
# (cli: ConsoleBrowserTest): installs Debian's chromium and chromium-driver with apt when either
# is missing; does nothing (in well under a second) when both are there.
#
# Usage: scripts/browser.sh [LOG]. Always exits 0: a failed install is written to LOG (default
# cli/target/browser-install.log) and the test then fails naming that file, so the cause shows in
# the test report instead of being hidden by a skipped test or a build stopped before any test.
# Settings: SKEIN_CHROMIUM (default /usr/bin/chromium), SKEIN_CHROMEDRIVER (/usr/bin/chromedriver).
set -uo pipefail
cd "$(dirname "$0")/.."

log_file="${1:-cli/target/browser-install.log}"
chromium="${SKEIN_CHROMIUM:-/usr/bin/chromium}"
driver="${SKEIN_CHROMEDRIVER:-/usr/bin/chromedriver}"
mkdir -p "$(dirname "$log_file")"

if [ -x "$chromium" ] && [ -x "$driver" ]; then
  echo "browser: $chromium and $driver present" >"$log_file"
  exit 0
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else
  echo "not root and no sudo: cannot run $*"; return 1; fi; }

echo "browser: installing chromium and chromium-driver with apt (log: $log_file)" >&2
{
  echo "browser: $chromium or $driver missing; installing chromium chromium-driver"
  # A fresh machine has no package lists yet; update once, then install.
  as_root apt-get update -q &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver
  echo "apt-get exit status: $?"
} >"$log_file" 2>&1

if [ -x "$chromium" ] && [ -x "$driver" ]; then
  echo "browser: installed $("$chromium" --version 2>/dev/null)" | tee -a "$log_file" >&2
else
  echo "browser: FAILED to install chromium/chromium-driver; see $log_file" | tee -a "$log_file" >&2
fi
exit 0

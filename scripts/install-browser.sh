#!/usr/bin/env bash
# Debian's chromium and chromedriver, for the recruiter page's browser test
# (tests/integration/test_web_view_browser.py). Idempotent: nothing to do when both are installed.
# Needs apt-get and root or password-less sudo; without them it only warns, and that test skips
# saying why. Debian's packages, not a downloaded build: the driver always matches the browser.
set -euo pipefail

warn() { echo "install-browser: $*; the browser test will be skipped" >&2; exit 0; }

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || warn "no apt-get: install chromium and chromedriver yourself"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  warn "not root and no password-less sudo: run 'sudo apt-get install chromium chromium-driver'"
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq || warn "apt-get update failed"
"${SUDO[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null \
  || warn "apt-get install chromium chromium-driver failed"
{ chromium --version && chromedriver --version; } || warn "installed, but chromium or chromedriver does not run"

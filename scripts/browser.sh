#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the browser tests (tests/web, marker `browser`),
# idempotently. Needs root (apt-get). Everything goes to stderr; prints the two paths found.
set -euo pipefail
say() { echo "browser.sh: $*" >&2; }

need_install=()
command -v chromium >/dev/null 2>&1 || need_install+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_install+=(chromium-driver)
if ((${#need_install[@]})); then
    say "installing ${need_install[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${need_install[@]}" >&2
fi
say "$(chromium --version 2>/dev/null || echo 'chromium: version unknown'); $(chromedriver --version 2>/dev/null | head -1)"

#!/usr/bin/env bash
# Idempotent set-up: Debian packages the project needs, then .venv with an
# editable install. Safe to run again; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# sip-tester (sipp), kamailio: real SIP peers for the SIP adapter tests (issue 3);
# sox, espeak-ng: test audio and the AMD corpus generator (issue 4); flite, festival
# and its voices: the corpus's held-out "other voices" family; chromium: the browser
# tests of the web UI and widget (issue 6, driven by Playwright through
# executable_path; Playwright's own browser download is never used).
APT_PACKAGES=(python3-venv sip-tester kamailio sox libsox-fmt-all espeak-ng
  flite festival festvox-ru festvox-kallpc8k festvox-us-slt-hts chromium)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    # python3-venv is only needed when the interpreter cannot make a venv.
    if [[ $p == python3-venv ]] && python3 -c 'import ensurepip, venv' 2>/dev/null; then
      continue
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/pip install -q -e '.[dev,piper]'
  touch "$stamp"
fi

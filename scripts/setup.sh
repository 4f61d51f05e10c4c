#!/usr/bin/env bash
# Installs the Debian 12 packages Accord needs, only those that are missing.
# Idempotent and non-interactive; safe to run on every build.
#   scripts/setup.sh            build and test dependencies
#   scripts/setup.sh --browser  also chromium + chromedriver for the review-page browser test,
#                               and Khmer, Thai and Chinese fonts so its screenshot shows glyphs
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libsqlite3-dev sqlite3
  libcurl4-openssl-dev
  libcpprest-dev libssl-dev openssl
  libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libzstd-dev libutf8proc-dev libsodium-dev
  clang-14 libfuzzer-14-dev
)
if [[ "${1:-}" == "--browser" ]]; then
  packages+=(chromium chromium-driver python3-selenium fonts-khmeros fonts-thai-tlwg fonts-noto-cjk)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

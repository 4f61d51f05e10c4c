#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo (scripts/demo_nodes.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target accord
exec bash scripts/demo_nodes.sh

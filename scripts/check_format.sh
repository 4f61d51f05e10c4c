#!/usr/bin/env bash
# Fails when a C++ file differs from .clang-format's layout; prints which.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r file; do
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
    echo "format: $file needs clang-format -i"
    bad=1
  fi
done < <(git ls-files '*.cc' '*.h')
exit $bad

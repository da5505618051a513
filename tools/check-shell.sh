#!/usr/bin/env bash
# lint.shellcheck: ShellCheck over every shell script of the project (tools/
# and tests/), following what they source (-x).
#   tools/check-shell.sh [SOURCE_ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd -P)}
cd "$root"
command -v shellcheck >/dev/null || { echo "FAIL: shellcheck not found (Debian package shellcheck)"; exit 1; }
mapfile -t files < <({ echo tools/keel; find tools tests .ci -type f \( -name '*.sh' -o -name run \); } | sort -u)
shellcheck -x "${files[@]}"
echo "ok: ${#files[@]} scripts pass shellcheck"

#!/usr/bin/env bash
# lint.cfg-keys: the keel.cfg keys are written in three places, and this
# check makes them agree: the parser's table (boot/config.c, config_keys[]:
# the one that counts), the launcher's --help (tools/keel,
# KEEL_CFG_GLOBAL_KEYS and KEEL_CFG_VM_KEYS) and docs/config.md (the tables
# under "Global keys" and "VM keys").  Each key must appear in all three, in
# the same scope (global or per VM).
#   tools/check-cfg-keys.sh [SOURCE_ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd -P)}

# 'scope key' lines, sorted, from each source.
from_parser() {
    sed -nE 's/^[[:space:]]*\[K_[A-Z0-9_]+\] = \{ "([a-z0-9_]+)", (true|false),.*/\2 \1/p' \
        "$root/boot/config.c" | sed -e 's/^true /vm /' -e 's/^false /global /' | sort
}
from_launcher() {
    awk '/^KEEL_CFG_GLOBAL_KEYS=\(/ { s = "global"; next }
         /^KEEL_CFG_VM_KEYS=\(/ { s = "vm"; next }
         /^\)/ { s = "" }
         s != "" && match($0, /^ *"[a-z0-9_]+/) { k = substr($0, RSTART, RLENGTH); gsub(/[ "]/, "", k); print s, k }' \
        "$root/tools/keel" | sort
}
from_docs() {
    awk '/^## Global keys/ { s = "global"; next }
         /^## VM keys/ { s = "vm"; next }
         /^## / { s = "" }
         s != "" && /^\| `[a-z0-9_]+` \|/ { k = $2; gsub(/[`]/, "", k); print s, k }' \
        "$root/docs/config.md" | sort
}

parser=$(from_parser)
[[ $(wc -l <<<"$parser") -ge 10 ]] || { echo "FAIL: found only $(wc -l <<<"$parser") keys in boot/config.c: has its table changed shape?"; exit 1; }
rc=0
for src in launcher docs; do
    if [[ $src == launcher ]]; then other=$(from_launcher); else other=$(from_docs); fi
    d=$(diff <(echo "$parser") <(echo "$other") || true)
    if [[ -n $d ]]; then
        echo "FAIL: keel.cfg keys differ between boot/config.c (<) and the $src (>):"
        echo "$d" | grep '^[<>]'
        rc=1
    fi
done
((rc)) || echo "ok: $(wc -l <<<"$parser") keel.cfg keys agree in boot/config.c, tools/keel and docs/config.md"
exit "$rc"

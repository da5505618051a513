#!/usr/bin/env bash
# shellcheck disable=SC2016 # check() takes a condition, evaluated after the run
# tools.stall: `tools/keel run --stall` stops a machine whose serial console
# has gone silent (a hang) with status 124 and says so, and lets a slow
# machine that keeps printing run past the stall window to its own end.
# The emulator is a fake qemu-system-x86_64 on PATH that prints lines at a
# set pace and then hangs or exits as QEMU's isa-debug-exit would.
# Prints one line per check and ends with 'N passed, N failed'.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
unset KEEL_ACCEL_QUIET KEEL_STALL   # the caller's (tools/keel test's) environment
PASS=0 FAIL=0
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/build/boot"
: >"$WORK/build/boot/keel.efi"
: >"$WORK/code.fd"
: >"$WORK/vars.fd"
# The fake QEMU: FAKE_LINES lines, one every FAKE_PACE seconds, then either
# hangs (FAKE_END=hang) or ends as Keel's debug-exit write of 0 makes QEMU
# end (exit code 1, after 'keel: all VMs ended, status 0').
cat >"$WORK/bin/qemu-system-x86_64" <<'EOF'
#!/usr/bin/env bash
for ((i = 0; i < FAKE_LINES; i++)); do echo "fake line $i"; sleep "$FAKE_PACE"; done
if [[ $FAKE_END == hang ]]; then exec sleep 1000; fi
echo "keel: all VMs ended, status 0"
exit 1
EOF
chmod +x "$WORK/bin/qemu-system-x86_64"

check() {
    if eval "$2"; then PASS=$((PASS + 1)); echo "ok   $1"
    else FAIL=$((FAIL + 1)); echo "FAIL $1 (status $rc, $((t1 - t0)) s): $(tail -n 3 "$WORK/err" | tr '\n' '|')"; fi
}
fake_run() {   # fake_run LINES PACE END RUN-OPTIONS...
    local -a env=("FAKE_LINES=$1" "FAKE_PACE=$2" "FAKE_END=$3" PATH="$WORK/bin:$PATH" KEEL_NO_DEPS=1
                  KEEL_BUILD_DIR="$WORK/build" KEEL_OVMF_CODE="$WORK/code.fd" KEEL_OVMF_VARS="$WORK/vars.fd"
                  KEEL_ACCEL=tcg)
    shift 3
    t0=$SECONDS
    env "${env[@]}" "$ROOT/tools/keel" run --no-build --guest builtin --run-dir "$WORK/run" "$@" \
        </dev/null >"$WORK/out" 2>"$WORK/err"
    rc=$?
    t1=$SECONDS
}

fake_run 2 0.2 hang --stall 3 --timeout 120
check "a silent machine is stopped with status 124" '((rc == 124))'
check "... within the stall window, long before --timeout" '((t1 - t0 < 30))'
check "... and the launcher says it made no progress" 'grep -q "no progress: the serial console was silent for 3 s" "$WORK/err"'
fake_run 6 1 exit --stall 3 --timeout 120
check "a machine that keeps printing runs past the stall window to its end" '((rc == 0))'
check "... without a no-progress message" '! grep -q "no progress" "$WORK/err"'
fake_run 2 0.2 hang --timeout 4
check "without --stall, --timeout still bounds the run" '((rc == 124)) && grep -q "timed out after 4 s" "$WORK/err"'
fake_run 0 0 exit --stall x
check "--stall wants a number" '((rc == 126)) && grep -q -- "--stall wants a number" "$WORK/err"'

echo "$PASS passed, $FAIL failed"
((FAIL == 0))

# shellcheck shell=bash
# Driving a guest's console over QEMU's serial line, for the tests that type
# into it: Keel's console is COM2 (keel.cfg console = com2), a QEMU pipe
# chardev; the test writes to $PIPE.in and reads $PIPE.out into $CON (CRs
# removed).  Sourced after lib.sh.  Waits fail on lack of progress (no new
# console output for STALL seconds, or MAX_LINES lines without the awaited
# one), never on a wall clock.
PIPE=$TEST_DIR/con
CON=$TEST_DIR/console.log
STALL=${KEEL_TEST_CONSOLE_STALL:-60}
MAX_LINES=${MAX_LINES:-3000}

# console_start RUN-OPTIONS...: starts the reader and the run (keel_run in
# the background, RUNNER; its status goes to $TEST_DIR/status), then opens
# the input side as fd W.
console_start() {
    mkfifo "$PIPE.in" "$PIPE.out" || { echo "FAIL: mkfifo"; exit 1; }
    : >"$CON"
    # QEMU opens both FIFOs read-write, so neither side blocks on the other.
    stdbuf -o0 tr -d '\r' <"$PIPE.out" >"$CON" &
    READER=$!
    ( keel_run "$@" --set console=com2 \
          --qemu-arg -chardev --qemu-arg "pipe,id=con,path=$PIPE" \
          --qemu-arg -serial --qemu-arg chardev:con --qemu-arg -pidfile --qemu-arg "$TEST_DIR/qemu.pid" \
          --stall 0
      echo "$STATUS" >"$TEST_DIR/status" ) &
    RUNNER=$!
    trap console_stop_all EXIT
    exec {W}>"$PIPE.in"
}

# On a failure: end the machine (QEMU's own pid file); the launcher then
# returns by itself.
# shellcheck disable=SC2317 # called through the EXIT trap
console_stop_all() {
    [[ -s $TEST_DIR/qemu.pid ]] && kill "$(<"$TEST_DIR/qemu.pid")" 2>/dev/null
    wait "$RUNNER" 2>/dev/null
    kill "$READER" 2>/dev/null
}

# console_end: waits for the run to end by itself; STATUS is its status.
console_end() {
    wait "$RUNNER"
    STATUS=$(cat "$TEST_DIR/status" 2>/dev/null)
    trap - EXIT
    sleep 1
    kill "$READER" 2>/dev/null
}

# lines: how many lines the console log has now.
lines() { wc -l <"$CON"; }

# wait_for REGEX [FROM]: a line after line FROM (default 0) matches REGEX
# (the last line may be incomplete: a prompt).
wait_for() {
    local re=$1 from=${2:-0} size last_size=-1 quiet=0
    while :; do
        if tail -n "+$((from + 1))" "$CON" | grep -qE -- "$re"; then
            return 0
        fi
        if (($(lines) - from > MAX_LINES)); then
            fail "no line matching '$re' in $MAX_LINES lines"
            return 1
        fi
        size=$(stat -c %s "$CON")
        if ((size == last_size)); then
            quiet=$((quiet + 1))
            if ((quiet >= STALL * 2)); then
                fail "no line matching '$re': the console was silent ${STALL} s"
                return 1
            fi
        else
            quiet=0
            last_size=$size
        fi
        kill -0 "$RUNNER" 2>/dev/null || {
            tail -n "+$((from + 1))" "$CON" | grep -qE -- "$re" && return 0
            fail "no line matching '$re': the machine stopped"
            return 1
        }
        sleep 0.5
    done
}

# send TEXT: types TEXT (printf %b escapes) into the serial line.
send() { printf '%b' "$1" >&"$W"; }

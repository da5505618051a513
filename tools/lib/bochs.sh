# shellcheck shell=bash
# `tools/keel run --platform bochs-vmx`: boots Keel in Bochs (Intel VMX with
# EPT and APICv) with OVMF.  Sourced by tools/lib/run.sh; run_main lays out the
# ESP and keel.cfg, this file writes the bochsrc, runs Bochs and reads the
# outcome from the serial log.  Measured facts: docs/testing.md, "Bochs".
#
# A Bochs run directory holds, beside the ESP and serial.log:
#   bochsrc          the Bochs configuration
#   bochs.rc         debugger commands: `c` (Debian's Bochs has the internal
#                    debugger built in and would otherwise stop at the first
#                    instruction and wait for a command)
#   ovmf.rom         OVMF_VARS.fd + OVMF_CODE.fd (2 MiB), mapped at 0xffe00000
#   com1.out         COM1 as Bochs writes it (raw; serial.log is it cleaned)
#   bochs.cmd        the command line, ready to paste
#   bochs.out        Bochs' stdout (the debugger), bochs.err its stderr,
#                    bochs.log its log (CPUID dump, panics, VMX failures)
#
# Bochs has no exit status worth reading (1 for a power-off, for the shutdown
# port and for a bad bochsrc alike): the run's status comes from Keel's final
# serial line, 'keel: all VMs ended, status S', after which Keel (keel.cfg
# `bochs_exit = yes`) writes "Shutdown" to port 0x8900 and Bochs exits.

# The 2 MiB OVMF pair (Bochs refuses the _4M pair: "ROM image too large").
readonly KEEL_BOCHS_OVMF_CODE=${KEEL_BOCHS_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}
readonly KEEL_BOCHS_OVMF_VARS=${KEEL_BOCHS_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS.fd}
readonly KEEL_BOCHS_VGABIOS=/usr/share/vgabios/vgabios.bin
# Bochs CPU models with VMX, EPT and APIC virtualization; the first is the default.
readonly KEEL_BOCHS_MODELS=(corei7_skylake_x corei7_icelake_u tigerlake)
# Bochs CPU models with SVM (bochs-svm): ryzen has nested paging, nRIP,
# flush-by-ASID and the pause filter, no AVIC: the path real AMD CPUs take
# for instruction lengths (nRIP), which QEMU's TCG lacks.
readonly KEEL_BOCHS_SVM_MODELS=(ryzen)
# Instructions per emulated second.  With `clock: sync=none` emulated time is
# the instruction count divided by this, so a run is the same every time; at
# Bochs' ~100M instructions/s an emulated second takes about 2 s.
readonly KEEL_BOCHS_IPS=200000000
readonly KEEL_BOCHS_HOST_MIB_MAX=2048   # Bochs' limit for host-allocated RAM
# Emulated wall-clock at power-on (2024-01-01 00:00 UTC): the RTC reads the
# same in every run.
readonly KEEL_BOCHS_TIME0=1704067200

# The Bochs binary: Debian's is bochs-bin (bochs is a wrapper adding -q).
bochs_binary() {
    command -v bochs-bin || command -v bochs
}

# Prints what a bochs-vmx run needs and does not find, one item a line;
# nothing when everything is there (tools/keel bench skips Bochs otherwise).
bochs_missing() {
    bochs_binary >/dev/null || echo "bochs-bin (Debian package bochs)"
    [[ -f $KEEL_BOCHS_OVMF_CODE ]] || echo "$KEEL_BOCHS_OVMF_CODE (Debian package ovmf)"
    [[ -f $KEEL_BOCHS_OVMF_VARS ]] || echo "$KEEL_BOCHS_OVMF_VARS (Debian package ovmf)"
    [[ -f $KEEL_BOCHS_VGABIOS ]] || echo "$KEEL_BOCHS_VGABIOS (Debian package vgabios)"
    return 0
}

# Prints the prefix that runs Bochs in a network namespace of its own, when
# unshare allows it: Bochs' RFB display listens on TCP port 5900 (or the next
# free one) on every interface, without a password; in a fresh namespace it
# listens on nothing reachable, and parallel runs cannot collide on the port.
bochs_isolation() {
    if unshare --net true 2>/dev/null; then
        echo "unshare --net"
    elif unshare --map-root-user --net true 2>/dev/null; then
        echo "unshare --map-root-user --net"
    fi
}

# The CPU models of PLATFORM (bochs-vmx, bochs-svm), the default first.
bochs_models() {
    if [[ $1 == bochs-svm ]]; then
        printf '%s\n' "${KEEL_BOCHS_SVM_MODELS[@]}"
    else
        printf '%s\n' "${KEEL_BOCHS_MODELS[@]}"
    fi
}

# bochs_model_ok MODEL [PLATFORM]: MODEL is a model of PLATFORM (default
# bochs-vmx).
bochs_model_ok() {
    bochs_models "${2:-bochs-vmx}" | grep -qxF -- "$1"
}

# Writes DIR/bochsrc, DIR/bochs.rc and DIR/ovmf.rom.
#   bochs_prepare DIR CPUS MACHINE_MIB MODEL [EXTRA_LINE...]
bochs_prepare() {
    local dir=$1 cpus=$2 mib=$3 model=$4 host line
    shift 4
    host=$mib
    ((host <= KEEL_BOCHS_HOST_MIB_MAX)) || host=$KEEL_BOCHS_HOST_MIB_MAX
    cat -- "$KEEL_BOCHS_OVMF_VARS" "$KEEL_BOCHS_OVMF_CODE" >"$dir/ovmf.rom" 2>/dev/null || true
    echo c >"$dir/bochs.rc"
    {
        echo "# Keel on Bochs: written by tools/keel run (platform bochs-vmx or bochs-svm)"
        echo "# Run by hand: see bochs.cmd beside this file."
        echo "cpu: model=$model, count=$cpus, ips=$KEEL_BOCHS_IPS, reset_on_triple_fault=0"
        # Above host=, Bochs keeps guest RAM in a swap file (slow, but works).
        echo "memory: guest=$mib, host=$host"
        echo "clock: sync=none, time0=$KEEL_BOCHS_TIME0"
        echo "romimage: file=\"$dir/ovmf.rom\", address=0xffe00000"
        echo "vgaromimage: file=$KEEL_BOCHS_VGABIOS"
        echo "pci: enabled=1, chipset=i440fx"
        # Headless: the RFB (VNC) server with timeout=0 starts without waiting
        # for a client.  Debian's Bochs has no nogui; the other displays need
        # X (x, sdl, wx) or take over the terminal (term).
        echo "display_library: rfb, options=\"timeout=0\""
        echo "ata0-master: type=disk, mode=vvfat, path=\"$dir/esp\""
        echo "boot: disk"
        echo "com1: enabled=1, mode=file, dev=\"$dir/com1.out\""
        # Without these, Bochs opens ALSA, which aborts ('buffer overflow
        # detected') on a machine with no sound card.
        echo "speaker: enabled=0"
        echo "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy"
        # A panic (a triple fault, with reset_on_triple_fault=0) ends Bochs
        # instead of asking on the terminal.
        echo "panic: action=fatal"
        echo "log: \"$dir/bochs.log\""
        for line; do
            echo "$line"
        done
    } >"$dir/bochsrc"
}

# Bochs' own last words ('Bochs is exiting with the following message:' and
# the line after it, such as '[ACPI  ] ACPI control: soft power off').
bochs_exit_message() {
    sed -n '/^Bochs is exiting with the following message:/{n;p;q}' -- "$1" 2>/dev/null |
        sed -E 's/^\[[A-Z0-9 ]+\] //'
}

# Runs Bochs for a prepared run directory, streaming COM1 (cleaned) to stdout,
# DIR/serial.log and LOG (if not empty).  Stops Bochs on timeout, on Ctrl-C,
# 1 s after 'keel: returning to the firmware' (OVMF would go on into the UEFI
# Shell, whose startup.nsh powers off after a 5 s countdown: ~10 s more), and
# 10 s after 'keel: all VMs ended' if Bochs is still running then (keel.cfg
# without bochs_exit), and when COM1 has been silent for STALL seconds (0:
# never; see progress_watch in run.sh).  Sets BOCHS_RC (the exit code of
# timeout(1) around Bochs), BOCHS_STOPPED (firmware|ended|interrupted, or
# empty).
#   bochs_run DIR TIMEOUT LOG STALL CMD...
bochs_run() {
    local dir=$1 limit=$2 log=$3 stall=$4 bpid tpid ended_at='' wpid=''
    shift 4
    BOCHS_RC=0
    BOCHS_STOPPED=''
    rm -f -- "$dir/com1.out"
    # timeout(1) without --foreground puts itself and Bochs into a process
    # group of their own (so a Ctrl-C on the terminal reaches only this
    # launcher) and kills the whole group when the time is up.
    timeout -k 5 "$limit" "$@" </dev/null >"$dir/bochs.out" 2>"$dir/bochs.err" &
    bpid=$!
    # tail -F waits for Bochs to create com1.out and ends after Bochs does.
    tail -n +1 -s 0.2 -F --pid="$bpid" -- "$dir/com1.out" 2>/dev/null |
        clean_serial | tee "$dir/serial.log" ${log:+"$log"} &
    tpid=$!
    rm -f -- "$dir/stalled"
    if ((stall > 0)); then
        progress_watch "$stall" "$dir/serial.log" "$bpid" "$dir/stalled" &
        wpid=$!
    fi
    # shellcheck disable=SC2064 # bpid is meant to be expanded now
    trap "BOCHS_STOPPED=interrupted; kill -TERM $bpid 2>/dev/null || true" INT TERM HUP
    while kill -0 "$bpid" 2>/dev/null; do
        if [[ -z $BOCHS_STOPPED ]] &&
           grep -qE "${KEEL_LINE}keel: returning to the firmware" -- "$dir/serial.log" 2>/dev/null; then
            sleep 1 || true
            BOCHS_STOPPED=firmware
            kill -TERM "$bpid" 2>/dev/null || true
        fi
        if [[ -z $BOCHS_STOPPED && -z $ended_at ]] &&
           grep -qE "${KEEL_LINE}keel: all VMs ended" -- "$dir/serial.log" 2>/dev/null; then
            ended_at=$SECONDS
        fi
        if [[ -z $BOCHS_STOPPED && -n $ended_at ]] && ((SECONDS - ended_at >= 10)); then
            BOCHS_STOPPED=ended
            kill -TERM "$bpid" 2>/dev/null || true
        fi
        sleep 0.25 || true   # a Ctrl-C ends it early (and set -e must not end us)
    done
    # wait returns early when a trapped signal arrives: wait until Bochs is gone.
    BOCHS_RC=0
    wait "$bpid" || BOCHS_RC=$?
    while kill -0 "$bpid" 2>/dev/null; do
        BOCHS_RC=0
        wait "$bpid" || BOCHS_RC=$?
    done
    wait "$tpid" 2>/dev/null || true
    if [[ -n $wpid ]]; then wait "$wpid" 2>/dev/null || true; fi
    # The Shell's countdown line has no newline: end it before our messages.
    if [[ -s $dir/serial.log && -n $(tail -c 1 -- "$dir/serial.log") ]]; then
        echo
    fi
    trap - INT TERM HUP
    rm -f -- "$dir"/esp/vvfat.dir.* 2>/dev/null || true   # a killed Bochs' redolog
}

# Maps the outcome of bochs_run and the serial log to the run's status, with a
# message on stderr for everything but a guest status.
#   bochs_classify ELAPSED TIMEOUT DIR
bochs_classify() {
    local elapsed=$1 limit=$2 dir=$3 log=$3/serial.log s msg rc=$BOCHS_RC
    firmware_status "$log"
    if [[ -n $FIRMWARE_STATUS ]]; then
        return "$FIRMWARE_STATUS"
    fi
    s=$(sed -nE "s/${KEEL_LINE}keel: all VMs ended, status ([0-9]+).*/\\2/p" -- "$log" | tail -n 1)
    if [[ -n $s ]]; then
        if [[ $BOCHS_STOPPED == ended ]]; then
            warn "Bochs did not end by itself after Keel's last line; stopped it (is 'bochs_exit = yes' in keel.cfg?)"
        fi
        return "$s"
    fi
    if [[ $BOCHS_STOPPED == interrupted ]]; then
        say "interrupted"
        return 130
    fi
    if stalled_run "$dir"; then
        return "$KEEL_EXIT_TIMEOUT"
    fi
    if ((rc == 124 || (rc == 137 && elapsed >= limit))); then
        say "timed out after ${limit} s: the machine was still running; stopped it (status 124)"
        say "no 'keel: all VMs ended' line in the log: a VM or Keel hung, or --timeout is too short"
        return "$KEEL_EXIT_TIMEOUT"
    fi
    msg=$(bochs_exit_message "$dir/bochs.err")
    case $msg in
        *'soft power off'*)
            say "the machine powered off without a status from Keel" ;;
        *'Shutdown port'*)
            say "Bochs was shut down through port 0x8900 without a 'keel: all VMs ended' line" ;;
        *'shutdown state'*|*'triple fault'*)
            say "the machine triple-faulted outside any guest: Bochs said '$msg' (see $(pretty_path "$dir/bochs.log"))" ;;
        ?*)
            say "Bochs stopped: $msg (see $(pretty_path "$dir/bochs.err") and bochs.log)" ;;
        *)
            say "Bochs failed (exit code $rc); its messages:"
            grep -E '^[0-9]*[ep]\[|^\[|rror' -- "$dir/bochs.err" | tail -n 10 | sed 's/^/    /' >&2 || true
            say "command line in $(pretty_path "$dir/bochs.cmd")" ;;
    esac
    return "$KEEL_EXIT_LAUNCHER"
}

# shellcheck shell=bash
# `tools/keel run`, the helpers: sizes, the run directory, the serial
# stream, the progress watchdog and the run's status.  The command itself,
# step by step, is tools/lib/run_cmd.sh.  Sourced by tools/keel after
# tools/lib/common.sh.
#
# A run directory (fresh under build/runs/, or --run-dir) holds:
#   esp/EFI/BOOT/BOOTX64.EFI   copy of build/boot/keel.efi
#   esp/EFI/BOOT/keel.cfg      the configuration (paths in it are relative to
#                              keel.efi's directory, so guests sit beside it)
#   esp/EFI/BOOT/<guest, modules, --file copies>
#   esp/startup.nsh            `reset -s` for the UEFI Shell (see below)
#   serial.log                 the serial console, ANSI escapes and CRs removed
#   qemu-svm:  OVMF_VARS.fd    this run's copy of the UEFI variable store
#              qemu.cmd        the emulator command line, ready to paste
#              qemu.err, qemu.log  QEMU's stderr and its `-d cpu_reset` log
#   bochs-vmx: bochsrc, bochs.cmd, com1.out, bochs.* (see tools/lib/bochs.sh)
#
# When keel.efi returns to the firmware, OVMF boots its next boot option, the
# built-in UEFI Shell, which runs startup.nsh from the ESP after a 5 s
# countdown: `reset -s` powers the machine off and, with -no-reboot, QEMU
# exits by itself (measured: about 9 s from start with a trivial app).  Bochs
# powers off on it too (ACPI soft power-off), but the launcher stops Bochs as
# soon as Keel says it returns, as the countdown takes 10 s there.

readonly KEEL_OVMF_CODE=${KEEL_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
readonly KEEL_OVMF_VARS=${KEEL_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
readonly KEEL_RUNS_KEPT=20          # run directories kept under build/runs/
readonly KEEL_DEFAULT_VM_MIB=64     # Keel's default `memory`
# Start of a line of Keel's own (grep -E, sed -E): once Keel owns the machine
# it prefixes its lines with the CPU, as in '[cpu0] keel: took 4 CPUs'.
readonly KEEL_LINE='^(\[cpu[0-9]+\] )?'

# Size such as 64M, 1G, 512K or a byte count -> MiB (rounded up) on stdout.
# Fails on anything else.
size_to_mib() {
    local s=${1^^} n unit
    s=${s%IB}
    s=${s%B}
    [[ $s =~ ^([0-9]+)([KMGT]?)$ ]] || return 1
    n=$((10#${BASH_REMATCH[1]}))
    unit=${BASH_REMATCH[2]}
    case $unit in
        '') echo $(((n + 1048575) / 1048576)) ;;
        K) echo $(((n + 1023) / 1024)) ;;
        M) echo "$n" ;;
        G) echo $((n * 1024)) ;;
        T) echo $((n * 1024 * 1024)) ;;
    esac
}

# Machine memory for a keel.cfg: the VMs' memory (default 64M each) plus 512M
# for Keel and the firmware, at least 1G.  Reads keel.cfg on stdin.  vm0
# always exists; a key without a vmN. prefix belongs to vm0.
machine_memory_for_cfg() {
    local line key val vm mib total=512
    local -A seen=([0]=1) mem=()
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(vm([0-7])\.)?([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]] ||
            continue
        vm=${BASH_REMATCH[2]:-0}
        key=${BASH_REMATCH[3]}
        val=${BASH_REMATCH[4]}
        case $key in
            name|guest|cmdline|module|cpus) seen[$vm]=1 ;;
            memory) seen[$vm]=1; mem[$vm]=$val ;;
        esac
    done
    for vm in "${!seen[@]}"; do
        mib=$KEEL_DEFAULT_VM_MIB
        if [[ -n ${mem[$vm]:-} ]]; then
            mib=$(size_to_mib "${mem[$vm]}") || mib=$KEEL_DEFAULT_VM_MIB
        fi
        total=$((total + mib))
    done
    if ((total <= 1024)); then
        echo 1G
    else
        echo "${total}M"
    fi
}

# Copies a file into the ESP's EFI/BOOT/ under its base name; refuses two
# different files with the same name.
esp_add_file() {
    local src=$1 boot=$2 name
    name=$(basename -- "$src")
    if [[ -e $boot/$name ]]; then
        cmp -s -- "$src" "$boot/$name" && return 0
        die "two different files named '$name' would go to the ESP"
    fi
    cp -- "$src" "$boot/$name" || die "cannot copy $src to the ESP"
}

# Keeps the newest KEEL_RUNS_KEPT run directories under build/runs/.
prune_runs() {
    local runs=$KEEL_BUILD_DIR/runs
    [[ -d $runs ]] || return 0
    local -a old
    mapfile -t old < <(find "$runs" -mindepth 1 -maxdepth 1 -type d -name 'run.*' \
                           -printf '%T@ %p\n' | sort -rn | tail -n +$((KEEL_RUNS_KEPT + 1)) |
                       cut -d' ' -f2-)
    ((${#old[@]} == 0)) || rm -rf -- "${old[@]}"
}

# Makes DIR an empty run directory.  An existing DIR must be empty or a
# previous run directory (it holds .keel-run), so that a typo cannot wipe
# anything else.
prepare_run_dir() {
    local dir=$1
    if [[ -e $dir ]]; then
        [[ -d $dir ]] || die "--run-dir $dir exists and is not a directory"
        if [[ -n $(ls -A -- "$dir") && ! -f $dir/.keel-run ]]; then
            die "--run-dir $dir is not empty and is not a previous run directory"
        fi
        rm -rf -- "$dir"
    fi
    mkdir -p -- "$dir" || die "cannot create $dir"
    : >"$dir/.keel-run"
}

# Removes ANSI escape sequences (OVMF clears the screen and sets colours) and
# carriage returns from the serial stream, line by line.
clean_serial() {
    sed -u -e 's/\r//g' \
           -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' \
           -e 's/\x1b[()][A-Za-z0-9]//g' \
           -e 's/\x1b[78cDEHM=>]//g'
}

# terminal_view: the serial stream for a terminal, byte by byte (a prompt
# has no newline): the firmware's screen control (clear screen, colours,
# cursor moves) is taken out until Keel's first line, then everything
# passes as it is (the guest's line editing and colours).  perl is
# Debian's perl-base, which every system has.
terminal_view() {
    perl -e '
        $| = 1; my ($raw, $seen) = (0, "");
        while (sysread(STDIN, my $b, 4096)) {
            if (!$raw) {
                $seen = substr($seen . $b, -64);
                $raw = 1 if $seen =~ /keel: /;
                $b =~ s/\e\[[0-9;=?]*[A-Za-z]//g;
                $b =~ s/\e[()][A-Za-z0-9]//g;
                $b =~ s/\e[78cDEHM=>]//g;
            }
            syswrite(STDOUT, $b) // last;
        }'
}

# Prints QEMU's stderr without the noise every run has: TCG's list of EPYC
# features it does not emulate, and the line about our own timeout signal.
show_qemu_stderr() {
    [[ -s $1 ]] || return 0
    grep -v -e "TCG doesn't support requested feature" \
            -e 'terminating on signal 15 from pid' -- "$1" >&2 || true
}

# True when QEMU's stderr holds an error (anything but warnings).
# QEMU's VT-d model reports the DMA faults it records on stderr (error_report):
# they are the guest's doing (Keel's device-assignment tests provoke them),
# not a QEMU failure.
qemu_had_error() {
    grep -q '^qemu-system-x86_64: ' -- "$1" 2>/dev/null &&
        grep '^qemu-system-x86_64: ' -- "$1" |
            grep -v -e 'vtd_iova_to_slpte: ' -e 'vtd_iommu_translate: ' \
                -e 'Interrupt Mask set, irq is not generated' \
                -e 'New fault is not recorded due to compression of faults' |
            grep -qv -e 'warning:' -e 'terminating on signal'
}

# Sets FIRMWARE_STATUS from the serial log LOG when keel.efi never took over
# the machine, with a message on stderr: 125 when it returned to the firmware,
# 126 when OVMF could not load it; empty otherwise.
firmware_status() {
    local log=$1
    FIRMWARE_STATUS=''
    if grep -q 'keel: returning to the firmware' -- "$log"; then
        say "keel.efi refused to start and returned to the firmware:"
        grep -E "${KEEL_LINE}keel: (error|warning):" -- "$log" | sed 's/^/    /' >&2 || true
        FIRMWARE_STATUS=$KEEL_EXIT_FIRMWARE
    elif grep -q '^BdsDxe: failed to load Boot' -- "$log" && ! grep -qE "${KEEL_LINE}Keel " -- "$log"; then
        say "OVMF could not load keel.efi:"
        grep '^BdsDxe: failed to load' -- "$log" | sed 's/^/    /' >&2
        FIRMWARE_STATUS=$KEEL_EXIT_LAUNCHER
    elif grep -q '^startup.nsh: ' -- "$log"; then
        say "keel.efi returned to the firmware without saying why (no 'keel: returning to the firmware' line)"
        grep '^BdsDxe: failed to start' -- "$log" | sed 's/^/    /' >&2 || true
        FIRMWARE_STATUS=$KEEL_EXIT_FIRMWARE
    fi
}

# Maps QEMU's exit code and the serial log to the run's status, with a
# message on stderr for everything but a guest status.
#   classify_run RC ELAPSED TIMEOUT RUNDIR
classify_run() {
    local rc=$1 elapsed=$2 limit=$3 dir=$4
    local log=$dir/serial.log v s
    firmware_status "$log"
    if [[ -n $FIRMWARE_STATUS ]]; then
        return "$FIRMWARE_STATUS"
    fi
    if stalled_run "$dir"; then
        return "$KEEL_EXIT_TIMEOUT"
    fi
    if ((rc == 124 || (rc == 137 && elapsed >= limit))); then
        say "timed out after ${limit} s: the machine was still running; stopped it (status 124)"
        if ! grep -qE "${KEEL_LINE}keel: all VMs ended" -- "$log"; then
            say "no 'keel: all VMs ended' line in the log: a VM or Keel hung, or --timeout is too short"
        fi
        return "$KEEL_EXIT_TIMEOUT"
    fi
    if grep -q 'terminating on signal 2' -- "$dir/qemu.err" 2>/dev/null; then
        say "interrupted"
        return 130
    fi
    if ((rc % 2 == 1)); then
        if ((rc == 1)) && { qemu_had_error "$dir/qemu.err" || [[ ! -s $log ]]; }; then
            say "QEMU failed (exit code 1); command line in $(pretty_path "$dir/qemu.cmd")"
            return "$KEEL_EXIT_LAUNCHER"
        fi
        v=$(((rc - 1) / 2))
        s=$(sed -nE "s/${KEEL_LINE}keel: all VMs ended, status ([0-9]+).*/\\2/p" -- "$log" | tail -n 1)
        if [[ -z $s ]]; then
            warn "Keel wrote $v to the debug-exit port without a 'keel: all VMs ended' line"
        elif [[ $s != "$v" ]]; then
            warn "Keel printed status $s but wrote $v to the debug-exit port"
        fi
        return "$v"
    fi
    if ((rc == 0)); then
        if grep -q 'Triple fault' -- "$dir/qemu.log" 2>/dev/null; then
            say "the machine triple-faulted outside any guest (QEMU reset it; see $(pretty_path "$dir/qemu.log"))"
        else
            say "the machine reset or powered off without a status from Keel"
        fi
        return "$KEEL_EXIT_LAUNCHER"
    fi
    say "the emulator failed (exit code $rc)"
    return "$KEEL_EXIT_LAUNCHER"
}

# Quotes an argument list for a shell, one line, quoting only what needs it.
quote_cmd() {
    local a out=''
    for a; do
        if [[ $a =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then
            out+="$a "
        else
            out+="'${a//\'/\'\\\'\'}' "
        fi
    done
    printf '%s\n' "${out% }"
}

# Sets RUN_ACCEL and RUN_ACCEL_WHY for PLATFORM and the --accel REQUEST, and
# says the choice and why once (not when KEEL_ACCEL_QUIET=1: tools/keel test
# has said it already).  An impossible request is a usage error.
run_pick_accel() {
    local d
    accel_facts
    d=$(accel_decide "$1" "$2") || run_usage_error "$d"
    RUN_ACCEL=${d%% *} RUN_ACCEL_WHY=${d#* }
    if [[ ${KEEL_ACCEL_QUIET:-0} != 1 && $RUN_ACCEL != none ]]; then
        say "accelerator $RUN_ACCEL: $RUN_ACCEL_WHY"
    fi
}

# progress_watch STALL LOG PID MARK: watches the machine PID by its serial
# LOG, once a second, until PID is gone:
# - no progress: when LOG has not grown for STALL seconds (0: never), writes
#   STALL to the file MARK and stops PID.  The serial console is the
#   machine's sign of progress: Keel and its test guests print as they go,
#   so a run on a busy machine is slow but never silent for long, while a
#   hung one is; a budget in wall-clock time alone cannot tell them apart.
# - Keel returned to the firmware ('keel: returning to the firmware'): stops
#   PID a second later.  The firmware would go on to its next boot option
#   (PXE over IPv6, the UEFI Shell's countdown) for 10 to 60 s more.
progress_watch() {
    local stall=$1 log=$2 pid=$3 mark=$4 size=-1 now last=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1 || true
        if grep -qE "${KEEL_LINE}keel: returning to the firmware" -- "$log" 2>/dev/null; then
            sleep 1 || true
            stop_pid "$pid"
            break
        fi
        ((stall > 0)) || continue
        now=$(stat -c %s -- "$log" 2>/dev/null || echo 0)
        if [[ $now != "$size" ]]; then
            size=$now last=$SECONDS
        elif ((SECONDS - last >= stall)); then
            echo "$stall" >"$mark"
            stop_pid "$pid"
            break
        fi
    done
}

# stop_pid PID: TERM, and KILL if it is still there 5 s later.
stop_pid() {
    local i
    kill -TERM "$1" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1 || true
    done
    kill -KILL "$1" 2>/dev/null || true
}

# run_watched STALL LOG CMD...: runs CMD (its stdin is ours), under
# progress_watch; returns CMD's status.  The first stage of the QEMU pipeline.
run_watched() {
    local stall=$1 log=$2 pid rc=0
    shift 2
    exec 3<&0
    "$@" <&3 3<&- &
    pid=$!
    exec 3<&-
    progress_watch "$stall" "$log" "$pid" "${log%/*}/stalled"
    wait "$pid" || rc=$?
    return "$rc"
}

# Says so and returns 0 when the run in DIR was stopped for lack of progress.
stalled_run() {
    [[ -f $1/stalled ]] || return 1
    say "no progress: the serial console was silent for $(<"$1/stalled") s (--stall); stopped the machine (status 124)"
    say "last line: $(tail -n 1 -- "$1/serial.log" 2>/dev/null)"
    return 0
}

run_usage_error() {
    printf 'tools/keel run: %s (see tools/keel --help)\n' "$*" >&2
    exit "$KEEL_EXIT_LAUNCHER"
}

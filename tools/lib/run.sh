# shellcheck shell=bash
# `tools/keel run`: writes keel.cfg, lays out an ESP directory and boots Keel
# in an emulator.  Sourced by tools/keel after tools/lib/common.sh.
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
readonly KEEL_RUN_TIMEOUT=300       # default --timeout under TCG (scaled for KVM)
readonly KEEL_PLATFORMS=(qemu-svm bochs-vmx qemu-vmx)
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

# Prints QEMU's stderr without the noise every run has: TCG's list of EPYC
# features it does not emulate, and the line about our own timeout signal.
show_qemu_stderr() {
    [[ -s $1 ]] || return 0
    grep -v -e "TCG doesn't support requested feature" \
            -e 'terminating on signal 15 from pid' -- "$1" >&2 || true
}

# True when QEMU's stderr holds an error (anything but warnings).
qemu_had_error() {
    grep -q '^qemu-system-x86_64: ' -- "$1" 2>/dev/null &&
        grep '^qemu-system-x86_64: ' -- "$1" |
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

# progress_watch STALL LOG PID MARK: stops PID (TERM, then KILL) when LOG has
# not grown for STALL seconds, and writes STALL to the file MARK; returns
# when PID is gone.  STALL 0: only waits.  The serial console is the
# machine's sign of progress: Keel and its test guests print as they go, so
# a run on a busy machine is slow but never silent for long, while a hung
# one is; a budget in wall-clock time alone cannot tell the two apart.
progress_watch() {
    local stall=$1 log=$2 pid=$3 mark=$4 size=-1 now last=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1 || true
        ((stall > 0)) || continue
        now=$(stat -c %s -- "$log" 2>/dev/null || echo 0)
        if [[ $now != "$size" ]]; then
            size=$now last=$SECONDS
        elif ((SECONDS - last >= stall)); then
            echo "$stall" >"$mark"
            kill -TERM "$pid" 2>/dev/null || true
            sleep 5 || true
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
    done
}

# run_watched STALL LOG CMD...: runs CMD (its stdin is ours), under
# progress_watch; returns CMD's status.  The first stage of the QEMU pipeline.
run_watched() {
    local stall=$1 log=$2 pid rc=0
    shift 2
    if ((stall == 0)); then
        "$@"
        return
    fi
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

run_main() {
    local cpus=4 mem='' guest='' append='' have_append=0 platform=qemu-svm timeout=''
    local accel_req=${KEEL_ACCEL:-auto} accel
    local cfg='' icount=0 log='' machine_mem='' dry=0 build=1 run_dir='' stall=0
    local bochs_model=''
    local -a modules=() sets=() files=() qemu_extra=() bochs_lines=()
    local opt
    while (($#)); do
        if [[ $1 == --*=* ]]; then
            set -- "${1%%=*}" "${1#*=}" "${@:2}"
        fi
        opt=$1
        case $opt in
            --dry-run) dry=1; shift; continue ;;
            --icount) icount=1; shift; continue ;;
            --no-build) build=0; shift; continue ;;
            -h|--help) usage; exit 0 ;;
            --cpus|--mem|--guest|--append|--module|--platform|--timeout|--set|--cfg|\
            --file|--log|--qemu-arg|--machine-mem|--run-dir|--bochs-model|--bochsrc-line|--accel|--stall)
                (($# >= 2)) || run_usage_error "$opt needs a value" ;;
            *) run_usage_error "unknown option '$opt'" ;;
        esac
        case $opt in
            --cpus) cpus=$2 ;;
            --mem) mem=$2 ;;
            --guest) guest=$2 ;;
            --append) append=$2; have_append=1 ;;
            --module) modules+=("$2") ;;
            --platform) platform=$2 ;;
            --timeout) timeout=$2 ;;
            --set) sets+=("$2") ;;
            --cfg) cfg=$2 ;;
            --file) files+=("$2") ;;
            --log) log=$2 ;;
            --qemu-arg) qemu_extra+=("$2") ;;
            --machine-mem) machine_mem=$2 ;;
            --run-dir) run_dir=$2 ;;
            --bochs-model) bochs_model=$2 ;;
            --bochsrc-line) bochs_lines+=("$2") ;;
            --accel) accel_req=$2 ;;
            --stall) stall=$2 ;;
        esac
        shift 2
    done

    case $platform in
        qemu-svm|qemu-vmx)
            [[ -z $bochs_model && ${#bochs_lines[@]} == 0 ]] ||
                run_usage_error "--bochs-model and --bochsrc-line are for --platform bochs-vmx"
            ;;
        bochs-vmx)
            ((!icount)) || run_usage_error "--icount is for QEMU (Bochs always counts instructions: see --help)"
            ((${#qemu_extra[@]} == 0)) || run_usage_error "--qemu-arg is for QEMU; use --bochsrc-line"
            bochs_model=${bochs_model:-${KEEL_BOCHS_MODELS[0]}}
            bochs_model_ok "$bochs_model" ||
                run_usage_error "--bochs-model wants one of ${KEEL_BOCHS_MODELS[*]}, not '$bochs_model'"
            ;;
        *) run_usage_error "unknown platform '$platform' (platforms: ${KEEL_PLATFORMS[*]})" ;;
    esac
    # The keel.cfg line that lets Keel end the emulator with its status.
    local exit_line='debug_exit = 0xf4'
    [[ $platform == bochs-vmx ]] && exit_line='bochs_exit = yes'
    if [[ ! $cpus =~ ^[0-9]+$ ]] || ((10#$cpus < 1 || 10#$cpus > 64)); then
        run_usage_error "--cpus wants a number from 1 to 64, not '$cpus'"
    fi
    cpus=$((10#$cpus))
    [[ $stall =~ ^[0-9]+$ ]] || run_usage_error "--stall wants a number of seconds (0 = off), not '$stall'"
    stall=$((10#$stall))
    if [[ -n $timeout ]] && { [[ ! $timeout =~ ^[0-9]+$ ]] || ((10#$timeout < 1)); }; then
        run_usage_error "--timeout wants a number of seconds, not '$timeout'"
    fi
    if [[ -n $mem ]]; then
        size_to_mib "$mem" >/dev/null || run_usage_error "--mem wants a size such as 64M or 1G, not '$mem'"
    fi
    if [[ -n $machine_mem ]]; then
        size_to_mib "$machine_mem" >/dev/null ||
            run_usage_error "--machine-mem wants a size such as 2G, not '$machine_mem'"
    fi
    local s
    for s in "${sets[@]}"; do
        [[ $s == *=* && -n ${s%%=*} ]] || run_usage_error "--set wants key=value, not '$s'"
    done
    if [[ -n $cfg && ! -f $cfg ]]; then
        run_usage_error "--cfg file '$cfg' not found"
    fi

    # Packages and build first: the files checked below come from the build,
    # and the KVM probe needs QEMU.
    if ((build && !dry)); then
        install_deps
        build_all || die "the build failed"
    fi
    run_pick_accel "$platform" "$accel_req"
    accel=$RUN_ACCEL
    if ((icount)) && [[ $accel == kvm ]]; then
        run_usage_error "--icount counts instructions under TCG only: add --accel tcg"
    fi
    # The default budget is TCG's, scaled to the accelerator; --timeout is exact.
    [[ -n $timeout ]] || timeout=$(accel_timeout "$KEEL_RUN_TIMEOUT" "$accel")
    timeout=$((10#$timeout))

    local problems=0
    note_missing() {
        if ((dry)); then warn "$*"; else say "error: $*"; fi
        problems=$((problems + 1))
    }
    local efi=$KEEL_BUILD_DIR/boot/keel.efi
    [[ -f $efi ]] || note_missing "$(pretty_path "$efi") not found (is the build done?)"
    if [[ $platform == qemu-* ]]; then
        [[ -f $KEEL_OVMF_CODE ]] || note_missing "$KEEL_OVMF_CODE not found (Debian package ovmf)"
        [[ -f $KEEL_OVMF_VARS ]] || note_missing "$KEEL_OVMF_VARS not found (Debian package ovmf)"
        command -v qemu-system-x86_64 >/dev/null ||
            note_missing "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
    else
        [[ -f $KEEL_BOCHS_OVMF_CODE ]] || note_missing "$KEEL_BOCHS_OVMF_CODE not found (Debian package ovmf)"
        [[ -f $KEEL_BOCHS_OVMF_VARS ]] || note_missing "$KEEL_BOCHS_OVMF_VARS not found (Debian package ovmf)"
        [[ -f $KEEL_BOCHS_VGABIOS ]] || note_missing "$KEEL_BOCHS_VGABIOS not found (Debian package vgabios)"
        bochs_binary >/dev/null || note_missing "bochs-bin not found (Debian package bochs)"
    fi

    # Guest: builtin, a NAME from build/guest/NAME.elf, or a PATH (has a /).
    local guest_src='' guest_cfg=builtin
    if [[ -n $guest && $guest != builtin ]]; then
        if [[ $guest == */* ]]; then
            guest_src=$guest
        else
            guest_src=$KEEL_BUILD_DIR/guest/$guest.elf
        fi
        guest_cfg=$(basename -- "$guest_src")
        [[ -f $guest_src ]] || note_missing "guest image $(pretty_path "$guest_src") not found"
    fi
    local m mpath margs
    local -a module_srcs=() module_lines=()
    for m in "${modules[@]}"; do
        mpath=${m%% *}
        margs=''
        [[ $m == *' '* ]] && margs=${m#* }
        [[ -f $mpath ]] || note_missing "module $mpath not found"
        module_srcs+=("$mpath")
        module_lines+=("module = $(basename -- "$mpath")${margs:+ $margs}")
    done
    local f
    for f in "${files[@]}"; do
        [[ -f $f ]] || note_missing "--file $f not found"
    done
    if ((problems && !dry)); then
        exit "$KEEL_EXIT_LAUNCHER"
    fi

    # The run directory and the ESP.
    local dir
    if [[ -n $run_dir ]]; then
        prepare_run_dir "$run_dir"
        dir=$(cd "$run_dir" && pwd -P)
    else
        mkdir -p "$KEEL_BUILD_DIR/runs" || die "cannot create $KEEL_BUILD_DIR/runs"
        prune_runs
        dir=$(mktemp -d "$KEEL_BUILD_DIR/runs/run.XXXXXX") || die "mktemp failed"
        : >"$dir/.keel-run"
    fi
    local esp=$dir/esp boot=$dir/esp/EFI/BOOT
    mkdir -p "$boot"
    if [[ -f $efi ]]; then
        cp -- "$efi" "$boot/BOOTX64.EFI"
    fi
    for f in ${guest_src:+"$guest_src"} "${module_srcs[@]}" "${files[@]}"; do
        if [[ -f $f ]]; then
            esp_add_file "$f" "$boot"
        fi
    done
    printf '%s\r\n' '@echo -off' \
        'echo "startup.nsh: the UEFI Shell runs, so keel.efi did not take over the machine; powering off"' \
        'reset -s' >"$esp/startup.nsh"

    # keel.cfg: later lines override earlier ones, so --set lines come last.
    {
        if [[ -n $cfg ]]; then
            echo "$exit_line"
            cat -- "$cfg"
            if [[ -n $(tail -c 1 -- "$cfg") ]]; then echo; fi
            if [[ -n $guest ]]; then echo "guest = $guest_cfg"; fi
            if ((have_append)); then echo "cmdline = $append"; fi
            for m in "${module_lines[@]}"; do echo "$m"; done
            if [[ -n $mem ]]; then echo "memory = $mem"; fi
        else
            echo 'log_level = info'
            echo 'serial_port = 0x3f8'
            echo "$exit_line"
            echo "guest = $guest_cfg"
            if ((have_append)); then echo "cmdline = $append"; fi
            for m in "${module_lines[@]}"; do echo "$m"; done
            echo "cpus = $cpus"
            if [[ -n $mem ]]; then echo "memory = $mem"; fi
        fi
        for s in "${sets[@]}"; do
            echo "${s%%=*} = ${s#*=}"
        done
    } >"$boot/keel.cfg"

    [[ -n $machine_mem ]] || machine_mem=$(machine_memory_for_cfg <"$boot/keel.cfg")

    local -a emu accel_args
    if [[ $platform == qemu-* ]]; then
        cp -- "$KEEL_OVMF_VARS" "$dir/OVMF_VARS.fd" 2>/dev/null || true
        mapfile -t accel_args < <(accel_qemu_args "$platform" "$accel")
        # QEMU's -drive takes a comma-separated list: double commas in paths.
        emu=(qemu-system-x86_64 -name keel -machine q35 "${accel_args[@]}"
            -smp "$cpus" -m "$machine_mem" -nodefaults -display none -no-reboot -net none
            -drive "if=pflash,format=raw,unit=0,readonly=on,file=${KEEL_OVMF_CODE//,/,,}"
            -drive "if=pflash,format=raw,unit=1,file=${dir//,/,,}/OVMF_VARS.fd"
            -drive "file=fat:${esp//,/,,},format=raw,if=virtio,readonly=on"
            -serial stdio -device "isa-debug-exit,iobase=0xf4,iosize=4"
            -d cpu_reset -D "$dir/qemu.log")
        if ((icount)); then
            emu+=(-icount "shift=0,sleep=off")
        fi
        emu+=("${qemu_extra[@]}")
        quote_cmd "${emu[@]}" >"$dir/qemu.cmd"
    else
        [[ $dir != *[\",]* ]] || die "the run directory $dir has a double quote or a comma: a bochsrc cannot name it"
        bochs_prepare "$dir" "$cpus" "$(size_to_mib "$machine_mem")" "$bochs_model" "${bochs_lines[@]}"
        local isolation
        isolation=$(bochs_isolation)
        # shellcheck disable=SC2206 # the prefix is words: unshare and its options
        emu=($isolation "$(bochs_binary || echo bochs-bin)" -q -f "$dir/bochsrc" -rc "$dir/bochs.rc")
        quote_cmd "${emu[@]}" >"$dir/bochs.cmd"
    fi

    if ((dry)); then
        echo "# keel.cfg ($(pretty_path "$boot/keel.cfg"))"
        cat "$boot/keel.cfg"
        echo "# ESP ($(pretty_path "$esp"))"
        (cd "$esp" && find . -type f | sort | sed 's|^\./|    |')
        if [[ $platform == qemu-* ]]; then
            echo "# QEMU command (dry run: not started; timeout ${timeout} s)"
            cat "$dir/qemu.cmd"
        else
            echo "# bochsrc ($(pretty_path "$dir/bochsrc"))"
            cat "$dir/bochsrc"
            echo "# Bochs command (dry run: not started; timeout ${timeout} s)"
            cat "$dir/bochs.cmd"
        fi
        exit 0
    fi

    local what="guest $guest_cfg"
    if [[ -n $cfg ]]; then
        what="keel.cfg from $cfg"
    fi
    say "booting Keel: $platform ($accel), $cpus CPU(s), $machine_mem, $what, timeout ${timeout} s$( ((stall == 0)) || echo ", stall ${stall} s")"
    say "run directory $(pretty_path "$dir")"
    if [[ -n $log ]]; then
        mkdir -p -- "$(dirname -- "$log")" || die "cannot create the directory of --log $log"
    fi
    local input=/dev/null start rc status
    start=$SECONDS
    if [[ $platform == bochs-vmx ]]; then
        [[ -n ${isolation:-} ]] ||
            warn "unshare --net is not available: Bochs' VNC server listens on TCP port 5900+ of every interface during the run"
        bochs_run "$dir" "$timeout" "$log" "$stall" "${emu[@]}"
        bochs_classify "$((SECONDS - start))" "$timeout" "$dir" && status=0 || status=$?
    else
        if [[ -t 0 ]]; then
            input=/dev/stdin
        fi
        set +e
        run_watched "$stall" "$dir/serial.log" \
            timeout --foreground -k 10 "$timeout" "${emu[@]}" <"$input" 2>"$dir/qemu.err" |
            clean_serial | tee "$dir/serial.log" ${log:+"$log"}
        rc=${PIPESTATUS[0]}
        set -e
        show_qemu_stderr "$dir/qemu.err"
        classify_run "$rc" "$((SECONDS - start))" "$timeout" "$dir" && status=0 || status=$?
    fi
    if ((status == KEEL_EXIT_FIRMWARE)) && [[ -n $cfg ]]; then
        local n
        while read -r n; do
            if ((n > 1)); then
                say "keel.cfg line $n is line $((n - 1)) of $cfg (the launcher puts '$exit_line' first)"
            fi
        done < <(sed -nE "s/${KEEL_LINE}keel: error: keel\\.cfg:([0-9]+):.*/\\2/p" -- "$dir/serial.log")
    fi
    say "status $status; serial log $(pretty_path "$dir/serial.log")${log:+ (and $log)}"
    exit "$status"
}

# shellcheck shell=bash
# `tools/keel bench linux`: Linux's boot to its shell prompt under Keel
# against the same kernel and initramfs booted by QEMU directly (the floor),
# on qemu-svm (TCG, -cpu EPYC) with -icount shift=0,sleep=off, so one TSC
# tick is one instruction and each run repeats exactly.  1 vCPU: QEMU's
# -icount can live-lock vCPUs that wait for each other.  Three runs:
#   keel-boot   keel.bench=0: /init prints the TSC where the shell would
#               start, then powers off;
#   keel-idle   keel.bench=S: the same, then S seconds idle, the TSC again;
#   floor       QEMU -kernel/-initrd (SeaBIOS), keel.bench=0.
# Keel logs the TSC at keel.efi's entry and, when a VM ends, its exits by
# reason; exits during the idle seconds are keel-idle's less keel-boot's.
# Sourced by tools/keel after bench.sh; the steps share the L_* variables.
readonly KEEL_BENCH_LINUX_IDLE=10        # seconds idle at the prompt
readonly KEEL_BENCH_LINUX_TIMEOUT=900    # per run (a boot is 1 to 3 minutes)

bench_linux_parse() {
    L_NOBUILD=0 L_IDLE=$KEEL_BENCH_LINUX_IDLE L_TIMEOUT=$KEEL_BENCH_LINUX_TIMEOUT
    while (($#)); do
        case $1 in
            --no-build) L_NOBUILD=1; shift ;;
            --idle|--timeout)
                if (($# < 2)) || [[ ! $2 =~ ^[1-9][0-9]{0,4}$ ]]; then
                    bench_usage_error "$1 wants a number of seconds (1 to 99999)"
                fi
                if [[ $1 == --idle ]]; then L_IDLE=$2; else L_TIMEOUT=$2; fi
                shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) bench_usage_error "bench linux: unknown option '$1' (it takes --idle S, --timeout S, --no-build)" ;;
        esac
    done
}

# The kernel and initramfs that `run --guest linux` uses, or exit 0 with why not.
bench_linux_inputs() {
    L_KERNEL=$(linux_kernel_path)
    L_INITRD=$KEEL_BUILD_DIR/guest/initramfs.cpio.gz
    if [[ -z $L_KERNEL || ! -r $L_KERNEL || ! -f $L_INITRD ]]; then
        say "skipping bench linux: no readable kernel (${L_KERNEL:-/boot/vmlinuz-*-cloud-amd64}) or no $(pretty_path "$L_INITRD")"
        exit 0
    fi
}

# bench_linux_keel NAME IDLE: Keel with Linux, its console in $L_TMP/NAME.log.
bench_linux_keel() {
    local rc=0
    say "benchmark run $1"
    (run_main --no-build --guest linux --cpus 1 --accel tcg --icount --timeout "$L_TIMEOUT" --stall 300 \
        --append "console=ttyS0 keel.bench=$2" --log "$L_TMP/$1.log") >/dev/null || rc=$?
    ((rc != 130)) || { rm -rf -- "$L_TMP"; exit 130; }
    ((rc == 0)) || L_FAILED+=("$1 (status $rc)")
}

# The floor: the same kernel and initramfs booted by QEMU itself.
bench_linux_floor() {
    local rc=0
    say "benchmark run floor (QEMU -kernel, no Keel)"
    timeout --foreground -k 10 "$L_TIMEOUT" qemu-system-x86_64 -name keel-floor -machine q35 \
        -accel tcg -cpu EPYC -smp 1 -m 256M -nodefaults -display none -no-reboot -net none \
        -serial stdio -icount shift=0,sleep=off -kernel "$L_KERNEL" -initrd "$L_INITRD" \
        -append 'console=ttyS0 keel.bench=0' </dev/null 2>"$L_TMP/floor.err" |
        clean_serial >"$L_TMP/floor.log" || rc=$?
    grep -q 'keel-linux: bench prompt tsc=' "$L_TMP/floor.log" || L_FAILED+=("floor (status $rc)")
}

# bench_linux_val RUN SED-REGEX: the first capture of the last matching line.
bench_linux_val() {
    sed -nE "s/$2/\\1/p" -- "$L_TMP/$1.log" 2>/dev/null | tail -n 1
}

# bench_linux_exits RUN: "reason count" lines from Keel's exit totals of vm0.
bench_linux_exits() {
    sed -nE "s/^${KEEL_LINE}keel: vm0 \\(vm0\\): ([0-9]+ )?exits:(.*)/\\3/p" -- "$L_TMP/$1.log" 2>/dev/null |
        tr ' ' '\n' | sed -n 's/=/ /p'
}

bench_linux_table() {
    local entry prompt idle_end floor hz boot_s idle_s
    entry=$(bench_linux_val keel-boot ".*TSC ([0-9]+) at keel\\.efi's entry.*")
    prompt=$(bench_linux_val keel-boot '.*keel-linux: bench prompt tsc=([0-9]+).*')
    floor=$(bench_linux_val floor '.*keel-linux: bench prompt tsc=([0-9]+).*')
    hz=$(bench_linux_val keel-boot '.*keel: tsc: ([0-9]+) MHz.*')
    echo
    echo "Keel benchmark: Linux $(basename -- "$L_KERNEL") to its shell prompt"
    echo "  qemu-svm (TCG, -cpu EPYC, -icount shift=0: one TSC tick = one instruction), 1 vCPU, 256 MiB"
    echo
    bench_row "" "Keel" "QEMU alone"
    bench_row "  instructions from machine reset to the prompt" "${prompt:--}" "${floor:--}"
    bench_row "    of which firmware (OVMF / SeaBIOS) before keel.efi" "${entry:--}" "n/a"
    if [[ -n $entry && -n $prompt && -n $floor ]]; then
        bench_row "  instructions from keel.efi's entry to the prompt" "$((prompt - entry))" "n/a"
        bench_row "  Keel's from keel.efi's entry / QEMU alone's" \
            "$(awk -v a="$((prompt - entry))" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')" ""
    fi
    [[ -n $hz && -n $entry && -n $prompt ]] || return 0
    idle_end=$(bench_linux_val keel-idle '.*keel-linux: bench idle-end tsc=([0-9]+).*')
    local idle_prompt
    idle_prompt=$(bench_linux_val keel-idle '.*keel-linux: bench prompt tsc=([0-9]+).*')
    boot_s=$(awk -v d="$((prompt - entry))" -v hz="$hz" 'BEGIN { printf "%.3f", d / (hz * 1e6) }')
    idle_s=''
    [[ -z $idle_end || -z $idle_prompt ]] ||
        idle_s=$(awk -v d="$((idle_end - idle_prompt))" -v hz="$hz" 'BEGIN { printf "%.3f", d / (hz * 1e6) }')
    echo
    echo "  Keel's VM exits by reason: boot = keel.efi's entry to the prompt and power-off (${boot_s} s"
    echo "  emulated); idle = ${idle_s:-?} s emulated at the prompt (the idle run less the boot run)"
    bench_row "  reason" "boot" "boot per s" "idle" "idle per s"
    local r n m
    declare -A boot=() idle=()
    while read -r r n; do [[ -n $r ]] && boot[$r]=$n; done < <(bench_linux_exits keel-boot)
    while read -r r n; do [[ -n $r ]] && idle[$r]=$n; done < <(bench_linux_exits keel-idle)
    for r in $(printf '%s\n' "${!boot[@]}" "${!idle[@]}" | sort -u); do
        n=${boot[$r]:-0} m=$(( ${idle[$r]:-0} - n ))
        ((m >= 0)) || m=0
        bench_row "    $r" "$n" "$(awk -v n="$n" -v s="$boot_s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" \
            "$m" "$(awk -v n="$m" -v s="${idle_s:-0}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')"
    done
}

bench_linux_main() {
    bench_linux_parse "$@"
    if ((!L_NOBUILD)); then
        install_deps
        build_all || die "the build failed"
    fi
    bench_linux_inputs
    L_TMP=$(mktemp -d) L_FAILED=()
    bench_linux_keel keel-boot 0
    bench_linux_keel keel-idle "$L_IDLE"
    bench_linux_floor
    bench_linux_table
    rm -rf -- "$L_TMP"
    if ((${#L_FAILED[@]})); then
        say "failed benchmark runs (their figures show '-'): ${L_FAILED[*]}"
        exit 1
    fi
}

# shellcheck shell=bash
# `tools/keel bench`.  qemu-svm: the CPUID round trip on 1 CPU twice, without
# -icount for wall-clock exits per second and with -icount (shift=0: one
# instruction = 1 ns of virtual time) for the exact number of instructions
# per exit and per self-IPI (1 vCPU: QEMU's -icount live-locks vCPUs that
# wait for each other), then the IPI pair on 2 CPUs for the exits per IPI.
# bochs-vmx: the IPI pair (2 CPUs) and the self-IPIs (1 CPU), once with
# keel.cfg 'apic_accel = yes' and once with 'no'.  Exit counts come from
# Keel's own counters (KEEL_HC_EXIT_COUNT) and the guest takes the counting's
# own exits off, so exits per IPI are exact, whatever the iterations, on
# both platforms; Bochs has no -icount, so its instruction figures are n/a.
# The exit-path rows of issue 14 (docs/exit-path.md): the icount run also
# runs the bench guest's rows (one loop per kind of exit, xAPIC and x2APIC),
# the 2-CPU run the cross-vCPU round trips, which also run on QEMU alone
# (bare-pair: the bench guest as a multiboot kernel, no Keel) for
# comparison; the rows table puts the KVM figures of the issue beside them.
# --csv FILE writes every figure as platform,run,row,mode,metric,value.
# Sourced by tools/keel after run_cmd.sh; the steps share the B_* variables.
readonly KEEL_BENCH_BOCHS_ITERATIONS=20000   # the guest sends iterations/20 IPIs a mode
readonly KEEL_BENCH_BOCHS_TIMEOUT=120        # per Bochs run (each takes ~10 to 15 s)
readonly KEEL_BENCH_ICOUNT_ITERATIONS=20000  # CPUID loop of the icount run (1000 self-IPIs a mode)
readonly KEEL_BENCH_ROW_ITERATIONS=2000      # per row and mode, under -icount
readonly KEEL_BENCH_BOCHS_ROW_ITERATIONS=200 # per row and mode under Bochs (exits only)
readonly KEEL_BENCH_RTT_ITERATIONS=2000      # cross-vCPU round trips a mode
readonly KEEL_BENCH_BARE_TIMEOUT=120         # QEMU alone, 2 CPUs

bench_usage_error() {
    printf 'tools/keel bench: %s (see tools/keel --help)\n' "$*" >&2
    exit "$KEEL_EXIT_LAUNCHER"
}

# bench_option OPTION VALUE: one option with a value.
bench_option() {
    case $1 in
        --platform)
            case $2 in
                qemu-svm) B_SVM=1 ;;
                bochs-vmx) B_VMX=1 ;;
                bochs-svm) B_BSVM=1 ;;
                all) B_SVM=1; B_VMX=1; B_BSVM=1 ;;
                *) bench_usage_error "--platform wants qemu-svm, bochs-vmx, bochs-svm or all, not '$2'" ;;
            esac ;;
        --iterations|--bochs-iterations)
            [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] || bench_usage_error "$1 wants a number from 1 to 999999999, not '$2'"
            if [[ $1 == --iterations ]]; then B_ITERS=$2; else B_BOCHS_ITERS=$2; fi ;;
        --qemu-arg) B_QEMU_ONLY+=("$1" "$2") ;;
        --rows)
            [[ $2 =~ ^[1-9][0-9]{0,6}$ ]] || bench_usage_error "$1 wants a number from 1 to 9999999, not '$2'"
            B_ROWS=$2 ;;
        --csv) B_CSV=$2 ;;
        --bochs-model)
            bochs_model_ok "$2" ||
                bench_usage_error "--bochs-model wants one of ${KEEL_BOCHS_MODELS[*]}, not '$2'"
            B_MODEL=$2; B_BOCHS_ONLY+=("$1" "$2") ;;
        --bochsrc-line) B_BOCHS_ONLY+=("$1" "$2") ;;
        *) B_COMMON+=("$1" "$2") ;;
    esac
}

bench_parse() {
    local opt
    B_SVM=0 B_VMX=0 B_BSVM=0 B_NOBUILD=0 B_ITERS='' B_BOCHS_ITERS=$KEEL_BENCH_BOCHS_ITERATIONS
    B_MODEL=${KEEL_BOCHS_MODELS[0]} B_COMMON=() B_QEMU_ONLY=() B_BOCHS_ONLY=() B_FAILED=()
    B_ROWS=$KEEL_BENCH_ROW_ITERATIONS B_CSV=''

    while (($#)); do
        if [[ $1 == --*=* ]]; then
            set -- "${1%%=*}" "${1#*=}" "${@:2}"
        fi
        opt=$1
        case $opt in
            -h|--help) usage; exit 0 ;;
            --no-build) B_NOBUILD=1; shift; continue ;;
            --cpus|--guest|--append|--log|--run-dir|--cfg|--icount|--dry-run)
                bench_usage_error "$opt is the benchmark's own choice" ;;
            --platform|--iterations|--bochs-iterations|--mem|--timeout|--set|--module|\
            --file|--machine-mem|--qemu-arg|--bochs-model|--bochsrc-line|--accel|--stall|\
            --rows|--csv)
                (($# >= 2)) || bench_usage_error "$opt needs a value" ;;
            *) bench_usage_error "unknown option '$opt'" ;;
        esac
        bench_option "$opt" "$2"
        shift 2
    done
    ((B_SVM || B_VMX || B_BSVM)) || { B_SVM=1; B_VMX=1; B_BSVM=1; }
}

# Exits when there is nothing to measure; turns the VMX part off (with a
# message) when Bochs cannot run here.
bench_check() {
    local missing
    if [[ ! -f $KEEL_BUILD_DIR/guest/bench.elf ]]; then
        say "skipping the benchmark: $(pretty_path "$KEEL_BUILD_DIR/guest/bench.elf") does not exist (the bench guest is not built)"
        exit 0
    fi
    ((B_VMX || B_BSVM)) || return 0
    missing=$(bochs_missing)
    [[ -n $missing ]] || return 0
    say "skipping the Bochs figures (bochs-vmx, bochs-svm): Bochs cannot run here, missing: ${missing//$'\n'/, }"
    B_VMX=0 B_BSVM=0
    ((B_SVM)) || exit 0
}

# bench_run NAME RUN-OPTIONS...: one run, its console in $B_TMP/NAME.log.
bench_run() {
    local name=$1 rc=0
    shift
    say "benchmark run $name"
    (run_main --no-build "$@" --guest bench --log "$B_TMP/$name.log") || rc=$?
    if ((rc == 130)); then
        rm -rf -- "$B_TMP"
        exit 130
    fi
    ((rc == 0)) || B_FAILED+=("$name (status $rc)")
}

bench_runs_svm() {
    local -a opts=("${B_COMMON[@]}" "${B_QEMU_ONLY[@]}" --platform qemu-svm)
    local icount_iters=${B_ITERS:-$KEEL_BENCH_ICOUNT_ITERATIONS}
    bench_run svm-wall "${opts[@]}" --cpus 1 --append "only=cpuid${B_ITERS:+ iterations=$B_ITERS}"
    bench_run svm-icount "${opts[@]}" --cpus 1 --accel tcg --icount \
        --append "only=cpuid,ipi,rows iterations=$icount_iters rows=$B_ROWS"
    bench_run svm-pair "${opts[@]}" --cpus 2 \
        --append "only=ipi,rtt rtt=$KEEL_BENCH_RTT_ITERATIONS${B_ITERS:+ iterations=$B_ITERS}"
    bench_run_bare
}

# The same round trips on QEMU alone: the bench guest as QEMU's multiboot
# kernel (-kernel, SeaBIOS), 2 CPUs, no -icount; the guest finds no Keel,
# starts its AP through INIT-SIPI and leaves through isa-debug-exit (QEMU's
# status 1 = the guest's 0).
bench_run_bare() {
    local rc=0
    say "benchmark run bare-pair (QEMU alone, -kernel bench.elf)"
    timeout --foreground -k 10 "$KEEL_BENCH_BARE_TIMEOUT" qemu-system-x86_64 -name keel-bench-bare \
        -machine q35 -accel tcg -cpu EPYC -smp 2 -m 256M -nodefaults -display none -no-reboot \
        -net none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -kernel "$KEEL_BUILD_DIR/guest/bench.elf" -append "only=rtt rtt=$KEEL_BENCH_RTT_ITERATIONS" \
        </dev/null >"$B_TMP/bare-pair.raw" 2>"$B_TMP/bare-pair.err" || rc=$?
    clean_serial <"$B_TMP/bare-pair.raw" | tee "$B_TMP/bare-pair.log"
    ((rc == 130)) && { rm -rf -- "$B_TMP"; exit 130; }
    ((rc == 1)) || B_FAILED+=("bare-pair (QEMU status $rc)")
}

bench_runs_vmx() {
    local accel
    # A --timeout of the user's comes later and wins; apic_accel comes last.
    # --stall too: tools/lib/bochs.sh stops on an unset variable (wpid, set
    # -u) when a run has no --stall, and every Bochs run then says status 1.
    for accel in yes no; do
        local -a opts=(--timeout "$KEEL_BENCH_BOCHS_TIMEOUT" --stall "$KEEL_BENCH_BOCHS_TIMEOUT"
                       "${B_COMMON[@]}" "${B_BOCHS_ONLY[@]}"
                       --platform bochs-vmx --set "apic_accel=$accel")
        bench_run "vmx-$accel-pair" "${opts[@]}" --cpus 2 --append "only=ipi iterations=$B_BOCHS_ITERS"
        bench_run "vmx-$accel-self" "${opts[@]}" --cpus 1 \
            --append "only=ipi,rows iterations=$B_BOCHS_ITERS rows=$KEEL_BENCH_BOCHS_ROW_ITERATIONS"
    done
}

# bochs-svm: the rows on 1 vCPU (Bochs' ryzen model: SVM with nRIP, so
# no software decode for an instruction's length; and the APM's V_TPR rule,
# svm/svm_probe.c).  Bochs' TSC runs at its ips (200 MHz, tools/lib/bochs.sh)
# and advances once per instruction on 1 CPU: its ticks per iteration are
# about the instructions, not -icount's exact count.
bench_runs_bsvm() {
    bench_run bsvm-self --timeout "$KEEL_BENCH_BOCHS_TIMEOUT" --stall "$KEEL_BENCH_BOCHS_TIMEOUT" \
        "${B_COMMON[@]}" --platform bochs-svm --cpus 1 \
        --append "only=rows rows=$KEEL_BENCH_BOCHS_ROW_ITERATIONS"
}

# fig RUN PATTERN: the last 'bench: PATTERN <number>' of a run, '-' if none.
bench_fig() {
    local v
    v=$(sed -nE "s/.*bench: $2 ([0-9.]+).*/\\1/p" -- "$B_TMP/$1.log" 2>/dev/null | tail -n 1)
    printf '%s\n' "${v:--}"
}

# bench_row LABEL VALUE...: one line of the table, a value per column.
bench_row() {
    printf '%-50s' "$1"
    shift
    printf ' %15s' "$@"
    echo
}

# bench_vals KIND PATTERN: the figure of each column (svm KIND: wall,
# icount, pair; VMX: pair, self, or n/a where there is no such run).
bench_vals() {
    local c kind=$1 pat=$2 figs=()
    for c in "${B_COLS[@]}"; do
        if [[ $c == svm ]]; then
            figs+=("$(bench_fig "svm-$kind" "$pat")")
        elif [[ $kind == pair ]]; then
            figs+=("$(bench_fig "$c-pair" "$pat")")
        elif [[ $kind == icount && $pat == *exits* ]]; then
            figs+=("$(bench_fig "$c-self" "$pat")")
        else
            figs+=(n/a)
        fi
    done
    printf '%s\n' "${figs[@]}"
}

# bench_line LABEL KIND PATTERN: a row of the table from bench_vals.
bench_line() {
    local -a v
    mapfile -t v < <(bench_vals "$2" "$3")
    bench_row "$1" "${v[@]}"
}

bench_table() {
    local m
    local -a heads=()
    B_COLS=()
    ((B_SVM)) && { B_COLS+=(svm); heads+=("SVM (qemu-svm)"); }
    ((B_VMX)) && { B_COLS+=(vmx-yes vmx-no); heads+=("VMX APICv on" "VMX APICv off"); }
    echo
    echo "Keel benchmark"
    ((B_SVM)) && echo "  SVM: qemu-svm, AMD SVM with nested paging under QEMU TCG (-cpu EPYC)"
    ((B_VMX)) && echo "  VMX: bochs-vmx, Intel VMX under Bochs 2.7 ($B_MODEL), keel.cfg apic_accel = yes (APICv on) or no (off)"
    echo
    bench_row "" "${heads[@]}"
    if ((B_SVM)); then
        bench_line "  CPUID exits per second (wall clock)" wall 'exits\/s'
        bench_line "  instructions per CPUID exit round trip (-icount)" icount 'instructions\/exit'
    fi
    for m in xapic x2apic; do
        echo "  $m:"
        bench_line "    VM exits per IPI, sender (2 vCPUs)" pair "ipi $m sender exits\\/ipi"
        bench_line "    VM exits per IPI, receiver (halted, 2 vCPUs)" pair "ipi $m receiver exits\\/ipi"
        bench_line "    VM exits per self-IPI delivered (1 vCPU)" icount "ipi $m self exits\\/ipi"
        bench_line "    instructions per self-IPI delivered (-icount)" icount "ipi $m self instructions\\/ipi"
    done
}

# The rows of issue 14: guest row name|label|KVM (issue 14)|target.  The KVM
# figures are the issue's (QEMU 7.2 TCG, -cpu EPYC, -icount shift=0,sleep=off,
# x2APIC / xAPIC where there are two); one figure: the issue gives one mode.
readonly -a KEEL_BENCH_ROWS=(
    "cpuid|CPUID|3173 / 3191|<= 800"
    "inl_pmtimer|32-bit IN, ACPI PM timer (port 0x608)|1703|<= 425"
    "outl_pmtimer|32-bit OUT, ACPI PM timer (ignored)|1713|<= 425"
    "hypercall|hypercall (VMMCALL, no such call)|~3150|<= 800"
    "self_ipi_sti_nop|self-IPI, STI, NOP (IPI + EOI)|10216 / 19329|<= 2550 / <= 4830"
    "eoi|  of which EOI|3740 / 4460|<= 935 / <= 1115"
    "self_ipi_tpr_sti_hlt|self-IPI, TPR, STI, HLT|17582|<= 4400"
    "tscdeadline_immed|TSC-deadline timer at once (incl. EOI)|11763 / 12483|<= 2950 / <= 3120"
    "mov_to_cr8|MOV to CR8|8|8 (no exit)"
)

# bench_rowfig RUN ROW MODE FIELD: FIELD's number in the row's line, '-' if none.
bench_rowfig() {
    local v
    v=$(sed -nE "s/.*bench: row $2 mode $3 .*$4 ([0-9.]+).*/\\1/p" -- "$B_TMP/$1.log" 2>/dev/null |
        tail -n 1)
    printf '%s\n' "${v:--}"
}

# bench_pair RUN ROW FIELD: "x2APIC / xAPIC" figures of a row.
bench_pair() {
    printf '%s / %s\n' "$(bench_rowfig "$1" "$2" x2apic "$3")" "$(bench_rowfig "$1" "$2" xapic "$3")"
}

bench_rows_table() {
    local entry name label kvm target vmx='' bsvm=''
    echo
    echo "Exit-path rows (issue 14): per iteration, guest and hypervisor together; qemu-svm,"
    echo "QEMU TCG -cpu EPYC, -icount shift=0,sleep=off (one TSC tick = one instruction), 1 vCPU,"
    echo "$B_ROWS iterations per row after a warm-up; figures as x2APIC / xAPIC"
    ((B_BSVM)) && echo "bochs-svm: Bochs 2.7 ryzen, SVM with nRIP (no software decode), 1 vCPU," \
        "$KEEL_BENCH_BOCHS_ROW_ITERATIONS iterations: TSC ticks (about instructions) and exits per iteration"
    ((B_BSVM)) && bsvm='bochs-svm ticks (exits)'
    ((B_VMX)) && vmx='VMX exits/iter on | off'
    printf '%-40s %-19s %-13s %-26s %-20s %-34s %s\n' row "Keel instr/iter" "exits/iter" \
        "KVM (issue 14, same QEMU)" target "$bsvm" "$vmx"
    for entry in "${KEEL_BENCH_ROWS[@]}"; do
        IFS='|' read -r name label kvm target <<<"$entry"
        vmx='' bsvm=''
        ((B_VMX)) && vmx="$(bench_pair vmx-yes-self "$name" 'exits\/iter') | $(bench_pair vmx-no-self "$name" 'exits\/iter')"
        ((B_BSVM)) && bsvm="$(bench_pair bsvm-self "$name" 'instr\/iter') ($(bench_pair bsvm-self "$name" 'exits\/iter'))"
        printf '%-40s %-19s %-13s %-26s %-20s %-34s %s\n' "$label" \
            "$(bench_pair svm-icount "$name" 'instr\/iter')" \
            "$(bench_pair svm-icount "$name" 'exits\/iter')" "$kvm" "$target" "$bsvm" "$vmx"
    done
    grep -h 'MISMATCH\|bench: row.*skipped\|bench: rows.*skipped' -- "$B_TMP"/svm-icount.log \
        "$B_TMP"/vmx-*-self.log "$B_TMP"/bsvm-self.log 2>/dev/null | sed 's/^/  /' || true
}

# bench_rttfig RUN MODE PATTERN: a number of a round-trip line.
bench_rttfig() {
    local v
    v=$(sed -nE "s/.*bench: rtt mode $2 .*$3 ([0-9.]+).*/\\1/p" -- "$B_TMP/$1.log" 2>/dev/null |
        tail -n 1)
    printf '%s\n' "${v:--}"
}

bench_rtt_table() {
    local m
    echo
    echo "Cross-vCPU IPI round trips: 2 vCPUs, vCPU 0 -> IPI -> vCPU 1 (halted) -> IPI -> vCPU 0"
    echo "(spinning); no -icount (it can live-lock two vCPUs that wait on each other): wall clock,"
    echo "$KEEL_BENCH_RTT_ITERATIONS round trips a mode; depends on the host's load, compare within one run"
    printf '%-8s %16s %16s %16s %24s\n' mode "Keel rtt/s" "exits/rtt vCPU0" "exits/rtt vCPU1" \
        "QEMU alone rtt/s"
    for m in xapic x2apic; do
        printf '%-8s %16s %16s %16s %24s\n' "$m" "$(bench_rttfig svm-pair $m 'roundtrips\/s')" \
            "$(bench_rttfig svm-pair $m 'vcpu0')" "$(bench_rttfig svm-pair $m 'vcpu1')" \
            "$(bench_rttfig bare-pair $m 'roundtrips\/s')"
    done
    grep -h 'MISMATCH\|bench: rtt.*skipped\|bench: x2apic skipped' -- "$B_TMP"/svm-pair.log "$B_TMP"/bare-pair.log \
        2>/dev/null | sed 's/^/  /' || true
}

# bench_csv FILE: every figure the runs printed, one per line:
# platform,run,row,mode,metric,value (rows, round trips, and the older
# 'bench: <figure> <number>' lines with row and mode empty where they have none).
bench_csv() {
    local f run plat
    {
        echo "platform,run,row,mode,metric,value"
        for f in "$B_TMP"/*.log; do
            [[ -e $f ]] || continue
            run=$(basename "$f" .log)
            case $run in
                svm-*) plat=qemu-svm ;; vmx-*) plat=bochs-vmx ;; bsvm-*) plat=bochs-svm ;;
                bare-*) plat=qemu-alone ;; *) plat=other ;;
            esac
            sed -nE 's/.*bench: row ([a-z0-9_]+) mode ([a-z0-9]+) (.*)/\1 \2 \3/p' -- "$f" |
                awk -v p="$plat" -v r="$run" '{ for (i = 3; i < NF; i += 2)
                    if ($i ~ /^(instr\/iter|exits\/iter|iterations)$/ && $(i + 1) ~ /^[0-9.]+$/)
                        printf "%s,%s,%s,%s,%s,%s\n", p, r, $1, $2, $i, $(i + 1)
                    if ($3 == "skipped:") printf "%s,%s,%s,%s,skipped,1\n", p, r, $1, $2
                    if ($0 ~ /MISMATCH/) printf "%s,%s,%s,%s,mismatch,1\n", p, r, $1, $2 }'
            sed -nE 's/.*bench: rtt mode ([a-z0-9]+) (.*)/\1 \2/p' -- "$f" |
                sed -E 's/exits\/rtt vcpu0/exits\/rtt-vcpu0/; s/ vcpu1 / exits\/rtt-vcpu1 /' |
                awk -v p="$plat" -v r="$run" '{ for (i = 2; i < NF; i += 2)
                    if ($(i + 1) ~ /^[0-9.]+$/) printf "%s,%s,cross_ipi_rtt,%s,%s,%s\n", p, r, $1, $i, $(i + 1) }'
            sed -nE 's/.*bench: (.*)$/\1/p' -- "$f" | awk -v p="$plat" -v r="$run" '
                $1 == "ipi" && ($2 == "xapic" || $2 == "x2apic") && $NF ~ /^[0-9.]+$/ {
                    m = $3; for (i = 4; i < NF; i++) m = m " " $i
                    printf "%s,%s,ipi,%s,%s,%s\n", p, r, $2, m, $NF }
                ($1 == "exits/s" || $1 == "instructions/exit") && NF == 2 {
                    printf "%s,%s,cpuid_loop,,%s,%s\n", p, r, $1, $2 }'
        done
    } >"$1"
    say "wrote $(pretty_path "$1")"
}

# What Keel said about VMX and APIC virtualization in the runs of apic_accel
# = ACCEL (its 'vmx:' lines, 'vmN vCPU K: APIC accelerated|emulated ...'),
# once each.
bench_keel_vmx_lines() {
    cat -- "$B_TMP/vmx-$1-pair.log" "$B_TMP/vmx-$1-self.log" 2>/dev/null |
        grep -iE -e "${KEEL_LINE}keel: vmx: " -e "${KEEL_LINE}keel: .*(apicv|apic (accelerated|emulated)|apic virtuali)" |
        sed -E -e "s/${KEEL_LINE}keel: //" -e 's/^vm[0-7] vCPU [0-9]+: //' | awk '!seen[$0]++'
}

# The lines of the apic_accel = yes runs, then those only the = no runs have.
bench_vmx_notes() {
    local line yes_lines
    echo "  n/a: not measured under Bochs (it has no -icount; the CPUID benchmark runs on qemu-svm only)"
    yes_lines=$(bench_keel_vmx_lines yes)
    while IFS= read -r line; do
        [[ -z $line ]] || echo "  Keel (apic_accel = yes): $line"
    done <<<"$yes_lines"
    while IFS= read -r line; do
        if [[ -n $line ]] && ! grep -qxF -- "$line" <<<"$yes_lines"; then
            echo "  Keel (apic_accel = no): $line"
        fi
    done < <(bench_keel_vmx_lines no)
}

bench_main() {
    if [[ ${1:-} == linux ]]; then
        bench_linux_main "${@:2}"
        return
    fi
    bench_parse "$@"
    if ((!B_NOBUILD)); then
        install_deps
        build_all || die "the build failed"
    fi
    bench_check
    B_TMP=$(mktemp -d)
    ((B_SVM)) && bench_runs_svm
    ((B_VMX)) && bench_runs_vmx
    ((B_BSVM)) && bench_runs_bsvm
    ((B_SVM || B_VMX)) && bench_table
    ((B_VMX)) && bench_vmx_notes
    bench_rows_table
    ((B_SVM)) && bench_rtt_table
    [[ -z $B_CSV ]] || bench_csv "$B_CSV"
    rm -rf -- "$B_TMP"
    if ((${#B_FAILED[@]})); then
        say "failed benchmark runs (their figures show '-'): ${B_FAILED[*]}"
        exit 1
    fi
    return 0
}

# shellcheck shell=bash
# `tools/keel profile`: where the instructions of a guest loop go, per
# keel.efi function, counted exactly under QEMU's -icount.
#
# Two runs of the same guest differ only in the iteration count (A and B,
# given to the bench guest as iterations= for the CPUID loop and rows= for
# the rows of only=rows, which run once in xAPIC and once in x2APIC mode:
# a row's figure is then both modes' iterations together);
# QEMU logs every translated block (in_asm) and every block it executes
# (exec, with nochain so none is skipped), limited with -dfilter to
# keel.efi's image and the guest's code.  tools/lib/profile.pl multiplies
# executions by block lengths, folds addresses into keel.so's functions and
# subtracts run A from run B: what is left, divided by B - A, is the cost of
# one iteration, boot and shutdown cancelled out.  A first short run finds
# where the firmware loads keel.efi (Keel logs it).  docs/exit-path.md.
# Sourced by tools/keel after run_cmd.sh.

profile_usage_error() {
    printf 'tools/keel profile: %s (see tools/keel --help)\n' "$*" >&2
    exit "$KEEL_EXIT_LAUNCHER"
}

# profile_run ITERATIONS LOG [QEMU ARGS...]: one bench-guest run; prints
# the serial log's path.
profile_run() {
    local n=$1 log=$2 out
    shift 2
    out=$("$KEEL_ROOT/tools/keel" run --no-build --guest "$P_GUEST" --cpus 1 --accel tcg --icount \
        --timeout "$P_TIMEOUT" --append "iterations=$n rows=$n $P_APPEND" "${P_SET[@]}" "$@" 2>&1) ||
        { printf '%s\n' "$out" | tail -5 >&2; die "profile: the run with iterations=$n failed"; }
    printf '%s\n' "$out" >"$log"
}

profile_main() {
    local a=200 b=1200 top=40 nobuild=0 keep=0
    P_GUEST=bench P_APPEND='only=cpuid' P_TIMEOUT=900 P_SET=()
    while (($#)); do
        case $1 in
            --iterations)
                if ! [[ ${2:-} =~ ^([1-9][0-9]{0,6}),([1-9][0-9]{0,6})$ ]] ||
                   ((BASH_REMATCH[1] >= BASH_REMATCH[2])); then
                    profile_usage_error "--iterations wants A,B with A < B, not '${2:-}'"
                fi
                a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}; shift 2 ;;
            --append) [[ -n ${2:-} ]] || profile_usage_error "--append needs a value"
                P_APPEND=$2; shift 2 ;;
            --guest) [[ -n ${2:-} ]] || profile_usage_error "--guest needs a value"
                P_GUEST=$2; shift 2 ;;
            --set) [[ ${2:-} == *=* ]] || profile_usage_error "--set wants KEY=VALUE"
                P_SET+=(--set "$2"); shift 2 ;;
            --top) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || profile_usage_error "--top wants a number"
                top=$2; shift 2 ;;
            --no-build) nobuild=1; shift ;;
            --keep) keep=1; shift ;;
            -h|--help) usage; exit 0 ;;
            *) profile_usage_error "unknown option '$1'" ;;
        esac
    done
    command -v perl >/dev/null || die "profile: perl is missing"
    if ((!nobuild)); then
        install_deps
        build_all || die "the build failed"
    fi
    local dir so base
    dir=$(mktemp -d "${TMPDIR:-/tmp}/keel-profile.XXXXXX")
    so=$KEEL_BUILD_DIR/boot/keel.so
    [[ -f $so ]] || die "profile: $so is missing (build first)"
    nm -n "$so" >"$dir/keel.nm"
    say "profile: finding keel.efi's load address (a short run)"
    profile_run 1 "$dir/probe.out"
    base=$(sed -n 's/.*image: keel.efi loaded at \(0x[0-9a-f]*\).*/\1/p' "$dir/probe.out" | head -1)
    [[ -n $base ]] || die "profile: Keel did not log its load address (see $dir/probe.out)"
    local filter="$base+0x100000,0x100000+0x400000" n
    for n in "$a" "$b"; do
        say "profile: iterations=$n with QEMU's translation log (slow: minutes)"
        profile_run "$n" "$dir/run$n.out" --qemu-arg -d --qemu-arg in_asm,exec,nochain \
            --qemu-arg -D --qemu-arg "$dir/trace$n.log" --qemu-arg -dfilter --qemu-arg "$filter"
        grep -h '^vm0| bench:' "$dir/run$n.out" | sed 's/^/  /'
    done
    say "profile: instructions per iteration ($((b - a)) iterations), keel.efi at $base"
    perl "$KEEL_ROOT/tools/lib/profile.pl" "$dir/keel.nm" "$base" "$dir/trace$a.log" \
        "$dir/trace$b.log" | awk -v n=$((b - a)) -v top="$top" '
        NR == 1 { printf "%10s %6s  %s\n", "instr/iter", "share", "function"; next }
        $3 == "total" { total = sprintf("%10.1f %6s  %s", $1 / n, $2, "total"); next }
        shown < top { printf "%10.1f %6s  %s\n", $1 / n, $2, $3; shown++ }
        END { print total }'
    ((keep)) || rm -f "$dir"/trace*.log
    say "profile: runs kept in $dir$( ((keep)) && printf ' (with the translation logs)')"
}

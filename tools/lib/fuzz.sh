# shellcheck shell=bash
# `tools/keel fuzz [--time S] [NAME...]`: builds the libFuzzer harnesses of
# tests/fuzz/ (fuzz_<name> in the build directory, see tests/fuzz/CMakeLists.txt)
# and runs each for S seconds on its committed corpus plus what earlier runs
# found.  As for the ctest entries fuzz.<name>, libFuzzer writes only into
# the build directory: new inputs to tests/fuzz/work/<name>/, crash
# reproducers to tests/fuzz/crashes/<name>/.  A crash is reported with the
# file and the command that replays it; the exit status is 1 when a harness
# crashed.  Sourced by tools/keel after common.sh and deps.sh, never run.

fuzz_usage_error() {
    printf 'tools/keel fuzz: %s (see tools/keel --help)\n' "$*" >&2
    exit "$KEEL_EXIT_LAUNCHER"
}

# The harnesses the build produced, one name a line.
fuzz_names() {
    local f
    for f in "$KEEL_BUILD_DIR"/tests/fuzz/fuzz_*; do
        [[ -f $f && -x $f ]] && printf '%s\n' "${f##*/fuzz_}"
    done
}

# fuzz_one NAME SECONDS: one harness; prints its crashes; non-zero on one.
fuzz_one() {
    local name=$1 secs=$2 dir=$KEEL_BUILD_DIR/tests/fuzz
    local bin=$dir/fuzz_$name work=$dir/work/$name crashes=$dir/crashes/$name
    local log=$dir/fuzz_$name.log rc=0 f found=0
    local -A old=()

    mkdir -p -- "$work" "$crashes"
    for f in "$crashes"/*; do [[ -e $f ]] && old[$f]=1; done
    say "fuzz_$name: ${secs} s (log $(pretty_path "$log"))"
    # The work corpus first: libFuzzer adds new inputs to the first directory.
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" "$work" "$KEEL_ROOT/tests/fuzz/corpus/$name" \
        >"$log" 2>&1 || rc=$?
    for f in "$crashes"/*; do
        [[ -e $f && -z ${old[$f]:-} ]] || continue
        found=1
        say "fuzz_$name: new crash: $(pretty_path "$f")"
        say "  reproduce: $(pretty_path "$bin") $(pretty_path "$f")"
    done
    if ((rc != 0 || found)); then
        grep -E 'invariant failed|ERROR:|SUMMARY:|runtime error' "$log" | head -n 5 >&2 || true
        ((found)) || say "fuzz_$name: exited with status $rc and wrote no reproducer; see the log"
        return 1
    fi
    grep -E '^Done [0-9]+ runs' "$log" | sed "s/^/tools\/keel: fuzz_$name: /" >&2 || true
}

fuzz_main() {
    local secs=60 name
    local -a names=() all=() crashed=()
    while (($#)); do
        case $1 in
            --time) (($# >= 2)) || fuzz_usage_error "--time needs a number of seconds"
                    secs=$2; shift 2 ;;
            --time=*) secs=${1#*=}; shift ;;
            -h|--help) usage; exit 0 ;;
            -*) fuzz_usage_error "unknown option '$1'" ;;
            *) names+=("$1"); shift ;;
        esac
    done
    [[ $secs =~ ^[1-9][0-9]{0,6}$ ]] || fuzz_usage_error "--time wants whole seconds, not '$secs'"

    install_deps
    build_all || die "the build failed"
    mapfile -t all < <(fuzz_names)
    ((${#all[@]})) || die "no fuzzing harness in $(pretty_path "$KEEL_BUILD_DIR")/tests/fuzz"
    ((${#names[@]})) || names=("${all[@]}")
    for name in "${names[@]}"; do
        [[ -x $KEEL_BUILD_DIR/tests/fuzz/fuzz_$name ]] ||
            fuzz_usage_error "no harness '$name' (there are: ${all[*]})"
    done
    for name in "${names[@]}"; do
        fuzz_one "$name" "$secs" || crashed+=("$name")
    done
    if ((${#crashed[@]})); then
        say "${#crashed[@]} of ${#names[@]} harnesses crashed: ${crashed[*]}"
        exit 1
    fi
    say "${#names[@]} harnesses, ${secs} s each: no crash"
}

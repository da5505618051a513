#!/usr/bin/env bash
# tools.deps: the launcher's dependency step (tools/lib/deps.sh) against a
# fake dpkg-query, apt-get and sudo on PATH and a fake root directory
# (KEEL_DEPS_SYSROOT): what it decides to install for packages that dpkg has
# never heard of, has half-installed, removed with their configuration left,
# or calls installed while a file the build uses is gone; and what it says
# when apt-get fails or leaves a file missing.
#
#   tests/tools/deps.sh [TOOLS_LIB]
# TOOLS_LIB (default tools/lib of this tree) is the launcher code under test:
# pointing it at an older tree's tools/lib shows the test failing there.
# Prints one line per check and ends with 'N passed, N failed'.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
LIB=${1:-$ROOT/tools/lib}
# The dependency table of this tree: which files each package provides.
# shellcheck source=tools/lib/deps.sh
source "$ROOT/tools/lib/deps.sh"
TABLE=("${KEEL_DEPS[@]}")
mapfile -t ALL < <(deps_packages)
BASE=(cmake make gcc binutils clang llvm xz-utils shellcheck)   # a fresh Debian 12 with a C toolchain

unset KEEL_NO_DEPS KEEL_DEPS_SYSROOT   # each case sets what it needs
PASS=0 FAIL=0
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT

check() {   # check NAME CONDITION-STATUS [detail]
    if (($2 == 0)); then PASS=$((PASS + 1)); echo "ok   $1"
    else FAIL=$((FAIL + 1)); echo "FAIL $1${3:+: $3}"; fi
}

# The fakes.  dpkg-query reads $FAKE/state ('package status' lines; a package
# not listed is unknown to dpkg and, like the real one, makes it exit 1
# after printing the known ones).  apt-get logs its arguments to $FAKE/apt.log
# and 'installs': status installed and the package's files created under the
# fake root, except for the packages in FAKE_APT_NOFILES; FAKE_APT_FAIL=1
# makes 'install' fail.  sudo runs its arguments.
make_fakes() {
    mkdir -p "$FAKE/bin" "$FAKE/root"
    : >"$FAKE/state"
    : >"$FAKE/apt.log"
    local d pkg file rest
    for d in "${TABLE[@]}"; do
        read -r pkg file rest <<<"$d"
        printf '%s %s\n' "$pkg" "$file"
    done >"$FAKE/files"
    cat >"$FAKE/bin/dpkg-query" <<'EOF'
#!/usr/bin/env bash
fmt='${Package}\t${Status}\n' rc=0
pkgs=()
while (($#)); do
    case $1 in
        -W|--show) shift ;;
        -f|--showformat) fmt=$2; shift 2 ;;
        --showformat=*) fmt=${1#*=}; shift ;;
        -f*) fmt=${1#-f}; fmt=${fmt#=}; shift ;;
        --) shift; pkgs+=("$@"); break ;;
        *) pkgs+=("$1"); shift ;;
    esac
done
for p in "${pkgs[@]}"; do
    st=$(awk -v p="$p" '$1 == p { s = $2 } END { print s }' "$FAKE/state")
    if [[ -z $st ]]; then
        echo "dpkg-query: no packages found matching $p" >&2
        rc=1
        continue
    fi
    case $st in
        not-installed) want=unknown ;;
        config-files) want=deinstall ;;
        *) want=install ;;
    esac
    out=${fmt//'${Package}'/$p}
    out=${out//'${Status}'/"$want ok $st"}
    out=${out//'${db:Status-Status}'/$st}
    out=${out//'${db:Status-Abbrev}'/"${want:0:1}${st:0:1} "}
    out=${out//'${Version}'/1.0-fake}
    printf '%b' "$out"
done
exit $rc
EOF
    cat >"$FAKE/bin/apt-get" <<'EOF'
#!/usr/bin/env bash
echo "$*" >>"$FAKE/apt.log"
[[ $1 == install ]] || exit 0
[[ ${FAKE_APT_FAIL:-0} == 1 ]] && { echo "E: fake failure" >&2; exit 100; }
for a in "$@"; do
    [[ $a == -* || $a == install ]] && continue
    awk -v p="$a" '$1 != p' "$FAKE/state" >"$FAKE/state.new"
    echo "$a installed" >>"$FAKE/state.new"
    mv "$FAKE/state.new" "$FAKE/state"
    [[ " ${FAKE_APT_NOFILES:-} " == *" $a "* ]] && continue
    awk -v p="$a" '$1 == p { print $2 }' "$FAKE/files" | while read -r f; do
        mkdir -p "$FAKE/root$(dirname "$f")"
        : >"$FAKE/root$f"
    done
done
EOF
    printf '#!/bin/sh\nexec "$@"\n' >"$FAKE/bin/sudo"
    chmod +x "$FAKE/bin/"*
}

# set_state PACKAGE STATUS [with-files]: dpkg's state of PACKAGE in the fake,
# and (with-files) its files present in the fake root.
set_state() {
    echo "$1 $2" >>"$FAKE/state"
    [[ ${3:-} == with-files ]] || return 0
    awk -v p="$1" '$1 == p { print $2 }' "$FAKE/files" | while read -r f; do
        mkdir -p "$FAKE/root$(dirname "$f")"
        : >"$FAKE/root$f"
    done
}

# new_case NAME: a fresh fake machine.
new_case() {
    FAKE=$WORK/$1
    export FAKE
    make_fakes
}

# run_deps: the launcher's dependency step, in the shell options tools/keel
# runs with; its stderr in $FAKE/err, its status in RC.
run_deps() {
    (
        set -euo pipefail
        export PATH=$FAKE/bin:$PATH KEEL_DEPS_SYSROOT=$FAKE/root
        # shellcheck source=tools/lib/common.sh
        source "$LIB/common.sh"
        if [[ -f $LIB/deps.sh ]]; then
            # shellcheck source=tools/lib/deps.sh
            source "$LIB/deps.sh"
        fi
        install_deps
    ) >"$FAKE/out" 2>"$FAKE/err"
    RC=$?
}

# The packages apt-get was asked to install (without --reinstall), sorted,
# and those it was asked to reinstall.
apt_installed() { grep -E '^install ' "$FAKE/apt.log" | grep -v -- '--reinstall' | tr ' ' '\n' | grep -v -e '^-' -e '^install$' | sort | tr '\n' ' '; }
apt_reinstalled() { grep -E '^install .*--reinstall' "$FAKE/apt.log" | tr ' ' '\n' | grep -v -e '^-' -e '^install$' | sort | tr '\n' ' '; }
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' '; }
errtail() { tr '\n' '|' <"$FAKE/err" | tail -c 400; }

# 1. A fresh machine: only the base toolchain; dpkg has never heard of the
#    rest (the bug of issue 8: dpkg-query exits 1 and nothing was installed).
new_case fresh
for p in "${BASE[@]}"; do set_state "$p" installed with-files; done
run_deps
want=()
for p in "${ALL[@]}"; do [[ " ${BASE[*]} " == *" $p "* ]] || want+=("$p"); done
check "fresh machine: apt-get installs every package dpkg does not know" \
      "$([[ $(apt_installed) == "$(sorted "${want[@]}")" ]]; echo $?)" "installed '$(apt_installed)', wanted '$(sorted "${want[@]}")'"
check "fresh machine: apt-get update runs first" "$([[ $(head -n 1 "$FAKE/apt.log") == update* ]]; echo $?)"
check "fresh machine: the step succeeds" "$RC" "status $RC: $(errtail)"

# 2. Everything installed, every file there: apt-get is not called.
new_case complete
for p in "${ALL[@]}"; do set_state "$p" installed with-files; done
run_deps
check "complete machine: apt-get is not called" "$([[ ! -s $FAKE/apt.log ]]; echo $?)" "$(cat "$FAKE/apt.log")"
check "complete machine: the step succeeds" "$RC" "status $RC: $(errtail)"

# 3. dpkg knows the packages in every state.
new_case states
for p in "${ALL[@]}"; do
    case $p in
        gnu-efi) set_state "$p" half-installed ;;
        ovmf) set_state "$p" config-files ;;
        bochs) set_state "$p" unpacked with-files ;;
        qemu-system-x86) set_state "$p" not-installed ;;
        newlib-source) ;;                                   # unknown
        vgabios) set_state "$p" installed ;;                # files gone
        cmake) set_state "$p" triggers-pending with-files ;;
        *) set_state "$p" installed with-files ;;
    esac
done
run_deps
check "mixed states: not-installed, config-files and unknown packages are installed" \
      "$([[ $(apt_installed) == "$(sorted newlib-source ovmf qemu-system-x86)" ]]; echo $?)" "got '$(apt_installed)'"
check "mixed states: half-installed, unpacked, and installed-with-a-file-missing are reinstalled" \
      "$([[ $(apt_reinstalled) == "$(sorted bochs gnu-efi vgabios)" ]]; echo $?)" "got '$(apt_reinstalled)'"
check "mixed states: triggers-pending counts as installed" "$(grep -q cmake "$FAKE/apt.log"; echo $((!$?)))"
check "mixed states: the step succeeds" "$RC" "status $RC: $(errtail)"
check "mixed states: the plan names the missing file" \
      "$(grep -q 'vgabios: installed, /usr/share/vgabios/vgabios.bin missing' "$FAKE/err"; echo $?)" "$(errtail)"

# 4. apt-get succeeds but a file the build uses is still not there.
new_case nofile
for p in "${BASE[@]}"; do set_state "$p" installed with-files; done
FAKE_APT_NOFILES=newlib-source run_deps
check "file still missing after apt-get: the step fails" "$((RC == 0))"
check "file still missing after apt-get: names the file and its package" \
      "$(grep -q '/usr/src/newlib/newlib-3.3.0.tar.xz is missing: Debian package newlib-source' "$FAKE/err"; echo $?)" "$(errtail)"

# 5. apt-get install fails.
new_case aptfail
for p in "${BASE[@]}"; do set_state "$p" installed with-files; done
FAKE_APT_FAIL=1 run_deps
check "apt-get failure: the step fails" "$((RC == 0))"
check "apt-get failure: says so" "$(grep -q 'apt-get install failed for: ' "$FAKE/err"; echo $?)" "$(errtail)"

# 6. KEEL_NO_DEPS=1: nothing installed, missing files still named.
new_case nodeps
for p in "${BASE[@]}"; do set_state "$p" installed with-files; done
KEEL_NO_DEPS=1 run_deps
check "KEEL_NO_DEPS=1: apt-get is not called" "$([[ ! -s $FAKE/apt.log ]]; echo $?)"
check "KEEL_NO_DEPS=1: the missing files are named with their package" \
      "$(grep -q 'OVMF_CODE_4M.fd is missing: Debian package ovmf' "$FAKE/err"; echo $?)" "$(errtail)"

echo "$PASS passed, $FAIL failed"
((FAIL == 0))

#!/usr/bin/env bash
# tools.accel: `--accel auto|kvm|tcg` (tools/lib/accel.sh) with fake host
# facts: the host CPU's vendor (a fake cpuinfo), /dev/kvm (a fake device
# file), the kvm module's `nested` parameter (a fake sysfs) and QEMU's KVM
# probe (KEEL_KVM_PROBE).  Checks the choice for each platform, the platform
# of the VMX tests, the time budgets and, through `tools/keel run --dry-run`,
# the QEMU command that comes out.  None of these build machines has KVM, so
# this is where the KVM paths are exercised.
# Prints one line per check and ends with 'N passed, N failed'.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=tools/lib/common.sh
source "$ROOT/tools/lib/common.sh"
# shellcheck source=tools/lib/accel.sh
source "$ROOT/tools/lib/accel.sh"

# tools/keel test exports its own accelerator choice; this test makes its own.
unset KEEL_ACCEL KEEL_ACCEL_QUIET KEEL_TEST_ACCEL KEEL_TEST_VMX_PLATFORM
PASS=0 FAIL=0
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT

# expect NAME GOT WANT
expect() {
    if [[ $2 == "$3" ]]; then PASS=$((PASS + 1)); echo "ok   $1"
    else FAIL=$((FAIL + 1)); echo "FAIL $1: got '$2', wanted '$3'"; fi
}
# expect_has NAME GOT SUBSTRING
expect_has() {
    if [[ $2 == *"$3"* ]]; then PASS=$((PASS + 1)); echo "ok   $1"
    else FAIL=$((FAIL + 1)); echo "FAIL $1: '$2' lacks '$3'"; fi
}

# host VENDOR_ID KVM(yes|no) NESTED(value|none) PROBE(ok|fail): a fake host.
host() {
    local dir=$WORK/host.$RANDOM$RANDOM mod
    mkdir -p "$dir/sys"
    printf 'processor\t: 0\nvendor_id\t: %s\n' "$1" >"$dir/cpuinfo"
    export KEEL_CPUINFO=$dir/cpuinfo KEEL_SYSFS=$dir/sys KEEL_KVM_PROBE=$4
    export KEEL_KVM_DEV=$dir/kvm
    [[ $2 == yes ]] && : >"$dir/kvm"
    if [[ $3 != none ]]; then
        mod=kvm_amd
        [[ $1 == GenuineIntel ]] && mod=kvm_intel
        mkdir -p "$dir/sys/module/$mod/parameters"
        echo "$3" >"$dir/sys/module/$mod/parameters/nested"
    fi
    accel_facts
}
# decide PLATFORM REQUEST: 'ACCEL' or 'error: REASON'.
decide() {
    local d
    if d=$(accel_decide "$1" "$2"); then echo "${d%% *}"; else echo "error: $d"; fi
}

host AuthenticAMD no none ok
expect "AMD, no /dev/kvm: qemu-svm auto is TCG" "$(decide qemu-svm auto)" tcg
expect_has "AMD, no /dev/kvm: the reason names /dev/kvm" "$(accel_decide qemu-svm auto)" "no $KEEL_KVM_DEV"
expect_has "AMD, no /dev/kvm: --accel kvm is refused" "$(decide qemu-svm kvm)" "error: --accel kvm: no "
expect_has "AMD, no /dev/kvm: qemu-vmx is refused" "$(decide qemu-vmx auto)" "error: qemu-vmx needs KVM"
expect "AMD, no /dev/kvm: VMX tests on bochs-vmx" "$(accel_vmx_platform auto)" bochs-vmx

host AuthenticAMD yes 1 ok
expect "AMD, nested=1: qemu-svm auto is KVM" "$(decide qemu-svm auto)" kvm
expect "AMD, nested=1: qemu-svm --accel tcg is TCG" "$(decide qemu-svm tcg)" tcg
expect_has "AMD, nested=1: qemu-vmx needs an Intel host" "$(decide qemu-vmx auto)" "needs an INTEL host"
expect "AMD, nested=1: VMX tests on bochs-vmx" "$(accel_vmx_platform auto)" bochs-vmx

expect "AMD, nested=1: the QEMU probe ran and its outcome is kept" "$ACC_PROBED" ok
expect "the probe's outcome is handed to the runs" "$(accel_share_probe; echo "$KEEL_KVM_PROBE")" ok

host AuthenticAMD yes 0 ok
expect "AMD, nested=0: no probe, nothing to hand on" "$ACC_PROBED" ''
expect "AMD, nested=0: qemu-svm auto is TCG" "$(decide qemu-svm auto)" tcg
expect_has "AMD, nested=0: the reason names the parameter" "$(accel_decide qemu-svm auto)" "kvm_amd has nested=0"

host AuthenticAMD yes none ok
expect_has "AMD, kvm_amd not loaded: TCG, and why" "$(accel_decide qemu-svm auto)" "tcg kvm_amd is not loaded"

host HygonGenuine yes 1 ok
expect "Hygon, nested=1: qemu-svm auto is KVM" "$(decide qemu-svm auto)" kvm

host AuthenticAMD yes 1 fail
expect "AMD, QEMU cannot open KVM: the failed probe is kept" "$ACC_PROBED" fail
expect "AMD, nested=1, QEMU cannot open KVM: TCG" "$(decide qemu-svm auto)" tcg
expect_has "AMD, QEMU cannot open KVM: the reason" "$(accel_decide qemu-svm auto)" "QEMU could not start with -accel kvm"

host GenuineIntel yes Y ok
expect "Intel, nested=Y: qemu-vmx is KVM" "$(decide qemu-vmx auto)" kvm
expect "Intel, nested=Y: qemu-vmx --accel kvm is KVM" "$(decide qemu-vmx kvm)" kvm
expect_has "Intel, nested=Y: qemu-vmx --accel tcg is refused" "$(decide qemu-vmx tcg)" "TCG does not emulate VMX"
expect "Intel, nested=Y: qemu-svm auto is TCG (no nested SVM on Intel)" "$(decide qemu-svm auto)" tcg
expect_has "Intel, nested=Y: qemu-svm --accel kvm is refused" "$(decide qemu-svm kvm)" "needs an AMD host"
expect "Intel, nested=Y: VMX tests on qemu-vmx" "$(accel_vmx_platform auto)" qemu-vmx
expect "Intel, nested=Y: VMX tests with --accel tcg on bochs-vmx" "$(accel_vmx_platform tcg)" bochs-vmx

host GenuineIntel yes N ok
expect "Intel, nested=N: VMX tests on bochs-vmx" "$(accel_vmx_platform auto)" bochs-vmx
expect_has "Intel, nested=N: qemu-vmx says why" "$(decide qemu-vmx auto)" "kvm_intel has nested=N"

expect "bochs-vmx: auto needs no accelerator" "$(decide bochs-vmx auto)" none
expect_has "bochs-vmx: --accel kvm is refused" "$(decide bochs-vmx kvm)" "does not apply"
expect_has "a bad request is refused" "$(decide qemu-svm fast)" "wants auto, kvm or tcg"
expect_has "an unknown platform is refused" "$(decide qemu-arm auto)" "unknown platform"

expect "budget 300 s under TCG" "$(accel_timeout 300 tcg)" 300
expect "budget 300 s under KVM" "$(accel_timeout 300 kvm)" 75
expect "budget 60 s under KVM: not below the minimum" "$(accel_timeout 60 kvm)" 30
expect "budget 10 s under KVM: never above the asked one" "$(accel_timeout 10 kvm)" 10
expect "budget under Bochs" "$(accel_timeout 120 none)" 120
expect "QEMU options, KVM" "$(accel_qemu_args qemu-vmx kvm | tr '\n' ' ')" "-accel kvm -cpu host "
expect "QEMU options, TCG" "$(accel_qemu_args qemu-svm tcg | tr '\n' ' ')" "-accel tcg -cpu EPYC "

# The launcher end to end (dry run: nothing starts).
keel_dry() {
    env -u KEEL_ACCEL -u KEEL_ACCEL_QUIET KEEL_NO_DEPS=1 KEEL_BUILD_DIR="$WORK/build" \
        "$ROOT/tools/keel" run --dry-run --no-build --guest builtin \
        --run-dir "$WORK/run" "$@" 2>&1
}
host GenuineIntel yes Y ok
out=$(keel_dry --platform qemu-vmx)
expect_has "run --platform qemu-vmx on an Intel KVM host: -accel kvm -cpu host" "$out" "-accel kvm -cpu host"
expect_has "run --platform qemu-vmx: the budget is scaled" "$out" "timeout 75 s"
expect_has "run: the choice is said once, with why" "$out" "accelerator kvm: nested VMX under KVM"
out=$(keel_dry --accel tcg)
expect_has "run --accel tcg: -accel tcg -cpu EPYC" "$out" "-accel tcg -cpu EPYC"
expect_has "run --accel tcg: the full budget" "$out" "timeout 300 s"
host AuthenticAMD yes 1 ok
out=$(keel_dry --accel kvm --icount)
expect_has "run --accel kvm --icount is refused" "$out" "counts instructions under TCG only"
out=$(keel_dry)
expect_has "run on an AMD KVM host: qemu-svm under KVM" "$out" "-accel kvm -cpu host"
host AuthenticAMD no none ok
out=$(keel_dry --platform qemu-vmx)
expect_has "run --platform qemu-vmx without KVM: refused, and why" "$out" "qemu-vmx needs KVM with nested VMX: no "
out=$(keel_dry)
expect_has "run, no KVM: TCG, and why" "$out" "accelerator tcg: no "

echo "$PASS passed, $FAIL failed"
((FAIL == 0))

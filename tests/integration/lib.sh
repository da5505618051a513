# shellcheck shell=bash
# Shared by the integration tests (tests/integration/*.sh): each test boots
# keel.efi in an emulator through `tools/keel run --no-build`, then checks the
# exit status and the serial log against Keel's console contract
# (docs/testing.md).  Sourced, never run.
#
# A test's files are under build/tests/integration/out/<test>/: keel.cfg
# (when the test writes one), run/ (the run directory: run/serial.log,
# run/esp/EFI/BOOT/keel.cfg as booted, run/qemu.cmd) and launcher.err.
#
# Exit: 0 when every check passed, 1 otherwise (with the log's tail), 77
# (ctest's SKIP_RETURN_CODE) when a build product the test needs is missing.
set -uo pipefail

KEEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
export KEEL_BUILD_DIR=${KEEL_BUILD_DIR:-$KEEL_ROOT/build}
TEST_NAME=${KEEL_TEST_NAME:-$(basename "$0" .sh)}
TEST_DIR=$KEEL_BUILD_DIR/tests/integration/out/$TEST_NAME
# Each emulator run is stopped when its serial console has been silent for
# TEST_STALL seconds (no progress: a hang), or after TEST_TIMEOUT seconds in
# all.  The second is generous on purpose: on a busy machine a run is slow
# but keeps printing, and must not fail for the clock alone (a run that
# passes alone takes 5 to 60 s under TCG).  Both scale with the accelerator.
TEST_TIMEOUT=${KEEL_TEST_TIMEOUT:-600}     # seconds, per emulator run
TEST_STALL=${KEEL_TEST_STALL:-90}          # seconds of serial silence
GUESTS=$KEEL_BUILD_DIR/guest               # guest images: $GUESTS/<name>.elf
CFG=$TEST_DIR/keel.cfg                     # written by write_cfg
RUN_DIR=$TEST_DIR/run
LOG=$RUN_DIR/serial.log                    # the serial console of the run
ESP_CFG=$RUN_DIR/esp/EFI/BOOT/keel.cfg     # keel.cfg as Keel read it
STATUS=''                                  # exit status of the last keel_run
# Start of a line of Keel's own, for expect_match: Keel prefixes the lines it
# prints after taking over the machine with the CPU, as in
# '[cpu2] keel: vm1 (vm1) exited with status 0'.
# shellcheck disable=SC2034 # used by the test scripts
KEEL='^(\[cpu[0-9]+\] )?keel: '
FAILURES=0

# shellcheck source=tools/lib/accel.sh
source "$KEEL_ROOT/tools/lib/accel.sh"

rm -rf -- "$TEST_DIR"
mkdir -p -- "$TEST_DIR"

# A build product is missing: that is a failure (tools/keel test builds
# everything first, so a missing product means a broken build), or a skip
# (status 77) when KEEL_TEST_STRICT=0, for running tests by hand against a
# partial build.
missing_product() {
    if [[ ${KEEL_TEST_STRICT:-1} == 1 ]]; then
        echo "FAIL $TEST_NAME: $1 is not built"
        exit 1
    fi
    echo "SKIP $TEST_NAME: $1 is not built"
    exit 77
}

# require_linux_images: sets initramfs (the build's) and kernel (Debian's
# newest cloud kernel in /boot), or skips the test as missing_product does.
require_linux_images() {
    initramfs=$GUESTS/initramfs.cpio.gz
    [[ -f $initramfs ]] || missing_product "$initramfs"
    kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' 2>/dev/null | sort -V | tail -n 1)
    [[ -n $kernel && -r $kernel ]] ||
        missing_product "/boot/vmlinuz-*-cloud-amd64 (Debian linux-image-cloud-amd64, readable)"
}

# require_keel: the test needs build/boot/keel.efi.
require_keel() {
    [[ -f $KEEL_BUILD_DIR/boot/keel.efi ]] || missing_product "$KEEL_BUILD_DIR/boot/keel.efi"
}

# require_guest NAME...: the test needs build/guest/NAME.elf (and keel.efi).
require_guest() {
    local g
    require_keel
    for g; do
        [[ -f $GUESTS/$g.elf ]] || missing_product "$GUESTS/$g.elf"
    done
}

# write_cfg: stores stdin as the test's keel.cfg ($CFG), for `keel_run --cfg "$CFG"`.
write_cfg() {
    cat >"$CFG"
}

# keel_run [tools/keel run options]: boots Keel; sets STATUS.  A run on
# --platform bochs-vmx goes to qemu-vmx instead when tools/keel test found
# nested VMX under KVM (KEEL_TEST_VMX_PLATFORM, see tools/lib/accel.sh);
# otherwise it gets --bochs-model $KEEL_TEST_BOCHS_MODEL when that is set
# (CMakeLists.txt sets it for the tests of a second Bochs CPU model).  The
# time budget is TEST_TIMEOUT scaled to the run's accelerator.
keel_run() {
    local -a args
    mapfile -t args < <(test_platform_args "${KEEL_TEST_VMX_PLATFORM:-bochs-vmx}" "$@")
    local a prev='' platform=qemu-svm accel=none
    for a in "${args[@]}"; do
        [[ $prev == --platform ]] && platform=$a
        [[ $a == --platform=* ]] && platform=${a#*=}
        prev=$a
    done
    case $platform in
        qemu-svm) accel=${KEEL_TEST_ACCEL:-tcg} ;;
        qemu-vmx) accel=kvm ;;
    esac
    local -a cmd=("$KEEL_ROOT/tools/keel" run --no-build --run-dir "$RUN_DIR"
                  --timeout "$(accel_timeout "$TEST_TIMEOUT" "$accel")"
                  --stall "$(accel_timeout "$TEST_STALL" "$accel")" "${args[@]}")
    if [[ $platform == bochs-vmx && -n ${KEEL_TEST_BOCHS_MODEL:-} ]]; then
        cmd+=(--bochs-model "$KEEL_TEST_BOCHS_MODEL")
    fi
    echo "RUN ${cmd[*]}"
    "${cmd[@]}" </dev/null >"$TEST_DIR/console.out" 2>"$TEST_DIR/launcher.err"
    STATUS=$?
    echo "exit status $STATUS"
    if [[ ! -f $LOG ]]; then
        fail "the run left no serial log ($LOG)"
        : >"$LOG" 2>/dev/null || LOG=/dev/null
    fi
}

# test_platform_args VMX_PLATFORM RUN-OPTIONS...: the options, one a line,
# with --platform bochs-vmx turned into VMX_PLATFORM; for qemu-vmx the
# Bochs-only options (--bochs-model, --bochsrc-line) are dropped.
test_platform_args() {
    local vmx=$1 prev='' a
    shift
    for a; do
        if [[ $vmx != bochs-vmx ]]; then
            case $prev in --bochs-model|--bochsrc-line) prev=''; continue ;; esac
            case $a in
                --bochs-model|--bochsrc-line) prev=$a; continue ;;
                --bochs-model=*|--bochsrc-line=*) prev=''; continue ;;
                --platform=bochs-vmx) a=--platform=$vmx ;;
                bochs-vmx) [[ $prev == --platform ]] && a=$vmx ;;
            esac
        fi
        printf '%s\n' "$a"
        prev=$a
    done
}

fail() {
    FAILURES=$((FAILURES + 1))
    echo "FAIL $TEST_NAME: $*"
}

status_meaning() {
    case $1 in
        0) echo "every VM ended with status 0" ;;
        112) echo "a VM was stopped" ;;
        124) echo "timed out" ;;
        125) echo "keel.efi returned to the firmware" ;;
        126) echo "the emulator or the launcher failed" ;;
        130) echo "interrupted" ;;
        *) echo "a guest's status" ;;
    esac
}

# expect_status N: the run's exit status is N.
expect_status() {
    [[ $STATUS == "$1" ]] ||
        fail "exit status $STATUS ($(status_meaning "$STATUS")), expected $1 ($(status_meaning "$1"))"
}

# expect_line TEXT: some line of the log contains TEXT (a fixed string).
expect_line() {
    grep -qF -- "$1" "$LOG" || fail "no line containing: $1"
}

# KMSG_TAIL: what may end a guest program's console line under Linux: a
# kernel message the console driver wrote before the line's newline went
# out (printk does not wait for the tty's buffer), e.g. "...kB memory[
# 2.665181] tsc: Refined TSC clocksource calibration: ...".
# shellcheck disable=SC2034 # used by the tests that source this file
KMSG_TAIL='(\[ *[0-9]+\.[0-9]+\] .*)?'

# expect_match REGEX: some line of the log matches REGEX (grep -E).
expect_match() {
    grep -qE -- "$1" "$LOG" || fail "no line matching: $1"
}

# forbid_line TEXT: no line of the log contains TEXT.
forbid_line() {
    local hit
    hit=$(grep -m 1 -F -- "$1" "$LOG") && fail "unexpected line: $hit"
    return 0
}

# forbid_match REGEX: no line of the log matches REGEX.
forbid_match() {
    local hit
    hit=$(grep -m 1 -E -- "$1" "$LOG") && fail "unexpected line: $hit"
    return 0
}

# expect_started: Keel printed its banner and did not refuse to start.
expect_started() {
    expect_match '^(\[cpu[0-9]+\] )?Keel '
    forbid_line 'keel: error:'
    forbid_line 'keel: returning to the firmware'
}

# expect_end S: every VM ended and Keel reported status S, which is the
# run's exit status.
expect_end() {
    expect_line "keel: all VMs ended, status $1"
    expect_status "$1"
}

# expect_cfg_error LINE MESSAGE: Keel refused keel.cfg with
# `keel: error: keel.cfg:N: MESSAGE...`, where N is the number of LINE in the
# keel.cfg it read, returned to the firmware, and no guest ran.
expect_cfg_error() {
    local line=$1 msg=$2 n
    n=$(grep -nxF -- "$line" "$ESP_CFG" 2>/dev/null | head -n 1 | cut -d: -f1)
    if [[ -z $n ]]; then
        fail "test bug: '$line' is not a line of $ESP_CFG"
        return 0
    fi
    expect_status 125
    expect_line "keel: error: keel.cfg:$n: $msg"
    expect_line 'keel: returning to the firmware'
    forbid_match '^vm[0-7]\| '
}

# The end every Linux check run shares (guest/linux/keel-check, after the
# test's own lines): the PCI bus as a chipset presents it (the MCFG window
# taken, the ISA bridge found, no complaint about PCI0's _CRS), no APIC
# complaint in dmesg, no oops, and a clean ACPI poweroff (docs/linux.md).
expect_linux_check_clean() {
    expect_match '^vm0\| keel-check: lpc_bridge=0000:00:1f\.0$'
    expect_match '^vm0\| keel-check: mmconfig=1$'
    expect_match '^vm0\| keel-check: dmesg_pci_crs=0$'
    expect_match '^vm0\| keel-check: dmesg_apic_error=0$'
    expect_match '^vm0\| keel-check: dmesg_spurious=0$'
    expect_match '^vm0\| keel-check: dmesg_lost=0$'
    # the TSC calibrated (against the host's PM timer on QEMU, CPUID 15H on
    # Bochs), invariant, and kept as the clocksource: no "unstable" line
    expect_match '^vm0\| keel-check: dmesg_clock_unstable=0$'
    expect_match '^vm0\| keel-check: clocksource=tsc(-early)?$'
    # the RTC's alarm interrupt rang once (IRQ 8, hv/dev/rtc.h)
    expect_match '^vm0\| keel-check: rtc_alarm_irqs=1$'
    expect_match '^vm0\| keel-check: done$'
    forbid_match '^vm0\| .*(Kernel panic|invalid opcode|general protection fault|BUG:|Oops)'
    forbid_line ' stopped: '
    expect_match "${KEEL}vm0 \(vm0\) powered off \(ACPI sleep state S5\)"
    expect_end 0
}

# finish: the test's verdict; on failure, the end of the log and the
# launcher's messages.
finish() {
    if ((FAILURES == 0)); then
        echo "PASS $TEST_NAME"
        exit 0
    fi
    echo "--- last 40 lines of $LOG ---"
    tail -n 40 -- "$LOG"
    echo "--- tools/keel messages ($TEST_DIR/launcher.err) ---"
    tail -n 20 -- "$TEST_DIR/launcher.err" 2>/dev/null
    echo "--- $FAILURES check(s) failed in $TEST_NAME; keel.cfg as booted: $ESP_CFG"
    exit 1
}

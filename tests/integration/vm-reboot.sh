#!/usr/bin/env bash
# reboot.*, vmx.reboot-*: a guest resets its VM the ways a PC's software
# does and Keel restarts it (docs/config.md on_reboot, hv/vm_reset.c).
# Arguments: PLATFORM (qemu-svm, bochs-vmx), CPUS, MODE:
#   paths   the reboot guest resets through 0xCF9, the FADT's reset register
#           and the 8042, one per boot, and exits 0 on its 4th boot
#   triple  on_triple_fault = reset: a triple fault, then 0xCF9 (3 boots)
#   stop    on_reboot = stop: the first reset ends the VM with status 114
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest reboot

platform=${1:-qemu-svm}
cpus=${2:-2}
mode=${3:-paths}
R="${KEEL}vm0 \(vm0\) restart"

case $mode in
paths)
    keel_run --platform "$platform" --guest reboot --cpus "$cpus"
    expect_started
    expect_match "${R} 1: reset control register 0xCF9 \(value 0x6\)"
    expect_match "${R} 2: reset control register 0xCF9 \(value 0x6\)"
    expect_match "${R} 3: 8042 reset line \(value 0xfe\)"
    forbid_match "${R} 4:"
    expect_line 'vm0| reboot: FADT RESET_REG port 0xcf9, RESET_VALUE 0x6'
    expect_line 'vm0| reboot: boot 4 of 4'
    expect_line 'vm0| reboot: every reset came back (4 boots)'
    forbid_match 'vm0\| reboot: FAILED'
    expect_match "${KEEL}vm0 \(vm0\) reported [1-9][0-9]* passed, 0 failed"
    expect_match "${KEEL}vm0 \(vm0\) exited with status 0"
    expect_end 0
    ;;
triple)
    keel_run --platform "$platform" --guest reboot --cpus "$cpus" --append 'paths=triple,cf9' \
        --set on_triple_fault=reset
    expect_started
    expect_match "${R} 1: triple fault"
    expect_match "${R} 2: reset control register 0xCF9"
    forbid_match "${KEEL}vm0 \([^)]*\) stopped: triple fault"
    expect_line 'vm0| reboot: every reset came back (3 boots)'
    expect_match "${KEEL}vm0 \(vm0\) reported [1-9][0-9]* passed, 0 failed"
    expect_end 0
    ;;
stop)
    keel_run --platform "$platform" --guest reboot --cpus "$cpus" --set on_reboot=stop
    expect_started
    expect_line 'vm0| reboot: boot 1 of 4'
    expect_match "${KEEL}vm0 \(vm0\) rebooted \(reset control register 0xCF9, value 0x6\); on_reboot = stop: status 114"
    forbid_match "${R} "
    forbid_line 'vm0| reboot: boot 2 of 4'
    expect_end 114
    ;;
*)
    fail "unknown mode '$mode' (paths, triple, stop)"
    ;;
esac
finish
